/* struct cl_addr: parsing, formatting, sockaddr conversion. */
#include "cl_posix_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v = 0;
	size_t n = 0;
	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 5)
			return -1;
		v = v * 10 + (uint32_t)(s[n] - '0');
	}
	if (n == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int cl_addr_parse(struct cl_addr *a, const char *s)
{
	char host[INET6_ADDRSTRLEN];
	const char *port;
	memset(a, 0, sizeof(*a));
	if (!s)
		goto bad;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = 0;
		port = end + 2;
		if (inet_pton(AF_INET6, host, a->ip) != 1)
			goto bad;
		a->family = 6;
	} else {
		const char *colon = strchr(s, ':');
		/* A second colon means an IPv6 address without brackets, where
		 * the port cannot be told apart from the last group. */
		if (!colon || strchr(colon + 1, ':') || (size_t)(colon - s) >= sizeof(host))
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		port = colon + 1;
		if (inet_pton(AF_INET, host, a->ip) != 1)
			goto bad;
		a->family = 4;
	}
	if (parse_port(port, &a->port) < 0)
		goto bad;
	return 0;
bad:
	memset(a, 0, sizeof(*a));
	errno = EINVAL;
	return -1;
}

int cl_addr_format(const struct cl_addr *a, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	int n;
	if (a->family == 4 && inet_ntop(AF_INET, a->ip, host, sizeof(host)))
		n = snprintf(buf, cap, "%s:%u", host, (unsigned)a->port);
	else if (a->family == 6 && inet_ntop(AF_INET6, a->ip, host, sizeof(host)))
		n = snprintf(buf, cap, "[%s]:%u", host, (unsigned)a->port);
	else
		return -1;
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

socklen_t cl_addr_to_sockaddr(const struct cl_addr *a, union cl_sockaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == 4) {
		out->in4.sin_family = AF_INET;
		out->in4.sin_port = htons(a->port);
		memcpy(&out->in4.sin_addr, a->ip, 4);
		return sizeof(out->in4);
	}
	if (a->family == 6) {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons(a->port);
		memcpy(&out->in6.sin6_addr, a->ip, 16);
		return sizeof(out->in6);
	}
	return 0;
}

int cl_addr_from_sockaddr(struct cl_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		a->family = 4;
		a->port = ntohs(in->sin_port);
		memcpy(a->ip, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		a->port = ntohs(in6->sin6_port);
		if (memcmp(&in6->sin6_addr, v4mapped, sizeof(v4mapped)) == 0) {
			a->family = 4;
			memcpy(a->ip, (const uint8_t *)&in6->sin6_addr + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->ip, &in6->sin6_addr, 16);
		}
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

bool cl_addr_equal(const struct cl_addr *a, const struct cl_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}
