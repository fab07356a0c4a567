/* cl_files: the storage ops over a real directory, driven through a
 * library-shaped ops table (CL_STORAGE_OPS) as libgitstore drives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl_posix.h"

/* What libgitstore's header declares (codes as in cloudlet/gitstore.h). */
enum { LIB_EIO = -4, LIB_ENOENT = -7, LIB_EEXIST = -8, LIB_NOREPLACE = 1 };
struct lib_storage_ops {
	int (*read)(void *ctx, const char *name, uint64_t off, uint8_t *buf, size_t cap);
	int (*size)(void *ctx, const char *name, uint64_t *size);
	int (*append)(void *ctx, const char *name, const uint8_t *buf, size_t len);
	int (*rename)(void *ctx, const char *from, const char *to, unsigned flags);
	int (*remove)(void *ctx, const char *name);
	int (*list)(void *ctx, const char *dir, int (*each)(void *arg, const char *entry, bool is_dir), void *arg);
};
CL_STORAGE_OPS(ops, struct lib_storage_ops, LIB_ENOENT, LIB_EEXIST, LIB_EIO, LIB_NOREPLACE);

struct fx {
	char dir[256];
	struct cl_files f;
};

static int rm_rf(const char *dir)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	char p[300];
	snprintf(x->dir, sizeof x->dir, "/tmp/cl_files.XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	snprintf(p, sizeof p, "%s/objects", x->dir);
	mkdir(p, 0777);
	if (cl_files_open(&x->f, x->dir) != 0)
		return -1;
	x->f.sync = true;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	cl_files_close(&x->f);
	rm_rf(x->dir);
	free(x);
	return 0;
}

static void put(void *ctx, const char *name, const char *s)
{
	assert_int_equal(ops.append(ctx, name, (const uint8_t *)s, strlen(s)), 0);
}

static void expect(void *ctx, const char *name, const char *s)
{
	uint8_t buf[256];
	int n = ops.read(ctx, name, 0, buf, sizeof buf);
	assert_int_equal(n, (int)strlen(s));
	assert_memory_equal(buf, s, strlen(s));
}

static void test_open(void **state)
{
	struct fx *x = *state;
	struct cl_files g;
	char p[400];
	assert_string_equal(x->f.gitdir, x->dir);
	/* a work tree: PATH/.git is the git directory */
	snprintf(p, sizeof p, "%s/wt/.git/objects", x->dir);
	assert_int_equal(ops.append(&x->f, "wt/.git/objects/x", (const uint8_t *)"1", 1), 0);
	snprintf(p, sizeof p, "%s/wt", x->dir);
	assert_int_equal(cl_files_open(&g, p), 0);
	assert_non_null(strstr(g.gitdir, "/wt/.git"));
	expect(&g, "objects/x", "1");
	cl_files_close(&g);
	/* a ".git" file naming the directory */
	put(&x->f, "wt2/.git", "gitdir: ../wt/.git\n");
	snprintf(p, sizeof p, "%s/wt2", x->dir);
	assert_int_equal(cl_files_open(&g, p), 0);
	expect(&g, "objects/x", "1");
	cl_files_close(&g);
	/* no repository */
	snprintf(p, sizeof p, "%s/nothing", x->dir);
	assert_int_equal(cl_files_open(&g, p), CL_FILES_ENOENT);
	cl_files_close(&g);
	assert_int_equal(cl_files_open(&g, "/proc/self"), CL_FILES_ENOENT);
	cl_files_close(&g);
}

