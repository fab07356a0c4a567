/* The zones of a Git tree, as dnsd --repo serves them: every regular file
 * NAME.zone of a directory is the zone NAME (dotfiles, directories,
 * symbolic links and other names are not zones). Shared by dnsd (repo.c,
 * the follower) and httpd (push_check.c, the veto of a push), which read
 * objects from different places: the reader is the caller's. */
#ifndef DNSD_ZONETREE_H
#define DNSD_ZONETREE_H

#include "dnsd.h"

/* Reads the object id (a struct gitstore_oid) into *buf (grown with
 * realloc): its size and *type, or a gitstore error. */
typedef int (*zonetree_read_fn)(void *ctx, const void *id, int *type, uint8_t **buf, size_t *cap);

/* Every zone file of the tree data tb[0..tlen) (the directory dir, for the
 * file names) with its text, appended to *zt (n entries; realloc'd). 0
 * (maybe with none), or -1 with "DIR/NAME.zone: reason" in err; the
 * entries collected so far are still the caller's to free. */
int zonetree_collect(int algo, const uint8_t *tb, size_t tlen, const char *dir, zonetree_read_fn read, void *ctx,
	struct zone_text **zt, size_t *n, char *err, size_t errcap);
/* Frees what zonetree_collect made. */
void zonetree_free(struct zone_text *zt, size_t n);

#endif
