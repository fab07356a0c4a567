/* Every error code has a distinct, named message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/dns.h>

static void test_names_distinct(void **state)
{
	(void)state;
	for (int a = DNS_ERR_MIN_ + 1; a <= 0; a++) {
		const char *sa = dns_strerror(a);
		assert_non_null(sa);
		assert_non_null(strstr(sa, "DNS_"));
		for (int b = a + 1; b <= 0; b++)
			assert_string_not_equal(sa, dns_strerror(b));
	}
	assert_non_null(strstr(dns_strerror(-1000), "unknown"));
	assert_string_equal(dns_version(), DNS_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
