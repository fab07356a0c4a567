/* The same seed gives a byte-identical trace; another seed another one.
 * The scenario mixes everything a library test does: an echo server and a
 * client driven by stream notifications over a faulty pair, UDP pings on
 * timers over a lossy link, and library randomness from the world's rng. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cl_sim.h"

enum { REQ = 4096, PINGS = 20, MTU = 256 };

struct det {
	struct cl_sim sim;
	struct cl_sim_event ev[1024];
	struct cl_sim_stream_pair pair;
	uint8_t smem[512];
	struct cl_sim_link link;
	_Alignas(16) uint8_t lmem[CL_SIM_LINK_MEM(64, MTU)];
	struct cl_sim_ep cep, sep;
	struct cl_sim_addr caddr, saddr;
	uint8_t req[REQ], echo[REQ];
	size_t req_sent, echo_got;
	bool closed;
	uint8_t sbuf[256];
	size_t slen;
	bool s_eof, s_shut;
	int pings, pongs;
	char trace[1 << 20];
};

static void client_wake(void *ctx, struct cl_sim_stream *end)
{
	struct det *d = ctx;
	int r;
	while (d->req_sent < REQ &&
	       (r = cl_sim_stream_send(end, d->req + d->req_sent, REQ - d->req_sent)) > 0)
		d->req_sent += (size_t)r;
	while (d->echo_got < REQ &&
	       (r = cl_sim_stream_recv(end, d->echo + d->echo_got, REQ - d->echo_got)) > 0)
		d->echo_got += (size_t)r;
	if (d->echo_got == REQ && !d->closed) {
		cl_sim_stream_close(end);
		d->closed = true;
	}
}

static void server_wake(void *ctx, struct cl_sim_stream *end)
{
	struct det *d = ctx;
	for (;;) {
		bool progress = false;
		if (d->slen == 0 && !d->s_eof) {
			int r = cl_sim_stream_recv(end, d->sbuf, sizeof d->sbuf);
			if (r == -1)
				d->s_eof = true;
			if (r > 0)
				d->slen = (size_t)r;
			progress = r != 0;
		}
		if (d->slen) {
			int w = cl_sim_stream_send(end, d->sbuf, d->slen);
			if (w > 0) {
				memmove(d->sbuf, d->sbuf + w, d->slen - (size_t)w);
				d->slen -= (size_t)w;
				progress = true;
			}
		}
		if (!progress)
			break;
	}
	if (d->s_eof && d->slen == 0 && !d->s_shut) {
		cl_sim_stream_shutdown(end);
		d->s_shut = true;
	}
}

static void kick(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct det *d = arg;
	(void)sim;
	(void)tag;
	client_wake(d, cl_sim_stream_a(&d->pair));
}

static void ping(struct cl_sim *sim, void *arg, uint64_t tag)
{
	struct det *d = arg;
	uint8_t m[16];
	/* A DNS-like id from the world's rng, as a library's random callback. */
	cl_rng_fill(&sim->rng, m, 2);
	memcpy(m + 2, "ping", 4);
	cl_sim_dgram_send(&d->cep, m, 6, &d->saddr);
	d->pings++;
	if (tag + 1 < PINGS)
		cl_sim_after(sim, 3, ping, d, tag + 1);
}

static void server_rx(void *ctx, struct cl_sim_ep *ep)
{
	struct det *d = ctx;
	uint8_t m[MTU];
	struct cl_sim_addr from;
	int r;
	while ((r = cl_sim_dgram_recv(ep, m, sizeof m, &from)) > 0) {
		cl_sim_tracef(&d->sim, "server got %d bytes id %02x%02x", r, m[0], m[1]);
		memcpy(m + 2, "pong", 4);
		cl_sim_dgram_send(ep, m, (size_t)r, &from);
	}
}

static void client_rx(void *ctx, struct cl_sim_ep *ep)
{
	struct det *d = ctx;
	uint8_t m[MTU];
	while (cl_sim_dgram_recv(ep, m, sizeof m, NULL) > 0)
		d->pongs++;
}

