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

/*
 * Bytes of the pack at off: *ptr and *n contiguous bytes, at most want, 0 at
 * the end. A mapped pack gives them in place; otherwise the window is
 * refilled through the storage ops when it does not hold them (with
 * partial, any bytes it holds from off will do).
 */
static int pack_span(struct gitstore_pack *p, uint64_t off, size_t want, bool partial,
	const uint8_t **ptr, size_t *n)
{
	*n = 0;
	if (off >= p->len)
		return 0;
	if (want > p->len - off)
		want = (size_t)(p->len - off);
	if (p->data) {
		*ptr = p->data + off;
		*n = want;
		return 0;
	}
	uint64_t wo = p->priv.win_off;
	size_t wl = p->priv.win_len;
	bool inside = off >= wo && off < wo + wl;
	if (!inside || (!partial && wo + wl - off < want)) {
		size_t cap = p->priv.win_cap;
		if (cap > p->len - off)
			cap = (size_t)(p->len - off);
		size_t fill = 0;
		while (fill < cap) {
			int r = p->priv.ops->read(p->priv.ctx, p->priv.name, off + fill, p->priv.win + fill, cap - fill);
			if (r < 0)
				return r == GITSTORE_ENOENT ? r : GITSTORE_EIO;
			if (r == 0)
				return GITSTORE_ETRUNCATED;
			fill += (size_t)r;
		}
		p->priv.win_off = wo = off;
		p->priv.win_len = wl = fill;
	}
	size_t avail = (size_t)(wo + wl - off);
	*ptr = p->priv.win + (off - wo);
	*n = avail < want ? avail : want;
	return 0;
}

static int open_common(struct gitstore_pack *p, int algo, const struct gitstore_idx *idx,
	const struct gitstore_limits *limits, struct gitstore_arena *arena)
{
	size_t h = gitstore_hash_len(algo);
	const uint8_t *d, *t;
	size_t n;
	int rc;
	if (p->len < 4)
		return GITSTORE_ETRUNCATED;
	if ((rc = pack_span(p, 0, 12, false, &d, &n)) < 0)
		return rc;
	if (memcmp(d, "PACK", 4) != 0)
		return GITSTORE_EPACK_SIGNATURE;
	if (p->len < 12 + h)
		return GITSTORE_ETRUNCATED;
	uint32_t v = gitstore_int_be32(d + 4);
	if (v != 2 && v != 3)
		return GITSTORE_EPACK_VERSION;
	p->algo = algo;
	p->version = v;
	p->count = gitstore_int_be32(d + 8);
	p->idx = idx;
	memset(&p->limits, 0, sizeof p->limits);
	if (limits)
		p->limits = *limits;
	gitstore_limits_default(&p->limits);
	p->arena = arena;
	p->cache = NULL;
	p->priv.ends = NULL;
	p->priv.nends = 0;
	p->priv.find = idx ? idx_find : NULL;
	p->priv.find_ctx = (void *)(uintptr_t)idx;
	if ((rc = pack_span(p, p->len - h, h, false, &t, &n)) < 0)
		return rc;
	/* the trailer names the pack's content: the key of its cached objects */
	memcpy(&p->priv.key, t, 8);
	if (idx) {
		if (idx->algo != algo)
			return GITSTORE_EINVAL;
		if (idx->count != p->count)
			return GITSTORE_EPACK_COUNT;
		struct gitstore_oid sum;
		gitstore_idx_pack_checksum(idx, &sum);
		if (memcmp(sum.b, t, h) != 0)
			return GITSTORE_EIDX_PACK;
	}
	return 0;
}

int gitstore_pack_open(struct gitstore_pack *p, int algo, const uint8_t *data, uint64_t len,
	const struct gitstore_idx *idx, const struct gitstore_limits *limits, struct gitstore_arena *arena)
{
	if (gitstore_hash_len(algo) == 0 || !arena || !data)
		return GITSTORE_EINVAL;
	p->data = data;
	p->len = len;
	p->priv.ops = NULL;
	p->priv.ctx = NULL;
	p->priv.name = NULL;
	p->priv.win = NULL;
	p->priv.win_cap = 0;
	p->priv.win_off = 0;
	p->priv.win_len = 0;
	return open_common(p, algo, idx, limits, arena);
}

int gitstore_pack_open_ops(struct gitstore_pack *p, int algo, const struct gitstore_storage_ops *ops, void *ctx,
	const char *name, const struct gitstore_idx *idx, const struct gitstore_limits *limits,
	struct gitstore_arena *arena, uint8_t *window, size_t window_cap)
{
	uint64_t size;
	if (gitstore_hash_len(algo) == 0 || !arena || !ops || !window || window_cap < GITSTORE_PACK_WINDOW_MIN)
		return GITSTORE_EINVAL;
	int rc = ops->size(ctx, name, &size);
	if (rc < 0)
		return rc == GITSTORE_ENOENT ? rc : GITSTORE_EIO;
	p->data = NULL;
	p->len = size;
	p->priv.ops = ops;
	p->priv.ctx = ctx;
	p->priv.name = name;
	p->priv.win = window;
	p->priv.win_cap = window_cap;
	p->priv.win_off = 0;
	p->priv.win_len = 0;
	return open_common(p, algo, idx, limits, arena);
}

