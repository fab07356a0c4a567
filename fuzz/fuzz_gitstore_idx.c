/*
 * .idx parsing: the input is an index; parsed with and without full
 * verification, then every entry read and looked up again by id.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <cloudlet/gitstore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gitstore_idx x;
	int verified = gitstore_idx_parse(&x, GITSTORE_SHA1, data, size, 1ull << 40, GITSTORE_IDX_VERIFY);
	if (gitstore_idx_parse(&x, GITSTORE_SHA1, data, size, 0, 0) != 0) {
		if (verified == 0)
			abort();
		return 0;
	}
	struct gitstore_oid pc;
	gitstore_idx_pack_checksum(&x, &pc);
	uint32_t lim = x.count < 4096 ? x.count : 4096;
	for (uint32_t i = 0; i < lim; i++) {
		struct gitstore_oid id;
		uint64_t off, off2;
		uint32_t crc, pos;
		int rc = gitstore_idx_entry(&x, i, &id, &off, &crc);
		if (rc != 0) {
			if (verified == 0)
				abort();
			continue;
		}
		rc = gitstore_idx_find(&x, &id, &pos, &off2);
		/* in a verified index every id is found (a repeated id: at either place) */
		if (verified == 0) {
			struct gitstore_oid at;
			if (rc != 0 || gitstore_idx_entry(&x, pos, &at, NULL, NULL) != 0 || gitstore_oid_cmp(&at, &id) != 0)
				abort();
		}
	}
	return 0;
}
