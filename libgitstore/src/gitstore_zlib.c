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
