/* loadgen: an HTTP/1.1 keep-alive load generator that costs less per request
 * than wrk, so that one client core can load a fast server on loopback.
 *
 * One thread, level-triggered epoll, N connections to one address. Every
 * connection keeps DEPTH requests in flight: it writes DEPTH copies of one
 * GET in one send (depth 1: plain keep-alive) and writes the next batch
 * when the last response of the batch is complete, as wrk with a pipelining
 * script does. In steady state a batch costs one send, and a response one
 * recv per readiness (a 2 KB response: one): the next batch is sent
 * straight from the receive path, so epoll_ctl is only called when a send
 * comes up short (then EPOLLOUT is waited for) and on reconnects. wrk, by
 * contrast, arms and disarms EPOLLOUT around every request.
 *
 * Every response is parsed and checked: status line, headers up to the
 * blank line, Content-Length (required: chunked or close-delimited bodies
 * are framing errors), the body counted across reads; status must be 200
 * and the body as long as -s BYTES (or the first response's body). Bodies
 * are counted, not kept: every connection receives into one shared buffer
 * and carries over only an incomplete head.
 *
 * A connection the server closes is opened again (httpd closes one after
 * --max-requests); the requests it had in flight are dropped, and counted as
 * a "short close" error unless the server announced the close
 * (Connection: close, or HTTP/1.0 without keep-alive).
 *
 * Latency: from the write of a batch to the end of its last response (at
 * depth 1 that is per request), in a log-linear histogram (16 steps per
 * power of two: within ~6%).
 *
 * Benchmark tool, not a library: libc and Linux only.
 *
 *   loadgen -p PORT [-a 127.0.0.1] [-u /2k.html] [-c 64] [-d 10] [-w 0]
 *           [-D 1] [-s BYTES] [-C CPU] [-R BYTES] [-H HOST] [-q]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF      (256 * 1024) /* default recv size: a 100 KB response in one */
#define MAX_HEAD  8192         /* a response head must fit */
#define MAX_DEPTH 1024
#define MAX_CONNS 10000
#define HIST      (64 * 16)
#define RETRY_NS  50000000u /* wait before connecting again after a failure */

enum { E_CONNECT, E_STATUS, E_FRAMING, E_SIZE, E_CLOSE, E_KINDS };
static const char *const err_name[E_KINDS] = {
	"connect", "status", "framing", "size", "short_close",
};

enum state { CONNECTING, HEAD, BODY, DOWN };

struct conn {
	int fd;
	enum state state;
	bool want_out;     /* EPOLLOUT armed: a send came up short */
	bool closing;      /* the server said it closes after this response */
	uint32_t inflight; /* responses still due for the current batch */
	size_t sent;       /* bytes of the batch written */
	uint64_t t_sent;   /* when the batch was written */
	uint64_t retry_at; /* state DOWN: when to connect again */
	int status;        /* of the response being read */
	uint64_t body_len; /* its Content-Length */
	uint64_t body_left;
	size_t carry_len; /* an incomplete head, kept across reads */
	char carry[MAX_HEAD];
};

/* Everything the run shares, in one place. */
static struct {
	int ep;
	struct sockaddr_in sa;
	char *batch; /* DEPTH copies of the request */
	size_t batch_len;
	uint32_t depth;
	int64_t expect; /* body size, -1 until the first 200 gives it */
	bool counting;  /* past the warm-up */
	int ndown;      /* connections waiting to reconnect */
	uint64_t responses, bytes, reconnects, samples;
	uint64_t errors[E_KINDS];
	uint64_t hist[HIST];
	char *rbuf;
	size_t rsize;
} g;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

/* Counts an error; the first of each kind is described on stderr, so a
 * broken server shows what it sent without flooding the output. */
static void count_error(int kind, const char *what, const char *line, size_t len)
{
	if (g.errors[kind]++ == 0) {
		const char *eol = line ? memchr(line, '\r', len) : NULL;
		int n = line ? (int)(eol ? (size_t)(eol - line) : (len > 80 ? 80 : len)) : 0;
		fprintf(stderr, "loadgen: first %s error: %s%s%.*s\n", err_name[kind], what,
		        line ? ": " : "", n, line ? line : "");
	}
}

/* 16 linear steps per power of two of nanoseconds. */
static unsigned hist_bucket(uint64_t ns)
{
	if (ns < 16)
		return (unsigned)ns;
	unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
	return (msb - 3) * 16 + (unsigned)((ns >> (msb - 4)) & 15);
}

