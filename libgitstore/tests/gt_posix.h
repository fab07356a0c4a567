/*
 * A repository with every pack mapped, over gt_files.h's binding of the
 * storage ops: for the protocol's test programs only (the daemons get
 * platform/posix's binding).
 */
#ifndef GT_POSIX_H
#define GT_POSIX_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cloudlet/gitstore.h>

#include "gt_files.h"

#define GT_MAXPACKS 64
static struct gitstore_idx gt_idx[GT_MAXPACKS];
static struct gitstore_pack gt_packs[GT_MAXPACKS];
static uint8_t gt_scratch[(130u << 20)];   /* a delta chain of objects up to 64 MiB */
static uint8_t gt_parena[GITSTORE_INFLATE_ARENA];
static struct gitstore_arena gt_pa;
static uint8_t gt_rarena[GITSTORE_DEFLATE_ARENA];

static const uint8_t *gt_map(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	*len = (size_t)st.st_size;
	void *p = mmap(NULL, *len ? *len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Open gitdir with every pack of objects/pack mapped and attached: 0, or an error. */
static int gt_repo_open(struct gitstore_repo *r, const char *gitdir, int algo)
{
	char dir[4096];
	snprintf(root, sizeof root, "%s", gitdir);
	gitstore_repo_init(r, &px_ops, NULL, algo, NULL, gt_rarena, sizeof gt_rarena);
	gitstore_arena_init(&gt_pa, gt_parena, sizeof gt_parena);
	snprintf(dir, sizeof dir, "%s/objects/pack", gitdir);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	while (d && (de = readdir(d)) && n < GT_MAXPACKS) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".idx"))
			continue;
		char ip[8400], pp[8400];
		size_t il, pl;
		snprintf(ip, sizeof ip, "%s/%s", dir, de->d_name);
		snprintf(pp, sizeof pp, "%s/%.*s.pack", dir, (int)(l - 4), de->d_name);
		const uint8_t *id = gt_map(ip, &il), *pd = gt_map(pp, &pl);
		if (!id || !pd)
			continue;
		int rc = gitstore_idx_parse(&gt_idx[n], algo, id, il, pl, 0);
		if (rc == 0)
			rc = gitstore_pack_open(&gt_packs[n], algo, pd, pl, &gt_idx[n], NULL, &gt_pa);
		if (rc < 0) {
			closedir(d);
			return rc;
		}
		n++;
	}
	if (d)
		closedir(d);
	gitstore_repo_set_packs(r, gt_packs, n, gt_scratch, sizeof gt_scratch);
	return 0;
}

#endif
