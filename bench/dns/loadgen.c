/* loadgen: a UDP DNS load generator that keeps a fixed window of queries in
 * flight over several connected sockets, sends and receives in batches
 * (sendmmsg/recvmmsg), and checks every answer: id, question (byte for byte,
 * so 0x20 case echo is checked too) and rcode against the expected one from
 * the query file.
 *
 * It is a benchmark tool, not part of any library: libc and Linux only.
 *
 *   loadgen -s 127.0.0.1 -p 5300 -f queries.txt -d 10 [-w 512] [-S 4] [-b 32]
 *           [-c 1] [-t 1000] [-e [-D]] [-q]
 *
 * Query file: one query per line, "name type [expected-rcode]", for example
 *   www.example.test A NOERROR
 *   nope.example.test AAAA NXDOMAIN
 * Blank lines and lines starting with ';' or '#' are skipped. Types are the
 * usual mnemonics or TYPEnnn; rcodes are mnemonics or numbers.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 64
#define MAX_BATCH 256
#define MAX_MSG 4096
#define NO_RCODE (-1)

struct query {
	uint8_t wire[300];
	uint16_t len;
	uint16_t qend; /* offset just past the question */
	int expect;    /* expected rcode or NO_RCODE */
	char text[600];
};

struct slot {
	uint64_t sent_ns;
	uint32_t query;
	uint32_t pos; /* index in the socket's live list */
	uint8_t busy;
};

struct sock {
	int fd;
	uint16_t next_id;
	uint32_t nlive;
	uint16_t *live; /* ids in flight, dense */
	struct slot *slots; /* indexed by id */
};

struct stats {
	uint64_t sent, answered, lost, unexpected, badq, badhdr, casediff, tc;
	uint64_t send_err, expect_total, expect_ok;
	uint64_t rcode[16];
	uint64_t lat_sum_ns, lat_hist[64]; /* log2 buckets of microseconds */
	uint64_t idle_ns; /* time in loop rounds that moved nothing (busy polling) */
};

static const struct {
	const char *name;
	int value;
} types[] = {
	{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"HINFO", 13},
	{"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"NAPTR", 35},
	{"DS", 43}, {"SSHFP", 44}, {"RRSIG", 46}, {"NSEC", 47}, {"DNSKEY", 48},
	{"NSEC3", 50}, {"NSEC3PARAM", 51}, {"TLSA", 52}, {"SVCB", 64},
	{"HTTPS", 65}, {"ANY", 255}, {"CAA", 257},
};

static const char *rcodes[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
	"RCODE12", "RCODE13", "RCODE14", "RCODE15",
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

static int parse_type(const char *s)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].value;
	if (strncasecmp(s, "TYPE", 4) == 0 && isdigit((unsigned char)s[4]))
		return atoi(s + 4);
	return -1;
}

static int parse_rcode(const char *s)
{
	if (isdigit((unsigned char)s[0]))
		return atoi(s) & 15;
	for (int i = 0; i < 16; i++)
		if (strcasecmp(s, rcodes[i]) == 0)
			return i;
	return -2;
}

/* Encodes "name type" into a query; returns 0 or -1. Names are taken as
 * written (case kept), with or without the trailing dot. */
static int encode_query(struct query *q, const char *name, int type, int edns, int dobit)
{
	uint8_t *w = q->wire;
	size_t off = 12;
	memset(w, 0, 12);
	w[2] = 0x00; /* RD clear: an authoritative server ignores it anyway */
	w[5] = 1;    /* QDCOUNT */
	const char *p = name;
	if (strcmp(p, ".") != 0) {
		while (*p) {
			const char *dot = strchr(p, '.');
			size_t l = dot ? (size_t)(dot - p) : strlen(p);
			if (l == 0 || l > 63 || off + l + 1 > 255 + 12)
				return -1;
			w[off++] = (uint8_t)l;
			memcpy(w + off, p, l);
			off += l;
			p += l;
			if (*p == '.')
				p++;
		}
	}
	w[off++] = 0;
	w[off++] = (uint8_t)(type >> 8);
	w[off++] = (uint8_t)type;
	w[off++] = 0;
	w[off++] = 1; /* IN */
	q->qend = (uint16_t)off;
	if (edns) {
		w[11] = 1; /* ARCOUNT */
		const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0 /* 1232 */, 0, 0,
		                         (uint8_t)(dobit ? 0x80 : 0), 0, 0, 0};
		memcpy(w + off, opt, sizeof opt);
		off += sizeof opt;
	}
	q->len = (uint16_t)off;
	return 0;
}

