/* One worker: a listener, the connections it accepted, a content source
 * and an access log buffer, all owned by one thread and its loop. */
#include "httpd.h"
#include "source.h"
#include "source_git.h"
#include "urlpath.h"
#include "git_http.h"

#include <cl_posix.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP 16384  /* a request head must fit (431 otherwise); only touched pages cost */
#define OUT_CAP 8192  /* response heads, part headers, pread bounce space */
#define NHDR 64
#define LOG_CAP 65536
#define LOG_FLUSH_MS 200
#define FREE_KEEP 1024
#define LINGER_MS 2000    /* draining a closed connection's unread input */
#define LINGER_BYTES (1u << 20)
#define BATCH 16          /* responses to pipelined requests sent together */
#define COPY_CAP (128u << 10) /* file bytes copied per send when more responses wait */
#define SENDV_MAX 64      /* iovs taken per send (libhttp hands over at most 64) */

struct worker;

struct conn {
	struct cl_stream s; /* first: the stream ops get the conn as ctx */
	struct http_conn h;
	struct cl_timer t;
	struct worker *w;
	struct conn *wprev, *wnext; /* waiting list (or the free list) */
	struct conn *aprev, *anext; /* every live connection */
	bool waiting;
	bool rd;       /* the socket may hold bytes: a recv is worth a syscall */
	bool wblocked; /* the socket took less than offered: output pending */
	bool lingering; /* shut down for writing; draining input, then close */
	size_t drained;
	bool last;     /* max_requests reached: close after this response */
	bool broken;   /* a request could not be answered at all: drop */
	bool to_git;   /* a smart HTTP request: handed to git_http's thread */
	bool detached; /* owned by that thread now: blocking ops on gitfd */
	bool git_finished;
	int gitfd;
	uint64_t nreq;
	/* The contents of the responses being sent: more than one when
	 * libhttp holds back responses to pipelined requests (max_batch). */
	struct src_entry *ent[BATCH];
	int nent;
	struct cl_addr peer;
	struct http_header hdr[NHDR];
	uint8_t in[IN_CAP];
	uint8_t out[OUT_CAP];
};

struct worker {
	const struct config *cfg;
	struct cl_loop *loop;
	unsigned index;
	struct cl_listener lis;
	struct source src;
	struct http_conn_cfg hcfg;
	struct http_static_cfg scfg;
	struct http_date_cache dates; /* the Date of this second, formatted once */
	uint64_t wall_at;             /* loop time (ms) scfg.now was read at */
	char boundary[33];
	unsigned nconns, max_conns;
	uint64_t evicted, refused;
	struct conn *wait_old, *wait_new; /* waiting on their client, oldest first */
	struct conn *all;
	struct conn *free;
	unsigned nfree;
	char log[LOG_CAP];
	size_t loglen;
	struct cl_timer logt;
	int64_t log_sec;
	char log_time[40];
	uint8_t scratch[OUT_CAP];
	uint8_t copy[COPY_CAP];
};

/* ---- stream ops over cl_stream, with two syscall savers ---------------- */

static int op_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct conn *c = ctx;
	if (c->detached)
		return git_http_op_recv(c->gitfd, c->git_finished, buf, cap);
	/* Level-triggered epoll says when bytes arrive; after a recv that did
	 * not fill the buffer the socket is drained, so another would only
	 * return EAGAIN. */
	if (!c->rd)
		return 0;
	int r = cl_stream_recv(&c->s, buf, cap);
	if (r >= 0 && (size_t)r < cap)
		c->rd = false;
	return r;
}

/* The span of a held entry that p falls in, or NULL. */
static const struct src_span *span_of(const struct conn *c, const void *p)
{
	for (int k = 0; k < c->nent; k++) {
		const struct src_entry *e = c->ent[k];
		for (int i = 0; i < e->nspan; i++) {
			const struct src_span *s = &e->span[i];
			if ((const uint8_t *)p >= s->base && (const uint8_t *)p < s->base + s->len)
				return s;
		}
	}
	return NULL;
}

/* The bytes of span sp that v names: the file offset in *off, the length
 * at most cap. */
static size_t span_part(const struct http_iov *v, const struct src_span *sp, off_t *off, size_t cap)
{
	*off = (off_t)((const uint8_t *)v->base - sp->base);
	size_t len = v->len;
	if ((uint64_t)*off + len > sp->len)
		len = (size_t)(sp->len - (uint64_t)*off);
	return len > cap ? cap : len;
}

