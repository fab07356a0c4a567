/* The secondary's state machine: first load, refresh, NOTIFY, IXFR and its
 * AXFR fallback, an unreachable primary until expire, stale serials,
 * serial wrap, and a primary that dies mid-transfer over the sim. */
#include "xfrsim.h"

#define ZMEM (1 << 16)
static uint8_t pm[3][ZMEM], cm[2][ZMEM], jm[1 << 17];
static struct dns_xset pv[3];   /* the primary's versions */
static struct dns_xset copy[2]; /* the secondary's copy and the one being received */
static int live;                /* which of copy[] is served */
static struct dns_journal j;
static struct dns_tsig_key key;
static uint8_t zone[DNS_NAME_MAX];
static uint64_t rs = 77;
static uint16_t ctab[256];

/* The primary's versions: serial s, s+1, s+2 (refresh 100 s, retry 10 s,
 * expire 60 s, so the timers are short). */
static void primary(uint32_t s)
{
	for (int i = 0; i < 3; i++) {
		dns_xset_init(&pv[i], pm[i], ZMEM);
		dns_xset_reset(&pv[i]);
		xu_add_soa(&pv[i], s + (uint32_t)i, 100, 10, 60);
		for (int h = 0; h < 30 + i; h++) {
			char o[32];
			snprintf(o, sizeof o, "h%d.example.test.", h);
			uint8_t a[4] = { 10, 0, (uint8_t)i, (uint8_t)h };
			xu_add(&pv[i], o, DNS_T_A, 60, h % 5 ? "\x0a\x00\x00\x01" : (const char *)a, 4);
		}
		assert_true(dns_xset_sort(&pv[i]) > 0);
	}
	dns_journal_init(&j, jm, sizeof jm, 8);
	for (int i = 0; i < 2; i++) {
		struct dns_xset_iter a, b;
		struct dns_rr_src sa, sb;
		dns_xset_src(&a, &pv[i], &sa);
		dns_xset_src(&b, &pv[i + 1], &sb);
		assert_true(dns_journal_add(&j, &sa, &sb, NULL) > 0);
	}
}

static int setup(void **st)
{
	(void)st;
	static const char t[] = "sec-key:hmac-sha256:c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldA==";
	if (dns_tsig_key_from_text(&key, t, strlen(t)))
		return -1;
	xu_name("example.test.", zone);
	for (int i = 0; i < 2; i++)
		dns_xset_init(&copy[i], cm[i], ZMEM);
	return 0;
}

/* The primary answers a SOA query with version v's SOA. */
static int soa_answer(const uint8_t *q, size_t n, int v, uint8_t *out, bool sign)
{
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, n), 0);
	struct dns_tsig t;
	if (sign)
		xu_expect(dns_tsig_server_verify(&t, &key, 1, &m, 1000), 0);
	else
		dns_tsig_client_init(&t, NULL, 0);
	struct dns_msgw w;
	dns_msgw_init(&w, out, 400, NULL, 0, m.hdr.id, DNS_F_QR | DNS_F_AA);
	dns_msgw_question(&w, m.q.name, m.q.type, m.q.qclass);
	struct dns_xrr soa;
	assert_int_equal(dns_xset_soa(&pv[v], &soa), 0);
	dns_msgw_rr(&w, DNS_S_ANSWER, soa.owner, DNS_T_SOA, DNS_C_IN, soa.ttl, soa.rdata, soa.rdlen);
	int k = dns_msgw_finish(&w);
	return dns_tsig_sign(&t, out, (size_t)k, 1024, 1000);
}

/* Runs a whole transfer in memory: the primary serves version v (IXFR
 * from the journal or AXFR) to the query in q; returns the rx result. */
