/* The IXFR journal, IXFR responses (condensed, AXFR fallback, one SOA, UDP)
 * and their application by the secondary, whole or not at all. */
#include "xfrsim.h"

#define NV 6
#define ZMEM (1 << 16)
static uint8_t vmem[NV][ZMEM], jmem[1 << 18], outmem[ZMEM];
static struct dns_xset v[NV], out;
static struct dns_journal j;

/* Version i: serial base+i; each changes some addresses, grows, and gives
 * ns.example.test a new TTL in version 3. */
static void versions(uint32_t base)
{
	for (int i = 0; i < NV; i++) {
		dns_xset_init(&v[i], vmem[i], ZMEM);
		xu_zone(&v[i], base + (uint32_t)i, 40 + (unsigned)i, 3, (unsigned)i);
		if (i >= 3) {
			xu_add(&v[i], "ns.example.test.", DNS_T_A, 77, "\xc0\x00\x02\x01", 4);
			assert_true(dns_xset_sort(&v[i]) > 0);
		}
	}
}

static int journal_add(int a, int b)
{
	struct dns_xset_iter ia, ib;
	struct dns_rr_src sa, sb;
	dns_xset_src(&ia, &v[a], &sa);
	dns_xset_src(&ib, &v[b], &sb);
	size_t need;
	return dns_journal_add(&j, &sa, &sb, &need);
}

static void test_journal(void **st)
{
	(void)st;
	versions(100);
	dns_journal_init(&j, jmem, sizeof jmem, 3);
	assert_int_equal(dns_journal_count(&j), 0);
	assert_false(dns_journal_has(&j, 100));
	/* v0 -> v1: six addresses change (h0, h7, ... h35: a deletion and an
	 * addition each), h40 is new (A and TXT). */
	xu_expect(journal_add(0, 1), 14);
	assert_true(dns_journal_has(&j, 100));
	assert_int_equal(dns_journal_last(&j), 101);
	xu_expect(journal_add(1, 2), 14);
	/* v2 -> v3: the TTL change is a deletion and an addition. */
	xu_expect(journal_add(2, 3), 16);
	assert_int_equal(dns_journal_count(&j), 3);
	xu_expect(journal_add(3, 4), 16); /* h42 changes too */
	assert_int_equal(dns_journal_count(&j), 3); /* max 3: v0 -> v1 dropped */
	assert_false(dns_journal_has(&j, 100));
	assert_true(dns_journal_has(&j, 101));
	assert_int_equal(dns_journal_last(&j), 104);
	/* A copy for the next zone set, with less room for history. */
	static uint8_t cm[1 << 18];
	struct dns_journal c;
	dns_journal_init(&c, cm, sizeof cm, 2);
	xu_expect(dns_journal_copy(&c, &j), 0);
	assert_int_equal(dns_journal_count(&c), 2);
	assert_false(dns_journal_has(&c, 101));
	assert_true(dns_journal_has(&c, 102));
	assert_int_equal(dns_journal_last(&c), 104);
	dns_journal_init(&c, cm, 100, 8);
	xu_expect(dns_journal_copy(&c, &j), DNS_ENOMEM);
	assert_int_equal(dns_journal_count(&c), 0);
	/* Not newer: refused, nothing changes. */
	xu_expect(journal_add(4, 4), DNS_ESERIAL);
	xu_expect(journal_add(4, 2), DNS_ESERIAL);
	assert_int_equal(dns_journal_count(&j), 3);
	/* A set that does not follow the newest delta starts afresh. */
	xu_expect(journal_add(0, 2), 16);
	assert_int_equal(dns_journal_count(&j), 1);
	assert_true(dns_journal_has(&j, 100));
	assert_int_equal(dns_journal_last(&j), 102);
	/* A small arena keeps what fits. */
	static uint8_t small[1200];
	dns_journal_init(&j, small, sizeof small, 10);
	xu_expect(journal_add(0, 1), 14);
	xu_expect(journal_add(1, 2), 14);
	assert_int_equal(dns_journal_count(&j), 1);
	assert_true(dns_journal_has(&j, 101));
	/* A delta larger than the arena empties the journal and says so. */
	static uint8_t tiny[100];
	dns_journal_init(&j, tiny, sizeof tiny, 10);
	struct dns_xset_iter ia, ib;
	struct dns_rr_src sa, sb;
	dns_xset_src(&ia, &v[0], &sa);
	dns_xset_src(&ib, &v[1], &sb);
	size_t need = 0;
	xu_expect(dns_journal_add(&j, &sa, &sb, &need), DNS_ENOMEM);
	assert_true(need > 100);
	assert_int_equal(dns_journal_count(&j), 0);
	/* Sources that cannot rewind, and sets without SOA. */
	sa.rewind = NULL;
	xu_expect(dns_journal_add(&j, &sa, &sb, &need), DNS_EINVAL);
	uint8_t m[256];
	struct dns_xset e;
	dns_xset_init(&e, m, sizeof m);
	xu_add(&e, "x.example.test.", DNS_T_A, 1, "abcd", 4);
	dns_xset_sort(&e);
	dns_xset_src(&ia, &e, &sa);
	dns_journal_init(&j, jmem, sizeof jmem, 3);
	xu_expect(dns_journal_add(&j, &sa, &sb, &need), DNS_EXFR_SOA);
}

