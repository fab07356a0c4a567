/* Shared-nothing workers: one loop per thread, signals on the caller's. */
#include "cl_posix_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pool;

struct worker {
	struct cl_loop loop;
	pthread_t thread;
	bool started;
	unsigned index;
	int rc;
	struct pool *pool;
};

struct pool {
	struct cl_loop main;
	struct worker *w;
	unsigned n;
	cl_worker_fn fn;
	void *arg;
	unsigned running; /* atomic */
	int failed;       /* atomic: the first nonzero worker result */
};

static void stop_all(struct pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		cl_loop_stop(&p->w[i].loop);
	cl_loop_stop(&p->main);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	char tag[16];
	snprintf(tag, sizeof(tag), "w%u", w->index);
	cl_log_set_tag(tag);
	w->rc = p->fn(&w->loop, w->index, p->arg);
	if (w->rc) {
		int zero = 0;
		__atomic_compare_exchange_n(&p->failed, &zero, w->rc, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
		stop_all(p);
	}
	if (__atomic_sub_fetch(&p->running, 1, __ATOMIC_ACQ_REL) == 0)
		cl_loop_stop(&p->main);
	return NULL;
}

static void on_term(void *arg, int signo)
{
	struct pool *p = arg;
	cl_log(CL_LOG_INFO, "signal %d: stopping %u workers", signo, p->n);
	stop_all(p);
}

static void on_hup(void *arg, int signo)
{
	struct pool *p = arg;
	(void)signo;
	for (unsigned i = 0; i < p->n; i++)
		cl_loop_reload(&p->w[i].loop);
}

int cl_workers_run(unsigned n, cl_worker_fn fn, void *arg)
{
	if (n == 0 || !fn) {
		errno = EINVAL;
		return -1;
	}
	struct pool p = { .n = n, .fn = fn, .arg = arg };
	struct cl_signals sig;
	int rc = -1;
	p.w = calloc(n, sizeof(*p.w));
	if (!p.w)
		return -1;
	if (cl_loop_init(&p.main) < 0)
		goto out_free;
	/* Block the signals before the first thread exists, so every worker
	 * inherits the mask and the signalfd here is their only reader. */
	if (cl_signals_init(&sig, &p.main, on_term, on_hup, &p) < 0)
		goto out_main;
	unsigned inited = 0;
	for (; inited < n; inited++) {
		p.w[inited].index = inited;
		p.w[inited].pool = &p;
		if (cl_loop_init(&p.w[inited].loop) < 0)
			goto out_loops;
	}
	p.running = n;
	for (unsigned i = 0; i < n; i++) {
		int e = pthread_create(&p.w[i].thread, NULL, worker_main, &p.w[i]);
		if (e) {
			/* The missing workers will never decrement running. */
			__atomic_sub_fetch(&p.running, n - i, __ATOMIC_ACQ_REL);
			int minus = -1, zero = 0;
			__atomic_compare_exchange_n(&p.failed, &zero, minus, false, __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
			stop_all(&p);
			break;
		}
		p.w[i].started = true;
	}
	if (__atomic_load_n(&p.running, __ATOMIC_ACQUIRE) > 0)
		cl_loop_run(&p.main);
	stop_all(&p);
	for (unsigned i = 0; i < n; i++)
		if (p.w[i].started)
			pthread_join(p.w[i].thread, NULL);
	rc = __atomic_load_n(&p.failed, __ATOMIC_ACQUIRE);
out_loops:
	for (unsigned i = 0; i < inited; i++)
		cl_loop_close(&p.w[i].loop);
	cl_signals_close(&sig);
out_main:
	cl_loop_close(&p.main);
out_free:
	free(p.w);
	return rc;
}