static int transfer(struct dns_xfr_rx *rx, const uint8_t *q, size_t n, int v, bool sign)
{
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, n), 0);
	static struct dns_tsig t;
	if (sign)
		xu_expect(dns_tsig_server_verify(&t, &key, 1, &m, 1000), 0);
	else
		dns_tsig_client_init(&t, NULL, 0);
	struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &pv[v], &src);
	static struct dns_ixfr x;
	static struct dns_axfr ax;
	bool ixfr = m.q.type == DNS_T_IXFR;
	if (ixfr)
		xu_expect(dns_ixfr_init(&x, &m, v == 2 ? &j : NULL, &src, &t, 0, false), 0);
	else
		xu_expect(dns_axfr_init(&ax, &m, &src, &t, 0), 0);
	static uint8_t buf[65535];
	int k, r = DNS_EAGAIN;
	while ((k = ixfr ? dns_ixfr_next(&x, buf, sizeof buf, ctab, 256, 1000)
			 : dns_axfr_next(&ax, buf, sizeof buf, ctab, 256, 1000)) > 0)
		r = dns_xfr_rx_input(rx, buf, (size_t)k, 1000);
	return r == DNS_EAGAIN ? dns_xfr_rx_end(rx) : r;
}

/* The secondary asks for a transfer and gets version v. */
static int fetch(struct dns_sec *s, int v, uint64_t now, bool sign, uint16_t *qtype)
{
	uint8_t q[1024];
	static struct dns_xfr_rx rx;
	int n = dns_sec_xfr_begin(s, &rx, dns_sec_has_zone(s) ? &copy[live] : NULL, &copy[1 - live], q,
		sizeof q, now, 1000);
	assert_true(n > 0);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, (size_t)n), 0);
	*qtype = m.q.type;
	int r = transfer(&rx, q, (size_t)n, v, sign);
	struct dns_xrr soa;
	if (r == DNS_XFR_NEW) {
		live = 1 - live;
		assert_int_equal(dns_xset_soa(&copy[live], &soa), 0);
	}
	dns_sec_xfr_done(s, r, r == DNS_XFR_NEW ? &soa : NULL, now);
	return r;
}

/* One SOA check answered with version v. */
static int check(struct dns_sec *s, int v, uint64_t now, bool sign)
{
	uint8_t q[512], a[1024];
	assert_int_equal(dns_sec_poll(s, now), DNS_SEC_QUERY_SOA);
	int n = dns_sec_soa_query(s, q, sizeof q, now, 1000);
	assert_true(n > 0);
	int k = soa_answer(q, (size_t)n, v, a, sign);
	return dns_sec_soa_input(s, a, (size_t)k, now, 1000);
}

static void test_timeline(void **st)
{
	(void)st;
	primary(2024010100);
	struct dns_sec s;
	uint16_t qt;
	live = 0;
	dns_sec_init(&s, zone, &key, xu_random, &rs, 2000, 1000, 0);
	assert_false(dns_sec_has_zone(&s));
	assert_false(dns_sec_expired(&s, 0));
	assert_int_equal(dns_sec_next_deadline(&s), 0);
	/* First load: straight to AXFR. */
	assert_int_equal(dns_sec_poll(&s, 0), DNS_SEC_TRANSFER);
	xu_expect(fetch(&s, 0, 0, true, &qt), DNS_XFR_NEW);
	assert_int_equal(qt, DNS_T_AXFR);
	assert_true(xu_same(&copy[live], &pv[0]));
	assert_int_equal(dns_sec_serial(&s), 2024010100);
	assert_int_equal(dns_sec_next_deadline(&s), 60000); /* expire before refresh */
	assert_int_equal(dns_sec_poll(&s, 59999), DNS_SEC_IDLE);
	/* Refresh at 100 s... but expire (60 s) came first: expired. */
	assert_true(dns_sec_expired(&s, 60000));
	/* A check at 70 s (as if refresh were due) confirms and revives it. */
	s.priv.refresh_at = 70000;
	xu_expect(check(&s, 0, 70000, true), 0);
	assert_false(dns_sec_expired(&s, 70000));
	assert_int_equal(dns_sec_next_deadline(&s), 130000);
	/* NOTIFY of version 1: check now, newer, IXFR. */
	uint8_t nb[512], resp[512];
	size_t rl;
	struct dns_notify_tx tx;
	dns_notify_tx_init(&tx, zone, NULL, &key, xu_random, &rs, 100, 3, 80000);
	int n = dns_notify_tx_poll(&tx, 80000, 1000, nb, sizeof nb);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, nb, (size_t)n), 0);
	xu_expect(dns_sec_notify(&s, &m, 80000, 1000, resp, sizeof resp, &rl), 0);
	xu_expect(dns_notify_tx_input(&tx, resp, rl, 1000), 0);
	xu_expect(check(&s, 1, 80000, true), DNS_SEC_TRANSFER);
	assert_int_equal(dns_sec_poll(&s, 80000), DNS_SEC_TRANSFER);
	xu_expect(fetch(&s, 1, 80000, true, &qt), DNS_XFR_NEW);
	assert_int_equal(qt, DNS_T_IXFR);
	assert_true(xu_same(&copy[live], &pv[1]));
	/* The primary cannot do IXFR from 1 (no journal for v1): AXFR form. */
	xu_expect(check(&s, 2, 180000, true), DNS_SEC_TRANSFER);
	xu_expect(fetch(&s, 2, 180000, true, &qt), DNS_XFR_NEW);
	assert_int_equal(qt, DNS_T_IXFR);
	assert_true(xu_same(&copy[live], &pv[2]));
	assert_int_equal(dns_sec_serial(&s), 2024010102);
	/* A stale primary (restored from backup): no transfer, copy kept. */
	xu_expect(check(&s, 0, 280000, true), DNS_ESERIAL);
	assert_int_equal(dns_sec_poll(&s, 280000), DNS_SEC_IDLE);
	assert_int_equal(dns_sec_serial(&s), 2024010102);
	assert_int_equal(dns_sec_last_error(&s), 0);
}

