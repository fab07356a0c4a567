/* dnsd --repo: the zones are the files ZONES_DIR/ORIGIN.zone of the tree at
 * a branch's head; each new head is loaded into a new zone set and
 * published all together, through the same holder as a SIGHUP reload, or
 * not at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsd.h"
#include "gitfollow.h"
#include "remote.h"
#include "zonetree.h"

struct dnsd_repo {
	struct gf_follow f;
	struct gf_remote rm;     /* --remote */
	struct dnsd *d;
	/* the origins serving, for NOTIFY (workers read them) */
	pthread_mutex_t omu;
	uint8_t (*origins)[DNS_NAME_MAX];
	size_t norigins;
	bool have_zones_tree;
	struct gitstore_oid zones_tree; /* of the zones serving */
};

struct collected {
	struct zone_text *zt;
	size_t n;
};

static void collected_free(struct collected *c)
{
	zonetree_free(c->zt, c->n);
}

static int read_blob(void *ctx, const void *id, int *type, uint8_t **buf, size_t *cap)
{
	*type = GITSTORE_BLOB;
	return gf_obj_read(ctx, id, GITSTORE_BLOB, buf, cap);
}

/* Every zone file of the zones tree (tb, tlen) as a zone text
 * (zonetree.h); at least one. 0, or -1 with err. */
static int collect(struct dnsd *d, struct gf_repo *r, const uint8_t *tb, size_t tlen, struct collected *c,
	char *err, size_t errcap)
{
	if (zonetree_collect(r->algo, tb, tlen, d->cfg.zones_dir, read_blob, r, &c->zt, &c->n, err, errcap) < 0)
		return -1;
	if (c->n == 0) {
		snprintf(err, errcap, "%s/: no ORIGIN.zone file", d->cfg.zones_dir);
		return -1;
	}
	return 0;
}

static int apply(void *ctx, struct gf_repo *r, const struct gitstore_oid *commit, const struct gitstore_oid *tree,
	char *err, size_t errcap)
{
	(void)commit;
	struct dnsd_repo *dr = ctx;
	struct dnsd *d = dr->d;
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct gitstore_oid zt;
	struct collected c = { NULL, 0 };
	int rc = gf_subtree(r, tree, d->cfg.zones_dir, &zt, &buf, &cap);
	if (rc == 0)
		rc = gf_obj_read(r, &zt, GITSTORE_TREE, &buf, &cap);
	if (rc < 0) {
		snprintf(err, errcap, "%s/: %s", d->cfg.zones_dir,
			rc == GITSTORE_ENOENT ? "no such directory" :
			rc == GITSTORE_EKV_NOTDIR || rc == GITSTORE_EOBJ_TYPE ? "not a directory" :
			gitstore_strerror(rc));
		free(buf);
		return -1;
	}
	if (dr->have_zones_tree && gitstore_oid_cmp(&zt, &dr->zones_tree) == 0) {
		/* a commit that changed other files: the zones serving are
		 * this commit's already */
		free(buf);
		cl_log(CL_LOG_INFO, "zones: %s/ unchanged", d->cfg.zones_dir);
		return 0;
	}
	rc = collect(d, r, buf, (size_t)rc, &c, err, errcap);
	free(buf);
	struct zoneset *zs = NULL;
	if (rc == 0)
		zs = zoneset_load_texts(c.zt, c.n, err, errcap);
	uint8_t (*origins)[DNS_NAME_MAX] = zs ? malloc((c.n ? c.n : 1) * sizeof *origins) : NULL;
	for (size_t i = 0; origins && i < c.n; i++)
		memcpy(origins[i], c.zt[i].src.origin, DNS_NAME_MAX);
	size_t norigins = c.n;
	collected_free(&c);
	if (!zs)
		return -1;
	if (origins) {
		pthread_mutex_lock(&dr->omu);
		free(dr->origins);
		dr->origins = origins;
		dr->norigins = norigins;
		pthread_mutex_unlock(&dr->omu);
	}
	char desc[CL_LOG_LINE];
	zoneset_describe(zs, desc, sizeof desc);
	if (!d->zones_ready) {
		zholder_init(&d->zones, zs);
		d->zones_ready = true;
	} else {
		zholder_publish(&d->zones, zs);
	}
	dr->zones_tree = zt;
	dr->have_zones_tree = true;
	cl_log(CL_LOG_INFO, "zones loaded: %s", desc);
	return 0;
}

