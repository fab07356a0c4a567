/* Commits, tags and idents: parsed, written byte for byte as git does, and each fsck finding. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>
#include "gt_util.h"

#define TREE "82477e33442918c9a966a28d530b2eea316a2e3e"
static const char COMMIT[] =
	"tree " TREE "\n"
	"parent 1111111111111111111111111111111111111111\n"
	"parent 2222222222222222222222222222222222222222\n"
	"author A U Thor <a@example.org> 1700000000 +0100\n"
	"committer C O Mitter <c@example.org> 1700000001 -0530\n"
	"\n"
	"Merge two\n";
static const char TAG[] =
	"object 488500b72d00e49e4d2ff0fefb111b44ddb2a727\n"
	"type commit\n"
	"tag v1.0\n"
	"tagger T Agger <t@example.org> 1700000002 +0000\n"
	"\n"
	"Release\n";

static int cparse(const char *s, size_t len)
{
	struct gitstore_commit c;
	return gitstore_commit_parse(GITSTORE_SHA1, gt_guard(s, len), len, &c);
}

static int cp(const char *s)
{
	return cparse(s, strlen(s));
}

static int tp(const char *s)
{
	struct gitstore_tag t;
	return gitstore_tag_parse(GITSTORE_SHA1, gt_guard(s, strlen(s)), strlen(s), &t);
}

static void test_commit_roundtrip(void **state)
{
	(void)state;
	struct gitstore_commit c;
	const uint8_t *g = gt_guard(COMMIT, strlen(COMMIT));
	assert_int_equal(gitstore_commit_parse(GITSTORE_SHA1, g, strlen(COMMIT), &c), 0);
	char hex[GITSTORE_HEX_MAX];
	gt_hex(GITSTORE_SHA1, &c.tree, hex);
	assert_string_equal(hex, TREE);
	assert_int_equal(c.nparents, 2);
	struct gitstore_oid par[2];
	assert_int_equal(gitstore_commit_parent(&c, 1, &par[1]), 0);
	assert_int_equal(gitstore_commit_parent(&c, 0, &par[0]), 0);
	assert_int_equal(gitstore_commit_parent(&c, 2, &par[0]) , GITSTORE_EINVAL);
	gitstore_commit_parent(&c, 0, &par[0]);
	gt_hex(GITSTORE_SHA1, &par[1], hex);
	assert_string_equal(hex, "2222222222222222222222222222222222222222");
	assert_int_equal(c.message.len, 10);
	assert_memory_equal(c.message.p, "Merge two\n", 10);
	assert_int_equal(c.extra.len, 0);
	struct gitstore_ident id;
	assert_int_equal(gitstore_ident_parse(c.committer.p, c.committer.len, &id), 0);
	assert_int_equal(id.name.len, 10);
	assert_memory_equal(id.name.p, "C O Mitter", 10);
	assert_memory_equal(id.email.p, "c@example.org", id.email.len);
	assert_int_equal(id.time, 1700000001);
	assert_int_equal(id.tz, -330);

	/* written back byte for byte; the id is what `git hash-object -t commit` printed */
	uint8_t buf[512], ab[128], cb[128];
	int al = gitstore_ident_write("A U Thor", "a@example.org", 1700000000, 60, ab, sizeof ab);
	int cl = gitstore_ident_write("C O Mitter", "c@example.org", 1700000001, -330, cb, sizeof cb);
	assert_true(al > 0 && cl > 0);
	struct gitstore_commit_info ci = {
		.tree = &c.tree, .parents = par, .nparents = 2,
		.author = { ab, (size_t)al }, .committer = { cb, (size_t)cl },
		.message = { (const uint8_t *)"Merge two\n", 10 },
	};
	size_t need = 0;
	assert_int_equal(gitstore_commit_write(GITSTORE_SHA1, &ci, buf, 20, &need), GITSTORE_ENOMEM);
	assert_int_equal(need, strlen(COMMIT));
	int n = gitstore_commit_write(GITSTORE_SHA1, &ci, buf, sizeof buf, &need);
	assert_int_equal(n, (int)strlen(COMMIT));
	assert_memory_equal(buf, COMMIT, strlen(COMMIT));
	struct gitstore_oid oid;
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_COMMIT, buf, (size_t)n, &oid);
	gt_hex(GITSTORE_SHA1, &oid, hex);
	assert_string_equal(hex, "488500b72d00e49e4d2ff0fefb111b44ddb2a727");
	assert_int_equal(gitstore_ident_write("a<b", "x", 1, 0, ab, sizeof ab), GITSTORE_EINVAL);
	assert_int_equal(gitstore_ident_write("a", "x\n", 1, 0, ab, sizeof ab), GITSTORE_EINVAL);
	assert_int_equal(gitstore_ident_write("a", "x", 1, 0, ab, 5), GITSTORE_ENOMEM);
}

