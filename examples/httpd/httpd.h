/* httpd: a static web server on libhttp and platform/posix. */
#ifndef HTTPD_H
#define HTTPD_H

#include <cloudlet/http.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct git_http_cfg;

struct config {
	const char *listen;
	const char *root;
	int rootfd;               /* O_PATH | O_DIRECTORY */
	unsigned workers;
	const char *access_log;   /* path, "-" for stderr, NULL: off */
	unsigned max_conns;       /* per process; split over the workers */
	uint64_t header_timeout_ms;
	uint64_t idle_timeout_ms;
	uint64_t max_requests;    /* per connection; 0: no limit */
	size_t cache_bytes;
	size_t cache_entries;
	size_t max_mem_file;
	size_t gzip_min;
	size_t gzip_max;
	uint64_t cache_valid_ms;
	/* --repo: serve the tree at a branch's head (source_git.h) */
	const char *repo;
	/* --remote URL, --mirror DIR: the branch fetched into a mirror, which
	 * is then served as --repo (gitfollow/remote.h) */
	const char *remote;
	const char *mirror;
	uint64_t fetch_timeout_ms;   /* --fetch-timeout; 0: GF_REMOTE_TIMEOUT_MS */
	const char *branch;
	const char *subdir;
	uint64_t poll_ms;
	struct gitsrc_shared *git;
	struct git_http_cfg *githttp; /* smart HTTP of --repo (git_http.h); NULL without --repo */
};

/* Access log (combined log format), shared by the workers: each worker
 * formats into its own buffer and writes whole lines. */
int alog_open(const char *path);    /* NULL: off. 0 or -1 (errno) */
int alog_reopen(void);              /* SIGHUP */
bool alog_on(void);
void alog_write(const char *buf, size_t len);

/* One worker: binds the listener and serves until the loop stops. */
struct cl_loop;
int server_worker(struct cl_loop *loop, unsigned index, void *arg);

#endif
