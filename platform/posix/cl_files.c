/* The files of a git directory: libgitstore's storage ops over POSIX. */
#include "cl_posix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static int err_of(int e)
{
	return e == ENOENT || e == ENOTDIR ? CL_FILES_ENOENT : e == EEXIST ? CL_FILES_EEXIST : CL_FILES_EIO;
}

/* Names come from the library: relative, '/'-separated, no "." or "..". */
static bool name_ok(const char *name)
{
	if (!name || !*name || *name == '/')
		return false;
	for (const char *p = name; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n + (e ? 1 : 0);
		if (e && !*p)
			return false;
	}
	return true;
}

/* dst = a, or a "/" b: false when it does not fit. */
static bool join(char *dst, size_t cap, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) + 1 : 0;
	if (la + lb + 1 > cap)
		return false;
	memcpy(dst, a, la);
	if (b) {
		dst[la] = '/';
		memcpy(dst + la + 1, b, lb - 1);
	}
	dst[la + lb] = 0;
	return true;
}

int cl_files_open(struct cl_files *f, const char *path)
{
	char p[sizeof f->gitdir + 16];
	struct stat st;
	memset(f, 0, sizeof *f);
	f->sync = true;
	f->priv.dirfd = -1;
	f->priv.afd = -1;
	for (int i = 0; i < CL_FILES_FDS; i++)
		f->priv.fds[i].fd = -1;
	if (!join(p, sizeof f->gitdir, path, ".git"))
		return CL_FILES_EIO;
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
		join(f->gitdir, sizeof f->gitdir, p, NULL);
	} else if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
		/* A worktree or submodule: ".git" names the directory. */
		char line[sizeof f->gitdir];
		FILE *in = fopen(p, "r");
		if (!in)
			return err_of(errno);
		bool ok = fgets(line, sizeof line, in) && !strncmp(line, "gitdir: ", 8);
		fclose(in);
		if (!ok)
			return CL_FILES_ENOENT;
		line[strcspn(line, "\n")] = 0;
		if (!join(f->gitdir, sizeof f->gitdir, line[8] == '/' ? line + 8 : path, line[8] == '/' ? NULL : line + 8))
			return CL_FILES_EIO;
	} else {
		join(f->gitdir, sizeof f->gitdir, path, NULL);
	}
	f->priv.dirfd = open(f->gitdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->priv.dirfd < 0)
		return err_of(errno);
	if (fstatat(f->priv.dirfd, "objects", &st, 0) != 0 || !S_ISDIR(st.st_mode)) {
		close(f->priv.dirfd);
		f->priv.dirfd = -1;
		return CL_FILES_ENOENT;
	}
	return 0;
}

static void drop_append(struct cl_files *f)
{
	if (f->priv.afd >= 0)
		close(f->priv.afd);
	f->priv.afd = -1;
	f->priv.aname[0] = 0;
}

/* Forget a cached descriptor of name (it is being renamed or removed). */
static void drop(struct cl_files *f, const char *name)
{
	for (int i = 0; i < CL_FILES_FDS; i++) {
		if (f->priv.fds[i].fd >= 0 && !strcmp(f->priv.fds[i].name, name)) {
			close(f->priv.fds[i].fd);
			f->priv.fds[i].fd = -1;
		}
	}
	if (!strcmp(f->priv.aname, name))
		drop_append(f);
}

void cl_files_close(struct cl_files *f)
{
	for (int i = 0; i < CL_FILES_FDS; i++) {
		if (f->priv.fds[i].fd >= 0)
			close(f->priv.fds[i].fd);
		f->priv.fds[i].fd = -1;
	}
	drop_append(f);
	if (f->priv.dirfd >= 0)
		close(f->priv.dirfd);
	f->priv.dirfd = -1;
}

