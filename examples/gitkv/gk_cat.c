/*
 * gitkv cat-all: every object of the repository, as `git cat-file
 * --batch-all-objects --batch` prints them: sorted by id, each once though
 * several packs or a pack and a loose file hold it, "<id> <type> <size>\n",
 * the content, "\n". The .idx files are already sorted: a merge of them and
 * the sorted loose ids gives the order without sorting everything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitkv.h"

/* One sorted source of ids: a pack's idx, or the loose ids (pack == NULL). */
struct src {
	struct gitstore_pack *pack;
	const struct gitstore_oid *loose;
	uint32_t pos, count;
	struct gitstore_oid id;
	uint64_t off;
};

static bool src_load(struct src *s, int *rc)
{
	if (s->pos >= s->count)
		return false;
	if (s->pack) {
		*rc = gitstore_idx_entry(s->pack->idx, s->pos, &s->id, &s->off, NULL);
		if (*rc < 0)
			return false;
	} else {
		s->id = s->loose[s->pos];
	}
	return true;
}

static void header(struct gk_out *o, int algo, const struct gitstore_oid *id, int type, size_t len)
{
	char line[GITSTORE_HEX_MAX + 40];
	size_t n = gitstore_oid_to_hex(algo, id, line);
	n += (size_t)snprintf(line + n, sizeof line - n, " %s %zu\n", gitstore_type_name(type), len);
	gk_out_write(o, line, n);
}

int gk_cmd_cat_all(const char *path)
{
	struct gk_repo *g = gk_xmalloc(sizeof *g);
	int rc = gk_repo_open(g, path, false);
	if (rc != 0)
		return rc;
	struct gitstore_oid *loose;
	size_t nloose;
	if ((rc = gk_loose_ids(g, &loose, &nloose)) != 0)
		return rc;
	size_t nsrc = g->npacks + 1;
	struct src *s = gk_xmalloc(nsrc * sizeof *s);
	for (size_t k = 0; k < g->npacks; k++)
		s[k] = (struct src){ .pack = &g->packs[k], .count = g->idx[k].count };
	s[g->npacks] = (struct src){ .loose = loose, .count = (uint32_t)nloose };
	struct gitstore_pack_buf b;
	gk_pack_buf_init(&b, 1u << 20, 8 * 4096 + (3u << 20));
	uint8_t *lbuf = NULL;
	size_t lcap = 0;
	struct gk_out o;
	gk_out_init(&o, 1, 1u << 20);
	bool live[GK_MAX_PACKS + 1];
	int err = 0;
	for (size_t k = 0; k < nsrc && err == 0; k++)
		live[k] = src_load(&s[k], &err);
	if (err < 0)
		return gk_lib_err("idx", err);
	struct gitstore_oid last;
	bool have_last = false;
	uint32_t done = 0;
	for (;;) {
		size_t best = nsrc;
		for (size_t k = 0; k < nsrc; k++)
			if (live[k] && (best == nsrc || gitstore_oid_cmp(&s[k].id, &s[best].id) < 0))
				best = k;
		if (best == nsrc)
			break;
		struct src *c = &s[best];
		if (!have_last || gitstore_oid_cmp(&last, &c->id) != 0) {
			int type;
			char hex[GITSTORE_HEX_MAX];
			if (c->pack) {
				rc = gk_pack_read(c->pack, c->off, &b, &type);
				if (rc >= 0) {
					header(&o, g->algo, &c->id, type, (size_t)rc);
					gk_out_write(&o, b.out, (size_t)rc);
				}
			} else {
				size_t need;
				while ((rc = gitstore_loose_read(&g->r, &c->id, &type, lbuf, lcap, &need)) == GITSTORE_ENOMEM &&
				       need > lcap)
					lbuf = gk_xrealloc(lbuf, lcap = need);
				if (rc >= 0) {
					header(&o, g->algo, &c->id, type, (size_t)rc);
					gk_out_write(&o, lbuf, (size_t)rc);
				}
			}
			if (rc < 0) {
				gk_out_close(&o);
				gitstore_oid_to_hex(g->algo, &c->id, hex);
				return gk_lib_err(hex, rc);
			}
			gk_out_write(&o, "\n", 1);
			last = c->id;
			have_last = true;
		}
		c->pos++;
		if (++done % 1024 == 0)
			gk_repo_drop_pages(g);
		live[best] = src_load(c, &err);
		if (err < 0) {
			gk_out_close(&o);
			return gk_lib_err(g->pack_names[best], err);
		}
	}
	rc = gk_out_close(&o);
	gk_pack_buf_free(&b);
	free(lbuf);
	free(loose);
	free(s);
	gk_repo_close(g);
	free(g);
	return rc;
}
