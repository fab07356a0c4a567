/* The seed runner: runs every seed, names the first failing one in the
 * words a person replays it with, and honours CLOUDLET_SEED/CLOUDLET_SEEDS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cl_sim.h"

struct calls {
	int n;
	uint64_t seed[64];
	uint64_t fail_at;
};

static int scenario(uint64_t seed, void *ctx)
{
	struct calls *c = ctx;
	if (c->n < 64)
		c->seed[c->n] = seed;
	c->n++;
	CL_SIM_CHECK(seed != c->fail_at);
	return 0;
}

/* Run fn with stderr sent to a buffer. */
static void capture(char *out, size_t cap, int *ret, uint64_t first, uint64_t count,
                    struct calls *c)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	*ret = cl_sim_seeds("demo", first, count, scenario, c);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	size_t n = fread(out, 1, cap - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void test_all_pass(void **state)
{
	(void)state;
	struct calls c = { .fail_at = UINT64_MAX };
	char err[512];
	int r;
	unsetenv("CLOUDLET_SEED");
	unsetenv("CLOUDLET_SEEDS");
	capture(err, sizeof err, &r, 10, 5, &c);
	assert_int_equal(r, 0);
	assert_int_equal(c.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(c.seed[i], 10 + i);
	assert_string_equal(err, "");
}

static void test_failure_names_seed(void **state)
{
	(void)state;
	struct calls c = { .fail_at = 13 };
	char err[512];
	int r;
	unsetenv("CLOUDLET_SEED");
	unsetenv("CLOUDLET_SEEDS");
	capture(err, sizeof err, &r, 10, 50, &c);
	assert_int_equal(r, -1);
	assert_int_equal(c.n, 4); /* stops at the first failure */
	assert_non_null(strstr(err, "demo: seed 13 failed (replay: CLOUDLET_SEED=13; add CLOUDLET_TRACE=1"));
	assert_non_null(strstr(err, "check failed: seed != c->fail_at"));
	assert_non_null(strstr(err, "test_seeds.c:"));
}

static void test_replay_one_seed(void **state)
{
	(void)state;
	struct calls c = { .fail_at = 13 };
	char err[512];
	int r;
	setenv("CLOUDLET_SEED", "13", 1);
	capture(err, sizeof err, &r, 1, 1000, &c);
	unsetenv("CLOUDLET_SEED");
	assert_int_equal(r, -1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.seed[0], 13);
	assert_non_null(strstr(err, "seed 13 failed"));

	struct calls ok = { .fail_at = UINT64_MAX };
	setenv("CLOUDLET_SEED", "0x20", 1);
	capture(err, sizeof err, &r, 1, 1000, &ok);
	unsetenv("CLOUDLET_SEED");
	assert_int_equal(r, 0);
	assert_int_equal(ok.n, 1);
	assert_int_equal(ok.seed[0], 32);
}

static void test_seed_count_override(void **state)
{
	(void)state;
	struct calls c = { .fail_at = UINT64_MAX };
	char err[512];
	int r;
	setenv("CLOUDLET_SEEDS", "3", 1);
	capture(err, sizeof err, &r, 7, 1000, &c);
	assert_int_equal(r, 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.seed[2], 9);
	/* Garbage is ignored, loudly. */
	struct calls d = { .fail_at = UINT64_MAX };
	setenv("CLOUDLET_SEEDS", "many", 1);
	capture(err, sizeof err, &r, 7, 4, &d);
	unsetenv("CLOUDLET_SEEDS");
	assert_int_equal(d.n, 4);
	assert_non_null(strstr(err, "ignoring CLOUDLET_SEEDS=many"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_pass),
		cmocka_unit_test(test_failure_names_seed),
		cmocka_unit_test(test_replay_one_seed),
		cmocka_unit_test(test_seed_count_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