/* One sendmsg of want bytes that never blocks: the bytes sent, or -2 on an
 * error; a full socket (fewer sent, or none) sets c->wblocked. */
static int send_msg(struct conn *c, const struct msghdr *mh, size_t want, int flags)
{
	ssize_t r;
	do
		r = sendmsg(cl_stream_fd(&c->s), mh, flags | MSG_NOSIGNAL | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -2;
	if (r < 0 || (size_t)r < want)
		c->wblocked = true;
	return r < 0 ? 0 : (int)r;
}

/* Bytes of a file-backed span go out with sendfile: no copy through user
 * space, which is most of the cost of a large response. What precedes
 * them in the gather list (the head) goes first with MSG_MORE, so head and
 * body still leave in full segments.
 *
 * Except when more responses wait behind this one (pipelined requests, or
 * the parts of a multipart/byteranges body): then the socket's queue is
 * deep, and spliced pages go out in more, smaller segments than copied
 * bytes do, each paced and acknowledged on its own. With 16 pipelined
 * requests for a 100 KB file, sendfile cost ~50 us a response against ~20
 * us for pread and one sendmsg of head and body (bench/http/README.md).
 * The copy goes through the worker's buffer, at most COPY_CAP at a time. */
static int send_copied(struct conn *c, const struct http_iov *iov, int k,
		const struct src_span *sp)
{
	struct iovec v[SENDV_MAX];
	size_t want = 0;
	for (int i = 0; i < k; i++) {
		v[i] = (struct iovec){ (void *)(uintptr_t)iov[i].base, iov[i].len };
		want += iov[i].len;
	}
	off_t off;
	size_t len = span_part(&iov[k], sp, &off, COPY_CAP);
	ssize_t g;
	do
		g = pread(sp->fd, c->w->copy, len, off);
	while (g < 0 && errno == EINTR);
	if (g <= 0) /* an error, or the file shrank under us */
		return -2;
	v[k] = (struct iovec){ c->w->copy, (size_t)g };
	want += (size_t)g;
	struct msghdr mh = { .msg_iov = v, .msg_iovlen = (size_t)k + 1 };
	return send_msg(c, &mh, want, 0);
}

static int send_with_file(struct conn *c, const struct http_iov *iov, int k,
		int n, const struct src_span *sp)
{
	if (k + 1 < n)
		return send_copied(c, iov, k, sp);
	int fd = cl_stream_fd(&c->s);
	size_t total = 0;
	if (k > 0) {
		size_t want = 0;
		for (int i = 0; i < k; i++)
			want += iov[i].len;
		struct msghdr mh = { .msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)k };
		int r = send_msg(c, &mh, want, MSG_MORE);
		if (r < 0 || c->wblocked) /* op_sendv only sends when not blocked */
			return r;
		total = (size_t)r;
	}
	off_t off;
	size_t len = span_part(&iov[k], sp, &off, 1u << 30);
	ssize_t r;
	do
		r = sendfile(fd, sp->fd, &off, len);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->wblocked = true;
		return (int)total;
	}
	if (r <= 0) /* an error, or the file shrank under us */
		return total ? (int)total : -2;
	if ((size_t)r < len)
		c->wblocked = true;
	return (int)(total + (size_t)r);
}

static int op_sendv(void *ctx, const struct http_iov *iov, int n)
{
	struct conn *c = ctx;
	if (c->detached)
		return git_http_op_sendv(c->gitfd, iov, n);
	if (c->wblocked)
		return 0; /* short last time: the socket buffer is full */
	if (n > SENDV_MAX)
		n = SENDV_MAX; /* a short write, which the ops contract allows */
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		const struct src_span *sp = span_of(c, iov[i].base);
		if (sp)
			return send_with_file(c, iov, i, n, sp);
		total += iov[i].len;
	}
	int r = cl_stream_sendv(&c->s, (const struct cl_iov *)(const void *)iov, n);
	if (r == 0 || (r > 0 && (size_t)r < total))
		c->wblocked = true;
	return r;
}

static int op_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct http_iov v = { buf, len };
	return op_sendv(ctx, &v, 1);
}

static void op_close(void *ctx)
{
	/* Not a close yet: closing with unread request bytes in the socket
	 * makes the kernel send a reset, which can destroy the response the
	 * client has not read yet (RFC 9112 9.6). Shut down the sending side
	 * and drain; conn_run finishes it. */
	struct conn *c = ctx;
	if (c->detached) {
		shutdown(c->gitfd, SHUT_WR);
		return;
	}
	c->lingering = true;
	cl_stream_shutdown(&c->s);
}

