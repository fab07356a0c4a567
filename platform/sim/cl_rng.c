/* Seeded randomness for platform/sim: xoshiro256** seeded through splitmix64,
 * the generators' authors' recommended pairing. */
#include "cl_sim.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void cl_rng_seed(struct cl_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t cl_rng_next(struct cl_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t cl_rng_below(struct cl_rng *r, uint64_t n)
{
	/* Rejection sampling: no modulo bias. */
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = cl_rng_next(r);
	while (x >= lim);
	return x % n;
}

bool cl_rng_chance(struct cl_rng *r, double p)
{
	if (!(p > 0.0))
		return false;
	if (p >= 1.0)
		return true;
	/* 53 random bits: exactly representable, the same on every IEEE host. */
	return (double)(cl_rng_next(r) >> 11) * 0x1p-53 < p;
}

int cl_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
	struct cl_rng *r = ctx;
	while (len > 0) {
		uint64_t x = cl_rng_next(r);
		for (int i = 0; i < 8 && len > 0; i++, len--)
			*buf++ = (uint8_t)(x >> (8 * i));
	}
	return 0;
}