static void test_tag_roundtrip(void **state)
{
	(void)state;
	struct gitstore_tag t;
	const uint8_t *g = gt_guard(TAG, strlen(TAG));
	assert_int_equal(gitstore_tag_parse(GITSTORE_SHA1, g, strlen(TAG), &t), 0);
	assert_int_equal(t.type, GITSTORE_COMMIT);
	assert_memory_equal(t.name.p, "v1.0", 4);
	assert_int_equal(t.name.len, 4);
	assert_memory_equal(t.message.p, "Release\n", 8);
	uint8_t tb[128], buf[512];
	int tl = gitstore_ident_write("T Agger", "t@example.org", 1700000002, 0, tb, sizeof tb);
	struct gitstore_tag_info ti = { .object = &t.object, .type = GITSTORE_COMMIT,
		.name = { (const uint8_t *)"v1.0", 4 }, .tagger = { tb, (size_t)tl },
		.message = { (const uint8_t *)"Release\n", 8 } };
	int n = gitstore_tag_write(GITSTORE_SHA1, &ti, buf, sizeof buf, NULL);
	assert_int_equal(n, (int)strlen(TAG));
	assert_memory_equal(buf, TAG, strlen(TAG));
	struct gitstore_oid oid;
	char hex[GITSTORE_HEX_MAX];
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_TAG, buf, (size_t)n, &oid);
	gt_hex(GITSTORE_SHA1, &oid, hex);
	assert_string_equal(hex, "add6cd13564cc2257a3926a8861bfc4ea5ff97ab");
	/* an early tag without tagger, with extra headers */
	assert_int_equal(tp("object 488500b72d00e49e4d2ff0fefb111b44ddb2a727\ntype blob\ntag x\n\nold\n"), 0);
	assert_int_equal(tp("object 488500b72d00e49e4d2ff0fefb111b44ddb2a727\ntype blob\ntag x\n"), 0);
}

#define H "tree " TREE "\n"
#define A "author A <a@b> 1 +0000\n"
#define C "committer C <c@d> 2 +0000\n"

static void test_commit_rejects(void **state)
{
	(void)state;
	assert_int_equal(cp(H A C "\nmsg"), 0);
	assert_int_equal(cp(H A C), 0);
	assert_int_equal(cp(H A C "encoding ISO-8859-1\ngpgsig -----BEGIN\n x\n -----END\n\nm"), 0);
	assert_int_equal(cparse(H A "committer C <c@d> 2 +0000\0\n\n", strlen(H A) + 27 + 2), GITSTORE_EHDR_NUL);
	assert_int_equal(cparse(H A C "\nbody\0with nul", strlen(H A C) + 15), 0);
	assert_int_equal(gitstore_obj_check(GITSTORE_SHA1, GITSTORE_COMMIT, (const uint8_t *)H A C "\nbody\0with nul",
		strlen(H A C) + 15, GITSTORE_CHECK_STRICT), GITSTORE_ECOMMIT_NUL);
	assert_int_equal(gitstore_obj_check(GITSTORE_SHA1, GITSTORE_COMMIT, (const uint8_t *)H A C "\nbody\0with nul",
		strlen(H A C) + 15, 0), 0);
	assert_int_equal(cp(H A "committer C <c@d> 2 +0000"), GITSTORE_EHDR_UNTERMINATED);
	assert_int_equal(cp(A C "\n"), GITSTORE_ECOMMIT_NO_TREE);
	assert_int_equal(cp("tree 82477e33442918c9a966a28d530b2eea316a2e3\n" A C), GITSTORE_ECOMMIT_TREE_ID);
	assert_int_equal(cp("tree 82477e33442918c9a966a28d530b2eea316a2e3g\n" A C), GITSTORE_ECOMMIT_TREE_ID);
	assert_int_equal(cp("tree " TREE " \n" A C), GITSTORE_ECOMMIT_TREE_ID);
	assert_int_equal(cp(H "parent 12\n" A C), GITSTORE_ECOMMIT_PARENT_ID);
	assert_int_equal(cp(H C), GITSTORE_ECOMMIT_NO_AUTHOR);
	assert_int_equal(cp(H A A C), GITSTORE_ECOMMIT_AUTHORS);
	assert_int_equal(cp(H A "\n"), GITSTORE_ECOMMIT_NO_COMMITTER);
	assert_int_equal(cp(H A "committer C <c@d> 2 +0000\nauthor A <a@b> 1 +0000\n"), 0);
	/* parents after author are not parents: an extra header, as in git */
	assert_int_equal(cp(H A C "parent 1111111111111111111111111111111111111111\n"), 0);
}

