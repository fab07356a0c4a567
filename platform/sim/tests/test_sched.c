/* The virtual clock, the event queue's order, limits and the trace. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cl_sim.h"

struct log {
	struct cl_sim *sim;
	int n;
	uint64_t t[32];
	uint64_t tag[32];
};

static void record(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct log *lg = arg;
	assert_true(lg->n < 32);
	lg->t[lg->n] = cl_sim_now(sim);
	lg->tag[lg->n] = tag;
	lg->n++;
}

static void test_order(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[16];
	struct log lg = { 0 };
	cl_sim_init(&sim, 1, ev, 16);
	/* (time, tag): equal times must keep insertion order. */
	const uint64_t t[] = { 5, 1, 3, 1, 5, 0, 3, 1 };
	for (uint64_t i = 0; i < 8; i++)
		assert_true(cl_sim_at(&sim, t[i], record, &lg, i) > 0);
	assert_int_equal(cl_sim_now(&sim), 0);
	assert_int_equal(cl_sim_pending(&sim), 8);
	assert_int_equal(cl_sim_next(&sim), 0);
	assert_int_equal(cl_sim_run(&sim, 100), 8);
	const uint64_t want_tag[] = { 5, 1, 3, 7, 2, 6, 0, 4 };
	const uint64_t want_t[] = { 0, 1, 1, 1, 3, 3, 5, 5 };
	assert_int_equal(lg.n, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(lg.tag[i], want_tag[i]);
		assert_int_equal(lg.t[i], want_t[i]);
	}
	assert_int_equal(cl_sim_now(&sim), 5);
	assert_int_equal(cl_sim_next(&sim), UINT64_MAX);
	assert_int_equal(cl_sim_step(&sim), 0);
}

/* Many events at random times, some cancelled, come out sorted by (time,
 * insertion order). */
struct bulk {
	int n;
	uint64_t t[500], tag[500];
};

static void record_bulk(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct bulk *b = arg;
	b->t[b->n] = cl_sim_now(sim);
	b->tag[b->n] = tag;
	b->n++;
}

static void test_order_random(void **state)
{
	(void)state;
	enum { N = 500 };
	static struct cl_sim_event ev[N];
	static struct bulk b;
	static uint64_t id[N];
	struct cl_sim sim;
	struct cl_rng r;
	cl_rng_seed(&r, 99);
	cl_sim_init(&sim, 1, ev, N);
	for (uint64_t i = 0; i < N; i++) {
		id[i] = cl_sim_at(&sim, cl_rng_below(&r, 50), record_bulk, &b, i);
		assert_true(id[i] > 0);
	}
	int cancelled = 0;
	for (uint64_t i = 0; i < N; i += 7, cancelled++)
		assert_int_equal(cl_sim_cancel(&sim, id[i]), 0);
	assert_int_equal(cl_sim_run(&sim, 10 * N), N - cancelled);
	assert_int_equal(b.n, N - cancelled);
	for (int i = 0; i < b.n; i++) {
		assert_true(b.tag[i] % 7 != 0);
		if (i > 0) {
			assert_true(b.t[i] >= b.t[i - 1]);
			if (b.t[i] == b.t[i - 1])
				assert_true(b.tag[i] > b.tag[i - 1]);
		}
	}
}

static void test_clock_moves_only_when_run(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[8];
	struct log lg = { 0 };
	cl_sim_init(&sim, 1, ev, 8);
	cl_sim_at(&sim, 10, record, &lg, 1);
	cl_sim_at(&sim, 20, record, &lg, 2);
	assert_int_equal(cl_sim_now(&sim), 0);
	assert_int_equal(cl_sim_run_until(&sim, 15), 1);
	assert_int_equal(cl_sim_now(&sim), 15);
	assert_int_equal(lg.n, 1);
	assert_int_equal(cl_sim_next(&sim), 20);
	assert_int_equal(cl_sim_advance(&sim, 4), 0);
	assert_int_equal(cl_sim_now(&sim), 19);
	assert_int_equal(cl_sim_advance(&sim, 1), 1);
	assert_int_equal(cl_sim_now(&sim), 20);
	assert_int_equal(lg.t[1], 20);
	/* Running until an earlier time never moves the clock back. */
	assert_int_equal(cl_sim_run_until(&sim, 3), 0);
	assert_int_equal(cl_sim_now(&sim), 20);
	/* A time in the past means now; after() is relative. */
	cl_sim_at(&sim, 1, record, &lg, 3);
	cl_sim_after(&sim, 7, record, &lg, 4);
	assert_int_equal(cl_sim_step(&sim), 1);
	assert_int_equal(lg.t[2], 20);
	assert_int_equal(cl_sim_step(&sim), 1);
	assert_int_equal(lg.t[3], 27);
}

