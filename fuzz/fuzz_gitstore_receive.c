/*
 * receive-pack command lists: pkt-lines up to a flush, each parsed as a
 * command (the first with its capabilities) for SHA-1 and SHA-256; then what
 * follows the flush is where the pack would start.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <cloudlet/gitstore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	struct gitstore_pkt p;
	int first = 1;
	while (off < size) {
		int rc = gitstore_pkt_parse(data + off, size - off, &p);
		if (rc < 0 || p.kind != GITSTORE_PKT_DATA)
			break;
		off += (size_t)rc;
		for (int algo = GITSTORE_SHA1; algo <= GITSTORE_SHA256; algo++) {
			struct gitstore_receive_cmd c;
			struct gitstore_slice caps;
			rc = gitstore_receive_cmd_parse(algo, p.data.p, p.data.len, &c, &caps);
			if (rc < 0)
				continue;
			if (c.name.len < 5 || memcmp(c.name.p, "refs/", 5) != 0 || c.name.p < p.data.p ||
				c.name.p + c.name.len > p.data.p + p.data.len)
				abort();
			if (first)
				(void)gitstore_receive_caps_parse(caps);
		}
		first = 0;
	}
	return 0;
}
