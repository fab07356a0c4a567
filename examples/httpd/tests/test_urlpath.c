/* urlpath_resolve: decoding once, normalisation, and every way a target
 * could try to leave the root. Inputs sit right before a PROT_NONE page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "../urlpath.h"

static uint8_t *guard_copy(const char *s, size_t n)
{
	static uint8_t *pages;
	long pg = sysconf(_SC_PAGESIZE);
	if (!pages) {
		pages = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(pages != MAP_FAILED);
		assert_int_equal(mprotect(pages + pg, (size_t)pg, PROT_NONE), 0);
	}
	uint8_t *p = pages + pg - n;
	memcpy(p, s, n);
	return p;
}

static int resolve(const char *target, char *buf, size_t cap, struct urlpath *u)
{
	size_t n = strlen(target);
	return urlpath_resolve(u, guard_copy(target, n), n, buf, cap);
}

static void expect(const char *target, int want, const char *path, bool dir)
{
	char buf[4096];
	struct urlpath u;
	int r = resolve(target, buf, sizeof buf, &u);
	if (r != want || (want >= 0 && (strcmp(u.path, path) != 0 || u.dir != dir))) {
		print_error("target '%s': got %d '%s' dir=%d, want %d '%s' dir=%d\n", target, r,
			r >= 0 ? u.path : "", r >= 0 ? u.dir : 0, want, path ? path : "", dir);
		fail();
	}
}

static void test_plain(void **state)
{
	(void)state;
	expect("/", URLPATH_OK, "", true);
	expect("/a.html", URLPATH_OK, "a.html", false);
	expect("/sub/", URLPATH_OK, "sub/", true);
	expect("/sub", URLPATH_OK, "sub", false);
	expect("/sub/a.html?x=1&y=/../", URLPATH_OK, "sub/a.html", false);
	expect("//sub///a.html", URLPATH_OK, "sub/a.html", false);
	expect("/a%20b.html", URLPATH_OK, "a b.html", false);
	expect("/%7Euser/", URLPATH_OK, "~user/", true);
	expect("http://example.test/sub/x", URLPATH_OK, "sub/x", false);
	expect("HTTP://example.test", URLPATH_OK, "", true);
	expect("http://example.test?q", URLPATH_BAD, NULL, false);
}

static void test_dots(void **state)
{
	(void)state;
	expect("/sub/.", URLPATH_OK, "sub/", true);
	expect("/sub/./a", URLPATH_OK, "sub/a", false);
	expect("/sub/../a", URLPATH_OK, "a", false);
	expect("/sub/x/..", URLPATH_OK, "sub/", true);
	expect("/sub/%2e%2e/a", URLPATH_OK, "a", false);
	expect("/..", URLPATH_BAD, NULL, false);
	expect("/../etc/passwd", URLPATH_BAD, NULL, false);
	expect("/sub/../../x", URLPATH_BAD, NULL, false);
	expect("/%2e%2e/x", URLPATH_BAD, NULL, false);
	expect("/%2E%2E/x", URLPATH_BAD, NULL, false);
	expect("/.%2e/x", URLPATH_BAD, NULL, false);
	expect("/..%2fx", URLPATH_BAD, NULL, false);
	expect("/sub/..%2f..%2fx", URLPATH_BAD, NULL, false);
	expect("http://h/../x", URLPATH_BAD, NULL, false);
	/* decoded once: %252e is the name "%2e" */
	expect("/%252e%252e/x", URLPATH_OK, "%2e%2e/x", false);
	/* %2f decodes to a separator inside the root */
	expect("/sub%2fa.html", URLPATH_OK, "sub/a.html", false);
}

static void test_refused(void **state)
{
	(void)state;
	expect("/a%00.txt", URLPATH_BAD, NULL, false);
	expect("/a%zz", URLPATH_BAD, NULL, false);
	expect("/a%2", URLPATH_BAD, NULL, false);
	expect("/a%", URLPATH_BAD, NULL, false);
	expect("/a\\..\\b", URLPATH_BAD, NULL, false);
	expect("/a%5c..%5cb", URLPATH_BAD, NULL, false);
	expect("/a%0d%0a", URLPATH_BAD, NULL, false);
	expect("/a%7f", URLPATH_BAD, NULL, false);
	expect("a.html", URLPATH_BAD, NULL, false);
	expect("", URLPATH_BAD, NULL, false);
	expect("*", URLPATH_BAD, NULL, false);
}

static void test_hidden(void **state)
{
	(void)state;
	expect("/.env", URLPATH_HIDDEN, NULL, false);
	expect("/.git/config", URLPATH_HIDDEN, NULL, false);
	expect("/sub/.htaccess", URLPATH_HIDDEN, NULL, false);
	expect("/%2egit/HEAD", URLPATH_HIDDEN, NULL, false);
	expect("/sub/...", URLPATH_HIDDEN, NULL, false);
	expect("/a.b/c", URLPATH_OK, "a.b/c", false);
}

static void test_toolong(void **state)
{
	(void)state;
	char buf[8];
	struct urlpath u;
	assert_int_equal(resolve("/abcdefghij", buf, sizeof buf, &u), URLPATH_TOOLONG);
	assert_int_equal(resolve("/abcdef", buf, sizeof buf, &u), URLPATH_OK);
}

/* Random targets over the bytes that matter: whatever is accepted must be
 * a clean relative path (no "." or ".." segment, no "//", no NUL or '\\',
 * no leading '/', no dotfile). A failure prints the seed and the target. */
static void test_random(void **state)
{
	(void)state;
	static const char alpha[] = "/./%2e%2E%2f%2F%5c%00..a\\?x%25%";
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (int iter = 0; iter < 200000; iter++) {
		char t[40];
		uint64_t x = seed + (uint64_t)iter * 0x2545F4914F6CDD1Du;
		size_t n = 1 + (size_t)(x % 30);
		t[0] = '/';
		for (size_t i = 1; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			t[i] = alpha[x % (sizeof alpha - 1)];
		}
		char buf[64];
		struct urlpath u;
		int r = urlpath_resolve(&u, (const uint8_t *)t, n, buf, sizeof buf);
		if (r != URLPATH_OK)
			continue;
		bool bad = u.len != strlen(u.path) || (u.len && u.path[0] == '/') ||
			strstr(u.path, "//") || strchr(u.path, '\\') || u.path[0] == '.' ||
			strstr(u.path, "/.") || memchr(u.path, '\0', u.len);
		if (bad) {
			print_error("iteration %d: target '%.*s' gave '%s'\n", iter, (int)n, t, u.path);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_dots),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_toolong),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
