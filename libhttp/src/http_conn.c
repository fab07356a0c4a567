/* The server side of an HTTP/1.1 connection (RFC 9112 9, RFC 9110 10.1.1):
 * request heads in, bodies delivered, responses queued as segments and sent
 * with gather writes, deadlines from the caller's clock. */
#include "http_int.h"

enum { ST_HEAD, ST_REQUEST, ST_SEND, ST_DISCARD, ST_LINGER, ST_CLOSED };

#define LINGER_MAX_BYTES 65536

/* Results of the internal steps. */
enum { STEP_BLOCKED = 0, STEP_AGAIN = 1 };

void http_conn_cfg_default(struct http_conn_cfg *cfg)
{
	http_limits_default(&cfg->limits);
	cfg->header_timeout_ms = 10000;
	cfg->idle_timeout_ms = 60000;
	cfg->linger_ms = 1000;
	cfg->max_batch = 1;
}

void http_conn_init(struct http_conn *c, const struct http_stream_ops *ops, void *ctx,
		uint8_t *in, size_t in_cap, uint8_t *out, size_t out_cap,
		struct http_header *hdr, size_t hdr_cap, const struct http_conn_cfg *cfg,
		uint64_t now_ms)
{
	memset(c, 0, sizeof *c);
	c->priv.ops = ops;
	c->priv.ctx = ctx;
	if (cfg)
		c->priv.cfg = *cfg;
	else
		http_conn_cfg_default(&c->priv.cfg);
	c->priv.in = in;
	c->priv.in_cap = in_cap;
	c->priv.out = out;
	c->priv.out_cap = out_cap;
	c->priv.hdr = hdr;
	c->priv.hdr_cap = hdr_cap;
	c->priv.state = ST_HEAD;
	c->priv.last_ms = now_ms;
	c->priv.now_ms = now_ms;
	c->priv.wall_s = -1;
}

void http_conn_set_wallclock(struct http_conn *c, int64_t now_s)
{
	c->priv.wall_s = now_s;
}

void http_conn_reset(struct http_conn *c, void *ctx, uint64_t now_ms)
{
	struct http_conn k = *c;
	http_conn_init(c, k.priv.ops, ctx, k.priv.in, k.priv.in_cap, k.priv.out, k.priv.out_cap,
		k.priv.hdr, k.priv.hdr_cap, &k.priv.cfg, now_ms);
}

static void set_err(struct http_conn *c, int err)
{
	if (!c->priv.err)
		c->priv.err = err;
}

static void do_close(struct http_conn *c)
{
	if (c->priv.state != ST_CLOSED) {
		http_op_close(c->priv.ops, c->priv.ctx);
		c->priv.state = ST_CLOSED;
	}
}

static int closed_result(const struct http_conn *c)
{
	return c->priv.err ? c->priv.err : HTTP_CONN_CLOSED;
}

/* Queue len bytes at p to be sent after what is queued; bytes that follow
 * the last segment in memory extend it. */
static int queue_mem(struct http_conn *c, const uint8_t *p, uint64_t len, uint64_t off)
{
	if (len == 0)
		return 0;
	struct http_seg *last = c->priv.nseg ? &c->priv.seg[c->priv.nseg - 1] : NULL;
	if (p && last && last->p && last->p + last->len == p && c->priv.nseg - 1 >= c->priv.seg_i) {
		last->len += len;
		return 0;
	}
	if (c->priv.nseg == HTTP_CONN_MAXSEG)
		return HTTP_ENOMEM;
	struct http_seg *s = &c->priv.seg[c->priv.nseg++];
	s->p = p;
	s->off = off;
	s->len = len;
	return 0;
}

/* Copy bytes into the output arena and queue them. */
static int queue_copy(struct http_conn *c, const void *b, size_t n)
{
	if (n > c->priv.out_cap - c->priv.out_used)
		return HTTP_ENOMEM;
	uint8_t *at = c->priv.out + c->priv.out_used;
	memcpy(at, b, n);
	c->priv.out_used += n;
	return queue_mem(c, at, n, 0);
}

/* Send what is queued. 0 when all is out, HTTP_EAGAIN when the stream
 * would block, or an error. */
