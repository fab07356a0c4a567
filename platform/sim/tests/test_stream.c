/* Stream pairs: a perfect pipe without faults, payloads intact through
 * short transfers, would-block, latency and tiny buffers over many seeds,
 * buffer-full and wake-ups, EOF as -1 and resets as -2. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cl_sim.h"

/* ---- A library's view: its own ops and iov types, bound by the macro ---- */

struct fake_iov {
	const void *base;
	size_t len;
};

struct fake_stream_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap);
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	int (*sendv)(void *ctx, const struct fake_iov *iov, int iovcnt);
	void (*close)(void *ctx);
};

CL_SIM_STREAM_OPS(fake_ops, struct fake_stream_ops, struct fake_iov);

/* ---- Pumping a payload both ways through a faulty pair ------------------ */

enum { PAYLOAD = 48 * 1024 };

struct side {
	struct cl_sim_stream *end;
	uint8_t out[PAYLOAD];
	size_t sent;
	bool shut;
	uint8_t in[PAYLOAD];
	size_t got;
	bool eof;
};

struct world {
	struct cl_sim sim;
	struct cl_sim_event ev[512];
	struct cl_sim_stream_pair pair;
	uint8_t mem[8192];
	struct side side[2];
	size_t len;          /* payload bytes each way this seed */
	struct cl_rng drive; /* the test's own choices: chunk sizes, sendv */
	struct cl_sim_stream_stats total[2];
};

static int side_send(struct world *w, struct side *s)
{
	size_t left = w->len - s->sent;
	size_t want = 1 + (size_t)cl_rng_below(&w->drive, left < 9000 ? left : 9000);
	const uint8_t *p = s->out + s->sent;
	if (cl_rng_below(&w->drive, 2) == 0)
		return fake_ops.send(s->end, p, want);
	/* Gather form: split the chunk into up to 3 pieces, some empty. */
	struct fake_iov v[3];
	size_t a = (size_t)cl_rng_below(&w->drive, want + 1);
	size_t b = (size_t)cl_rng_below(&w->drive, want - a + 1);
	v[0] = (struct fake_iov){ p, a };
	v[1] = (struct fake_iov){ p + a, b };
	v[2] = (struct fake_iov){ p + a + b, want - a - b };
	return fake_ops.sendv(s->end, v, 3);
}

static int pump(struct world *w)
{
	for (long iter = 0; iter < 10000000; iter++) {
		bool progress = false;
		for (int i = 0; i < 2; i++) {
			struct side *s = &w->side[i];
			if (s->sent < w->len) {
				int r = side_send(w, s);
				CL_SIM_CHECK(r >= 0);
				s->sent += (size_t)r;
				progress |= r > 0;
			} else if (!s->shut) {
				cl_sim_stream_shutdown(s->end);
				s->shut = true;
				progress = true;
			}
			if (!s->eof) {
				uint8_t buf[5000];
				size_t cap = 1 + (size_t)cl_rng_below(&w->drive, sizeof buf);
				int r = fake_ops.recv(s->end, buf, cap);
				CL_SIM_CHECK(r >= -1);
				CL_SIM_CHECK(r <= (int)cap);
				if (r == -1) {
					s->eof = true;
					progress = true;
				} else if (r > 0) {
					CL_SIM_CHECK(s->got + (size_t)r <= w->len);
					memcpy(s->in + s->got, buf, (size_t)r);
					s->got += (size_t)r;
					progress = true;
				}
			}
		}
		if (w->side[0].eof && w->side[1].eof)
			return 0;
		if (!progress) {
			/* Every 0 promised a wake-up: an idle world here is a
			 * lost notification. */
			int r = cl_sim_step(&w->sim);
			CL_SIM_CHECK(r == 1);
		}
	}
	return cl_sim_check_failed(__FILE__, __LINE__, "pump did not finish");
}

static const size_t bufsizes[] = { 2, 3, 17, 256, 1500, 8192 };

