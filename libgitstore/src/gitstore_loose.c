/*
 * Loose objects: objects/ab/cdef..., a zlib stream of "<type> <size>\0"
 * followed by the content (git's object-file.c), read in chunks through the
 * storage ops and written to a temporary file renamed into place.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

#define CHUNK 16384

void gitstore_loose_name(int algo, const struct gitstore_oid *id, char *out)
{
	char hex[GITSTORE_HEX_MAX];
	size_t n = gitstore_oid_to_hex(algo, id, hex);
	memcpy(out, "objects/", 8);
	out[8] = hex[0];
	out[9] = hex[1];
	out[10] = '/';
	memcpy(out + 11, hex + 2, n - 2);
	out[11 + n - 2] = 0;
}

struct src {
	struct gitstore_repo *r;
	const char *name;
	uint64_t off;
	uint8_t *buf;
	size_t cap;
	bool eof;
};

/* Give zlib more input when it has none; <0 on a storage error. */
static int refill(struct src *s, z_stream *zs)
{
	if (zs->avail_in || s->eof)
		return 0;
	int n = gitstore_int_read(s->r, s->name, s->off, s->buf, s->cap);
	if (n < 0)
		return n == GITSTORE_ENOENT ? n : GITSTORE_EIO;
	if (n == 0)
		s->eof = true;
	s->off += (uint64_t)n;
	zs->next_in = s->buf;
	zs->avail_in = (uInt)n;
	return 0;
}

/* One inflate step over the source; Z_OK, Z_STREAM_END or a GITSTORE error. */
static int step(struct src *s, z_stream *zs)
{
	int rc = refill(s, zs);
	if (rc < 0)
		return rc;
	int zr = inflate(zs, Z_NO_FLUSH);
	if (!gitstore_int_ratio_ok(&s->r->limits, zs->total_in, zs->total_out))
		return GITSTORE_EZLIB_RATIO;
	switch (zr) {
	case Z_OK:
		return Z_OK;
	case Z_STREAM_END:
		return Z_STREAM_END;
	case Z_BUF_ERROR:
		if (zs->avail_in == 0 && s->eof)
			return GITSTORE_ETRUNCATED;
		return Z_OK;
	case Z_MEM_ERROR:
		return GITSTORE_ENOMEM;
	default:
		return GITSTORE_EZLIB;
	}
}

static int loose_open(struct gitstore_repo *r, struct src *s, char *name, const struct gitstore_oid *id, z_stream **zsp)
{
	gitstore_loose_name(r->algo, id, name);
	z_stream *zs = gitstore_int_inflate_begin(&r->arena);
	if (!zs)
		return GITSTORE_ENOMEM;
	size_t left = r->arena.cap - r->arena.used;
	size_t cap = left > CHUNK + 16 ? CHUNK : left > 272 ? left - 16 : 0;
	s->buf = cap ? gitstore_int_alloc(&r->arena, cap) : NULL;
	if (!s->buf)
		return GITSTORE_ENOMEM;
	s->r = r;
	s->name = name;
	s->off = 0;
	s->cap = cap;
	s->eof = false;
	*zsp = zs;
	return 0;
}

/* Inflate until the header's NUL: its length, and hdr[0..*have) inflated. */
static int read_header(struct src *s, z_stream *zs, uint8_t *hdr, size_t *have, int *type, uint64_t *size)
{
	zs->next_out = hdr;
	zs->avail_out = GITSTORE_OBJ_HEADER_MAX;
	for (;;) {
		int zr = step(s, zs);
		if (zr < 0)
			return zr == GITSTORE_ETRUNCATED ? GITSTORE_EOBJ_HEADER : zr;
		*have = GITSTORE_OBJ_HEADER_MAX - zs->avail_out;
		int hl = gitstore_obj_header_parse(hdr, *have, type, size);
		if (hl != GITSTORE_EAGAIN)
			return hl;
		if (zr == Z_STREAM_END)
			return GITSTORE_EOBJ_HEADER;
	}
}

int gitstore_loose_stat(struct gitstore_repo *r, const struct gitstore_oid *id, int *type, uint64_t *size)
{
	char name[GITSTORE_LOOSE_NAME_MAX];
	struct src s;
	z_stream *zs;
	uint8_t hdr[GITSTORE_OBJ_HEADER_MAX];
	size_t have;
	int rc = loose_open(r, &s, name, id, &zs);
	if (rc < 0)
		return rc;
	rc = read_header(&s, zs, hdr, &have, type, size);
	return rc < 0 ? rc : 0;
}