static int flush(struct http_conn *c)
{
	for (int guard = 0; guard < 4096 && c->priv.seg_i < c->priv.nseg; guard++) {
		struct http_iov iov[64];
		int n = 0;
		size_t total = 0;
		uint64_t off = c->priv.seg_off;
		for (int i = c->priv.seg_i; i < c->priv.nseg && n < 64; i++, off = 0) {
			const struct http_seg *s = &c->priv.seg[i];
			if (s->p) {
				iov[n].base = s->p + off;
				iov[n].len = (size_t)(s->len - off);
				total += iov[n++].len;
				continue;
			}
			/* Content through its reader, via the bounce space after
			 * the arena; only for the segment at the front. */
			if (i != c->priv.seg_i)
				break;
			if (c->priv.bounce_pos == c->priv.bounce_len) {
				size_t room = c->priv.out_cap - c->priv.out_used;
				uint64_t want = s->len - off;
				if (room == 0 || !c->priv.src || !c->priv.src->read)
					return HTTP_ENOMEM;
				if (want < room)
					room = (size_t)want;
				int r = c->priv.src->read(c->priv.src->read_ctx, s->off + off,
					c->priv.out + c->priv.out_used, room);
				if (r <= 0 || (size_t)r > room)
					return HTTP_EIO;
				c->priv.bounce_pos = 0;
				c->priv.bounce_len = (size_t)r;
			}
			iov[n].base = c->priv.out + c->priv.out_used + c->priv.bounce_pos;
			iov[n].len = c->priv.bounce_len - c->priv.bounce_pos;
			total += iov[n++].len;
			break;
		}
		int r = http_op_sendv(c->priv.ops, c->priv.ctx, iov, n);
		if (r == 0)
			return HTTP_EAGAIN;
		if (r < 0 || (size_t)r > total)
			return HTTP_EIO;
		c->priv.last_ms = c->priv.now_ms;
		size_t done = (size_t)r;
		while (done > 0) {
			struct http_seg *s = &c->priv.seg[c->priv.seg_i];
			uint64_t left = s->len - c->priv.seg_off;
			size_t k = done < left ? done : (size_t)left;
			if (!s->p)
				c->priv.bounce_pos += k;
			c->priv.seg_off += k;
			done -= k;
			if (c->priv.seg_off == s->len) {
				c->priv.seg_i++;
				c->priv.seg_off = 0;
				c->priv.bounce_pos = c->priv.bounce_len = 0;
			}
		}
	}
	if (c->priv.seg_i < c->priv.nseg) {
		c->priv.again = true; /* the bound, not the stream, stopped us */
		return HTTP_EAGAIN;
	}
	c->priv.nseg = c->priv.seg_i = 0;
	c->priv.seg_off = 0;
	c->priv.out_used = 0;
	c->priv.held = 0;
	return 0;
}

static bool pending(const struct http_conn *c)
{
	return c->priv.seg_i < c->priv.nseg;
}

/* Whether the response just queued may wait for the next one (see
 * http_conn_cfg.max_batch): a whole request follows it in the buffer (or
 * at least its start: the send happens before waiting for the rest), the
 * connection goes on, and whatever the next response needs (segments,
 * half the output buffer, bounce space for a reader) is still free. */
static bool may_hold(const struct http_conn *c)
{
	if (c->priv.held + 1 >= c->priv.cfg.max_batch || c->priv.close_after ||
			!c->priv.body_done || c->priv.streaming || c->priv.in_pos >= c->priv.in_len ||
			c->priv.out_used > c->priv.out_cap / 2 ||
			HTTP_CONN_MAXSEG - c->priv.nseg < HTTP_CONN_RESPSEG)
		return false;
	for (int i = c->priv.seg_i; i < c->priv.nseg; i++)
		if (!c->priv.seg[i].p)
			return false;
	return true;
}

static void status_head(struct http_wbuf *w, int status, int64_t wall_s)
{
	http_wb_str(w, "HTTP/1.1 ");
	http_wb_u64(w, (uint64_t)status);
	http_wb_str(w, " ");
	http_wb_str(w, http_reason(status));
	http_wb_str(w, "\r\n");
	char d[HTTP_DATE_LEN + 1];
	if (wall_s >= 0 && http_date_format(wall_s, d) > 0) {
		http_wb_str(w, "Date: ");
		http_wb_put(w, d, HTTP_DATE_LEN);
		http_wb_str(w, "\r\n");
	}
}

static const char *connection_value(const struct http_conn *c)
{
	if (c->priv.close_after)
		return "close";
	return c->priv.req.minor_version == 0 ? "keep-alive" : NULL;
}

