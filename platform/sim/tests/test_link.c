/* Datagram and frame links: delivery and delay, drop, duplicate, reorder,
 * corrupt, partitions (whole link, one direction, random), hub frames,
 * delivery callbacks and the fixed limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cl_sim.h"

/* A library's own datagram types, bound by the macro. */
struct fake_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};

struct fake_dgram_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap, struct fake_addr *from);
	int (*send)(void *ctx, const uint8_t *buf, size_t len, const struct fake_addr *to);
};

CL_SIM_DGRAM_OPS(fake_ops, struct fake_dgram_ops, struct fake_addr);

enum { MTU = 1500, SLOTS = 256 };

struct net {
	struct cl_sim sim;
	struct cl_sim_event ev[1024];
	struct cl_sim_link link;
	_Alignas(16) uint8_t mem[CL_SIM_LINK_MEM(SLOTS, MTU)];
	struct cl_sim_ep ep[3];
	struct cl_sim_addr addr[3];
	enum cl_sim_link_kind kind;
	int notified[3];
};

static void on_rx(void *ctx, struct cl_sim_ep *ep)
{
	struct net *n = ctx;
	n->notified[ep - n->ep]++;
}

static void net_init(struct net *n, uint64_t seed, enum cl_sim_link_kind kind,
                     const struct cl_sim_link_cfg *cfg, size_t slots)
{
	memset(n, 0, sizeof *n);
	cl_sim_init(&n->sim, seed, n->ev, 1024);
	n->kind = kind;
	assert_int_equal(cl_sim_link_init(&n->link, &n->sim, kind, cfg, n->mem,
	                                  CL_SIM_LINK_MEM(slots, MTU), MTU),
	                 0);
	for (int i = 0; i < 3; i++) {
		n->addr[i] = (struct cl_sim_addr){ .family = 4,
			                           .port = (uint16_t)(5300 + i),
			                           .ip = { 10, 0, 0, (uint8_t)(i + 1) } };
		assert_int_equal(cl_sim_link_attach(&n->link, &n->ep[i],
		                                    kind == CL_SIM_DGRAM ? &n->addr[i] : NULL),
		                 0);
		cl_sim_ep_set_notify(&n->ep[i], on_rx, n);
	}
}

/* Send message i (4 bytes, big-endian i, then filler up to len). */
static void send_numbered(struct net *n, int from, int to, uint32_t i, size_t len)
{
	uint8_t m[MTU];
	memset(m, (int)(i & 0xff), len);
	m[0] = (uint8_t)(i >> 24);
	m[1] = (uint8_t)(i >> 16);
	m[2] = (uint8_t)(i >> 8);
	m[3] = (uint8_t)i;
	int r = n->kind == CL_SIM_DGRAM
	            ? cl_sim_dgram_send(&n->ep[from], m, len, &n->addr[to])
	            : cl_sim_frame_send(&n->ep[from], m, len);
	assert_int_equal(r, (int)len);
}

