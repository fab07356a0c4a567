/*
 * The TCP connection: the input is what a client sends (after one octet
 * that seeds the read and write sizes and would-blocks). The connection
 * must end (EOF or a framing error) within a bounded number of polls,
 * close the stream exactly once, and write only whole, well-framed
 * answers, one per query frame at most, in order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake {
	const uint8_t *in;
	size_t len, pos;
	uint32_t rng;
	uint8_t out[1 << 18];
	size_t outlen;
	int closes;
};

static uint32_t next(struct fake *f)
{
	f->rng = f->rng * 1103515245u + 12345u;
	return f->rng >> 16;
}

static int f_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct fake *f = ctx;
	if (f->closes)
		abort();
	if (f->pos == f->len)
		return -1;
	if (next(f) % 4 == 0)
		return 0;
	size_t n = 1 + next(f) % 700;
	if (n > cap)
		n = cap;
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	memcpy(buf, f->in + f->pos, n);
	f->pos += n;
	return (int)n;
}

static int f_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	if (f->closes || len == 0)
		abort();
	if (next(f) % 4 == 0)
		return 0;
	size_t n = 1 + next(f) % 900;
	if (n > len)
		n = len;
	if (n > sizeof f->out - f->outlen)
		return 0;
	memcpy(f->out + f->outlen, buf, n);
	f->outlen += n;
	return (int)n;
}

static void f_close(void *ctx)
{
	((struct fake *)ctx)->closes++;
}

/* Echoes the query with QR set: enough to check framing and order. */
static int echo(void *ctx, struct dns_req *req, uint8_t *out, size_t cap)
{
	(void)ctx;
	if (req->len > cap)
		return DNS_ENOMEM;
	memcpy(out, req->wire, req->len);
	out[2] |= 0x80;
	return (int)req->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const struct dns_stream_ops ops = { f_recv, f_send, NULL, f_close };
	static struct fake f;
	static uint8_t scratch[DNS_SCRATCH_SIZE], ibuf[1024], obuf[2048];
	memset(&f, 0, sizeof f.in + sizeof f.len);
	f.in = data + 1;
	f.len = size - 1;
	f.pos = f.outlen = 0;
	f.closes = 0;
	f.rng = data[0];
	struct dns_srv srv;
	if (dns_srv_init(&srv, echo, NULL, scratch, sizeof scratch) != 0)
		abort();
	srv.tcp_query_max = 600;
	struct dns_tcp c;
	if (dns_tcp_init(&c, &srv, &ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0) != 0)
		abort();
	int r = 0;
	for (size_t i = 0; i < 64 + 8 * size && r >= 0; i++)
		r = dns_tcp_poll(&c, 0);
	if (r >= 0 || f.closes != 1)
		abort();
	if (r != DNS_EEOF && r != DNS_ETCP_SHORT && r != DNS_ETCP_LONG)
		abort();
	/* Every answer is the echo of the query frame at the same place. */
	size_t p = 0, q = 0;
	while (p < f.outlen) {
		if (f.outlen - p < 2 || q + 2 > f.len)
			abort();
		size_t l = (size_t)f.out[p] << 8 | f.out[p + 1];
		size_t ql = (size_t)f.in[q] << 8 | f.in[q + 1];
		if (l != ql || f.outlen - p - 2 < l || q + 2 + ql > f.len)
			abort();
		if (memcmp(f.out + p + 5, f.in + q + 5, l - 3) != 0 || !(f.out[p + 4] & 0x80))
			abort();
		p += 2 + l;
		q += 2 + ql;
	}
	return 0;
}
