/* UDP: batch round trips (recvmmsg/sendmmsg), the single datagram ops,
 * truncation, empty datagrams, SO_REUSEPORT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cl_posix.h"

enum { NMSG = CL_UDP_BATCH, MSGCAP = 512 };

/* A server that answers every datagram of a batch in place: the reply is
 * the request reversed, sent back to its peer with one sendmmsg. */
struct server {
	struct cl_udp u;
	struct cl_udp_batch b;
	uint8_t mem[NMSG * MSGCAP];
	int batches;
	int max_batch;
	unsigned answered;
};

static void on_server(void *arg, unsigned events)
{
	struct server *s = arg;
	(void)events;
	int n = cl_udp_recv_batch(&s->u, &s->b);
	if (n <= 0) {
		assert_int_equal(n, 0);
		return;
	}
	s->batches++;
	if (n > s->max_batch)
		s->max_batch = n;
	for (int i = 0; i < n; i++) {
		struct cl_udp_msg *m = &s->b.msg[i];
		assert_false(m->trunc);
		for (size_t a = 0, z = m->len - 1; a < z; a++, z--) {
			uint8_t t = m->buf[a];
			m->buf[a] = m->buf[z];
			m->buf[z] = t;
		}
	}
	unsigned first = 0;
	while (first < s->b.count) {
		int r = cl_udp_send_batch(&s->u, &s->b, first);
		assert_true(r >= 0);
		first += (unsigned)r;
	}
	s->answered += (unsigned)n;
}

static size_t msg_len(unsigned i)
{
	return 1 + (i * 37) % 300;
}

static void fill_msg(uint8_t *p, unsigned i)
{
	for (size_t k = 0; k < msg_len(i); k++)
		p[k] = (uint8_t)(i + k * 3);
}

static void round_trip(const char *bind_addr)
{
	static struct server s;
	static struct cl_udp_batch cb;
	static uint8_t cmem[NMSG * MSGCAP];
	struct cl_loop loop;
	struct cl_udp cli;
	memset(&s, 0, sizeof(s));
	assert_int_equal(cl_loop_init(&loop), 0);
	if (cl_udp_open(&s.u, &loop, bind_addr, 0, on_server, &s) != 0) {
		print_message("cannot bind %s (%s): skipped\n", bind_addr, strerror(errno));
		cl_loop_close(&loop);
		skip();
	}
	assert_int_equal(cl_udp_batch_init(&s.b, s.mem, MSGCAP, NMSG), 0);
	assert_int_equal(cl_udp_open(&cli, &loop, bind_addr, 0, NULL, NULL), 0);
	assert_int_equal(cli.addr.family, s.u.addr.family);

	/* One sendmmsg of NMSG requests of different lengths. */
	assert_int_equal(cl_udp_batch_init(&cb, cmem, MSGCAP, NMSG), 0);
	for (unsigned i = 0; i < NMSG; i++) {
		fill_msg(cb.msg[i].buf, i);
		cb.msg[i].len = msg_len(i);
		cb.msg[i].peer = s.u.addr;
	}
	cb.count = NMSG;
	unsigned first = 0;
	while (first < NMSG) {
		int r = cl_udp_send_batch(&cli, &cb, first);
		assert_true(r > 0);
		first += (unsigned)r;
	}

	/* Collect the replies; loopback keeps them in order. */
	bool seen[NMSG] = { false };
	unsigned got = 0;
	uint64_t end = cl_now_ms() + 3000;
	while (got < NMSG) {
		if (cl_now_ms() > end)
			fail_msg("%u of %d replies after 3 s (server answered %u)", got, NMSG, s.answered);
		cl_loop_run_once(&loop, 10);
		int n = cl_udp_recv_batch(&cli, &cb);
		assert_true(n >= 0);
		for (int k = 0; k < n; k++) {
			struct cl_udp_msg *m = &cb.msg[k];
			assert_true(cl_addr_equal(&m->peer, &s.u.addr));
			/* Which request is this? Its reversed length identifies
			 * candidates; its bytes must match exactly. */
			bool matched = false;
			for (unsigned i = 0; i < NMSG && !matched; i++) {
				if (seen[i] || msg_len(i) != m->len)
					continue;
				uint8_t want[MSGCAP];
				fill_msg(want, i);
				bool same = true;
				for (size_t a = 0; a < m->len && same; a++)
					same = m->buf[a] == want[m->len - 1 - a];
				if (same)
					seen[i] = matched = true;
			}
			if (!matched)
				fail_msg("reply %u of %zu bytes matches no request", got, m->len);
			got++;
		}
	}
	assert_int_equal(s.answered, NMSG);
	/* The point of the batch: more than one datagram per syscall. */
	assert_true(s.max_batch > 1);
	print_message("%s: %d datagrams answered in %d recvmmsg batches (largest %d)\n", bind_addr,
		      NMSG, s.batches, s.max_batch);
	cl_udp_close(&cli);
	cl_udp_close(&s.u);
	cl_udp_close(&s.u);
	cl_loop_close(&loop);
}

static void test_batch_round_trip_v4(void **state)
{
	(void)state;
	round_trip("127.0.0.1:0");
}

static void test_batch_round_trip_v6(void **state)
{
	(void)state;
	round_trip("[::1]:0");
}

