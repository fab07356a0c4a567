/* Record sets, access rules, AXFR out and in, over a faulty sim stream. */
#include "xfrsim.h"

#define ARENA (1 << 20)
static uint8_t mem_a[ARENA], mem_b[ARENA], mem_c[ARENA];
static struct dns_xset za, zb, zc;
static struct dns_tsig_key key;

static int setup(void **st)
{
	(void)st;
	dns_xset_init(&za, mem_a, ARENA);
	dns_xset_init(&zb, mem_b, ARENA);
	dns_xset_init(&zc, mem_c, ARENA);
	static const char t[] = "xfr-key:hmac-sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	return dns_tsig_key_from_text(&key, t, strlen(t));
}

static void test_xset(void **st)
{
	(void)st;
	uint8_t small[200];
	struct dns_xset z;
	dns_xset_init(&z, small, sizeof small);
	xu_add(&z, "b.example.test.", DNS_T_A, 60, "\x01\x02\x03\x04", 4);
	xu_add(&z, "A.example.test.", DNS_T_A, 60, "\x01\x02\x03\x05", 4);
	xu_add(&z, "a.example.test.", DNS_T_A, 60, "\x01\x02\x03\x04", 4);
	xu_add(&z, "b.example.test.", DNS_T_A, 99, "\x01\x02\x03\x04", 4); /* TTL change */
	assert_int_equal(dns_xset_sort(&z), 3);
	struct dns_xset_iter it;
	struct dns_xrr rr;
	dns_xset_iter_init(&it, &z);
	assert_int_equal(dns_xset_next(&it, &rr), 1);
	assert_int_equal(rr.rdata[3], 4); /* a: ...4 before ...5 */
	assert_int_equal(dns_xset_next(&it, &rr), 1);
	assert_int_equal(rr.rdata[3], 5);
	assert_int_equal(dns_xset_next(&it, &rr), 1);
	assert_int_equal(rr.ttl, 99); /* the later one wins */
	assert_int_equal(dns_xset_next(&it, &rr), 0);
	xu_expect(dns_xset_soa(&z, &rr), DNS_EXFR_SOA);
	/* Full: the error sticks until a reset. */
	for (int i = 0; i < 20; i++)
		(void)dns_xset_add(&z, &rr);
	uint8_t n[DNS_NAME_MAX];
	struct dns_xrr x = { xu_name("c.example.test.", n), DNS_T_A, DNS_C_IN, 1, 4, (const uint8_t *)"abcd" };
	xu_expect(dns_xset_add(&z, &x), DNS_ENOMEM);
	xu_expect(dns_xset_sort(&z), DNS_ENOMEM);
	dns_xset_reset(&z);
	xu_expect(dns_xset_add(&z, &x), 0);
	/* The AXFR order: SOA first, then the rest in order without it. */
	xu_zone(&za, 7, 3, 0, 0);
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &za, &src);
	assert_int_equal(src.next(src.ctx, &rr), 1);
	assert_int_equal(rr.type, DNS_T_SOA);
	int k = 0;
	while (src.next(src.ctx, &rr) == 1) {
		assert_int_not_equal(rr.type, DNS_T_SOA);
		k++;
	}
	assert_int_equal(k + 1, (int)dns_xset_count(&za));
	struct dns_soa s;
	assert_int_equal(dns_xset_soa(&za, &rr), 0);
	assert_int_equal(dns_soa_parse(rr.rdata, rr.rdlen, &s), 0);
	assert_int_equal(s.serial, 7);
	assert_int_equal(s.refresh, 3600);
	xu_expect(dns_soa_parse(rr.rdata, (uint16_t)(rr.rdlen - 1), &s), DNS_EXFR_SOA);
}

