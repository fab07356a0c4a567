/* pkt-line framing and side-band-64k (gitprotocol-common.txt, gitprotocol-pack.txt). */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gitstore_pkt_parse(const uint8_t *buf, size_t len, struct gitstore_pkt *out)
{
	size_t n = 0;
	/* Judge the hex digits we have, so garbage is an error before four bytes come. */
	for (size_t i = 0; i < 4; i++) {
		if (i >= len)
			return GITSTORE_EAGAIN;
		int v = hexval(buf[i]);
		if (v < 0)
			return GITSTORE_EPKT_HEX;
		n = n << 4 | (size_t)v;
	}
	out->data.p = buf + 4;
	out->data.len = 0;
	if (n < 4) {
		/* 0000 flush, 0001 delim, 0002 response-end; 0003 is reserved. */
		if (n == 3)
			return GITSTORE_EPKT_LEN;
		out->kind = n == 0 ? GITSTORE_PKT_FLUSH : n == 1 ? GITSTORE_PKT_DELIM : GITSTORE_PKT_END;
		return 4;
	}
	if (n > GITSTORE_PKT_MAX)
		return GITSTORE_EPKT_TOOLONG;
	if (len < n)
		return GITSTORE_EAGAIN;
	out->kind = GITSTORE_PKT_DATA;
	out->data.len = n - 4;
	return (int)n;
}

struct gitstore_slice gitstore_pkt_text(const struct gitstore_pkt *p)
{
	struct gitstore_slice s = p->data;
	if (p->kind != GITSTORE_PKT_DATA)
		s.len = 0;
	if (s.len && s.p[s.len - 1] == '\n')
		s.len--;
	return s;
}

void gitstore_int_pkt_hdr(uint8_t *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	out[0] = (uint8_t)digits[(n >> 12) & 15];
	out[1] = (uint8_t)digits[(n >> 8) & 15];
	out[2] = (uint8_t)digits[(n >> 4) & 15];
	out[3] = (uint8_t)digits[n & 15];
}

int gitstore_pkt_write(uint8_t *out, size_t cap, const void *data, size_t len)
{
	if (len > GITSTORE_PKT_DATA_MAX)
		return GITSTORE_EPKT_TOOLONG;
	if (cap < len + 4)
		return GITSTORE_ENOMEM;
	gitstore_int_pkt_hdr(out, len + 4);
	if (len)
		memmove(out + 4, data, len);
	return (int)len + 4;
}

int gitstore_pkt_write_special(uint8_t *out, size_t cap, int kind)
{
	if (kind != GITSTORE_PKT_FLUSH && kind != GITSTORE_PKT_DELIM && kind != GITSTORE_PKT_END)
		return GITSTORE_EINVAL;
	if (cap < 4)
		return GITSTORE_ENOMEM;
	gitstore_int_pkt_hdr(out, (size_t)(kind - 1));
	return 4;
}

int gitstore_sideband_parse(const struct gitstore_pkt *p, int *band, struct gitstore_slice *payload)
{
	if (p->kind != GITSTORE_PKT_DATA)
		return GITSTORE_EINVAL;
	if (p->data.len == 0)
		return GITSTORE_ESIDEBAND_EMPTY;
	uint8_t b = p->data.p[0];
	if (b < GITSTORE_BAND_DATA || b > GITSTORE_BAND_ERROR)
		return GITSTORE_ESIDEBAND_BAND;
	*band = b;
	payload->p = p->data.p + 1;
	payload->len = p->data.len - 1;
	return 0;
}

int gitstore_sideband_write(uint8_t *out, size_t cap, int band, const void *data, size_t len, size_t *taken)
{
	if (band < GITSTORE_BAND_DATA || band > GITSTORE_BAND_ERROR || len == 0)
		return GITSTORE_EINVAL;
	size_t n = len > GITSTORE_SIDEBAND_MAX ? GITSTORE_SIDEBAND_MAX : len;
	if (cap < 6)
		return GITSTORE_ENOMEM;
	if (n > cap - 5)
		n = cap - 5;
	gitstore_int_pkt_hdr(out, n + 5);
	out[4] = (uint8_t)band;
	memmove(out + 5, data, n);
	*taken = n;
	return (int)n + 5;
}

void gitstore_pktbuf_init(struct gitstore_pktbuf *b, uint8_t *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->start = 0;
	b->end = 0;
}

size_t gitstore_pktbuf_feed(struct gitstore_pktbuf *b, const uint8_t *data, size_t len)
{
	if (b->start > 0) {
		memmove(b->buf, b->buf + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	size_t n = b->cap - b->end;
	if (n > len)
		n = len;
	if (n)
		memcpy(b->buf + b->end, data, n);
	b->end += n;
	return n;
}

int gitstore_pktbuf_next(struct gitstore_pktbuf *b, struct gitstore_pkt *p)
{
	const uint8_t *s = b->buf + b->start;
	size_t avail = b->end - b->start;
	int rc = gitstore_pkt_parse(s, avail, p);
	if (rc == GITSTORE_EAGAIN && avail >= 4) {
		/* A packet longer than the whole buffer can never be completed. */
		size_t n = 0;
		for (int i = 0; i < 4; i++)
			n = n << 4 | (size_t)hexval(s[i]);
		if (n > b->cap)
			return GITSTORE_EPKT_TOOLONG;
	}
	if (rc < 0)
		return rc;
	b->start += (size_t)rc;
	return 1;
}

struct gitstore_slice gitstore_pktbuf_rest(const struct gitstore_pktbuf *b)
{
	struct gitstore_slice s = { b->buf + b->start, b->end - b->start };
	return s;
}

void gitstore_pktbuf_skip(struct gitstore_pktbuf *b, size_t n)
{
	if (n > b->end - b->start)
		n = b->end - b->start;
	b->start += n;
}
