/* The server connection over a fault-injecting fake stream: short reads and
 * writes and would-block at every point, from a seeded PRNG (the seed is
 * printed on failure). The bytes a client receives must be the same for
 * every seed and must parse back as the expected responses. */
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

/* ---- a small application ---- */

static const char content[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static int c_read(void *ctx, uint64_t off, uint8_t *buf, size_t cap)
{
	(void)ctx;
	size_t len = sizeof content - 1;
	if (off >= len)
		return -1;
	size_t n = len - off < cap ? len - off : cap;
	n = n > 7 ? 7 : n; /* a reader that gives little at a time */
	memcpy(buf, content + off, n);
	return (int)n;
}

struct app {
	int phase;              /* 0 new request, 1 reading body, 2 streaming */
	uint8_t body[8192];
	size_t body_base;       /* echo bodies still queued (max_batch) lie before this */
	size_t body_len;
	size_t stream_pos;
	int body_err;
	struct http_content mem, rd;
	struct http_static_cfg cfg;
};

static bool target_is(const struct http_request *r, const char *t)
{
	return r->target.len == strlen(t) && !memcmp(r->target.p, t, r->target.len);
}

static struct http_str S(const char *s)
{
	struct http_str r = { (const uint8_t *)s, strlen(s) };
	return r;
}

static void app_init(struct app *a)
{
	memset(a, 0, sizeof *a);
	a->mem.data = (const uint8_t *)content;
	a->mem.size = sizeof content - 1;
	a->mem.etag = S("\"v1\"");
	a->mem.mtime = 784111777;
	a->mem.type = S("text/plain; charset=utf-8");
	a->rd = a->mem;
	a->rd.data = NULL;
	a->rd.read = c_read;
	a->cfg.now = 1795000000;
	a->cfg.boundary = S("BOUNDARY");
}

/* Called whenever poll says a request is ours. */
static void app_step(struct app *a, struct http_conn *c)
{
	const struct http_request *r = http_conn_request(c);
	assert_non_null(r);
	if (a->phase == 0) {
		if (!http_conn_sending(c))
			a->body_base = 0;
		a->body_len = 0;
		a->stream_pos = 0;
		a->phase = target_is(r, "/echo") ? 1 : target_is(r, "/stream") ? 2 : 3;
	}
	if (a->phase == 1) {
		for (;;) {
			uint8_t *b = a->body + a->body_base;
			size_t cap = sizeof a->body - a->body_base;
			assert_true(a->body_len < cap);
			int n = http_conn_body_read(c, b + a->body_len, cap - a->body_len);
			if (n == HTTP_EAGAIN)
				return;
			if (n < 0) {
				a->body_err = n;
				a->phase = 0;
				return;
			}
			if (n == 0)
				break;
			a->body_len += (size_t)n;
		}
		assert_int_equal(http_conn_respond(c, 200, S("Content-Type: application/octet-stream\r\n"),
			a->body + a->body_base, a->body_len), 0);
		a->body_base += a->body_len;
		a->phase = 0;
		return;
	}
	if (a->phase == 2) {
		if (a->stream_pos == 0 && !c->priv.streaming)
			assert_int_equal(http_conn_respond_start(c, 200, S("Content-Type: text/plain\r\n")), 0);
		while (a->stream_pos < 3 * (sizeof content - 1)) {
			size_t off = a->stream_pos % (sizeof content - 1);
			size_t n = sizeof content - 1 - off;
			if (n > 10)
				n = 10;
			int w = http_conn_respond_write(c, (const uint8_t *)content + off, n);
			if (w == HTTP_EAGAIN)
				return;
			assert_true(w > 0);
			a->stream_pos += (size_t)w;
		}
		if (http_conn_respond_end(c) == HTTP_EAGAIN)
			return;
		a->phase = 0;
		return;
	}
	if (target_is(r, "/static"))
		assert_int_equal(http_conn_static(c, &a->mem, &a->cfg), 0);
	else if (target_is(r, "/reader"))
		assert_int_equal(http_conn_static(c, &a->rd, &a->cfg), 0);
	else
		assert_int_equal(http_conn_respond(c, 404, S(""), (const uint8_t *)"no", 2), 0);
	a->phase = 0;
}

struct run {
	struct fake f;
	struct app a;
	struct http_conn c;
	uint8_t in[4096], out[2048];
	struct http_header h[32];
	int result;
	uint64_t now;
};

/* Drive until the connection closes (or stalls for want of input). */
static void drive(struct run *R, uint64_t seed, int block, size_t max_io, bool sendv,
		const char *input, size_t len, const struct http_conn_cfg *cfg)
{
	memset(&R->f, 0, sizeof R->f);
	R->f.rng = seed;
	R->f.block_pct = block;
	R->f.max_io = max_io;
	R->f.in = (const uint8_t *)input;
	R->f.in_len = len;
	R->f.in_visible = len;
	R->f.eof = true;
	app_init(&R->a);
	R->now = 1000;
	http_conn_init(&R->c, sendv ? &ops_v : &ops_1, &R->f, R->in, sizeof R->in, R->out,
		sizeof R->out, R->h, 32, cfg, R->now);
	for (int i = 0; i < 200000; i++) {
		int r = http_conn_poll(&R->c, R->now);
		if (r == HTTP_CONN_REQUEST) {
			app_step(&R->a, &R->c);
			continue;
		}
		if (r != HTTP_CONN_IDLE) {
			R->result = r;
			return;
		}
		R->now++;
	}
	fail_msg("seed %llu: no end", (unsigned long long)seed);
}

/* ---- reading the responses back, as a client ---- */

struct resp {
	int status;
	char body[8192];
	size_t body_len;
	bool chunked;
	bool close;
	const char *head;
	size_t head_len;
};

static int read_responses(const uint8_t *p, size_t len, const bool *head_req, struct resp *out,
		int max)
{
	int n = 0;
	size_t pos = 0;
	int req = 0;
	while (pos < len && n < max) {
		struct http_header h[32];
		size_t nh = 32;
		struct http_response r;
		int hl = http_response_parse(&r, p + pos, len - pos, h, &nh, NULL,
			head_req && head_req[req] ? HTTP_RESP_TO_HEAD : 0);
		if (hl <= 0) {
			fprintf(stderr, "bad response at %zu: %s\n%.*s\n", pos, http_strerror(hl),
				(int)(len - pos), (const char *)p + pos);
			return -1;
		}
		struct resp *o = &out[n];
		memset(o, 0, sizeof *o);
		o->head = (const char *)p + pos;
		o->head_len = (size_t)hl;
		o->status = r.status;
		o->close = !r.keep_alive;
		pos += (size_t)hl;
		if (r.status == 100)
			goto next; /* interim: the same request goes on */
		req++;
		if (r.body == HTTP_BODY_LENGTH) {
			assert_true(r.content_length <= len - pos && r.content_length <= sizeof o->body);
			memcpy(o->body, p + pos, r.content_length);
			o->body_len = r.content_length;
			pos += r.content_length;
		} else if (r.body == HTTP_BODY_CHUNKED) {
			struct http_chunked ch;
			http_chunked_init(&ch, NULL);
			size_t cons, prod;
			int cr = http_chunked_decode(&ch, p + pos, len - pos, &cons, (uint8_t *)o->body,
				sizeof o->body, &prod);
			assert_int_equal(cr, 1);
			o->chunked = true;
			o->body_len = prod;
			pos += cons;
		} else if (r.body == HTTP_BODY_CLOSE) {
			assert_true(len - pos <= sizeof o->body);
			memcpy(o->body, p + pos, len - pos);
			o->body_len = len - pos;
			pos = len;
		}
	next:
		n++;
	}
	return n;
}

static bool has_field(const struct resp *r, const char *line)
{
	return memmem(r->head, r->head_len, line, strlen(line)) != NULL;
}

#define SEEDS 300

/* Run input under SEEDS seeds; each must give exactly the bytes of the
 * fault-free run. Returns that output in R (from the last run). */
static void run_all_seeds(struct run *R, const char *input, size_t len,
		const struct http_conn_cfg *cfg, uint8_t *base, size_t *base_len, int *base_result)
{
	drive(R, 0, 0, 1 << 20, true, input, len, cfg);
	memcpy(base, R->f.out, R->f.out_len);
	*base_len = R->f.out_len;
	*base_result = R->result;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		bool sendv = seed % 3 != 0;
		int block = (int)(seed % 5) * 15;
		size_t max_io = 1 + seed % 23;
		drive(R, seed, block, max_io, sendv, input, len, cfg);
		if (R->f.out_len != *base_len || memcmp(R->f.out, base, *base_len) != 0 ||
				R->result != *base_result || R->f.closes != 1) {
			fprintf(stderr, "seed %llu (block %d%%, io %zu, sendv %d): output differs "
				"(%zu vs %zu bytes, result %d vs %d, closes %d)\n",
				(unsigned long long)seed, block, max_io, sendv, R->f.out_len,
				*base_len, R->result, *base_result, R->f.closes);
			fail();
		}
	}
}