static const struct http_stream_ops conn_ops = { op_recv, op_send, op_sendv, op_close };

/* ---- access log ------------------------------------------------------- */

static void log_flush(struct worker *w)
{
	if (w->loglen)
		alog_write(w->log, w->loglen);
	w->loglen = 0;
	cl_timer_cancel(&w->logt);
}

static void on_log_timer(void *arg)
{
	log_flush(arg);
}

static size_t put_esc(char *o, size_t n, size_t cap, const uint8_t *p, size_t len)
{
	/* nginx's escaping: '"', '\' and bytes outside printable ASCII as \xHH. */
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len && n + 4 < cap; i++) {
		uint8_t b = p[i];
		if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') {
			o[n++] = '\\';
			o[n++] = 'x';
			o[n++] = hex[b >> 4];
			o[n++] = hex[b & 15];
		} else {
			o[n++] = (char)b;
		}
	}
	return n;
}

static size_t put_str(char *o, size_t n, size_t cap, const char *s)
{
	size_t l = strlen(s);
	if (l > cap - n)
		l = cap - n;
	memcpy(o + n, s, l);
	return n + l;
}

static size_t put_quoted(char *o, size_t n, size_t cap, struct http_str v)
{
	n = put_str(o, n, cap, "\"");
	if (v.len)
		n = put_esc(o, n, cap, v.p, v.len);
	else
		n = put_str(o, n, cap, "-");
	return put_str(o, n, cap, "\"");
}

/* What a log line says of its request: all empty for none. */
struct logreq {
	struct http_str method, target, referer, agent;
	int minor_version;
};

static struct logreq logreq_of(const struct http_request *req)
{
	struct logreq r = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, 1 };
	if (!req)
		return r;
	const struct http_header *f = http_header_find(req->headers, req->num_headers, "referer");
	const struct http_header *a = http_header_find(req->headers, req->num_headers, "user-agent");
	r.method = req->method;
	r.target = req->target;
	r.minor_version = req->minor_version;
	if (f)
		r.referer = f->value;
	if (a)
		r.agent = a->value;
	return r;
}

static struct http_str str_of(const char *s)
{
	return (struct http_str){ (const uint8_t *)s, strlen(s) };
}

/* One line in the combined log format (nginx's and Apache's "combined"):
 * addr - - [time] "request" status bytes "referer" "user-agent". */
static size_t format_line(char *line, size_t size, const struct cl_addr *peer, const char *when,
		const struct logreq *req, int status, uint64_t bytes)
{
	size_t cap = size - 1, n = 0;
	char addr[CL_ADDR_STRLEN];
	struct cl_addr a = *peer;
	if (cl_addr_format(&a, addr, sizeof addr) < 0)
		strcpy(addr, "-");
	else if (a.family == 6 && addr[0] == '[')
		*strrchr(addr, ']') = '\0';
	else if (strrchr(addr, ':'))
		*strrchr(addr, ':') = '\0';
	n = put_str(line, n, cap, addr[0] == '[' ? addr + 1 : addr);
	n = put_str(line, n, cap, " - - [");
	n = put_str(line, n, cap, when);
	n = put_str(line, n, cap, "] \"");
	if (req->method.len) {
		n = put_esc(line, n, cap, req->method.p, req->method.len);
		n = put_str(line, n, cap, " ");
		n = put_esc(line, n, cap, req->target.p, req->target.len);
		n = put_str(line, n, cap, req->minor_version == 0 ? " HTTP/1.0" : " HTTP/1.1");
	} else {
		n = put_str(line, n, cap, "-");
	}
	char num[48];
	snprintf(num, sizeof num, "\" %d %llu ", status, (unsigned long long)bytes);
	n = put_str(line, n, cap, num);
	n = put_quoted(line, n, cap, req->referer);
	n = put_str(line, n, cap, " ");
	n = put_quoted(line, n, cap, req->agent);
	line[n++] = '\n';
	return n;
}

static void log_time(int64_t now, char *out, size_t cap)
{
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%d/%b/%Y:%H:%M:%S +0000", &tm);
}