static void connection_line(struct http_wbuf *w, const struct http_conn *c)
{
	const char *v = connection_value(c);
	if (v) {
		http_wb_str(w, "Connection: ");
		http_wb_str(w, v);
		http_wb_str(w, "\r\n");
	}
}

/* A request failed: answer with the status the error maps to (when no
 * response has begun) and close after it. */
static void fail(struct http_conn *c, int err)
{
	set_err(c, err);
	c->priv.close_after = true;
	int st = http_err_status(err);
	if (err == HTTP_ETIMEDOUT)
		st = 408;
	if (st && !c->priv.responded) {
		struct http_wbuf w = { c->priv.out + c->priv.out_used, 0,
			c->priv.out_cap - c->priv.out_used, false };
		status_head(&w, st, c->priv.wall_s);
		http_wb_str(&w, "Content-Length: 0\r\nConnection: close\r\n\r\n");
		if (!w.full) {
			queue_mem(c, w.p, w.len, 0);
			c->priv.out_used += w.len;
		}
		c->priv.responded = true;
	}
	c->priv.streaming = false;
	c->priv.state = ST_SEND;
}

static void start_request(struct http_conn *c, int head_len)
{
	struct http_request *r = &c->priv.req;
	c->priv.in_pos = (size_t)head_len;
	c->priv.body_left = r->body == HTTP_BODY_LENGTH ? r->content_length : 0;
	c->priv.body_done = r->body == HTTP_BODY_NONE;
	if (r->body == HTTP_BODY_CHUNKED)
		http_chunked_init(&c->priv.chunked, &c->priv.cfg.limits);
	c->priv.sent_100 = false;
	c->priv.responded = false;
	c->priv.streaming = false;
	c->priv.stream_chunked = false;
	c->priv.head_only = r->meth == HTTP_M_HEAD;
	c->priv.close_after = !r->keep_alive;
	c->priv.src = NULL;
	c->priv.close_delimited = false;
	c->priv.last_ms = c->priv.now_ms;
	c->priv.state = ST_REQUEST;
}

/* Read body bytes into buf (NULL: drop them). > 0, 0 at the end,
 * HTTP_EAGAIN, or an error. */
static int body_read(struct http_conn *c, uint8_t *buf, size_t cap)
{
	bool drop = buf == NULL;
	if (cap > INT_MAX)
		cap = INT_MAX;
	for (int guard = 0; guard < 64; guard++) {
		if (c->priv.body_done)
			return 0;
		size_t avail = c->priv.in_len - c->priv.in_pos;
		uint8_t *at = c->priv.in + c->priv.in_pos;
		if (drop) {
			/* all buffered bytes at once; chunked decodes in place */
			buf = at;
			cap = avail < INT_MAX ? avail : INT_MAX;
		}
		if (avail && c->priv.req.body == HTTP_BODY_LENGTH) {
			size_t n = avail < cap ? avail : cap;
			if (n > c->priv.body_left)
				n = (size_t)c->priv.body_left;
			if (!drop)
				memmove(buf, at, n);
			c->priv.in_pos += n;
			c->priv.body_left -= n;
			c->priv.body_done = c->priv.body_left == 0;
			return (int)n;
		}
		if (avail) {
			size_t cons, prod;
			int r = http_chunked_decode(&c->priv.chunked, at, avail, &cons, buf, cap, &prod);
			c->priv.in_pos += cons;
			if (r < 0 && r != HTTP_EAGAIN)
				return r;
			if (r == 1)
				c->priv.body_done = true;
			if (prod)
				return (int)prod;
			if (r == 1)
				return 0;
			if (c->priv.in_pos < c->priv.in_len)
				continue;
		}
		/* All buffered body bytes are used: reuse the space after the
		 * head (which the caller may still be reading). */
		size_t keep = c->priv.state == ST_REQUEST ? c->priv.req.head_len : 0;
		c->priv.in_pos = c->priv.in_len = keep;
		if (c->priv.in_len == c->priv.in_cap)
			return HTTP_ENOMEM;
		int n = http_op_recv(c->priv.ops, c->priv.ctx, c->priv.in + c->priv.in_len,
			c->priv.in_cap - c->priv.in_len);
		if (n == 0)
			return HTTP_EAGAIN;
		if (n == -1)
			return HTTP_EEOF;
		if (n < 0 || (size_t)n > c->priv.in_cap - c->priv.in_len)
			return HTTP_EIO;
		c->priv.in_len += (size_t)n;
		c->priv.last_ms = c->priv.now_ms;
	}
	return HTTP_EAGAIN;
}

