/*
 * gitfollow remote: a follower of a branch of a remote repository
 * (dnsd --remote, httpd --remote). The branch is fetched into a local
 * mirror (a bare repository the daemon owns) with libgitstore's fetch
 * client, which indexes and checks the pack before it moves the mirror's
 * ref by compare-and-swap; the follower then takes the new head with its
 * usual check and apply. This plugs into gf_follow's head callback, so
 * the poll timer and gf_follow_trigger fetch at once.
 *
 * Transports: smart HTTP (http://HOST[:PORT]/PATH, over libhttp's client
 * connection: GET info/refs?service=git-upload-pack with "Git-Protocol:
 * version=2", then POST git-upload-pack; Content-Length or chunked
 * answers) and git daemon's protocol (git://HOST[:PORT]/PATH). One
 * connection per exchange; each fetch is bounded by timeout_ms.
 *
 * A fetch that fails (remote unreachable, dies mid-pack, bad pack,
 * timeout) changes nothing in the mirror; the head callback then gives
 * the mirror's own ref, so the commit serving stays, and the failure is
 * logged once per streak of failures (and once more when it ends).
 */
#ifndef GITFOLLOW_REMOTE_H
#define GITFOLLOW_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "gitfollow.h"

#define GF_REMOTE_TIMEOUT_MS 20000

struct gf_remote {
	/* set by gf_remote_init */
	const char *url;
	char mirror[4096];
	bool http;
	char host[256];
	char port[8];
	char path[1024];
	uint64_t timeout_ms;   /* each fetch, whole; GF_REMOTE_TIMEOUT_MS */
	struct {
		struct gf_follow *f;
		bool failing;
		bool warned_packs;
		uint64_t fetches, failures;
	} priv;
};

/*
 * Parses url, picks the mirror directory (mirror, or NULL for
 * $XDG_RUNTIME_DIR (else /var/tmp)/cloudlet-WHO-URL.git, URL with every
 * byte but [A-Za-z0-9.-] as '_') and creates it as a bare repository if it
 * is missing. 0, or -1 with the reason in err.
 */
int gf_remote_init(struct gf_remote *rm, const char *who, const char *url, const char *mirror, char *err,
	size_t errcap);
/* Makes f follow the remote: f->repo becomes the mirror, f->head the fetch.
 * Before gf_follow_start. */
void gf_remote_attach(struct gf_remote *rm, struct gf_follow *f);
/* The head callback: fetch branch into the mirror, then the mirror's ref. */
int gf_remote_head(void *ctx, const char *branch, struct gitstore_oid *out);
/* One fetch of branch into the mirror (also for tests): 0 and *out, or a
 * gitstore error with a message in err. */
int gf_remote_fetch(struct gf_remote *rm, const char *branch, struct gitstore_oid *out, bool *updated, char *err,
	size_t errcap);

#endif
