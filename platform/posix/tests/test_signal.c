/* Signals into the loop (signalfd), SIGPIPE ignored, and stop/reload from
 * other threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cl_posix.h"

struct got {
	struct cl_loop *loop;
	int term[4], nterm;
	int hup[4], nhup;
	int reloads;
	pthread_t reload_thread;
};

static void on_term(void *arg, int signo)
{
	struct got *g = arg;
	g->term[g->nterm++ & 3] = signo;
}

static void on_hup(void *arg, int signo)
{
	struct got *g = arg;
	g->hup[g->nhup++ & 3] = signo;
}

static void on_reload(struct cl_loop *loop, void *arg)
{
	struct got *g = arg;
	assert_ptr_equal(loop, g->loop);
	g->reloads++;
	g->reload_thread = pthread_self();
}

static bool blocked(int signo)
{
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, signo);
}

static void run_until(struct cl_loop *loop, const int *n, int want)
{
	uint64_t end = cl_now_ms() + 2000;
	while (*n < want) {
		if (cl_now_ms() > end)
			fail_msg("signal not delivered into the loop (%d of %d)", *n, want);
		cl_loop_run_once(loop, 20);
	}
}

static void test_callbacks(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct cl_signals s;
	struct got g = { .loop = &loop };
	assert_false(blocked(SIGTERM));
	assert_int_equal(cl_loop_init(&loop), 0);
	assert_int_equal(cl_signals_init(&s, &loop, on_term, on_hup, &g), 0);
	assert_true(blocked(SIGTERM) && blocked(SIGINT) && blocked(SIGHUP));

	/* SIGPIPE is ignored. */
	struct sigaction sa;
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_ptr_equal(sa.sa_handler, SIG_IGN);

	/* Thread-directed (raise) and process-directed (kill) both arrive,
	 * as loop callbacks. */
	assert_int_equal(raise(SIGHUP), 0);
	run_until(&loop, &g.nhup, 1);
	assert_int_equal(g.hup[0], SIGHUP);
	assert_int_equal(g.nterm, 0);
	assert_int_equal(kill(getpid(), SIGTERM), 0);
	run_until(&loop, &g.nterm, 1);
	assert_int_equal(g.term[0], SIGTERM);
	assert_int_equal(raise(SIGINT), 0);
	run_until(&loop, &g.nterm, 2);
	assert_int_equal(g.term[1], SIGINT);
	assert_int_equal(g.nhup, 1);

	cl_signals_close(&s);
	cl_signals_close(&s);
	/* The mask is as before. */
	assert_false(blocked(SIGTERM));
	assert_false(blocked(SIGHUP));
	cl_loop_close(&loop);
}

static void on_tick(void *arg)
{
	(void)arg;
	raise(SIGTERM);
}

static void test_defaults_stop_and_reload(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct cl_signals s;
	struct cl_timer t;
	struct got g = { .loop = &loop };
	assert_int_equal(cl_loop_init(&loop), 0);
	cl_loop_on_reload(&loop, on_reload, &g);
	assert_int_equal(cl_signals_init(&s, &loop, NULL, NULL, NULL), 0);
	/* SIGHUP with no callback: the loop's reload hook. */
	raise(SIGHUP);
	run_until(&loop, &g.reloads, 1);
	assert_true(pthread_equal(g.reload_thread, pthread_self()));
	/* SIGTERM with no callback: cl_loop_run returns. */
	cl_timer_init(&t, on_tick, NULL);
	cl_timer_set(&loop, &t, cl_now_ms() + 10);
	uint64_t t0 = cl_now_ms();
	assert_int_equal(cl_loop_run(&loop), 0);
	assert_true(cl_now_ms() - t0 < 1000);
	cl_signals_close(&s);
	cl_loop_close(&loop);
}

/* Another thread stops and reloads the loop; the hook runs on the loop's
 * own thread. */
static void *poke(void *arg)
{
	struct cl_loop *loop = arg;
	usleep(20000);
	cl_loop_reload(loop);
	usleep(20000);
	cl_loop_stop(loop);
	return NULL;
}

static void test_stop_from_thread(void **state)
{
	(void)state;
	struct cl_loop loop;
	struct got g = { .loop = &loop };
	pthread_t th;
	assert_int_equal(cl_loop_init(&loop), 0);
	cl_loop_on_reload(&loop, on_reload, &g);
	assert_int_equal(pthread_create(&th, NULL, poke, &loop), 0);
	uint64_t t0 = cl_now_ms();
	assert_int_equal(cl_loop_run(&loop), 0);
	assert_true(cl_now_ms() - t0 < 2000);
	pthread_join(th, NULL);
	assert_int_equal(g.reloads, 1);
	assert_true(pthread_equal(g.reload_thread, pthread_self()));
	cl_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_defaults_stop_and_reload),
		cmocka_unit_test(test_stop_from_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