static void test_acl(void **st)
{
	(void)st;
	struct dns_acl_rule r[4];
	const char *t[] = { "example.test=key=xfr-key", "example.test=192.0.2.0/24",
		"Other.Test.=2001:db8::/32,key=xfr-key", "v4.test=10.1.2.3" };
	for (int i = 0; i < 4; i++)
		xu_expect(dns_acl_rule_parse(&r[i], t[i], strlen(t[i])), 0);
	uint8_t zone[DNS_NAME_MAX], other[DNS_NAME_MAX], v4z[DNS_NAME_MAX], kn[DNS_NAME_MAX], bad[DNS_NAME_MAX];
	xu_name("EXAMPLE.test.", zone);
	xu_name("other.test.", other);
	xu_name("v4.test.", v4z);
	xu_name("XFR-key.", kn);
	xu_name("nope.", bad);
	uint8_t in[16] = { 192, 0, 2, 77 }, out4[16] = { 192, 0, 3, 1 }, ip6[16], ip6b[16];
	assert_int_equal(dns_addr_from_text("2001:db8:1::5", 13, ip6), 6);
	assert_int_equal(dns_addr_from_text("2001:db9::5", 11, ip6b), 6);
	assert_true(dns_acl_check(r, 4, zone, 4, in, NULL));
	assert_false(dns_acl_check(r, 4, zone, 4, out4, NULL));
	assert_true(dns_acl_check(r, 4, zone, 4, out4, kn));
	assert_false(dns_acl_check(r, 4, zone, 4, out4, bad));
	assert_false(dns_acl_check(r, 4, other, 6, ip6, NULL));   /* needs the key too */
	assert_true(dns_acl_check(r, 4, other, 6, ip6, kn));
	assert_false(dns_acl_check(r, 4, other, 6, ip6b, kn));    /* outside the prefix */
	assert_false(dns_acl_check(r, 4, other, 4, in, kn));
	uint8_t exact[16] = { 10, 1, 2, 3 }, near[16] = { 10, 1, 2, 4 };
	assert_true(dns_acl_check(r, 4, v4z, 4, exact, NULL));
	uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [13] = 1, [14] = 2, [15] = 3 };
	assert_true(dns_acl_check(r, 4, v4z, 6, mapped, NULL));
	assert_false(dns_acl_check(r, 4, v4z, 4, near, NULL));
	uint8_t nz[DNS_NAME_MAX];
	assert_false(dns_acl_check(r, 4, xu_name("nothing.test.", nz), 4, in, kn)); /* no rule: refused */
	/* Odd prefix lengths compare the leading bits only. */
	struct dns_acl_rule p;
	xu_expect(dns_acl_rule_parse(&p, "z=10.0.0.0/9", 12), 0);
	uint8_t a1[16] = { 10, 127, 255, 255 }, a2[16] = { 10, 128, 0, 0 };
	assert_true(dns_acl_check(&p, 1, xu_name("z.", nz), 4, a1, NULL));
	assert_false(dns_acl_check(&p, 1, nz, 4, a2, NULL));
	xu_expect(dns_acl_rule_parse(&p, "z=::/0", 6), 0);
	assert_true(dns_acl_check(&p, 1, nz, 6, ip6, NULL));
	const char *badt[] = { "", "example.test", "example.test=", "=1.2.3.4", "z=1.2.3", "z=1.2.3.4/33",
		"z=1.2.3.256", "z=::1::2", "z=1:2:3:4:5:6:7:8:9", "z=key=", "z=key=a..b", "z=1.2.3.4,kee=a",
		"z=1.2.3.4/", "z=1.2.3.4/x", "z=fe80::/129", "z=:1::", "z=12345::", "a..b=1.2.3.4" };
	for (size_t i = 0; i < sizeof badt / sizeof badt[0]; i++)
		if (dns_acl_rule_parse(&p, badt[i], strlen(badt[i])) != DNS_EACL_SYNTAX)
			fail_msg("accepted %s", badt[i]);
	struct { const char *t; int fam; uint8_t ip[16]; } addrs[] = {
		{ "::", 6, { 0 } },
		{ "::1", 6, { [15] = 1 } },
		{ "1::", 6, { 0, 1 } },
		{ "::ffff:192.0.2.1", 6, { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1 } },
		{ "1:2:3:4:5:6:7:8", 6, { 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8 } },
		{ "0.0.0.0", 4, { 0 } },
	};
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		uint8_t ip[16];
		assert_int_equal(dns_addr_from_text(addrs[i].t, strlen(addrs[i].t), ip), addrs[i].fam);
		assert_memory_equal(ip, addrs[i].ip, 16);
	}
}