/* The serial wraps (RFC 1982): 0xfffffffe, 0xffffffff, 0, 1, ... */
static void test_journal_wrap(void **st)
{
	(void)st;
	versions(0xfffffffeu);
	dns_journal_init(&j, jmem, sizeof jmem, 8);
	for (int i = 0; i + 1 < NV; i++)
		assert_true(journal_add(i, i + 1) > 0);
	assert_int_equal(dns_journal_count(&j), NV - 1);
	assert_true(dns_journal_has(&j, 0xfffffffeu));
	assert_true(dns_journal_has(&j, 0));
	assert_int_equal(dns_journal_last(&j), 3);
}

static uint16_t ctab[512];

/* An IXFR query from version `have` (its SOA), parsed. */
static struct dns_msg *ixfr_query(uint8_t *buf, int have)
{
	static struct dns_msg m;
	struct dns_xrr soa;
	assert_int_equal(dns_xset_soa(&v[have], &soa), 0);
	uint8_t zone[DNS_NAME_MAX];
	int n = dns_xfr_query(buf, 4096, 7, xu_name("example.test.", zone), DNS_T_IXFR, &soa, NULL, 0);
	assert_true(n > 0);
	xu_expect(dns_msg_parse(&m, buf, (size_t)n), 0);
	return &m;
}

/* Serves an IXFR from version `have` to the current version cur, applies
 * it on top of v[have]; returns the receiver's result, counts records. */
static int serve(int have, int cur, size_t limit, bool udp, unsigned *records, int *kind)
{
	uint8_t q[4096], buf[65535];
	struct dns_msg *m = ixfr_query(q, have);
	struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &v[cur], &src);
	static struct dns_ixfr x;
	xu_expect(dns_ixfr_init(&x, m, &j, &src, NULL, limit, udp), 0);
	*kind = dns_ixfr_kind(&x);
	struct dns_xfr_rx rx;
	uint8_t zone[DNS_NAME_MAX];
	dns_xfr_rx_init(&rx, xu_name("example.test.", zone), 7, DNS_T_IXFR, &v[have], &out, NULL);
	*records = 0;
	int n, r = DNS_EAGAIN;
	while ((n = dns_ixfr_next(&x, buf, sizeof buf, ctab, 512, 0)) > 0) {
		struct dns_msg rm;
		xu_expect(dns_msg_parse(&rm, xu_guard(buf, (size_t)n), (size_t)n), 0);
		assert_true((size_t)n <= (limit ? limit : 65535));
		*records += rm.hdr.count[1];
		assert_int_equal(r, DNS_EAGAIN);
		r = dns_xfr_rx_input(&rx, buf, (size_t)n, 0);
		/* The receiver completes exactly with the last message (over
		 * UDP a lone newer SOA means "ask over TCP" instead). */
		if (udp)
			assert_true(dns_ixfr_done(&x));
		else if (dns_ixfr_done(&x))
			assert_int_not_equal(r, DNS_EAGAIN);
		else
			assert_int_equal(r, DNS_EAGAIN);
	}
	assert_true(n == 0);
	return r == DNS_EAGAIN ? dns_xfr_rx_end(&rx) : r;
}

