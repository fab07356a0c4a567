/*
 * cloudlet/tcpip.h: libtcpip, Ethernet, ARP, IPv4/IPv6, ICMP, UDP, TCP and DHCP over a netdev.
 *
 * libtcpip is a TCP/IP stack over a netdev: Ethernet frames in, Ethernet
 * frames out, with the caller owning every buffer and the clock.
 *
 * Ownership. Every object is a struct the caller owns: tcpip_X_init() sets
 * every field, tcpip_X_reset() reuses it, and nothing is ever freed because
 * nothing is ever allocated. Buffers, tables and arenas are lent by the caller
 * with their capacity and must outlive the object they are lent to. A full
 * table is an error the caller sees (TCPIP_ENOMEM), never a crash.
 *
 * Time and chance. Anything that can time out takes a monotonic uint64_t
 * now_ms; wall-clock time and random numbers are arguments too, so every run
 * is reproducible.
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative TCPIP_E* code; tcpip_strerror() names it.
 * TCPIP_EAGAIN ("need more input" or "would block") is never the same code as
 * a malformed input.
 */
#ifndef CLOUDLET_TCPIP_H
#define CLOUDLET_TCPIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TCPIP_VERSION "0.1.0"

/* Error codes: every negative return of this library is one of these. */
enum tcpip_err {
	TCPIP_OK = 0,
	TCPIP_EAGAIN = -1,   /* need more input, or the ops would block */
	TCPIP_ENOMEM = -2,   /* a caller-lent buffer, table or arena is full */
	TCPIP_EINVAL = -3,   /* an argument is out of range */
	TCPIP_EIO = -4,      /* the ops reported an error */
	TCPIP_EEOF = -5,     /* the peer closed the stream */
	TCPIP_ETIMEDOUT = -6,/* a deadline passed */
	TCPIP_ERR_MIN_ = -7  /* one below the lowest code */
};

/* The name of an error code, for logs: "TCPIP_ENOMEM: buffer full". Never NULL. */
const char *tcpip_strerror(int err);

/* The library's version string. */
const char *tcpip_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_TCPIP_H */