/* The middle of a bucket, in microseconds. */
static double hist_value(unsigned b)
{
	if (b < 16)
		return b / 1000.0;
	unsigned msb = b / 16 + 3, sub = b % 16;
	double lo = (double)((16ull + sub) << (msb - 4));
	return (lo + (double)(1ull << (msb - 4)) / 2) / 1000.0;
}

static double percentile(double p)
{
	uint64_t acc = 0;
	if (!g.samples)
		return 0;
	for (unsigned b = 0; b < HIST; b++) {
		acc += g.hist[b];
		if ((double)acc >= p * (double)g.samples)
			return hist_value(b);
	}
	return hist_value(HIST - 1);
}

static void arm(struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	if (epoll_ctl(g.ep, op, c->fd, &ev) < 0)
		die("epoll_ctl failed");
}

static void start_batch(struct conn *c, uint64_t now);
static void reconnect(struct conn *c, uint64_t now);

/* Opens the connection; a refused or failed connect waits RETRY_NS. */
static void open_conn(struct conn *c, uint64_t now)
{
	static const int one = 1;
	c->state = CONNECTING;
	c->want_out = false;
	c->closing = false;
	c->inflight = 0;
	c->carry_len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket failed (too many connections for the fd limit?)");
	/* As wrk: a request must not wait for the previous one's ACK. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (struct sockaddr *)&g.sa, sizeof g.sa) == 0) {
		arm(c, EPOLLIN, EPOLL_CTL_ADD);
		start_batch(c, now);
	} else if (errno == EINPROGRESS) {
		arm(c, EPOLLOUT, EPOLL_CTL_ADD);
	} else {
		count_error(E_CONNECT, strerror(errno), NULL, 0);
		close(c->fd);
		c->fd = -1;
		c->state = DOWN;
		c->retry_at = now + RETRY_NS;
		g.ndown++;
	}
}

/* Writes what is left of the batch; arms EPOLLOUT only while some is. */
static void flush(struct conn *c, uint64_t now)
{
	if (c->sent == g.batch_len)
		return;
	ssize_t n = send(c->fd, g.batch + c->sent, g.batch_len - c->sent, MSG_NOSIGNAL);
	if (n > 0) {
		c->sent += (size_t)n;
	} else if (errno != EAGAIN && errno != EINTR) {
		/* The server is gone; whether it said so is judged as for EOF. */
		reconnect(c, now);
		return;
	}
	bool more = c->sent < g.batch_len;
	if (more != c->want_out) {
		c->want_out = more;
		arm(c, more ? EPOLLIN | EPOLLOUT : EPOLLIN, EPOLL_CTL_MOD);
	}
}

static void start_batch(struct conn *c, uint64_t now)
{
	c->state = HEAD;
	c->sent = 0;
	c->inflight = g.depth;
	c->t_sent = now;
	flush(c, now);
}

/* Closes and opens again. Requests in flight are lost: an error unless the
 * server announced the close. */
static void reconnect(struct conn *c, uint64_t now)
{
	if (c->inflight && !c->closing)
		count_error(E_CLOSE,
		            c->state == BODY || c->carry_len ? "closed inside a response"
		                                             : "closed with requests in flight",
		            NULL, 0);
	close(c->fd);
	g.reconnects++;
	open_conn(c, now);
}

static bool name_is(const char *p, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(p, name, len) == 0;
}

/* Whether a comma-separated field value holds TOKEN (RFC 9110 5.6.1). */
static bool has_token(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token);
	for (size_t i = 0; i < len;) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < len && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i - s == tl && strncasecmp(v + s, token, tl) == 0)
			return true;
	}
	return false;
}

/* Reads one response head, LEN bytes ending in CRLF CRLF: sets status,
 * body length and whether the server closes after it. 0, or -1 when the
 * response cannot be framed (counted). */