static int payload_scenario(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	cl_sim_init(&w->sim, seed, w->ev, 512);
	cl_rng_seed(&w->drive, seed ^ 0x5eed);
	struct cl_sim_stream_cfg cfg = {
		.short_read = 0.3,
		.short_write = 0.3,
		.block_read = 0.15,
		.block_write = 0.15,
		.latency_ms = cl_rng_below(&w->drive, 4),
		.jitter_ms = cl_rng_below(&w->drive, 3),
	};
	size_t bs = bufsizes[cl_rng_below(&w->drive, 6)];
	/* A byte or two per op is slow going: less payload for tiny buffers. */
	w->len = bs < 256 ? PAYLOAD / 8 : PAYLOAD;
	CL_SIM_CHECK(cl_sim_stream_pair_init(&w->pair, &w->sim, &cfg, w->mem, bs) == 0);
	for (int i = 0; i < 2; i++) {
		struct side *s = &w->side[i];
		s->end = i ? cl_sim_stream_b(&w->pair) : cl_sim_stream_a(&w->pair);
		cl_rng_fill(&w->drive, s->out, PAYLOAD);
		s->sent = s->got = 0;
		s->shut = s->eof = false;
	}
	if (pump(w))
		return 1;
	for (int i = 0; i < 2; i++) {
		CL_SIM_CHECK(w->side[i].got == w->len);
		CL_SIM_CHECK(memcmp(w->side[i].in, w->side[1 - i].out, w->len) == 0);
		const struct cl_sim_stream_stats *st = &w->side[i].end->stats;
		CL_SIM_CHECK(st->sent == w->len && st->received == w->len);
		w->total[i].short_reads += st->short_reads;
		w->total[i].short_writes += st->short_writes;
		w->total[i].blocked_reads += st->blocked_reads;
		w->total[i].blocked_writes += st->blocked_writes;
		w->total[i].full += st->full;
		w->total[i].empty += st->empty;
	}
	CL_SIM_CHECK(cl_sim_error(&w->sim) == 0);
	return 0;
}

static void test_payload_through_faults(void **state)
{
	(void)state;
	static struct world w;
	memset(&w.total, 0, sizeof w.total);
	assert_int_equal(cl_sim_seeds("stream_payload", 1, 200, payload_scenario, &w), 0);
	/* The faults really happened, on both ends. */
	for (int i = 0; i < 2; i++) {
		assert_true(w.total[i].short_reads > 0);
		assert_true(w.total[i].short_writes > 0);
		assert_true(w.total[i].blocked_reads > 0);
		assert_true(w.total[i].blocked_writes > 0);
		assert_true(w.total[i].full > 0);
		assert_true(w.total[i].empty > 0);
	}
}

/* ---- Small cases ---------------------------------------------------------- */

struct small {
	struct cl_sim sim;
	struct cl_sim_event ev[64];
	struct cl_sim_stream_pair pair;
	uint8_t mem[2048];
	struct cl_sim_stream *a, *b;
	int woken[2];
};

static void woke(void *ctx, struct cl_sim_stream *end)
{
	struct small *s = ctx;
	s->woken[end == s->b]++;
}

static void small_init(struct small *s, const struct cl_sim_stream_cfg *cfg, size_t mem)
{
	memset(s, 0, sizeof *s);
	cl_sim_init(&s->sim, 1, s->ev, 64);
	assert_int_equal(cl_sim_stream_pair_init(&s->pair, &s->sim, cfg, s->mem, mem), 0);
	s->a = cl_sim_stream_a(&s->pair);
	s->b = cl_sim_stream_b(&s->pair);
	assert_ptr_equal(cl_sim_stream_peer(s->a), s->b);
	assert_ptr_equal(cl_sim_stream_peer(s->b), s->a);
	cl_sim_stream_set_notify(s->a, woke, s);
	cl_sim_stream_set_notify(s->b, woke, s);
}

