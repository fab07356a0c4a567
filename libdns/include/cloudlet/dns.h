/*
 * cloudlet/dns.h: libdns, DNS wire codec, zone files, zone database and authoritative engine.
 *
 * libdns encodes and decodes DNS messages (RFC 1035 and its successors), loads
 * zone files, and answers queries as an authoritative server.
 *
 * Ownership. Every object is a struct the caller owns: dns_X_init() sets
 * every field, dns_X_reset() reuses it, and nothing is ever freed because
 * nothing is ever allocated. Buffers, tables and arenas are lent by the caller
 * with their capacity and must outlive the object they are lent to. A full
 * table is an error the caller sees (DNS_ENOMEM), never a crash.
 *
 * Time and chance. Anything that can time out takes a monotonic uint64_t
 * now_ms; wall-clock time and random numbers are arguments too, so every run
 * is reproducible.
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative DNS_E* code; dns_strerror() names it.
 * DNS_EAGAIN ("need more input" or "would block") is never the same code as
 * a malformed input.
 */
#ifndef CLOUDLET_DNS_H
#define CLOUDLET_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DNS_VERSION "0.1.0"

/* Error codes: every negative return of this library is one of these. */
enum dns_err {
	DNS_OK = 0,
	DNS_EAGAIN = -1,   /* need more input, or the ops would block */
	DNS_ENOMEM = -2,   /* a caller-lent buffer, table or arena is full */
	DNS_EINVAL = -3,   /* an argument is out of range */
	DNS_EIO = -4,      /* the ops reported an error */
	DNS_EEOF = -5,     /* the peer closed the stream */
	DNS_ETIMEDOUT = -6,/* a deadline passed */
	DNS_ERR_MIN_ = -7  /* one below the lowest code */
};

/* The name of an error code, for logs: "DNS_ENOMEM: buffer full". Never NULL. */
const char *dns_strerror(int err);

/* The library's version string. */
const char *dns_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_DNS_H */
