/* dnsd: zone transfers, TSIG, NOTIFY and secondary zones. Private
 * declarations of xfr_conf.c, xfr_zones.c, xfr_answer.c and xfr_thread.c.
 *
 * The pieces:
 * - xfr_conf.c: --tsig, --tsig-file, --allow-transfer, --ixfr-history,
 *   --notify, --secondary (struct xfr_conf, hung off struct config).
 * - xfr_zones.c: what a zone set holds beyond zones.c's (struct zsx): each
 *   zone's data in a counted struct zdata (its arena and the IXFR journal
 *   that leads to it), so that a new set can share the zones it does not
 *   change; the secondary zones appended after the file zones; publishing a
 *   reloaded set (journals, NOTIFY) and a set with one secondary zone
 *   replaced or expired.
 * - xfr_answer.c: the hook at the top of the answer callback: TSIG on every
 *   query, AXFR/IXFR out (TCP slots per worker), IXFR over UDP, NOTIFY in
 *   for secondary zones, SERVFAIL for a secondary zone without a copy.
 * - xfr_thread.c: one thread with its own loop: NOTIFY out, and each
 *   secondary zone's SOA checks and transfers.
 */
#ifndef DNSD_XFR_H
#define DNSD_XFR_H

#include <pthread.h>
#include <stdatomic.h>

#include <cloudlet/dns.h>

struct dnsd;
struct config;
struct zoneset;
struct engine;

#define XFR_MAX_KEYS 64
#define XFR_MAX_ACL 256
#define XFR_MAX_PEERS 256

/* What engine_answer() does when the hook leaves a query to dns_answer(). */
#define XFR_PASS (-100000)

/* ---- Configuration (xfr_conf.c) */

struct xfr_peer {
	struct dns_xfr_peer p;
	const struct dns_tsig_key *key; /* resolved at the end of parsing */
	char zone_text[DNS_NAME_MAX * 4 + 2];
	char addr_text[64];
};

struct xfr_conf {
	struct dns_tsig_key keys[XFR_MAX_KEYS];
	size_t nkeys;
	struct dns_acl_rule acl[XFR_MAX_ACL];
	size_t nacl;
	unsigned ixfr_history;  /* 0: no journal */
	struct xfr_peer notify[XFR_MAX_PEERS];
	size_t nnotify;
	struct xfr_peer sec[XFR_MAX_PEERS];
	size_t nsec;
};

extern const char xfr_usage[];
/* Is `name` one of the options above (they all take a value)? */
bool xfr_is_option(const char *name);
/* Handles one option; 0, or 2 after an error on stderr. */
int xfr_option(struct config *cfg, const char *name, const char *value);
/* After every option: key references resolved, secondaries checked
 * against the --zone origins. 0 or 2. */
int xfr_config_finish(struct config *cfg);
/* Number of secondary zones (they count as zones for "no --zone"). */
size_t xfr_nsec(const struct config *cfg);

/* ---- Zone data shared between sets (xfr_zones.c) */

/* One version of one zone: the arena its struct dns_zone lives in, and the
 * IXFR history leading to it. Read-only once published; freed with the
 * last set that holds it. */
struct zdata {
	atomic_uint refs;
	void *arena;
	struct dns_journal j;
	uint8_t *jmem;
	bool have_j;
};

/* A zone set's part of this: zones[0, nfile) came from files (zones.c),
 * zones[nfile, nzones) are the secondary zones in --secondary order. */
struct zsx {
	size_t nfile;
	struct zdata **d;
	bool *unserv;       /* a secondary without a servable copy: SERVFAIL */
	unsigned nunserv;
	bool *changed;      /* serial changed by this reload: NOTIFY */
};

struct zdata *zdata_new(void *arena);
void zdata_ref(struct zdata *d);
void zdata_release(struct zdata *d);

/* zoneset_release()'s hook. */
void xfr_zoneset_free(struct zoneset *zs);
/* Index of the zone with exactly this origin, or -1. */
int xfr_zone_index(const struct zoneset *zs, const uint8_t *origin);

/* The daemon-wide state. */
struct xfr_secstate; /* xfr_thread.c */
struct xfr_notify_q;

struct xfr {
	struct dnsd *d;
	const struct xfr_conf *c;
	/* Publishing a set (reload or transfer) happens under pub_mu, so a
	 * reload never brings back an older secondary copy. */
	pthread_mutex_t pub_mu;
	/* Each secondary zone's copy as served: the zone value and its data. */
	struct {
		struct dns_zone zone;
		struct zdata *data;   /* NULL: no copy yet */
		bool servable;
	} *served;
	/* The xfr thread. */
	struct xfr_thread *th;
};

/* In main, before any zone set is loaded: from then on the hooks below
 * act. 0, or -1 with err. */
int xfr_setup(struct dnsd *d, char *err, size_t errcap);
void xfr_teardown(void);
/* zholder_init()'s hook: the secondary zones are added to the first set
 * (empty: SERVFAIL until transferred), its IXFR history started. */
void xfr_first_hook(struct zoneset *zs);
/* zholder_publish()'s hook, for a set loaded from files or a repository
 * (SIGHUP, --repo): appends the secondary copies, fills the journals of the
 * zones whose serial changed, publishes, and queues NOTIFY for them; true
 * when it did (or dropped the set, out of memory). A set made by
 * xfr_publish_secondary() is published as it is (false). */
struct zholder;
bool xfr_publish_hook(struct zholder *h, struct zoneset *zs);
/* Publishes the current set with secondary zone k replaced by zone/data
 * (data NULL: only the servable flag changes). Called by the xfr thread. */
int xfr_publish_secondary(struct xfr *x, size_t k, const struct dns_zone *zone,
	struct zdata *data, bool servable);

/* ---- The answer hook (xfr_answer.c) */

struct xfr_worker;
struct xfr_worker *xfr_worker_new(struct dnsd *d, uint32_t tcp_idle_ms);
void xfr_worker_free(struct xfr_worker *w);
/* A response length, 0, DNS_ENOMEM, an error, or XFR_PASS. */
int xfr_answer(struct engine *e, struct dns_req *req, uint8_t *out, size_t cap);

/* ---- The xfr thread (xfr_thread.c) */

/* Starts the thread if there is anything for it (NOTIFY peers or
 * secondary zones). 0 or -1. */
int xfr_start(struct dnsd *d);
void xfr_stop(struct dnsd *d);
/* At exit, after the workers: stops the thread and frees everything. */
void xfr_free(struct dnsd *d);
/* From any thread: NOTIFY every --notify peer of zone (origin) with soa. */
void xfr_notify_queue(struct xfr *x, const uint8_t *origin, const struct dns_xrr *soa);
/* A NOTIFY for a secondary zone (from a worker). Returns the response
 * length (0: none) and logs. */
int xfr_notify_in(struct xfr *x, const struct dns_msg *m, const struct dns_addr *peer,
	uint64_t now_ms, uint8_t *out, size_t cap);

static inline uint64_t xfr_now_s(void)
{
	extern int64_t cl_wall_s(void);
	return (uint64_t)cl_wall_s();
}

/* "127.0.0.1:53" for logs. */
void xfr_addr_text(const struct dns_addr *a, char *buf, size_t cap);

#endif
