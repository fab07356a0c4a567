/* Timers: deadline order, ties, cancel, re-arm, many timers, real waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cl_posix.h"

struct rec {
	struct cl_loop *loop;
	int order[64];
	uint64_t at[64];
	int n;
};

struct tm_ctx {
	struct rec *rec;
	int id;
	struct cl_timer t;
};

static void on_fire(void *arg)
{
	struct tm_ctx *c = arg;
	struct rec *r = c->rec;
	assert_false(cl_timer_armed(&c->t));
	if (r->n < 64) {
		r->order[r->n] = c->id;
		r->at[r->n] = cl_loop_now(r->loop);
	}
	r->n++;
}

/* Run the loop until n timers fired, or fail after limit_ms. */
static void run_until(struct cl_loop *loop, const int *count, int n, uint64_t limit_ms)
{
	uint64_t end = cl_now_ms() + limit_ms;
	while (*count < n) {
		if (cl_now_ms() > end)
			fail_msg("only %d of %d timers fired in %llu ms", *count, n,
				 (unsigned long long)limit_ms);
		assert_true(cl_loop_run_once(loop, 50) >= 0);
	}
}

static void test_order_real_time(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct rec r = { .loop = &loop };
	struct tm_ctx c[5];
	assert_int_equal(cl_loop_init(&loop), 0);
	uint64_t now = cl_now_ms();
	/* id: delay in ms */
	static const int delay[5] = { 40, 10, 30, 20, 50 };
	for (int i = 0; i < 5; i++) {
		c[i].rec = &r;
		c[i].id = i;
		cl_timer_init(&c[i].t, on_fire, &c[i]);
		cl_timer_set(&loop, &c[i].t, now + (uint64_t)delay[i]);
		assert_true(cl_timer_armed(&c[i].t));
	}
	assert_int_equal(cl_loop_timers(&loop), 5);
	assert_int_equal(cl_loop_next_deadline(&loop), now + 10);
	/* Cancel id 2 (30 ms); re-arm id 4 from 50 to 5 ms. */
	cl_timer_cancel(&c[2].t);
	cl_timer_cancel(&c[2].t); /* twice is fine */
	assert_false(cl_timer_armed(&c[2].t));
	cl_timer_set(&loop, &c[4].t, now + 5);
	assert_int_equal(cl_loop_timers(&loop), 4);
	run_until(&loop, &r.n, 4, 2000);
	static const int want[4] = { 4, 1, 3, 0 };
	for (int i = 0; i < 4; i++) {
		if (r.order[i] != want[i])
			fail_msg("fire %d was timer %d, want %d", i, r.order[i], want[i]);
		/* Never early: the loop's now_ms had reached the deadline. */
		assert_true(r.at[i] >= c[r.order[i]].t.deadline);
	}
	assert_int_equal(cl_loop_timers(&loop), 0);
	assert_int_equal(cl_loop_next_deadline(&loop), UINT64_MAX);
	/* Nothing more fires. */
	assert_int_equal(cl_loop_run_once(&loop, 60), 0);
	assert_int_equal(r.n, 4);
	cl_loop_close(&loop);
}

static void test_ties_fire_in_set_order(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct rec r = { .loop = &loop };
	struct tm_ctx c[20];
	assert_int_equal(cl_loop_init(&loop), 0);
	uint64_t d = cl_loop_now(&loop);
	for (int i = 0; i < 20; i++) {
		c[i].rec = &r;
		c[i].id = i;
		cl_timer_init(&c[i].t, on_fire, &c[i]);
		cl_timer_set(&loop, &c[i].t, d);
	}
	/* Re-arming moves a timer to the back of its tie. */
	cl_timer_set(&loop, &c[3].t, d);
	assert_int_equal(cl_loop_run_once(&loop, 0), 20);
	for (int i = 0; i < 19; i++)
		assert_int_equal(r.order[i], i < 3 ? i : i + 1);
	assert_int_equal(r.order[19], 3);
	cl_loop_close(&loop);
}

