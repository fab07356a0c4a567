/* Object headers and ids, against ids `git hash-object` printed. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>
#include "gt_util.h"

static void test_header_write(void **state)
{
	(void)state;
	uint8_t b[GITSTORE_OBJ_HEADER_MAX];
	assert_int_equal(gitstore_obj_header(GITSTORE_BLOB, 12, b, sizeof b), 8);
	assert_memory_equal(b, "blob 12", 8);
	assert_int_equal(gitstore_obj_header(GITSTORE_COMMIT, UINT64_MAX, b, sizeof b), 28);
	assert_memory_equal(b, "commit 18446744073709551615", 28);
	assert_int_equal(gitstore_obj_header(GITSTORE_TREE, 0, b, 6), GITSTORE_ENOMEM);
	assert_int_equal(gitstore_obj_header(GITSTORE_TREE, 0, b, 7), 7);
	assert_int_equal(gitstore_obj_header(GITSTORE_OFS_DELTA, 0, b, sizeof b), GITSTORE_EOBJ_TYPE);
}

static int hp(const char *s, size_t len, int *type, uint64_t *size)
{
	return gitstore_obj_header_parse(gt_guard(s, len), len, type, size);
}

static void test_header_parse(void **state)
{
	(void)state;
	int t;
	uint64_t sz;
	assert_int_equal(hp("blob 12\0xx", 10, &t, &sz), 8);
	assert_int_equal(t, GITSTORE_BLOB);
	assert_int_equal(sz, 12);
	assert_int_equal(hp("tag 0\0", 6, &t, &sz), 6);
	assert_int_equal(sz, 0);
	assert_int_equal(hp("tree 18446744073709551615\0", 26, &t, &sz), 26);
	assert_true(sz == UINT64_MAX);
	assert_int_equal(hp("tree 18446744073709551616\0", 26, &t, &sz), GITSTORE_EOBJ_HEADER);
	assert_int_equal(hp("blob 012\0", 9, &t, &sz), GITSTORE_EOBJ_HEADER);
	assert_int_equal(hp("blob \0", 6, &t, &sz), GITSTORE_EOBJ_HEADER);
	assert_int_equal(hp("blob +1\0", 8, &t, &sz), GITSTORE_EOBJ_HEADER);
	assert_int_equal(hp("blob -1\0", 8, &t, &sz), GITSTORE_EOBJ_HEADER);
	assert_int_equal(hp("blob 1 \0", 8, &t, &sz), GITSTORE_EOBJ_HEADER);
	assert_int_equal(hp("blob1\0", 6, &t, &sz), GITSTORE_EOBJ_HEADER);
	assert_int_equal(hp("blobs 1\0", 8, &t, &sz), GITSTORE_EOBJ_TYPE);
	assert_int_equal(hp("Blob 1\0", 7, &t, &sz), GITSTORE_EOBJ_TYPE);
	assert_int_equal(hp("ofs-delta 1\0", 12, &t, &sz), GITSTORE_EOBJ_TYPE);
	assert_int_equal(hp("blob 12", 7, &t, &sz), GITSTORE_EAGAIN);
	assert_int_equal(hp("", 0, &t, &sz), GITSTORE_EAGAIN);
	assert_int_equal(hp("blob 123456789012345678901234567890", 35, &t, &sz), GITSTORE_EOBJ_HEADER);
}

static void test_ids(void **state)
{
	(void)state;
	struct gitstore_oid id;
	char hex[GITSTORE_HEX_MAX];
	assert_int_equal(gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, "hello\n", 6, &id), 0);
	gt_hex(GITSTORE_SHA1, &id, hex);
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	assert_int_equal(gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_TREE, "", 0, &id), 0);
	gt_hex(GITSTORE_SHA1, &id, hex);
	assert_string_equal(hex, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	/* `git init --object-format=sha256; git hash-object --stdin` of "hello\n" */
	assert_int_equal(gitstore_obj_hash(GITSTORE_SHA256, GITSTORE_BLOB, "hello\n", 6, &id), 0);
	gt_hex(GITSTORE_SHA256, &id, hex);
	assert_string_equal(hex, "2cf8d83d9ee29543b34a87727421fdecb7e3f3a183d337639025de576db9ebb4");
	assert_int_equal(gitstore_obj_hash(GITSTORE_SHA256, GITSTORE_TREE, "", 0, &id), 0);
	gt_hex(GITSTORE_SHA256, &id, hex);
	assert_string_equal(hex, "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321");
	assert_int_equal(gitstore_obj_hash(9, GITSTORE_BLOB, "", 0, &id), GITSTORE_EINVAL);
	assert_int_equal(gitstore_obj_hash(GITSTORE_SHA1, 5, "", 0, &id), GITSTORE_EOBJ_TYPE);
}

static void test_types(void **state)
{
	(void)state;
	assert_string_equal(gitstore_type_name(GITSTORE_TAG), "tag");
	assert_null(gitstore_type_name(0));
	assert_null(gitstore_type_name(GITSTORE_REF_DELTA));
	assert_int_equal(gitstore_type_parse((const uint8_t *)"commit", 6), GITSTORE_COMMIT);
	assert_int_equal(gitstore_type_parse((const uint8_t *)"commi", 5), GITSTORE_EOBJ_TYPE);
	assert_int_equal(gitstore_obj_check(GITSTORE_SHA1, GITSTORE_BLOB, (const uint8_t *)"\0", 1, GITSTORE_CHECK_STRICT), 0);
	assert_int_equal(gitstore_obj_check(GITSTORE_SHA1, 0, (const uint8_t *)"", 0, 0), GITSTORE_EOBJ_TYPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_write),
		cmocka_unit_test(test_header_parse),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