/* A descriptor for reading name: cached (*owned false) or opened for this call. */
static int read_fd(struct cl_files *f, const char *name, bool *owned)
{
	size_t len = strlen(name);
	*owned = false;
	/* Only objects are cached: their names are their content, so an open
	 * descriptor never goes stale; a ref, HEAD or packed-refs is replaced
	 * by rename (here or by git) and must be opened again to be seen. */
	if (len < CL_FILES_NAME && !strncmp(name, "objects/", 8)) {
		int victim = 0;
		for (int i = 0; i < CL_FILES_FDS; i++) {
			if (f->priv.fds[i].fd >= 0 && !strcmp(f->priv.fds[i].name, name)) {
				f->priv.fds[i].used = ++f->priv.tick;
				return f->priv.fds[i].fd;
			}
			if (f->priv.fds[i].fd < 0 || (f->priv.fds[victim].fd >= 0 &&
						      f->priv.fds[i].used < f->priv.fds[victim].used))
				victim = i;
		}
		int fd = openat(f->priv.dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (f->priv.fds[victim].fd >= 0)
			close(f->priv.fds[victim].fd);
		f->priv.fds[victim].fd = fd;
		f->priv.fds[victim].used = ++f->priv.tick;
		memcpy(f->priv.fds[victim].name, name, len + 1);
		return fd;
	}
	*owned = true;
	return openat(f->priv.dirfd, name, O_RDONLY | O_CLOEXEC);
}

int cl_files_read(void *ctx, const char *name, uint64_t off, uint8_t *buf, size_t cap)
{
	struct cl_files *f = ctx;
	bool owned;
	if (!name_ok(name) || cap == 0 || off > (uint64_t)INT64_MAX)
		return CL_FILES_EIO;
	int fd = read_fd(f, name, &owned);
	if (fd < 0)
		return err_of(errno);
	if (cap > (1u << 30))
		cap = 1u << 30;
	size_t got = 0;
	int rc = 0;
	while (got < cap) {
		ssize_t n = pread(fd, buf + got, cap - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_of(errno);
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (owned)
		close(fd);
	return rc < 0 ? rc : (int)got;
}

int cl_files_size(void *ctx, const char *name, uint64_t *size)
{
	struct cl_files *f = ctx;
	struct stat st;
	if (!name_ok(name))
		return CL_FILES_EIO;
	if (fstatat(f->priv.dirfd, name, &st, 0) != 0)
		return err_of(errno);
	if (!S_ISREG(st.st_mode))
		return CL_FILES_EIO;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Create the directories on the way to name (its last component is a file). */
static int mkparents(struct cl_files *f, const char *name)
{
	char p[PATH_MAX];
	size_t len = strlen(name);
	if (len >= sizeof p)
		return CL_FILES_EIO;
	memcpy(p, name, len + 1);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		if (mkdirat(f->priv.dirfd, p, 0777) != 0 && errno != EEXIST)
			return err_of(errno);
		*s = '/';
	}
	return 0;
}

static int open_append(struct cl_files *f, const char *name)
{
	mode_t mode = strncmp(name, "objects/", 8) ? 0644 : 0444;
	int fd = openat(f->priv.dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
	if (fd < 0 && errno == ENOENT) {
		int rc = mkparents(f, name);
		if (rc < 0)
			return rc;
		fd = openat(f->priv.dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
	}
	return fd < 0 ? err_of(errno) : fd;
}

int cl_files_append(void *ctx, const char *name, const uint8_t *buf, size_t len)
{
	struct cl_files *f = ctx;
	if (!name_ok(name) || len == 0)
		return CL_FILES_EIO;
	/* A pack or a large object is appended in many pieces: keep its fd. */
	if (f->priv.afd < 0 || strcmp(f->priv.aname, name)) {
		drop_append(f);
		int fd = open_append(f, name);
		if (fd < 0)
			return fd;
		f->priv.afd = fd;
		if (strlen(name) < CL_FILES_NAME)
			memcpy(f->priv.aname, name, strlen(name) + 1);
	}
	int fd = f->priv.afd;
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			drop_append(f);
			return CL_FILES_EIO;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (!f->priv.aname[0])
		drop_append(f);
	return 0;
}

static int sync_dir_of(struct cl_files *f, const char *name)
{
	char p[PATH_MAX];
	const char *s = strrchr(name, '/');
	int fd;
	if (s) {
		snprintf(p, sizeof p, "%.*s", (int)(s - name), name);
		fd = openat(f->priv.dirfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		fd = dup(f->priv.dirfd);
	}
	if (fd < 0)
		return err_of(errno);
	int rc = fsync(fd) == 0 ? 0 : CL_FILES_EIO;
	close(fd);
	return rc;
}

static int sync_file(struct cl_files *f, const char *name)
{
	if (f->priv.afd >= 0 && !strcmp(f->priv.aname, name))
		return fsync(f->priv.afd) == 0 ? 0 : CL_FILES_EIO;
	int fd = openat(f->priv.dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_of(errno);
	int rc = fsync(fd) == 0 ? 0 : CL_FILES_EIO;
	close(fd);
	return rc;
}

static int rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (syscall(SYS_renameat2, dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* No renameat2 here (old kernel, some file systems): link() fails
	 * when `to` exists, which is the no-replace guarantee. */
	if (linkat(dirfd, from, dirfd, to, 0) != 0)
		return -1;
	unlinkat(dirfd, from, 0);
	return 0;
}

int cl_files_rename(void *ctx, const char *from, const char *to, unsigned flags)
{
	struct cl_files *f = ctx;
	int rc;
	if (!name_ok(from) || !name_ok(to))
		return CL_FILES_EIO;
	if (f->sync && (rc = sync_file(f, from)) < 0)
		return rc;
	drop(f, from);
	drop(f, to);
	for (int tries = 0;; tries++) {
		if (flags & CL_FILES_NOREPLACE)
			rc = rename_noreplace(f->priv.dirfd, from, to);
		else
			rc = renameat(f->priv.dirfd, from, f->priv.dirfd, to);
		if (rc == 0)
			break;
		/* The target's directory may not exist yet (objects/ab/, refs/heads/x/). */
		if (errno != ENOENT || tries > 0 || faccessat(f->priv.dirfd, from, F_OK, 0) != 0)
			return err_of(errno);
		if ((rc = mkparents(f, to)) < 0)
			return rc;
	}
	return f->sync ? sync_dir_of(f, to) : 0;
}

int cl_files_remove(void *ctx, const char *name)
{
	struct cl_files *f = ctx;
	if (!name_ok(name))
		return CL_FILES_EIO;
	drop(f, name);
	return unlinkat(f->priv.dirfd, name, 0) == 0 ? 0 : err_of(errno);
}

int cl_files_list(void *ctx, const char *dir, int (*each)(void *arg, const char *entry, bool is_dir),
		  void *arg, int *stop)
{
	struct cl_files *f = ctx;
	*stop = 0;
	if (!name_ok(dir))
		return CL_FILES_EIO;
	int fd = openat(f->priv.dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_of(errno);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return CL_FILES_EIO;
	}
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		bool is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			is_dir = fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
		}
		int r = each(arg, de->d_name, is_dir);
		if (r) {
			*stop = r;
			break;
		}
		errno = 0;
	}
	int rc = !*stop && errno ? CL_FILES_EIO : 0;
	closedir(d);
	return rc;
}

int cl_files_map(struct cl_files *f, const char *name, const uint8_t **data, size_t *len)
{
	struct stat st;
	if (!name_ok(name))
		return CL_FILES_EIO;
	int fd = openat(f->priv.dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_of(errno);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return CL_FILES_EIO;
	}
	*len = (size_t)st.st_size;
	*data = NULL;
	if (*len) {
		void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return CL_FILES_EIO;
		}
		*data = p;
	}
	close(fd);
	return 0;
}

void cl_files_unmap(const uint8_t *data, size_t len)
{
	if (data && len)
		munmap((void *)(uintptr_t)data, len);
}
