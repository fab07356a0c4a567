/*
 * Trees: walking, git's order, serialising byte for byte as `git mktree`
 * does, and one case for each finding of git's fsck_tree.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>
#include "gt_util.h"

struct tb {
	uint8_t b[8192];
	size_t len;
};

/* Append "<mode> <name>\0<20 bytes of idbyte>"; mode and name as raw text. */
static void add(struct tb *t, const char *mode, const char *name, size_t nlen, uint8_t idbyte)
{
	size_t ml = strlen(mode);
	memcpy(t->b + t->len, mode, ml);
	t->len += ml;
	t->b[t->len++] = ' ';
	memcpy(t->b + t->len, name, nlen);
	t->len += nlen;
	t->b[t->len++] = 0;
	memset(t->b + t->len, idbyte, 20);
	t->len += 20;
}

static void adds(struct tb *t, const char *mode, const char *name)
{
	add(t, mode, name, strlen(name), 0x11);
}

static int check(const struct tb *t, unsigned flags)
{
	return gitstore_tree_check(GITSTORE_SHA1, gt_guard(t->b, t->len), t->len, flags);
}

/* A one-entry tree: strict result and lenient result. */
static void one(const char *mode, const char *name, int strict_rc, int lenient_rc)
{
	struct tb t = { .len = 0 };
	adds(&t, mode, name);
	int s = check(&t, GITSTORE_CHECK_STRICT), l = check(&t, 0);
	if (s != strict_rc || l != lenient_rc)
		fail_msg("entry \"%s %s\": strict %s (want %s), lenient %s (want %s)", mode, name,
			gitstore_strerror(s), gitstore_strerror(strict_rc),
			gitstore_strerror(l), gitstore_strerror(lenient_rc));
}

static const char *const T_HEX = "82477e33442918c9a966a28d530b2eea316a2e3e";

static void fill_sample(struct gitstore_tree_entry e[6])
{
	static const struct { uint32_t mode; const char *name; const char *id; } s[6] = {
		{ GITSTORE_MODE_FILE, "foo.c", "ce013625030ba8dba906f756967f9e9ca394464a" },
		{ GITSTORE_MODE_DIR, "foo", "4b825dc642cb6eb9a060e54bf8d69288fbee4904" },
		{ GITSTORE_MODE_FILE, "foo0", "ce013625030ba8dba906f756967f9e9ca394464a" },
		{ GITSTORE_MODE_LINK, "link", "8d14cbf983b3fad683171c9418998d9f68340823" },
		{ GITSTORE_MODE_EXEC, "run.sh", "1a2485251c33a70432394c93fb89330ef214bfc9" },
		{ GITSTORE_MODE_GITLINK, "sub", "1111111111111111111111111111111111111111" },
	};
	for (int i = 0; i < 6; i++) {
		e[i].mode = s[i].mode;
		e[i].name.p = (const uint8_t *)s[i].name;
		e[i].name.len = strlen(s[i].name);
		e[i].id = gt_oid(s[i].id);
	}
}

static void test_write_and_walk(void **state)
{
	(void)state;
	struct gitstore_tree_entry e[6], got;
	uint8_t buf[512];
	size_t need = 0;
	fill_sample(e);
	assert_int_equal(gitstore_tree_write(GITSTORE_SHA1, e, 6, buf, 10, &need), GITSTORE_ENOMEM);
	int n = gitstore_tree_write(GITSTORE_SHA1, e, 6, buf, sizeof buf, &need);
	assert_int_equal(n, (int)need);
	struct gitstore_oid id;
	char hex[GITSTORE_HEX_MAX];
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_TREE, buf, (size_t)n, &id);
	gt_hex(GITSTORE_SHA1, &id, hex);
	assert_string_equal(hex, T_HEX);
	assert_memory_equal(buf, "100644 foo.c\0", 13);
	uint8_t *g = gt_guard(buf, (size_t)n);
	assert_int_equal(gitstore_tree_check(GITSTORE_SHA1, g, (size_t)n, GITSTORE_CHECK_STRICT), 0);
	struct gitstore_tree_iter it;
	gitstore_tree_iter_init(&it, GITSTORE_SHA1, g, (size_t)n);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(gitstore_tree_next(&it, &got), 1);
		assert_int_equal(got.mode, e[i].mode);
		assert_int_equal(got.name.len, e[i].name.len);
		assert_memory_equal(got.name.p, e[i].name.p, got.name.len);
		assert_memory_equal(got.id.b, e[i].id.b, 20);
	}
	assert_int_equal(gitstore_tree_next(&it, &got), 0);
	/* git writes directories as "40000", without the leading zero */
	assert_non_null(memmem(buf, (size_t)n, "40000 foo\0", 10));
	assert_null(memmem(buf, (size_t)n, "040000", 6));
}

