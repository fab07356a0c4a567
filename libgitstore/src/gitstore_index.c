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
 * again. The children of an object are found by binary search in a table
 * of the deltas sorted by their base (OFS_DELTAs by base offset, then
 * REF_DELTAs by the first 8 bytes of the base id, checked whole on a
 * match), kept at the start of b->scratch; the frames of the path and the
 * contents of its objects follow it. Whatever does not fit there is left
 * to the rounds of pack_read that follow.
 */
struct dent {
	uint64_t key;
	uint32_t slot;
	uint32_t ref;      /* 0: OFS_DELTA, 1: REF_DELTA */
};

static int dent_cmp(const struct dent *a, uint32_t ref, uint64_t key)
{
	if (a->ref != ref)
		return a->ref < ref ? -1 : 1;
	return a->key < key ? -1 : a->key > key;
}

static void sift_dent(struct dent *d, uint32_t r, uint32_t m)
{
	for (;;) {
		uint32_t c = 2 * r + 1;
		if (c >= m)
			return;
		if (c + 1 < m && dent_cmp(&d[c], d[c + 1].ref, d[c + 1].key) < 0)
			c++;
		if (dent_cmp(&d[r], d[c].ref, d[c].key) >= 0)
			return;
		struct dent t = d[r];
		d[r] = d[c];
		d[c] = t;
		r = c;
	}
}