static void test_peer(void **st)
{
	(void)st;
	struct dns_xfr_peer p;
	uint8_t n[DNS_NAME_MAX];
	const char *t = "Example.Test=192.0.2.7:5353,key=xfr-key";
	xu_expect(dns_xfr_peer_parse(&p, t, strlen(t)), 0);
	assert_true(dns_name_equal(p.zone, xu_name("example.test.", n)));
	assert_int_equal(p.family, 4);
	assert_int_equal(p.ip[3], 7);
	assert_int_equal(p.port, 5353);
	assert_true(p.key_set);
	assert_true(dns_name_equal(p.key, xu_name("xfr-key.", n)));
	t = "example.test=[2001:db8::1]:53";
	xu_expect(dns_xfr_peer_parse(&p, t, strlen(t)), 0);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.ip[15], 1);
	assert_int_equal(p.port, 53);
	assert_false(p.key_set);
	const char *bad[] = { "example.test=192.0.2.7", "example.test=192.0.2.7:", "example.test=192.0.2.7:0",
		"example.test=192.0.2.7:65536", "example.test=2001:db8::1:53", "example.test=[2001:db8::1]53",
		"example.test=[2001:db8::1", "=1.2.3.4:53", "example.test=1.2.3.4:53,kee=x", "example.test=1.2.3.4:5x",
		"example.test=host:53" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (dns_xfr_peer_parse(&p, bad[i], strlen(bad[i])) != DNS_EACL_SYNTAX)
			fail_msg("accepted %s", bad[i]);
}

/* A query for the zone, parsed. */
static struct dns_msg *query(uint8_t *buf, uint16_t qtype, const struct dns_xrr *soa,
	struct dns_tsig *t)
{
	static struct dns_msg m;
	uint8_t zone[DNS_NAME_MAX];
	int n = dns_xfr_query(buf, 4096, 0x4242, xu_name("example.test.", zone), qtype, soa, t, 1000);
	assert_true(n > 0);
	xu_expect(dns_msg_parse(&m, buf, (size_t)n), 0);
	return &m;
}

/* The generator side of a transfer, for xs_run. */
struct gen {
	struct dns_axfr ax;
	uint16_t ctab[256];
	struct dns_tsig *skip_tsig; /* sign by hand: every `every`th and the last */
	unsigned every, n;
	uint8_t scratch[65535];
};

static int gen_axfr(void *ctx, uint8_t *buf, size_t cap)
{
	struct gen *g = ctx;
	if (!g->skip_tsig)
		return dns_axfr_next(&g->ax, buf, cap, g->ctab, 256, 1000);
	int n = dns_axfr_next(&g->ax, buf, cap - dns_tsig_size(&key), g->ctab, 256, 1000);
	if (n <= 0)
		return n;
	/* Peek whether this was the last: the generator says 0 next time. */
	bool last = dns_axfr_done(&g->ax);
	if (g->n++ % g->every == 0 || last)
		return dns_tsig_sign(g->skip_tsig, buf, (size_t)n, cap, 1000);
	int r = dns_tsig_skip(g->skip_tsig, buf, (size_t)n);
	return r < 0 ? r : n;
}

struct take {
	struct dns_xfr_rx rx;
	unsigned msgs;
};

static int take_rx(void *ctx, const uint8_t *msg, size_t len)
{
	struct take *t = ctx;
	t->msgs++;
	return dns_xfr_rx_input(&t->rx, msg, len, 1000);
}

static int end_rx(void *ctx)
{
	return dns_xfr_rx_end(&((struct take *)ctx)->rx);
}

static struct xs_world world;
static struct gen g;
static struct take tk;

