/*
 * Object parsers: the first byte picks the parser and the hash, the rest is
 * the object. Trees are walked and checked, commits and tags parsed (and
 * their parents read), idents and loose headers parsed; results are
 * cross-checked where two paths must agree.
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
	int algo = (data[0] & 0x80) ? GITSTORE_SHA256 : GITSTORE_SHA1;
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	switch (data[0] & 7) {
	case 0: {
		struct gitstore_tree_iter it;
		struct gitstore_tree_entry e;
		int rc, count = 0;
		gitstore_tree_iter_init(&it, algo, d, n);
		while ((rc = gitstore_tree_next(&it, &e)) == 1) {
			if (e.name.p < d || e.name.p + e.name.len > d + n)
				abort();
			count++;
		}
		int strict = gitstore_tree_check(algo, d, n, GITSTORE_CHECK_STRICT);
		int lenient = gitstore_tree_check(algo, d, n, 0);
		/* strict finds at least what lenient finds */
		if (lenient < 0 && strict == 0)
			abort();
		if (rc < 0 && lenient == 0)
			abort();
		(void)count;
		break;
	}
	case 1: {
		struct gitstore_commit c;
		if (gitstore_commit_parse(algo, d, n, &c) == 0) {
			struct gitstore_oid p;
			for (size_t i = 0; i < c.nparents; i++)
				if (gitstore_commit_parent(&c, i, &p) != 0)
					abort();
			if (c.message.p + c.message.len != d + n)
				abort();
		}
		break;
	}
	case 2: {
		struct gitstore_tag t;
		if (gitstore_tag_parse(algo, d, n, &t) == 0 && gitstore_type_name(t.type) == NULL)
			abort();
		break;
	}
	case 3: {
		struct gitstore_ident id;
		if (gitstore_ident_parse(d, n, &id) == 0 && id.email.p + id.email.len > d + n)
			abort();
		break;
	}
	case 4: {
		int type;
		uint64_t sz;
		int hl = gitstore_obj_header_parse(d, n, &type, &sz);
		if (hl > 0) {
			uint8_t again[GITSTORE_OBJ_HEADER_MAX];
			int wl = gitstore_obj_header(type, sz, again, sizeof again);
			/* canonical headers round-trip exactly */
			if (wl != hl || memcmp(again, d, (size_t)hl) != 0)
				abort();
		}
		break;
	}
	default: {
		int type = (data[0] >> 3 & 3) + 1;
		(void)gitstore_obj_check(algo, type, d, n, GITSTORE_CHECK_STRICT);
		break;
	}
	}
	return 0;
}
