/*
 * platform/sim: a virtual clock, a seeded random source and (to come) an
 * event scheduler, fault-injecting stream pairs and faulty datagram/frame
 * links. Everything is deterministic: the same seed gives the same run.
 */
#ifndef CLOUDLET_PLATFORM_SIM_H
#define CLOUDLET_PLATFORM_SIM_H

#include <stddef.h>
#include <stdint.h>

/* A seeded pseudo-random generator (xoshiro256**). */
struct cl_rng {
	uint64_t s[4];
};

void cl_rng_seed(struct cl_rng *r, uint64_t seed);
uint64_t cl_rng_next(struct cl_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t cl_rng_below(struct cl_rng *r, uint64_t n);
/* The libraries' random callback shape, ctx is a struct cl_rng *. */
int cl_rng_fill(void *ctx, uint8_t *buf, size_t len);

#endif
