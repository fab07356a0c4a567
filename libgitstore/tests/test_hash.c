/* SHA-1 and SHA-256 against FIPS 180 vectors, split at every byte; the
 * folded CRC-32 against zlib's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static void hex_of(int algo, const char *msg, size_t len, char *out)
{
	struct gitstore_hash h;
	struct gitstore_oid id;
	assert_int_equal(gitstore_hash_init(&h, algo), 0);
	gitstore_hash_update(&h, msg, len);
	gitstore_hash_final(&h, &id);
	gitstore_oid_to_hex(algo, &id, out);
}

static void test_vectors(void **state)
{
	(void)state;
	char hex[GITSTORE_HEX_MAX];
	hex_of(GITSTORE_SHA1, "", 0, hex);
	assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	hex_of(GITSTORE_SHA1, "abc", 3, hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	hex_of(GITSTORE_SHA1, two, strlen(two), hex);
	assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	hex_of(GITSTORE_SHA256, "abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(gitstore_hash_len(GITSTORE_SHA1), 20);
	assert_int_equal(gitstore_hash_len(GITSTORE_SHA256), 32);
	struct gitstore_hash h;
	assert_int_equal(gitstore_hash_init(&h, 7), GITSTORE_EINVAL);
}

static void test_million_a(void **state)
{
	(void)state;
	static char a[1000];
	memset(a, 'a', sizeof a);
	struct gitstore_sha1 s;
	uint8_t out[20];
	gitstore_sha1_init(&s);
	for (int i = 0; i < 1000; i++)
		gitstore_sha1_update(&s, a, sizeof a);
	gitstore_sha1_final(&s, out);
	struct gitstore_oid id = {{0}};
	memcpy(id.b, out, 20);
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(GITSTORE_SHA1, &id, hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/*
 * A context switches to the CPU's SHA instructions, where it has them,
 * after its first 16 KiB: the digest must not change, whether the switch
 * falls inside a block or between updates, in one update or in pieces.
 */
static void test_large(void **state)
{
	(void)state;
	static uint8_t msg[100003];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	static const size_t steps[] = { sizeof msg, 1, 63, 64, 65, 4093, 16384, 16385, 30000 };
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		struct gitstore_sha1 s;
		uint8_t out[20];
		gitstore_sha1_init(&s);
		for (size_t at = 0; at < sizeof msg; at += steps[k])
			gitstore_sha1_update(&s, msg + at, sizeof msg - at < steps[k] ? sizeof msg - at : steps[k]);
		gitstore_sha1_final(&s, out);
		struct gitstore_oid id = {{0}};
		memcpy(id.b, out, 20);
		char hex[GITSTORE_HEX_MAX];
		gitstore_oid_to_hex(GITSTORE_SHA1, &id, hex);
		if (strcmp(hex, "529915eedeec54d44b84269deff6be2bf0c17649") != 0)
			fail_msg("updates of %zu bytes: %s", steps[k], hex);
	}
}

/*
 * The CRC-32 of pack entries: folded with carry-less multiplication where
 * the CPU has it, zlib's otherwise; both must be zlib's crc32 for every
 * length (the fold's lanes, its 16-byte steps and its tail), alignment and
 * starting CRC. Seeded: a failure prints the case.
 */
static void test_crc32(void **state)
{
	(void)state;
	static uint8_t buf[70000];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < sizeof buf; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	static const unsigned modes[] = { 0, GITSTORE_INT_CPU_ASKED };
	for (size_t m = 0; m < 2; m++) {
		for (size_t len = 0; len < 1200; len += len < 300 ? 1 : 37) {
			for (size_t align = 0; align < 16; align += 5) {
				uint32_t start = len % 3 ? (uint32_t)(len * 2654435761u) : 0;
				unsigned cpu = modes[m];
				uint32_t want = (uint32_t)crc32(start, buf + align, (uInt)len);
				uint32_t got = gitstore_int_crc32(start, buf + align, len, &cpu);
				if (got != want)
					fail_msg("mode %zu len %zu align %zu crc %08x: %08x, zlib %08x", m, len, align, start, got, want);
			}
		}
		unsigned cpu = modes[m];
		assert_int_equal(gitstore_int_crc32(7, buf + 3, sizeof buf - 3, &cpu), (uint32_t)crc32(7, buf + 3, sizeof buf - 3));
	}
	/* the answer is kept: CPUID is asked once */
	unsigned cpu = 0;
	gitstore_int_crc32(0, buf, 4096, &cpu);
	assert_true(cpu & GITSTORE_INT_CPU_ASKED);
	printf("# cpu: %s\n", cpu & GITSTORE_INT_CPU_CLMUL ? "carry-less multiplication" : "zlib's tables only");
}

/* Every way of cutting a 200-byte message into two updates and a tail. */
static void test_splits(void **state)
{
	(void)state;
	uint8_t msg[200];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (int algo = GITSTORE_SHA1; algo <= GITSTORE_SHA256; algo++) {
		struct gitstore_hash h;
		struct gitstore_oid want, got;
		gitstore_hash_init(&h, algo);
		gitstore_hash_update(&h, msg, sizeof msg);
		gitstore_hash_final(&h, &want);
		for (size_t a = 0; a <= sizeof msg; a++) {
			for (size_t b = a; b <= sizeof msg; b += 13) {
				gitstore_hash_init(&h, algo);
				gitstore_hash_update(&h, msg, a);
				gitstore_hash_update(&h, msg + a, b - a);
				gitstore_hash_update(&h, msg + b, sizeof msg - b);
				gitstore_hash_final(&h, &got);
				if (gitstore_oid_cmp(&want, &got) != 0)
					fail_msg("algo %d split %zu/%zu differs", algo, a, b);
			}
		}
	}
}

static void test_hex(void **state)
{
	(void)state;
	struct gitstore_oid id;
	char hex[GITSTORE_HEX_MAX];
	const char *s = "CE013625030BA8DBA906F756967F9E9CA394464A";
	assert_int_equal(gitstore_oid_from_hex(GITSTORE_SHA1, s, 40, &id), 0);
	gitstore_oid_to_hex(GITSTORE_SHA1, &id, hex);
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	assert_int_equal(gitstore_oid_from_hex(GITSTORE_SHA1, s, 39, &id), GITSTORE_EHEX);
	assert_int_equal(gitstore_oid_from_hex(GITSTORE_SHA1, "g0", 2, &id), GITSTORE_EHEX);
	char bad[41];
	memcpy(bad, s, 41);
	bad[17] = 'x';
	assert_int_equal(gitstore_oid_from_hex(GITSTORE_SHA1, bad, 40, &id), GITSTORE_EHEX);
	assert_false(gitstore_oid_is_zero(&id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
