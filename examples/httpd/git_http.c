/* Smart HTTP for httpd (see git_http.h): the routes, the credentials, the
 * upload-pack and receive-pack machines of libgitstore driven over one
 * handed-over connection, the follower's trigger and the DNS NOTIFYs after
 * a push. */
#include "git_http.h"
#include "source_git.h"
#include "gitfollow.h"

#include <cl_posix.h>
#include <cloudlet/dns.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_BODY GIT_HTTP_MAX_BODY
#define MAX_OBJECTS (1u << 20)
#define MAX_OBJ (64u << 20)
#define IO_TIMEOUT_S 60
#define MAX_JOBS 16    /* Git requests at once; more wait for a 503 */

/* The Git requests running, over every worker. */
static atomic_uint jobs_running;

void git_http_cfg_finish(struct git_http_cfg *g)
{
	if (g->name[0] || !g->repo)
		return;
	const char *p = g->repo;
	size_t len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		len--;
	size_t start = len;
	while (start > 0 && p[start - 1] != '/')
		start--;
	size_t n = len - start;
	if (n > 4 && memcmp(p + len - 4, ".git", 4) == 0)
		n -= 4;
	if (n >= sizeof g->name)
		n = sizeof g->name - 1;
	memcpy(g->name, p + start, n);
	g->name[n] = '\0';
}

/* The path of the target without the query. */
static struct http_str target_path(const struct http_request *req)
{
	struct http_str t = req->target;
	const uint8_t *q = memchr(t.p, '?', t.len);
	if (q)
		t.len = (size_t)(q - t.p);
	return t;
}

static bool has_prefix(struct http_str s, const char *p)
{
	size_t n = strlen(p);
	return s.len >= n && memcmp(s.p, p, n) == 0;
}

static const char refresh_path[] = "/_cloudlet/refresh";

int git_http_route(const struct git_http_cfg *g, const struct http_request *req)
{
	if (!g || !g->repo)
		return GIT_HTTP_NONE;
	struct http_str p = target_path(req);
	if (p.len == sizeof refresh_path - 1 && memcmp(p.p, refresh_path, p.len) == 0)
		return GIT_HTTP_MINE;
	char pre[300];
	snprintf(pre, sizeof pre, "/%s.git/", g->name);
	if (!has_prefix(p, pre) && !(p.len == strlen(pre) - 1 && memcmp(p.p, pre, p.len) == 0))
		return GIT_HTTP_NONE;
	return g->no_serve ? GIT_HTTP_NOT_FOUND : GIT_HTTP_MINE;
}

/* ---- blocking stream ops */

int git_http_op_recv(int fd, bool finished, uint8_t *buf, size_t cap)
{
	if (finished)
		return -1;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		if (n > 0)
			return (int)n;
		if (n == 0)
			return -1;
		if (errno != EINTR)
			return -2;
	}
}

int git_http_op_sendv(int fd, const struct http_iov *iov, int n)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)n };
	for (;;) {
		ssize_t r = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (r > 0)
			return r > INT_MAX ? INT_MAX : (int)r;
		if (r < 0 && errno == EINTR)
			continue;
		return -2;
	}
}

/* ---- one request */

/* The connection ends with the response (the thread answers one request):
 * say so, or a client reuses it for its next request, say the pack of a
 * push after the probe, and finds it closed (RFC 9112 9.6). libhttp adds
 * no Connection field of its own to a keep-alive HTTP/1.1 response. */
#define CLOSE "Connection: close\r\n"

struct job {
	const struct git_http_cfg *g;
	struct http_conn *h;
	int fd;
	bool *finished;
	void (*done)(void *, const struct git_http_logrec *);
	void *arg;
	const struct http_request *req;
	struct git_http_logrec log;
	uint8_t *body;
	size_t body_len;
	/* the push's checks */
	struct gitstore_receive *rcv;
	int algo;
	bool zones_changed;
	unsigned nzones;
	char origins[64][256];
	bool failed; /* the connection broke: just close */
	bool pushed; /* a push added a pack: merge packs once the client is answered */
	struct gitstore_oid new_id; /* the branch's new head after a push */
};

static uint64_t now_ms(void)
{
	return cl_now_ms();
}