static void test_uint64_max_cancels(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct rec r = { .loop = &loop };
	struct tm_ctx c = { .rec = &r };
	assert_int_equal(cl_loop_init(&loop), 0);
	cl_timer_init(&c.t, on_fire, &c);
	cl_timer_set(&loop, &c.t, 0);
	cl_timer_set(&loop, &c.t, UINT64_MAX);
	assert_false(cl_timer_armed(&c.t));
	assert_int_equal(cl_loop_timers(&loop), 0);
	assert_int_equal(cl_loop_run_once(&loop, 0), 0);
	assert_int_equal(r.n, 0);
	cl_loop_close(&loop);
}

/* Many timers with random past deadlines, a random third cancelled and
 * some re-armed: all fire in one iteration, sorted by (deadline, set
 * order). Checks the heap against a plain sort. */
struct many {
	struct cl_timer t;
	uint64_t deadline;
	uint64_t order; /* the set order, for ties */
	bool live;
};

static struct many *many_fired[20000];
static int many_n;

static void on_many(void *arg)
{
	many_fired[many_n++] = arg;
}

static void test_many_random(void **state)
{
	(void)state;
	enum { N = 20000 };
	unsigned seed = (unsigned)cl_now_ms();
	srand(seed);
	struct cl_loop loop;
	assert_int_equal(cl_loop_init(&loop), 0);
	struct many *m = calloc(N, sizeof(*m));
	assert_non_null(m);
	uint64_t now = cl_loop_now(&loop), order = 0;
	for (int i = 0; i < N; i++) {
		cl_timer_init(&m[i].t, on_many, &m[i]);
		m[i].deadline = now - (uint64_t)(rand() % 1000);
		m[i].order = order++;
		m[i].live = true;
		cl_timer_set(&loop, &m[i].t, m[i].deadline);
	}
	int live = N;
	for (int i = 0; i < N / 3; i++) {
		struct many *x = &m[rand() % N];
		if (rand() % 2) {
			if (x->live)
				live--;
			x->live = false;
			cl_timer_cancel(&x->t);
		} else {
			if (!x->live)
				live++;
			x->live = true;
			x->deadline = now - (uint64_t)(rand() % 1000);
			x->order = order++;
			cl_timer_set(&loop, &x->t, x->deadline);
		}
	}
	assert_int_equal(cl_loop_timers(&loop), (size_t)live);
	many_n = 0;
	assert_int_equal(cl_loop_run_once(&loop, 0), live);
	assert_int_equal(many_n, live);
	for (int i = 1; i < many_n; i++) {
		struct many *a = many_fired[i - 1], *b = many_fired[i];
		if (a->deadline > b->deadline || (a->deadline == b->deadline && a->order > b->order))
			fail_msg("seed %u: fire %d out of order", seed, i);
		assert_true(b->live);
	}
	free(m);
	cl_loop_close(&loop);
}

/* A timer that re-arms itself for a past deadline fires once per
 * iteration, never in a loop within one. */
struct rearm {
	struct cl_loop *loop;
	struct cl_timer t;
	int n;
};

static void on_rearm(void *arg)
{
	struct rearm *r = arg;
	r->n++;
	cl_timer_set(r->loop, &r->t, 0);
}

static void test_rearm_from_callback(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct rearm r = { .loop = &loop };
	assert_int_equal(cl_loop_init(&loop), 0);
	cl_timer_init(&r.t, on_rearm, &r);
	cl_timer_set(&loop, &r.t, 0);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(cl_loop_run_once(&loop, 1000), 1);
		assert_int_equal(r.n, i);
	}
	cl_timer_cancel(&r.t);
	cl_loop_close(&loop);
}

/* A callback cancels a timer that is due in the same pass: it must not
 * fire. */
struct canceller {
	struct cl_timer a, b;
	int fired_b;
};

static void on_a(void *arg)
{
	struct canceller *c = arg;
	cl_timer_cancel(&c->b);
}