static struct run R;
static uint8_t base[1 << 17];

static void test_pipeline(void **state)
{
	(void)state;
	static const char input[] =
		"GET /static HTTP/1.1\r\nHost: a\r\n\r\n"
		"HEAD /static HTTP/1.1\r\nHost: a\r\n\r\n"
		"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
		"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n"
		"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /static HTTP/1.1\r\nHost: a\r\nRange: bytes=0-3,-4\r\n\r\n"
		"GET /reader HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /reader HTTP/1.1\r\nHost: a\r\nRange: bytes=10-19\r\n\r\n"
		"POST /unread HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\njunk"
		"POST /unread HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
		"GET /static HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n\r\n"
		"GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
		"GET /never HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t blen;
	int bres;
	run_all_seeds(&R, input, sizeof input - 1, NULL, base, &blen, &bres);
	assert_int_equal(bres, HTTP_CONN_CLOSED);
	assert_int_equal(http_conn_error(&R.c), 0);
	assert_int_equal(http_conn_requests(&R.c), 12);
	static const bool head_req[16] = { false, true };
	static struct resp rs[16];
	int n = read_responses(base, blen, head_req, rs, 16);
	assert_int_equal(n, 12);
	int want[] = { 200, 200, 200, 200, 200, 206, 200, 206, 404, 404, 304, 404 };
	for (int i = 0; i < n; i++)
		assert_int_equal(rs[i].status, want[i]);
	size_t cl = sizeof content - 1;
	assert_int_equal(rs[0].body_len, cl);
	assert_memory_equal(rs[0].body, content, cl);
	assert_int_equal(rs[1].body_len, 0);
	assert_true(has_field(&rs[1], "Content-Length: 62\r\n"));
	assert_int_equal(rs[2].body_len, 11);
	assert_memory_equal(rs[2].body, "hello world", 11);
	assert_int_equal(rs[3].body_len, 11);
	assert_memory_equal(rs[3].body, "hello world", 11);
	assert_true(rs[4].chunked);
	assert_int_equal(rs[4].body_len, 3 * cl);
	assert_memory_equal(rs[4].body + cl, content, cl);
	assert_true(has_field(&rs[5], "multipart/byteranges; boundary=BOUNDARY"));
	assert_non_null(memmem(rs[5].body, rs[5].body_len, "0123", 4));
	assert_non_null(memmem(rs[5].body, rs[5].body_len, "WXYZ\r\n--BOUNDARY--\r\n", 20));
	assert_int_equal(rs[6].body_len, cl);
	assert_memory_equal(rs[6].body, content, cl);
	assert_int_equal(rs[7].body_len, 10);
	assert_memory_equal(rs[7].body, "abcdefghij", 10);
	assert_true(has_field(&rs[11], "Connection: close\r\n"));
	assert_true(rs[11].close);
	assert_false(rs[10].close);
}