static int ip(const char *s)
{
	struct gitstore_ident id;
	return gitstore_ident_parse(gt_guard(s, strlen(s)), strlen(s), &id);
}

static void test_idents(void **state)
{
	(void)state;
	assert_int_equal(ip("A <a@b> 1 +0000"), 0);
	assert_int_equal(ip(" <a@b> 1 +0000"), 0);            /* empty name: git allows it */
	assert_int_equal(ip("A <> 0 -1200"), 0);              /* empty email, date 0 */
	assert_int_equal(ip("<a@b> 1 +0000"), GITSTORE_EIDENT_NO_NAME);
	assert_int_equal(ip("A> <a@b> 1 +0000"), GITSTORE_EIDENT_BAD_NAME);
	assert_int_equal(ip("A a@b 1 +0000"), GITSTORE_EIDENT_NO_EMAIL);
	assert_int_equal(ip("A<a@b> 1 +0000"), GITSTORE_EIDENT_SPACE_EMAIL);
	assert_int_equal(ip("A <a@b 1 +0000"), GITSTORE_EIDENT_BAD_EMAIL);
	assert_int_equal(ip("A <a<b> 1 +0000"), GITSTORE_EIDENT_BAD_EMAIL);
	assert_int_equal(ip("A <a@b>1 +0000"), GITSTORE_EIDENT_SPACE_DATE);
	assert_int_equal(ip("A <a@b> 01 +0000"), GITSTORE_EIDENT_DATE_PAD);
	assert_int_equal(ip("A <a@b> 99999999999999999999 +0000"), GITSTORE_EIDENT_DATE_OVERFLOW);
	assert_int_equal(ip("A <a@b> 9223372036854775808 +0000"), GITSTORE_EIDENT_DATE_OVERFLOW);
	assert_int_equal(ip("A <a@b> 9223372036854775807 +0000"), 0);
	assert_int_equal(ip("A <a@b> -1 +0000"), GITSTORE_EIDENT_DATE_OVERFLOW);
	assert_int_equal(ip("A <a@b> x +0000"), GITSTORE_EIDENT_DATE);
	assert_int_equal(ip("A <a@b> 1x +0000"), GITSTORE_EIDENT_DATE);
	assert_int_equal(ip("A <a@b> "), GITSTORE_EIDENT_DATE);
	assert_int_equal(ip("A <a@b> 1 0000"), GITSTORE_EIDENT_TZ);
	assert_int_equal(ip("A <a@b> 1 +000"), GITSTORE_EIDENT_TZ);
	assert_int_equal(ip("A <a@b> 1 +00000"), GITSTORE_EIDENT_TZ);
	assert_int_equal(ip("A <a@b> 1 +00a0"), GITSTORE_EIDENT_TZ);
	assert_int_equal(ip("A <a@b> 1"), GITSTORE_EIDENT_DATE);
	/* strtoumax takes white space and a sign before the digits, so git does */
	assert_int_equal(ip("A <a@b>  1 +0000"), 0);
	assert_int_equal(ip("A <a@b> +1 +0000"), 0);
	assert_int_equal(ip(""), GITSTORE_EIDENT_NO_EMAIL);
}

#define O "object 488500b72d00e49e4d2ff0fefb111b44ddb2a727\n"
static void test_tag_rejects(void **state)
{
	(void)state;
	assert_int_equal(tp("type commit\ntag v\n"), GITSTORE_ETAG_NO_OBJECT);
	assert_int_equal(tp("object 4885\ntype commit\ntag v\n"), GITSTORE_ETAG_OBJECT_ID);
	assert_int_equal(tp(O "tag v\n"), GITSTORE_ETAG_NO_TYPE);
	assert_int_equal(tp(O "type commit"), GITSTORE_EHDR_UNTERMINATED);
	assert_int_equal(tp(O "type kommit\ntag v\n"), GITSTORE_ETAG_TYPE);
	assert_int_equal(tp(O "type commit\n\n"), GITSTORE_ETAG_NO_NAME);
	assert_int_equal(tp(O "type commit\ntag v\ntagger x\n"), GITSTORE_EIDENT_NO_EMAIL);
	assert_int_equal(tp(O "type commit\ntag v\ntagger T <t> 1 +0000\n\nmsg\n"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_roundtrip),
		cmocka_unit_test(test_tag_roundtrip),
		cmocka_unit_test(test_commit_rejects),
		cmocka_unit_test(test_idents),
		cmocka_unit_test(test_tag_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
