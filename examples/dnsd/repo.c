/* dnsd --repo: the zones are the files ZONES_DIR/ORIGIN.zone of the tree at
 * a branch's head; each new head is loaded into a new zone set and
 * published all together, through the same holder as a SIGHUP reload, or
 * not at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"
#include "gitfollow.h"
#include "zonetree.h"

struct dnsd_repo {
	struct gf_follow f;
	struct dnsd *d;
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
	collected_free(&c);
	if (!zs)
		return -1;
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
	dr->f.repo = d->cfg.repo;
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
	free(d->repo);
	d->repo = NULL;
}
