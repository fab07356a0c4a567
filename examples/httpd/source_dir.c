/* The directory source: documents are files under a root, opened with
 * openat2(RESOLVE_BENEATH) so that no path, ".." or symlink can name a file
 * outside it, and kept in a per-worker open-file cache: small files in
 * memory (served by gather sends straight from the cache), large ones as an
 * open fd read with pread; misses and directories are cached too. A cached
 * answer is trusted for valid_ms, then re-checked by inode, size and
 * mtime. */
#include "source.h"
#include "src_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#define NBUCKETS 16384u

struct ident {
	bool have;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	mode_t mode;
};

struct dent {
	struct src_entry pub; /* first: the server sees only this */
	struct http_content gz;
	struct src_cnode cn;
	uint64_t checked_ms;
	struct ident id, gzid;
	int fd, gzfd;           /* >= 0: sent with sendfile (see struct src_span) */
	void *tag, *gztag;      /* their reserved address ranges */
	size_t taglen, gztaglen;
	uint8_t *data, *gzdata; /* in memory */
	char etag[64], gzetag[72];
	uint8_t *prep;          /* the content's pre-formatted response fields */
	size_t klen;
	char key[]; /* the path, NUL-terminated */
};

struct dirsrc {
	struct dirsrc_cfg cfg;
	struct src_cache cache; /* of paths */
	struct dent *miss; /* returned when even a miss cannot be made */
};

static uint32_t hash_path(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

static int open_beneath(int rootfd, const char *path, int flags)
{
	/* openat2 (Linux 5.6): RESOLVE_BENEATH refuses any resolution that
	 * leaves rootfd, through ".." or a symlink (absolute or relative);
	 * magic links (/proc) are refused too. */
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	if (path[0] == '\0')
		path = ".";
	int fd;
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	while (fd < 0 && errno == EINTR);
	return fd;
}

static void ident_of(struct ident *id, const struct stat *st)
{
	id->have = true;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->mode = st->st_mode & S_IFMT;
}

static bool ident_eq(const struct ident *a, const struct ident *b)
{
	if (a->have != b->have)
		return false;
	return !a->have || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
		a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
		a->mode == b->mode);
}

/* Identity of a path now: have == false when it is absent or refused. */
static void ident_now(int rootfd, const char *path, struct ident *id)
{
	memset(id, 0, sizeof *id);
	int fd = open_beneath(rootfd, path, O_PATH);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) == 0)
		ident_of(id, &st);
	close(fd);
}

static int read_fd(void *ctx, uint64_t off, uint8_t *buf, size_t cap)
{
	int fd = (int)(intptr_t)ctx;
	ssize_t r;
	do
		r = pread(fd, buf, cap, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r > 0 ? (int)r : -1; /* 0: the file shrank under us */
}

static uint8_t *slurp(int fd, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return NULL;
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(fd, p + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			return NULL;
		}
		got += (size_t)r;
	}
	return p;
}

static void etag_of(char *out, size_t cap, const struct ident *id, bool weak)
{
	/* Strong by construction (RFC 9110 8.8.3): a new inode, size or mtime
	 * is a new tag; nanoseconds catch rewrites within one second. */
	snprintf(out, cap, "%s\"%llx-%llx-%llx.%lx\"", weak ? "W/" : "",
		(unsigned long long)id->ino, (unsigned long long)id->size,
		(unsigned long long)id->mtime.tv_sec, (unsigned long)id->mtime.tv_nsec);
}


static void dent_free(struct dent *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->gzfd >= 0)
		close(d->gzfd);
	if (d->tag)
		munmap(d->tag, d->taglen);
	if (d->gztag)
		munmap(d->gztag, d->gztaglen);
	free(d->data);
	free(d->gzdata);
	free(d->prep);
	free(d);
}

static void dent_free_node(struct src_cnode *n)
{
	dent_free(SRC_CNODE_OF(n, struct dent, cn));
}

struct path_key {
	const char *path;
	size_t len;
};

static bool dent_match(struct src_cnode *n, const void *key)
{
	const struct dent *d = SRC_CNODE_OF(n, struct dent, cn);
	const struct path_key *k = key;
	return d->klen == k->len && memcmp(d->key, k->path, k->len) == 0;
}

/* What an open file descriptor costs in the cache's byte budget, so the
 * budget also bounds the descriptors a worker keeps open. */
