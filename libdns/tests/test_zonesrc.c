/* Transfers straight from the zone database: a zone file parsed into a
 * struct dns_zone is sent by AXFR, and two versions of it are diffed by
 * the journal into an IXFR that turns the first into the second. */
#define XU_NO_ZONE
#include "xfrutil.h"

static const char v1[] =
	"$ORIGIN example.test.\n$TTL 300\n"
	"@ SOA ns admin ( 10 3600 600 86400 300 )\n"
	"@ NS ns\n@ NS ns.other.test.\n@ MX 10 mail\n"
	"ns A 192.0.2.1\nmail A 192.0.2.2\nmail AAAA 2001:db8::2\n"
	"www CNAME @\n*.wild TXT \"wild\" \"card\"\n"
	"sub NS ns.sub\nns.sub A 192.0.2.53\n"
	"deep.ent.path A 192.0.2.9\n";
static const char v2[] =
	"$ORIGIN example.test.\n$TTL 300\n"
	"@ SOA ns admin ( 11 3600 600 86400 300 )\n"
	"@ NS ns\n@ NS ns.other.test.\n@ MX 20 mail\n"
	"ns A 192.0.2.1\nmail 600 A 192.0.2.2\nmail AAAA 2001:db8::2\n"
	"*.wild TXT \"wild\" \"card\"\n"
	"sub NS ns.sub\nns.sub A 192.0.2.54\n"
	"deep.ent.path A 192.0.2.9\nnew A 192.0.2.10\n";

static struct dns_zparser parser;
static uint8_t za1[1 << 16], za2[1 << 16], xm[3][1 << 16], jm[1 << 16];

static int to_xset(void *ctx, const struct dns_zrr *r)
{
	struct dns_xrr x = { r->owner, r->type, r->rclass, r->ttl, r->rdlen, r->rdata };
	return dns_xset_add(ctx, &x);
}

static void load(const char *text, struct dns_zone *z, uint8_t *arena, size_t cap, struct dns_xset *x)
{
	uint8_t origin[DNS_NAME_MAX];
	xu_name("example.test.", origin);
	char msg[256];
	for (int pass = 0; pass < 2; pass++) {
		struct dns_zopts o = { .file = "test", .origin = origin, .rclass = DNS_C_IN,
			.errmsg = msg, .errcap = sizeof msg };
		if (pass == 0) {
			xu_expect(dns_zone_init(z, origin, arena, cap), 0);
			o.rr = dns_zone_add_cb;
			o.rr_ctx = z;
		} else {
			dns_xset_reset(x);
			o.rr = to_xset;
			o.rr_ctx = x;
		}
		struct dns_zerror e;
		int r = dns_zone_parse(&parser, &o, (const uint8_t *)text, strlen(text), &e);
		if (r < 0)
			fail_msg("zone: %s (%s)", dns_strerror(r), msg);
	}
	struct dns_zone_err ze;
	xu_expect(dns_zone_finish(z, &ze), 0);
	assert_true(dns_xset_sort(x) > 0);
}

static bool same(const struct dns_xset *a, const struct dns_xset *b)
{
	if (dns_xset_count(a) != dns_xset_count(b))
		return false;
	struct dns_xset_iter ia, ib;
	struct dns_xrr p, q;
	dns_xset_iter_init(&ia, a);
	dns_xset_iter_init(&ib, b);
	while (dns_xset_next(&ia, &p) == 1)
		if (dns_xset_next(&ib, &q) != 1 || dns_xrr_cmp(&p, &q) || p.ttl != q.ttl)
			return false;
	return true;
}

static void test_zone_axfr_ixfr(void **st)
{
	(void)st;
	static struct dns_zone z1, z2;
	struct dns_xset x1, x2, out;
	dns_xset_init(&x1, xm[0], sizeof xm[0]);
	dns_xset_init(&x2, xm[1], sizeof xm[1]);
	dns_xset_init(&out, xm[2], sizeof xm[2]);
	load(v1, &z1, za1, sizeof za1, &x1);
	load(v2, &z2, za2, sizeof za2, &x2);
	/* The zone source walks in the order the record sets sort in. */
	struct dns_zone_src zs;
	struct dns_rr_src src;
	struct dns_xset_iter it;
	struct dns_xrr a, b;
	dns_zone_src_init(&zs, &z1, false, &src);
	dns_xset_iter_init(&it, &x1);
	size_t n = 0;
	while (src.next(src.ctx, &a) == 1) {
		assert_int_equal(dns_xset_next(&it, &b), 1);
		assert_int_equal(dns_xrr_cmp(&a, &b), 0);
		n++;
	}
	assert_int_equal(n, dns_xset_count(&x1));
	/* AXFR from the zone database. */
	uint8_t q[512], buf[65535], zone[DNS_NAME_MAX];
	uint16_t ctab[128];
	xu_name("example.test.", zone);
	int qn = dns_xfr_query(q, sizeof q, 3, zone, DNS_T_AXFR, NULL, NULL, 0);
	struct dns_msg m;
	xu_expect(dns_msg_parse(&m, q, (size_t)qn), 0);
	dns_zone_src_init(&zs, &z1, true, &src);
	struct dns_axfr ax;
	xu_expect(dns_axfr_init(&ax, &m, &src, NULL, 120), 0);
	struct dns_xfr_rx rx;
	dns_xfr_rx_init(&rx, zone, 3, DNS_T_AXFR, NULL, &out, NULL);
	int k, r = DNS_EAGAIN, msgs = 0;
	while ((k = dns_axfr_next(&ax, buf, sizeof buf, ctab, 128, 0)) > 0) {
		r = dns_xfr_rx_input(&rx, buf, (size_t)k, 0);
		msgs++;
	}
	xu_expect(r, DNS_XFR_NEW);
	assert_true(msgs > 2);
	assert_true(same(&out, &x1));
	/* The journal diffs the two zone versions; IXFR turns x1 into x2. */
	struct dns_journal j;
	dns_journal_init(&j, jm, sizeof jm, 4);
	struct dns_zone_src s1, s2;
	struct dns_rr_src r1, r2;
	dns_zone_src_init(&s1, &z1, false, &r1);
	dns_zone_src_init(&s2, &z2, false, &r2);
	/* -MX 10, +MX 20, TTL of mail A (2), -www, -ns.sub, +ns.sub, +new */
	xu_expect(dns_journal_add(&j, &r1, &r2, NULL), 8);
	struct dns_xrr soa;
	assert_int_equal(dns_xset_soa(&x1, &soa), 0);
	qn = dns_xfr_query(q, sizeof q, 4, zone, DNS_T_IXFR, &soa, NULL, 0);
	xu_expect(dns_msg_parse(&m, q, (size_t)qn), 0);
	dns_zone_src_init(&zs, &z2, true, &src);
	struct dns_ixfr x;
	xu_expect(dns_ixfr_init(&x, &m, &j, &src, NULL, 0, false), 0);
	assert_int_equal(dns_ixfr_kind(&x), DNS_IXFR_INCREMENTAL);
	dns_xfr_rx_init(&rx, zone, 4, DNS_T_IXFR, &x1, &out, NULL);
	r = DNS_EAGAIN;
	while ((k = dns_ixfr_next(&x, buf, sizeof buf, ctab, 128, 0)) > 0)
		r = dns_xfr_rx_input(&rx, buf, (size_t)k, 0);
	xu_expect(r, DNS_XFR_NEW);
	assert_true(same(&out, &x2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_axfr_ixfr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
