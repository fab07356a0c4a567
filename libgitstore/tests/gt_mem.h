/* An in-memory binding of gitstore_storage_ops, for tests only. */
#ifndef GT_MEM_H
#define GT_MEM_H

#include <stdlib.h>
#include <string.h>
#include <cloudlet/gitstore.h>

#define GT_MEM_FILES 4096

struct gt_file {
	char name[160];
	uint8_t *data;
	size_t len, cap;
	int used;
};

struct gt_mem {
	struct gt_file f[GT_MEM_FILES];
	int fail_append;   /* >0: the n-th append from now fails */
};

static inline struct gt_file *gt_mem_find(struct gt_mem *m, const char *name)
{
	for (int i = 0; i < GT_MEM_FILES; i++)
		if (m->f[i].used && strcmp(m->f[i].name, name) == 0)
			return &m->f[i];
	return NULL;
}

static inline struct gt_file *gt_mem_create(struct gt_mem *m, const char *name)
{
	for (int i = 0; i < GT_MEM_FILES; i++) {
		if (!m->f[i].used) {
			memset(&m->f[i], 0, sizeof m->f[i]);
			m->f[i].used = 1;
			snprintf(m->f[i].name, sizeof m->f[i].name, "%s", name);
			return &m->f[i];
		}
	}
	abort();
}

static inline void gt_mem_put(struct gt_mem *m, const char *name, const void *data, size_t len)
{
	struct gt_file *f = gt_mem_find(m, name);
	if (!f)
		f = gt_mem_create(m, name);
	free(f->data);
	f->data = malloc(len ? len : 1);
	memcpy(f->data, data, len);
	f->len = f->cap = len;
}

static inline void gt_mem_free(struct gt_mem *m)
{
	for (int i = 0; i < GT_MEM_FILES; i++)
		if (m->f[i].used)
			free(m->f[i].data);
	memset(m, 0, sizeof *m);
}

static int gt_mem_read(void *ctx, const char *name, uint64_t off, uint8_t *buf, size_t cap)
{
	struct gt_file *f = gt_mem_find(ctx, name);
	if (!f)
		return GITSTORE_ENOENT;
	if (off >= f->len)
		return 0;
	size_t n = f->len - off < cap ? f->len - off : cap;
	if (n > INT32_MAX)
		n = INT32_MAX;
	memcpy(buf, f->data + off, n);
	return (int)n;
}

static int gt_mem_size(void *ctx, const char *name, uint64_t *size)
{
	struct gt_file *f = gt_mem_find(ctx, name);
	if (!f)
		return GITSTORE_ENOENT;
	*size = f->len;
	return 0;
}

static int gt_mem_append(void *ctx, const char *name, const uint8_t *buf, size_t len)
{
	struct gt_mem *m = ctx;
	if (m->fail_append > 0 && --m->fail_append == 0)
		return GITSTORE_EIO;
	struct gt_file *f = gt_mem_find(m, name);
	if (!f)
		f = gt_mem_create(m, name);
	if (f->len + len > f->cap) {
		f->cap = (f->len + len) * 2;
		f->data = realloc(f->data, f->cap);
	}
	memcpy(f->data + f->len, buf, len);
	f->len += len;
	return 0;
}

static int gt_mem_rename(void *ctx, const char *from, const char *to, unsigned flags)
{
	struct gt_mem *m = ctx;
	struct gt_file *a = gt_mem_find(m, from), *b = gt_mem_find(m, to);
	if (!a)
		return GITSTORE_ENOENT;
	if (b && (flags & GITSTORE_RENAME_NOREPLACE))
		return GITSTORE_EEXIST;
	if (b) {
		free(b->data);
		b->used = 0;
	}
	snprintf(a->name, sizeof a->name, "%s", to);
	return 0;
}

static int gt_mem_remove(void *ctx, const char *name)
{
	struct gt_file *f = gt_mem_find(ctx, name);
	if (!f)
		return GITSTORE_ENOENT;
	free(f->data);
	f->used = 0;
	return 0;
}

static int gt_mem_list(void *ctx, const char *dir, int (*each)(void *arg, const char *entry, bool is_dir), void *arg)
{
	struct gt_mem *m = ctx;
	size_t dl = strlen(dir);
	int found = 0;
	for (int i = 0; i < GT_MEM_FILES; i++) {
		const char *n = m->f[i].name;
		if (!m->f[i].used || strncmp(n, dir, dl) != 0 || n[dl] != '/')
			continue;
		found = 1;
		char ent[160];
		snprintf(ent, sizeof ent, "%s", n + dl + 1);
		char *slash = strchr(ent, '/');
		if (slash) {
			/* a subdirectory: named once, at its first file */
			*slash = 0;
			int seen = 0;
			for (int j = 0; j < i && !seen; j++) {
				const char *o = m->f[j].name;
				seen = m->f[j].used && strncmp(o, dir, dl) == 0 && o[dl] == '/' &&
					strncmp(o + dl + 1, ent, strlen(ent)) == 0 && o[dl + 1 + strlen(ent)] == '/';
			}
			if (seen)
				continue;
		}
		int rc = each(arg, ent, slash != NULL);
		if (rc)
			return rc;
	}
	return found ? 0 : GITSTORE_ENOENT;
}

static const struct gitstore_storage_ops gt_mem_ops = {
	.read = gt_mem_read,
	.size = gt_mem_size,
	.append = gt_mem_append,
	.rename = gt_mem_rename,
	.remove = gt_mem_remove,
	.list = gt_mem_list,
};

#endif
