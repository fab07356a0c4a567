/*
 * pkt-line: a stream of packets parsed whole and through the reassembly
 * buffer in pieces whose sizes come from the input's first byte; both must
 * see the same packets and stop at the same error.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <cloudlet/gitstore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	size_t off = 0, whole = 0;
	int err = 0;
	struct gitstore_pkt p;
	for (;;) {
		int rc = gitstore_pkt_parse(data + off, size - off, &p);
		if (rc < 0) {
			err = rc;
			break;
		}
		if (rc < 4 || (size_t)rc > size - off || p.data.len != (size_t)rc - 4 || p.data.len > GITSTORE_PKT_DATA_MAX)
			abort();
		if (p.kind == GITSTORE_PKT_DATA)
			gitstore_pkt_text(&p);
		off += (size_t)rc;
		whole++;
	}
	static uint8_t mem[GITSTORE_PKT_MAX];   /* const-free scratch is fine in a harness */
	struct gitstore_pktbuf b;
	gitstore_pktbuf_init(&b, mem, sizeof mem);
	size_t fed = 0, pieces = 0;
	int err2 = 0;
	for (;;) {
		int rc = gitstore_pktbuf_next(&b, &p);
		if (rc == 1) {
			pieces++;
			continue;
		}
		if (rc != GITSTORE_EAGAIN || fed == size) {
			err2 = rc;
			break;
		}
		size_t n = size - fed < step ? size - fed : step;
		fed += gitstore_pktbuf_feed(&b, data + fed, n);
	}
	if (pieces != whole || err2 != err)
		abort();
	return 0;
}
