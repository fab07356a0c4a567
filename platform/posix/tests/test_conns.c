/*
 * Many connections: 10,000 idle TCP connections held on one loop, and
 * connections past the loop's limit refused cleanly (accepted and closed
 * at once) while the held ones keep working; and a listener that runs out
 * of descriptors refuses instead of spinning.
 *
 * The client side of the 10,000 runs in a forked child, so each process
 * needs only ~10,000 descriptors of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl_posix.h"

enum { HELD = 10000, EXTRA = 10 };

struct conn {
	struct cl_stream s;
	unsigned *closed;
};

struct server {
	struct cl_loop loop;
	struct cl_listener l;
	struct conn *conns;
	unsigned nconns;
	unsigned closed;
	volatile unsigned *shared_accepted; /* seen by the child */
	unsigned echoed;
};

static void on_conn(void *arg, unsigned events)
{
	struct conn *c = arg;
	(void)events;
	uint8_t buf[64];
	int r = cl_stream_recv(&c->s, buf, sizeof(buf));
	if (r > 0) {
		/* Tiny echoes always fit an idle socket's buffer. */
		if (cl_stream_send(&c->s, buf, (size_t)r) != r)
			fail_msg("echo of %d bytes did not fit", r);
		return;
	}
	if (r < 0) {
		cl_stream_close(&c->s);
		(*c->closed)++;
	}
}

static void on_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct server *sv = arg;
	(void)peer;
	if (sv->nconns >= HELD + EXTRA)
		fail_msg("accepted %u connections with a limit of %u", sv->nconns + 1, HELD);
	struct conn *c = &sv->conns[sv->nconns++];
	c->closed = &sv->closed;
	if (cl_stream_init(&c->s, &sv->loop, fd, on_conn, c) != 0)
		fail_msg("stream init: %s", strerror(errno));
	__atomic_store_n(sv->shared_accepted, sv->nconns, __ATOMIC_RELEASE);
}

/* Raise RLIMIT_NOFILE to at least want; false if the system will not. */
static bool raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return false;
	if (rl.rlim_cur >= want)
		return true;
	if (rl.rlim_max < want) {
		rl.rlim_max = want; /* needs CAP_SYS_RESOURCE; may fail */
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_max < want)
			return false;
	}
	rl.rlim_cur = want;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/* ---- the child: plain blocking sockets, no cmocka ---------------------- */

#define CHILD_FAIL(...)                                                   \
	do {                                                              \
		fprintf(stderr, "client: " __VA_ARGS__);                  \
		fprintf(stderr, "\n");                                    \
		_exit(1);                                                 \
	} while (0)

static int child_connect(const struct cl_addr *to)
{
	union cl_sockaddr sa;
	socklen_t len = cl_addr_to_sockaddr(to, &sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		CHILD_FAIL("socket: %s", strerror(errno));
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, &sa.sa, len) < 0)
		CHILD_FAIL("connect: %s", strerror(errno));
	return fd;
}

static void child_wait_accepted(volatile unsigned *accepted, unsigned n)
{
	for (int i = 0; __atomic_load_n(accepted, __ATOMIC_ACQUIRE) < n; i++) {
		if (i > 10000)
			CHILD_FAIL("server accepted only %u of %u", *accepted, n);
		usleep(1000);
	}
}

static void child_ping(int fd, unsigned i)
{
	char msg[16], back[16];
	int len = snprintf(msg, sizeof(msg), "p%u", i);
	if (write(fd, msg, (size_t)len) != len)
		CHILD_FAIL("write on held connection %u: %s", i, strerror(errno));
	ssize_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, back + got, (size_t)(len - got));
		if (r <= 0)
			CHILD_FAIL("held connection %u: read %zd (%s)", i, r, r ? strerror(errno) : "EOF");
		got += r;
	}
	if (memcmp(msg, back, (size_t)len) != 0)
		CHILD_FAIL("held connection %u: wrong echo", i);
}

static void child_main(const struct cl_addr *to, volatile unsigned *accepted, int up, int down)
{
	static int fds[HELD];
	for (unsigned i = 0; i < HELD; i++) {
		/* Stay within the accept backlog: a full one drops SYNs, and
		 * the kernel retries them only after a second. */
		if (i >= 1000 && i % 500 == 0)
			child_wait_accepted(accepted, i - 1000);
		fds[i] = child_connect(to);
	}
	child_wait_accepted(accepted, HELD);

	/* Past the limit: accepted and closed at once, an orderly EOF. */
	for (unsigned i = 0; i < EXTRA; i++) {
		int fd = child_connect(to);
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r != 0)
			CHILD_FAIL("connection past the limit: read %zd (%s), want EOF", r,
				   r < 0 ? strerror(errno) : "data");
		close(fd);
	}
	/* The held ones are unharmed: a sample answers, first and last too. */
	for (unsigned i = 0; i < HELD; i += 97)
		child_ping(fds[i], i);
	child_ping(fds[HELD - 1], HELD - 1);

	if (write(up, "H", 1) != 1)
		CHILD_FAIL("pipe");
	char go;
	if (read(down, &go, 1) != 1)
		CHILD_FAIL("pipe");
	_exit(0); /* the kernel closes all 10,000 */
}

/* ---- the parent: the loop under test --------------------------------- */

struct phase {
	struct cl_io io;
	int fd;
	bool held;
};

static void on_phase(void *arg, unsigned events)
{
	struct phase *p = arg;
	(void)events;
	char c;
	if (read(p->fd, &c, 1) == 1 && c == 'H')
		p->held = true;
	cl_io_want(&p->io, 0);
}

static void check_child(pid_t pid)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);
	if (r == pid)
		fail_msg("client process ended early (status %d)", st);
}

