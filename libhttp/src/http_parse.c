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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HTTP_SWAR_LE 1
/* In a mask from has_less/has_byte the lowest flagged byte is exact (a
 * borrow only runs towards higher bytes), and with little-endian loads the
 * lowest byte is the first in memory. */
static inline size_t first_flag(uint64_t m)
{
	return (size_t)__builtin_ctzll(m) >> 3;
}
#endif

/* First byte in [p, end) that is not a field-value byte. Eight bytes at a
 * time: a control or DEL ends the scan where it is; HTAB (a control that
 * is allowed) is stepped over. */
static inline __attribute__((always_inline)) const uint8_t *scan_value(const uint8_t *p,
		const uint8_t *end)
{
	while (end - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		uint64_t m = has_less(x, 0x20) | has_byte(x, 0x7f);
		if (!m) {
			p += 8;
			continue;
		}
#ifdef HTTP_SWAR_LE
		size_t at = first_flag(m);
		if ((uint8_t)(x >> (at * 8)) != '\t') /* from the register, not memory */
			return p + at;
		p += at + 1;
#else
		for (const uint8_t *stop = p + 8; p < stop; p++)
			if (!http_is(*p, HTTP_CT_VCHAR))
				return p;
#endif
	}
	for (; p < end; p++)
		if (!http_is(*p, HTTP_CT_VCHAR))
			return p;
	return p;
}

/* First byte in [p, end) that cannot be in a request-target. */
static const uint8_t *scan_target(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		uint64_t m = has_less(x, 0x21) | (x & HIGHS) | has_byte(x, 0x7f) | has_byte(x, '#');
		if (!m) {
			p += 8;
			continue;
		}
#ifdef HTTP_SWAR_LE
		return p + first_flag(m);
#else
		for (;; p++)
			if (!http_is(*p, HTTP_CT_TARGET))
				return p;
#endif
	}
	for (; p < end; p++)
		if (!http_is(*p, HTTP_CT_TARGET))
			return p;
	return p;
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

/* The AND of the classes of n bytes: four independent lookups a round, so
 * the loop is bound by loads, not by one long dependency chain. */
static inline unsigned class_all(const uint8_t *p, size_t n)
{
	unsigned a = 0xff, b = 0xff;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		a &= http_ctype[p[i]] & http_ctype[p[i + 1]];
		b &= http_ctype[p[i + 2]] & http_ctype[p[i + 3]];
	}
	for (; i < n; i++)
		a &= http_ctype[p[i]];
	return a & b;
}

/* A field name: find the colon eight bytes at a time, then check the bytes
 * before it without a branch per byte; when that fails (or there is no
 * colon in whole words), the byte-wise scan finds the exact stop. */
static const uint8_t *scan_name(const uint8_t *p, const uint8_t *end)
{
#ifdef HTTP_SWAR_LE
	const uint8_t *q = p;
	while (end - q >= 8) {
		uint64_t x;
		memcpy(&x, q, 8);
		uint64_t m = has_byte(x, ':');
		if (m) {
			q += first_flag(m);
			if (class_all(p, (size_t)(q - p)) & HTTP_CT_TCHAR)
				return q;
			break;
		}
		q += 8;
	}
#endif
	return scan_token(p, end);
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

/* The fields that decide framing and persistence, found once. */
enum {
	K_CL = 1, K_TE = 2, K_TE_CHUNKED_LAST = 4, K_TE_OTHER = 8,
	K_CLOSE = 16, K_KEEP_ALIVE = 32, K_EXPECT_OTHER = 64, K_EXPECT_CONTINUE = 128
};
struct known {
	unsigned f;             /* K_* flags, one word: see known_init */
	int te_chunked;
	int host_count;
	int cl_err;
	uint64_t cl;
	struct http_str host;
};

/* Case-insensitive match of a token against a lowercase name made of
 * letters and '-': setting bit 0x20 lowers a letter and keeps '-', and no
 * other token byte becomes a letter or '-' that way, so whole words can be
 * compared at once. */
static inline bool name_is(struct http_str name, const char *lower, size_t len)
{
	if (name.len != len)
		return false;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t a, b;
		memcpy(&a, name.p + i, 8);
		memcpy(&b, lower + i, 8);
		if ((a | 0x2020202020202020ull) != b)
			return false;
	}
	for (; i < len; i++)
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
		if ((k->f & K_CL) && x != k->cl) {
			k->cl_err = HTTP_ECLCONFLICT;
			return;
		}
		k->f |= K_CL;
		k->cl = x;
	}
}

