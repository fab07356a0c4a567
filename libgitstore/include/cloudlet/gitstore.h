/*
 * cloudlet/gitstore.h: libgitstore, Git objects, packs, refs, a versioned key-value view and the smart protocol.
 *
 * libgitstore reads and writes Git repositories (objects, packs, refs) through
 * storage ops, and offers a versioned key-value view on top of them.
 *
 * Ownership. Every object is a struct the caller owns: gitstore_X_init() sets
 * every field, gitstore_X_reset() reuses it, and nothing is ever freed because
 * nothing is ever allocated. Buffers, tables and arenas are lent by the caller
 * with their capacity and must outlive the object they are lent to. A full
 * table is an error the caller sees (GITSTORE_ENOMEM), never a crash.
 *
 * Time and chance. Anything that can time out takes a monotonic uint64_t
 * now_ms; wall-clock time and random numbers are arguments too, so every run
 * is reproducible.
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative GITSTORE_E* code; gitstore_strerror() names it.
 * GITSTORE_EAGAIN ("need more input" or "would block") is never the same code as
 * a malformed input.
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
	GITSTORE_EAGAIN = -1,   /* need more input, or the ops would block */
	GITSTORE_ENOMEM = -2,   /* a caller-lent buffer, table or arena is full */
	GITSTORE_EINVAL = -3,   /* an argument is out of range */
	GITSTORE_EIO = -4,      /* the ops reported an error */
	GITSTORE_EEOF = -5,     /* the peer closed the stream */
	GITSTORE_ETIMEDOUT = -6,/* a deadline passed */
	GITSTORE_ERR_MIN_ = -7  /* one below the lowest code */
};

/* The name of an error code, for logs: "GITSTORE_ENOMEM: buffer full". Never NULL. */
const char *gitstore_strerror(int err);

/* The library's version string. */
const char *gitstore_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_GITSTORE_H */
