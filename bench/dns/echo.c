/* echo: the cheapest possible DNS responder, to measure what a load generator
 * can push through the same loopback path when the server costs (almost)
 * nothing. It reads batches with recvmmsg, turns each query into an answer
 * in place (QR set, NOERROR, the question and any OPT record echoed, nothing
 * added, so an answer is exactly as long as its query) and sends the batch
 * back with sendmmsg. With UDP_GRO on (the default), queries a load
 * generator sent as one GSO super-datagram arrive as one and go back as one
 * (UDP_SEGMENT, same segment size). Benchmark tool: libc and Linux only.
 *
 *   echo -p PORT [-a 127.0.0.1] [-c CPU] [-b BATCH] [-n (no GRO)]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 64
#define MAX_MSG 65536

/* Turns one query into its answer in place; 0 if it is not a query. */
static int answer(uint8_t *m, size_t len)
{
	if (len < 12 || (m[2] & 0x80))
		return 0; /* too short, or already an answer: drop */
	m[2] |= 0x80;
	m[3] &= 0xf0; /* NOERROR */
	return 1;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 0, cpu = -1, batch = 64, use_gro = 1, opt;
	while ((opt = getopt(argc, argv, "a:p:c:b:nh")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'n': use_gro = 0; break;
		default:
			fprintf(stderr, "usage: echo -p PORT [-a ADDR] [-c CPU] [-b BATCH] [-n]\n");
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || batch < 1 || batch > MAX_BATCH) {
		fprintf(stderr, "echo: bad port or batch\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0) {
			perror("echo: sched_setaffinity");
			return 1;
		}
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "echo: bad address\n");
		return 1;
	}
	int buf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("echo: bind");
		return 1;
	}

	int gro = 1;
	if (use_gro && setsockopt(fd, SOL_UDP, UDP_GRO, &gro, sizeof gro) < 0)
		use_gro = 0;

	static uint8_t bufs[MAX_BATCH][MAX_MSG];
	static struct sockaddr_in peers[MAX_BATCH];
	/* Control buffers for UDP_GRO in and UDP_SEGMENT out, aligned. */
	static uint64_t rctl[MAX_BATCH][8], tctl[MAX_BATCH][8];
	static struct mmsghdr rx[MAX_BATCH], tx[MAX_BATCH];
	static struct iovec rxv[MAX_BATCH], txv[MAX_BATCH];
	for (int i = 0; i < MAX_BATCH; i++) {
		rxv[i].iov_base = bufs[i];
		rxv[i].iov_len = MAX_MSG;
		rx[i].msg_hdr.msg_iov = &rxv[i];
		rx[i].msg_hdr.msg_iovlen = 1;
		rx[i].msg_hdr.msg_name = &peers[i];
	}
	for (;;) {
		for (int i = 0; i < batch; i++) {
			rx[i].msg_hdr.msg_namelen = sizeof peers[i];
			rx[i].msg_hdr.msg_control = rctl[i];
			rx[i].msg_hdr.msg_controllen = sizeof rctl[i];
		}
		int got = recvmmsg(fd, rx, (unsigned)batch, MSG_WAITFORONE, NULL);
		if (got <= 0)
			continue;
		int n = 0;
		for (int i = 0; i < got; i++) {
			uint8_t *m = bufs[i];
			size_t len = rx[i].msg_len;
			size_t seg = len;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&rx[i].msg_hdr); c; c = CMSG_NXTHDR(&rx[i].msg_hdr, c)) {
				if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
					int v;
					memcpy(&v, CMSG_DATA(c), sizeof v);
					if (v > 0)
						seg = (size_t)v;
				}
			}
			/* A coalesced datagram holds segments of seg octets (the last
			 * may be shorter); answer each in place. */
			int all = 1, any = 0;
			for (size_t off = 0; off < len; off += seg) {
				size_t l = len - off < seg ? len - off : seg;
				if (answer(m + off, l))
					any = 1;
				else
					all = 0;
			}
			if (!any)
				continue;
			if (all) {
				txv[n].iov_base = m;
				txv[n].iov_len = len;
				tx[n].msg_hdr.msg_control = NULL;
				tx[n].msg_hdr.msg_controllen = 0;
				if (seg < len) {
					tx[n].msg_hdr.msg_control = tctl[n];
					tx[n].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
					struct cmsghdr *c = CMSG_FIRSTHDR(&tx[n].msg_hdr);
					c->cmsg_level = SOL_UDP;
					c->cmsg_type = UDP_SEGMENT;
					c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
					uint16_t s16 = (uint16_t)seg;
					memcpy(CMSG_DATA(c), &s16, sizeof s16);
				}
				tx[n].msg_hdr.msg_iov = &txv[n];
				tx[n].msg_hdr.msg_iovlen = 1;
				tx[n].msg_hdr.msg_name = &peers[i];
				tx[n].msg_hdr.msg_namelen = rx[i].msg_hdr.msg_namelen;
				n++;
			} else {
				/* Mixed: send the answered segments one by one. */
				for (size_t off = 0; off < len; off += seg) {
					size_t l = len - off < seg ? len - off : seg;
					if (m[off + 2] & 0x80 && l >= 12)
						sendto(fd, m + off, l, 0, (struct sockaddr *)&peers[i],
						       rx[i].msg_hdr.msg_namelen);
				}
			}
		}
		for (int off = 0; off < n;) {
			int s = sendmmsg(fd, tx + off, (unsigned)(n - off), 0);
			if (s <= 0)
				break;
			off += s;
		}
	}
}
