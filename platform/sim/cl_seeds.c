/* Running a scenario over many seeds, and naming the one that failed. */
#include "cl_sim.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static bool env_u64(const char *name, uint64_t *out)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end != '\0') {
		fprintf(stderr, "cl_sim: ignoring %s=%s (not a number)\n", name, s);
		return false;
	}
	*out = v;
	return true;
}

int cl_sim_seeds(const char *name, uint64_t first, uint64_t count,
                 int (*scenario)(uint64_t seed, void *ctx), void *ctx)
{
	uint64_t only;
	if (env_u64("CLOUDLET_SEED", &only)) {
		first = only;
		count = 1;
	} else {
		env_u64("CLOUDLET_SEEDS", &count);
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t seed = first + i;
		if (scenario(seed, ctx) != 0) {
			fprintf(stderr,
			        "%s: seed %" PRIu64 " failed (replay: CLOUDLET_SEED=%" PRIu64
			        "; add CLOUDLET_TRACE=1 for its trace)\n",
			        name, seed, seed);
			return -1;
		}
	}
	return 0;
}

int cl_sim_check_failed(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
	return 1;
}
