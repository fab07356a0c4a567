/* .idx version 2: parsed and looked up in place; written from slots. */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static const uint8_t idx_magic[4] = { 0xff, 't', 'O', 'c' };

uint32_t gitstore_int_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void gitstore_int_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t gitstore_idx_size(int algo, uint32_t count, uint32_t n64)
{
	size_t h = gitstore_hash_len(algo);
	return 8 + 256 * 4 + (size_t)count * (h + 8) + (size_t)n64 * 8 + 2 * h;
}

int gitstore_idx_parse(struct gitstore_idx *idx, int algo, const uint8_t *d, size_t len,
	uint64_t pack_len, unsigned flags)
{
	size_t h = gitstore_hash_len(algo);
	if (h == 0)
		return GITSTORE_EINVAL;
	if (len < 8 + 1024 + 2 * h || memcmp(d, idx_magic, 4) != 0 || gitstore_int_be32(d + 4) != 2)
		return GITSTORE_EIDX_SIGNATURE;
	uint32_t prev = 0;
	for (int i = 0; i < 256; i++) {
		uint32_t c = gitstore_int_be32(d + 8 + 4 * i);
		if (c < prev)
			return GITSTORE_EIDX_FANOUT;
		prev = c;
	}
	uint32_t n = prev;
	size_t min = gitstore_idx_size(algo, n, 0);
	if (min < 8 + 1024 || len < min || (len - min) % 8 != 0)
		return GITSTORE_EIDX_SIZE;
	size_t n64 = (len - min) / 8;
	/* git's check_packed_git_idx: at most one 64-bit offset per object. */
	if (n64 > n)
		return GITSTORE_EIDX_SIZE;
	idx->data = d;
	idx->len = len;
	idx->algo = algo;
	idx->count = n;
	idx->priv.ids = 8 + 1024;
	idx->priv.crcs = idx->priv.ids + (size_t)n * h;
	idx->priv.offs = idx->priv.crcs + (size_t)n * 4;
	idx->priv.offs64 = idx->priv.offs + (size_t)n * 4;
	idx->priv.n64 = (uint32_t)n64;
	if (!(flags & GITSTORE_IDX_VERIFY))
		return 0;
	struct gitstore_hash hs;
	struct gitstore_oid sum;
	gitstore_hash_init(&hs, algo);
	gitstore_hash_update(&hs, d, len - h);
	gitstore_hash_final(&hs, &sum);
	if (memcmp(sum.b, d + len - h, h) != 0)
		return GITSTORE_EIDX_CHECKSUM;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *id = d + idx->priv.ids + (size_t)i * h;
		/* git index-pack (without --strict) lets an object appear twice */
		if (i > 0 && memcmp(id - h, id, h) > 0)
			return GITSTORE_EIDX_ORDER;
		/* the fan-out must count this id under its first byte */
		if (gitstore_int_be32(d + 8 + 4 * id[0]) <= i || (id[0] > 0 && gitstore_int_be32(d + 8 + 4 * (id[0] - 1)) > i))
			return GITSTORE_EIDX_FANOUT;
		uint64_t off;
		if (gitstore_idx_entry(idx, i, NULL, &off, NULL) < 0)
			return GITSTORE_EIDX_OFFSET;
		if (pack_len && (off < 12 || off >= pack_len - (pack_len > h ? h : 0)))
			return GITSTORE_EIDX_OFFSET;
	}
	return 0;
}