/* max_batch: the same pipeline gives the same bytes under every seed as
 * with one send per response, and a pipeline that arrives at once leaves
 * in one send per max_batch responses. */
static void test_pipeline_batched(void **state)
{
	(void)state;
	static const char input[] =
		"GET /static HTTP/1.1\r\nHost: a\r\n\r\n"
		"HEAD /static HTTP/1.1\r\nHost: a\r\n\r\n"
		"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
		"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nworld\r\n0\r\n\r\n"
		"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /static HTTP/1.1\r\nHost: a\r\nRange: bytes=0-3,-4\r\n\r\n"
		"GET /reader HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /static HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /static HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n\r\n"
		"POST /unread HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\njunk"
		"GET /static HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /bad\x01 HTTP/1.1\r\nHost: a\r\n\r\n";
	static uint8_t one[1 << 17];
	size_t one_len, blen;
	int one_res, bres;
	run_all_seeds(&R, input, sizeof input - 1, NULL, one, &one_len, &one_res);
	assert_int_equal(one_res, HTTP_ETARGET);
	struct http_conn_cfg cfg;
	http_conn_cfg_default(&cfg);
	assert_int_equal(cfg.max_batch, 1);
	for (unsigned mb = 2; mb <= 16; mb *= 2) {
		cfg.max_batch = mb;
		run_all_seeds(&R, input, sizeof input - 1, &cfg, base, &blen, &bres);
		if (blen != one_len || memcmp(base, one, blen) != 0 || bres != one_res)
			fail_msg("max_batch %u: output differs from max_batch 1", mb);
	}

	/* Ten plain GETs at once: with max_batch 1 ten sends, with 4 three
	 * (4 + 4 + 2), with 16 two: heads are held back only while the
	 * output buffer (2 KiB here) is at most half full. */
	static char ten[400];
	size_t tl = 0;
	for (int i = 0; i < 10; i++)
		tl += (size_t)snprintf(ten + tl, sizeof ten - tl, "GET /static HTTP/1.1\r\nHost: a\r\n\r\n");
	static const struct { unsigned mb; int sends; } v[] = { { 1, 10 }, { 4, 3 }, { 16, 2 } };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		cfg.max_batch = v[i].mb;
		drive(&R, 0, 0, 0, true, ten, tl, &cfg);
		assert_int_equal(R.result, HTTP_CONN_CLOSED);
		assert_int_equal(http_conn_requests(&R.c), 10);
		if (R.f.sends != v[i].sends)
			fail_msg("max_batch %u: %d sends, want %d", v[i].mb, R.f.sends, v[i].sends);
		static struct resp rs[10];
		assert_int_equal(read_responses(R.f.out, R.f.out_len, NULL, rs, 10), 10);
		for (int k = 0; k < 10; k++) {
			assert_int_equal(rs[k].status, 200);
			assert_int_equal(rs[k].body_len, sizeof content - 1);
		}
	}
	/* The sending side is not the bottleneck here: a client that reads
	 * nothing, and a full output buffer, still get every response. */
	cfg.max_batch = 16;
	drive(&R, 7, 60, 3, true, ten, tl, &cfg);
	assert_int_equal(R.result, HTTP_CONN_CLOSED);
	assert_int_equal(http_conn_requests(&R.c), 10);
	assert_false(http_conn_sending(&R.c));
}