static void log_line(struct worker *w, struct conn *c, const struct http_request *req, int status,
		uint64_t bytes)
{
	if (!alog_on())
		return;
	int64_t now = cl_wall_s();
	if (now != w->log_sec) {
		log_time(now, w->log_time, sizeof w->log_time);
		w->log_sec = now;
	}
	char line[4096];
	struct logreq lr = logreq_of(req);
	size_t n = format_line(line, sizeof line, &c->peer, w->log_time, &lr, status, bytes);
	if (w->loglen + n > sizeof w->log)
		log_flush(w);
	memcpy(w->log + w->loglen, line, n);
	w->loglen += n;
	if (!cl_timer_armed(&w->logt))
		cl_timer_set(w->loop, &w->logt, cl_loop_now(w->loop) + LOG_FLUSH_MS);
}

/* ---- connections ------------------------------------------------------ */

static void wait_remove(struct worker *w, struct conn *c)
{
	if (!c->waiting)
		return;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		w->wait_old = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	else
		w->wait_new = c->wprev;
	c->waiting = false;
}

static void wait_add(struct worker *w, struct conn *c)
{
	if (c->waiting)
		return;
	c->wnext = NULL;
	c->wprev = w->wait_new;
	if (w->wait_new)
		w->wait_new->wnext = c;
	else
		w->wait_old = c;
	w->wait_new = c;
	c->waiting = true;
}

/* Every entry held: no response bytes are queued any more. */
static void release(struct conn *c)
{
	while (c->nent > 0)
		c->w->src.ops->put(c->w->src.ctx, c->ent[--c->nent]);
}

/* The entry of the response being answered, which went unused. */
static void release_last(struct conn *c, struct src_entry *e)
{
	if (c->nent > 0 && c->ent[c->nent - 1] == e)
		c->w->src.ops->put(c->w->src.ctx, c->ent[--c->nent]);
}

/* Hold e until its response is sent. libhttp hands over at most BATCH
 * requests before their responses are all out, and release() empties the
 * list whenever they are; a full list is a broken promise: drop. */
static bool hold(struct conn *c, struct src_entry *e)
{
	if (c->nent == BATCH) {
		c->w->src.ops->put(c->w->src.ctx, e);
		c->broken = true;
		return false;
	}
	c->ent[c->nent++] = e;
	return true;
}

/* c is no longer one of the worker's connections: its stream is closed,
 * its timer stopped, and it is on none of the worker's lists. */
static void conn_leave(struct conn *c)
{
	struct worker *w = c->w;
	cl_stream_close(&c->s);
	cl_timer_cancel(&c->t);
	wait_remove(w, c);
	if (c->aprev)
		c->aprev->anext = c->anext;
	else
		w->all = c->anext;
	if (c->anext)
		c->anext->aprev = c->aprev;
	w->nconns--;
}

static void conn_free(struct conn *c)
{
	struct worker *w = c->w;
	conn_leave(c);
	release(c);
	if (w->nfree < FREE_KEEP) {
		c->wnext = w->free;
		w->free = c;
		w->nfree++;
	} else {
		free(c);
	}
}

/* e: the held entry the body is from, or NULL. */
static int respond(struct conn *c, const struct http_request *req, int status, const char *fields,
		const uint8_t *body, size_t len, struct src_entry *e)
{
	struct http_str f = { (const uint8_t *)fields, strlen(fields) };
	int r = http_conn_respond(&c->h, status, f, body, len);
	if (r < 0) {
		/* The head did not fit the output buffer (a huge Location):
		 * a bare 500 always does; if even that fails, drop the
		 * connection rather than leave the request unanswered. */
		release_last(c, e);
		status = 500;
		len = 0;
		r = http_conn_respond(&c->h, 500, (struct http_str){ (const uint8_t *)"", 0 }, NULL, 0);
		if (r < 0)
			c->broken = true;
	}
	log_line(c->w, c, req, status, req->meth == HTTP_M_HEAD ? 0 : len);
	return r;
}

static void simple(struct conn *c, const struct http_request *req, int status, const char *extra)
{
	char fields[256];
	char body[64];
	int blen = snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
	snprintf(fields, sizeof fields, "Content-Type: text/plain; charset=utf-8\r\n%s", extra);
	respond(c, req, status, fields, (const uint8_t *)body, (size_t)blen, NULL);
}