static uint32_t number(const uint8_t *m)
{
	return (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
}

/* Drain ep's queue into out[], returning how many. */
static int drain(struct net *n, int at, uint32_t *out, int max)
{
	uint8_t m[MTU];
	struct cl_sim_addr from;
	int k = 0, r;
	while ((r = cl_sim_dgram_recv(&n->ep[at], m, sizeof m, &from)) > 0) {
		assert_true(k < max);
		out[k++] = number(m);
	}
	assert_int_equal(r, 0);
	return k;
}

static void test_delivery_and_delay(void **state)
{
	(void)state;
	static struct net n;
	struct cl_sim_link_cfg cfg = { .delay_ms = 25 };
	net_init(&n, 1, CL_SIM_DGRAM, &cfg, SLOTS);
	struct fake_addr to = { .family = 4, .port = 5301, .ip = { 10, 0, 0, 2 } };
	assert_int_equal(fake_ops.send(&n.ep[0], (const uint8_t *)"query", 5, &to), 5);
	uint8_t buf[64];
	struct fake_addr from;
	assert_int_equal(fake_ops.recv(&n.ep[1], buf, sizeof buf, &from), 0);
	assert_int_equal(cl_sim_run(&n.sim, 100), 1);
	assert_int_equal(cl_sim_now(&n.sim), 25);
	assert_int_equal(n.notified[1], 1);
	assert_int_equal(cl_sim_ep_pending(&n.ep[1]), 1);
	assert_int_equal(fake_ops.recv(&n.ep[1], buf, sizeof buf, &from), 5);
	assert_memory_equal(buf, "query", 5);
	assert_int_equal(from.family, 4);
	assert_int_equal(from.port, 5300);
	assert_int_equal(from.ip[3], 1);
	assert_int_equal(n.notified[2], 0);
	assert_int_equal(n.link.stats.sent, 1);
	assert_int_equal(n.link.stats.delivered, 1);
}

static void test_no_faults_is_perfect(void **state)
{
	(void)state;
	static struct net n;
	static uint32_t got[200];
	net_init(&n, 5, CL_SIM_DGRAM, NULL, SLOTS);
	for (uint32_t i = 0; i < 200; i++)
		send_numbered(&n, 0, 1, i, 20 + i);
	cl_sim_run(&n.sim, 1000);
	assert_int_equal(drain(&n, 1, got, 200), 200);
	for (uint32_t i = 0; i < 200; i++)
		assert_int_equal(got[i], i);
	assert_int_equal(cl_sim_now(&n.sim), 0);
}

static void test_drop_all(void **state)
{
	(void)state;
	static struct net n;
	struct cl_sim_link_cfg cfg = { .drop = 1.0 };
	uint32_t got[4];
	net_init(&n, 2, CL_SIM_DGRAM, &cfg, SLOTS);
	for (uint32_t i = 0; i < 100; i++)
		send_numbered(&n, 0, 1, i, 64);
	assert_int_equal(cl_sim_run(&n.sim, 1000), 0);
	assert_int_equal(drain(&n, 1, got, 4), 0);
	assert_int_equal(n.notified[1], 0);
	assert_int_equal(n.link.stats.dropped, 100);
	assert_int_equal(n.link.stats.delivered, 0);
}

static void test_drop_some(void **state)
{
	(void)state;
	static struct net n;
	static uint32_t got[1000];
	struct cl_sim_link_cfg cfg = { .drop = 0.3, .rxq_max = 0 };
	net_init(&n, 3, CL_SIM_DGRAM, &cfg, SLOTS);
	int k = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		send_numbered(&n, 0, 1, i, 8);
		cl_sim_run(&n.sim, 10);
		k += drain(&n, 1, got + k, 1000 - k);
	}
	assert_true(k > 600 && k < 800);
	assert_int_equal((uint64_t)k + n.link.stats.dropped, 1000);
}

static void test_duplicate(void **state)
{
	(void)state;
	static struct net n;
	static uint32_t got[200];
	struct cl_sim_link_cfg cfg = { .duplicate = 1.0, .delay_ms = 3 };
	net_init(&n, 4, CL_SIM_DGRAM, &cfg, SLOTS);
	for (uint32_t i = 0; i < 50; i++)
		send_numbered(&n, 0, 1, i, 100);
	cl_sim_run(&n.sim, 1000);
	assert_int_equal(drain(&n, 1, got, 200), 100);
	/* Each message exactly twice. */
	int seen[50] = { 0 };
	for (int i = 0; i < 100; i++) {
		assert_true(got[i] < 50);
		seen[got[i]]++;
	}
	for (int i = 0; i < 50; i++)
		assert_int_equal(seen[i], 2);
	assert_int_equal(n.link.stats.duplicated, 50);
}