/* RFC 9112 6.1: the codings in order, over every Transfer-Encoding line. */
static void scan_transfer_encoding(struct known *k, struct http_str v)
{
	size_t pos = 0;
	struct http_str e;
	k->f |= K_TE;
	while (http_list_next(v, &pos, &e)) {
		if (e.len == 0)
			continue; /* RFC 9110 5.6.1: empty list elements are ignored */
		if (http_str_ieq(e, "chunked")) {
			k->f |= K_TE_CHUNKED_LAST;
			k->te_chunked++;
		} else {
			k->f = (k->f & ~(unsigned)K_TE_CHUNKED_LAST) | K_TE_OTHER;
		}
	}
}

static void scan_connection(struct known *k, struct http_str v)
{
	size_t pos = 0;
	struct http_str e;
	while (http_list_next(v, &pos, &e)) {
		if (http_str_ieq(e, "close"))
			k->f |= K_CLOSE;
		else if (http_str_ieq(e, "keep-alive"))
			k->f |= K_KEEP_ALIVE;
	}
}

/* Field by field, flags in one word: a block clear, or byte stores later
 * read as a wider word, stall the loads that follow on store forwarding. */
static inline void known_init(struct known *k)
{
	k->f = 0;
	k->te_chunked = 0;
	k->host_count = 0;
	k->cl_err = 0;
	k->cl = 0;
	k->host.p = NULL;
	k->host.len = 0;
}

/* Note a field that decides framing or persistence, as it is parsed. */
static void note_field(struct known *k, struct http_str nm, struct http_str v, bool request)
{
	switch (nm.len) {
	case 4:
		if (request && name_is(nm, "host", 4)) {
			k->host_count++;
			k->host = v;
		}
		break;
	case 6:
		if (request && name_is(nm, "expect", 6)) {
			if (http_str_ieq(v, "100-continue"))
				k->f |= K_EXPECT_CONTINUE;
			else
				k->f |= K_EXPECT_OTHER;
		}
		break;
	case 10:
		if (name_is(nm, "connection", 10))
			scan_connection(k, v);
		break;
	case 14:
		if (name_is(nm, "content-length", 14) && !k->cl_err)
			scan_content_length(k, v);
		break;
	case 17:
		if (name_is(nm, "transfer-encoding", 17))
			scan_transfer_encoding(k, v);
		break;
	default:
		break;
	}
}

/* The header section up to and including the empty line (RFC 9112 5). */
static int parse_fields(struct http_cur *c, struct http_header *hdr, size_t max, size_t *count,
		struct known *k, bool request)
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
		c->p = scan_name(c->p, c->end);
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
		/* noted from registers: reading back the entry just stored
		 * would stall on store forwarding */
		struct http_str nm = { name, name_len }, v = { val, (size_t)(vend - val) };
		note_field(k, nm, v, request);
		hdr[n].name = nm;
		hdr[n].value = v;
		n++;
	}
}

/* RFC 9110 7.2, RFC 3986 3.2.2: uri-host [ ":" port ]. Empty is allowed
 * (RFC 9112 3.2: a client sends an empty Host when there is no authority). */
