/* The client side of an HTTP/1.1 connection: a request writer and a
 * response reader (RFC 9112 6.3 framing, interim responses skipped). */
#include "http_int.h"

enum { CS_READY, CS_WAIT, CS_BODY, CS_CLOSED };

void http_client_init(struct http_client *c, const struct http_stream_ops *ops, void *ctx,
		uint8_t *in, size_t in_cap, uint8_t *out, size_t out_cap,
		struct http_header *hdr, size_t hdr_cap, const struct http_limits *lim,
		uint64_t idle_timeout_ms, uint64_t now_ms)
{
	memset(c, 0, sizeof *c);
	c->priv.ops = ops;
	c->priv.ctx = ctx;
	http_limits_or_default(lim, &c->priv.limits);
	c->priv.idle_timeout_ms = idle_timeout_ms ? idle_timeout_ms : 60000;
	c->priv.in = in;
	c->priv.in_cap = in_cap;
	c->priv.out = out;
	c->priv.out_cap = out_cap;
	c->priv.hdr = hdr;
	c->priv.hdr_cap = hdr_cap;
	c->priv.state = CS_READY;
	c->priv.last_ms = now_ms;
	c->priv.now_ms = now_ms;
}

void http_client_reset(struct http_client *c, void *ctx, uint64_t now_ms)
{
	struct http_client k = *c;
	http_client_init(c, k.priv.ops, ctx, k.priv.in, k.priv.in_cap, k.priv.out, k.priv.out_cap,
		k.priv.hdr, k.priv.hdr_cap, &k.priv.limits, k.priv.idle_timeout_ms, now_ms);
}

static int cl_fail(struct http_client *c, int err)
{
	if (!c->priv.err)
		c->priv.err = err;
	if (c->priv.state != CS_CLOSED) {
		http_op_close(c->priv.ops, c->priv.ctx);
		c->priv.state = CS_CLOSED;
	}
	return c->priv.err;
}

static void cl_close(struct http_client *c)
{
	if (c->priv.state != CS_CLOSED) {
		http_op_close(c->priv.ops, c->priv.ctx);
		c->priv.state = CS_CLOSED;
	}
}

static bool out_pending(const struct http_client *c)
{
	return c->priv.out_pos < c->priv.out_len || c->priv.body_pos < c->priv.body_len;
}

static int flush_out(struct http_client *c)
{
	for (int guard = 0; guard < 1024 && out_pending(c); guard++) {
		struct http_iov iov[2];
		int n = 0;
		size_t total = 0;
		if (c->priv.out_pos < c->priv.out_len) {
			iov[n].base = c->priv.out + c->priv.out_pos;
			iov[n].len = c->priv.out_len - c->priv.out_pos;
			total += iov[n++].len;
		}
		if (c->priv.body_pos < c->priv.body_len) {
			iov[n].base = c->priv.body + c->priv.body_pos;
			iov[n].len = c->priv.body_len - c->priv.body_pos;
			total += iov[n++].len;
		}
		int r = http_op_sendv(c->priv.ops, c->priv.ctx, iov, n);
		if (r == 0)
			return HTTP_EAGAIN;
		if (r < 0 || (size_t)r > total)
			return HTTP_EIO;
		c->priv.last_ms = c->priv.now_ms;
		size_t k = (size_t)r;
		size_t a = c->priv.out_len - c->priv.out_pos;
		if (a > k)
			a = k;
		c->priv.out_pos += a;
		c->priv.body_pos += k - a;
	}
	if (out_pending(c)) {
		c->priv.again = true; /* stopped by the bound, not the stream */
		return HTTP_EAGAIN;
	}
	c->priv.out_pos = c->priv.out_len = 0;
	return 0;
}

static bool token_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!http_is((uint8_t)*s, HTTP_CT_TCHAR))
			return false;
	return true;
}

static bool bytes_ok(struct http_str s, unsigned cls)
{
	for (size_t i = 0; i < s.len; i++)
		if (!http_is(s.p[i], cls))
			return false;
	return true;
}

