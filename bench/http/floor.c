/* floor: the cheapest HTTP/1.1 keep-alive server we can write, to measure
 * what the loopback TCP path itself costs per response, so that a ratio
 * between real servers can be read against the ratio no server can beat.
 *
 * It keeps every file of DIR's top level (up to 64, 1 MiB each) in memory
 * with a canned "200 OK" head (the fields nginx sends, so the responses are
 * as long as the servers'), reads whatever a connection sent, finds each
 * complete request head (up to the blank line), looks only at the path in
 * the request line, and answers all the heads of one read with one send
 * (sendmsg of the canned heads and bodies); when the last answer's body is
 * larger than 32 KiB, that body goes with sendfile after a MSG_MORE
 * sendmsg of the rest (cheaper than copying it on this path, as httpd and
 * nginx do by default). No parsing beyond that, no
 * headers read, no Date, no logging: an answer to a well-formed GET and
 * nothing else. Level-triggered epoll, one recv per readiness, as the
 * servers under test do. Benchmark tool: libc and Linux only.
 *
 *   floor -p PORT -d DIR [-a 127.0.0.1]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 64
#define MAX_FILE (1 << 20)
#define BUF 16384
#define MAX_IOV 64
#define SENDFILE_MIN (32 << 10)

struct file {
	char path[256]; /* "/name" */
	size_t plen;
	char head[256];
	size_t hlen;
	char *body;
	size_t blen;
	int fd; /* kept open for sendfile */
};

struct conn {
	int fd;
	size_t have;
	char buf[BUF];
};

static struct file files[MAX_FILES];
static int nfiles;
static const char notfound[] =
	"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

static void load(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d) {
		perror(dir);
		exit(2);
	}
	while ((e = readdir(d)) && nfiles < MAX_FILES) {
		char p[4096];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (stat(p, &st) || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE)
			continue;
		struct file *f = &files[nfiles];
		int fd = open(p, O_RDONLY);
		if (fd < 0)
			continue;
		f->body = malloc((size_t)st.st_size + 1);
		f->blen = (size_t)st.st_size;
		if (!f->body || read(fd, f->body, f->blen) != (ssize_t)f->blen) {
			close(fd);
			continue;
		}
		f->fd = fd;
		f->plen = (size_t)snprintf(f->path, sizeof f->path, "/%s", e->d_name);
		/* The fields nginx sends for a static file, so the bytes on the
		 * wire are the servers' (~240): only the work is left out. The
		 * Date is the start's. */
		char date[40], mod[40];
		time_t now = time(NULL);
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&now));
		strftime(mod, sizeof mod, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&st.st_mtime));
		f->hlen = (size_t)snprintf(f->head, sizeof f->head,
			"HTTP/1.1 200 OK\r\nServer: floor\r\nDate: %s\r\n"
			"Content-Type: text/html\r\nContent-Length: %zu\r\n"
			"Last-Modified: %s\r\nETag: \"%llx-%llx\"\r\n"
			"Accept-Ranges: bytes\r\n\r\n", date, f->blen, mod,
			(unsigned long long)st.st_mtime, (unsigned long long)st.st_size);
		nfiles++;
	}
	closedir(d);
}

/* The file a request line names, or NULL. */
static const struct file *lookup(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	if (!sp)
		return NULL;
	const char *p = sp + 1;
	const char *end = memchr(p, ' ', len - (size_t)(p - line));
	if (!end)
		return NULL;
	for (int i = 0; i < nfiles; i++)
		if ((size_t)(end - p) == files[i].plen && !memcmp(p, files[i].path, files[i].plen))
			return &files[i];
	return NULL;
}

static void wait_writable(int fd)
{
	fd_set wr;
	FD_ZERO(&wr);
	FD_SET(fd, &wr);
	select(fd + 1, NULL, &wr, NULL, NULL);
}

/* Reads once and answers every complete head; -1: close the connection. */
static int serve(struct conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->have, BUF - c->have, 0);
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->have += (size_t)n;
	struct iovec iov[MAX_IOV];
	int niov = 0;
	size_t start = 0;
	const struct file *last = NULL;
	for (;;) {
		char *h = memmem(c->buf + start, c->have - start, "\r\n\r\n", 4);
		if (!h || niov + 2 > MAX_IOV)
			break;
		const struct file *f = lookup(c->buf + start, (size_t)(h - c->buf) - start);
		if (f) {
			iov[niov++] = (struct iovec){ (void *)f->head, f->hlen };
			iov[niov++] = (struct iovec){ f->body, f->blen };
		} else {
			iov[niov++] = (struct iovec){ (void *)notfound, sizeof notfound - 1 };
		}
		last = f;
		start = (size_t)(h - c->buf) + 4;
	}
	if (start == 0 && c->have == BUF)
		return -1; /* a head larger than the buffer */
	memmove(c->buf, c->buf + start, c->have - start);
	c->have -= start;
	/* The answers go out whole: a blocking send would stall every other
	 * connection, so the socket stays non-blocking and a short send is
	 * finished by polling this one socket (rare here: responses fit the
	 * loopback send buffer). */
	bool spliced = last && last->blen > SENDFILE_MIN;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)niov - spliced };
	while (m.msg_iovlen) {
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL | (spliced ? MSG_MORE : 0));
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			wait_writable(c->fd);
			continue;
		}
		while (m.msg_iovlen && (size_t)w >= m.msg_iov->iov_len) {
			w -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + w;
			m.msg_iov->iov_len -= (size_t)w;
		}
	}
	for (off_t off = 0; spliced && (size_t)off < last->blen;) {
		ssize_t w = sendfile(c->fd, last->fd, &off, last->blen - (size_t)off);
		if (w == 0 || (w < 0 && errno != EAGAIN && errno != EINTR))
			return -1; /* an error, or the file shrank */
		if (w < 0)
			wait_writable(c->fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *dir = NULL;
	int port = 0, opt;
	while ((opt = getopt(argc, argv, "a:p:d:h")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'd': dir = optarg; break;
		default:
			fprintf(stderr, "usage: floor -p PORT -d DIR [-a ADDR]\n");
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || !dir) {
		fprintf(stderr, "floor: -p PORT and -d DIR are needed\n");
		return 2;
	}
	load(dir);
	signal(SIGPIPE, SIG_IGN); /* sendfile has no MSG_NOSIGNAL */
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 4096)) {
		perror("floor: listen");
		return 2;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					c = malloc(sizeof *c);
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					c->have = 0;
					struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
				}
				continue;
			}
			if (serve(c) < 0) {
				close(c->fd);
				free(c);
			}
		}
	}
}
