/*
 * gitserve: a git:// server (git daemon's protocol) for one repository, on
 * loopback, for the protocol's interop tests: the real git clones, fetches
 * and pushes against libgitstore's upload-pack and receive-pack machines.
 * Blocking sockets and one forked process per connection: a test tool, not
 * a daemon (httpd and its event loop serve for real).
 *
 *   gitserve GITDIR [PORT]     prints the port it listens on, then serves
 *   gitserve GITDIR --http     the same over smart HTTP (http://127.0.0.1:PORT/ANY),
 *                              driving the machines as httpd will: see serve_http
 *   gitserve GITDIR --stdio [V] upload-pack over stdin/stdout
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <strings.h>
#include <zlib.h>
#include "gt_posix.h"

static struct gitstore_walk_obj objs[1 << 20];
static uint32_t windex[1 << 21];
static uint32_t wstack[1 << 20];
static uint8_t inbuf[1 << 20];
static uint8_t objbuf[64 << 20];
static uint8_t stage[(64 << 20) + (1 << 20)];
static uint8_t deflate_arena[GITSTORE_DEFLATE_ARENA];

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static const char *gitdir;

/* Move bytes between the socket and the machine until it is done. */
static int serve_upload(int fd, int ofd, int version, const uint8_t *pre, size_t pre_len)
{
	struct gitstore_repo r;
	int rc = gt_repo_open(&r, gitdir, GITSTORE_SHA1);
	if (rc < 0)
		return rc;
	struct gitstore_upload_mem m = { objs, sizeof objs / sizeof objs[0], windex, sizeof windex / sizeof windex[0],
		wstack, inbuf, sizeof inbuf, objbuf, sizeof objbuf, stage, sizeof stage, deflate_arena,
		sizeof deflate_arena };
	static struct gitstore_upload u;
	rc = gitstore_upload_init(&u, &r, version, 0, &m);
	static uint8_t out[1 << 16], in[1 << 16];
	bool eof = false;
	(void)pre;
	(void)pre_len;
	for (;;) {
		int n;
		while ((n = gitstore_upload_output(&u, out, sizeof out)) > 0)
			if (write_all(ofd, out, (size_t)n) < 0)
				return GITSTORE_EIO;
		if (n < 0)
			fprintf(stderr, "gitserve: upload-pack: %s\n", gitstore_strerror(n));
		if (gitstore_upload_done(&u) || n < 0)
			return n < 0 ? n : 0;
		if (eof)
			return GITSTORE_EEOF;
		ssize_t k = read(fd, in, sizeof in);
		if (k <= 0) {
			eof = true;
			rc = gitstore_upload_input_end(&u);
			continue;
		}
		size_t off = 0;
		while (off < (size_t)k) {
			rc = gitstore_upload_input(&u, in + off, (size_t)k - off);
			if (rc < 0)
				break;
			off += (size_t)rc;
			if (rc == 0) {
				while ((n = gitstore_upload_output(&u, out, sizeof out)) > 0)
					if (write_all(ofd, out, (size_t)n) < 0)
						return GITSTORE_EIO;
				if (gitstore_upload_done(&u) || n < 0)
					break;
			}
		}
	}
}

static int gitserve_receive(int fd, struct gitstore_repo *r, const char *dir);

/* git daemon's request: "git-upload-pack /path\0host=h\0" then "\0version=2\0" when asked. */
static void serve(int fd)
{
	uint8_t req[4096];
	size_t len = 0;
	struct gitstore_pkt p;
	int rc;
	for (;;) {
		rc = gitstore_pkt_parse(req, len, &p);
		if (rc != GITSTORE_EAGAIN)
			break;
		ssize_t k = read(fd, req + len, sizeof req - len);
		if (k <= 0)
			return;
		len += (size_t)k;
	}
	if (rc < 0 || p.kind != GITSTORE_PKT_DATA)
		return;
	int version = 0;
	const uint8_t *d = p.data.p, *end = p.data.p + p.data.len;
	for (const uint8_t *q = d; q < end; q += strlen((const char *)q) + 1)
		if (end - q >= 9 && memcmp(q, "version=2", 9) == 0)
			version = 2;
	bool receive = p.data.len > 16 && memcmp(d, "git-receive-pack", 16) == 0;
	if (receive) {
		struct gitstore_repo r;
		if (gt_repo_open(&r, gitdir, GITSTORE_SHA1) == 0)
			rc = gitserve_receive(fd, &r, gitdir);
	} else {
		rc = serve_upload(fd, fd, version, req + rc, len - (size_t)rc);
	}
	if (rc < 0)
		fprintf(stderr, "gitserve: %s\n", gitstore_strerror(rc));
}

static struct gitstore_receive_update rcmds[256];
static uint8_t rpack[128 << 20];
static struct gitstore_index_slot rslots[1 << 20];
static uint8_t ridx[40 << 20];
static uint8_t rscratch[130u << 20];
static uint8_t rarena[GITSTORE_INFLATE_ARENA];

/*
 * The test's veto: with GITSERVE_VETO=REF set, an update of REF is refused
 * with a reason naming the commit, as push-to-deploy's checks will.
 */
