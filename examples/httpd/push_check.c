/* The checks a pushed commit passes before any ref moves: the site tree
 * (--subdir) is a tree, and every zone file loads, found and loaded as
 * dnsd --repo does (examples/dnsd/zonetree.c and zones.c, linked in). Objects are read through the caller's reader: the
 * pushed pack is not stored yet while the veto runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/gitstore.h>
#include "zonetree.h"
#include "git_http.h"

/* The entry name (len bytes) of tree data: 1 and *e, 0 when absent, or an error. */
static int find(int algo, const uint8_t *t, size_t tlen, const char *name, size_t len, struct gitstore_tree_entry *e)
{
	struct gitstore_tree_iter it;
	gitstore_tree_iter_init(&it, algo, t, tlen);
	int rc;
	while ((rc = gitstore_tree_next(&it, e)) == 1)
		if (e->name.len == len && memcmp(e->name.p, name, len) == 0)
			return 1;
	return rc;
}

/* The tree at dir below the tree id: its data in *buf (size returned), or
 * GITSTORE_ENOENT / GITSTORE_EKV_NOTDIR / another error. */
static int subtree(int algo, push_read_fn read, void *ctx, struct gitstore_oid id, const char *dir, uint8_t **buf,
	size_t *cap, struct gitstore_oid *found)
{
	for (;;) {
		if (found)
			*found = id;
		int type;
		int n = read(ctx, &id, &type, buf, cap);
		if (n < 0)
			return n;
		if (type != GITSTORE_TREE)
			return GITSTORE_EKV_NOTDIR;
		while (*dir == '/')
			dir++;
		if (!*dir)
			return n;
		const char *sl = strchr(dir, '/');
		size_t len = sl ? (size_t)(sl - dir) : strlen(dir);
		struct gitstore_tree_entry e;
		int f = find(algo, *buf, (size_t)n, dir, len, &e);
		if (f < 0)
			return f;
		if (f == 0)
			return GITSTORE_ENOENT;
		if (e.mode != GITSTORE_MODE_DIR)
			return GITSTORE_EKV_NOTDIR;
		id = e.id;
		dir += len;
	}
}

static const char *why(int rc)
{
	return rc == GITSTORE_ENOENT ? "no such directory" :
		rc == GITSTORE_EKV_NOTDIR || rc == GITSTORE_EOBJ_TYPE ? "not a directory" : gitstore_strerror(rc);
}

/* The tree id of a commit: 0, or -1. */
static int commit_tree(int algo, push_read_fn read, void *ctx, const void *commit_id, uint8_t **buf, size_t *cap,
	struct gitstore_oid *tree)
{
	int type;
	int n = read(ctx, commit_id, &type, buf, cap);
	size_t hl = gitstore_hash_len(algo) * 2;
	if (n < 0 || type != GITSTORE_COMMIT || (size_t)n < 5 + hl || memcmp(*buf, "tree ", 5) != 0 ||
	    gitstore_oid_from_hex(algo, (const char *)*buf + 5, hl, tree) < 0)
		return -1;
	return 0;
}

int push_zones_tree(int algo, push_read_fn read, void *ctx, const void *commit_id, const char *zones_dir, void *out)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct gitstore_oid tree;
	int rc = commit_tree(algo, read, ctx, commit_id, &buf, &cap, &tree);
	if (rc == 0)
		rc = subtree(algo, read, ctx, tree, zones_dir, &buf, &cap, out) < 0 ? -1 : 0;
	free(buf);
	return rc;
}

int push_check(int algo, push_read_fn read, void *ctx, const void *commit_id, const char *subdir,
	const char *zones_dir, char *reason, size_t cap, unsigned *nzones, char (*origins)[256], size_t max_origins)
{
	uint8_t *buf = NULL, *zbuf = NULL;
	size_t bcap = 0, zcap = 0;
	struct zone_text *zt = NULL;
	size_t nz = 0;
	int ret = -1;
	*nzones = 0;
	struct gitstore_oid tree;
	if (commit_tree(algo, read, ctx, commit_id, &buf, &bcap, &tree) < 0) {
		snprintf(reason, cap, "the pushed commit is unreadable");
		goto out;
	}
	int n = subtree(algo, read, ctx, tree, subdir, &buf, &bcap, NULL);
	if (n < 0) {
		snprintf(reason, cap, "%s/: %s (the site httpd serves)", subdir, why(n));
		goto out;
	}
	n = subtree(algo, read, ctx, tree, zones_dir, &zbuf, &zcap, NULL);
	if (n == GITSTORE_ENOENT) { /* a site without zones */
		ret = 0;
		goto out;
	}
	if (n < 0) {
		snprintf(reason, cap, "%s/: %s", zones_dir, why(n));
		goto out;
	}
	if (zonetree_collect(algo, zbuf, (size_t)n, zones_dir, read, ctx, &zt, &nz, reason, cap) < 0)
		goto out;
	for (size_t i = 0; i < nz && *nzones < max_origins; i++)
		snprintf(origins[(*nzones)++], 256, "%.255s", zt[i].src.origin_text);
	if (nz) {
		struct zoneset *zs = zoneset_load_texts(zt, nz, reason, cap);
		if (!zs) {
			/* libdns's message starts with FILE:LINE:COL already, and
			 * the loader puts the same place before it: keep one */
			char *sep = strstr(reason, ": ");
			size_t k = sep ? (size_t)(sep - reason) : 0;
			if (k && strlen(sep + 2) >= k && strncmp(reason, sep + 2, k) == 0)
				memmove(reason, sep + 2, strlen(sep + 2) + 1);
			goto out;
		}
		zoneset_release(zs);
	}
	ret = 0;
out:
	zonetree_free(zt, nz);
	free(buf);
	free(zbuf);
	if (ret < 0)
		*nzones = 0;
	return ret;
}