static void test_reorder(void **state)
{
	(void)state;
	static struct net n;
	static uint32_t got[100];
	struct cl_sim_link_cfg cfg = { .delay_ms = 5, .jitter_ms = 40 };
	net_init(&n, 6, CL_SIM_DGRAM, &cfg, SLOTS);
	for (uint32_t i = 0; i < 100; i++) {
		send_numbered(&n, 0, 1, i, 10);
		cl_sim_advance(&n.sim, 1);
	}
	cl_sim_run(&n.sim, 1000);
	assert_int_equal(drain(&n, 1, got, 100), 100);
	int inversions = 0;
	bool seen[100] = { false };
	for (int i = 0; i < 100; i++) {
		assert_true(got[i] < 100);
		assert_false(seen[got[i]]);
		seen[got[i]] = true;
		if (i && got[i] < got[i - 1])
			inversions++;
	}
	assert_true(inversions > 10);
	/* No copy arrived before its delay or after delay + jitter. */
	assert_true(cl_sim_now(&n.sim) >= 99 + 5 && cl_sim_now(&n.sim) <= 99 + 45);
}

static void test_corrupt(void **state)
{
	(void)state;
	static struct net n;
	struct cl_sim_link_cfg cfg = { .corrupt = 1.0 };
	net_init(&n, 7, CL_SIM_DGRAM, &cfg, SLOTS);
	uint8_t sent[300], got[300];
	for (int i = 0; i < 300; i++)
		sent[i] = (uint8_t)i;
	for (int round = 0; round < 50; round++) {
		assert_int_equal(cl_sim_dgram_send(&n.ep[0], sent, sizeof sent, &n.addr[1]), 300);
		cl_sim_run(&n.sim, 10);
		assert_int_equal(cl_sim_dgram_recv(&n.ep[1], got, sizeof got, NULL), 300);
		int bits = 0;
		for (int i = 0; i < 300; i++)
			bits += __builtin_popcount(sent[i] ^ got[i]);
		assert_true(bits >= 1 && bits <= 3);
	}
	assert_int_equal(n.link.stats.corrupted, 50);
	/* The sender's buffer is never touched: only the copy is. */
	for (int i = 0; i < 300; i++)
		assert_int_equal(sent[i], (uint8_t)i);
}

static void test_partition_window(void **state)
{
	(void)state;
	static struct net n;
	static uint32_t got[100];
	net_init(&n, 8, CL_SIM_DGRAM, NULL, SLOTS);
	assert_int_equal(cl_sim_link_partition(&n.link, NULL, NULL, 10, 20), 0);
	for (uint32_t t = 0; t < 30; t++) {
		cl_sim_run_until(&n.sim, t);
		send_numbered(&n, 0, 1, t, 10);
		send_numbered(&n, 1, 0, t, 10);
	}
	cl_sim_run(&n.sim, 1000);
	for (int side = 0; side < 2; side++) {
		int k = drain(&n, side, got, 100);
		assert_int_equal(k, 20);
		for (int i = 0; i < 10; i++)
			assert_int_equal(got[i], (uint32_t)i);
		/* It heals: everything from 20 on passes. */
		for (int i = 10; i < 20; i++)
			assert_int_equal(got[i], (uint32_t)(i + 10));
	}
	assert_int_equal(n.link.stats.partitioned, 20);
}

static void test_partition_one_way_and_in_flight(void **state)
{
	(void)state;
	static struct net n;
	uint32_t got[10];
	struct cl_sim_link_cfg cfg = { .delay_ms = 10 };
	net_init(&n, 9, CL_SIM_DGRAM, &cfg, SLOTS);
	/* 0 -> 1 is cut during [5, 50); 1 -> 0 is not. */
	assert_int_equal(cl_sim_link_partition(&n.link, &n.ep[0], &n.ep[1], 5, 50), 0);
	send_numbered(&n, 0, 1, 1, 10); /* sent at 0, would arrive at 10: lost */
	send_numbered(&n, 1, 0, 2, 10);
	cl_sim_run(&n.sim, 100);
	assert_int_equal(drain(&n, 1, got, 10), 0);
	assert_int_equal(drain(&n, 0, got, 10), 1);
	assert_int_equal(got[0], 2);
	cl_sim_run_until(&n.sim, 50);
	send_numbered(&n, 0, 1, 3, 10);
	cl_sim_run(&n.sim, 100);
	assert_int_equal(drain(&n, 1, got, 10), 1);
	assert_int_equal(got[0], 3);
	/* Bad windows. */
	assert_int_equal(cl_sim_link_partition(&n.link, NULL, NULL, 9, 9), CL_SIM_EINVAL);
	for (int i = 0; i < CL_SIM_LINK_WINDOWS; i++)
		assert_int_equal(cl_sim_link_partition(&n.link, NULL, NULL, 100, 200), 0);
	assert_int_equal(cl_sim_link_partition(&n.link, NULL, NULL, 100, 200), CL_SIM_ENOMEM);
}

