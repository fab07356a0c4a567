/* Serving over the ops: UDP datagrams, and TCP connections (RFC 7766). */
#include "dns_int.h"

/* One poll answers at most this many TCP queries, so a client that streams
 * queries cannot starve the other connections of its event loop. */
#define TCP_BATCH 32

int dns_udp_serve(const struct dns_server *srv, const struct dns_dgram_ops *ops, void *ctx,
	uint8_t *buf, size_t cap, int max)
{
	/* The query in the first half, the answer in the second. */
	if (cap < 1024 || max <= 0)
		return DNS_EINVAL;
	size_t half = cap / 2;
	uint8_t *q = buf, *a = buf + half;
	struct dns_answer_opts opts = { false, srv->udp_max };
	int done = 0;
	while (done < max) {
		struct dns_addr from;
		memset(&from, 0, sizeof from);
		int n = ops->recv(ctx, q, half, &from);
		if (n == 0)
			break;
		if (n < 0)
			return done ? done : DNS_EIO;
		int r = dns_answer(srv->zones, srv->nzones, q, (size_t)n, a, half, srv->ctab,
			srv->ctab_cap, &opts);
		/* A datagram that cannot be sent now is lost, as UDP allows. */
		if (r > 0)
			(void)ops->send(ctx, a, (size_t)r, &from);
		done++;
	}
	return done;
}

int dns_tcp_init(struct dns_tcp *c, const struct dns_stream_ops *ops, void *ctx,
	uint8_t *in, size_t in_cap, uint8_t *out, size_t out_cap, uint32_t idle_ms, uint64_t now_ms)
{
	memset(c, 0, sizeof *c);
	c->priv.ops = ops;
	c->priv.ctx = ctx;
	c->priv.in = in;
	c->priv.in_cap = in_cap;
	c->priv.out = out;
	c->priv.out_cap = out_cap;
	c->priv.idle_ms = idle_ms ? idle_ms : DNS_TCP_IDLE_MS;
	c->priv.deadline = now_ms + c->priv.idle_ms;
	if (in_cap < 2 + DNS_HDR_LEN || out_cap < 2 + 512)
		c->priv.err = DNS_EINVAL;
	return c->priv.err;
}

static int finish(struct dns_tcp *c, int err)
{
	c->priv.err = err;
	c->priv.ops->close(c->priv.ctx);
	return err;
}

int dns_tcp_poll(struct dns_tcp *c, const struct dns_server *srv, uint64_t now_ms)
{
	if (c->priv.err)
		return c->priv.err;
	if (now_ms >= c->priv.deadline)
		return finish(c, DNS_ETIMEDOUT);
	struct dns_answer_opts opts = { true, srv->udp_max };
	int batch = 0;
	c->priv.more = false;
	for (;;) {
		while (c->priv.out_off < c->priv.out_len) {
			int r = c->priv.ops->send(c->priv.ctx, c->priv.out + c->priv.out_off,
				c->priv.out_len - c->priv.out_off);
			if (r == 0)
				return 0;
			if (r < 0)
				return finish(c, DNS_EIO);
			c->priv.out_off += (size_t)r;
			c->priv.deadline = now_ms + c->priv.idle_ms;
		}
		c->priv.out_len = c->priv.out_off = 0;
		if (c->priv.in_len >= 2) {
			size_t flen = dns_get16(c->priv.in);
			/* RFC 1035 4.2.2: each message behind its 2-octet length; one
			 * without room for a header has no id to answer. */
			if (flen < DNS_HDR_LEN)
				return finish(c, DNS_ETRUNC);
			if (flen + 2 > c->priv.in_cap)
				return finish(c, DNS_ENOMEM);
			if (c->priv.in_len >= flen + 2) {
				if (batch == TCP_BATCH) {
					c->priv.more = true;
					return 0;
				}
				int r = dns_answer(srv->zones, srv->nzones, c->priv.in + 2, flen,
					c->priv.out + 2, c->priv.out_cap - 2, srv->ctab, srv->ctab_cap, &opts);
				c->priv.in_len -= flen + 2;
				memmove(c->priv.in, c->priv.in + flen + 2, c->priv.in_len);
				if (r > 0) {
					dns_put16(c->priv.out, (uint16_t)r);
					c->priv.out_len = (size_t)r + 2;
					c->priv.answered++;
				}
				batch++;
				c->priv.deadline = now_ms + c->priv.idle_ms;
				continue;
			}
		}
		int r = c->priv.ops->recv(c->priv.ctx, c->priv.in + c->priv.in_len,
			c->priv.in_cap - c->priv.in_len);
		if (r == 0)
			return 0;
		if (r == -1)
			return finish(c, DNS_EEOF);
		if (r < 0)
			return finish(c, DNS_EIO);
		c->priv.in_len += (size_t)r;
		c->priv.deadline = now_ms + c->priv.idle_ms;
	}
}

uint64_t dns_tcp_next_deadline(const struct dns_tcp *c)
{
	if (c->priv.err)
		return UINT64_MAX;
	return c->priv.more ? 0 : c->priv.deadline;
}

uint32_t dns_tcp_answered(const struct dns_tcp *c)
{
	return c->priv.answered;
}