/* Ready for the next request, which may already be buffered. */
static int next_request(struct http_conn *c)
{
	size_t rest = c->priv.in_len - c->priv.in_pos;
	memmove(c->priv.in, c->priv.in + c->priv.in_pos, rest);
	c->priv.in_len = rest;
	c->priv.in_pos = 0;
	c->priv.head_start_ms = c->priv.now_ms;
	c->priv.last_ms = c->priv.now_ms;
	c->priv.responded = false;
	c->priv.streaming = false;
	c->priv.src = NULL;
	c->priv.scan_pos = 0;
	c->priv.seen_lf = false;
	c->priv.state = ST_HEAD;
	return STEP_AGAIN;
}

/* The response is out: close, drop the rest of the body, or go on. */
static int after_send(struct http_conn *c)
{
	c->priv.requests++;
	if (c->priv.close_after) {
		/* Linger only when input may still be on its way: after an error,
		 * or with unread bytes; a client that reads until the close
		 * would otherwise wait the whole time. */
		bool more = c->priv.err || !c->priv.body_done || c->priv.in_pos < c->priv.in_len;
		if (c->priv.cfg.linger_ms && !c->priv.close_delimited && more) {
			c->priv.linger_until = c->priv.now_ms > UINT64_MAX - c->priv.cfg.linger_ms
				? UINT64_MAX : c->priv.now_ms + c->priv.cfg.linger_ms;
			c->priv.linger_bytes = 0;
			c->priv.state = ST_LINGER;
			return STEP_AGAIN;
		}
		do_close(c);
		return HTTP_CONN_CLOSED;
	}
	if (!c->priv.body_done) {
		/* RFC 9110 10.1.1: a client still waiting for 100 may or may
		 * not send the body; only closing leaves no doubt. */
		if (c->priv.req.expect_continue && !c->priv.sent_100) {
			do_close(c);
			return HTTP_CONN_CLOSED;
		}
		c->priv.state = ST_DISCARD;
		return STEP_AGAIN;
	}
	return next_request(c);
}

/* Whether the buffer may now hold a whole head: an empty line ended (LF
 * after LF, or after LF CR), or a limit is reached. Each byte is looked at
 * once, so a client sending a byte at a time costs linear, not quadratic,
 * parsing. */
static bool worth_parsing(struct http_conn *c)
{
	const uint8_t *b = c->priv.in;
	size_t i = c->priv.scan_pos, len = c->priv.in_len;
	while (i < len) {
		const uint8_t *lf = memchr(b + i, '\n', len - i);
		if (!lf)
			break;
		size_t k = (size_t)(lf - b);
		c->priv.seen_lf = true;
		i = k + 1;
		if ((k >= 1 && b[k - 1] == '\n') || (k >= 2 && b[k - 1] == '\r' && b[k - 2] == '\n')) {
			c->priv.scan_pos = i;
			return true;
		}
	}
	c->priv.scan_pos = len;
	return len == c->priv.in_cap || len >= c->priv.cfg.limits.max_head ||
		(!c->priv.seen_lf && len > c->priv.cfg.limits.max_request_line);
}

/* Drop what the client still sends until it closes, or enough time or
 * bytes have gone by. */
static int step_linger(struct http_conn *c)
{
	int n = http_op_recv(c->priv.ops, c->priv.ctx, c->priv.in, c->priv.in_cap);
	if (n == 0)
		return STEP_BLOCKED;
	if (n > 0 && (size_t)n <= c->priv.in_cap) {
		c->priv.linger_bytes += (size_t)n;
		if (c->priv.linger_bytes <= LINGER_MAX_BYTES)
			return STEP_AGAIN;
	}
	do_close(c);
	return closed_result(c);
}

