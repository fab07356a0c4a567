/* Helpers shared by libgitstore's tests. */
#ifndef GT_UTIL_H
#define GT_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * A copy of p[0..len) placed right before a PROT_NONE page, so a parser that
 * reads one byte too far crashes. The previous copy is unmapped.
 */
static inline uint8_t *gt_guard(const void *p, size_t len)
{
	static uint8_t *map;
	static size_t maplen;
	if (map)
		munmap(map, maplen);
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + pg - 1) / pg * pg;
	if (body == 0)
		body = pg;
	maplen = body + pg;
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		_exit(2);
	}
	mprotect(map + body, pg, PROT_NONE);
	uint8_t *dst = map + body - len;
	if (len)
		memcpy(dst, p, len);
	return dst;
}

static inline void gt_hex(int algo, const struct gitstore_oid *id, char *out)
{
	gitstore_oid_to_hex(algo, id, out);
}

static inline struct gitstore_oid gt_oid(const char *hex)
{
	struct gitstore_oid id;
	int algo = strlen(hex) == 64 ? GITSTORE_SHA256 : GITSTORE_SHA1;
	if (gitstore_oid_from_hex(algo, hex, strlen(hex), &id) != 0) {
		fprintf(stderr, "bad hex %s\n", hex);
		_exit(2);
	}
	return id;
}

#endif