static void test_expect_continue(void **state)
{
	(void)state;
	static const char input[] =
		"PUT /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
		"GET /static HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t blen;
	int bres;
	run_all_seeds(&R, input, sizeof input - 1, NULL, base, &blen, &bres);
	static struct resp rs[8];
	int n = read_responses(base, blen, NULL, rs, 8);
	assert_int_equal(n, 3);
	assert_int_equal(rs[0].status, 100);
	assert_int_equal(rs[1].status, 200);
	assert_memory_equal(rs[1].body, "hello", 5);
	assert_int_equal(rs[2].status, 200);
	assert_int_equal(bres, HTTP_CONN_CLOSED);

	/* Answered without reading: no 100, and the connection closes. */
	static const char input2[] =
		"PUT /nope HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
		"hello"
		"GET /static HTTP/1.1\r\nHost: a\r\n\r\n";
	run_all_seeds(&R, input2, sizeof input2 - 1, NULL, base, &blen, &bres);
	n = read_responses(base, blen, NULL, rs, 8);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].status, 404);
	assert_true(has_field(&rs[0], "Connection: close\r\n"));
	assert_int_equal(bres, HTTP_CONN_CLOSED);
}

static void test_errors(void **state)
{
	(void)state;
	struct {
		const char *in;
		int status;
		int err;
		int before; /* good responses first */
	} v[] = {
		{ "GET /static HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost : a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		  400, HTTP_EHDRSPACE, 1 },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, HTTP_ECLTE, 0 },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, HTTP_ETEUNSUP, 0 },
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, HTTP_EVERSIONUNSUP, 0 },
		{ "GET / HTTP/1.1\r\n\r\n", 400, HTTP_ENOHOST, 0 },
		{ "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, HTTP_ECHUNKSIZE, 0 },
		{ "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n", 413, HTTP_EBODYTOOLARGE, 0 },
		{ "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", 413, HTTP_EBODYTOOLARGE, 0 },
		{ "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n", 414, HTTP_EURITOOLONG, 0 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n", 431, HTTP_EHEADTOOLARGE, 0 },
	};
	struct http_conn_cfg cfg;
	http_conn_cfg_default(&cfg);
	cfg.limits.max_body = 1000;
	cfg.limits.max_request_line = 64;
	cfg.limits.max_head = 128;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t blen;
		int bres;
		run_all_seeds(&R, v[i].in, strlen(v[i].in), &cfg, base, &blen, &bres);
		static struct resp rs[8];
		int n = read_responses(base, blen, NULL, rs, 8);
		if (n != v[i].before + 1 || bres != v[i].err)
			fprintf(stderr, "case %zu: %d responses, result %s\n%.*s\n", i, n, http_strerror(bres), (int)blen, (const char *)base);
		assert_int_equal(n, v[i].before + 1);
		assert_int_equal(rs[n - 1].status, v[i].status);
		assert_true(has_field(&rs[n - 1], "Connection: close\r\n"));
		assert_int_equal(bres, v[i].err);
		assert_int_equal(http_conn_error(&R.c), v[i].err);
	}
}

static void test_http10(void **state)
{
	(void)state;
	static const char input[] =
		"GET /static HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
		"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
		"GET /never HTTP/1.0\r\n\r\n";
	size_t blen;
	int bres;
	run_all_seeds(&R, input, sizeof input - 1, NULL, base, &blen, &bres);
	static struct resp rs[8];
	int n = read_responses(base, blen, NULL, rs, 8);
	assert_int_equal(n, 2);
	assert_true(has_field(&rs[0], "Connection: keep-alive\r\n"));
	assert_false(rs[0].close);
	/* Unknown length to HTTP/1.0: up to the close. */
	assert_false(rs[1].chunked);
	assert_true(has_field(&rs[1], "Connection: close\r\n"));
	assert_int_equal(rs[1].body_len, 3 * (sizeof content - 1));
	assert_int_equal(bres, HTTP_CONN_CLOSED);
}

static void test_eof_and_io_errors(void **state)
{
	(void)state;
	/* EOF in the middle of a head: no response, the error is kept. */
	static const char part[] = "GET /static HTTP/1.1\r\nHo";
	drive(&R, 7, 30, 5, true, part, sizeof part - 1, NULL);
	assert_int_equal(R.result, HTTP_EEOF);
	assert_int_equal(R.f.out_len, 0);
	assert_int_equal(R.f.closes, 1);
	/* EOF in a body. */
	static const char body[] = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc";
	drive(&R, 7, 30, 5, true, body, sizeof body - 1, NULL);
	assert_int_equal(R.result, HTTP_EEOF);
	assert_int_equal(R.f.closes, 1);
	/* A send error. */
	static const char get[] = "GET /static HTTP/1.1\r\nHost: a\r\n\r\n";
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 100;
	R.f.in = (const uint8_t *)get;
	R.f.in_len = R.f.in_visible = sizeof get - 1;
	R.f.fail_send = true;
	app_init(&R.a);
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, NULL, 0);
	assert_int_equal(http_conn_poll(&R.c, 1), HTTP_CONN_REQUEST);
	app_step(&R.a, &R.c);
	assert_int_equal(http_conn_poll(&R.c, 2), HTTP_EIO);
	assert_int_equal(http_conn_poll(&R.c, 3), HTTP_EIO);
	assert_int_equal(R.f.closes, 1);
}

