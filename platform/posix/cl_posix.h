/*
 * platform/posix: binds the libraries' ops to POSIX: the monotonic clock,
 * getrandom, and (to come) the epoll loop, sockets and files.
 */
#ifndef CLOUDLET_PLATFORM_POSIX_H
#define CLOUDLET_PLATFORM_POSIX_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds from CLOCK_MONOTONIC: the now_ms every library takes. */
uint64_t cl_now_ms(void);

/* Wall-clock seconds since the Unix epoch (HTTP dates, TSIG, DNSSEC). */
int64_t cl_wall_s(void);

/* Fill buf with len random bytes from getrandom(); the libraries' random
 * callback shape (ctx unused). Returns 0, or -1 if the kernel failed. */
int cl_random(void *ctx, uint8_t *buf, size_t len);

#endif