/* Poll the connection until its output is out (blocking sends). */
static int flush(struct job *j)
{
	for (int i = 0; i < 1000000; i++) {
		int r = http_conn_poll(j->h, now_ms());
		if (r < 0 || r == HTTP_CONN_CLOSED)
			return -1;
		if (r == HTTP_CONN_REQUEST)
			return 0;
		if (http_conn_next_deadline(j->h) > now_ms())
			return 0;
	}
	return -1;
}

static int write_out(struct job *j, const uint8_t *p, size_t len)
{
	while (len) {
		int r = http_conn_respond_write(j->h, p, len);
		if (r == HTTP_EAGAIN || r == 0) {
			int pr = http_conn_poll(j->h, now_ms());
			if (pr < 0 || pr == HTTP_CONN_CLOSED)
				return -1;
			continue;
		}
		if (r < 0)
			return -1;
		p += r;
		len -= (size_t)r;
		j->log.bytes += (uint64_t)r;
	}
	return 0;
}

static void simple(struct job *j, int status, const char *fields, const char *msg)
{
	char f[512];
	snprintf(f, sizeof f, "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-cache\r\n%s%s", fields,
		CLOSE);
	j->log.status = status;
	j->log.bytes = strlen(msg);
	if (http_conn_respond(j->h, status, (struct http_str){ (const uint8_t *)f, strlen(f) },
			(const uint8_t *)msg, strlen(msg)) < 0)
		j->failed = true;
}

static const struct http_header *hdr(const struct job *j, const char *name)
{
	return http_header_find(j->req->headers, j->req->num_headers, name);
}

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static size_t b64dec(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '=')
			break;
		int v = b64val(in[i]);
		if (v < 0)
			return 0;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < cap)
				out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return n;
}

/* 1: the request carries the token; 0: it does not; -1: there is no
 * token file (pushes are refused). The file is read at every request, so
 * a new token takes effect without a restart. */
static int authorized(const struct job *j)
{
	if (!j->g->token_file)
		return -1;
	FILE *f = fopen(j->g->token_file, "re");
	if (!f)
		return -1;
	char tok[512];
	size_t tl = fread(tok, 1, sizeof tok - 1, f);
	fclose(f);
	while (tl && (tok[tl - 1] == '\n' || tok[tl - 1] == '\r' || tok[tl - 1] == ' ' || tok[tl - 1] == '\t'))
		tl--;
	if (tl == 0)
		return -1;
	const struct http_header *a = hdr(j, "authorization");
	if (!a || a->value.len < 6 || strncasecmp((const char *)a->value.p, "Basic ", 6) != 0)
		return 0;
	uint8_t cred[1024];
	size_t cl = b64dec(a->value.p + 6, a->value.len - 6, cred, sizeof cred);
	const uint8_t *colon = memchr(cred, ':', cl);
	if (!colon)
		return 0;
	const uint8_t *pw = colon + 1;
	size_t pl = cl - (size_t)(pw - cred);
	/* Constant time in the token's content: every byte of the longer of
	 * the two is looked at whatever matches. */
	size_t n = pl > tl ? pl : tl;
	unsigned diff = (unsigned)(pl ^ tl);
	for (size_t i = 0; i < n; i++) {
		uint8_t x = i < pl ? pw[i] : 0, y = i < tl ? (uint8_t)tok[i] : 0;
		diff |= (unsigned)(x ^ y);
	}
	return diff == 0 ? 1 : 0;
}

/* 0 when allowed; otherwise answered 401 or 403. */
static int require_token(struct job *j)
{
	int a = authorized(j);
	if (a == 1)
		return 0;
	if (a < 0)
		simple(j, 403, "", "pushes are not accepted here (httpd has no --push-token-file)\n");
	else
		simple(j, 401, "WWW-Authenticate: Basic realm=\"cloudlet\", charset=\"UTF-8\"\r\n",
			"the push token is required (HTTP Basic, any user name, the token as password)\n");
	return -1;
}