static void test_read_append_size(void **state)
{
	struct fx *x = *state;
	uint8_t buf[64];
	uint64_t size = 99;
	assert_int_equal(ops.read(&x->f, "objects/pack/p.pack", 0, buf, sizeof buf), LIB_ENOENT);
	assert_int_equal(ops.size(&x->f, "objects/pack/p.pack", &size), LIB_ENOENT);
	put(&x->f, "objects/pack/p.pack", "hello, ");
	put(&x->f, "objects/pack/p.pack", "world");
	assert_int_equal(ops.size(&x->f, "objects/pack/p.pack", &size), 0);
	assert_int_equal(size, 12);
	/* reads at offsets through the cached descriptor; short at the end, 0 past it */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(ops.read(&x->f, "objects/pack/p.pack", 7, buf, 3), 3);
		assert_memory_equal(buf, "wor", 3);
	}
	assert_int_equal(ops.read(&x->f, "objects/pack/p.pack", 10, buf, sizeof buf), 2);
	assert_int_equal(ops.read(&x->f, "objects/pack/p.pack", 12, buf, sizeof buf), 0);
	assert_int_equal(ops.read(&x->f, "objects/pack/p.pack", 1000, buf, sizeof buf), 0);
	/* appended after being read: the cached descriptor sees the new bytes */
	put(&x->f, "objects/pack/p.pack", "!");
	assert_int_equal(ops.read(&x->f, "objects/pack/p.pack", 12, buf, sizeof buf), 1);
	/* objects are read-only as git writes them, refs are not */
	char p[400];
	struct stat st;
	snprintf(p, sizeof p, "%s/objects/pack/p.pack", x->dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	put(&x->f, "refs/heads/main", "x\n");
	snprintf(p, sizeof p, "%s/refs/heads/main", x->dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* many files: more than the descriptor cache holds */
	for (int i = 0; i < 3 * CL_FILES_FDS; i++) {
		char n[64], v[16];
		snprintf(n, sizeof n, "objects/%02x/f", i);
		snprintf(v, sizeof v, "%d", i);
		put(&x->f, n, v);
	}
	for (int r = 0; r < 2; r++) {
		for (int i = 0; i < 3 * CL_FILES_FDS; i++) {
			char n[64], v[16];
			snprintf(n, sizeof n, "objects/%02x/f", i);
			snprintf(v, sizeof v, "%d", i);
			expect(&x->f, n, v);
		}
	}
	/* a name longer than the cache keeps is read all the same */
	char longname[300];
	memset(longname, 'a', sizeof longname);
	memcpy(longname, "refs/", 5);
	longname[200] = 0;
	put(&x->f, longname, "long");
	expect(&x->f, longname, "long");
	/* a directory is not a file */
	assert_int_equal(ops.size(&x->f, "objects", &size), LIB_EIO);
	assert_int_equal(ops.read(&x->f, "objects", 0, buf, sizeof buf), LIB_EIO);
}

static void test_bad_names(void **state)
{
	struct fx *x = *state;
	uint8_t b[4];
	uint64_t size;
	const char *bad[] = { "", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", "." };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(ops.read(&x->f, bad[i], 0, b, 4), LIB_EIO);
		assert_int_equal(ops.size(&x->f, bad[i], &size), LIB_EIO);
		assert_int_equal(ops.append(&x->f, bad[i], b, 1), LIB_EIO);
		assert_int_equal(ops.remove(&x->f, bad[i]), LIB_EIO);
		assert_int_equal(ops.rename(&x->f, "objects", bad[i], 0), LIB_EIO);
	}
}

static void test_rename_replace(void **state)
{
	struct fx *x = *state;
	put(&x->f, "refs/heads/main", "old\n");
	expect(&x->f, "refs/heads/main", "old\n");
	put(&x->f, "refs/heads/tmp_1", "new\n");
	assert_int_equal(ops.rename(&x->f, "refs/heads/tmp_1", "refs/heads/main", 0), 0);
	/* readers see the new file */
	expect(&x->f, "refs/heads/main", "new\n");
	uint8_t b[4];
	assert_int_equal(ops.read(&x->f, "refs/heads/tmp_1", 0, b, 4), LIB_ENOENT);
	/* a cached object descriptor is dropped when its name is renamed over */
	put(&x->f, "objects/ab/obj", "one");
	expect(&x->f, "objects/ab/obj", "one");
	put(&x->f, "objects/tmp_o", "two");
	assert_int_equal(ops.rename(&x->f, "objects/tmp_o", "objects/ab/obj", 0), 0);
	expect(&x->f, "objects/ab/obj", "two");
	/* into a directory that does not exist yet */
	put(&x->f, "objects/tmp_2", "obj");
	assert_int_equal(ops.rename(&x->f, "objects/tmp_2", "objects/ab/cdef", 0), 0);
	expect(&x->f, "objects/ab/cdef", "obj");
	/* no-replace onto an existing name: EEXIST, nothing changes */
	put(&x->f, "refs/heads/main.lock.tmp", "lock");
	assert_int_equal(ops.rename(&x->f, "refs/heads/main.lock.tmp", "refs/heads/main", LIB_NOREPLACE), LIB_EEXIST);
	expect(&x->f, "refs/heads/main", "new\n");
	expect(&x->f, "refs/heads/main.lock.tmp", "lock");
	assert_int_equal(ops.rename(&x->f, "refs/heads/main.lock.tmp", "refs/heads/main.lock", LIB_NOREPLACE), 0);
	expect(&x->f, "refs/heads/main.lock", "lock");
	/* a missing source */
	assert_int_equal(ops.rename(&x->f, "refs/heads/none", "refs/heads/x", 0), LIB_ENOENT);
	assert_int_equal(ops.rename(&x->f, "refs/heads/none", "refs/heads/x", LIB_NOREPLACE), LIB_ENOENT);
	/* a ref replaced by another writer (git, another process) is seen at once */
	struct cl_files other;
	assert_int_equal(cl_files_open(&other, x->dir), 0);
	expect(&x->f, "refs/heads/main", "new\n");
	put(&other, "refs/heads/tmp_9", "newer\n");
	assert_int_equal(ops.rename(&other, "refs/heads/tmp_9", "refs/heads/main", 0), 0);
	expect(&x->f, "refs/heads/main", "newer\n");
	cl_files_close(&other);
	/* without fsync it works the same */
	x->f.sync = false;
	put(&x->f, "refs/tmp_3", "3");
	assert_int_equal(ops.rename(&x->f, "refs/tmp_3", "refs/three", 0), 0);
	expect(&x->f, "refs/three", "3");
}

/* Readers of a file replaced over and over see the old or the new content, never a mix. */
static void *replacer(void *arg)
{
	struct fx *x = arg;
	struct cl_files g;
	cl_files_open(&g, x->dir);
	g.sync = false;
	char big[4096];
	for (int i = 0; i < 200; i++) {
		memset(big, 'a' + i % 2, sizeof big);
		assert_int_equal(ops.append(&g, "tmp_r", (uint8_t *)big, sizeof big), 0);
		assert_int_equal(ops.rename(&g, "tmp_r", "packed-refs", 0), 0);
	}
	cl_files_close(&g);
	return NULL;
}

static void test_atomic_replace(void **state)
{
	struct fx *x = *state;
	pthread_t t;
	char big[4096];
	memset(big, 'b', sizeof big);
	assert_int_equal(ops.append(&x->f, "packed-refs", (uint8_t *)big, sizeof big), 0);
	assert_int_equal(pthread_create(&t, NULL, replacer, x), 0);
	struct cl_files g;
	assert_int_equal(cl_files_open(&g, x->dir), 0);
	for (int i = 0; i < 400; i++) {
		uint8_t buf[4096];
		int n = ops.read(&g, "packed-refs", 0, buf, sizeof buf);
		assert_int_equal(n, 4096);
		for (int j = 1; j < n; j++)
			assert_int_equal(buf[j], buf[0]);
		cl_files_close(&g); /* drop the descriptor: see each new file */
		assert_int_equal(cl_files_open(&g, x->dir), 0);
	}
	cl_files_close(&g);
	pthread_join(t, NULL);
}

struct racer {
	struct fx *x;
	int id;
	int won;
	pthread_barrier_t *go;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct cl_files g;
	char tmp[32], who[8];
	cl_files_open(&g, r->x->dir);
	snprintf(tmp, sizeof tmp, "refs/tmp_%d", r->id);
	snprintf(who, sizeof who, "%d", r->id);
	ops.append(&g, tmp, (const uint8_t *)who, strlen(who));
	pthread_barrier_wait(r->go);
	int rc = ops.rename(&g, tmp, "refs/heads/main.lock", LIB_NOREPLACE);
	r->won = rc == 0;
	if (rc != 0) {
		assert_int_equal(rc, LIB_EEXIST);
		ops.remove(&g, tmp);
	}
	cl_files_close(&g);
	return NULL;
}

static void test_noreplace_threads(void **state)
{
	struct fx *x = *state;
	for (int round = 0; round < 20; round++) {
		enum { N = 4 };
		pthread_t t[N];
		struct racer r[N];
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, N);
		for (int i = 0; i < N; i++) {
			r[i] = (struct racer){ x, i, 0, &go };
			pthread_create(&t[i], NULL, race, &r[i]);
		}
		int winners = 0, winner = -1;
		for (int i = 0; i < N; i++) {
			pthread_join(t[i], NULL);
			if (r[i].won) {
				winners++;
				winner = i;
			}
		}
		pthread_barrier_destroy(&go);
		assert_int_equal(winners, 1);
		char w[2] = { (char)('0' + winner), 0 };
		expect(&x->f, "refs/heads/main.lock", w);
		assert_int_equal(ops.remove(&x->f, "refs/heads/main.lock"), 0);
	}
}

