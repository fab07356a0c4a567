/* The checks a pushed commit passes before any ref moves: the site tree
 * (--subdir) is a tree, and every zone file loads, with dnsd's own loader
 * (examples/dnsd/zones.c, linked in), origin from the file name as
 * dnsd --repo takes it. Objects are read through the caller's reader: the
 * pushed pack is not stored yet while the veto runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/gitstore.h>
#include "dnsd.h"
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
	size_t *cap)
{
	for (;;) {
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

int push_check(int algo, push_read_fn read, void *ctx, const void *commit_id, const char *subdir,
	const char *zones_dir, char *reason, size_t cap, unsigned *nzones, char (*origins)[256], size_t max_origins)
{
	uint8_t *buf = NULL, *zbuf = NULL;
	size_t bcap = 0, zcap = 0;
	struct zone_text *zt = NULL;
	size_t nz = 0;
	int ret = -1;
	*nzones = 0;
	int type;
	int n = read(ctx, commit_id, &type, &buf, &bcap);
	struct gitstore_oid tree;
	size_t hl = gitstore_hash_len(algo) * 2;
	if (n < 0 || type != GITSTORE_COMMIT || (size_t)n < 5 + hl || memcmp(buf, "tree ", 5) != 0 ||
	    gitstore_oid_from_hex(algo, (const char *)buf + 5, hl, &tree) < 0) {
		snprintf(reason, cap, "the pushed commit is unreadable");
		goto out;
	}
	n = subtree(algo, read, ctx, tree, subdir, &buf, &bcap);
	if (n < 0) {
		snprintf(reason, cap, "%s/: %s (the site httpd serves)", subdir, why(n));
		goto out;
	}
	n = subtree(algo, read, ctx, tree, zones_dir, &zbuf, &zcap);
	if (n == GITSTORE_ENOENT) { /* a site without zones */
		ret = 0;
		goto out;
	}
	if (n < 0) {
		snprintf(reason, cap, "%s/: %s", zones_dir, why(n));
		goto out;
	}
	struct gitstore_tree_iter it;
	struct gitstore_tree_entry e;
	gitstore_tree_iter_init(&it, algo, zbuf, (size_t)n);
	int rc;
	while ((rc = gitstore_tree_next(&it, &e)) == 1) {
		const char *name = (const char *)e.name.p;
		size_t len = e.name.len;
		if (len <= 5 || memcmp(name + len - 5, ".zone", 5) != 0 || name[0] == '.' ||
		    (e.mode != GITSTORE_MODE_FILE && e.mode != GITSTORE_MODE_EXEC))
			continue;
		struct zone_text *nzt = realloc(zt, (nz + 1) * sizeof *zt);
		if (!nzt) {
			snprintf(reason, cap, "out of memory");
			goto out;
		}
		zt = nzt;
		struct zone_text *z = &zt[nz++];
		memset(z, 0, sizeof *z);
		char *path = malloc(strlen(zones_dir) + len + 2);
		if (!path) {
			snprintf(reason, cap, "out of memory");
			goto out;
		}
		sprintf(path, "%s/%.*s", zones_dir, (int)len, name);
		z->src.path = path;
		static const uint8_t root[1] = { 0 };
		if (len - 5 >= sizeof z->src.origin_text || dns_name_from_text(z->src.origin, name, len - 5, root) < 0) {
			snprintf(reason, cap, "%s: the file name is no domain name (ORIGIN.zone)", path);
			goto out;
		}
		dns_name_to_text(z->src.origin, z->src.origin_text, sizeof z->src.origin_text);
		uint8_t *text = NULL;
		size_t tcap = 0;
		int k = read(ctx, &e.id, &type, &text, &tcap);
		if (k < 0 || type != GITSTORE_BLOB) {
			free(text);
			snprintf(reason, cap, "%s: %s", path, k < 0 ? gitstore_strerror(k) : "not a file");
			goto out;
		}
		z->text = text;
		z->len = (size_t)k;
		if (*nzones < max_origins)
			snprintf(origins[(*nzones)++], 256, "%.255s", z->src.origin_text);
	}
	if (rc < 0) {
		snprintf(reason, cap, "%s/: %s", zones_dir, gitstore_strerror(rc));
		goto out;
	}
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
	for (size_t i = 0; i < nz; i++) {
		free((void *)(uintptr_t)zt[i].src.path);
		free((void *)(uintptr_t)zt[i].text);
	}
	free(zt);
	free(buf);
	free(zbuf);
	if (ret < 0)
		*nzones = 0;
	return ret;
}
