/* Static responses (RFC 9110 9.3.1-2, 13, 14, 12.5.3): representation
 * selection, preconditions, ranges, and the response head. */
#include "http_int.h"
#include <zlib.h>

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

/* RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE. */
struct etag {
	bool weak;
	struct http_str opaque; /* with the quotes */
};

static bool etag_read(struct http_cur *c, struct etag *t)
{
	t->weak = false;
	if (http_cur_left(c) >= 2 && c->p[0] == 'W' && c->p[1] == '/') {
		t->weak = true;
		c->p += 2;
	}
	if (c->p == c->end || *c->p != '"')
		return false;
	const uint8_t *start = c->p++;
	while (c->p < c->end && *c->p != '"') {
		/* etagc = %x21 / %x23-7E / obs-text */
		if (*c->p < 0x21 || *c->p == 0x7f)
			return false;
		c->p++;
	}
	if (c->p == c->end)
		return false;
	c->p++;
	t->opaque.p = start;
	t->opaque.len = (size_t)(c->p - start);
	return true;
}

static bool etag_of(struct http_str s, struct etag *t)
{
	struct http_cur c = { s.p, s.p + s.len };
	return s.len && etag_read(&c, t) && c.p == c.end;
}

static bool etag_eq(const struct etag *a, const struct etag *b, bool strong)
{
	if (strong && (a->weak || b->weak))
		return false;
	return a->opaque.len == b->opaque.len && !memcmp(a->opaque.p, b->opaque.p, a->opaque.len);
}

/* If-Match / If-None-Match over all lines of a field: 1 when "*" or a tag
 * matches, 0 when none does, -1 when no such field (or it is malformed, so
 * it is ignored). */
static int etag_list_match(const struct http_header *h, size_t n, const char *name,
		const struct etag *cur, bool have, bool strong)
{
	int res = -1;
	for (size_t i = 0; i < n; i++) {
		if (!http_str_ieq(h[i].name, name))
			continue;
		struct http_cur c = { h[i].value.p, h[i].value.p + h[i].value.len };
		if (h[i].value.len == 1 && h[i].value.p[0] == '*')
			return 1; /* a representation exists */
		if (res < 0)
			res = 0;
		for (;;) {
			while (c.p < c.end && (*c.p == ',' || http_ows(*c.p)))
				c.p++;
			if (c.p == c.end)
				break;
			struct etag t;
			if (!etag_read(&c, &t))
				return -1;
			if (have && etag_eq(&t, cur, strong))
				res = 1;
		}
	}
	return res;
}

/* The first line of a date field, parsed; false when absent or invalid
 * (RFC 9110 13.1.3: an invalid date is ignored). */
static bool date_field(const struct http_header *h, size_t n, const char *name, int64_t now,
		int64_t *t)
{
	const struct http_header *f = http_header_find(h, n, name);
	return f && http_date_parse(f->value, now, t) == 0;
}

struct range {
	uint64_t first, last;
};

/* RFC 9110 14.1.1. Return the number of satisfiable ranges (0: 416), or -1
 * to ignore the field (not bytes, malformed, too many, empty content). */
static int ranges_parse(struct http_str v, uint64_t size, struct range *r)
{
	struct http_str unit = { v.p, 6 };
	if (v.len < 6 || !http_str_ieq(unit, "bytes="))
		return -1;
	struct http_str list = { v.p + 6, v.len - 6 };
	size_t pos = 0;
	struct http_str e;
	int n = 0, specs = 0;
	if (size == 0)
		return -1;
	while (http_list_next(list, &pos, &e)) {
		if (e.len == 0)
			continue;
		const uint8_t *dash = memchr(e.p, '-', e.len);
		if (!dash)
			return -1;
		uint64_t a = 0, b = 0;
		size_t na = (size_t)(dash - e.p), nb = e.len - na - 1;
		if ((na == 0 && nb == 0) || na > 19 || nb > 19)
			return -1;
		for (size_t i = 0; i < na; i++) {
			if (!http_is(e.p[i], HTTP_CT_DIGIT))
				return -1;
			a = a * 10 + (uint64_t)(e.p[i] - '0');
		}
		for (size_t i = 0; i < nb; i++) {
			if (!http_is(dash[1 + i], HTTP_CT_DIGIT))
				return -1;
			b = b * 10 + (uint64_t)(dash[1 + i] - '0');
		}
		if (++specs > HTTP_MAX_RANGES)
			return -1;
		struct range x;
		if (na == 0) { /* suffix-range */
			if (b == 0)
				continue;
			x.first = b >= size ? 0 : size - b;
			x.last = size - 1;
		} else {
			if (nb && b < a)
				return -1;  /* an invalid int-range makes the field invalid */
			if (a >= size)
				continue;   /* unsatisfiable */
			x.first = a;
			x.last = nb == 0 || b >= size ? size - 1 : b;
		}
		r[n++] = x;
	}
	return specs == 0 ? -1 : n;
}