static struct query *load_queries(const char *path, size_t *count, int edns, int dobit)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open query file");
	size_t cap = 1024, n = 0;
	struct query *qs = malloc(cap * sizeof *qs);
	char line[1024];
	unsigned lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char name[512], type[64], rc[64];
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == 0 || *s == ';' || *s == '#')
			continue;
		int k = sscanf(s, "%511s %63s %63s", name, type, rc);
		if (k < 2) {
			fprintf(stderr, "loadgen: %s:%u: expected \"name type [rcode]\"\n", path, lineno);
			exit(2);
		}
		if (n == cap) {
			cap *= 2;
			qs = realloc(qs, cap * sizeof *qs);
		}
		struct query *q = &qs[n];
		int t = parse_type(type);
		if (t < 0 || t > 65535 || encode_query(q, name, t, edns, dobit) < 0) {
			fprintf(stderr, "loadgen: %s:%u: bad name or type\n", path, lineno);
			exit(2);
		}
		q->expect = NO_RCODE;
		if (k == 3) {
			q->expect = parse_rcode(rc);
			if (q->expect == -2) {
				fprintf(stderr, "loadgen: %s:%u: bad rcode %s\n", path, lineno, rc);
				exit(2);
			}
		}
		snprintf(q->text, sizeof q->text, "%s %s", name, type);
		n++;
	}
	fclose(f);
	if (n == 0)
		die("query file has no queries");
	*count = n;
	return qs;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen -s ADDR -p PORT -f QUERYFILE [options]\n"
		"  -d SECONDS  run time (default 10)\n"
		"  -w N        queries in flight, over all sockets (default 256)\n"
		"  -S N        sockets (default 4, max %d)\n"
		"  -b N        batch size for sendmmsg/recvmmsg (default 32, max %d)\n"
		"  -c CPU      pin to this CPU\n"
		"  -t MS       a query unanswered after MS milliseconds is lost (default 1000)\n"
		"  -G N        send queries of equal length N at a time as one UDP GSO\n"
		"              super-datagram (UDP_SEGMENT); the kernel splits it, the\n"
		"              server still receives one datagram per query (max 64)\n"
		"  -B          never sleep: poll the sockets without blocking (on loopback\n"
		"              the server's CPU otherwise pays for waking the generator)\n"
		"  -e          add EDNS0 OPT (1232 octets)\n"
		"  -D          set DO in the OPT record (implies -e)\n"
		"  -v          print the first few mismatching answers\n"
		"  -q          print only the RESULT line\n",
		MAX_SOCKETS, MAX_BATCH);
	exit(2);
}

/* Gives the query a free id on socket s, writes it into the copy at dst. */
static void take_slot(struct sock *s, uint32_t query, uint64_t t, uint8_t *dst)
{
	uint16_t id = s->next_id;
	while (s->slots[id].busy)
		id++;
	s->next_id = (uint16_t)(id + 1);
	dst[0] = (uint8_t)(id >> 8);
	dst[1] = (uint8_t)id;
	struct slot *sl = &s->slots[id];
	sl->busy = 1;
	sl->query = query;
	sl->sent_ns = t;
	sl->pos = s->nlive;
	s->live[s->nlive++] = id;
}

/* GSO groups: runs of queries of the same length, sent as one UDP_SEGMENT
 * super-datagram that the kernel splits into ordinary datagrams. Built by
 * walking the query list in order and closing a group when it is full, so
 * one pass over the groups sends every query once and the mix is kept. */
struct group {
	uint32_t first; /* index into order[] */
	uint16_t n, len;
};

