/* Refs: name rules, loose and packed refs, symbolic HEAD, locked and compare-and-swap updates. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>
#include "gt_util.h"
#include "gt_mem.h"

static struct gt_mem mem;
static uint8_t arena[GITSTORE_INFLATE_ARENA];

static void repo(struct gitstore_repo *r)
{
	gt_mem_free(&mem);
	assert_int_equal(gitstore_repo_init(r, &gt_mem_ops, &mem, GITSTORE_SHA1, NULL, arena, sizeof arena), 0);
}

static void put(const char *name, const char *s)
{
	gt_mem_put(&mem, name, s, strlen(s));
}

static const char *content(const char *name)
{
	static char buf[4096];
	struct gt_file *f = gt_mem_find(&mem, name);
	if (!f)
		return NULL;
	snprintf(buf, sizeof buf, "%.*s", (int)f->len, (const char *)f->data);
	return buf;
}

static int files(void)
{
	int n = 0;
	for (int i = 0; i < GT_MEM_FILES; i++)
		n += mem.f[i].used;
	return n;
}

static void test_names(void **state)
{
	(void)state;
	static const char *const good[] = {
		"refs/heads/main", "refs/heads/feature/x-1", "refs/tags/v1.0", "refs/heads/\xc3\xbc",
		"refs/heads/@", "refs/heads/a@b", "refs/heads/a.b", "refs/heads/{x}", "a/b",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (gitstore_refname_check(good[i], 0) != 0)
			fail_msg("rejected %s", good[i]);
	static const char *const bad[] = {
		"main", "refs/heads/.hidden", "refs/heads/a..b", "refs/heads/a.lock", "refs/heads/a/",
		"/refs/heads/a", "refs//heads", "refs/heads/a.", "refs/heads/a@{b", "@", "refs/heads/a b",
		"refs/heads/a~1", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/a*",
		"refs/heads/a[", "refs/heads/a\\b", "refs/heads/a\tb", "refs/heads/a\x7f", "refs/heads/.",
		"refs/heads/..", "", "refs/.lock/x", "refs/heads/x.lock/y",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (gitstore_refname_check(bad[i], 0) != GITSTORE_EREF_NAME)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(gitstore_refname_check("HEAD", GITSTORE_REFNAME_ONELEVEL), 0);
	assert_int_equal(gitstore_refname_check("HEAD", 0), GITSTORE_EREF_NAME);
	char longname[300];
	memset(longname, 'a', sizeof longname);
	memcpy(longname, "refs/", 5);
	longname[299] = 0;
	assert_int_equal(gitstore_refname_check(longname, 0), GITSTORE_EREF_NAME);
}

static void test_update_and_resolve(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_oid a = gt_oid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	struct gitstore_oid b = gt_oid("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	struct gitstore_oid zero = { { 0 } }, got;
	struct gitstore_ref ref;
	char resolved[GITSTORE_REFNAME_MAX];
	repo(&r);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &a, &zero), 0);
	assert_string_equal(content("refs/heads/main"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &b, &zero), GITSTORE_EREF_STALE);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &b, &b), GITSTORE_EREF_STALE);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &b, &a), 0);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/other", &a, &a), GITSTORE_EREF_STALE);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/other", &a, NULL), 0);
	assert_int_equal(gitstore_ref_symbolic(&r, "HEAD", "refs/heads/main"), 0);
	assert_string_equal(content("HEAD"), "ref: refs/heads/main\n");
	assert_int_equal(gitstore_ref_read(&r, "HEAD", &ref), 0);
	assert_true(ref.symbolic);
	assert_string_equal(ref.target, "refs/heads/main");
	assert_int_equal(gitstore_ref_resolve(&r, "HEAD", &got, resolved), 0);
	assert_memory_equal(got.b, b.b, 20);
	assert_string_equal(resolved, "refs/heads/main");
	/* nothing but the refs themselves is left behind */
	assert_int_equal(files(), 3);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/bad..name", &a, NULL), GITSTORE_EREF_NAME);
	assert_int_equal(gitstore_ref_symbolic(&r, "HEAD", "refs/heads/a b"), GITSTORE_EREF_NAME);
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/none", &ref), GITSTORE_ENOENT);
	assert_int_equal(gitstore_ref_resolve(&r, "refs/heads/none", &got, NULL), GITSTORE_ENOENT);
	/* symbolic loops and depth */
	put("refs/heads/x", "ref: refs/heads/y\n");
	put("refs/heads/y", "ref: refs/heads/x\n");
	assert_int_equal(gitstore_ref_resolve(&r, "refs/heads/x", &got, NULL), GITSTORE_EREF_DEPTH);
	put("refs/heads/y", "ref:   refs/heads/main  \n");   /* git skips the white space */
	assert_int_equal(gitstore_ref_resolve(&r, "refs/heads/x", &got, resolved), 0);
	assert_string_equal(resolved, "refs/heads/main");
	/* malformed loose refs */
	put("refs/heads/m", "aaaa\n");
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/m", &ref), GITSTORE_EREF_FORMAT);
	put("refs/heads/m", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaax\n");
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/m", &ref), GITSTORE_EREF_FORMAT);
	put("refs/heads/m", "ref: refs/heads/a..b\n");
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/m", &ref), GITSTORE_EREF_FORMAT);
	put("refs/heads/m", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");   /* no newline: git accepts */
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/m", &ref), 0);
	gt_mem_free(&mem);
}

static void test_lock_and_race(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_oid a = gt_oid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	struct gitstore_oid b = gt_oid("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	repo(&r);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &a, NULL), 0);
	/* another writer holds the lock: this update loses, nothing changes */
	put("refs/heads/main.lock", "cccccccccccccccccccccccccccccccccccccccc\n");
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &b, &a), GITSTORE_EREF_LOCKED);
	assert_string_equal(content("refs/heads/main"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	assert_string_equal(content("refs/heads/main.lock"), "cccccccccccccccccccccccccccccccccccccccc\n");
	assert_int_equal(files(), 2);
	assert_int_equal(gitstore_ref_delete(&r, "refs/heads/main", NULL), GITSTORE_EREF_LOCKED);
	gt_mem_remove(&mem, "refs/heads/main.lock");
	/* the storage fails mid-update: the ref keeps its old value, no lock is left */
	mem.fail_append = 1;
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &b, &a), GITSTORE_EIO);
	assert_string_equal(content("refs/heads/main"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	assert_int_equal(files(), 1);
	/* two writers that read the same old value: the second loses */
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &b, &a), 0);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &a, &a), GITSTORE_EREF_STALE);
	assert_string_equal(content("refs/heads/main"), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n");
	assert_int_equal(files(), 1);
	gt_mem_free(&mem);
}

