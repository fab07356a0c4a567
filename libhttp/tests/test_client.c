/* The client connection over the fault-injecting fake stream: framing by
 * Content-Length, chunked and close, interim responses skipped, HEAD, reuse
 * of a persistent connection, request bodies, and errors. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/http.h>
#include "fake_stream.h"

static struct http_str S(const char *s)
{
	struct http_str r = { (const uint8_t *)s, strlen(s) };
	return r;
}

struct step {
	const char *method;
	const char *target;
	const char *fields;
	const char *body;       /* NULL: none; "@chunked": streamed as chunks */
	int status;             /* expected */
	const char *resp_body;  /* expected */
};

struct crun {
	struct fake f;
	struct http_client c;
	uint8_t in[1024], out[512];
	struct http_header h[16];
	char got[4096];
	size_t got_len;
};

static struct crun C;

/* Run the steps in order on one connection; returns the final poll result. */
static int run_steps(uint64_t seed, int block, size_t io, const char *server, const struct step *st,
		int nst, int *done_steps)
{
	struct crun *R = &C;
	memset(&R->f, 0, sizeof R->f);
	R->f.rng = seed;
	R->f.block_pct = block;
	R->f.max_io = io;
	R->f.in = (const uint8_t *)server;
	R->f.in_len = R->f.in_visible = strlen(server);
	R->f.eof = true;
	uint64_t now = 0;
	http_client_init(&R->c, seed % 2 ? &ops_v : &ops_1, &R->f, R->in, sizeof R->in, R->out,
		sizeof R->out, R->h, 16, NULL, 5000, now);
	int i = 0, r = 0;
	bool sent = false, ended = false;
	size_t wpos = 0;
	for (int guard = 0; guard < 100000; guard++, now++) {
		/* The server answers only once it has the whole request. */
		bool pending = R->c.priv.out_pos < R->c.priv.out_len ||
			R->c.priv.body_pos < R->c.priv.body_len || R->c.priv.streaming;
		R->f.in_visible = pending ? R->f.in_pos : R->f.in_len;
		r = http_client_poll(&R->c, now);
		if (r == HTTP_CLIENT_READY && i < nst && !sent) {
			const struct step *s = &st[i];
			if (s->body && !strcmp(s->body, "@chunked")) {
				assert_int_equal(http_client_request_start(&R->c, s->method, S(s->target), S("example.com"), S(s->fields)), 0);
				wpos = 0;
				ended = false;
			} else {
				assert_int_equal(http_client_request(&R->c, s->method, S(s->target), S("example.com"),
					S(s->fields), (const uint8_t *)s->body, s->body ? strlen(s->body) : 0), 0);
				ended = true;
			}
			sent = true;
			R->got_len = 0;
			continue;
		}
		if (sent && !ended) {
			static const char piece[] = "0123456789";
			while (wpos < 100) {
				int w = http_client_write(&R->c, (const uint8_t *)piece, 10 - wpos % 10);
				if (w == HTTP_EAGAIN)
					break;
				assert_true(w > 0);
				wpos += (size_t)w;
			}
			if (wpos >= 100 && http_client_end(&R->c) == 0)
				ended = true;
		}
		if (r == HTTP_CLIENT_RESPONSE) {
			const struct http_response *res = http_client_response(&R->c);
			assert_non_null(res);
			if (res->status != st[i].status)
				fail_msg("seed %llu step %d: status %d", (unsigned long long)seed, i, res->status);
			int n;
			while ((n = http_client_body_read(&R->c, (uint8_t *)R->got + R->got_len,
					sizeof R->got - R->got_len)) > 0)
				R->got_len += (size_t)n;
			if (n == HTTP_EAGAIN)
				continue;
			if (n < 0) {
				r = n;
				assert_int_equal(http_client_poll(&R->c, now), n); /* the error is kept */
				break;
			}
			if (R->got_len != strlen(st[i].resp_body) ||
					memcmp(R->got, st[i].resp_body, R->got_len) != 0)
				fail_msg("seed %llu step %d: body '%.*s'", (unsigned long long)seed, i,
					(int)R->got_len, R->got);
			i++;
			sent = false;
			continue;
		}
		if (r != HTTP_CLIENT_IDLE && r != HTTP_CLIENT_READY)
			break;
		if (r == HTTP_CLIENT_READY && i == nst)
			break;
	}
	*done_steps = i;
	return r;
}

