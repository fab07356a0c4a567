/*
 * gitfollow: serving straight from a Git repository. A follower watches one
 * branch of a local repository (on a timer, and at once when triggered, e.g.
 * by SIGHUP) and hands each new head to the daemon's apply callback, which
 * builds everything that commit serves and publishes it in one step, or
 * refuses it and changes nothing (the old commit keeps serving). The
 * follower remembers a refused commit and does not try it again until the
 * branch moves or a trigger asks (so a broken commit is logged once per
 * attempt, not every poll).
 *
 * The split is meant to outlive local repositories: a follower of a remote
 * (fetch, then the same check) only replaces where the new head comes from;
 * apply and the publish step stay as they are.
 *
 * Threads. The follower runs on a thread of its own with its own read handle
 * of the repository (struct gf_repo is not shared between threads); apply
 * runs there. gf_follow_trigger may be called from any thread.
 *
 * Refs are read through a fresh file handle on every check. A long-lived
 * handle is safe too: cl_files keeps descriptors of objects only (their
 * names are their content) and opens a ref, HEAD or packed-refs again on
 * every read, since git replaces them by rename.
 */
#ifndef GITFOLLOW_H
#define GITFOLLOW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <cloudlet/gitstore.h>
#include "cl_posix.h"

/* ---- A read handle of a repository (repo.c); one per thread */
#define GF_MAX_PACKS 256
struct gf_repo {
	const char *path;
	int algo;
	struct cl_files files;
	struct gitstore_repo r;
	struct gitstore_limits limits;
	uint8_t *arena;               /* zlib (deflate-sized: tests write through it) */
	uint8_t *pack_arena_mem;
	struct gitstore_arena pack_arena;
	uint8_t *ring;
	struct gitstore_cache_slot *slots;
	struct gitstore_pack_cache cache;   /* delta bases, kept across rescans */
	uint8_t *scratch;
	size_t scratch_cap;
	size_t npacks;
	struct gitstore_pack packs[GF_MAX_PACKS];
	struct gitstore_idx idx[GF_MAX_PACKS];
	const uint8_t *pack_map[GF_MAX_PACKS], *idx_map[GF_MAX_PACKS];
	size_t pack_len[GF_MAX_PACKS], idx_len[GF_MAX_PACKS];
	uint64_t *ends[GF_MAX_PACKS];   /* gitstore_pack_set_ends, or NULL */
	uint64_t last_rescan_ms;
	uint64_t packs_gen;    /* gf_repo_packs_added's count at the last rescan */
	uint64_t pack_stamp;   /* objects/pack's modification time at the last scan (ns) */
};
/* libgitstore's storage ops over cl_files. */
extern const struct gitstore_storage_ops *const gf_files_ops;
/* Open path (a work tree or a git directory) with its packs; NULL when it
 * is no repository (or out of memory). */
struct gf_repo *gf_repo_open(const char *path);
void gf_repo_close(struct gf_repo *g);
/* The packs of objects/pack that have an idx, as "pack-<hex>" (malloc'd,
 * *n of them; the caller frees *names): 0 or GITSTORE_EIO. */
int gf_pack_names(struct cl_files *f, char (**names)[256], size_t *n);
/* The object format of the repository f opened: GITSTORE_SHA1 or GITSTORE_SHA256. */
int gf_config_algo(struct cl_files *f);
/*
 * Merge the repository's small packs into one when it has more than
 * max_packs (repack.c): entries copied as they are, nothing recompressed,
 * nothing dropped, the largest pack and packs marked .keep/.promisor left
 * alone. The number of packs merged (0: nothing to do, or another merge is
 * running), or -1 with a message in err and nothing changed. Callers then
 * call gf_repo_packs_added so handles look again.
 */
int gf_repack(const char *path, unsigned max_packs, char *err, size_t errcap);
/* The limit the daemons merge at, after a push (httpd) or a fetch (--remote). */
#define GF_PACKS_MERGE_AT 16
/* gf_repack at that limit, logged: for after a push or a fetch. */
void gf_repack_maybe(const char *path, const char *what);
/* For a handle kept between requests: take the packs again when objects/pack
 * changed since they were taken (git gc, a push, a fetch by another process)
 * or gf_repo_packs_added was called. 0, or GITSTORE_EIO. */
