/* TCP: listeners with a connection limit, and the stream ops. */
#include "cl_posix_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* recv, send and sendmsg straight to the kernel: glibc makes them thread
 * cancellation points, which in a process with threads (the workers) puts
 * two atomic operations around every call, about 1.5% of httpd's CPU on
 * small responses; nothing here ever cancels a thread. */
static ssize_t sys_recv(int fd, void *buf, size_t cap)
{
	return syscall(SYS_recvfrom, fd, buf, cap, 0, NULL, NULL);
}

static ssize_t sys_send(int fd, const void *buf, size_t len, int flags)
{
	return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

static ssize_t sys_sendmsg(int fd, const struct msghdr *mh, int flags)
{
	return syscall(SYS_sendmsg, fd, mh, flags);
}

static void set_nodelay(int fd)
{
	int one = 1;
	/* Best effort: the libraries write whole responses at once, so Nagle
	 * only adds latency. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Out of descriptors: the pending connection cannot be accepted, and a
 * level-triggered listener would report it again at once, forever. Free
 * the reserve fd, accept and drop the connection, take the reserve back. */
static bool drop_with_reserve(struct cl_loop *loop, int lfd)
{
	if (loop->priv.reservefd < 0)
		return false;
	close(loop->priv.reservefd);
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	loop->priv.reservefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0;
}

static void on_listen(void *arg, unsigned events)
{
	struct cl_listener *l = arg;
	struct cl_loop *loop = l->priv.io.priv.loop;
	(void)events;
	for (int i = 0; i < CL_ACCEPT_BURST && l->priv.fd >= 0; i++) {
		union cl_sockaddr sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(l->priv.fd, &sa.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* accept(2): errors of the pending connection (already
			 * consumed) mean "try the next one". */
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO ||
			    errno == ENETDOWN || errno == ENOPROTOOPT || errno == EHOSTDOWN ||
			    errno == ENONET || errno == EHOSTUNREACH || errno == ENETUNREACH ||
			    errno == EPERM)
				continue;
			if ((errno == EMFILE || errno == ENFILE) && drop_with_reserve(loop, l->priv.fd)) {
				l->refused++;
				continue;
			}
			/* EAGAIN: drained. ENOBUFS/ENOMEM and the like: try
			 * again on the next iteration. */
			return;
		}
		if (loop->max_conns && loop->priv.nconns >= loop->max_conns) {
			close(fd);
			l->refused++;
			continue;
		}
		struct cl_addr peer;
		if (cl_addr_from_sockaddr(&peer, &sa.sa, len) < 0) {
			close(fd);
			l->refused++;
			continue;
		}
		set_nodelay(fd);
		l->accepted++;
		l->priv.fn(l->priv.arg, fd, &peer);
	}
}

int cl_listener_open(struct cl_listener *l, struct cl_loop *loop, const char *addr,
		     unsigned flags, cl_accept_fn fn, void *arg)
{
	memset(l, 0, sizeof(*l));
	l->priv.fd = -1;
	int fd = cl_sock_bind(SOCK_STREAM, addr, flags, &l->addr);
	if (fd < 0)
		return -1;
	cl_io_init(&l->priv.io, loop, fd, on_listen, l);
	l->priv.fd = fd;
	l->priv.fn = fn;
	l->priv.arg = arg;
	if (listen(fd, CL_LISTEN_BACKLOG) < 0 || cl_io_want(&l->priv.io, CL_READ) < 0) {
		int e = errno;
		cl_listener_close(l);
		errno = e;
		return -1;
	}
	return 0;
}

void cl_listener_close(struct cl_listener *l)
{
	cl_io_close(&l->priv.io);
	if (l->priv.fd >= 0)
		close(l->priv.fd);
	l->priv.fd = -1;
}

/* While connecting, the stream watches CL_WRITE for the end of the
 * handshake; afterwards, what the caller asked for. */
static void on_stream(void *arg, unsigned events)
{
	struct cl_stream *s = arg;
	if (s->priv.connecting) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(s->priv.io.priv.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		s->priv.connecting = false;
		if (err) {
			s->priv.err = err;
			cl_io_want(&s->priv.io, 0);
			s->priv.fn(s->priv.arg, CL_WRITE | CL_ERROR);
			return;
		}
		cl_io_want(&s->priv.io, s->priv.want);
		s->priv.fn(s->priv.arg, CL_WRITE | (events & (CL_HUP | CL_ERROR)));
		return;
	}
	s->priv.fn(s->priv.arg, events);
}

static int stream_setup(struct cl_stream *s, struct cl_loop *loop, int fd, cl_io_fn fn, void *arg)
{
	memset(s, 0, sizeof(*s));
	cl_io_init(&s->priv.io, loop, fd, on_stream, s);
	s->priv.fn = fn;
	s->priv.arg = arg;
	loop->priv.nconns++;
	return 0;
}

int cl_stream_init(struct cl_stream *s, struct cl_loop *loop, int fd, cl_io_fn fn, void *arg)
{
	stream_setup(s, loop, fd, fn, arg);
	s->priv.want = CL_READ;
	if (cl_io_want(&s->priv.io, CL_READ) < 0) {
		int e = errno;
		cl_stream_close(s);
		errno = e;
		return -1;
	}
	return 0;
}

int cl_stream_connect(struct cl_stream *s, struct cl_loop *loop, const struct cl_addr *to,
		      cl_io_fn fn, void *arg)
{
	union cl_sockaddr sa;
	socklen_t len = cl_addr_to_sockaddr(to, &sa);
	memset(s, 0, sizeof(*s));
	s->priv.io.priv.fd = -1;
	if (!len) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_nodelay(fd);
	stream_setup(s, loop, fd, fn, arg);
	s->priv.want = CL_READ;
	s->priv.connecting = true;
	int r;
	do
		r = connect(fd, &sa.sa, len);
	while (r < 0 && errno == EINTR);
	/* Even an immediate success goes through the CL_WRITE event, so the
	 * caller sees one shape of "connected". */
	if ((r < 0 && errno != EINPROGRESS) || cl_io_want(&s->priv.io, CL_WRITE) < 0) {
		int e = errno;
		cl_stream_close(s);
		errno = e;
		return -1;
	}
	return 0;
}

int cl_stream_want(struct cl_stream *s, unsigned events)
{
	s->priv.want = events & (CL_READ | CL_WRITE);
	if (s->priv.connecting || s->priv.err)
		return 0;
	return cl_io_want(&s->priv.io, s->priv.want);
}

int cl_stream_fd(const struct cl_stream *s)
{
	return s->priv.io.priv.fd;
}

/* The common part of the three ops: the outcome of a failed syscall. */
static int stream_errno(void)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return -2;
}