static int step_head(struct http_conn *c)
{
	if (c->priv.in_len > 0 && worth_parsing(c)) {
		size_t nh = c->priv.hdr_cap;
		int r = http_request_parse(&c->priv.req, c->priv.in, c->priv.in_len, c->priv.hdr,
			&nh, &c->priv.cfg.limits);
		if (r > 0) {
			start_request(c, r);
			return HTTP_CONN_REQUEST;
		}
		if (r != HTTP_EAGAIN) {
			fail(c, r);
			return STEP_AGAIN;
		}
		if (c->priv.in_len == c->priv.in_cap) {
			fail(c, HTTP_EHEADTOOLARGE);
			return STEP_AGAIN;
		}
	}
	if (pending(c)) {
		/* Held-back responses go before waiting on the client. */
		int f = flush(c);
		if (f == HTTP_EAGAIN)
			return STEP_BLOCKED;
		if (f < 0) {
			set_err(c, f);
			do_close(c);
			return closed_result(c);
		}
	}
	int n = http_op_recv(c->priv.ops, c->priv.ctx, c->priv.in + c->priv.in_len,
		c->priv.in_cap - c->priv.in_len);
	if (n == 0)
		return STEP_BLOCKED;
	if (n == -1 && c->priv.in_len == 0) {
		do_close(c); /* the client is done: a clean end */
		return closed_result(c);
	}
	if (n < 0 || (size_t)n > c->priv.in_cap - c->priv.in_len) {
		set_err(c, n == -1 ? HTTP_EEOF : HTTP_EIO);
		do_close(c);
		return closed_result(c);
	}
	if (c->priv.in_len == 0)
		c->priv.head_start_ms = c->priv.now_ms;
	c->priv.in_len += (size_t)n;
	c->priv.last_ms = c->priv.now_ms;
	return STEP_AGAIN;
}

