/*
 * CRC-32 (zlib's, the one pack indexes record) for the bulk of a fetch:
 * every entry copied from a pack is checked against its idx CRC first, as
 * git does, which is some 30 MB for a clone of a middling repository.
 * zlib's table-driven crc32 does about 2 GB/s here; folding with carry-less
 * multiplication (PCLMULQDQ, Gopal et al., "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ Instruction", Intel 2009) does many
 * times that. The fold keeps four 128-bit lanes, each multiplied forward by
 * x^512 per 64 bytes; the lanes are folded into one, the 16-byte blocks
 * left are folded by x^128, and the last 16 bytes with any tail go through
 * zlib, which also takes inputs too short to fold and CPUs without the
 * instruction. The constants are x^(512±32) and x^(128±32) mod P, bit
 * reflected and shifted left one, as the reflected CRC needs.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

unsigned gitstore_int_cpu(void)
{
	uint32_t r[4];
	unsigned f = GITSTORE_INT_CPU_ASKED;
	cpuid(0, 0, r);
	uint32_t max = r[0];
	if (max < 1)
		return f;
	cpuid(1, 0, r);
	bool ssse3 = r[2] & (1u << 9), sse41 = r[2] & (1u << 19);
	if (r[2] & (1u << 1))
		f |= GITSTORE_INT_CPU_CLMUL;
	if (max >= 7 && ssse3 && sse41) {
		cpuid(7, 0, r);
		if (r[1] & (1u << 29))
			f |= GITSTORE_INT_CPU_SHA;
	}
	return f;
}

typedef long long gs_v2di __attribute__((vector_size(16)));

__attribute__((target("pclmul,sse2"))) static gs_v2di fold(gs_v2di x, gs_v2di k)
{
	return __builtin_ia32_pclmulqdq128(x, k, 0x00) ^ __builtin_ia32_pclmulqdq128(x, k, 0x11);
}

static gs_v2di load(const uint8_t *p)
{
	gs_v2di v;
	memcpy(&v, p, 16);
	return v;
}

/* n >= 64: zlib's crc32(crc, p, n). */
__attribute__((target("pclmul,sse2"))) static uint32_t crc_clmul(uint32_t crc, const uint8_t *p, size_t n)
{
	const gs_v2di k512 = { 0x154442bd4ll, 0x1c6e41596ll }, k128 = { 0x1751997d0ll, 0x0ccaa009ell };
	gs_v2di a0 = load(p), a1 = load(p + 16), a2 = load(p + 32), a3 = load(p + 48);
	/* zlib's pre-conditioning: the inverted CRC so far on the first word */
	gs_v2di c = { (long long)(uint32_t)~crc, 0 };
	a0 ^= c;
	p += 64;
	n -= 64;
	for (; n >= 64; p += 64, n -= 64) {
		a0 = fold(a0, k512) ^ load(p);
		a1 = fold(a1, k512) ^ load(p + 16);
		a2 = fold(a2, k512) ^ load(p + 32);
		a3 = fold(a3, k512) ^ load(p + 48);
	}
	gs_v2di x = fold(a0, k128) ^ a1;
	x = fold(x, k128) ^ a2;
	x = fold(x, k128) ^ a3;
	for (; n >= 16; p += 16, n -= 16)
		x = fold(x, k128) ^ load(p);
	/* x followed by the tail has the remainder of the whole input, with the
	 * conditioning already in: its CRC from an all-ones start is the answer */
	uint8_t last[32];
	memcpy(last, &x, 16);
	memcpy(last + 16, p, n);
	return (uint32_t)crc32(0xffffffffu, last, (uInt)(16 + n));
}
#else
unsigned gitstore_int_cpu(void)
{
	return GITSTORE_INT_CPU_ASKED;
}
#endif

uint32_t gitstore_int_crc32(uint32_t crc, const uint8_t *p, size_t n, unsigned *cpu)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (n >= 64) {
		if (!*cpu)
			*cpu = gitstore_int_cpu();
		if (*cpu & GITSTORE_INT_CPU_CLMUL)
			return crc_clmul(crc, p, n);
	}
#else
	(void)cpu;
#endif
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = (uint32_t)crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return crc;
}
