/*
 * cloudlet/gitstore.h: libgitstore, Git objects, packs, refs and a versioned
 * key-value view, byte-compatible with git.
 *
 * Layers, each usable alone:
 *   hashes      SHA-1 (written here) and SHA-256 (libsodium), streaming; ids
 *               of 20 or 32 bytes in one struct gitstore_oid.
 *   objects     blob, tree, commit, tag: parsed in place, serialised exactly
 *               as git does (same bytes, same ids), checked as `git fsck
 *               [--strict]` checks them. Pure functions over buffers.
 *   storage     struct gitstore_storage_ops: read at offset, append, atomic
 *               rename (optionally no-replace), remove, list. Bound to files by
 *               platform/posix, to memory by tests.
 *   loose       objects/ab/cdef... through the storage ops and zlib.
 *   packs       .pack (mapped, or read through the storage ops) and .idx v2:
 *               lookups, entries, delta chains, verify-pack's checks;
 *               index-pack (a .idx from a .pack) and a pack writer (whole
 *               objects, or OFS_DELTAs against a base the caller names).
 *   refs        loose and packed refs, symbolic HEAD, git's names, updates
 *               under git's lock protocol with compare-and-swap.
 *   key-value   a branch as a versioned store: get, list, batched commits with
 *               test-and-set, history and diff of paths, three-way merge.
 *   protocol    git's smart protocol, sans I/O (the section at the end):
 *               pkt-line and side-band-64k, upload-pack (v2 and v0) and
 *               receive-pack servers, and a fetch client, for git:// streams
 *               and smart-HTTP request and response bodies alike.
 *
 * Ownership. Every object is a struct the caller owns: gitstore_X_init() sets
 * every field, and nothing is ever freed because nothing is ever allocated.
 * Buffers, tables and arenas are lent by the caller with their capacity and
 * must outlive the object they are lent to. A full buffer is an error the
 * caller sees (GITSTORE_ENOMEM), never a crash; where the size needed is
 * known, it is reported through a `needed` out-argument (or the
 *_needed fields of struct gitstore_pack_buf), so a caller can retry.
 *
 * Hashes. A repository uses one object format: SHA-1 (20-byte ids, the git
 * default) or SHA-256 (32-byte ids, `extensions.objectFormat = sha256`). Every
 * function that reads or writes ids takes the format (GITSTORE_SHA1 or
 * GITSTORE_SHA256) or gets it from a struct that has it. SHA-1 is computed
 * without the SHAttered collision detection git has used since 2.13 (out of
 * scope: a repository that must resist chosen-prefix collisions uses SHA-256).
 *
 * Parsing. Parsers are pure functions over a caller's buffer and return
 * slices into it (struct gitstore_slice); they never copy and never read past
 * the length they are given. Each malformation has its own error code
 * (GITSTORE_ETREE_*, GITSTORE_ECOMMIT_*, GITSTORE_EIDENT_*, GITSTORE_ETAG_*,
 * GITSTORE_EDELTA_*, GITSTORE_EPACK_*, GITSTORE_EIDX_*, GITSTORE_EREF_*).
 *
 * zlib and limits. Loose objects and pack entries are zlib streams; zlib
 * gets zalloc/zfree over a caller's arena (struct gitstore_arena, a bump
 * allocator: GITSTORE_INFLATE_ARENA bytes let one inflate run,
 * GITSTORE_DEFLATE_ARENA one deflate). Reading is bounded by the caller's
 * struct gitstore_limits (largest object, longest delta chain, largest
 * inflate ratio), so zlib bombs, delta bombs, cycles and lying size headers
 * are specific errors with bounded memory and work.
 *
 * Time and chance. Nothing here waits; temporary file names take random
 * bytes from the caller's callback (struct gitstore_repo's random).
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative GITSTORE_E* code; gitstore_strerror() names it.
 * GITSTORE_EAGAIN ("need more input" or "would block") is never the same code
 * as a malformed input.
 *
 * Not here yet: choosing delta bases when writing packs (the caller names
 * the base), thin packs (REF_DELTA bases outside the pack are GITSTORE_EPACK_BASE), reading
 * packs through the storage ops without a mapping, the checks of
 * .gitmodules content, virtual merge bases of criss-cross histories; in the
 * protocol: shallow clones, partial clone filters, push options, push
 * certificates, report-status-v2, multi-round negotiation in the client.
 */
#ifndef CLOUDLET_GITSTORE_H
#define CLOUDLET_GITSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GITSTORE_VERSION "0.1.0"

/* Error codes: every negative return of this library is one of these. */
enum gitstore_err {
	GITSTORE_OK = 0,
	GITSTORE_EAGAIN = -1, /* need more input or would block */
	GITSTORE_ENOMEM = -2, /* buffer, table or arena full */
	GITSTORE_EINVAL = -3, /* invalid argument */
	GITSTORE_EIO = -4, /* I/O error */
	GITSTORE_EEOF = -5, /* peer closed the stream */
	GITSTORE_ETIMEDOUT = -6, /* deadline passed */
	GITSTORE_ENOENT = -7, /* no such object or file */
	GITSTORE_EEXIST = -8, /* file already exists */
	GITSTORE_EHEX = -9, /* bad hexadecimal object id */
	GITSTORE_ETOOBIG = -10, /* object larger than the caller's limit */
	GITSTORE_EOBJ_HEADER = -11, /* bad object header (type, size, NUL) */
	GITSTORE_EOBJ_TYPE = -12, /* unknown object type */
	GITSTORE_EOBJ_SIZE = -13, /* object size header disagrees with its content */
	GITSTORE_EZLIB = -14, /* corrupt zlib stream */
	GITSTORE_EZLIB_RATIO = -15, /* inflate ratio over the caller's limit (zlib bomb) */
	GITSTORE_EZLIB_TRAILING = -16, /* data after the end of a zlib stream */
	GITSTORE_ETRUNCATED = -17, /* input ends inside a structure */
	GITSTORE_ETREE_FORMAT = -18, /* tree cannot be parsed */
	GITSTORE_ETREE_MODE_PAD = -19, /* tree entry mode has a leading zero */
	GITSTORE_ETREE_MODE = -20, /* tree entry mode is not a mode git writes */
	GITSTORE_ETREE_EMPTY_NAME = -21, /* tree entry with an empty name */
	GITSTORE_ETREE_SLASH = -22, /* tree entry name contains '/' */
	GITSTORE_ETREE_DOT = -23, /* tree entry named '.' */
	GITSTORE_ETREE_DOTDOT = -24, /* tree entry named '..' */
	GITSTORE_ETREE_DOTGIT = -25, /* tree entry named .git or a variant of it */
	GITSTORE_ETREE_NULL_ID = -26, /* tree entry points to the null id */
	GITSTORE_ETREE_DUP = -27, /* duplicate tree entries */
	GITSTORE_ETREE_ORDER = -28, /* tree entries not sorted */
	GITSTORE_ETREE_GITMODULES_LINK = -29, /* .gitmodules is a symbolic link */
	GITSTORE_EHDR_NUL = -30, /* NUL byte in an object header */
	GITSTORE_EHDR_UNTERMINATED = -31, /* object header not terminated */
	GITSTORE_ECOMMIT_NO_TREE = -32, /* commit lacks its tree line */
	GITSTORE_ECOMMIT_TREE_ID = -33, /* commit tree line has a bad id */
	GITSTORE_ECOMMIT_PARENT_ID = -34, /* commit parent line has a bad id */
	GITSTORE_ECOMMIT_NO_AUTHOR = -35, /* commit lacks its author line */
	GITSTORE_ECOMMIT_AUTHORS = -36, /* commit has several author lines */
	GITSTORE_ECOMMIT_NO_COMMITTER = -37, /* commit lacks its committer line */
	GITSTORE_EIDENT_NO_NAME = -38, /* ident: missing name before email */
	GITSTORE_EIDENT_BAD_NAME = -39, /* ident: bad name */
	GITSTORE_EIDENT_NO_EMAIL = -40, /* ident: missing email */
	GITSTORE_EIDENT_SPACE_EMAIL = -41, /* ident: missing space before email */
	GITSTORE_EIDENT_BAD_EMAIL = -42, /* ident: bad email */
	GITSTORE_EIDENT_SPACE_DATE = -43, /* ident: missing space before date */
	GITSTORE_EIDENT_DATE_PAD = -44, /* ident: zero-padded date */
	GITSTORE_EIDENT_DATE_OVERFLOW = -45, /* ident: date overflows */
	GITSTORE_EIDENT_DATE = -46, /* ident: bad date */
	GITSTORE_EIDENT_TZ = -47, /* ident: bad time zone */
	GITSTORE_ETAG_NO_OBJECT = -48, /* tag lacks its object line */
	GITSTORE_ETAG_OBJECT_ID = -49, /* tag object line has a bad id */
	GITSTORE_ETAG_NO_TYPE = -50, /* tag lacks its type line */
	GITSTORE_ETAG_TYPE = -51, /* tag type is not an object type */
	GITSTORE_ETAG_NO_NAME = -52, /* tag lacks its tag line */
	GITSTORE_EDELTA_HEADER = -53, /* delta size header malformed */
	GITSTORE_EDELTA_BASE_SIZE = -54, /* delta base size disagrees with the base */
	GITSTORE_EDELTA_OPCODE = -55, /* delta uses the reserved opcode 0 */
	GITSTORE_EDELTA_COPY = -56, /* delta copy outside the base */
	GITSTORE_EDELTA_INSERT = -57, /* delta insert runs past the delta */
	GITSTORE_EDELTA_RESULT = -58, /* delta result size disagrees with its header */
	GITSTORE_EPACK_SIGNATURE = -59, /* not a pack (no PACK signature) */
	GITSTORE_EPACK_VERSION = -60, /* pack version not 2 or 3 */
	GITSTORE_EPACK_COUNT = -61, /* pack object count disagrees */
	GITSTORE_EPACK_ENTRY = -62, /* bad pack entry header */
	GITSTORE_EPACK_OFFSET = -63, /* pack offset outside the pack or not before its entry */
	GITSTORE_EPACK_CHECKSUM = -64, /* pack trailer checksum mismatch */
	GITSTORE_EPACK_CRC = -65, /* pack entry CRC32 mismatch */
	GITSTORE_EPACK_BASE = -66, /* delta base not found */
	GITSTORE_EPACK_DEPTH = -67, /* delta chain longer than the caller's limit */
	GITSTORE_EPACK_CYCLE = -68, /* delta chain is cyclic */
	GITSTORE_EIDX_SIGNATURE = -69, /* not a version 2 .idx */
	GITSTORE_EIDX_SIZE = -70, /* idx size disagrees with its object count */
	GITSTORE_EIDX_FANOUT = -71, /* idx fan-out table not monotonic */
	GITSTORE_EIDX_ORDER = -72, /* idx object ids not sorted */
	GITSTORE_EIDX_OFFSET = -73, /* idx offset out of range */
	GITSTORE_EIDX_CHECKSUM = -74, /* idx trailer checksum mismatch */
	GITSTORE_EIDX_PACK = -75, /* idx names another pack (pack checksum differs) */
	GITSTORE_EOBJ_ID = -76, /* object content does not hash to its id */
	GITSTORE_EREF_NAME = -77, /* bad ref name */
	GITSTORE_EREF_FORMAT = -78, /* ref file or packed-refs malformed */
	GITSTORE_EREF_DEPTH = -79, /* symbolic refs nested too deep */
	GITSTORE_EREF_STALE = -80, /* ref moved: its old value differs */
	GITSTORE_EREF_LOCKED = -81, /* ref locked by another update */
	GITSTORE_EKV_PATH = -82, /* bad key-value path */
	GITSTORE_EKV_NOTDIR = -83, /* a path component is a file */
	GITSTORE_EKV_ISDIR = -84, /* path is a directory */
	GITSTORE_ECOMMIT_NUL = -85, /* NUL byte in a commit (git fsck --strict: nulInCommit) */
	/* the smart protocol */
	GITSTORE_EPKT_HEX = -86, /* pkt-line length is not four hex digits */
	GITSTORE_EPKT_LEN = -87, /* pkt-line length 0003 (reserved, never valid) */
	GITSTORE_EPKT_TOOLONG = -88, /* pkt-line longer than 65520 bytes */
	GITSTORE_ESIDEBAND_EMPTY = -89, /* side-band packet without its band byte */
	GITSTORE_ESIDEBAND_BAND = -90, /* side-band packet on a band other than 1, 2, 3 */
	GITSTORE_EREMOTE = -91, /* the peer reported a fatal error (band 3 or ERR) */
	GITSTORE_EV2_COMMAND = -92, /* v2 request does not start with command=NAME */
	GITSTORE_EV2_SECTION = -93, /* v2 request: packet of the wrong kind in a section */
	GITSTORE_EV2_ARG = -94, /* v2 argument malformed or unknown for its command */
	GITSTORE_EV2_UNSUPPORTED = -95, /* v2 feature not offered here (shallow, filter, want-ref) */
	GITSTORE_EPROTO_LINE = -96, /* protocol line malformed (want, have, ACK, ref line) */
	GITSTORE_EPROTO_STATE = -97, /* packet not expected at this point of the exchange */
	GITSTORE_EPROTO_WANT = -98, /* want of an object the server does not have */
	GITSTORE_ERECV_CMD = -99, /* receive-pack command not "<old> <new> <ref>" */
	GITSTORE_ERR_MIN_ = -100 /* one below the lowest code */
};