static void test_timeouts(void **state)
{
	(void)state;
	struct http_conn_cfg cfg;
	http_conn_cfg_default(&cfg);
	cfg.header_timeout_ms = 1000;
	cfg.idle_timeout_ms = 5000;
	static const char slow[] = "GET /static HTTP/1.1\r\nHost: a\r\n\r\n";

	/* Idle: nothing arrives; closed quietly at the idle deadline. */
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 100;
	R.f.in = (const uint8_t *)slow;
	R.f.in_len = sizeof slow - 1;
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, &cfg, 100);
	assert_int_equal(http_conn_poll(&R.c, 100), HTTP_CONN_IDLE);
	assert_int_equal(http_conn_next_deadline(&R.c), 5100);
	assert_int_equal(http_conn_poll(&R.c, 5099), HTTP_CONN_IDLE);
	assert_int_equal(http_conn_poll(&R.c, 5100), HTTP_CONN_CLOSED);
	assert_int_equal(R.f.out_len, 0);
	assert_int_equal(http_conn_next_deadline(&R.c), UINT64_MAX);

	/* Slowloris: a byte every 100 ms is cut off at the header timeout,
	 * counted from the first byte, with a 408. */
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 100;
	R.f.in = (const uint8_t *)slow;
	R.f.in_len = sizeof slow - 1;
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, &cfg, 0);
	uint64_t t = 0;
	int r = HTTP_CONN_IDLE;
	for (; t < 10000 && r == HTTP_CONN_IDLE; t += 100) {
		R.f.in_visible = 1 + t / 100;
		r = http_conn_poll(&R.c, t);
		if (t == 0)
			assert_int_equal(http_conn_next_deadline(&R.c), 1000);
	}
	assert_int_equal(r, HTTP_ETIMEDOUT);
	assert_int_equal(t, 1100);
	assert_true(R.f.out_len > 0);
	assert_memory_equal(R.f.out, "HTTP/1.1 408 ", 13);

	/* A client that sends its head in time is served, then idles out. */
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 100;
	R.f.in = (const uint8_t *)slow;
	R.f.in_len = R.f.in_visible = sizeof slow - 1;
	app_init(&R.a);
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, &cfg, 0);
	assert_int_equal(http_conn_poll(&R.c, 10), HTTP_CONN_REQUEST);
	app_step(&R.a, &R.c);
	assert_int_equal(http_conn_poll(&R.c, 20), HTTP_CONN_IDLE);
	assert_int_equal(http_conn_requests(&R.c), 1);
	assert_int_equal(http_conn_next_deadline(&R.c), 5020);
	assert_int_equal(http_conn_poll(&R.c, 5020), HTTP_CONN_CLOSED);
	assert_int_equal(http_conn_error(&R.c), 0);

	/* A stalled body upload hits the idle timeout. */
	static const char up[] = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc";
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 100;
	R.f.in = (const uint8_t *)up;
	R.f.in_len = R.f.in_visible = sizeof up - 1;
	app_init(&R.a);
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, &cfg, 0);
	assert_int_equal(http_conn_poll(&R.c, 0), HTTP_CONN_REQUEST);
	app_step(&R.a, &R.c);
	assert_int_equal(http_conn_next_deadline(&R.c), 5000);
	assert_int_equal(http_conn_poll(&R.c, 4999), HTTP_CONN_REQUEST);
	assert_int_equal(http_conn_poll(&R.c, 5000), HTTP_ETIMEDOUT);
}

