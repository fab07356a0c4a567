/* Private declarations shared by the files of platform/posix. */
#ifndef CLOUDLET_PLATFORM_POSIX_INT_H
#define CLOUDLET_PLATFORM_POSIX_INT_H

#include "cl_posix.h"

/* cl_timer.c: fire the due timers of the iteration; return how many. */
int cl_timers_fire(struct cl_loop *loop);

/* cl_timer.c: how long epoll_wait may sleep for the earliest timer: -1
 * none armed, else 0..INT_MAX ms. */
int cl_timers_wait_ms(const struct cl_loop *loop);

/* cl_sock.c: a nonblocking, close-on-exec socket of type (SOCK_STREAM or
 * SOCK_DGRAM) bound to addr, with SO_REUSEADDR for TCP (and SO_REUSEPORT for
 * CL_REUSEPORT), IPV6_V6ONLY for IPv6; *bound gets the bound address.
 * Returns the fd or -1 (errno set, EINVAL for a bad address). */
int cl_sock_bind(int type, const char *addr, unsigned flags, struct cl_addr *bound);

#endif
