/*
 * SHA-1 (FIPS 180-4 6.1), written here because libsodium has none.
 * Plain SHA-1 without collision detection: git since 2.13 uses SHA-1DC to
 * refuse SHAttered-style colliding inputs, which is out of scope here (an
 * attacker able to craft chosen-prefix collisions is not defended against;
 * the SHA-256 object format is the answer to that).
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA1_NI 1
/*
 * The x86 SHA extensions (Intel SHA-NI: sha1rnds4, sha1nexte, sha1msg1,
 * sha1msg2), about five times the speed of the portable rounds. Compiled
 * for every x86-64 build through a function target attribute and compiler
 * builtins (no intrinsics header), used only where CPUID says the CPU has
 * them. The library may keep no CPU-feature flag of its own, and CPUID
 * costs a microsecond or more under a hypervisor, so each context asks once,
 * and only after its first 16 KiB: hashing small objects never asks, a pack
 * or a large blob asks once (blocks() below).
 */
#define NI_TARGET __attribute__((target("sha,ssse3,sse4.1")))
typedef int gs_v4si __attribute__((vector_size(16)));
typedef char gs_v16qi __attribute__((vector_size(16)));
typedef unsigned gs_v4su __attribute__((vector_size(16)));
/* Lane-wise sums mod 2^32: in unsigned lanes, where wrapping is defined. */
#define ADD(a, b) ((gs_v4si)((gs_v4su)(a) + (gs_v4su)(b)))
#define RNDS4(a, b, f) __builtin_ia32_sha1rnds4((a), (b), (f))
#define NEXTE(a, b) __builtin_ia32_sha1nexte((a), (b))
#define MSG1(a, b) __builtin_ia32_sha1msg1((a), (b))
#define MSG2(a, b) __builtin_ia32_sha1msg2((a), (b))