/* The name of an error code, for logs: "GITSTORE_ENOMEM: buffer full". Never NULL. */
const char *gitstore_strerror(int err);

/* The library's version string. */
const char *gitstore_version(void);

/* ---------------------------------------------------------------- hashes */

enum gitstore_algo {
	GITSTORE_SHA1 = 1,   /* 20-byte ids, git's default object format */
	GITSTORE_SHA256 = 2  /* 32-byte ids, extensions.objectFormat = sha256 */
};

#define GITSTORE_OID_MAX 32      /* bytes of the longest id */
#define GITSTORE_HEX_MAX 65      /* hex of the longest id, with its NUL */

/* An object id; bytes after the format's length are zero. */
struct gitstore_oid {
	uint8_t b[GITSTORE_OID_MAX];
};

/* A slice of a caller's buffer. */
struct gitstore_slice {
	const uint8_t *p;
	size_t len;
};

/* SHA-1, streaming over a caller-owned context. */
struct gitstore_sha1 {
	uint32_t h[5];
	uint64_t len;
	uint8_t buf[64];
	uint8_t accel;   /* internal: whether the CPU's SHA instructions are used */
};
void gitstore_sha1_init(struct gitstore_sha1 *s);
void gitstore_sha1_update(struct gitstore_sha1 *s, const void *data, size_t len);
void gitstore_sha1_final(struct gitstore_sha1 *s, uint8_t out[20]);

/* The repository's hash, either format, streaming. */
struct gitstore_hash {
	int algo;
	union {
		struct gitstore_sha1 sha1;
		uint64_t sha256[16];     /* libsodium's crypto_hash_sha256_state */
	} priv;
};
/* 20 or 32; 0 for an unknown algo. */
size_t gitstore_hash_len(int algo);
/* 0, or GITSTORE_EINVAL for an unknown algo. */
int gitstore_hash_init(struct gitstore_hash *h, int algo);
void gitstore_hash_update(struct gitstore_hash *h, const void *data, size_t len);
void gitstore_hash_final(struct gitstore_hash *h, struct gitstore_oid *out);

/* Parse exactly 2*hash_len hex digits (either case): 0 or GITSTORE_EHEX. */
int gitstore_oid_from_hex(int algo, const char *hex, size_t len, struct gitstore_oid *out);
/* Write lowercase hex and a NUL into out (GITSTORE_HEX_MAX bytes do); returns the hex length. */
size_t gitstore_oid_to_hex(int algo, const struct gitstore_oid *id, char *out);
int gitstore_oid_cmp(const struct gitstore_oid *a, const struct gitstore_oid *b);
bool gitstore_oid_is_zero(const struct gitstore_oid *a);

/* ---------------------------------------------------------------- objects */

/* Object types, numbered as in a pack entry header. */
enum gitstore_type {
	GITSTORE_COMMIT = 1,
	GITSTORE_TREE = 2,
	GITSTORE_BLOB = 3,
	GITSTORE_TAG = 4,
	GITSTORE_OFS_DELTA = 6,  /* pack entries only */
	GITSTORE_REF_DELTA = 7   /* pack entries only */
};

/* "commit", "tree", "blob", "tag"; NULL for anything else. */
const char *gitstore_type_name(int type);
/* The type named by s[0..len) (exact, lowercase), or GITSTORE_EOBJ_TYPE. */
int gitstore_type_parse(const uint8_t *s, size_t len);

/* The longest object header "commit 18446744073709551615\0". */
#define GITSTORE_OBJ_HEADER_MAX 32

/*
 * Write the header git hashes before an object's bytes, "blob 12\0";
 * returns its length (with the NUL), or GITSTORE_ENOMEM / GITSTORE_EOBJ_TYPE.
 */
int gitstore_obj_header(int type, uint64_t size, uint8_t *buf, size_t cap);
/*
 * Parse a loose object's header at the start of buf: the type name, one
 * space, the size in canonical decimal (no leading zero, no sign), a NUL.
 * Returns the header length with its NUL; GITSTORE_EAGAIN if buf ends before
 * the NUL and is shorter than GITSTORE_OBJ_HEADER_MAX; GITSTORE_EOBJ_TYPE for
 * an unknown type, GITSTORE_EOBJ_HEADER for anything else malformed.
 */
int gitstore_obj_header_parse(const uint8_t *buf, size_t len, int *type, uint64_t *size);
/* The id of an object: hash("<type> <len>\0" data). 0 or GITSTORE_EINVAL. */
int gitstore_obj_hash(int algo, int type, const void *data, size_t len, struct gitstore_oid *out);

/*
 * Check an object's content as `git fsck` does (GITSTORE_CHECK_STRICT: as
 * `git fsck --strict`): dispatches to gitstore_tree_check,
 * gitstore_commit_parse (plus, under STRICT, GITSTORE_ECOMMIT_NUL for a NUL
 * anywhere in a commit) or gitstore_tag_parse; blobs are always valid. Not
 * checked: the content of .gitmodules and .gitattributes blobs (git's
 * gitmodules* and gitattributes* findings need the blob, not the tree).
 * 0 or the specific error.
 */
int gitstore_obj_check(int algo, int type, const uint8_t *data, size_t len, unsigned flags);

/* ---------------------------------------------------------------- trees */

/* Modes git writes in trees (octal). */
#define GITSTORE_MODE_FILE 0100644u
#define GITSTORE_MODE_EXEC 0100755u
#define GITSTORE_MODE_LINK 0120000u
#define GITSTORE_MODE_DIR 0040000u
#define GITSTORE_MODE_GITLINK 0160000u   /* a submodule commit */

struct gitstore_tree_entry {
	uint32_t mode;
	struct gitstore_slice name;   /* never contains NUL */
	struct gitstore_oid id;
};

/* Walks a tree's entries in place. */
struct gitstore_tree_iter {
	const uint8_t *p;
	size_t len;
	size_t off;
	size_t id_len;
};
void gitstore_tree_iter_init(struct gitstore_tree_iter *it, int algo, const uint8_t *data, size_t len);
/*
 * The next entry: 1 and *e filled, 0 at the end, GITSTORE_ETREE_FORMAT where
 * git's decode_tree_entry fails (mode not octal digits then a space, no NUL
 * after the name, fewer than id-length bytes after it, an empty name).
 */
int gitstore_tree_next(struct gitstore_tree_iter *it, struct gitstore_tree_entry *e);

/* Flags of gitstore_tree_check and gitstore_obj_check. */
#define GITSTORE_CHECK_STRICT 1u
/*
 * Check a tree as `git fsck` does (GITSTORE_CHECK_STRICT: as `git fsck
 * --strict`, which turns git's warnings into errors). Always errors, as in
 * git: GITSTORE_ETREE_FORMAT, GITSTORE_ETREE_DUP, GITSTORE_ETREE_ORDER (git's
 * sort: a directory compares as if its name ended in '/'),
 * GITSTORE_ETREE_GITMODULES_LINK. Errors only under STRICT (git's warnings):
 * GITSTORE_ETREE_NULL_ID, ETREE_SLASH, ETREE_EMPTY_NAME, ETREE_DOT,
 * ETREE_DOTDOT, ETREE_DOTGIT (".git" in any case, with trailing spaces or
 * dots, HFS+-ignorable code points such as U+200C inside it, NTFS 8.3 "git~1",
 * and after any backslash), ETREE_MODE_PAD. Modes: git itself only *informs*
 * about a mode other than 100644, 100755, 120000, 040000, 160000 (and accepts
 * 100664 outside --strict); this check rejects them with GITSTORE_ETREE_MODE
 * under STRICT, and tolerates them without it, since a store that serves
 * checkouts has no use for a mode git cannot check out.
 * When several findings apply, the one git reports first is returned.
 */
int gitstore_tree_check(int algo, const uint8_t *data, size_t len, unsigned flags);
/* git's order of tree entries (base_name_compare): <0, 0, >0. */
int gitstore_tree_entry_cmp(const struct gitstore_tree_entry *a, const struct gitstore_tree_entry *b);
/* Sort entries in place in git's order (heapsort: no recursion, no memory). */
void gitstore_tree_sort(struct gitstore_tree_entry *e, size_t n);
/*
 * Serialise n entries (already in git's order, no duplicates) as git does:
 * "<octal mode without leading zero> <name>\0<raw id>". Returns the length;
 * GITSTORE_ENOMEM with *needed set if cap is short; GITSTORE_ETREE_ORDER /
 * GITSTORE_ETREE_DUP for unsorted input; GITSTORE_ETREE_EMPTY_NAME and
 * GITSTORE_ETREE_SLASH for names a tree cannot hold (a name with NUL too).
 */
int gitstore_tree_write(int algo, const struct gitstore_tree_entry *e, size_t n,
	uint8_t *buf, size_t cap, size_t *needed);

/* ---------------------------------------------------------------- commits, tags */

