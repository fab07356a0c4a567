/* The zone's hash index against the searches it replaces: dns_answer() must
 * give byte-identical answers whether a zone has its name hash table (the
 * fast lookups) or not (binary search and the canonical-order walk to the
 * closest encloser), for random queries over zones that have every kind of
 * node: wildcards, empty non-terminals, delegations with glue, CNAME chains
 * and loops, DNAME, NSEC-signed data. */
#include "testutil.h"
#include "signed_zone.h"
#include "dns_int.h"
#include <stdlib.h>

static struct dns_zparser parser;

static const char ztext[] =
	"$TTL 3600\n"
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ NS ns1\n"
	"@ NS ns2.example.\n"
	"@ MX 10 mail\n"
	"ns1 A 192.0.2.1\n"
	"ns2 A 192.0.2.2\n"
	"ns2 AAAA 2001:db8::2\n"
	"mail A 192.0.2.3\n"
	"www A 192.0.2.4\n"
	"www AAAA 2001:db8::4\n"
	"www RRSIG A 13 2 3600 20300101000000 20200101000000 1 example. AAAA\n"
	"Alias CNAME www\n"
	"chain1 CNAME chain2\n"
	"chain2 CNAME alias\n"
	"loop1 CNAME loop2\n"
	"loop2 CNAME loop1\n"
	"out CNAME www.elsewhere.test.\n"
	"dangling CNAME nothere\n"
	"tosub CNAME host.sub\n"
	"*.wild A 192.0.2.5\n"
	"*.wild TXT \"wild\"\n"
	"exists.wild MX 5 mail\n"
	"*.wcname CNAME www\n"
	"a.b.c.ent A 192.0.2.6\n"
	"sub NS ns.sub\n"
	"sub NS ns1\n"
	"sub DS 12345 13 2 ABCDEF\n"
	"ns.sub A 192.0.2.7\n"
	"_sip._udp SRV 0 5 5060 www\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456780\"\n"
	"dn DNAME target.example.\n"
	"x.target A 192.0.2.8\n"
	"outdn DNAME elsewhere.test.\n";

/* A zone shaped like bench/dns/genzone.py's, with upper case in it. */
static char *gen_zone(void)
{
	size_t cap = 1 << 16, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n,
		"$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 86400 60\n@ NS ns1\n@ NS NS2\n"
		"ns1 A 198.51.100.1\nns2 A 198.51.100.2\n@ MX 10 mail\nmail A 198.51.100.3\n"
		"*.users A 198.51.100.9\n");
	for (int i = 0; i < 120; i++)
		n += (size_t)snprintf(t + n, cap - n, "Host-%d A 10.0.%d.%d\nhost-%d AAAA 2001:db8::%x\n",
			i, i / 250, i % 250, i, i);
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(t + n, cap - n, "alias-%d CNAME host-%d\n", i, i * 3);
	for (int i = 0; i < 15; i++)
		n += (size_t)snprintf(t + n, cap - n,
			"child-%d NS ns1.child-%d\nchild-%d NS ns2.Child-%d\nns1.child-%d A 192.0.2.%d\n"
			"ns2.child-%d A 192.0.2.%d\n", i, i, i, i, i, i + 1, i, i + 100);
	assert_true(n < cap);
	return t;
}

struct zset {
	struct dns_zone z;
	void *arena;
	uint8_t names[400][DNS_NAME_MAX];
	int nnames;
};

