/* The Git source: httpd --repo serves the tree at the head of a branch (or
 * a directory of it, --subdir). One follower per process watches the branch
 * (on a timer and on SIGHUP) and publishes {commit, tree} when it moves;
 * each worker has its own read handle of the repository and its own cache
 * of objects keyed by id, so a blob that did not change stays hot across
 * commits. A worker takes the newest {commit, tree} when a request starts
 * (src_ops.begin) and every lookup of that request (the path, then maybe
 * 404.html) uses it: no response mixes two commits. Entries are blobs,
 * immutable and counted, so a response in flight keeps its bytes whatever
 * the branch does. The ETag is the blob id, quoted; no Last-Modified (a
 * branch can move back to older content, and If-Modified-Since would then
 * answer 304 for bytes the client never had). */
#ifndef HTTPD_SOURCE_GIT_H
#define HTTPD_SOURCE_GIT_H

#include "source.h"

struct gitsrc_shared;

/* Opens the repository, publishes the branch's head (-1 with the reason in
 * err when there is none to serve: no such branch, no such subdir) and
 * starts following it every poll_ms (0: only on SIGHUP). */
int gitsrc_start(struct gitsrc_shared **out, const char *repo, const char *branch, const char *subdir,
	uint64_t poll_ms, char *err, size_t errcap);
/* The same for a branch of a remote (--remote, gitfollow/remote.h): each
 * check fetches into remote's mirror first; the trigger fetches at once. */
struct gf_remote;
int gitsrc_start_remote(struct gitsrc_shared **out, struct gf_remote *remote, const char *branch,
	const char *subdir, uint64_t poll_ms, char *err, size_t errcap);
/* Look at the branch now (SIGHUP). Any thread. */
void gitsrc_trigger(struct gitsrc_shared *g);
/* Whether commit (a struct gitstore_oid) is the one serving now. Any thread. */
bool gitsrc_serving(struct gitsrc_shared *g, const void *commit);
/* After the workers are gone. */
void gitsrc_stop(struct gitsrc_shared *g);

struct gitsrc_cfg {
	struct gitsrc_shared *shared;
	size_t cache_bytes;   /* object bytes kept in memory per worker */
	size_t cache_entries; /* objects kept */
	size_t gzip_min;      /* as the directory source: a FILE.gz beside FILE is its */
	size_t gzip_max;      /* gzip variant, else text of min..max bytes is compressed once */
};
/* A worker's source over the shared follower: 0, or -1. */
int gitsrc_open(struct source *s, const struct gitsrc_cfg *cfg);

#endif
