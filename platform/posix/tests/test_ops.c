/* CL_STREAM_OPS / CL_DATAGRAM_OPS: a library's own ops types (declared
 * here the way a library header declares them) bound to the platform, and
 * driven only through the ops tables, as a library would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cl_posix.h"

/* What a library header (say cloudlet/dns.h) declares. */
struct lib_iov {
	const void *base;
	size_t len;
};
struct lib_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};
struct lib_stream_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap);
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	int (*sendv)(void *ctx, const struct lib_iov *iov, int iovcnt);
	void (*close)(void *ctx);
};
struct lib_datagram_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap, struct lib_addr *from);
	int (*send)(void *ctx, const uint8_t *buf, size_t len, const struct lib_addr *to);
};

CL_STREAM_OPS(lib_tcp_ops, struct lib_stream_ops, struct lib_iov);
CL_DATAGRAM_OPS(lib_udp_ops, struct lib_datagram_ops, struct lib_addr);

struct accepted {
	struct cl_loop *loop;
	struct cl_stream s;
	bool have;
};

static void on_ev(void *arg, unsigned events)
{
	(void)arg;
	(void)events;
}

static void on_accept(void *arg, int fd, const struct cl_addr *peer)
{
	struct accepted *a = arg;
	(void)peer;
	assert_int_equal(cl_stream_init(&a->s, a->loop, fd, on_ev, a), 0);
	cl_stream_want(&a->s, 0);
	a->have = true;
}

/* Read exactly n bytes through the ops, driving the loop. */
static void ops_read(struct cl_loop *loop, const struct lib_stream_ops *ops, void *ctx,
		     const char *want, size_t n)
{
	uint8_t buf[64];
	size_t got = 0;
	uint64_t end = cl_now_ms() + 3000;
	while (got < n) {
		int r = ops->recv(ctx, buf + got, n - got);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		assert_int_equal(r, 0);
		if (cl_now_ms() > end)
			fail_msg("read %zu of %zu", got, n);
		cl_loop_run_once(loop, 10);
	}
	assert_memory_equal(buf, want, n);
}

static void test_stream_ops(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct cl_listener l;
	struct cl_stream c;
	struct accepted a = { .loop = &loop };
	const struct lib_stream_ops *ops = &lib_tcp_ops;
	assert_int_equal(cl_loop_init(&loop), 0);
	assert_int_equal(cl_listener_open(&l, &loop, "127.0.0.1:0", 0, on_accept, &a), 0);
	assert_int_equal(cl_stream_connect(&c, &loop, &l.addr, on_ev, NULL), 0);
	uint64_t end = cl_now_ms() + 3000;
	while (!a.have && cl_now_ms() < end)
		cl_loop_run_once(&loop, 10);
	assert_true(a.have);

	struct lib_iov iov[2] = { { "gather ", 7 }, { "write", 5 } };
	int r;
	end = cl_now_ms() + 3000;
	while ((r = ops->sendv(&c, iov, 2)) == 0 && cl_now_ms() < end)
		cl_loop_run_once(&loop, 10); /* still connecting */
	assert_int_equal(r, 12);
	ops_read(&loop, ops, &a.s, "gather write", 12);
	assert_int_equal(ops->send(&a.s, (const uint8_t *)"back", 4), 4);
	ops_read(&loop, ops, &c, "back", 4);
	ops->close(&c);
	uint8_t b[4];
	end = cl_now_ms() + 3000;
	while ((r = ops->recv(&a.s, b, sizeof(b))) == 0 && cl_now_ms() < end)
		cl_loop_run_once(&loop, 10);
	assert_int_equal(r, -1);
	ops->close(&a.s);
	assert_int_equal(cl_loop_conns(&loop), 0);
	cl_listener_close(&l);
	cl_loop_close(&loop);
}

static void test_datagram_ops(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct cl_udp x, y;
	const struct lib_datagram_ops *ops = &lib_udp_ops;
	assert_int_equal(cl_loop_init(&loop), 0);
	assert_int_equal(cl_udp_open(&x, &loop, "127.0.0.1:0", 0, NULL, NULL), 0);
	assert_int_equal(cl_udp_open(&y, &loop, "127.0.0.1:0", 0, NULL, NULL), 0);
	struct lib_addr to = { .family = 4, .port = y.addr.port }, from;
	memcpy(to.ip, y.addr.ip, 16);
	assert_int_equal(ops->send(&x, (const uint8_t *)"query", 5, &to), 5);
	uint8_t buf[16];
	assert_int_equal(ops->recv(&y, buf, sizeof(buf), &from), 5);
	assert_memory_equal(buf, "query", 5);
	assert_int_equal(from.family, 4);
	assert_int_equal(from.port, x.addr.port);
	assert_memory_equal(from.ip, x.addr.ip, 16);
	assert_int_equal(ops->recv(&y, buf, sizeof(buf), &from), 0);
	cl_udp_close(&x);
	cl_udp_close(&y);
	cl_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_ops),
		cmocka_unit_test(test_datagram_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
