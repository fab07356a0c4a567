/* DNS over TCP in the sim platform: a faulty stream pair with latency,
 * pipelined queries answered in order, cuts and resets, the idle timeout
 * on the virtual clock. A failing seed is printed with how to replay it. */
#include "srvutil.h"

#include "cl_sim.h"

CL_SIM_STREAM_OPS(sim_dns_ops, struct dns_stream_ops, struct dns_iov);

struct world {
	struct cl_sim sim;
	struct cl_sim_event ev[512];
	struct cl_sim_stream_pair pair;
	uint8_t mem[16384];
	uint8_t scratch[DNS_SCRATCH_SIZE];
	struct dns_srv srv;
	struct plan pl;
	struct dns_tcp conn;
	struct cl_sim_timer timer;
	uint8_t ibuf[2048], obuf[4096];
	bool closed;
	int result;
	uint64_t closed_at;
	uint8_t req[32768];
	size_t reqlen, sent;
	size_t frame_end[128]; /* where each query frame ends in req */
	int nq;
	uint8_t resp[1 << 17];
	size_t got;
};

static void server_poll(struct world *w);

static void server_timer(struct cl_sim *sim, void *arg, uint64_t tag)
{
	(void)sim, (void)tag;
	server_poll(arg);
}

static void server_wake(void *ctx, struct cl_sim_stream *end)
{
	(void)end;
	server_poll(ctx);
}

static void server_poll(struct world *w)
{
	if (w->closed)
		return;
	int r = dns_tcp_poll(&w->conn, cl_sim_now(&w->sim));
	if (r < 0) {
		w->closed = true;
		w->result = r;
		w->closed_at = cl_sim_now(&w->sim);
		cl_sim_timer_stop(&w->sim, &w->timer);
		return;
	}
	cl_sim_timer_set(&w->sim, &w->timer, dns_tcp_next_deadline(&w->conn), server_timer, w);
	/* An edge-triggered world: work waiting without I/O needs a call. */
	if (r & DNS_WANT_AGAIN)
		cl_sim_after(&w->sim, 0, server_timer, w, 0);
}

/* Sets up the world, the server end and nq framed queries from the seed. */
static void setup(struct world *w, uint64_t seed, const struct cl_sim_stream_cfg *cfg, int nq)
{
	memset(w, 0, sizeof *w);
	cl_sim_init(&w->sim, seed, w->ev, 512);
	cl_sim_stream_pair_init(&w->pair, &w->sim, cfg, w->mem, sizeof w->mem);
	w->pl = (struct plan){ .nsets = 1, .sets = {
		{ DNS_S_ANSWER, "www.example.", DNS_T_TXT, 2, 60, NULL, 0 } } };
	dns_srv_init(&w->srv, plan_answer, &w->pl, w->scratch, sizeof w->scratch);
	struct cl_sim_stream *server = cl_sim_stream_b(&w->pair);
	dns_tcp_init(&w->conn, &w->srv, &sim_dns_ops, server, NULL, w->ibuf, sizeof w->ibuf,
		w->obuf, sizeof w->obuf, 0);
	cl_sim_stream_set_notify(server, server_wake, w);
	static const char *names[] = { "www.example.", "a.b.c.d.e.f.g.example.", "example." };
	for (int i = 0; i < nq; i++) {
		uint16_t n = (uint16_t)mkquery(w->req + w->reqlen + 2, 512, (uint16_t)i,
			names[cl_rng_below(&w->sim.rng, 3)], DNS_T_TXT, cl_rng_below(&w->sim.rng, 2),
			1232);
		w->req[w->reqlen] = (uint8_t)(n >> 8);
		w->req[w->reqlen + 1] = (uint8_t)n;
		w->reqlen += 2u + n;
		w->frame_end[i] = w->reqlen;
	}
	w->nq = nq;
	server_poll(w);
}

static int answer_ids(const struct world *w, uint16_t *ids, int max);

/* The client: sends its queries in random pieces, half-closes, reads until
 * EOF or reset. Returns 0, or 1 on a deadlock. */
static int client_run(struct world *w, bool shutdown_after, bool until_answered)
{
	struct cl_sim_stream *client = cl_sim_stream_a(&w->pair);
	bool shut = false, sending = true;
	for (int guard = 0; guard < 200000; guard++) {
		int s = 0;
		if (sending && w->sent < w->reqlen) {
			size_t n = 1 + cl_rng_below(&w->sim.rng, w->reqlen - w->sent);
			s = cl_sim_stream_send(client, w->req + w->sent, n);
			if (s > 0)
				w->sent += (size_t)s;
			else if (s < 0)
				sending = false; /* cut or reset */
		}
		if (shutdown_after && !shut && (w->sent == w->reqlen || !sending)) {
			cl_sim_stream_shutdown(client);
			shut = true;
		}
		int r = cl_sim_stream_recv(client, w->resp + w->got, sizeof w->resp - w->got);
		if (r > 0)
			w->got += (size_t)r;
		if (r < 0)
			return 0; /* EOF or reset: the server is done */
		uint16_t ids[128];
		if (until_answered && answer_ids(w, ids, 128) == w->nq)
			return 0;
		if (s <= 0 && r == 0) {
			int st = cl_sim_step(&w->sim);
			if (st == 0 && !shutdown_after)
				return 0;
			CL_SIM_CHECK(st == 1);
		}
	}
	return cl_sim_check_failed(__FILE__, __LINE__, "client loop bound");
}

