/* Address helpers: parse, format, sockaddr conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cl_posix.h"

static void test_parse_good(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
		uint8_t family;
		uint16_t port;
	} cases[] = {
		{ "127.0.0.1:5353", "127.0.0.1:5353", 4, 5353 },
		{ "0.0.0.0:80", "0.0.0.0:80", 4, 80 },
		{ "255.255.255.255:65535", "255.255.255.255:65535", 4, 65535 },
		{ "10.0.0.1:0", "10.0.0.1:0", 4, 0 },
		{ "[::1]:8080", "[::1]:8080", 6, 8080 },
		{ "[::]:53", "[::]:53", 6, 53 },
		{ "[2001:DB8::1]:443", "[2001:db8::1]:443", 6, 443 },
		{ "[::ffff:1.2.3.4]:1", "[::ffff:1.2.3.4]:1", 6, 1 },
		{ "1.2.3.4:00053", "1.2.3.4:53", 4, 53 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cl_addr a;
		char buf[CL_ADDR_STRLEN];
		if (cl_addr_parse(&a, cases[i].in) != 0)
			fail_msg("parse failed: %s", cases[i].in);
		assert_int_equal(a.family, cases[i].family);
		assert_int_equal(a.port, cases[i].port);
		int n = cl_addr_format(&a, buf, sizeof(buf));
		assert_int_equal(n, (int)strlen(cases[i].out));
		if (strcmp(buf, cases[i].out) != 0)
			fail_msg("%s formatted as %s, want %s", cases[i].in, buf, cases[i].out);
	}
	struct cl_addr a;
	assert_int_equal(cl_addr_parse(&a, "192.0.2.7:9"), 0);
	static const uint8_t ip[16] = { 192, 0, 2, 7 };
	assert_memory_equal(a.ip, ip, 16);
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", ":", "1.2.3.4", "1.2.3.4:", ":53", "1.2.3.4:65536", "1.2.3.4:99999999",
		"1.2.3.4:53x", "1.2.3.4:-1", "1.2.3.4: 53", "256.1.1.1:1", "1.2.3:4",
		"::1:53", "[::1]", "[::1]53", "[::1]:", "[1.2.3.4]:5", "[::1:53",
		"localhost:53", "[fe80::1%eth0]:53", "1.2.3.4:+53",
		"[0000:0000:0000:0000:0000:0000:0000:0000:0000]:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cl_addr a;
		memset(&a, 0xa5, sizeof(a));
		if (cl_addr_parse(&a, bad[i]) != -1)
			fail_msg("accepted bad address \"%s\"", bad[i]);
		assert_int_equal(a.family, 0);
	}
	struct cl_addr a;
	assert_int_equal(cl_addr_parse(&a, NULL), -1);
}

static void test_format_small(void **state)
{
	(void)state;
	struct cl_addr a;
	char buf[CL_ADDR_STRLEN];
	assert_int_equal(cl_addr_parse(&a, "127.0.0.1:5353"), 0);
	assert_int_equal(cl_addr_format(&a, buf, 14), -1);
	assert_int_equal(cl_addr_format(&a, buf, 15), 14);
	/* The longest form fits CL_ADDR_STRLEN. */
	assert_int_equal(cl_addr_parse(&a, "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535"), 0);
	assert_true(cl_addr_format(&a, buf, sizeof(buf)) > 0);
	a.family = 5;
	assert_int_equal(cl_addr_format(&a, buf, sizeof(buf)), -1);
}

static void test_sockaddr(void **state)
{
	(void)state;
	struct cl_addr a, b;
	union cl_sockaddr sa;
	assert_int_equal(cl_addr_parse(&a, "192.0.2.1:53"), 0);
	assert_int_equal(cl_addr_to_sockaddr(&a, &sa), sizeof(struct sockaddr_in));
	assert_int_equal(sa.in4.sin_family, AF_INET);
	assert_int_equal(ntohs(sa.in4.sin_port), 53);
	assert_int_equal(ntohl(sa.in4.sin_addr.s_addr), 0xc0000201u);
	assert_int_equal(cl_addr_from_sockaddr(&b, &sa.sa, sizeof(sa.in4)), 0);
	assert_true(cl_addr_equal(&a, &b));

	assert_int_equal(cl_addr_parse(&a, "[2001:db8::53]:5353"), 0);
	assert_int_equal(cl_addr_to_sockaddr(&a, &sa), sizeof(struct sockaddr_in6));
	assert_int_equal(sa.in6.sin6_family, AF_INET6);
	assert_int_equal(ntohs(sa.in6.sin6_port), 5353);
	assert_int_equal(cl_addr_from_sockaddr(&b, &sa.sa, sizeof(sa.in6)), 0);
	assert_true(cl_addr_equal(&a, &b));
	/* Too short for its family. */
	assert_int_equal(cl_addr_from_sockaddr(&b, &sa.sa, sizeof(sa.in4)), -1);

	/* A v4-mapped peer of a dual-stack socket reads as IPv4. */
	assert_int_equal(cl_addr_parse(&a, "[::ffff:198.51.100.9]:7"), 0);
	cl_addr_to_sockaddr(&a, &sa);
	assert_int_equal(cl_addr_from_sockaddr(&b, &sa.sa, sizeof(sa.in6)), 0);
	assert_int_equal(b.family, 4);
	assert_int_equal(b.port, 7);
	static const uint8_t ip4[16] = { 198, 51, 100, 9 };
	assert_memory_equal(b.ip, ip4, 16);

	a.family = 0;
	assert_int_equal(cl_addr_to_sockaddr(&a, &sa), 0);
	struct sockaddr un = { .sa_family = AF_UNIX };
	assert_int_equal(cl_addr_from_sockaddr(&b, &un, sizeof(un)), -1);
}

static void test_equal(void **state)
{
	(void)state;
	struct cl_addr a, b;
	cl_addr_parse(&a, "10.0.0.1:53");
	cl_addr_parse(&b, "10.0.0.1:54");
	assert_false(cl_addr_equal(&a, &b));
	cl_addr_parse(&b, "10.0.0.2:53");
	assert_false(cl_addr_equal(&a, &b));
	cl_addr_parse(&b, "[::a00:1]:53");
	assert_false(cl_addr_equal(&a, &b));
	cl_addr_parse(&b, "10.0.0.1:53");
	assert_true(cl_addr_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_format_small),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
