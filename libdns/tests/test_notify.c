/* NOTIFY (RFC 1996): messages, the sender's retries and backoff, TSIG, and
 * a NOTIFY crossing a lossy sim link until it is acknowledged. */
#include "xfrsim.h"

static struct dns_tsig_key key;
static uint8_t zone[DNS_NAME_MAX];
static uint8_t soa_rd[DNS_SOA_RDATA_MAX];
static struct dns_xrr soa;

static int setup(void **st)
{
	(void)st;
	static const char t[] = "notify-key:hmac-sha512:c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldA==";
	if (dns_tsig_key_from_text(&key, t, strlen(t)))
		return -1;
	xu_name("example.test.", zone);
	soa.owner = zone;
	soa.type = DNS_T_SOA;
	soa.rclass = DNS_C_IN;
	soa.ttl = 3600;
	soa.rdlen = (uint16_t)xu_soa_rdata(soa_rd, 42, 3600, 600, 86400);
	soa.rdata = soa_rd;
	return 0;
}

static void test_messages(void **st)
{
	(void)st;
	uint8_t b[512], r[512];
	int n = dns_notify_build(b, sizeof b, 77, zone, &soa);
	assert_true(n > 0);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, xu_guard(b, (size_t)n), (size_t)n), 0);
	assert_int_equal(DNS_OPCODE(m.hdr.flags), DNS_OP_NOTIFY);
	assert_true(m.hdr.flags & DNS_F_AA);
	assert_false(m.hdr.flags & DNS_F_QR);
	struct dns_notify nt;
	xu_expect(dns_notify_parse(&m, &nt), 0);
	assert_true(dns_name_equal(nt.zone, zone));
	assert_true(nt.have_serial);
	assert_int_equal(nt.serial, 42);
	/* Without the SOA hint. */
	n = dns_notify_build(b, sizeof b, 78, zone, NULL);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_notify_parse(&m, &nt), 0);
	assert_false(nt.have_serial);
	/* The answer echoes id, opcode and question. */
	int k = dns_notify_answer(&m, r, sizeof r, DNS_RC_NOERROR);
	struct dns_msg a;
	xu_expect(dns_msg_parse(&a, r, (size_t)k), 0);
	assert_int_equal(a.hdr.id, 78);
	assert_true(a.hdr.flags & DNS_F_QR);
	assert_int_equal(DNS_OPCODE(a.hdr.flags), DNS_OP_NOTIFY);
	assert_true(dns_name_equal(a.q.name, zone));
	/* Not NOTIFYs: a response, another opcode, another qtype. */
	xu_expect(dns_notify_parse(&a, &nt), DNS_ENOTIFY);
	b[2] = 0;
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_notify_parse(&m, &nt), DNS_ENOTIFY);
	n = dns_notify_build(b, sizeof b, 78, zone, NULL);
	b[n - 3] = DNS_T_A;
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_notify_parse(&m, &nt), DNS_ENOTIFY);
	/* No room. */
	xu_expect(dns_notify_build(b, 20, 1, zone, &soa), DNS_ENOMEM);
}

/* A secondary's answer to a datagram (signed with k when k). */
static int answer(const uint8_t *q, size_t n, const struct dns_tsig_key *k, uint16_t rcode, uint8_t *out)
{
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, n), 0);
	struct dns_tsig t;
	if (k)
		xu_expect(dns_tsig_server_verify(&t, k, 1, &m, 1000), 0);
	else
		dns_tsig_client_init(&t, NULL, 0); /* inert: signs nothing */
	int len = dns_notify_answer(&m, out, 512 - 200, rcode);
	return dns_tsig_sign(&t, out, (size_t)len, 512, 1000);
}

