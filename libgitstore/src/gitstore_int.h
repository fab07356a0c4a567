/* Private declarations of libgitstore. */
#ifndef GITSTORE_INT_H
#define GITSTORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cloudlet/gitstore.h>

/* Everything declared here is shared between this library's files, not
 * part of its API: hidden, so the shared library does not export it. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* A name git refuses to check out as it would write into .git (fsck's has_dotgit). */
bool gitstore_int_name_is_dotgit(const uint8_t *s, size_t len);

/* zlib over an arena (gitstore_zlib.c). */
struct z_stream_s;
void *gitstore_int_alloc(struct gitstore_arena *a, size_t n);
struct z_stream_s *gitstore_int_inflate_begin(struct gitstore_arena *a);
struct z_stream_s *gitstore_int_deflate_begin(struct gitstore_arena *a);
bool gitstore_int_ratio_ok(const struct gitstore_limits *l, uint64_t in, uint64_t out);

/* A fresh temporary name in dir (gitstore_repo.c). */
int gitstore_int_tmp_name(struct gitstore_repo *r, const char *dir, char *out, size_t cap);

/* Big-endian words; sorting slots by id (gitstore_idx.c). */
uint32_t gitstore_int_be32(const uint8_t *p);
void gitstore_int_put_be32(uint8_t *p, uint32_t v);
void gitstore_int_sort_slots(struct gitstore_index_slot *s, size_t n);

/* Pack internals (gitstore_pack.c). */
int gitstore_int_pack_inflate(struct gitstore_pack *p, const struct gitstore_pack_entry *e, uint8_t *out, size_t *used);
/* Hash and/or CRC the pack's bytes [from, to); cpu: gitstore_int_cpu's answer, or 0. */
int gitstore_int_pack_bytes(struct gitstore_pack *p, uint64_t from, uint64_t to, struct gitstore_hash *hs, uint32_t *crc,
	unsigned cpu);
int gitstore_int_pack_copy(struct gitstore_pack *p, uint64_t off, uint8_t *out, size_t n);
int gitstore_int_entry_extent(struct gitstore_pack *p, const struct gitstore_pack_entry *e,
	void (*sink)(void *ctx, const uint8_t *d, size_t n), void *ctx, uint64_t *end);

/*
 * What the CPU offers (gitstore_crc32.c): CPUID, which costs a microsecond
 * or more under a hypervisor, so callers ask once and keep the answer
 * (0: not asked yet).
 */
#define GITSTORE_INT_CPU_ASKED 1u
#define GITSTORE_INT_CPU_CLMUL 2u   /* PCLMULQDQ */
#define GITSTORE_INT_CPU_SHA 4u     /* SHA-NI with SSSE3 and SSE4.1 */
unsigned gitstore_int_cpu(void);
/* A fresh hash context told what the CPU offers (cpu from gitstore_int_cpu,
 * 0: let it ask itself), so a run of many small objects never asks CPUID. */
void gitstore_int_hash_use_cpu(struct gitstore_hash *h, unsigned cpu);
/* gitstore_obj_hash with that. */
int gitstore_int_obj_hash(int algo, int type, const void *data, size_t len, struct gitstore_oid *out, unsigned cpu);
/* zlib's crc32(crc, p, n), folded with PCLMULQDQ where *cpu (kept by the caller) says it can be. */
uint32_t gitstore_int_crc32(uint32_t crc, const uint8_t *p, size_t n, unsigned *cpu);

/* The protocol (gitstore_pkt.c): four lowercase hex digits of a pkt-line length. */
void gitstore_int_pkt_hdr(uint8_t *out, size_t n);

