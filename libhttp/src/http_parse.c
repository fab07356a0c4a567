/* Request and response heads (RFC 9112 2-6, RFC 9110 5, 7.2): one pass over
 * the buffer, slices into it, framing decided from the fields. */
#include "http_int.h"

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Bytes < n somewhere in x (n <= 128); exact as a boolean. */
static inline uint64_t has_less(uint64_t x, uint64_t n)
{
	return (x - ONES * n) & ~x & HIGHS;
}

static inline uint64_t has_byte(uint64_t x, uint64_t b)
{
	uint64_t y = x ^ (ONES * b);
	return (y - ONES) & ~y & HIGHS;
}

/* First byte in [p, end) that is not a field-value byte. Eight bytes at a
 * time while they are all plain (0x20..0x7e or obs-text); a block holding a
 * control, DEL or HTAB is settled byte by byte. */
static const uint8_t *scan_value(const uint8_t *p, const uint8_t *end)
{
	for (;;) {
		while (end - p >= 8) {
			uint64_t x;
			memcpy(&x, p, 8);
			if (has_less(x, 0x20) | has_byte(x, 0x7f))
				break;
			p += 8;
		}
		const uint8_t *stop = end - p > 8 ? p + 8 : end;
		for (; p < stop; p++)
			if (!http_is(*p, HTTP_CT_VCHAR))
				return p;
		if (p == end)
			return p;
	}
}

/* First byte in [p, end) that cannot be in a request-target. */
static const uint8_t *scan_target(const uint8_t *p, const uint8_t *end)
{
	for (;;) {
		while (end - p >= 8) {
			uint64_t x;
			memcpy(&x, p, 8);
			if (has_less(x, 0x21) | (x & HIGHS) | has_byte(x, 0x7f) | has_byte(x, '#'))
				break;
			p += 8;
		}
		const uint8_t *stop = end - p > 8 ? p + 8 : end;
		for (; p < stop; p++)
			if (!http_is(*p, HTTP_CT_TARGET))
				return p;
		if (p == end)
			return p;
	}
}

static const uint8_t *scan_token(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 4) {
		if (!http_is(p[0], HTTP_CT_TCHAR))
			return p;
		if (!http_is(p[1], HTTP_CT_TCHAR))
			return p + 1;
		if (!http_is(p[2], HTTP_CT_TCHAR))
			return p + 2;
		if (!http_is(p[3], HTTP_CT_TCHAR))
			return p + 3;
		p += 4;
	}
	while (p < end && http_is(*p, HTTP_CT_TCHAR))
		p++;
	return p;
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3), checked as far as the bytes go so
 * that a prefix is HTTP_EAGAIN and a wrong byte is HTTP_EVERSION at once.
 * On success cur points past the version and *major, *minor are set. */
static int parse_version(struct http_cur *c, int *major, int *minor)
{
	static const char pat[] = "HTTP/0.0";
	size_t n = http_cur_left(c) < 8 ? http_cur_left(c) : 8;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = c->p[i];
		if (pat[i] == '0' ? !http_is(b, HTTP_CT_DIGIT) : b != (uint8_t)pat[i])
			return HTTP_EVERSION;
	}
	if (n < 8)
		return HTTP_EAGAIN;
	*major = c->p[5] - '0';
	*minor = c->p[7] - '0';
	c->p += 8;
	return 0;
}

/* CRLF at the cursor; a bare CR or LF is its own error. */
static int parse_crlf(struct http_cur *c, int other)
{
	if (c->p == c->end)
		return HTTP_EAGAIN;
	if (*c->p == '\n')
		return HTTP_EBARELF;
	if (*c->p != '\r')
		return other;
	if (c->end - c->p < 2)
		return HTTP_EAGAIN;
	if (c->p[1] != '\n')
		return HTTP_EBARECR;
	c->p += 2;
	return 0;
}

