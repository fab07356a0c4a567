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
