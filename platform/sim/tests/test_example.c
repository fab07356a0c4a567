/* The header's example, compiled: a library-shaped state machine (a toy
 * line-echo server with an idle timeout, written the way cloudlet libraries
 * are: caller-owned struct, ops table, now_ms in, next deadline out) driven
 * over a faulty stream pair by notifications and a deadline timer, over many
 * seeds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cl_sim.h"

/* ---- The "library" ------------------------------------------------------ */

struct toy_iov {
	const void *base;
	size_t len;
};

struct toy_stream_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap);
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	int (*sendv)(void *ctx, const struct toy_iov *iov, int iovcnt);
	void (*close)(void *ctx);
};

enum { TOY_EIO = -2, TOY_ETIMEDOUT = -3 };
#define TOY_IDLE_MS 1000

struct toy_conn {
	const struct toy_stream_ops *ops;
	void *ctx;
	uint8_t in[64];
	size_t in_len;
	uint8_t out[128];
	size_t out_len;
	uint64_t last_ms;
	int err;
	bool peer_eof, closed;
};

static void toy_conn_init(struct toy_conn *c, const struct toy_stream_ops *ops, void *ctx,
                          uint64_t now_ms)
{
	memset(c, 0, sizeof *c);
	c->ops = ops;
	c->ctx = ctx;
	c->last_ms = now_ms;
}

static void toy_close(struct toy_conn *c, int err)
{
	if (c->closed)
		return;
	c->err = err;
	c->closed = true;
	c->ops->close(c->ctx);
}

/* Answer each line "x\n" with "ok x\n"; close after TOY_IDLE_MS without
 * input, or when the peer has closed and every answer is out. */
static int toy_conn_poll(struct toy_conn *c, uint64_t now_ms)
{
	bool progress = true;
	while (!c->closed && progress) {
		progress = false;
		if (c->out_len) {
			static const char none[1];
			struct toy_iov v[2] = { { c->out, c->out_len }, { none, 0 } };
			int w = c->ops->sendv(c->ctx, v, 2);
			if (w < 0) {
				toy_close(c, TOY_EIO);
				break;
			}
			memmove(c->out, c->out + w, c->out_len - (size_t)w);
			c->out_len -= (size_t)w;
			progress |= w > 0;
		}
		uint8_t *nl;
		while ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
			size_t line = (size_t)(nl - c->in) + 1;
			if (c->out_len + 3 + line > sizeof c->out)
				break; /* backpressure: answer when out drains */
			memcpy(c->out + c->out_len, "ok ", 3);
			memcpy(c->out + c->out_len + 3, c->in, line);
			c->out_len += 3 + line;
			memmove(c->in, c->in + line, c->in_len - line);
			c->in_len -= line;
			progress = true;
		}
		if (!c->peer_eof && c->in_len < sizeof c->in) {
			int r = c->ops->recv(c->ctx, c->in + c->in_len, sizeof c->in - c->in_len);
			if (r == -2) {
				toy_close(c, TOY_EIO);
				break;
			}
			if (r == -1)
				c->peer_eof = true;
			if (r > 0) {
				c->in_len += (size_t)r;
				c->last_ms = now_ms;
			}
			progress |= r != 0;
		}
		if (c->peer_eof && c->out_len == 0)
			toy_close(c, 0);
	}
	if (!c->closed && now_ms >= c->last_ms + TOY_IDLE_MS)
		toy_close(c, TOY_ETIMEDOUT);
	return c->err;
}

static uint64_t toy_conn_next_deadline(const struct toy_conn *c)
{
	return c->closed ? UINT64_MAX : c->last_ms + TOY_IDLE_MS;
}

/* ---- The test ----------------------------------------------------------- */

CL_SIM_STREAM_OPS(sim_toy_ops, struct toy_stream_ops, struct toy_iov);

enum { LINES = 40 };

struct world {
	struct cl_sim sim;
	struct cl_sim_event ev[256];
	struct cl_sim_stream_pair pair;
	uint8_t mem[256];
	struct toy_conn conn;
	struct cl_sim_timer timer;
	char req[LINES * 16], want[LINES * 20], got[LINES * 20];
	size_t req_len, want_len, sent, got_len;
	uint64_t eof_at;
};

static void server_timer(struct cl_sim *sim, void *arg, uint64_t tag);

static void server_poll(struct world *w)
{
	toy_conn_poll(&w->conn, cl_sim_now(&w->sim));
	cl_sim_timer_set(&w->sim, &w->timer, toy_conn_next_deadline(&w->conn), server_timer, w);
}

static void server_wake(void *ctx, struct cl_sim_stream *end)
{
	(void)end;
	server_poll(ctx);
}

static void server_timer(struct cl_sim *sim, void *arg, uint64_t tag)
{
	(void)sim;
	(void)tag;
	server_poll(arg);
}