static void test_reset(void **state)
{
	(void)state;
	static const char get[] = "GET /static HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	drive(&R, 3, 20, 7, true, get, sizeof get - 1, NULL);
	assert_int_equal(R.result, HTTP_CONN_CLOSED);
	assert_int_equal(http_conn_requests(&R.c), 1);
	struct fake *f2 = calloc(1, sizeof *f2);
	assert_non_null(f2);
	f2->max_io = 100;
	f2->in = (const uint8_t *)get;
	f2->in_len = f2->in_visible = sizeof get - 1;
	f2->eof = true;
	http_conn_reset(&R.c, f2, 50);
	http_conn_set_wallclock(&R.c, 784111777);
	assert_int_equal(http_conn_requests(&R.c), 0);
	assert_int_equal(http_conn_error(&R.c), 0);
	assert_int_equal(http_conn_poll(&R.c, 51), HTTP_CONN_REQUEST);
	app_init(&R.a);
	app_step(&R.a, &R.c);
	assert_int_equal(http_conn_poll(&R.c, 52), HTTP_CONN_CLOSED);
	assert_int_equal(f2->closes, 1);
	assert_memory_equal(f2->out, "HTTP/1.1 200 OK\r\n", 17);
	/* A malformed request gets a Date on the conn's own error response. */
	static const char bad[] = "GET / HTTP/1.1\r\n\r\n";
	memset(f2, 0, sizeof *f2);
	f2->max_io = 100;
	f2->in = (const uint8_t *)bad;
	f2->in_len = f2->in_visible = sizeof bad - 1;
	f2->eof = true;
	http_conn_reset(&R.c, f2, 60);
	http_conn_set_wallclock(&R.c, 784111777);
	assert_int_equal(http_conn_poll(&R.c, 61), HTTP_ENOHOST);
	static const char want[] = "HTTP/1.1 400 Bad Request\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	assert_int_equal(f2->out_len, sizeof want - 1);
	assert_memory_equal(f2->out, want, sizeof want - 1);
	free(f2);
}

