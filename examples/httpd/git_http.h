/* Smart HTTP (gitprotocol-http.txt) for httpd --repo: the repository is
 * served at /NAME.git/ for git clone and git fetch (protocol v0 and v2), and
 * takes git push with HTTP Basic credentials whose password is the token of
 * --push-token-file. A pushed commit is checked before any ref moves
 * (push_check.c: the site tree exists, every zones/ORIGIN.zone loads), and
 * an accepted push is applied at once through the follower's trigger.
 * POST /_cloudlet/refresh (same token) triggers the follower.
 *
 * A Git request leaves its worker's event loop: the connection (its
 * struct http_conn with the request and the body bytes already read) goes
 * to a thread of its own with a blocking socket, which answers that one
 * request and closes. A push holds its pack whole in memory and runs for as
 * long as the pack takes to check; the workers never wait on it. */
#ifndef HTTPD_GIT_HTTP_H
#define HTTPD_GIT_HTTP_H

#include <cloudlet/http.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GIT_HTTP_MAX_NOTIFY 8
#define GIT_HTTP_MAX_BODY (256u << 20) /* a push's pack, whole */

struct gitsrc_shared;

struct git_http_cfg {
	const char *repo;          /* --repo */
	char name[256];            /* --git-name: served at /NAME.git/ */
	bool no_serve;             /* --no-git-serve: 404 for all of it */
	const char *token_file;    /* --push-token-file; NULL: pushes refused (403) */
	const char *branch;        /* --branch as given */
	const char *subdir;        /* --subdir: must be a tree of a pushed commit */
	const char *zones_dir;     /* "zones": every ORIGIN.zone in it must load */
	struct gitsrc_shared *src; /* the follower to trigger */
	unsigned nnotify;          /* --notify-dns ADDR:PORT */
	const char *notify[GIT_HTTP_MAX_NOTIFY];
};

/* Fills name from the repository path when --git-name was not given. */
void git_http_cfg_finish(struct git_http_cfg *g);

enum { GIT_HTTP_NONE = 0, GIT_HTTP_MINE = 1, GIT_HTTP_NOT_FOUND = 2 };
/* Whether the request is one git_http_serve answers (GIT_HTTP_MINE), one
 * to answer 404 (under /NAME.git/ with --no-git-serve), or neither. */
int git_http_route(const struct git_http_cfg *g, const struct http_request *req);

/* What the access log says of a Git request: copies taken when it
 * arrived (the connection's buffer is not kept that long). */
struct git_http_logrec {
	int status;           /* of the response; 0: none was given */
	uint64_t bytes;       /* body bytes written */
	int minor_version;
	char method[16], target[512], referer[256], agent[256];
};

/* Answers the current request of h on a thread of its own; fd is h's
 * socket, already blocking. done(arg, rec) runs on that thread once the
 * connection is finished (rec for the access log): it closes fd and frees
 * h. *finished turns true once the response is queued (git_http_op_recv
 * then says EOF). 0, or -1 (no thread: the caller still owns everything). */
int git_http_serve(const struct git_http_cfg *g, struct http_conn *h, int fd, bool *finished,
	void (*done)(void *, const struct git_http_logrec *), void *arg);

/* The stream ops of a handed-over connection: blocking recv and send on fd.
 * After the response is out, recv says EOF so the connection closes rather
 * than waiting for another request. */
int git_http_op_recv(int fd, bool finished, uint8_t *buf, size_t cap);
int git_http_op_sendv(int fd, const struct http_iov *iov, int n);

/* push_check.c: the veto of a push. Reads the pushed commit's objects
 * through read(ctx, ...) (the pushed pack, then the repository) and checks
 * that subdir names a tree and that every regular file zones_dir/NAME.zone
 * loads as the zone NAME. 0, or -1 with "FILE:LINE:COL: message" (or
 * "DIR/: reason") in reason. */
typedef int (*push_read_fn)(void *ctx, const void *id, int *type, uint8_t **buf, size_t *cap); /* zonetree_read_fn */
int push_check(int algo, push_read_fn read, void *ctx, const void *commit, const char *subdir,
	const char *zones_dir, char *reason, size_t cap, unsigned *nzones, char (*origins)[256], size_t max_origins);

/* The id of the tree zones_dir of commit into out (a struct gitstore_oid):
 * 0, or -1 when there is none. */
int push_zones_tree(int algo, push_read_fn read, void *ctx, const void *commit, const char *zones_dir, void *out);

#endif