static int read_body(struct job *j)
{
	size_t cap = 1u << 16;
	j->body = malloc(cap);
	if (!j->body)
		return 500;
	for (;;) {
		if (j->body_len == cap) {
			if (cap >= MAX_BODY)
				return 413;
			cap *= 2;
			uint8_t *nb = realloc(j->body, cap);
			if (!nb)
				return 500;
			j->body = nb;
		}
		int r = http_conn_body_read(j->h, j->body + j->body_len, cap - j->body_len);
		if (r == 0)
			break;
		if (r == HTTP_EAGAIN) {
			int pr = http_conn_poll(j->h, now_ms());
			if (pr < 0 || pr == HTTP_CONN_CLOSED) {
				cl_log(CL_LOG_WARN, "git: %s: reading the body: %s", j->log.target,
					pr < 0 ? http_strerror(pr) : "closed");
				return -1;
			}
			continue;
		}
		if (r < 0) {
			cl_log(CL_LOG_WARN, "git: %s: reading the body: %s", j->log.target, http_strerror(r));
			return -1;
		}
		j->body_len += (size_t)r;
	}
	const struct http_header *ce = hdr(j, "content-encoding");
	if (ce && ce->value.len == 4 && strncasecmp((const char *)ce->value.p, "gzip", 4) == 0) {
		z_stream z;
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, 15 + 16) != Z_OK)
			return 500;
		size_t ocap = j->body_len * 4 + 4096, olen = 0;
		uint8_t *out = malloc(ocap);
		z.next_in = j->body;
		z.avail_in = (uInt)j->body_len;
		int zr = Z_OK;
		while (out && zr == Z_OK) {
			if (olen == ocap) {
				if (ocap >= MAX_BODY)
					break;
				ocap *= 2;
				uint8_t *no = realloc(out, ocap);
				if (!no)
					break;
				out = no;
			}
			z.next_out = out + olen;
			z.avail_out = (uInt)(ocap - olen);
			zr = inflate(&z, Z_NO_FLUSH);
			olen = ocap - z.avail_out;
			if (zr == Z_BUF_ERROR && z.avail_in)
				zr = Z_OK;
		}
		inflateEnd(&z);
		if (zr != Z_STREAM_END) {
			free(out);
			return 400;
		}
		free(j->body);
		j->body = out;
		j->body_len = olen;
	}
	return 0;
}

static int start_200(struct job *j, const char *type)
{
	char f[256];
	snprintf(f, sizeof f, "Content-Type: %s\r\nCache-Control: no-cache\r\n%s", type, CLOSE);
	j->log.status = 200;
	if (http_conn_respond_start(j->h, 200, (struct http_str){ (const uint8_t *)f, strlen(f) }) < 0)
		return -1;
	return 0;
}

/* The repository's memory for the machines: large, but only touched pages cost. */
struct mem {
	struct gitstore_walk_obj *objs;
	uint32_t *windex, *wstack;
	uint8_t *in, *obj, *stage, *deflate, *out;
	struct gitstore_receive_update *cmds;
	uint8_t *pack, *idx, *scratch, *arena;
	struct gitstore_index_slot *slots;
};

static void mem_free(struct mem *m)
{
	free(m->objs);
	free(m->windex);
	free(m->wstack);
	free(m->in);
	free(m->obj);
	free(m->stage);
	free(m->deflate);
	free(m->out);
	free(m->cmds);
	free(m->pack);
	free(m->idx);
	free(m->scratch);
	free(m->arena);
	free(m->slots);
}

#define IN_CAP (1u << 20)
#define STAGE_CAP (MAX_OBJ + (1u << 20))
#define NCMDS 256
#define OUT (256u << 10)   /* the machines' output, per write to the socket */

static bool mem_alloc(struct mem *m, bool receive)
{
	memset(m, 0, sizeof *m);
	m->objs = malloc(MAX_OBJECTS * sizeof *m->objs);
	m->windex = malloc(2 * MAX_OBJECTS * sizeof *m->windex);
	m->wstack = malloc(MAX_OBJECTS * sizeof *m->wstack);
	m->in = malloc(IN_CAP);
	m->obj = malloc(MAX_OBJ);
	m->stage = malloc(STAGE_CAP);
	m->deflate = malloc(GITSTORE_DEFLATE_ARENA);
	m->out = malloc(OUT);
	bool ok = m->objs && m->windex && m->wstack && m->in && m->obj && m->stage && m->deflate && m->out;
	if (receive) {
		m->cmds = malloc(NCMDS * sizeof *m->cmds);
		m->pack = malloc(MAX_BODY);
		m->slots = malloc(MAX_OBJECTS * sizeof *m->slots);
		m->idx = malloc(48u << 20);
		m->scratch = malloc(2 * MAX_OBJ + (1u << 20));
		m->arena = malloc(GITSTORE_INFLATE_ARENA);
		ok = ok && m->cmds && m->pack && m->slots && m->idx && m->scratch && m->arena;
	}
	return ok;
}

