/*
 * cloudlet/xenfront.h: libxenfront, xenstore, grant tables, event channels, netfront, blkfront, console.
 *
 * libxenfront speaks the Xen split-driver protocols from the guest side:
 * xenstore, grant tables, event channels, netfront, blkfront and the console.
 *
 * Ownership. Every object is a struct the caller owns: xenfront_X_init() sets
 * every field, xenfront_X_reset() reuses it, and nothing is ever freed because
 * nothing is ever allocated. Buffers, tables and arenas are lent by the caller
 * with their capacity and must outlive the object they are lent to. A full
 * table is an error the caller sees (XENFRONT_ENOMEM), never a crash.
 *
 * Time and chance. Anything that can time out takes a monotonic uint64_t
 * now_ms; wall-clock time and random numbers are arguments too, so every run
 * is reproducible.
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative XENFRONT_E* code; xenfront_strerror() names it.
 * XENFRONT_EAGAIN ("need more input" or "would block") is never the same code as
 * a malformed input.
 */
#ifndef CLOUDLET_XENFRONT_H
#define CLOUDLET_XENFRONT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XENFRONT_VERSION "0.1.0"

/* Error codes: every negative return of this library is one of these. */
enum xenfront_err {
	XENFRONT_OK = 0,
	XENFRONT_EAGAIN = -1,   /* need more input, or the ops would block */
	XENFRONT_ENOMEM = -2,   /* a caller-lent buffer, table or arena is full */
	XENFRONT_EINVAL = -3,   /* an argument is out of range */
	XENFRONT_EIO = -4,      /* the ops reported an error */
	XENFRONT_EEOF = -5,     /* the peer closed the stream */
	XENFRONT_ETIMEDOUT = -6,/* a deadline passed */
	XENFRONT_ERR_MIN_ = -7  /* one below the lowest code */
};

/* The name of an error code, for logs: "XENFRONT_ENOMEM: buffer full". Never NULL. */
const char *xenfront_strerror(int err);

/* The library's version string. */
const char *xenfront_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_XENFRONT_H */