/* "Name <email> 1700000000 +0100" as parsed from an author/committer/tagger line. */
struct gitstore_ident {
	struct gitstore_slice name;   /* without the space before '<' */
	struct gitstore_slice email;  /* between '<' and '>' */
	int64_t time;                 /* seconds since the epoch */
	int tz;                       /* minutes east of UTC */
};
/*
 * Parse an ident (the text after "author ", up to but without its newline)
 * with git's fsck_ident rules: each failure its own GITSTORE_EIDENT_* code.
 */
int gitstore_ident_parse(const uint8_t *s, size_t len, struct gitstore_ident *out);
/* Write "name <email> time +hhmm" (no newline); length or GITSTORE_ENOMEM / GITSTORE_EINVAL (name or email with '<', '>' or a newline). */
int gitstore_ident_write(const char *name, const char *email, int64_t time, int tz,
	uint8_t *buf, size_t cap);

struct gitstore_commit {
	struct gitstore_oid tree;
	size_t nparents;
	struct gitstore_slice parents;   /* the "parent <hex>\n" lines; see gitstore_commit_parent */
	struct gitstore_slice author;    /* the ident text, without "author " and newline */
	struct gitstore_slice committer;
	struct gitstore_slice extra;     /* headers after committer (encoding, gpgsig, mergetag), raw */
	struct gitstore_slice message;   /* after the blank line; empty if none */
	int algo;
};
/*
 * Parse a commit in place and check it as git fsck does (headers terminated
 * and free of NUL, tree, parents, one author, committer, each ident valid).
 */
int gitstore_commit_parse(int algo, const uint8_t *data, size_t len, struct gitstore_commit *c);
/* The i-th parent (0-based): 0 or GITSTORE_EINVAL when i >= nparents. */
int gitstore_commit_parent(const struct gitstore_commit *c, size_t i, struct gitstore_oid *out);

/* What a new commit is made of; idents as gitstore_ident_write makes them. */
struct gitstore_commit_info {
	const struct gitstore_oid *tree;
	const struct gitstore_oid *parents;
	size_t nparents;
	struct gitstore_slice author;
	struct gitstore_slice committer;
	struct gitstore_slice message;
};
/* Serialise as git commit-tree does; the length, or GITSTORE_ENOMEM with *needed. */
int gitstore_commit_write(int algo, const struct gitstore_commit_info *ci,
	uint8_t *buf, size_t cap, size_t *needed);

struct gitstore_tag {
	struct gitstore_oid object;
	int type;                        /* the tagged object's type */
	struct gitstore_slice name;      /* the "tag" line */
	struct gitstore_slice tagger;    /* the ident text; len 0 for old tags without one */
	struct gitstore_slice extra;     /* further headers, raw */
	struct gitstore_slice message;
};
/* Parse a tag in place, checked as git fsck does. */
int gitstore_tag_parse(int algo, const uint8_t *data, size_t len, struct gitstore_tag *t);

struct gitstore_tag_info {
	const struct gitstore_oid *object;
	int type;
	struct gitstore_slice name;
	struct gitstore_slice tagger;
	struct gitstore_slice message;
};
/* Serialise as git mktag expects; the length, or GITSTORE_ENOMEM with *needed. */
int gitstore_tag_write(int algo, const struct gitstore_tag_info *ti,
	uint8_t *buf, size_t cap, size_t *needed);

/* ---------------------------------------------------------------- limits, arena */

/*
 * What hostile input may cost. A value of 0 takes the default.
 *   max_object: the largest object (inflated, and every delta result), bytes.
 *   max_depth:  the longest delta chain followed (git writes 50 by default,
 *               `gc --aggressive` wrote 250 before git 2.15, 4095 at most);
 *               reading needs 8 bytes of scratch per level.
 *   max_ratio:  the largest inflated/deflated ratio of one zlib stream, once
 *               past GITSTORE_RATIO_SLACK bytes of output; deflate itself
 *               cannot exceed about 1032, so a lower value is a policy. 0 or
 *               UINT32_MAX leaves it off (max_object still bounds memory).
 */
struct gitstore_limits {
	uint64_t max_object;
	uint32_t max_depth;
	uint32_t max_ratio;
};
#define GITSTORE_DEFAULT_MAX_OBJECT (64u << 20)
#define GITSTORE_DEFAULT_MAX_DEPTH 1024u
#define GITSTORE_RATIO_SLACK (64u << 10)
/* Fill in defaults for zero fields. */
void gitstore_limits_default(struct gitstore_limits *l);

/*
 * A bump allocator over a caller's buffer, for zlib's zalloc (zfree does
 * nothing; each zlib stream starts from a reset arena). Sizes that let one
 * stream run (with git's default windowBits 15 and memLevel 8):
 */
#define GITSTORE_INFLATE_ARENA (56u << 10)
#define GITSTORE_DEFLATE_ARENA (300u << 10)
struct gitstore_arena {
	uint8_t *buf;
	size_t cap;
	size_t used;
	size_t peak;    /* the most ever used: for sizing */
};
void gitstore_arena_init(struct gitstore_arena *a, uint8_t *buf, size_t cap);
void gitstore_arena_reset(struct gitstore_arena *a);

/* ---------------------------------------------------------------- storage ops */

/*
 * The files of a repository, as seen by libgitstore. A name is a path
 * relative to the git directory with '/' separators ("HEAD", "refs/heads/main",
 * "objects/ab/cdef...", "objects/pack/pack-<hex>.pack"); it never starts with
 * '/' and has no "." or ".." component. A binding creates missing parent
 * directories itself. platform/posix binds these to files of a .git
 * directory; tests bind them to memory.
 *
 * Every op returns 0 (or a byte count where said) on success, and on failure
 * GITSTORE_ENOENT (no such file or directory), GITSTORE_EEXIST (where said),
 * or GITSTORE_EIO (anything else).
 *
 * An atomic replace of a file (a ref, packed-refs, a new pack) is an append
 * to a fresh temporary name followed by rename(); a lock (a ref update, a
 * compare-and-swap) is a rename with GITSTORE_RENAME_NOREPLACE.
 */
#define GITSTORE_RENAME_NOREPLACE 1u
struct gitstore_storage_ops {
	/* Up to cap (never 0) bytes of `name` from `off`: the count read, short
	 * only at end of file, 0 at or past it. */
	int (*read)(void *ctx, const char *name, uint64_t off, uint8_t *buf, size_t cap);
	/* The size of `name` in *size. */
	int (*size)(void *ctx, const char *name, uint64_t *size);
	/* Append len (never 0) bytes to `name`, creating it if missing. */
	int (*append)(void *ctx, const char *name, const uint8_t *buf, size_t len);
	/* Atomically give `to` the content of `from` and remove `from`, durably
	 * (rename(2) after fsync): readers of `to` see the old file or the new,
	 * never a mix. With GITSTORE_RENAME_NOREPLACE, GITSTORE_EEXIST when `to`
	 * exists, and nothing changes. */
	int (*rename)(void *ctx, const char *from, const char *to, unsigned flags);
	/* Remove the file `name`. */
	int (*remove)(void *ctx, const char *name);
	/* Call each(arg, entry, is_dir) for each entry of directory `dir`
	 * ("refs/heads", "objects/pack"), without "." and "..", in any order.
	 * A nonzero return of each stops the walk and is returned. each may call
	 * list again (refs are walked depth first). */
	int (*list)(void *ctx, const char *dir, int (*each)(void *arg, const char *entry, bool is_dir), void *arg);
};

/* Random bytes (temporary file names): 0 on success. */
typedef int (*gitstore_random_fn)(void *ctx, uint8_t *buf, size_t len);

/*
 * A repository: its storage, object format, limits, and the arena its zlib
 * streams use (GITSTORE_DEFLATE_ARENA bytes to write objects,
 * GITSTORE_INFLATE_ARENA to read them). Not shared between threads.
 */
struct gitstore_repo {
	const struct gitstore_storage_ops *ops;
	void *ctx;
	int algo;
	struct gitstore_limits limits;
	struct gitstore_arena arena;
	/* Names temporary files. NULL: a counter does, which is only safe with a
	 * single writer; set it when several processes or repo structs write
	 * the same repository. */
	gitstore_random_fn random;
	void *random_ctx;
	struct {
		uint64_t counter;
		struct gitstore_pack *packs;
		size_t npacks;
		uint8_t *scratch;
		size_t scratch_cap;
	} priv;
};
/* 0, or GITSTORE_EINVAL for an unknown algo or a NULL ops. limits: NULL for defaults. */
int gitstore_repo_init(struct gitstore_repo *r, const struct gitstore_storage_ops *ops, void *ctx,
	int algo, const struct gitstore_limits *limits, uint8_t *arena, size_t arena_cap);

/* ---------------------------------------------------------------- loose objects */

/* "objects/ab/cdef..." for an id, with its NUL; GITSTORE_LOOSE_NAME_MAX bytes do. */
#define GITSTORE_LOOSE_NAME_MAX 74
/* The storage name of a loose object. */
void gitstore_loose_name(int algo, const struct gitstore_oid *id, char *out);

/*
 * The type and size of a loose object, reading and inflating only its header.
 * GITSTORE_ENOENT when there is none.
 */
int gitstore_loose_stat(struct gitstore_repo *r, const struct gitstore_oid *id, int *type, uint64_t *size);
/*
 * Read a loose object into out: returns its size and sets *type. The header's
 * size must match the inflated content exactly (GITSTORE_EOBJ_SIZE), nothing
 * may follow the zlib stream (GITSTORE_EZLIB_TRAILING), and the content must
 * hash to id (GITSTORE_EOBJ_ID). GITSTORE_ENOMEM with *needed = size when cap
 * is short; GITSTORE_ETOOBIG over limits.max_object; GITSTORE_EZLIB_RATIO.
 */
int gitstore_loose_read(struct gitstore_repo *r, const struct gitstore_oid *id, int *type,
	uint8_t *out, size_t cap, size_t *needed);
/*
 * Write an object as a loose object (zlib, git's default level), checked
 * first with gitstore_obj_check(GITSTORE_CHECK_STRICT) unless `flags` has
 * GITSTORE_WRITE_UNCHECKED. Its id goes to *id. Writing an object that exists
 * is a success that writes nothing.
 */
#define GITSTORE_WRITE_UNCHECKED 1u
int gitstore_loose_write(struct gitstore_repo *r, int type, const uint8_t *data, size_t len,
	unsigned flags, struct gitstore_oid *id);

/* ---------------------------------------------------------------- deltas */

/*
 * A git delta (patch-delta.c): the base's size and the result's size as
 * little-endian base-128 numbers, then instructions: 0x80|flags copies from
 * the base (offset bytes for flags bits 0-3, size bytes for bits 4-6, size 0
 * meaning 0x10000), 1..127 inserts that many literal bytes, 0 is reserved.
 *
 * gitstore_delta_sizes: the header's two sizes; returns the header length, or
 * GITSTORE_EDELTA_HEADER.
 */
int gitstore_delta_sizes(const uint8_t *delta, size_t len, uint64_t *base_size, uint64_t *result_size);
/*
 * Apply a delta to base into out. Returns the result's length; every bound is
 * checked: GITSTORE_EDELTA_BASE_SIZE (base is not the size the delta says),
 * GITSTORE_EDELTA_OPCODE, GITSTORE_EDELTA_COPY (outside the base),
 * GITSTORE_EDELTA_INSERT (past the delta's end), GITSTORE_EDELTA_RESULT (the
 * instructions write more or less than the header said),
 * GITSTORE_ENOMEM with *needed when cap is below the result size.
 */