static void load(struct zset *zs, const char *origin, const char *text)
{
	size_t cap = 1 << 20;
	zs->arena = malloc(cap);
	assert_non_null(zs->arena);
	struct dns_zone_err ze;
	char msg[200] = "";
	int r = load_zone(&zs->z, &parser, origin, text, zs->arena, cap, &ze, msg, sizeof msg);
	if (r)
		fail_msg("%s: %s %s", origin, dns_strerror(r), msg);
	/* An arena of exactly the size the zone asks for gets the table. */
	size_t need = dns_zone_needed(&zs->z);
	void *exact = malloc(need);
	assert_non_null(exact);
	struct dns_zone z2;
	assert_int_equal(load_zone(&z2, &parser, origin, text, exact, need, &ze, msg, sizeof msg), 0);
	assert_true(z2.priv.nhash >= 2 * dns_zone_nodes(&z2));
	free(exact);
	assert_true(zs->z.priv.nhash > 0);
	zs->nnames = 0;
	for (uint32_t i = 0; i < dns_zone_nodes(&zs->z) && zs->nnames < 400; i++) {
		const uint8_t *nm = dns_zname(&zs->z, i);
		memcpy(zs->names[zs->nnames++], nm, dns_name_len(nm));
	}
}

static const uint16_t types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_NS, DNS_T_MX, DNS_T_TXT, DNS_T_CNAME,
	DNS_T_SOA, DNS_T_DS, DNS_T_ANY, DNS_T_SRV, DNS_T_DNAME, DNS_T_RRSIG, DNS_T_NSEC, DNS_T_DNSKEY,
	DNS_T_PTR, 999 };
static const char *const labels[] = { "*", "www", "a", "b", "c", "x", "zz", "host-3", "ns1", "Sub",
	"wild", "nope", "exists" };

/* A random query near the zone's names: a name of the zone, maybe with
 * labels added in front, maybe cut, the case of letters flipped at random. */
static size_t make_query(uint64_t *s, const struct zset *zs, uint8_t *q)
{
	uint8_t name[DNS_NAME_MAX];
	const uint8_t *base = zs->names[rng_next(s) % (uint64_t)zs->nnames];
	size_t bl = dns_name_len(base);
	size_t n = 0;
	int add = (int)(rng_next(s) % 4) - 1;
	for (int k = 0; k < add; k++) {
		const char *l = labels[rng_next(s) % (sizeof labels / sizeof labels[0])];
		size_t ll = strlen(l);
		if (n + ll + 1 + bl > DNS_NAME_MAX)
			break;
		name[n] = (uint8_t)ll;
		memcpy(name + n + 1, l, ll);
		n += ll + 1;
	}
	const uint8_t *b = base;
	if (add < 0 && b[0])
		b += b[0] + 1; /* a parent: maybe outside the zone, then REFUSED */
	memcpy(name + n, b, dns_name_len(b));
	n += dns_name_len(b);
	for (size_t i = 0; i < n; i++)
		if (((name[i] | 0x20) >= 'a' && (name[i] | 0x20) <= 'z') && (rng_next(s) & 1))
			name[i] ^= 0x20; /* length octets are never letters here: below 64 */
	uint16_t type = types[rng_next(s) % (sizeof types / sizeof types[0])];
	struct dns_msgw w;
	dns_msgw_init(&w, q, 512, NULL, 0, (uint16_t)rng_next(s),
		(uint16_t)((rng_next(s) & 1 ? DNS_F_RD : 0) | (rng_next(s) & 1 ? DNS_F_CD : 0)));
	assert_int_equal(dns_msgw_question(&w, name, type, DNS_C_IN), 0);
	static const uint16_t sizes[] = { 0, 0, 512, 1232, 4096 };
	uint16_t es = sizes[rng_next(s) % 5];
	if (es)
		dns_msgw_opt(&w, es, 0, 0, rng_next(s) & 1 ? DNS_EDNS_DO : 0, NULL, 0);
	int ql = dns_msgw_finish(&w);
	assert_true(ql > 0);
	return (size_t)ql;
}

