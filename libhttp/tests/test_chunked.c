#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* The chunked decoder (RFC 9112 7.1): vectors, every split of the input and
 * every output size, in place, and each error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/http.h>
#include "guard.h"

struct good {
	const char *in;
	const char *out;
	const char *after; /* bytes left after the body */
};

static const struct good goods[] = {
	{ "5\r\nhello\r\n0\r\n\r\n", "hello", "" },
	{ "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET", "hello world", "GET" },
	{ "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij", "" },
	{ "0000\r\n\r\n", "", "" },
	{ "3;name=value;x=\"q s\"\r\nabc\r\n0;last\r\n\r\n", "abc", "" },
	{ "3 ; a\r\nabc\r\n0\r\n\r\n", "abc", "" },
	{ "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nChecksum: abc def\r\n\r\nNEXT", "abc", "NEXT" },
	{ "001\r\n\x00\r\n0\r\n\r\n", "\x00", "" },
};

struct bad {
	const char *in;
	int err;
};

static const struct bad bads[] = {
	{ "\r\n", HTTP_ECHUNKSIZE },
	{ "g\r\n", HTTP_ECHUNKSIZE },
	{ "5x\r\n", HTTP_ECHUNKSIZE },
	{ "-1\r\n", HTTP_ECHUNKSIZE },
	{ "5\nhello", HTTP_EBARELF },
	{ "5\rX", HTTP_EBARECR },
	{ "5\r\nhelloX\r\n", HTTP_ECHUNKDATA },
	{ "5\r\nhello\n", HTTP_EBARELF },
	{ "5\r\nhello\rX", HTTP_EBARECR },
	{ "1 \r\nx\r\n", HTTP_ECHUNKEXT },
	{ "1;a\x01\r\nx\r\n", HTTP_ECHUNKEXT },
	{ "1 x\r\n", HTTP_ECHUNKEXT },
	{ "1;a\nx", HTTP_EBARELF },
	{ "10000000000000000\r\n", HTTP_ECHUNKOVERFLOW },
	{ "ffffffffffffffff\r\n", HTTP_EBODYTOOLARGE },
	{ "0\r\nX : y\r\n\r\n", HTTP_EHDRSPACE },
	{ "0\r\nX: y\r\n z\r\n\r\n", HTTP_EOBSFOLD },
	{ "0\r\nX(: y\r\n\r\n", HTTP_EHDRNAME },
	{ "0\r\nX: \x01\r\n\r\n", HTTP_ECTL },
	{ "0\r\nX: y\n\r\n", HTTP_EBARELF },
	{ "0\r\n\rX", HTTP_EBARECR },
};

/* Feed in pieces of at most step bytes, decode into pieces of at most ostep. */
static int run(const uint8_t *in, size_t len, size_t step, size_t ostep, uint8_t *out,
		size_t *outlen, size_t *used, const struct http_limits *lim)
{
	struct http_chunked c;
	http_chunked_init(&c, lim);
	size_t i = 0, o = 0;
	int r = HTTP_EAGAIN;
	for (int guard = 0; guard < 100000; guard++) {
		size_t n = len - i < step ? len - i : step;
		size_t cons, prod;
		r = http_chunked_decode(&c, in + i, n, &cons, out + o, ostep, &prod);
		assert_true(cons <= n);
		assert_true(prod <= ostep);
		i += cons;
		o += prod;
		if (r == 1 || (r < 0 && r != HTTP_EAGAIN))
			break;
		if (r == HTTP_EAGAIN && i == len)
			break;
	}
	*outlen = o;
	*used = i;
	return r;
}