static void test_single_ops(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct cl_udp a, b;
	uint8_t buf[512], big[200];
	struct cl_addr from;
	assert_int_equal(cl_loop_init(&loop), 0);
	assert_int_equal(cl_udp_open(&a, &loop, "127.0.0.1:0", 0, NULL, NULL), 0);
	assert_int_equal(cl_udp_open(&b, &loop, "127.0.0.1:0", 0, NULL, NULL), 0);

	/* Nothing waiting: 0. */
	assert_int_equal(cl_udp_recv(&b, buf, sizeof(buf), &from), 0);

	/* A whole datagram and its sender. */
	memset(big, 0x5a, sizeof(big));
	assert_int_equal(cl_udp_send(&a, big, 100, &b.addr), 100);
	assert_int_equal(cl_udp_recv(&b, buf, sizeof(buf), &from), 100);
	assert_true(cl_addr_equal(&from, &a.addr));
	assert_memory_equal(buf, big, 100);

	/* Too long for cap, and empty: both dropped, the next one read. */
	assert_int_equal(cl_udp_send(&a, big, 200, &b.addr), 200);
	{
		union cl_sockaddr sa;
		socklen_t len = cl_addr_to_sockaddr(&b.addr, &sa);
		assert_int_equal(sendto(cl_udp_fd(&a), "", 0, 0, &sa.sa, len), 0);
	}
	assert_int_equal(cl_udp_send(&a, (const uint8_t *)"ok", 2, &b.addr), 2);
	assert_int_equal(cl_udp_recv(&b, buf, 50, &from), 2);
	assert_memory_equal(buf, "ok", 2);
	assert_int_equal(cl_udp_recv(&b, buf, sizeof(buf), &from), 0);

	/* In a batch, a long datagram is flagged rather than dropped. */
	struct cl_udp_batch bt;
	static uint8_t mem[4 * 50];
	assert_int_equal(cl_udp_batch_init(&bt, mem, 50, 4), 0);
	assert_int_equal(cl_udp_send(&a, big, 200, &b.addr), 200);
	assert_int_equal(cl_udp_send(&a, big, 20, &b.addr), 20);
	assert_int_equal(cl_udp_recv_batch(&b, &bt), 2);
	assert_true(bt.msg[0].trunc);
	assert_int_equal(bt.msg[0].len, 50);
	assert_false(bt.msg[1].trunc);
	assert_int_equal(bt.msg[1].len, 20);
	assert_int_equal(cl_udp_recv_batch(&b, &bt), 0);
	assert_int_equal(bt.count, 0);

	/* Wrong family for the socket, bad arguments: errors. */
	struct cl_addr v6;
	assert_int_equal(cl_addr_parse(&v6, "[::1]:53"), 0);
	assert_int_equal(cl_udp_send(&a, big, 10, &v6), -2);
	assert_int_equal(cl_udp_send(&a, big, 0, &b.addr), -2);
	assert_int_equal(cl_udp_recv(&b, buf, 0, &from), -2);
	assert_int_equal(cl_udp_batch_init(&bt, mem, 50, 0), -1);
	assert_int_equal(cl_udp_batch_init(&bt, mem, 50, CL_UDP_BATCH + 1), -1);
	/* A batch that names a bad peer is refused, not skipped. */
	assert_int_equal(cl_udp_batch_init(&bt, mem, 50, 2), 0);
	bt.count = 2;
	bt.msg[0].len = bt.msg[1].len = 5;
	bt.msg[0].peer = b.addr;
	bt.msg[1].peer = v6;
	assert_int_equal(cl_udp_send_batch(&a, &bt, 0), 1);
	assert_int_equal(cl_udp_send_batch(&a, &bt, 1), -2);
	assert_int_equal(cl_udp_send_batch(&a, &bt, 2), -2);

	cl_udp_close(&a);
	cl_udp_close(&b);
	assert_int_equal(cl_udp_send(&a, big, 10, &b.addr), -2);
	assert_int_equal(cl_udp_recv(&a, buf, 10, &from), -2);
	cl_loop_close(&loop);
}

static void test_reuseport(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct cl_udp a, b, c;
	char addr[CL_ADDR_STRLEN];
	assert_int_equal(cl_loop_init(&loop), 0);
	assert_int_equal(cl_udp_open(&a, &loop, "127.0.0.1:0", CL_REUSEPORT, NULL, NULL), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", a.addr.port);
	assert_int_equal(cl_udp_open(&c, &loop, addr, 0, NULL, NULL), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(cl_udp_open(&b, &loop, addr, CL_REUSEPORT, NULL, NULL), 0);
	assert_int_equal(b.addr.port, a.addr.port);
	/* IPv4 and IPv6 sockets on the same port, side by side (V6ONLY). */
	snprintf(addr, sizeof(addr), "[::]:%u", a.addr.port);
	if (cl_udp_open(&c, &loop, addr, 0, NULL, NULL) == 0)
		cl_udp_close(&c);
	else
		assert_int_equal(errno, EAFNOSUPPORT);
	cl_udp_close(&a);
	cl_udp_close(&b);
	cl_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_round_trip_v4),
		cmocka_unit_test(test_batch_round_trip_v6),
		cmocka_unit_test(test_single_ops),
		cmocka_unit_test(test_reuseport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
