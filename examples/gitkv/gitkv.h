/* gitkv: shared declarations of the command-line tool over libgitstore. */
#ifndef GITKV_H
#define GITKV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cloudlet/gitstore.h>
#include "cl_posix.h"

/* Exit codes: 0 success, 1 the operation failed (no such path, a bad
 * object, ...), 2 a usage error. fsck exits with git's bit mask. */
enum { GK_OK = 0, GK_FAIL = 1, GK_USAGE = 2 };

#define GK_MAX_PACKS 256

/* One object read out of a pack or loose: buffers grown on demand. */
struct gk_buf {
	struct gitstore_pack_buf b;
};

/* An open repository: files, packs mapped, the library's repo over them. */
struct gk_repo {
	const char *path;
	struct cl_files files;
	struct gitstore_repo r;
	int algo;
	size_t hlen;
	uint8_t *arena;               /* the repo's zlib arena (deflate-sized) */
	struct gitstore_arena pack_arena;
	uint8_t *pack_arena_mem;
	size_t npacks;
	struct gitstore_idx idx[GK_MAX_PACKS];
	struct gitstore_pack packs[GK_MAX_PACKS];
	char pack_names[GK_MAX_PACKS][96];     /* "objects/pack/pack-<hex>" */
	const uint8_t *pack_map[GK_MAX_PACKS], *idx_map[GK_MAX_PACKS];
	size_t pack_len[GK_MAX_PACKS], idx_len[GK_MAX_PACKS];
	struct gitstore_pack_cache cache;
	uint8_t *scratch;                      /* for gitstore_obj_read */
	size_t scratch_cap;
};

/* The storage ops of platform/posix, in libgitstore's types. */
extern const struct gitstore_storage_ops *const gk_files_ops;

/* Print "gitkv: <what>: <why>" to stderr; returns GK_FAIL. */
int gk_err(const char *what, const char *why);
int gk_lib_err(const char *what, int rc);
void *gk_xmalloc(size_t n);
void *gk_xrealloc(void *p, size_t n);

/* Open path (a work tree or a git directory) with its packs; verify_idx
 * checks every .idx whole. Returns 0 or GK_FAIL (message printed). */
int gk_repo_open(struct gk_repo *g, const char *path, bool verify_idx);
void gk_repo_close(struct gk_repo *g);
/* Let the kernel drop the resident pages of the mapped packs: a whole-pack
 * pass then holds no more of the pack in memory than it reads between two
 * calls. */
void gk_repo_drop_pages(struct gk_repo *g);
/* Read any object into g's growing buffer: its size, or a library error. */
int gk_obj_read(struct gk_repo *g, const struct gitstore_oid *id, int *type, uint8_t **buf, size_t *cap);
/* Read the pack entry at off, growing b: the size or a library error. */
int gk_pack_read(struct gitstore_pack *p, uint64_t off, struct gitstore_pack_buf *b, int *type);
void gk_pack_buf_init(struct gitstore_pack_buf *b, size_t out, size_t scratch);
void gk_pack_buf_free(struct gitstore_pack_buf *b);

/* The sorted, unique ids of the loose objects: count, *ids malloc'd. */
int gk_loose_ids(struct gk_repo *g, struct gitstore_oid **ids, size_t *n);

/* Output to a descriptor through one large buffer. */
struct gk_out {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	bool failed;
};
void gk_out_init(struct gk_out *o, int fd, size_t cap);
void gk_out_write(struct gk_out *o, const void *p, size_t n);
/* Flush and free; 0, or GK_FAIL when a write failed. */
int gk_out_close(struct gk_out *o);

/* The commands. */
int gk_cmd_cat_all(const char *repo);
int gk_index_pack(const char *pack, int algo);
int gk_cmd_fsck(const char *repo);

#endif