static int parse_head(struct conn *c, const char *h, size_t len)
{
	/* RFC 9112 4: HTTP-version SP 3DIGIT SP [reason] */
	if (len < 14 || memcmp(h, "HTTP/1.", 7) != 0 || (h[7] != '0' && h[7] != '1') ||
	    h[8] != ' ' || h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9' || h[11] < '0' ||
	    h[11] > '9' || (h[12] != ' ' && h[12] != '\r')) {
		count_error(E_FRAMING, "bad status line", h, len);
		return -1;
	}
	c->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	bool http10 = h[7] == '0', keep_alive = false, have_cl = false;
	c->closing = false;
	uint64_t cl = 0;
	const char *p = (const char *)memchr(h, '\n', len) + 1,
	           *end = h + len - 2; /* the last CRLF */
	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!eol || eol[1] != '\n' || !colon || colon > eol || colon == p) {
			count_error(E_FRAMING, "bad header line", p, (size_t)(end - p));
			return -1;
		}
		const char *v = colon + 1, *ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		size_t nl = (size_t)(colon - p), vl = (size_t)(ve - v);
		if (name_is(p, nl, "content-length")) {
			/* RFC 9110 8.6: digits only; repeated, the values must agree. */
			uint64_t x = 0;
			if (vl == 0 || vl > 15) {
				count_error(E_FRAMING, "bad Content-Length", p, (size_t)(end - p));
				return -1;
			}
			for (size_t i = 0; i < vl; i++) {
				if (v[i] < '0' || v[i] > '9') {
					count_error(E_FRAMING, "bad Content-Length", p,
					            (size_t)(end - p));
					return -1;
				}
				x = x * 10 + (uint64_t)(v[i] - '0');
			}
			if (have_cl && x != cl) {
				count_error(E_FRAMING, "two Content-Lengths", p, (size_t)(end - p));
				return -1;
			}
			cl = x;
			have_cl = true;
		} else if (name_is(p, nl, "transfer-encoding")) {
			/* Chunked bodies are not read here: the servers under test
			 * send a Content-Length for a static file. */
			count_error(E_FRAMING, "Transfer-Encoding not supported", p,
			            (size_t)(end - p));
			return -1;
		} else if (name_is(p, nl, "connection")) {
			if (has_token(v, vl, "close"))
				c->closing = true;
			if (has_token(v, vl, "keep-alive"))
				keep_alive = true;
		}
		p = eol + 2;
	}
	/* RFC 9112 9.3: HTTP/1.0 closes unless it says keep-alive. */
	if (http10 && !keep_alive)
		c->closing = true;
	if (c->status < 200) {
		count_error(E_FRAMING, "interim (1xx) response", h, len);
		return -1;
	}
	if (!have_cl) {
		/* RFC 9112 6.3: 204 and 304 have no body; anything else would be
		 * delimited by the close, which a keep-alive benchmark cannot use. */
		if (c->status != 204 && c->status != 304) {
			count_error(E_FRAMING, "no Content-Length", h, len);
			return -1;
		}
	}
	if (c->status != 200)
		count_error(E_STATUS, "not 200", h, len);
	c->body_len = c->body_left = cl;
	return 0;
}

/* A response is complete: checks its size, counts it, and ends the batch
 * with its last response. */
static void complete(struct conn *c, uint64_t now)
{
	if (c->status == 200) {
		if (g.expect < 0)
			g.expect = (int64_t)c->body_len;
		else if (c->body_len != (uint64_t)g.expect) {
			char m[96];
			snprintf(m, sizeof m, "body of %llu bytes, expected %lld",
			         (unsigned long long)c->body_len, (long long)g.expect);
			count_error(E_SIZE, m, NULL, 0);
		}
	}
	if (g.counting)
		g.responses++;
	c->state = HEAD;
	if (--c->inflight == 0 && g.counting) {
		g.hist[hist_bucket(now - c->t_sent)]++;
		g.samples++;
	}
	/* After an announced close the rest of the batch will not come. */
	if (c->closing)
		c->inflight = 0;
}

/* Where CRLF CRLF ends in P[0..N), or NULL. */
static const char *head_end(const char *p, size_t n)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);
	return e ? e + 4 : NULL;
}

/* Consumes N received bytes. 0, or -1 when the connection was dropped for a
 * framing error. */
