/* TCP streams: the ops contract (would-block, EOF, errors), connect, and
 * a peer that stops reading not blocking the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cl_posix.h"

/* Everything of one test: a loop, a listener, accepted server streams and
 * client streams, with the events each got. */
struct side {
	struct cl_stream s;
	unsigned events; /* or-ed events since last cleared */
	int calls;
	bool open;
};

struct env {
	struct cl_loop loop;
	struct cl_listener l;
	struct side srv[4];
	int nsrv;
	struct side cli[4];
};

static void on_side(void *arg, unsigned events)
{
	struct side *sd = arg;
	sd->events |= events;
	sd->calls++;
}

static void on_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct env *e = arg;
	assert_int_equal(peer->family, 4);
	assert_true(e->nsrv < 4);
	struct side *sd = &e->srv[e->nsrv++];
	assert_int_equal(cl_stream_init(&sd->s, &e->loop, fd, on_side, sd), 0);
	sd->open = true;
	/* Tests read explicitly; no need to be woken for input. */
	cl_stream_want(&sd->s, 0);
}

static void env_open(struct env *e)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(cl_loop_init(&e->loop), 0);
	assert_int_equal(cl_listener_open(&e->l, &e->loop, "127.0.0.1:0", 0, on_accept, e), 0);
	assert_int_not_equal(e->l.addr.port, 0);
}

/* Connect client i and wait until it is connected and accepted. */
static void env_connect(struct env *e, int i)
{
	struct side *c = &e->cli[i];
	int before = e->nsrv;
	assert_int_equal(cl_stream_connect(&c->s, &e->loop, &e->l.addr, on_side, c), 0);
	c->open = true;
	/* Not connected yet: the ops say "would block". */
	uint8_t b[4];
	if (!(c->events & CL_WRITE)) {
		assert_int_equal(cl_stream_recv(&c->s, b, sizeof(b)), 0);
		assert_int_equal(cl_stream_send(&c->s, b, sizeof(b)), 0);
	}
	bool done = false;
	uint64_t end = cl_now_ms() + 3000;
	while (!done) {
		if (cl_now_ms() > end)
			fail_msg("connect %d timed out", i);
		assert_true(cl_loop_run_once(&e->loop, 20) >= 0);
		done = (c->events & CL_WRITE) && e->nsrv > before;
	}
	assert_false(c->events & CL_ERROR);
	c->events = 0;
	cl_stream_want(&c->s, 0);
}

static void env_close(struct env *e)
{
	for (int i = 0; i < 4; i++) {
		if (e->srv[i].open)
			cl_stream_close(&e->srv[i].s);
		if (e->cli[i].open)
			cl_stream_close(&e->cli[i].s);
	}
	cl_listener_close(&e->l);
	assert_int_equal(cl_loop_conns(&e->loop), 0);
	cl_loop_close(&e->loop);
}

/* Read until n bytes arrived (driving the loop), comparing with want. */
static void read_exact(struct env *e, struct cl_stream *s, const uint8_t *want, size_t n)
{
	uint8_t buf[4096];
	size_t got = 0;
	uint64_t end = cl_now_ms() + 3000;
	while (got < n) {
		size_t cap = n - got < sizeof(buf) ? n - got : sizeof(buf);
		int r = cl_stream_recv(s, buf, cap);
		if (r > 0) {
			if (memcmp(buf, want + got, (size_t)r) != 0)
				fail_msg("data differs at offset %zu", got);
			got += (size_t)r;
			continue;
		}
		assert_int_equal(r, 0);
		if (cl_now_ms() > end)
			fail_msg("read %zu of %zu bytes", got, n);
		cl_loop_run_once(&e->loop, 10);
	}
}