static void not_found(struct conn *c, const struct http_request *req, uint64_t now,
		const char *extra)
{
	struct worker *w = c->w;
	/* The site's own 404 page, from the root, when it has one. */
	static const char page[] = "404.html";
	struct src_entry *e = w->src.ops->get(w->src.ctx, page, sizeof page - 1, now);
	if (e->kind == SRC_FILE && e->content.data && e->content.size < (1u << 30)) {
		char fields[256];
		snprintf(fields, sizeof fields, "Content-Type: %.*s\r\n%s",
			(int)e->content.type.len, (const char *)e->content.type.p, extra);
		if (hold(c, e))
			respond(c, req, 404, fields, e->content.data, (size_t)e->content.size, e);
		return;
	}
	w->src.ops->put(w->src.ctx, e);
	simple(c, req, 404, extra);
}

static void serve_content(struct conn *c, const struct http_request *req,
		const struct http_content *content, struct src_entry *e, struct http_str extra)
{
	struct worker *w = c->w;
	w->scfg.extra = extra;
	if (e && !hold(c, e))
		return;
	if (alog_on()) {
		/* libhttp decides the status (304, 206, 412, ...) inside; a dry
		 * run of the same pure function tells the log what it will be. */
		struct http_static st;
		if (http_static_respond(&st, req, content, &w->scfg, w->scratch,
				sizeof w->scratch) == 0)
			log_line(w, c, req, st.status, st.body_len);
		else
			log_line(w, c, req, 500, 0);
	}
	if (http_conn_static(&c->h, content, &w->scfg) < 0) {
		release_last(c, e);
		simple(c, req, 500, "");
	}
}

static void handle(struct conn *c, uint64_t now)
{
	struct worker *w = c->w;
	const struct config *cfg = w->cfg;
	const struct http_request *req = http_conn_request(&c->h);
	if (!http_conn_sending(&c->h))
		release(c);
	if (w->src.ops->begin)
		w->src.ops->begin(w->src.ctx, now);
	c->nreq++;
	static const char close_line[] = "Connection: close\r\n";
	const char *extra = "";
	if (cfg->max_requests && c->nreq >= cfg->max_requests && req->keep_alive) {
		/* RFC 9112 9.6: announce the close in the last response. An
		 * HTTP/1.0 keep-alive client gets "keep-alive" from libhttp and
		 * simply sees the close. */
		c->last = true;
		if (req->minor_version >= 1)
			extra = close_line;
	}
	struct http_str xs = { (const uint8_t *)extra, strlen(extra) };

	int gr = git_http_route(cfg->githttp, req);
	if (gr == GIT_HTTP_MINE) {
		c->to_git = true; /* conn_run hands it over */
		return;
	}
	if (gr == GIT_HTTP_NOT_FOUND) {
		simple(c, req, 404, extra);
		return;
	}

	if (req->target.len == 1 && req->target.p[0] == '*') {
		/* RFC 9110 9.3.7: "OPTIONS *" asks about the server itself. */
		if (req->meth == HTTP_M_OPTIONS) {
			char f[128];
			snprintf(f, sizeof f, "Allow: GET, HEAD, OPTIONS\r\n%s", extra);
			respond(c, req, 204, f, NULL, 0, NULL);
		} else {
			c->last = true;
			simple(c, req, 400, req->minor_version >= 1 ? close_line : "");
		}
		return;
	}
	char path[IN_CAP];
	struct urlpath up;
	int r = urlpath_resolve(&up, req->target.p, req->target.len, path, sizeof path);
	if (r == URLPATH_BAD || r == URLPATH_TOOLONG) {
		/* A target we refuse: answer and close, as for a malformed
		 * request. */
		c->last = true;
		simple(c, req, r == URLPATH_BAD ? 400 : 414, req->minor_version >= 1 ? close_line : "");
		return;
	}
	if (req->meth != HTTP_M_GET && req->meth != HTTP_M_HEAD) {
		/* Whatever the path names, only GET and HEAD are served:
		 * libhttp answers OPTIONS 204, known methods 405 with Allow,
		 * unknown ones 501 (RFC 9110 15.5.6, 15.6.2). */
		static const struct http_content none;
		serve_content(c, req, &none, NULL, xs);
		return;
	}
	if (r == URLPATH_HIDDEN) {
		not_found(c, req, now, extra);
		return;
	}
	struct src_entry *e = w->src.ops->get(w->src.ctx, up.path, up.len, now);
	switch (e->kind) {
	case SRC_FILE:
		serve_content(c, req, &e->content, e, xs);
		return;
	case SRC_DIR: {
		/* RFC 9110 15.4.2: the directory's URL ends in '/'; a relative
		 * Location (RFC 9110 10.2.2) keeps whatever authority the client
		 * used. The raw path passed the parser: visible ASCII only. */
		w->src.ops->put(w->src.ctx, e);
		char f[IN_CAP + 128];
		int n = snprintf(f, sizeof f, "Location: %.*s/%s%.*s\r\n%s", (int)up.raw_len,
			(const char *)up.raw, up.query ? "?" : "", (int)up.query_len,
			up.query ? (const char *)up.query : "", extra);
		if (n <= 0 || (size_t)n >= sizeof f) {
			simple(c, req, 414, extra);
			return;
		}
		char body[] = "301 Moved Permanently\n";
		char fields[IN_CAP + 200];
		snprintf(fields, sizeof fields, "Content-Type: text/plain; charset=utf-8\r\n%s", f);
		respond(c, req, 301, fields, (const uint8_t *)body, sizeof body - 1, NULL);
		return;
	}
	default:
		w->src.ops->put(w->src.ctx, e);
		not_found(c, req, now, extra);
		return;
	}
}