static struct group *make_groups(const struct query *qs, size_t nq, int gso,
                                 uint32_t **order_out, size_t *ngroups)
{
	uint32_t *order = malloc(nq * sizeof *order);
	struct group *g = malloc(nq * sizeof *g);
	uint32_t *pend[301];
	int npend[301];
	size_t no = 0, ng = 0;
	for (int l = 0; l <= 300; l++) {
		pend[l] = malloc((size_t)gso * sizeof(uint32_t));
		npend[l] = 0;
	}
	for (size_t i = 0; i <= nq; i++) {
		int flush_all = i == nq;
		for (int l = 0; l <= 300; l++) {
			int full = npend[l] == gso;
			if (!(full || (flush_all && npend[l] > 0)))
				continue;
			g[ng].first = (uint32_t)no;
			g[ng].n = (uint16_t)npend[l];
			g[ng].len = (uint16_t)l;
			ng++;
			for (int k = 0; k < npend[l]; k++)
				order[no++] = pend[l][k];
			npend[l] = 0;
		}
		if (i < nq) {
			int l = qs[i].len;
			pend[l][npend[l]++] = (uint32_t)i;
		}
	}
	for (int l = 0; l <= 300; l++)
		free(pend[l]);
	*order_out = order;
	*ngroups = ng;
	return g;
}

static void free_slot(struct sock *s, uint16_t id)
{
	struct slot *sl = &s->slots[id];
	uint32_t pos = sl->pos;
	uint16_t last = s->live[--s->nlive];
	s->live[pos] = last;
	s->slots[last].pos = pos;
	sl->busy = 0;
}

