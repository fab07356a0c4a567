/* Workers: N shared-nothing loops on SO_REUSEPORT sockets, stopped by
 * SIGTERM, reloaded by SIGHUP; a failing worker stops the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cl_posix.h"

enum { NW = 3, NCLIENTS = 48, MAXC = 64 };

struct shared {
	unsigned tcp_port, udp_port; /* atomic: set by worker 0 */
	unsigned ready, reloads, stopped; /* atomic */
	int fail_index;              /* a worker that fails at once, or -1 */
	char error[256];             /* the client thread's first failure */
	unsigned tcp_by[NW], udp_by[NW];
};

struct wconn {
	struct cl_stream s;
	bool used;
	uint8_t index;
};

struct worker {
	struct cl_loop *loop;
	unsigned index;
	struct shared *sh;
	struct cl_listener l;
	struct cl_udp u;
	struct wconn c[MAXC];
};

/* Answer each byte with the worker's index, then wait for the client to
 * close. */
static void on_conn(void *arg, unsigned events)
{
	struct wconn *c = arg;
	uint8_t b[16];
	(void)events;
	int r = cl_stream_recv(&c->s, b, sizeof(b));
	if (r > 0) {
		cl_stream_send(&c->s, &c->index, 1);
	} else if (r < 0) {
		cl_stream_close(&c->s);
		c->used = false;
	}
}

static void on_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct worker *w = arg;
	(void)peer;
	for (int i = 0; i < MAXC; i++) {
		if (!w->c[i].used) {
			w->c[i].used = true;
			w->c[i].index = (uint8_t)w->index;
			cl_stream_init(&w->c[i].s, w->loop, fd, on_conn, &w->c[i]);
			return;
		}
	}
	close(fd);
}

static void on_udp(void *arg, unsigned events)
{
	struct worker *w = arg;
	uint8_t b[64];
	struct cl_addr from;
	(void)events;
	while (cl_udp_recv(&w->u, b, sizeof(b), &from) > 0) {
		uint8_t idx = (uint8_t)w->index;
		cl_udp_send(&w->u, &idx, 1, &from);
	}
}

static void on_reload(struct cl_loop *loop, void *arg)
{
	struct worker *w = arg;
	(void)loop;
	__atomic_add_fetch(&w->sh->reloads, 1, __ATOMIC_ACQ_REL);
}

static unsigned wait_port(unsigned *p)
{
	unsigned v;
	while (!(v = __atomic_load_n(p, __ATOMIC_ACQUIRE)))
		usleep(1000);
	return v;
}

static int worker_fn(struct cl_loop *loop, unsigned index, void *arg)
{
	struct shared *sh = arg;
	static struct worker ws[NW];
	struct worker *w = &ws[index];
	memset(w, 0, sizeof(*w));
	w->loop = loop;
	w->index = index;
	w->sh = sh;
	if ((int)index == sh->fail_index)
		return 7;
	char addr[CL_ADDR_STRLEN];
	/* Worker 0 lets the kernel pick the ports; the others join them. */
	unsigned tp = index ? wait_port(&sh->tcp_port) : 0;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", tp);
	if (cl_listener_open(&w->l, loop, addr, CL_REUSEPORT, on_accept, w) < 0)
		return 1;
	unsigned up = index ? wait_port(&sh->udp_port) : 0;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", up);
	if (cl_udp_open(&w->u, loop, addr, CL_REUSEPORT, on_udp, w) < 0)
		return 2;
	if (index == 0) {
		__atomic_store_n(&sh->tcp_port, w->l.addr.port, __ATOMIC_RELEASE);
		__atomic_store_n(&sh->udp_port, w->u.addr.port, __ATOMIC_RELEASE);
	}
	cl_loop_on_reload(loop, on_reload, w);
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_ACQ_REL);
	int rc = cl_loop_run(loop);
	for (int i = 0; i < MAXC; i++)
		if (w->c[i].used)
			cl_stream_close(&w->c[i].s);
	cl_udp_close(&w->u);
	cl_listener_close(&w->l);
	__atomic_add_fetch(&sh->stopped, 1, __ATOMIC_ACQ_REL);
	return rc;
}

#define CLIENT_FAIL(...)                                                          \
	do {                                                                      \
		if (!sh->error[0])                                                \
			snprintf(sh->error, sizeof(sh->error), __VA_ARGS__);      \
		goto out;                                                         \
	} while (0)

