/* The key-value view: batches as commits, test-and-set, get/list, history, diff, and bad paths. */
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
static uint8_t arena[GITSTORE_DEFLATE_ARENA];
static uint8_t work[1 << 16];
static uint8_t ident[128];
static struct gitstore_kv_commit_info info;

static void set_info(void)
{
	int n = gitstore_ident_write("K V", "kv@example.org", 1700000000, 0, ident, sizeof ident);
	info.author.p = info.committer.p = ident;
	info.author.len = info.committer.len = (size_t)n;
	info.message.p = (const uint8_t *)"change\n";
	info.message.len = 7;
}

static void setup_kv(struct gitstore_repo *r, struct gitstore_kv *kv)
{
	gt_mem_free(&mem);
	assert_int_equal(gitstore_repo_init(r, &gt_mem_ops, &mem, GITSTORE_SHA1, NULL, arena, sizeof arena), 0);
	assert_int_equal(gitstore_kv_init(kv, r, "refs/heads/main", work, sizeof work), 0);
	set_info();
}

static int get(struct gitstore_kv *kv, const struct gitstore_oid *c, const char *path, char *out)
{
	int n = gitstore_kv_get(kv, c, path, (uint8_t *)out, 255, NULL);
	if (n >= 0)
		out[n] = 0;
	return n;
}

#define CH(p, v) { p, (const uint8_t *)(v), sizeof(v) - 1, 0 }
#define RM(p) { p, NULL, 0, 0 }

struct names {
	char s[16][64];
	int n;
};

static int add_name(void *arg, const struct gitstore_tree_entry *e)
{
	struct names *l = arg;
	snprintf(l->s[l->n++], 64, "%s%.*s", (e->mode & 0170000) == 0040000 ? "d:" : "", (int)e->name.len, e->name.p);
	return 0;
}

static int add_commit(void *arg, const struct gitstore_oid *c)
{
	struct gitstore_oid *list = arg;
	int i = 0;
	while (!gitstore_oid_is_zero(&list[i]))
		i++;
	list[i] = *c;
	return 0;
}

struct changes {
	char s[8][128];
	int n;
};

static int add_change(void *arg, const char *path, const struct gitstore_oid *old, const struct gitstore_oid *new_id)
{
	struct changes *c = arg;
	snprintf(c->s[c->n++], 128, "%c %s", gitstore_oid_is_zero(old) ? 'A' : gitstore_oid_is_zero(new_id) ? 'D' : 'M', path);
	return 0;
}