static void test_tx_backoff(void **st)
{
	(void)st;
	uint64_t rs = 5;
	struct dns_notify_tx t;
	uint8_t b[512], a[512];
	dns_notify_tx_init(&t, zone, &soa, NULL, xu_random, &rs, 1000, 4, 100);
	assert_int_equal(dns_notify_tx_next_deadline(&t), 100);
	xu_expect(dns_notify_tx_poll(&t, 99, 1000, b, sizeof b), 0);
	/* Tries at 100, 1100, 3100, 7100 (1 s doubling), then give up at 15100. */
	uint64_t at[] = { 100, 1100, 3100, 7100 };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(dns_notify_tx_next_deadline(&t), at[i]);
		xu_expect(dns_notify_tx_poll(&t, at[i] - 1, 1000, b, sizeof b), 0);
		assert_true(dns_notify_tx_poll(&t, at[i], 1000, b, sizeof b) > 0);
		xu_expect(dns_notify_tx_poll(&t, at[i], 1000, b, sizeof b), 0);
	}
	assert_int_equal(dns_notify_tx_next_deadline(&t), 15100);
	xu_expect(dns_notify_tx_poll(&t, 15100, 1000, b, sizeof b), DNS_ETIMEDOUT);
	xu_expect(dns_notify_tx_poll(&t, 99999, 1000, b, sizeof b), 0);
	assert_int_equal(dns_notify_tx_state(&t), DNS_ETIMEDOUT);
	assert_int_equal(dns_notify_tx_next_deadline(&t), UINT64_MAX);

	/* Acknowledged on the second try; an answer to the first is stale. */
	dns_notify_tx_init(&t, zone, &soa, NULL, xu_random, &rs, 1000, 4, 0);
	int n1 = dns_notify_tx_poll(&t, 0, 1000, b, sizeof b);
	int k1 = answer(b, (size_t)n1, NULL, DNS_RC_NOERROR, a);
	uint8_t a1[512];
	memcpy(a1, a, (size_t)k1);
	int n2 = dns_notify_tx_poll(&t, 1000, 1000, b, sizeof b);
	assert_true(n2 > 0);
	xu_expect(dns_notify_tx_input(&t, a1, (size_t)k1, 1000), DNS_EXFR_MISMATCH);
	xu_expect(dns_notify_tx_input(&t, b, (size_t)n2, 1000), DNS_EXFR_MISMATCH); /* not a response */
	int k2 = answer(b, (size_t)n2, NULL, DNS_RC_NOERROR, a);
	xu_expect(dns_notify_tx_input(&t, a, (size_t)k2, 1000), 0);
	assert_int_equal(dns_notify_tx_state(&t), DNS_NOTIFY_ACKED);
	assert_int_equal(dns_notify_tx_next_deadline(&t), UINT64_MAX);
	xu_expect(dns_notify_tx_poll(&t, 5000, 1000, b, sizeof b), 0);
	/* An error answer ends it. */
	dns_notify_tx_init(&t, zone, &soa, NULL, xu_random, &rs, 1000, 4, 0);
	n1 = dns_notify_tx_poll(&t, 0, 1000, b, sizeof b);
	k1 = answer(b, (size_t)n1, NULL, DNS_RC_NOTAUTH, a);
	xu_expect(dns_notify_tx_input(&t, a, (size_t)k1, 1000), DNS_EXFR_RCODE);
	assert_int_equal(dns_notify_tx_state(&t), DNS_EXFR_RCODE);
}

static void test_tx_tsig(void **st)
{
	(void)st;
	uint64_t rs = 9;
	struct dns_notify_tx t;
	uint8_t b[512], a[512];
	dns_notify_tx_init(&t, zone, &soa, &key, xu_random, &rs, 500, 3, 0);
	int n = dns_notify_tx_poll(&t, 0, 1000, b, sizeof b);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	assert_true(m.tsig_off > 0);
	/* An unsigned answer, or one signed with another key, is ignored. */
	int k = answer(b, (size_t)n, NULL, DNS_RC_NOERROR, a);
	xu_expect(dns_notify_tx_input(&t, a, (size_t)k, 1000), DNS_ETSIG_NONE);
	struct dns_tsig_key other = key;
	other.secret[0] ^= 1;
	struct dns_tsig ts;
	xu_expect(dns_tsig_server_verify(&ts, &other, 1, &m, 1000), DNS_ETSIG_BADSIG);
	ts.priv.error = 0; /* sign it anyway, as a forger with the wrong secret would */
	ts.priv.nsigned = 1;
	k = dns_notify_answer(&m, a, 300, DNS_RC_NOERROR);
	k = dns_tsig_sign(&ts, a, (size_t)k, sizeof a, 1000);
	xu_expect(dns_notify_tx_input(&t, a, (size_t)k, 1000), DNS_ETSIG_BADSIG);
	assert_int_equal(dns_notify_tx_state(&t), DNS_NOTIFY_PENDING);
	k = answer(b, (size_t)n, &key, DNS_RC_NOERROR, a);
	xu_expect(dns_notify_tx_input(&t, a, (size_t)k, 1000), 0);
	/* The secondary does not know our key: it says BADKEY, we stop. */
	dns_notify_tx_init(&t, zone, &soa, &key, xu_random, &rs, 500, 3, 0);
	n = dns_notify_tx_poll(&t, 0, 1000, b, sizeof b);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_tsig_server_verify(&ts, NULL, 0, &m, 1000), DNS_ETSIG_BADKEY);
	k = dns_notify_answer(&m, a, 300, DNS_RC_NOTAUTH);
	k = dns_tsig_sign(&ts, a, (size_t)k, sizeof a, 1000);
	xu_expect(dns_notify_tx_input(&t, a, (size_t)k, 1000), DNS_ETSIG_REJECTED);
	assert_int_equal(dns_notify_tx_state(&t), DNS_ETSIG_REJECTED);
}