/* A zeroed config is a perfect pipe: every op moves all it can. */
static void test_perfect_pipe(void **state)
{
	(void)state;
	static struct small s;
	struct cl_sim_stream_cfg none = { 0 };
	small_init(&s, &none, 2048);
	uint8_t msg[1100], got[1100];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7);
	assert_int_equal(cl_sim_stream_send(s.a, msg, 600), 600);
	assert_int_equal(cl_sim_stream_send(s.a, msg + 600, 500), 424); /* 1024 per direction */
	assert_int_equal(cl_sim_stream_readable(s.b), 1024);
	assert_int_equal(cl_sim_stream_recv(s.b, got, sizeof got), 1024);
	assert_memory_equal(got, msg, 1024);
	assert_int_equal(cl_sim_stream_recv(s.b, got, sizeof got), 0);
	/* No faults, no latency: the clock never had to move. */
	assert_int_equal(cl_sim_run(&s.sim, 100) >= 0, 1);
	assert_int_equal(cl_sim_now(&s.sim), 0);
	/* A NULL config is the same. */
	small_init(&s, NULL, 2048);
	assert_int_equal(cl_sim_stream_send(s.b, msg, 1000), 1000);
	assert_int_equal(cl_sim_stream_recv(s.a, got, 10), 10);
	assert_int_equal(cl_sim_stream_recv(s.a, got + 10, 1000), 990);
	assert_memory_equal(got, msg, 1000);
}

static void test_buffer_full(void **state)
{
	(void)state;
	static struct small s;
	small_init(&s, NULL, 16); /* 8 bytes each way */
	const uint8_t msg[20] = "abcdefghijklmnopqrs";
	uint8_t got[20];
	assert_int_equal(cl_sim_stream_send(s.a, msg, 20), 8);
	assert_int_equal(cl_sim_stream_send(s.a, msg + 8, 12), 0);
	assert_int_equal(s.a->stats.full, 1);
	/* The other direction is not affected. */
	assert_int_equal(cl_sim_stream_send(s.b, msg, 5), 5);
	cl_sim_run(&s.sim, 100);
	int wa = s.woken[0];
	/* Reading frees room: the blocked writer is woken. */
	assert_int_equal(cl_sim_stream_recv(s.b, got, 3), 3);
	assert_memory_equal(got, "abc", 3);
	assert_true(cl_sim_pending(&s.sim) > 0);
	cl_sim_run(&s.sim, 100);
	assert_int_equal(s.woken[0], wa + 1);
	assert_int_equal(cl_sim_stream_send(s.a, msg + 8, 12), 3);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 20), 8);
	assert_memory_equal(got, "defghijk", 8);
}

static void test_would_block_injected(void **state)
{
	(void)state;
	static struct small s;
	struct cl_sim_stream_cfg cfg = { .block_read = 1.0 };
	small_init(&s, &cfg, 2048);
	uint8_t got[8];
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"hi", 2), 2);
	cl_sim_run(&s.sim, 100);
	int wb = s.woken[1];
	for (int i = 0; i < 5; i++)
		assert_int_equal(cl_sim_stream_recv(s.b, got, sizeof got), 0);
	assert_int_equal(s.b->stats.blocked_reads, 5);
	assert_int_equal(s.b->stats.received, 0);
	/* Each would-block promises a wake-up. */
	assert_int_equal(cl_sim_run(&s.sim, 100), 1);
	assert_int_equal(s.woken[1], wb + 1);

	struct cl_sim_stream_cfg wcfg = { .block_write = 1.0 };
	small_init(&s, &wcfg, 2048);
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"hi", 2), 0);
	assert_int_equal(s.a->stats.blocked_writes, 1);
	assert_int_equal(cl_sim_run(&s.sim, 100), 1);
	assert_int_equal(s.woken[0], 1);
	/* Nothing was sent, so the reader finds nothing. */
	assert_int_equal(cl_sim_stream_recv(s.b, got, sizeof got), 0);
	assert_int_equal(s.b->stats.empty, 1);
}