static void test_ixfr_out(void **st)
{
	(void)st;
	versions(1000);
	dns_journal_init(&j, jmem, sizeof jmem, 4);
	for (int i = 0; i + 1 < NV; i++)
		assert_true(journal_add(i, i + 1) > 0);
	/* v1..v4 are in the journal (max 4 deltas), v0 is not. */
	size_t limits[] = { 0, 300, 512 };
	for (size_t li = 0; li < 3; li++) {
		for (int have = 0; have < NV; have++) {
			dns_xset_init(&out, outmem, sizeof outmem);
			unsigned recs;
			int kind;
			int r = serve(have, NV - 1, limits[li], false, &recs, &kind);
			if (have == NV - 1) {
				assert_int_equal(kind, DNS_IXFR_UPTODATE);
				xu_expect(r, DNS_XFR_UPTODATE);
				assert_int_equal(recs, 1);
				continue;
			}
			assert_int_equal(kind, have == 0 ? DNS_IXFR_FULL : DNS_IXFR_INCREMENTAL);
			if (r != DNS_XFR_NEW)
				fail_msg("have %d limit %zu: %s", have, limits[li], dns_strerror(r));
			assert_true(xu_same(&out, &v[NV - 1]));
			if (kind == DNS_IXFR_INCREMENTAL)
				assert_true(recs < dns_xset_count(&v[NV - 1]) / 2);
		}
	}
	/* A client newer than us (a stale primary): one SOA, and the client
	 * keeps its copy. */
	versions(1000);
	dns_journal_init(&j, jmem, sizeof jmem, 4);
	unsigned recs;
	int kind;
	xu_expect(serve(4, 2, 0, false, &recs, &kind), DNS_XFR_UPTODATE);
	assert_int_equal(kind, DNS_IXFR_UPTODATE);
	assert_int_equal(recs, 1);
	/* A query without the client's SOA. */
	uint8_t q[512];
	uint8_t zone[DNS_NAME_MAX];
	int n = dns_xfr_query(q, sizeof q, 1, xu_name("example.test.", zone), DNS_T_IXFR, NULL, NULL, 0);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, (size_t)n), 0);
	struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &v[2], &src);
	struct dns_ixfr x;
	xu_expect(dns_ixfr_init(&x, &m, &j, &src, NULL, 0, false), DNS_EXFR_SOA);
}

/* RFC 1995 s4 condensation: what one version added and the next removed
 * is not sent at all; a TTL changed back is not sent either. */
static void test_ixfr_condensed(void **st)
{
	(void)st;
	for (int i = 0; i < 3; i++)
		dns_xset_init(&v[i], vmem[i], ZMEM);
	xu_add_soa(&v[0], 1, 60, 60, 600);
	xu_add(&v[0], "a.example.test.", DNS_T_A, 60, "\x01\x01\x01\x01", 4);
	xu_add(&v[0], "t.example.test.", DNS_T_A, 60, "\x02\x02\x02\x02", 4);
	xu_add_soa(&v[1], 2, 60, 60, 600);
	xu_add(&v[1], "a.example.test.", DNS_T_A, 60, "\x01\x01\x01\x01", 4);
	xu_add(&v[1], "x.example.test.", DNS_T_A, 60, "\x09\x09\x09\x09", 4); /* added */
	xu_add(&v[1], "t.example.test.", DNS_T_A, 999, "\x02\x02\x02\x02", 4); /* TTL changed */
	xu_add_soa(&v[2], 3, 60, 60, 600);
	xu_add(&v[2], "b.example.test.", DNS_T_A, 60, "\x03\x03\x03\x03", 4); /* a gone, b new */
	xu_add(&v[2], "t.example.test.", DNS_T_A, 60, "\x02\x02\x02\x02", 4); /* TTL back */
	for (int i = 0; i < 3; i++)
		assert_true(dns_xset_sort(&v[i]) > 0);
	dns_journal_init(&j, jmem, sizeof jmem, 4);
	xu_expect(journal_add(0, 1), 3);
	xu_expect(journal_add(1, 2), 5);
	dns_xset_init(&out, outmem, sizeof outmem);
	unsigned recs;
	int kind;
	xu_expect(serve(0, 2, 0, false, &recs, &kind), DNS_XFR_NEW);
	assert_int_equal(kind, DNS_IXFR_INCREMENTAL);
	/* SOA, old SOA, -a, SOA, +b, SOA: x and t are not mentioned. */
	assert_int_equal(recs, 6);
	assert_true(xu_same(&out, &v[2]));
	xu_expect(serve(1, 2, 0, false, &recs, &kind), DNS_XFR_NEW);
	assert_int_equal(recs, 4 + 5);
	assert_true(xu_same(&out, &v[2]));
}

