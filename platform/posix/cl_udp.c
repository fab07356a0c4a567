/* UDP: the datagram ops and recvmmsg/sendmmsg batches. */
#include "cl_posix_int.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

int cl_udp_open(struct cl_udp *u, struct cl_loop *loop, const char *addr, unsigned flags,
		cl_io_fn fn, void *arg)
{
	memset(u, 0, sizeof(*u));
	u->priv.io.priv.fd = -1;
	int fd = cl_sock_bind(SOCK_DGRAM, addr, flags, &u->addr);
	if (fd < 0)
		return -1;
	cl_io_init(&u->priv.io, loop, fd, fn, arg);
	if (fn && cl_io_want(&u->priv.io, CL_READ) < 0) {
		int e = errno;
		cl_udp_close(u);
		errno = e;
		return -1;
	}
	return 0;
}

int cl_udp_want(struct cl_udp *u, unsigned events)
{
	return cl_io_want(&u->priv.io, events);
}

int cl_udp_fd(const struct cl_udp *u)
{
	return u->priv.io.priv.fd;
}

void cl_udp_close(struct cl_udp *u)
{
	int fd = u->priv.io.priv.fd;
	if (fd < 0)
		return;
	cl_io_close(&u->priv.io);
	close(fd);
}

/* Bounds the datagrams one recv call skips (empty or truncated), so a
 * flood of junk cannot hold the loop. */
#define SKIP_MAX 64

int cl_udp_recv(void *ctx, uint8_t *buf, size_t cap, struct cl_addr *from)
{
	struct cl_udp *u = ctx;
	int fd = u->priv.io.priv.fd;
	if (fd < 0 || cap == 0)
		return -2;
	if (cap > INT_MAX)
		cap = INT_MAX;
	for (int skipped = 0; skipped < SKIP_MAX;) {
		union cl_sockaddr sa;
		struct iovec iov = { buf, cap };
		struct msghdr mh = { 0 };
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			/* An ICMP error for an earlier send: not this socket's
			 * fault, and the next datagram may be fine. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) {
				skipped++;
				continue;
			}
			return -2;
		}
		if (n == 0 || (mh.msg_flags & MSG_TRUNC) ||
		    cl_addr_from_sockaddr(from, &sa.sa, mh.msg_namelen) < 0) {
			skipped++;
			continue;
		}
		return (int)n;
	}
	return 0;
}

int cl_udp_send(void *ctx, const uint8_t *buf, size_t len, const struct cl_addr *to)
{
	struct cl_udp *u = ctx;
	int fd = u->priv.io.priv.fd;
	union cl_sockaddr sa;
	socklen_t salen = cl_addr_to_sockaddr(to, &sa);
	if (fd < 0 || len == 0 || len > INT_MAX || !salen)
		return -2;
	for (;;) {
		ssize_t n = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, &sa.sa, salen);
		if (n >= 0)
			return (int)len;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		return -2;
	}
}

int cl_udp_batch_init(struct cl_udp_batch *b, uint8_t *mem, size_t each, unsigned n)
{
	if (n == 0 || n > CL_UDP_BATCH || each == 0) {
		errno = EINVAL;
		return -1;
	}
	memset(b, 0, sizeof(*b));
	b->nmsg = n;
	for (unsigned i = 0; i < n; i++) {
		b->msg[i].buf = mem + (size_t)i * each;
		b->msg[i].cap = each;
	}
	return 0;
}

int cl_udp_recv_batch(struct cl_udp *u, struct cl_udp_batch *b)
{
	int fd = u->priv.io.priv.fd;
	unsigned n = b->nmsg < CL_UDP_BATCH ? b->nmsg : CL_UDP_BATCH;
	b->count = 0;
	if (fd < 0 || n == 0)
		return -2;
	for (unsigned i = 0; i < n; i++) {
		struct mmsghdr *h = &b->priv.hdr[i];
		memset(h, 0, sizeof(*h));
		b->priv.iov[i].iov_base = b->msg[i].buf;
		b->priv.iov[i].iov_len = b->msg[i].cap;
		h->msg_hdr.msg_iov = &b->priv.iov[i];
		h->msg_hdr.msg_iovlen = 1;
		h->msg_hdr.msg_name = &b->priv.sa[i];
		h->msg_hdr.msg_namelen = sizeof(b->priv.sa[i]);
	}
	int r;
	do
		r = recvmmsg(fd, b->priv.hdr, n, MSG_DONTWAIT, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -2;
	for (int i = 0; i < r; i++) {
		struct cl_udp_msg *m = &b->msg[i];
		struct mmsghdr *h = &b->priv.hdr[i];
		m->len = h->msg_len;
		m->trunc = (h->msg_hdr.msg_flags & MSG_TRUNC) != 0;
		if (cl_addr_from_sockaddr(&m->peer, &b->priv.sa[i].sa, h->msg_hdr.msg_namelen) < 0)
			memset(&m->peer, 0, sizeof(m->peer));
	}
	b->count = (unsigned)r;
	return r;
}

int cl_udp_send_batch(struct cl_udp *u, struct cl_udp_batch *b, unsigned first)
{
	int fd = u->priv.io.priv.fd;
	if (fd < 0 || b->count > CL_UDP_BATCH || first >= b->count)
		return -2;
	unsigned n = b->count - first;
	for (unsigned i = 0; i < n; i++) {
		const struct cl_udp_msg *m = &b->msg[first + i];
		struct mmsghdr *h = &b->priv.hdr[i];
		memset(h, 0, sizeof(*h));
		socklen_t salen = cl_addr_to_sockaddr(&m->peer, &b->priv.sa[i]);
		if (!salen || m->len == 0 || m->len > m->cap)
			return -2;
		b->priv.iov[i].iov_base = m->buf;
		b->priv.iov[i].iov_len = m->len;
		h->msg_hdr.msg_iov = &b->priv.iov[i];
		h->msg_hdr.msg_iovlen = 1;
		h->msg_hdr.msg_name = &b->priv.sa[i];
		h->msg_hdr.msg_namelen = salen;
	}
	int r;
	do
		r = sendmmsg(fd, b->priv.hdr, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) ? 0 : -2;
	return r;
}