static uint64_t add_ms(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t http_conn_next_deadline(const struct http_conn *c)
{
	if (c->priv.again && c->priv.state != ST_CLOSED)
		return c->priv.now_ms;
	uint64_t idle = add_ms(c->priv.last_ms, c->priv.cfg.idle_timeout_ms);
	switch (c->priv.state) {
	case ST_HEAD:
		if (pending(c))
			return idle; /* waiting to send held-back responses */
		if (c->priv.in_len > 0)
			return add_ms(c->priv.head_start_ms, c->priv.cfg.header_timeout_ms);
		return idle;
	case ST_REQUEST:
		/* The caller's own work is not timed; waiting on the peer is. */
		return c->priv.nseg || !c->priv.body_done ? idle : UINT64_MAX;
	case ST_SEND:
	case ST_DISCARD:
		return idle;
	case ST_LINGER:
		return c->priv.linger_until;
	default:
		return UINT64_MAX;
	}
}

int http_conn_poll(struct http_conn *c, uint64_t now_ms)
{
	c->priv.now_ms = now_ms;
	c->priv.again = false;
	if (c->priv.state == ST_CLOSED)
		return closed_result(c);
	if (now_ms >= http_conn_next_deadline(c)) {
		if ((c->priv.state == ST_HEAD && c->priv.in_len == 0) || c->priv.state == ST_LINGER) {
			do_close(c); /* idle keep-alive connection: a quiet end */
			return closed_result(c);
		}
		/* RFC 9110 15.5.9: 408 to a client that took too long, then
		 * close; one try to send it, no waiting. */
		if (c->priv.state == ST_HEAD)
			fail(c, HTTP_ETIMEDOUT);
		set_err(c, HTTP_ETIMEDOUT);
		flush(c);
		do_close(c);
		return closed_result(c);
	}
	for (int guard = 0; guard < 256; guard++) {
		int r;
		switch (c->priv.state) {
		case ST_HEAD:
			r = step_head(c);
			/* Handed over as soon as it is parsed: responses held
			 * back go out with the caller's answer to it (or at the
			 * caller's next poll, when it waits on a body). */
			if (c->priv.state == ST_REQUEST)
				return HTTP_CONN_REQUEST;
			break;
		case ST_REQUEST:
			r = flush(c);
			if (r < 0 && r != HTTP_EAGAIN) {
				set_err(c, r);
				do_close(c);
				return closed_result(c);
			}
			return HTTP_CONN_REQUEST;
		case ST_SEND:
			if (may_hold(c)) {
				c->priv.held++;
				c->priv.requests++;
				r = next_request(c);
				break;
			}
			r = flush(c);
			if (r == HTTP_EAGAIN)
				return HTTP_CONN_IDLE;
			if (r < 0) {
				set_err(c, r);
				do_close(c);
				return closed_result(c);
			}
			r = after_send(c);
			if (r == HTTP_CONN_CLOSED)
				return closed_result(c);
			break;
		case ST_LINGER:
			r = step_linger(c);
			if (r != STEP_AGAIN && r != STEP_BLOCKED)
				return r;
			break;
		case ST_DISCARD:
			r = body_read(c, NULL, 0);
			if (r == HTTP_EAGAIN)
				return HTTP_CONN_IDLE;
			if (r < 0) {
				set_err(c, r);
				do_close(c);
				return closed_result(c);
			}
			r = r == 0 ? next_request(c) : STEP_AGAIN;
			break;
		default:
			return closed_result(c);
		}
		if (r == STEP_BLOCKED)
			return HTTP_CONN_IDLE;
		if (r != STEP_AGAIN)
			return r;
	}
	c->priv.again = true;
	return HTTP_CONN_IDLE;
}

const struct http_request *http_conn_request(const struct http_conn *c)
{
	return c->priv.state == ST_REQUEST ? &c->priv.req : NULL;
}

int http_conn_body_read(struct http_conn *c, uint8_t *buf, size_t cap)
{
	if (c->priv.state != ST_REQUEST)
		return HTTP_ESTATE;
	if (!buf || cap == 0)
		return HTTP_EINVAL;
	if (c->priv.req.expect_continue && !c->priv.sent_100 && !c->priv.responded &&
			!c->priv.body_done) {
		/* RFC 9110 10.1.1: the client waits for this before the body. */
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		if (queue_copy(c, cont, sizeof cont - 1) == 0)
			c->priv.sent_100 = true;
		int f = flush(c);
		if (f < 0 && f != HTTP_EAGAIN) {
			set_err(c, f);
			do_close(c);
			return f;
		}
	}
	int r = body_read(c, buf, cap);
	if (r < 0 && r != HTTP_EAGAIN) {
		if (r == HTTP_EEOF || r == HTTP_EIO) {
			set_err(c, r);
			do_close(c);
		} else {
			fail(c, r);
		}
	}
	return r;
}

/* A response did not fit behind held-back ones: send those, if the
 * stream takes them all now, and say whether the buffer is empty. */
static bool make_room(struct http_conn *c)
{
	return c->priv.held && pending(c) && flush(c) == 0;
}

static int begin_response(struct http_conn *c)
{
	if (c->priv.state != ST_REQUEST || c->priv.responded)
		return HTTP_ESTATE;
	/* A body the client holds back for a 100 we never sent: close after
	 * this response (see after_send), and say so in it. */
	if (!c->priv.body_done && c->priv.req.expect_continue && !c->priv.sent_100)
		c->priv.close_after = true;
	return 0;
}

int http_conn_static(struct http_conn *c, const struct http_content *content,
		const struct http_static_cfg *cfg)
{
	int r = begin_response(c);
	if (r < 0)
		return r;
	struct http_static_cfg k = *cfg;
	k.connection = connection_value(c);
	struct http_static st;
	r = http_static_respond(&st, &c->priv.req, content, &k, c->priv.out + c->priv.out_used,
		c->priv.out_cap - c->priv.out_used);
	if (r == HTTP_ENOMEM && make_room(c))
		r = http_static_respond(&st, &c->priv.req, content, &k, c->priv.out + c->priv.out_used,
			c->priv.out_cap - c->priv.out_used);
	if (r < 0)
		return r;
	c->priv.out_used += st.buf_used;
	r = queue_mem(c, st.head.p, st.head.len, 0);
	for (int i = 0; i < st.nseg && r == 0; i++)
		r = queue_mem(c, st.seg[i].p, st.seg[i].len, st.seg[i].off);
	if (r < 0)
		return r;
	c->priv.src = st.src;
	c->priv.responded = true;
	c->priv.state = ST_SEND;
	return 0;
}

static bool status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

static int write_head_once(struct http_conn *c, int status, struct http_str fields, bool chunked,
		uint64_t len, bool with_len)
{
	struct http_wbuf w = { c->priv.out + c->priv.out_used, 0,
		c->priv.out_cap - c->priv.out_used, false };
	status_head(&w, status, c->priv.wall_s);
	http_wb_slice(&w, fields);
	if (chunked)
		http_wb_str(&w, "Transfer-Encoding: chunked\r\n");
	if (with_len) {
		http_wb_str(&w, "Content-Length: ");
		http_wb_u64(&w, len);
		http_wb_str(&w, "\r\n");
	}
	connection_line(&w, c);
	http_wb_str(&w, "\r\n");
	if (w.full)
		return HTTP_ENOMEM;
	int r = queue_mem(c, w.p, w.len, 0);
	if (r == 0)
		c->priv.out_used += w.len;
	return r;
}

static int write_head(struct http_conn *c, int status, struct http_str fields, bool chunked,
		uint64_t len, bool with_len)
{
	int r = write_head_once(c, status, fields, chunked, len, with_len);
	if (r == HTTP_ENOMEM && make_room(c))
		r = write_head_once(c, status, fields, chunked, len, with_len);
	return r;
}

int http_conn_respond(struct http_conn *c, int status, struct http_str fields,
		const uint8_t *body, size_t len)
{
	int r = begin_response(c);
	if (r < 0)
		return r;
	if (status < 200 || status > 599)
		return HTTP_EINVAL;
	bool has_body = status_has_body(status);
	r = write_head(c, status, fields, false, len, has_body);
	if (r < 0)
		return r;
	if (has_body && !c->priv.head_only && len)
		r = queue_mem(c, body, len, 0);
	if (r < 0)
		return r;
	c->priv.responded = true;
	c->priv.state = ST_SEND;
	return 0;
}

int http_conn_respond_start(struct http_conn *c, int status, struct http_str fields)
{
	int r = begin_response(c);
	if (r < 0)
		return r;
	if (status < 200 || status > 599)
		return HTTP_EINVAL;
	bool body = status_has_body(status);
	/* RFC 9112 6.1: chunked needs HTTP/1.1; HTTP/1.0 reads to the close. */
	bool chunked = body && c->priv.req.minor_version >= 1;
	if (body && !chunked && !c->priv.head_only) {
		c->priv.close_after = true;
		c->priv.close_delimited = true;
	}
	r = write_head(c, status, fields, chunked, 0, false);
	if (r < 0)
		return r;
	c->priv.stream_chunked = chunked;
	c->priv.head_only |= !body;
	c->priv.responded = true;
	c->priv.streaming = true;
	return 0;
}

int http_conn_respond_write(struct http_conn *c, const uint8_t *data, size_t len)
{
	if (c->priv.state != ST_REQUEST || !c->priv.streaming)
		return HTTP_ESTATE;
	if (c->priv.head_only || len == 0)
		return (int)(len > INT_MAX ? INT_MAX : len);
	size_t over = c->priv.stream_chunked ? 16 + 4 : 0;
	if (c->priv.out_cap - c->priv.out_used <= over) {
		int f = flush(c);
		if (f < 0 && f != HTTP_EAGAIN) {
			set_err(c, f);
			do_close(c);
			return f;
		}
		if (c->priv.out_cap - c->priv.out_used <= over)
			return HTTP_EAGAIN;
	}
	size_t n = c->priv.out_cap - c->priv.out_used - over;
	if (n > len)
		n = len;
	if (n > INT_MAX)
		n = INT_MAX;
	struct http_wbuf w = { c->priv.out + c->priv.out_used, 0,
		c->priv.out_cap - c->priv.out_used, false };
	if (c->priv.stream_chunked) {
		http_wb_hex(&w, n);
		http_wb_str(&w, "\r\n");
	}
	http_wb_put(&w, data, n);
	if (c->priv.stream_chunked)
		http_wb_str(&w, "\r\n");
	int r = queue_mem(c, w.p, w.len, 0);
	if (r < 0)
		return r;
	c->priv.out_used += w.len;
	return (int)n;
}

int http_conn_respond_end(struct http_conn *c)
{
	if (c->priv.state != ST_REQUEST || !c->priv.streaming)
		return HTTP_ESTATE;
	if (c->priv.stream_chunked && !c->priv.head_only) {
		static const char last[] = "0\r\n\r\n";
		if (c->priv.out_cap - c->priv.out_used < sizeof last - 1) {
			int f = flush(c);
			if (f < 0 && f != HTTP_EAGAIN)
				return f;
		}
		int r = queue_copy(c, last, sizeof last - 1);
		if (r < 0)
			return HTTP_EAGAIN;
	}
	c->priv.streaming = false;
	c->priv.state = ST_SEND;
	return 0;
}

int http_conn_error(const struct http_conn *c)
{
	return c->priv.err;
}

uint64_t http_conn_requests(const struct http_conn *c)
{
	return c->priv.requests;
}

bool http_conn_sending(const struct http_conn *c)
{
	return pending(c);
}
