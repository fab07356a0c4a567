/* Test helper: place bytes right before a PROT_NONE page, so that any read
 * past the end faults instead of passing. */
#ifndef HTTP_TEST_GUARD_H
#define HTTP_TEST_GUARD_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
	uint8_t *base;
	size_t size;  /* usable bytes before the guard page */
};

static inline void guard_init(struct guard *g, size_t cap)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	g->size = (cap + pg - 1) / pg * pg;
	g->base = mmap(NULL, g->size + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED)
		abort();
	if (mprotect(g->base + g->size, pg, PROT_NONE) != 0)
		abort();
}

static inline void guard_fini(struct guard *g)
{
	munmap(g->base, g->size + (size_t)sysconf(_SC_PAGESIZE));
}

/* Copy len bytes so that they end at the guard page; return where they start. */
static inline uint8_t *guard_put(struct guard *g, const void *p, size_t len)
{
	if (len > g->size)
		abort();
	uint8_t *dst = g->base + g->size - len;
	if (len)
		memcpy(dst, p, len);
	return dst;
}

#endif
