/* Creating and binding sockets, shared by TCP listeners and UDP. */
#include "cl_posix_int.h"

#include <errno.h>
#include <unistd.h>

int cl_sock_bind(int type, const char *addr, unsigned flags, struct cl_addr *bound)
{
	struct cl_addr a;
	union cl_sockaddr sa;
	if (cl_addr_parse(&a, addr) < 0)
		return -1;
	socklen_t len = cl_addr_to_sockaddr(&a, &sa);
	int fd = socket(sa.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	/* TCP: rebind over TIME_WAIT after a restart. Not for UDP, where
	 * SO_REUSEADDR lets a second process bind the same port silently and
	 * steal its datagrams. */
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if ((flags & CL_REUSEPORT) && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	/* One socket per family: "0.0.0.0:53" and "[::]:53" side by side. */
	if (a.family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, &sa.sa, len) < 0)
		goto fail;
	len = sizeof(sa);
	if (getsockname(fd, &sa.sa, &len) < 0 || cl_addr_from_sockaddr(bound, &sa.sa, len) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}