static void chain(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct log *lg = arg;
	record(sim, arg, tag);
	/* Scheduled now from inside an event: after what is already due now. */
	if (tag == 1)
		cl_sim_at(sim, cl_sim_now(sim), record, lg, 9);
}

static void test_schedule_from_event(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[8];
	struct log lg = { 0 };
	cl_sim_init(&sim, 1, ev, 8);
	cl_sim_at(&sim, 4, chain, &lg, 1);
	cl_sim_at(&sim, 4, chain, &lg, 2);
	assert_int_equal(cl_sim_run(&sim, 10), 3);
	assert_int_equal(lg.tag[0], 1);
	assert_int_equal(lg.tag[1], 2);
	assert_int_equal(lg.tag[2], 9);
	assert_int_equal(lg.t[2], 4);
}

static void test_cancel(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[8];
	struct log lg = { 0 };
	cl_sim_init(&sim, 1, ev, 8);
	uint64_t a = cl_sim_at(&sim, 1, record, &lg, 1);
	uint64_t b = cl_sim_at(&sim, 2, record, &lg, 2);
	uint64_t c = cl_sim_at(&sim, 3, record, &lg, 3);
	assert_true(a && b && c && a != b && b != c);
	assert_int_equal(cl_sim_cancel(&sim, b), 0);
	assert_int_equal(cl_sim_cancel(&sim, b), CL_SIM_EINVAL);
	assert_int_equal(cl_sim_cancel(&sim, 12345), CL_SIM_EINVAL);
	assert_int_equal(cl_sim_run(&sim, 10), 2);
	assert_int_equal(lg.n, 2);
	assert_int_equal(lg.tag[0], 1);
	assert_int_equal(lg.tag[1], 3);
	/* A run event is no longer pending. */
	assert_int_equal(cl_sim_cancel(&sim, a), CL_SIM_EINVAL);
}

static void test_queue_full(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[2];
	struct log lg = { 0 };
	cl_sim_init(&sim, 1, ev, 2);
	assert_true(cl_sim_at(&sim, 1, record, &lg, 1) > 0);
	assert_true(cl_sim_at(&sim, 2, record, &lg, 2) > 0);
	assert_int_equal(cl_sim_error(&sim), 0);
	assert_int_equal(cl_sim_at(&sim, 3, record, &lg, 3), 0);
	assert_int_equal(cl_sim_error(&sim), CL_SIM_ENOMEM);
	/* The failure is sticky and reported by every run function. */
	assert_int_equal(cl_sim_step(&sim), CL_SIM_ENOMEM);
	assert_int_equal(cl_sim_run(&sim, 10), CL_SIM_ENOMEM);
	assert_int_equal(cl_sim_run_until(&sim, 10), CL_SIM_ENOMEM);
	assert_int_equal(lg.n, 0);
}

static void again(struct cl_sim *sim, void *arg, uint64_t tag)
{
	(void)arg;
	cl_sim_after(sim, 10, again, NULL, tag + 1);
}

static void test_run_limit(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[4];
	cl_sim_init(&sim, 1, ev, 4);
	cl_sim_at(&sim, 0, again, NULL, 0);
	assert_int_equal(cl_sim_run(&sim, 100), CL_SIM_ELIMIT);
	assert_int_equal(cl_sim_now(&sim), 990);
	/* A periodic timer is driven by time instead. */
	assert_int_equal(cl_sim_run_until(&sim, 2000), 101);
	assert_int_equal(cl_sim_now(&sim), 2000);
}