int gitstore_delta_apply(const uint8_t *base, size_t base_len, const uint8_t *delta, size_t delta_len,
	uint8_t *out, size_t cap, size_t *needed);

/* ---------------------------------------------------------------- pack index (.idx v2) */

/*
 * A parsed .idx version 2 (git's Documentation/gitformat-pack.txt): magic
 * "\377tOc", version 2, 256 fan-out counts, the sorted ids, their CRC32s,
 * 31-bit offsets (MSB set: an index into the 64-bit offset table), the 64-bit
 * offsets, the pack's checksum and the index's own. Looked up in place.
 */
struct gitstore_idx {
	const uint8_t *data;
	size_t len;
	int algo;
	uint32_t count;
	struct {
		size_t ids, crcs, offs, offs64;
		uint32_t n64;
	} priv;
};
/*
 * Check the layout (GITSTORE_EIDX_SIGNATURE, GITSTORE_EIDX_FANOUT,
 * GITSTORE_EIDX_SIZE) and, with GITSTORE_IDX_VERIFY, all of it in one pass:
 * the trailer checksum (GITSTORE_EIDX_CHECKSUM), ids ascending (GITSTORE_EIDX_ORDER; an id may
 * repeat, as git index-pack allows an object twice), every 64-bit index and offset in range
 * (GITSTORE_EIDX_OFFSET; pack_len 0 skips the offset bound).
 */
#define GITSTORE_IDX_VERIFY 1u
int gitstore_idx_parse(struct gitstore_idx *idx, int algo, const uint8_t *data, size_t len,
	uint64_t pack_len, unsigned flags);
/* Binary search through the fan-out: 0 with *pos and *offset, or GITSTORE_ENOENT. */
int gitstore_idx_find(const struct gitstore_idx *idx, const struct gitstore_oid *id, uint32_t *pos, uint64_t *offset);
/* The i-th entry in id order; any out pointer may be NULL. GITSTORE_EINVAL past the end, GITSTORE_EIDX_OFFSET for a bad 64-bit index. */
int gitstore_idx_entry(const struct gitstore_idx *idx, uint32_t i, struct gitstore_oid *id,
	uint64_t *offset, uint32_t *crc);
/* The checksum of the pack this index names. */
void gitstore_idx_pack_checksum(const struct gitstore_idx *idx, struct gitstore_oid *out);

/* ---------------------------------------------------------------- packs */

/* One entry's header (packfile.c unpack_object_header_buffer). */
struct gitstore_pack_entry {
	uint64_t offset;       /* of the entry */
	int type;              /* GITSTORE_COMMIT..TAG, OFS_DELTA, REF_DELTA */
	uint64_t size;         /* inflated size of the entry's data (of the delta, for deltas) */
	size_t header_len;     /* bytes before the zlib stream */
	uint64_t base_offset;  /* OFS_DELTA: the base's offset */
	struct gitstore_oid base_id;   /* REF_DELTA: the base's id */
};

/*
 * Buffers lent to read one object out of a pack: out holds the object;
 * scratch holds the delta chain (8 bytes per level), a second object-sized
 * buffer and the largest delta's instructions. On GITSTORE_ENOMEM,
 * out_needed or scratch_needed says how much would have done (the object
 * may need more than the first shortfall shows: retry).
 */
struct gitstore_pack_buf {
	uint8_t *out;
	size_t out_cap;
	uint8_t *scratch;
	size_t scratch_cap;
	size_t out_needed;
	size_t scratch_needed;
};

/*
 * A cache of resolved objects for delta chains (git's delta_base_cache):
 * objects are copied into a ring buffer lent by the caller and found by
 * (pack, offset) through a direct-mapped table of slots; newer objects
 * overwrite older ones. Optional, and may be shared by several packs.
 * A few MiB of ring and a few thousand slots make reading a whole pack
 * several times faster.
 */
struct gitstore_cache_slot {
	uint64_t pack;        /* the pack's key: from its trailer checksum */
	uint64_t offset;
	uint64_t start;       /* position in the ring's byte stream */
	uint32_t len;
	uint32_t type;
};
struct gitstore_pack_cache {
	uint8_t *ring;
	size_t ring_cap;
	struct gitstore_cache_slot *slots;
	size_t nslots;
	struct {
		uint64_t written;
	} priv;
};
void gitstore_pack_cache_init(struct gitstore_pack_cache *c, uint8_t *ring, size_t ring_cap,
	struct gitstore_cache_slot *slots, size_t nslots);

/*
 * A pack held in memory (mapped or read by the caller: gitstore_pack_open),
 * or read through the storage ops into a caller-lent window
 * (gitstore_pack_open_ops), with its index for REF_DELTA bases and lookups
 * by id. The zlib arena needs GITSTORE_INFLATE_ARENA bytes.
 */
struct gitstore_pack {
	const uint8_t *data;
	uint64_t len;
	int algo;
	uint32_t version;
	uint32_t count;
	const struct gitstore_idx *idx;
	struct gitstore_limits limits;
	struct gitstore_arena *arena;
	struct gitstore_pack_cache *cache;   /* NULL, or set by gitstore_pack_set_cache */
	struct {
		int (*find)(void *ctx, const struct gitstore_oid *id, uint64_t *offset);
		void *find_ctx;
		uint64_t key;
		const struct gitstore_storage_ops *ops;
		void *ctx;
		const char *name;
		uint8_t *win;
		size_t win_cap;
		uint64_t win_off;
		size_t win_len;
		const uint64_t *ends;   /* gitstore_pack_set_ends: the entry offsets, sorted */
		uint32_t nends;
	} priv;
};
/*
 * Check the header (GITSTORE_EPACK_SIGNATURE, GITSTORE_EPACK_VERSION,
 * GITSTORE_ETRUNCATED) and, with an idx, that the idx counts the same objects
 * (GITSTORE_EPACK_COUNT) and names this pack's trailer (GITSTORE_EIDX_PACK).
 * idx may be NULL: REF_DELTA bases are then not found. limits: NULL for defaults.
 */
int gitstore_pack_open(struct gitstore_pack *p, int algo, const uint8_t *data, uint64_t len,
	const struct gitstore_idx *idx, const struct gitstore_limits *limits, struct gitstore_arena *arena);
/*
 * The same for a pack file read through the storage ops (name, e.g.
 * "objects/pack/pack-<hex>.pack", must outlive p): entry headers and zlib
 * input go through window (at least GITSTORE_PACK_WINDOW_MIN bytes; a few
 * hundred KiB save calls). GITSTORE_ETRUNCATED when the file is shorter than
 * its size said.
 */
#define GITSTORE_PACK_WINDOW_MIN 64
int gitstore_pack_open_ops(struct gitstore_pack *p, int algo, const struct gitstore_storage_ops *ops, void *ctx,
	const char *name, const struct gitstore_idx *idx, const struct gitstore_limits *limits,
	struct gitstore_arena *arena, uint8_t *window, size_t window_cap);
/* Use a cache of resolved objects (NULL: none) for this pack's reads. */
void gitstore_pack_set_cache(struct gitstore_pack *p, struct gitstore_pack_cache *c);
/*
 * Where each entry ends without inflating it (git's reverse index, the
 * .rev file): the offsets of the pack's idx, sorted into ends (lent by the
 * caller, p->count entries, kept until the pack is closed). An entry then
 * ends where the next one begins, and copying entries as they are (a
 * fetch reusing them) costs a CRC32 instead of an inflate. Needs the idx:
 * GITSTORE_EINVAL without one, GITSTORE_ENOMEM when cap < p->count, and
 * GITSTORE_EPACK_OFFSET when two entries share an offset or one lies
 * outside the pack's entries (a corrupt idx: nothing is set).
 */
int gitstore_pack_set_ends(struct gitstore_pack *p, uint64_t *ends, size_t cap);
/* Parse the entry header at off: GITSTORE_EPACK_ENTRY, GITSTORE_EPACK_OFFSET, GITSTORE_ETRUNCATED. */
int gitstore_pack_entry(struct gitstore_pack *p, uint64_t off, struct gitstore_pack_entry *e);
/*
 * Write an entry's header, as gitstore_pack_entry reads it: the type and
 * the inflated size, then for GITSTORE_OFS_DELTA the distance back to the
 * base's entry (above 0; ignored for other types). A REF_DELTA's base id
 * is the caller's to append. out holds GITSTORE_PACK_ENTRY_HEADER_MAX
 * bytes; returns the length written.
 */
#define GITSTORE_PACK_ENTRY_HEADER_MAX 20
size_t gitstore_pack_entry_header(uint8_t *out, int type, uint64_t size, uint64_t base_distance);
/*
 * Read the object at off, resolving its delta chain (at most limits.max_depth
 * deltas: GITSTORE_EPACK_DEPTH; a chain that comes back on itself:
 * GITSTORE_EPACK_CYCLE; a base not in the pack: GITSTORE_EPACK_BASE). Returns
 * its size and sets *type; every result and base is at most limits.max_object
 * (GITSTORE_ETOOBIG).
 */
int gitstore_pack_read(struct gitstore_pack *p, uint64_t off, struct gitstore_pack_buf *b, int *type);
/* The same by id through the idx: GITSTORE_ENOENT when the pack has no such object. */
int gitstore_pack_get(struct gitstore_pack *p, const struct gitstore_oid *id, struct gitstore_pack_buf *b, int *type);
/*
 * What `git verify-pack` checks of a pack and its index: the pack trailer
 * (GITSTORE_EPACK_CHECKSUM), each entry's CRC32 (GITSTORE_EPACK_CRC), and
 * that each object hashes to its id (GITSTORE_EOBJ_ID). *bad_pos names the
 * failing index position (may be NULL).
 */
int gitstore_pack_verify(struct gitstore_pack *p, struct gitstore_pack_buf *b, uint32_t *bad_pos);

/* ---------------------------------------------------------------- indexing and writing packs */

/* One object of a pack being indexed or written; the caller lends one per object. */
struct gitstore_index_slot {
	uint64_t offset;
	struct gitstore_oid id;
	uint32_t crc;
	uint32_t order;     /* internal: position in id order */
	uint8_t type;       /* internal */
	uint8_t state;      /* internal */
};

/* The size of a .idx v2 for count objects of which n64 lie past 2 GiB. */
size_t gitstore_idx_size(int algo, uint32_t count, uint32_t n64);
/*
 * The object count a pack's header declares and an upper bound of its .idx
 * size: lend that many slots and that many idx bytes to gitstore_pack_index.
 */
int gitstore_pack_index_sizes(int algo, const uint8_t *pack, uint64_t len, uint32_t *count, size_t *idx_max);
/*
 * What `git index-pack` does: check the whole pack (trailer, entries, every
 * delta resolved, GITSTORE_EPACK_COUNT when the entries do not end where the
 * trailer begins) and write its .idx v2 into idx. Returns the idx length.
 * Deltas are resolved with b (and cache, which may be NULL, to resolve each
 * base once); slots and idx as gitstore_pack_index_sizes says
 * (GITSTORE_ENOMEM otherwise). REF_DELTA bases must be in the pack (thin packs
 * are GITSTORE_EPACK_BASE). *pack_checksum gets the pack's trailer.
 */