static void test_kv(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_kv kv;
	struct gitstore_oid c1, c2, c3, head, zero = { { 0 } }, old = { { 0 } };
	char v[256];
	setup_kv(&r, &kv);
	assert_int_equal(gitstore_kv_head(&kv, &head), GITSTORE_ENOENT);
	assert_int_equal(get(&kv, NULL, "README", v), GITSTORE_ENOENT);

	const struct gitstore_kv_change first[] = {
		CH("README", "hello\n"), CH("site/index.html", "<h1>one</h1>\n"),
		CH("site/css/main.css", "body{}\n"), CH("zones/example.test.zone", "@ SOA ...\n"),
		{ "site/run.sh", (const uint8_t *)"#!/bin/sh\n", 10, GITSTORE_MODE_EXEC },
	};
	assert_int_equal(gitstore_kv_commit(&kv, first, 5, &info, &zero, &c1), 0);
	assert_int_equal(gitstore_kv_head(&kv, &head), 0);
	assert_memory_equal(head.b, c1.b, 20);
	assert_int_equal(get(&kv, NULL, "site/index.html", v), 13);
	assert_string_equal(v, "<h1>one</h1>\n");
	assert_int_equal(get(&kv, &c1, "site/css/main.css", v), 7);
	struct names l = { .n = 0 };
	assert_int_equal(gitstore_kv_list(&kv, NULL, "", add_name, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.s[0], "README");
	assert_string_equal(l.s[1], "d:site");
	assert_string_equal(l.s[2], "d:zones");
	l.n = 0;
	assert_int_equal(gitstore_kv_list(&kv, NULL, "site", add_name, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.s[0], "d:css");
	assert_string_equal(l.s[1], "index.html");
	assert_string_equal(l.s[2], "run.sh");

	/* test-and-set: a stale base changes nothing */
	const struct gitstore_kv_change second[] = { CH("site/index.html", "<h1>two</h1>\n"), RM("README") };
	assert_int_equal(gitstore_kv_commit(&kv, second, 2, &info, &zero, &c2), GITSTORE_EREF_STALE);
	assert_int_equal(gitstore_kv_commit(&kv, second, 2, &info, &c1, &c2), 0);
	assert_int_equal(gitstore_kv_commit(&kv, second, 2, &info, &c1, &c3), GITSTORE_EREF_STALE);
	assert_int_equal(gitstore_kv_head(&kv, &head), 0);
	assert_memory_equal(head.b, c2.b, 20);
	assert_int_equal(get(&kv, NULL, "README", v), GITSTORE_ENOENT);
	assert_int_equal(get(&kv, &c1, "README", v), 6);
	assert_int_equal(get(&kv, NULL, "site/index.html", v), 13);
	assert_string_equal(v, "<h1>two</h1>\n");

	/* the last file of a directory goes: so does the directory */
	const struct gitstore_kv_change third[] = { RM("zones/example.test.zone") };
	assert_int_equal(gitstore_kv_commit(&kv, third, 1, &info, NULL, &c3), 0);
	l.n = 0;
	assert_int_equal(gitstore_kv_list(&kv, NULL, "", add_name, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.s[0], "d:site");

	/* history of paths, newest first */
	struct gitstore_oid hist[8];
	memset(hist, 0, sizeof hist);
	assert_int_equal(gitstore_kv_history(&kv, "site/index.html", 100, add_commit, hist), 0);
	assert_memory_equal(hist[0].b, c2.b, 20);
	assert_memory_equal(hist[1].b, c1.b, 20);
	assert_true(gitstore_oid_is_zero(&hist[2]));
	memset(hist, 0, sizeof hist);
	assert_int_equal(gitstore_kv_history(&kv, "zones/example.test.zone", 100, add_commit, hist), 0);
	assert_memory_equal(hist[0].b, c3.b, 20);
	assert_memory_equal(hist[1].b, c1.b, 20);
	memset(hist, 0, sizeof hist);
	assert_int_equal(gitstore_kv_history(&kv, "site/css/main.css", 1, add_commit, hist), 0);
	assert_true(gitstore_oid_is_zero(&hist[0]));   /* looked at one commit only */

	/* what changed */
	struct changes ch = { .n = 0 };
	assert_int_equal(gitstore_kv_diff(&kv, &c1, &c3, add_change, &ch), 0);
	assert_int_equal(ch.n, 3);
	assert_string_equal(ch.s[0], "D README");
	assert_string_equal(ch.s[1], "M site/index.html");
	assert_string_equal(ch.s[2], "D zones/example.test.zone");
	ch.n = 0;
	assert_int_equal(gitstore_kv_diff(&kv, NULL, &c1, add_change, &ch), 0);
	assert_int_equal(ch.n, 5);
	assert_string_equal(ch.s[1], "A site/css/main.css");

	/* a file becomes a directory when a path goes below it */
	const struct gitstore_kv_change fourth[] = { CH("site/index.html/deeper", "x\n") };
	assert_int_equal(gitstore_kv_commit(&kv, fourth, 1, &info, NULL, &old), 0);
	assert_int_equal(get(&kv, NULL, "site/index.html", v), GITSTORE_EKV_ISDIR);
	assert_int_equal(get(&kv, NULL, "site/index.html/deeper", v), 2);
	assert_int_equal(get(&kv, NULL, "site/run.sh/x", v), GITSTORE_EKV_NOTDIR);
	gt_mem_free(&mem);
}

static void test_bad_paths(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_kv kv;
	struct gitstore_oid c;
	char v[256];
	setup_kv(&r, &kv);
	static const char *const bad[] = { "", "/a", "a/", "a//b", ".", "..", "a/../b", ".git/config",
		"x/.GIT/y", "git~1/x", ".g\xe2\x80\x8cit" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const struct gitstore_kv_change one = { bad[i], (const uint8_t *)"x", 1, 0 };
		if (gitstore_kv_commit(&kv, &one, 1, &info, NULL, &c) != GITSTORE_EKV_PATH)
			fail_msg("committed path \"%s\"", bad[i]);
	}
	assert_int_equal(gitstore_kv_head(&kv, &c), GITSTORE_ENOENT);
	const struct gitstore_kv_change ok = CH("a", "x");
	assert_int_equal(gitstore_kv_commit(&kv, &ok, 1, &info, NULL, &c), 0);
	assert_int_equal(get(&kv, NULL, "a/../a", v), GITSTORE_EKV_PATH);
	assert_int_equal(get(&kv, NULL, "", v), GITSTORE_EKV_ISDIR);
	const struct gitstore_kv_change rm = RM("nope");
	assert_int_equal(gitstore_kv_commit(&kv, &rm, 1, &info, NULL, &c), GITSTORE_ENOENT);
	const struct gitstore_kv_change rm2 = RM("a/b");
	assert_int_equal(gitstore_kv_commit(&kv, &rm2, 1, &info, NULL, &c), GITSTORE_ENOENT);
	const struct gitstore_kv_change mode = { "b", (const uint8_t *)"x", 1, 0100600 };
	assert_int_equal(gitstore_kv_commit(&kv, &mode, 1, &info, NULL, &c), GITSTORE_EINVAL);
	char deep[200] = "a";
	for (int i = 0; i < 40; i++)
		strcat(deep, "/a");
	const struct gitstore_kv_change d = { deep, (const uint8_t *)"x", 1, 0 };
	assert_int_equal(gitstore_kv_commit(&kv, &d, 1, &info, NULL, &c), GITSTORE_EKV_PATH);
	/* a work buffer too small for the trees */
	static uint8_t tiny[64];
	struct gitstore_kv small;
	gitstore_kv_init(&small, &r, "refs/heads/main", tiny, sizeof tiny);
	const struct gitstore_kv_change many[] = { CH("abcdefghijklmnop", "1"), CH("bcdefghijklmnopq", "2") };
	assert_int_equal(gitstore_kv_commit(&small, many, 2, &info, NULL, &c), GITSTORE_ENOMEM);
	assert_int_equal(gitstore_kv_init(&small, &r, "main", tiny, sizeof tiny), GITSTORE_EREF_NAME);
	gt_mem_free(&mem);
}

/* The same reads through a pack instead of loose objects. */
static void test_through_pack(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_kv kv;
	struct gitstore_oid c;
	char v[256];
	setup_kv(&r, &kv);
	const struct gitstore_kv_change first[] = { CH("dir/file", "packed value\n") };
	assert_int_equal(gitstore_kv_commit(&kv, first, 1, &info, NULL, &c), 0);
	/* move every loose object into one pack */
	static uint8_t pack[1 << 16], idx[4096], obj[4096], scratch[8 * 1025 + 8192];
	static struct gitstore_index_slot slots[16];
	struct gitstore_pack_writer w;
	struct gitstore_oid sum;
	int nobj = 0;
	for (int i = 0; i < GT_MEM_FILES; i++)
		nobj += mem.f[i].used && strncmp(mem.f[i].name, "objects/", 8) == 0;
	size_t pl = (size_t)gitstore_pack_writer_begin(&w, GITSTORE_SHA1, (uint32_t)nobj, &r.arena, pack, sizeof pack);
	int k = 0;
	for (int i = 0; i < GT_MEM_FILES; i++) {
		if (!mem.f[i].used || strncmp(mem.f[i].name, "objects/", 8) != 0)
			continue;
		char hex[41];
		snprintf(hex, sizeof hex, "%.2s%.38s", mem.f[i].name + 8, mem.f[i].name + 11);
		struct gitstore_oid id = gt_oid(hex);
		int type, n = gitstore_loose_read(&r, &id, &type, obj, sizeof obj, NULL);
		assert_true(n >= 0);
		int m = gitstore_pack_writer_object(&w, type, obj, (size_t)n, pack + pl, sizeof pack - pl, &slots[k++]);
		assert_true(m > 0);
		pl += (size_t)m;
	}
	pl += (size_t)gitstore_pack_writer_finish(&w, pack + pl, sizeof pack - pl, &sum);
	int il = gitstore_idx_write(GITSTORE_SHA1, slots, (uint32_t)k, &sum, idx, sizeof idx, NULL);
	for (int i = 0; i < GT_MEM_FILES; i++)
		if (mem.f[i].used && strncmp(mem.f[i].name, "objects/", 8) == 0)
			gt_mem_remove(&mem, mem.f[i].name);
	assert_int_equal(get(&kv, NULL, "dir/file", v), GITSTORE_ENOENT);
	struct gitstore_idx x;
	struct gitstore_pack p;
	static uint8_t parena[GITSTORE_INFLATE_ARENA];
	struct gitstore_arena pa;
	gitstore_arena_init(&pa, parena, sizeof parena);
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, idx, (size_t)il, pl, GITSTORE_IDX_VERIFY), 0);
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, pack, pl, &x, NULL, &pa), 0);
	gitstore_repo_set_packs(&r, &p, 1, scratch, sizeof scratch);
	assert_int_equal(get(&kv, NULL, "dir/file", v), 13);
	assert_string_equal(v, "packed value\n");
	/* and a new commit on top mixes packed and loose objects */
	const struct gitstore_kv_change second[] = { CH("dir/other", "loose\n") };
	assert_int_equal(gitstore_kv_commit(&kv, second, 1, &info, &c, &c), 0);
	assert_int_equal(get(&kv, NULL, "dir/file", v), 13);
	assert_int_equal(get(&kv, NULL, "dir/other", v), 6);
	gt_mem_free(&mem);
}

