/* echo: the cheapest possible DNS responder, to measure what a load generator
 * can push through the same loopback path when the server costs (almost)
 * nothing. It reads batches with recvmmsg, turns each query into an answer
 * in place (QR set, NOERROR, the question echoed, nothing else) and sends the
 * batch back with sendmmsg. Benchmark tool: libc and Linux only.
 *
 *   echo -p PORT [-a 127.0.0.1] [-c CPU] [-b BATCH]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_MSG 4096

/* Length of header + question, or 0 if the question does not parse. */
static size_t question_end(const uint8_t *m, size_t len)
{
	size_t off = 12;
	for (int labels = 0; labels < 128; labels++) {
		if (off >= len)
			return 0;
		uint8_t l = m[off];
		if (l == 0)
			return off + 5 <= len ? off + 5 : 0;
		if (l > 63)
			return 0;
		off += 1u + l;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 0, cpu = -1, batch = 64, c;
	while ((c = getopt(argc, argv, "a:p:c:b:h")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: echo -p PORT [-a ADDR] [-c CPU] [-b BATCH]\n");
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

	static uint8_t bufs[MAX_BATCH][MAX_MSG];
	static struct sockaddr_in peers[MAX_BATCH];
	struct mmsghdr rx[MAX_BATCH], tx[MAX_BATCH];
	struct iovec rxv[MAX_BATCH], txv[MAX_BATCH];
	memset(rx, 0, sizeof rx);
	memset(tx, 0, sizeof tx);
	for (int i = 0; i < MAX_BATCH; i++) {
		rxv[i].iov_base = bufs[i];
		rxv[i].iov_len = MAX_MSG;
		rx[i].msg_hdr.msg_iov = &rxv[i];
		rx[i].msg_hdr.msg_iovlen = 1;
		rx[i].msg_hdr.msg_name = &peers[i];
	}
	for (;;) {
		for (int i = 0; i < batch; i++)
			rx[i].msg_hdr.msg_namelen = sizeof peers[i];
		int got = recvmmsg(fd, rx, (unsigned)batch, MSG_WAITFORONE, NULL);
		if (got <= 0)
			continue;
		int n = 0;
		for (int i = 0; i < got; i++) {
			uint8_t *m = bufs[i];
			size_t len = rx[i].msg_len;
			if (len < 12 || (m[2] & 0x80))
				continue; /* too short, or an answer: drop */
			size_t qend = question_end(m, len);
			if (qend == 0 || m[4] != 0 || m[5] != 1) {
				m[3] = (uint8_t)((m[3] & 0xf0) | 1); /* FORMERR, header only */
				qend = 12;
				memset(m + 4, 0, 8);
			} else {
				m[3] &= 0xf0; /* NOERROR */
				memset(m + 6, 0, 6);
			}
			m[2] |= 0x80;
			txv[n].iov_base = m;
			txv[n].iov_len = qend;
			tx[n].msg_hdr.msg_iov = &txv[n];
			tx[n].msg_hdr.msg_iovlen = 1;
			tx[n].msg_hdr.msg_name = &peers[i];
			tx[n].msg_hdr.msg_namelen = rx[i].msg_hdr.msg_namelen;
			n++;
		}
		for (int off = 0; off < n;) {
			int s = sendmmsg(fd, tx + off, (unsigned)(n - off), 0);
			if (s <= 0)
				break;
			off += s;
		}
	}
}
