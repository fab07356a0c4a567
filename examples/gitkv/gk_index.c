/*
 * gitkv index-pack FILE.pack: check a pack and write FILE.idx next to it,
 * as `git index-pack FILE.pack` does (the idx v2 is deterministic for a
 * pack, so the bytes are git's). The pack's id goes to standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitkv.h"

static int write_file(const char *path, const uint8_t *data, size_t len)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof tmp)
		return gk_err(path, "name too long");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return gk_err(tmp, strerror(errno));
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return gk_err(tmp, strerror(e));
		}
		done += (size_t)n;
	}
	/* git fsyncs a new .idx before it names it (core.fsync's default) */
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return gk_err(path, strerror(e));
	}
	return 0;
}

/*
 * The pack is read through storage ops over its one descriptor, into a
 * window, as git index-pack reads its input: never mapped, so the pack is
 * not counted in our memory.
 */
static int one_read(void *ctx, const char *name, uint64_t off, uint8_t *buf, size_t cap)
{
	(void)name;
	for (;;) {
		ssize_t n = pread(*(int *)ctx, buf, cap > (1u << 30) ? (1u << 30) : cap, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? GITSTORE_EIO : (int)n;
	}
}

static int one_size(void *ctx, const char *name, uint64_t *size)
{
	struct stat st;
	(void)name;
	if (fstat(*(int *)ctx, &st) != 0)
		return GITSTORE_EIO;
	*size = (uint64_t)st.st_size;
	return 0;
}

static const struct gitstore_storage_ops one_file_ops = { .read = one_read, .size = one_size };

#define GK_INDEX_WINDOW (GK_INDEX_WINDOW_KIB << 10)
#ifndef GK_INDEX_WINDOW_KIB
#define GK_INDEX_WINDOW_KIB 32
#endif

int gk_index_pack(const char *pack, int algo)
{
	size_t pl = strlen(pack);
	if (pl < 6 || strcmp(pack + pl - 5, ".pack"))
		return gk_err(pack, "packfile name does not end with '.pack'"), GK_USAGE;
	int fd = open(pack, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gk_err(pack, strerror(errno));
	struct stat st;
	uint8_t head[12];
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return gk_err(pack, "not a regular file");
	}
	uint64_t len = (uint64_t)st.st_size;
	size_t hl = gitstore_hash_len(algo);
	if (len < 12 + hl || pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head) {
		close(fd);
		return gk_lib_err(pack, GITSTORE_ETRUNCATED);
	}
	/* the sizes from the header (all gitstore_pack_index_sizes reads of
	 * the pack is its first 12 bytes; the length is the file's) */
	uint32_t count;
	size_t idx_max;
	int rc = gitstore_pack_index_sizes(algo, head, len, &count, &idx_max);
	if (rc < 0) {
		close(fd);
		return gk_lib_err(pack, rc);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	struct gitstore_index_slot *slots = gk_xmalloc((count ? count : 1) * sizeof *slots);
	uint8_t *idx = gk_xmalloc(idx_max);
	uint8_t *arena_mem = gk_xmalloc(GITSTORE_INFLATE_ARENA);
	uint8_t *window = gk_xmalloc(GK_INDEX_WINDOW);
	struct gitstore_arena arena;
	gitstore_arena_init(&arena, arena_mem, GITSTORE_INFLATE_ARENA);
	struct gitstore_pack_buf b;
	/* scratch: the delta tree being resolved, depth first (the objects on
	 * one path); only the pages used count, as malloc maps them lazily */
	gk_pack_buf_init(&b, 256u << 10, 32u << 20);
	struct gitstore_limits l = { .max_depth = 4095, .max_object = 1u << 30 };
	struct gitstore_pack_cache cache;
	/* only for what the depth-first pass leaves: deltas over 32 MiB of path */
	size_t ring = 4u << 20, nslots = 512;
	gitstore_pack_cache_init(&cache, gk_xmalloc(ring), ring, gk_xmalloc(nslots * sizeof *cache.slots), nslots);
	struct gitstore_oid sum;
	for (;;) {
		gitstore_pack_cache_init(&cache, cache.ring, ring, cache.slots, nslots);
		rc = gitstore_pack_index_ops(algo, &one_file_ops, &fd, pack, window, GK_INDEX_WINDOW, &l, &arena, slots,
					     count, &b, &cache, idx, idx_max, &sum);
		if (rc != GITSTORE_ENOMEM || (b.out_needed <= b.out_cap && b.scratch_needed <= b.scratch_cap))
			break;
		if (b.out_needed > b.out_cap)
			b.out = gk_xrealloc(b.out, b.out_cap = b.out_needed);
		size_t sn = 8 * 4096 + 2 * b.out_cap + (b.scratch_needed > b.scratch_cap ? b.scratch_needed : 0);
		if (sn > b.scratch_cap)
			b.scratch = gk_xrealloc(b.scratch, b.scratch_cap = sn);
	}
	close(fd);
	if (rc < 0)
		return gk_lib_err(pack, rc);
	char path[4200];
	snprintf(path, sizeof path, "%.*s.idx", (int)(pl - 5), pack);
	if ((rc = write_file(path, idx, (size_t)rc)) != 0)
		return rc;
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(algo, &sum, hex);
	printf("%s\n", hex);
	free(cache.ring);
	free(cache.slots);
	gk_pack_buf_free(&b);
	free(window);
	free(arena_mem);
	free(idx);
	free(slots);
	return fflush(stdout) == 0 ? GK_OK : GK_FAIL;
}
