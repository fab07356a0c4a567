/*
 * gitfetch: libgitstore's fetch client driven over a real transport, for
 * the interop tests: git:// (a socket and git daemon's request line) or
 * smart HTTP (a minimal HTTP/1.1 client: one request per connection,
 * "Connection: close", Content-Length or chunked responses).
 *
 *   gitfetch GITDIR URL REMOTE_REF LOCAL_REF [0|2]
 * prints the ref's new id; exit 0, or 1 with the error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "gt_posix.h"

static struct gitstore_walk_obj objs[1 << 20];
static uint32_t windex[1 << 21];
static uint32_t wstack[1 << 20];
static uint8_t inbuf[1 << 20];
static uint8_t objbuf[64 << 20];
static uint8_t fpack[256 << 20];
static struct gitstore_index_slot fslots[1 << 20];
static uint8_t fidx[40 << 20];
static uint8_t fscratch[130u << 20];
static uint8_t farena[GITSTORE_INFLATE_ARENA];
static uint8_t resp[300 << 20];

static struct gitstore_fetch f;
static char host[256], path[1024];
static int port, version = 2;

static int dial(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1", &a.sin_addr);
	if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("connect");
		exit(1);
	}
	return s;
}

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = write(fd, b, n);
		if (k <= 0) {
			perror("write");
			exit(1);
		}
		b += k;
		n -= (size_t)k;
	}
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "gitfetch: %s: %s %s\n", what, gitstore_strerror(rc), f.priv.remote_error);
	exit(1);
}

static void feed(const uint8_t *p, size_t n)
{
	while (n) {
		int rc = gitstore_fetch_input(&f, p, n);
		if (rc < 0)
			die("input", rc);
		if (rc == 0)
			break;
		p += rc;
		n -= (size_t)rc;
	}
}

static int run_git(void)
{
	int s = dial();
	uint8_t out[4096], in[65536];
	int n = gitstore_daemon_request(out, sizeof out, "git-upload-pack", path, host, version);
	send_all(s, out, (size_t)n);
	while (!gitstore_fetch_done(&f)) {
		while ((n = gitstore_fetch_output(&f, out, sizeof out)) > 0)
			send_all(s, out, (size_t)n);
		if (n < 0)
			die("output", n);
		if (gitstore_fetch_done(&f))
			break;
		ssize_t k = read(s, in, sizeof in);
		if (k <= 0) {
			int rc = gitstore_fetch_input_end(&f);
			if (rc < 0)
				die("input end", rc);
			break;
		}
		feed(in, (size_t)k);
	}
	close(s);
	return 0;
}

/* One HTTP exchange; the response body is fed to the machine as it is decoded. */
static void http(const char *method, const char *what, const uint8_t *body, size_t len)
{
	int s = dial();
	char hdr[2048];
	int hl = snprintf(hdr, sizeof hdr,
		"%s %s/%s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: git/2.0 (cloudlet gitfetch)\r\nConnection: close\r\n%s%s"
		"Content-Length: %zu\r\n\r\n",
		method, path, what, host, port, version == 2 ? "Git-Protocol: version=2\r\n" : "",
		body ? "Content-Type: application/x-git-upload-pack-request\r\nAccept: application/x-git-upload-pack-result\r\n" : "",
		len);
	send_all(s, hdr, (size_t)hl);
	if (len)
		send_all(s, body, len);
	size_t got = 0;
	for (;;) {
		ssize_t k = read(s, resp + got, sizeof resp - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(s);
	uint8_t *end = memmem(resp, got, "\r\n\r\n", 4);
	if (!end || got < 12 || memcmp(resp + 9, "200", 3) != 0) {
		fprintf(stderr, "gitfetch: HTTP %s %s: %.*s\n", method, what, (int)(got < 80 ? got : 80), resp);
		exit(1);
	}
	*end = 0;
	bool chunked = strcasestr((char *)resp, "transfer-encoding: chunked") != NULL;
	uint8_t *b = end + 4, *lim = resp + got;
	if (!chunked) {
		feed(b, (size_t)(lim - b));
	} else {
		while (b < lim) {
			char *e;
			unsigned long n = strtoul((char *)b, &e, 16);
			uint8_t *data = memmem(b, (size_t)(lim - b), "\r\n", 2);
			if (!data || n == 0)
				break;
			data += 2;
			if ((size_t)(lim - data) < n) {
				feed(data, (size_t)(lim - data));   /* cut short: what came is all there is */
				break;
			}
			feed(data, n);
			b = data + n + 2;
		}
	}
	int rc = gitstore_fetch_input_end(&f);
	if (rc < 0)
		die("input end", rc);
}

static int run_http(void)
{
	char what[256];
	snprintf(what, sizeof what, "info/refs?service=git-upload-pack");
	http("GET", what, NULL, 0);
	uint8_t out[4096];
	int n;
	while (!gitstore_fetch_done(&f) && (n = gitstore_fetch_output(&f, out, sizeof out)) > 0)
		http("POST", "git-upload-pack", out, (size_t)n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: gitfetch GITDIR URL REMOTE_REF LOCAL_REF [0|2]\n");
		return 2;
	}
	if (argc > 5)
		version = atoi(argv[5]);
	bool is_http = strncmp(argv[2], "http://", 7) == 0;
	if (!is_http && strncmp(argv[2], "git://", 6) != 0)
		return 2;
	const char *hp = argv[2] + (is_http ? 7 : 6);
	const char *sl = strchr(hp, '/');
	snprintf(host, sizeof host, "%.*s", (int)(sl - hp), hp);
	char *colon = strchr(host, ':');
	port = is_http ? 80 : 9418;
	if (colon) {
		*colon = 0;
		port = atoi(colon + 1);
	}
	snprintf(path, sizeof path, "%s", sl);
	struct gitstore_repo r;
	int rc = gt_repo_open(&r, argv[1], GITSTORE_SHA1);
	if (rc < 0)
		die("open", rc);
	struct gitstore_fetch_mem m = { inbuf, sizeof inbuf,
		{ fpack, sizeof fpack, fslots, sizeof fslots / sizeof fslots[0], fidx, sizeof fidx, objbuf, sizeof objbuf,
			fscratch, sizeof fscratch, farena, sizeof farena, objs, sizeof objs / sizeof objs[0], windex,
			sizeof windex / sizeof windex[0], wstack } };
	rc = gitstore_fetch_init(&f, &r, is_http ? GITSTORE_FETCH_HTTP : 0, argv[3], argv[4], &m);
	if (rc < 0)
		die("init", rc);
	if (is_http)
		run_http();
	else
		run_git();
	struct gitstore_oid id;
	bool updated;
	rc = gitstore_fetch_result(&f, &id, &updated);
	if (rc < 0)
		die("fetch", rc);
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(GITSTORE_SHA1, &id, hex);
	printf("%s %s v%d\n", hex, updated ? "updated" : "unchanged", f.priv.version);
	return 0;
}