/* The header section up to and including the empty line (RFC 9112 5). */
static int parse_fields(struct http_cur *c, struct http_header *hdr, size_t max, size_t *count)
{
	size_t n = 0;
	for (;;) {
		if (c->p == c->end)
			return HTTP_EAGAIN;
		uint8_t b = *c->p;
		if (b == '\r' || b == '\n') {
			int r = parse_crlf(c, HTTP_EHDRNAME);
			if (r < 0)
				return r;
			*count = n;
			return 0;
		}
		/* RFC 9112 5.2: obs-fold is rejected; so is whitespace before the
		 * first field line (RFC 9112 2.2). */
		if (http_ows(b))
			return HTTP_EOBSFOLD;
		const uint8_t *name = c->p;
		c->p = scan_token(c->p, c->end);
		if (c->p == c->end)
			return HTTP_EAGAIN;
		if (*c->p != ':') {
			/* RFC 9112 5.1: no whitespace between name and colon. */
			if (http_ows(*c->p) && c->p != name)
				return HTTP_EHDRSPACE;
			return HTTP_EHDRNAME;
		}
		if (c->p == name)
			return HTTP_EHDRNAME;
		size_t name_len = (size_t)(c->p - name);
		c->p++;
		while (c->p < c->end && http_ows(*c->p))
			c->p++;
		const uint8_t *val = c->p;
		c->p = scan_value(c->p, c->end);
		const uint8_t *vend = c->p;
		int r = parse_crlf(c, HTTP_ECTL);
		if (r < 0)
			return r;
		while (vend > val && http_ows(vend[-1]))
			vend--;
		if (n == max)
			return HTTP_ETOOMANYHDRS;
		hdr[n].name.p = name;
		hdr[n].name.len = name_len;
		hdr[n].value.p = val;
		hdr[n].value.len = (size_t)(vend - val);
		n++;
	}
}

/* The fields that decide framing and persistence, found once. */
struct known {
	bool has_cl, has_te, te_chunked_last, te_other;
	int te_chunked;
	bool conn_close, conn_keep_alive, expect_other, expect_continue;
	int host_count;
	int cl_err;
	uint64_t cl;
	struct http_str host;
};

