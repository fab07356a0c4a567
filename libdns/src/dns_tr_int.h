/* Private declarations of the libdns transport (dns_udp.c, dns_tcp.c). */
#ifndef DNS_TR_INT_H
#define DNS_TR_INT_H

#include "dns_int.h"

/* Shared between this library's files, not part of its API: hidden, so the
 * shared library does not export it. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* Calls the server's answer callback for req into out (cap octets) and
 * makes the response fit req->limit (the scratch buffer, then
 * dns_msg_truncate()). Returns the response length, 0, or an error. */
int dns_srv_call(struct dns_srv *s, struct dns_req *req, uint8_t *out, size_t cap);

/* The ops, called through one place each (tracing, fault injection). */
static inline int dns_ops_recv(const struct dns_stream_ops *o, void *ctx, uint8_t *buf, size_t cap)
{
	return o->recv(ctx, buf, cap);
}

static inline int dns_ops_send(const struct dns_stream_ops *o, void *ctx, const uint8_t *buf,
	size_t len)
{
	return o->send(ctx, buf, len);
}

static inline int dns_dgram_recv(const struct dns_datagram_ops *o, void *ctx, uint8_t *buf,
	size_t cap, struct dns_addr *from)
{
	return o->recv(ctx, buf, cap, from);
}

static inline int dns_dgram_send(const struct dns_datagram_ops *o, void *ctx, const uint8_t *buf,
	size_t len, const struct dns_addr *to)
{
	return o->send(ctx, buf, len, to);
}

static inline void dns_ops_close(const struct dns_stream_ops *o, void *ctx)
{
	if (o->close)
		o->close(ctx);
}

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
