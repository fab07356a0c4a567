/*
 * Indexing a pack, as git index-pack does: every entry read in order (CRC32
 * of its bytes, its extent, the id of each whole object hashed while
 * inflating), then the deltas resolved, then the .idx v2 written.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

enum { UNRESOLVED = 0, RESOLVED = 1 };

int gitstore_pack_index_sizes(int algo, const uint8_t *pack, uint64_t len, uint32_t *count, size_t *idx_max)
{
	size_t h = gitstore_hash_len(algo);
	if (h == 0)
		return GITSTORE_EINVAL;
	if (len < 12 + h)
		return GITSTORE_ETRUNCATED;
	if (memcmp(pack, "PACK", 4) != 0)
		return GITSTORE_EPACK_SIGNATURE;
	*count = gitstore_int_be32(pack + 8);
	/* Entries take at least 2 bytes each: a count beyond that is a lie. */
	if (*count > (len - 12 - h) / 2)
		return GITSTORE_EPACK_COUNT;
	*idx_max = gitstore_idx_size(algo, *count, len > 0x80000000u ? *count : 0);
	return 0;
}

struct ix {
	struct gitstore_index_slot *s;
	uint32_t nres;      /* s[0..nres).order: resolved slots, by id */
};

/* Binary search of the resolved objects' ids: REF_DELTA bases. */
static int ix_find(void *ctx, const struct gitstore_oid *id, uint64_t *offset)
{
	struct ix *x = ctx;
	uint32_t lo = 0, hi = x->nres;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct gitstore_index_slot *m = &x->s[x->s[mid].order];
		int c = gitstore_oid_cmp(&m->id, id);
		if (c == 0) {
			*offset = m->offset;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return GITSTORE_ENOENT;
}

static int order_cmp(const struct gitstore_index_slot *s, uint32_t a, uint32_t b)
{
	return gitstore_oid_cmp(&s[a].id, &s[b].id);
}

static void sift_order(struct gitstore_index_slot *s, uint32_t r, uint32_t m)
{
	for (;;) {
		uint32_t c = 2 * r + 1;
		if (c >= m)
			return;
		if (c + 1 < m && order_cmp(s, s[c].order, s[c + 1].order) < 0)
			c++;
		if (order_cmp(s, s[r].order, s[c].order) >= 0)
			return;
		uint32_t t = s[r].order;
		s[r].order = s[c].order;
		s[c].order = t;
		r = c;
	}
}

/* Sort the order[] permutation of resolved slots by id (heapsort). */
static void sort_order(struct gitstore_index_slot *s, uint32_t n)
{
	for (uint32_t k = n / 2; k-- > 0;)
		sift_order(s, k, n);
	for (uint32_t end = n; end > 1; end--) {
		uint32_t t = s[0].order;
		s[0].order = s[end - 1].order;
		s[end - 1].order = t;
		sift_order(s, 0, end - 1);
	}
}

static void hash_sink(void *ctx, const uint8_t *p, size_t n)
{
	gitstore_hash_update(ctx, p, n);
}

int gitstore_pack_index(int algo, const uint8_t *pack, uint64_t len, const struct gitstore_limits *limits,
	struct gitstore_arena *arena, struct gitstore_index_slot *slots, size_t nslots,
	struct gitstore_pack_buf *b, struct gitstore_pack_cache *cache,
	uint8_t *idx, size_t idx_cap, struct gitstore_oid *pack_checksum)
{
	struct gitstore_pack p;
	uint32_t count;
	size_t idx_max, h = gitstore_hash_len(algo);
	int rc = gitstore_pack_index_sizes(algo, pack, len, &count, &idx_max);
	if (rc < 0)
		return rc;
	if ((rc = gitstore_pack_open(&p, algo, pack, len, NULL, limits, arena)) < 0)
		return rc;
	if (nslots < count)
		return GITSTORE_ENOMEM;
	struct gitstore_hash hs;
	gitstore_hash_init(&hs, algo);
	gitstore_hash_update(&hs, pack, (size_t)(len - h));
	gitstore_hash_final(&hs, pack_checksum);
	if (memcmp(pack_checksum->b, pack + len - h, h) != 0)
		return GITSTORE_EPACK_CHECKSUM;

	/* Pass 1: every entry in pack order. */
	uint64_t off = 12, end = len - h;
	uint32_t pending = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct gitstore_pack_entry e;
		struct gitstore_index_slot *s = &slots[i];
		if (off >= end)
			return GITSTORE_EPACK_COUNT;
		if ((rc = gitstore_pack_entry(&p, off, &e)) < 0)
			return rc;
		s->offset = off;
		s->type = (uint8_t)e.type;
		s->order = 0;
		memset(s->id.b, 0, sizeof s->id.b);
		uint64_t next;
		if (e.type <= GITSTORE_TAG) {
			uint8_t hdr[GITSTORE_OBJ_HEADER_MAX];
			int hl = gitstore_obj_header(e.type, e.size, hdr, sizeof hdr);
			gitstore_hash_init(&hs, algo);
			gitstore_hash_update(&hs, hdr, (size_t)hl);
			if ((rc = gitstore_int_entry_extent(&p, &e, hash_sink, &hs, &next)) < 0)
				return rc;
			gitstore_hash_final(&hs, &s->id);
			s->state = RESOLVED;
		} else {
			if ((rc = gitstore_int_entry_extent(&p, &e, NULL, NULL, &next)) < 0)
				return rc;
			s->state = UNRESOLVED;
			pending++;
		}
		s->crc = (uint32_t)crc32(0, pack + off, (uInt)(next - off));
		off = next;
	}
	if (off != end)
		return GITSTORE_EPACK_COUNT;

	/*
	 * Pass 2: resolve deltas, in rounds. OFS_DELTA chains resolve in the
	 * first; a REF_DELTA whose base is itself a delta may need another round,
	 * once that base's id is known. A round without progress means bases
	 * outside the pack (a thin pack) or a cycle among REF_DELTAs.
	 */
	struct ix x = { slots, 0 };
	p.priv.find = ix_find;
	p.priv.find_ctx = &x;
	gitstore_pack_set_cache(&p, cache);
	while (pending) {
		x.nres = 0;
		for (uint32_t i = 0; i < count; i++)
			if (slots[i].state == RESOLVED)
				slots[x.nres++].order = i;
		sort_order(slots, x.nres);
		uint32_t before = pending;
		for (uint32_t i = 0; i < count; i++) {
			struct gitstore_index_slot *s = &slots[i];
			int type;
			if (s->state == RESOLVED)
				continue;
			rc = gitstore_pack_read(&p, s->offset, b, &type);
			if (rc == GITSTORE_EPACK_BASE)
				continue;
			if (rc < 0)
				return rc;
			gitstore_obj_hash(algo, type, b->out, (size_t)rc, &s->id);
			s->state = RESOLVED;
			pending--;
		}
		if (pending == before)
			return GITSTORE_EPACK_BASE;
	}
	size_t need;
	rc = gitstore_idx_write(algo, slots, count, pack_checksum, idx, idx_cap, &need);
	return rc;
}