static void test_unreachable(void **st)
{
	(void)st;
	primary(7);
	struct dns_sec s;
	uint16_t qt;
	live = 0;
	dns_sec_init(&s, zone, NULL, xu_random, &rs, 2000, 1000, 0);
	/* No copy, primary down: AXFR retried with backoff 1, 2, 4... s. */
	uint64_t now = 0, waits[] = { 1000, 2000, 4000, 8000 };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(dns_sec_poll(&s, now), DNS_SEC_TRANSFER);
		uint8_t q[512];
		struct dns_xfr_rx rx;
		assert_true(dns_sec_xfr_begin(&s, &rx, NULL, &copy[1], q, sizeof q, now, 0) > 0);
		dns_sec_xfr_done(&s, DNS_EEOF, NULL, now);
		xu_expect(dns_sec_last_error(&s), DNS_EEOF);
		assert_int_equal(dns_sec_next_deadline(&s), now + waits[i]);
		assert_int_equal(dns_sec_poll(&s, now + waits[i] - 1), DNS_SEC_IDLE);
		now += waits[i];
	}
	assert_false(dns_sec_has_zone(&s));
	xu_expect(fetch(&s, 0, now, false, &qt), DNS_XFR_NEW);
	/* Then SOA queries go unanswered: retry every 10 s, expired at 60 s. */
	uint64_t t0 = now;
	now += 100000 - 60000; /* refresh comes after expire here: move it */
	s.priv.refresh_at = t0 + 1000;
	now = t0 + 1000;
	int queries = 0;
	while (!dns_sec_expired(&s, now)) {
		int a = dns_sec_poll(&s, now);
		if (a == DNS_SEC_QUERY_SOA) {
			uint8_t q[512];
			assert_true(dns_sec_soa_query(&s, q, sizeof q, now, 0) > 0);
			queries++;
		}
		uint64_t d = dns_sec_next_deadline(&s);
		assert_true(d > now);
		now = d;
		dns_sec_poll(&s, now);
	}
	assert_int_equal(now, t0 + 60000);
	assert_true(queries >= 4);
	xu_expect(dns_sec_last_error(&s), DNS_ETIMEDOUT);
	/* Expired copies stay expired until a check succeeds. */
	assert_true(dns_sec_expired(&s, now + 5000));
	assert_true(dns_sec_has_zone(&s));
	/* A forged answer (wrong id) does not count, a true one does. */
	while (dns_sec_poll(&s, now) != DNS_SEC_QUERY_SOA)
		now = dns_sec_next_deadline(&s);
	uint8_t q[512], a[1024];
	int n = dns_sec_soa_query(&s, q, sizeof q, now, 1000);
	int k = soa_answer(q, (size_t)n, 0, a, false);
	a[1] ^= 1;
	xu_expect(dns_sec_soa_input(&s, a, (size_t)k, now, 1000), DNS_EXFR_MISMATCH);
	a[1] ^= 1;
	xu_expect(dns_sec_soa_input(&s, a, (size_t)k, now, 1000), 0);
	assert_false(dns_sec_expired(&s, now));
	/* An error answer counts as a failure. */
	n = dns_sec_soa_query(&s, q, sizeof q, now, 1000);
	k = soa_answer(q, (size_t)n, 0, a, false);
	a[3] |= DNS_RC_SERVFAIL;
	xu_expect(dns_sec_soa_input(&s, a, (size_t)k, now, 1000), DNS_EXFR_RCODE);
	assert_int_equal(dns_sec_next_deadline(&s), now + 10000);
}