static void test_ixfr_udp(void **st)
{
	(void)st;
	versions(50);
	dns_journal_init(&j, jmem, sizeof jmem, 8);
	for (int i = 0; i + 1 < NV; i++)
		assert_true(journal_add(i, i + 1) > 0);
	unsigned recs;
	int kind;
	/* One delta fits in 4096 octets; the whole zone does not fit in 512. */
	dns_xset_init(&out, outmem, sizeof outmem);
	xu_expect(serve(4, 5, 4096, true, &recs, &kind), DNS_XFR_NEW);
	assert_true(xu_same(&out, &v[5]));
	/* Too big: one SOA, which tells the client to come over TCP. */
	xu_expect(serve(0, 5, 512, true, &recs, &kind), DNS_EXFR_INCOMPLETE);
	assert_int_equal(recs, 1);
	/* With a signed query, the lone SOA is signed. */
	struct dns_tsig_key k;
	static const char t[] = "k:hmac-sha256:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=";
	assert_int_equal(dns_tsig_key_from_text(&k, t, strlen(t)), 0);
	struct dns_tsig c, s;
	dns_tsig_client_init(&c, &k, 0);
	uint8_t q[4096], buf[4096];
	struct dns_xrr soa;
	assert_int_equal(dns_xset_soa(&v[0], &soa), 0);
	uint8_t zone[DNS_NAME_MAX];
	int n = dns_xfr_query(q, sizeof q, 9, xu_name("example.test.", zone), DNS_T_IXFR, &soa, &c, 5);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, (size_t)n), 0);
	xu_expect(dns_tsig_server_verify(&s, &k, 1, &m, 5), 0);
	struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &v[5], &src);
	struct dns_ixfr x;
	xu_expect(dns_ixfr_init(&x, &m, &j, &src, &s, 512, true), 0);
	n = dns_ixfr_next(&x, buf, 512, ctab, 512, 5);
	assert_true(n > 0 && n <= 512);
	xu_expect(dns_ixfr_next(&x, buf + 1024, 512, ctab, 512, 5), 0);
	struct dns_msg rm;
	xu_expect(dns_msg_parse(&rm, buf, (size_t)n), 0);
	assert_int_equal(rm.hdr.count[1], 1);
	xu_expect(dns_tsig_client_verify(&c, &rm, 5), 0);
}

/* The receiver refuses what does not apply to its copy, and keeps nothing. */
static void test_ixfr_rx_errors(void **st)
{
	(void)st;
	versions(10);
	dns_journal_init(&j, jmem, sizeof jmem, 8);
	for (int i = 0; i + 1 < NV; i++)
		assert_true(journal_add(i, i + 1) > 0);
	/* Server answers from v2 while the client holds v1's serial but not
	 * its content: a deletion of an absent record. */
	uint8_t q[4096], buf[65535];
	struct dns_msg *m = ixfr_query(q, 2);
	struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &v[5], &src);
	struct dns_ixfr x;
	xu_expect(dns_ixfr_init(&x, m, &j, &src, NULL, 0, false), 0);
	int n = dns_ixfr_next(&x, buf, sizeof buf, ctab, 512, 0);
	assert_true(n > 0);
	/* A copy with v2's SOA but v4's records (and without h0's address). */
	static uint8_t fm[ZMEM];
	struct dns_xset fake;
	dns_xset_init(&fake, fm, sizeof fm);
	xu_zone(&fake, 12, 40, 3, 9);
	struct dns_xfr_rx rx;
	uint8_t zone[DNS_NAME_MAX];
	dns_xfr_rx_init(&rx, xu_name("example.test.", zone), 7, DNS_T_IXFR, &fake, &out, NULL);
	xu_expect(dns_xfr_rx_input(&rx, buf, (size_t)n, 0), DNS_EXFR_DELETE);
	/* A client whose serial is not where the answer starts. */
	dns_xfr_rx_init(&rx, zone, 7, DNS_T_IXFR, &v[1], &out, NULL);
	xu_expect(dns_xfr_rx_input(&rx, buf, (size_t)n, 0), DNS_EXFR_CHAIN);
	/* No copy at all: only a full transfer can help. */
	dns_xfr_rx_init(&rx, zone, 7, DNS_T_IXFR, NULL, &out, NULL);
	xu_expect(dns_xfr_rx_input(&rx, buf, (size_t)n, 0), DNS_EXFR_CHAIN);
	/* The journal changes under a running transfer. */
	m = ixfr_query(q, 1);
	dns_xset_axfr_src(&it, &v[5], &src);
	xu_expect(dns_ixfr_init(&x, m, &j, &src, NULL, 200, false), 0);
	assert_true(dns_ixfr_next(&x, buf, sizeof buf, ctab, 512, 0) > 0);
	assert_true(journal_add(0, 1) > 0);
	xu_expect(dns_ixfr_next(&x, buf, sizeof buf, ctab, 512, 0), DNS_EINVAL);
}

