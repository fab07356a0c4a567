/* Deltas: each instruction, each bound (inputs before a guard page). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>
#include "gt_util.h"

static const uint8_t base[] = "0123456789abcdefghijklmnopqrstuvwxyz";   /* 36 bytes + NUL */
#define BL 36

static int apply(const uint8_t *d, size_t dl, uint8_t *out, size_t cap, size_t *need)
{
	const uint8_t *g = gt_guard(d, dl);
	return gitstore_delta_apply(base, BL, g, dl, out, cap, need);
}

static void test_sizes(void **state)
{
	(void)state;
	uint64_t b, r;
	assert_int_equal(gitstore_delta_sizes((const uint8_t *)"\x24\x05", 2, &b, &r), 2);
	assert_int_equal(b, 36);
	assert_int_equal(r, 5);
	assert_int_equal(gitstore_delta_sizes((const uint8_t *)"\x80\x01\x7f", 3, &b, &r), 3);
	assert_int_equal(b, 128);
	assert_int_equal(r, 127);
	assert_int_equal(gitstore_delta_sizes((const uint8_t *)"\x24", 1, &b, &r), GITSTORE_EDELTA_HEADER);
	assert_int_equal(gitstore_delta_sizes((const uint8_t *)"\x80", 1, &b, &r), GITSTORE_EDELTA_HEADER);
	/* 2^64 does not fit */
	const uint8_t big[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x00 };
	assert_int_equal(gitstore_delta_sizes(big, sizeof big, &b, &r), GITSTORE_EDELTA_HEADER);
	const uint8_t max[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00 };
	assert_int_equal(gitstore_delta_sizes(max, sizeof max, &b, &r), 11);
	assert_true(b == UINT64_MAX);
}

static void test_insert_and_copy(void **state)
{
	(void)state;
	uint8_t out[0x20000];
	/* insert "AB", copy 3 bytes at offset 10, insert "C" */
	const uint8_t d1[] = { 36, 6, 0x02, 'A', 'B', 0x91, 10, 3, 0x01, 'C' };
	assert_int_equal(apply(d1, sizeof d1, out, sizeof out, NULL), 6);
	assert_memory_equal(out, "ABabcC", 6);
	/* every offset byte and size byte form: offset 0x00000023 via byte 0 only, size via byte 0 */
	const uint8_t d2[] = { 36, 1, 0x91, 35, 1 };
	assert_int_equal(apply(d2, sizeof d2, out, sizeof out, NULL), 1);
	assert_int_equal(out[0], 'z');
	/* offset in byte 1 only (0x0100 = 256: out of a 36-byte base) */
	const uint8_t d3[] = { 36, 1, 0x92, 0x01, 1 };
	assert_int_equal(apply(d3, sizeof d3, out, sizeof out, NULL), GITSTORE_EDELTA_COPY);
	/* all four offset bytes present (zero), size byte 0 */
	const uint8_t d5[] = { 36, 4, 0x9f, 0, 0, 0, 0, 4 };
	assert_int_equal(apply(d5, sizeof d5, out, sizeof out, NULL), 4);
	assert_memory_equal(out, "0123", 4);
	/* offset byte 0 = 1, size byte 1 only = 2: size 0x200, past the base */
	const uint8_t d6[] = { 36, 2, 0xa1, 1, 2 };
	assert_int_equal(apply(d6, sizeof d6, out, sizeof out, NULL), GITSTORE_EDELTA_COPY);
	/* offset bytes 1, 3 and size bytes 0, 2, all zero: size 0 is 0x10000, past the base */
	const uint8_t d4[] = { 36, 2, 0xda, 0, 0, 0, 0 };
	assert_int_equal(apply(d4, sizeof d4, out, sizeof out, NULL), GITSTORE_EDELTA_COPY);
	/* size 0 means 0x10000: from a 36-byte base, out of range */
	const uint8_t d7[] = { 36, 0x80, 0x80, 0x04, 0x80 };
	assert_int_equal(apply(d7, sizeof d7, out, sizeof out, NULL), GITSTORE_EDELTA_COPY);
	/* a copy whose operand bytes are missing */
	const uint8_t d8[] = { 36, 1, 0x91, 3 };
	assert_int_equal(apply(d8, sizeof d8, out, sizeof out, NULL), GITSTORE_EDELTA_COPY);
	/* a copy that ends exactly at the base's end is fine; one byte more is not */
	const uint8_t d9[] = { 36, 6, 0x91, 30, 6 };
	assert_int_equal(apply(d9, sizeof d9, out, sizeof out, NULL), 6);
	assert_memory_equal(out, "uvwxyz", 6);
	const uint8_t d10[] = { 36, 7, 0x91, 30, 7 };
	assert_int_equal(apply(d10, sizeof d10, out, sizeof out, NULL), GITSTORE_EDELTA_COPY);
	/* a huge offset (4 bytes) must not wrap */
	const uint8_t d11[] = { 36, 1, 0x9f, 0xff, 0xff, 0xff, 0xff, 1 };
	assert_int_equal(apply(d11, sizeof d11, out, sizeof out, NULL), GITSTORE_EDELTA_COPY);
}

static void test_size_zero_is_64k(void **state)
{
	(void)state;
	static uint8_t big[0x10000], out[0x10000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 13);
	const uint8_t d[] = { 0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80 };
	const uint8_t *g = gt_guard(d, sizeof d);
	assert_int_equal(gitstore_delta_apply(big, sizeof big, g, sizeof d, out, sizeof out, NULL), 0x10000);
	assert_memory_equal(out, big, sizeof big);
}

