/* What both sources (source_dir.c, source_git.c) do alike. */
#include "source.h"

#include <string.h>
#include <zlib.h>

size_t src_gzip_once(const uint8_t *in, size_t len, uint8_t **out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	uLong cap = deflateBound(&z, (uLong)len);
	uint8_t *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return 0;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END || n >= len) {
		free(buf);
		return 0;
	}
	*out = buf;
	return n;
}
