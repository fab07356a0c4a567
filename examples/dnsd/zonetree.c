/* The zones of a Git tree (see zonetree.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/gitstore.h>
#include "zonetree.h"

void zonetree_free(struct zone_text *zt, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)(uintptr_t)zt[i].src.path);
		free((void *)(uintptr_t)zt[i].text);
	}
	free(zt);
}

int zonetree_collect(int algo, const uint8_t *tb, size_t tlen, const char *dir, zonetree_read_fn read, void *ctx,
	struct zone_text **zt, size_t *n, char *err, size_t errcap)
{
	struct gitstore_tree_iter it;
	struct gitstore_tree_entry e;
	gitstore_tree_iter_init(&it, algo, tb, tlen);
	int rc;
	while ((rc = gitstore_tree_next(&it, &e)) == 1) {
		const char *name = (const char *)e.name.p;
		size_t len = e.name.len;
		if (len <= 5 || memcmp(name + len - 5, ".zone", 5) != 0 || name[0] == '.' ||
		    (e.mode != GITSTORE_MODE_FILE && e.mode != GITSTORE_MODE_EXEC))
			continue;
		struct zone_text *nz = realloc(*zt, (*n + 1) * sizeof **zt);
		if (!nz) {
			snprintf(err, errcap, "out of memory");
			return -1;
		}
		*zt = nz;
		struct zone_text *z = &nz[*n];
		memset(z, 0, sizeof *z);
		char *path = malloc(strlen(dir) + len + 2);
		if (!path) {
			snprintf(err, errcap, "out of memory");
			return -1;
		}
		sprintf(path, "%s%s%.*s", dir, dir[0] ? "/" : "", (int)len, name);
		z->src.path = path;
		(*n)++;
		static const uint8_t root[1] = { 0 };
		size_t olen = len - 5;
		if (olen >= sizeof z->src.origin_text || dns_name_from_text(z->src.origin, name, olen, root) < 0) {
			snprintf(err, errcap, "%s: the file name is no domain name (ORIGIN.zone)", path);
			return -1;
		}
		dns_name_to_text(z->src.origin, z->src.origin_text, sizeof z->src.origin_text);
		for (size_t i = 0; i + 1 < *n; i++) {
			if (dns_name_equal(nz[i].src.origin, z->src.origin)) {
				snprintf(err, errcap, "%s: zone %s also in %s", path, z->src.origin_text, nz[i].src.path);
				return -1;
			}
		}
		uint8_t *text = NULL;
		size_t cap = 0;
		int type = GITSTORE_BLOB;
		int k = read(ctx, &e.id, &type, &text, &cap);
		if (k < 0 || type != GITSTORE_BLOB) {
			free(text);
			snprintf(err, errcap, "%s: %s", path, k < 0 ? gitstore_strerror(k) : "not a file");
			return -1;
		}
		z->text = text;
		z->len = (size_t)k;
	}
	if (rc < 0) {
		snprintf(err, errcap, "%s/: %s", dir, gitstore_strerror(rc));
		return -1;
	}
	return 0;
}
