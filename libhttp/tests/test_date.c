#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* HTTP dates (RFC 9110 5.6.7): the three formats read, IMF-fixdate written,
 * calendar edge cases, and rejections. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <stdlib.h>
#include <cloudlet/http.h>
#include "guard.h"

/* Every date string is read from right before a guard page. */
static struct guard G;

static struct http_str S(const char *s)
{
	struct http_str r = { guard_put(&G, s, strlen(s)), strlen(s) };
	return r;
}

#define NOW_2026 1795000000 /* 2026-11-18 */

static void test_three_formats(void **state)
{
	(void)state;
	int64_t t;
	/* The example of RFC 9110 5.6.7 in all three forms. */
	assert_int_equal(http_date_parse(S("Sun, 06 Nov 1994 08:49:37 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_date_parse(S("Sunday, 06-Nov-94 08:49:37 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_date_parse(S("Sun Nov  6 08:49:37 1994"), NOW_2026, &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_date_parse(S("Thu, 01 Jan 1970 00:00:00 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(http_date_parse(S("Tue, 29 Feb 2000 23:59:59 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 951868799);
	assert_int_equal(http_date_parse(S("Wed Dec 31 23:59:59 2036"), NOW_2026, &t), 0);
	assert_int_equal(t, 2114380799);
	assert_int_equal(http_date_parse(S("Thu Feb 12 01:02:03 2026"), NOW_2026, &t), 0);
	assert_int_equal(t, 1770858123);
	/* RFC 850 two-digit years by the 50-year rule, from 2026. */
	assert_int_equal(http_date_parse(S("Wednesday, 01-Jan-70 00:00:00 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 3155760000LL); /* 2070 */
	assert_int_equal(http_date_parse(S("Tuesday, 01-Jan-36 00:00:00 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 2082758400); /* 2036: not more than 50 years ahead */
	assert_int_equal(http_date_parse(S("Wednesday, 01-Jan-76 00:00:00 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 3345062400LL); /* 2076: exactly 50 years ahead still is */
	assert_int_equal(http_date_parse(S("Saturday, 01-Jan-77 00:00:00 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 220924800);  /* 2077 would be: 1977 */
	/* A leap second is accepted. */
	assert_int_equal(http_date_parse(S("Sat, 31 Dec 2016 23:59:60 GMT"), NOW_2026, &t), 0);
	assert_int_equal(t, 1483228799);
}

static void test_rejects(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 6 Nov 1994 08:49:37 GMT", "sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
		"Sun,  06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 31 Nov 1994 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT ", " Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
		"Sun Nov  6 08:49:37 94", "Funday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37Z",
		"Sun, 06 Nov 1994 08:49:37 GMTx", "Sun, 06 Nov 1994 8:49:37 GMT",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t;
		int r = http_date_parse(S(bad[i]), NOW_2026, &t);
		if (r != HTTP_EINVAL)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		assert_int_equal(r, HTTP_EINVAL);
	}
}

static void test_format(void **state)
{
	(void)state;
	char d[HTTP_DATE_LEN + 1];
	assert_int_equal(http_date_format(784111777, d), HTTP_DATE_LEN);
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(http_date_format(0, d), HTTP_DATE_LEN);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(http_date_format(951868799, d), HTTP_DATE_LEN);
	assert_string_equal(d, "Tue, 29 Feb 2000 23:59:59 GMT");
	assert_int_equal(http_date_format(-1, d), HTTP_DATE_LEN);
	assert_string_equal(d, "Wed, 31 Dec 1969 23:59:59 GMT");
	assert_int_equal(http_date_format(253402300799LL, d), HTTP_DATE_LEN);
	assert_string_equal(d, "Fri, 31 Dec 9999 23:59:59 GMT");
	assert_int_equal(http_date_format(253402300800LL, d), HTTP_EINVAL);
	/* Round trip over a spread of times, every weekday and month. */
	for (int64_t t = -86400LL * 366; t < 4102444800LL; t += 86400LL * 13 + 3607) {
		int64_t back;
		assert_int_equal(http_date_format(t, d), HTTP_DATE_LEN);
		assert_int_equal(http_date_parse(S(d), NOW_2026, &back), 0);
		assert_int_equal(back, t);
	}
}

static void test_format_limits(void **state)
{
	(void)state;
	char d[HTTP_DATE_LEN + 1];
	assert_int_equal(http_date_format(-62167219200LL, d), HTTP_DATE_LEN);
	assert_string_equal(d, "Sat, 01 Jan 0000 00:00:00 GMT");
	assert_int_equal(http_date_format(-62167219201LL, d), HTTP_EINVAL);
	assert_int_equal(http_date_format(INT64_MIN, d), HTTP_EINVAL);
	assert_int_equal(http_date_format(INT64_MAX, d), HTTP_EINVAL);
}

/* The cache gives what http_date_format gives, formats again exactly when
 * the second changes (forwards, backwards, across a day and a year), and
 * answers NULL out of range without losing its place. */
static void test_date_cache(void **state)
{
	(void)state;
	struct http_date_cache dc;
	http_date_cache_init(&dc);
	char d[HTTP_DATE_LEN + 1];
	static const int64_t ts[] = { 1795000000, 1795000000, 1795000001, 1795000001, 1795000000,
		1798761599 /* Dec 31 23:59:59 */, 1798761600, 0, -1, 253402300799LL, 253402300800LL,
		1798761600, INT64_MIN, -62167219200LL, INT64_MAX, 1795000000 };
	const char *prev = NULL;
	int64_t prev_t = 0;
	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
		const char *got = http_date_cache_get(&dc, ts[i]);
		if (http_date_format(ts[i], d) < 0) {
			if (got)
				fprintf(stderr, "t=%lld\n", (long long)ts[i]);
			assert_null(got);
			continue;
		}
		if (!got)
			fprintf(stderr, "t=%lld\n", (long long)ts[i]);
		assert_non_null(got);
		assert_string_equal(got, d);
		assert_int_equal(strlen(got), HTTP_DATE_LEN);
		if (prev && prev_t == ts[i])
			assert_ptr_equal(got, prev); /* the same text, not formatted again */
		prev = got;
		prev_t = ts[i];
	}
	/* Formatting happens once per second: overwrite the kept text and
	 * ask for the same second, then for the next. */
	const char *t0 = http_date_cache_get(&dc, 1795000000);
	assert_non_null(t0);
	dc.priv.text[0] = 'X';
	assert_int_equal(http_date_cache_get(&dc, 1795000000)[0], 'X');
	assert_string_equal(http_date_cache_get(&dc, 1795000001), "Wed, 18 Nov 2026 11:06:41 GMT");
	http_date_format(1795000001, d);
	assert_string_equal(d, "Wed, 18 Nov 2026 11:06:41 GMT");
}

int main(void)
{
	guard_init(&G, 4096);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_formats),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_limits),
		cmocka_unit_test(test_date_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
