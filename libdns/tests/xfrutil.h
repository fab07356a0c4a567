/* Helpers shared by the zone transfer, TSIG and NOTIFY tests. */
#ifndef DNS_XFRUTIL_H
#define DNS_XFRUTIL_H

#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <cloudlet/dns.h>

#define XU_UNUSED __attribute__((unused))

/* Input placed right before a PROT_NONE page: any over-read faults. */
static XU_UNUSED const uint8_t *xu_guard(const void *data, size_t len)
{
	static uint8_t *map;
	static size_t span, pagesz;
	if (!map) {
		pagesz = (size_t)sysconf(_SC_PAGESIZE);
		span = (70000 / pagesz + 1) * pagesz;
		map = mmap(NULL, span + pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(map != MAP_FAILED);
		assert_int_equal(mprotect(map + span, pagesz, PROT_NONE), 0);
	}
	assert_true(len <= span);
	uint8_t *p = map + span - len;
	if (len)
		memcpy(p, data, len);
	return p;
}

/* xorshift64*: deterministic from a printed seed. */
static XU_UNUSED uint64_t xu_rng(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* The libraries' random callback over an xu_rng state. */
static XU_UNUSED int xu_random(void *ctx, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(xu_rng(ctx) >> 32);
	return 0;
}

static XU_UNUSED uint8_t *xu_name(const char *text, uint8_t out[DNS_NAME_MAX])
{
	int r = dns_name_from_text(out, text, strlen(text), NULL);
	if (r < 0)
		fail_msg("bad test name %s: %s", text, dns_strerror(r));
	return out;
}

#define xu_expect(expr, want)                                                                    \
	do {                                                                                     \
		int r_ = (expr);                                                                 \
		if (r_ != (want))                                                                \
			fail_msg("%s: got %d %s, want %d %s", #expr, r_, dns_strerror(r_), (int)(want), \
				dns_strerror(want));                                             \
	} while (0)

#ifndef XU_NO_ZONE
/* ---- Building zones by hand (the zone-file parser lives elsewhere). */

static XU_UNUSED size_t xu_soa_rdata(uint8_t *out, uint32_t serial, uint32_t refresh, uint32_t retry,
	uint32_t expire)
{
	uint8_t n[DNS_NAME_MAX];
	size_t k = 0, l;
	l = dns_name_len(xu_name("ns.example.test.", n));
	memcpy(out + k, n, l);
	k += l;
	l = dns_name_len(xu_name("admin.example.test.", n));
	memcpy(out + k, n, l);
	k += l;
	uint32_t v[5] = { serial, refresh, retry, expire, 300 };
	for (int i = 0; i < 5; i++) {
		out[k++] = (uint8_t)(v[i] >> 24);
		out[k++] = (uint8_t)(v[i] >> 16);
		out[k++] = (uint8_t)(v[i] >> 8);
		out[k++] = (uint8_t)v[i];
	}
	return k;
}

static XU_UNUSED void xu_add(struct dns_xset *z, const char *owner, uint16_t type, uint32_t ttl,
	const void *rdata, size_t rdlen)
{
	uint8_t n[DNS_NAME_MAX];
	struct dns_xrr rr = { xu_name(owner, n), type, DNS_C_IN, ttl, (uint16_t)rdlen, rdata };
	xu_expect(dns_xset_add(z, &rr), 0);
}

static XU_UNUSED void xu_add_soa(struct dns_xset *z, uint32_t serial, uint32_t refresh,
	uint32_t retry, uint32_t expire)
{
	uint8_t rd[DNS_SOA_RDATA_MAX];
	size_t n = xu_soa_rdata(rd, serial, refresh, retry, expire);
	xu_add(z, "example.test.", DNS_T_SOA, 3600, rd, n);
}

/* A zone: SOA, NS, MX, then `hosts` names with an A and a TXT each; the
 * TXT grows with `fat` so messages fill quickly. `variant` changes some
 * addresses, so two variants differ in a known way. */
static XU_UNUSED void xu_zone(struct dns_xset *z, uint32_t serial, unsigned hosts, unsigned fat,
	unsigned variant)
{
	dns_xset_reset(z);
	xu_add_soa(z, serial, 3600, 600, 86400);
	uint8_t n[DNS_NAME_MAX];
	size_t l = dns_name_len(xu_name("ns.example.test.", n));
	xu_add(z, "example.test.", DNS_T_NS, 3600, n, l);
	uint8_t mx[DNS_NAME_MAX + 2] = { 0, 10 };
	l = dns_name_len(xu_name("mail.example.test.", mx + 2));
	xu_add(z, "example.test.", DNS_T_MX, 3600, mx, l + 2);
	xu_add(z, "ns.example.test.", DNS_T_A, 3600, "\xc0\x00\x02\x01", 4);
	for (unsigned i = 0; i < hosts; i++) {
		char owner[64];
		snprintf(owner, sizeof owner, "h%u.example.test.", i);
		uint8_t a[4] = { 192, 0, 2, (uint8_t)(i + (i % 7 == 0 ? variant : 0)) };
		xu_add(z, owner, DNS_T_A, 300, a, 4);
		uint8_t txt[256];
		size_t tl = 1 + (fat + i) % 200;
		txt[0] = (uint8_t)(tl - 1);
		memset(txt + 1, 'a' + (int)(i % 26), tl - 1);
		xu_add(z, owner, DNS_T_TXT, 300, txt, tl);
	}
	assert_true(dns_xset_sort(z) > 0);
}

/* Two sets hold the same records (TTL included). */
static XU_UNUSED bool xu_same(const struct dns_xset *a, const struct dns_xset *b)
{
	if (dns_xset_count(a) != dns_xset_count(b))
		return false;
	struct dns_xset_iter ia, ib;
	struct dns_xrr x, y;
	dns_xset_iter_init(&ia, a);
	dns_xset_iter_init(&ib, b);
	while (dns_xset_next(&ia, &x) == 1) {
		if (dns_xset_next(&ib, &y) != 1 || dns_xrr_cmp(&x, &y) != 0 || x.ttl != y.ttl)
			return false;
	}
	return true;
}
#endif

#endif /* DNS_XFRUTIL_H */