/* The first of the nd sorted deltas whose key is not below (ref, key). */
static uint32_t dent_lower(const struct dent *d, uint32_t nd, uint32_t ref, uint64_t key)
{
	uint32_t lo = 0, hi = nd;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dent_cmp(&d[mid], ref, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t id_key(const struct gitstore_oid *id)
{
	uint64_t k = 0;
	for (int i = 0; i < 8; i++)
		k = k << 8 | id->b[i];
	return k;
}

/* One object on the path being resolved: its content on the data stack. */
struct frame {
	uint32_t slot;
	int type;
	size_t data, len;
	uint32_t next, end;        /* its children: OFS positions [next, end) */
	uint32_t rnext, rend;      /* then REF positions [rnext, rend) */
};

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

static void children_of(const struct dent *d, uint32_t nd, const struct gitstore_index_slot *s, struct frame *f)
{
	f->next = dent_lower(d, nd, 0, s->offset);
	f->end = dent_lower(d, nd, 0, s->offset + 1);
	uint64_t k = id_key(&s->id);
	f->rnext = dent_lower(d, nd, 1, k);
	f->rend = k == UINT64_MAX ? nd : dent_lower(d, nd, 1, k + 1);
}

static bool no_children(const struct frame *f)
{
	return f->next == f->end && f->rnext == f->rend;
}

struct dfs {
	struct gitstore_pack *p;
	int algo;
	struct gitstore_index_slot *s;
	struct dent *d;
	uint32_t nd;
	struct frame *fr;
	size_t nframes;
	uint8_t *data;
	size_t dcap;
	unsigned cpu;   /* gitstore_int_cpu's answer, asked once per pack */
};

/*
 * Resolve every delta reachable from the whole object in slot i (entry
 * be), depth first. Returns the count resolved, or an error.
 */
static int resolve_tree(struct dfs *t, uint32_t i, const struct gitstore_pack_entry *be)
{
	struct gitstore_pack *p = t->p;
	struct gitstore_index_slot *s = t->s;
	uint8_t *data = t->data;
	size_t top, depth = 0;
	int rc, done = 0;
	struct frame *f = &t->fr[0];
	f->slot = i;
	children_of(t->d, t->nd, &s[i], f);
	if (no_children(f) || be->size > t->dcap)
		return 0;
	if ((rc = gitstore_int_pack_inflate(p, be, data, NULL)) < 0)
		return rc;
	f->type = be->type;
	f->data = 0;
	f->len = (size_t)be->size;
	top = align16(f->len);
	for (;;) {
		f = &t->fr[depth];
		uint32_t c;
		bool ref = false;
		if (f->next < f->end) {
			c = t->d[f->next++].slot;
		} else if (f->rnext < f->rend) {
			c = t->d[f->rnext++].slot;
			ref = true;
		} else {
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
		/* a REF_DELTA matched on 8 bytes of its base's id: check them all */
		if (ref && gitstore_oid_cmp(&e.base_id, &s[f->slot].id) != 0)
			continue;
		if (e.size > p->limits.max_object)
			return GITSTORE_ETOOBIG;
		/* the delta at top, its result after it, then moved down to top */
		if (e.size > t->dcap - top)
			continue;
		uint8_t *delta = data + top;
		if ((rc = gitstore_int_pack_inflate(p, &e, delta, NULL)) < 0)
			return rc;
		uint64_t bsz, rsz;
		if ((rc = gitstore_delta_sizes(delta, (size_t)e.size, &bsz, &rsz)) < 0)
			return rc;
		if (rsz > p->limits.max_object)
			return GITSTORE_ETOOBIG;
		size_t rat = align16(top + (size_t)e.size);
		if (rat > t->dcap || rsz > t->dcap - rat)
			continue;
		size_t need;
		rc = gitstore_delta_apply(data + f->data, f->len, delta, (size_t)e.size, data + rat, t->dcap - rat, &need);
		if (rc < 0)
			return rc;
		size_t rlen = (size_t)rc;
		gitstore_int_obj_hash(t->algo, f->type, data + rat, rlen, &s[c].id, t->cpu);
		s[c].state = RESOLVED;
		done++;
		struct frame child = { c, f->type, top, rlen, 0, 0, 0, 0 };
		children_of(t->d, t->nd, &s[c], &child);
		/* too deep: the rounds resolve the rest and report the depth */
		if (no_children(&child) || depth + 1 >= t->nframes || depth + 1 > p->limits.max_depth)
			continue;
		memmove(data + top, data + rat, rlen);
		top = align16(top + rlen);
		t->fr[++depth] = child;
	}
}

/* Pass 2a: the depth-first resolution; returns how many it resolved. */
static int resolve_depth_first(struct gitstore_pack *p, int algo, struct gitstore_index_slot *slots, uint32_t count,
	uint32_t pending, struct gitstore_pack_buf *b, unsigned cpu)
{
	struct dfs t = { p, algo, slots, NULL, 0, NULL, 0, NULL, 0, cpu };
	size_t tbytes = align16((size_t)pending * sizeof(struct dent));
	t.nframes = (size_t)p->limits.max_depth + 2;
	size_t fbytes = align16(t.nframes * sizeof(struct frame));
	uint8_t *base = (uint8_t *)(((uintptr_t)b->scratch + 15) & ~(uintptr_t)15);
	size_t cap = b->scratch_cap - (size_t)(base - b->scratch);
	if (b->scratch_cap < 16 || cap < tbytes + fbytes + 4096)
		return 0;
	t.d = (struct dent *)(void *)base;
	t.fr = (struct frame *)(void *)(base + tbytes);
	t.data = base + tbytes + fbytes;
	t.dcap = cap - tbytes - fbytes;
	int rc, done = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct gitstore_pack_entry e;
		if (slots[i].state != UNRESOLVED)
			continue;
		if ((rc = gitstore_pack_entry(p, slots[i].offset, &e)) < 0)
			return rc;
		struct dent *d = &t.d[t.nd++];
		d->slot = i;
		d->ref = e.type == GITSTORE_REF_DELTA;
		d->key = d->ref ? id_key(&e.base_id) : e.base_offset;
	}
	for (uint32_t k = t.nd / 2; k-- > 0;)
		sift_dent(t.d, k, t.nd);
	for (uint32_t e = t.nd; e > 1; e--) {
		struct dent x = t.d[0];
		t.d[0] = t.d[e - 1];
		t.d[e - 1] = x;
		sift_dent(t.d, 0, e - 1);
	}
	for (uint32_t i = 0; i < count; i++) {
		struct gitstore_pack_entry e;
		if (slots[i].type > GITSTORE_TAG)
			continue;
		if ((rc = gitstore_pack_entry(p, slots[i].offset, &e)) < 0)
			return rc;
		if ((rc = resolve_tree(&t, i, &e)) < 0)
			return rc;
		done += rc;
	}
	return done;
}

static void hash_sink(void *ctx, const uint8_t *p, size_t n)
{
	gitstore_hash_update(ctx, p, n);
}

/* The work of both entry points, on a pack opened either way. */
static int index_pack(struct gitstore_pack *p_, int algo, struct gitstore_index_slot *slots, size_t nslots,
	struct gitstore_pack_buf *b, struct gitstore_pack_cache *cache,
	uint8_t *idx, size_t idx_cap, struct gitstore_oid *pack_checksum)
{
	struct gitstore_pack p = *p_;
	size_t h = gitstore_hash_len(algo);
	uint64_t len = p.len;
	uint32_t count = p.count;
	int rc;
	/* Entries take at least 2 bytes each: a count beyond that is a lie. */
	if (count > (len - 12 - h) / 2)
		return GITSTORE_EPACK_COUNT;
	if (nslots < count)
		return GITSTORE_ENOMEM;
	struct gitstore_hash hs;
	struct gitstore_oid trailer;
	memset(&trailer, 0, sizeof trailer);
	/* Asked once here: every object's hash context is told, where asking in
	 * each (CPUID under a hypervisor) would cost more than it saves. */
	unsigned cpu = gitstore_int_cpu();
	gitstore_hash_init(&hs, algo);
	gitstore_int_hash_use_cpu(&hs, cpu);
	if ((rc = gitstore_int_pack_bytes(&p, 0, len - h, &hs, NULL, cpu)) < 0 ||
		(rc = gitstore_int_pack_copy(&p, len - h, trailer.b, h)) < 0)
		return rc;
	gitstore_hash_final(&hs, pack_checksum);
	if (memcmp(pack_checksum->b, trailer.b, h) != 0)
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
			gitstore_int_hash_use_cpu(&hs, cpu);
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
		uint32_t crc = 0;
		if ((rc = gitstore_int_pack_bytes(&p, off, next, NULL, &crc, cpu)) < 0)
			return rc;
		s->crc = crc;
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
		if ((rc = resolve_depth_first(&p, algo, slots, count, pending, b, cpu)) < 0)
			return rc;
		pending -= (uint32_t)rc;
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
			gitstore_int_obj_hash(algo, type, b->out, (size_t)rc, &s->id, cpu);
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

int gitstore_pack_index(int algo, const uint8_t *pack, uint64_t len, const struct gitstore_limits *limits,
	struct gitstore_arena *arena, struct gitstore_index_slot *slots, size_t nslots,
	struct gitstore_pack_buf *b, struct gitstore_pack_cache *cache,
	uint8_t *idx, size_t idx_cap, struct gitstore_oid *pack_checksum)
{
	struct gitstore_pack p;
	uint32_t count;
	size_t idx_max;
	int rc = gitstore_pack_index_sizes(algo, pack, len, &count, &idx_max);
	if (rc < 0)
		return rc;
	if ((rc = gitstore_pack_open(&p, algo, pack, len, NULL, limits, arena)) < 0)
		return rc;
	return index_pack(&p, algo, slots, nslots, b, cache, idx, idx_cap, pack_checksum);
}

int gitstore_pack_index_ops(int algo, const struct gitstore_storage_ops *ops, void *ctx, const char *name,
	uint8_t *window, size_t window_cap, const struct gitstore_limits *limits,
	struct gitstore_arena *arena, struct gitstore_index_slot *slots, size_t nslots,
	struct gitstore_pack_buf *b, struct gitstore_pack_cache *cache,
	uint8_t *idx, size_t idx_cap, struct gitstore_oid *pack_checksum)
{
	struct gitstore_pack p;
	int rc = gitstore_pack_open_ops(&p, algo, ops, ctx, name, NULL, limits, arena, window, window_cap);
	if (rc < 0)
		return rc;
	return index_pack(&p, algo, slots, nslots, b, cache, idx, idx_cap, pack_checksum);
}
