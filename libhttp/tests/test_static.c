/* Static responses: methods, preconditions in RFC 9110 13.2.2 order, ranges
 * and If-Range, gzip (precompressed and on the fly), negotiation, media
 * types. Every head produced is parsed back with http_response_parse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include <cloudlet/http.h>

static struct http_str S(const char *s)
{
	struct http_str r = { (const uint8_t *)s, strlen(s) };
	return r;
}

#define MTIME 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define NOW 1795000000

static const char body[] = "Hello, world! This is the content.";

static int reader(void *ctx, uint64_t off, uint8_t *buf, size_t cap)
{
	const char *src = ctx;
	size_t len = strlen(src);
	if (off >= len)
		return -1;
	size_t n = len - off < cap ? len - off : cap;
	memcpy(buf, src + off, n);
	return (int)n;
}

struct env {
	char raw[1024];
	struct http_header h[32];
	struct http_request req;
	struct http_content c;
	struct http_static_cfg cfg;
	struct http_static out;
	uint8_t head[4096];
	uint8_t gz[65536];
	uint8_t arena[HTTP_GZIP_ARENA_SIZE];
	uint8_t got[65536];
	size_t got_len;
	struct http_response res;
	struct http_header rh[32];
};

static void content_init(struct env *e)
{
	memset(&e->c, 0, sizeof e->c);
	e->c.data = (const uint8_t *)body;
	e->c.size = strlen(body);
	e->c.etag = S("\"abc\"");
	e->c.mtime = MTIME;
	e->c.type = S("text/plain; charset=utf-8");
	memset(&e->cfg, 0, sizeof e->cfg);
	e->cfg.now = NOW;
	e->cfg.boundary = S("3d6b6a416f9b5");
}

/* Respond to "METHOD / HTTP/1.1\r\nHost: a\r\n" + fields; check the head
 * parses and that the body segments add up to Content-Length. */
static int respond(struct env *e, const char *method, const char *fields)
{
	snprintf(e->raw, sizeof e->raw, "%s /f.txt HTTP/1.1\r\nHost: a\r\n%s\r\n", method, fields);
	size_t nh = 32;
	int r = http_request_parse(&e->req, (const uint8_t *)e->raw, strlen(e->raw), e->h, &nh, NULL);
	assert_true(r > 0);
	r = http_static_respond(&e->out, &e->req, &e->c, &e->cfg, e->head, sizeof e->head);
	if (r < 0)
		return r;
	size_t rn = 32;
	unsigned fl = e->req.meth == HTTP_M_HEAD ? HTTP_RESP_TO_HEAD : 0;
	int pr = http_response_parse(&e->res, e->out.head.p, e->out.head.len, e->rh, &rn, NULL, fl);
	if (pr != (int)e->out.head.len)
		fprintf(stderr, "head does not parse (%s):\n%.*s\n", http_strerror(pr),
			(int)e->out.head.len, (const char *)e->out.head.p);
	assert_int_equal(pr, (int)e->out.head.len);
	assert_int_equal(e->res.status, e->out.status);
	e->got_len = 0;
	for (int i = 0; i < e->out.nseg; i++) {
		const struct http_seg *s = &e->out.seg[i];
		assert_true(e->got_len + s->len <= sizeof e->got);
		if (s->p) {
			memcpy(e->got + e->got_len, s->p, s->len);
		} else {
			assert_non_null(e->out.src->read);
			uint64_t done = 0;
			while (done < s->len) {
				int n = e->out.src->read(e->out.src->read_ctx, s->off + done,
					e->got + e->got_len + done, (size_t)(s->len - done));
				assert_true(n > 0);
				done += (uint64_t)n;
			}
		}
		e->got_len += s->len;
	}
	assert_int_equal(e->got_len, e->out.body_len);
	if (e->res.body == HTTP_BODY_LENGTH && e->req.meth == HTTP_M_GET)
		assert_int_equal(e->res.content_length, e->out.body_len);
	return e->out.status;
}

static const char *field(struct env *e, const char *name)
{
	static char v[512]; /* test-only scratch */
	const struct http_header *f = http_header_find(e->rh, e->res.num_headers, name);
	if (!f)
		return NULL;
	snprintf(v, sizeof v, "%.*s", (int)f->value.len, (const char *)f->value.p);
	return v;
}

