/*
 * Reading packs (git's packfile.c): entry headers, delta chains resolved
 * with caller-lent buffers, and verify-pack's checks.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static int idx_find(void *ctx, const struct gitstore_oid *id, uint64_t *offset)
{
	return gitstore_idx_find(ctx, id, NULL, offset);
}

int gitstore_pack_open(struct gitstore_pack *p, int algo, const uint8_t *data, uint64_t len,
	const struct gitstore_idx *idx, const struct gitstore_limits *limits, struct gitstore_arena *arena)
{
	size_t h = gitstore_hash_len(algo);
	if (h == 0 || !arena)
		return GITSTORE_EINVAL;
	if (len < 4 || memcmp(data, "PACK", 4) != 0)
		return len < 4 ? GITSTORE_ETRUNCATED : GITSTORE_EPACK_SIGNATURE;
	if (len < 12 + h)
		return GITSTORE_ETRUNCATED;
	uint32_t v = gitstore_int_be32(data + 4);
	if (v != 2 && v != 3)
		return GITSTORE_EPACK_VERSION;
	p->data = data;
	p->len = len;
	p->algo = algo;
	p->version = v;
	p->count = gitstore_int_be32(data + 8);
	p->idx = idx;
	memset(&p->limits, 0, sizeof p->limits);
	if (limits)
		p->limits = *limits;
	gitstore_limits_default(&p->limits);
	p->arena = arena;
	p->cache = NULL;
	p->priv.find = idx ? idx_find : NULL;
	p->priv.find_ctx = (void *)(uintptr_t)idx;
	if (idx) {
		if (idx->algo != algo)
			return GITSTORE_EINVAL;
		if (idx->count != p->count)
			return GITSTORE_EPACK_COUNT;
		struct gitstore_oid sum;
		gitstore_idx_pack_checksum(idx, &sum);
		if (memcmp(sum.b, data + len - h, h) != 0)
			return GITSTORE_EIDX_PACK;
	}
	return 0;
}

int gitstore_pack_entry(const struct gitstore_pack *p, uint64_t off, struct gitstore_pack_entry *e)
{
	size_t h = gitstore_hash_len(p->algo);
	uint64_t end = p->len - h;
	if (off < 12 || off >= end)
		return GITSTORE_EPACK_OFFSET;
	const uint8_t *d = p->data;
	uint64_t i = off;
	uint8_t c = d[i++];
	int type = (c >> 4) & 7;
	uint64_t size = c & 15;
	unsigned shift = 4;
	while (c & 0x80) {
		if (i >= end)
			return GITSTORE_ETRUNCATED;
		if (shift > 63 - 7)
			return GITSTORE_EPACK_ENTRY;
		c = d[i++];
		size += (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	if (type == 0 || type == 5)
		return GITSTORE_EPACK_ENTRY;
	e->offset = off;
	e->type = type;
	e->size = size;
	e->base_offset = 0;
	memset(e->base_id.b, 0, sizeof e->base_id.b);
	if (type == GITSTORE_OFS_DELTA) {
		if (i >= end)
			return GITSTORE_ETRUNCATED;
		c = d[i++];
		uint64_t rel = c & 127;
		while (c & 128) {
			if (i >= end)
				return GITSTORE_ETRUNCATED;
			rel += 1;
			if (rel >> 56)
				return GITSTORE_EPACK_OFFSET;
			c = d[i++];
			rel = (rel << 7) + (c & 127);
		}
		/* packfile.c get_delta_base: the base lies strictly before, within the pack */
		if (rel == 0 || rel > off - 12)
			return GITSTORE_EPACK_OFFSET;
		e->base_offset = off - rel;
	} else if (type == GITSTORE_REF_DELTA) {
		if (end - i < h)
			return GITSTORE_ETRUNCATED;
		memcpy(e->base_id.b, d + i, h);
		i += h;
	}
	if (i >= end)
		return GITSTORE_ETRUNCATED;
	e->header_len = (size_t)(i - off);
	return 0;
}

