/* UDP serving over a sim datagram link that drops, duplicates and
 * reorders: every answer that arrives fits the client's size, is whole
 * RRsets, and answers its query; a client that retries gets every answer.
 * A failing seed is printed with how to replay it. */
#include "srvutil.h"

#include "cl_sim.h"

CL_SIM_DGRAM_OPS(sim_udp_ops, struct dns_datagram_ops, struct dns_addr);

#define NQ 40

struct world {
	struct cl_sim sim;
	struct cl_sim_event ev[1024];
	struct cl_sim_link link;
	_Alignas(16) uint8_t pool[CL_SIM_LINK_MEM(256, 4096)];
	struct cl_sim_ep server, client;
	uint8_t scratch[DNS_SCRATCH_SIZE];
	struct dns_srv srv;
	struct plan pl;
	uint8_t qbuf[4096], rbuf[4096];
	uint16_t bufsize[NQ];
	bool edns[NQ];
	int got[NQ];
	int bad;
};

static void server_wake(void *ctx, struct cl_sim_ep *ep)
{
	(void)ep;
	struct world *w = ctx;
	int r = dns_udp_serve(&w->srv, &sim_udp_ops, &w->server, w->qbuf, sizeof w->qbuf, w->rbuf,
		sizeof w->rbuf, 8, cl_sim_now(&w->sim));
	if (r < 0)
		w->bad++;
}

static int scenario(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	memset(w, 0, sizeof *w);
	cl_sim_init(&w->sim, seed, w->ev, 1024);
	/* No corruption: a flipped TC bit or count would still parse, and the
	 * checks below could not tell it from a wrong answer. */
	struct cl_sim_link_cfg cfg = { .delay_ms = 2, .jitter_ms = 5, .drop = 0.1, .duplicate = 0.1 };
	CL_SIM_CHECK(cl_sim_link_init(&w->link, &w->sim, CL_SIM_DGRAM, &cfg, w->pool, sizeof w->pool,
		4096) == 0);
	struct cl_sim_addr sa = { 4, 53, { 192, 0, 2, 53 } }, ca = { 4, 40000, { 192, 0, 2, 1 } };
	CL_SIM_CHECK(cl_sim_link_attach(&w->link, &w->server, &sa) == 0);
	CL_SIM_CHECK(cl_sim_link_attach(&w->link, &w->client, &ca) == 0);
	cl_sim_ep_set_notify(&w->server, server_wake, w);
	/* Sixteen RRsets of two 200-octet TXT records: about 7 KB in all. */
	w->pl.nsets = 16;
	for (int i = 0; i < 16; i++)
		w->pl.sets[i] = (struct pset){ DNS_S_ANSWER, i & 1 ? "b.example." : "a.example.",
			DNS_T_TXT, 2, 200, NULL, 0 };
	dns_srv_init(&w->srv, plan_answer, &w->pl, w->scratch, sizeof w->scratch);
	w->srv.udp_max = (uint16_t)(512 + cl_rng_below(&w->sim.rng, 3585));
	for (int i = 0; i < NQ; i++) {
		w->edns[i] = cl_rng_below(&w->sim.rng, 3) != 0;
		w->bufsize[i] = (uint16_t)cl_rng_below(&w->sim.rng, 5000);
	}
	/* The client sends every unanswered query, waits 50 ms, repeats. */
	for (int round = 0; round < 30; round++) {
		int left = 0;
		for (int i = 0; i < NQ; i++) {
			if (w->got[i])
				continue;
			left++;
			uint8_t q[512];
			size_t ql = mkquery(q, sizeof q, (uint16_t)i, "www.example.", DNS_T_TXT, w->edns[i],
				w->bufsize[i]);
			struct cl_sim_addr to = sa;
			cl_sim_dgram_send(&w->client, q, ql, &to);
		}
		if (!left)
			break;
		cl_sim_run_until(&w->sim, cl_sim_now(&w->sim) + 50);
		uint8_t buf[8192];
		struct cl_sim_addr from;
		int n;
		while ((n = cl_sim_dgram_recv(&w->client, buf, sizeof buf, &from)) > 0) {
			struct dns_msg m;
			CL_SIM_CHECK(dns_msg_parse(&m, buf, (size_t)n) == 0 && m.hdr.id < NQ);
			int i = m.hdr.id;
			size_t limit = !w->edns[i] ? 512 : w->bufsize[i] < 512 ? 512 : w->bufsize[i];
			if (limit > w->srv.udp_max)
				limit = w->srv.udp_max;
			CL_SIM_CHECK((m.hdr.flags & DNS_F_QR) && m.edns.present == w->edns[i]);
			CL_SIM_CHECK((size_t)n <= limit);
			/* Whole RRsets: an even number of records, TC when cut. */
			CL_SIM_CHECK(m.hdr.count[DNS_S_ANSWER] % 2 == 0);
			CL_SIM_CHECK(!!(m.hdr.flags & DNS_F_TC) == (m.hdr.count[DNS_S_ANSWER] < 32));
			w->got[i]++;
		}
	}
	for (int i = 0; i < NQ; i++)
		CL_SIM_CHECK(w->got[i] > 0);
	CL_SIM_CHECK(w->bad == 0);
	CL_SIM_CHECK(w->link.stats.dropped + w->link.stats.duplicated > 0);
	return 0;
}

static struct world W;

static void test_sim_udp(void **st)
{
	(void)st;
	assert_int_equal(cl_sim_seeds("dns_udp_lossy", 1, 100, scenario, &W), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