static void all_seeds(const char *server, const struct step *st, int nst, int want_result,
		int want_steps, const char *want_sent)
{
	for (uint64_t seed = 0; seed < 200; seed++) {
		int block = seed ? (int)(seed % 5) * 15 : 0;
		size_t io = seed ? 1 + seed % 17 : 1 << 20;
		int steps;
		int r = run_steps(seed, block, io, server, st, nst, &steps);
		if (r != want_result || steps != want_steps)
			fail_msg("seed %llu: result %s (%d), %d steps", (unsigned long long)seed,
				http_strerror(r), r, steps);
		if (want_sent && (C.f.out_len != strlen(want_sent) ||
				memcmp(C.f.out, want_sent, C.f.out_len) != 0))
			fail_msg("seed %llu: sent '%.*s'", (unsigned long long)seed, (int)C.f.out_len,
				(const char *)C.f.out);
	}
}

static void test_framings(void **state)
{
	(void)state;
	static const char server[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
		"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
		"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes"
		"HTTP/1.1 200 OK\r\n\r\nuntil the end";
	static const struct step st[] = {
		{ "GET", "/a", "", NULL, 200, "hello" },
		{ "GET", "/b", "Accept: */*\r\n", NULL, 200, "abcde" },
		{ "HEAD", "/c", "", NULL, 200, "" },
		{ "GET", "/d", "If-None-Match: \"x\"\r\n", NULL, 304, "" },
		{ "POST", "/e", "", "body!", 201, "ok" },
		{ "PUT", "/f", "", "@chunked", 200, "yes" },
		{ "GET", "/g", "", NULL, 200, "until the end" },
	};
	static const char sent[] =
		"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n"
		"GET /b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
		"HEAD /c HTTP/1.1\r\nHost: example.com\r\n\r\n"
		"GET /d HTTP/1.1\r\nHost: example.com\r\nIf-None-Match: \"x\"\r\n\r\n"
		"POST /e HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nbody!"
		"PUT /f HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n";
	/* The chunked upload is cut into pieces that depend on the seed: check
	 * the fixed part, then parse the rest. */
	for (uint64_t seed = 0; seed < 200; seed++) {
		int block = seed ? (int)(seed % 5) * 15 : 0;
		size_t io = seed ? 1 + seed % 17 : 1 << 20;
		int steps;
		int r = run_steps(seed, block, io, server, st, 7, &steps);
		if (r != HTTP_CLIENT_CLOSED || steps != 7)
			fail_msg("seed %llu: result %s, %d steps", (unsigned long long)seed, http_strerror(r), steps);
		assert_true(C.f.out_len > strlen(sent));
		assert_memory_equal(C.f.out, sent, strlen(sent));
		const uint8_t *rest = C.f.out + strlen(sent);
		size_t rest_len = C.f.out_len - strlen(sent);
		struct http_chunked ch;
		http_chunked_init(&ch, NULL);
		uint8_t body[256];
		size_t cons, prod;
		assert_int_equal(http_chunked_decode(&ch, rest, rest_len, &cons, body, sizeof body, &prod), 1);
		assert_int_equal(prod, 100);
		/* then the last request, whole */
		struct http_request req;
		struct http_header h[8];
		size_t nh = 8;
		assert_int_equal(http_request_parse(&req, rest + cons, rest_len - cons, h, &nh, NULL),
			(int)(rest_len - cons));
		assert_int_equal(req.target.len, 2);
		assert_memory_equal(req.target.p, "/g", 2);
	}
}

static void test_close_and_errors(void **state)
{
	(void)state;
	/* The server closes: the connection is not reused. */
	static const struct step one[] = { { "GET", "/", "", NULL, 200, "x" } };
	all_seeds("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", one, 1,
		HTTP_CLIENT_CLOSED, 1, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
	all_seeds("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", one, 1, HTTP_CLIENT_CLOSED, 1, NULL);
	/* The request asks for close. */
	static const struct step cl[] = { { "GET", "/", "Connection: close\r\n", NULL, 200, "x" } };
	all_seeds("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", cl, 1, HTTP_CLIENT_CLOSED, 1, NULL);
	/* Malformed responses, each its own error. */
	all_seeds("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", one, 1,
		HTTP_ECLCONFLICT, 0, NULL);
	all_seeds("HTTP/1.1 200 OK\nContent-Length: 1\r\n\r\nx", one, 1, HTTP_EBARELF, 0, NULL);
	all_seeds("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", one, 1,
		HTTP_ECHUNKSIZE, 0, NULL);
	/* The server goes away before the response, or in its body. */
	all_seeds("", one, 1, HTTP_EEOF, 0, NULL);
	all_seeds("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nx", one, 1, HTTP_EEOF, 0, NULL);
	/* Responses have no body limit: a chunk of 1 GiB is fine (the server
	 * just goes away before sending it here). */
	all_seeds("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\nabc", one, 1,
		HTTP_EEOF, 0, NULL);
}

static void test_misuse_and_timeout(void **state)
{
	(void)state;
	struct crun *R = &C;
	memset(&R->f, 0, sizeof R->f);
	R->f.max_io = 100;
	http_client_init(&R->c, &ops_v, &R->f, R->in, sizeof R->in, R->out, sizeof R->out, R->h, 16,
		NULL, 1000, 0);
	assert_int_equal(http_client_request(&R->c, "G T", S("/"), S("a"), S(""), NULL, 0), HTTP_EINVAL);
	assert_int_equal(http_client_request(&R->c, "GET", S("/a b"), S("a"), S(""), NULL, 0), HTTP_EINVAL);
	assert_int_equal(http_client_request(&R->c, "GET", S("/\r\nX: y"), S("a"), S(""), NULL, 0), HTTP_EINVAL);
	assert_int_equal(http_client_request(&R->c, "GET", S("/"), S("a\r\nX: y"), S(""), NULL, 0), HTTP_EINVAL);
	assert_int_equal(http_client_body_read(&R->c, (uint8_t *)R->got, 10), HTTP_ESTATE);
	assert_int_equal(http_client_request(&R->c, "GET", S("/"), S("a"), S(""), NULL, 0), 0);
	assert_int_equal(http_client_request(&R->c, "GET", S("/"), S("a"), S(""), NULL, 0), HTTP_ESTATE);
	assert_int_equal(http_client_poll(&R->c, 10), HTTP_CLIENT_IDLE);
	assert_int_equal(http_client_next_deadline(&R->c), 1010);
	assert_int_equal(http_client_poll(&R->c, 1009), HTTP_CLIENT_IDLE);
	assert_int_equal(http_client_poll(&R->c, 1010), HTTP_ETIMEDOUT);
	assert_int_equal(http_client_error(&R->c), HTTP_ETIMEDOUT);
	assert_int_equal(R->f.closes, 1);
	char big[600];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	http_client_init(&R->c, &ops_v, &R->f, R->in, sizeof R->in, R->out, sizeof R->out, R->h, 16,
		NULL, 1000, 0);
	assert_int_equal(http_client_request(&R->c, "GET", S(big), S("a"), S(""), NULL, 0), HTTP_ENOMEM);
	/* reset: the same buffers, a new stream */
	memset(&R->f, 0, sizeof R->f);
	R->f.max_io = 100;
	static const char resp[] = "HTTP/1.1 204 No Content\r\n\r\n";
	R->f.in = (const uint8_t *)resp;
	R->f.in_len = R->f.in_visible = sizeof resp - 1;
	http_client_reset(&R->c, &R->f, 5);
	assert_int_equal(http_client_poll(&R->c, 5), HTTP_CLIENT_READY);
	assert_int_equal(http_client_request(&R->c, "DELETE", S("/x"), S("a"), S(""), NULL, 0), 0);
	assert_int_equal(http_client_poll(&R->c, 6), HTTP_CLIENT_RESPONSE);
	assert_int_equal(http_client_response(&R->c)->status, 204);
	assert_int_equal(http_client_body_read(&R->c, (uint8_t *)R->got, 10), 0);
	assert_int_equal(http_client_poll(&R->c, 7), HTTP_CLIENT_READY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framings),
		cmocka_unit_test(test_close_and_errors),
		cmocka_unit_test(test_misuse_and_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
