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

/*
 * Pass 2's order, as git's index-pack resolves deltas: each object, once
 * known, has its deltas (its "children") applied while its content is at
 * hand, depth first, so each delta is inflated once and no chain is walked
 * again. The children of an object are found by binary search in the
 * deltas sorted by their base: OFS_DELTAs by base offset, then REF_DELTAs
 * by base id; the keys are read back from the entry headers, so sorting
 * needs no memory beyond the slots' `order` permutation.
 */
struct dkey {
	int ref;                   /* 0: OFS_DELTA, 1: REF_DELTA */
	uint64_t off;
	struct gitstore_oid id;
};

static void delta_key(struct gitstore_pack *p, const struct gitstore_index_slot *s, struct dkey *k)
{
	struct gitstore_pack_entry e;
	memset(k, 0, sizeof *k);
	if (gitstore_pack_entry(p, s->offset, &e) < 0)
		return;
	k->ref = e.type == GITSTORE_REF_DELTA;
	k->off = e.base_offset;
	k->id = e.base_id;
}

static int dkey_cmp(const struct dkey *a, const struct dkey *b)
{
	if (a->ref != b->ref)
		return a->ref - b->ref;
	if (!a->ref)
		return a->off < b->off ? -1 : a->off > b->off;
	return gitstore_oid_cmp(&a->id, &b->id);
}

static int slot_dcmp(struct gitstore_pack *p, const struct gitstore_index_slot *s, uint32_t a, uint32_t b)
{
	struct dkey ka, kb;
	delta_key(p, &s[a], &ka);
	delta_key(p, &s[b], &kb);
	return dkey_cmp(&ka, &kb);
}

static void sift_delta(struct gitstore_pack *p, struct gitstore_index_slot *s, uint32_t r, uint32_t m)
{
	for (;;) {
		uint32_t c = 2 * r + 1;
		if (c >= m)
			return;
		if (c + 1 < m && slot_dcmp(p, s, s[c].order, s[c + 1].order) < 0)
			c++;
		if (slot_dcmp(p, s, s[r].order, s[c].order) >= 0)
			return;
		uint32_t t = s[r].order;
		s[r].order = s[c].order;
		s[c].order = t;
		r = c;
	}
}

