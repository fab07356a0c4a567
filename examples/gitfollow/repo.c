/* gitfollow: a daemon's read handle of a repository: packs mapped, loose
 * objects through cl_files, a small cache of delta bases, and a rescan of
 * the packs when an object is missing (git gc packed it). Unlike gitkv's
 * handle (tuned for whole-repository passes), it is sized for a long-lived
 * process with one handle per thread, and closing it frees everything. */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "gitfollow.h"

CL_STORAGE_OPS(gf_ops_, struct gitstore_storage_ops, GITSTORE_ENOENT, GITSTORE_EEXIST, GITSTORE_EIO,
	       GITSTORE_RENAME_NOREPLACE);
const struct gitstore_storage_ops *const gf_files_ops = &gf_ops_;

/* Counts gf_repo_packs_added: the one mutable global of the follower, an
 * atomic counter. */
static atomic_uint_fast64_t packs_added;

/* Delta bases kept per handle: a clone's walk of a repository of ~50,000
 * objects inflates 50,060 times with 4 MiB and 1,024 slots, 37,802 times
 * with these (git keeps 96 MiB); only pages a handle touches cost memory. */
#define CACHE_RING (16u << 20)
#define CACHE_SLOTS 16384u
#define SCRATCH_MIN (8 * 4096 + (2u << 20))

struct names {
	char (*v)[256];
	size_t n, cap;
	bool oom;
};

static int collect(void *arg, const char *entry, bool is_dir)
{
	struct names *s = arg;
	size_t l = strlen(entry);
	if (is_dir || l >= 256 || l < 9 || strcmp(entry + l - 4, ".idx") || strncmp(entry, "pack-", 5))
		return 0;
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 16;
		void *nv = realloc(s->v, nc * sizeof *s->v);
		if (!nv) {
			s->oom = true;
			return 1;
		}
		s->v = nv;
		s->cap = nc;
	}
	memcpy(s->v[s->n], entry, l - 4);
	s->v[s->n++][l - 4] = '\0';
	return 0;
}

int gf_pack_names(struct cl_files *f, char (**names)[256], size_t *n)
{
	struct names s = { 0 };
	int stop = 0;
	*names = NULL;
	*n = 0;
	int rc = cl_files_list(f, "objects/pack", collect, &s, &stop);
	if (rc == CL_FILES_ENOENT) {
		free(s.v);
		return 0;
	}
	if (rc < 0 || s.oom) {
		free(s.v);
		return GITSTORE_EIO;
	}
	*names = s.v;
	*n = s.n;
	return 0;
}

static void close_packs(struct gf_repo *g)
{
	for (size_t k = 0; k < g->npacks; k++) {
		cl_files_unmap(g->pack_map[k], g->pack_len[k]);
		cl_files_unmap(g->idx_map[k], g->idx_len[k]);
		free(g->ends[k]);
		g->ends[k] = NULL;
	}
	g->npacks = 0;
}