static void test_would_block_and_eof(void **state)
{
	(void)state;
	static struct env e;
	env_open(&e);
	env_connect(&e, 0);
	struct cl_stream *cli = &e.cli[0].s, *srv = &e.srv[0].s;
	uint8_t buf[256];

	/* Nothing there: 0, not an error and not EOF. */
	assert_int_equal(cl_stream_recv(srv, buf, sizeof(buf)), 0);
	assert_int_equal(cl_stream_recv(cli, buf, sizeof(buf)), 0);

	/* Contract misuse is an error, never "would block". */
	assert_int_equal(cl_stream_recv(srv, buf, 0), -2);
	assert_int_equal(cl_stream_send(srv, buf, 0), -2);

	/* Small buffers so "full" comes quickly. */
	int small = 4096;
	setsockopt(cl_stream_fd(cli), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(cl_stream_fd(srv), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* The stream carries pattern(k) at offset k; chunk has period 256. */
	static uint8_t chunk[65536];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 7 + 3);
	size_t total = 0;
	int r;
	/* Fill, pause for in-flight ACKs, fill again: then it is full. */
	for (int pass = 0; pass < 2; pass++) {
		while ((r = cl_stream_send(cli, chunk + total % 256, sizeof(chunk) - 256)) > 0) {
			total += (size_t)r;
			if (total > (64u << 20))
				fail_msg("64 MiB went into a socket with 4 KiB buffers");
		}
		assert_int_equal(r, 0);
		usleep(20000);
	}
	assert_true(total > 0);
	/* Still full: 0 again, for a single byte and a gather write too. */
	struct cl_iov iov[2] = { { chunk + total % 256, 10 }, { chunk + total % 256 + 10, 10 } };
	assert_int_equal(cl_stream_send(cli, chunk + total % 256, 1), 0);
	assert_int_equal(cl_stream_sendv(cli, iov, 2), 0);

	/* The loop reports CL_WRITE once the reader drained some. */
	e.cli[0].events = 0;
	assert_int_equal(cl_stream_want(cli, CL_WRITE), 0);
	assert_int_equal(cl_loop_run_once(&e.loop, 20), 0);
	assert_false(e.cli[0].events & CL_WRITE);
	size_t drained = 0;
	uint64_t end = cl_now_ms() + 3000;
	while (!(e.cli[0].events & CL_WRITE)) {
		r = cl_stream_recv(srv, buf, sizeof(buf));
		if (r > 0) {
			for (int i = 0; i < r; i++)
				if (buf[i] != (uint8_t)((drained + (size_t)i) * 7 + 3))
					fail_msg("byte %zu wrong", drained + (size_t)i);
			drained += (size_t)r;
		}
		cl_loop_run_once(&e.loop, 0);
		if (cl_now_ms() > end)
			fail_msg("writer never woke up");
	}
	cl_stream_want(cli, 0);
	/* Drain the rest, then the stream is empty again. */
	while (drained < total) {
		r = cl_stream_recv(srv, buf, sizeof(buf));
		if (r == 0) {
			cl_loop_run_once(&e.loop, 10);
			continue;
		}
		assert_true(r > 0);
		drained += (size_t)r;
	}
	assert_int_equal(drained, total);
	assert_int_equal(cl_stream_recv(srv, buf, sizeof(buf)), 0);

	/* Gather write arrives in order. */
	static const uint8_t a[] = "hello, ", b2[] = "gathered ", c[] = "world";
	struct cl_iov g[3] = { { a, 7 }, { b2, 9 }, { c, 5 } };
	assert_int_equal(cl_stream_sendv(cli, g, 3), 21);
	read_exact(&e, srv, (const uint8_t *)"hello, gathered world", 21);

	/* More entries than IOV_MAX: a short write of the first IOV_MAX. */
	static struct cl_iov many[1500];
	static uint8_t many_want[1500];
	for (int i = 0; i < 1500; i++) {
		many[i].base = chunk + i % 256;
		many[i].len = 1;
		many_want[i] = chunk[i % 256];
	}
	assert_int_equal(cl_stream_sendv(cli, many, 1500), IOV_MAX);
	read_exact(&e, srv, many_want, IOV_MAX);
	assert_int_equal(cl_stream_sendv(cli, many, 0), -2);

	/* Peer closes: pending data first, then EOF (-1), and EOF stays. */
	assert_int_equal(cl_stream_send(cli, (const uint8_t *)"bye", 3), 3);
	cl_stream_close(cli);
	cl_stream_close(cli);
	assert_int_equal(cl_stream_send(cli, (const uint8_t *)"x", 1), -2);
	read_exact(&e, srv, (const uint8_t *)"bye", 3);
	end = cl_now_ms() + 3000;
	while ((r = cl_stream_recv(srv, buf, sizeof(buf))) == 0 && cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	assert_int_equal(r, -1);
	assert_int_equal(cl_stream_recv(srv, buf, sizeof(buf)), -1);
	/* Writing to a peer that is gone: an error, never SIGPIPE. */
	end = cl_now_ms() + 3000;
	while ((r = cl_stream_send(srv, chunk, sizeof(chunk))) >= 0 && cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	assert_int_equal(r, -2);
	env_close(&e);
}

static void test_half_close(void **state)
{
	(void)state;
	static struct env e;
	env_open(&e);
	env_connect(&e, 0);
	struct cl_stream *cli = &e.cli[0].s, *srv = &e.srv[0].s;
	uint8_t buf[64];
	uint64_t end;
	int r;
	assert_int_equal(cl_stream_send(srv, (const uint8_t *)"resp", 4), 4);
	/* Half-close: the other side reads the data, then EOF, and can
	 * still answer. */
	assert_int_equal(cl_stream_shutdown(srv), 0);
	read_exact(&e, cli, (const uint8_t *)"resp", 4);
	end = cl_now_ms() + 3000;
	while ((r = cl_stream_recv(cli, buf, sizeof(buf))) == 0 && cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	assert_int_equal(r, -1);
	assert_int_equal(cl_stream_send(srv, (const uint8_t *)"x", 1), -2);
	assert_int_equal(cl_stream_send(cli, (const uint8_t *)"late", 4), 4);
	read_exact(&e, srv, (const uint8_t *)"late", 4);
	env_close(&e);
}

static void test_reset_is_error(void **state)
{
	(void)state;
	static struct env e;
	env_open(&e);
	env_connect(&e, 0);
	/* Abortive close: the server's recv sees a reset, which is -2. */
	struct linger lg = { 1, 0 };
	setsockopt(cl_stream_fd(&e.cli[0].s), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	cl_stream_want(&e.srv[0].s, CL_READ);
	e.srv[0].events = 0;
	cl_stream_close(&e.cli[0].s);
	uint64_t end = cl_now_ms() + 3000;
	while (!(e.srv[0].events & CL_READ) && cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	assert_true(e.srv[0].events & CL_READ);
	uint8_t buf[16];
	assert_int_equal(cl_stream_recv(&e.srv[0].s, buf, sizeof(buf)), -2);
	env_close(&e);
}

static void test_connect_refused(void **state)
{
	(void)state;
	static struct env e;
	env_open(&e);
	/* A bound port nobody listens on. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	union cl_sockaddr sa;
	struct cl_addr to;
	assert_int_equal(cl_addr_parse(&to, "127.0.0.1:0"), 0);
	socklen_t len = cl_addr_to_sockaddr(&to, &sa);
	assert_int_equal(bind(fd, &sa.sa, len), 0);
	len = sizeof(sa);
	assert_int_equal(getsockname(fd, &sa.sa, &len), 0);
	assert_int_equal(cl_addr_from_sockaddr(&to, &sa.sa, len), 0);

	struct side *c = &e.cli[0];
	assert_int_equal(cl_stream_connect(&c->s, &e.loop, &to, on_side, c), 0);
	c->open = true;
	assert_int_equal(cl_loop_conns(&e.loop), 1);
	uint64_t end = cl_now_ms() + 3000;
	while (!c->events && cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	assert_int_equal(c->events, CL_WRITE | CL_ERROR);
	uint8_t buf[4];
	assert_int_equal(cl_stream_send(&c->s, buf, 4), -2);
	assert_int_equal(cl_stream_recv(&c->s, buf, 4), -2);
	/* The failed stream is out of the loop: no further events. */
	c->calls = 0;
	cl_loop_run_once(&e.loop, 20);
	assert_int_equal(c->calls, 0);
	close(fd);
	env_close(&e);
}

/* The listener refuses bad addresses and reports the kernel's port. */
static void test_listener_addresses(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct cl_listener l, l2;
	assert_int_equal(cl_loop_init(&loop), 0);
	assert_int_equal(cl_listener_open(&l, &loop, "nonsense", 0, on_accept, NULL), -1);
	assert_int_equal(errno, EINVAL);
	cl_listener_close(&l);
	assert_int_equal(cl_listener_open(&l, &loop, "127.0.0.1:0", CL_REUSEPORT, on_accept, NULL), 0);
	char name[CL_ADDR_STRLEN], want[CL_ADDR_STRLEN];
	assert_true(cl_addr_format(&l.addr, name, sizeof(name)) > 0);
	/* The same port again: only with SO_REUSEPORT on both. */
	snprintf(want, sizeof(want), "127.0.0.1:%u", l.addr.port);
	assert_int_equal(cl_listener_open(&l2, &loop, want, 0, on_accept, NULL), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(cl_listener_open(&l2, &loop, want, CL_REUSEPORT, on_accept, NULL), 0);
	cl_listener_close(&l2);
	cl_listener_close(&l);
	cl_listener_close(&l);
	/* IPv6 loopback, where the machine has it. */
	if (cl_listener_open(&l, &loop, "[::1]:0", 0, on_accept, NULL) == 0) {
		assert_int_equal(l.addr.family, 6);
		assert_true(cl_addr_format(&l.addr, name, sizeof(name)) > 0);
		assert_true(strncmp(name, "[::1]:", 6) == 0);
		cl_listener_close(&l);
	} else {
		print_message("no IPv6 loopback (%s): v6 listener not tested\n", strerror(errno));
	}
	cl_loop_close(&loop);
}

/* The same over IPv6 loopback, where the machine has it. */
struct v6_env {
	struct cl_loop loop;
	struct cl_stream srv;
	struct cl_addr peer;
	bool have;
};

static void on_v6_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct v6_env *e = arg;
	e->peer = *peer;
	assert_int_equal(cl_stream_init(&e->srv, &e->loop, fd, on_side, NULL), 0);
	cl_stream_want(&e->srv, 0);
	e->have = true;
}

static void test_ipv6_stream(void **state)
{
	(void)state;
	static struct v6_env e;
	struct cl_listener l;
	struct cl_stream c;
	static struct side cs;
	memset(&e, 0, sizeof(e));
	assert_int_equal(cl_loop_init(&e.loop), 0);
	if (cl_listener_open(&l, &e.loop, "[::1]:0", 0, on_v6_accept, &e) != 0) {
		print_message("no IPv6 loopback (%s): skipped\n", strerror(errno));
		cl_loop_close(&e.loop);
		skip();
	}
	assert_int_equal(cl_stream_connect(&c, &e.loop, &l.addr, on_side, &cs), 0);
	uint64_t end = cl_now_ms() + 3000;
	while (!(e.have && (cs.events & CL_WRITE)) && cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	assert_true(e.have);
	assert_int_equal(e.peer.family, 6);
	static const uint8_t loop6[16] = { [15] = 1 };
	assert_memory_equal(e.peer.ip, loop6, 16);
	cl_stream_want(&c, 0);
	assert_int_equal(cl_stream_send(&c, (const uint8_t *)"six", 3), 3);
	uint8_t buf[8];
	int r;
	end = cl_now_ms() + 3000;
	while ((r = cl_stream_recv(&e.srv, buf, sizeof(buf))) == 0 && cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	assert_int_equal(r, 3);
	assert_memory_equal(buf, "six", 3);
	cl_stream_close(&c);
	cl_stream_close(&e.srv);
	cl_listener_close(&l);
	cl_loop_close(&e.loop);
}

/*
 * Two streams ready in the same epoll batch; whichever callback runs first
 * closes the other and scribbles over its memory. The other callback must
 * not run: the loop forgets events of an fd closed during the batch.
 */
struct pair_conn {
	struct cl_stream s;
	struct pair_conn *other;
	int *calls;
};

static void on_pair(void *arg, unsigned events)
{
	struct pair_conn *c = arg;
	(void)events;
	(*c->calls)++;
	cl_stream_close(&c->other->s);
	memset(&c->other->s, 0xab, sizeof(c->other->s));
	cl_stream_close(&c->s);
}

static void test_close_other_in_same_batch(void **state)
{
	(void)state;
	static struct env e;
	env_open(&e);
	env_connect(&e, 0);
	env_connect(&e, 1);
	/* Both server streams get input before the loop looks. */
	assert_int_equal(cl_stream_send(&e.cli[0].s, (const uint8_t *)"a", 1), 1);
	assert_int_equal(cl_stream_send(&e.cli[1].s, (const uint8_t *)"b", 1), 1);
	usleep(10000);
	int calls = 0;
	static struct pair_conn p[2];
	for (int i = 0; i < 2; i++) {
		/* Move each accepted fd into a pair_conn on the same loop. */
		int fd = dup(cl_stream_fd(&e.srv[i].s));
		cl_stream_close(&e.srv[i].s);
		e.srv[i].open = false;
		p[i].other = &p[1 - i];
		p[i].calls = &calls;
		assert_int_equal(cl_stream_init(&p[i].s, &e.loop, fd, on_pair, &p[i]), 0);
	}
	assert_int_equal(cl_loop_run_once(&e.loop, 100), 1);
	assert_int_equal(calls, 1);
	assert_int_equal(cl_loop_run_once(&e.loop, 20), 0);
	assert_int_equal(calls, 1);
	env_close(&e);
}

/*
 * One loop, two connections. The server pushes bulk data at A, whose
 * client never reads, until A's send says 0 (socket buffers full). B
 * then does request/response rounds on the same loop and must be served
 * while A stays blocked; and the blocked A must not make the loop spin.
 */
struct srv_conn {
	struct cl_stream s;
	bool bulk;
	uint64_t sent;
	int blocked; /* sends that returned 0 */
	int echoed;
	int wakeups;
};

struct slow_env {
	struct cl_loop loop;
	struct cl_listener l;
	struct srv_conn conn[2];
	int n;
	struct side cli[2];
};

static const uint8_t bulk_chunk[16384];

static void on_srv(void *arg, unsigned events)
{
	struct srv_conn *c = arg;
	c->wakeups++;
	if (c->bulk) {
		if (!(events & CL_WRITE))
			return;
		for (;;) {
			int r = cl_stream_send(&c->s, bulk_chunk, sizeof(bulk_chunk));
			if (r == 0) {
				c->blocked++;
				return; /* CL_WRITE stays wanted: woken when drained */
			}
			assert_true(r > 0);
			c->sent += (uint64_t)r;
		}
	}
	if (events & CL_READ) {
		uint8_t buf[512];
		int r = cl_stream_recv(&c->s, buf, sizeof(buf));
		if (r > 0) {
			assert_int_equal(cl_stream_send(&c->s, buf, (size_t)r), r);
			c->echoed++;
		}
	}
}

static void on_slow_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct slow_env *e = arg;
	(void)peer;
	struct srv_conn *c = &e->conn[e->n];
	c->bulk = e->n == 0;
	e->n++;
	assert_int_equal(cl_stream_init(&c->s, &e->loop, fd, on_srv, c), 0);
	int small = 8192;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	cl_stream_want(&c->s, c->bulk ? CL_WRITE : CL_READ);
}

static void test_slow_reader_does_not_block(void **state)
{
	(void)state;
	static struct slow_env e;
	memset(&e, 0, sizeof(e));
	assert_int_equal(cl_loop_init(&e.loop), 0);
	assert_int_equal(cl_listener_open(&e.l, &e.loop, "127.0.0.1:0", 0, on_slow_accept, &e), 0);

	for (int i = 0; i < 2; i++) {
		struct side *c = &e.cli[i];
		assert_int_equal(cl_stream_connect(&c->s, &e.loop, &e.l.addr, on_side, c), 0);
		if (i == 0) {
			int small = 8192;
			setsockopt(cl_stream_fd(&c->s), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		}
		uint64_t end = cl_now_ms() + 3000;
		while (!((c->events & CL_WRITE) && e.n > i)) {
			if (cl_now_ms() > end)
				fail_msg("connect %d timed out", i);
			cl_loop_run_once(&e.loop, 20);
		}
		cl_stream_want(&c->s, 0); /* A never reads; B reads explicitly */
	}

	/* Let the bulk sender fill everything. */
	uint64_t end = cl_now_ms() + 3000;
	while (e.conn[0].blocked == 0) {
		if (cl_now_ms() > end)
			fail_msg("bulk sender never blocked (sent %llu)", (unsigned long long)e.conn[0].sent);
		cl_loop_run_once(&e.loop, 20);
	}
	/* Let in-flight ACKs settle: then A's window is closed for good. */
	end = cl_now_ms() + 100;
	while (cl_now_ms() < end)
		cl_loop_run_once(&e.loop, 10);
	uint64_t sent_when_blocked = e.conn[0].sent;

	/* B is served, round after round, while A stays blocked. */
	for (int round = 0; round < 50; round++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "ping %d", round);
		assert_int_equal(cl_stream_send(&e.cli[1].s, (const uint8_t *)msg, (size_t)len), len);
		uint8_t buf[64];
		int r = 0;
		end = cl_now_ms() + 2000;
		while ((r = cl_stream_recv(&e.cli[1].s, buf, sizeof(buf))) == 0) {
			if (cl_now_ms() > end)
				fail_msg("round %d: no echo while a peer is not reading", round);
			cl_loop_run_once(&e.loop, 20);
		}
		assert_int_equal(r, len);
		assert_memory_equal(buf, msg, (size_t)len);
	}
	assert_int_equal(e.conn[1].echoed, 50);
	assert_int_equal(e.conn[0].sent, sent_when_blocked);

	/* A blocked writer does not spin the loop: with nothing to do, an
	 * iteration waits the full time and handles nothing. */
	int wake_before = e.conn[0].wakeups;
	uint64_t t0 = cl_now_ms();
	assert_int_equal(cl_loop_run_once(&e.loop, 50), 0);
	assert_true(cl_now_ms() - t0 >= 40);
	assert_int_equal(e.conn[0].wakeups, wake_before);

	/* Once A's client reads, the bulk sender resumes. */
	uint8_t sink[65536];
	end = cl_now_ms() + 3000;
	while (e.conn[0].sent == sent_when_blocked) {
		if (cl_now_ms() > end)
			fail_msg("bulk sender did not resume");
		assert_true(cl_stream_recv(&e.cli[0].s, sink, sizeof(sink)) >= 0);
		cl_loop_run_once(&e.loop, 10);
	}

	for (int i = 0; i < 2; i++) {
		cl_stream_close(&e.conn[i].s);
		cl_stream_close(&e.cli[i].s);
	}
	cl_listener_close(&e.l);
	assert_int_equal(cl_loop_conns(&e.loop), 0);
	cl_loop_close(&e.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_would_block_and_eof),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_reset_is_error),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_listener_addresses),
		cmocka_unit_test(test_ipv6_stream),
		cmocka_unit_test(test_slow_reader_does_not_block),
		cmocka_unit_test(test_close_other_in_same_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