int main(int argc, char **argv)
{
	const char *server = NULL, *qfile = NULL;
	int port = 0, nsock = 4, batch = 32, cpu = -1, edns = 0, dobit = 0;
	int quiet = 0, verbose = 0, gso = 0, busy = 0;
	double duration = 10;
	long window = 256, timeout_ms = 1000;
	int c;
	while ((c = getopt(argc, argv, "s:p:f:d:w:S:b:c:t:G:BeDqvh")) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'f': qfile = optarg; break;
		case 'd': duration = atof(optarg); break;
		case 'w': window = atol(optarg); break;
		case 'S': nsock = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		case 'G': gso = atoi(optarg); break;
		case 'B': busy = 1; break;
		case 'e': edns = 1; break;
		case 'D': edns = 1; dobit = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (!server || !qfile || port <= 0 || port > 65535 || nsock < 1 ||
	    nsock > MAX_SOCKETS || batch < 1 || batch > MAX_BATCH || window < nsock ||
	    window > (long)nsock * 60000 || duration <= 0 || timeout_ms <= 0 || gso < 0 ||
	    gso > 64)
		usage();

	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0)
			die("sched_setaffinity failed");
	}

	size_t nq;
	struct query *qs = load_queries(qfile, &nq, edns, dobit);

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, server, &sa.sin_addr) != 1)
		die("server must be an IPv4 address");

	struct sock socks[MAX_SOCKETS];
	long per_sock = window / nsock;
	for (int i = 0; i < nsock; i++) {
		struct sock *s = &socks[i];
		s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (s->fd < 0)
			die("socket failed");
		int buf = 4 << 20;
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
		if (connect(s->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("connect failed");
		s->next_id = (uint16_t)(i * 7919u);
		s->nlive = 0;
		s->live = calloc(65536, sizeof *s->live);
		s->slots = calloc(65536, sizeof *s->slots);
		if (!s->live || !s->slots)
			die("out of memory");
	}

	static uint8_t txbuf[MAX_BATCH][300];
	static uint8_t rxbuf[MAX_BATCH][MAX_MSG];
	struct mmsghdr txm[MAX_BATCH], rxm[MAX_BATCH];
	struct iovec txv[MAX_BATCH], rxv[MAX_BATCH];
	for (int i = 0; i < MAX_BATCH; i++) {
		memset(&txm[i], 0, sizeof txm[i]);
		memset(&rxm[i], 0, sizeof rxm[i]);
		txv[i].iov_base = txbuf[i];
		txm[i].msg_hdr.msg_iov = &txv[i];
		txm[i].msg_hdr.msg_iovlen = 1;
		rxv[i].iov_base = rxbuf[i];
		rxv[i].iov_len = MAX_MSG;
		rxm[i].msg_hdr.msg_iov = &rxv[i];
		rxm[i].msg_hdr.msg_iovlen = 1;
	}

	/* GSO: gmsgs super-datagrams of up to gso queries each per sendmmsg. */
	uint32_t *order = NULL;
	size_t ngroups = 0, gnext = 0;
	struct group *groups = NULL;
	int gmsgs = gso > 1 ? (batch + gso - 1) / gso : 0;
	if (gmsgs < 1)
		gmsgs = 1;
	uint8_t *gbuf = NULL;
	struct mmsghdr gm[MAX_BATCH];
	struct iovec gv[MAX_BATCH];
	/* Control buffers, aligned for struct cmsghdr. */
	static uint64_t gctl[MAX_BATCH][(CMSG_SPACE(sizeof(uint16_t)) + 7) / 8];
	if (gso > 1) {
		groups = make_groups(qs, nq, gso, &order, &ngroups);
		gbuf = malloc((size_t)gmsgs * (size_t)gso * 300);
		memset(gm, 0, sizeof gm);
		for (int i = 0; i < gmsgs; i++) {
			gm[i].msg_hdr.msg_iov = &gv[i];
			gm[i].msg_hdr.msg_iovlen = 1;
			gm[i].msg_hdr.msg_control = gctl[i];
			gm[i].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
			struct cmsghdr *cm = CMSG_FIRSTHDR(&gm[i].msg_hdr);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		}
		if (per_sock < gso)
			die("-G needs at least that many queries in flight per socket (-w / -S)");
	}

	struct stats st;
	memset(&st, 0, sizeof st);
	size_t qnext = 0;
	int shown = 0;
	uint64_t start = now_ns();
	uint64_t end = start + (uint64_t)(duration * 1e9);
	uint64_t tmo = (uint64_t)timeout_ms * 1000000u;
	uint64_t next_scan = start + tmo / 4;
	struct pollfd pfd[MAX_SOCKETS];
	int sending = 1;

	for (;;) {
		uint64_t t = now_ns();
		uint64_t t_round = t;
		if (sending && t >= end)
			sending = 0;
		int live_total = 0;
		int progress = 0;
		for (int i = 0; i < nsock; i++) {
			struct sock *s = &socks[i];
			/* Send what the window allows, in batches. */
			while (sending && s->nlive < per_sock) {
				int n = 0;
				long room = per_sock - (long)s->nlive;
				if (gso > 1) {
					/* Up to batch/gso super-datagrams per sendmmsg. */
					int nm = 0;
					size_t used = 0;
					while (nm < gmsgs && groups[gnext].n <= room) {
						const struct group *g = &groups[gnext];
						uint8_t *base = gbuf + used;
						for (int k = 0; k < g->n; k++) {
							uint32_t qi = order[g->first + (uint32_t)k];
							uint8_t *dst = base + (size_t)k * g->len;
							memcpy(dst, qs[qi].wire, g->len);
							take_slot(s, qi, t, dst);
						}
						gv[nm].iov_base = base;
						gv[nm].iov_len = (size_t)g->n * g->len;
						uint16_t seg = g->len;
						memcpy(CMSG_DATA(CMSG_FIRSTHDR(&gm[nm].msg_hdr)), &seg, sizeof seg);
						used += gv[nm].iov_len;
						room -= g->n;
						nm++;
						if (++gnext == ngroups)
							gnext = 0;
					}
					if (nm == 0)
						break;
					int sent = sendmmsg(s->fd, gm, (unsigned)nm, 0);
					if (sent < 0)
						sent = 0;
					for (int m = nm - 1; m >= sent; m--) {
						uint16_t seg;
						memcpy(&seg, CMSG_DATA(CMSG_FIRSTHDR(&gm[m].msg_hdr)), sizeof seg);
						const uint8_t *b = gv[m].iov_base;
						for (size_t off = 0; off < gv[m].iov_len; off += seg) {
							free_slot(s, (uint16_t)((b[off] << 8) | b[off + 1]));
							st.send_err++;
						}
					}
					for (int m = 0; m < sent; m++) {
						uint16_t seg;
						memcpy(&seg, CMSG_DATA(CMSG_FIRSTHDR(&gm[m].msg_hdr)), sizeof seg);
						st.sent += gv[m].iov_len / seg;
					}
					if (sent < nm)
						break;
					progress = 1;
					continue;
				}
				while (n < batch && n < room) {
					struct query *q = &qs[qnext];
					memcpy(txbuf[n], q->wire, q->len);
					take_slot(s, (uint32_t)qnext, t, txbuf[n]);
					txv[n].iov_len = q->len;
					if (++qnext == nq)
						qnext = 0;
					n++;
				}
				int sent = sendmmsg(s->fd, txm, (unsigned)n, 0);
				if (sent < 0)
					sent = 0;
				/* Unsent queries give their slots back (newest first). */
				for (int k = n - 1; k >= sent; k--) {
					uint16_t id = (uint16_t)((txbuf[k][0] << 8) | txbuf[k][1]);
					free_slot(s, id);
					st.send_err++;
				}
				st.sent += (uint64_t)sent;
				if (sent < n)
					break;
				progress = 1;
			}
			/* Receive whatever is there. */
			for (;;) {
				int got = recvmmsg(s->fd, rxm, (unsigned)batch, MSG_DONTWAIT, NULL);
				if (got <= 0)
					break;
				progress = 1;
				uint64_t tr = now_ns();
				for (int k = 0; k < got; k++) {
					const uint8_t *r = rxbuf[k];
					size_t len = rxm[k].msg_len;
					if (len < 12 || !(r[2] & 0x80)) {
						st.badhdr++;
						continue;
					}
					uint16_t id = (uint16_t)((r[0] << 8) | r[1]);
					struct slot *sl = &s->slots[id];
					if (!sl->busy) {
						st.unexpected++; /* late (after timeout) or duplicate */
						continue;
					}
					const struct query *q = &qs[sl->query];
					int rc = r[3] & 15;
					if (r[4] != 0 || r[5] != 1 || len < q->qend) {
						/* FORMERR answers may carry no question. */
						if (!(rc == 1 && r[5] == 0)) {
							st.badq++;
							if (verbose && shown++ < 10)
								fprintf(stderr, "loadgen: bad question count/length for %s\n", q->text);
						}
					} else if (memcmp(r + 12, q->wire + 12, q->qend - 12u) != 0) {
						if (strncasecmp((const char *)r + 12, (const char *)q->wire + 12, q->qend - 12u) == 0 &&
						    memcmp(r + q->qend - 4, q->wire + q->qend - 4, 4) == 0)
							st.casediff++;
						else {
							st.badq++;
							if (verbose && shown++ < 10)
								fprintf(stderr, "loadgen: question differs for %s\n", q->text);
						}
					}
					st.rcode[rc]++;
					if (r[2] & 0x02)
						st.tc++;
					if (q->expect != NO_RCODE) {
						st.expect_total++;
						if (q->expect == rc)
							st.expect_ok++;
						else if (verbose && shown++ < 10)
							fprintf(stderr, "loadgen: %s: rcode %s, expected %s\n", q->text, rcodes[rc], rcodes[q->expect]);
					}
					uint64_t lat = tr - sl->sent_ns;
					st.lat_sum_ns += lat;
					uint64_t us = lat / 1000;
					int b = 0;
					while (us) {
						b++;
						us >>= 1;
					}
					st.lat_hist[b]++;
					st.answered++;
					free_slot(s, id);
				}
				if (got < batch)
					break;
			}
			live_total += (int)s->nlive;
		}
		t = now_ns();
		if (t >= next_scan || !sending) {
			for (int i = 0; i < nsock; i++) {
				struct sock *s = &socks[i];
				for (uint32_t k = 0; k < s->nlive;) {
					uint16_t id = s->live[k];
					if (t - s->slots[id].sent_ns >= tmo || (!sending && t >= end + tmo)) {
						st.lost++;
						free_slot(s, id); /* moves the last entry to k */
					} else {
						k++;
					}
				}
			}
			next_scan = t + tmo / 4;
			live_total = 0;
			for (int i = 0; i < nsock; i++)
				live_total += (int)socks[i].nlive;
		}
		if (!sending && live_total == 0)
			break;
		if (!progress && busy && sending)
			st.idle_ns += now_ns() - t_round;
		if (!progress && !busy) {
			for (int i = 0; i < nsock; i++) {
				pfd[i].fd = socks[i].fd;
				pfd[i].events = POLLIN;
			}
			poll(pfd, (nfds_t)nsock, 1);
		}
	}

	double secs = (double)(end - start) / 1e9;
	double qps = (double)st.answered / secs;
	double avg_us = st.answered ? (double)st.lat_sum_ns / (double)st.answered / 1000.0 : 0;
	/* Percentiles from the log2 histogram: the upper bound of the bucket. */
	uint64_t p50 = 0, p99 = 0, acc = 0;
	for (int b = 0; b < 64; b++) {
		acc += st.lat_hist[b];
		if (!p50 && acc * 2 >= st.answered && st.answered)
			p50 = 1ull << b;
		if (!p99 && acc * 100 >= st.answered * 99 && st.answered) {
			p99 = 1ull << b;
			break;
		}
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	double idle_pct = busy ? 100.0 * (double)st.idle_ns / (double)(end - start) : 0;
	double match = st.expect_total ? 100.0 * (double)st.expect_ok / (double)st.expect_total : 100.0;
	if (!quiet) {
		printf("server          %s:%d\n", server, port);
		printf("queries         %zu distinct, %d sockets, window %ld, batch %d%s", nq, nsock,
		       window, batch, edns ? (dobit ? ", EDNS+DO" : ", EDNS") : "");
		if (gso > 1)
			printf(", GSO %d (%zu groups)", gso, ngroups);
		printf("\n");
		printf("duration        %.2f s\n", secs);
		printf("sent            %llu\n", (unsigned long long)st.sent);
		printf("answered        %llu\n", (unsigned long long)st.answered);
		printf("lost            %llu (%.3f%%)\n", (unsigned long long)st.lost,
		       st.sent ? 100.0 * (double)st.lost / (double)st.sent : 0.0);
		printf("qps             %.0f\n", qps);
		printf("latency         avg %.0f us, p50 < %llu us, p99 < %llu us\n", avg_us,
		       (unsigned long long)p50, (unsigned long long)p99);
		printf("mismatches      question %llu, header %llu, unknown id %llu, case-only %llu\n",
		       (unsigned long long)st.badq, (unsigned long long)st.badhdr,
		       (unsigned long long)st.unexpected, (unsigned long long)st.casediff);
		printf("truncated (TC)  %llu\n", (unsigned long long)st.tc);
		printf("send errors     %llu\n", (unsigned long long)st.send_err);
		printf("rcodes         ");
		for (int i = 0; i < 16; i++)
			if (st.rcode[i])
				printf(" %s=%llu", rcodes[i], (unsigned long long)st.rcode[i]);
		printf("\n");
		printf("expected rcode  %.3f%% of %llu\n", match, (unsigned long long)st.expect_total);
		printf("loadgen cpu     %.2f s (%.0f%% of one core)", cpu_s, 100.0 * cpu_s / secs);
		if (busy)
			printf(", %.0f%% of the run polling empty sockets", idle_pct);
		printf("\n");
	}
	printf("RESULT qps=%.0f sent=%llu answered=%llu lost=%llu badq=%llu unexpected=%llu "
	       "expect_ok=%.3f avg_us=%.0f p99_us=%llu cpu_s=%.2f idle_pct=%.0f",
	       qps, (unsigned long long)st.sent, (unsigned long long)st.answered,
	       (unsigned long long)st.lost, (unsigned long long)st.badq,
	       (unsigned long long)st.unexpected, match, avg_us, (unsigned long long)p99, cpu_s, idle_pct);
	for (int i = 0; i < 16; i++)
		if (st.rcode[i])
			printf(" %s=%llu", rcodes[i], (unsigned long long)st.rcode[i]);
	printf("\n");
	return st.answered ? 0 : 1;
}
