/* The chunked transfer coding (RFC 9112 7.1): an incremental decoder that
 * copies chunk data out and checks every framing byte on the way. */
#include "http_int.h"

enum {
	S_SIZE,         /* hex digits of chunk-size */
	S_EXT_BWS,      /* BWS after the size, before ';' */
	S_EXT,          /* inside chunk extensions, up to CR */
	S_SIZE_LF,      /* LF ending the size line */
	S_DATA,
	S_DATA_CR,      /* CRLF after chunk data */
	S_DATA_LF,
	S_TRAILER,      /* start of a trailer line, or the final CRLF */
	S_TNAME,
	S_TVALUE,
	S_TLF,
	S_END_LF,
	S_DONE
};

void http_chunked_init(struct http_chunked *c, const struct http_limits *lim_in)
{
	struct http_limits lim;
	http_limits_or_default(lim_in, &lim);
	memset(c, 0, sizeof *c);
	c->priv.state = S_SIZE;
	c->priv.max_body = lim.max_body;
	c->priv.max_ext = lim.max_chunk_ext;
	c->priv.max_trailer = lim.max_trailer;
}

bool http_chunked_done(const struct http_chunked *c)
{
	return c->priv.state == S_DONE;
}

static int hexval(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	b = http_lower(b);
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	return -1;
}

/* One framing byte (any state but S_DATA and S_DONE): the next state, or
 * an error. */
static int step(struct http_chunked *c, uint8_t b)
{
	switch (c->priv.state) {
	case S_SIZE: {
		int v = hexval(b);
		if (v >= 0) {
			if (c->priv.left >> 60)
				return HTTP_ECHUNKOVERFLOW;
			c->priv.left = c->priv.left << 4 | (uint64_t)v;
			c->priv.digits++;
			return S_SIZE;
		}
		if (c->priv.digits == 0)
			return HTTP_ECHUNKSIZE;
		if (c->priv.left > c->priv.max_body - c->priv.total)
			return HTTP_EBODYTOOLARGE;
		c->priv.count = 0;
		if (b == '\r')
			return S_SIZE_LF;
		if (b == '\n')
			return HTTP_EBARELF;
		if (b == ';')
			return S_EXT;
		if (http_ows(b))
			return S_EXT_BWS;
		return HTTP_ECHUNKSIZE;
	}
	case S_EXT_BWS:
	case S_EXT:
		/* RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS val ] );
		 * extensions are ignored, so only their bytes and length are checked. */
		if (++c->priv.count > c->priv.max_ext)
			return HTTP_ECHUNKEXT;
		if (c->priv.state == S_EXT_BWS)
			return http_ows(b) ? S_EXT_BWS : b == ';' ? S_EXT : HTTP_ECHUNKEXT;
		if (b == '\r')
			return S_SIZE_LF;
		if (b == '\n')
			return HTTP_EBARELF;
		return http_is(b, HTTP_CT_VCHAR) ? S_EXT : HTTP_ECHUNKEXT;
	case S_SIZE_LF:
		if (b != '\n')
			return HTTP_EBARECR;
		return c->priv.left ? S_DATA : S_TRAILER;
	case S_DATA_CR:
		if (b == '\r')
			return S_DATA_LF;
		return b == '\n' ? HTTP_EBARELF : HTTP_ECHUNKDATA;
	case S_DATA_LF:
		if (b != '\n')
			return HTTP_EBARECR;
		c->priv.digits = 0;
		c->priv.left = 0;
		return S_SIZE;
	default:
		break;
	}
	/* Trailer section (RFC 9112 7.1.2): field lines, then CRLF. */
	if (++c->priv.count > c->priv.max_trailer)
		return HTTP_ETRAILER;
	switch (c->priv.state) {
	case S_TRAILER:
		if (b == '\r')
			return S_END_LF;
		if (b == '\n')
			return HTTP_EBARELF;
		if (http_ows(b))
			return HTTP_EOBSFOLD;
		return http_is(b, HTTP_CT_TCHAR) ? S_TNAME : HTTP_EHDRNAME;
	case S_TNAME:
		if (b == ':')
			return S_TVALUE;
		if (http_ows(b))
			return HTTP_EHDRSPACE;
		return http_is(b, HTTP_CT_TCHAR) ? S_TNAME : HTTP_EHDRNAME;
	case S_TVALUE:
		if (b == '\r')
			return S_TLF;
		if (b == '\n')
			return HTTP_EBARELF;
		return http_is(b, HTTP_CT_VCHAR) ? S_TVALUE : HTTP_ECTL;
	case S_TLF:
		return b == '\n' ? S_TRAILER : HTTP_EBARECR;
	case S_END_LF:
		return b == '\n' ? S_DONE : HTTP_EBARECR;
	default:
		return HTTP_ESTATE;
	}
}

int http_chunked_decode(struct http_chunked *c, const uint8_t *in, size_t len,
		size_t *consumed, uint8_t *out, size_t cap, size_t *produced)
{
	size_t i = 0, o = 0;
	int ret = HTTP_EAGAIN;
	*consumed = 0;
	*produced = 0;
	if (c->priv.state < 0)
		return c->priv.state; /* the first error is kept */
	while (c->priv.state != S_DONE) {
		if (c->priv.state == S_DATA) {
			size_t n = len - i;
			if (n > cap - o)
				n = cap - o;
			if (n > c->priv.left)
				n = (size_t)c->priv.left;
			if (n == 0) {
				ret = i == len ? HTTP_EAGAIN : 0;
				break;
			}
			memmove(out + o, in + i, n);
			i += n;
			o += n;
			c->priv.left -= n;
			c->priv.total += n;
			if (c->priv.left == 0)
				c->priv.state = S_DATA_CR;
			continue;
		}
		if (i == len)
			break;
		int st = step(c, in[i++]);
		c->priv.state = st;
		if (st < 0) {
			ret = st;
			break;
		}
	}
	if (c->priv.state == S_DONE)
		ret = 1;
	*consumed = i;
	*produced = o;
	return ret;
}