/* A content reader that fails, and an output buffer too small for a head. */
static int bad_read(void *ctx, uint64_t off, uint8_t *buf, size_t cap)
{
	(void)ctx;
	(void)off;
	(void)buf;
	(void)cap;
	return -1;
}

static void test_resource_errors(void **state)
{
	(void)state;
	static const char get[] = "GET /x HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1,3-4,6-7\r\n\r\n";
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 100;
	R.f.in = (const uint8_t *)get;
	R.f.in_len = R.f.in_visible = sizeof get - 1;
	app_init(&R.a);
	uint8_t small[160];
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, small, sizeof small, R.h, 32, NULL, 0);
	assert_int_equal(http_conn_poll(&R.c, 1), HTTP_CONN_REQUEST);
	/* the multipart head and part headers do not fit: the caller learns
	 * it and can still answer otherwise */
	assert_int_equal(http_conn_static(&R.c, &R.a.mem, &R.a.cfg), HTTP_ENOMEM);
	assert_int_equal(http_conn_respond(&R.c, 500, S(""), NULL, 0), 0);
	assert_int_equal(http_conn_poll(&R.c, 2), HTTP_CONN_IDLE);
	assert_memory_equal(R.f.out, "HTTP/1.1 500 ", 13);

	/* A reader that fails mid-response: the connection closes with EIO. */
	static const char get2[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 100;
	R.f.in = (const uint8_t *)get2;
	R.f.in_len = R.f.in_visible = sizeof get2 - 1;
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, NULL, 0);
	assert_int_equal(http_conn_poll(&R.c, 1), HTTP_CONN_REQUEST);
	struct http_content broken = R.a.rd;
	broken.read = bad_read;
	assert_int_equal(http_conn_static(&R.c, &broken, &R.a.cfg), 0);
	assert_int_equal(http_conn_poll(&R.c, 2), HTTP_EIO);
	assert_int_equal(R.f.closes, 1);
	/* calls after the end are refused */
	assert_int_equal(http_conn_respond(&R.c, 200, S(""), NULL, 0), HTTP_ESTATE);
	assert_null(http_conn_request(&R.c));
	uint8_t b[4];
	assert_int_equal(http_conn_body_read(&R.c, b, sizeof b), HTTP_ESTATE);
}

/* After a closing response the connection reads and drops the rest until
 * the client closes, the linger time passes, or 64 KiB went by. */
static void test_linger(void **state)
{
	(void)state;
	static const char in[] = "GET / HTTP/1.1\r\nHost : a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 10;
	R.f.in = (const uint8_t *)in;
	R.f.in_len = R.f.in_visible = sizeof in - 1;
	struct http_conn_cfg cfg;
	http_conn_cfg_default(&cfg);
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, &cfg, 0);
	assert_int_equal(http_conn_poll(&R.c, 5), HTTP_CONN_IDLE); /* 400 sent, lingering */
	assert_memory_equal(R.f.out, "HTTP/1.1 400 ", 13);
	assert_int_equal(R.f.closes, 0);
	assert_int_equal(R.f.in_pos, R.f.in_len); /* the pipelined rest was read */
	assert_int_equal(http_conn_next_deadline(&R.c), 1005);
	assert_int_equal(http_conn_poll(&R.c, 1004), HTTP_CONN_IDLE);
	assert_int_equal(http_conn_poll(&R.c, 1005), HTTP_EHDRSPACE);
	assert_int_equal(R.f.closes, 1);
	/* the client closing ends it at once */
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 10;
	R.f.in = (const uint8_t *)in;
	R.f.in_len = R.f.in_visible = sizeof in - 1;
	R.f.eof = true;
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, &cfg, 0);
	assert_int_equal(http_conn_poll(&R.c, 5), HTTP_EHDRSPACE);
	assert_int_equal(R.f.closes, 1);
	/* linger 0: closed right after the response */
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 10;
	R.f.in = (const uint8_t *)in;
	R.f.in_len = R.f.in_visible = sizeof in - 1;
	cfg.linger_ms = 0;
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, &cfg, 0);
	assert_int_equal(http_conn_poll(&R.c, 5), HTTP_EHDRSPACE);
	assert_int_equal(R.f.closes, 1);
	assert_true(R.f.in_pos < R.f.in_len);
}