/* zlib's allocator over the caller's arena: a bump pointer, nothing freed
 * until the response is done. */
struct arena {
	uint8_t *p;
	size_t len, cap;
};

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct arena *a = opaque;
	size_t n = (size_t)items * size;
	if (size && n / size != items)
		return Z_NULL;
	n = (n + 15) & ~(size_t)15;
	size_t off = (a->len + 15) & ~(size_t)15;
	if (off > a->cap || n > a->cap - off)
		return Z_NULL;
	a->len = off + n;
	return a->p + off;
}

static void arena_free(voidpf opaque, voidpf addr)
{
	(void)opaque;
	(void)addr;
}

/* Compress data into out as a gzip member; the compressed length, or 0 when
 * it does not fit, is not smaller, or zlib fails. */
static size_t gzip_compress(const uint8_t *data, size_t len, uint8_t *out, size_t cap,
		uint8_t *mem, size_t mem_cap)
{
	/* deflate needs (1 << (wbits + 2)) + (1 << (memlevel + 9)) and its state. */
	int wbits = 15, level = 8;
	while (wbits >= 9 && ((size_t)1 << (wbits + 2)) + ((size_t)1 << (level + 9)) + 8192 > mem_cap) {
		wbits--;
		if (level > 1)
			level--;
	}
	if (wbits < 9 || len > UINT_MAX || cap > UINT_MAX)
		return 0;
	struct arena a = { mem, 0, mem_cap };
	z_stream z;
	memset(&z, 0, sizeof z);
	z.zalloc = arena_alloc;
	z.zfree = arena_free;
	z.opaque = &a;
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + wbits, level, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	return r == Z_STREAM_END && n < len ? n : 0;
}

static bool bchar_ok(struct http_str b)
{
	/* RFC 2046 5.1.1, without the space to keep it a token-safe parameter. */
	if (b.len < 1 || b.len > 70)
		return false;
	for (size_t i = 0; i < b.len; i++) {
		uint8_t c = b.p[i];
		bool ok = http_is(c, HTTP_CT_DIGIT) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
			memchr("'()+_,-./:=?", c, 12) != NULL;
		if (!ok)
			return false;
	}
	return true;
}

static void status_line(struct http_wbuf *w, int status, const struct http_static_cfg *cfg)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\n";
	if (status == 200) {
		http_wb_put(w, ok, sizeof ok - 1); /* nearly every response */
	} else {
		http_wb_str(w, "HTTP/1.1 ");
		http_wb_u64(w, (uint64_t)status);
		http_wb_str(w, " ");
		http_wb_str(w, http_reason(status));
		http_wb_str(w, "\r\n");
	}
	if (cfg->now >= 0) {
		char d[HTTP_DATE_LEN + 1];
		const char *text = cfg->dates ? http_date_cache_get(cfg->dates, cfg->now)
			: http_date_format(cfg->now, d) > 0 ? d : NULL;
		if (text) {
			http_wb_str(w, "Date: ");
			http_wb_put(w, text, HTTP_DATE_LEN);
			http_wb_str(w, "\r\n");
		}
	}
	http_wb_slice(w, cfg->extra);
	if (cfg->connection) {
		http_wb_str(w, "Connection: ");
		http_wb_str(w, cfg->connection);
		http_wb_str(w, "\r\n");
	}
}

static void content_range(struct http_wbuf *w, const struct range *r, uint64_t size)
{
	http_wb_str(w, "bytes ");
	http_wb_u64(w, r->first);
	http_wb_str(w, "-");
	http_wb_u64(w, r->last);
	http_wb_str(w, "/");
	http_wb_u64(w, size);
}

static void part_header(struct http_wbuf *w, struct http_str boundary, struct http_str type,
		const struct range *r, uint64_t size)
{
	http_wb_str(w, "\r\n--");
	http_wb_slice(w, boundary);
	http_wb_str(w, "\r\nContent-Type: ");
	http_wb_slice(w, type);
	http_wb_str(w, "\r\nContent-Range: ");
	content_range(w, r, size);
	http_wb_str(w, "\r\n\r\n");
}