static int plain_socket(int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	struct timeval tv = { 3, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Talks to the workers with plain blocking sockets, then sends SIGHUP and
 * SIGTERM to the process. Signals are blocked here (inherited), so the
 * workers' signalfd is their only reader. */
static void *client(void *arg)
{
	struct shared *sh = arg;
	for (int i = 0; __atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < NW; i++) {
		if (i > 3000)
			CLIENT_FAIL("workers not ready after 3 s");
		usleep(1000);
	}
	struct cl_addr ta, ua;
	char s[CL_ADDR_STRLEN];
	snprintf(s, sizeof(s), "127.0.0.1:%u", sh->tcp_port);
	cl_addr_parse(&ta, s);
	snprintf(s, sizeof(s), "127.0.0.1:%u", sh->udp_port);
	cl_addr_parse(&ua, s);
	union cl_sockaddr tsa, usa;
	socklen_t tlen = cl_addr_to_sockaddr(&ta, &tsa), ulen = cl_addr_to_sockaddr(&ua, &usa);
	for (int i = 0; i < NCLIENTS; i++) {
		int fd = plain_socket(SOCK_STREAM);
		uint8_t idx;
		if (connect(fd, &tsa.sa, tlen) < 0 || write(fd, "?", 1) != 1 || read(fd, &idx, 1) != 1)
			CLIENT_FAIL("tcp client %d: %s", i, strerror(errno));
		if (idx >= NW)
			CLIENT_FAIL("tcp client %d: bad index %u", i, idx);
		sh->tcp_by[idx]++;
		close(fd);
		/* A new source port each time spreads over the workers. */
		fd = plain_socket(SOCK_DGRAM);
		if (sendto(fd, "?", 1, 0, &usa.sa, ulen) != 1 || recv(fd, &idx, 1, 0) != 1)
			CLIENT_FAIL("udp client %d: %s", i, strerror(errno));
		if (idx >= NW)
			CLIENT_FAIL("udp client %d: bad index %u", i, idx);
		sh->udp_by[idx]++;
		close(fd);
	}
	kill(getpid(), SIGHUP);
	for (int i = 0; __atomic_load_n(&sh->reloads, __ATOMIC_ACQUIRE) < NW; i++) {
		if (i > 3000)
			CLIENT_FAIL("SIGHUP reached %u of %d workers", sh->reloads, NW);
		usleep(1000);
	}
out:
	kill(getpid(), SIGTERM);
	return NULL;
}

static void test_reuseport_workers(void **state)
{
	(void)state;
	static struct shared sh;
	memset(&sh, 0, sizeof(sh));
	sh.fail_index = -1;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, client, &sh), 0);
	uint64_t t0 = cl_now_ms();
	int rc = cl_workers_run(NW, worker_fn, &sh);
	pthread_join(th, NULL);
	if (sh.error[0])
		fail_msg("%s", sh.error);
	assert_int_equal(rc, 0);
	assert_int_equal(sh.stopped, NW);
	assert_int_equal(sh.reloads, NW);
	int tcp_workers = 0, udp_workers = 0;
	for (int i = 0; i < NW; i++) {
		tcp_workers += sh.tcp_by[i] > 0;
		udp_workers += sh.udp_by[i] > 0;
	}
	print_message("%d workers, %llu ms; tcp per worker %u/%u/%u, udp %u/%u/%u\n", NW,
		      (unsigned long long)(cl_now_ms() - t0), sh.tcp_by[0], sh.tcp_by[1],
		      sh.tcp_by[2], sh.udp_by[0], sh.udp_by[1], sh.udp_by[2]);
	/* SO_REUSEPORT spread the work: more than one worker served. */
	assert_true(tcp_workers > 1);
	assert_true(udp_workers > 1);
}

static void test_failing_worker_stops_all(void **state)
{
	(void)state;
	static struct shared sh;
	memset(&sh, 0, sizeof(sh));
	sh.fail_index = 2;
	uint64_t t0 = cl_now_ms();
	assert_int_equal(cl_workers_run(NW, worker_fn, &sh), 7);
	assert_true(cl_now_ms() - t0 < 2000);
	/* The two that did start were stopped and cleaned up. */
	assert_int_equal(sh.stopped, sh.ready);
}

static int returns_at_once(struct cl_loop *loop, unsigned index, void *arg)
{
	(void)loop;
	__atomic_add_fetch((unsigned *)arg, 1u << index, __ATOMIC_ACQ_REL);
	return 0;
}

static void test_workers_that_return(void **state)
{
	(void)state;
	unsigned mask = 0;
	assert_int_equal(cl_workers_run(4, returns_at_once, &mask), 0);
	assert_int_equal(mask, 0xf);
	assert_int_equal(cl_workers_run(0, returns_at_once, &mask), -1);
}

int main(void)
{
	/* Before any thread exists: every thread inherits the blocked mask. */
	if (cl_signals_block() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuseport_workers),
		cmocka_unit_test(test_failing_worker_stops_all),
		cmocka_unit_test(test_workers_that_return),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