static void test_noreplace_processes(void **state)
{
	struct fx *x = *state;
	enum { N = 4 };
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid[N];
	for (int i = 0; i < N; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct cl_files g;
			char tmp[32], c;
			close(p[1]);
			cl_files_open(&g, x->dir);
			snprintf(tmp, sizeof tmp, "refs/ptmp_%d", i);
			ops.append(&g, tmp, (const uint8_t *)"p", 1);
			(void)!read(p[0], &c, 1); /* all start together once the pipe closes */
			int rc = ops.rename(&g, tmp, "refs/heads/p.lock", LIB_NOREPLACE);
			_exit(rc == 0 ? 0 : rc == LIB_EEXIST ? 1 : 2);
		}
	}
	close(p[0]);
	close(p[1]);
	int winners = 0, losers = 0;
	for (int i = 0; i < N; i++) {
		int st;
		waitpid(pid[i], &st, 0);
		assert_true(WIFEXITED(st));
		winners += WEXITSTATUS(st) == 0;
		losers += WEXITSTATUS(st) == 1;
	}
	assert_int_equal(winners, 1);
	assert_int_equal(losers, N - 1);
}

struct seen {
	int files, dirs, calls;
	int stop_after;
};

static int each(void *arg, const char *entry, bool is_dir)
{
	struct seen *s = arg;
	assert_true(strcmp(entry, ".") && strcmp(entry, ".."));
	s->calls++;
	if (is_dir)
		s->dirs++;
	else
		s->files++;
	return s->stop_after && s->calls == s->stop_after ? -2 : 0;
}