static void test_sort(void **state)
{
	(void)state;
	struct gitstore_tree_entry e[6], s[6];
	fill_sample(e);
	static const int perms[4][6] = { {5, 4, 3, 2, 1, 0}, {1, 0, 2, 3, 5, 4}, {2, 1, 0, 5, 3, 4}, {0, 1, 2, 3, 4, 5} };
	for (int p = 0; p < 4; p++) {
		for (int i = 0; i < 6; i++)
			s[i] = e[perms[p][i]];
		gitstore_tree_sort(s, 6);
		for (int i = 0; i < 6; i++)
			if (s[i].name.p != e[i].name.p)
				fail_msg("permutation %d: position %d is %.*s", p, i, (int)s[i].name.len, s[i].name.p);
	}
	/* "foo.c" < "foo" (dir, compares as "foo/") < "foo0" */
	assert_true(gitstore_tree_entry_cmp(&e[0], &e[1]) < 0);
	assert_true(gitstore_tree_entry_cmp(&e[1], &e[2]) < 0);
	struct gitstore_tree_entry f = e[1];
	f.mode = GITSTORE_MODE_FILE;   /* as a file, "foo" < "foo.c" */
	assert_true(gitstore_tree_entry_cmp(&f, &e[0]) < 0);
}

static void test_write_rejects(void **state)
{
	(void)state;
	struct gitstore_tree_entry e[6];
	uint8_t buf[512];
	fill_sample(e);
	struct gitstore_tree_entry t = e[0];
	e[0] = e[1];
	e[1] = t;
	assert_int_equal(gitstore_tree_write(GITSTORE_SHA1, e, 6, buf, sizeof buf, NULL), GITSTORE_ETREE_ORDER);
	fill_sample(e);
	e[1] = e[0];
	assert_int_equal(gitstore_tree_write(GITSTORE_SHA1, e, 6, buf, sizeof buf, NULL), GITSTORE_ETREE_DUP);
	fill_sample(e);
	e[0].name.len = 0;
	assert_int_equal(gitstore_tree_write(GITSTORE_SHA1, e, 6, buf, sizeof buf, NULL), GITSTORE_ETREE_EMPTY_NAME);
	fill_sample(e);
	e[0].name.p = (const uint8_t *)"a/b";
	e[0].name.len = 3;
	assert_int_equal(gitstore_tree_write(GITSTORE_SHA1, e, 1, buf, sizeof buf, NULL), GITSTORE_ETREE_SLASH);
}

static void test_format(void **state)
{
	(void)state;
	struct tb t = { .len = 0 };
	memcpy(t.b, "100644 a", 8);
	t.len = 8;
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_FORMAT);            /* no NUL, no id */
	t.len = 0;
	adds(&t, "100644", "a");
	t.len--;
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_FORMAT);            /* id truncated */
	t.len = 0;
	adds(&t, "100648", "a");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_FORMAT);            /* not octal */
	t.len = 0;
	memcpy(t.b, "100644a\0aaaaaaaaaaaaaaaaaaaaaaaaaaa", 36);
	t.len = 36;
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_FORMAT);            /* no space */
	one("100644", "", GITSTORE_ETREE_EMPTY_NAME, GITSTORE_ETREE_EMPTY_NAME);
	t.len = 0;
	assert_int_equal(check(&t, GITSTORE_CHECK_STRICT), 0);             /* the empty tree */
	assert_int_equal(gitstore_tree_check(GITSTORE_SHA256, t.b, 0, 0), 0);
	adds(&t, "100644", "a");
	/* a SHA-1 tree read as SHA-256 has 12 bytes too few for its id */
	assert_int_equal(gitstore_tree_check(GITSTORE_SHA256, t.b, t.len, 0), GITSTORE_ETREE_FORMAT);
}