static bool name_is(struct http_str name, const char *lower, size_t len)
{
	if (name.len != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((name.p[i] | 0x20) != (uint8_t)lower[i])
			return false;
	return true;
}

/* RFC 9110 8.6: 1*DIGIT; a list of identical values may be taken as one. */
static void scan_content_length(struct known *k, struct http_str v)
{
	size_t pos = 0;
	struct http_str e;
	while (http_list_next(v, &pos, &e)) {
		if (e.len == 0) {
			k->cl_err = HTTP_ECLINVALID;
			return;
		}
		uint64_t x = 0;
		for (size_t i = 0; i < e.len; i++) {
			if (!http_is(e.p[i], HTTP_CT_DIGIT) || x > (UINT64_MAX - 9) / 10) {
				k->cl_err = HTTP_ECLINVALID;
				return;
			}
			x = x * 10 + (uint64_t)(e.p[i] - '0');
		}
		if (k->has_cl && x != k->cl) {
			k->cl_err = HTTP_ECLCONFLICT;
			return;
		}
		k->has_cl = true;
		k->cl = x;
	}
}

/* RFC 9112 6.1: the codings in order, over every Transfer-Encoding line. */
static void scan_transfer_encoding(struct known *k, struct http_str v)
{
	size_t pos = 0;
	struct http_str e;
	k->has_te = true;
	while (http_list_next(v, &pos, &e)) {
		if (e.len == 0)
			continue; /* RFC 9110 5.6.1: empty list elements are ignored */
		k->te_chunked_last = http_str_ieq(e, "chunked");
		if (k->te_chunked_last)
			k->te_chunked++;
		else
			k->te_other = true;
	}
}

static void scan_connection(struct known *k, struct http_str v)
{
	size_t pos = 0;
	struct http_str e;
	while (http_list_next(v, &pos, &e)) {
		if (http_str_ieq(e, "close"))
			k->conn_close = true;
		else if (http_str_ieq(e, "keep-alive"))
			k->conn_keep_alive = true;
	}
}

static void scan_known(struct known *k, const struct http_header *h, size_t n, bool request)
{
	memset(k, 0, sizeof *k);
	for (size_t i = 0; i < n; i++) {
		struct http_str nm = h[i].name;
		switch (nm.len) {
		case 4:
			if (request && name_is(nm, "host", 4)) {
				k->host_count++;
				k->host = h[i].value;
			}
			break;
		case 6:
			if (request && name_is(nm, "expect", 6)) {
				if (http_str_ieq(h[i].value, "100-continue"))
					k->expect_continue = true;
				else
					k->expect_other = true;
			}
			break;
		case 10:
			if (name_is(nm, "connection", 10))
				scan_connection(k, h[i].value);
			break;
		case 14:
			if (name_is(nm, "content-length", 14) && !k->cl_err)
				scan_content_length(k, h[i].value);
			break;
		case 17:
			if (name_is(nm, "transfer-encoding", 17))
				scan_transfer_encoding(k, h[i].value);
			break;
		default:
			break;
		}
	}
}

/* RFC 9110 7.2, RFC 3986 3.2.2: uri-host [ ":" port ]. Empty is allowed
 * (RFC 9112 3.2: a client sends an empty Host when there is no authority). */
static bool host_valid(struct http_str h)
{
	size_t i = 0;
	if (h.len && h.p[0] == '[') {
		for (i = 1; i < h.len && h.p[i] != ']'; i++)
			if (!http_is(h.p[i], HTTP_CT_HOST) && h.p[i] != ':')
				return false;
		if (i == h.len || i == 1)
			return false;
		i++;
	} else {
		while (i < h.len && http_is(h.p[i], HTTP_CT_HOST))
			i++;
	}
	if (i == h.len)
		return true;
	if (h.p[i] != ':')
		return false;
	for (i++; i < h.len; i++)
		if (!http_is(h.p[i], HTTP_CT_DIGIT))
			return false;
	return true;
}

static enum http_method method_id(struct http_str m)
{
	/* Methods are case-sensitive (RFC 9110 9.1). */
	switch (m.len) {
	case 3:
		if (!memcmp(m.p, "GET", 3))
			return HTTP_M_GET;
		if (!memcmp(m.p, "PUT", 3))
			return HTTP_M_PUT;
		break;
	case 4:
		if (!memcmp(m.p, "HEAD", 4))
			return HTTP_M_HEAD;
		if (!memcmp(m.p, "POST", 4))
			return HTTP_M_POST;
		break;
	case 5:
		if (!memcmp(m.p, "TRACE", 5))
			return HTTP_M_TRACE;
		if (!memcmp(m.p, "PATCH", 5))
			return HTTP_M_PATCH;
		break;
	case 6:
		if (!memcmp(m.p, "DELETE", 6))
			return HTTP_M_DELETE;
		break;
	case 7:
		if (!memcmp(m.p, "CONNECT", 7))
			return HTTP_M_CONNECT;
		if (!memcmp(m.p, "OPTIONS", 7))
			return HTTP_M_OPTIONS;
		break;
	default:
		break;
	}
	return HTTP_M_OTHER;
}

/* Incomplete head: the limits decide whether waiting can still help. */
static int incomplete(size_t len, const struct http_limits *lim)
{
	return len >= lim->max_head ? HTTP_EHEADTOOLARGE : HTTP_EAGAIN;
}

static int request_line(struct http_request *req, struct http_cur *c)
{
	const uint8_t *m = c->p;
	c->p = scan_token(c->p, c->end);
	if (c->p == c->end)
		return HTTP_EAGAIN;
	if (c->p == m)
		return HTTP_EMETHOD;
	if (*c->p != ' ') {
		uint8_t b = *c->p;
		return b == '\r' || b == '\n' || b == '\t' ? HTTP_EREQLINE : HTTP_EMETHOD;
	}
	req->method.p = m;
	req->method.len = (size_t)(c->p - m);
	c->p++;
	const uint8_t *t = c->p;
	c->p = scan_target(c->p, c->end);
	if (c->p == c->end)
		return HTTP_EAGAIN;
	if (*c->p != ' ') {
		if (*c->p == '\r' || *c->p == '\n')
			return HTTP_EREQLINE; /* no version: HTTP/0.9 is not supported */
		return HTTP_ETARGET;
	}
	if (c->p == t)
		return HTTP_EREQLINE; /* two spaces */
	req->target.p = t;
	req->target.len = (size_t)(c->p - t);
	c->p++;
	int major, minor;
	int r = parse_version(c, &major, &minor);
	if (r < 0)
		return r;
	/* "HTTP/1.10" is a malformed version, "HTTP/1.1 x" a malformed line. */
	r = parse_crlf(c, c->p < c->end && http_is(*c->p, HTTP_CT_DIGIT) ? HTTP_EVERSION
			: HTTP_EREQLINE);
	if (r < 0)
		return r;
	if (major != 1)
		return HTTP_EVERSIONUNSUP;
	req->minor_version = minor;
	return 0;
}

int http_request_parse(struct http_request *req, const uint8_t *buf, size_t len,
		struct http_header *headers, size_t *num_headers,
		const struct http_limits *lim_in)
{
	struct http_limits lim;
	http_limits_or_default(lim_in, &lim);
	size_t cap = *num_headers < lim.max_headers ? *num_headers : lim.max_headers;
	memset(req, 0, sizeof *req);
	req->headers = headers;
	*num_headers = 0;

	struct http_cur c = { buf, buf + (len < lim.max_head ? len : lim.max_head) };
	/* RFC 9112 2.2: ignore empty lines before the request-line. */
	while (c.p < c.end && (*c.p == '\r' || *c.p == '\n')) {
		int r = parse_crlf(&c, 0);
		if (r == HTTP_EAGAIN)
			return incomplete(len, &lim);
		if (r < 0)
			return r;
	}
	const uint8_t *line = c.p;
	int r = request_line(req, &c);
	/* RFC 9112 3: a request-line longer than the server wants is 414. */
	if ((r == 0 || r == HTTP_EAGAIN) && (size_t)(c.p - line) > lim.max_request_line)
		return HTTP_EURITOOLONG;
	if (r == HTTP_EAGAIN)
		return incomplete(len, &lim);
	if (r < 0)
		return r;
	size_t n = 0;
	r = parse_fields(&c, headers, cap, &n);
	if (r == HTTP_EAGAIN)
		return incomplete(len, &lim);
	if (r < 0)
		return r;
	req->num_headers = n;
	req->meth = method_id(req->method);

	struct known k;
	scan_known(&k, headers, n, true);
	/* RFC 9112 3.2: exactly one valid Host on HTTP/1.1; never two. */
	if (k.host_count > 1)
		return HTTP_EDUPHOST;
	if (k.host_count == 0 && req->minor_version >= 1)
		return HTTP_ENOHOST;
	if (k.host_count && !host_valid(k.host))
		return HTTP_EBADHOST;
	req->host = k.host;

	/* RFC 9112 6.3. */
	if (k.has_te) {
		if (req->minor_version == 0)
			return HTTP_ETEHTTP10;  /* RFC 9112 6.1 */
		if (k.has_cl || k.cl_err)
			return HTTP_ECLTE;
		if (!k.te_chunked_last)
			return HTTP_ETENOTCHUNKED;
		if (k.te_chunked > 1)
			return HTTP_ECHUNKEDTWICE;
		if (k.te_other)
			return HTTP_ETEUNSUP;
		req->body = HTTP_BODY_CHUNKED;
	} else if (k.cl_err) {
		return k.cl_err;
	} else if (k.has_cl) {
		if (k.cl > lim.max_body)
			return HTTP_EBODYTOOLARGE;
		req->content_length = k.cl;
		req->body = k.cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	}
	/* RFC 9110 10.1.1: Expect is only meaningful from HTTP/1.1 on. */
	if (req->minor_version >= 1) {
		if (k.expect_other)
			return HTTP_EEXPECT;
		req->expect_continue = k.expect_continue;
	}
	/* RFC 9112 9.3. */
	req->keep_alive = !k.conn_close && (req->minor_version >= 1 || k.conn_keep_alive);
	req->head_len = (size_t)(c.p - buf);
	*num_headers = n;
	return (int)req->head_len;
}

int http_response_parse(struct http_response *res, const uint8_t *buf, size_t len,
		struct http_header *headers, size_t *num_headers,
		const struct http_limits *lim_in, unsigned flags)
{
	struct http_limits lim;
	http_limits_or_default(lim_in, &lim);
	size_t cap = *num_headers < lim.max_headers ? *num_headers : lim.max_headers;
	memset(res, 0, sizeof *res);
	res->headers = headers;
	*num_headers = 0;

	struct http_cur c = { buf, buf + (len < lim.max_head ? len : lim.max_head) };
	int major, minor;
	int r = parse_version(&c, &major, &minor);
	if (r == HTTP_EAGAIN)
		return incomplete(len, &lim);
	if (r < 0)
		return r;
	/* RFC 9112 4: HTTP-version SP 3DIGIT SP reason CRLF. */
	static const char pat[] = " 000";
	for (int i = 0; i < 4; i++) {
		if (c.p + i == c.end)
			return incomplete(len, &lim);
		uint8_t b = c.p[i];
		if (pat[i] == '0' ? !http_is(b, HTTP_CT_DIGIT) : b != ' ')
			return HTTP_ESTATUS;
	}
	int status = (c.p[1] - '0') * 100 + (c.p[2] - '0') * 10 + (c.p[3] - '0');
	c.p += 4;
	if (c.p == c.end)
		return incomplete(len, &lim);
	/* The SP before an empty reason is often left out; accept that. */
	if (*c.p == ' ') {
		c.p++;
		res->reason.p = c.p;
		c.p = scan_value(c.p, c.end);
		res->reason.len = (size_t)(c.p - res->reason.p);
	} else {
		res->reason.p = c.p;
	}
	r = parse_crlf(&c, c.p < c.end && http_is(*c.p, HTTP_CT_DIGIT) ? HTTP_ESTATUS : HTTP_ECTL);
	if (r == HTTP_EAGAIN)
		return incomplete(len, &lim);
	if (r < 0)
		return r;
	if (major != 1)
		return HTTP_EVERSIONUNSUP;
	if (status < 100 || status > 599)
		return HTTP_ESTATUS;
	res->minor_version = minor;
	res->status = status;

	size_t n = 0;
	r = parse_fields(&c, headers, cap, &n);
	if (r == HTTP_EAGAIN)
		return incomplete(len, &lim);
	if (r < 0)
		return r;
	res->num_headers = n;

	struct known k;
	scan_known(&k, headers, n, false);
	res->keep_alive = !k.conn_close && (minor >= 1 || k.conn_keep_alive);
	/* RFC 9112 6.3 items 1, 2. */
	if ((flags & HTTP_RESP_TO_HEAD) || status < 200 || status == 204 || status == 304 ||
			((flags & HTTP_RESP_TO_CONNECT) && status < 300)) {
		res->body = HTTP_BODY_NONE;
	} else if (k.has_te) {
		if (minor == 0)
			return HTTP_ETEHTTP10;
		if (k.has_cl || k.cl_err)
			return HTTP_ECLTE;
		if (k.te_chunked > 1)
			return HTTP_ECHUNKEDTWICE;
		if (!k.te_chunked_last) {
			res->body = HTTP_BODY_CLOSE; /* RFC 9112 6.3 item 4 */
		} else {
			if (k.te_other)
				return HTTP_ETEUNSUP;
			res->body = HTTP_BODY_CHUNKED;
		}
	} else if (k.cl_err) {
		return k.cl_err;
	} else if (k.has_cl) {
		res->content_length = k.cl;
		res->body = k.cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	} else {
		res->body = HTTP_BODY_CLOSE;
	}
	if (res->body == HTTP_BODY_CLOSE)
		res->keep_alive = false;
	res->head_len = (size_t)(c.p - buf);
	*num_headers = n;
	return (int)res->head_len;
}