/* Keep the timer at or before libhttp's deadline. A deadline that moves
 * later (every request pushes the idle timeout out) leaves the timer where
 * it is: when it fires early, poll finds nothing due and this re-arms it.
 * That keeps the timer heap out of the per-request path. */
static void arm(struct conn *c)
{
	uint64_t d = http_conn_next_deadline(&c->h);
	if (!cl_timer_armed(&c->t) || d < c->t.deadline)
		cl_timer_set(c->w->loop, &c->t, d);
}

static void linger_start(struct conn *c)
{
	struct worker *w = c->w;
	if (!c->lingering) {
		c->lingering = true;
		cl_stream_shutdown(&c->s);
	}
	release(c);
	wait_add(w, c); /* may be cut first at the connection limit */
	cl_stream_want(&c->s, CL_READ);
	uint64_t t = w->cfg->idle_timeout_ms < LINGER_MS ? w->cfg->idle_timeout_ms : LINGER_MS;
	cl_timer_set(w->loop, &c->t, cl_loop_now(w->loop) + t);
}

/* Drop input until the peer's EOF, an error, a bound, or the timer. */
static void linger_step(struct conn *c)
{
	for (int i = 0; i < 16; i++) {
		int r = cl_stream_recv(&c->s, c->in, sizeof c->in);
		if (r == 0)
			return;
		if (r < 0 || (c->drained += (size_t)r) > LINGER_BYTES) {
			conn_free(c);
			return;
		}
	}
}

/* On the Git request's thread, once it is answered: its log line goes
 * straight to the log (whole lines are written atomically), then the
 * connection is gone. */
static void git_done(void *arg, const struct git_http_logrec *rec)
{
	struct conn *c = arg;
	if (alog_on() && rec && rec->status) {
		char when[64], line[4096];
		log_time(cl_wall_s(), when, sizeof when);
		struct logreq lr = { str_of(rec->method), str_of(rec->target), str_of(rec->referer), str_of(rec->agent),
			rec->minor_version };
		size_t n = format_line(line, sizeof line, &c->peer, when, &lr, rec->status, rec->bytes);
		alog_write(line, n);
	}
	close(c->gitfd);
	free(c);
}

/* A smart HTTP request leaves the loop: the connection is taken out of the
 * worker as conn_free does, but its memory (the request and the buffered
 * body bytes in c->h) goes to git_http's thread with a blocking duplicate
 * of the socket. */
