/* Request-target to file path: percent-decoding once, normalisation, and
 * the refusals that keep a lookup inside the document root. Pure: no I/O,
 * so the unit test and a fuzzer drive it directly. */
#ifndef HTTPD_URLPATH_H
#define HTTPD_URLPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum urlpath_result {
	URLPATH_OK = 0,
	URLPATH_BAD = -1,    /* 400: bad escape, NUL, control, backslash, ".." above the root, not a path */
	URLPATH_HIDDEN = -2, /* 404: a segment is a dotfile */
	URLPATH_TOOLONG = -3 /* 414: the decoded path does not fit */
};

struct urlpath {
	/* The decoded, normalised path relative to the root, without a leading
	 * '/': "" for the root, "a/b.html", "sub/" (trailing '/' kept). NUL-
	 * terminated; never contains "." or ".." segments, "//", NUL or '\'. */
	char *path;
	size_t len;
	bool dir;            /* ended with '/' (or "/." or "/..") */
	/* The raw path of the target (absolute-form authority removed, query
	 * kept apart), for a redirect's Location. */
	const uint8_t *raw;
	size_t raw_len;
	const uint8_t *query; /* after '?', or NULL */
	size_t query_len;
};

/* Resolve target[0..len) (a request-target the HTTP parser accepted:
 * origin-form "/p?q" or absolute-form "http://h/p?q") into out, writing the
 * path into buf[0..cap). Percent-escapes are decoded exactly once (so
 * "%252e" is the file "%2e"), then segments are normalised as RFC 3986
 * 5.2.4 does ("." dropped, ".." removes the previous segment; one that
 * would climb above the root is refused, not clamped). Every segment that
 * starts with '.' after that is a dotfile: hidden. */
int urlpath_resolve(struct urlpath *out, const uint8_t *target, size_t len, char *buf, size_t cap);

#endif
