/*
 * A posix binding of gitstore_storage_ops over one .git directory (root),
 * for libgitstore's test programs (gitstore_tool, gitserve, gitfetch); the
 * daemons get platform/posix's binding (cl_files).
 */
#ifndef GT_FILES_H
#define GT_FILES_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#endif
