/* Zone database: arena sizing, canonical lookups, empty non-terminals, zone checks. */
#include "testutil.h"
#include "dns_int.h"
#include <stdlib.h>
#include <strings.h>

static struct dns_zparser parser;
static uint8_t arena[1 << 20];
static char msg[256];

#define HEAD "$TTL 300\n@ SOA ns hm 1 2 3 4 60\n@ NS ns\nns A 192.0.2.1\n"

static void test_lookup(void **st)
{
	(void)st;
	struct dns_zone z;
	struct dns_zone_err ze;
	const char *text = HEAD
		"WWW A 192.0.2.2\n"
		"www A 192.0.2.3\n"
		"www A 192.0.2.2\n"           /* duplicate: dropped (RFC 2181 5) */
		"www 100 A 192.0.2.4\n"       /* lower TTL wins for the set */
		"a.b.c A 192.0.2.5\n";
	assert_int_equal(load_zone(&z, &parser, "Example.", text, arena, sizeof arena, &ze, msg, sizeof msg), 0);
	/* example, a.b.c, b.c, c (ENTs), ns, www */
	assert_int_equal(dns_zone_nodes(&z), 6);
	struct dns_rrset set;
	uint8_t n[DNS_NAME_MAX];
	assert_int_equal(dns_zone_get(&z, name_wire("wWw.EXAMPLE.", n), DNS_T_A, &set), 1);
	assert_int_equal(set.count, 3);
	assert_int_equal(set.ttl, 100);
	uint16_t len;
	const uint8_t *rd = dns_rrset_rdata(&set, 0, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(rd, "\xc0\x00\x02\x02", 4);
	rd = dns_rrset_rdata(&set, 2, &len);
	assert_memory_equal(rd, "\xc0\x00\x02\x04", 4);
	assert_null(dns_rrset_rdata(&set, 3, &len));
	assert_int_equal(dns_zone_get(&z, name_wire("www.example.", n), DNS_T_AAAA, &set), 0);
	assert_int_equal(dns_zone_get(&z, name_wire("b.c.example.", n), DNS_T_A, &set), 0);
	assert_int_equal(dns_zone_get(&z, name_wire("a.b.c.example.", n), DNS_T_A, &set), 1);
	assert_int_equal(dns_zone_get(&z, name_wire("x.example.", n), DNS_T_A, &set), 0);
	assert_int_equal(dns_zone_finish(&z, &ze), DNS_EZONE_STATE);
	assert_int_equal(dns_zone_serial(&z), 1);

	/* The walk: canonical order, each RRset once. */
	static const char *const order[] = {
		"example.\t300\tIN\tNS", "example.\t300\tIN\tSOA", "a.b.c.example.\t300\tIN\tA",
		"ns.example.\t300\tIN\tA", "WWW.example.\t100\tIN\tA",
	};
	struct dns_zone_iter it = { 0, 0 };
	int k = 0;
	while (dns_zone_next(&z, &it, &set)) {
		char t[512];
		const uint8_t *r0 = dns_rrset_rdata(&set, 0, &len);
		assert_true(dns_rr_to_text(set.owner, set.type, DNS_C_IN, set.ttl, r0, len, t, sizeof t) > 0);
		assert_true(k < 5);
		if (strncasecmp(t, order[k], strlen(order[k])) != 0)
			fail_msg("walk %d: %s", k, t);
		k++;
	}
	assert_int_equal(k, 5);
}

static void test_serial(void **st)
{
	(void)st;
	assert_int_equal(dns_serial_cmp(1, 1), 0);
	assert_true(dns_serial_cmp(1, 2) < 0);
	assert_true(dns_serial_cmp(2, 1) > 0);
	/* Wrap (RFC 1982 3.2): 0xffffffff is before 0 and 1. */
	assert_true(dns_serial_cmp(0xffffffffu, 0) < 0);
	assert_true(dns_serial_cmp(0xffffffffu, 1) < 0);
	assert_true(dns_serial_cmp(0, 0x7fffffffu) < 0);
	assert_true(dns_serial_cmp(0, 0x80000001u) > 0);
}

static void test_arena(void **st)
{
	(void)st;
	struct dns_zone z;
	struct dns_zone_err ze;
	char text[8192];
	strcpy(text, HEAD);
	for (int i = 0; i < 100; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), "h%d.x.y TXT \"record %d\"\n", i, i);
	/* Too small: ENOMEM, and the size it asks for works. */
	assert_int_equal(load_zone(&z, &parser, "example.", text, arena, 1000, &ze, msg, sizeof msg), DNS_ENOMEM);
	size_t need = dns_zone_needed(&z);
	assert_true(need > 1000);
	assert_int_equal(load_zone(&z, &parser, "example.", text, arena, need, &ze, msg, sizeof msg), 0);
	/* Every size from tiny up either fits or says ENOMEM, never crashes. */
	for (size_t cap = 0; cap < need; cap += 97) {
		int r = load_zone(&z, &parser, "example.", text, arena + 1, cap, &ze, msg, sizeof msg);
		assert_true(r == 0 || r == DNS_ENOMEM);
		if (r == DNS_ENOMEM)
			assert_true(dns_zone_needed(&z) <= need + 8);
	}
	uint8_t n[DNS_NAME_MAX];
	struct dns_rrset set;
	assert_int_equal(load_zone(&z, &parser, "example.", text, arena + 3, need, &ze, msg, sizeof msg), 0);
	assert_int_equal(dns_zone_get(&z, name_wire("h42.x.y.example.", n), DNS_T_TXT, &set), 1);
	/* x.y and y are empty non-terminals. */
	assert_int_equal(dns_zone_nodes(&z), 2 + 100 + 2);
}