#define FD_CHARGE (64u << 10)

/* Load the file behind fd (a regular file) as one representation: small
 * files into memory (fd closed), larger ones as a sendfile span (fd kept). */
static bool load_rep(struct dirsrc *s, struct dent *d, int fd, const struct stat *st,
		struct http_content *c, uint8_t **data, int *keepfd, void **tag, size_t *taglen)
{
	size_t size = (size_t)st->st_size;
	c->size = (uint64_t)st->st_size;
	c->mtime = st->st_mtim.tv_sec;
	c->read = read_fd;
	c->read_ctx = (void *)(intptr_t)fd;
	if (size <= s->cfg.max_mem_file) {
		*data = slurp(fd, size);
		close(fd);
		if (!*data)
			return false;
		c->data = *data;
		c->read = NULL;
		c->read_ctx = NULL;
		d->cn.charge += size;
		return true;
	}
	void *t = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t == MAP_FAILED) {
		c->data = NULL; /* pread through the bounce buffer instead */
		*keepfd = fd;
		d->cn.charge += FD_CHARGE;
		return true;
	}
	*tag = t;
	*taglen = size;
	*keepfd = fd;
	c->data = t;
	struct src_span *sp = &d->pub.span[d->pub.nspan++];
	sp->base = t;
	sp->len = size;
	sp->fd = fd;
	d->cn.charge += FD_CHARGE;
	return true;
}

/* Build the answer for path from the file system. */
static struct dent *load_files(struct dirsrc *s, const char *path, size_t len)
{
	struct dent *d = calloc(1, sizeof *d + len + 1);
	if (!d)
		return NULL;
	memcpy(d->key, path, len);
	d->klen = len;
	d->fd = d->gzfd = -1;
	d->pub.kind = SRC_MISS;

	bool want_index = len == 0 || path[len - 1] == '/';
	char file[PATH_MAX];
	if (snprintf(file, sizeof file, "%s%s", path, want_index ? "index.html" : "") >= (int)sizeof file)
		return d;
	int fd = open_beneath(s->cfg.rootfd, file, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return d; /* ENOENT, ENOTDIR, EXDEV (outside), ELOOP, EACCES: a miss */
	}
	ident_of(&d->id, &st);
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		if (!want_index)
			d->pub.kind = SRC_DIR;
		return d;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return d;
	}
	struct http_content *c = &d->pub.content;
	if (!load_rep(s, d, fd, &st, c, &d->data, &d->fd, &d->tag, &d->taglen))
		return d;
	etag_of(d->etag, sizeof d->etag, &d->id, false);
	c->etag = (struct http_str){ (const uint8_t *)d->etag, strlen(d->etag) };
	c->type = http_media_type((struct http_str){ (const uint8_t *)file, strlen(file) });
	d->pub.kind = SRC_FILE;

	if (!s->cfg.gzip_min || !http_media_compressible(c->type))
		return d;
	/* A precompressed sibling (file.gz) wins; otherwise compress once. */
	char gzname[PATH_MAX + 3];
	snprintf(gzname, sizeof gzname, "%s.gz", file);
	int gfd = open_beneath(s->cfg.rootfd, gzname, O_RDONLY);
	struct stat gst;
	if (gfd >= 0 && fstat(gfd, &gst) == 0 && S_ISREG(gst.st_mode)) {
		ident_of(&d->gzid, &gst);
		d->gz = *c;
		if (load_rep(s, d, gfd, &gst, &d->gz, &d->gzdata, &d->gzfd, &d->gztag, &d->gztaglen)) {
			etag_of(d->gzetag, sizeof d->gzetag, &d->gzid, false);
			d->gz.etag = (struct http_str){ (const uint8_t *)d->gzetag, strlen(d->gzetag) };
			d->gz.gzip = NULL;
			c->gzip = &d->gz;
		}
		return d;
	}
	if (gfd >= 0)
		close(gfd);
	if (c->size >= s->cfg.gzip_min && c->size <= s->cfg.gzip_max) {
		/* a file sent with sendfile is read once to be compressed */
		uint8_t *tmp = d->data ? NULL : slurp(d->fd, (size_t)c->size);
		const uint8_t *src = d->data ? d->data : tmp;
		size_t n = src ? src_gzip_once(src, (size_t)c->size, &d->gzdata) : 0;
		free(tmp);
		if (n) {
			d->gz = *c;
			d->gz.data = d->gzdata;
			d->gz.size = n;
			/* RFC 9110 8.8.1: our own encoding is not the stored
			 * bytes: a weak tag, as libhttp gives its on-the-fly one. */
			etag_of(d->gzetag, sizeof d->gzetag, &d->id, true);
			d->gz.etag = (struct http_str){ (const uint8_t *)d->gzetag, strlen(d->gzetag) };
			d->gz.gzip = NULL;
			c->gzip = &d->gz;
			d->cn.charge += n;
		}
	}
	return d;
}