static int feed(struct conn *c, const char *p, size_t n, uint64_t now)
{
	while (n > 0) {
		if (c->inflight == 0) {
			count_error(E_FRAMING, "bytes after the last response", p, n);
			return -1;
		}
		if (c->state == BODY) {
			size_t k = n < c->body_left ? n : (size_t)c->body_left;
			c->body_left -= k;
			p += k;
			n -= k;
			if (c->body_left == 0)
				complete(c, now);
			continue;
		}
		const char *head, *e;
		size_t hlen;
		if (c->carry_len == 0 && (e = head_end(p, n))) {
			/* The usual case: the whole head is in this read. */
			head = p;
			hlen = (size_t)(e - p);
			p += hlen;
			n -= hlen;
		} else {
			/* The head spans reads: gather it in the carry buffer. Search
			 * from 3 bytes back, as CRLF CRLF may straddle the reads. */
			size_t old = c->carry_len, room = MAX_HEAD - old, k = n < room ? n : room;
			memcpy(c->carry + old, p, k);
			c->carry_len += k;
			size_t from = old > 3 ? old - 3 : 0;
			e = head_end(c->carry + from, c->carry_len - from);
			if (!e) {
				if (c->carry_len == MAX_HEAD) {
					count_error(E_FRAMING, "response head too long", c->carry,
					            MAX_HEAD);
					return -1;
				}
				return 0; /* k == n: all taken */
			}
			head = c->carry;
			hlen = (size_t)(e - c->carry);
			p += hlen - old;
			n -= hlen - old;
			c->carry_len = 0;
		}
		if (parse_head(c, head, hlen) < 0)
			return -1;
		if (c->body_left == 0)
			complete(c, now);
		else
			c->state = BODY;
	}
	return 0;
}

/* One recv per readiness, as the servers do; level-triggered epoll reports
 * the socket again while anything (data or the server's FIN) is left. */
static void on_readable(struct conn *c)
{
	ssize_t n = recv(c->fd, g.rbuf, g.rsize, 0);
	uint64_t now = now_ns();
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		reconnect(c, now);
		return;
	}
	if (g.counting)
		g.bytes += (uint64_t)n;
	if (feed(c, g.rbuf, (size_t)n, now) < 0) {
		c->closing = true; /* counted as framing, not also as short close */
		reconnect(c, now);
	} else if (c->inflight == 0) {
		if (c->closing)
			reconnect(c, now);
		else
			start_batch(c, now);
	}
}

