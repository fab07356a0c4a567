/*
 * side-band-64k demux: packets until a flush, each split into band and
 * payload; band 1 payload is re-muxed and must parse back to itself.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <cloudlet/gitstore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[GITSTORE_PKT_MAX];
	size_t off = 0;
	struct gitstore_pkt p;
	while (off < size) {
		int rc = gitstore_pkt_parse(data + off, size - off, &p);
		if (rc < 0 || p.kind == GITSTORE_PKT_FLUSH)
			break;
		off += (size_t)rc;
		int band;
		struct gitstore_slice pl;
		rc = gitstore_sideband_parse(&p, &band, &pl);
		if (rc < 0) {
			if (p.kind == GITSTORE_PKT_DATA && rc == GITSTORE_EINVAL)
				abort();
			continue;
		}
		if (band < 1 || band > 3 || pl.len + 1 != p.data.len)
			abort();
		if (pl.len == 0)
			continue;
		size_t taken = 0;
		rc = gitstore_sideband_write(out, sizeof out, band, pl.p, pl.len, &taken);
		if (rc < 0 || taken != pl.len)
			abort();
		struct gitstore_pkt q;
		struct gitstore_slice pl2;
		int band2;
		if (gitstore_pkt_parse(out, (size_t)rc, &q) != rc || gitstore_sideband_parse(&q, &band2, &pl2) != 0 ||
			band2 != band || pl2.len != pl.len || memcmp(pl2.p, pl.p, pl.len) != 0)
			abort();
	}
	return 0;
}