/* Sets up a transfer of za: server tsig s (may be inactive), client c. */
static void start(uint16_t qtype, struct dns_tsig *s, struct dns_tsig *c, const struct dns_xset *cur,
	size_t limit)
{
	uint8_t q[4096];
	struct dns_xrr soa;
	if (cur)
		assert_int_equal(dns_xset_soa(cur, &soa), 0);
	struct dns_msg *m = query(q, qtype, cur ? &soa : NULL, c);
	if (s)
		xu_expect(dns_tsig_server_verify(s, &key, 1, m, 1000), c && c->priv.active ? 0 : DNS_ETSIG_NONE);
	static struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_axfr_src(&it, &za, &src);
	memset(&g, 0, sizeof g);
	xu_expect(dns_axfr_init(&g.ax, m, &src, s, limit), 0);
	uint8_t zone[DNS_NAME_MAX];
	memset(&tk, 0, sizeof tk);
	dns_xfr_rx_init(&tk.rx, xu_name("example.test.", zone), 0x4242, qtype, cur, &zb, c);
}

static const struct xs_peers peers = { gen_axfr, &g, take_rx, end_rx, &tk };

static void test_axfr_messages(void **st)
{
	(void)st;
	xu_zone(&za, 2024010101, 300, 40, 0);
	size_t limits[] = { 0, 512, 1400, 16384 };
	for (size_t li = 0; li < 4; li++) {
		start(DNS_T_AXFR, NULL, NULL, NULL, limits[li]);
		uint8_t buf[65535];
		int n, msgs = 0;
		unsigned records = 0;
		size_t max = limits[li] ? limits[li] : 65535;
		while ((n = dns_axfr_next(&g.ax, buf, sizeof buf, g.ctab, 256, 1000)) > 0) {
			assert_true((size_t)n <= max);
			struct dns_msg m;
			xu_expect(dns_msg_parse(&m, xu_guard(buf, (size_t)n), (size_t)n), 0);
			assert_int_equal(m.hdr.id, 0x4242);
			assert_true(m.hdr.flags & DNS_F_QR);
			assert_true(m.hdr.flags & DNS_F_AA);
			assert_int_equal(m.hdr.count[0], msgs == 0 ? 1 : 0);
			records += m.hdr.count[1];
			int r = dns_xfr_rx_input(&tk.rx, buf, (size_t)n, 1000);
			msgs++;
			xu_expect(r, dns_axfr_done(&g.ax) ? DNS_XFR_NEW : DNS_EAGAIN);
			if (r == DNS_XFR_NEW)
				break;
		}
		/* SOA twice, the rest once. */
		assert_int_equal(records, dns_xset_count(&za) + 1);
		assert_true(msgs >= (limits[li] == 512 ? 20 : 1));
		assert_true(xu_same(&za, &zb));
		xu_expect(dns_axfr_next(&g.ax, buf, sizeof buf, g.ctab, 256, 1000), 0);
		xu_expect(dns_xfr_rx_end(&tk.rx), DNS_XFR_NEW);
	}
	/* A record larger than the limit. */
	start(DNS_T_AXFR, NULL, NULL, NULL, 100);
	uint8_t buf[1024];
	int n, k = 0;
	while ((n = dns_axfr_next(&g.ax, buf, sizeof buf, g.ctab, 256, 1000)) > 0)
		assert_true(n <= 100 && ++k < 1000);
	xu_expect(n, DNS_EXFR_RR_SIZE);
	xu_expect(dns_axfr_next(&g.ax, buf, sizeof buf, g.ctab, 256, 1000), DNS_EXFR_RR_SIZE);
	/* A source that does not start with the SOA. */
	struct dns_xset_iter it;
	struct dns_rr_src src;
	dns_xset_iter_init(&it, &za);
	src.next = dns_xset_next;
	src.rewind = NULL;
	src.ctx = &it;
	it.i = 0; /* NS sorts before SOA */
	struct dns_msg *m = query(buf, DNS_T_AXFR, NULL, NULL);
	xu_expect(dns_axfr_init(&g.ax, m, &src, NULL, 0), DNS_EXFR_FIRST);
}

/* Receiving: every malformation of a transfer is its own error, and out
 * holds nothing usable afterwards. */
