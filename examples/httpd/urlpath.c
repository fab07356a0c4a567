/* Percent-decoding (RFC 3986 2.1) and dot-segment removal (RFC 3986 5.2.4)
 * of a request path, refusing what could name a file outside the root. */
#include "urlpath.h"

#include <string.h>

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool ieq_prefix(const uint8_t *p, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (c != (uint8_t)lit[i])
			return false;
	}
	return true;
}

int urlpath_resolve(struct urlpath *out, const uint8_t *t, size_t len, char *buf, size_t cap)
{
	memset(out, 0, sizeof *out);
	/* RFC 9112 3.2.2: absolute-form; the path is what follows the
	 * authority (the server has one site, Host is not routed on). */
	size_t skip = 0;
	if (ieq_prefix(t, len, "http://"))
		skip = 7;
	else if (ieq_prefix(t, len, "https://"))
		skip = 8;
	if (skip) {
		const uint8_t *slash = memchr(t + skip, '/', len - skip);
		const uint8_t *q = memchr(t + skip, '?', len - skip);
		if (q && (!slash || q < slash))
			return URLPATH_BAD;
		if (!slash) {
			/* "http://host" is the root */
			out->raw = (const uint8_t *)"/";
			out->raw_len = 1;
			if (cap < 1)
				return URLPATH_TOOLONG;
			buf[0] = '\0';
			out->path = buf;
			out->dir = true;
			return URLPATH_OK;
		}
		len -= (size_t)(slash - t);
		t = slash;
	}
	if (len == 0 || t[0] != '/')
		return URLPATH_BAD;
	const uint8_t *q = memchr(t, '?', len);
	size_t plen = q ? (size_t)(q - t) : len;
	out->raw = t;
	out->raw_len = plen;
	if (q) {
		out->query = q + 1;
		out->query_len = len - plen - 1;
	}

	/* Decode once into buf, then normalise in place: the output never
	 * grows (an escape is three bytes for one). */
	if (plen + 1 > cap)
		return URLPATH_TOOLONG;
	size_t n = 0;
	for (size_t i = 0; i < plen; i++) {
		uint8_t c = t[i];
		if (c == '%') {
			if (i + 2 >= plen)
				return URLPATH_BAD;
			int hi = hexval(t[i + 1]), lo = hexval(t[i + 2]);
			if (hi < 0 || lo < 0)
				return URLPATH_BAD;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
		}
		/* NUL ends a C path early; controls have no business in a file
		 * name; '\' is a separator to some file systems and tools. */
		if (c < 0x20 || c == 0x7f || c == '\\')
			return URLPATH_BAD;
		buf[n++] = (char)c;
	}

	/* Segments: buf[0..n) starts with '/'. */
	size_t w = 0; /* output length, written without the leading '/' */
	size_t i = 0;
	bool dir = false, hidden = false;
	while (i < n) {
		while (i < n && buf[i] == '/')
			i++;
		size_t s = i;
		while (i < n && buf[i] != '/')
			i++;
		size_t sl = i - s;
		bool last = i >= n;
		if (sl == 0) {
			dir = true; /* trailing slash (or empty path) */
			break;
		}
		if (sl == 1 && buf[s] == '.') {
			dir = last ? true : dir;
			continue;
		}
		if (sl == 2 && buf[s] == '.' && buf[s + 1] == '.') {
			if (w == 0)
				return URLPATH_BAD; /* above the root */
			/* drop the previous segment and its '/' */
			size_t k = w - 1; /* w ends with '/' before a new segment */
			while (k > 0 && buf[k - 1] != '/')
				k--;
			w = k;
			dir = last ? true : dir;
			continue;
		}
		dir = false;
		if (buf[s] == '.')
			hidden = true;
		memmove(buf + w, buf + s, sl);
		w += sl;
		buf[w++] = '/';
	}
	/* w ends with '/' after each kept segment; drop the last one unless
	 * the path named a directory. */
	if (w > 0 && !dir)
		w--;
	if (n == 0)
		dir = true;
	buf[w] = '\0';
	out->path = buf;
	out->len = w;
	out->dir = dir || w == 0;
	return hidden ? URLPATH_HIDDEN : URLPATH_OK;
}