int gitstore_pack_entry(struct gitstore_pack *p, uint64_t off, struct gitstore_pack_entry *e)
{
	size_t h = gitstore_hash_len(p->algo);
	uint64_t end = p->len - h;
	const uint8_t *d;
	size_t lim;
	int rc;
	if (off < 12 || off >= end)
		return GITSTORE_EPACK_OFFSET;
	/* 64 bytes hold any header git writes: 10 of size, 10 of offset or an id */
	if ((rc = pack_span(p, off, GITSTORE_PACK_WINDOW_MIN, false, &d, &lim)) < 0)
		return rc;
	if (lim > end - off)
		lim = (size_t)(end - off);
	/* past the span: the pack's data ends there, or the header is too long */
	int past = off + lim >= end ? GITSTORE_ETRUNCATED : GITSTORE_EPACK_ENTRY;
	size_t i = 0;
	uint8_t c = d[i++];
	int type = (c >> 4) & 7;
	uint64_t size = c & 15;
	unsigned shift = 4;
	while (c & 0x80) {
		if (i >= lim)
			return past;
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
		if (i >= lim)
			return past;
		c = d[i++];
		uint64_t rel = c & 127;
		while (c & 128) {
			if (i >= lim)
				return past;
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
		if (lim - i < h)
			return past;
		memcpy(e->base_id.b, d + i, h);
		i += h;
	}
	if (i >= lim)
		return GITSTORE_ETRUNCATED;
	e->header_len = i;
	return 0;
}

/*
 * Inflate the zlib stream at start: exactly want bytes, into out (then the
 * stream's end, checked with one spare byte), or in chunks to sink when out
 * is NULL. *end gets the offset after the stream. Input comes span by span,
 * so a pack read through the storage ops needs only its window.
 */
static int pack_inflate(struct gitstore_pack *p, uint64_t start, uint64_t want, uint8_t *out,
	void (*sink)(void *ctx, const uint8_t *d, size_t n), void *ctx, uint64_t *end)
{
	size_t h = gitstore_hash_len(p->algo);
	uint64_t stop = p->len - h, pos = start;
	z_stream *zs = gitstore_int_inflate_begin(p->arena);
	if (!zs)
		return GITSTORE_ENOMEM;
	uint8_t *chunk = NULL, extra;
	size_t cap = 0;
	bool spare = false;
	if (!out) {
		size_t left = p->arena->cap - p->arena->used;
		cap = left > 8192 + 16 ? 8192 : left > 272 ? left - 16 : 0;
		chunk = cap ? gitstore_int_alloc(p->arena, cap) : NULL;
		if (!chunk)
			return GITSTORE_ENOMEM;
	} else {
		zs->next_out = want ? out : &extra;
		zs->avail_out = want ? (uInt)want : 1;
		spare = want == 0;
	}
	for (;;) {
		if (zs->avail_in == 0) {
			const uint8_t *ip;
			size_t n;
			int rc = pack_span(p, pos, pos < stop ? (size_t)(stop - pos > UINT32_MAX ? UINT32_MAX : stop - pos) : 0,
				true, &ip, &n);
			if (rc < 0)
				return rc;
			/* a stream that runs into the trailer: a truncated entry */
			if (n == 0)
				return GITSTORE_EPACK_ENTRY;
			zs->next_in = (Bytef *)(uintptr_t)ip;
			zs->avail_in = (uInt)n;
			pos += n;
		}
		if (!out) {
			zs->next_out = chunk;
			zs->avail_out = (uInt)cap;
		}
		/* Z_FINISH into a whole-object buffer: zlib then inflates in one
		 * pass without copying the output into its 32 KiB window, as git's
		 * unpack_compressed_entry does. */
		int zr = inflate(zs, out ? Z_FINISH : Z_NO_FLUSH);
		if (!out) {
			size_t k = cap - zs->avail_out;
			if (zs->total_out > want)
				return GITSTORE_EOBJ_SIZE;
			if (k && sink)
				sink(ctx, chunk, k);
		}
		if (!gitstore_int_ratio_ok(&p->limits, zs->total_in, zs->total_out))
			return GITSTORE_EZLIB_RATIO;
		if (zr == Z_STREAM_END) {
			if (zs->total_out != want)
				return GITSTORE_EOBJ_SIZE;
			*end = start + zs->total_in;
			return 0;
		}
		if (zr == Z_MEM_ERROR)
			return GITSTORE_ENOMEM;
		if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_STREAM_ERROR)
			return GITSTORE_EZLIB;
		if (out && zs->avail_out == 0) {
			if (spare)
				return GITSTORE_EOBJ_SIZE;   /* more than the header said */
			zs->next_out = &extra;
			zs->avail_out = 1;
			spare = true;
			continue;
		}
		if (zr == Z_BUF_ERROR && zs->avail_in != 0)
			return GITSTORE_EZLIB;
	}
}