static void on_event(struct conn *c, uint32_t events)
{
	if (c->state == CONNECTING) {
		int err = 0;
		socklen_t l = sizeof err;
		uint64_t now = now_ns();
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			count_error(E_CONNECT, strerror(err), NULL, 0);
			close(c->fd);
			c->fd = -1;
			c->state = DOWN;
			c->retry_at = now + RETRY_NS;
			g.ndown++;
			return;
		}
		arm(c, EPOLLIN, EPOLL_CTL_MOD);
		start_batch(c, now);
		return;
	}
	int fd = c->fd;
	if (events & EPOLLOUT)
		flush(c, now_ns());
	/* flush may have reconnected: the new socket has its own events. */
	if (c->fd == fd && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		on_readable(c);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: loadgen -p PORT [options]\n"
	        "  -a ADDR   server IPv4 address (default 127.0.0.1)\n"
	        "  -u PATH   request target (default /2k.html)\n"
	        "  -c N      connections (default 64)\n"
	        "  -d SECS   measured duration (default 10)\n"
	        "  -w SECS   warm-up before it, not counted (errors and reconnects are)\n"
	        "  -D N      requests in flight per connection, written together (default 1;\n"
	        "            the next batch goes when the last response of one is in)\n"
	        "  -s BYTES  expected body size (default: the first 200 response's)\n"
	        "  -C CPU    pin to this CPU\n"
	        "  -R BYTES  bytes asked for per recv (default %d; wrk: 8192); how fast\n"
	        "            the client drains a big response changes the server's cost\n"
	        "  -H HOST   Host header value (default ADDR:PORT)\n"
	        "  -q        print only the RESULT line\n",
	        RBUF);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *path = "/2k.html", *host = NULL;
	int port = 0, nconn = 64, cpu = -1, quiet = 0, opt;
	long depth = 1;
	double duration = 10, warmup = 0;
	g.expect = -1;
	g.rsize = RBUF;
	while ((opt = getopt(argc, argv, "a:p:u:c:d:w:D:s:C:R:H:qh")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'u':
			path = optarg;
			break;
		case 'c':
			nconn = atoi(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'w':
			warmup = atof(optarg);
			break;
		case 'D':
			depth = atol(optarg);
			break;
		case 's':
			g.expect = atoll(optarg);
			break;
		case 'C':
			cpu = atoi(optarg);
			break;
		case 'R':
			g.rsize = (size_t)atol(optarg);
			break;
		case 'H':
			host = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (port <= 0 || port > 65535 || nconn < 1 || nconn > MAX_CONNS || depth < 1 ||
	    depth > MAX_DEPTH || duration <= 0 || warmup < 0 || path[0] != '/' || g.rsize < 1 ||
	    g.rsize > (64u << 20) || optind != argc)
		usage();
	g.depth = (uint32_t)depth;
	g.sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &g.sa.sin_addr) != 1)
		die("-a must be an IPv4 address");

	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0)
			die("sched_setaffinity failed");
	}

	/* The request wrk sends: request line and Host. */
	char req[2048];
	int rl = host ? snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host)
	              : snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", path,
	                         addr, port);
	if (rl < 0 || (size_t)rl >= sizeof req)
		die("request too long");
	g.batch_len = (size_t)rl * g.depth;
	g.batch = malloc(g.batch_len);
	g.rbuf = malloc(g.rsize);
	struct conn *conns = calloc((size_t)nconn, sizeof *conns);
	if (!g.batch || !g.rbuf || !conns)
		die("out of memory");
	for (uint32_t i = 0; i < g.depth; i++)
		memcpy(g.batch + (size_t)i * (size_t)rl, req, (size_t)rl);

	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (g.ep < 0)
		die("epoll_create1 failed");
	uint64_t t0 = now_ns();
	uint64_t t_count = t0 + (uint64_t)(warmup * 1e9);
	uint64_t t_end = t_count + (uint64_t)(duration * 1e9);
	uint64_t t_start = t0, now = t0;
	double cpu0 = 0;
	for (int i = 0; i < nconn; i++)
		open_conn(&conns[i], now);
	if (warmup == 0) {
		g.counting = true;
		cpu0 = cpu_seconds();
		t_start = now_ns();
	}

	static struct epoll_event evs[512];
	while (now < t_end) {
		uint64_t until = g.counting ? t_end : t_count;
		int ms = (int)((until - now + 999999) / 1000000);
		if (ms > 1000)
			ms = 1000;
		if (g.ndown && ms > 10)
			ms = 10;
		int n = epoll_wait(g.ep, evs, 512, ms);
		if (n < 0 && errno != EINTR)
			die("epoll_wait failed");
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
		now = now_ns();
		if (g.ndown) {
			for (int i = 0; i < nconn; i++) {
				if (conns[i].state == DOWN && now >= conns[i].retry_at) {
					g.ndown--;
					open_conn(&conns[i], now);
				}
			}
		}
		if (!g.counting && now >= t_count) {
			g.counting = true;
			cpu0 = cpu_seconds();
			t_start = now;
		}
	}
	double cpu_s = cpu_seconds() - cpu0;
	double secs = (double)(now - t_start) / 1e9;
	double rps = (double)g.responses / secs;
	double mib = (double)g.bytes / secs / 1048576.0;
	double p50 = percentile(0.5), p99 = percentile(0.99);
	uint64_t errs = 0;
	for (int k = 0; k < E_KINDS; k++)
		errs += g.errors[k];

	char body[32] = "size unknown";
	if (g.expect >= 0)
		snprintf(body, sizeof body, "%lld B", (long long)g.expect);
	if (!quiet)
		printf(
		    "loadgen: %llu responses in %.2f s to %s:%d%s (%d connections, depth %u, "
		    "body %s): %.0f requests/s, %.1f MiB/s, latency p50 %.1f us, p99 %.1f us; "
		    "errors %llu (connect %llu, status %llu, framing %llu, size %llu, short close "
		    "%llu); "
		    "reconnects %llu; CPU %.2f s (%.0f%%), %.2f us per request\n",
		    (unsigned long long)g.responses, secs, addr, port, path, nconn, g.depth, body,
		    rps, mib, p50, p99, (unsigned long long)errs,
		    (unsigned long long)g.errors[E_CONNECT], (unsigned long long)g.errors[E_STATUS],
		    (unsigned long long)g.errors[E_FRAMING], (unsigned long long)g.errors[E_SIZE],
		    (unsigned long long)g.errors[E_CLOSE], (unsigned long long)g.reconnects, cpu_s,
		    100.0 * cpu_s / secs, g.responses ? 1e6 * cpu_s / (double)g.responses : 0.0);
	printf("RESULT requests=%llu seconds=%.3f rps=%.0f mib_s=%.1f p50_us=%.1f p99_us=%.1f "
	       "errors=%llu",
	       (unsigned long long)g.responses, secs, rps, mib, p50, p99, (unsigned long long)errs);
	for (int k = 0; k < E_KINDS; k++)
		printf(" err_%s=%llu", err_name[k], (unsigned long long)g.errors[k]);
	printf(" reconnects=%llu cpu_s=%.3f body=%lld depth=%u conns=%d\n",
	       (unsigned long long)g.reconnects, cpu_s, (long long)g.expect, g.depth, nconn);
	return g.responses ? 0 : 1;
}
