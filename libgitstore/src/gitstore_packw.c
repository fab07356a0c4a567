/* Writing a pack of whole (undeltified) objects, sans I/O. */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

size_t gitstore_pack_writer_bound(size_t len)
{
	/* 10 header bytes; zlib's compressBound plus its stream overhead. */
	return 10 + len + (len >> 12) + (len >> 14) + (len >> 25) + 13 + 16;
}

int gitstore_pack_writer_begin(struct gitstore_pack_writer *w, int algo, uint32_t count,
	struct gitstore_arena *arena, uint8_t *out, size_t cap)
{
	if (gitstore_hash_len(algo) == 0 || !arena)
		return GITSTORE_EINVAL;
	if (cap < 12)
		return GITSTORE_ENOMEM;
	w->algo = algo;
	w->count = count;
	w->written = 0;
	w->offset = 12;
	w->arena = arena;
	memcpy(out, "PACK", 4);
	gitstore_int_put_be32(out + 4, 2);
	gitstore_int_put_be32(out + 8, count);
	gitstore_hash_init(&w->hash, algo);
	gitstore_hash_update(&w->hash, out, 12);
	return 12;
}

int gitstore_pack_writer_object(struct gitstore_pack_writer *w, int type, const uint8_t *data, size_t len,
	uint8_t *out, size_t cap, struct gitstore_index_slot *slot)
{
	if (w->written >= w->count || !gitstore_type_name(type))
		return GITSTORE_EINVAL;
	if (len > UINT32_MAX / 2)
		return GITSTORE_ETOOBIG;
	if (cap < gitstore_pack_writer_bound(len))
		return GITSTORE_ENOMEM;
	size_t n = gitstore_pack_entry_header(out, type, len, 0);
	z_stream *zs = gitstore_int_deflate_begin(w->arena);
	if (!zs)
		return GITSTORE_ENOMEM;
	zs->next_in = (Bytef *)(uintptr_t)data;
	zs->avail_in = (uInt)len;
	zs->next_out = out + n;
	zs->avail_out = (uInt)(cap - n > UINT32_MAX ? UINT32_MAX : cap - n);
	if (deflate(zs, Z_FINISH) != Z_STREAM_END)
		return GITSTORE_EZLIB;
	n += zs->total_out;
	if (slot) {
		slot->offset = w->offset;
		slot->crc = (uint32_t)crc32(0, out, (uInt)n);
		gitstore_obj_hash(w->algo, type, data, len, &slot->id);
		slot->type = (uint8_t)type;
		slot->state = 1;
		slot->order = 0;
	}
	gitstore_hash_update(&w->hash, out, n);
	w->offset += n;
	w->written++;
	return (int)n;
}

int gitstore_pack_writer_finish(struct gitstore_pack_writer *w, uint8_t *out, size_t cap, struct gitstore_oid *checksum)
{
	size_t h = gitstore_hash_len(w->algo);
	if (w->written != w->count)
		return GITSTORE_EINVAL;
	if (cap < h)
		return GITSTORE_ENOMEM;
	gitstore_hash_final(&w->hash, checksum);
	memcpy(out, checksum->b, h);
	w->offset += h;
	return (int)h;
}

int gitstore_pack_writer_delta(struct gitstore_pack_writer *w, int type, const uint8_t *data, size_t len,
	uint64_t base_offset, const uint8_t *base, size_t base_len, uint32_t *index, size_t index_len,
	uint8_t *delta_buf, uint8_t *out, size_t cap, struct gitstore_index_slot *slot)
{
	if (w->written >= w->count || !gitstore_type_name(type) || base_offset < 12 || base_offset >= w->offset)
		return GITSTORE_EINVAL;
	if (cap < gitstore_pack_writer_bound(len))
		return GITSTORE_ENOMEM;
	/* Worth it only if it saves a quarter: otherwise the object goes whole. */
	size_t want = len - len / 4;
	int dl = want > 16 ? gitstore_delta_make(base, base_len, data, len, index, index_len, delta_buf, want) : -1;
	if (dl == GITSTORE_EINVAL)
		return dl;
	if (dl < 0)
		return gitstore_pack_writer_object(w, type, data, len, out, cap, slot);
	size_t n = gitstore_pack_entry_header(out, GITSTORE_OFS_DELTA, (uint64_t)dl, w->offset - base_offset);
	z_stream *zs = gitstore_int_deflate_begin(w->arena);
	if (!zs)
		return GITSTORE_ENOMEM;
	zs->next_in = delta_buf;
	zs->avail_in = (uInt)dl;
	zs->next_out = out + n;
	zs->avail_out = (uInt)(cap - n > UINT32_MAX ? UINT32_MAX : cap - n);
	if (deflate(zs, Z_FINISH) != Z_STREAM_END)
		return GITSTORE_EZLIB;
	n += zs->total_out;
	if (slot) {
		slot->offset = w->offset;
		slot->crc = (uint32_t)crc32(0, out, (uInt)n);
		gitstore_obj_hash(w->algo, type, data, len, &slot->id);
		slot->type = (uint8_t)type;
		slot->state = 1;
		slot->order = 0;
	}
	gitstore_hash_update(&w->hash, out, n);
	w->offset += n;
	w->written++;
	return (int)n;
}
