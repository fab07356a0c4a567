/* Building packs byte by byte for tests: any entry, any lie. */
#ifndef GT_PACK_H
#define GT_PACK_H

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>

struct gt_pack {
	uint8_t *d;
	size_t len, cap;
	uint64_t off[64];
	uint32_t n;
};

static inline void gt_pack_put(struct gt_pack *p, const void *s, size_t n)
{
	if (p->len + n > p->cap) {
		p->cap = (p->len + n) * 2 + 64;
		p->d = realloc(p->d, p->cap);
	}
	memcpy(p->d + p->len, s, n);
	p->len += n;
}

static inline void gt_pack_begin(struct gt_pack *p, uint32_t count)
{
	memset(p, 0, sizeof *p);
	uint8_t h[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2,
		(uint8_t)(count >> 24), (uint8_t)(count >> 16), (uint8_t)(count >> 8), (uint8_t)count };
	gt_pack_put(p, h, 12);
}

/* An entry: type, the size its header claims, an optional base (OFS: an
 * offset, REF: 20 bytes), and raw data deflated here. */
static inline uint64_t gt_pack_entry(struct gt_pack *p, int type, uint64_t claimed,
	uint64_t ofs_base, const uint8_t *ref_base, const void *raw, size_t raw_len)
{
	uint64_t at = p->len;
	p->off[p->n++] = at;
	uint8_t h[32];
	size_t n = 0;
	uint8_t c = (uint8_t)(type << 4 | (claimed & 15));
	claimed >>= 4;
	while (claimed) {
		h[n++] = c | 0x80;
		c = claimed & 0x7f;
		claimed >>= 7;
	}
	h[n++] = c;
	if (type == GITSTORE_OFS_DELTA) {
		uint64_t rel = at - ofs_base;
		uint8_t b[16];
		size_t k = sizeof b;
		b[--k] = rel & 127;
		while (rel >>= 7)
			b[--k] = 128 | (--rel & 127);
		memcpy(h + n, b + k, sizeof b - k);
		n += sizeof b - k;
	}
	if (type == GITSTORE_REF_DELTA) {
		memcpy(h + n, ref_base, 20);
		n += 20;
	}
	gt_pack_put(p, h, n);
	uLongf zl = compressBound(raw_len);
	uint8_t *z = malloc(zl);
	compress(z, &zl, raw, raw_len);
	gt_pack_put(p, z, zl);
	free(z);
	return at;
}

static inline void gt_pack_finish(struct gt_pack *p, struct gitstore_oid *sum)
{
	struct gitstore_hash h;
	gitstore_hash_init(&h, GITSTORE_SHA1);
	gitstore_hash_update(&h, p->d, p->len);
	gitstore_hash_final(&h, sum);
	gt_pack_put(p, sum->b, 20);
}

#endif