static void add_seg(struct http_static *out, const struct http_content *src, const uint8_t *mem,
		uint64_t off, uint64_t len)
{
	struct http_seg *s = &out->seg[out->nseg++];
	s->p = mem ? mem : src->data ? src->data + off : NULL;
	s->off = off;
	s->len = len;
	out->body_len += len;
}

static bool can_gzip_on_the_fly(const struct http_content *content, struct http_str type,
		const struct http_static_cfg *cfg)
{
	return !content->gzip && cfg->gzip_min && content->data && cfg->gzip_buf &&
		content->size >= cfg->gzip_min && http_media_compressible(type);
}

/* A 200 from the fields http_static_prepare() made: 1 when answered (*rc
 * is then the result), 0 when the request needs the full way. Everything
 * the prepared fields depend on is checked here: no field that could make
 * it other than a plain 200 (names are matched loosely, If-* and any
 * five-letter name starting with R: a false alarm only costs the full
 * way), the same Vary, the same representation chosen by Accept-Encoding,
 * and a Last-Modified not clamped to now. */
static int respond_prepared(struct http_static *out, const struct http_request *req,
		const struct http_content *content, const struct http_static_cfg *cfg,
		struct http_str type, uint8_t *buf, size_t cap, int *rc)
{
	const struct http_header *h = req->headers;
	size_t n = req->num_headers;
	bool ae = false;
	for (size_t i = 0; i < n; i++) {
		struct http_str nm = h[i].name;
		uint8_t c0 = (uint8_t)(nm.p[0] | 0x20);
		if (c0 == 'i' && nm.len > 3 && nm.p[2] == '-')
			return 0;
		if (c0 == 'r' && nm.len == 5)
			return 0;
		if (c0 == 'a' && nm.len == 15)
			ae = true;
	}
	bool vary = content->gzip || can_gzip_on_the_fly(content, type, cfg);
	if (vary != content->priv.vary)
		return 0;
	int k = 0;
	if (vary && ae && http_accept_encoding_q(h, n, "gzip") > 0) {
		if (!content->gzip)
			return 0; /* compressed on the fly */
		k = 1;
	}
	const struct http_content *rep = k ? content->gzip : content;
	if (!content->priv.len[k] || (cfg->now >= 0 && rep->mtime > cfg->now))
		return 0;
	memset(out, 0, sizeof *out);
	struct http_wbuf w = { buf, 0, cap, false };
	status_line(&w, 200, cfg);
	http_wb_put(&w, content->priv.fields[k], content->priv.len[k]);
	http_wb_str(&w, "\r\n");
	out->status = 200;
	out->src = rep;
	out->head.p = buf;
	out->head.len = w.len;
	out->buf_used = w.len;
	if (req->meth == HTTP_M_GET && rep->size)
		add_seg(out, rep, NULL, 0, rep->size);
	*rc = 0;
	if (w.full) {
		out->nseg = 0; /* as the full way leaves it */
		*rc = HTTP_ENOMEM;
	}
	return 1;
}

static const struct http_str octet = { (const uint8_t *)"application/octet-stream", 24 };

/* The full way. fields_only (for http_static_prepare) leaves out the
 * status line with Date, extra and Connection, and the empty line. */
