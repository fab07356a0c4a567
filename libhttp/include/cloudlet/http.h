/*
 * cloudlet/http.h: libhttp, HTTP/1.1 parser, server and client connections, static responses.
 *
 * libhttp parses HTTP/1.1 messages in place (RFC 9110, RFC 9112), drives server
 * and client connections over stream ops, and builds static responses.
 *
 * Ownership. Every object is a struct the caller owns: http_X_init() sets
 * every field, http_X_reset() reuses it, and nothing is ever freed because
 * nothing is ever allocated. Buffers, tables and arenas are lent by the caller
 * with their capacity and must outlive the object they are lent to. A full
 * table is an error the caller sees (HTTP_ENOMEM), never a crash.
 *
 * Time and chance. Anything that can time out takes a monotonic uint64_t
 * now_ms; wall-clock time and random numbers are arguments too, so every run
 * is reproducible.
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative HTTP_E* code; http_strerror() names it.
 * HTTP_EAGAIN ("need more input" or "would block") is never the same code as
 * a malformed input.
 */
#ifndef CLOUDLET_HTTP_H
#define CLOUDLET_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HTTP_VERSION "0.1.0"

/* Error codes: every negative return of this library is one of these. */
enum http_err {
	HTTP_OK = 0,
	HTTP_EAGAIN = -1,   /* need more input, or the ops would block */
	HTTP_ENOMEM = -2,   /* a caller-lent buffer, table or arena is full */
	HTTP_EINVAL = -3,   /* an argument is out of range */
	HTTP_EIO = -4,      /* the ops reported an error */
	HTTP_EEOF = -5,     /* the peer closed the stream */
	HTTP_ETIMEDOUT = -6,/* a deadline passed */
	HTTP_ERR_MIN_ = -7  /* one below the lowest code */
};

/* The name of an error code, for logs: "HTTP_ENOMEM: buffer full". Never NULL. */
const char *http_strerror(int err);

/* The library's version string. */
const char *http_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_HTTP_H */
