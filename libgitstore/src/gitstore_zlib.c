/*
 * zlib over a caller's arena: zalloc bumps, zfree does nothing, and each
 * stream starts from a reset arena, so the arena's size is the only memory
 * zlib ever gets. Also the limits' defaults and the inflate-ratio check.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

void gitstore_arena_init(struct gitstore_arena *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = buf ? cap : 0;
	a->used = 0;
	a->peak = 0;
}

void gitstore_arena_reset(struct gitstore_arena *a)
{
	a->used = 0;
}

void *gitstore_int_alloc(struct gitstore_arena *a, size_t n)
{
	uintptr_t base = (uintptr_t)a->buf;
	size_t pad = (size_t)((16 - ((base + a->used) & 15)) & 15);
	if (a->used > a->cap || pad > a->cap - a->used || n > a->cap - a->used - pad)
		return NULL;
	void *p = a->buf + a->used + pad;
	a->used += pad + n;
	if (a->used > a->peak)
		a->peak = a->used;
	return p;
}

static voidpf zalloc_arena(voidpf opaque, uInt items, uInt size)
{
	if (size && items > SIZE_MAX / size)
		return Z_NULL;
	return gitstore_int_alloc(opaque, (size_t)items * size);
}

static void zfree_arena(voidpf opaque, voidpf p)
{
	(void)opaque;
	(void)p;
}

static z_stream *stream_new(struct gitstore_arena *a)
{
	gitstore_arena_reset(a);
	z_stream *zs = gitstore_int_alloc(a, sizeof *zs);
	if (!zs)
		return NULL;
	memset(zs, 0, sizeof *zs);
	zs->zalloc = zalloc_arena;
	zs->zfree = zfree_arena;
	zs->opaque = a;
	return zs;
}

z_stream *gitstore_int_inflate_begin(struct gitstore_arena *a)
{
	z_stream *zs = stream_new(a);
	if (!zs || inflateInit(zs) != Z_OK)
		return NULL;
	return zs;
}

z_stream *gitstore_int_deflate_begin(struct gitstore_arena *a)
{
	z_stream *zs = stream_new(a);
	if (!zs || deflateInit(zs, Z_DEFAULT_COMPRESSION) != Z_OK)
		return NULL;
	return zs;
}

void gitstore_limits_default(struct gitstore_limits *l)
{
	if (!l->max_object)
		l->max_object = GITSTORE_DEFAULT_MAX_OBJECT;
	if (!l->max_depth)
		l->max_depth = GITSTORE_DEFAULT_MAX_DEPTH;
}

bool gitstore_int_ratio_ok(const struct gitstore_limits *l, uint64_t in, uint64_t out)
{
	if (!l->max_ratio || l->max_ratio == UINT32_MAX || out <= GITSTORE_RATIO_SLACK)
		return true;
	return out / (in ? in : 1) <= l->max_ratio;
}

/*
 * Inflate one whole zlib stream held in memory into out[0..want): exactly
 * `want` bytes and then the stream's end. *used is the count of input bytes
 * the stream took. A stream that ends early or would give more is
 * GITSTORE_EOBJ_SIZE: a lying size header.
 */
int gitstore_int_inflate_mem(struct gitstore_arena *a, const struct gitstore_limits *l,
	const uint8_t *in, size_t in_len, uint8_t *out, size_t want, size_t *used)
{
	z_stream *zs = gitstore_int_inflate_begin(a);
	if (!zs)
		return GITSTORE_ENOMEM;
	uint8_t extra;
	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
	zs->next_out = want ? out : &extra;
	zs->avail_out = want ? (uInt)want : 1;
	bool into_extra = want == 0;
	for (;;) {
		int zr = inflate(zs, Z_NO_FLUSH);
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
		if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_STREAM_ERROR)
			return GITSTORE_EZLIB;
		if (zs->avail_out == 0) {
			if (into_extra)
				return GITSTORE_EOBJ_SIZE;   /* more than the header said */
			/* Out is full: one spare byte shows whether the stream ends here. */
			zs->next_out = &extra;
			zs->avail_out = 1;
			into_extra = true;
			continue;
		}
		if (zr == Z_BUF_ERROR || zs->avail_in == 0) {
			if ((size_t)zs->total_in >= in_len)
				return GITSTORE_ETRUNCATED;
			if (zr == Z_BUF_ERROR)
				return GITSTORE_EZLIB;
			zs->avail_in = in_len - zs->total_in > UINT32_MAX ? UINT32_MAX : (uInt)(in_len - zs->total_in);
		}
	}
}