/*
 * An upload-pack engine: a read handle of the repository with the
 * machine's memory. Kept between requests (a few, for the requests that
 * come together, as a clone's two or three), so a request neither maps the
 * packs again nor faults in fresh pages for its tables, and the delta base
 * cache stays warm; the handle takes the packs again when they changed.
 */
struct engine {
	struct gf_repo *r;
	struct mem m;
};
#define POOL_MAX 4
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct engine *pool[POOL_MAX];
static size_t pool_n;

/* The machines read objects straight through the repository, whose scratch
 * must hold the longest delta chain of the largest object (gf_obj_read would
 * grow it on demand; the machines cannot). */
static void scratch_for_machines(struct gf_repo *r)
{
	size_t sc = 2 * (size_t)MAX_OBJ + (1u << 20);
	uint8_t *ns = sc > r->scratch_cap ? realloc(r->scratch, sc) : NULL;
	if (ns) {
		r->scratch = ns;
		r->scratch_cap = sc;
		gitstore_repo_set_packs(&r->r, r->packs, r->npacks, r->scratch, r->scratch_cap);
	}
}

static void engine_free(struct engine *e)
{
	gf_repo_close(e->r);
	mem_free(&e->m);
	free(e);
}

static struct engine *engine_get(const char *repo)
{
	struct engine *e = NULL;
	pthread_mutex_lock(&pool_mu);
	if (pool_n)
		e = pool[--pool_n];
	pthread_mutex_unlock(&pool_mu);
	if (e) {
		if (gf_repo_refresh(e->r) == 0) {
			scratch_for_machines(e->r);
			return e;
		}
		engine_free(e);
	}
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	if (!(e->r = gf_repo_open(repo)) || !mem_alloc(&e->m, false)) {
		gf_repo_close(e->r);
		mem_free(&e->m);
		free(e);
		return NULL;
	}
	scratch_for_machines(e->r);
	return e;
}

static void engine_put(struct engine *e)
{
	pthread_mutex_lock(&pool_mu);
	if (pool_n < POOL_MAX) {
		pool[pool_n++] = e;
		e = NULL;
	}
	pthread_mutex_unlock(&pool_mu);
	if (e)
		engine_free(e);
}

static int upload(struct job *j, struct engine *e, bool post, int version)
{
	struct gf_repo *r = e->r;
	struct mem m = e->m;
	int rc = -1;
	struct gitstore_upload_mem um = { m.objs, MAX_OBJECTS, m.windex, 2 * MAX_OBJECTS, m.wstack, m.in, IN_CAP,
		m.obj, MAX_OBJ, m.stage, STAGE_CAP, m.deflate, GITSTORE_DEFLATE_ARENA };
	struct gitstore_upload *u = malloc(sizeof *u);
	if (!u || gitstore_upload_init(u, &r->r, version, post ? GITSTORE_UPLOAD_STATELESS : GITSTORE_UPLOAD_ADVERTISE,
			&um) < 0) {
		free(u);
		simple(j, 500, "", "upload-pack could not start\n");
		return -1;
	}
	if (start_200(j, post ? "application/x-git-upload-pack-result" : "application/x-git-upload-pack-advertisement") < 0)
		goto out_u;
	uint8_t *out = m.out;
	int n;
	size_t off = 0;
	bool broken = false;
	while (post && off < j->body_len && !broken) {
		int k = gitstore_upload_input(u, j->body + off, j->body_len - off);
		if (k < 0)
			break;
		off += (size_t)k;
		while ((n = gitstore_upload_output(u, out, OUT)) > 0)
			if (write_out(j, out, (size_t)n) < 0) {
				broken = true;
				break;
			}
		if (gitstore_upload_done(u))
			break;
	}
	if (post && !broken)
		gitstore_upload_input_end(u);
	while (!broken && (n = gitstore_upload_output(u, out, OUT)) > 0)
		if (write_out(j, out, (size_t)n) < 0)
			broken = true;
	if (!broken && http_conn_respond_end(j->h) == 0)
		rc = 0;
	else
		j->failed = true;
out_u:
	free(u);
	return rc;
}

