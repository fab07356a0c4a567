/*
 * Pack entries and deltas: the first byte picks what the rest is.
 *   even: a pack without its trailer (the harness appends the right one, so
 *         the fuzzer gets past the checksum), indexed (every entry parsed and
 *         inflated, every delta resolved), then each object read back and
 *         verified through the idx that came out;
 *         (bit 3 of the first byte: read through storage ops and a 97-byte
 *         window; bits 1 and 2: with a small cache);
 *   odd:  a delta applied to a fixed base; then the same bytes as a target
 *         that a delta made from that base must reproduce.
 * Tight limits keep each run small.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <cloudlet/gitstore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t arena_buf[GITSTORE_INFLATE_ARENA];
static uint8_t pack[(1 << 16) + 20];
static size_t pack_len;

/* The pack as a file behind storage ops, for the windowed reader. */
static int mem_read(void *ctx, const char *name, uint64_t off, uint8_t *buf, size_t cap)
{
	(void)ctx;
	(void)name;
	if (off >= pack_len)
		return 0;
	size_t n = pack_len - off < cap ? pack_len - off : cap;
	memcpy(buf, pack + off, n);
	return (int)n;
}

static int mem_size(void *ctx, const char *name, uint64_t *size)
{
	(void)ctx;
	(void)name;
	*size = pack_len;
	return 0;
}

static const struct gitstore_storage_ops mem_ops = { .read = mem_read, .size = mem_size };
static uint8_t window[97];
static uint8_t out[1 << 16], scratch[8 * 16 + (1 << 17)], idx[1 << 16];
static struct gitstore_index_slot slots[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	if (data[0] & 1) {
		static const uint8_t base[] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
		size_t need = 0;
		int rc = gitstore_delta_apply(base, sizeof base - 1, d, n, out, sizeof out, &need);
		uint64_t bs, rs;
		if (rc >= 0 && (gitstore_delta_sizes(d, n, &bs, &rs) < 0 || rs != (uint64_t)rc))
			abort();
		/* the same bytes as a target: a delta made from the base must give them back */
		static uint32_t index[64];
		static uint8_t delta[3 * (1 << 16)];
		if (n <= sizeof out) {
			int dl = gitstore_delta_make(base, sizeof base - 1, d, n, index, 64, delta, sizeof delta);
			if (dl < 0 || gitstore_delta_apply(base, sizeof base - 1, delta, (size_t)dl, out, sizeof out, NULL) != (int)n ||
				memcmp(out, d, n) != 0)
				abort();
		}
		return 0;
	}
	if (n > sizeof pack - 20)
		return 0;
	memcpy(pack, d, n);
	struct gitstore_sha1 sh;
	gitstore_sha1_init(&sh);
	gitstore_sha1_update(&sh, pack, n);
	gitstore_sha1_final(&sh, pack + n);
	d = pack;
	n += 20;
	pack_len = n;
	struct gitstore_arena a;
	struct gitstore_limits l = { .max_object = 1 << 16, .max_depth = 15, .max_ratio = 200 };
	struct gitstore_pack_buf b = { out, sizeof out, scratch, sizeof scratch, 0, 0 };
	struct gitstore_oid sum;
	gitstore_arena_init(&a, arena_buf, sizeof arena_buf);
	/* a small cache, so evictions and collisions happen too */
	static uint8_t ring[4096];
	static struct gitstore_cache_slot cslots[7];
	struct gitstore_pack_cache cache;
	gitstore_pack_cache_init(&cache, ring, sizeof ring, cslots, 7);
	int il = gitstore_pack_index(GITSTORE_SHA1, d, n, &l, &a, slots, 256, &b, data[0] & 2 ? &cache : NULL,
		idx, sizeof idx, &sum);
	struct gitstore_pack p;
	struct gitstore_idx x;
	const struct gitstore_idx *xp = NULL;
	if (il > 0) {
		if (gitstore_idx_parse(&x, GITSTORE_SHA1, idx, (size_t)il, n, GITSTORE_IDX_VERIFY) != 0)
			abort();   /* our own index must parse */
		xp = &x;
	}
	/* bit 3: read it through the storage ops and a small window instead */
	int orc = data[0] & 8 ? gitstore_pack_open_ops(&p, GITSTORE_SHA1, &mem_ops, NULL, "p.pack", xp, &l, &a,
		window, sizeof window) : gitstore_pack_open(&p, GITSTORE_SHA1, d, n, xp, &l, &a);
	if (orc != 0)
		return 0;
	if (data[0] & 4)
		gitstore_pack_set_cache(&p, &cache);
	if (xp) {
		for (uint32_t i = 0; i < x.count; i++) {
			struct gitstore_oid id, got;
			uint64_t off;
			int type;
			gitstore_idx_entry(&x, i, &id, &off, NULL);
			int rc = gitstore_pack_read(&p, off, &b, &type);
			if (rc < 0)
				abort();   /* indexed means readable */
			gitstore_obj_hash(GITSTORE_SHA1, type, out, (size_t)rc, &got);
			if (gitstore_oid_cmp(&id, &got) != 0)
				abort();
		}
		if (gitstore_pack_verify(&p, &b, NULL) != 0)
			abort();
	} else {
		/* no index: read at each of the first offsets anyway */
		for (uint64_t off = 12; off < n && off < 64; off++) {
			struct gitstore_pack_entry e;
			int type;
			if (gitstore_pack_entry(&p, off, &e) == 0)
				(void)gitstore_pack_read(&p, off, &b, &type);
		}
	}
	return 0;
}