static void on_b(void *arg)
{
	((struct canceller *)arg)->fired_b++;
}

static void test_cancel_from_callback(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct canceller c = { 0 };
	assert_int_equal(cl_loop_init(&loop), 0);
	cl_timer_init(&c.a, on_a, &c);
	cl_timer_init(&c.b, on_b, &c);
	cl_timer_set(&loop, &c.a, 1);
	cl_timer_set(&loop, &c.b, 2);
	assert_int_equal(cl_loop_run_once(&loop, 0), 1);
	assert_int_equal(c.fired_b, 0);
	assert_int_equal(cl_loop_timers(&loop), 0);
	cl_loop_close(&loop);
}

/* cl_loop_run sleeps until the timer and returns on cl_loop_stop. */
struct stopper {
	struct cl_loop *loop;
	struct cl_timer t;
	uint64_t fired_at;
};

static void on_stop(void *arg)
{
	struct stopper *s = arg;
	s->fired_at = cl_loop_now(s->loop);
	cl_loop_stop(s->loop);
}

static void test_run_stop(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct stopper s = { .loop = &loop };
	assert_int_equal(cl_loop_init(&loop), 0);
	cl_timer_init(&s.t, on_stop, &s);
	uint64_t start = cl_now_ms();
	cl_timer_set(&loop, &s.t, start + 30);
	assert_int_equal(cl_loop_run(&loop), 0);
	assert_true(s.fired_at >= start + 30);
	assert_true(cl_now_ms() - start < 1000);
	/* A stop before run makes it return at once, and is consumed. */
	cl_loop_stop(&loop);
	assert_int_equal(cl_loop_run(&loop), 0);
	cl_timer_set(&loop, &s.t, cl_now_ms() + 10);
	assert_int_equal(cl_loop_run(&loop), 0);
	assert_false(cl_timer_armed(&s.t));
	cl_loop_close(&loop);
}

/* One now_ms per iteration: an fd callback and a timer of the same
 * iteration see the same value, even when the iteration is slow. */
struct same_now {
	struct cl_loop *loop;
	struct cl_io io;
	struct cl_timer t;
	int fd;
	uint64_t io_now, timer_now;
};

static void on_same_io(void *arg, unsigned events)
{
	struct same_now *s = arg;
	uint64_t v;
	(void)events;
	assert_int_equal(read(s->fd, &v, sizeof(v)), sizeof(v));
	s->io_now = cl_loop_now(s->loop);
	usleep(5000); /* the clock moves on; the iteration's now does not */
}

static void on_same_timer(void *arg)
{
	struct same_now *s = arg;
	s->timer_now = cl_loop_now(s->loop);
}

static void test_one_now_per_iteration(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct same_now s = { .loop = &loop };
	assert_int_equal(cl_loop_init(&loop), 0);
	s.fd = eventfd(1, EFD_CLOEXEC);
	assert_true(s.fd >= 0);
	cl_io_init(&s.io, &loop, s.fd, on_same_io, &s);
	assert_int_equal(cl_io_want(&s.io, CL_READ), 0);
	cl_timer_init(&s.t, on_same_timer, &s);
	cl_timer_set(&loop, &s.t, cl_now_ms());
	assert_int_equal(cl_loop_run_once(&loop, 0), 2);
	assert_true(s.io_now != 0);
	assert_int_equal(s.io_now, s.timer_now);
	assert_true(cl_now_ms() >= s.io_now + 5);
	cl_io_close(&s.io);
	close(s.fd);
	cl_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_real_time),
		cmocka_unit_test(test_ties_fire_in_set_order),
		cmocka_unit_test(test_uint64_max_cancels),
		cmocka_unit_test(test_many_random),
		cmocka_unit_test(test_rearm_from_callback),
		cmocka_unit_test(test_cancel_from_callback),
		cmocka_unit_test(test_run_stop),
		cmocka_unit_test(test_one_now_per_iteration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