static const struct {
	const char *text;
	int code;
	const char *name;
	uint16_t type;
	unsigned line;
} checks[] = {
	{ "$TTL 1\n@ NS ns\nns A 192.0.2.1\n", DNS_EZONE_NO_SOA, "example.", DNS_T_SOA, 0 },
	{ "$TTL 1\n@ SOA ns hm 1 2 3 4 5\nns A 192.0.2.1\n", DNS_EZONE_NO_NS, "example.", DNS_T_NS, 0 },
	{ HEAD "@ SOA ns2 hm 1 2 3 4 5\n", DNS_EZONE_SOA, "example.", DNS_T_SOA, 2 },
	{ HEAD "c CNAME ns\nc A 192.0.2.9\n", DNS_EZONE_CNAME, "c.example.", DNS_T_CNAME, 5 },
	{ HEAD "c CNAME ns\nc CNAME www\n", DNS_EZONE_CNAME, "c.example.", DNS_T_CNAME, 5 },
	{ HEAD "sub NS ns.sub\nsub TXT \"no\"\n", DNS_EZONE_BELOW_CUT, "sub.example.", DNS_T_TXT, 6 },
	{ HEAD "sub NS ns.sub\nx.sub MX 1 ns\n", DNS_EZONE_BELOW_CUT, "x.sub.example.", DNS_T_MX, 6 },
	{ HEAD "sub NS ns.sub\nx.y.sub NS ns\n", DNS_EZONE_BELOW_CUT, "x.y.sub.example.", DNS_T_NS, 6 },
	{ HEAD "dn DNAME t.example.\nx.dn A 192.0.2.1\n", DNS_EZONE_DNAME, "x.dn.example.", DNS_T_DNAME, 6 },
	{ HEAD "dn DNAME t.example.\ndn CNAME t.example.\n", DNS_EZONE_DNAME, "dn.example.", DNS_T_DNAME, 5 },
	{ HEAD "dn DNAME t.example.\ndn DNAME u.example.\n", DNS_EZONE_DNAME, "dn.example.", DNS_T_DNAME, 5 },
};

static void test_checks(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		struct dns_zone z;
		struct dns_zone_err ze;
		memset(&ze, 0, sizeof ze);
		int r = load_zone(&z, &parser, "example.", checks[i].text, arena, sizeof arena, &ze, msg, sizeof msg);
		uint8_t want[DNS_NAME_MAX];
		if (r != checks[i].code || !dns_name_equal(ze.name, name_wire(checks[i].name, want)) ||
		    ze.type != checks[i].type || ze.line != checks[i].line)
			fail_msg("case %zu: %s type %u line %u", i, dns_strerror(r), ze.type, ze.line);
		/* A zone that failed answers nothing. */
		struct dns_rrset set;
		assert_int_equal(dns_zone_get(&z, want, checks[i].type, &set), 0);
		assert_int_equal(dns_zone_nodes(&z), 0);
	}
	/* Glue below a cut and a DS at it are fine. */
	struct dns_zone z;
	struct dns_zone_err ze;
	assert_int_equal(load_zone(&z, &parser, "example.", HEAD "sub NS ns.sub\nsub DS 1 13 2 AB\nns.sub A 192.0.2.9\nns.sub AAAA ::1\nsub A 192.0.2.8\n",
		arena, sizeof arena, &ze, msg, sizeof msg), 0);
	/* Outside the origin, and an SOA below the apex: refused as added. */
	uint8_t o[DNS_NAME_MAX], owner[DNS_NAME_MAX];
	dns_zone_init(&z, name_wire("example.", o), arena, sizeof arena);
	struct dns_zrr rr = { name_wire("example.org.", owner), DNS_T_A, DNS_C_IN, 1, 4,
		(const uint8_t *)"\1\2\3\4", "f", 7 };
	assert_int_equal(dns_zone_add(&z, &rr, &ze), DNS_EZONE_OUTSIDE);
	assert_int_equal(ze.line, 7);
	rr.owner = name_wire("a.example.", owner);
	rr.type = DNS_T_SOA;
	assert_int_equal(dns_zone_add(&z, &rr, &ze), DNS_EZONE_SOA);
	/* Through the zone-file parser the add error stops the parse. */
	assert_int_equal(load_zone(&z, &parser, "example.", HEAD "x.other. A 192.0.2.1\n", arena, sizeof arena, &ze, msg, sizeof msg), DNS_EZONE_OUTSIDE);
	assert_string_equal(msg, "zone:5:1: the record was refused");
	/* An empty zone. */
	assert_int_equal(load_zone(&z, &parser, "example.", "", arena, sizeof arena, &ze, msg, sizeof msg), DNS_EZONE_NO_SOA);
}

