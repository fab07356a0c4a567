/* gitfollow remote: fetch a branch from a remote (smart HTTP or git://)
 * into a local mirror, then give the follower the mirror's ref. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cloudlet/http.h>

#include "remote.h"

/* What one fetch may hold: the largest pack and object it takes. A remote
 * that sends more fails the fetch (GITSTORE_ENOMEM), nothing changes. The
 * buffers are malloc'd for a fetch and freed after it; untouched pages
 * cost nothing. */
#define FM_PACK (128u << 20)
#define FM_OBJECTS (1u << 18)
#define FM_OBJ (32u << 20)
#define FM_IN (1u << 20)
#define FM_WALK (1u << 19)

/* ---- the URL and the mirror */

static int parse_url(struct gf_remote *rm, const char *url, char *err, size_t errcap)
{
	const char *hp;
	if (!strncmp(url, "http://", 7)) {
		rm->http = true;
		hp = url + 7;
	} else if (!strncmp(url, "git://", 6)) {
		rm->http = false;
		hp = url + 6;
	} else {
		snprintf(err, errcap, "--remote %s: not an http:// or git:// URL", url);
		return -1;
	}
	const char *sl = strchr(hp, '/');
	size_t hl = sl ? (size_t)(sl - hp) : strlen(hp);
	const char *port = rm->http ? "80" : "9418";
	const char *h = hp, *pe = NULL;
	size_t hlen = hl;
	if (hl && hp[0] == '[') {
		const char *rb = memchr(hp, ']', hl);
		if (!rb)
			goto bad;
		h = hp + 1;
		hlen = (size_t)(rb - h);
		if (rb + 1 < hp + hl) {
			if (rb[1] != ':')
				goto bad;
			pe = rb + 2;
		}
	} else {
		const char *c = memchr(hp, ':', hl);
		if (c) {
			hlen = (size_t)(c - hp);
			pe = c + 1;
		}
	}
	if (!hlen || hlen >= sizeof rm->host || !sl || strlen(sl) < 2 || strlen(sl) >= sizeof rm->path ||
	    strpbrk(sl, " \t\r\n?#"))
		goto bad;
	memcpy(rm->host, h, hlen);
	rm->host[hlen] = 0;
	if (pe) {
		size_t pl = (size_t)(hp + hl - pe);
		if (!pl || pl >= sizeof rm->port || strspn(pe, "0123456789") < pl)
			goto bad;
		memcpy(rm->port, pe, pl);
		rm->port[pl] = 0;
		if (atoi(rm->port) < 1 || atoi(rm->port) > 65535)
			goto bad;
	} else {
		snprintf(rm->port, sizeof rm->port, "%s", port);
	}
	snprintf(rm->path, sizeof rm->path, "%s", sl);
	/* a trailing '/' would make "PATH//info/refs" */
	size_t l = strlen(rm->path);
	while (l > 1 && rm->path[l - 1] == '/')
		rm->path[--l] = 0;
	return 0;
bad:
	snprintf(err, errcap, "--remote %s: expected http://HOST[:PORT]/PATH or git://HOST[:PORT]/PATH", url);
	return -1;
}

static int mkdirs(const char *path)
{
	char tmp[8192];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (!c)
				return 0;
		}
	}
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	int rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

/* A bare repository, as `git init --bare` leaves it (what cl_files_open
 * and git fsck need). */