int gitstore_pack_index(int algo, const uint8_t *pack, uint64_t len, const struct gitstore_limits *limits,
	struct gitstore_arena *arena, struct gitstore_index_slot *slots, size_t nslots,
	struct gitstore_pack_buf *b, struct gitstore_pack_cache *cache,
	uint8_t *idx, size_t idx_cap, struct gitstore_oid *pack_checksum);
/*
 * The same for a pack file read through the storage ops (name, e.g.
 * "objects/pack/pack-<hex>.pack") into window, as gitstore_pack_open_ops
 * reads: no mapping, so only the window, b and the slots are held in
 * memory, never the pack (git index-pack reads its input the same way).
 * Entries are read in order, then each delta once after its base; a
 * window of 64 KiB to 1 MiB does. The object count and the idx bound come
 * from gitstore_pack_index_sizes over the pack's first 12 bytes.
 */
int gitstore_pack_index_ops(int algo, const struct gitstore_storage_ops *ops, void *ctx, const char *name,
	uint8_t *window, size_t window_cap, const struct gitstore_limits *limits,
	struct gitstore_arena *arena, struct gitstore_index_slot *slots, size_t nslots,
	struct gitstore_pack_buf *b, struct gitstore_pack_cache *cache,
	uint8_t *idx, size_t idx_cap, struct gitstore_oid *pack_checksum);
/*
 * Write the .idx v2 of n slots (offset, id, crc filled; any order: they are
 * sorted here by id, in place) for the pack whose trailer is pack_checksum.
 * Returns its length, GITSTORE_ENOMEM with *needed.
 */
int gitstore_idx_write(int algo, struct gitstore_index_slot *slots, uint32_t n,
	const struct gitstore_oid *pack_checksum, uint8_t *out, size_t cap, size_t *needed);

/*
 * Writing a pack, sans I/O: each call writes bytes into the caller's out
 * buffer, to be appended to the pack file in order. Objects are stored whole
 * (gitstore_pack_writer_object) or as an OFS_DELTA against an earlier object
 * of the same pack that the caller chooses (gitstore_pack_writer_delta; no
 * REF_DELTA, no thin packs), deflated at zlib's default level; the arena
 * needs GITSTORE_DEFLATE_ARENA bytes.
 */
struct gitstore_pack_writer {
	int algo;
	uint32_t count;
	uint32_t written;
	uint64_t offset;
	struct gitstore_hash hash;
	struct gitstore_arena *arena;
};
/* The most bytes gitstore_pack_writer_object writes for an object of len bytes. */
size_t gitstore_pack_writer_bound(size_t len);
/* Start a pack of count objects: writes the 12-byte header into out (cap >= 12). */
int gitstore_pack_writer_begin(struct gitstore_pack_writer *w, int algo, uint32_t count,
	struct gitstore_arena *arena, uint8_t *out, size_t cap);
/*
 * Add one object: returns the bytes written into out (GITSTORE_ENOMEM when
 * cap is below gitstore_pack_writer_bound(len); GITSTORE_EINVAL past count).
 * slot (may be NULL) gets its offset, id and CRC32, for gitstore_idx_write.
 */
int gitstore_pack_writer_object(struct gitstore_pack_writer *w, int type, const uint8_t *data, size_t len,
	uint8_t *out, size_t cap, struct gitstore_index_slot *slot);
/*
 * Make a delta turning base into target (git's format, as
 * gitstore_delta_apply reads it): copies of runs of at least 16 bytes found
 * through an index of base's 16-byte blocks, literal inserts elsewhere.
 * index: a caller-lent table of uint32 (a power of two entries; more entries,
 * fewer missed matches; 2 per 16 bytes of base is plenty). Returns the
 * delta's length; GITSTORE_ENOMEM when it would not fit in cap (a delta no
 * smaller than cap is useless to the caller: pass cap below len).
 */
int gitstore_delta_make(const uint8_t *base, size_t base_len, const uint8_t *target, size_t len,
	uint32_t *index, size_t index_len, uint8_t *out, size_t cap);
/*
 * Add one object as an OFS_DELTA against an object written earlier in this
 * pack (base_offset: its slot's offset; base: its content). Falls back to
 * storing the object whole when the delta saves less than a quarter of it.
 * Returns bytes written into out; cap as gitstore_pack_writer_bound(len).
 * delta_buf (len bytes) and index are working space for gitstore_delta_make.
 */
int gitstore_pack_writer_delta(struct gitstore_pack_writer *w, int type, const uint8_t *data, size_t len,
	uint64_t base_offset, const uint8_t *base, size_t base_len, uint32_t *index, size_t index_len,
	uint8_t *delta_buf, uint8_t *out, size_t cap, struct gitstore_index_slot *slot);
/* End the pack: writes the trailer (hash length bytes) and gives it in *checksum. GITSTORE_EINVAL if objects are missing. */
int gitstore_pack_writer_finish(struct gitstore_pack_writer *w, uint8_t *out, size_t cap, struct gitstore_oid *checksum);

/* ---------------------------------------------------------------- refs */

/*
 * Refs as git keeps them: a loose ref is a file "refs/heads/main" holding
 * "<hex>\n", or "ref: <target>\n" for a symbolic ref (HEAD); packed-refs holds
 * "<hex> <name>\n" lines, each optionally followed by "^<hex>\n" (the peeled
 * tag), after an optional "# pack-refs with: ..." line. A loose ref
 * overrides a packed one.
 *
 * Updates take git's lock: "<name>.lock" is created exclusively (an append
 * to a temporary file, renamed with GITSTORE_RENAME_NOREPLACE), the old value
 * is compared, and the lock is renamed over the ref. A concurrent update
 * finds the lock and loses cleanly (GITSTORE_EREF_LOCKED), a changed old
 * value is GITSTORE_EREF_STALE; the ref is never half-written.
 */
#define GITSTORE_REFNAME_MAX 256

/* Flags of gitstore_refname_check (git check-ref-format's options). */
#define GITSTORE_REFNAME_ONELEVEL 1u   /* allow names without '/', such as HEAD */
/*
 * git check-ref-format: no component empty, starting with '.' or ending in
 * ".lock"; no "..", "@{", '\\', control characters, space, '~', '^', ':',
 * '?', '*', '['; not "@", not ending in '/' or '.'; at least two components
 * unless ONELEVEL; at most GITSTORE_REFNAME_MAX - 1 bytes here.
 * 0 or GITSTORE_EREF_NAME.
 */
int gitstore_refname_check(const char *name, unsigned flags);

struct gitstore_ref {
	bool symbolic;
	struct gitstore_oid id;                 /* a direct ref's value */
	char target[GITSTORE_REFNAME_MAX];      /* a symbolic ref's target */
	bool peeled_known;                      /* from packed-refs' "^" line */
	struct gitstore_oid peeled;
};
/* One ref as stored (symbolic refs not followed): 0, GITSTORE_ENOENT, GITSTORE_EREF_FORMAT, GITSTORE_EREF_NAME. */
int gitstore_ref_read(struct gitstore_repo *r, const char *name, struct gitstore_ref *out);
/*
 * Follow symbolic refs (at most 5, as git: GITSTORE_EREF_DEPTH) to an id.
 * *resolved (may be NULL, GITSTORE_REFNAME_MAX bytes) gets the last name.
 */
int gitstore_ref_resolve(struct gitstore_repo *r, const char *name, struct gitstore_oid *id, char *resolved);
/*
 * Set name to id, atomically, if its value is still old: old NULL accepts
 * any value, an all-zero old requires that the ref does not exist.
 * GITSTORE_EREF_STALE when it moved, GITSTORE_EREF_LOCKED when another
 * update holds its lock.
 */
int gitstore_ref_update(struct gitstore_repo *r, const char *name, const struct gitstore_oid *id,
	const struct gitstore_oid *old);
/* Make name a symbolic ref to target ("HEAD" -> "refs/heads/main"). */
int gitstore_ref_symbolic(struct gitstore_repo *r, const char *name, const char *target);
/* Delete name (loose and packed) if its value is still old (NULL: any). */
int gitstore_ref_delete(struct gitstore_repo *r, const char *name, const struct gitstore_oid *old);
/*
 * Call each(arg, name, ref) for every ref under prefix ("refs/", "refs/tags/"),
 * loose and packed, each name once, in no particular order. A nonzero
 * return of each stops the walk and is returned.
 */
int gitstore_ref_list(struct gitstore_repo *r, const char *prefix,
	int (*each)(void *arg, const char *name, const struct gitstore_ref *ref), void *arg);

/* ---------------------------------------------------------------- the object database */

/*
 * Packs the caller has opened (each .pack and .idx mapped or read, then
 * gitstore_pack_open) are attached to a repository with a scratch buffer for
 * their delta chains (struct gitstore_pack_buf's scratch); gitstore_obj_read
 * then looks in each pack, then among the loose objects.
 */
void gitstore_repo_set_packs(struct gitstore_repo *r, struct gitstore_pack *packs, size_t npacks,
	uint8_t *scratch, size_t scratch_cap);
/*
 * Read any object: its size, *type set; GITSTORE_ENOENT when no pack and no
 * loose object has it; GITSTORE_ENOMEM with *needed (the object, or the
 * scratch a pack needs: compare with the capacities) when buf is short.
 */
int gitstore_obj_read(struct gitstore_repo *r, const struct gitstore_oid *id, int *type,
	uint8_t *buf, size_t cap, size_t *needed);

/* ---------------------------------------------------------------- the key-value view */

/*
 * A branch seen as a versioned key-value store (what Irmin and git-kv
 * offer): keys are paths "a/b/c" in the branch's tree, values are blobs.
 * Reads look at the head (or any commit); a batch of changes becomes one
 * commit, made only if the branch still points where it did (test-and-set,
 * GITSTORE_EREF_STALE otherwise). New objects are written loose.
 *
 * Paths: components separated by single '/', none empty, ".", ".." or a
 * .git variant, no NUL; at most GITSTORE_KV_DEPTH components
 * (GITSTORE_EKV_PATH otherwise).
 *
 * The work buffer lent to gitstore_kv_init holds the trees being read and
 * written: two halves, each at least the largest tree on a path plus one
 * entry (GITSTORE_ENOMEM otherwise). gitstore_kv_diff uses the whole buffer
 * as a stack of the trees on the current path, two per level.
 */
#define GITSTORE_KV_DEPTH 32
struct gitstore_kv {
	struct gitstore_repo *repo;
	char branch[GITSTORE_REFNAME_MAX];
	uint8_t *work;
	size_t work_cap;
};
/* View branch ("refs/heads/main") of r: 0, or GITSTORE_EREF_NAME. */
int gitstore_kv_init(struct gitstore_kv *kv, struct gitstore_repo *r, const char *branch,
	uint8_t *work, size_t work_cap);
/* The branch's head commit: 0, or GITSTORE_ENOENT for a branch not born yet. */
int gitstore_kv_head(struct gitstore_kv *kv, struct gitstore_oid *commit);
/*
 * The value at path in commit (NULL: the head) into out: its size.
 * GITSTORE_ENOENT, GITSTORE_EKV_ISDIR (a directory), GITSTORE_EKV_NOTDIR (a
 * file on the way), GITSTORE_ENOMEM with *needed.
 */