static void test_empty_then_wake(void **state)
{
	(void)state;
	static struct small s;
	small_init(&s, NULL, 2048);
	uint8_t got[8];
	assert_int_equal(cl_sim_stream_recv(s.b, got, sizeof got), 0);
	assert_int_equal(cl_sim_run(&s.sim, 100), 0);
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"x", 1), 1);
	assert_int_equal(s.woken[1], 0); /* never from inside the op */
	assert_int_equal(cl_sim_run(&s.sim, 100), 1);
	assert_int_equal(s.woken[1], 1);
	assert_int_equal(cl_sim_stream_recv(s.b, got, sizeof got), 1);
}

static void test_latency(void **state)
{
	(void)state;
	static struct small s;
	struct cl_sim_stream_cfg cfg = { .latency_ms = 10, .jitter_ms = 5 };
	small_init(&s, &cfg, 2048);
	uint8_t got[64];
	size_t total = 0;
	for (int i = 0; i < 10; i++) {
		uint8_t c = (uint8_t)('0' + i);
		assert_int_equal(cl_sim_stream_send(s.a, &c, 1), 1);
		cl_sim_advance(&s.sim, 1);
	}
	assert_int_equal(cl_sim_now(&s.sim), 10);
	/* Nothing is readable before the first arrival at >= 10 ms. */
	while (total < 10) {
		int r = cl_sim_stream_recv(s.b, got + total, sizeof got - total);
		assert_true(r >= 0);
		if (r == 0)
			assert_int_equal(cl_sim_step(&s.sim), 1);
		total += (size_t)r;
		if (r > 0)
			assert_true(cl_sim_now(&s.sim) >= 10);
	}
	/* Jitter never reorders a stream. */
	assert_memory_equal(got, "0123456789", 10);
	assert_true(cl_sim_now(&s.sim) <= 9 + 10 + 5);
}

static void test_eof_after_close(void **state)
{
	(void)state;
	static struct small s;
	small_init(&s, NULL, 2048);
	uint8_t got[32];
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"0123456789", 10), 10);
	fake_ops.close(s.a);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 4), 4);
	assert_int_equal(cl_sim_stream_recv(s.b, got + 4, 32), 6);
	assert_memory_equal(got, "0123456789", 10);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 32), -1);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 32), -1);
	/* Writing to a closed peer is a broken pipe; a closed end is dead. */
	assert_int_equal(cl_sim_stream_send(s.b, got, 1), -2);
	assert_int_equal(cl_sim_stream_send(s.a, got, 1), -2);
	assert_int_equal(cl_sim_stream_recv(s.a, got, 1), -2);
}

static void test_shutdown_half_close(void **state)
{
	(void)state;
	static struct small s;
	struct cl_sim_stream_cfg cfg = { .latency_ms = 3 };
	small_init(&s, &cfg, 2048);
	uint8_t got[8];
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"req", 3), 3);
	cl_sim_stream_shutdown(s.a);
	assert_int_equal(cl_sim_stream_send(s.a, got, 1), -2);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 8), 0); /* not arrived yet */
	cl_sim_run(&s.sim, 100);
	assert_int_equal(cl_sim_now(&s.sim), 3);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 8), 3);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 8), -1);
	/* The other direction still works. */
	assert_int_equal(cl_sim_stream_send(s.b, (const uint8_t *)"resp", 4), 4);
	cl_sim_run(&s.sim, 100);
	assert_int_equal(cl_sim_stream_recv(s.a, got, 8), 4);
	assert_memory_equal(got, "resp", 4);
}

static void test_eof_cut_at_offset(void **state)
{
	(void)state;
	static struct small s;
	struct cl_sim_stream_cfg cfg = { .cut = { { CL_SIM_CUT_EOF, 100, false } } };
	small_init(&s, &cfg, 2048);
	uint8_t msg[300] = { 0 }, got[300];
	assert_int_equal(cl_sim_stream_send(s.a, msg, 60), 60);
	assert_int_equal(cl_sim_stream_send(s.a, msg, 300), 40);
	assert_int_equal(cl_sim_stream_send(s.a, msg, 300), -2);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 300), 100);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 300), -1);
	/* Only a's direction is cut. */
	assert_int_equal(cl_sim_stream_send(s.b, msg, 300), 300);
	assert_int_equal(cl_sim_stream_recv(s.a, got, 300), 300);

	/* EOF at offset 0: the reader sees -1 before anything is sent. */
	struct cl_sim_stream_cfg zero = { .cut = { { 0 }, { CL_SIM_CUT_EOF, 0, false } } };
	small_init(&s, &zero, 2048);
	assert_int_equal(cl_sim_stream_recv(s.a, got, 300), -1);
	assert_int_equal(cl_sim_stream_send(s.b, msg, 1), -2);
}

