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

#endif