static void test_wrap_and_fallback(void **st)
{
	(void)st;
	/* Versions 0xffffffff, 0, 1: each newer than the last. */
	primary(0xffffffffu);
	struct dns_sec s;
	uint16_t qt;
	live = 0;
	dns_sec_init(&s, zone, NULL, xu_random, &rs, 2000, 1000, 0);
	xu_expect(fetch(&s, 0, 0, false, &qt), DNS_XFR_NEW);
	s.priv.refresh_at = 0;
	xu_expect(check(&s, 1, 0, false), DNS_SEC_TRANSFER);
	xu_expect(fetch(&s, 1, 0, false, &qt), DNS_XFR_NEW);
	assert_int_equal(dns_sec_serial(&s), 0);
	/* IXFR from 0 to 2 is served from the journal. */
	s.priv.refresh_at = 0;
	xu_expect(check(&s, 2, 0, false), DNS_SEC_TRANSFER);
	/* ...but our copy is not what the primary had at 0: the deletions do
	 * not apply. The copy stays, and AXFR follows at once. */
	dns_xset_reset(&copy[live]);
	xu_add_soa(&copy[live], 0, 100, 10, 60);
	xu_add(&copy[live], "other.example.test.", DNS_T_A, 60, "abcd", 4);
	dns_xset_sort(&copy[live]);
	size_t used = dns_xset_used(&copy[live]);
	xu_expect(fetch(&s, 2, 0, false, &qt), DNS_EXFR_DELETE);
	assert_int_equal(qt, DNS_T_IXFR);
	assert_int_equal(dns_xset_used(&copy[live]), used);
	assert_int_equal(dns_sec_poll(&s, 0), DNS_SEC_TRANSFER);
	xu_expect(fetch(&s, 2, 0, false, &qt), DNS_XFR_NEW);
	assert_int_equal(qt, DNS_T_AXFR);
	assert_true(xu_same(&copy[live], &pv[2]));
	assert_int_equal(dns_sec_serial(&s), 1);
	/* The next one is IXFR again. */
	s.priv.refresh_at = 0;
	xu_expect(check(&s, 2, 0, false), 0);
}