static struct env E;

static void test_methods(void **state)
{
	(void)state;
	struct env *e = &E;
	content_init(e);
	assert_int_equal(respond(e, "GET", ""), 200);
	assert_string_equal(field(e, "etag"), "\"abc\"");
	assert_string_equal(field(e, "last-modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(field(e, "date"), "Wed, 18 Nov 2026 11:06:40 GMT");
	assert_string_equal(field(e, "accept-ranges"), "bytes");
	assert_string_equal(field(e, "content-type"), "text/plain; charset=utf-8");
	assert_null(field(e, "vary"));
	assert_int_equal(e->got_len, strlen(body));
	assert_memory_equal(e->got, body, strlen(body));
	assert_int_equal(e->out.nseg, 1);

	assert_int_equal(respond(e, "HEAD", ""), 200);
	assert_int_equal(e->out.nseg, 0);
	assert_string_equal(field(e, "content-length"), "34");

	assert_int_equal(respond(e, "POST", "Content-Length: 0\r\n"), 405);
	assert_string_equal(field(e, "allow"), "GET, HEAD, OPTIONS");
	assert_int_equal(respond(e, "DELETE", ""), 405);
	assert_int_equal(respond(e, "BREW", ""), 501);
	assert_int_equal(respond(e, "OPTIONS", ""), 204);
	assert_string_equal(field(e, "allow"), "GET, HEAD, OPTIONS");

	e->cfg.connection = "close";
	e->cfg.extra = S("Server: cloudlet\r\n");
	assert_int_equal(respond(e, "GET", ""), 200);
	assert_string_equal(field(e, "connection"), "close");
	assert_string_equal(field(e, "server"), "cloudlet");
	assert_false(e->res.keep_alive);
}

static void test_conditionals(void **state)
{
	(void)state;
	struct env *e = &E;
	content_init(e);
	/* If-None-Match: weak comparison (RFC 9110 13.1.2). */
	assert_int_equal(respond(e, "GET", "If-None-Match: \"abc\"\r\n"), 304);
	assert_string_equal(field(e, "etag"), "\"abc\"");
	assert_null(field(e, "content-length"));
	assert_int_equal(e->out.nseg, 0);
	assert_int_equal(respond(e, "GET", "If-None-Match: W/\"abc\"\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-None-Match: \"x\", \"abc\"\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-None-Match: \"x\"\r\nIf-None-Match: \"abc\"\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-None-Match: *\r\n"), 304);
	assert_int_equal(respond(e, "HEAD", "If-None-Match: \"abc\"\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-None-Match: \"x\"\r\n"), 200);
	assert_int_equal(respond(e, "GET", "If-None-Match: \"a,b\", \"abc\"\r\n"), 304);
	/* If-Match: strong comparison. */
	assert_int_equal(respond(e, "GET", "If-Match: \"x\"\r\n"), 412);
	assert_string_equal(field(e, "content-length"), "0");
	assert_int_equal(respond(e, "GET", "If-Match: \"abc\"\r\n"), 200);
	assert_int_equal(respond(e, "GET", "If-Match: W/\"abc\"\r\n"), 412);
	assert_int_equal(respond(e, "GET", "If-Match: *\r\n"), 200);
	/* Precedence (RFC 9110 13.2.2): If-Match first, then If-None-Match. */
	assert_int_equal(respond(e, "GET", "If-Match: \"abc\"\r\nIf-None-Match: \"abc\"\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-Match: \"x\"\r\nIf-None-Match: \"abc\"\r\n"), 412);
	/* If-Modified-Since, in each date format. */
	assert_int_equal(respond(e, "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-Modified-Since: Sun Nov  6 08:49:38 1994\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n"), 200);
	assert_int_equal(respond(e, "GET", "If-Modified-Since: yesterday\r\n"), 200);
	/* If-None-Match present: If-Modified-Since is not evaluated. */
	assert_int_equal(respond(e, "GET", "If-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 200);
	/* If-Unmodified-Since. */
	assert_int_equal(respond(e, "GET", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n"), 412);
	assert_int_equal(respond(e, "GET", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 200);
	/* If-Match present: If-Unmodified-Since is not evaluated. */
	assert_int_equal(respond(e, "GET", "If-Match: \"abc\"\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n"), 200);
	/* No validators known. */
	e->c.etag = S("");
	e->c.mtime = -1;
	assert_int_equal(respond(e, "GET", "If-None-Match: \"abc\"\r\n"), 200);
	assert_int_equal(respond(e, "GET", "If-Match: \"abc\"\r\n"), 412);
	assert_int_equal(respond(e, "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 200);
	assert_null(field(e, "etag"));
	assert_null(field(e, "last-modified"));
	/* A modification time in the future is sent as the Date. */
	e->c.mtime = NOW + 100;
	assert_int_equal(respond(e, "GET", ""), 200);
	assert_string_equal(field(e, "last-modified"), "Wed, 18 Nov 2026 11:06:40 GMT");
}

static void test_ranges(void **state)
{
	(void)state;
	struct env *e = &E;
	content_init(e);
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4\r\n"), 206);
	assert_string_equal(field(e, "content-range"), "bytes 0-4/34");
	assert_int_equal(e->got_len, 5);
	assert_memory_equal(e->got, "Hello", 5);
	assert_int_equal(respond(e, "GET", "Range: bytes=-8\r\n"), 206);
	assert_string_equal(field(e, "content-range"), "bytes 26-33/34");
	assert_memory_equal(e->got, "content.", 8);
	assert_int_equal(respond(e, "GET", "Range: bytes=30-\r\n"), 206);
	assert_string_equal(field(e, "content-range"), "bytes 30-33/34");
	assert_int_equal(respond(e, "GET", "Range: bytes=30-1000\r\n"), 206);
	assert_string_equal(field(e, "content-range"), "bytes 30-33/34");
	assert_int_equal(respond(e, "GET", "Range: bytes=-1000\r\n"), 206);
	assert_string_equal(field(e, "content-range"), "bytes 0-33/34");
	/* Unsatisfiable ranges are dropped; none left is 416. */
	assert_int_equal(respond(e, "GET", "Range: bytes=34-, 0-1\r\n"), 206);
	assert_string_equal(field(e, "content-range"), "bytes 0-1/34");
	assert_int_equal(respond(e, "GET", "Range: bytes=34-40\r\n"), 416);
	assert_string_equal(field(e, "content-range"), "bytes */34");
	assert_int_equal(e->out.nseg, 0);
	assert_int_equal(respond(e, "GET", "Range: bytes=-0\r\n"), 416);
	/* Ignored: invalid, another unit, too many, HEAD. */
	assert_int_equal(respond(e, "GET", "Range: bytes=5-2\r\n"), 200);
	assert_int_equal(respond(e, "GET", "Range: bytes=a-2\r\n"), 200);
	assert_int_equal(respond(e, "GET", "Range: bytes=-\r\n"), 200);
	assert_int_equal(respond(e, "GET", "Range: items=0-1\r\n"), 200);
	assert_int_equal(respond(e, "GET", "Range: bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8\r\n"), 200);
	assert_int_equal(respond(e, "HEAD", "Range: bytes=0-4\r\n"), 200);
	/* Multipart (RFC 9110 14.6). */
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4, -8\r\n"), 206);
	assert_string_equal(field(e, "content-type"), "multipart/byteranges; boundary=3d6b6a416f9b5");
	const char *mp = "\r\n--3d6b6a416f9b5\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Range: bytes 0-4/34\r\n\r\nHello"
		"\r\n--3d6b6a416f9b5\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Range: bytes 26-33/34\r\n\r\ncontent."
		"\r\n--3d6b6a416f9b5--\r\n";
	assert_int_equal(e->got_len, strlen(mp));
	assert_memory_equal(e->got, mp, strlen(mp));
	e->cfg.boundary = S("bad boundary");
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4, -8\r\n"), HTTP_EINVAL);
	e->cfg.boundary = S("b");
	/* If-Range (RFC 9110 13.1.5). */
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4\r\nIf-Range: \"abc\"\r\n"), 206);
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4\r\nIf-Range: \"x\"\r\n"), 200);
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4\r\nIf-Range: W/\"abc\"\r\n"), 200);
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 206);
	assert_int_equal(respond(e, "GET", "Range: bytes=0-4\r\nIf-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n"), 200);
	/* A reader instead of memory. */
	e->c.data = NULL;
	e->c.read = reader;
	e->c.read_ctx = (void *)(uintptr_t)body;
	assert_int_equal(respond(e, "GET", "Range: bytes=7-11, 0-4\r\n"), 206);
	assert_non_null(strstr((const char *)e->got, "world"));
	assert_null(e->out.seg[1].p);
	assert_int_equal(e->out.seg[1].off, 7);
	assert_int_equal(respond(e, "GET", ""), 200);
	assert_memory_equal(e->got, body, strlen(body));
}

static size_t gunzip(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = cap - z.avail_out;
	inflateEnd(&z);
	return n;
}

static void test_gzip(void **state)
{
	(void)state;
	struct env *e = &E;
	static char big[20000];
	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = "abcdefghij\n"[i % 11];
	content_init(e);
	e->c.data = (const uint8_t *)big;
	e->c.size = sizeof big - 1;
	e->cfg.gzip_min = 1000;
	e->cfg.gzip_buf = e->gz;
	e->cfg.gzip_cap = sizeof e->gz;
	e->cfg.arena = e->arena;
	e->cfg.arena_cap = sizeof e->arena;

	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip, deflate, br\r\n"), 200);
	assert_string_equal(field(e, "content-encoding"), "gzip");
	assert_string_equal(field(e, "vary"), "Accept-Encoding");
	assert_string_equal(field(e, "etag"), "W/\"abc\"");
	assert_null(field(e, "accept-ranges"));
	static uint8_t plain[40000];
	assert_int_equal(gunzip(e->got, e->got_len, plain, sizeof plain), sizeof big - 1);
	assert_memory_equal(plain, big, sizeof big - 1);
	size_t zlen = e->got_len;
	/* HEAD: same length announced. */
	assert_int_equal(respond(e, "HEAD", "Accept-Encoding: gzip\r\n"), 200);
	assert_int_equal(e->res.content_length, 0);
	char cl[32];
	snprintf(cl, sizeof cl, "%zu", zlen);
	assert_string_equal(field(e, "content-length"), cl);
	/* The weak tag matches If-None-Match (weak comparison). */
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\nIf-None-Match: W/\"abc\"\r\n"), 304);
	assert_string_equal(field(e, "vary"), "Accept-Encoding");
	/* Refused or absent gzip: identity, still Vary. */
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip;q=0, identity\r\n"), 200);
	assert_null(field(e, "content-encoding"));
	assert_string_equal(field(e, "vary"), "Accept-Encoding");
	assert_int_equal(e->got_len, sizeof big - 1);
	assert_int_equal(respond(e, "GET", ""), 200);
	assert_null(field(e, "content-encoding"));
	/* A Range request is served from the identity form. */
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n"), 206);
	assert_null(field(e, "content-encoding"));
	assert_memory_equal(e->got, "abcdefghij", 10);
	/* Small arena: a smaller window still works; too small: identity. */
	e->cfg.arena_cap = 40000;
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\n"), 200);
	assert_string_equal(field(e, "content-encoding"), "gzip");
	assert_int_equal(gunzip(e->got, e->got_len, plain, sizeof plain), sizeof big - 1);
	e->cfg.arena_cap = 1000;
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\n"), 200);
	assert_null(field(e, "content-encoding"));
	assert_string_equal(field(e, "etag"), "\"abc\"");
	/* Output that does not fit: identity. */
	e->cfg.arena_cap = sizeof e->arena;
	e->cfg.gzip_cap = 10;
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\n"), 200);
	assert_null(field(e, "content-encoding"));
	/* Below the threshold, or not compressible: no gzip and no Vary. */
	e->cfg.gzip_cap = sizeof e->gz;
	e->c.size = 999;
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\n"), 200);
	assert_null(field(e, "vary"));
	e->c.size = sizeof big - 1;
	e->c.type = S("image/png");
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\n"), 200);
	assert_null(field(e, "vary"));

	/* Precompressed variant, with its own tag; ranges apply to it. */
	static uint8_t pre[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct http_content gzv;
	memset(&gzv, 0, sizeof gzv);
	gzv.data = pre;
	gzv.size = sizeof pre;
	gzv.etag = S("\"abc-gz\"");
	gzv.mtime = MTIME;
	content_init(e);
	e->c.gzip = &gzv;
	assert_int_equal(respond(e, "GET", "Accept-Encoding: x-gzip\r\n"), 200);
	assert_string_equal(field(e, "content-encoding"), "gzip");
	assert_string_equal(field(e, "etag"), "\"abc-gz\"");
	assert_string_equal(field(e, "content-type"), "text/plain; charset=utf-8");
	assert_int_equal(e->got_len, 8);
	assert_int_equal(respond(e, "GET", "Accept-Encoding: gzip\r\nRange: bytes=2-3\r\n"), 206);
	assert_int_equal(e->got[0], 3);
	assert_string_equal(field(e, "content-encoding"), "gzip");
	assert_int_equal(respond(e, "GET", "Accept-Encoding: br\r\n"), 200);
	assert_null(field(e, "content-encoding"));
	assert_string_equal(field(e, "vary"), "Accept-Encoding");
	assert_string_equal(field(e, "etag"), "\"abc\"");
}

static void test_nomem(void **state)
{
	(void)state;
	struct env *e = &E;
	content_init(e);
	const char *raw = "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1,3-4\r\n\r\n";
	size_t nh = 32;
	assert_true(http_request_parse(&e->req, (const uint8_t *)raw, strlen(raw), e->h, &nh, NULL) > 0);
	uint8_t small[64];
	assert_int_equal(http_static_respond(&e->out, &e->req, &e->c, &e->cfg, small, sizeof small), HTTP_ENOMEM);
	size_t need = e->out.head.len;
	assert_true(need > sizeof small);
	assert_int_equal(http_static_respond(&e->out, &e->req, &e->c, &e->cfg, e->head, need), 0);
	assert_int_equal(http_static_respond(&e->out, &e->req, &e->c, &e->cfg, e->head, need - 1), HTTP_ENOMEM);
}

static void test_negotiation(void **state)
{
	(void)state;
	static const struct {
		const char *ae;
		int gzip, identity;
	} v[] = {
		{ NULL, 0, 1000 },
		{ "gzip", 1000, 1000 },
		{ "GZIP;Q=0.5", 500, 1000 },
		{ "gzip;q=0", 0, 1000 },
		{ "gzip; q=0.001", 1, 1000 },
		{ "*;q=0.5", 500, 500 },
		{ "gzip;q=0.8, *;q=1", 800, 1000 },
		{ "deflate, br", 0, 1000 },
		{ "x-gzip", 1000, 1000 },
		{ "gzip;q=1.5", 0, 1000 },
		{ "gzip;q=0.1234", 0, 1000 },
		{ "identity;q=0, *;q=0", 0, 0 },
		{ "", 0, 1000 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct http_header h = { S("Accept-Encoding"), S(v[i].ae ? v[i].ae : "") };
		size_t n = v[i].ae ? 1 : 0;
		if (http_accept_encoding_q(&h, n, "gzip") != v[i].gzip)
			fprintf(stderr, "case %zu gzip %d\n", i, http_accept_encoding_q(&h, n, "gzip"));
		assert_int_equal(http_accept_encoding_q(&h, n, "gzip"), v[i].gzip);
		assert_int_equal(http_accept_encoding_q(&h, n, "identity"), v[i].identity);
	}
}

static void test_media(void **state)
{
	(void)state;
	static const char *v[][2] = {
		{ "/index.html", "text/html; charset=utf-8" },
		{ "/A/B.HTM", "text/html; charset=utf-8" },
		{ "/s.css", "text/css; charset=utf-8" },
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/d.json", "application/json" },
		{ "/x.tar.gz", "application/gzip" },
		{ "/i.svg", "image/svg+xml" },
		{ "/i.PNG", "image/png" },
		{ "/f.woff2", "font/woff2" },
		{ "/noext", "application/octet-stream" },
		{ "/dir.d/file", "application/octet-stream" },
		{ "/file.", "application/octet-stream" },
		{ "", "application/octet-stream" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct http_str t = http_media_type(S(v[i][0]));
		assert_int_equal(t.len, strlen(v[i][1]));
		assert_memory_equal(t.p, v[i][1], t.len);
	}
	assert_true(http_media_compressible(S("text/html; charset=utf-8")));
	assert_true(http_media_compressible(S("image/svg+xml")));
	assert_true(http_media_compressible(S("application/json")));
	assert_false(http_media_compressible(S("image/png")));
	assert_false(http_media_compressible(S("application/gzip")));
	assert_string_equal(http_reason(404), "Not Found");
	assert_string_equal(http_reason(299), "");
}

/* One response into a copy: status, head bytes, segments, source. */
struct snap {
	int rc, status, nseg;
	uint8_t head[1024];
	size_t head_len;
	struct http_seg seg[2 * HTTP_MAX_RANGES + 1];
	uint64_t body_len;
	const struct http_content *src;
};

static void snap_take(struct snap *sn, const struct http_request *req,
		const struct http_content *c, const struct http_static_cfg *cfg, size_t cap)
{
	struct http_static out;
	memset(sn, 0, sizeof *sn);
	sn->rc = http_static_respond(&out, req, c, cfg, sn->head, cap);
	sn->status = out.status;
	sn->head_len = out.head.len;
	sn->nseg = out.nseg;
	memcpy(sn->seg, out.seg, sizeof sn->seg);
	/* Part headers live in the head buffer: keep their offset. */
	for (int i = 0; i < out.nseg; i++)
		if (sn->seg[i].p >= sn->head && sn->seg[i].p < sn->head + sizeof sn->head)
			sn->seg[i].p = (const uint8_t *)(uintptr_t)(sn->seg[i].p - sn->head + 1);
	sn->body_len = out.body_len;
	sn->src = out.src;
}

/* http_static_prepare: for every content, configuration and request of a
 * matrix, the response with prepared fields is byte for byte the one
 * built the full way (head, segments, status, what the buffer needs). */
static void test_prepared(void **state)
{
	(void)state;
	static const char *const reqs[] = {
		"GET /f HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /f HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /f HTTP/1.0\r\n\r\n",
		"POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"OPTIONS /f HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip, br\r\n\r\n",
		"HEAD /f HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br, gzip;q=0\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\naccept-encoding: x-gzip\r\nAccept-Language: en\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"abc\"\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"zzz\"\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nIf-Match: \"zzz\"\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nRange: bytes=2-5\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1,4-5\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nRange: bytes=900-\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nIf-Range: \"abc\"\r\nRange: bytes=1-2\r\n\r\n",
		"GET /f HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\nAccept: */*\r\nReferer: r\r\nIf: 1\r\nRanges: 1\r\n\r\n",
	};
	static uint8_t pre[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static uint8_t gzbuf[4096], arena[HTTP_GZIP_ARENA_SIZE];
	static char big[3000];
	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = "abcdefghij\n"[i % 11];
	for (int ci = 0; ci < 9; ci++) {
		struct http_content gzv, c;
		memset(&gzv, 0, sizeof gzv);
		gzv.data = pre;
		gzv.size = sizeof pre;
		gzv.etag = S("\"abc-gz\"");
		gzv.mtime = MTIME + 5;
		memset(&c, 0, sizeof c);
		c.data = (const uint8_t *)body;
		c.size = strlen(body);
		c.etag = S("\"abc\"");
		c.mtime = MTIME;
		c.type = S("text/plain; charset=utf-8");
		switch (ci) {
		case 1: c.gzip = &gzv; break;
		case 2: c.etag = S("W/\"abc\""); c.gzip = &gzv; break;
		case 3: c.etag = S(""); c.mtime = -1; c.type = S(""); break;
		case 4: c.mtime = NOW + 100; break;       /* Last-Modified in the future */
		case 5: gzv.mtime = NOW + 100; c.gzip = &gzv; break;
		case 6: c.data = NULL; c.read = reader; c.read_ctx = (void *)(uintptr_t)body; break;
		case 7: c.data = (const uint8_t *)big; c.size = sizeof big - 1; break; /* gzip on the fly */
		case 8: c.size = 0; c.data = (const uint8_t *)""; c.etag = S("bad tag"); break;
		}
		uint8_t pbuf[512];
		for (int fi = 0; fi < 6; fi++) {
			struct http_static_cfg cfg;
			struct http_date_cache dc;
			http_date_cache_init(&dc);
			memset(&cfg, 0, sizeof cfg);
			cfg.now = NOW;
			cfg.boundary = S("3d6b6a416f9b5");
			switch (fi) {
			case 1: cfg.now = -1; break;
			case 2: cfg.dates = &dc; break;
			case 3: cfg.extra = S("Server: t\r\n"); cfg.connection = "close"; cfg.dates = &dc; break;
			case 4: cfg.gzip_min = 100; cfg.gzip_buf = gzbuf; cfg.gzip_cap = sizeof gzbuf;
				cfg.arena = arena; cfg.arena_cap = sizeof arena; break;
			case 5: cfg.connection = "keep-alive"; cfg.now = MTIME - 1; break;
			}
			for (size_t ri = 0; ri < sizeof reqs / sizeof reqs[0]; ri++) {
				struct http_request req;
				struct http_header h[16];
				size_t nh = 16;
				assert_true(http_request_parse(&req, (const uint8_t *)reqs[ri], strlen(reqs[ri]),
					h, &nh, NULL) > 0);
				for (size_t cap = 1024; cap > 0; cap = cap == 1024 ? 40 : 0) {
					static struct snap full, fast;
					memset(&c.priv, 0, sizeof c.priv);
					snap_take(&full, &req, &c, &cfg, cap);
					int pr = http_static_prepare(&c, pbuf, sizeof pbuf);
					assert_true(pr > 0);
					snap_take(&fast, &req, &c, &cfg, cap);
					bool same = full.rc == fast.rc && full.status == fast.status &&
						full.head_len == fast.head_len && full.nseg == fast.nseg &&
						full.body_len == fast.body_len && full.src == fast.src &&
						!memcmp(full.seg, fast.seg, sizeof full.seg) &&
						(full.rc < 0 || !memcmp(full.head, fast.head, full.head_len));
					if (!same)
						fprintf(stderr, "content %d cfg %d cap %zu request:\n%s\n"
							"full (%d):\n%.*s\nprepared (%d):\n%.*s\n", ci, fi, cap,
							reqs[ri], full.rc, (int)full.head_len, (const char *)full.head,
							fast.rc, (int)fast.head_len, (const char *)fast.head);
					assert_true(same);
				}
			}
		}
	}
}

/* The prepared fields are really what goes out for a plain GET, and not
 * for a request with a precondition; too small a buffer prepares nothing. */
static void test_prepared_used(void **state)
{
	(void)state;
	struct env *e = &E;
	content_init(e);
	uint8_t pbuf[512];
	int n = http_static_prepare(&e->c, pbuf, sizeof pbuf);
	assert_true(n > 0);
	const char *want = "ETag: \"abc\"\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"Accept-Ranges: bytes\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 34\r\n";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(pbuf, want, strlen(want));
	/* The size returned is all the buffer needs, and one byte less fails. */
	assert_int_equal(http_static_prepare(&e->c, pbuf, (size_t)n - 1), HTTP_ENOMEM);
	assert_int_equal(http_static_prepare(&e->c, pbuf, (size_t)n), n);
	memcpy(pbuf, "XTag", 4);
	assert_int_equal(respond(e, "GET", "Accept: */*\r\n"), 200);
	assert_non_null(field(e, "xtag"));
	assert_int_equal(e->got_len, 34);
	assert_int_equal(respond(e, "GET", "If-None-Match: \"abc\"\r\n"), 304);
	assert_int_equal(respond(e, "GET", "If-None-Match: \"x\"\r\n"), 200);
	assert_null(field(e, "xtag"));
	assert_string_equal(field(e, "etag"), "\"abc\"");
	assert_int_equal(http_static_prepare(&e->c, pbuf, 20), HTTP_ENOMEM);
	assert_int_equal(e->c.priv.len[0], 0);
	assert_int_equal(respond(e, "GET", ""), 200);
	assert_string_equal(field(e, "etag"), "\"abc\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_conditionals),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_media),
		cmocka_unit_test(test_prepared),
		cmocka_unit_test(test_prepared_used),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