static void test_axfr_rx_errors(void **st)
{
	(void)st;
	xu_zone(&za, 5, 3, 0, 0);
	uint8_t buf[4096], zone[DNS_NAME_MAX];
	xu_name("example.test.", zone);
	struct dns_msgw w;
	uint16_t ctab[64];
	struct dns_xrr soa, rr;
	assert_int_equal(dns_xset_soa(&za, &soa), 0);
	uint8_t on[DNS_NAME_MAX], in_n[DNS_NAME_MAX];
	struct dns_xrr outside = { xu_name("example.org.", on), DNS_T_A, DNS_C_IN, 1, 4, (const uint8_t *)"abcd" };
	struct dns_xrr inside = { xu_name("x.example.test.", in_n), DNS_T_A, DNS_C_IN, 1, 4, (const uint8_t *)"abcd" };
	uint8_t rd2[DNS_SOA_RDATA_MAX];
	struct dns_xrr soa2 = soa;
	soa2.rdata = rd2;
	soa2.rdlen = (uint16_t)xu_soa_rdata(rd2, 6, 3600, 600, 86400);
	struct dns_xrr soa5b = soa;
	uint8_t rd5b[DNS_SOA_RDATA_MAX];
	soa5b.rdata = rd5b;
	soa5b.rdlen = (uint16_t)xu_soa_rdata(rd5b, 5, 1, 600, 86400); /* same serial, other refresh */
	struct { const struct dns_xrr *rrs[4]; int n; uint16_t id, flags; int want; } cases[] = {
		{ { &inside, &soa }, 2, 0x4242, DNS_F_QR, DNS_EXFR_FIRST },
		{ { &soa, &outside }, 2, 0x4242, DNS_F_QR, DNS_EXFR_OUT_OF_ZONE },
		{ { &soa, &inside, &soa2 }, 3, 0x4242, DNS_F_QR, DNS_EXFR_SOA },
		{ { &soa, &inside, &soa5b }, 3, 0x4242, DNS_F_QR, DNS_EXFR_SOA },
		{ { &soa, &inside, &soa, &inside }, 4, 0x4242, DNS_F_QR, DNS_EXFR_TRAILING },
		{ { &soa, &soa2 }, 2, 0x4242, DNS_F_QR, DNS_EXFR_CHAIN },
		{ { &soa }, 1, 0x4243, DNS_F_QR, DNS_EXFR_MISMATCH },
		{ { &soa }, 1, 0x4242, 0, DNS_EXFR_MISMATCH },
		{ { &soa }, 1, 0x4242, DNS_F_QR | DNS_RC_REFUSED, DNS_EXFR_RCODE },
		{ { &soa }, 1, 0x4242, DNS_F_QR | DNS_RC_NOTAUTH, DNS_EXFR_RCODE },
		{ { &soa, &soa }, 2, 0x4242, DNS_F_QR, DNS_XFR_NEW },
		{ { &soa, &inside, &soa }, 3, 0x4242, DNS_F_QR, DNS_XFR_NEW },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dns_xfr_rx rx;
		dns_xfr_rx_init(&rx, zone, 0x4242, DNS_T_AXFR, NULL, &zb, NULL);
		dns_msgw_init(&w, buf, sizeof buf, ctab, 64, cases[i].id, cases[i].flags);
		dns_msgw_question(&w, zone, DNS_T_AXFR, DNS_C_IN);
		for (int k = 0; k < cases[i].n; k++)
			assert_int_equal(dns_msgw_rr(&w, DNS_S_ANSWER, cases[i].rrs[k]->owner, cases[i].rrs[k]->type,
				DNS_C_IN, 60, cases[i].rrs[k]->rdata, cases[i].rrs[k]->rdlen), 0);
		int n = dns_msgw_finish(&w);
		int r = dns_xfr_rx_input(&rx, xu_guard(buf, (size_t)n), (size_t)n, 0);
		if (r != cases[i].want)
			fail_msg("case %zu: %s, want %s", i, dns_strerror(r), dns_strerror(cases[i].want));
		if (r < 0) {
			xu_expect(dns_xfr_rx_end(&rx), r);                 /* sticky */
			xu_expect(dns_xfr_rx_input(&rx, buf, (size_t)n, 0), r);
		}
	}
	/* A question for another zone or type. */
	struct dns_xfr_rx rx;
	dns_xfr_rx_init(&rx, zone, 1, DNS_T_AXFR, NULL, &zb, NULL);
	dns_msgw_init(&w, buf, sizeof buf, ctab, 64, 1, DNS_F_QR);
	dns_msgw_question(&w, zone, DNS_T_IXFR, DNS_C_IN);
	int n = dns_msgw_finish(&w);
	xu_expect(dns_xfr_rx_input(&rx, buf, (size_t)n, 0), DNS_EXFR_MISMATCH);
	/* Garbage. */
	dns_xfr_rx_init(&rx, zone, 1, DNS_T_AXFR, NULL, &zb, NULL);
	xu_expect(dns_xfr_rx_input(&rx, buf, 5, 0), DNS_ETRUNC);
	/* Out of room in the arena. */
	uint8_t tiny[64];
	struct dns_xset zt;
	dns_xset_init(&zt, tiny, sizeof tiny);
	dns_xfr_rx_init(&rx, zone, 1, DNS_T_AXFR, NULL, &zt, NULL);
	dns_msgw_init(&w, buf, sizeof buf, ctab, 64, 1, DNS_F_QR);
	dns_msgw_rr(&w, DNS_S_ANSWER, soa.owner, DNS_T_SOA, DNS_C_IN, 1, soa.rdata, soa.rdlen);
	for (int k = 0; k < 5; k++)
		dns_msgw_rr(&w, DNS_S_ANSWER, inside.owner, DNS_T_A, DNS_C_IN, 1, (const uint8_t *)"abcd", 4);
	n = dns_msgw_finish(&w);
	xu_expect(dns_xfr_rx_input(&rx, buf, (size_t)n, 0), DNS_ENOMEM);
	(void)rr;
}