struct seen {
	char names[16][GITSTORE_REFNAME_MAX];
	struct gitstore_ref refs[16];
	int n;
};

static int collect(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct seen *s = arg;
	snprintf(s->names[s->n], GITSTORE_REFNAME_MAX, "%s", name);
	s->refs[s->n++] = *ref;
	return s->n == 16;
}

static int find(const struct seen *s, const char *name)
{
	int at = -1;
	for (int i = 0; i < s->n; i++) {
		if (strcmp(s->names[i], name) == 0) {
			if (at >= 0)
				fail_msg("%s listed twice", name);
			at = i;
		}
	}
	return at;
}

static const char PACKED[] =
	"# pack-refs with: peeled fully-peeled sorted \n"
	"1111111111111111111111111111111111111111 refs/heads/main\n"
	"2222222222222222222222222222222222222222 refs/heads/old\n"
	"3333333333333333333333333333333333333333 refs/tags/v1\n"
	"^4444444444444444444444444444444444444444\n"
	"5555555555555555555555555555555555555555 refs/tags/v2\n";

static void test_packed(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_ref ref;
	struct gitstore_oid b = gt_oid("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	repo(&r);
	put("packed-refs", PACKED);
	assert_int_equal(gitstore_ref_read(&r, "refs/tags/v1", &ref), 0);
	assert_true(ref.peeled_known);
	assert_memory_equal(ref.peeled.b, gt_oid("4444444444444444444444444444444444444444").b, 20);
	assert_int_equal(gitstore_ref_read(&r, "refs/tags/v2", &ref), 0);
	assert_false(ref.peeled_known);
	/* a loose ref overrides the packed one */
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/main", &b,
		&(struct gitstore_oid){ .b = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
			0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 } }), 0);
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/main", &ref), 0);
	assert_memory_equal(ref.id.b, b.b, 20);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/new", &b, NULL), 0);
	struct seen s = { .n = 0 };
	assert_int_equal(gitstore_ref_list(&r, "refs/", collect, &s), 0);
	assert_int_equal(s.n, 5);
	assert_memory_equal(s.refs[find(&s, "refs/heads/main")].id.b, b.b, 20);
	assert_true(find(&s, "refs/heads/old") >= 0);
	assert_true(find(&s, "refs/heads/new") >= 0);
	assert_true(s.refs[find(&s, "refs/tags/v1")].peeled_known);
	s.n = 0;
	assert_int_equal(gitstore_ref_list(&r, "refs/tags/", collect, &s), 0);
	assert_int_equal(s.n, 2);
	/* deleting a packed ref rewrites packed-refs without it, peeled lines kept */
	assert_int_equal(gitstore_ref_delete(&r, "refs/heads/old",
		&(struct gitstore_oid){ .b = { 0x22 } }), GITSTORE_EREF_STALE);
	assert_int_equal(gitstore_ref_delete(&r, "refs/heads/old", NULL), 0);
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/old", &ref), GITSTORE_ENOENT);
	assert_non_null(strstr(content("packed-refs"), "3333333333333333333333333333333333333333 refs/tags/v1\n"
		"^4444444444444444444444444444444444444444\n"));
	assert_null(strstr(content("packed-refs"), "refs/heads/old"));
	/* deleting one that is loose and packed removes both */
	assert_int_equal(gitstore_ref_delete(&r, "refs/heads/main", &b), 0);
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/main", &ref), GITSTORE_ENOENT);
	assert_int_equal(gitstore_ref_delete(&r, "refs/heads/main", NULL), GITSTORE_ENOENT);
	assert_null(gt_mem_find(&mem, "packed-refs.lock"));
	assert_null(gt_mem_find(&mem, "refs/heads/main.lock"));
	/* malformed packed-refs */
	static const char *const bad[] = {
		"1111 refs/heads/x\n", "^4444444444444444444444444444444444444444\n",
		"1111111111111111111111111111111111111111 refs/heads/a..b\n",
		"1111111111111111111111111111111111111111refs/heads/x\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put("packed-refs", bad[i]);
		if (gitstore_ref_read(&r, "refs/heads/zz", &ref) != GITSTORE_EREF_FORMAT)
			fail_msg("accepted packed-refs %s", bad[i]);
	}
	char huge[6000];
	memset(huge, 'a', sizeof huge);
	huge[sizeof huge - 1] = 0;
	put("packed-refs", huge);
	assert_int_equal(gitstore_ref_read(&r, "refs/heads/zz", &ref), GITSTORE_EREF_FORMAT);
	gt_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_update_and_resolve),
		cmocka_unit_test(test_lock_and_race),
		cmocka_unit_test(test_packed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