static bool host_bytes_ok(struct http_str h)
{
	for (size_t i = 0; i < h.len; i++)
		if (!http_is(h.p[i], HTTP_CT_HOST) && h.p[i] != ':' && h.p[i] != '[' && h.p[i] != ']')
			return false;
	return true;
}

/* Does a block of field lines carry "Connection: close"? */
static bool fields_close(struct http_str f)
{
	size_t i = 0;
	while (i < f.len) {
		const uint8_t *eol = memchr(f.p + i, '\n', f.len - i);
		size_t end = eol ? (size_t)(eol - f.p) : f.len;
		struct http_str line = { f.p + i, end - i };
		const uint8_t *colon = memchr(line.p, ':', line.len);
		if (colon) {
			struct http_str name = { line.p, (size_t)(colon - line.p) };
			struct http_str v = { colon + 1, line.len - name.len - 1 };
			if (v.len && v.p[v.len - 1] == '\r')
				v.len--;
			size_t pos = 0;
			struct http_str e;
			if (http_str_ieq(name, "connection"))
				while (http_list_next(v, &pos, &e))
					if (http_str_ieq(e, "close"))
						return true;
		}
		i = end + 1;
	}
	return false;
}

static int write_request_head(struct http_client *c, const char *method, struct http_str target,
		struct http_str host, struct http_str fields, bool chunked, const uint8_t *body,
		size_t len)
{
	if (c->priv.state != CS_READY)
		return HTTP_ESTATE;
	/* Nothing from the caller may split the request line or Host. */
	if (!token_ok(method) || target.len == 0 || !bytes_ok(target, HTTP_CT_TARGET) ||
			!host_bytes_ok(host))
		return HTTP_EINVAL;
	struct http_wbuf w = { c->priv.out, 0, c->priv.out_cap, false };
	http_wb_str(&w, method);
	http_wb_str(&w, " ");
	http_wb_slice(&w, target);
	http_wb_str(&w, " HTTP/1.1\r\nHost: ");
	http_wb_slice(&w, host);
	http_wb_str(&w, "\r\n");
	http_wb_slice(&w, fields);
	if (chunked)
		http_wb_str(&w, "Transfer-Encoding: chunked\r\n");
	else if (body) {
		http_wb_str(&w, "Content-Length: ");
		http_wb_u64(&w, len);
		http_wb_str(&w, "\r\n");
	}
	http_wb_str(&w, "\r\n");
	if (w.full)
		return HTTP_ENOMEM;
	c->priv.out_pos = 0;
	c->priv.out_len = w.len;
	c->priv.body = body;
	c->priv.body_len = body ? len : 0;
	c->priv.body_pos = 0;
	c->priv.req_close = fields_close(fields);
	c->priv.resp_flags = !strcmp(method, "HEAD") ? HTTP_RESP_TO_HEAD
		: !strcmp(method, "CONNECT") ? HTTP_RESP_TO_CONNECT : 0;
	c->priv.streaming = chunked;
	c->priv.last_ms = c->priv.now_ms;
	c->priv.scan_pos = 0;
	c->priv.state = CS_WAIT;
	return 0;
}

int http_client_request(struct http_client *c, const char *method, struct http_str target,
		struct http_str host, struct http_str fields, const uint8_t *body, size_t len)
{
	return write_request_head(c, method, target, host, fields, false, body, len);
}

int http_client_request_start(struct http_client *c, const char *method,
		struct http_str target, struct http_str host, struct http_str fields)
{
	return write_request_head(c, method, target, host, fields, true, NULL, 0);
}

int http_client_write(struct http_client *c, const uint8_t *data, size_t len)
{
	if (!c->priv.streaming || c->priv.state == CS_CLOSED)
		return HTTP_ESTATE;
	if (len == 0)
		return 0;
	const size_t over = 16 + 4;
	if (c->priv.out_cap - c->priv.out_len <= over) {
		int f = flush_out(c);
		if (f < 0 && f != HTTP_EAGAIN)
			return cl_fail(c, f);
		if (c->priv.out_cap - c->priv.out_len <= over)
			return HTTP_EAGAIN;
	}
	size_t n = c->priv.out_cap - c->priv.out_len - over;
	if (n > len)
		n = len;
	if (n > INT_MAX)
		n = INT_MAX;
	struct http_wbuf w = { c->priv.out + c->priv.out_len, 0, c->priv.out_cap - c->priv.out_len,
		false };
	http_wb_hex(&w, n);
	http_wb_str(&w, "\r\n");
	http_wb_put(&w, data, n);
	http_wb_str(&w, "\r\n");
	c->priv.out_len += w.len;
	return (int)n;
}