static void test_list_remove(void **state)
{
	struct fx *x = *state;
	put(&x->f, "refs/heads/a", "1");
	put(&x->f, "refs/heads/b", "2");
	put(&x->f, "refs/heads/sub/c", "3");
	struct seen s = { 0 };
	assert_int_equal(ops.list(&x->f, "refs/heads", each, &s), 0);
	assert_int_equal(s.files, 2);
	assert_int_equal(s.dirs, 1);
	/* a nonzero return of the callback stops the walk and comes back unchanged */
	struct seen t = { 0, 0, 0, 1 };
	assert_int_equal(ops.list(&x->f, "refs/heads", each, &t), -2);
	assert_int_equal(t.calls, 1);
	assert_int_equal(ops.list(&x->f, "refs/none", each, &s), LIB_ENOENT);
	assert_int_equal(ops.list(&x->f, "refs/heads/a", each, &s), LIB_ENOENT);
	expect(&x->f, "refs/heads/a", "1");
	assert_int_equal(ops.remove(&x->f, "refs/heads/a"), 0);
	uint8_t b[4];
	assert_int_equal(ops.read(&x->f, "refs/heads/a", 0, b, 4), LIB_ENOENT);
	assert_int_equal(ops.remove(&x->f, "refs/heads/a"), LIB_ENOENT);
	assert_int_equal(ops.remove(&x->f, "refs/heads/sub"), LIB_EIO);
}

static void test_map(void **state)
{
	struct fx *x = *state;
	const uint8_t *d;
	size_t len;
	put(&x->f, "objects/pack/m.idx", "mapped bytes");
	assert_int_equal(cl_files_map(&x->f, "objects/pack/m.idx", &d, &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(d, "mapped bytes", 12);
	/* the mapping outlives the file's name */
	assert_int_equal(ops.remove(&x->f, "objects/pack/m.idx"), 0);
	assert_memory_equal(d, "mapped bytes", 12);
	cl_files_unmap(d, len);
	assert_int_equal(cl_files_map(&x->f, "objects/pack/m.idx", &d, &len), CL_FILES_ENOENT);
	int fd = openat(x->f.priv.dirfd, "empty", O_CREAT | O_WRONLY, 0644);
	close(fd);
	assert_int_equal(cl_files_map(&x->f, "empty", &d, &len), 0);
	assert_null(d);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_append_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noreplace_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noreplace_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