static int veto(void *ctx, struct gitstore_receive *rcv, const struct gitstore_receive_update *up, char *reason, size_t cap)
{
	const char *v = getenv("GITSERVE_VETO");
	(void)ctx;
	if (!v || strcmp(v, up->name) != 0)
		return 0;
	int type;
	size_t needed;
	int n = gitstore_receive_obj_read(rcv, &up->new_id, &type, objbuf, sizeof objbuf, &needed);
	snprintf(reason, cap, "vetoed by the test (%s of %d bytes)", n < 0 ? "unreadable" : gitstore_type_name(type), n);
	return 1;
}

static int gitserve_receive(int fd, struct gitstore_repo *r, const char *dir)
{
	(void)dir;
	struct gitstore_receive_mem m = { inbuf, sizeof inbuf, rcmds, sizeof rcmds / sizeof rcmds[0], stage, sizeof stage,
		{ rpack, sizeof rpack, rslots, sizeof rslots / sizeof rslots[0], ridx, sizeof ridx, objbuf, sizeof objbuf,
			rscratch, sizeof rscratch, rarena, sizeof rarena, objs, sizeof objs / sizeof objs[0], windex,
			sizeof windex / sizeof windex[0], wstack } };
	static struct gitstore_receive rcv;
	unsigned flags = getenv("GITSERVE_ALLOW_NONFF") ? GITSTORE_RECEIVE_ALLOW_NONFF : 0;
	int rc = gitstore_receive_init(&rcv, r, flags, &m, veto, NULL);
	static uint8_t out[1 << 16], in[1 << 16];
	bool eof = false;
	for (;;) {
		int n;
		while ((n = gitstore_receive_output(&rcv, out, sizeof out)) > 0)
			if (write_all(fd, out, (size_t)n) < 0)
				return GITSTORE_EIO;
		if (gitstore_receive_done(&rcv) || n < 0)
			break;
		if (eof)
			return GITSTORE_EEOF;
		ssize_t k = read(fd, in, sizeof in);
		if (k <= 0) {
			eof = true;
			rc = gitstore_receive_input_end(&rcv);
			continue;
		}
		size_t off = 0;
		while (off < (size_t)k) {
			rc = gitstore_receive_input(&rcv, in + off, (size_t)k - off);
			if (rc <= 0)
				break;
			off += (size_t)rc;
		}
	}
	size_t nu;
	const struct gitstore_receive_update *u = gitstore_receive_updates(&rcv, &nu);
	for (size_t i = 0; i < nu; i++)
		fprintf(stderr, "gitserve: receive %s %s %s\n", u[i].ok ? "ok" : "ng", u[i].name, u[i].ok ? "" : u[i].reason);
	return rc < 0 ? rc : 0;
}

/* ---- smart HTTP: what httpd does with the sans-I/O machines */

static uint8_t body[160 << 20], gunz[160 << 20];

static bool read_more(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	if (*len == cap)
		return false;
	ssize_t k = read(fd, buf + *len, cap - *len);
	if (k <= 0)
		return false;
	*len += (size_t)k;
	return true;
}

static void respond_head(int fd, const char *status, const char *type)
{
	char h[512];
	int n = snprintf(h, sizeof h, "HTTP/1.1 %s\r\nContent-Type: %s\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
		status, type);
	write_all(fd, (const uint8_t *)h, (size_t)n);
}

/*
 * One request per connection. GET info/refs?service=S answers the
 * advertisement (flag ADVERTISE); POST /S feeds the body to a STATELESS
 * machine, ends its input, and streams its output as the response body.
 * Git-Protocol: version=2 picks v2 for upload-pack.
 */