static int respond_full(struct http_static *out, const struct http_request *req,
		const struct http_content *content, const struct http_static_cfg *cfg,
		uint8_t *buf, size_t cap, bool fields_only)
{
	memset(out, 0, sizeof *out);
	struct http_wbuf w = { buf, 0, cap, false };
	const struct http_header *h = req->headers;
	size_t n = req->num_headers;
	bool get = req->meth == HTTP_M_GET, head = req->meth == HTTP_M_HEAD;

	if (!get && !head) {
		/* RFC 9110 15.5.6: 405 lists the methods; OPTIONS gets the same
		 * list; a method not known at all is 501 (RFC 9110 9.1). */
		int st = req->meth == HTTP_M_OPTIONS ? 204 : req->meth == HTTP_M_OTHER ? 501 : 405;
		status_line(&w, st, cfg);
		http_wb_str(&w, "Allow: GET, HEAD, OPTIONS\r\n");
		if (st != 204)
			http_wb_str(&w, "Content-Length: 0\r\n");
		http_wb_str(&w, "\r\n");
		out->status = st;
		goto done;
	}

	/* Representation (RFC 9110 12.5.3). */
	const struct http_content *rep = content;
	struct http_str type = content->type.len ? content->type : octet;
	bool has_range = get && http_header_find(h, n, "range");
	bool can_fly = can_gzip_on_the_fly(content, type, cfg);
	bool vary = content->gzip || can_fly;
	bool fly = false;
	if (vary && http_accept_encoding_q(h, n, "gzip") > 0) {
		if (content->gzip)
			rep = content->gzip;
		else if (!has_range)
			fly = true;
	}
	struct etag tag = { false, { NULL, 0 } };
	bool have_tag = etag_of(rep->etag, &tag);
	bool stored_weak = have_tag && tag.weak;
	if (fly)
		tag.weak = true; /* RFC 9110 8.8.1: not byte-identical to the stored form */

	/* Preconditions, RFC 9110 13.2.2. */
	int64_t t;
	int st = 200;
	int im = etag_list_match(h, n, "if-match", &tag, have_tag, true);
	if (im == 0)
		st = 412;
	else if (im < 0 && rep->mtime >= 0 && date_field(h, n, "if-unmodified-since", cfg->now, &t) &&
			rep->mtime > t)
		st = 412;
	if (st == 200) {
		int inm = etag_list_match(h, n, "if-none-match", &tag, have_tag, false);
		if (inm == 1)
			st = 304;
		else if (inm < 0 && rep->mtime >= 0 &&
				date_field(h, n, "if-modified-since", cfg->now, &t) && rep->mtime <= t)
			st = 304;
	}

	struct range r[HTTP_MAX_RANGES];
	int nr = -1;
	if (st == 200 && has_range) {
		bool use = true;
		const struct http_header *ir = http_header_find(h, n, "if-range");
		if (ir) {
			/* RFC 9110 13.1.5: a strong match of the tag, or the exact date. */
			struct etag it;
			if (etag_of(ir->value, &it))
				use = have_tag && etag_eq(&it, &tag, true);
			else
				use = rep->mtime >= 0 && http_date_parse(ir->value, cfg->now, &t) == 0 &&
					t == rep->mtime;
		}
		if (use)
			nr = ranges_parse(http_header_find(h, n, "range")->value, rep->size, r);
		if (nr == 0)
			st = 416;
		else if (nr > 0)
			st = 206;
	}
	if (nr > 1 && !bchar_ok(cfg->boundary))
		return HTTP_EINVAL;

	size_t zlen = 0;
	if (fly && st == 200) {
		zlen = gzip_compress(content->data, (size_t)content->size, cfg->gzip_buf,
			cfg->gzip_cap, cfg->arena, cfg->arena_cap);
		if (!zlen)
			fly = false;
	}
	if (!fly)
		tag.weak = stored_weak; /* did not fit: the stored form again */

	out->status = st;
	out->src = rep;
	if (!fields_only)
		status_line(&w, st, cfg);
	if (st == 200 || st == 206 || st == 304) {
		if (have_tag) {
			http_wb_str(&w, "ETag: ");
			if (tag.weak)
				http_wb_str(&w, "W/");
			http_wb_slice(&w, tag.opaque);
			http_wb_str(&w, "\r\n");
		}
		char d[HTTP_DATE_LEN + 1];
		/* RFC 9110 8.8.2.1: never later than the response's own Date. */
		int64_t lm = cfg->now >= 0 && rep->mtime > cfg->now ? cfg->now : rep->mtime;
		if (rep->mtime >= 0 && http_date_format(lm, d) > 0) {
			http_wb_str(&w, "Last-Modified: ");
			http_wb_put(&w, d, HTTP_DATE_LEN);
			http_wb_str(&w, "\r\n");
		}
		if (vary)
			http_wb_str(&w, "Vary: Accept-Encoding\r\n");
	}
	if (st == 200 || st == 206 || st == 416)
		http_wb_str(&w, fly ? "" : "Accept-Ranges: bytes\r\n");
	if ((st == 200 || st == 206) && (fly || rep != content))
		http_wb_str(&w, "Content-Encoding: gzip\r\n");

	uint64_t body = 0;
	if (st == 200) {
		body = fly ? zlen : rep->size;
		http_wb_str(&w, "Content-Type: ");
		http_wb_slice(&w, type);
		http_wb_str(&w, "\r\n");
	} else if (st == 206 && nr == 1) {
		body = r[0].last - r[0].first + 1;
		http_wb_str(&w, "Content-Type: ");
		http_wb_slice(&w, type);
		http_wb_str(&w, "\r\nContent-Range: ");
		content_range(&w, &r[0], rep->size);
		http_wb_str(&w, "\r\n");
	} else if (st == 206) {
		for (int i = 0; i < nr; i++) {
			struct http_wbuf m = { NULL, 0, 0, false };
			part_header(&m, cfg->boundary, type, &r[i], rep->size);
			body += m.len + r[i].last - r[i].first + 1;
		}
		body += 2 + 2 + cfg->boundary.len + 4; /* CRLF "--" boundary "--" CRLF */
		http_wb_str(&w, "Content-Type: multipart/byteranges; boundary=");
		http_wb_slice(&w, cfg->boundary);
		http_wb_str(&w, "\r\n");
	} else if (st == 416) {
		http_wb_str(&w, "Content-Range: bytes */");
		http_wb_u64(&w, rep->size);
		http_wb_str(&w, "\r\n");
	}
	if (st != 304) {
		http_wb_str(&w, "Content-Length: ");
		http_wb_u64(&w, body);
		http_wb_str(&w, "\r\n");
	}
	if (!fields_only)
		http_wb_str(&w, "\r\n");
	size_t head_len = w.len;

	if (head || st == 304 || st == 412 || st == 416)
		goto done;
	if (st == 200) {
		if (fly)
			add_seg(out, rep, cfg->gzip_buf, 0, zlen);
		else if (rep->size)
			add_seg(out, rep, NULL, 0, rep->size);
	} else if (nr == 1) {
		add_seg(out, rep, NULL, r[0].first, r[0].last - r[0].first + 1);
	} else {
		for (int i = 0; i < nr; i++) {
			size_t at = w.len;
			part_header(&w, cfg->boundary, type, &r[i], rep->size);
			/* when full, go on measuring: the caller learns the size needed */
			if (w.full)
				continue;
			add_seg(out, rep, buf + at, 0, w.len - at);
			add_seg(out, rep, NULL, r[i].first, r[i].last - r[i].first + 1);
		}
		size_t at = w.len;
		http_wb_str(&w, "\r\n--");
		http_wb_slice(&w, cfg->boundary);
		http_wb_str(&w, "--\r\n");
		if (!w.full)
			add_seg(out, rep, buf + at, 0, w.len - at);
	}
	out->head.p = buf;
	out->head.len = head_len;
	out->buf_used = w.len;
	if (w.full) {
		out->head.len = w.len;
		out->nseg = 0;
		return HTTP_ENOMEM;
	}
	return 0;
done:
	out->head.p = buf;
	out->head.len = w.len;
	out->buf_used = w.len;
	return w.full ? HTTP_ENOMEM : 0;
}

