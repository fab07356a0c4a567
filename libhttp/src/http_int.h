/* Private declarations of libhttp: character classes, the bounded cursor,
 * small inline helpers shared by the parser, the chunked decoder and the
 * connections. */
#ifndef CLOUDLET_HTTP_INT_H
#define CLOUDLET_HTTP_INT_H

#include <cloudlet/http.h>
#include <limits.h>
#include <string.h>

/* Character classes (RFC 9110 5.6.2 token, 5.5 field-value, RFC 3986). */
#define HTTP_CT_TCHAR  0x01u /* token character */
#define HTTP_CT_VCHAR  0x02u /* field-value byte: HTAB, SP, VCHAR, obs-text */
#define HTTP_CT_TARGET 0x04u /* request-target byte: visible ASCII but '#' */
#define HTTP_CT_HEX    0x08u
#define HTTP_CT_DIGIT  0x10u
#define HTTP_CT_HOST   0x20u /* reg-name: unreserved, sub-delims, '%' */

/* Everything declared from here on is shared between this library's files,
 * not part of its API: hidden, so the shared library does not export it. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* The tables are static in each file that uses them (the compiler keeps a
 * copy only where one is read): a library global, even a hidden const one,
 * gets a mutable ODR indicator byte in sanitizer builds. */
/* Generated: bit 0x01 tchar, 0x02 field-value byte, 0x04 request-target
 * byte, 0x08 HEXDIG, 0x10 DIGIT, 0x20 reg-name byte. */
static const uint8_t http_ctype[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x27, 0x06, 0x03, 0x27, 0x27, 0x27, 0x27, 0x26, 0x26, 0x27, 0x27, 0x26, 0x27, 0x27, 0x06,
	0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x06, 0x26, 0x06, 0x26, 0x06, 0x06,
	0x06, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27,
	0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x06, 0x06, 0x06, 0x07, 0x27,
	0x07, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27,
	0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x27, 0x06, 0x07, 0x06, 0x27, 0x00,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
};

/* The defaults of http_limits_default(). */
static const struct http_limits http_limits_def = {
	.max_request_line = 8192,
	.max_head = 16384,
	.max_headers = 100,
	.max_body = (uint64_t)16 << 20,
	.max_chunk_ext = 256,
	.max_trailer = 4096,
};

static inline bool http_is(uint8_t c, unsigned cls)
{
	return (http_ctype[c] & cls) != 0;
}

static inline uint8_t http_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline bool http_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* The one bounded cursor for wire reading: p never passes end, every read
 * is checked against it. */
struct http_cur {
	const uint8_t *p;
	const uint8_t *end;
};

static inline size_t http_cur_left(const struct http_cur *c)
{
	return (size_t)(c->end - c->p);
}

/* A slice with surrounding OWS removed. */
static inline struct http_str http_str_trim(struct http_str s)
{
	while (s.len && http_ows(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && http_ows(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Iterate the elements of a comma-separated list (RFC 9110 5.6.1): each
 * call yields the next element, trimmed, possibly empty. Returns false at
 * the end. *pos is the offset into list. */
static inline bool http_list_next(struct http_str list, size_t *pos, struct http_str *elem)
{
	if (*pos > list.len)
		return false;
	const uint8_t *b = list.p + *pos;
	size_t rest = list.len - *pos;
	const uint8_t *comma = rest ? memchr(b, ',', rest) : NULL;
	size_t n = comma ? (size_t)(comma - b) : rest;
	elem->p = b;
	elem->len = n;
	*elem = http_str_trim(*elem);
	*pos += n + 1;
	return true;
}

/* An output buffer that counts what does not fit: with p NULL it only
 * measures. full is set once anything was dropped. */
struct http_wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool full;
};

static inline void http_wb_put(struct http_wbuf *w, const void *s, size_t n)
{
	if (n == 0)
		return;
	if (w->p && !w->full && n <= w->cap - w->len)
		memcpy(w->p + w->len, s, n);
	else
		w->full = true;
	w->len += n;
}

static inline void http_wb_str(struct http_wbuf *w, const char *s)
{
	http_wb_put(w, s, strlen(s));
}

static inline void http_wb_slice(struct http_wbuf *w, struct http_str s)
{
	http_wb_put(w, s.p, s.len);
}

static inline void http_wb_u64(struct http_wbuf *w, uint64_t v)
{
	char d[20];
	int i = 20;
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	http_wb_put(w, d + i, (size_t)(20 - i));
}

static inline void http_wb_hex(struct http_wbuf *w, uint64_t v)
{
	char d[16];
	int i = 16;
	do {
		d[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	http_wb_put(w, d + i, (size_t)(16 - i));
}

/* Every call of the stream ops goes through these: one place to trace or
 * inject faults. Without sendv, the first piece is sent alone. */
static inline int http_op_recv(const struct http_stream_ops *ops, void *ctx, uint8_t *buf,
		size_t cap)
{
	return ops->recv(ctx, buf, cap);
}

static inline int http_op_sendv(const struct http_stream_ops *ops, void *ctx,
		const struct http_iov *iov, int n)
{
	if (ops->sendv)
		return ops->sendv(ctx, iov, n);
	return ops->send(ctx, iov[0].base, iov[0].len);
}

static inline void http_op_close(const struct http_stream_ops *ops, void *ctx)
{
	if (ops->close)
		ops->close(ctx);
}

void http_limits_or_default(const struct http_limits *in, struct http_limits *out);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