static int stream_usable(const struct cl_stream *s)
{
	if (s->priv.io.priv.fd < 0 || s->priv.err)
		return -2;
	if (s->priv.connecting)
		return 0;
	return 1;
}

int cl_stream_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct cl_stream *s = ctx;
	int u = stream_usable(s);
	if (u <= 0)
		return u;
	if (cap == 0)
		return -2;
	if (cap > INT_MAX)
		cap = INT_MAX;
	for (;;) {
		ssize_t n = sys_recv(s->priv.io.priv.fd, buf, cap);
		if (n > 0)
			return (int)n;
		if (n == 0)
			return -1;
		if (errno != EINTR)
			return stream_errno();
	}
}

int cl_stream_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct cl_stream *s = ctx;
	int u = stream_usable(s);
	if (u <= 0)
		return u;
	if (len == 0)
		return -2;
	if (len > INT_MAX)
		len = INT_MAX;
	for (;;) {
		ssize_t n = sys_send(s->priv.io.priv.fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return n > 0 ? (int)n : 0;
		if (errno != EINTR)
			return stream_errno();
	}
}

_Static_assert(sizeof(struct cl_iov) == sizeof(struct iovec), "cl_iov must match iovec");
_Static_assert(offsetof(struct cl_iov, base) == offsetof(struct iovec, iov_base), "cl_iov.base");
_Static_assert(offsetof(struct cl_iov, len) == offsetof(struct iovec, iov_len), "cl_iov.len");

int cl_stream_sendv(void *ctx, const struct cl_iov *iov, int iovcnt)
{
	struct cl_stream *s = ctx;
	int u = stream_usable(s);
	if (u <= 0)
		return u;
	if (iovcnt <= 0)
		return -2;
	if (iovcnt > IOV_MAX)
		iovcnt = IOV_MAX;
	/* Keep the total within an int; the tail is a short write. */
	size_t total = 0;
	int cnt = 0;
	while (cnt < iovcnt && total < (size_t)INT_MAX) {
		if (iov[cnt].len > (size_t)INT_MAX - total)
			break;
		total += iov[cnt].len;
		cnt++;
	}
	if (total == 0 && cnt < iovcnt)
		return cl_stream_send(ctx, iov[cnt].base, INT_MAX);
	if (total == 0)
		return -2;
	/* sendmsg rather than writev, for MSG_NOSIGNAL. */
	struct msghdr mh = { 0 };
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)cnt;
	for (;;) {
		ssize_t n = sys_sendmsg(s->priv.io.priv.fd, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return n > 0 ? (int)n : 0;
		if (errno != EINTR)
			return stream_errno();
	}
}

int cl_stream_shutdown(struct cl_stream *s)
{
	if (stream_usable(s) <= 0)
		return -2;
	return shutdown(s->priv.io.priv.fd, SHUT_WR) == 0 ? 0 : -2;
}

void cl_stream_close(void *ctx)
{
	struct cl_stream *s = ctx;
	int fd = s->priv.io.priv.fd;
	if (fd < 0)
		return;
	struct cl_loop *loop = s->priv.io.priv.loop;
	cl_io_close(&s->priv.io);
	close(fd);
	loop->priv.nconns--;
}