/* Inflate an entry's data (exactly e->size bytes) into out; *used: its zlib stream's length. */
int gitstore_int_pack_inflate(struct gitstore_pack *p, const struct gitstore_pack_entry *e, uint8_t *out, size_t *used)
{
	uint64_t start = e->offset + e->header_len, end;
	int rc = pack_inflate(p, start, e->size, out, NULL, NULL, &end);
	if (rc == 0 && used)
		*used = (size_t)(end - start);
	return rc;
}

size_t gitstore_pack_entry_header(uint8_t *out, int type, uint64_t size, uint64_t base_distance)
{
	/* type in bits 4-6 of the first byte, the size in 4 then 7-bit groups, low first */
	size_t n = 0;
	uint8_t c = (uint8_t)((type & 7) << 4 | (size & 15));
	size >>= 4;
	while (size) {
		out[n++] = c | 0x80;
		c = size & 0x7f;
		size >>= 7;
	}
	out[n++] = c;
	if (type == GITSTORE_OFS_DELTA) {
		/* packfile.c's offset encoding: base-128, most significant group
		 * first, each continuation adding one */
		uint8_t t[10];
		size_t k = sizeof t;
		t[--k] = base_distance & 127;
		while (base_distance >>= 7)
			t[--k] = (uint8_t)(128 | (--base_distance & 127));
		memcpy(out + n, t + k, sizeof t - k);
		n += sizeof t - k;
	}
	return n;
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
		slots[i].pack = 0;
		slots[i].start = 0;
		slots[i].offset = UINT64_MAX;
		slots[i].len = 0;
	}
}

void gitstore_pack_set_cache(struct gitstore_pack *p, struct gitstore_pack_cache *c)
{
	p->cache = c && c->nslots && c->ring_cap ? c : NULL;
}

static struct gitstore_cache_slot *cache_slot(const struct gitstore_pack_cache *c, uint64_t pack, uint64_t off)
{
	uint64_t h = (off ^ pack) * 0x9e3779b97f4a7c15ull;
	return &c->slots[(h >> 32) % c->nslots];
}

/* The cached object at off, if the ring still holds it. */
static const uint8_t *cache_get(const struct gitstore_pack *p, uint64_t off, size_t *len, int *type)
{
	struct gitstore_pack_cache *c = p->cache;
	if (!c)
		return NULL;
	const struct gitstore_cache_slot *s = cache_slot(c, p->priv.key, off);
	if (s->pack != p->priv.key || s->offset != off || s->start + c->ring_cap < c->priv.written)
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
	struct gitstore_cache_slot *s = cache_slot(c, p->priv.key, off);
	s->pack = p->priv.key;
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
		/* Bases only, as git's delta_base_cache: the object asked for is
		 * rarely asked again, and keeping it would push out the bases
		 * that other chains share. */
		if (k > 1)
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

static void sift_u64(uint64_t *v, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[root] >= v[c])
			return;
		uint64_t t = v[root];
		v[root] = v[c];
		v[c] = t;
		root = c;
	}
}

int gitstore_pack_set_ends(struct gitstore_pack *p, uint64_t *ends, size_t cap)
{
	if (!p->idx || (!ends && p->count))
		return GITSTORE_EINVAL;
	if (cap < p->count)
		return GITSTORE_ENOMEM;
	size_t n = p->count;
	for (size_t i = 0; i < n; i++) {
		int rc = gitstore_idx_entry(p->idx, (uint32_t)i, NULL, &ends[i], NULL);
		if (rc < 0)
			return rc;
	}
	/* heapsort: no recursion, no extra memory, n log n on any input */
	for (size_t i = n / 2; i-- > 0;)
		sift_u64(ends, i, n);
	for (size_t k = n; k-- > 1;) {
		uint64_t t = ends[0];
		ends[0] = ends[k];
		ends[k] = t;
		sift_u64(ends, 0, k);
	}
	uint64_t stop = p->len - gitstore_hash_len(p->algo);
	for (size_t i = 0; i < n; i++)
		if (ends[i] < 12 || ends[i] >= stop || (i && ends[i] == ends[i - 1]))
			return GITSTORE_EPACK_OFFSET;
	p->priv.ends = ends;
	p->priv.nends = (uint32_t)n;
	return 0;
}