/* Bodies larger than the input buffer, by Content-Length and chunked, with
 * a pipelined request after each. */
static void test_big_bodies(void **state)
{
	(void)state;
	static char input[20000];
	static char body[6001];
	for (int i = 0; i < 6000; i++)
		body[i] = (char)('a' + i % 26);
	int n = snprintf(input, sizeof input,
		"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6000\r\n\r\n%s"
		"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", body);
	for (int c = 0; c < 6; c++)
		n += snprintf(input + n, sizeof input - (size_t)n, "3e8\r\n%.1000s\r\n", body + c * 1000);
	n += snprintf(input + n, sizeof input - (size_t)n, "0\r\n\r\nGET /static HTTP/1.1\r\nHost: a\r\n\r\n");
	size_t blen;
	int bres;
	run_all_seeds(&R, input, (size_t)n, NULL, base, &blen, &bres);
	static struct resp rs[8];
	int k = read_responses(base, blen, NULL, rs, 8);
	assert_int_equal(k, 4);
	assert_int_equal(rs[0].status, 200);
	assert_int_equal(rs[0].body_len, 6000);
	assert_memory_equal(rs[0].body, body, 6000);
	assert_int_equal(rs[1].status, 100);
	assert_int_equal(rs[2].status, 200);
	assert_int_equal(rs[2].body_len, 6000);
	assert_memory_equal(rs[2].body, body, 6000);
	assert_int_equal(rs[3].status, 200);
	assert_int_equal(bres, HTTP_CONN_CLOSED);
}

/* Poll's work is bounded; with work left it asks to be polled again at
 * once through the deadline, whatever the stream's readiness says. */
static void test_bounded_poll(void **state)
{
	(void)state;
	static uint8_t big[100000];
	memset(big, 'x', sizeof big);
	static const char get[] = "GET /big HTTP/1.1\r\nHost: a\r\n\r\n";
	memset(&R.f, 0, sizeof R.f);
	R.f.max_io = 16; /* never blocks, moves 16 bytes a call */
	R.f.in = (const uint8_t *)get;
	R.f.in_len = R.f.in_visible = sizeof get - 1;
	app_init(&R.a);
	http_conn_init(&R.c, &ops_v, &R.f, R.in, sizeof R.in, R.out, sizeof R.out, R.h, 32, NULL, 0);
	assert_int_equal(http_conn_poll(&R.c, 1), HTTP_CONN_REQUEST);
	struct http_content ct = R.a.mem;
	ct.data = big;
	ct.size = sizeof big;
	assert_int_equal(http_conn_static(&R.c, &ct, &R.a.cfg), 0);
	assert_int_equal(http_conn_poll(&R.c, 2), HTTP_CONN_IDLE);
	assert_true(R.f.out_len > 0 && R.f.out_len < sizeof big);
	assert_int_equal(http_conn_next_deadline(&R.c), 2);
	uint64_t t = 2;
	int polls = 1;
	while (http_conn_next_deadline(&R.c) == t) {
		t++;
		assert_int_equal(http_conn_poll(&R.c, t), HTTP_CONN_IDLE);
		polls++;
		assert_true(polls < 10000);
	}
	assert_true(polls > 1);
	assert_int_equal(http_conn_requests(&R.c), 1);
	assert_true(R.f.out_len > sizeof big);
	/* done: now only the idle timeout is left */
	assert_true(http_conn_next_deadline(&R.c) > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_pipeline_batched),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_http10),
		cmocka_unit_test(test_eof_and_io_errors),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_resource_errors),
		cmocka_unit_test(test_linger),
		cmocka_unit_test(test_big_bodies),
		cmocka_unit_test(test_bounded_poll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