int http_client_end(struct http_client *c)
{
	if (!c->priv.streaming || c->priv.state == CS_CLOSED)
		return HTTP_ESTATE;
	static const char last[] = "0\r\n\r\n";
	if (c->priv.out_cap - c->priv.out_len < sizeof last - 1) {
		int f = flush_out(c);
		if (f < 0 && f != HTTP_EAGAIN)
			return cl_fail(c, f);
		if (c->priv.out_cap - c->priv.out_len < sizeof last - 1)
			return HTTP_EAGAIN;
	}
	memcpy(c->priv.out + c->priv.out_len, last, sizeof last - 1);
	c->priv.out_len += sizeof last - 1;
	c->priv.streaming = false;
	return 0;
}

uint64_t http_client_next_deadline(const struct http_client *c)
{
	if (c->priv.again && c->priv.state != CS_CLOSED)
		return c->priv.now_ms;
	if (c->priv.state == CS_READY || c->priv.state == CS_CLOSED)
		return UINT64_MAX;
	uint64_t t = c->priv.idle_timeout_ms;
	return c->priv.last_ms > UINT64_MAX - t ? UINT64_MAX : c->priv.last_ms + t;
}

const struct http_response *http_client_response(const struct http_client *c)
{
	return c->priv.state == CS_BODY ? &c->priv.res : NULL;
}

int http_client_error(const struct http_client *c)
{
	return c->priv.err;
}

/* Receive into the input buffer: > 0, HTTP_EAGAIN, HTTP_EEOF or HTTP_EIO. */
static int cl_recv(struct http_client *c)
{
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
	return n;
}

/* Whether the buffer may hold a whole head now (an empty line ended, or
 * it is full): each byte is looked at once however the head trickles in. */
static bool head_may_be_complete(struct http_client *c)
{
	const uint8_t *b = c->priv.in;
	size_t i = c->priv.scan_pos, len = c->priv.in_len;
	while (i < len) {
		const uint8_t *lf = memchr(b + i, '\n', len - i);
		if (!lf)
			break;
		size_t k = (size_t)(lf - b);
		i = k + 1;
		if ((k >= 1 && b[k - 1] == '\n') || (k >= 2 && b[k - 1] == '\r' && b[k - 2] == '\n')) {
			c->priv.scan_pos = i;
			return true;
		}
	}
	c->priv.scan_pos = len;
	return len == c->priv.in_cap || len >= c->priv.limits.max_head;
}

static int read_head(struct http_client *c)
{
	for (int guard = 0; guard < 256; guard++) {
		if (c->priv.in_pos) {
			/* the head must start the buffer: its slices stay put */
			memmove(c->priv.in, c->priv.in + c->priv.in_pos, c->priv.in_len - c->priv.in_pos);
			c->priv.in_len -= c->priv.in_pos;
			c->priv.in_pos = 0;
			c->priv.scan_pos = 0;
		}
		if (c->priv.in_len && head_may_be_complete(c)) {
			size_t nh = c->priv.hdr_cap;
			struct http_response *res = &c->priv.res;
			int r = http_response_parse(res, c->priv.in, c->priv.in_len, c->priv.hdr, &nh,
				&c->priv.limits, c->priv.resp_flags);
			if (r > 0 && res->status < 200 && res->status != 101) {
				c->priv.in_pos = (size_t)r; /* RFC 9110 15.2: interim, skipped */
				continue;
			}
			if (r > 0) {
				c->priv.in_pos = (size_t)r;
				c->priv.body_left = res->content_length;
				c->priv.body_done = res->body == HTTP_BODY_NONE;
				if (res->body == HTTP_BODY_CHUNKED) {
					/* no body limit on responses (a Git pack may be
					 * large); extensions and trailers stay bounded */
					struct http_limits lim = c->priv.limits;
					lim.max_body = UINT64_MAX;
					http_chunked_init(&c->priv.chunked, &lim);
				}
				c->priv.state = CS_BODY;
				return HTTP_CLIENT_RESPONSE;
			}
			if (r != HTTP_EAGAIN)
				return cl_fail(c, r);
		}
		int n = cl_recv(c);
		if (n == HTTP_EAGAIN)
			return HTTP_CLIENT_IDLE;
		if (n == HTTP_ENOMEM)
			return cl_fail(c, HTTP_EHEADTOOLARGE);
		if (n < 0)
			return cl_fail(c, n);
	}
	c->priv.again = true;
	return HTTP_CLIENT_IDLE;
}