int http_static_respond(struct http_static *out, const struct http_request *req,
		const struct http_content *content, const struct http_static_cfg *cfg,
		uint8_t *buf, size_t cap)
{
	int rc;
	if ((req->meth == HTTP_M_GET || req->meth == HTTP_M_HEAD) && content->priv.len[0] &&
			respond_prepared(out, req, content, cfg, content->type.len ? content->type : octet,
				buf, cap, &rc))
		return rc;
	return respond_full(out, req, content, cfg, buf, cap, false);
}

int http_static_prepare(struct http_content *content, uint8_t *buf, size_t cap)
{
	/* The fields come from the full way itself, for a GET without any
	 * field (and one with "Accept-Encoding: gzip" for the variant), so
	 * the two ways cannot drift apart. No Date (now < 0), so
	 * Last-Modified is the content's own. */
	memset(&content->priv, 0, sizeof content->priv);
	struct http_static_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.now = -1;
	struct http_request req;
	memset(&req, 0, sizeof req);
	req.meth = HTTP_M_GET;
	req.minor_version = 1;
	struct http_header gz = { { (const uint8_t *)"Accept-Encoding", 15 },
		{ (const uint8_t *)"gzip", 4 } };
	const uint8_t *fields[2] = { NULL, NULL };
	uint16_t len[2] = { 0, 0 };
	size_t used = 0;
	for (int k = 0; k < (content->gzip ? 2 : 1); k++) {
		req.headers = k ? &gz : NULL;
		req.num_headers = (size_t)k;
		struct http_static st;
		int r = respond_full(&st, &req, content, &cfg, buf + used, cap - used, true);
		if (r < 0 || st.status != 200 || st.head.len == 0 || st.head.len > UINT16_MAX)
			return HTTP_ENOMEM;
		fields[k] = buf + used;
		len[k] = (uint16_t)st.head.len;
		used += st.head.len;
	}
	content->priv.fields[0] = fields[0];
	content->priv.fields[1] = fields[1];
	content->priv.len[0] = len[0];
	content->priv.len[1] = len[1];
	content->priv.vary = content->gzip != NULL;
	return (int)used;
}