/* Whole transfers over a faulty stream with short reads, signed. */
static void test_axfr_sim_tsig(void **st)
{
	(void)st;
	xu_zone(&za, 77, 400, 90, 0);
	struct cl_sim_stream_cfg cfg = { .short_read = 0.5, .short_write = 0.5, .block_read = 0.2,
		.block_write = 0.2, .latency_ms = 1, .jitter_ms = 3 };
	static struct dns_tsig s, c;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		dns_tsig_client_init(&c, &key, 0);
		start(DNS_T_AXFR, &s, &c, NULL, seed % 2 ? 4096 : 0);
		int r = xs_run(&world, seed, &cfg, &peers);
		if (r != DNS_XFR_NEW)
			fail_msg("seed %llu: %s", (unsigned long long)seed, dns_strerror(r));
		assert_true(xu_same(&za, &zb));
		assert_true(tk.msgs >= (seed % 2 ? 10u : 1u));
	}
	/* Signed every 7th message and the last, unsigned between. */
	for (uint64_t seed = 1; seed <= 10; seed++) {
		dns_tsig_client_init(&c, &key, 0);
		start(DNS_T_AXFR, &s, &c, NULL, 1024);
		g.ax.priv.tsig = NULL;
		g.skip_tsig = &s;
		g.every = 7;
		int r = xs_run(&world, seed, &cfg, &peers);
		if (r != DNS_XFR_NEW)
			fail_msg("seed %llu: %s", (unsigned long long)seed, dns_strerror(r));
		assert_true(tk.msgs > 30);
		assert_true(xu_same(&za, &zb));
	}
	/* The client holds another secret for the name: BADSIG, nothing applied. */
	struct dns_tsig_key wrong = key;
	wrong.secret[3] ^= 0x10;
	dns_tsig_client_init(&c, &wrong, 0);
	uint8_t q[4096];
	struct dns_msg *m = query(q, DNS_T_AXFR, NULL, &c);
	xu_expect(dns_tsig_server_verify(&s, &key, 1, m, 1000), DNS_ETSIG_BADSIG);
	/* The server signs with key anyway (as if the request had verified). */
	dns_tsig_client_init(&c, &key, 0);
	start(DNS_T_AXFR, &s, &c, NULL, 0);
	dns_tsig_client_init(&c, &wrong, 0);
	c.priv.nsigned = 1;
	memcpy(c.priv.mac, s.priv.mac, s.priv.mac_len);
	c.priv.mac_len = s.priv.mac_len;
	xu_expect(xs_run(&world, 1, &cfg, &peers), DNS_ETSIG_BADSIG);
	/* Unsigned answers to a signed query. */
	dns_tsig_client_init(&c, &key, 0);
	start(DNS_T_AXFR, NULL, &c, NULL, 0);
	xu_expect(xs_run(&world, 1, &cfg, &peers), DNS_ETSIG_NONE);
}