static void test_rejects(void **state)
{
	(void)state;
	uint8_t out[64];
	size_t need = 0;
	const uint8_t op0[] = { 36, 1, 0x00 };
	assert_int_equal(apply(op0, sizeof op0, out, sizeof out, NULL), GITSTORE_EDELTA_OPCODE);
	const uint8_t ins[] = { 36, 3, 0x03, 'a', 'b' };
	assert_int_equal(apply(ins, sizeof ins, out, sizeof out, NULL), GITSTORE_EDELTA_INSERT);
	const uint8_t bsz[] = { 35, 1, 0x01, 'a' };
	assert_int_equal(apply(bsz, sizeof bsz, out, sizeof out, NULL), GITSTORE_EDELTA_BASE_SIZE);
	const uint8_t shortr[] = { 36, 3, 0x01, 'a' };
	assert_int_equal(apply(shortr, sizeof shortr, out, sizeof out, NULL), GITSTORE_EDELTA_RESULT);
	const uint8_t longr[] = { 36, 1, 0x02, 'a', 'b' };
	assert_int_equal(apply(longr, sizeof longr, out, sizeof out, NULL), GITSTORE_EDELTA_RESULT);
	const uint8_t longc[] = { 36, 1, 0x91, 0, 2 };
	assert_int_equal(apply(longc, sizeof longc, out, sizeof out, NULL), GITSTORE_EDELTA_RESULT);
	const uint8_t fits[] = { 36, 40, 0x91, 0, 36, 0x04, 'w', 'x', 'y', 'z' };
	assert_int_equal(apply(fits, sizeof fits, out, 39, &need), GITSTORE_ENOMEM);
	assert_int_equal(need, 40);
	assert_int_equal(apply(fits, sizeof fits, out, 40, &need), 40);
	/* a bomb: the header claims 4 GiB */
	const uint8_t bomb[] = { 36, 0x80, 0x80, 0x80, 0x80, 0x10, 0x91, 0, 1 };
	assert_int_equal(apply(bomb, sizeof bomb, out, sizeof out, &need), GITSTORE_ETOOBIG);
	const uint8_t empty[] = { 36, 0 };
	assert_int_equal(apply(empty, sizeof empty, out, sizeof out, NULL), 0);
	assert_int_equal(apply(empty, 0, out, sizeof out, NULL), GITSTORE_EDELTA_HEADER);
}

static uint32_t rnd(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

/* make then apply gives the target back, whatever the edits and index size */
static void test_make(void **state)
{
	(void)state;
	static uint8_t src[200000], target[210000], delta[300000], out[210000];
	static uint32_t index[1 << 15];
	uint32_t seed = 7;
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (uint8_t)rnd(&seed);
	for (int round = 0; round < 24; round++) {
		size_t bl = round % 3 == 0 ? 1000 + rnd(&seed) % 5000 : sizeof src;
		size_t tl = 0;
		/* the target: runs of the src, shuffled, with fresh bytes between */
		while (tl < sizeof target - 70000) {
			if (rnd(&seed) % 3) {
				size_t at = rnd(&seed) % bl, n = rnd(&seed) % (round == 5 ? 70000 : 3000);
				if (at + n > bl)
					n = bl - at;
				memcpy(target + tl, src + at, n);
				tl += n;
			} else {
				size_t n = rnd(&seed) % 300;
				for (size_t i = 0; i < n; i++)
					target[tl++] = (uint8_t)rnd(&seed);
			}
			if (rnd(&seed) % 8 == 0)
				break;
		}
		size_t il = (size_t)1 << (round % 16);
		int dl = gitstore_delta_make(src, bl, target, tl, index, il, delta, sizeof delta);
		if (dl < 0)
			fail_msg("round %d: make: %s", round, gitstore_strerror(dl));
		int n = gitstore_delta_apply(src, bl, delta, (size_t)dl, out, sizeof out, NULL);
		if (n != (int)tl || memcmp(out, target, tl) != 0)
			fail_msg("round %d (src %zu, target %zu, index %zu): apply gave %d", round, bl, tl, il, n);
		if (il >= 1024 && tl > 10000 && (size_t)dl > tl / 2)
			fail_msg("round %d: delta of %d bytes for a %zu-byte target made of the src", round, dl, tl);
	}
	/* identical, empty src, empty target, a cap too small */
	int dl = gitstore_delta_make(src, 5000, src, 5000, index, 1024, delta, sizeof delta);
	assert_true(dl > 0 && dl < 20);
	assert_int_equal(gitstore_delta_apply(src, 5000, delta, (size_t)dl, out, sizeof out, NULL), 5000);
	dl = gitstore_delta_make(src, 0, src, 300, index, 1024, delta, sizeof delta);
	assert_int_equal(gitstore_delta_apply(src, 0, delta, (size_t)dl, out, sizeof out, NULL), 300);
	assert_memory_equal(out, src, 300);
	dl = gitstore_delta_make(src, 300, src, 0, index, 1024, delta, sizeof delta);
	assert_int_equal(gitstore_delta_apply(src, 300, delta, (size_t)dl, out, sizeof out, NULL), 0);
	assert_int_equal(gitstore_delta_make(src, 300, src + 1000, 300, index, 1024, delta, 100), GITSTORE_ENOMEM);
	assert_int_equal(gitstore_delta_make(src, 300, src, 300, index, 1000, delta, sizeof delta), GITSTORE_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_insert_and_copy),
		cmocka_unit_test(test_size_zero_is_64k),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_make),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