static void test_notify_rules(void **st)
{
	(void)st;
	primary(1);
	struct dns_sec s;
	dns_sec_init(&s, zone, &key, xu_random, &rs, 2000, 1000, 0);
	struct dns_xrr soa;
	assert_int_equal(dns_xset_soa(&pv[0], &soa), 0);
	dns_sec_loaded(&s, &soa, 0);
	s.priv.refresh_at = 50000;
	uint8_t b[512], r[512];
	size_t rl;
	struct dns_msg m, a;
	/* Unsigned, while a key is set: REFUSED, no refresh. */
	int n = dns_notify_build(b, sizeof b, 5, zone, NULL);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_sec_notify(&s, &m, 10, 1000, r, sizeof r, &rl), DNS_ETSIG_NONE);
	xu_expect(dns_msg_parse(&a, r, rl), 0);
	assert_int_equal(dns_msg_rcode(&a), DNS_RC_REFUSED);
	assert_int_equal(dns_sec_next_deadline(&s), 50000);
	/* Signed with an unknown key: BADKEY, NOTAUTH, a TSIG with error 17. */
	struct dns_tsig_key other = key;
	xu_name("other-key.", other.name);
	struct dns_tsig t;
	dns_tsig_client_init(&t, &other, 0);
	n = dns_notify_build(b, sizeof b - 200, 6, zone, NULL);
	n = dns_tsig_sign(&t, b, (size_t)n, sizeof b, 1000);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_sec_notify(&s, &m, 10, 1000, r, sizeof r, &rl), DNS_ETSIG_BADKEY);
	xu_expect(dns_msg_parse(&a, r, rl), 0);
	assert_int_equal(dns_msg_rcode(&a), DNS_RC_NOTAUTH);
	struct dns_tsig_rr tr;
	xu_expect(dns_tsig_rr_parse(&a, &tr), 0);
	assert_int_equal(tr.error, DNS_TSIG_BADKEY);
	/* Old: BADTIME. */
	dns_tsig_client_init(&t, &key, 0);
	n = dns_notify_build(b, sizeof b - 200, 7, zone, NULL);
	n = dns_tsig_sign(&t, b, (size_t)n, sizeof b, 100);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_sec_notify(&s, &m, 10, 1000, r, sizeof r, &rl), DNS_ETSIG_BADTIME);
	assert_int_equal(dns_sec_next_deadline(&s), 50000);
	/* Another zone: NOTAUTH. */
	uint8_t oz[DNS_NAME_MAX];
	n = dns_notify_build(b, sizeof b, 8, xu_name("other.test.", oz), NULL);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_sec_notify(&s, &m, 10, 1000, r, sizeof r, &rl), DNS_ENOTIFY);
	xu_expect(dns_msg_parse(&a, r, rl), 0);
	assert_int_equal(dns_msg_rcode(&a), DNS_RC_NOTAUTH);
	/* Signed with our key: accepted, the answer is signed, refresh now. */
	dns_tsig_client_init(&t, &key, 0);
	n = dns_notify_build(b, sizeof b - 200, 9, zone, NULL);
	n = dns_tsig_sign(&t, b, (size_t)n, sizeof b, 1000);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_sec_notify(&s, &m, 10, 1000, r, sizeof r, &rl), 0);
	xu_expect(dns_msg_parse(&a, r, rl), 0);
	xu_expect(dns_tsig_client_verify(&t, &a, 1000), 0);
	assert_int_equal(dns_sec_next_deadline(&s), 10);
	/* A NOTIFY during a check: another check right after it. */
	assert_int_equal(dns_sec_poll(&s, 10), DNS_SEC_QUERY_SOA);
	uint8_t q[512], ans[1024];
	int qn = dns_sec_soa_query(&s, q, sizeof q, 10, 1000);
	dns_tsig_client_init(&t, &key, 0);
	n = dns_notify_build(b, sizeof b - 200, 10, zone, NULL);
	n = dns_tsig_sign(&t, b, (size_t)n, sizeof b, 1000);
	xu_expect(dns_msg_parse(&m, b, (size_t)n), 0);
	xu_expect(dns_sec_notify(&s, &m, 11, 1000, r, sizeof r, &rl), 0);
	int k = soa_answer(q, (size_t)qn, 0, ans, true);
	xu_expect(dns_sec_soa_input(&s, ans, (size_t)k, 12, 1000), 0);
	assert_int_equal(dns_sec_poll(&s, 12), DNS_SEC_QUERY_SOA);
}

/* ---- The whole thing over the sim: the primary dies in mid-transfer. */

struct sys {
	struct xs_world w;
	struct dns_sec s;
	struct dns_xfr_rx rx;
	struct dns_tsig t;
	struct dns_ixfr x;
	struct dns_axfr ax;
	bool ixfr;
	int v;
};
static struct sys sys;

static int sys_gen(void *ctx, uint8_t *buf, size_t cap)
{
	struct sys *y = ctx;
	return y->ixfr ? dns_ixfr_next(&y->x, buf, cap, ctab, 256, 1000)
		       : dns_axfr_next(&y->ax, buf, cap, ctab, 256, 1000);
}
static int sys_take(void *ctx, const uint8_t *msg, size_t len)
{
	return dns_xfr_rx_input(&((struct sys *)ctx)->rx, msg, len, 1000);
}
static int sys_end(void *ctx)
{
	return dns_xfr_rx_end(&((struct sys *)ctx)->rx);
}

