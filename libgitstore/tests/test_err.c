/* Every error code has a distinct, named message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>

static void test_names_distinct(void **state)
{
	(void)state;
	for (int a = GITSTORE_ERR_MIN_ + 1; a <= 0; a++) {
		const char *sa = gitstore_strerror(a);
		assert_non_null(sa);
		assert_non_null(strstr(sa, "GITSTORE_"));
		for (int b = a + 1; b <= 0; b++)
			assert_string_not_equal(sa, gitstore_strerror(b));
	}
	assert_non_null(strstr(gitstore_strerror(-1000), "unknown"));
	assert_string_equal(gitstore_version(), GITSTORE_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