/* The answer for path, its response fields formatted once for all the
 * responses it will give. */
static struct dent *load(struct dirsrc *s, const char *path, size_t len)
{
	struct dent *d = load_files(s, path, len);
	if (d && d->pub.kind == SRC_FILE)
		d->prep = src_prepare(&d->pub.content);
	return d;
}

/* Still what the file system holds? */
static bool still_valid(struct dirsrc *s, struct dent *d)
{
	bool want_index = d->klen == 0 || d->key[d->klen - 1] == '/';
	char file[PATH_MAX];
	if (snprintf(file, sizeof file, "%s%s", d->key, want_index ? "index.html" : "") >= (int)sizeof file)
		return true;
	struct ident id;
	ident_now(s->cfg.rootfd, file, &id);
	if (!ident_eq(&id, &d->id))
		return false;
	if (d->pub.kind == SRC_FILE && d->pub.content.gzip && d->gzid.have) {
		char gz[PATH_MAX + 3];
		snprintf(gz, sizeof gz, "%s.gz", file);
		ident_now(s->cfg.rootfd, gz, &id);
		if (!ident_eq(&id, &d->gzid))
			return false;
	}
	return true;
}

static struct src_entry *dir_get(void *ctx, const char *path, size_t len, uint64_t now_ms)
{
	struct dirsrc *s = ctx;
	uint32_t h = hash_path(path, len);
	struct src_cnode *n = src_cache_find(&s->cache, h, dent_match, &(struct path_key){ path, len });
	struct dent *d = n ? SRC_CNODE_OF(n, struct dent, cn) : NULL;
	if (d && now_ms - d->checked_ms >= s->cfg.valid_ms) {
		if (still_valid(s, d)) {
			d->checked_ms = now_ms;
		} else {
			src_cache_remove(&s->cache, &d->cn);
			d = NULL;
		}
	}
	if (d) {
		src_cache_touch(&s->cache, &d->cn);
		d->cn.refs++;
		return &d->pub;
	}
	d = load(s, path, len);
	if (!d) {
		return &s->miss->pub;
	}
	d->checked_ms = now_ms;
	d->cn.refs = 1;
	if (d->cn.charge > s->cfg.cache_bytes)
		return &d->pub; /* too big to keep: freed on put */
	src_cache_insert(&s->cache, &d->cn, h);
	src_cache_trim(&s->cache);
	return &d->pub;
}

static void dir_put(void *ctx, struct src_entry *e)
{
	struct dirsrc *s = ctx;
	struct dent *d = (struct dent *)e;
	if (d == s->miss)
		return;
	src_cache_put(&s->cache, &d->cn);
}

static void dir_reload(void *ctx)
{
	struct dirsrc *s = ctx;
	src_cache_clear(&s->cache);
}

static void dir_close(void *ctx)
{
	struct dirsrc *s = ctx;
	src_cache_fini(&s->cache);
	free(s->miss);
	free(s);
}

static const struct src_ops dir_ops = { dir_get, dir_put, dir_reload, dir_close, NULL };

int dirsrc_open(struct source *src, const struct dirsrc_cfg *cfg)
{
	struct dirsrc *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	s->cfg = *cfg;
	if (src_cache_init(&s->cache, NBUCKETS, cfg->cache_bytes, cfg->cache_entries, dent_free_node) < 0) {
		free(s);
		return -1;
	}
	s->miss = calloc(1, sizeof *s->miss + 1);
	if (!s->miss) {
		src_cache_fini(&s->cache);
		free(s);
		return -1;
	}
	s->miss->pub.kind = SRC_MISS;
	s->miss->fd = s->miss->gzfd = -1;
	src->ops = &dir_ops;
	src->ctx = s;
	return 0;
}