/* push_check's reader over the pushed pack and the repository. */
static int rcv_read(void *ctx, const void *id, int *type, uint8_t **buf, size_t *cap)
{
	struct gitstore_receive *rcv = ctx;
	for (int tries = 0; tries < 4; tries++) {
		size_t needed = 0;
		int n = gitstore_receive_obj_read(rcv, id, type, *buf ? *buf : (uint8_t *)"", *buf ? *cap : 0, &needed);
		if (n != GITSTORE_ENOMEM)
			return n;
		size_t nc = needed > *cap * 2 ? needed : *cap * 2 + 4096;
		uint8_t *nb = realloc(*buf, nc);
		if (!nb)
			return GITSTORE_ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	return GITSTORE_ENOMEM;
}

static int veto(void *ctx, struct gitstore_receive *rcv, const struct gitstore_receive_update *up, char *reason,
	size_t cap)
{
	struct job *j = ctx;
	char branch[GITSTORE_REFNAME_MAX];
	if (gf_branch_name(j->g->branch, branch, sizeof branch) < 0 || strcmp(branch, up->name) != 0)
		return 0; /* only the branch that serves is checked */
	static const struct gitstore_oid zero;
	if (memcmp(&up->new_id, &zero, sizeof zero) == 0) {
		snprintf(reason, cap, "the branch that serves cannot be deleted");
		return 1;
	}
	j->rcv = rcv;
	char why[1024];
	unsigned nz = 0;
	if (push_check(j->algo, rcv_read, rcv, &up->new_id, j->g->subdir, j->g->zones_dir, why, sizeof why, &nz,
			j->origins, sizeof j->origins / sizeof j->origins[0]) < 0) {
		/* report-status keeps one line; the reason must stay on it */
		for (char *p = why; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		snprintf(reason, cap, "%s", why);
		cl_log(CL_LOG_WARN, "push to %s refused: %s", up->name, why);
		return 1;
	}
	j->nzones = nz;
	/* NOTIFY only when the zones changed: their tree differs from the
	 * old commit's (or one of the two has none) */
	struct gitstore_oid a, b;
	static const struct gitstore_oid none;
	bool had = memcmp(&up->old_id, &none, sizeof none) != 0 &&
		push_zones_tree(j->algo, rcv_read, rcv, &up->old_id, j->g->zones_dir, &a) == 0;
	bool has = push_zones_tree(j->algo, rcv_read, rcv, &up->new_id, j->g->zones_dir, &b) == 0;
	j->zones_changed = had != has || (has && gitstore_oid_cmp(&a, &b) != 0);
	return 0;
}

static void notify_all(struct job *j);

static int receive(struct job *j, struct gf_repo *r, bool post)
{
	struct mem m;
	int rc = -1;
	if (!mem_alloc(&m, true)) {
		simple(j, 503, "", "out of memory\n");
		goto out;
	}
	struct gitstore_receive_mem rm = { m.in, IN_CAP, m.cmds, NCMDS, m.stage, STAGE_CAP,
		{ m.pack, MAX_BODY, m.slots, MAX_OBJECTS, m.idx, 48u << 20, m.obj, MAX_OBJ, m.scratch,
			2 * MAX_OBJ + (1u << 20), m.arena, GITSTORE_INFLATE_ARENA, m.objs, MAX_OBJECTS, m.windex,
			2 * MAX_OBJECTS, m.wstack } };
	struct gitstore_receive *rcv = malloc(sizeof *rcv);
	if (!rcv || gitstore_receive_init(rcv, &r->r, post ? GITSTORE_RECEIVE_STATELESS : GITSTORE_RECEIVE_ADVERTISE,
			&rm, veto, j) < 0) {
		free(rcv);
		simple(j, 500, "", "receive-pack could not start\n");
		goto out;
	}
	if (post) {
		/* The whole push is carried out before the answer starts: a
		 * client gone by now changes nothing the push did not already do
		 * all or nothing. */
		size_t off = 0;
		while (off < j->body_len) {
			int k = gitstore_receive_input(rcv, j->body + off, j->body_len - off);
			if (k <= 0)
				break;
			off += (size_t)k;
		}
		gitstore_receive_input_end(rcv);
		size_t nu;
		const struct gitstore_receive_update *ups = gitstore_receive_updates(rcv, &nu);
		char branch[GITSTORE_REFNAME_MAX];
		bool moved = false;
		gf_branch_name(j->g->branch, branch, sizeof branch);
		for (size_t i = 0; i < nu; i++) {
			cl_log(ups[i].ok ? CL_LOG_INFO : CL_LOG_WARN, "push: %s %s%s%s", ups[i].ok ? "ok" : "ng",
				ups[i].name, ups[i].ok ? "" : " ", ups[i].ok ? "" : ups[i].reason);
			if (ups[i].ok && strcmp(ups[i].name, branch) == 0) {
				moved = true;
				j->new_id = ups[i].new_id;
			}
		}
		for (size_t i = 0; i < nu; i++)
			if (ups[i].ok) {
				gf_repo_packs_added();
				j->pushed = true;
				break;
			}
		if (moved) {
			/* Live before the client hears "ok": wait (a little) for the
			 * follower to publish the new commit, so a request made right
			 * after the push sees it. */
			if (j->g->src) {
				gitsrc_trigger(j->g->src);
				for (int i = 0; i < 400 && !gitsrc_serving(j->g->src, &j->new_id); i++)
					usleep(5000);
			}
			notify_all(j);
		}
	}
	if (start_200(j, post ? "application/x-git-receive-pack-result" :
			"application/x-git-receive-pack-advertisement") < 0)
		goto out_r;
	uint8_t *out = malloc(1u << 16);
	if (!out)
		goto out_r;
	int n;
	bool broken = false;
	while ((n = gitstore_receive_output(rcv, out, 1u << 16)) > 0)
		if (write_out(j, out, (size_t)n) < 0) {
			broken = true;
			break;
		}
	free(out);
	if (!broken && http_conn_respond_end(j->h) == 0)
		rc = 0;
	else
		j->failed = true;
out_r:
	free(rcv);
out:
	mem_free(&m);
	return rc;
}

/* ---- NOTIFY (RFC 1996) after a push, fire and forget: two sends each */

static void notify_all(struct job *j)
{
	if (!j->g->nnotify || !j->nzones || !j->zones_changed)
		return;
	int fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (unsigned z = 0; z < j->nzones; z++) {
		uint8_t name[DNS_NAME_MAX];
		static const uint8_t root[1] = { 0 };
		if (dns_name_from_text(name, j->origins[z], strlen(j->origins[z]), root) < 0)
			continue;
		for (unsigned i = 0; i < j->g->nnotify; i++) {
			struct cl_addr a;
			if (cl_addr_parse(&a, j->g->notify[i]) < 0)
				continue;
			uint8_t msg[512];
			uint16_t id;
			cl_random(NULL, (uint8_t *)&id, sizeof id);
			int len = dns_notify_build(msg, sizeof msg, id, name, NULL);
			if (len <= 0)
				continue;
			union cl_sockaddr ss;
			socklen_t sl = cl_addr_to_sockaddr(&a, &ss);
			int fd = a.family == 6 ? fd6 : fd4;
			for (int t = 0; t < 2 && fd >= 0; t++)
				sendto(fd, msg, (size_t)len, 0, (const struct sockaddr *)&ss, sl);
			cl_log(CL_LOG_INFO, "NOTIFY %s to %s", j->origins[z], j->g->notify[i]);
		}
	}
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
}

static void answer(struct job *j)
{
	const struct http_request *req = j->req;
	struct http_str p = target_path(req);
	if (p.len == sizeof refresh_path - 1 && memcmp(p.p, refresh_path, p.len) == 0) {
		if (req->meth != HTTP_M_POST) {
			simple(j, 405, "Allow: POST\r\n", "405 Method Not Allowed\n");
			return;
		}
		if (require_token(j) < 0)
			return;
		if (j->g->src)
			gitsrc_trigger(j->g->src);
		cl_log(CL_LOG_INFO, "refresh: follower triggered");
		j->log.status = 204;
		if (http_conn_respond(j->h, 204, (struct http_str){ (const uint8_t *)CLOSE, strlen(CLOSE) }, NULL, 0) < 0)
			j->failed = true;
		return;
	}
	size_t pl = strlen(j->g->name) + 6; /* "/NAME.git/" */
	struct http_str rest = { p.p + (p.len > pl ? pl : p.len), p.len > pl ? p.len - pl : 0 };
	const uint8_t *q = memchr(req->target.p, '?', req->target.len);
	struct http_str query = { q ? q + 1 : (const uint8_t *)"", q ? req->target.len - (size_t)(q + 1 - req->target.p) : 0 };
	bool is_refs = rest.len == 9 && memcmp(rest.p, "info/refs", 9) == 0;
	bool is_up = rest.len == 15 && memcmp(rest.p, "git-upload-pack", 15) == 0;
	bool is_rcv = rest.len == 16 && memcmp(rest.p, "git-receive-pack", 16) == 0;
	bool svc_up = query.len >= 23 && memmem(query.p, query.len, "service=git-upload-pack", 23);
	bool svc_rcv = query.len >= 24 && memmem(query.p, query.len, "service=git-receive-pack", 24);
	if (!(is_refs && (svc_up || svc_rcv)) && !is_up && !is_rcv) {
		simple(j, 404, "", is_refs ? "only smart HTTP is served: ask with ?service=git-upload-pack\n" :
			"404 Not Found\n");
		return;
	}
	bool post = !is_refs;
	if ((post && req->meth != HTTP_M_POST) || (!post && req->meth != HTTP_M_GET && req->meth != HTTP_M_HEAD)) {
		simple(j, 405, post ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n", "405 Method Not Allowed\n");
		return;
	}
	bool rcv = is_rcv || (is_refs && svc_rcv);
	if (rcv && require_token(j) < 0)
		return;
	if (post) {
		int st = read_body(j);
		if (st < 0) {
			j->failed = true;
			return;
		}
		if (st) {
			simple(j, st, "", st == 413 ? "413 the request is too large\n" : "the request body is malformed\n");
			return;
		}
	}
	int version = 0;
	const struct http_header *gp = hdr(j, "git-protocol");
	if (gp && memmem(gp->value.p, gp->value.len, "version=2", 9))
		version = 2;
	if (!rcv) {
		struct engine *e = engine_get(j->g->repo);
		if (!e) {
			simple(j, 503, "", "the repository cannot be opened\n");
			return;
		}
		j->algo = e->r->algo;
		/* an engine whose request failed half way is not trusted again */
		if (upload(j, e, post, version) == 0)
			engine_put(e);
		else
			engine_free(e);
		return;
	}
	struct gf_repo *r = gf_repo_open(j->g->repo);
	if (!r) {
		simple(j, 503, "", "the repository cannot be opened\n");
		return;
	}
	j->algo = r->algo;
	scratch_for_machines(r);
	/* a writer: the pack, its index and the ref reach the disk before the
	 * ref names them (a SIGKILL or a crash leaves the old ref, or a new one
	 * whose objects are all there) */
	r->files.sync = true;
	receive(j, r, post);
	gf_repo_close(r);
}

static void copy_str(char *out, size_t cap, const uint8_t *p, size_t len)
{
	snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), p ? (const char *)p : "");
}

static void log_copy(struct job *j)
{
	const struct http_request *q = j->req;
	const struct http_header *r = hdr(j, "referer"), *a = hdr(j, "user-agent");
	j->log.minor_version = q->minor_version;
	copy_str(j->log.method, sizeof j->log.method, q->method.p, q->method.len);
	copy_str(j->log.target, sizeof j->log.target, q->target.p, q->target.len);
	copy_str(j->log.referer, sizeof j->log.referer, r ? r->value.p : NULL, r ? r->value.len : 0);
	copy_str(j->log.agent, sizeof j->log.agent, a ? a->value.p : NULL, a ? a->value.len : 0);
}

static void *run(void *arg)
{
	struct job *j = arg;
	j->req = http_conn_request(j->h);
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	setsockopt(j->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (j->req) {
		log_copy(j);
		if (atomic_fetch_add(&jobs_running, 1) >= MAX_JOBS)
			simple(j, 503, "Retry-After: 1\r\n", "too many Git requests at once\n");
		else
			answer(j);
		atomic_fetch_sub(&jobs_running, 1);
		*j->finished = true;
		if (!j->failed)
			flush(j);
	}
	free(j->body);
	j->done(j->arg, &j->log);
	/* the client has its answer and the connection is closed: each push
	 * adds a pack, merged here past a limit */
	if (j->pushed)
		gf_repack_maybe(j->g->repo, "push");
	free(j);
	return NULL;
}

int git_http_serve(const struct git_http_cfg *g, struct http_conn *h, int fd, bool *finished,
	void (*done)(void *, const struct git_http_logrec *), void *arg)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -1;
	j->finished = finished;
	j->g = g;
	j->h = h;
	j->fd = fd;
	j->done = done;
	j->arg = arg;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int rc = pthread_create(&t, &at, run, j);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		free(j);
		return -1;
	}
	return 0;
}
