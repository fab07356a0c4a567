/*
 * Merge bases: every ancestor of a is marked A, every ancestor of b is
 * marked B; every ancestor of a commit marked both is then marked stale. A
 * commit marked A and B and not stale (no other common ancestor descends
 * from it... rather, it descends from none: it is a "best" common ancestor,
 * as in git's merge-base) is the answer. The marks are a caller-lent array
 * with an open-addressing index in the first half of `index`; the second
 * half is the stack of the depth-first walks.
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

enum { FROM_A = 1, FROM_B = 2, STALE = 4 };

struct walk {
	struct gitstore_repo *r;
	struct gitstore_commit_mark *m;
	size_t cap, n;
	uint32_t *index;
	size_t mask;
	uint32_t *stack;
	uint8_t *buf;
	size_t buf_cap;
};

static uint32_t *slot_of(struct walk *w, const struct gitstore_oid *id)
{
	uint32_t h;
	memcpy(&h, id->b, 4);
	for (size_t k = h & w->mask;; k = (k + 1) & w->mask) {
		uint32_t *s = &w->index[k];
		if (*s == 0 || gitstore_oid_cmp(&w->m[*s - 1].id, id) == 0)
			return s;
	}
}

/* The mark of id, made if new: GITSTORE_ENOMEM when the table is full. */
static int mark_of(struct walk *w, const struct gitstore_oid *id, size_t *at)
{
	uint32_t *s = slot_of(w, id);
	if (!*s) {
		if (w->n == w->cap)
			return GITSTORE_ENOMEM;
		w->m[w->n].id = *id;
		w->m[w->n].flags = 0;
		*s = (uint32_t)++w->n;
	}
	*at = *s - 1;
	return 0;
}

/*
 * Give flag to start (unless skip_start, then only to its ancestors) and to
 * every ancestor that lacks it, depth first: a commit that has the flag
 * already had its ancestors flagged.
 */
static int paint(struct walk *w, size_t start, uint32_t flag, bool skip_start)
{
	size_t sp = 0;
	int rc;
	if (!skip_start) {
		if (w->m[start].flags & flag)
			return 0;
		w->m[start].flags |= flag;
	}
	w->stack[sp++] = (uint32_t)start;
	while (sp) {
		struct gitstore_oid id = w->m[w->stack[--sp]].id;
		struct gitstore_commit c;
		int type;
		size_t need = 0;
		if ((rc = gitstore_obj_read(w->r, &id, &type, w->buf, w->buf_cap, &need)) < 0)
			return rc;
		if (type != GITSTORE_COMMIT)
			return GITSTORE_EOBJ_TYPE;
		if ((rc = gitstore_commit_parse(w->r->algo, w->buf, (size_t)rc, &c)) < 0)
			return rc;
		for (size_t i = 0; i < c.nparents; i++) {
			struct gitstore_oid p;
			size_t at;
			gitstore_commit_parent(&c, i, &p);
			if ((rc = mark_of(w, &p, &at)) < 0)
				return rc;
			if (w->m[at].flags & flag)
				continue;
			w->m[at].flags |= flag;
			/* each mark is pushed once per flag: the stack never outgrows the table */
			w->stack[sp++] = (uint32_t)at;
		}
	}
	return 0;
}

int gitstore_merge_base(struct gitstore_repo *r, const struct gitstore_oid *a, const struct gitstore_oid *b,
	struct gitstore_commit_mark *marks, size_t cap, uint32_t *index, size_t index_len,
	uint8_t *buf, size_t buf_cap, struct gitstore_oid *base, size_t *needed)
{
	if (!index_len || (index_len & (index_len - 1)) || index_len < 4 * cap || cap >= UINT32_MAX / 4)
		return GITSTORE_EINVAL;
	struct walk w = { r, marks, cap, 0, index, index_len / 2 - 1, index + index_len / 2, buf, buf_cap };
	for (size_t i = 0; i < index_len / 2; i++)
		index[i] = 0;
	size_t at;
	int rc = mark_of(&w, a, &at);
	if (rc == 0)
		rc = paint(&w, at, FROM_A, false);
	if (rc == 0)
		rc = mark_of(&w, b, &at);
	if (rc == 0)
		rc = paint(&w, at, FROM_B, false);
	/* ancestors of common ancestors are not the best ones */
	for (size_t i = 0; rc == 0 && i < w.n; i++)
		if ((marks[i].flags & (FROM_A | FROM_B)) == (FROM_A | FROM_B))
			rc = paint(&w, i, STALE, true);
	if (rc == GITSTORE_ENOMEM && needed)
		*needed = cap * 2;
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < w.n; i++) {
		if ((marks[i].flags & (FROM_A | FROM_B | STALE)) == (FROM_A | FROM_B)) {
			*base = marks[i].id;
			return 0;
		}
	}
	return GITSTORE_ENOENT;
}
