/* dnsd: the authoritative DNS daemon on platform/posix. Private declarations. */
#ifndef DNSD_H
#define DNSD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <cloudlet/dns.h>
#include "cl_posix.h"
#include "xfr.h"

#define DNSD_MAX_LISTEN 16
#define DNSD_MAX_ZONES 256

/* One --zone ORIGIN=FILE. */
struct zone_src {
	char origin_text[DNS_NAME_MAX * 4 + 2];
	uint8_t origin[DNS_NAME_MAX];
	const char *path;
};

struct config {
	const char *listen[DNSD_MAX_LISTEN];
	unsigned nlisten;
	struct zone_src zones[DNSD_MAX_ZONES];
	unsigned nzones;
	struct xfr_conf *xfr;    /* transfers, TSIG, NOTIFY, secondaries (xfr_conf.c) */
	unsigned workers;
	unsigned tcp_max;        /* per process; split over the workers */
	uint32_t tcp_idle_ms;
	uint16_t udp_max;
	int log_level;
	/* --repo: the zones are the files ZONES_DIR/ORIGIN.zone of the tree
	 * at the branch's head (repo.c) instead of --zone files. */
	const char *repo;
	const char *branch;
	const char *zones_dir;
	uint64_t poll_ms;
	/* --remote: the same, from a branch fetched from URL into the mirror
	 * (gitfollow/remote.h); a NOTIFY for a zone served fetches at once. */
	const char *remote;
	const char *mirror;
	uint64_t fetch_timeout_ms;   /* --fetch-timeout; 0: GF_REMOTE_TIMEOUT_MS */
	/* --notify-key: only NOTIFY signed with it triggers a fetch */
	bool have_notify_key;
	struct dns_tsig_key notify_key;
};

/* ---- Zones (zones.c) ----
 * A zone set is every zone of the command line, loaded together into one
 * arena of malloc'd chunks. It is shared by the workers and counted: a
 * worker holds one reference on the set it answers from, and takes the
 * newest set between two batches of work, so a reload swaps the pointer
 * atomically per worker and the old set is freed when its last worker lets
 * go of it (no request ever runs on a freed set: answering is synchronous).
 */
struct zoneset {
	atomic_uint refs;
	uint64_t gen;
	size_t nzones;
	struct dns_zone *zones;           /* each in its own malloc'd arena */
	const struct dns_zone **zp;       /* what dns_answer() takes */
	void **arenas;
	size_t arena_bytes;
	struct zsx *x;                    /* shared zone data, journals, secondaries (xfr_zones.c) */
};

/* Loads every zone of cfg into a new set. On failure returns NULL and
 * writes "FILE:LINE:COL: message" (or "FILE: message") to err. */
struct zoneset *zoneset_load(const struct config *cfg, char *err, size_t errcap);
void zoneset_release(struct zoneset *zs);
/* The same from texts in memory (the files of a commit); src.path names
 * the file in errors. */
struct zone_text {
	struct zone_src src;
	const uint8_t *text;
	size_t len;
};
struct zoneset *zoneset_load_texts(const struct zone_text *zt, size_t n, char *err, size_t errcap);
/* "example.test. (12 names, serial 2026112701), ..." for the log. */
void zoneset_describe(const struct zoneset *zs, char *buf, size_t cap);

/* The current set, shared by all workers. */
struct zholder {
	pthread_mutex_t mu;
	struct zoneset *cur;
	atomic_uint_fast64_t gen;
};

void zholder_init(struct zholder *h, struct zoneset *first);
/* A new reference on the current set. */
struct zoneset *zholder_get(struct zholder *h);
/* If a newer set was published than *gen, swaps *zs for it (releasing
 * the old reference) and updates *gen. One atomic load when nothing
 * changed: cheap enough to call before every batch. */
void zholder_refresh(struct zholder *h, struct zoneset **zs, uint64_t *gen);
/* Makes zs current (the holder takes the caller's reference). */
void zholder_publish(struct zholder *h, struct zoneset *zs);
void zholder_close(struct zholder *h);

/* ---- The answer callback (engine.c): libdns's dns_answer() over the
 * worker's current zone set. */
struct engine {
	struct zoneset *zs;      /* the worker's current set */
	uint16_t udp_max;        /* the server's UDP limit, advertised in OPT */
	uint16_t ctab[256];      /* compression table */
	struct xfr_worker *xw;   /* TSIG, transfers, NOTIFY (xfr_answer.c) */
};
int engine_answer(void *ctx, struct dns_req *req, uint8_t *out, size_t cap);

/* ---- The daemon (server.c) ---- */
struct dnsd {
	struct config cfg;
	struct zholder zones;
	struct xfr *xfr;         /* xfr_zones.c, xfr_thread.c */
	/* Reloads run on a thread of their own, so no worker stops serving
	 * while zone files are read; one at a time, and a SIGHUP that comes
	 * during one makes it run once more (the files may have changed
	 * after they were read). */
	pthread_mutex_t reload_mu;
	pthread_t reload_thread;
	bool reload_running, reload_again, reload_joinable;
	/* --repo: the follower of the branch (repo.c), NULL without. */
	struct dnsd_repo *repo;
	bool zones_ready;
};

int dnsd_worker(struct cl_loop *loop, unsigned index, void *arg);
/* Reloads every zone now, on the calling thread; keeps the old set on
 * failure. Logs either way. */
void dnsd_reload(struct dnsd *d);
/* Starts a reload on the reload thread (or queues one). */
void dnsd_reload_async(struct dnsd *d);
/* Waits for a running reload (at exit). */
void dnsd_reload_join(struct dnsd *d);

/* ---- Zones from a Git repository (repo.c) ----
 * Starts following cfg.repo's branch: the head's zones are loaded and
 * made current before this returns (1 and a message in err otherwise);
 * then every new head (on the --poll timer, and on dnsd_repo_trigger) is
 * loaded into a new set and published through the same holder as a
 * SIGHUP reload, or refused whole with the commit, file and line logged. */
int dnsd_repo_start(struct dnsd *d, char *err, size_t errcap);
void dnsd_repo_trigger(struct dnsd *d);
void dnsd_repo_stop(struct dnsd *d);
/* With --remote: when q is a NOTIFY (RFC 1996), answers it into out (its
 * length): NOERROR with AA and a fetch triggered for a zone served (signed
 * with --notify-key when one is set), REFUSED for another zone or an
 * unsigned NOTIFY where a key is set, NOTAUTH for a TSIG error. 0 when q is
 * no NOTIFY (answer it as usual). Any worker. */
int dnsd_repo_notify(struct dnsd *d, const uint8_t *q, size_t len, uint8_t *out, size_t cap);
/* The part without the wire: true (and a fetch triggered) when zone (wire
 * form) is served in --remote mode. */
bool dnsd_repo_notify_zone(struct dnsd *d, const uint8_t *zone);

#endif