static int mirror_create(const char *dir, char *err, size_t errcap)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/HEAD", dir);
	struct stat st;
	if (stat(p, &st) == 0)
		return 0;
	static const char *const dirs[] = { "objects/pack", "objects/info", "refs/heads", "refs/tags" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
		if (mkdirs(p) < 0) {
			snprintf(err, errcap, "--mirror %s: cannot create %s: %s", dir, p, strerror(errno));
			return -1;
		}
	}
	if (write_file(dir, "config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n") <
		    0 ||
	    write_file(dir, "HEAD", "ref: refs/heads/main\n") < 0) {
		snprintf(err, errcap, "--mirror %s: cannot write: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int gf_remote_init(struct gf_remote *rm, const char *who, const char *url, const char *mirror, char *err,
	size_t errcap)
{
	memset(rm, 0, sizeof *rm);
	rm->url = url;
	rm->timeout_ms = GF_REMOTE_TIMEOUT_MS;
	if (parse_url(rm, url, err, errcap) < 0)
		return -1;
	if (mirror) {
		if (!*mirror || strlen(mirror) >= sizeof rm->mirror) {
			snprintf(err, errcap, "--mirror: empty or too long");
			return -1;
		}
		snprintf(rm->mirror, sizeof rm->mirror, "%s", mirror);
	} else {
		const char *base = getenv("XDG_RUNTIME_DIR");
		if (!base || base[0] != '/')
			base = "/var/tmp";
		char name[600];
		size_t n = 0;
		for (const char *s = url; *s && n + 1 < sizeof name - 200; s++) {
			char c = *s;
			bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				c == '.' || c == '-';
			name[n++] = keep ? c : '_';
		}
		name[n] = 0;
		snprintf(rm->mirror, sizeof rm->mirror, "%s/cloudlet-%s-%s.git", base, who, name);
	}
	return mirror_create(rm->mirror, err, errcap);
}

void gf_remote_attach(struct gf_remote *rm, struct gf_follow *f)
{
	rm->priv.f = f;
	f->repo = rm->mirror;
	f->head = gf_remote_head;
	f->head_ctx = rm;
}

/* ---- a socket as stream ops, bounded by the fetch's deadline */

struct sock {
	int fd;
	uint64_t deadline;
};

static int sk_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct sock *s = ctx;
	ssize_t n = recv(s->fd, buf, cap, 0);
	if (n > 0)
		return n > INT_MAX ? INT_MAX : (int)n;
	if (n == 0)
		return -1;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -2;
}

static int sk_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct sock *s = ctx;
	ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n > INT_MAX ? INT_MAX : (int)n;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -2;
}

static int sk_sendv(void *ctx, const struct http_iov *iov, int iovcnt)
{
	struct sock *s = ctx;
	struct msghdr m = { 0 };
	m.msg_iov = (struct iovec *)(uintptr_t)(const void *)iov;
	m.msg_iovlen = (size_t)iovcnt;
	ssize_t n = sendmsg(s->fd, &m, MSG_NOSIGNAL);
	if (n >= 0)
		return n > INT_MAX ? INT_MAX : (int)n;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -2;
}

static void sk_close(void *ctx)
{
	struct sock *s = ctx;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static const struct http_stream_ops sk_ops = { sk_recv, sk_send, sk_sendv, sk_close };

/* Waits until fd has events or cap_ms pass: 0, or -1 past the deadline. */
static int sk_wait(struct sock *s, short events, uint64_t cap_ms)
{
	uint64_t now = cl_now_ms();
	if (now >= s->deadline)
		return -1;
	uint64_t left = s->deadline - now;
	struct pollfd p = { s->fd, events, 0 };
	poll(&p, 1, (int)(left < cap_ms ? left : cap_ms));
	return 0;
}

static int sk_dial(struct gf_remote *rm, struct sock *s, char *err, size_t errcap)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	int g = getaddrinfo(rm->host, rm->port, &hints, &res);
	if (g != 0) {
		snprintf(err, errcap, "%s: %s", rm->host, gai_strerror(g));
		return -1;
	}
	int e = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
			e = errno;
			close(fd);
			continue;
		}
		s->fd = fd;
		for (;;) {
			struct pollfd p = { fd, POLLOUT, 0 };
			if (poll(&p, 1, 100) > 0)
				break;
			if (cl_now_ms() >= s->deadline) {
				e = ETIMEDOUT;
				break;
			}
		}
		socklen_t sl = sizeof e;
		if (e != ETIMEDOUT && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0) {
			freeaddrinfo(res);
			return 0;
		}
		close(fd);
		s->fd = -1;
	}
	freeaddrinfo(res);
	snprintf(err, errcap, "connecting to %s:%s: %s", rm->host, rm->port, strerror(e ? e : ECONNREFUSED));
	return -1;
}

