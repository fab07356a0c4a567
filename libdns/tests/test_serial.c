/* RFC 1982 serial arithmetic. */
#include "xfrutil.h"

static void test_cmp(void **st)
{
	(void)st;
	assert_int_equal(dns_serial_cmp(1, 1), DNS_SERIAL_EQ);
	assert_int_equal(dns_serial_cmp(1, 2), DNS_SERIAL_LT);
	assert_int_equal(dns_serial_cmp(2, 1), DNS_SERIAL_GT);
	/* Wrap: 0xffffffff is followed by 0 (RFC 1982 3.2 example). */
	assert_int_equal(dns_serial_cmp(0xffffffffu, 0), DNS_SERIAL_LT);
	assert_int_equal(dns_serial_cmp(0, 0xffffffffu), DNS_SERIAL_GT);
	assert_int_equal(dns_serial_cmp(0xfffffff0u, 5), DNS_SERIAL_LT);
	/* The largest forward step is 2^31 - 1. */
	assert_int_equal(dns_serial_cmp(0, 0x7fffffffu), DNS_SERIAL_LT);
	assert_int_equal(dns_serial_cmp(0, 0x80000001u), DNS_SERIAL_GT);
	/* Exactly 2^31 apart: undefined both ways, neither is greater. */
	assert_int_equal(dns_serial_cmp(0, 0x80000000u), DNS_SERIAL_UNDEF);
	assert_int_equal(dns_serial_cmp(0x80000000u, 0), DNS_SERIAL_UNDEF);
	assert_false(dns_serial_gt(0, 0x80000000u));
	assert_false(dns_serial_gt(0x80000000u, 0));
	assert_true(dns_serial_gt(1, 0xffffffffu));
	assert_false(dns_serial_gt(5, 5));
	/* Antisymmetry over a spread of pairs. */
	uint64_t seed = 1982;
	for (int i = 0; i < 10000; i++) {
		uint32_t a = (uint32_t)xu_rng(&seed), b = (uint32_t)xu_rng(&seed);
		if (i % 3 == 0)
			b = a + (uint32_t)(xu_rng(&seed) % 5);
		int x = dns_serial_cmp(a, b), y = dns_serial_cmp(b, a);
		if (x == DNS_SERIAL_UNDEF || x == DNS_SERIAL_EQ)
			assert_int_equal(x, y);
		else
			assert_int_equal(x, -y);
	}
}

static void test_add(void **st)
{
	(void)st;
	uint32_t out;
	assert_int_equal(dns_serial_add(0xfffffffeu, 3, &out), 0);
	assert_int_equal(out, 1);
	assert_true(dns_serial_gt(out, 0xfffffffeu));
	assert_int_equal(dns_serial_add(7, 0x7fffffffu, &out), 0);
	assert_int_equal(out, 0x80000006u);
	assert_true(dns_serial_gt(out, 7));
	assert_int_equal(dns_serial_add(7, 0x80000000u, &out), DNS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
