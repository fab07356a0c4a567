/* Object types and the "<type> <size>\0" header git hashes and stores. */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

const char *gitstore_type_name(int type)
{
	switch (type) {
	case GITSTORE_COMMIT: return "commit";
	case GITSTORE_TREE: return "tree";
	case GITSTORE_BLOB: return "blob";
	case GITSTORE_TAG: return "tag";
	default: return NULL;
	}
}

int gitstore_type_parse(const uint8_t *s, size_t len)
{
	for (int t = GITSTORE_COMMIT; t <= GITSTORE_TAG; t++) {
		const char *n = gitstore_type_name(t);
		if (strlen(n) == len && memcmp(n, s, len) == 0)
			return t;
	}
	return GITSTORE_EOBJ_TYPE;
}

int gitstore_obj_header(int type, uint64_t size, uint8_t *buf, size_t cap)
{
	const char *name = gitstore_type_name(type);
	if (!name)
		return GITSTORE_EOBJ_TYPE;
	uint8_t digits[20];
	size_t nd = 0;
	do {
		digits[nd++] = (uint8_t)('0' + size % 10);
		size /= 10;
	} while (size);
	size_t nl = strlen(name), total = nl + 1 + nd + 1;
	if (cap < total)
		return GITSTORE_ENOMEM;
	memcpy(buf, name, nl);
	buf[nl] = ' ';
	for (size_t i = 0; i < nd; i++)
		buf[nl + 1 + i] = digits[nd - 1 - i];
	buf[total - 1] = 0;
	return (int)total;
}

/* git's parse_loose_header: canonical decimal, "010" is not a size. */
int gitstore_obj_header_parse(const uint8_t *buf, size_t len, int *type, uint64_t *size)
{
	size_t lim = len < GITSTORE_OBJ_HEADER_MAX ? len : GITSTORE_OBJ_HEADER_MAX;
	const uint8_t *nul = memchr(buf, 0, lim);
	if (!nul)
		return len < GITSTORE_OBJ_HEADER_MAX ? GITSTORE_EAGAIN : GITSTORE_EOBJ_HEADER;
	size_t hl = (size_t)(nul - buf);
	const uint8_t *sp = memchr(buf, ' ', hl);
	if (!sp)
		return GITSTORE_EOBJ_HEADER;
	int t = gitstore_type_parse(buf, (size_t)(sp - buf));
	if (t < 0)
		return t;
	const uint8_t *d = sp + 1;
	if (d == nul || (d[0] == '0' && d + 1 != nul))
		return GITSTORE_EOBJ_HEADER;
	uint64_t v = 0;
	for (; d < nul; d++) {
		if (*d < '0' || *d > '9')
			return GITSTORE_EOBJ_HEADER;
		uint64_t digit = (uint64_t)(*d - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return GITSTORE_EOBJ_HEADER;
		v = v * 10 + digit;
	}
	*type = t;
	*size = v;
	return (int)(hl + 1);
}

int gitstore_obj_hash(int algo, int type, const void *data, size_t len, struct gitstore_oid *out)
{
	return gitstore_int_obj_hash(algo, type, data, len, out, 0);
}

int gitstore_int_obj_hash(int algo, int type, const void *data, size_t len, struct gitstore_oid *out, unsigned cpu)
{
	uint8_t hdr[GITSTORE_OBJ_HEADER_MAX];
	int hl = gitstore_obj_header(type, len, hdr, sizeof hdr);
	if (hl < 0)
		return hl;
	struct gitstore_hash h;
	int rc = gitstore_hash_init(&h, algo);
	if (rc < 0)
		return rc;
	gitstore_int_hash_use_cpu(&h, cpu);
	gitstore_hash_update(&h, hdr, (size_t)hl);
	gitstore_hash_update(&h, data, len);
	gitstore_hash_final(&h, out);
	return 0;
}

int gitstore_obj_check(int algo, int type, const uint8_t *data, size_t len, unsigned flags)
{
	switch (type) {
	case GITSTORE_BLOB:
		return 0;
	case GITSTORE_TREE:
		return gitstore_tree_check(algo, data, len, flags);
	case GITSTORE_COMMIT: {
		struct gitstore_commit c;
		int rc = gitstore_commit_parse(algo, data, len, &c);
		if (rc < 0)
			return rc;
		/* fsck.c: nulInCommit is a warning, so an error under --strict */
		if ((flags & GITSTORE_CHECK_STRICT) && memchr(data, 0, len))
			return GITSTORE_ECOMMIT_NUL;
		return 0;
	}
	case GITSTORE_TAG: {
		struct gitstore_tag t;
		int rc = gitstore_tag_parse(algo, data, len, &t);
		return rc < 0 ? rc : 0;
	}
	default:
		return GITSTORE_EOBJ_TYPE;
	}
}