NI_TARGET static gs_v4si load_rev(const uint8_t *p)
{
	/* the block's bytes reversed: big-endian words, last word first */
	static const gs_v16qi rev = { 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	gs_v16qi v;
	memcpy(&v, p, 16);
	return (gs_v4si)__builtin_ia32_pshufb128(v, rev);
}

NI_TARGET static void sha1_blocks_ni(uint32_t h[5], const uint8_t *p, size_t n)
{
	gs_v4si abcd, e0 = { 0, 0, 0, (int)h[4] }, e1, m0, m1, m2, m3;
	memcpy(&abcd, h, 16);
	abcd = __builtin_ia32_pshufd(abcd, 0x1b);
	while (n--) {
		gs_v4si abcd_save = abcd, e0_save = e0;
		m0 = load_rev(p);
		m1 = load_rev(p + 16);
		m2 = load_rev(p + 32);
		m3 = load_rev(p + 48);
		e0 = ADD(e0, m0); e1 = abcd; abcd = RNDS4(abcd, e0, 0);
		e1 = NEXTE(e1, m1); e0 = abcd; abcd = RNDS4(abcd, e1, 0); m0 = MSG1(m0, m1);
		e0 = NEXTE(e0, m2); e1 = abcd; abcd = RNDS4(abcd, e0, 0); m1 = MSG1(m1, m2); m0 ^= m2;
		e1 = NEXTE(e1, m3); e0 = abcd; m0 = MSG2(m0, m3); abcd = RNDS4(abcd, e1, 0); m2 = MSG1(m2, m3); m1 ^= m3;
		e0 = NEXTE(e0, m0); e1 = abcd; m1 = MSG2(m1, m0); abcd = RNDS4(abcd, e0, 0); m3 = MSG1(m3, m0); m2 ^= m0;
		e1 = NEXTE(e1, m1); e0 = abcd; m2 = MSG2(m2, m1); abcd = RNDS4(abcd, e1, 1); m0 = MSG1(m0, m1); m3 ^= m1;
		e0 = NEXTE(e0, m2); e1 = abcd; m3 = MSG2(m3, m2); abcd = RNDS4(abcd, e0, 1); m1 = MSG1(m1, m2); m0 ^= m2;
		e1 = NEXTE(e1, m3); e0 = abcd; m0 = MSG2(m0, m3); abcd = RNDS4(abcd, e1, 1); m2 = MSG1(m2, m3); m1 ^= m3;
		e0 = NEXTE(e0, m0); e1 = abcd; m1 = MSG2(m1, m0); abcd = RNDS4(abcd, e0, 1); m3 = MSG1(m3, m0); m2 ^= m0;
		e1 = NEXTE(e1, m1); e0 = abcd; m2 = MSG2(m2, m1); abcd = RNDS4(abcd, e1, 1); m0 = MSG1(m0, m1); m3 ^= m1;
		e0 = NEXTE(e0, m2); e1 = abcd; m3 = MSG2(m3, m2); abcd = RNDS4(abcd, e0, 2); m1 = MSG1(m1, m2); m0 ^= m2;
		e1 = NEXTE(e1, m3); e0 = abcd; m0 = MSG2(m0, m3); abcd = RNDS4(abcd, e1, 2); m2 = MSG1(m2, m3); m1 ^= m3;
		e0 = NEXTE(e0, m0); e1 = abcd; m1 = MSG2(m1, m0); abcd = RNDS4(abcd, e0, 2); m3 = MSG1(m3, m0); m2 ^= m0;
		e1 = NEXTE(e1, m1); e0 = abcd; m2 = MSG2(m2, m1); abcd = RNDS4(abcd, e1, 2); m0 = MSG1(m0, m1); m3 ^= m1;
		e0 = NEXTE(e0, m2); e1 = abcd; m3 = MSG2(m3, m2); abcd = RNDS4(abcd, e0, 2); m1 = MSG1(m1, m2); m0 ^= m2;
		e1 = NEXTE(e1, m3); e0 = abcd; m0 = MSG2(m0, m3); abcd = RNDS4(abcd, e1, 3); m2 = MSG1(m2, m3); m1 ^= m3;
		e0 = NEXTE(e0, m0); e1 = abcd; m1 = MSG2(m1, m0); abcd = RNDS4(abcd, e0, 3); m3 = MSG1(m3, m0); m2 ^= m0;
		e1 = NEXTE(e1, m1); e0 = abcd; m2 = MSG2(m2, m1); abcd = RNDS4(abcd, e1, 3); m3 ^= m1;
		e0 = NEXTE(e0, m2); e1 = abcd; m3 = MSG2(m3, m2); abcd = RNDS4(abcd, e0, 3);
		e1 = NEXTE(e1, m3); e0 = abcd; abcd = RNDS4(abcd, e1, 3);
		e0 = NEXTE(e0, e0_save);
		abcd = ADD(abcd, abcd_save);
		p += 64;
	}
	abcd = __builtin_ia32_pshufd(abcd, 0x1b);
	memcpy(h, &abcd, 16);
	h[4] = (uint32_t)e0[3];
}

#endif

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* W[t] for t >= 16 is kept in a rolling window of 16 words. */
#define W(t) (w[(t) & 15] = ROL(w[((t) + 13) & 15] ^ w[((t) + 8) & 15] ^ w[((t) + 2) & 15] ^ w[(t) & 15], 1))
#define R0(a, b, c, d, e, t) e += ((b & (c ^ d)) ^ d) + w[t] + 0x5a827999u + ROL(a, 5); b = ROL(b, 30)
#define R1(a, b, c, d, e, t) e += ((b & (c ^ d)) ^ d) + W(t) + 0x5a827999u + ROL(a, 5); b = ROL(b, 30)
#define R2(a, b, c, d, e, t) e += (b ^ c ^ d) + W(t) + 0x6ed9eba1u + ROL(a, 5); b = ROL(b, 30)
#define R3(a, b, c, d, e, t) e += (((b | c) & d) | (b & c)) + W(t) + 0x8f1bbcdcu + ROL(a, 5); b = ROL(b, 30)
#define R4(a, b, c, d, e, t) e += (b ^ c ^ d) + W(t) + 0xca62c1d6u + ROL(a, 5); b = ROL(b, 30)

#define FIVE(R, t) \
	R(a, b, c, d, e, (t)); R(e, a, b, c, d, (t) + 1); R(d, e, a, b, c, (t) + 2); \
	R(c, d, e, a, b, (t) + 3); R(b, c, d, e, a, (t) + 4)

static void sha1_blocks(uint32_t h[5], const uint8_t *p, size_t n)
{
	while (n--) {
		uint32_t w[16];
		for (int i = 0; i < 16; i++)
			w[i] = load_be32(p + 4 * i);
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
		FIVE(R0, 0); FIVE(R0, 5); FIVE(R0, 10);
		R0(a, b, c, d, e, 15); R1(e, a, b, c, d, 16); R1(d, e, a, b, c, 17);
		R1(c, d, e, a, b, 18); R1(b, c, d, e, a, 19);
		FIVE(R2, 20); FIVE(R2, 25); FIVE(R2, 30); FIVE(R2, 35);
		FIVE(R3, 40); FIVE(R3, 45); FIVE(R3, 50); FIVE(R3, 55);
		FIVE(R4, 60); FIVE(R4, 65); FIVE(R4, 70); FIVE(R4, 75);
		h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
		p += 64;
	}
}

enum { ACCEL_UNKNOWN, ACCEL_NONE, ACCEL_NI };

/* Blocks through SHA-NI when this context has learnt the CPU has it. */
static void blocks(struct gitstore_sha1 *s, const uint8_t *p, size_t n)
{
#ifdef SHA1_NI
	if (s->accel == ACCEL_UNKNOWN && s->len >= 16384)
		s->accel = (gitstore_int_cpu() & GITSTORE_INT_CPU_SHA) ? ACCEL_NI : ACCEL_NONE;
	if (s->accel == ACCEL_NI) {
		sha1_blocks_ni(s->h, p, n);
		return;
	}
#endif
	sha1_blocks(s->h, p, n);
}

void gitstore_int_hash_use_cpu(struct gitstore_hash *h, unsigned cpu)
{
	if (h->algo == GITSTORE_SHA1 && (cpu & GITSTORE_INT_CPU_ASKED))
		h->priv.sha1.accel = (cpu & GITSTORE_INT_CPU_SHA) ? ACCEL_NI : ACCEL_NONE;
}

void gitstore_sha1_init(struct gitstore_sha1 *s)
{
	s->h[0] = 0x67452301u;
	s->h[1] = 0xefcdab89u;
	s->h[2] = 0x98badcfeu;
	s->h[3] = 0x10325476u;
	s->h[4] = 0xc3d2e1f0u;
	s->len = 0;
	s->accel = ACCEL_UNKNOWN;
	memset(s->buf, 0, sizeof s->buf);
}

void gitstore_sha1_update(struct gitstore_sha1 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t fill = (size_t)(s->len & 63);
	s->len += len;
	if (fill) {
		size_t take = 64 - fill < len ? 64 - fill : len;
		memcpy(s->buf + fill, p, take);
		p += take;
		len -= take;
		if (fill + take < 64)
			return;
		blocks(s, s->buf, 1);
	}
	if (len >= 64) {
		blocks(s, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len)
		memcpy(s->buf, p, len);
}

void gitstore_sha1_final(struct gitstore_sha1 *s, uint8_t out[20])
{
	uint64_t bits = s->len * 8;
	size_t fill = (size_t)(s->len & 63);
	s->buf[fill++] = 0x80;
	if (fill > 56) {
		memset(s->buf + fill, 0, 64 - fill);
		blocks(s, s->buf, 1);
		fill = 0;
	}
	memset(s->buf + fill, 0, 56 - fill);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks(s, s->buf, 1);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}