struct paths {
	char s[8][128];
	int n;
};

static int add_path(void *arg, const char *path)
{
	struct paths *p = arg;
	snprintf(p->s[p->n++], 128, "%s", path);
	return 0;
}

static void test_merge(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_kv kv, fk;
	struct gitstore_oid base, ours, theirs, m, head;
	char v[256];
	setup_kv(&r, &kv);
	assert_int_equal(gitstore_kv_init(&fk, &r, "refs/heads/feature", work, sizeof work), 0);
	const struct gitstore_kv_change c0[] = { CH("README", "hello\n"), CH("site/index.html", "one\n"),
		CH("site/css/main.css", "css\n"), CH("gone.txt", "bye\n"), CH("both.txt", "same\n") };
	assert_int_equal(gitstore_kv_commit(&kv, c0, 5, &info, NULL, &base), 0);
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/feature", &base, NULL), 0);
	const struct gitstore_kv_change co[] = { CH("site/index.html", "two\n"), CH("site/a", "a\n"),
		RM("gone.txt"), CH("both.txt", "changed alike\n") };
	assert_int_equal(gitstore_kv_commit(&kv, co, 4, &info, NULL, &ours), 0);
	const struct gitstore_kv_change ct[] = { CH("site/css/main.css", "CSS\n"), CH("site/b", "b\n"),
		CH("new.txt", "new\n"), CH("both.txt", "changed alike\n") };
	assert_int_equal(gitstore_kv_commit(&fk, ct, 4, &info, NULL, &theirs), 0);

	/* the merge base of the two branches is where they forked */
	static struct gitstore_commit_mark marks[16];
	static uint32_t mindex[64];
	static uint8_t cb[1024];
	struct gitstore_oid mb;
	size_t need = 0;
	assert_int_equal(gitstore_merge_base(&r, &ours, &theirs, marks, 16, mindex, 64, cb, sizeof cb, &mb, &need), 0);
	assert_memory_equal(mb.b, base.b, 20);
	assert_int_equal(gitstore_merge_base(&r, &theirs, &ours, marks, 16, mindex, 64, cb, sizeof cb, &mb, &need), 0);
	assert_memory_equal(mb.b, base.b, 20);
	assert_int_equal(gitstore_merge_base(&r, &ours, &base, marks, 16, mindex, 64, cb, sizeof cb, &mb, &need), 0);
	assert_memory_equal(mb.b, base.b, 20);   /* an ancestor is its own merge base */
	assert_int_equal(gitstore_merge_base(&r, &ours, &theirs, marks, 1, mindex, 64, cb, sizeof cb, &mb, &need),
		GITSTORE_ENOMEM);
	assert_int_equal(gitstore_merge_base(&r, &ours, &theirs, marks, 16, mindex, 60, cb, sizeof cb, &mb, &need),
		GITSTORE_EINVAL);

	struct paths p = { .n = 0 };
	assert_int_equal(gitstore_kv_merge(&kv, &base, &theirs, &info, &base, add_path, &p, &m), GITSTORE_EREF_STALE);
	assert_int_equal(gitstore_kv_merge(&kv, &base, &theirs, &info, &ours, add_path, &p, &m), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(gitstore_kv_head(&kv, &head), 0);
	assert_memory_equal(head.b, m.b, 20);
	static const char *const want[][2] = {
		{ "README", "hello\n" }, { "site/index.html", "two\n" }, { "site/css/main.css", "CSS\n" },
		{ "site/a", "a\n" }, { "site/b", "b\n" }, { "new.txt", "new\n" }, { "both.txt", "changed alike\n" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_int_equal(get(&kv, NULL, want[i][0], v), (int)strlen(want[i][1]));
		assert_string_equal(v, want[i][1]);
	}
	assert_int_equal(get(&kv, NULL, "gone.txt", v), GITSTORE_ENOENT);
	/* the merge commit has both parents, ours first */
	int type;
	static uint8_t cbuf[1024];
	int n = gitstore_obj_read(&r, &m, &type, cbuf, sizeof cbuf, NULL);
	struct gitstore_commit cm;
	struct gitstore_oid p1;
	assert_int_equal(gitstore_commit_parse(GITSTORE_SHA1, cbuf, (size_t)n, &cm), 0);
	assert_int_equal(cm.nparents, 2);
	gitstore_commit_parent(&cm, 1, &p1);
	assert_memory_equal(p1.b, theirs.b, 20);

	/* conflicts: changed differently on both sides, modified against removed */
	const struct gitstore_kv_change x1[] = { CH("README", "ours\n"), CH("site/css/main.css", "mine\n") };
	const struct gitstore_kv_change x2[] = { CH("README", "theirs\n"), RM("site/css/main.css") };
	struct gitstore_oid mbase = m, o2, t2, none;
	assert_int_equal(gitstore_ref_update(&r, "refs/heads/feature", &m, NULL), 0);
	assert_int_equal(gitstore_kv_commit(&kv, x1, 2, &info, NULL, &o2), 0);
	assert_int_equal(gitstore_kv_commit(&fk, x2, 2, &info, NULL, &t2), 0);
	p.n = 0;
	/* after a merge, the base of the next one is the merge commit */
	assert_int_equal(gitstore_merge_base(&r, &o2, &t2, marks, 16, mindex, 64, cb, sizeof cb, &mb, &need), 0);
	assert_memory_equal(mb.b, mbase.b, 20);
	assert_int_equal(gitstore_kv_merge(&kv, &mb, &t2, &info, NULL, add_path, &p, &none), 2);
	/* unrelated histories share nothing */
	struct gitstore_kv lone;
	struct gitstore_oid l1;
	assert_int_equal(gitstore_kv_init(&lone, &r, "refs/heads/lone", work, sizeof work), 0);
	const struct gitstore_kv_change lc[] = { CH("x", "y") };
	assert_int_equal(gitstore_kv_commit(&lone, lc, 1, &info, NULL, &l1), 0);
	assert_int_equal(gitstore_merge_base(&r, &l1, &t2, marks, 16, mindex, 64, cb, sizeof cb, &mb, &need),
		GITSTORE_ENOENT);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.s[0], "README");
	assert_string_equal(p.s[1], "site/css/main.css");
	assert_int_equal(gitstore_kv_head(&kv, &head), 0);
	assert_memory_equal(head.b, o2.b, 20);   /* nothing committed */
	gt_mem_free(&mem);
}

/* The same store in a SHA-256 repository: ids of 32 bytes everywhere. */
static void test_sha256(void **state)
{
	(void)state;
	struct gitstore_repo r;
	struct gitstore_kv kv;
	struct gitstore_oid c1, c2, mb;
	char v[256];
	gt_mem_free(&mem);
	assert_int_equal(gitstore_repo_init(&r, &gt_mem_ops, &mem, GITSTORE_SHA256, NULL, arena, sizeof arena), 0);
	assert_int_equal(gitstore_kv_init(&kv, &r, "refs/heads/main", work, sizeof work), 0);
	set_info();
	const struct gitstore_kv_change a[] = { CH("dir/a", "one\n"), CH("b", "two\n") };
	assert_int_equal(gitstore_kv_commit(&kv, a, 2, &info, NULL, &c1), 0);
	const struct gitstore_kv_change b[] = { CH("dir/a", "three\n") };
	assert_int_equal(gitstore_kv_commit(&kv, b, 1, &info, &c1, &c2), 0);
	assert_int_equal(get(&kv, NULL, "dir/a", v), 6);
	assert_int_equal(get(&kv, &c1, "dir/a", v), 4);
	struct gt_file *f = gt_mem_find(&mem, "refs/heads/main");
	assert_non_null(f);
	assert_int_equal(f->len, 65);
	char name[GITSTORE_LOOSE_NAME_MAX];
	gitstore_loose_name(GITSTORE_SHA256, &c2, name);
	assert_int_equal(strlen(name), 8 + 2 + 1 + 62);
	assert_non_null(gt_mem_find(&mem, name));
	struct changes ch = { .n = 0 };
	assert_int_equal(gitstore_kv_diff(&kv, &c1, &c2, add_change, &ch), 0);
	assert_int_equal(ch.n, 1);
	assert_string_equal(ch.s[0], "M dir/a");
	static struct gitstore_commit_mark marks[8];
	static uint32_t mindex[32];
	static uint8_t cb[1024];
	assert_int_equal(gitstore_merge_base(&r, &c1, &c2, marks, 8, mindex, 32, cb, sizeof cb, &mb, NULL), 0);
	assert_memory_equal(mb.b, c1.b, 32);
	gt_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_through_pack),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_sha256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