static int random_eof_scenario(uint64_t seed, void *ctx)
{
	struct small *s = ctx;
	struct cl_sim_stream_cfg cfg = { .short_read = 0.5,
		                         .short_write = 0.5,
		                         .cut = { { CL_SIM_CUT_EOF, 500, true } } };
	memset(s, 0, sizeof *s);
	cl_sim_init(&s->sim, seed, s->ev, 64);
	CL_SIM_CHECK(cl_sim_stream_pair_init(&s->pair, &s->sim, &cfg, s->mem, 2048) == 0);
	s->a = cl_sim_stream_a(&s->pair);
	s->b = cl_sim_stream_b(&s->pair);
	uint8_t msg[1000], got[1000];
	memset(msg, 0xab, sizeof msg);
	size_t sent = 0, recvd = 0;
	int r;
	while ((r = cl_sim_stream_send(s->a, msg, sizeof msg - (sent % 100))) > 0)
		sent += (size_t)r;
	CL_SIM_CHECK(r == -2);
	CL_SIM_CHECK(sent <= 500);
	while ((r = cl_sim_stream_recv(s->b, got, sizeof got)) > 0)
		recvd += (size_t)r;
	CL_SIM_CHECK(r == -1);
	CL_SIM_CHECK(recvd == sent);
	return 0;
}

static void test_eof_cut_random(void **state)
{
	(void)state;
	static struct small s;
	assert_int_equal(cl_sim_seeds("stream_random_eof", 1, 50, random_eof_scenario, &s), 0);
}

static void test_reset_cut(void **state)
{
	(void)state;
	static struct small s;
	struct cl_sim_stream_cfg cfg = { .latency_ms = 5,
		                         .cut = { { CL_SIM_CUT_RESET, 50, false } } };
	small_init(&s, &cfg, 2048);
	uint8_t msg[100] = { 0 }, got[100];
	assert_int_equal(cl_sim_stream_send(s.a, msg, 30), 30); /* arrives at 5 */
	cl_sim_advance(&s.sim, 2);
	assert_int_equal(cl_sim_stream_send(s.a, msg, 100), 20); /* arrives at 7 */
	assert_int_equal(cl_sim_stream_send(s.a, msg, 100), 0);  /* the reset is coming */
	cl_sim_run_until(&s.sim, 5);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 100), 30);
	cl_sim_run(&s.sim, 100);
	assert_int_equal(cl_sim_now(&s.sim), 7);
	/* The reset arrived with the last bytes: they are lost, both ends -2. */
	assert_int_equal(cl_sim_stream_recv(s.b, got, 100), -2);
	assert_int_equal(cl_sim_stream_send(s.b, msg, 1), -2);
	assert_int_equal(cl_sim_stream_recv(s.a, got, 100), -2);
	assert_int_equal(cl_sim_stream_send(s.a, msg, 1), -2);
	assert_true(s.woken[0] > 0 && s.woken[1] > 0);
}

static void test_reset_chance_and_call(void **state)
{
	(void)state;
	static struct small s;
	struct cl_sim_stream_cfg cfg = { .reset = 1.0 };
	small_init(&s, &cfg, 2048);
	uint8_t got[4];
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"x", 1), -2);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 4), -2);

	small_init(&s, NULL, 2048);
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"x", 1), 1);
	cl_sim_stream_reset(s.b);
	assert_int_equal(cl_sim_stream_recv(s.b, got, 4), -2);
	assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"x", 1), -2);
	assert_int_equal(cl_sim_stream_readable(s.b), 0);
}