int http_client_poll(struct http_client *c, uint64_t now_ms)
{
	c->priv.now_ms = now_ms;
	c->priv.again = false;
	if (c->priv.state == CS_CLOSED)
		return c->priv.err ? c->priv.err : HTTP_CLIENT_CLOSED;
	if (now_ms >= http_client_next_deadline(c))
		return cl_fail(c, HTTP_ETIMEDOUT);
	int f = flush_out(c);
	if (f < 0 && f != HTTP_EAGAIN)
		return cl_fail(c, f);
	switch (c->priv.state) {
	case CS_READY:
		return HTTP_CLIENT_READY;
	case CS_WAIT:
		return read_head(c);
	default:
		return HTTP_CLIENT_RESPONSE;
	}
}

/* The body is read: keep the connection for the next request or close. */
static void after_body(struct http_client *c)
{
	if (!c->priv.res.keep_alive || c->priv.req_close || c->priv.streaming || out_pending(c) ||
			c->priv.res.body == HTTP_BODY_CLOSE) {
		cl_close(c);
		return;
	}
	c->priv.state = CS_READY;
}

int http_client_body_read(struct http_client *c, uint8_t *buf, size_t cap)
{
	if (c->priv.state != CS_BODY)
		return c->priv.state == CS_CLOSED && c->priv.body_done ? 0 : HTTP_ESTATE;
	if (!buf || cap == 0)
		return HTTP_EINVAL;
	for (int guard = 0; guard < 64; guard++) {
		if (c->priv.body_done) {
			after_body(c);
			return 0;
		}
		size_t avail = c->priv.in_len - c->priv.in_pos;
		const uint8_t *at = c->priv.in + c->priv.in_pos;
		enum http_body kind = c->priv.res.body;
		if (avail && kind != HTTP_BODY_CHUNKED) {
			size_t n = avail < cap ? avail : cap;
			if (kind == HTTP_BODY_LENGTH && n > c->priv.body_left)
				n = (size_t)c->priv.body_left;
			if (n > INT_MAX)
				n = INT_MAX;
			memmove(buf, at, n);
			c->priv.in_pos += n;
			if (kind == HTTP_BODY_LENGTH) {
				c->priv.body_left -= n;
				c->priv.body_done = c->priv.body_left == 0;
			}
			return (int)n;
		}
		if (avail) {
			size_t cons, prod;
			int r = http_chunked_decode(&c->priv.chunked, at, avail, &cons, buf, cap, &prod);
			c->priv.in_pos += cons;
			if (r < 0 && r != HTTP_EAGAIN)
				return cl_fail(c, r);
			if (r == 1)
				c->priv.body_done = true;
			if (prod)
				return (int)prod;
			if (c->priv.in_pos < c->priv.in_len || r == 1)
				continue;
		}
		if (c->priv.in_pos == c->priv.in_len)
			c->priv.in_pos = c->priv.in_len = c->priv.res.head_len;
		int n = cl_recv(c);
		if (n == HTTP_EAGAIN)
			return HTTP_EAGAIN;
		if (n == HTTP_EEOF && kind == HTTP_BODY_CLOSE) {
			c->priv.body_done = true; /* RFC 9112 6.3 item 8 */
			continue;
		}
		if (n < 0)
			return cl_fail(c, n);
	}
	return HTTP_EAGAIN;
}