/* Random zones: nodes strictly in canonical order, every owner and every
 * ancestor present, parents right, lookups equal to a linear scan. */
static void test_property(void **st)
{
	(void)st;
	static char text[1 << 16];
	static uint8_t names[400][DNS_NAME_MAX];
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint64_t s = seed * 0x9E3779B97F4A7C15ULL;
		strcpy(text, HEAD);
		int nn = 0;
		name_wire("ns.example.", names[nn++]);
		int count = 1 + (int)(rng_next(&s) % 150);
		for (int i = 0; i < count; i++) {
			char owner[200] = "";
			int depth = 1 + (int)(rng_next(&s) % 4);
			for (int d = 0; d < depth; d++) {
				static const char *const labs[] = { "a", "B", "c", "aa", "*", "\\000", "z", "A" };
				strcat(owner, labs[rng_next(&s) % 8]);
				strcat(owner, ".");
			}
			strcat(owner, "example.");
			snprintf(text + strlen(text), sizeof text - strlen(text), "%s A 192.0.2.%d\n", owner, i % 250);
			dns_name_from_text(names[nn++], owner, strlen(owner), NULL);
		}
		struct dns_zone z;
		struct dns_zone_err ze;
		int r = load_zone(&z, &parser, "example.", text, arena, sizeof arena, &ze, msg, sizeof msg);
		if (r)
			fail_msg("seed %llu: %s %s", (unsigned long long)seed, dns_strerror(r), msg);
		uint32_t n = dns_zone_nodes(&z);
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *nm = dns_zname(&z, i);
			if (i + 1 < n && dns_name_cmp(nm, dns_zname(&z, i + 1)) >= 0)
				fail_msg("seed %llu: nodes %u and %u out of order", (unsigned long long)seed, i, i + 1);
			uint32_t par = dns_zn(&z, i)->parent;
			if (i == 0 ? par != DNS_ZONE_NONE : (par == DNS_ZONE_NONE ||
			    dns_name_labels(dns_zname(&z, par)) + 1 != dns_name_labels(nm) ||
			    !dns_name_is_sub(nm, dns_zname(&z, par))))
				fail_msg("seed %llu: node %u has the wrong parent", (unsigned long long)seed, i);
			/* A node is an owner or an ancestor of one. */
			bool found = false;
			for (int k = 0; k < nn && !found; k++)
				found = dns_name_is_sub(names[k], nm);
			if (!found)
				fail_msg("seed %llu: node %u is neither owner nor ancestor", (unsigned long long)seed, i);
		}
		/* Every owner and ancestor is found; random other names are not,
		 * and then the predecessor is the last node before them. */
		for (int k = 0; k < nn; k++) {
			const uint8_t *nm = names[k];
			while (nm[0]) {
				if (dns_zone_find(&z, nm, NULL) == DNS_ZONE_NONE)
					fail_msg("seed %llu: name %d not found", (unsigned long long)seed, k);
				if (dns_name_equal(nm, dns_zone_origin(&z)))
					break;
				nm += nm[0] + 1;
			}
			uint8_t other[DNS_NAME_MAX];
			other[0] = 1;
			other[1] = 'q';
			memcpy(other + 2, names[k], dns_name_len(names[k]));
			uint32_t pred;
			if (dns_zone_find(&z, other, &pred) != DNS_ZONE_NONE)
				fail_msg("seed %llu: a name not in the zone was found", (unsigned long long)seed);
			uint32_t want = DNS_ZONE_NONE;
			for (uint32_t i = 0; i < n; i++)
				if (dns_name_cmp(dns_zname(&z, i), other) < 0)
					want = i;
			if (pred != want)
				fail_msg("seed %llu: predecessor %u, want %u", (unsigned long long)seed, pred, want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_serial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