int gitstore_kv_get(struct gitstore_kv *kv, const struct gitstore_oid *commit, const char *path,
	uint8_t *out, size_t cap, size_t *needed);
/* Each entry of the directory at path ("" for the root): each(arg, entry) until it returns nonzero. */
int gitstore_kv_list(struct gitstore_kv *kv, const struct gitstore_oid *commit, const char *path,
	int (*each)(void *arg, const struct gitstore_tree_entry *e), void *arg);

struct gitstore_kv_change {
	const char *path;
	const uint8_t *value;   /* NULL: remove path */
	size_t len;
	uint32_t mode;          /* 0: GITSTORE_MODE_FILE */
};
struct gitstore_kv_commit_info {
	struct gitstore_slice author;     /* idents as gitstore_ident_write makes them */
	struct gitstore_slice committer;
	struct gitstore_slice message;
};
/*
 * Apply n changes (in order) to the head's tree and commit the result on the
 * branch. expect (may be NULL): the head the caller based its changes on; a
 * branch that moved since is GITSTORE_EREF_STALE, and nothing is changed.
 * Directories left empty disappear, as in git. Removing a missing path is
 * GITSTORE_ENOENT. The new commit's id goes to *commit.
 */
int gitstore_kv_commit(struct gitstore_kv *kv, const struct gitstore_kv_change *ch, size_t n,
	const struct gitstore_kv_commit_info *ci, const struct gitstore_oid *expect, struct gitstore_oid *commit);
/*
 * The history of path: each(arg, commit) for every commit on the head's
 * first-parent chain whose value at path differs from its parent's, newest
 * first, looking at no more than max commits.
 */
int gitstore_kv_history(struct gitstore_kv *kv, const char *path, uint32_t max,
	int (*each)(void *arg, const struct gitstore_oid *commit), void *arg);
/*
 * The paths whose value differs between commits a and b (a NULL: the empty
 * tree): each(arg, path, old, new) with a zero id for a side without it.
 */
int gitstore_kv_diff(struct gitstore_kv *kv, const struct gitstore_oid *a, const struct gitstore_oid *b,
	int (*each)(void *arg, const char *path, const struct gitstore_oid *old, const struct gitstore_oid *new_id),
	void *arg);

/* A commit seen while looking for a merge base; the caller lends a table of them. */
struct gitstore_commit_mark {
	struct gitstore_oid id;
	uint32_t flags;   /* internal */
};
/*
 * A best common ancestor of commits a and b (one that no other common
 * ancestor descends from, as `git merge-base` finds) for a three-way merge.
 * Both histories are walked whole: marks[0..cap) must hold every commit of
 * both (GITSTORE_ENOMEM with *needed otherwise); index: index_len uint32, a
 * power of two at least four times cap. With several best ancestors
 * (criss-cross merges) one of them is given; git would merge them first.
 * buf holds one commit at a time. GITSTORE_ENOENT when the histories share
 * nothing.
 */
int gitstore_merge_base(struct gitstore_repo *r, const struct gitstore_oid *a, const struct gitstore_oid *b,
	struct gitstore_commit_mark *marks, size_t cap, uint32_t *index, size_t index_len,
	uint8_t *buf, size_t buf_cap, struct gitstore_oid *base, size_t *needed);

/*
 * Merge theirs (a commit) into the branch with base (their common ancestor,
 * found by the caller; NULL: the empty tree), path by path as git's
 * three-way merge of trees: a path changed on one side only takes that
 * side; changed the same way on both, it takes it; changed differently on
 * both, it is a conflict, reported with conflict(arg, path). Directories
 * changed on both sides are merged recursively; files are not merged line
 * by line (a conflict). Returns the number of conflicts: 0 means the merge
 * was committed on the branch (parents: the head, then theirs) as *commit,
 * under the same test-and-set as gitstore_kv_commit (expect may be NULL);
 * more than 0 means nothing was written to the branch. The work buffer holds
 * three trees and a merged one per directory level.
 */
int gitstore_kv_merge(struct gitstore_kv *kv, const struct gitstore_oid *base, const struct gitstore_oid *theirs,
	const struct gitstore_kv_commit_info *ci, const struct gitstore_oid *expect,
	int (*conflict)(void *arg, const char *path), void *arg, struct gitstore_oid *commit);

/* ================================================================
 * The smart protocol (gitstore_pkt.c, gitstore_v2.c, gitstore_walk.c,
 * gitstore_upload.c, gitstore_inpack.c, gitstore_receive.c, gitstore_fetch.c)
 *
 * git's wire protocols (Documentation/gitprotocol-common.txt,
 * gitprotocol-pack.txt, gitprotocol-v2.txt, gitprotocol-http.txt), sans I/O:
 * parsers over a caller's buffer and state machines that take request bytes
 * in and give response bytes out. The same machine serves a git:// stream
 * (the caller moves bytes between it and a socket) and a smart-HTTP
 * request (the caller feeds the POST body and sends what comes out as the
 * response body), so a web server drives it without the library knowing.
 * ================================================================ */

/* ---------------------------------------------------------------- pkt-line, side-band */

/*
 * A pkt-line is four hex digits giving the length of the whole packet
 * (those four included) and the payload: "0009done\n". Three lengths are
 * special: 0000 flush, 0001 delim (v2 section separator), 0002 response-end
 * (v2 over stateless transports). 0003 is never valid; 0004 is an empty
 * data packet (git accepts it). At most GITSTORE_PKT_MAX bytes in all.
 */
#define GITSTORE_PKT_MAX 65520
#define GITSTORE_PKT_DATA_MAX (GITSTORE_PKT_MAX - 4)
/* The most payload one side-band-64k packet carries (one band byte). */
#define GITSTORE_SIDEBAND_MAX (GITSTORE_PKT_DATA_MAX - 1)

enum gitstore_pkt_kind {
	GITSTORE_PKT_DATA = 0,
	GITSTORE_PKT_FLUSH = 1,   /* 0000 */
	GITSTORE_PKT_DELIM = 2,   /* 0001 */
	GITSTORE_PKT_END = 3      /* 0002 */
};
struct gitstore_pkt {
	int kind;
	struct gitstore_slice data;   /* payload of a DATA packet (into the input) */
};
/*
 * Parse the packet at the start of buf. Returns the bytes it takes (>0);
 * GITSTORE_EAGAIN when buf ends inside it; GITSTORE_EPKT_HEX (a length byte
 * that is not a hex digit; both cases are accepted, as git does),
 * GITSTORE_EPKT_LEN (0003), GITSTORE_EPKT_TOOLONG (over GITSTORE_PKT_MAX).
 * A malformed length is reported as soon as its four bytes are in.
 */
int gitstore_pkt_parse(const uint8_t *buf, size_t len, struct gitstore_pkt *out);
/* A data packet's payload without one trailing LF (text lines). */
struct gitstore_slice gitstore_pkt_text(const struct gitstore_pkt *p);
/*
 * Write a data packet of len payload bytes into out: returns len + 4,
 * GITSTORE_ENOMEM when cap is short, GITSTORE_EPKT_TOOLONG past
 * GITSTORE_PKT_DATA_MAX.
 */
int gitstore_pkt_write(uint8_t *out, size_t cap, const void *data, size_t len);
/* Write "0000", "0001" or "0002" for kind FLUSH, DELIM, END: 4, or GITSTORE_ENOMEM / GITSTORE_EINVAL. */
int gitstore_pkt_write_special(uint8_t *out, size_t cap, int kind);

/*
 * side-band-64k (gitprotocol-pack.txt): each data packet's first byte names
 * a band: 1 pack data, 2 progress text (for the user's terminal), 3 a fatal
 * error message (the exchange is over).
 */
enum gitstore_band {
	GITSTORE_BAND_DATA = 1,
	GITSTORE_BAND_PROGRESS = 2,
	GITSTORE_BAND_ERROR = 3
};
/*
 * Split a side-band data packet: *band and *payload. GITSTORE_EINVAL for a
 * packet that is not DATA, GITSTORE_ESIDEBAND_EMPTY for one without its band
 * byte, GITSTORE_ESIDEBAND_BAND for a band other than 1, 2, 3.
 */
int gitstore_sideband_parse(const struct gitstore_pkt *p, int *band, struct gitstore_slice *payload);
/*
 * Write one side-band packet carrying the first min(len,
 * GITSTORE_SIDEBAND_MAX) bytes of data on band. Returns the bytes written
 * into out and the payload bytes taken in *taken; GITSTORE_ENOMEM when out
 * cannot hold the header and at least one byte (or all of a short payload).
 */
int gitstore_sideband_write(uint8_t *out, size_t cap, int band, const void *data, size_t len, size_t *taken);

/*
 * A reassembly buffer for packets arriving in pieces over a stream: bytes go
 * in (gitstore_pktbuf_feed), whole packets come out (gitstore_pktbuf_next)
 * as slices that stay valid until the next feed. cap must hold the longest
 * packet the caller accepts (GITSTORE_PKT_MAX for any).
 */
struct gitstore_pktbuf {
	uint8_t *buf;
	size_t cap;
	size_t start;
	size_t end;
};
void gitstore_pktbuf_init(struct gitstore_pktbuf *b, uint8_t *buf, size_t cap);
/* Copy in as much of data as fits (moving unread bytes to the front): the count taken. */
size_t gitstore_pktbuf_feed(struct gitstore_pktbuf *b, const uint8_t *data, size_t len);
/* The next whole packet: 1, GITSTORE_EAGAIN, or the parse error (GITSTORE_EPKT_TOOLONG also when it cannot fit in cap). */
int gitstore_pktbuf_next(struct gitstore_pktbuf *b, struct gitstore_pkt *p);
/* Bytes fed and not yet taken as packets (e.g. the start of a pack after the commands). */
struct gitstore_slice gitstore_pktbuf_rest(const struct gitstore_pktbuf *b);
/* Drop n bytes of the rest. */
void gitstore_pktbuf_skip(struct gitstore_pktbuf *b, size_t n);

/* ---------------------------------------------------------------- v2 requests, receive-pack commands */

/*
 * A protocol v2 request (gitprotocol-v2.txt "Command Request"):
 *   command=NAME LF, capability lines (agent=..., object-format=...),
 *   optionally delim then argument lines, and a flush.
 * Parsed in place; caps and args are the raw packets of each section, to be
 * walked with gitstore_v2_next.
 */
struct gitstore_v2_request {
	struct gitstore_slice command;
	struct gitstore_slice caps;
	struct gitstore_slice args;
	struct gitstore_slice object_format;   /* empty when not given: sha1 */
};
/*
 * Parse one request at the start of buf: returns its length through the
 * flush; GITSTORE_EAGAIN before the flush; pkt-line errors;
 * GITSTORE_EV2_COMMAND (first packet not "command=NAME" with a non-empty
 * NAME), GITSTORE_EV2_SECTION (a second delim, a response-end, an empty
 * packet in a section, a capability line not "key" or "key=value").
 */
int gitstore_v2_request_parse(const uint8_t *buf, size_t len, struct gitstore_v2_request *req);
/* The next line of a section (one trailing LF removed): 1, or 0 at its end. */
int gitstore_v2_next(struct gitstore_slice *section, struct gitstore_slice *line);