/* ---- Over a lossy link: the primary's sender and the secondary's zone. */

struct net {
	struct cl_sim sim;
	struct cl_sim_event ev[256];
	struct cl_sim_link link;
	_Alignas(16) uint8_t pool[CL_SIM_LINK_MEM(64, 1024)];
	struct cl_sim_ep prim, sec;
	unsigned long notifies, runs; /* over all seeds: retries did happen */
};
static struct net net;

static int lossy(uint64_t seed, void *ctx)
{
	struct net *w = ctx;
	struct cl_sim_link_cfg cfg = { .delay_ms = 20, .jitter_ms = 30, .drop = 0.3, .duplicate = 0.1 };
	cl_sim_init(&w->sim, seed, w->ev, 256);
	CL_SIM_CHECK(cl_sim_link_init(&w->link, &w->sim, CL_SIM_DGRAM, &cfg, w->pool, sizeof w->pool, 1024) == 0);
	struct cl_sim_addr pa = { 4, 53, { 10, 0, 0, 1 } }, sa = { 4, 53, { 10, 0, 0, 2 } };
	CL_SIM_CHECK(cl_sim_link_attach(&w->link, &w->prim, &pa) == 0);
	CL_SIM_CHECK(cl_sim_link_attach(&w->link, &w->sec, &sa) == 0);
	struct dns_notify_tx t;
	struct dns_sec s;
	dns_notify_tx_init(&t, zone, &soa, &key, cl_rng_fill, &w->sim.rng, 200, 16, 0);
	dns_sec_init(&s, zone, &key, cl_rng_fill, &w->sim.rng, 1000, 0, 0);
	dns_sec_loaded(&s, &soa, 0);
	/* The secondary has just checked: its refresh is an hour away. */
	CL_SIM_CHECK(dns_sec_poll(&s, 0) == DNS_SEC_QUERY_SOA);
	uint8_t b[1024];
	CL_SIM_CHECK(dns_sec_soa_query(&s, b, sizeof b, 0, 1000) > 0);
	s.priv.state = 0;
	s.priv.refresh_at = 3600000;
	unsigned notifies = 0, refreshes = 0;
	while (dns_notify_tx_state(&t) == DNS_NOTIFY_PENDING) {
		uint64_t now = cl_sim_now(&w->sim);
		int n = dns_notify_tx_poll(&t, now, 1000, b, sizeof b);
		if (n > 0) {
			notifies++;
			cl_sim_dgram_send(&w->prim, b, (size_t)n, &sa);
		}
		struct cl_sim_addr from;
		while ((n = cl_sim_dgram_recv(&w->sec, b, sizeof b, &from)) > 0) {
			struct dns_msg m;
			CL_SIM_CHECK(dns_msg_parse(&m, b, (size_t)n) == 0);
			uint8_t r[512];
			size_t rl;
			CL_SIM_CHECK(dns_sec_notify(&s, &m, now, 1000, r, sizeof r, &rl) == 0);
			CL_SIM_CHECK(rl > 0);
			cl_sim_dgram_send(&w->sec, r, rl, &from);
			if (dns_sec_poll(&s, now) == DNS_SEC_QUERY_SOA)
				refreshes++;
		}
		while ((n = cl_sim_dgram_recv(&w->prim, b, sizeof b, &from)) > 0) {
			int r = dns_notify_tx_input(&t, b, (size_t)n, 1000);
			/* Duplicates and answers to earlier tries are stale. */
			CL_SIM_CHECK(r == 0 || r == DNS_EXFR_MISMATCH);
		}
		uint64_t next = dns_notify_tx_next_deadline(&t);
		if (cl_sim_next(&w->sim) <= next) {
			if (cl_sim_step(&w->sim) != 1)
				break;
		} else if (next != UINT64_MAX) {
			cl_sim_run_until(&w->sim, next);
		}
	}
	CL_SIM_CHECK(dns_notify_tx_state(&t) == DNS_NOTIFY_ACKED);
	CL_SIM_CHECK(refreshes >= 1);
	/* The NOTIFY made the refresh due now, not in an hour. */
	CL_SIM_CHECK(dns_sec_next_deadline(&s) < 3600000);
	w->notifies += notifies;
	w->runs++;
	return notifies == 0;
}

static void test_lossy_link(void **st)
{
	(void)st;
	assert_int_equal(cl_sim_seeds("notify_lossy", 1, 200, lossy, &net), 0);
	assert_true(net.notifies > net.runs * 3 / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_tx_backoff),
		cmocka_unit_test(test_tx_tsig),
		cmocka_unit_test(test_lossy_link),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