/* The objects a fetch sends (gitstore_walk.c): a table over caller-lent memory. */
#define GITSTORE_INT_W_UNINT 1u   /* flag of struct gitstore_walk_obj: the client has it */
struct gitstore_int_walk {
	struct gitstore_repo *r;
	struct gitstore_walk_obj *o;
	size_t cap, n;
	uint32_t *index;
	size_t mask;          /* the table in use: the first mask + 1 slots of index */
	size_t max_mask;      /* index's own length - 1: the table doubles up to it */
	uint32_t *stack;
	size_t sp;
	uint8_t *buf;
	size_t buf_cap;
};
void gitstore_int_walk_init(struct gitstore_int_walk *w, struct gitstore_repo *r, struct gitstore_walk_obj *o,
	size_t cap, uint32_t *index, size_t index_len, uint32_t *stack, uint8_t *buf, size_t buf_cap);
/* The table's size to start with (or all of index, when smaller). */
#define GITSTORE_INT_WALK_TABLE_MIN 64u
long gitstore_int_walk_find(struct gitstore_int_walk *w, const struct gitstore_oid *id);
/* 1 added, 0 present (*at either way), GITSTORE_ENOMEM. */
int gitstore_int_walk_add(struct gitstore_int_walk *w, const struct gitstore_oid *id, int type, size_t *at);
/* Mark an object the client has. */
int gitstore_int_walk_mark_have(struct gitstore_int_walk *w, const struct gitstore_oid *id, int type);
/* Walk from the entries added (wants) and marked (haves). */
int gitstore_int_walk_run(struct gitstore_int_walk *w);
bool gitstore_int_walk_sends(const struct gitstore_int_walk *w, size_t i);
/* An incoming pack (gitstore_inpack.c). */
int gitstore_int_inpack_init(struct gitstore_inpack *ip, const struct gitstore_inpack_mem *m);
/* Append bytes: 1 when the pack is whole, 0 when more is needed, <0 malformed or full. */
int gitstore_int_inpack_add(struct gitstore_inpack *ip, int algo, const uint8_t *data, size_t len);
int gitstore_int_inpack_unpack(struct gitstore_inpack *ip, struct gitstore_repo *r);
int gitstore_int_inpack_read(struct gitstore_inpack *ip, struct gitstore_repo *r, const struct gitstore_oid *id,
	int *type, uint8_t *buf, size_t cap, size_t *needed);
int gitstore_int_inpack_connected(struct gitstore_inpack *ip, struct gitstore_repo *r, const struct gitstore_oid *tip);
int gitstore_int_inpack_descends(struct gitstore_inpack *ip, struct gitstore_repo *r, const struct gitstore_oid *new_id,
	const struct gitstore_oid *old);
int gitstore_int_inpack_store(struct gitstore_inpack *ip, struct gitstore_repo *r);

/* The v0 ref advertisement into the stage (gitstore_upload.c). */
int gitstore_int_upload_advertise(struct gitstore_upload *u);

/*
 * Every storage op goes through these wrappers: the one place to trace
 * calls or inject faults.
 */
static inline int gitstore_int_read(struct gitstore_repo *r, const char *name, uint64_t off, uint8_t *buf, size_t cap)
{
	return r->ops->read(r->ctx, name, off, buf, cap);
}

static inline int gitstore_int_size(struct gitstore_repo *r, const char *name, uint64_t *size)
{
	return r->ops->size(r->ctx, name, size);
}

static inline int gitstore_int_append(struct gitstore_repo *r, const char *name, const uint8_t *buf, size_t len)
{
	return r->ops->append(r->ctx, name, buf, len);
}

static inline int gitstore_int_rename(struct gitstore_repo *r, const char *from, const char *to, unsigned flags)
{
	return r->ops->rename(r->ctx, from, to, flags);
}

static inline int gitstore_int_remove(struct gitstore_repo *r, const char *name)
{
	return r->ops->remove(r->ctx, name);
}

static inline int gitstore_int_list(struct gitstore_repo *r, const char *dir,
	int (*each)(void *arg, const char *entry, bool is_dir), void *arg)
{
	return r->ops->list(r->ctx, dir, each, arg);
}

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