int gf_repo_refresh(struct gf_repo *g);
/* This process added packs (httpd received a push): every handle looks for
 * new packs on its next miss, without waiting out the once-a-second limit
 * of gf_obj_read. Any thread. */
void gf_repo_packs_added(void);

/* Builds and publishes what commit serves: 0, or -1 with a message in err
 * ("zones/example.test.zone:7:1: ...") and nothing changed. */
typedef int (*gf_apply_fn)(void *ctx, struct gf_repo *r, const struct gitstore_oid *commit,
	const struct gitstore_oid *tree, char *err, size_t errcap);

struct gf_follow {
	/* set before gf_follow_start */
	const char *repo;                    /* a work tree or a git directory */
	char branch[GITSTORE_REFNAME_MAX];   /* "refs/heads/main" */
	uint64_t poll_ms;                    /* 0: only on triggers */
	const char *what;                    /* "zones", "site": for the log */
	gf_apply_fn apply;
	void *ctx;
	/* Where the new head comes from: NULL reads the branch of the local
	 * repository. A follower of a remote puts its fetch here (fetch into
	 * the local repository, then give the fetched commit, or an error to
	 * keep serving what serves). Runs on the follower's thread. */
	int (*head)(void *head_ctx, const char *branch, struct gitstore_oid *out);
	void *head_ctx;
	/* the follower's */
	struct {
		struct gf_repo *r;
		pthread_t thread;
		bool started;
		pthread_mutex_t mu;
		pthread_cond_t cv;
		bool trigger, stop;
		struct gitstore_oid current;   /* the commit serving */
		struct gitstore_oid refused;   /* the last commit apply refused */
		bool have_refused;
		int head_err;                  /* the last failure to read the head */
		uint64_t checks;
	} priv;
};

/* "main" or "refs/heads/main" into out as a full ref name: 0, or -1. */
int gf_branch_name(const char *arg, char *out, size_t cap);

/* Opens the repository, applies the branch's head once on the calling
 * thread (the daemon does not start without a first commit that serves:
 * -1 with the reason in err), then starts the follower thread. */
int gf_follow_start(struct gf_follow *f, char *err, size_t errcap);
/* Check the branch now (SIGHUP). Retries a refused commit too. */
void gf_follow_trigger(struct gf_follow *f);
/* Stop and join the thread, close the repository. */
void gf_follow_stop(struct gf_follow *f);

/* Reads the object id into buf (grown with realloc): its size, or a
 * gitstore error. A missing object makes the handle look for new packs once
 * (git gc may have packed what was loose). */
int gf_obj_read(struct gf_repo *r, const struct gitstore_oid *id, int type, uint8_t **buf, size_t *cap);
/* The entry named name (len bytes) in the tree data[0..len): 1 and *e, 0 when
 * there is none, or a gitstore error for a malformed tree. */
int gf_tree_find(int algo, const uint8_t *tree, size_t tlen, const char *name, size_t len,
	struct gitstore_tree_entry *e);
/* The tree at dir ("site", "a/b", "" for root) below tree: 0 and *out,
 * GITSTORE_ENOENT, GITSTORE_EKV_NOTDIR, or another gitstore error. */
int gf_subtree(struct gf_repo *r, const struct gitstore_oid *tree, const char *dir, struct gitstore_oid *out,
	uint8_t **buf, size_t *cap);

/* What a daemon's workers read: the commit and tree serving now, swapped
 * under a mutex, with a generation a worker checks in one atomic load. */
struct gf_pub {
	pthread_mutex_t mu;
	atomic_uint_fast64_t gen;
	struct gitstore_oid commit, tree;
};
void gf_pub_init(struct gf_pub *p);
void gf_pub_set(struct gf_pub *p, const struct gitstore_oid *commit, const struct gitstore_oid *tree);
/* If the generation differs from *gen: copies commit and tree, updates *gen,
 * returns true. One atomic load otherwise. */
bool gf_pub_get(struct gf_pub *p, uint64_t *gen, struct gitstore_oid *commit, struct gitstore_oid *tree);

#endif