static void serve_http(int fd)
{
	static uint8_t head[65536];
	size_t hl = 0;
	uint8_t *end = NULL;
	while (!(end = memmem(head, hl, "\r\n\r\n", 4)))
		if (!read_more(fd, head, sizeof head - 1, &hl))
			return;
	size_t head_len = (size_t)(end - head) + 4;
	head[head_len - 2] = 0;
	char *h = (char *)head;
	bool post = strncmp(h, "POST ", 5) == 0;
	int version = strstr(h, "Git-Protocol: version=2") || strstr(h, "git-protocol: version=2") ? 2 : 0;
	bool receive = strstr(h, post ? "/git-receive-pack HTTP/" : "service=git-receive-pack") != NULL;
	bool upload = strstr(h, post ? "/git-upload-pack HTTP/" : "service=git-upload-pack") != NULL;
	if (!receive && !upload) {
		respond_head(fd, "404 Not Found", "text/plain");
		return;
	}
	/* The body: Content-Length or chunked, maybe gzip (git compresses large upload-pack requests). */
	size_t blen = 0, have = hl - head_len;
	memcpy(body, head + head_len, have);
	blen = have;
	const char *cl = strcasestr(h, "\r\nContent-Length:");
	if (post && cl) {
		size_t want = (size_t)strtoul(cl + 17, NULL, 10);
		while (blen < want && read_more(fd, body, want, &blen))
			;
	} else if (post && strcasestr(h, "Transfer-Encoding: chunked")) {
		static uint8_t raw[160 << 20];
		size_t rl = blen, off = 0;
		memcpy(raw, body, blen);
		blen = 0;
		for (;;) {
			uint8_t *crlf;
			while (!(crlf = memmem(raw + off, rl - off, "\r\n", 2)))
				if (!read_more(fd, raw, sizeof raw, &rl))
					return;
			size_t n = (size_t)strtoul((char *)raw + off, NULL, 16);
			off = (size_t)(crlf - raw) + 2;
			if (n == 0)
				break;
			while (rl < off + n + 2)
				if (!read_more(fd, raw, sizeof raw, &rl))
					return;
			memcpy(body + blen, raw + off, n);
			blen += n;
			off += n + 2;
		}
	}
	const uint8_t *in = body;
	size_t in_len = blen;
	if (post && strcasestr(h, "Content-Encoding: gzip")) {
		z_stream z = { 0 };
		inflateInit2(&z, 15 + 32);
		z.next_in = body;
		z.avail_in = (uInt)blen;
		z.next_out = gunz;
		z.avail_out = sizeof gunz;
		int zr = inflate(&z, Z_FINISH);
		in_len = z.total_out;
		inflateEnd(&z);
		if (zr != Z_STREAM_END)
			return;
		in = gunz;
	}

	struct gitstore_repo r;
	if (gt_repo_open(&r, gitdir, GITSTORE_SHA1) < 0)
		return;
	static uint8_t out[1 << 16];
	int n;
	if (upload) {
		struct gitstore_upload_mem m = { objs, sizeof objs / sizeof objs[0], windex, sizeof windex / sizeof windex[0],
			wstack, inbuf, sizeof inbuf, objbuf, sizeof objbuf, stage, sizeof stage, deflate_arena,
			sizeof deflate_arena };
		static struct gitstore_upload u;
		gitstore_upload_init(&u, &r, version, post ? GITSTORE_UPLOAD_STATELESS : GITSTORE_UPLOAD_ADVERTISE, &m);
		respond_head(fd, "200 OK", post ? "application/x-git-upload-pack-result" :
			"application/x-git-upload-pack-advertisement");
		size_t off = 0;
		while (post && off < in_len) {
			int k = gitstore_upload_input(&u, in + off, in_len - off);
			if (k < 0)
				break;
			off += (size_t)k;
			/* k == 0: output is pending (the machine answers before it reads on) */
			while ((n = gitstore_upload_output(&u, out, sizeof out)) > 0)
				write_all(fd, out, (size_t)n);
			if (gitstore_upload_done(&u))
				break;
		}
		if (post)
			gitstore_upload_input_end(&u);
		while ((n = gitstore_upload_output(&u, out, sizeof out)) > 0)
			write_all(fd, out, (size_t)n);
		return;
	}
	struct gitstore_receive_mem m = { inbuf, sizeof inbuf, rcmds, sizeof rcmds / sizeof rcmds[0], stage, sizeof stage,
		{ rpack, sizeof rpack, rslots, sizeof rslots / sizeof rslots[0], ridx, sizeof ridx, objbuf, sizeof objbuf,
			rscratch, sizeof rscratch, rarena, sizeof rarena, objs, sizeof objs / sizeof objs[0], windex,
			sizeof windex / sizeof windex[0], wstack } };
	static struct gitstore_receive rcv;
	gitstore_receive_init(&rcv, &r, post ? GITSTORE_RECEIVE_STATELESS : GITSTORE_RECEIVE_ADVERTISE, &m, veto, NULL);
	respond_head(fd, "200 OK", post ? "application/x-git-receive-pack-result" :
		"application/x-git-receive-pack-advertisement");
	if (post) {
		size_t off = 0;
		while (off < in_len) {
			int k = gitstore_receive_input(&rcv, in + off, in_len - off);
			if (k <= 0)
				break;
			off += (size_t)k;
		}
		gitstore_receive_input_end(&rcv);
	}
	while ((n = gitstore_receive_output(&rcv, out, sizeof out)) > 0)
		write_all(fd, out, (size_t)n);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: gitserve GITDIR [PORT]\n");
		return 2;
	}
	gitdir = argv[1];
	bool use_http = argc > 2 && strcmp(argv[2], "--http") == 0;
	if (argc > 2 && strcmp(argv[2], "--stdio") == 0) {
		/* upload-pack over stdin/stdout, as git-upload-pack runs under ssh or file://. */
		int rc = serve_upload(0, 1, argc > 3 ? atoi(argv[3]) : 0, NULL, 0);
		return rc < 0 ? 1 : 0;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_port = htons(argc > 2 && !use_http ? (uint16_t)atoi(argv[2]) : 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) {
		perror("bind");
		return 1;
	}
	socklen_t al = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &al);
	printf("%d\n", ntohs(a.sin_port));
	fflush(stdout);
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			close(s);
			if (use_http)
				serve_http(c);
			else
				serve(c);
			shutdown(c, SHUT_WR);
			close(c);
			_exit(0);
		}
		close(c);
	}
}