static void compare(const char *what, const struct dns_zone *fast0, const struct dns_zone *fast1,
	struct zset *zs, uint64_t seed, int rounds)
{
	struct dns_zone slow0 = *fast0, slow1;
	slow0.priv.nhash = 0;
	const struct dns_zone *fz[2] = { fast0, fast1 };
	const struct dns_zone *sz[2] = { &slow0, NULL };
	if (fast1) {
		slow1 = *fast1;
		slow1.priv.nhash = 0;
		sz[1] = &slow1;
	}
	size_t nz = fast1 ? 2 : 1;
	static uint8_t a[65535], b[65535];
	uint64_t s = seed;
	for (int i = 0; i < rounds; i++) {
		uint8_t q[512];
		size_t ql = make_query(&s, zs, q);
		static const uint16_t caps[] = { 512, 1232, 65535 };
		uint16_t cap = caps[rng_next(&s) % 3];
		uint16_t ctab_a[64], ctab_b[64];
		size_t ctn = rng_next(&s) % 3 == 0 ? 4 : 64;
		struct dns_answer_opts o = { .tcp = (rng_next(&s) % 4) == 0,
			.udp_max = (uint16_t)((rng_next(&s) & 1) ? 0 : 1232) };
		int ra = dns_answer(fz, nz, guard(q, ql), ql, a, cap, ctab_a, ctn, &o);
		int rb = dns_answer(sz, nz, guard(q, ql), ql, b, cap, ctab_b, ctn, &o);
		if (ra != rb || (ra > 0 && memcmp(a, b, (size_t)ra) != 0)) {
			char text[DNS_NAME_MAX * 4 + 2];
			struct dns_msg m;
			dns_msg_parse(&m, q, ql);
			dns_name_to_text(m.q.name, text, sizeof text);
			fail_msg("%s: seed %llu, query %d (%s type %u): fast %d octets, slow %d", what,
				(unsigned long long)seed, i, text, m.q.type, ra, rb);
		}
	}
}

static uint64_t seed_of(void)
{
	const char *e = getenv("DNS_TEST_SEED");
	return e ? strtoull(e, NULL, 10) : 20261127;
}

static void test_example(void **st)
{
	(void)st;
	static struct zset zs, kid;
	load(&zs, "example.", ztext);
	load(&kid, "kid.example.", "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.99\n");
	compare("example.", &zs.z, &kid.z, &zs, seed_of(), 20000);
	compare("kid.example.", &zs.z, &kid.z, &kid, seed_of() + 1, 2000);
	free(zs.arena);
	free(kid.arena);
}

static void test_signed(void **st)
{
	(void)st;
	static struct zset zs;
	load(&zs, "example.", signed_zone_text());
	compare("signed example.", &zs.z, NULL, &zs, seed_of() + 2, 20000);
	free(zs.arena);
}

static void test_generated(void **st)
{
	(void)st;
	static struct zset zs;
	char *t = gen_zone();
	load(&zs, "bench.test.", t);
	compare("bench.test.", &zs.z, NULL, &zs, seed_of() + 3, 20000);
	free(t);
	free(zs.arena);
}

/* Every name of the zone is found by the hash in any case, and names next
 * to them are not. */
static void test_lookup(void **st)
{
	(void)st;
	static struct zset zs;
	char *t = gen_zone();
	load(&zs, "bench.test.", t);
	struct dns_zone slow = zs.z;
	slow.priv.nhash = 0;
	for (int i = 0; i < zs.nnames; i++) {
		uint8_t n[DNS_NAME_MAX + 8];
		size_t l = dns_name_len(zs.names[i]);
		memcpy(n, zs.names[i], l);
		for (size_t k = 0; k < l; k++)
			if ((n[k] | 0x20) >= 'a' && (n[k] | 0x20) <= 'z')
				n[k] ^= 0x20;
		assert_int_equal(dns_zone_find(&zs.z, guard(n, l), NULL), (uint32_t)i);
		/* One more label in front: absent, or the same node slow finds. */
		if (l + 2 <= DNS_NAME_MAX) {
			memmove(n + 2, n, l);
			n[0] = 1;
			n[1] = 'q';
			uint32_t pred;
			assert_int_equal(dns_zone_find(&zs.z, guard(n, l + 2), NULL),
				dns_zone_find(&slow, n, &pred));
			bool e1, e2;
			assert_int_equal(dns_zone_encloser(&zs.z, n, &e1), dns_zone_encloser(&slow, n, &e2));
			assert_int_equal(e1, e2);
		}
	}
	free(t);
	free(zs.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_generated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