/* The primary dies: at every message boundary, just after and before it,
 * and inside messages, by EOF or reset. The transfer never completes, and
 * the copy it would replace is untouched. */
static void test_axfr_cuts(void **st)
{
	(void)st;
	xu_zone(&za, 9, 150, 10, 0);
	xu_zone(&zc, 8, 150, 10, 1);
	uint8_t before[ARENA / 16];
	size_t used = dns_xset_used(&zc);
	assert_true(used < sizeof before);
	memcpy(before, mem_c, used);
	/* Learn the message boundaries of the whole transfer. */
	start(DNS_T_AXFR, NULL, NULL, &zc, 700);
	assert_int_equal(xs_run(&world, 1, NULL, &peers), DNS_XFR_NEW);
	uint64_t total = world.sent_total;
	uint64_t bounds[256];
	size_t nb = 0;
	{
		start(DNS_T_AXFR, NULL, NULL, &zc, 700);
		uint8_t buf[65535];
		uint64_t at = 0;
		int n;
		while ((n = dns_axfr_next(&g.ax, buf, sizeof buf, g.ctab, 256, 1000)) > 0 && nb < 256) {
			at += (uint64_t)n + 2;
			bounds[nb++] = at;
		}
		assert_int_equal(at, total);
	}
	assert_true(nb > 8);
	struct cl_sim_stream_cfg cfg = { .short_read = 0.3, .short_write = 0.3, .latency_ms = 1 };
	unsigned runs = 0;
	for (size_t b = 0; b < nb; b++) {
		uint64_t pts[4] = { bounds[b] - 1, bounds[b], bounds[b] + 1, bounds[b] - 37 };
		for (int k = 0; k < 4; k++) {
			uint64_t at = pts[k];
			if (at >= total)
				continue;
			for (int kind = CL_SIM_CUT_EOF; kind <= CL_SIM_CUT_RESET; kind++) {
				cfg.cut[1].kind = (enum cl_sim_cut_kind)kind;
				cfg.cut[1].at = at;
				start(DNS_T_AXFR, NULL, NULL, &zc, 700);
				int r = xs_run(&world, at, &cfg, &peers);
				if (r == DNS_XFR_NEW || r >= 0)
					fail_msg("cut %s at %llu: %s", kind == CL_SIM_CUT_EOF ? "eof" : "reset",
						(unsigned long long)at, dns_strerror(r));
				xu_expect(r, DNS_EXFR_INCOMPLETE);
				runs++;
			}
		}
	}
	assert_true(runs > 50);
	assert_memory_equal(before, mem_c, used);
	assert_int_equal(dns_xset_used(&zc), used);
	/* Cut after the last octet: complete. */
	cfg.cut[1].kind = CL_SIM_CUT_EOF;
	cfg.cut[1].at = total;
	start(DNS_T_AXFR, NULL, NULL, &zc, 700);
	xu_expect(xs_run(&world, 3, &cfg, &peers), DNS_XFR_NEW);
	assert_true(xu_same(&za, &zb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xset),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_peer),
		cmocka_unit_test(test_axfr_messages),
		cmocka_unit_test(test_axfr_rx_errors),
		cmocka_unit_test(test_axfr_sim_tsig),
		cmocka_unit_test(test_axfr_cuts),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