/* ---- one fetch */

struct fetch_run {
	struct gf_remote *rm;
	struct gitstore_fetch f;
	struct sock s;
	char *err;
	size_t errcap;
	int rc;   /* the first error */
};

static int fail(struct fetch_run *x, int rc, const char *fmt, const char *a)
{
	if (!x->rc) {
		x->rc = rc;
		snprintf(x->err, x->errcap, fmt, a);
	}
	return -1;
}

/* Response bytes to the machine: 0, or -1. */
static int feed(struct fetch_run *x, const uint8_t *p, size_t n)
{
	while (n) {
		int rc = gitstore_fetch_input(&x->f, p, n);
		if (rc < 0)
			return fail(x, rc, "%s", x->f.priv.remote_error[0] ? x->f.priv.remote_error : gitstore_strerror(rc));
		if (rc == 0)
			break;
		p += rc;
		n -= (size_t)rc;
	}
	return 0;
}

static int input_end(struct fetch_run *x)
{
	int rc = gitstore_fetch_input_end(&x->f);
	if (rc < 0)
		return fail(x, rc, "%s", x->f.priv.remote_error[0] ? x->f.priv.remote_error : gitstore_strerror(rc));
	return 0;
}

static int send_all(struct fetch_run *x, const uint8_t *p, size_t n)
{
	while (n) {
		int k = sk_send(&x->s, p, n);
		if (k < 0)
			return fail(x, GITSTORE_EIO, "sending: %s", strerror(errno));
		if (k == 0 && sk_wait(&x->s, POLLOUT, 1000) < 0)
			return fail(x, GITSTORE_EIO, "%s", "timed out");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* git daemon's protocol: the request line, then the exchange on one stream. */
static int run_git(struct fetch_run *x)
{
	struct gf_remote *rm = x->rm;
	char ebuf[300];
	if (sk_dial(rm, &x->s, ebuf, sizeof ebuf) < 0)
		return fail(x, GITSTORE_EIO, "%s", ebuf);
	uint8_t out[4096];
	uint8_t *in = malloc(65536);
	if (!in)
		return fail(x, GITSTORE_ENOMEM, "%s", "out of memory");
	int n = gitstore_daemon_request(out, sizeof out, "git-upload-pack", rm->path, rm->host, 2);
	int rc = n < 0 ? fail(x, n, "%s", gitstore_strerror(n)) : send_all(x, out, (size_t)n);
	while (rc == 0 && !gitstore_fetch_done(&x->f)) {
		while ((n = gitstore_fetch_output(&x->f, out, sizeof out)) > 0 && (rc = send_all(x, out, (size_t)n)) == 0)
			;
		if (rc < 0)
			break;
		if (n < 0) {
			rc = fail(x, n, "%s", gitstore_strerror(n));
			break;
		}
		if (gitstore_fetch_done(&x->f))
			break;
		if (sk_wait(&x->s, POLLIN, 1000) < 0) {
			rc = fail(x, GITSTORE_EIO, "%s", "timed out");
			break;
		}
		int k = sk_recv(&x->s, in, 65536);
		if (k == -1) {
			rc = input_end(x);
			break;
		}
		if (k == -2)
			rc = fail(x, GITSTORE_EIO, "receiving: %s", strerror(errno));
		else if (k > 0)
			rc = feed(x, in, (size_t)k);
	}
	free(in);
	sk_close(&x->s);
	return rc;
}

/* One HTTP exchange on a connection of its own; the response body is fed
 * to the machine as it is decoded (Content-Length, chunked or to the close:
 * libhttp's client tells them apart). */
static int http_exchange(struct fetch_run *x, const char *method, const char *what, const uint8_t *body,
	size_t len)
{
	struct gf_remote *rm = x->rm;
	char ebuf[300];
	if (sk_dial(rm, &x->s, ebuf, sizeof ebuf) < 0)
		return fail(x, GITSTORE_EIO, "%s", ebuf);
	enum { IN = 65536, OUT = 4096, HDRS = 64 };
	uint8_t *in = malloc(IN), *out = malloc(OUT), *buf = malloc(IN);
	struct http_header *hdr = malloc(HDRS * sizeof *hdr);
	struct http_client *c = malloc(sizeof *c);
	int rc = 0;
	if (!in || !out || !buf || !hdr || !c) {
		rc = fail(x, GITSTORE_ENOMEM, "%s", "out of memory");
		goto out;
	}
	uint64_t now = cl_now_ms();
	http_client_init(c, &sk_ops, &x->s, in, IN, out, OUT, hdr, HDRS, NULL, rm->timeout_ms, now);
	char target[1400], host[300];
	char fields[400];
	snprintf(target, sizeof target, "%s/%s", rm->path, what);
	bool v6 = strchr(rm->host, ':') != NULL;
	snprintf(host, sizeof host, "%s%s%s:%s", v6 ? "[" : "", rm->host, v6 ? "]" : "", rm->port);
	snprintf(fields, sizeof fields, "User-Agent: git/2.0 (cloudlet)\r\nGit-Protocol: version=2\r\n%s",
		body ? "Content-Type: application/x-git-upload-pack-request\r\n"
		       "Accept: application/x-git-upload-pack-result\r\n" : "");
	int r = http_client_request(c, method, (struct http_str){ (const uint8_t *)target, strlen(target) },
		(struct http_str){ (const uint8_t *)host, strlen(host) },
		(struct http_str){ (const uint8_t *)fields, strlen(fields) }, body, body ? len : 0);
	if (r < 0) {
		rc = fail(x, GITSTORE_EIO, "HTTP request: %s", http_strerror(r));
		goto out;
	}
	for (;;) {
		r = http_client_poll(c, cl_now_ms());
		if (r == HTTP_CLIENT_RESPONSE)
			break;
		if (r < 0 || r == HTTP_CLIENT_CLOSED) {
			rc = fail(x, GITSTORE_EIO, "HTTP: %s", r < 0 ? http_strerror(r) : "closed before the response");
			goto out;
		}
		if (sk_wait(&x->s, POLLIN, 50) < 0) {
			rc = fail(x, GITSTORE_EIO, "%s", "timed out");
			goto out;
		}
	}
	const struct http_response *res = http_client_response(c);
	if (res->status != 200) {
		char st[16];
		snprintf(st, sizeof st, "%d", res->status);
		rc = fail(x, GITSTORE_EIO, "HTTP status %s", st);
		goto out;
	}
	/* When the body has no bytes ready: poll libhttp once and read again,
	 * and only when there are still none, wait for the socket. */
	bool polled = false;
	for (;;) {
		int k = http_client_body_read(c, buf, IN);
		if (k > 0) {
			if ((rc = feed(x, buf, (size_t)k)) < 0)
				goto out;
			polled = false;
			continue;
		}
		if (k == 0)
			break;
		if (k != HTTP_EAGAIN) {
			rc = fail(x, GITSTORE_EIO, "HTTP body: %s", http_strerror(k));
			goto out;
		}
		if (!polled) {
			r = http_client_poll(c, cl_now_ms());
			if (r < 0) {
				rc = fail(x, GITSTORE_EIO, "HTTP body: %s", http_strerror(r));
				goto out;
			}
			polled = true;
		} else {
			if (sk_wait(&x->s, POLLIN, 50) < 0) {
				rc = fail(x, GITSTORE_EIO, "%s", "timed out");
				goto out;
			}
			polled = false;
		}
	}
	rc = input_end(x);
out:
	free(in);
	free(out);
	free(buf);
	free(hdr);
	free(c);
	sk_close(&x->s);
	return rc;
}

static int run_http(struct fetch_run *x)
{
	if (http_exchange(x, "GET", "info/refs?service=git-upload-pack", NULL, 0) < 0)
		return -1;
	uint8_t out[4096];
	while (!gitstore_fetch_done(&x->f)) {
		int n = gitstore_fetch_output(&x->f, out, sizeof out);
		if (n < 0)
			return fail(x, n, "%s", gitstore_strerror(n));
		if (n == 0)
			return fail(x, GITSTORE_EEOF, "%s", "the exchange stopped short");
		if (http_exchange(x, "POST", "git-upload-pack", out, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

static void mem_free(struct gitstore_fetch_mem *m)
{
	free(m->in);
	free(m->pack.pack);
	free(m->pack.slots);
	free(m->pack.idx);
	free(m->pack.obj);
	free(m->pack.scratch);
	free(m->pack.arena);
	free(m->pack.objs);
	free(m->pack.index);
	free(m->pack.stack);
}

static int mem_alloc(struct gitstore_fetch_mem *m, int algo)
{
	memset(m, 0, sizeof *m);
	m->in_cap = FM_IN;
	m->in = malloc(FM_IN);
	struct gitstore_inpack_mem *p = &m->pack;
	p->pack_cap = FM_PACK;
	p->pack = malloc(FM_PACK);
	p->nslots = FM_OBJECTS;
	p->slots = malloc(FM_OBJECTS * sizeof *p->slots);
	p->idx_cap = gitstore_idx_size(algo, FM_OBJECTS, 0);
	p->idx = malloc(p->idx_cap);
	p->obj_cap = FM_OBJ;
	p->obj = malloc(FM_OBJ);
	p->scratch_cap = 2 * (size_t)FM_OBJ + 8 * 4096;
	p->scratch = malloc(p->scratch_cap);
	p->arena_cap = GITSTORE_INFLATE_ARENA;
	p->arena = malloc(GITSTORE_INFLATE_ARENA);
	p->nobjs = FM_WALK;
	p->objs = malloc(FM_WALK * sizeof *p->objs);
	p->index_len = 2 * (size_t)FM_WALK;
	p->index = malloc(p->index_len * sizeof *p->index);
	p->stack = malloc(FM_WALK * sizeof *p->stack);
	if (!m->in || !p->pack || !p->slots || !p->idx || !p->obj || !p->scratch || !p->arena || !p->objs ||
	    !p->index || !p->stack) {
		mem_free(m);
		return -1;
	}
	return 0;
}

int gf_remote_fetch(struct gf_remote *rm, const char *branch, struct gitstore_oid *out, bool *updated, char *err,
	size_t errcap)
{
	err[0] = 0;
	*updated = false;
	struct gf_repo *g = gf_repo_open(rm->mirror);
	if (!g) {
		snprintf(err, errcap, "%s: cannot open the mirror", rm->mirror);
		return GITSTORE_EIO;
	}
	/* a writer: the pack and the ref reach the disk before the ref moves */
	g->files.sync = true;
	/* Each fetch that brings objects adds a pack, merged past
	 * GF_PACKS_MERGE_AT; packs kept with .keep are not, and a read handle
	 * maps GF_MAX_PACKS at most. */
	if (g->npacks >= GF_MAX_PACKS - 16 && !rm->priv.warned_packs) {
		cl_log(CL_LOG_WARN, "%s: %zu packs (a handle maps %d at most): run git repack -a -d there", rm->mirror,
			g->npacks, GF_MAX_PACKS);
		rm->priv.warned_packs = true;
	}
	struct fetch_run *x = calloc(1, sizeof *x);
	struct gitstore_fetch_mem m;
	if (!x || mem_alloc(&m, g->algo) < 0) {
		free(x);
		gf_repo_close(g);
		snprintf(err, errcap, "out of memory");
		return GITSTORE_ENOMEM;
	}
	x->rm = rm;
	x->err = err;
	x->errcap = errcap;
	x->s.fd = -1;
	x->s.deadline = cl_now_ms() + rm->timeout_ms;
	int rc = gitstore_fetch_init(&x->f, &g->r, rm->http ? GITSTORE_FETCH_HTTP : 0, branch, branch, &m);
	if (rc < 0)
		fail(x, rc, "%s", gitstore_strerror(rc));
	else if (rm->http)
		run_http(x);
	else
		run_git(x);
	if (!x->rc) {
		rc = gitstore_fetch_result(&x->f, out, updated);
		if (rc < 0)
			fail(x, rc, "%s", rc == GITSTORE_EREMOTE ? x->f.priv.remote_error :
				rc == GITSTORE_ENOENT ? "the remote has no such branch" : gitstore_strerror(rc));
	}
	rc = x->rc;
	mem_free(&m);
	free(x);
	gf_repo_close(g);
	/* each fetch that brings objects adds a pack: keep their number down */
	if (rc >= 0 && *updated)
		gf_repack_maybe(rm->mirror, "mirror");
	rm->priv.fetches++;
	if (rc < 0)
		rm->priv.failures++;
	return rc;
}

/* The mirror's own ref (what the last good fetch left). */
static int mirror_ref(struct gf_remote *rm, const char *branch, struct gitstore_oid *out)
{
	struct cl_files *files = malloc(sizeof *files);
	if (!files)
		return GITSTORE_ENOMEM;
	int rc = cl_files_open(files, rm->mirror);
	if (rc < 0) {
		free(files);
		return GITSTORE_EIO;
	}
	struct gitstore_repo r;
	uint8_t arena[64];
	int algo = rm->priv.f && rm->priv.f->priv.r ? rm->priv.f->priv.r->algo : GITSTORE_SHA1;
	gitstore_repo_init(&r, gf_files_ops, files, algo, NULL, arena, sizeof arena);
	rc = gitstore_ref_resolve(&r, branch, out, NULL);
	cl_files_close(files);
	free(files);
	return rc;
}

int gf_remote_head(void *ctx, const char *branch, struct gitstore_oid *out)
{
	struct gf_remote *rm = ctx;
	char err[600];
	bool updated;
	uint64_t t0 = cl_now_ms();
	int rc = gf_remote_fetch(rm, branch, out, &updated, err, sizeof err);
	if (rc == 0) {
		if (rm->priv.failing)
			cl_log(CL_LOG_INFO, "fetching %s from %s works again", branch, rm->url);
		rm->priv.failing = false;
		if (updated) {
			char hex[GITSTORE_HEX_MAX];
			gitstore_oid_to_hex(rm->priv.f && rm->priv.f->priv.r ? rm->priv.f->priv.r->algo : GITSTORE_SHA1,
				out, hex);
			cl_log(CL_LOG_INFO, "fetched %s %s from %s into %s (%llu ms)", branch, hex, rm->url, rm->mirror,
				(unsigned long long)(cl_now_ms() - t0));
			/* a new pack: the follower's handle looks for it at once */
			if (rm->priv.f && rm->priv.f->priv.r)
				rm->priv.f->priv.r->last_rescan_ms = 0;
		}
		return 0;
	}
	int mr = mirror_ref(rm, branch, out);
	if (!rm->priv.failing)
		cl_log(CL_LOG_ERROR, "fetching %s from %s failed: %s; %s", branch, rm->url, err,
			mr == 0 ? "the last good commit keeps serving (logged once until a fetch works)" :
				  "the mirror has no commit of it yet");
	rm->priv.failing = true;
	return mr == 0 ? 0 : rc;
}
