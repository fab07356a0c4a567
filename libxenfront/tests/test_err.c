/* Every error code has a distinct, named message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/xenfront.h>

static void test_names_distinct(void **state)
{
	(void)state;
	for (int a = XENFRONT_ERR_MIN_ + 1; a <= 0; a++) {
		const char *sa = xenfront_strerror(a);
		assert_non_null(sa);
		assert_non_null(strstr(sa, "XENFRONT_"));
		for (int b = a + 1; b <= 0; b++)
			assert_string_not_equal(sa, xenfront_strerror(b));
	}
	assert_non_null(strstr(xenfront_strerror(-1000), "unknown"));
	assert_string_equal(xenfront_version(), XENFRONT_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
