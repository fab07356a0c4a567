/* gitkv: opening a repository (packs mapped, loose objects listed), reading
 * objects with buffers that grow, and buffered output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gitfollow.h"
#include "gitkv.h"

CL_STORAGE_OPS(gk_ops_, struct gitstore_storage_ops, GITSTORE_ENOENT, GITSTORE_EEXIST, GITSTORE_EIO,
	       GITSTORE_RENAME_NOREPLACE);
const struct gitstore_storage_ops *const gk_files_ops = &gk_ops_;

/* A cache of resolved delta bases for reads by id (get, log, fsck). */
#define GK_CACHE_RING (96u << 20)
#define GK_CACHE_SLOTS 65536u

int gk_err(const char *what, const char *why)
{
	fprintf(stderr, "gitkv: %s: %s\n", what, why);
	return GK_FAIL;
}

int gk_lib_err(const char *what, int rc)
{
	return gk_err(what, gitstore_strerror(rc));
}

void *gk_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "gitkv: out of memory (%zu bytes)\n", n);
		exit(GK_FAIL);
	}
	return p;
}

void *gk_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "gitkv: out of memory (%zu bytes)\n", n);
		exit(GK_FAIL);
	}
	return p;
}

struct names {
	char (*v)[256];
	size_t n, cap;
};

