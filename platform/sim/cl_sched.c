/* The virtual clock, the event queue and the trace of platform/sim. */
#include "cl_sim_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

const char *cl_sim_strerror(int err)
{
	switch (err) {
	case CL_SIM_OK:
		return "CL_SIM_OK: success";
	case CL_SIM_ENOMEM:
		return "CL_SIM_ENOMEM: event queue or table full";
	case CL_SIM_EINVAL:
		return "CL_SIM_EINVAL: invalid argument";
	case CL_SIM_ELIMIT:
		return "CL_SIM_ELIMIT: event limit reached with events pending";
	case CL_SIM_EIDLE:
		return "CL_SIM_EIDLE: idle before the condition held";
	default:
		return "CL_SIM_E?: unknown error";
	}
}

static void stderr_hook(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	fprintf(stderr, "%.*s\n", (int)len, line);
}

static bool env_trace(void)
{
	const char *t = getenv("CLOUDLET_TRACE");
	return t && *t && strcmp(t, "0") != 0;
}

void cl_sim_init(struct cl_sim *sim, uint64_t seed, struct cl_sim_event *ev, size_t cap)
{
	memset(sim, 0, sizeof *sim);
	cl_rng_seed(&sim->rng, seed);
	sim->priv.ev = ev;
	sim->priv.cap = cap;
	sim->priv.next_id = 1;
	sim->priv.thash = FNV_OFFSET;
	/* Reading a failing seed's story needs no code change: run it again
	 * with CLOUDLET_TRACE=1. */
	if (env_trace())
		cl_sim_trace_set(sim, NULL, 0, stderr_hook, NULL);
}

uint64_t cl_sim_now(const struct cl_sim *sim)
{
	return sim->priv.now;
}

int cl_sim_error(const struct cl_sim *sim)
{
	return sim->priv.err;
}

uint32_t cl_sim_obj_id(struct cl_sim *sim)
{
	return sim->priv.next_obj++;
}

/* (at, id) order: ids grow with every schedule, so equal times keep the
 * order in which they were scheduled. */
static bool before(const struct cl_sim_event *x, const struct cl_sim_event *y)
{
	if (x->priv.at != y->priv.at)
		return x->priv.at < y->priv.at;
	return x->priv.id < y->priv.id;
}

static void swap_ev(struct cl_sim_event *ev, size_t i, size_t j)
{
	struct cl_sim_event t = ev[i];
	ev[i] = ev[j];
	ev[j] = t;
}

static void sift_up(struct cl_sim_event *ev, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(&ev[i], &ev[parent]))
			break;
		swap_ev(ev, i, parent);
		i = parent;
	}
}

static void sift_down(struct cl_sim_event *ev, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && before(&ev[l], &ev[m]))
			m = l;
		if (r < n && before(&ev[r], &ev[m]))
			m = r;
		if (m == i)
			return;
		swap_ev(ev, i, m);
		i = m;
	}
}

static uint64_t schedule(struct cl_sim *sim, uint64_t at, cl_sim_fn fn, void *arg, uint64_t tag,
                         bool quiet)
{
	if (sim->priv.n == sim->priv.cap) {
		if (sim->priv.err == 0) {
			sim->priv.err = CL_SIM_ENOMEM;
			CL_TRACE(sim, "event queue full (cap %zu)", sim->priv.cap);
			/* Said once, where a person reading a failing test looks. */
			fprintf(stderr,
			        "cl_sim: event queue full (%zu events): lend cl_sim_init more\n",
			        sim->priv.cap);
		}
		return 0;
	}
	if (at < sim->priv.now)
		at = sim->priv.now;
	struct cl_sim_event *e = &sim->priv.ev[sim->priv.n];
	e->priv.at = at;
	e->priv.id = sim->priv.next_id++;
	e->priv.fn = fn;
	e->priv.arg = arg;
	e->priv.tag = tag;
	e->priv.quiet = quiet;
	uint64_t id = e->priv.id;
	sift_up(sim->priv.ev, sim->priv.n++);
	return id;
}

uint64_t cl_sim_at(struct cl_sim *sim, uint64_t at_ms, cl_sim_fn fn, void *arg, uint64_t tag)
{
	return schedule(sim, at_ms, fn, arg, tag, false);
}

uint64_t cl_sim_at_quiet(struct cl_sim *sim, uint64_t at_ms, cl_sim_fn fn, void *arg, uint64_t tag)
{
	return schedule(sim, at_ms, fn, arg, tag, true);
}

uint64_t cl_sim_after(struct cl_sim *sim, uint64_t delay_ms, cl_sim_fn fn, void *arg, uint64_t tag)
{
	uint64_t at = sim->priv.now + delay_ms;
	if (at < sim->priv.now)
		at = UINT64_MAX;
	return schedule(sim, at, fn, arg, tag, false);
}

int cl_sim_cancel(struct cl_sim *sim, uint64_t id)
{
	struct cl_sim_event *ev = sim->priv.ev;
	for (size_t i = 0; i < sim->priv.n; i++) {
		if (ev[i].priv.id != id)
			continue;
		ev[i] = ev[--sim->priv.n];
		if (i < sim->priv.n) {
			sift_down(ev, sim->priv.n, i);
			sift_up(ev, i);
		}
		return 0;
	}
	return CL_SIM_EINVAL;
}

uint64_t cl_sim_next(const struct cl_sim *sim)
{
	return sim->priv.n ? sim->priv.ev[0].priv.at : UINT64_MAX;
}

size_t cl_sim_pending(const struct cl_sim *sim)
{
	return sim->priv.n;
}

