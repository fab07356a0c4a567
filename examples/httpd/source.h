/* Where httpd's documents come from. The server asks a source for a path
 * and gets an entry that describes the content the way libhttp's static
 * responder wants it (struct http_content), or says "a directory" or "no
 * such document". A source is an ops table and a context, so the directory
 * source here and a Git-tree source (a commit's tree, ETag the blob id,
 * swapped atomically when the branch moves) are interchangeable: a worker
 * holds a reference on each entry until its response is sent, so a source
 * may replace what it serves at any time without pulling bytes out from
 * under a connection. */
#ifndef HTTPD_SOURCE_H
#define HTTPD_SOURCE_H

#include <cloudlet/http.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

enum src_kind {
	SRC_MISS = 0, /* nothing there (or nothing the source will show) */
	SRC_FILE,     /* content describes it */
	SRC_DIR       /* a directory named without its trailing '/': redirect */
};

/* Content bytes a source keeps in a file rather than in memory: the
 * content's data pointer (for libhttp, which only does arithmetic on it
 * and never reads through it when on-the-fly gzip is off) is the start of
 * an address range reserved with PROT_NONE, and the server sends any iov
 * that falls in [base, base + len) with sendfile(fd, iov.base - base). A
 * read through it faults at once instead of serving wrong bytes. */
struct src_span {
	const uint8_t *base;
	uint64_t len;
	int fd;
};

struct src_entry {
	enum src_kind kind;
	struct http_content content; /* for SRC_FILE; content.gzip may point to a variant */
	struct src_span span[2];     /* file-backed representations (content, gzip) */
	int nspan;
};

struct src_ops {
	/* Look up a normalised path (see urlpath.h: relative, "" is the root,
	 * a trailing '/' asks for the directory's index.html). Returns an
	 * entry with a reference held (never NULL: a failure is SRC_MISS), at
	 * now_ms (monotonic; a source may cache). */
	struct src_entry *(*get)(void *ctx, const char *path, size_t len, uint64_t now_ms);
	/* Drop the reference taken by get. */
	void (*put)(void *ctx, struct src_entry *e);
	/* SIGHUP: forget every cached answer, re-read on the next get. */
	void (*reload)(void *ctx);
	/* Free the source; every entry must have been put. */
	void (*close)(void *ctx);
	/* Optional: a request starts. Every get until the next begin answers
	 * from one version of the content (the Git source's commit), so a
	 * response never mixes two (the path looked up in one commit and
	 * 404.html taken from the next). */
	void (*begin)(void *ctx, uint64_t now_ms);
};

struct source {
	const struct src_ops *ops;
	void *ctx;
};

/* Pre-format a file's response fields once (http_static_prepare) into a
 * buffer of their own, to free() with the entry; NULL when that failed
 * (libhttp then builds them for every response, as before). */
static inline uint8_t *src_prepare(struct http_content *c)
{
	uint8_t tmp[1024];
	int n = http_static_prepare(c, tmp, sizeof tmp);
	if (n <= 0)
		return NULL;
	uint8_t *p = malloc((size_t)n);
	if (!p || http_static_prepare(c, p, (size_t)n) != n) {
		free(p);
		return NULL;
	}
	return p;
}

/* The directory source: files under a root directory fd. */
struct dirsrc_cfg {
	int rootfd;           /* an O_PATH|O_DIRECTORY fd of the root; not closed */
	size_t cache_bytes;   /* file bytes kept in memory (and gzip variants) */
	size_t cache_entries; /* entries (hits, misses, directories) cached */
	size_t max_mem_file;  /* larger files are sent with sendfile from an open fd */
	size_t gzip_min;      /* compress text of at least this size once (0: never) */
	size_t gzip_max;      /* ... and at most this size */
	uint64_t valid_ms;    /* how long a cached answer is trusted before re-checking */
};

/* Make a directory source; returns 0, or -1 (out of memory). */
int dirsrc_open(struct source *s, const struct dirsrc_cfg *cfg);

/* A precompressed variant made once (gzip, level 6): its length with the
 * bytes malloc'd in *out, or 0 (no memory, or no smaller than len). */
size_t src_gzip_once(const uint8_t *in, size_t len, uint8_t **out);

#endif