static int collect(void *arg, const char *entry, bool is_dir)
{
	struct names *s = arg;
	if (is_dir || strlen(entry) >= 256)
		return 0;
	if (s->n == s->cap)
		s->v = gk_xrealloc(s->v, (s->cap = s->cap ? 2 * s->cap : 16) * sizeof *s->v);
	snprintf(s->v[s->n++], 256, "%s", entry);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int open_packs(struct gk_repo *g, bool verify_idx)
{
	struct names s = { 0 };
	int rc = cl_files_list(&g->files, "objects/pack", collect, &s, &(int){ 0 });
	if (rc == CL_FILES_ENOENT)
		return 0;
	if (rc < 0)
		return gk_err("objects/pack", "cannot list");
	if (s.n)
		qsort(s.v, s.n, sizeof *s.v, name_cmp);
	for (size_t i = 0; i < s.n; i++) {
		size_t l = strlen(s.v[i]);
		char pn[300], in[300];
		if (l < 9 || strcmp(s.v[i] + l - 4, ".idx") || strncmp(s.v[i], "pack-", 5))
			continue;
		if (g->npacks == GK_MAX_PACKS) {
			free(s.v);
			return gk_err("objects/pack", "too many packs");
		}
		size_t k = g->npacks;
		snprintf(g->pack_names[k], sizeof g->pack_names[k], "objects/pack/%.*s", (int)(l - 4), s.v[i]);
		snprintf(pn, sizeof pn, "%s.pack", g->pack_names[k]);
		snprintf(in, sizeof in, "%s.idx", g->pack_names[k]);
		if (cl_files_map(&g->files, pn, &g->pack_map[k], &g->pack_len[k]) < 0)
			continue; /* an .idx without its pack: git ignores it too */
		if (cl_files_map(&g->files, in, &g->idx_map[k], &g->idx_len[k]) < 0) {
			cl_files_unmap(g->pack_map[k], g->pack_len[k]);
			continue;
		}
		rc = gitstore_idx_parse(&g->idx[k], g->algo, g->idx_map[k], g->idx_len[k], g->pack_len[k],
					verify_idx ? GITSTORE_IDX_VERIFY : 0);
		if (rc == 0) {
			struct gitstore_limits lim = { .max_depth = 4095, .max_object = 1u << 30 };
			rc = gitstore_pack_open(&g->packs[k], g->algo, g->pack_map[k], g->pack_len[k], &g->idx[k], &lim,
						&g->pack_arena);
		}
		if (rc < 0) {
			free(s.v);
			return gk_lib_err(in, rc);
		}
		gitstore_pack_set_cache(&g->packs[k], &g->cache);
		g->npacks++;
	}
	free(s.v);
	return 0;
}

int gk_repo_open(struct gk_repo *g, const char *path, bool verify_idx)
{
	memset(g, 0, sizeof *g);
	g->path = path;
	int rc = cl_files_open(&g->files, path);
	if (rc == CL_FILES_ENOENT)
		return gk_err(path, "not a git repository");
	if (rc < 0)
		return gk_err(path, "cannot open");
	g->algo = gf_config_algo(&g->files);
	g->hlen = gitstore_hash_len(g->algo);
	g->arena = gk_xmalloc(GITSTORE_DEFLATE_ARENA);
	struct gitstore_limits l = { .max_depth = 4095, .max_object = 1u << 30 };
	gitstore_repo_init(&g->r, gk_files_ops, &g->files, g->algo, &l, g->arena, GITSTORE_DEFLATE_ARENA);
	g->r.random = cl_random;
	g->pack_arena_mem = gk_xmalloc(GITSTORE_INFLATE_ARENA);
	gitstore_arena_init(&g->pack_arena, g->pack_arena_mem, GITSTORE_INFLATE_ARENA);
	gitstore_pack_cache_init(&g->cache, gk_xmalloc(GK_CACHE_RING), GK_CACHE_RING,
				 gk_xmalloc(GK_CACHE_SLOTS * sizeof(struct gitstore_cache_slot)), GK_CACHE_SLOTS);
	g->scratch_cap = 8 * 4096 + (2u << 20);
	g->scratch = gk_xmalloc(g->scratch_cap);
	if ((rc = open_packs(g, verify_idx)) != 0)
		return rc;
	gitstore_repo_set_packs(&g->r, g->packs, g->npacks, g->scratch, g->scratch_cap);
	return 0;
}

void gk_repo_drop_pages(struct gk_repo *g)
{
	/* The mapping is read-only: its pages come back from the page cache
	 * (a minor fault) when read again. */
	for (size_t k = 0; k < g->npacks; k++)
		if (g->pack_len[k])
			madvise((void *)(uintptr_t)g->pack_map[k], g->pack_len[k], MADV_DONTNEED);
}

void gk_repo_close(struct gk_repo *g)
{
	for (size_t k = 0; k < g->npacks; k++) {
		cl_files_unmap(g->pack_map[k], g->pack_len[k]);
		cl_files_unmap(g->idx_map[k], g->idx_len[k]);
	}
	cl_files_close(&g->files);
	free(g->arena);
	free(g->pack_arena_mem);
	free(g->cache.ring);
	free(g->cache.slots);
	free(g->scratch);
}

int gk_obj_read(struct gk_repo *g, const struct gitstore_oid *id, int *type, uint8_t **buf, size_t *cap)
{
	for (;;) {
		size_t need = 0;
		int rc = gitstore_obj_read(&g->r, id, type, *buf, *cap, &need);
		if (rc != GITSTORE_ENOMEM)
			return rc;
		if (need > *cap) {
			*buf = gk_xrealloc(*buf, need);
			*cap = need;
		} else if (need > g->scratch_cap || g->scratch_cap < 8 * 4096 + 2 * *cap) {
			/* the chain, a second object and the largest delta */
			g->scratch_cap = (need > g->scratch_cap ? need : g->scratch_cap) + 2 * *cap + 8 * 4096;
			g->scratch = gk_xrealloc(g->scratch, g->scratch_cap);
			gitstore_repo_set_packs(&g->r, g->packs, g->npacks, g->scratch, g->scratch_cap);
		} else {
			return GITSTORE_ENOMEM;
		}
	}
}

void gk_pack_buf_init(struct gitstore_pack_buf *b, size_t out, size_t scratch)
{
	memset(b, 0, sizeof *b);
	b->out = gk_xmalloc(out);
	b->out_cap = out;
	b->scratch = gk_xmalloc(scratch);
	b->scratch_cap = scratch;
}

void gk_pack_buf_free(struct gitstore_pack_buf *b)
{
	free(b->out);
	free(b->scratch);
}

int gk_pack_read(struct gitstore_pack *p, uint64_t off, struct gitstore_pack_buf *b, int *type)
{
	for (;;) {
		int rc = gitstore_pack_read(p, off, b, type);
		if (rc != GITSTORE_ENOMEM)
			return rc;
		bool grew = false;
		if (b->out_needed > b->out_cap) {
			b->out_cap = b->out_needed;
			b->out = gk_xrealloc(b->out, b->out_cap);
			grew = true;
		}
		/* scratch: the chain, a second object and the largest delta */
		size_t sn = 8 * ((size_t)p->limits.max_depth + 1) + 2 * b->out_cap;
		if (b->scratch_needed > sn)
			sn = b->scratch_needed + b->scratch_needed / 4;
		if (sn > b->scratch_cap) {
			b->scratch_cap = sn;
			b->scratch = gk_xrealloc(b->scratch, sn);
			grew = true;
		}
		if (!grew)
			return GITSTORE_ENOMEM;
	}
}

/* ---- loose objects ---- */

struct loose_walk {
	struct gk_repo *g;
	const char *dir;
	struct gitstore_oid *ids;
	size_t n, cap;
};

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int loose_file(void *arg, const char *entry, bool is_dir)
{
	struct loose_walk *w = arg;
	size_t hl = 2 * w->g->hlen;
	char hex[GITSTORE_HEX_MAX];
	if (is_dir || strlen(entry) != hl - 2)
		return 0;
	memcpy(hex, w->dir, 2);
	memcpy(hex + 2, entry, hl - 2);
	for (size_t i = 0; i < hl; i++)
		if (hexval(hex[i]) < 0)
			return 0;
	if (w->n == w->cap)
		w->ids = gk_xrealloc(w->ids, (w->cap = w->cap ? 2 * w->cap : 256) * sizeof *w->ids);
	gitstore_oid_from_hex(w->g->algo, hex, hl, &w->ids[w->n++]);
	return 0;
}

static int loose_dir(void *arg, const char *entry, bool is_dir)
{
	struct loose_walk *w = arg;
	char dir[32];
	if (!is_dir || strlen(entry) != 2 || hexval(entry[0]) < 0 || hexval(entry[1]) < 0)
		return 0;
	snprintf(dir, sizeof dir, "objects/%s", entry);
	w->dir = entry;
	int stop = 0;
	cl_files_list(&w->g->files, dir, loose_file, w, &stop);
	return 0;
}

static int oid_qcmp(const void *a, const void *b)
{
	return gitstore_oid_cmp(a, b);
}

int gk_loose_ids(struct gk_repo *g, struct gitstore_oid **ids, size_t *n)
{
	struct loose_walk w = { g, NULL, NULL, 0, 0 };
	int stop = 0;
	int rc = cl_files_list(&g->files, "objects", loose_dir, &w, &stop);
	if (rc < 0 && rc != CL_FILES_ENOENT)
		return gk_err("objects", "cannot list");
	if (w.n)
		qsort(w.ids, w.n, sizeof *w.ids, oid_qcmp);
	*ids = w.ids;
	*n = w.n;
	return 0;
}

/* ---- output ---- */

#define GK_OUT_DIRECT (64u << 10)

void gk_out_init(struct gk_out *o, int fd, size_t cap)
{
	o->fd = fd;
	o->buf = gk_xmalloc(cap);
	o->len = 0;
	o->cap = cap;
	o->failed = false;
}

static void write_all(struct gk_out *o, const uint8_t *p, size_t n)
{
	while (n && !o->failed) {
		ssize_t w = write(o->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->failed = true;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
}

void gk_out_write(struct gk_out *o, const void *p, size_t n)
{
	/* Large pieces go straight out, not copied through the buffer. */
	if (n >= GK_OUT_DIRECT) {
		write_all(o, o->buf, o->len);
		o->len = 0;
		write_all(o, p, n);
		return;
	}
	if (o->len + n > o->cap) {
		write_all(o, o->buf, o->len);
		o->len = 0;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

int gk_out_close(struct gk_out *o)
{
	write_all(o, o->buf, o->len);
	o->len = 0;
	free(o->buf);
	o->buf = NULL;
	if (o->failed)
		return gk_err("output", strerror(errno));
	return 0;
}
