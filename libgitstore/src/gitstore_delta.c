/* git deltas (patch-delta.c), every bound checked before a byte moves. */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static int varint(const uint8_t *d, size_t len, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	for (;;) {
		if (*i >= len || shift > 63)
			return GITSTORE_EDELTA_HEADER;
		uint8_t c = d[(*i)++];
		uint64_t bits = (uint64_t)(c & 0x7f);
		if (shift && (bits >> (64 - shift)))
			return GITSTORE_EDELTA_HEADER;
		v |= bits << shift;
		shift += 7;
		if (!(c & 0x80))
			break;
	}
	*out = v;
	return 0;
}

int gitstore_delta_sizes(const uint8_t *delta, size_t len, uint64_t *base_size, uint64_t *result_size)
{
	size_t i = 0;
	if (varint(delta, len, &i, base_size) < 0 || varint(delta, len, &i, result_size) < 0)
		return GITSTORE_EDELTA_HEADER;
	return (int)i;
}

int gitstore_delta_apply(const uint8_t *base, size_t base_len, const uint8_t *delta, size_t delta_len,
	uint8_t *out, size_t cap, size_t *needed)
{
	uint64_t bsz, rsz;
	int hl = gitstore_delta_sizes(delta, delta_len, &bsz, &rsz);
	if (hl < 0)
		return hl;
	if (bsz != base_len)
		return GITSTORE_EDELTA_BASE_SIZE;
	if (needed)
		*needed = rsz > SIZE_MAX ? SIZE_MAX : (size_t)rsz;
	if (rsz > INT32_MAX)
		return GITSTORE_ETOOBIG;
	if (rsz > cap)
		return GITSTORE_ENOMEM;
	size_t i = (size_t)hl, o = 0, want = (size_t)rsz;
	while (i < delta_len) {
		uint8_t cmd = delta[i++];
		if (cmd & 0x80) {
			uint64_t off = 0, sz = 0;
			for (int b = 0; b < 4; b++) {
				if (cmd & (1u << b)) {
					if (i >= delta_len)
						return GITSTORE_EDELTA_COPY;
					off |= (uint64_t)delta[i++] << (8 * b);
				}
			}
			for (int b = 0; b < 3; b++) {
				if (cmd & (0x10u << b)) {
					if (i >= delta_len)
						return GITSTORE_EDELTA_COPY;
					sz |= (uint64_t)delta[i++] << (8 * b);
				}
			}
			if (sz == 0)
				sz = 0x10000;
			if (off > base_len || sz > base_len - off)
				return GITSTORE_EDELTA_COPY;
			if (sz > want - o)
				return GITSTORE_EDELTA_RESULT;
			memcpy(out + o, base + off, (size_t)sz);
			o += (size_t)sz;
		} else if (cmd) {
			if (cmd > delta_len - i)
				return GITSTORE_EDELTA_INSERT;
			if (cmd > want - o)
				return GITSTORE_EDELTA_RESULT;
			memcpy(out + o, delta + i, cmd);
			o += cmd;
			i += cmd;
		} else {
			return GITSTORE_EDELTA_OPCODE;
		}
	}
	if (o != want)
		return GITSTORE_EDELTA_RESULT;
	return (int)o;
}

/* ---- making deltas ---- */

#define BLOCK 16

static uint32_t block_hash(const uint8_t *p)
{
	uint64_t a, b;
	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
	return (uint32_t)(h >> 32);
}

struct dout {
	uint8_t *p;
	size_t cap, len;
	bool full;
};

static void dput(struct dout *o, uint8_t c)
{
	if (o->len < o->cap)
		o->p[o->len++] = c;
	else
		o->full = true;
}

static void dvarint(struct dout *o, uint64_t v)
{
	while (v >= 0x80) {
		dput(o, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	dput(o, (uint8_t)v);
}

static void dinsert(struct dout *o, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k = n > 127 ? 127 : n;
		dput(o, (uint8_t)k);
		for (size_t i = 0; i < k; i++)
			dput(o, p[i]);
		p += k;
		n -= k;
	}
}

static void dcopy(struct dout *o, uint64_t off, size_t n)
{
	while (n) {
		/* a size of 0x10000 is written as no size bytes at all */
		size_t k = n > 0x10000 ? 0x10000 : n;
		uint8_t cmd = 0x80, ops[7];
		size_t no = 0;
		for (int b = 0; b < 4; b++)
			if ((off >> (8 * b)) & 0xff) {
				cmd |= (uint8_t)(1u << b);
				ops[no++] = (uint8_t)(off >> (8 * b));
			}
		if (k != 0x10000)
			for (int b = 0; b < 2; b++)
				if ((k >> (8 * b)) & 0xff) {
					cmd |= (uint8_t)(0x10u << b);
					ops[no++] = (uint8_t)(k >> (8 * b));
				}
		dput(o, cmd);
		for (size_t i = 0; i < no; i++)
			dput(o, ops[i]);
		off += k;
		n -= k;
	}
}

int gitstore_delta_make(const uint8_t *base, size_t base_len, const uint8_t *target, size_t len,
	uint32_t *index, size_t index_len, uint8_t *out, size_t cap)
{
	if (!index_len || (index_len & (index_len - 1)) || base_len > UINT32_MAX - 1 || len > INT32_MAX)
		return GITSTORE_EINVAL;
	struct dout o = { out, cap, 0, false };
	size_t mask = index_len - 1;
	/* 0 marks an empty slot: positions are stored plus one */
	for (size_t i = 0; i < index_len; i++)
		index[i] = 0;
	for (size_t i = 0; i + BLOCK <= base_len; i += BLOCK)
		index[block_hash(base + i) & mask] = (uint32_t)i + 1;
	dvarint(&o, base_len);
	dvarint(&o, len);
	size_t i = 0, lit = 0;
	while (i + BLOCK <= len && !o.full) {
		uint32_t at = index[block_hash(target + i) & mask];
		if (at && memcmp(base + at - 1, target + i, BLOCK) == 0) {
			size_t bpos = at - 1, n = BLOCK;
			while (i + n < len && bpos + n < base_len && base[bpos + n] == target[i + n])
				n++;
			/* grow backwards into the pending literals */
			while (lit < i && bpos > 0 && base[bpos - 1] == target[i - 1]) {
				bpos--;
				i--;
				n++;
			}
			dinsert(&o, target + lit, i - lit);
			dcopy(&o, bpos, n);
			i += n;
			lit = i;
		} else {
			i++;
		}
	}
	dinsert(&o, target + lit, len - lit);
	if (o.full)
		return GITSTORE_ENOMEM;
	return (int)o.len;
}