static void test_partition_random(void **state)
{
	(void)state;
	static struct net n;
	static uint32_t got[2000];
	struct cl_sim_link_cfg cfg = { .partition = 0.01, .partition_ms = 30 };
	net_init(&n, 10, CL_SIM_DGRAM, &cfg, SLOTS);
	int k = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		send_numbered(&n, 0, 1, i, 8);
		cl_sim_advance(&n.sim, 1);
		k += drain(&n, 1, got + k, 2000 - k);
	}
	assert_true(n.link.stats.partitioned > 0);
	assert_int_equal((uint64_t)k + n.link.stats.partitioned, 2000);
	/* Losses come in runs (windows), not one by one. */
	int runs = 0;
	for (int i = 1; i < k; i++)
		if (got[i] != got[i - 1] + 1)
			runs++;
	assert_true(runs > 0 && (uint64_t)runs < n.link.stats.partitioned);
}

struct frames {
	struct cl_sim *sim;
	int n;
	uint64_t at[8];
	uint8_t data[8][64];
	size_t len[8];
};

static void on_frame(void *ctx, struct cl_sim_ep *ep, const uint8_t *data, size_t len,
                     const struct cl_sim_addr *from)
{
	struct frames *f = ctx;
	(void)from;
	assert_true(f->n < 8 && len <= 64);
	(void)ep;
	f->at[f->n] = cl_sim_now(f->sim);
	memcpy(f->data[f->n], data, len);
	f->len[f->n] = len;
	f->n++;
}

static void test_frame_hub_and_deliver(void **state)
{
	(void)state;
	static struct net n;
	struct cl_sim_link_cfg cfg = { .delay_ms = 1 };
	net_init(&n, 11, CL_SIM_FRAME, &cfg, SLOTS);
	struct frames f = { .sim = &n.sim };
	cl_sim_ep_set_deliver(&n.ep[2], on_frame, &f);
	assert_int_equal(cl_sim_frame_send(&n.ep[0], (const uint8_t *)"ethernet", 8), 8);
	cl_sim_run(&n.sim, 100);
	/* Every other endpoint gets it, the sender does not. */
	uint8_t buf[64];
	assert_int_equal(cl_sim_frame_recv(&n.ep[0], buf, sizeof buf), 0);
	assert_int_equal(cl_sim_frame_recv(&n.ep[1], buf, sizeof buf), 8);
	assert_memory_equal(buf, "ethernet", 8);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.at[0], 1);
	assert_memory_equal(f.data[0], "ethernet", 8);
	/* A deliver callback replaces the queue. */
	assert_int_equal(cl_sim_ep_pending(&n.ep[2]), 0);
	assert_int_equal(n.notified[2], 0);
	/* Kinds do not mix. */
	assert_int_equal(cl_sim_dgram_send(&n.ep[0], buf, 8, &n.addr[1]), -2);
	assert_int_equal(cl_sim_dgram_recv(&n.ep[1], buf, 8, NULL), -2);
}