int dnsd_repo_start(struct dnsd *d, char *err, size_t errcap)
{
	struct dnsd_repo *dr = calloc(1, sizeof *dr);
	if (!dr) {
		snprintf(err, errcap, "out of memory");
		return 1;
	}
	pthread_mutex_init(&dr->omu, NULL);
	dr->f.repo = d->cfg.repo;
	if (d->cfg.remote) {
		if (gf_remote_init(&dr->rm, "dnsd", d->cfg.remote, d->cfg.mirror, err, errcap) < 0) {
			free(dr);
			return 1;
		}
		if (d->cfg.fetch_timeout_ms)
			dr->rm.timeout_ms = d->cfg.fetch_timeout_ms;
		gf_remote_attach(&dr->rm, &dr->f);
	}
	if (gf_branch_name(d->cfg.branch, dr->f.branch, sizeof dr->f.branch) < 0) {
		snprintf(err, errcap, "--branch %s: not a branch name", d->cfg.branch);
		free(dr);
		return 1;
	}
	dr->f.poll_ms = d->cfg.poll_ms;
	dr->f.what = "zones";
	dr->f.apply = apply;
	dr->f.ctx = dr;
	dr->d = d;
	if (gf_follow_start(&dr->f, err, errcap) < 0) {
		free(dr->origins);
		free(dr);
		return 1;
	}
	d->repo = dr;
	return 0;
}

void dnsd_repo_trigger(struct dnsd *d)
{
	if (d->repo)
		gf_follow_trigger(&d->repo->f);
}

void dnsd_repo_stop(struct dnsd *d)
{
	if (!d->repo)
		return;
	gf_follow_stop(&d->repo->f);
	free(d->repo->origins);
	free(d->repo);
	d->repo = NULL;
}

bool dnsd_repo_notify_zone(struct dnsd *d, const uint8_t *zone)
{
	struct dnsd_repo *dr = d->repo;
	if (!dr || !d->cfg.remote)
		return false;
	bool served = false;
	pthread_mutex_lock(&dr->omu);
	for (size_t i = 0; i < dr->norigins && !served; i++)
		served = dns_name_equal(dr->origins[i], zone);
	pthread_mutex_unlock(&dr->omu);
	if (served) {
		char name[1100];
		dns_name_to_text(zone, name, sizeof name);
		cl_log(CL_LOG_INFO, "NOTIFY for %s: fetching now", name);
		gf_follow_trigger(&dr->f);
	}
	return served;
}

/* RFC 1996 3.7: a NOTIFY is answered with its question, QR and AA set,
 * NOERROR; 3.10: the secondary then checks the primary (here: fetches the
 * branch). With --notify-key, only a NOTIFY signed with that key counts
 * (RFC 8945): a TSIG error is answered as 5.3.2 says (NOTAUTH, signed where
 * it can be), an unsigned NOTIFY is REFUSED, and the answer is signed. */
int dnsd_repo_notify(struct dnsd *d, const uint8_t *q, size_t len, uint8_t *out, size_t cap)
{
	if (!d->repo || !d->cfg.remote || len < 12 || (q[2] & 0x80) || ((q[2] >> 3) & 0xF) != 4)
		return 0;
	struct dns_msg *m = malloc(sizeof *m);
	if (!m)
		return 0;
	int n = 0;
	if (dns_msg_parse(m, q, len) < 0 || m->hdr.count[0] != 1)
		goto out;   /* the engine answers FORMERR */
	uint64_t now_s = (uint64_t)time(NULL);
	char zone[1100];
	dns_name_to_text(m->q.name, zone, sizeof zone);
	if (d->cfg.have_notify_key) {
		struct dns_tsig t;
		int v = dns_tsig_server_verify(&t, &d->cfg.notify_key, 1, m, now_s);
		if (v == DNS_ETSIG_NONE) {
			cl_log(CL_LOG_WARN, "NOTIFY for %s refused: not signed with the --notify-key", zone);
			n = dns_tsig_answer(m, DNS_RC_REFUSED, NULL, out, cap, now_s);
		} else if (v < 0) {
			int rc = dns_tsig_error_rcode(v);
			cl_log(CL_LOG_WARN, "NOTIFY for %s refused: %s", zone, dns_strerror(v));
			n = dns_tsig_answer(m, (uint16_t)rc, rc == DNS_RC_FORMERR ? NULL : &t, out, cap, now_s);
		} else {
			bool served = dnsd_repo_notify_zone(d, m->q.name);
			n = dns_tsig_answer(m, served ? DNS_RC_NOERROR : DNS_RC_REFUSED, &t, out, cap, now_s);
		}
	} else {
		bool served = dnsd_repo_notify_zone(d, m->q.name);
		n = dns_notify_answer(m, out, cap, served ? DNS_RC_NOERROR : DNS_RC_REFUSED);
	}
	if (n < 0)
		n = 0;
out:
	free(m);
	return n;
}
