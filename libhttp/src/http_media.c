/* Media types by file extension, and content negotiation of gzip through
 * Accept-Encoding q-values (RFC 9110 12.4.2, 12.5.3). */
#include "http_int.h"

/* Strings held in place (no pointers): the table needs no relocation. */
struct ext_type {
	char ext[16];
	char type[48];
};

/* Text types carry charset=utf-8: the content is served as it is stored. */
static const struct ext_type types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "xml", "text/xml; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/x-icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
};

static const char octet[] = "application/octet-stream";

static struct http_str cstr(const char *s)
{
	struct http_str r = { (const uint8_t *)s, strlen(s) };
	return r;
}

struct http_str http_media_type(struct http_str path)
{
	size_t i = path.len;
	while (i > 0 && path.p[i - 1] != '.' && path.p[i - 1] != '/')
		i--;
	if (i == 0 || path.p[i - 1] != '.')
		return cstr(octet);
	struct http_str ext = { path.p + i, path.len - i };
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
		if (http_str_ieq(ext, types[k].ext))
			return cstr(types[k].type);
	return cstr(octet);
}

static bool has_prefix(struct http_str s, const char *p)
{
	size_t n = strlen(p);
	return s.len >= n && memcmp(s.p, p, n) == 0;
}

static bool contains(struct http_str s, const char *p)
{
	size_t n = strlen(p);
	for (size_t i = 0; i + n <= s.len; i++)
		if (memcmp(s.p + i, p, n) == 0)
			return true;
	return false;
}

bool http_media_compressible(struct http_str type)
{
	return has_prefix(type, "text/") || contains(type, "json") || contains(type, "xml") ||
		contains(type, "javascript") || has_prefix(type, "application/wasm") ||
		has_prefix(type, "font/ttf") || has_prefix(type, "font/otf") ||
		has_prefix(type, "image/x-icon");
}

/* RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ),
 * as thousandths; -1 when malformed. */
static int qvalue(struct http_str v)
{
	if (v.len == 0 || v.len > 5 || (v.p[0] != '0' && v.p[0] != '1'))
		return -1;
	int q = (v.p[0] - '0') * 1000;
	if (v.len == 1)
		return q;
	if (v.p[1] != '.')
		return -1;
	int scale = 100;
	for (size_t i = 2; i < v.len; i++, scale /= 10) {
		if (!http_is(v.p[i], HTTP_CT_DIGIT))
			return -1;
		q += (v.p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* The q of one list element "coding *( OWS ';' OWS param )"; *name gets the
 * coding. */
static int element_q(struct http_str e, struct http_str *name)
{
	const uint8_t *semi = memchr(e.p, ';', e.len);
	name->p = e.p;
	name->len = semi ? (size_t)(semi - e.p) : e.len;
	*name = http_str_trim(*name);
	int q = 1000;
	while (semi) {
		size_t off = (size_t)(semi - e.p) + 1;
		struct http_str prm = { e.p + off, e.len - off };
		semi = memchr(prm.p, ';', prm.len);
		if (semi)
			prm.len = (size_t)(semi - prm.p);
		prm = http_str_trim(prm);
		if (prm.len >= 2 && (prm.p[0] | 0x20) == 'q' && prm.p[1] == '=') {
			struct http_str qv = { prm.p + 2, prm.len - 2 };
			q = qvalue(qv);
		}
	}
	return q;
}

int http_accept_encoding_q(const struct http_header *h, size_t n, const char *coding)
{
	int explicit_q = -1, star_q = -1;
	bool present = false;
	for (size_t i = 0; i < n; i++) {
		if (!http_str_ieq(h[i].name, "accept-encoding"))
			continue;
		present = true;
		size_t pos = 0;
		struct http_str e, name;
		while (http_list_next(h[i].value, &pos, &e)) {
			if (e.len == 0)
				continue;
			int q = element_q(e, &name);
			if (q < 0)
				continue; /* a malformed element is ignored */
			if (http_str_ieq(name, coding) ||
					(!strcmp(coding, "gzip") && http_str_ieq(name, "x-gzip")))
				explicit_q = q > explicit_q ? q : explicit_q;
			else if (http_str_ieq(name, "*"))
				star_q = q;
		}
	}
	/* RFC 9110 12.5.3: no field means any coding is acceptable; an explicit
	 * entry beats "*"; a coding not listed, when "*" is absent, is not. */
	if (!present)
		return !strcmp(coding, "identity") ? 1000 : 0;
	if (explicit_q >= 0)
		return explicit_q;
	if (star_q >= 0)
		return star_q;
	return !strcmp(coding, "identity") ? 1000 : 0;
}