static void test_good(void **state)
{
	(void)state;
	struct guard g;
	guard_init(&g, 4096);
	for (size_t ci = 0; ci < sizeof goods / sizeof goods[0]; ci++) {
		const struct good *tc = &goods[ci];
		/* the last vector holds a NUL: its lengths are by hand */
		size_t len = ci == 7 ? 13 : strlen(tc->in);
		size_t olen = ci == 7 ? 1 : strlen(tc->out);
		size_t alen = strlen(tc->after);
		const uint8_t *in = guard_put(&g, tc->in, len);
		for (size_t step = 1; step <= len; step++) {
			for (size_t ostep = 1; ostep <= 8; ostep += 3) {
				uint8_t out[256];
				size_t o, used;
				int r = run(in, len, step, ostep, out, &o, &used, NULL);
				if (r != 1)
					fprintf(stderr, "case %zu step %zu ostep %zu: %s\n", ci, step, ostep, http_strerror(r));
				assert_int_equal(r, 1);
				assert_int_equal(o, olen);
				assert_memory_equal(out, tc->out, olen);
				assert_int_equal(used, len - alen);
			}
		}
		/* Every strict prefix of the body is incomplete. */
		for (size_t k = 0; k < len - alen; k++) {
			uint8_t out[256];
			size_t o, used;
			int r = run(guard_put(&g, tc->in, k), k, k ? k : 1, 256, out, &o, &used, NULL);
			assert_int_equal(r, HTTP_EAGAIN);
		}
		/* In place, in one call. */
		uint8_t buf[256];
		memcpy(buf, tc->in, len);
		struct http_chunked c;
		http_chunked_init(&c, NULL);
		size_t cons, prod;
		assert_int_equal(http_chunked_decode(&c, buf, len, &cons, buf, len, &prod), 1);
		assert_true(http_chunked_done(&c));
		assert_int_equal(prod, olen);
		assert_memory_equal(buf, tc->out, olen);
		assert_int_equal(cons, len - alen);
	}
	guard_fini(&g);
}

static void test_bad(void **state)
{
	(void)state;
	struct guard g;
	guard_init(&g, 4096);
	for (size_t ci = 0; ci < sizeof bads / sizeof bads[0]; ci++) {
		const struct bad *tc = &bads[ci];
		size_t len = strlen(tc->in);
		const uint8_t *in = guard_put(&g, tc->in, len);
		for (size_t step = 1; step <= len; step++) {
			uint8_t out[64];
			size_t o, used;
			int r = run(in, len, step, sizeof out, out, &o, &used, NULL);
			if (r != tc->err)
				fprintf(stderr, "bad %zu step %zu: got %s want %s\n", ci, step,
					http_strerror(r), http_strerror(tc->err));
			assert_int_equal(r, tc->err);
		}
		/* The error is kept. */
		struct http_chunked c;
		http_chunked_init(&c, NULL);
		size_t cons, prod;
		uint8_t out[64];
		assert_int_equal(http_chunked_decode(&c, in, len, &cons, out, sizeof out, &prod), tc->err);
		assert_int_equal(http_chunked_decode(&c, (const uint8_t *)"0\r\n\r\n", 5, &cons, out, sizeof out, &prod), tc->err);
		assert_int_not_equal(http_err_status(tc->err), 0);
	}
	guard_fini(&g);
}

static void test_limits(void **state)
{
	(void)state;
	struct http_limits lim;
	http_limits_default(&lim);
	lim.max_body = 10;
	lim.max_chunk_ext = 8;
	lim.max_trailer = 16;
	uint8_t out[64];
	size_t o, used;
	const char *a = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
	assert_int_equal(run((const uint8_t *)a, strlen(a), 100, 64, out, &o, &used, &lim), 1);
	const char *b = "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n";
	assert_int_equal(run((const uint8_t *)b, strlen(b), 100, 64, out, &o, &used, &lim), HTTP_EBODYTOOLARGE);
	const char *c = "1;abcdefg\r\nx\r\n0\r\n\r\n";
	assert_int_equal(run((const uint8_t *)c, strlen(c), 100, 64, out, &o, &used, &lim), 1);
	const char *d = "1;abcdefgh\r\nx\r\n0\r\n\r\n";
	assert_int_equal(run((const uint8_t *)d, strlen(d), 100, 64, out, &o, &used, &lim), HTTP_ECHUNKEXT);
	const char *e = "0\r\nA: 0123456789\r\n\r\n"; /* 15 + final CRLF = 17 trailer bytes */
	assert_int_equal(run((const uint8_t *)e, strlen(e), 100, 64, out, &o, &used, &lim), HTTP_ETRAILER);
	const char *f = "0\r\nA: 01234567\r\n\r\n";
	assert_int_equal(run((const uint8_t *)f, strlen(f), 100, 64, out, &o, &used, &lim), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