int cl_sim_step(struct cl_sim *sim)
{
	if (sim->priv.err)
		return sim->priv.err;
	if (sim->priv.n == 0)
		return 0;
	struct cl_sim_event e = sim->priv.ev[0];
	sim->priv.ev[0] = sim->priv.ev[--sim->priv.n];
	sift_down(sim->priv.ev, sim->priv.n, 0);
	sim->priv.now = e.priv.at;
	sim->priv.ran++;
	if (!e.priv.quiet)
		CL_TRACE(sim, "ev %llu tag %llu", (unsigned long long)e.priv.id,
		         (unsigned long long)e.priv.tag);
	e.priv.fn(sim, e.priv.arg, e.priv.tag);
	return sim->priv.err ? sim->priv.err : 1;
}

int cl_sim_run(struct cl_sim *sim, int max_events)
{
	int ran = 0;
	while (ran < max_events) {
		int r = cl_sim_step(sim);
		if (r < 0)
			return r;
		if (r == 0)
			return ran;
		ran++;
	}
	if (sim->priv.n)
		return CL_SIM_ELIMIT;
	return ran;
}

int cl_sim_run_until(struct cl_sim *sim, uint64_t t_ms)
{
	int ran = 0;
	if (sim->priv.err)
		return sim->priv.err;
	while (sim->priv.n && sim->priv.ev[0].priv.at <= t_ms) {
		int r = cl_sim_step(sim);
		if (r < 0)
			return r;
		if (ran < INT32_MAX)
			ran++;
	}
	if (t_ms > sim->priv.now)
		sim->priv.now = t_ms;
	return ran;
}

int cl_sim_run_until_done(struct cl_sim *sim, bool (*done)(void *ctx), void *ctx, int max_events)
{
	for (int ran = 0; ran < max_events; ran++) {
		if (done(ctx))
			return 0;
		int r = cl_sim_step(sim);
		if (r < 0)
			return r;
		if (r == 0)
			return CL_SIM_EIDLE;
	}
	return done(ctx) ? 0 : CL_SIM_ELIMIT;
}

int cl_sim_advance(struct cl_sim *sim, uint64_t delta_ms)
{
	uint64_t t = sim->priv.now + delta_ms;
	return cl_sim_run_until(sim, t < sim->priv.now ? UINT64_MAX : t);
}

void cl_sim_trace_set(struct cl_sim *sim, char *buf, size_t cap, cl_sim_trace_fn hook,
                      void *hook_ctx)
{
	sim->priv.tracing = true;
	sim->priv.tbuf = buf;
	sim->priv.tcap = buf ? cap : 0;
	sim->priv.tlen = 0;
	sim->priv.ttrunc = false;
	sim->priv.thash = FNV_OFFSET;
	sim->priv.thook = hook;
	sim->priv.thook_ctx = hook_ctx;
	if (!hook && env_trace())
		sim->priv.thook = stderr_hook;
}

bool cl_sim_tracing(const struct cl_sim *sim)
{
	return sim->priv.tracing;
}

void cl_sim_tracef(struct cl_sim *sim, const char *fmt, ...)
{
	if (!sim->priv.tracing)
		return;
	char line[512];
	int n = snprintf(line, sizeof line, "t=%llu ", (unsigned long long)sim->priv.now);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 1)
		len = sizeof line - 1;
	for (size_t i = 0; i < len; i++)
		sim->priv.thash = (sim->priv.thash ^ (uint8_t)line[i]) * FNV_PRIME;
	sim->priv.thash = (sim->priv.thash ^ '\n') * FNV_PRIME;
	if (sim->priv.tlen + len + 1 <= sim->priv.tcap) {
		memcpy(sim->priv.tbuf + sim->priv.tlen, line, len);
		sim->priv.tbuf[sim->priv.tlen + len] = '\n';
		sim->priv.tlen += len + 1;
	} else if (sim->priv.tbuf) {
		sim->priv.ttrunc = true;
	}
	if (sim->priv.thook)
		sim->priv.thook(sim->priv.thook_ctx, line, len);
}

uint64_t cl_sim_trace_hash(const struct cl_sim *sim)
{
	return sim->priv.thash;
}

size_t cl_sim_trace_len(const struct cl_sim *sim)
{
	return sim->priv.tlen;
}

bool cl_sim_trace_truncated(const struct cl_sim *sim)
{
	return sim->priv.ttrunc;
}

static void timer_fire(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct cl_sim_timer *t = arg;
	(void)tag;
	t->priv.id = 0;
	CL_TRACE(sim, "timer fires");
	t->priv.fn(sim, t->priv.arg, 0);
}

int cl_sim_timer_set(struct cl_sim *sim, struct cl_sim_timer *t, uint64_t at_ms, cl_sim_fn fn,
                     void *arg)
{
	if (at_ms < sim->priv.now)
		at_ms = sim->priv.now;
	if (t->priv.id && t->priv.at == at_ms && t->priv.fn == fn && t->priv.arg == arg)
		return 0;
	cl_sim_timer_stop(sim, t);
	if (at_ms == UINT64_MAX)
		return 0;
	t->priv.fn = fn;
	t->priv.arg = arg;
	t->priv.at = at_ms;
	t->priv.id = cl_sim_at_quiet(sim, at_ms, timer_fire, t, 0);
	return t->priv.id ? 0 : CL_SIM_ENOMEM;
}

void cl_sim_timer_stop(struct cl_sim *sim, struct cl_sim_timer *t)
{
	if (t->priv.id)
		cl_sim_cancel(sim, t->priv.id);
	t->priv.id = 0;
}

bool cl_sim_timer_armed(const struct cl_sim_timer *t)
{
	return t->priv.id != 0;
}
