/* The epoll loop: fd interest, dispatch, stop and reload from anywhere. */
#include "cl_posix_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void loop_wake(struct cl_loop *loop)
{
	uint64_t one = 1;
	/* Only fails if the counter would overflow, and then it is nonzero
	 * anyway: the loop wakes up either way. */
	ssize_t r = write(loop->priv.wakefd, &one, sizeof(one));
	(void)r;
}

static void on_wake(void *arg, unsigned events)
{
	struct cl_loop *loop = arg;
	uint64_t n;
	(void)events;
	ssize_t r = read(loop->priv.wakefd, &n, sizeof(n));
	(void)r;
	if (__atomic_exchange_n(&loop->priv.reload, 0, __ATOMIC_ACQ_REL) && loop->priv.reload_fn)
		loop->priv.reload_fn(loop, loop->priv.reload_arg);
}

int cl_loop_init(struct cl_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->priv.epfd = loop->priv.wakefd = loop->priv.reservefd = -1;
	/* Writes to a closed socket must be errors, not a process kill. */
	signal(SIGPIPE, SIG_IGN);
	loop->priv.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->priv.epfd < 0)
		goto fail;
	loop->priv.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->priv.wakefd < 0)
		goto fail;
	loop->priv.reservefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (loop->priv.reservefd < 0)
		goto fail;
	cl_io_init(&loop->priv.wake, loop, loop->priv.wakefd, on_wake, loop);
	if (cl_io_want(&loop->priv.wake, CL_READ) < 0)
		goto fail;
	loop->now_ms = cl_now_ms();
	return 0;
fail:;
	int e = errno;
	cl_loop_close(loop);
	errno = e;
	return -1;
}

void cl_loop_close(struct cl_loop *loop)
{
	int *fds[] = { &loop->priv.epfd, &loop->priv.wakefd, &loop->priv.reservefd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

uint64_t cl_loop_now(const struct cl_loop *loop)
{
	return loop->now_ms;
}

unsigned cl_loop_conns(const struct cl_loop *loop)
{
	return loop->priv.nconns;
}

void cl_loop_stop(struct cl_loop *loop)
{
	__atomic_store_n(&loop->priv.stop, 1, __ATOMIC_RELEASE);
	loop_wake(loop);
}

void cl_loop_reload(struct cl_loop *loop)
{
	__atomic_store_n(&loop->priv.reload, 1, __ATOMIC_RELEASE);
	loop_wake(loop);
}

void cl_loop_on_reload(struct cl_loop *loop, cl_loop_fn fn, void *arg)
{
	loop->priv.reload_fn = fn;
	loop->priv.reload_arg = arg;
}

static unsigned deliverable(uint32_t ev, unsigned want)
{
	unsigned got = 0;
	if (ev & EPOLLIN)
		got |= CL_READ;
	if (ev & EPOLLOUT)
		got |= CL_WRITE;
	got &= want;
	/* A hang-up or error makes every wanted direction "ready": the next
	 * recv/send is what reports it. */
	if (ev & EPOLLHUP)
		got |= want | CL_HUP;
	if (ev & EPOLLERR)
		got |= want | CL_ERROR;
	return got;
}

int cl_loop_run_once(struct cl_loop *loop, int max_wait_ms)
{
	loop->now_ms = cl_now_ms();
	int wait = cl_timers_wait_ms(loop);
	if (max_wait_ms >= 0 && (wait < 0 || wait > max_wait_ms))
		wait = max_wait_ms;
	if (__atomic_load_n(&loop->priv.stop, __ATOMIC_ACQUIRE))
		wait = 0;

	int n = epoll_wait(loop->priv.epfd, loop->priv.ev, CL_LOOP_EVENTS, wait);
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	loop->now_ms = cl_now_ms();

	int handled = 0;
	loop->priv.nev = n;
	for (loop->priv.cur = 0; loop->priv.cur < loop->priv.nev; loop->priv.cur++) {
		struct epoll_event *e = &loop->priv.ev[loop->priv.cur];
		struct cl_io *io = e->data.ptr;
		if (!io)
			continue; /* closed by an earlier callback of this batch */
		unsigned got = deliverable(e->events, io->priv.want);
		if (!(got & (CL_READ | CL_WRITE)))
			continue;
		handled++;
		io->priv.fn(io->priv.arg, got);
	}
	loop->priv.nev = 0;
	loop->priv.cur = 0;
	return handled + cl_timers_fire(loop);
}

int cl_loop_run(struct cl_loop *loop)
{
	int rc = 0;
	while (!__atomic_load_n(&loop->priv.stop, __ATOMIC_ACQUIRE)) {
		if (cl_loop_run_once(loop, -1) < 0) {
			rc = -1;
			break;
		}
	}
	__atomic_store_n(&loop->priv.stop, 0, __ATOMIC_RELEASE);
	return rc;
}

void cl_io_init(struct cl_io *io, struct cl_loop *loop, int fd, cl_io_fn fn, void *arg)
{
	memset(io, 0, sizeof(*io));
	io->priv.loop = loop;
	io->priv.fd = fd;
	io->priv.fn = fn;
	io->priv.arg = arg;
}

/* Events already fetched for io in this batch must not reach it once it is
 * out of the set: its memory may be gone or reused by the time we get
 * there. */
static void forget_pending(struct cl_io *io)
{
	struct cl_loop *loop = io->priv.loop;
	for (int i = loop->priv.cur + 1; i < loop->priv.nev; i++)
		if (loop->priv.ev[i].data.ptr == io)
			loop->priv.ev[i].data.ptr = NULL;
}

int cl_io_want(struct cl_io *io, unsigned events)
{
	events &= CL_READ | CL_WRITE;
	if (io->priv.fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (events == io->priv.want && (events == 0) == !io->priv.added)
		return 0;
	struct cl_loop *loop = io->priv.loop;
	if (events == 0) {
		/* Out of the set rather than an empty mask: epoll reports HUP
		 * and ERR even for an empty mask, which would spin. */
		if (epoll_ctl(loop->priv.epfd, EPOLL_CTL_DEL, io->priv.fd, NULL) < 0 && errno != ENOENT)
			return -1;
		io->priv.added = false;
		io->priv.want = 0;
		forget_pending(io);
		return 0;
	}
	struct epoll_event ev = { .events = 0, .data.ptr = io };
	if (events & CL_READ)
		ev.events |= EPOLLIN;
	if (events & CL_WRITE)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(loop->priv.epfd, io->priv.added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, io->priv.fd, &ev) < 0)
		return -1;
	io->priv.added = true;
	io->priv.want = events;
	return 0;
}

unsigned cl_io_wanted(const struct cl_io *io)
{
	return io->priv.want;
}

void cl_io_close(struct cl_io *io)
{
	if (io->priv.added && io->priv.fd >= 0)
		epoll_ctl(io->priv.loop->priv.epfd, EPOLL_CTL_DEL, io->priv.fd, NULL);
	if (io->priv.loop)
		forget_pending(io);
	io->priv.added = false;
	io->priv.want = 0;
	io->priv.fd = -1;
}