static void to_git(struct conn *c)
{
	struct worker *w = c->w;
	int fd = fcntl(cl_stream_fd(&c->s), F_DUPFD_CLOEXEC, 0);
	conn_leave(c);
	if (fd < 0) {
		release(c);
		free(c);
		return;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	c->detached = true;
	c->git_finished = false;
	c->gitfd = fd;
	/* Responses held back for pipelined requests before this one go out
	 * first, on the now blocking socket, while their entries are held. */
	if (http_conn_sending(&c->h))
		http_conn_poll(&c->h, cl_loop_now(w->loop));
	release(c);
	if (git_http_serve(w->cfg->githttp, &c->h, fd, &c->git_finished, git_done, c) < 0)
		git_done(c, NULL);
}

static void conn_run(struct conn *c)
{
	struct worker *w = c->w;
	uint64_t now = cl_loop_now(w->loop);
	/* The wall clock once per loop tick, not per event. */
	if (now != w->wall_at || w->scfg.now < 0) {
		w->scfg.now = cl_wall_s();
		w->wall_at = now;
	}
	int64_t wall = w->scfg.now;
	http_conn_set_wallclock(&c->h, wall);
	int r;
	for (;;) {
		r = http_conn_poll(&c->h, now);
		if (r != HTTP_CONN_REQUEST)
			break;
		if (c->last) {
			/* The announced last response is out (once libhttp
			 * has sent what it held back, which poll does in this
			 * state); a pipelined request after it is not
			 * answered. */
			if (http_conn_sending(&c->h)) {
				cl_stream_want(&c->s, CL_WRITE);
				arm(c);
				return;
			}
			linger_start(c);
			return;
		}
		wait_remove(w, c);
		handle(c, now);
		if (c->to_git) {
			to_git(c);
			return;
		}
		if (c->broken) {
			conn_free(c);
			return;
		}
	}
	if (r != HTTP_CONN_IDLE) {
		int st = r < 0 ? http_err_status(r) : 0;
		if (r == HTTP_ETIMEDOUT)
			st = 408;
		if (st)
			log_line(w, c, NULL, st, 0);
		linger_start(c);
		return;
	}
	/* Poll's work is bounded: a deadline of now means it stopped with
	 * work left (a response still going out), not that it waits. */
	bool busy = c->wblocked || http_conn_next_deadline(&c->h) <= now;
	if (!busy) {
		release(c);
		if (c->last) {
			linger_start(c);
			return;
		}
		wait_add(w, c);
	}
	cl_stream_want(&c->s, c->wblocked ? CL_WRITE : CL_READ);
	arm(c);
}

static void on_io(void *arg, unsigned ev)
{
	struct conn *c = arg;
	if (c->lingering) {
		linger_step(c);
		return;
	}
	if (ev & (CL_READ | CL_HUP | CL_ERROR))
		c->rd = true;
	if (ev & (CL_WRITE | CL_HUP | CL_ERROR))
		c->wblocked = false;
	conn_run(c);
}

static void on_timer(void *arg)
{
	struct conn *c = arg;
	if (c->lingering) {
		conn_free(c);
		return;
	}
	c->rd = true;
	c->wblocked = false;
	conn_run(c);
}

static void on_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct worker *w = arg;
	if (w->nconns >= w->max_conns) {
		/* At the limit: make room by closing the connection that has
		 * waited longest on its client (an idle keep-alive one, or one
		 * dribbling a head), as a slowloris attacker's connections are;
		 * connections with a response in flight are never cut. */
		if (!w->wait_old) {
			close(fd);
			w->refused++;
			return;
		}
		conn_free(w->wait_old);
		w->evicted++;
	}
	struct conn *c = w->free;
	if (c) {
		w->free = c->wnext;
		w->nfree--;
	} else {
		c = malloc(sizeof *c);
		if (!c) {
			close(fd);
			w->refused++;
			return;
		}
	}
	/* Only the fields below are set: the buffers need no clearing. */
	c->w = w;
	c->waiting = false;
	c->rd = false;
	c->wblocked = false;
	c->lingering = false;
	c->drained = 0;
	c->last = false;
	c->broken = false;
	c->to_git = false;
	c->detached = false;
	c->git_finished = false;
	c->gitfd = -1;
	c->nreq = 0;
	c->nent = 0;
	c->peer = *peer;
	if (cl_stream_init(&c->s, w->loop, fd, on_io, c) < 0) {
		c->wnext = w->free;
		w->free = c;
		w->nfree++;
		return;
	}
	uint64_t now = cl_loop_now(w->loop);
	http_conn_init(&c->h, &conn_ops, c, c->in, sizeof c->in, c->out, sizeof c->out, c->hdr, NHDR,
		&w->hcfg, now);
	cl_timer_init(&c->t, on_timer, c);
	c->aprev = NULL;
	c->anext = w->all;
	if (w->all)
		w->all->aprev = c;
	w->all = c;
	w->nconns++;
	wait_add(w, c);
	arm(c);
}

static void on_reload(struct cl_loop *loop, void *arg)
{
	struct worker *w = arg;
	(void)loop;
	log_flush(w);
	if (w->index == 0 && alog_reopen() < 0)
		cl_log(CL_LOG_ERROR, "reopening the access log: %s", strerror(errno));
	w->src.ops->reload(w->src.ctx);
	cl_log(CL_LOG_INFO, "reloaded: cache dropped%s", w->index == 0 ? ", access log reopened" : "");
}