/* One argument of ls-refs or fetch. */
enum gitstore_v2_arg_kind {
	GITSTORE_ARG_PEEL = 1,         /* ls-refs */
	GITSTORE_ARG_SYMREFS,          /* ls-refs */
	GITSTORE_ARG_REF_PREFIX,       /* ls-refs: value */
	GITSTORE_ARG_UNBORN,           /* ls-refs */
	GITSTORE_ARG_WANT,             /* fetch: id */
	GITSTORE_ARG_HAVE,             /* fetch: id */
	GITSTORE_ARG_DONE,             /* fetch */
	GITSTORE_ARG_THIN_PACK,        /* fetch */
	GITSTORE_ARG_NO_PROGRESS,      /* fetch */
	GITSTORE_ARG_INCLUDE_TAG,      /* fetch */
	GITSTORE_ARG_OFS_DELTA,        /* fetch */
	GITSTORE_ARG_SIDEBAND_ALL,     /* fetch */
	GITSTORE_ARG_WAIT_FOR_DONE     /* fetch */
};
struct gitstore_v2_arg {
	int kind;
	struct gitstore_oid id;          /* WANT, HAVE */
	struct gitstore_slice value;     /* REF_PREFIX */
};
/*
 * Parse one argument line of command ("ls-refs" or "fetch"):
 * GITSTORE_EV2_ARG for an unknown or malformed one (a bad id too),
 * GITSTORE_EV2_UNSUPPORTED for what this server does not offer (shallow,
 * deepen*, filter, want-ref, packfile-uris), GITSTORE_EV2_COMMAND for
 * another command.
 */
int gitstore_v2_arg_parse(int algo, struct gitstore_slice command, struct gitstore_slice line,
	struct gitstore_v2_arg *out);

/*
 * A receive-pack command (gitprotocol-pack.txt "Reference Update Request"):
 * "<old-id> SP <new-id> SP <name>", the first one followed by NUL and the
 * client's capabilities. A zero old id creates, a zero new id deletes.
 */
struct gitstore_receive_cmd {
	struct gitstore_oid old_id;
	struct gitstore_oid new_id;
	struct gitstore_slice name;
};
/* Capabilities a push client may ask for. */
#define GITSTORE_RCAP_REPORT_STATUS 1u
#define GITSTORE_RCAP_SIDEBAND 2u     /* side-band-64k */
#define GITSTORE_RCAP_ATOMIC 4u
#define GITSTORE_RCAP_QUIET 8u
#define GITSTORE_RCAP_OFS_DELTA 16u
#define GITSTORE_RCAP_PUSH_OPTIONS 32u
/*
 * Parse one command line (a packet's payload, LF optional): GITSTORE_ERECV_CMD
 * (layout), GITSTORE_EHEX (an id), GITSTORE_EREF_NAME (a name git would
 * refuse: gitstore_refname_check). *caps (may be NULL) gets the text after
 * the NUL, empty when none.
 */
int gitstore_receive_cmd_parse(int algo, const uint8_t *line, size_t len, struct gitstore_receive_cmd *c,
	struct gitstore_slice *caps);
/* The GITSTORE_RCAP_* bits named in a space-separated capability list; unknown names are ignored, as git does. */
unsigned gitstore_receive_caps_parse(struct gitstore_slice caps);


/* ---------------------------------------------------------------- upload-pack: serving clone and fetch */

/*
 * The server side of `git clone` / `git fetch` (git upload-pack), sans I/O.
 *
 * Versions. Protocol v2 (gitprotocol-v2.txt): capability advertisement,
 * `ls-refs` (peel, symrefs, ref-prefix) and `fetch` (want, have, done,
 * thin-pack, ofs-delta, no-progress, include-tag; acknowledgments, then the
 * packfile section on side-band). Protocol v0 (gitprotocol-pack.txt): the
 * ref advertisement with capabilities (multi_ack_detailed, multi_ack,
 * side-band-64k, side-band, ofs-delta, thin-pack, no-progress, include-tag,
 * symref, object-format, agent), wants, haves with ACK/NAK, done, the pack.
 * Not offered: shallow and deepen, filter, want-ref, packfile-uris
 * (GITSTORE_EV2_UNSUPPORTED; v0 does not advertise them). Packs are never
 * thin. Any object the repository has may be wanted (git's
 * uploadpack.allowAnySHA1InWant): serve only repositories whose every
 * object may be read.
 *
 * Transports. One machine serves:
 *   git:// or ssh (a stream): flags 0. The advertisement comes out first;
 *     then requests go in and responses come out until gitstore_upload_done.
 *     (git daemon's first line, "git-upload-pack /path\0host=..\0\0version=2\0",
 *     is the caller's to read: it picks the repository and the version.)
 *   smart HTTP, GET /info/refs?service=git-upload-pack: flag
 *     GITSTORE_UPLOAD_ADVERTISE: the advertisement only, with the
 *     "# service=git-upload-pack" header packet for v0 (v2 has none, as git
 *     http-backend does). Content-Type
 *     application/x-git-upload-pack-advertisement.
 *   smart HTTP, POST /git-upload-pack: flag GITSTORE_UPLOAD_STATELESS: the
 *     request body goes in (then gitstore_upload_input_end), the response
 *     body comes out (Content-Type application/x-git-upload-pack-result) until
 *     gitstore_upload_done. v2 is chosen by the request's
 *     "Git-Protocol: version=2" header, as for GET.
 *
 * Driving it: feed input with gitstore_upload_input (it takes what it can:
 * a return below len means "drain output first"), drain with
 * gitstore_upload_output until it returns 0, repeat; done() says the
 * exchange is over (close the stream, or end the HTTP response). A pack is
 * made while output is drained, one object per call or so, so a large clone
 * streams in bounded memory and never blocks the caller for long, except
 * for the walk of the history that comes first.
 *
 * Errors. input and output return the first error (a malformed request,
 * GITSTORE_EPROTO_WANT, a corrupt object...); an error packet ("ERR ..." or
 * band 3) is still given by output for the client to show, then done() is
 * true.
 *
 * Memory, all lent (struct gitstore_upload_mem):
 *   objs[nobjs]       every object the pack will hold, plus the commits the
 *                     haves reach (a clone of a repository of N objects
 *                     needs N); GITSTORE_ENOMEM when short.
 *   index[index_len]  a power of two at least twice nobjs.
 *   stack[nobjs]      the walk's work list.
 *   in[in_cap]        the request being read: GITSTORE_PKT_MAX at least; a
 *                     v2 fetch request is held whole, and a stateless
 *                     client repeats every common have in each round:
 *                     lend 1 MiB (20 000 haves) to a smart-HTTP server.
 *   obj[obj_cap]      the largest object (and scratch for its delta chain
 *                     comes from the repository's packs).
 *   stage[stage_cap]  output being made: the advertisement or ls-refs
 *                     answer whole, and one object's pack entry
 *                     (gitstore_pack_writer_bound(obj_cap)).
 *   deflate           GITSTORE_DEFLATE_ARENA bytes for the pack writer.
 * The repository's packs must be attached (gitstore_repo_set_packs).
 */
struct gitstore_walk_obj {
	struct gitstore_oid id;
	uint8_t type;
	uint8_t flags;
	uint16_t src_pack;   /* internal: 1 + the repository pack it is reused from, 0: none */
	uint32_t src_pos;    /* internal: its position in that pack's idx */
	uint64_t src_off;    /* internal: its entry there */
	uint64_t out_off;    /* internal: its entry in the pack being sent, 0: not yet */
};
struct gitstore_upload_mem {
	struct gitstore_walk_obj *objs;
	size_t nobjs;
	uint32_t *index;
	size_t index_len;
	uint32_t *stack;
	uint8_t *in;
	size_t in_cap;
	uint8_t *obj;
	size_t obj_cap;
	uint8_t *stage;
	size_t stage_cap;
	uint8_t *deflate;
	size_t deflate_cap;
};
#define GITSTORE_UPLOAD_STATELESS 1u   /* smart HTTP POST: one request, no advertisement */
#define GITSTORE_UPLOAD_ADVERTISE 2u   /* smart HTTP GET info/refs: the advertisement only */

struct gitstore_upload {
	struct gitstore_repo *repo;
	int version;
	unsigned flags;
	struct {
		struct gitstore_upload_mem m;
		struct gitstore_pktbuf in;
		struct gitstore_arena deflate;
		struct gitstore_pack_writer w;
		int state;
		int err;
		unsigned caps;          /* what the client asked for */
		int multi_ack;          /* 0, 1 multi_ack, 2 multi_ack_detailed */
		size_t sb_max;          /* side-band payload per packet, 0: none */
		size_t n;               /* objects in the table */
		size_t wmask;           /* the walk's id table in use: index[0..wmask] */
		size_t omask;           /* then the table by pack offset: index[0..omask] */
		size_t sp;
		uint32_t next;          /* next table entry to write into the pack */
		uint32_t nsend;
		uint32_t nhaves;        /* haves found (common) in this round */
		struct gitstore_oid last_have;
		size_t stage_len;
		size_t stage_off;
		size_t pack_at;         /* where pack bytes start in the stage */
		bool stage_band;        /* stage holds pack bytes to frame on band 1 */
		bool got_wants;
		unsigned cpu;           /* what the CPU offers, once asked */
	} priv;
};
/* 0, GITSTORE_EINVAL (version not 0, 1 or 2; memory missing or too small). v1 is served as v0. */
int gitstore_upload_init(struct gitstore_upload *u, struct gitstore_repo *repo, int version, unsigned flags,
	const struct gitstore_upload_mem *mem);
/* Take request bytes: the count taken (less than len: drain output first), or the first error. */
int gitstore_upload_input(struct gitstore_upload *u, const uint8_t *data, size_t len);
/* The request ended (HTTP body complete, or the peer closed): 0, or GITSTORE_EEOF inside a request. */
int gitstore_upload_input_end(struct gitstore_upload *u);
/* Response bytes into out (cap > 5): the count, 0 when nothing is ready now, or the first error. */
int gitstore_upload_output(struct gitstore_upload *u, uint8_t *out, size_t cap);
/* The exchange is over and every response byte was given out. */
bool gitstore_upload_done(const struct gitstore_upload *u);
/* The objects a successful fetch put in its last pack (for logs and tests). */
uint32_t gitstore_upload_sent(const struct gitstore_upload *u);


/* ---------------------------------------------------------------- receive-pack: accepting pushes */