static void test_limits(void **state)
{
	(void)state;
	static struct net n;
	uint8_t big[MTU + 1] = { 0 }, buf[8];
	net_init(&n, 12, CL_SIM_DGRAM, NULL, 4);
	assert_int_equal(cl_sim_dgram_send(&n.ep[0], big, MTU + 1, &n.addr[1]), -2);
	assert_int_equal(cl_sim_dgram_send(&n.ep[0], big, 0, &n.addr[1]), -2);
	/* A short buffer truncates. */
	assert_int_equal(cl_sim_dgram_send(&n.ep[0], (const uint8_t *)"0123456789", 10, &n.addr[1]),
	                 10);
	cl_sim_run(&n.sim, 10);
	assert_int_equal(cl_sim_dgram_recv(&n.ep[1], buf, 4, NULL), 4);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(cl_sim_ep_pending(&n.ep[1]), 0);
	/* No such address. */
	struct cl_sim_addr nowhere = { .family = 4, .port = 1, .ip = { 192, 0, 2, 1 } };
	assert_int_equal(cl_sim_dgram_send(&n.ep[0], buf, 4, &nowhere), 4);
	assert_int_equal(n.link.stats.unroutable, 1);
	/* The pool holds 4 messages: the fifth is lost and counted. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(cl_sim_dgram_send(&n.ep[0], buf, 4, &n.addr[1]), 4);
	cl_sim_run(&n.sim, 10);
	assert_int_equal(cl_sim_ep_pending(&n.ep[1]), 4);
	assert_int_equal(n.link.stats.overflow, 1);
	/* rxq_max bounds one receiver's queue. */
	struct cl_sim_link_cfg cfg = { .rxq_max = 2 };
	net_init(&n, 12, CL_SIM_DGRAM, &cfg, SLOTS);
	for (int i = 0; i < 5; i++)
		cl_sim_dgram_send(&n.ep[0], buf, 4, &n.addr[1]);
	cl_sim_run(&n.sim, 10);
	assert_int_equal(cl_sim_ep_pending(&n.ep[1]), 2);
	assert_int_equal(n.link.stats.rxq_full, 3);
	/* Setup errors. */
	struct cl_sim_link l;
	assert_int_equal(cl_sim_link_init(&l, &n.sim, CL_SIM_DGRAM, NULL, n.mem + 1, 10000, MTU),
	                 CL_SIM_EINVAL);
	assert_int_equal(cl_sim_link_init(&l, &n.sim, CL_SIM_DGRAM, NULL, n.mem, 10, MTU),
	                 CL_SIM_EINVAL);
	assert_int_equal(cl_sim_link_init(&l, &n.sim, CL_SIM_DGRAM, NULL, n.mem, sizeof n.mem, MTU),
	                 0);
	struct cl_sim_ep e;
	assert_int_equal(cl_sim_link_attach(&l, &e, NULL), CL_SIM_EINVAL);
	static struct cl_sim_ep many[CL_SIM_LINK_EPS + 1];
	for (int i = 0; i < CL_SIM_LINK_EPS; i++)
		assert_int_equal(cl_sim_link_attach(&l, &many[i], &n.addr[0]), 0);
	assert_int_equal(cl_sim_link_attach(&l, &many[CL_SIM_LINK_EPS], &n.addr[0]), CL_SIM_ENOMEM);
}

static void test_set_cfg_heals(void **state)
{
	(void)state;
	static struct net n;
	uint32_t got[10];
	struct cl_sim_link_cfg cfg = { .drop = 1.0 };
	net_init(&n, 13, CL_SIM_DGRAM, &cfg, SLOTS);
	send_numbered(&n, 0, 1, 1, 10);
	cl_sim_link_set_cfg(&n.link, NULL);
	send_numbered(&n, 0, 1, 2, 10);
	cl_sim_run(&n.sim, 10);
	assert_int_equal(drain(&n, 1, got, 10), 1);
	assert_int_equal(got[0], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_and_delay),
		cmocka_unit_test(test_no_faults_is_perfect),
		cmocka_unit_test(test_drop_all),
		cmocka_unit_test(test_drop_some),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_partition_window),
		cmocka_unit_test(test_partition_one_way_and_in_flight),
		cmocka_unit_test(test_partition_random),
		cmocka_unit_test(test_frame_hub_and_deliver),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_set_cfg_heals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