int gitstore_loose_read(struct gitstore_repo *r, const struct gitstore_oid *id, int *type,
	uint8_t *out, size_t cap, size_t *needed)
{
	char name[GITSTORE_LOOSE_NAME_MAX];
	struct src s;
	z_stream *zs;
	uint8_t hdr[GITSTORE_OBJ_HEADER_MAX];
	size_t have;
	uint64_t size;
	int rc = loose_open(r, &s, name, id, &zs);
	if (rc < 0)
		return rc;
	int hl = read_header(&s, zs, hdr, &have, type, &size);
	if (hl < 0)
		return hl;
	if (size > r->limits.max_object || size > INT32_MAX)
		return GITSTORE_ETOOBIG;
	if (needed)
		*needed = (size_t)size;
	if (size > cap)
		return GITSTORE_ENOMEM;
	size_t k = have - (size_t)hl;
	if (k > size)
		return GITSTORE_EOBJ_SIZE;
	if (k)
		memcpy(out, hdr + hl, k); /* out may be NULL for an empty object */
	uint8_t extra;
	bool spare = false;
	zs->next_out = out + k;
	zs->avail_out = (uInt)(size - k);
	if (size == k) {
		zs->next_out = &extra;
		zs->avail_out = 1;
		spare = true;
	}
	int zr = Z_OK;
	/* A stream that ended inside the header's buffer is complete already. */
	while (zr != Z_STREAM_END) {
		zr = step(&s, zs);
		if (zr < 0)
			return zr == GITSTORE_ETRUNCATED ? GITSTORE_EOBJ_SIZE : zr;
		if (zs->avail_out == 0) {
			if (spare)
				return GITSTORE_EOBJ_SIZE;
			zs->next_out = &extra;
			zs->avail_out = 1;
			spare = true;
		}
	}
	if (zs->total_out != (uLong)hl + size)
		return GITSTORE_EOBJ_SIZE;
	/* git refuses garbage after the stream of a loose object. */
	if (zs->avail_in)
		return GITSTORE_EZLIB_TRAILING;
	if (!s.eof) {
		int n = gitstore_int_read(r, name, s.off, &extra, 1);
		if (n > 0)
			return GITSTORE_EZLIB_TRAILING;
		if (n < 0)
			return GITSTORE_EIO;
	}
	struct gitstore_hash h;
	struct gitstore_oid got;
	gitstore_hash_init(&h, r->algo);
	gitstore_hash_update(&h, hdr, (size_t)hl);
	gitstore_hash_update(&h, out, (size_t)size);
	gitstore_hash_final(&h, &got);
	if (gitstore_oid_cmp(&got, id) != 0)
		return GITSTORE_EOBJ_ID;
	return (int)size;
}

static int deflate_out(struct gitstore_repo *r, const char *tmp, z_stream *zs, uint8_t *buf, size_t cap,
	const uint8_t *in, size_t len, int flush)
{
	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = (uInt)len;
	for (;;) {
		zs->next_out = buf;
		zs->avail_out = (uInt)cap;
		int zr = deflate(zs, flush);
		if (zr == Z_STREAM_ERROR)
			return GITSTORE_EZLIB;
		size_t n = cap - zs->avail_out;
		if (n) {
			int rc = gitstore_int_append(r, tmp, buf, n);
			if (rc < 0)
				return GITSTORE_EIO;
		}
		if (flush == Z_FINISH ? zr == Z_STREAM_END : (zs->avail_in == 0 && zs->avail_out != 0))
			return 0;
	}
}

int gitstore_loose_write(struct gitstore_repo *r, int type, const uint8_t *data, size_t len,
	unsigned flags, struct gitstore_oid *id)
{
	int rc;
	if (len > r->limits.max_object || len > UINT32_MAX)
		return GITSTORE_ETOOBIG;
	if (!(flags & GITSTORE_WRITE_UNCHECKED) &&
		(rc = gitstore_obj_check(r->algo, type, data, len, GITSTORE_CHECK_STRICT)) < 0)
		return rc;
	uint8_t hdr[GITSTORE_OBJ_HEADER_MAX];
	int hl = gitstore_obj_header(type, len, hdr, sizeof hdr);
	if (hl < 0)
		return hl;
	struct gitstore_hash h;
	gitstore_hash_init(&h, r->algo);
	gitstore_hash_update(&h, hdr, (size_t)hl);
	gitstore_hash_update(&h, data, len);
	gitstore_hash_final(&h, id);
	char name[GITSTORE_LOOSE_NAME_MAX], dir[12], tmp[40];
	gitstore_loose_name(r->algo, id, name);
	uint64_t sz;
	if (gitstore_int_size(r, name, &sz) == 0)
		return 0;
	memcpy(dir, name, 10);
	dir[10] = 0;
	if ((rc = gitstore_int_tmp_name(r, dir, tmp, sizeof tmp)) < 0)
		return rc;
	z_stream *zs = gitstore_int_deflate_begin(&r->arena);
	uint8_t *buf = zs ? gitstore_int_alloc(&r->arena, CHUNK) : NULL;
	if (!buf)
		return GITSTORE_ENOMEM;
	rc = deflate_out(r, tmp, zs, buf, CHUNK, hdr, (size_t)hl, Z_NO_FLUSH);
	if (rc == 0)
		rc = deflate_out(r, tmp, zs, buf, CHUNK, data, len, Z_FINISH);
	if (rc == 0) {
		rc = gitstore_int_rename(r, tmp, name, GITSTORE_RENAME_NOREPLACE);
		if (rc == GITSTORE_EEXIST)
			rc = 0;
		else if (rc == 0)
			return 0;
		else
			rc = GITSTORE_EIO;
	}
	gitstore_int_remove(r, tmp);
	return rc;
}