/*
 * The server side of `git push` (git receive-pack, protocol v0 as git
 * speaks it for push: gitprotocol-pack.txt "Pushing Data To a Server").
 *
 * The advertisement lists the refs with the capabilities report-status,
 * delete-refs, atomic, ofs-delta, side-band-64k, quiet, no-thin,
 * object-format and agent (push-options and report-status-v2 are not
 * offered). The client sends its commands ("<old> <new> <ref>", the first
 * with its capabilities), a flush, and a pack unless it only deletes.
 *
 * What happens, in order, nothing of it visible before the end:
 *   1. the pack is read whole into the caller's buffer (its end found by
 *      inflating each entry as it streams in: a git:// client keeps the
 *      connection open for the report), then indexed and checked as git
 *      index-pack --strict does: trailer, every delta resolved (no thin
 *      packs), every object hashing to its id and passing
 *      gitstore_obj_check(GITSTORE_CHECK_STRICT);
 *   2. connectivity: everything each new ref value reaches is in the pack or
 *      already in the repository (objects already stored are taken as
 *      connected, as git's check against --all assumes);
 *   3. per command: the ref name (refs/...), delete of a ref that exists,
 *      the old value still current, a fast-forward for refs/heads/ unless
 *      GITSTORE_RECEIVE_ALLOW_NONFF (git's receive.denyNonFastForwards),
 *      then the caller's check callback, which may veto with a reason;
 *   4. with atomic, one failure fails every command;
 *   5. the pack and its .idx are stored (objects/pack/pack-<id>.{pack,idx},
 *      written to temporary names and renamed), then each ref is moved with
 *      compare-and-swap on the old value (gitstore_ref_update /
 *      gitstore_ref_delete). Under atomic a failed compare-and-swap puts the
 *      refs already moved back (the storage has no multi-ref transaction;
 *      a crash in between leaves some moved, each one whole);
 *   6. report-status: "unpack ok" or "unpack <error>", then "ok <ref>" or
 *      "ng <ref> <reason>" per command, on band 1 with side-band-64k.
 * Reasons are git's words where git has them: "non-fast-forward",
 * "stale info", "failed to lock", "missing necessary objects",
 * "unpacker error", "atomic push failed", "deletion of the current branch
 * prohibited" is not applied (bare repositories).
 *
 * Transports as for upload-pack: flags 0 for a stream;
 * GITSTORE_RECEIVE_ADVERTISE for GET info/refs?service=git-receive-pack
 * ("# service=git-receive-pack" header included; Content-Type
 * application/x-git-receive-pack-advertisement); GITSTORE_RECEIVE_STATELESS
 * for the POST body (application/x-git-receive-pack-result), where the end
 * of the body ends the pack too (gitstore_receive_input_end).
 *
 * Memory, lent (struct gitstore_receive_mem): in (GITSTORE_PKT_MAX at
 * least), cmds (the most commands one push may carry), stage (the
 * advertisement whole), and the incoming pack's (struct
 * gitstore_inpack_mem; a pack larger than it fails with
 * "unpack GITSTORE_ENOMEM").
 */
#define GITSTORE_REASON_MAX 160
struct gitstore_receive_update {
	char name[GITSTORE_REFNAME_MAX];
	struct gitstore_oid old_id;
	struct gitstore_oid new_id;
	bool ok;                       /* after the push: the ref was moved */
	char reason[GITSTORE_REASON_MAX];   /* why not, when !ok */
};
struct gitstore_receive;
/*
 * The caller's veto, called once per command that passed every other check:
 * return 0 to accept, nonzero to refuse with a reason written into
 * reason[0..cap) (NUL-terminated; "ng <ref> <reason>"). It may read the
 * pushed objects with gitstore_receive_obj_read.
 */
typedef int (*gitstore_receive_check_fn)(void *ctx, struct gitstore_receive *rcv,
	const struct gitstore_receive_update *up, char *reason, size_t cap);

/*
 * An incoming pack (a push, or a fetch's answer), held whole while it is
 * checked: the memory lent for it. pack: the largest pack accepted; slots:
 * one per object of it; idx: gitstore_idx_size of it; obj: the largest
 * object; scratch: twice that plus 8 per delta level; arena:
 * GITSTORE_INFLATE_ARENA; objs/index/stack: the connectivity and
 * fast-forward walks (the pack's objects plus the commits walked).
 */
struct gitstore_inpack_mem {
	uint8_t *pack;
	size_t pack_cap;
	struct gitstore_index_slot *slots;
	size_t nslots;
	uint8_t *idx;
	size_t idx_cap;
	uint8_t *obj;
	size_t obj_cap;
	uint8_t *scratch;
	size_t scratch_cap;
	uint8_t *arena;
	size_t arena_cap;
	struct gitstore_walk_obj *objs;
	size_t nobjs;
	uint32_t *index;
	size_t index_len;
	uint32_t *stack;
};
struct gitstore_inpack {
	struct gitstore_inpack_mem m;
	struct {
		struct gitstore_arena arena;
		struct gitstore_idx idx;
		struct gitstore_pack pack;
		bool have_pack;      /* indexed: reads look there first */
		size_t pack_len;
		size_t idx_len;
		uint64_t scan_off;   /* next entry whose end is to be found */
		uint64_t zpos;       /* inside that entry's zlib stream */
		uint32_t scanned;
		uint32_t count;
		void *zs;            /* the inflate stream, in the arena */
	} priv;
};

struct gitstore_receive_mem {
	uint8_t *in;
	size_t in_cap;
	struct gitstore_receive_update *cmds;
	size_t ncmds;
	uint8_t *stage;
	size_t stage_cap;
	struct gitstore_inpack_mem pack;
};
#define GITSTORE_RECEIVE_STATELESS 1u
#define GITSTORE_RECEIVE_ADVERTISE 2u
#define GITSTORE_RECEIVE_ALLOW_NONFF 4u   /* accept non-fast-forward updates of refs/heads/ */

struct gitstore_receive {
	struct gitstore_repo *repo;
	unsigned flags;
	gitstore_receive_check_fn check;
	void *check_ctx;
	struct {
		struct gitstore_receive_mem m;
		struct gitstore_pktbuf in;
		struct gitstore_inpack ip;
		int state;
		int err;
		unsigned caps;
		size_t ncmds;
		bool need_pack;
		size_t stage_len;
		size_t stage_off;
		bool stage_band;
		int unpack_err;
	} priv;
};
/* 0, or GITSTORE_EINVAL (memory missing or too small). check may be NULL. */
int gitstore_receive_init(struct gitstore_receive *rcv, struct gitstore_repo *repo, unsigned flags,
	const struct gitstore_receive_mem *mem, gitstore_receive_check_fn check, void *check_ctx);
/* As gitstore_upload_input. The push is carried out inside the call that completes the pack. */
int gitstore_receive_input(struct gitstore_receive *rcv, const uint8_t *data, size_t len);
/* As gitstore_upload_input_end. */
int gitstore_receive_input_end(struct gitstore_receive *rcv);
/* As gitstore_upload_output. */
int gitstore_receive_output(struct gitstore_receive *rcv, uint8_t *out, size_t cap);
bool gitstore_receive_done(const struct gitstore_receive *rcv);
/* The commands of the push and what became of each (after done): for the caller's deploy. */
const struct gitstore_receive_update *gitstore_receive_updates(const struct gitstore_receive *rcv, size_t *n);
/* Read an object from the pushed pack, else from the repository (as gitstore_obj_read). */
int gitstore_receive_obj_read(struct gitstore_receive *rcv, const struct gitstore_oid *id, int *type,
	uint8_t *buf, size_t cap, size_t *needed);


/* ---------------------------------------------------------------- fetch: the client */

/*
 * Fetching one ref from a remote into a local ref, sans I/O: the client half
 * of upload-pack. Protocol v2 when the server speaks it (ls-refs with
 * ref-prefix, then fetch with the want, the local ref's old value and up
 * to GITSTORE_FETCH_HAVES other local ref tips as haves, and done: one
 * round, no multi-round negotiation), otherwise v0 (the advertisement, want with
 * side-band-64k and ofs-delta, the have, done; ACK or NAK; the pack). The
 * pack is demultiplexed from side-band as it arrives, its end found as it
 * streams (struct gitstore_inpack), then indexed and checked like a push
 * (every object through gitstore_obj_check STRICT, connectivity of the
 * wanted tip), stored, and only then is the local ref moved, with
 * compare-and-swap against its value when the fetch began. A remote that
 * dies at any point leaves the repository as it was (at most an unused
 * temporary file when storing itself fails).
 *
 * Transports:
 *   stream (git://): write gitstore_daemon_request's line first (asking
 *     for version=2), then move bytes: gitstore_fetch_output gives each
 *     request whole; feed everything read to gitstore_fetch_input; call
 *     gitstore_fetch_input_end on EOF.
 *   smart HTTP (flag GITSTORE_FETCH_HTTP): GET
 *     URL/info/refs?service=git-upload-pack with "Git-Protocol: version=2",
 *     feed its body; then while output gives a request body, POST it to
 *     URL/git-upload-pack (Content-Type application/x-git-upload-pack-request,
 *     Accept application/x-git-upload-pack-result, the Git-Protocol header
 *     again) and feed the response body, then gitstore_fetch_input_end.
 * done() says when to stop; result() says what happened.
 */
#define GITSTORE_FETCH_HTTP 1u
/* The haves a fetch sends: the local ref's value first, then other local ref tips. */
#define GITSTORE_FETCH_HAVES 16
struct gitstore_fetch_mem {
	uint8_t *in;        /* response packets: GITSTORE_PKT_MAX at least */
	size_t in_cap;
	struct gitstore_inpack_mem pack;
};
struct gitstore_fetch {
	struct gitstore_repo *repo;
	unsigned flags;
	char remote_ref[GITSTORE_REFNAME_MAX];
	char local_ref[GITSTORE_REFNAME_MAX];
	struct {
		struct gitstore_fetch_mem m;
		struct gitstore_pktbuf in;
		struct gitstore_inpack ip;
		int state;
		int err;
		int version;
		bool found;
		bool sideband;
		bool pack_whole;
		bool updated;
		struct gitstore_oid want;
		struct gitstore_oid old;
		struct gitstore_oid haves[GITSTORE_FETCH_HAVES];
		size_t nhaves;
		char remote_error[GITSTORE_REASON_MAX];
	} priv;
};
/*
 * Write git daemon's request line (a pkt-line) into out:
 * "git-upload-pack PATH\0host=HOST\0" plus "\0version=2\0" when version is 2.
 * Its length, or GITSTORE_ENOMEM / GITSTORE_EPKT_TOOLONG.
 */
int gitstore_daemon_request(uint8_t *out, size_t cap, const char *service, const char *path, const char *host,
	int version);
/*
 * Fetch remote_ref ("refs/heads/main") into local_ref ("refs/remotes/origin/main"
 * or the same name). 0, or GITSTORE_EINVAL / GITSTORE_EREF_NAME.
 */
int gitstore_fetch_init(struct gitstore_fetch *f, struct gitstore_repo *repo, unsigned flags, const char *remote_ref,
	const char *local_ref, const struct gitstore_fetch_mem *mem);
/* The next request, whole, into out: its length; 0 when none is due (read); GITSTORE_ENOMEM when cap is short (2 KiB does). */
int gitstore_fetch_output(struct gitstore_fetch *f, uint8_t *out, size_t cap);
/* Response bytes: the count taken (all of them, unless the exchange is over), or the first error. */
int gitstore_fetch_input(struct gitstore_fetch *f, const uint8_t *data, size_t len);
/* The stream closed, or (HTTP) a response body ended. */
int gitstore_fetch_input_end(struct gitstore_fetch *f);
bool gitstore_fetch_done(const struct gitstore_fetch *f);
/*
 * After done: 0 with *id the ref's new value (*updated false when it already
 * was there), or the error (GITSTORE_ENOENT: the remote has no such ref;
 * GITSTORE_EREMOTE: the server said why, in f->priv.remote_error;
 * GITSTORE_EEOF: it hung up early; GITSTORE_EREF_STALE: the local ref moved
 * meanwhile).
 */
int gitstore_fetch_result(const struct gitstore_fetch *f, struct gitstore_oid *id, bool *updated);


#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_GITSTORE_H */
