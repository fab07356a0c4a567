/*
 * A posix binding of gitstore_storage_ops over one .git directory, and a
 * repository with every pack mapped: for the protocol's test programs only
 * (the daemons get platform/posix's binding). Same code as gitstore_tool's.
 */
#ifndef GT_POSIX_H
#define GT_POSIX_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cloudlet/gitstore.h>

static char root[4096];

static void full(const char *name, char *out)
{
	snprintf(out, 8192, "%s/%s", root, name);
}

static void mkparents(const char *path)
{
	char tmp[8192];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0777);
			*p = '/';
		}
	}
}

static int px_read(void *ctx, const char *name, uint64_t off, uint8_t *buf, size_t cap)
{
	char path[8192];
	full(name, path);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? GITSTORE_ENOENT : GITSTORE_EIO;
	ssize_t n = pread(fd, buf, cap > (1u << 30) ? (1u << 30) : cap, (off_t)off);
	close(fd);
	return n < 0 ? GITSTORE_EIO : (int)n;
}

static int px_size(void *ctx, const char *name, uint64_t *size)
{
	char path[8192];
	struct stat st;
	full(name, path);
	if (stat(path, &st) != 0)
		return errno == ENOENT ? GITSTORE_ENOENT : GITSTORE_EIO;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int px_append(void *ctx, const char *name, const uint8_t *buf, size_t len)
{
	char path[8192];
	full(name, path);
	mkparents(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0444);
	if (fd < 0)
		return GITSTORE_EIO;
	ssize_t n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : GITSTORE_EIO;
}

static int px_rename(void *ctx, const char *from, const char *to, unsigned flags)
{
	char a[8192], b[8192];
	full(from, a);
	full(to, b);
	mkparents(b);
	if (flags & GITSTORE_RENAME_NOREPLACE) {
		if (link(a, b) != 0)
			return errno == EEXIST ? GITSTORE_EEXIST : GITSTORE_EIO;
		unlink(a);
		return 0;
	}
	return rename(a, b) == 0 ? 0 : GITSTORE_EIO;
}

static int px_remove(void *ctx, const char *name)
{
	char path[8192];
	full(name, path);
	return unlink(path) == 0 ? 0 : errno == ENOENT ? GITSTORE_ENOENT : GITSTORE_EIO;
}

static int px_list(void *ctx, const char *dir, int (*each)(void *arg, const char *entry, bool is_dir), void *arg)
{
	char path[8192];
	full(dir, path);
	DIR *d = opendir(path);
	if (!d)
		return GITSTORE_ENOENT;
	struct dirent *de;
	int rc = 0;
	while (!rc && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = each(arg, de->d_name, de->d_type == DT_DIR);
	closedir(d);
	return rc;
}

static const struct gitstore_storage_ops px_ops = {
	px_read, px_size, px_append, px_rename, px_remove, px_list,
};

#define GT_MAXPACKS 64
static struct gitstore_idx gt_idx[GT_MAXPACKS];
static struct gitstore_pack gt_packs[GT_MAXPACKS];
static uint8_t gt_scratch[(130u << 20)];   /* a delta chain of objects up to 64 MiB */
static uint8_t gt_parena[GITSTORE_INFLATE_ARENA];
static struct gitstore_arena gt_pa;
static uint8_t gt_rarena[GITSTORE_DEFLATE_ARENA];

static const uint8_t *gt_map(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	*len = (size_t)st.st_size;
	void *p = mmap(NULL, *len ? *len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Open gitdir with every pack of objects/pack mapped and attached: 0, or an error. */
static int gt_repo_open(struct gitstore_repo *r, const char *gitdir, int algo)
{
	char dir[4096];
	snprintf(root, sizeof root, "%s", gitdir);
	gitstore_repo_init(r, &px_ops, NULL, algo, NULL, gt_rarena, sizeof gt_rarena);
	gitstore_arena_init(&gt_pa, gt_parena, sizeof gt_parena);
	snprintf(dir, sizeof dir, "%s/objects/pack", gitdir);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	while (d && (de = readdir(d)) && n < GT_MAXPACKS) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".idx"))
			continue;
		char ip[8400], pp[8400];
		size_t il, pl;
		snprintf(ip, sizeof ip, "%s/%s", dir, de->d_name);
		snprintf(pp, sizeof pp, "%s/%.*s.pack", dir, (int)(l - 4), de->d_name);
		const uint8_t *id = gt_map(ip, &il), *pd = gt_map(pp, &pl);
		if (!id || !pd)
			continue;
		int rc = gitstore_idx_parse(&gt_idx[n], algo, id, il, pl, 0);
		if (rc == 0)
			rc = gitstore_pack_open(&gt_packs[n], algo, pd, pl, &gt_idx[n], NULL, &gt_pa);
		if (rc < 0) {
			closedir(d);
			return rc;
		}
		n++;
	}
	if (d)
		closedir(d);
	gitstore_repo_set_packs(r, gt_packs, n, gt_scratch, sizeof gt_scratch);
	return 0;
}

#endif