static void test_names(void **state)
{
	(void)state;
	one("100644", "a/b", GITSTORE_ETREE_SLASH, 0);
	one("100644", ".", GITSTORE_ETREE_DOT, 0);
	one("40000", "..", GITSTORE_ETREE_DOTDOT, 0);
	one("40000", "...", 0, 0);
	static const char *const dotgit[] = {
		".git", ".GIT", ".Git", ".git.", ".git ", ".git. . ", "git~1", "GIT~1", "Git~1.",
		".g\xe2\x80\x8cit",          /* U+200C ZERO WIDTH NON-JOINER, ignored by HFS+ */
		"\xe2\x80\x8f.git",          /* U+200F RIGHT-TO-LEFT MARK */
		".git\xef\xbb\xbf",          /* U+FEFF */
		".gi\xe2\x81\xaft",          /* U+206F */
		".git\xff",                  /* malformed UTF-8 ends the name for git */
		"a\\.git", "x\\git~1\\y", ".git\\x",
	};
	for (size_t i = 0; i < sizeof dotgit / sizeof dotgit[0]; i++)
		one("40000", dotgit[i], GITSTORE_ETREE_DOTGIT, 0);
	static const char *const fine[] = {
		".gitx", ".github", "git", "git~2", ".gi", "x.git", ".g\xc3\xaft", "gitt~1",
		".git\xe2\x80\x8bx",         /* U+200B is not on HFS+'s list, and x follows */
		"\xc3\xa9t\xc3\xa9", "a\\b",
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
		one("40000", fine[i], 0, 0);
}

static void test_ids_and_modes(void **state)
{
	(void)state;
	struct tb t = { .len = 0 };
	add(&t, "100644", "a", 1, 0);
	assert_int_equal(check(&t, GITSTORE_CHECK_STRICT), GITSTORE_ETREE_NULL_ID);
	assert_int_equal(check(&t, 0), 0);
	one("0100644", "a", GITSTORE_ETREE_MODE_PAD, 0);
	one("040000", "d", GITSTORE_ETREE_MODE_PAD, 0);   /* git spells it 40000; 040000 is padded */
	one("40000", "d", 0, 0);
	one("100664", "a", GITSTORE_ETREE_MODE, 0);    /* early git wrote 100664 */
	one("100600", "a", GITSTORE_ETREE_MODE, 0);
	one("", "a", GITSTORE_ETREE_MODE, 0);          /* an empty mode parses as 0 */
	one("160000", "s", 0, 0);
	one("120000", "l", 0, 0);
	one("100755", "x", 0, 0);
}

static void test_order(void **state)
{
	(void)state;
	struct tb t = { .len = 0 };
	adds(&t, "100644", "b");
	adds(&t, "100644", "a");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_ORDER);
	t.len = 0;
	adds(&t, "40000", "foo");
	adds(&t, "100644", "foo.c");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_ORDER);   /* "foo/" sorts after "foo.c" */
	t.len = 0;
	adds(&t, "100644", "foo.c");
	adds(&t, "40000", "foo");
	adds(&t, "100644", "foo0");
	assert_int_equal(check(&t, GITSTORE_CHECK_STRICT), 0);
	t.len = 0;
	adds(&t, "100644", "a");
	adds(&t, "100644", "a");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_DUP);
	t.len = 0;
	adds(&t, "100644", "a");
	adds(&t, "40000", "a");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_DUP);
	/* non-consecutive duplicates, git's examples */
	t.len = 0;
	adds(&t, "100644", "x");
	adds(&t, "100644", "x.1");
	adds(&t, "40000", "x");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_DUP);
	t.len = 0;
	adds(&t, "100644", "x");
	adds(&t, "100644", "x.1.2");
	adds(&t, "40000", "x.1");
	adds(&t, "40000", "x");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_DUP);
	t.len = 0;
	adds(&t, "100644", "x.1");
	adds(&t, "40000", "x");
	assert_int_equal(check(&t, 0), 0);
	/* a candidate chain deeper than the fixed stack: found by the rescan */
	t.len = 0;
	char name[64] = "x";
	for (int i = 0; i < 45; i++) {
		adds(&t, "100644", name);
		strcat(name, "!");
	}
	adds(&t, "40000", "x");
	assert_int_equal(check(&t, 0), GITSTORE_ETREE_DUP);
	t.len = 0;
	strcpy(name, "y");
	adds(&t, "100644", "x");
	for (int i = 0; i < 45; i++) {
		adds(&t, "100644", name);
		strcat(name, "!");
	}
	adds(&t, "40000", "y!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
	assert_int_equal(check(&t, 0), 0);
}

static void test_gitmodules(void **state)
{
	(void)state;
	one("120000", ".gitmodules", GITSTORE_ETREE_GITMODULES_LINK, GITSTORE_ETREE_GITMODULES_LINK);
	one("120000", ".GITMODULES . ", GITSTORE_ETREE_GITMODULES_LINK, GITSTORE_ETREE_GITMODULES_LINK);
	one("120000", "gitmod~1", GITSTORE_ETREE_GITMODULES_LINK, GITSTORE_ETREE_GITMODULES_LINK);
	one("120000", "GI7EBA~9", GITSTORE_ETREE_GITMODULES_LINK, GITSTORE_ETREE_GITMODULES_LINK);
	one("120000", ".gitmodules\xe2\x80\x8c", GITSTORE_ETREE_GITMODULES_LINK, GITSTORE_ETREE_GITMODULES_LINK);
	one("120000", ".gitmodules:$DATA", GITSTORE_ETREE_GITMODULES_LINK, GITSTORE_ETREE_GITMODULES_LINK);
	one("100644", ".gitmodules", 0, 0);
	one("120000", ".gitmodulesx", 0, 0);
	one("120000", "gitmod~5", 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_walk),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_write_rejects),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ids_and_modes),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_gitmodules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