static int scenario(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	memset(w, 0, sizeof *w);
	struct cl_sim_stream_cfg cfg = { .short_read = 0.3,
		                         .short_write = 0.3,
		                         .block_read = 0.1,
		                         .block_write = 0.1,
		                         .latency_ms = 2,
		                         .jitter_ms = 2 };
	cl_sim_init(&w->sim, seed, w->ev, 256);
	CL_SIM_CHECK(cl_sim_stream_pair_init(&w->pair, &w->sim, &cfg, w->mem, sizeof w->mem) == 0);
	struct cl_sim_stream *client = cl_sim_stream_a(&w->pair);
	struct cl_sim_stream *server = cl_sim_stream_b(&w->pair);
	toy_conn_init(&w->conn, &sim_toy_ops, server, cl_sim_now(&w->sim));
	cl_sim_stream_set_notify(server, server_wake, w);
	server_poll(w);

	for (int i = 0; i < LINES; i++) {
		w->req_len += (size_t)sprintf(w->req + w->req_len, "line %d\n", i);
		w->want_len += (size_t)sprintf(w->want + w->want_len, "ok line %d\n", i);
	}
	/* The client polls; whenever nothing moves it lets the world run one
	 * event. It never closes: the server's idle timeout must end it. */
	for (;;) {
		bool progress = false;
		if (w->sent < w->req_len) {
			int r = cl_sim_stream_send(client, (const uint8_t *)w->req + w->sent,
			                           w->req_len - w->sent);
			CL_SIM_CHECK(r >= 0);
			w->sent += (size_t)r;
			progress |= r > 0;
		}
		int r = cl_sim_stream_recv(client, (uint8_t *)w->got + w->got_len,
		                           sizeof w->got - w->got_len);
		CL_SIM_CHECK(r >= -1);
		if (r == -1) {
			w->eof_at = cl_sim_now(&w->sim);
			break;
		}
		w->got_len += (size_t)r;
		progress |= r > 0;
		if (!progress)
			CL_SIM_CHECK(cl_sim_step(&w->sim) == 1);
	}
	CL_SIM_CHECK(w->got_len == w->want_len);
	CL_SIM_CHECK(memcmp(w->got, w->want, w->want_len) == 0);
	CL_SIM_CHECK(w->conn.err == TOY_ETIMEDOUT);
	/* The timeout fired on virtual time, exactly when it was due, and the
	 * close reached the client one latency later. */
	CL_SIM_CHECK(w->eof_at >= w->conn.last_ms + TOY_IDLE_MS + cfg.latency_ms);
	CL_SIM_CHECK(w->eof_at <= w->conn.last_ms + TOY_IDLE_MS + cfg.latency_ms + cfg.jitter_ms);
	CL_SIM_CHECK(!cl_sim_timer_armed(&w->timer));
	CL_SIM_CHECK(cl_sim_run(&w->sim, 1000) >= 0);
	return 0;
}

static void test_library_over_faults(void **state)
{
	(void)state;
	static struct world w;
	assert_int_equal(cl_sim_seeds("toy_echo", 1, 200, scenario, &w), 0);
}

/* The timer helper alone: re-arming moves the one pending event. */
static int fired;
static void on_fire(struct cl_sim *sim, void *arg, uint64_t tag)
{
	(void)arg;
	(void)tag;
	fired = (int)cl_sim_now(sim);
}

static void test_timer(void **state)
{
	(void)state;
	struct cl_sim sim;
	struct cl_sim_event ev[4];
	struct cl_sim_timer t = { 0 };
	cl_sim_init(&sim, 1, ev, 4);
	assert_false(cl_sim_timer_armed(&t));
	assert_int_equal(cl_sim_timer_set(&sim, &t, 50, on_fire, NULL), 0);
	assert_int_equal(cl_sim_timer_set(&sim, &t, 50, on_fire, NULL), 0);
	assert_int_equal(cl_sim_pending(&sim), 1);
	assert_int_equal(cl_sim_timer_set(&sim, &t, 30, on_fire, NULL), 0);
	assert_int_equal(cl_sim_pending(&sim), 1);
	assert_true(cl_sim_timer_armed(&t));
	assert_int_equal(cl_sim_run(&sim, 10), 1);
	assert_int_equal(fired, 30);
	assert_false(cl_sim_timer_armed(&t));
	assert_int_equal(cl_sim_timer_set(&sim, &t, 90, on_fire, NULL), 0);
	assert_int_equal(cl_sim_timer_set(&sim, &t, UINT64_MAX, on_fire, NULL), 0);
	assert_false(cl_sim_timer_armed(&t));
	assert_int_equal(cl_sim_run(&sim, 10), 0);
	assert_int_equal(fired, 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_over_faults),
		cmocka_unit_test(test_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