/* When objects/pack last changed (a pack added or removed): 0 when it cannot be read. */
static uint64_t pack_dir_stamp(const struct gf_repo *g)
{
	char path[sizeof g->files.gitdir + 16];
	struct stat st;
	snprintf(path, sizeof path, "%s/objects/pack", g->files.gitdir);
	if (stat(path, &st) != 0)
		return 0;
	return (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
}

/* Maps every pack with its .idx (an .idx without its pack is skipped, as
 * git does); the cache's keys come from the packs' trailers, so it
 * survives a rescan. */
static int open_packs(struct gf_repo *g)
{
	struct names s = { 0 };
	g->pack_stamp = pack_dir_stamp(g);
	int rc = gf_pack_names(&g->files, &s.v, &s.n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < s.n && g->npacks < GF_MAX_PACKS; i++) {
		size_t k = g->npacks;
		char pn[300], in[300];
		snprintf(pn, sizeof pn, "objects/pack/%s.pack", s.v[i]);
		snprintf(in, sizeof in, "objects/pack/%s.idx", s.v[i]);
		if (cl_files_map(&g->files, pn, &g->pack_map[k], &g->pack_len[k]) < 0)
			continue;
		if (cl_files_map(&g->files, in, &g->idx_map[k], &g->idx_len[k]) < 0) {
			cl_files_unmap(g->pack_map[k], g->pack_len[k]);
			continue;
		}
		rc = gitstore_idx_parse(&g->idx[k], g->algo, g->idx_map[k], g->idx_len[k], g->pack_len[k], 0);
		if (rc == 0)
			rc = gitstore_pack_open(&g->packs[k], g->algo, g->pack_map[k], g->pack_len[k], &g->idx[k],
				&g->limits, &g->pack_arena);
		if (rc < 0) {
			/* a pack being written or half deleted: its objects are
			 * found elsewhere or on the next rescan */
			cl_log(CL_LOG_WARN, "%s: %s: skipped", in, gitstore_strerror(rc));
			cl_files_unmap(g->pack_map[k], g->pack_len[k]);
			cl_files_unmap(g->idx_map[k], g->idx_len[k]);
			continue;
		}
		gitstore_pack_set_cache(&g->packs[k], &g->cache);
		/* where entries end, for fetches that copy them as they are; without it
		 * (no memory, a bad idx) they are inflated to find their end */
		g->ends[k] = malloc(((size_t)g->packs[k].count + 1) * sizeof *g->ends[k]);
		if (g->ends[k] && gitstore_pack_set_ends(&g->packs[k], g->ends[k], g->packs[k].count) < 0) {
			free(g->ends[k]);
			g->ends[k] = NULL;
		}
		g->npacks++;
	}
	free(s.v);
	gitstore_repo_set_packs(&g->r, g->packs, g->npacks, g->scratch, g->scratch_cap);
	return 0;
}

struct gf_repo *gf_repo_open(const char *path)
{
	struct gf_repo *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->path = path;
	if (cl_files_open(&g->files, path) < 0) {
		free(g);
		return NULL;
	}
	g->files.sync = false; /* a reader; writers (tests) set it as they need */
	g->algo = gf_config_algo(&g->files);
	g->limits = (struct gitstore_limits){ .max_depth = 4095, .max_object = 1u << 30 };
	g->arena = malloc(GITSTORE_DEFLATE_ARENA);
	g->pack_arena_mem = malloc(GITSTORE_INFLATE_ARENA);
	g->ring = malloc(CACHE_RING);
	g->slots = malloc(CACHE_SLOTS * sizeof *g->slots);
	g->scratch_cap = SCRATCH_MIN;
	g->scratch = malloc(g->scratch_cap);
	if (!g->arena || !g->pack_arena_mem || !g->ring || !g->slots || !g->scratch) {
		gf_repo_close(g);
		return NULL;
	}
	gitstore_repo_init(&g->r, gf_files_ops, &g->files, g->algo, &g->limits, g->arena, GITSTORE_DEFLATE_ARENA);
	g->r.random = cl_random;
	gitstore_arena_init(&g->pack_arena, g->pack_arena_mem, GITSTORE_INFLATE_ARENA);
	gitstore_pack_cache_init(&g->cache, g->ring, CACHE_RING, g->slots, CACHE_SLOTS);
	g->packs_gen = atomic_load(&packs_added);
	if (open_packs(g) < 0) {
		gf_repo_close(g);
		return NULL;
	}
	return g;
}

void gf_repo_close(struct gf_repo *g)
{
	if (!g)
		return;
	close_packs(g);
	cl_files_close(&g->files);
	free(g->arena);
	free(g->pack_arena_mem);
	free(g->ring);
	free(g->slots);
	free(g->scratch);
	free(g);
}

void gf_repo_packs_added(void)
{
	atomic_fetch_add(&packs_added, 1);
}

/* Packs as they are now: after git gc, repack or a fetch. */
static int rescan(struct gf_repo *g)
{
	g->last_rescan_ms = cl_now_ms();
	g->packs_gen = atomic_load(&packs_added);
	close_packs(g);
	/* descriptors of deleted loose objects go too */
	cl_files_close(&g->files);
	if (cl_files_open(&g->files, g->path) < 0) {
		gitstore_repo_set_packs(&g->r, g->packs, 0, g->scratch, g->scratch_cap);
		return GITSTORE_EIO;
	}
	g->files.sync = false;
	return open_packs(g);
}

static int read_grow(struct gf_repo *g, const struct gitstore_oid *id, int *type, uint8_t **buf, size_t *cap)
{
	if (!*buf) {
		/* never a NULL buffer: an empty object is copied with memcpy(out, ..., 0) */
		*buf = malloc(4096);
		if (!*buf)
			return GITSTORE_ENOMEM;
		*cap = 4096;
	}
	for (;;) {
		size_t need = 0;
		int rc = gitstore_obj_read(&g->r, id, type, *buf, *cap, &need);
		if (rc != GITSTORE_ENOMEM)
			return rc;
		if (need > *cap) {
			uint8_t *nb = realloc(*buf, need);
			if (!nb)
				return GITSTORE_ENOMEM;
			*buf = nb;
			*cap = need;
		} else if (need > g->scratch_cap || g->scratch_cap < SCRATCH_MIN + 2 * *cap) {
			/* a delta chain needs the chain, a second object and the
			 * largest delta */
			size_t ns = (need > g->scratch_cap ? need : g->scratch_cap) + 2 * *cap + 8 * 4096;
			uint8_t *nb = realloc(g->scratch, ns);
			if (!nb)
				return GITSTORE_ENOMEM;
			g->scratch = nb;
			g->scratch_cap = ns;
			gitstore_repo_set_packs(&g->r, g->packs, g->npacks, g->scratch, g->scratch_cap);
		} else {
			return GITSTORE_ENOMEM;
		}
	}
}

int gf_repo_refresh(struct gf_repo *g)
{
	/* A file system whose times are coarse (a second, or two) could show
	 * the same time after a pack was added: while the time taken is that
	 * recent, the packs are taken again anyway. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	if (atomic_load(&packs_added) == g->packs_gen && g->pack_stamp && pack_dir_stamp(g) == g->pack_stamp &&
		now_ns - g->pack_stamp > 2000000000u)
		return 0;
	return rescan(g) < 0 ? GITSTORE_EIO : 0;
}

int gf_obj_read(struct gf_repo *g, const struct gitstore_oid *id, int type, uint8_t **buf, size_t *cap)
{
	int t = 0, rc = read_grow(g, id, &t, buf, cap);
	/* At most once a second: a repository that lacks an object for good
	 * must not make every request map all packs again. */
	if (rc == GITSTORE_ENOENT &&
	    (cl_now_ms() - g->last_rescan_ms >= 1000 || atomic_load(&packs_added) != g->packs_gen)) {
		if (rescan(g) < 0)
			return GITSTORE_EIO;
		rc = read_grow(g, id, &t, buf, cap);
	}
	if (rc >= 0 && type && t != type)
		return GITSTORE_EOBJ_TYPE;
	return rc;
}