static bool host_valid(struct http_str h)
{
	if (h.len && h.p[0] == '[') {
		size_t i;
		for (i = 1; i < h.len && h.p[i] != ']'; i++)
			if (!http_is(h.p[i], HTTP_CT_HOST) && h.p[i] != ':')
				return false;
		if (i == h.len || i == 1)
			return false;
		i++;
		if (i == h.len)
			return true;
		if (h.p[i] != ':')
			return false;
		return (class_all(h.p + i + 1, h.len - i - 1) & HTTP_CT_DIGIT) != 0;
	}
	/* reg-name [ ":" *DIGIT ]: the port is the digits at the end after a
	 * colon; everything before must be reg-name bytes (a stray colon is
	 * not one), checked without a branch per byte. */
	size_t n = h.len;
	while (n > 0 && http_is(h.p[n - 1], HTTP_CT_DIGIT))
		n--;
	n = n > 0 && h.p[n - 1] == ':' ? n - 1 : h.len;
	return (class_all(h.p, n) & HTTP_CT_HOST) != 0;
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
static int incomplete(size_t len, size_t max_head)
{
	return len >= max_head ? HTTP_EHEADTOOLARGE : HTTP_EAGAIN;
}

static int request_line(struct http_request *req, struct http_cur *c)
{
	const uint8_t *m = c->p;
	if (http_cur_left(c) >= 4 && !memcmp(m, "GET ", 4)) {
		c->p += 3;  /* the common case, named at once */
		req->meth = HTTP_M_GET;
	} else {
		c->p = scan_token(c->p, c->end);
	}
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
	if (http_cur_left(c) >= 10 && !memcmp(c->p, "HTTP/1.", 7) &&
			http_is(c->p[7], HTTP_CT_DIGIT) && c->p[8] == '\r' && c->p[9] == '\n') {
		req->minor_version = c->p[7] - '0';
		c->p += 10;
		return 0;
	}
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
	const struct http_limits *lim = lim_in ? lim_in : &http_limits_def;
	size_t cap = *num_headers < lim->max_headers ? *num_headers : lim->max_headers;
	size_t max_head = lim->max_head < INT_MAX ? lim->max_head : INT_MAX;
	/* Field by field: cheaper than a memset on every parse. */
	req->method.p = req->target.p = req->host.p = NULL;
	req->method.len = req->target.len = req->host.len = 0;
	req->minor_version = 0;
	req->meth = HTTP_M_OTHER;
	req->headers = headers;
	req->num_headers = 0;
	req->body = HTTP_BODY_NONE;
	req->content_length = 0;
	req->keep_alive = req->expect_continue = false;
	req->head_len = 0;
	*num_headers = 0;

	struct http_cur c = { buf, buf + (len < max_head ? len : max_head) };
	/* RFC 9112 2.2: ignore empty lines before the request-line. */
	while (c.p < c.end && (*c.p == '\r' || *c.p == '\n')) {
		int r = parse_crlf(&c, 0);
		if (r == HTTP_EAGAIN)
			return incomplete(len, max_head);
		if (r < 0)
			return r;
	}
	const uint8_t *line = c.p;
	int r = request_line(req, &c);
	/* RFC 9112 3: a request-line longer than the server wants is 414. */
	if ((r == 0 || r == HTTP_EAGAIN) && (size_t)(c.p - line) > lim->max_request_line)
		return HTTP_EURITOOLONG;
	if (r == HTTP_EAGAIN)
		return incomplete(len, max_head);
	if (r < 0)
		return r;
	size_t n = 0;
	struct known k;
	known_init(&k);
	r = parse_fields(&c, headers, cap, &n, &k, true);
	if (r == HTTP_EAGAIN)
		return incomplete(len, max_head);
	if (r < 0)
		return r;
	req->num_headers = n;
	if (req->meth == HTTP_M_OTHER)
		req->meth = method_id(req->method);
	/* RFC 9112 3.2: exactly one valid Host on HTTP/1.1; never two. */
	if (k.host_count > 1)
		return HTTP_EDUPHOST;
	if (k.host_count == 0 && req->minor_version >= 1)
		return HTTP_ENOHOST;
	if (k.host_count && !host_valid(k.host))
		return HTTP_EBADHOST;
	req->host = k.host;

	/* RFC 9112 6.3. */
	if ((k.f & K_TE)) {
		if (req->minor_version == 0)
			return HTTP_ETEHTTP10;  /* RFC 9112 6.1 */
		if ((k.f & K_CL) || k.cl_err)
			return HTTP_ECLTE;
		if (!(k.f & K_TE_CHUNKED_LAST))
			return HTTP_ETENOTCHUNKED;
		if (k.te_chunked > 1)
			return HTTP_ECHUNKEDTWICE;
		if ((k.f & K_TE_OTHER))
			return HTTP_ETEUNSUP;
		req->body = HTTP_BODY_CHUNKED;
	} else if (k.cl_err) {
		return k.cl_err;
	} else if ((k.f & K_CL)) {
		if (k.cl > lim->max_body)
			return HTTP_EBODYTOOLARGE;
		req->content_length = k.cl;
		req->body = k.cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	}
	/* RFC 9110 10.1.1: Expect is only meaningful from HTTP/1.1 on. */
	if (req->minor_version >= 1) {
		if ((k.f & K_EXPECT_OTHER))
			return HTTP_EEXPECT;
		req->expect_continue = (k.f & K_EXPECT_CONTINUE) != 0;
	}
	/* RFC 9112 9.3. */
	req->keep_alive = !(k.f & K_CLOSE) && (req->minor_version >= 1 || (k.f & K_KEEP_ALIVE));
	req->head_len = (size_t)(c.p - buf);
	*num_headers = n;
	return (int)req->head_len;
}

int http_response_parse(struct http_response *res, const uint8_t *buf, size_t len,
		struct http_header *headers, size_t *num_headers,
		const struct http_limits *lim_in, unsigned flags)
{
	const struct http_limits *lim = lim_in ? lim_in : &http_limits_def;
	size_t cap = *num_headers < lim->max_headers ? *num_headers : lim->max_headers;
	size_t max_head = lim->max_head < INT_MAX ? lim->max_head : INT_MAX;
	res->minor_version = 0;
	res->status = 0;
	res->reason.p = NULL;
	res->reason.len = 0;
	res->headers = headers;
	res->num_headers = 0;
	res->body = HTTP_BODY_NONE;
	res->content_length = 0;
	res->keep_alive = false;
	res->head_len = 0;
	*num_headers = 0;

	struct http_cur c = { buf, buf + (len < max_head ? len : max_head) };
	int major, minor;
	int r = parse_version(&c, &major, &minor);
	if (r == HTTP_EAGAIN)
		return incomplete(len, max_head);
	if (r < 0)
		return r;
	/* RFC 9112 4: HTTP-version SP 3DIGIT SP reason CRLF. */
	static const char pat[] = " 000";
	for (int i = 0; i < 4; i++) {
		if (c.p + i == c.end)
			return incomplete(len, max_head);
		uint8_t b = c.p[i];
		if (pat[i] == '0' ? !http_is(b, HTTP_CT_DIGIT) : b != ' ')
			return HTTP_ESTATUS;
	}
	int status = (c.p[1] - '0') * 100 + (c.p[2] - '0') * 10 + (c.p[3] - '0');
	c.p += 4;
	if (c.p == c.end)
		return incomplete(len, max_head);
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
		return incomplete(len, max_head);
	if (r < 0)
		return r;
	if (major != 1)
		return HTTP_EVERSIONUNSUP;
	if (status < 100 || status > 599)
		return HTTP_ESTATUS;
	res->minor_version = minor;
	res->status = status;

	size_t n = 0;
	struct known k;
	known_init(&k);
	r = parse_fields(&c, headers, cap, &n, &k, false);
	if (r == HTTP_EAGAIN)
		return incomplete(len, max_head);
	if (r < 0)
		return r;
	res->num_headers = n;
	res->keep_alive = !(k.f & K_CLOSE) && (minor >= 1 || (k.f & K_KEEP_ALIVE));
	/* RFC 9112 6.3 items 1, 2. */
	if ((flags & HTTP_RESP_TO_HEAD) || status < 200 || status == 204 || status == 304 ||
			((flags & HTTP_RESP_TO_CONNECT) && status < 300)) {
		res->body = HTTP_BODY_NONE;
	} else if ((k.f & K_TE)) {
		if (minor == 0)
			return HTTP_ETEHTTP10;
		if ((k.f & K_CL) || k.cl_err)
			return HTTP_ECLTE;
		if (k.te_chunked > 1)
			return HTTP_ECHUNKEDTWICE;
		if (!(k.f & K_TE_CHUNKED_LAST)) {
			res->body = HTTP_BODY_CLOSE; /* RFC 9112 6.3 item 4 */
		} else {
			if ((k.f & K_TE_OTHER))
				return HTTP_ETEUNSUP;
			res->body = HTTP_BODY_CHUNKED;
		}
	} else if (k.cl_err) {
		return k.cl_err;
	} else if ((k.f & K_CL)) {
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