static bool three_recorded(void *ctx)
{
	return ((struct log *)ctx)->n >= 3;
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static void test_run_until_done(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[8];
	struct log lg = { 0 };
	cl_sim_init(&sim, 1, ev, 8);
	for (uint64_t i = 0; i < 5; i++)
		cl_sim_at(&sim, 10 * i, record, &lg, i);
	assert_int_equal(cl_sim_run_until_done(&sim, three_recorded, &lg, 100), 0);
	assert_int_equal(lg.n, 3);
	assert_int_equal(cl_sim_now(&sim), 20);
	/* Already true: nothing runs. */
	assert_int_equal(cl_sim_run_until_done(&sim, three_recorded, &lg, 0), 0);
	/* Waiting for what never comes: idle is reported, not a hang. */
	assert_int_equal(cl_sim_run_until_done(&sim, never, NULL, 100), CL_SIM_EIDLE);
	assert_int_equal(lg.n, 5);
	cl_sim_at(&sim, 0, again, NULL, 0);
	assert_int_equal(cl_sim_run_until_done(&sim, never, NULL, 50), CL_SIM_ELIMIT);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int a = CL_SIM_ERR_MIN_ + 1; a <= 0; a++) {
		assert_non_null(strstr(cl_sim_strerror(a), "CL_SIM_"));
		for (int b = a + 1; b <= 0; b++)
			assert_string_not_equal(cl_sim_strerror(a), cl_sim_strerror(b));
	}
	assert_non_null(strstr(cl_sim_strerror(-99), "unknown"));
}

static void test_rng(void **state)
{
	(void)state;
	struct cl_rng a, b;
	cl_rng_seed(&a, 7);
	cl_rng_seed(&b, 7);
	for (int i = 0; i < 100; i++)
		assert_int_equal(cl_rng_next(&a), cl_rng_next(&b));
	/* Certain outcomes do not draw. */
	assert_false(cl_rng_chance(&a, 0.0));
	assert_true(cl_rng_chance(&a, 1.0));
	assert_int_equal(cl_rng_next(&a), cl_rng_next(&b));
	int hits = 0;
	for (int i = 0; i < 10000; i++) {
		assert_true(cl_rng_below(&a, 7) < 7);
		hits += cl_rng_chance(&b, 0.25);
	}
	assert_true(hits > 2200 && hits < 2800);
	uint8_t x[13], y[13];
	cl_rng_seed(&a, 3);
	cl_rng_seed(&b, 3);
	assert_int_equal(cl_rng_fill(&a, x, sizeof x), 0);
	assert_int_equal(cl_rng_fill(&b, y, sizeof y), 0);
	assert_memory_equal(x, y, sizeof x);
}

static void count_lines(void *ctx, const char *line, size_t len)
{
	int *n = ctx;
	assert_true(len > 0);
	assert_null(memchr(line, '\n', len));
	(*n)++;
}

static void test_trace(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[4];
	char buf[64];
	int lines = 0;
	cl_sim_init(&sim, 1, ev, 4);
	uint64_t h0 = cl_sim_trace_hash(&sim);
	cl_sim_tracef(&sim, "off %d", 1); /* not tracing yet: nothing */
	assert_false(cl_sim_tracing(&sim));
	assert_int_equal(cl_sim_trace_hash(&sim), h0);
	cl_sim_trace_set(&sim, buf, sizeof buf, count_lines, &lines);
	assert_true(cl_sim_tracing(&sim));
	cl_sim_tracef(&sim, "hello %d", 42);
	assert_int_equal(cl_sim_trace_len(&sim), strlen("t=0 hello 42\n"));
	assert_memory_equal(buf, "t=0 hello 42\n", cl_sim_trace_len(&sim));
	assert_int_not_equal(cl_sim_trace_hash(&sim), h0);
	cl_sim_at(&sim, 3, again, NULL, 5);
	cl_sim_step(&sim);
	assert_memory_equal(buf + 13, "t=3 ev 1 tag 5\n", 15);
	assert_false(cl_sim_trace_truncated(&sim));
	for (int i = 0; i < 10; i++)
		cl_sim_tracef(&sim, "filler %d", i);
	assert_true(cl_sim_trace_truncated(&sim));
	assert_true(cl_sim_trace_len(&sim) <= sizeof buf);
	assert_int_equal(lines, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_order_random),
		cmocka_unit_test(test_clock_moves_only_when_run),
		cmocka_unit_test(test_schedule_from_event),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_run_limit),
		cmocka_unit_test(test_run_until_done),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_trace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