/* A transfer of version v over the sim with cut (0: none). */
static int sys_fetch(struct sys *y, uint64_t now, uint64_t seed, uint64_t cut)
{
	uint8_t q[1024];
	int n = dns_sec_xfr_begin(&y->s, &y->rx, dns_sec_has_zone(&y->s) ? &copy[live] : NULL,
		&copy[1 - live], q, sizeof q, now, 1000);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, (size_t)n), 0);
	xu_expect(dns_tsig_server_verify(&y->t, &key, 1, &m, 1000), 0);
	struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &pv[y->v], &src);
	y->ixfr = m.q.type == DNS_T_IXFR;
	if (y->ixfr)
		xu_expect(dns_ixfr_init(&y->x, &m, y->v == 2 ? &j : NULL, &src, &y->t, 400, false), 0);
	else
		xu_expect(dns_axfr_init(&y->ax, &m, &src, &y->t, 400), 0);
	struct cl_sim_stream_cfg cfg = { .short_read = 0.4, .short_write = 0.4, .latency_ms = 1 };
	if (cut) {
		cfg.cut[1].kind = seed % 2 ? CL_SIM_CUT_RESET : CL_SIM_CUT_EOF;
		cfg.cut[1].at = cut;
	}
	static const struct xs_peers p = { sys_gen, &sys, sys_take, sys_end, &sys };
	int r = xs_run(&y->w, seed, &cfg, &p);
	struct dns_xrr soa;
	if (r == DNS_XFR_NEW) {
		live = 1 - live;
		assert_int_equal(dns_xset_soa(&copy[live], &soa), 0);
	}
	dns_sec_xfr_done(&y->s, r, r == DNS_XFR_NEW ? &soa : NULL, now);
	return r;
}

static void test_primary_dies(void **st)
{
	(void)st;
	primary(500);
	struct sys *y = &sys;
	live = 0;
	dns_sec_init(&y->s, zone, &key, xu_random, &rs, 2000, 1000, 0);
	y->v = 0;
	xu_expect(sys_fetch(y, 0, 1, 0), DNS_XFR_NEW);
	uint64_t total_axfr = y->w.sent_total;
	/* Version 2 appears; every cut of the IXFR (and of the AXFR a failed
	 * IXFR falls back to) leaves version 0 served, unexpired. */
	y->v = 2;
	struct dns_xset_iter it;
	struct dns_rr_src src;
	(void)it;
	(void)src;
	y->s.priv.refresh_at = 0;
	xu_expect(check(&y->s, 2, 0, true), DNS_SEC_TRANSFER);
	xu_expect(sys_fetch(y, 0, 2, 0), DNS_XFR_NEW);
	uint64_t total_ixfr = y->w.sent_total;
	assert_true(total_ixfr < total_axfr);
	assert_true(xu_same(&copy[live], &pv[2]));
	/* Back to version 0 and try again with cuts. */
	for (uint64_t at = 1; at < total_ixfr; at += 3) {
		live = 0;
		y->v = 0;
		dns_sec_init(&y->s, zone, &key, xu_random, &rs, 2000, 1000, 0);
		xu_expect(sys_fetch(y, 0, at, 0), DNS_XFR_NEW);
		static uint8_t before[ZMEM];
		memcpy(before, cm[live], ZMEM);
		y->v = 2;
		y->s.priv.refresh_at = 1000;
		xu_expect(check(&y->s, 2, 1000, true), DNS_SEC_TRANSFER);
		int r = sys_fetch(y, 1000, at, at);
		if (r == DNS_XFR_NEW)
			fail_msg("cut at %llu applied", (unsigned long long)at);
		assert_memory_equal(before, cm[live], ZMEM);
		assert_int_equal(dns_sec_serial(&y->s), 500);
		assert_false(dns_sec_expired(&y->s, 1000));
		/* Then the primary is back: the next attempt succeeds. */
		uint64_t now = 1000;
		int a;
		while ((a = dns_sec_poll(&y->s, now)) == DNS_SEC_IDLE)
			now = dns_sec_next_deadline(&y->s);
		if (a == DNS_SEC_QUERY_SOA)
			xu_expect(check(&y->s, 2, now, true), DNS_SEC_TRANSFER);
		xu_expect(sys_fetch(y, now, at + 1, 0), DNS_XFR_NEW);
		assert_true(xu_same(&copy[live], &pv[2]));
		assert_int_equal(dns_sec_serial(&y->s), 502);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_wrap_and_fallback),
		cmocka_unit_test(test_notify_rules),
		cmocka_unit_test(test_primary_dies),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