/* Inflate an entry's data (exactly e->size bytes) into out; *used: its zlib stream's length. */
int gitstore_int_pack_inflate(struct gitstore_pack *p, const struct gitstore_pack_entry *e, uint8_t *out, size_t *used)
{
	size_t h = gitstore_hash_len(p->algo);
	uint64_t start = e->offset + e->header_len, end = p->len - h;
	size_t dummy;
	int rc = gitstore_int_inflate_mem(p->arena, &p->limits, p->data + start, (size_t)(end - start),
		out, (size_t)e->size, used ? used : &dummy);
	/* A stream that runs into the trailer is a truncated pack. */
	return rc == GITSTORE_ETRUNCATED ? GITSTORE_EPACK_ENTRY : rc;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static bool is_base(int type)
{
	return type >= GITSTORE_COMMIT && type <= GITSTORE_TAG;
}

void gitstore_pack_cache_init(struct gitstore_pack_cache *c, uint8_t *ring, size_t ring_cap,
	struct gitstore_cache_slot *slots, size_t nslots)
{
	c->ring = ring;
	c->ring_cap = ring ? ring_cap : 0;
	c->slots = slots;
	c->nslots = slots ? nslots : 0;
	c->priv.written = 0;
	for (size_t i = 0; i < c->nslots; i++) {
		slots[i].pack = NULL;
		slots[i].len = 0;
	}
}

void gitstore_pack_set_cache(struct gitstore_pack *p, struct gitstore_pack_cache *c)
{
	p->cache = c && c->nslots && c->ring_cap ? c : NULL;
}

static struct gitstore_cache_slot *cache_slot(const struct gitstore_pack_cache *c, const uint8_t *pack, uint64_t off)
{
	uint64_t h = (off ^ (uint64_t)(uintptr_t)pack) * 0x9e3779b97f4a7c15ull;
	return &c->slots[(h >> 32) % c->nslots];
}

/* The cached object at off, if the ring still holds it. */
static const uint8_t *cache_get(const struct gitstore_pack *p, uint64_t off, size_t *len, int *type)
{
	struct gitstore_pack_cache *c = p->cache;
	if (!c)
		return NULL;
	const struct gitstore_cache_slot *s = cache_slot(c, p->data, off);
	if (s->pack != p->data || s->offset != off || s->start + c->ring_cap < c->priv.written)
		return NULL;
	*len = s->len;
	*type = (int)s->type;
	return c->ring + s->start % c->ring_cap;
}

/* Keep a copy of an object; objects over a quarter of the ring are not kept. */
static void cache_put(struct gitstore_pack *p, uint64_t off, const uint8_t *d, size_t len, int type)
{
	struct gitstore_pack_cache *c = p->cache;
	if (!c || len > c->ring_cap / 4)
		return;
	/* An object never wraps: skip the ring's tail when it does not fit. */
	uint64_t at = c->priv.written;
	if (at % c->ring_cap + len > c->ring_cap)
		at += c->ring_cap - at % c->ring_cap;
	memcpy(c->ring + at % c->ring_cap, d, len);
	c->priv.written = at + len;
	struct gitstore_cache_slot *s = cache_slot(c, p->data, off);
	s->pack = p->data;
	s->offset = off;
	s->start = at;
	s->len = (uint32_t)len;
	s->type = (uint32_t)type;
}

int gitstore_pack_read(struct gitstore_pack *p, uint64_t off, struct gitstore_pack_buf *b, int *type)
{
	const uint8_t *cached = NULL;
	size_t cached_len = 0;
	int cached_type = 0;
	struct gitstore_pack_entry e;
	size_t levels = (size_t)p->limits.max_depth + 1, k = 0;
	size_t chain = 8 * levels;
	uint64_t max = p->limits.max_object < INT32_MAX ? p->limits.max_object : INT32_MAX;
	int rc;
	b->out_needed = 0;
	b->scratch_needed = 0;
	if (b->scratch_cap < chain) {
		b->scratch_needed = chain;
		return GITSTORE_ENOMEM;
	}
	/* Walk to the base (or to an object in the cache), remembering each entry's offset. */
	uint64_t cur = off;
	for (;;) {
		if ((rc = gitstore_pack_entry(p, cur, &e)) < 0)
			return rc;
		if (k == levels)
			return GITSTORE_EPACK_DEPTH;
		put64(b->scratch + 8 * k++, cur);
		if ((cached = cache_get(p, cur, &cached_len, &cached_type)) != NULL)
			break;
		if (is_base(e.type))
			break;
		uint64_t next;
		if (e.type == GITSTORE_OFS_DELTA) {
			next = e.base_offset;
		} else {
			if (!p->priv.find)
				return GITSTORE_EPACK_BASE;
			rc = p->priv.find(p->priv.find_ctx, &e.base_id, &next);
			if (rc == GITSTORE_ENOENT)
				return GITSTORE_EPACK_BASE;
			if (rc < 0)
				return rc;
		}
		/* OFS_DELTA bases only go backwards; a REF_DELTA can loop. */
		for (size_t j = 0; j < k; j++)
			if (get64(b->scratch + 8 * j) == next)
				return GITSTORE_EPACK_CYCLE;
		cur = next;
	}
	uint64_t base_size = cached ? cached_len : e.size;
	if (base_size > max)
		return GITSTORE_ETOOBIG;
	if (base_size > b->out_cap) {
		b->out_needed = (size_t)base_size;
		return GITSTORE_ENOMEM;
	}
	size_t deltas = k - 1;
	uint8_t *x = b->out, *y = NULL, *dbuf = NULL;
	size_t dcap = 0;
	if (deltas) {
		if (b->scratch_cap - chain < b->out_cap) {
			b->scratch_needed = chain + b->out_cap;
			return GITSTORE_ENOMEM;
		}
		y = b->scratch + chain;
		dbuf = y + b->out_cap;
		dcap = b->scratch_cap - chain - b->out_cap;
	}
	/* Ping-pong so that the last result lands in out. */
	uint8_t *cur_buf = deltas % 2 ? y : x;
	const uint8_t *base = cur_buf;
	size_t cur_len;
	if (cached) {
		/* the cached object is the base: applied from the cache, copied only when it is the answer */
		if (deltas == 0)
			memcpy(x, cached, cached_len);
		else
			base = cached;
		cur_len = cached_len;
		*type = cached_type;
	} else {
		if ((rc = gitstore_int_pack_inflate(p, &e, cur_buf, NULL)) < 0)
			return rc;
		cur_len = (size_t)e.size;
		*type = e.type;
		if (deltas)
			cache_put(p, get64(b->scratch + 8 * (k - 1)), cur_buf, cur_len, e.type);
	}
	while (k-- > 1) {
		if ((rc = gitstore_pack_entry(p, get64(b->scratch + 8 * (k - 1)), &e)) < 0)
			return rc;
		if (e.size > max)
			return GITSTORE_ETOOBIG;
		if (e.size > dcap) {
			b->scratch_needed = chain + b->out_cap + (size_t)e.size;
			return GITSTORE_ENOMEM;
		}
		if ((rc = gitstore_int_pack_inflate(p, &e, dbuf, NULL)) < 0)
			return rc;
		uint64_t bsz, rsz;
		if ((rc = gitstore_delta_sizes(dbuf, (size_t)e.size, &bsz, &rsz)) < 0)
			return rc;
		if (rsz > max)
			return GITSTORE_ETOOBIG;
		uint8_t *target = cur_buf == x ? y : x;
		size_t need = 0;
		rc = gitstore_delta_apply(base, cur_len, dbuf, (size_t)e.size, target, b->out_cap, &need);
		if (rc == GITSTORE_ENOMEM)
			b->out_needed = need;
		if (rc < 0)
			return rc;
		cur_buf = target;
		base = target;
		cur_len = (size_t)rc;
		cache_put(p, get64(b->scratch + 8 * (k - 1)), cur_buf, cur_len, *type);
	}
	return (int)cur_len;
}

int gitstore_pack_get(struct gitstore_pack *p, const struct gitstore_oid *id, struct gitstore_pack_buf *b, int *type)
{
	uint64_t off;
	if (!p->idx)
		return GITSTORE_ENOENT;
	int rc = gitstore_idx_find(p->idx, id, NULL, &off);
	if (rc < 0)
		return rc;
	return gitstore_pack_read(p, off, b, type);
}

/*
 * Inflate a stream of `want` bytes in chunks, handing each to sink; *used is
 * the compressed length. For hashing and measuring entries without holding them.
 */
int gitstore_int_inflate_stream(struct gitstore_arena *a, const struct gitstore_limits *l,
	const uint8_t *in, size_t in_len, uint64_t want,
	void (*sink)(void *ctx, const uint8_t *p, size_t n), void *ctx, size_t *used)
{
	z_stream *zs = gitstore_int_inflate_begin(a);
	if (!zs)
		return GITSTORE_ENOMEM;
	size_t left = a->cap - a->used;
	size_t cap = left > 8192 + 16 ? 8192 : left > 272 ? left - 16 : 0;
	uint8_t *chunk = cap ? gitstore_int_alloc(a, cap) : NULL;
	if (!chunk)
		return GITSTORE_ENOMEM;
	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
	for (;;) {
		zs->next_out = chunk;
		zs->avail_out = (uInt)cap;
		int zr = inflate(zs, Z_NO_FLUSH);
		size_t n = cap - zs->avail_out;
		if (zs->total_out > want)
			return GITSTORE_EOBJ_SIZE;
		if (n && sink)
			sink(ctx, chunk, n);
		if (!gitstore_int_ratio_ok(l, zs->total_in, zs->total_out))
			return GITSTORE_EZLIB_RATIO;
		if (zr == Z_STREAM_END) {
			if (zs->total_out != want)
				return GITSTORE_EOBJ_SIZE;
			*used = zs->total_in;
			return 0;
		}
		if (zr == Z_MEM_ERROR)
			return GITSTORE_ENOMEM;
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return GITSTORE_EZLIB;
		if (zs->avail_in == 0) {
			if ((size_t)zs->total_in >= in_len)
				return GITSTORE_ETRUNCATED;
			zs->avail_in = in_len - zs->total_in > UINT32_MAX ? UINT32_MAX : (uInt)(in_len - zs->total_in);
		} else if (zr == Z_BUF_ERROR && zs->avail_out != 0) {
			return GITSTORE_EZLIB;
		}
	}
}

int gitstore_int_entry_extent(struct gitstore_pack *p, const struct gitstore_pack_entry *e,
	void (*sink)(void *ctx, const uint8_t *d, size_t n), void *ctx, uint64_t *end)
{
	size_t h = gitstore_hash_len(p->algo), used;
	uint64_t start = e->offset + e->header_len, stop = p->len - h;
	if (e->size > p->limits.max_object)
		return GITSTORE_ETOOBIG;
	int rc = gitstore_int_inflate_stream(p->arena, &p->limits, p->data + start, (size_t)(stop - start),
		e->size, sink, ctx, &used);
	if (rc == GITSTORE_ETRUNCATED)
		return GITSTORE_EPACK_ENTRY;
	if (rc < 0)
		return rc;
	*end = start + used;
	return 0;
}

int gitstore_pack_verify(struct gitstore_pack *p, struct gitstore_pack_buf *b, uint32_t *bad_pos)
{
	size_t h = gitstore_hash_len(p->algo);
	struct gitstore_hash hs;
	struct gitstore_oid sum, id, got;
	gitstore_hash_init(&hs, p->algo);
	gitstore_hash_update(&hs, p->data, (size_t)(p->len - h));
	gitstore_hash_final(&hs, &sum);
	if (memcmp(sum.b, p->data + p->len - h, h) != 0)
		return GITSTORE_EPACK_CHECKSUM;
	if (!p->idx)
		return GITSTORE_EINVAL;
	for (uint32_t i = 0; i < p->idx->count; i++) {
		uint64_t off, end;
		uint32_t crc;
		struct gitstore_pack_entry e;
		int rc, type;
		if (bad_pos)
			*bad_pos = i;
		if ((rc = gitstore_idx_entry(p->idx, i, &id, &off, &crc)) < 0)
			return rc;
		if ((rc = gitstore_pack_entry(p, off, &e)) < 0)
			return rc;
		if ((rc = gitstore_int_entry_extent(p, &e, NULL, NULL, &end)) < 0)
			return rc;
		if ((uint32_t)crc32(0, p->data + off, (uInt)(end - off)) != crc)
			return GITSTORE_EPACK_CRC;
		if ((rc = gitstore_pack_read(p, off, b, &type)) < 0)
			return rc;
		gitstore_obj_hash(p->algo, type, b->out, (size_t)rc, &got);
		if (gitstore_oid_cmp(&got, &id) != 0)
			return GITSTORE_EOBJ_ID;
	}
	return 0;
}
