/* The Git source: path rules as the directory source's (index.html,
 * directories, symbolic links inside the tree, misses), ETag the blob id,
 * and the commit a request started on kept for all its lookups while the
 * branch moves. The repository is written with libgitstore's key-value
 * view into a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "source_git.h"
#include "gitfollow.h"

static char dir[64];
static struct gf_repo *w;   /* the writer */
static struct gitstore_kv kv;
static uint8_t *work;
static struct gitsrc_shared *sh;

/* One commit of n (path, value) changes; value NULL removes, a value
 * starting with "->" is a symbolic link to the rest. */
static void commit(const char *const *pv, size_t n)
{
	struct gitstore_kv_change ch[32];
	assert_true(n <= 32);
	for (size_t i = 0; i < n; i++) {
		const char *v = pv[2 * i + 1];
		bool link = v && !strncmp(v, "->", 2);
		ch[i] = (struct gitstore_kv_change){ pv[2 * i], (const uint8_t *)(link ? v + 2 : v),
			v ? strlen(v) - (link ? 2 : 0) : 0, link ? GITSTORE_MODE_LINK : 0 };
		if (!strcmp(pv[2 * i], "site/x.sh"))
			ch[i].mode = GITSTORE_MODE_EXEC;
	}
	static const char ident[] = "t <t@example.test> 1700000000 +0000";
	struct gitstore_kv_commit_info ci = { { (const uint8_t *)ident, sizeof ident - 1 },
		{ (const uint8_t *)ident, sizeof ident - 1 }, { (const uint8_t *)"c\n", 2 } };
	struct gitstore_oid id;
	int rc = gitstore_kv_commit(&kv, ch, n, &ci, NULL, &id);
	if (rc < 0)
		fail_msg("commit: %s", gitstore_strerror(rc));
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test-source-git-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char p[128];
	snprintf(p, sizeof p, "%s/objects", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	w = gf_repo_open(dir);
	assert_non_null(w);
	work = malloc(1 << 20);
	assert_int_equal(gitstore_kv_init(&kv, &w->r, "refs/heads/main", work, 1 << 20), 0);
	const char *c1[] = {
		"site/index.html", "<p>root 1</p>\n",
		"site/a.txt", "A1\n",
		"site/404.html", "404 of commit 1\n",
		"site/d/index.html", "dir d\n",
		"site/x.sh", "#!/bin/sh\n",
		"site/link-a", "->a.txt",
		"site/link-d", "->d",
		"site/sub/up", "->../a.txt",
		"site/sub/deep/up2", "->../../d/index.html",
		"site/out", "->../../zones",
		"site/abs", "->/etc/passwd",
		"site/loop", "->loop",
		"site/dangling", "->nothing",
		"zones/example.test.zone", "not served\n",
	};
	commit(c1, sizeof c1 / sizeof c1[0] / 2);
	char err[1500];
	if (gitsrc_start(&sh, dir, "main", "site", 20, err, sizeof err) < 0)
		fail_msg("gitsrc_start: %s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gitsrc_stop(sh);
	gf_repo_close(w);
	free(work);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct source open_src(void)
{
	struct source s;
	struct gitsrc_cfg cfg = { .shared = sh, .cache_bytes = 1 << 20, .cache_entries = 1000 };
	assert_int_equal(gitsrc_open(&s, &cfg), 0);
	return s;
}

static struct src_entry *get(struct source *s, const char *path)
{
	return s->ops->get(s->ctx, path, strlen(path), 0);
}

/* path is a file with content want (its ETag the blob id), a directory
 * (want "DIR") or a miss (want NULL). */
static void expect(struct source *s, const char *path, const char *want)
{
	struct src_entry *e = get(s, path);
	if (!want) {
		if (e->kind != SRC_MISS)
			fail_msg("%s: kind %d, want a miss", path, e->kind);
	} else if (!strcmp(want, "DIR")) {
		if (e->kind != SRC_DIR)
			fail_msg("%s: kind %d, want a directory", path, e->kind);
	} else {
		if (e->kind != SRC_FILE)
			fail_msg("%s: kind %d, want a file", path, e->kind);
		const struct http_content *c = &e->content;
		if (c->size != strlen(want) || memcmp(c->data, want, strlen(want)) != 0)
			fail_msg("%s: content \"%.*s\", want \"%s\"", path, (int)c->size, (const char *)c->data, want);
		struct gitstore_oid id;
		char hex[GITSTORE_HEX_MAX], etag[GITSTORE_HEX_MAX + 2];
		gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, want, strlen(want), &id);
		gitstore_oid_to_hex(GITSTORE_SHA1, &id, hex);
		snprintf(etag, sizeof etag, "\"%s\"", hex);
		if (c->etag.len != strlen(etag) || memcmp(c->etag.p, etag, c->etag.len) != 0)
			fail_msg("%s: ETag %.*s, want %s", path, (int)c->etag.len, (const char *)c->etag.p, etag);
		assert_true(c->mtime < 0);
	}
	s->ops->put(s->ctx, e);
}

static void test_paths(void **state)
{
	(void)state;
	struct source s = open_src();
	s.ops->begin(s.ctx, 0);
	expect(&s, "", "<p>root 1</p>\n");
	expect(&s, "index.html", "<p>root 1</p>\n");
	expect(&s, "a.txt", "A1\n");
	expect(&s, "d", "DIR");
	expect(&s, "d/", "dir d\n");
	expect(&s, "d//", "dir d\n");
	expect(&s, "d/index.html/", NULL);
	expect(&s, "a.txt/", NULL);
	expect(&s, "a.txt/b", NULL);
	expect(&s, "nope", NULL);
	expect(&s, "nope/", NULL);
	expect(&s, "x.sh", "#!/bin/sh\n");
	/* symbolic links that stay inside the tree are followed */
	expect(&s, "link-a", "A1\n");
	expect(&s, "link-d", "DIR");
	expect(&s, "link-d/", "dir d\n");
	expect(&s, "link-d/index.html", "dir d\n");
	expect(&s, "sub/up", "A1\n");
	expect(&s, "sub/deep/up2", "dir d\n");
	/* out of the served tree, absolute, looping, dangling: misses */
	expect(&s, "out", NULL);
	expect(&s, "out/example.test.zone", NULL);
	expect(&s, "abs", NULL);
	expect(&s, "loop", NULL);
	expect(&s, "dangling", NULL);
	/* the media type comes from the name asked for */
	struct src_entry *e = get(&s, "index.html");
	assert_int_equal(e->kind, SRC_FILE);
	assert_memory_equal(e->content.type.p, "text/html", 9);
	s.ops->put(s.ctx, e);
	e = get(&s, "");
	assert_memory_equal(e->content.type.p, "text/html", 9);
	s.ops->put(s.ctx, e);
	s.ops->close(s.ctx);
}

/* Until path on a fresh request of s has content want (the follower polls
 * every 20 ms), at most 5 s. */
static void wait_content(struct source *s, const char *path, const char *want)
{
	for (int i = 0; i < 500; i++) {
		s->ops->begin(s->ctx, 0);
		struct src_entry *e = get(s, path);
		bool ok = e->kind == SRC_FILE && e->content.size == strlen(want) &&
			  memcmp(e->content.data, want, strlen(want)) == 0;
		s->ops->put(s->ctx, e);
		if (ok)
			return;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	fail_msg("%s never became \"%s\"", path, want);
}

static void test_one_commit_per_request(void **state)
{
	(void)state;
	struct source a = open_src(), b = open_src();
	/* A request on a starts on commit 1 and holds a.txt. */
	a.ops->begin(a.ctx, 0);
	struct src_entry *held = get(&a, "a.txt");
	assert_int_equal(held->kind, SRC_FILE);
	expect(&a, "p2.html", NULL);
	const char *c2[] = { "site/a.txt", "A2\n", "site/404.html", "404 of commit 2\n", "site/p2.html", "page 2\n" };
	commit(c2, 3);
	gitsrc_trigger(sh);
	wait_content(&b, "a.txt", "A2\n");
	/* Still the same request on a: its 404 page is commit 1's, although
	 * commit 2 is published. */
	expect(&a, "404.html", "404 of commit 1\n");
	expect(&a, "a.txt", "A1\n");
	/* The next request on a takes commit 2; what the first one holds
	 * keeps its bytes. */
	a.ops->begin(a.ctx, 0);
	expect(&a, "p2.html", "page 2\n");
	expect(&a, "404.html", "404 of commit 2\n");
	expect(&a, "a.txt", "A2\n");
	assert_int_equal(held->content.size, 3);
	assert_memory_equal(held->content.data, "A1\n", 3);
	a.ops->put(a.ctx, held);
	a.ops->close(a.ctx);
	b.ops->close(b.ctx);
}

static void test_refused_commit(void **state)
{
	(void)state;
	struct source s = open_src();
	wait_content(&s, "a.txt", "A2\n");
	/* A commit without the served directory is refused: commit 2 serves. */
	const char *c3[] = {
		"site/index.html", NULL, "site/a.txt", NULL, "site/404.html", NULL, "site/d/index.html", NULL,
		"site/x.sh", NULL, "site/link-a", NULL, "site/link-d", NULL, "site/sub/up", NULL,
		"site/sub/deep/up2", NULL, "site/out", NULL, "site/abs", NULL, "site/loop", NULL,
		"site/dangling", NULL, "site/p2.html", NULL,
	};
	commit(c3, sizeof c3 / sizeof c3[0] / 2);
	gitsrc_trigger(sh);
	nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	s.ops->begin(s.ctx, 0);
	expect(&s, "a.txt", "A2\n");
	/* and the next good one is taken */
	const char *c4[] = { "site/a.txt", "A4\n" };
	commit(c4, 1);
	wait_content(&s, "a.txt", "A4\n");
	expect(&s, "index.html", NULL);
	s.ops->close(s.ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_one_commit_per_request),
		cmocka_unit_test(test_refused_commit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
