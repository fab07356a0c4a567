/* Helpers shared by the libdns tests: guard pages, a message builder, a PRNG. */
#ifndef DNS_TESTUTIL_H
#define DNS_TESTUTIL_H

#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <cloudlet/dns.h>

/* Input placed right before a PROT_NONE page: any over-read faults. One
 * mapping is kept per test binary and reused. */
struct guard { uint8_t *map; size_t pagesz; size_t span; };
static struct guard guard_state;

static inline const uint8_t *guard(const void *data, size_t len)
{
	struct guard *g = &guard_state;
	if (!g->map) {
		g->pagesz = (size_t)sysconf(_SC_PAGESIZE);
		g->span = (70000 / g->pagesz + 1) * g->pagesz;
		g->map = mmap(NULL, g->span + g->pagesz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(g->map != MAP_FAILED);
		assert_int_equal(mprotect(g->map + g->span, g->pagesz, PROT_NONE), 0);
	}
	assert_true(len <= g->span);
	uint8_t *p = g->map + g->span - len;
	if (len)
		memcpy(p, data, len);
	return p;
}

/* A little message builder for hand-made (and malformed) messages. */
struct mb { uint8_t b[8192]; size_t n; };

static inline void mb_bytes(struct mb *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}
static inline void mb_u8(struct mb *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static inline void mb_u16(struct mb *m, unsigned v) { mb_u8(m, v >> 8); mb_u8(m, v & 255); }
static inline void mb_u32(struct mb *m, uint32_t v) { mb_u16(m, v >> 16); mb_u16(m, v & 0xffff); }

static inline void mb_hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
	unsigned ns, unsigned ar)
{
	m->n = 0;
	mb_u16(m, id);
	mb_u16(m, flags);
	mb_u16(m, qd);
	mb_u16(m, an);
	mb_u16(m, ns);
	mb_u16(m, ar);
}

/* "www.example.com" (no final dot) as labels, ending with the root unless
 * noroot (then the caller adds a pointer). */
static inline void mb_labels(struct mb *m, const char *dotted, int noroot)
{
	const char *s = dotted;
	while (*s) {
		const char *e = strchr(s, '.');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		mb_u8(m, (unsigned)l);
		mb_bytes(m, s, l);
		s += l;
		if (*s == '.')
			s++;
	}
	if (!noroot)
		mb_u8(m, 0);
}

static inline void mb_ptr(struct mb *m, unsigned off) { mb_u16(m, 0xc000 | off); }

/* Owner (already written) + fixed part; returns the offset of RDLENGTH. */
static inline size_t mb_rr(struct mb *m, unsigned type, unsigned cls, uint32_t ttl, unsigned rdlen)
{
	mb_u16(m, type);
	mb_u16(m, cls);
	mb_u32(m, ttl);
	size_t at = m->n;
	mb_u16(m, rdlen);
	return at;
}

static inline void mb_fix_rdlen(struct mb *m, size_t at)
{
	size_t l = m->n - at - 2;
	m->b[at] = (uint8_t)(l >> 8);
	m->b[at + 1] = (uint8_t)l;
}

static inline int parse_guarded(struct dns_msg *msg, const struct mb *m)
{
	return dns_msg_parse(msg, guard(m->b, m->n), m->n);
}

/* xorshift64*: tests are deterministic from a printed seed. */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint8_t *name_wire(const char *text, uint8_t out[DNS_NAME_MAX])
{
	int r = dns_name_from_text(out, text, strlen(text), NULL);
	if (r < 0)
		fail_msg("bad test name %s: %s", text, dns_strerror(r));
	return out;
}

/* Loads zone text into z (arena lent by the caller); returns the parse or
 * finish result, with *zerr and msg describing a failure. */
static inline int load_zone(struct dns_zone *z, struct dns_zparser *p, const char *origin,
	const char *text, void *arena, size_t cap, struct dns_zone_err *zerr, char *msg, size_t msgcap)
{
	uint8_t o[DNS_NAME_MAX];
	name_wire(origin, o);
	dns_zone_init(z, o, arena, cap);
	struct dns_zopts opts = { .file = "zone", .origin = o, .rclass = DNS_C_IN,
		.rr = dns_zone_add_cb, .rr_ctx = z, .errmsg = msg, .errcap = msgcap };
	struct dns_zerror e;
	int r = dns_zone_parse(p, &opts, (const uint8_t *)text, strlen(text), &e);
	if (r < 0)
		return r;
	return dns_zone_finish(z, zerr);
}

#endif