/* The first of the nd sorted deltas whose key is not below k. */
static uint32_t delta_lower(struct gitstore_pack *p, const struct gitstore_index_slot *s, uint32_t nd, const struct dkey *k)
{
	uint32_t lo = 0, hi = nd;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct dkey km;
		delta_key(p, &s[s[mid].order], &km);
		if (dkey_cmp(&km, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One object on the path being resolved: its content on the data stack. */
struct frame {
	uint32_t slot;
	int type;
	size_t data, len;
	uint32_t next, end;        /* its OFS children: sorted positions [next, end) */
	uint32_t rnext, rend;      /* its REF children */
};

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* The children of slot i (content known, id known): frame ranges. */
static void children_of(struct gitstore_pack *p, const struct gitstore_index_slot *s, uint32_t nd, uint32_t i,
	struct frame *f)
{
	struct dkey k = { 0, s[i].offset, { { 0 } } };
	f->next = delta_lower(p, s, nd, &k);
	k.off++;
	f->end = delta_lower(p, s, nd, &k);
	struct dkey r = { 1, 0, s[i].id };
	f->rnext = delta_lower(p, s, nd, &r);
	struct dkey r2 = r;
	/* the next id up: the end of the run of equal base ids */
	uint32_t e = f->rnext;
	for (; e < nd; e++) {
		struct dkey km;
		delta_key(p, &s[s[e].order], &km);
		if (dkey_cmp(&km, &r2) != 0)
			break;
	}
	f->rend = e;
}

/*
 * Resolve every delta reachable from the whole object in slot i, depth
 * first, with frames and contents on b->scratch. A subtree that does not
 * fit is left unresolved for the rounds that follow. Returns the count
 * resolved, or an error.
 */
static int resolve_tree(struct gitstore_pack *p, int algo, struct gitstore_index_slot *s, uint32_t nd, uint32_t i,
	const struct gitstore_pack_entry *be, struct gitstore_pack_buf *b)
{
	size_t nframes = (size_t)p->limits.max_depth + 2;
	size_t fbytes = align16(nframes * sizeof(struct frame));
	if (b->scratch_cap < fbytes + align16((size_t)be->size) + 64)
		return 0;
	struct frame *fr = (struct frame *)(void *)b->scratch;
	uint8_t *data = b->scratch + fbytes;
	size_t dcap = b->scratch_cap - fbytes;
	size_t top = 0, depth = 0;
	int rc, done = 0;
	struct frame *f = &fr[0];
	f->slot = i;
	children_of(p, s, nd, i, f);
	if (f->next == f->end && f->rnext == f->rend)
		return 0;
	if ((rc = gitstore_int_pack_inflate(p, be, data, NULL)) < 0)
		return rc;
	f->type = be->type;
	f->data = 0;
	f->len = (size_t)be->size;
	top = align16(f->len);
	for (;;) {
		f = &fr[depth];
		uint32_t c;
		if (f->next < f->end)
			c = s[f->next++].order;
		else if (f->rnext < f->rend)
			c = s[f->rnext++].order;
		else {
			top = f->data;
			if (depth == 0)
				return done;
			depth--;
			continue;
		}
		if (s[c].state == RESOLVED)
			continue;
		struct gitstore_pack_entry e;
		if ((rc = gitstore_pack_entry(p, s[c].offset, &e)) < 0)
			return rc;
		if (e.size > p->limits.max_object)
			return GITSTORE_ETOOBIG;
		/* the delta at top, its result after it, then moved down to top */
		if (e.size > dcap - top)
			continue; /* left for the rounds */
		uint8_t *delta = data + top;
		if ((rc = gitstore_int_pack_inflate(p, &e, delta, NULL)) < 0)
			return rc;
		uint64_t bsz, rsz;
		if ((rc = gitstore_delta_sizes(delta, (size_t)e.size, &bsz, &rsz)) < 0)
			return rc;
		if (rsz > p->limits.max_object)
			return GITSTORE_ETOOBIG;
		size_t rat = align16(top + (size_t)e.size);
		if (rat > dcap || rsz > dcap - rat)
			continue;
		size_t need;
		rc = gitstore_delta_apply(data + f->data, f->len, delta, (size_t)e.size, data + rat, dcap - rat, &need);
		if (rc < 0)
			return rc;
		size_t rlen = (size_t)rc;
		gitstore_obj_hash(algo, f->type, data + rat, rlen, &s[c].id);
		s[c].state = RESOLVED;
		done++;
		struct frame child = { c, f->type, top, rlen, 0, 0, 0, 0 };
		children_of(p, s, nd, c, &child);
		if (child.next == child.end && child.rnext == child.rend)
			continue;
		if (depth + 1 >= nframes || depth + 1 > p->limits.max_depth)
			continue; /* the rounds will report the depth */
		memmove(data + top, data + rat, rlen);
		top = align16(top + rlen);
		fr[++depth] = child;
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
		/* An entry that fits in b->out is inflated whole in one zlib call
		 * (no copies into zlib's window, as git's unpack_entry_data does);
		 * larger ones stream through the arena in chunks. */
		bool whole = e.size <= b->out_cap && e.size <= p.limits.max_object;
		size_t used = 0;
		if (whole) {
			if ((rc = gitstore_int_pack_inflate(&p, &e, b->out, &used)) < 0)
				return rc;
			next = off + e.header_len + used;
		}
		if (e.type <= GITSTORE_TAG) {
			uint8_t hdr[GITSTORE_OBJ_HEADER_MAX];
			int hl = gitstore_obj_header(e.type, e.size, hdr, sizeof hdr);
			gitstore_hash_init(&hs, algo);
			gitstore_hash_update(&hs, hdr, (size_t)hl);
			if (whole)
				gitstore_hash_update(&hs, b->out, (size_t)e.size);
			else if ((rc = gitstore_int_entry_extent(&p, &e, hash_sink, &hs, &next)) < 0)
				return rc;
			gitstore_hash_final(&hs, &s->id);
			s->state = RESOLVED;
		} else {
			if (!whole && (rc = gitstore_int_entry_extent(&p, &e, NULL, NULL, &next)) < 0)
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
	if (pending) {
		uint32_t nd = 0;
		for (uint32_t i = 0; i < count; i++)
			if (slots[i].state == UNRESOLVED)
				slots[nd++].order = i;
		for (uint32_t k = nd / 2; k-- > 0;)
			sift_delta(&p, slots, k, nd);
		for (uint32_t e = nd; e > 1; e--) {
			uint32_t t = slots[0].order;
			slots[0].order = slots[e - 1].order;
			slots[e - 1].order = t;
			sift_delta(&p, slots, 0, e - 1);
		}
		for (uint32_t i = 0; i < count && pending; i++) {
			struct gitstore_pack_entry e;
			if (slots[i].type > GITSTORE_TAG)
				continue;
			if ((rc = gitstore_pack_entry(&p, slots[i].offset, &e)) < 0)
				return rc;
			if ((rc = resolve_tree(&p, algo, slots, nd, i, &e, b)) < 0)
				return rc;
			pending -= (uint32_t)rc;
		}
	}
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