int gitstore_idx_entry(const struct gitstore_idx *idx, uint32_t i, struct gitstore_oid *id,
	uint64_t *offset, uint32_t *crc)
{
	size_t h = gitstore_hash_len(idx->algo);
	if (i >= idx->count)
		return GITSTORE_EINVAL;
	if (id) {
		memset(id->b, 0, sizeof id->b);
		memcpy(id->b, idx->data + idx->priv.ids + (size_t)i * h, h);
	}
	if (crc)
		*crc = gitstore_int_be32(idx->data + idx->priv.crcs + (size_t)i * 4);
	if (offset) {
		uint32_t o = gitstore_int_be32(idx->data + idx->priv.offs + (size_t)i * 4);
		if (o & 0x80000000u) {
			uint32_t k = o & 0x7fffffffu;
			if (k >= idx->priv.n64)
				return GITSTORE_EIDX_OFFSET;
			const uint8_t *p = idx->data + idx->priv.offs64 + (size_t)k * 8;
			uint64_t v = (uint64_t)gitstore_int_be32(p) << 32 | gitstore_int_be32(p + 4);
			/* git writes small offsets here too (index-pack
			 * --idx-version=2,OFFSET) and reads them: only the sign bit is bad */
			if (v >> 63)
				return GITSTORE_EIDX_OFFSET;
			*offset = v;
		} else {
			*offset = o;
		}
	}
	return 0;
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
		(uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | p[7];
}

int gitstore_idx_find(const struct gitstore_idx *idx, const struct gitstore_oid *id, uint32_t *pos, uint64_t *offset)
{
	size_t h = gitstore_hash_len(idx->algo);
	const uint8_t *fan = idx->data + 8;
	uint32_t lo = id->b[0] ? gitstore_int_be32(fan + 4 * (id->b[0] - 1)) : 0;
	uint32_t hi = gitstore_int_be32(fan + 4 * id->b[0]);
	if (hi > idx->count)
		hi = idx->count;
	const uint8_t *ids = idx->data + idx->priv.ids;
	/* The fan-out fixed the first byte: bytes 1-8 as one big-endian word
	 * order most probes without a memcmp call. */
	uint64_t key = be64(id->b + 1);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const uint8_t *at = ids + (size_t)mid * h;
		uint64_t k = be64(at + 1);
		int c = k < key ? -1 : k > key ? 1 : memcmp(at, id->b, h);
		if (c == 0) {
			if (pos)
				*pos = mid;
			if (offset)
				return gitstore_idx_entry(idx, mid, NULL, offset, NULL);
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return GITSTORE_ENOENT;
}

void gitstore_idx_pack_checksum(const struct gitstore_idx *idx, struct gitstore_oid *out)
{
	size_t h = gitstore_hash_len(idx->algo);
	memset(out->b, 0, sizeof out->b);
	memcpy(out->b, idx->data + idx->len - 2 * h, h);
}

/* Heapsort of slots by id, no recursion and no memory. */
static void sift(struct gitstore_index_slot *s, size_t r, size_t n)
{
	for (;;) {
		size_t c = 2 * r + 1;
		if (c >= n)
			return;
		if (c + 1 < n && gitstore_oid_cmp(&s[c].id, &s[c + 1].id) < 0)
			c++;
		if (gitstore_oid_cmp(&s[r].id, &s[c].id) >= 0)
			return;
		struct gitstore_index_slot t = s[r];
		s[r] = s[c];
		s[c] = t;
		r = c;
	}
}

void gitstore_int_sort_slots(struct gitstore_index_slot *s, size_t n)
{
	for (size_t k = n / 2; k-- > 0;)
		sift(s, k, n);
	for (size_t end = n; end > 1; end--) {
		struct gitstore_index_slot t = s[0];
		s[0] = s[end - 1];
		s[end - 1] = t;
		sift(s, 0, end - 1);
	}
}

int gitstore_idx_write(int algo, struct gitstore_index_slot *s, uint32_t n,
	const struct gitstore_oid *pack_checksum, uint8_t *out, size_t cap, size_t *needed)
{
	size_t h = gitstore_hash_len(algo);
	if (h == 0)
		return GITSTORE_EINVAL;
	gitstore_int_sort_slots(s, n);
	uint32_t n64 = 0;
	for (uint32_t i = 0; i < n; i++)
		if (s[i].offset >= 0x80000000u)
			n64++;
	size_t total = gitstore_idx_size(algo, n, n64);
	if (needed)
		*needed = total;
	if (total > cap)
		return GITSTORE_ENOMEM;
	if (total > INT32_MAX)
		return GITSTORE_ETOOBIG;
	memcpy(out, idx_magic, 4);
	gitstore_int_put_be32(out + 4, 2);
	uint8_t *fan = out + 8, *ids = out + 8 + 1024, *crcs = ids + (size_t)n * h;
	uint8_t *offs = crcs + (size_t)n * 4, *offs64 = offs + (size_t)n * 4;
	uint32_t k = 0, j = 0;
	for (int b = 0; b < 256; b++) {
		while (k < n && s[k].id.b[0] == b)
			k++;
		gitstore_int_put_be32(fan + 4 * b, k);
	}
	for (uint32_t i = 0; i < n; i++) {
		memcpy(ids + (size_t)i * h, s[i].id.b, h);
		gitstore_int_put_be32(crcs + (size_t)i * 4, s[i].crc);
		if (s[i].offset >= 0x80000000u) {
			gitstore_int_put_be32(offs + (size_t)i * 4, 0x80000000u | j);
			gitstore_int_put_be32(offs64 + (size_t)j * 8, (uint32_t)(s[i].offset >> 32));
			gitstore_int_put_be32(offs64 + (size_t)j * 8 + 4, (uint32_t)s[i].offset);
			j++;
		} else {
			gitstore_int_put_be32(offs + (size_t)i * 4, (uint32_t)s[i].offset);
		}
	}
	uint8_t *tail = offs64 + (size_t)n64 * 8;
	memcpy(tail, pack_checksum->b, h);
	struct gitstore_hash hs;
	struct gitstore_oid sum;
	gitstore_hash_init(&hs, algo);
	gitstore_hash_update(&hs, out, (size_t)(tail + h - out));
	gitstore_hash_final(&hs, &sum);
	memcpy(tail + h, sum.b, h);
	return (int)total;
}