static void test_ten_thousand_idle(void **state)
{
	(void)state;
	if (!raise_nofile(HELD + 512)) {
		print_message("RLIMIT_NOFILE cannot reach %d: skipped\n", HELD + 512);
		skip();
	}
	static struct server sv;
	memset(&sv, 0, sizeof(sv));
	sv.conns = calloc(HELD + EXTRA, sizeof(*sv.conns));
	assert_non_null(sv.conns);
	sv.shared_accepted = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sv.shared_accepted != MAP_FAILED);
	assert_int_equal(cl_loop_init(&sv.loop), 0);
	sv.loop.max_conns = HELD;
	assert_int_equal(cl_listener_open(&sv.l, &sv.loop, "127.0.0.1:0", 0, on_accept, &sv), 0);

	int up[2], down[2];
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	uint64_t t0 = cl_now_ms();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		child_main(&sv.l.addr, sv.shared_accepted, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);

	struct phase ph = { .fd = up[0] };
	cl_io_init(&ph.io, &sv.loop, up[0], on_phase, &ph);
	assert_int_equal(cl_io_want(&ph.io, CL_READ), 0);
	uint64_t end = cl_now_ms() + 30000;
	while (!ph.held) {
		if (cl_now_ms() > end)
			fail_msg("client did not finish (accepted %u, refused %llu)", sv.nconns,
				 (unsigned long long)sv.l.refused);
		cl_loop_run_once(&sv.loop, 100);
		check_child(pid);
	}
	uint64_t t_held = cl_now_ms();
	/* While the client still holds them: exactly the limit, the extras
	 * refused, none of the held ones lost. */
	assert_int_equal(cl_loop_conns(&sv.loop), HELD);
	assert_int_equal(sv.nconns, HELD);
	assert_int_equal(sv.l.accepted, HELD);
	assert_int_equal(sv.l.refused, EXTRA);
	assert_int_equal(sv.closed, 0);

	assert_int_equal(write(down[1], "G", 1), 1);
	end = cl_now_ms() + 20000;
	while (cl_loop_conns(&sv.loop) > 0) {
		if (cl_now_ms() > end)
			fail_msg("%u connections still open after the client exited",
				 cl_loop_conns(&sv.loop));
		cl_loop_run_once(&sv.loop, 100);
	}
	assert_int_equal(sv.closed, HELD);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	print_message("%d connections held and %d refused in %llu ms, all closed in %llu ms\n", HELD,
		      EXTRA, (unsigned long long)(t_held - t0),
		      (unsigned long long)(cl_now_ms() - t_held));

	cl_io_close(&ph.io);
	close(up[0]);
	close(down[1]);
	cl_listener_close(&sv.l);
	cl_loop_close(&sv.loop);
	munmap((void *)(uintptr_t)sv.shared_accepted, 4096);
	free(sv.conns);
}

/*
 * Out of descriptors: accept4 fails with EMFILE while a connection waits.
 * The listener must drop it with its reserve fd (the client sees EOF) and
 * go idle, not spin on a listening socket that stays readable.
 */
struct counter {
	unsigned accepted;
};

static void on_accept_count(void *arg, int fd, const struct cl_addr *peer)
{
	(void)peer;
	((struct counter *)arg)->accepted++;
	close(fd);
}

static void test_out_of_descriptors(void **state)
{
	(void)state;
	enum { N = 8 };
	struct cl_loop loop;
	struct cl_listener l;
	struct counter cnt = { 0 };
	assert_int_equal(cl_loop_init(&loop), 0);
	assert_int_equal(cl_listener_open(&l, &loop, "127.0.0.1:0", 0, on_accept_count, &cnt), 0);
	/* Client sockets first, then no descriptor left for accept. */
	int cli[N];
	int maxfd = 0;
	for (int i = 0; i < N; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(cli[i] >= 0);
		struct timeval tv = { 3, 0 };
		setsockopt(cli[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (cli[i] > maxfd)
			maxfd = cli[i];
	}
	/* Close any gaps below maxfd, so every slot is taken. */
	int filler[256], nfill = 0;
	for (;;) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		if (fd > maxfd) {
			close(fd);
			break;
		}
		assert_true(nfill < 256);
		filler[nfill++] = fd;
	}
	struct rlimit old, rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = (rlim_t)maxfd + 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(open("/dev/null", O_RDONLY) < 0 && errno == EMFILE);

	union cl_sockaddr sa;
	socklen_t len = cl_addr_to_sockaddr(&l.addr, &sa);
	for (int i = 0; i < N; i++)
		assert_int_equal(connect(cli[i], &sa.sa, len), 0);
	uint64_t end = cl_now_ms() + 3000;
	while (l.refused < N && cl_now_ms() < end)
		cl_loop_run_once(&loop, 20);
	assert_int_equal(l.refused, N);
	assert_int_equal(cnt.accepted, 0);
	/* Nothing left pending: an iteration is idle, not a spin. */
	assert_int_equal(cl_loop_run_once(&loop, 30), 0);
	for (int i = 0; i < N; i++) {
		char c;
		assert_int_equal(read(cli[i], &c, 1), 0);
	}

	/* With descriptors back, the listener works again. */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, &sa.sa, len), 0);
	end = cl_now_ms() + 3000;
	while (cnt.accepted == 0 && cl_now_ms() < end)
		cl_loop_run_once(&loop, 20);
	assert_int_equal(cnt.accepted, 1);
	close(fd);
	for (int i = 0; i < N; i++)
		close(cli[i]);
	for (int i = 0; i < nfill; i++)
		close(filler[i]);
	cl_listener_close(&l);
	cl_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ten_thousand_idle),
		cmocka_unit_test(test_out_of_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