/* Run the scenario for seed; returns the trace hash. */
static uint64_t run_traced(struct det *d, uint64_t seed, bool traced)
{
	memset(d, 0, offsetof(struct det, trace));
	cl_sim_init(&d->sim, seed, d->ev, 1024);
	if (traced)
		cl_sim_trace_set(&d->sim, d->trace, sizeof d->trace, NULL, NULL);
	struct cl_sim_stream_cfg scfg = { .short_read = 0.3,
		                          .short_write = 0.3,
		                          .block_read = 0.1,
		                          .block_write = 0.1,
		                          .latency_ms = 2,
		                          .jitter_ms = 3 };
	assert_int_equal(cl_sim_stream_pair_init(&d->pair, &d->sim, &scfg, d->smem, sizeof d->smem),
	                 0);
	cl_sim_stream_set_notify(cl_sim_stream_a(&d->pair), client_wake, d);
	cl_sim_stream_set_notify(cl_sim_stream_b(&d->pair), server_wake, d);
	struct cl_sim_link_cfg lcfg = {
		.delay_ms = 4, .jitter_ms = 6, .drop = 0.1, .duplicate = 0.1, .corrupt = 0.1
	};
	assert_int_equal(
	    cl_sim_link_init(&d->link, &d->sim, CL_SIM_DGRAM, &lcfg, d->lmem, sizeof d->lmem, MTU),
	    0);
	d->caddr = (struct cl_sim_addr){ .family = 6, .port = 40000, .ip = { 0xfd, [15] = 1 } };
	d->saddr = (struct cl_sim_addr){ .family = 6, .port = 53, .ip = { 0xfd, [15] = 2 } };
	assert_int_equal(cl_sim_link_attach(&d->link, &d->cep, &d->caddr), 0);
	assert_int_equal(cl_sim_link_attach(&d->link, &d->sep, &d->saddr), 0);
	cl_sim_ep_set_notify(&d->sep, server_rx, d);
	cl_sim_ep_set_notify(&d->cep, client_rx, d);
	cl_rng_fill(&d->sim.rng, d->req, REQ);
	cl_sim_at(&d->sim, 0, kick, d, 0);
	cl_sim_at(&d->sim, 1, ping, d, 0);
	int r = cl_sim_run(&d->sim, 1000000);
	assert_true(r > 0);
	assert_int_equal(d->echo_got, REQ);
	assert_memory_equal(d->echo, d->req, REQ);
	assert_true(d->s_shut);
	assert_int_equal(d->pings, PINGS);
	assert_false(cl_sim_trace_truncated(&d->sim));
	return cl_sim_trace_hash(&d->sim);
}

static uint64_t run(struct det *d, uint64_t seed)
{
	return run_traced(d, seed, true);
}

/* Watching must not change what happens: tracing draws no randomness. */
static void test_trace_does_not_perturb(void **state)
{
	(void)state;
	static struct det x, y;
	for (uint64_t s = 0; s < 8; s++) {
		run_traced(&x, 77 + s, true);
		run_traced(&y, 77 + s, false);
		assert_int_equal(cl_sim_now(&x.sim), cl_sim_now(&y.sim));
		assert_memory_equal(&x.pair.end[0].stats, &y.pair.end[0].stats,
		                    sizeof x.pair.end[0].stats);
		assert_memory_equal(&x.pair.end[1].stats, &y.pair.end[1].stats,
		                    sizeof x.pair.end[1].stats);
		assert_memory_equal(&x.link.stats, &y.link.stats, sizeof x.link.stats);
		assert_int_equal(x.pongs, y.pongs);
		assert_int_equal(cl_sim_next(&x.sim), cl_sim_next(&y.sim));
	}
}

static void test_same_seed_same_trace(void **state)
{
	(void)state;
	static struct det x, y;
	uint64_t hx = run(&x, 42), hy = run(&y, 42);
	assert_int_equal(hx, hy);
	assert_int_equal(cl_sim_trace_len(&x.sim), cl_sim_trace_len(&y.sim));
	assert_memory_equal(x.trace, y.trace, cl_sim_trace_len(&x.sim));
	/* The trace records the faults and deliveries it is meant to prove. */
	x.trace[cl_sim_trace_len(&x.sim)] = '\0';
	const char *want[] = { " short", "block injected", "s0.b wake", "dropped",
		               " dup",   " corrupt",       "queued",    "server got",
		               "ev ",    "close",          "shutdown",  " -> -1 eof" };
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		if (!strstr(x.trace, want[i]))
			fprintf(stderr, "trace lacks \"%s\"\n", want[i]);
		assert_non_null(strstr(x.trace, want[i]));
	}
	assert_true(cl_sim_now(&x.sim) > 0);
}

static void test_other_seed_other_trace(void **state)
{
	(void)state;
	static struct det x, y;
	uint64_t hx = run(&x, 42), hy = run(&y, 43);
	assert_int_not_equal(hx, hy);
	size_t n = cl_sim_trace_len(&x.sim);
	assert_true(n != cl_sim_trace_len(&y.sim) || memcmp(x.trace, y.trace, n) != 0);
}

static void test_many_seeds_replay(void **state)
{
	(void)state;
	static struct det x, y;
	enum { SEEDS = 16 };
	uint64_t h[SEEDS];
	for (uint64_t s = 0; s < SEEDS; s++) {
		h[s] = run(&x, 1000 + s);
		assert_int_equal(run(&y, 1000 + s), h[s]);
		assert_memory_equal(x.trace, y.trace, cl_sim_trace_len(&x.sim));
		for (uint64_t t = 0; t < s; t++)
			assert_int_not_equal(h[t], h[s]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_trace),
		cmocka_unit_test(test_other_seed_other_trace),
		cmocka_unit_test(test_many_seeds_replay),
		cmocka_unit_test(test_trace_does_not_perturb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
