/* Loose objects through in-memory storage: round trips and every way a file can lie. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include <cloudlet/gitstore.h>
#include "gt_util.h"
#include "gt_mem.h"

static struct gt_mem mem;
static uint8_t arena[GITSTORE_DEFLATE_ARENA];

static void repo(struct gitstore_repo *r, const struct gitstore_limits *l)
{
	gt_mem_free(&mem);
	assert_int_equal(gitstore_repo_init(r, &gt_mem_ops, &mem, GITSTORE_SHA1, l, arena, sizeof arena), 0);
}

/* Store raw (uncompressed) loose bytes under id's name, deflated with zlib. */
static void put_raw(const struct gitstore_oid *id, const void *raw, size_t len, const void *tail, size_t tail_len)
{
	uLongf zl = compressBound(len) + tail_len;
	uint8_t *z = malloc(zl);
	assert_int_equal(compress(z, &zl, raw, len), Z_OK);
	if (tail_len)
		memcpy(z + zl, tail, tail_len);
	char name[GITSTORE_LOOSE_NAME_MAX];
	gitstore_loose_name(GITSTORE_SHA1, id, name);
	gt_mem_put(&mem, name, z, zl + tail_len);
	free(z);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_oid id;
	char hex[GITSTORE_HEX_MAX], name[GITSTORE_LOOSE_NAME_MAX];
	uint8_t out[300000];
	int type;
	uint64_t size;
	repo(&r, NULL);
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, (const uint8_t *)"hello\n", 6, 0, &id), 0);
	gt_hex(GITSTORE_SHA1, &id, hex);
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	gitstore_loose_name(GITSTORE_SHA1, &id, name);
	assert_string_equal(name, "objects/ce/013625030ba8dba906f756967f9e9ca394464a");
	assert_non_null(gt_mem_find(&mem, name));
	assert_int_equal(gitstore_loose_stat(&r, &id, &type, &size), 0);
	assert_int_equal(type, GITSTORE_BLOB);
	assert_int_equal(size, 6);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), 6);
	assert_memory_equal(out, "hello\n", 6);
	/* again: nothing new is written, no temporary file is left */
	int files = 0;
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, (const uint8_t *)"hello\n", 6, 0, &id), 0);
	for (int i = 0; i < GT_MEM_FILES; i++)
		files += mem.f[i].used;
	assert_int_equal(files, 1);
	/* an empty blob, the empty tree, and a big incompressible blob across many chunks */
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, (const uint8_t *)"", 0, 0, &id), 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), 0);
	gt_hex(GITSTORE_SHA1, &id, hex);
	assert_string_equal(hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_TREE, (const uint8_t *)"", 0, 0, &id), 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), 0);
	assert_int_equal(type, GITSTORE_TREE);
	static uint8_t big[200000];
	uint32_t x = 1;
	for (size_t i = 0; i < sizeof big; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (uint8_t)(x >> 16);
	}
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, big, sizeof big, 0, &id), 0);
	size_t need = 0;
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, 100, &need), GITSTORE_ENOMEM);
	assert_int_equal(need, sizeof big);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), (int)sizeof big);
	assert_memory_equal(out, big, sizeof big);
	assert_true(r.arena.peak <= GITSTORE_DEFLATE_ARENA);
	/* the strict check runs before writing */
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_COMMIT, (const uint8_t *)"tree x\n", 7, 0, &id),
		GITSTORE_ECOMMIT_TREE_ID);
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_COMMIT, (const uint8_t *)"tree x\n", 7,
		GITSTORE_WRITE_UNCHECKED, &id), 0);
	struct gitstore_oid missing = gt_oid("0123456789012345678901234567890123456789");
	assert_int_equal(gitstore_loose_read(&r, &missing, &type, out, sizeof out, NULL), GITSTORE_ENOENT);
	assert_int_equal(gitstore_loose_stat(&r, &missing, &type, &size), GITSTORE_ENOENT);
}

static void test_arena_sizes(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_oid id;
	uint8_t out[64];
	int type;
	gt_mem_free(&mem);
	static uint8_t small[GITSTORE_INFLATE_ARENA];
	gitstore_repo_init(&r, &gt_mem_ops, &mem, GITSTORE_SHA1, NULL, small, sizeof small);
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, (const uint8_t *)"x", 1, 0, &id), GITSTORE_ENOMEM);
	put_raw(&id, "blob 1\0x", 8, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), 1);
	gitstore_repo_init(&r, &gt_mem_ops, &mem, GITSTORE_SHA1, NULL, small, 1000);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_ENOMEM);
	gt_mem_free(&mem);
}

static void test_lies(void **state)
{
	(void)state;
	struct gitstore_repo r;
	uint8_t out[4096];
	int type;
	struct gitstore_oid id;
	repo(&r, NULL);
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, "hello\n", 6, &id);
	put_raw(&id, "blob 5\0hello\n", 13, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_SIZE);
	put_raw(&id, "blob 7\0hello\n", 13, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_SIZE);
	put_raw(&id, "blob 0\0hello\n", 13, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_SIZE);
	put_raw(&id, "blob 06\0hello\n", 14, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_HEADER);
	put_raw(&id, "blob 6", 6, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_HEADER);
	put_raw(&id, "blub 6\0hello\n", 13, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_TYPE);
	put_raw(&id, "blob 6\0hellO\n", 13, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_ID);
	put_raw(&id, "blob 6\0hello\n", 13, "junk", 4);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EZLIB_TRAILING);
	put_raw(&id, "blob 6\0hello\n", 13, NULL, 0);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), 6);
	/* truncated and corrupt streams */
	char name[GITSTORE_LOOSE_NAME_MAX];
	gitstore_loose_name(GITSTORE_SHA1, &id, name);
	struct gt_file *f = gt_mem_find(&mem, name);
	f->len -= 5;
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_SIZE);
	f->len = 3;
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EOBJ_HEADER);
	gt_mem_put(&mem, name, "\x78\x9c\xff\xff\xff\xff\xff\xff", 8);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EZLIB);
	gt_mem_put(&mem, name, "not zlib", 8);
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EZLIB);
	gt_mem_free(&mem);
}

static void test_limits(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_oid id;
	int type;
	static uint8_t zeros[1 << 20], out[1 << 20];
	struct gitstore_limits l = { .max_object = 1000 };
	repo(&r, &l);
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, zeros, 1001, 0, &id), GITSTORE_ETOOBIG);
	l.max_object = 0;
	repo(&r, &l);
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, zeros, sizeof zeros, 0, &id), 0);
	l.max_object = 1000;
	r.limits = l;
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_ETOOBIG);
	/* a megabyte of zeros deflates about 1000:1: a bomb under a ratio of 100 */
	l.max_object = 0;
	l.max_ratio = 100;
	gitstore_limits_default(&l);
	r.limits = l;
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), GITSTORE_EZLIB_RATIO);
	r.limits.max_ratio = 2000;
	assert_int_equal(gitstore_loose_read(&r, &id, &type, out, sizeof out, NULL), (int)sizeof zeros);
	gt_mem_free(&mem);
}

static void test_storage_errors(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_oid id;
	repo(&r, NULL);
	mem.fail_append = 1;
	assert_int_equal(gitstore_loose_write(&r, GITSTORE_BLOB, (const uint8_t *)"hi", 2, 0, &id), GITSTORE_EIO);
	for (int i = 0; i < GT_MEM_FILES; i++)
		assert_false(mem.f[i].used);   /* nothing left behind */
	gt_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_arena_sizes),
		cmocka_unit_test(test_lies),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_storage_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