/* The ids of whole framed answers received, checked to parse. */
static int answer_ids(const struct world *w, uint16_t *ids, int max)
{
	size_t p = 0;
	int n = 0;
	while (p + 2 <= w->got && n < max) {
		size_t l = (size_t)w->resp[p] << 8 | w->resp[p + 1];
		if (p + 2 + l > w->got)
			break;
		struct dns_msg m;
		if (dns_msg_parse(&m, w->resp + p + 2, l) != 0)
			return -1;
		ids[n++] = m.hdr.id;
		p += 2 + l;
	}
	return n;
}

static const struct cl_sim_stream_cfg faulty = { .short_read = 0.3, .short_write = 0.3,
	.block_read = 0.1, .block_write = 0.1, .latency_ms = 1, .jitter_ms = 3 };

/* Pipelined queries over a faulty stream: all answered, in order, then EOF. */
static int pipeline(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	struct cl_rng r;
	cl_rng_seed(&r, seed);
	int nq = 1 + (int)cl_rng_below(&r, 100);
	setup(w, seed, &faulty, nq);
	CL_SIM_CHECK(client_run(w, true, false) == 0);
	uint16_t ids[128];
	int n = answer_ids(w, ids, 128);
	CL_SIM_CHECK(n == nq);
	for (int i = 0; i < n; i++)
		CL_SIM_CHECK(ids[i] == i);
	CL_SIM_CHECK(w->closed && w->result == DNS_EEOF);
	CL_SIM_CHECK(w->conn.answered == (uint64_t)nq);
	return 0;
}

/* The client's bytes end at a random offset: every query complete before
 * it is answered, in order, none after. */
static int cut(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	struct cl_sim_stream_cfg cfg = faulty;
	cfg.cut[0] = (struct cl_sim_cut){ CL_SIM_CUT_EOF, 3000, true };
	setup(w, seed, &cfg, 60);
	CL_SIM_CHECK(client_run(w, true, false) == 0);
	uint64_t rcvd = cl_sim_stream_b(&w->pair)->stats.received;
	int want = 0;
	while (want < w->nq && w->frame_end[want] <= rcvd)
		want++;
	uint16_t ids[128];
	int n = answer_ids(w, ids, 128);
	CL_SIM_CHECK(n == want);
	for (int i = 0; i < n; i++)
		CL_SIM_CHECK(ids[i] == i);
	CL_SIM_CHECK(w->closed && w->result == DNS_EEOF);
	return 0;
}

/* Resets by chance: the server ends with DNS_EIO (or had finished), and
 * what the client got is an in-order prefix. */
static int reset(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	struct cl_sim_stream_cfg cfg = faulty;
	cfg.reset = 0.02;
	setup(w, seed, &cfg, 40);
	CL_SIM_CHECK(client_run(w, true, false) == 0);
	/* Let the server notice. */
	cl_sim_run_until(&w->sim, cl_sim_now(&w->sim) + 2 * DNS_TCP_IDLE_DEFAULT);
	uint16_t ids[128];
	int n = answer_ids(w, ids, 128);
	CL_SIM_CHECK(n >= 0);
	for (int i = 0; i < n; i++)
		CL_SIM_CHECK(ids[i] == i);
	CL_SIM_CHECK(w->closed);
	CL_SIM_CHECK(w->result == DNS_EIO || w->result == DNS_EEOF || w->result == DNS_ETIMEDOUT);
	return 0;
}

/* A client that asks once and then says nothing is closed when the idle
 * time has passed since the last byte moved, not before. */
static int idle(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	setup(w, seed, &faulty, 3);
	w->srv.tcp_idle_ms = 500 + (uint32_t)cl_rng_below(&w->sim.rng, 2000);
	CL_SIM_CHECK(client_run(w, false, true) == 0);
	uint16_t ids[4];
	CL_SIM_CHECK(answer_ids(w, ids, 4) == 3);
	CL_SIM_CHECK(!w->closed);
	uint64_t last = w->conn.priv.last_ms;
	cl_sim_run_until(&w->sim, last + w->srv.tcp_idle_ms - 1);
	CL_SIM_CHECK(!w->closed);
	cl_sim_run_until(&w->sim, last + w->srv.tcp_idle_ms);
	CL_SIM_CHECK(w->closed && w->result == DNS_ETIMEDOUT);
	CL_SIM_CHECK(w->closed_at == last + w->srv.tcp_idle_ms);
	/* The client sees the close. */
	cl_sim_run(&w->sim, 1000);
	uint8_t b[1];
	CL_SIM_CHECK(cl_sim_stream_recv(cl_sim_stream_a(&w->pair), b, 1) == -1);
	return 0;
}

static struct world W;

static void test_sim_pipeline(void **st)
{
	(void)st;
	assert_int_equal(cl_sim_seeds("dns_tcp_pipeline", 1, 300, pipeline, &W), 0);
}

static void test_sim_cut(void **st)
{
	(void)st;
	assert_int_equal(cl_sim_seeds("dns_tcp_cut", 1, 200, cut, &W), 0);
}

static void test_sim_reset(void **st)
{
	(void)st;
	assert_int_equal(cl_sim_seeds("dns_tcp_reset", 1, 200, reset, &W), 0);
}

static void test_sim_idle(void **st)
{
	(void)st;
	assert_int_equal(cl_sim_seeds("dns_tcp_idle", 1, 100, idle, &W), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_pipeline),
		cmocka_unit_test(test_sim_cut),
		cmocka_unit_test(test_sim_reset),
		cmocka_unit_test(test_sim_idle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