/* Over a faulty stream, cut everywhere: never half applied. */
struct ctx {
	struct dns_ixfr x;
	struct dns_xfr_rx rx;
};
static struct ctx cx;
static struct xs_world world;

static int gen(void *c, uint8_t *buf, size_t cap)
{
	return dns_ixfr_next(&((struct ctx *)c)->x, buf, cap, ctab, 512, 0);
}
static int take(void *c, const uint8_t *msg, size_t len)
{
	return dns_xfr_rx_input(&((struct ctx *)c)->rx, msg, len, 0);
}
static int end(void *c)
{
	return dns_xfr_rx_end(&((struct ctx *)c)->rx);
}

static void start(int have, size_t limit)
{
	static uint8_t q[4096];
	static struct dns_xset_iter it;
	struct dns_rr_src src;
	struct dns_msg *m = ixfr_query(q, have);
	dns_xset_axfr_src(&it, &v[NV - 1], &src);
	xu_expect(dns_ixfr_init(&cx.x, m, &j, &src, NULL, limit, false), 0);
	uint8_t zone[DNS_NAME_MAX];
	dns_xfr_rx_init(&cx.rx, xu_name("example.test.", zone), 7, DNS_T_IXFR, &v[have], &out, NULL);
}

static void test_ixfr_sim_cuts(void **st)
{
	(void)st;
	versions(0xfffffffdu); /* and across the wrap */
	dns_journal_init(&j, jmem, sizeof jmem, 8);
	for (int i = 0; i + 1 < NV; i++)
		assert_true(journal_add(i, i + 1) > 0);
	static const struct xs_peers peers = { gen, &cx, take, end, &cx };
	struct cl_sim_stream_cfg cfg = { .short_read = 0.4, .short_write = 0.4, .block_read = 0.1,
		.latency_ms = 1 };
	static uint8_t before[ZMEM];
	size_t used = dns_xset_used(&v[1]);
	memcpy(before, vmem[1], ZMEM);
	start(1, 120);
	xu_expect(xs_run(&world, 1, &cfg, &peers), DNS_XFR_NEW);
	assert_true(xu_same(&out, &v[NV - 1]));
	uint64_t total = world.sent_total;
	assert_true(total > 500);
	unsigned runs = 0;
	for (uint64_t at = 0; at < total; at += 1 + at % 5) {
		cfg.cut[1].kind = at % 2 ? CL_SIM_CUT_EOF : CL_SIM_CUT_RESET;
		cfg.cut[1].at = at;
		start(1, 120);
		int r = xs_run(&world, at, &cfg, &peers);
		if (r != DNS_EXFR_INCOMPLETE)
			fail_msg("cut at %llu of %llu: %s", (unsigned long long)at,
				(unsigned long long)total, dns_strerror(r));
		runs++;
	}
	assert_true(runs > 100);
	assert_memory_equal(before, vmem[1], ZMEM);
	assert_int_equal(dns_xset_used(&v[1]), used);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct cl_sim_stream_cfg c2 = { .short_read = 0.5, .short_write = 0.5, .jitter_ms = 2 };
		start((int)(seed % (NV - 1)), seed % 3 ? 200 : 0);
		int r = xs_run(&world, seed, &c2, &peers);
		if (r != DNS_XFR_NEW)
			fail_msg("seed %llu: %s", (unsigned long long)seed, dns_strerror(r));
		assert_true(xu_same(&out, &v[NV - 1]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_journal_wrap),
		cmocka_unit_test(test_ixfr_out),
		cmocka_unit_test(test_ixfr_condensed),
		cmocka_unit_test(test_ixfr_udp),
		cmocka_unit_test(test_ixfr_rx_errors),
		cmocka_unit_test(test_ixfr_sim_cuts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