/* The offset after the entry at off by the sorted offsets: 0 when off is not an entry's. */
static uint64_t end_of(const struct gitstore_pack *p, uint64_t off)
{
	size_t lo = 0, hi = p->priv.nends;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->priv.ends[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == p->priv.nends || p->priv.ends[lo] != off)
		return 0;
	return lo + 1 < p->priv.nends ? p->priv.ends[lo + 1] : p->len - gitstore_hash_len(p->algo);
}

int gitstore_int_entry_extent(struct gitstore_pack *p, const struct gitstore_pack_entry *e,
	void (*sink)(void *ctx, const uint8_t *d, size_t n), void *ctx, uint64_t *end)
{
	if (e->size > p->limits.max_object)
		return GITSTORE_ETOOBIG;
	if (!sink && p->priv.ends) {
		/* Entries are contiguous (index-pack checks it): the next one's start is
		 * this one's end. Its bytes are unchecked here; the caller compares their
		 * CRC32 with the idx's before using them, as git does when it reuses them. */
		uint64_t next = end_of(p, e->offset);
		if (next == 0 || next <= e->offset + e->header_len)
			return GITSTORE_EPACK_OFFSET;
		*end = next;
		return 0;
	}
	return pack_inflate(p, e->offset + e->header_len, e->size, NULL, sink, ctx, end);
}

/* Hash or CRC the pack's bytes [from, to) span by span. */
/* Hash and/or CRC the pack's bytes [from, to), span by span. */
/* Copy n bytes of the pack at off into out. */
int gitstore_int_pack_copy(struct gitstore_pack *p, uint64_t off, uint8_t *out, size_t n)
{
	while (n) {
		const uint8_t *d;
		size_t k;
		int rc = pack_span(p, off, n, true, &d, &k);
		if (rc < 0)
			return rc;
		if (k == 0)
			return GITSTORE_ETRUNCATED;
		memcpy(out, d, k);
		out += k;
		off += k;
		n -= k;
	}
	return 0;
}

int gitstore_int_pack_bytes(struct gitstore_pack *p, uint64_t from, uint64_t to, struct gitstore_hash *hs, uint32_t *crc,
	unsigned cpu)
{
	while (from < to) {
		const uint8_t *d;
		size_t n;
		uint64_t want = to - from;
		int rc = pack_span(p, from, want > (1u << 30) ? (1u << 30) : (size_t)want, true, &d, &n);
		if (rc < 0)
			return rc;
		if (n == 0)
			return GITSTORE_ETRUNCATED;
		if (hs)
			gitstore_hash_update(hs, d, n);
		if (crc)
			*crc = gitstore_int_crc32(*crc, d, n, &cpu);
		from += n;
	}
	return 0;
}

int gitstore_pack_verify(struct gitstore_pack *p, struct gitstore_pack_buf *b, uint32_t *bad_pos)
{
	size_t h = gitstore_hash_len(p->algo);
	struct gitstore_hash hs;
	struct gitstore_oid sum, id, got;
	const uint8_t *t;
	size_t n;
	int rc;
	gitstore_hash_init(&hs, p->algo);
	unsigned cpu = gitstore_int_cpu();
	gitstore_int_hash_use_cpu(&hs, cpu);
	if ((rc = gitstore_int_pack_bytes(p, 0, p->len - h, &hs, NULL, cpu)) < 0)
		return rc;
	gitstore_hash_final(&hs, &sum);
	if ((rc = pack_span(p, p->len - h, h, false, &t, &n)) < 0)
		return rc;
	if (memcmp(sum.b, t, h) != 0)
		return GITSTORE_EPACK_CHECKSUM;
	if (!p->idx)
		return GITSTORE_EINVAL;
	for (uint32_t i = 0; i < p->idx->count; i++) {
		uint64_t off, end;
		uint32_t crc;
		struct gitstore_pack_entry e;
		int type;
		if (bad_pos)
			*bad_pos = i;
		if ((rc = gitstore_idx_entry(p->idx, i, &id, &off, &crc)) < 0)
			return rc;
		if ((rc = gitstore_pack_entry(p, off, &e)) < 0)
			return rc;
		if ((rc = gitstore_int_entry_extent(p, &e, NULL, NULL, &end)) < 0)
			return rc;
		uint32_t got_crc = 0;
		if ((rc = gitstore_int_pack_bytes(p, off, end, NULL, &got_crc, cpu)) < 0)
			return rc;
		if (got_crc != crc)
			return GITSTORE_EPACK_CRC;
		if ((rc = gitstore_pack_read(p, off, b, &type)) < 0)
			return rc;
		gitstore_int_obj_hash(p->algo, type, b->out, (size_t)rc, &got, cpu);
		if (gitstore_oid_cmp(&got, &id) != 0)
			return GITSTORE_EOBJ_ID;
	}
	return 0;
}