/* RFC 9112 9.6: a server that closes with a request unread resets, and its
 * last response may never be read. The pair models it when asked to. */
static void test_close_unread_resets(void **state)
{
	(void)state;
	static struct small s;
	uint8_t got[16];
	for (int opt = 0; opt < 2; opt++) {
		struct cl_sim_stream_cfg cfg = { .close_unread_resets = opt, .latency_ms = 1 };
		small_init(&s, &cfg, 2048);
		assert_int_equal(cl_sim_stream_send(s.a, (const uint8_t *)"req1req2", 8), 8);
		cl_sim_run(&s.sim, 100);
		assert_int_equal(cl_sim_stream_recv(s.b, got, 4), 4);
		assert_int_equal(cl_sim_stream_send(s.b, (const uint8_t *)"resp", 4), 4);
		cl_sim_stream_close(s.b);
		cl_sim_run(&s.sim, 100);
		if (opt) {
			assert_int_equal(cl_sim_stream_recv(s.a, got, sizeof got), -2);
		} else {
			assert_int_equal(cl_sim_stream_recv(s.a, got, sizeof got), 4);
			assert_int_equal(cl_sim_stream_recv(s.a, got, sizeof got), -1);
		}
	}
	/* With nothing unread, the option changes nothing. */
	struct cl_sim_stream_cfg cfg = { .close_unread_resets = true };
	small_init(&s, &cfg, 2048);
	assert_int_equal(cl_sim_stream_send(s.b, (const uint8_t *)"bye", 3), 3);
	cl_sim_stream_close(s.b);
	assert_int_equal(cl_sim_stream_recv(s.a, got, sizeof got), 3);
	assert_int_equal(cl_sim_stream_recv(s.a, got, sizeof got), -1);
}

static void test_sendv_gather(void **state)
{
	(void)state;
	static struct small s;
	small_init(&s, NULL, 2048);
	struct fake_iov v[4] = { { "ab", 2 }, { "", 0 }, { "cde", 3 }, { "f", 1 } };
	uint8_t got[8];
	assert_int_equal(fake_ops.sendv(s.a, v, 4), 6);
	assert_int_equal(fake_ops.recv(s.b, got, 8), 6);
	assert_memory_equal(got, "abcdef", 6);
	/* Misuse is an error, not a hang: nothing to send, nothing to read into. */
	assert_int_equal(fake_ops.sendv(s.a, v + 1, 1), -2);
	assert_int_equal(fake_ops.recv(s.b, got, 0), -2);
	/* More iovs than one sendv takes is a short write. */
	static struct fake_iov many[CL_SIM_IOV_MAX + 10];
	for (int i = 0; i < CL_SIM_IOV_MAX + 10; i++)
		many[i] = (struct fake_iov){ "z", 1 };
	assert_int_equal(fake_ops.sendv(s.a, many, CL_SIM_IOV_MAX + 10), CL_SIM_IOV_MAX);
}

static void test_init_errors(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[4];
	struct cl_sim_stream_pair p;
	uint8_t mem[1];
	cl_sim_init(&sim, 1, ev, 4);
	assert_int_equal(cl_sim_stream_pair_init(&p, &sim, NULL, mem, 1), CL_SIM_EINVAL);
	assert_int_equal(cl_sim_stream_pair_init(&p, &sim, NULL, NULL, 100), CL_SIM_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfect_pipe),
		cmocka_unit_test(test_payload_through_faults),
		cmocka_unit_test(test_buffer_full),
		cmocka_unit_test(test_would_block_injected),
		cmocka_unit_test(test_empty_then_wake),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_eof_after_close),
		cmocka_unit_test(test_shutdown_half_close),
		cmocka_unit_test(test_eof_cut_at_offset),
		cmocka_unit_test(test_eof_cut_random),
		cmocka_unit_test(test_reset_cut),
		cmocka_unit_test(test_reset_chance_and_call),
		cmocka_unit_test(test_close_unread_resets),
		cmocka_unit_test(test_sendv_gather),
		cmocka_unit_test(test_init_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