int server_worker(struct cl_loop *loop, unsigned index, void *arg)
{
	const struct config *cfg = arg;
	struct worker *w = calloc(1, sizeof *w);
	if (!w) {
		cl_log(CL_LOG_ERROR, "out of memory");
		return 1;
	}
	w->cfg = cfg;
	w->loop = loop;
	w->index = index;
	w->max_conns = cfg->max_conns / cfg->workers;
	if (w->max_conns == 0)
		w->max_conns = 1;
	/* The limit is ours (with eviction), not the loop's (which refuses). */
	loop->max_conns = 0;
	http_conn_cfg_default(&w->hcfg);
	w->hcfg.header_timeout_ms = cfg->header_timeout_ms;
	w->hcfg.idle_timeout_ms = cfg->idle_timeout_ms;
	/* libhttp's linger reads on without a half-close, so the client sees
	 * no EOF until it ends; the close op here shuts down first, then
	 * drains (see op_close). */
	w->hcfg.linger_ms = 0;
	/* Pipelined requests that arrive together are answered together,
	 * in one gather send (the entries are held in conn.ent). */
	w->hcfg.max_batch = BATCH;
	w->hcfg.limits.max_head = IN_CAP; /* request line: libhttp's 8 KiB (414 above) */
	w->hcfg.limits.max_headers = NHDR;
	/* Request bodies are only ever read by git push (git_http.c, which
	 * holds a pack of up to GIT_HTTP_MAX_BODY); elsewhere they are
	 * dropped. */
	w->hcfg.limits.max_body = cfg->githttp && !cfg->githttp->no_serve ? GIT_HTTP_MAX_BODY : 1u << 20;
	/* A multipart boundary per worker from the kernel's random source. */
	uint8_t rnd[16];
	cl_random(NULL, rnd, sizeof rnd);
	for (int i = 0; i < 16; i++)
		snprintf(w->boundary + 2 * i, 3, "%02x", rnd[i]);
	w->scfg.boundary = (struct http_str){ (const uint8_t *)w->boundary, 32 };
	w->scfg.now = -1;
	http_date_cache_init(&w->dates);
	w->scfg.dates = &w->dates;
	cl_timer_init(&w->logt, on_log_timer, w);
	struct dirsrc_cfg dc = {
		.rootfd = cfg->rootfd,
		.cache_bytes = cfg->cache_bytes,
		.cache_entries = cfg->cache_entries,
		.max_mem_file = cfg->max_mem_file,
		.gzip_min = cfg->gzip_min,
		.gzip_max = cfg->gzip_max,
		.valid_ms = cfg->cache_valid_ms,
	};
	struct gitsrc_cfg gc = {
		.shared = cfg->git,
		.cache_bytes = cfg->cache_bytes,
		.cache_entries = cfg->cache_entries,
		.gzip_min = cfg->gzip_min,
		.gzip_max = cfg->gzip_max,
	};
	if (cfg->git ? gitsrc_open(&w->src, &gc) < 0 : dirsrc_open(&w->src, &dc) < 0) {
		cl_log(CL_LOG_ERROR, "out of memory");
		free(w);
		return 1;
	}
	if (cl_listener_open(&w->lis, loop, cfg->listen, CL_REUSEPORT, on_accept, w) < 0) {
		cl_log(CL_LOG_ERROR, "cannot listen on %s: %s", cfg->listen, strerror(errno));
		w->src.ops->close(w->src.ctx);
		free(w);
		return 1;
	}
	cl_loop_on_reload(loop, on_reload, w);
	if (index == 0)
		cl_log(CL_LOG_INFO, "serving %s on %s, %u worker(s), up to %u connections each",
			cfg->git ? cfg->repo : cfg->root, cfg->listen, cfg->workers, w->max_conns);
	int rc = cl_loop_run(loop) < 0 ? 1 : 0;
	cl_listener_close(&w->lis);
	while (w->all)
		conn_free(w->all);
	log_flush(w);
	if (w->evicted || w->refused)
		cl_log(CL_LOG_INFO, "connections cut at the limit: %llu, refused: %llu",
			(unsigned long long)w->evicted, (unsigned long long)w->refused);
	while (w->free) {
		struct conn *c = w->free;
		w->free = c->wnext;
		free(c);
	}
	w->src.ops->close(w->src.ctx);
	free(w);
	return rc;
}
