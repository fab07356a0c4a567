/*
 * The objects a fetch must send: everything the wants reach that the haves
 * do not, found as git's list-objects does. Commits the haves reach are
 * marked uninteresting (their whole ancestry: the commit graph only); the
 * trees of the uninteresting commits at the boundary (parents of commits
 * being sent) are then marked with everything under them, and the trees of
 * the commits being sent are walked, skipping what is marked. As in git,
 * an object the client has only through a commit far from the boundary may
 * be sent again; it is never missing.
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

enum { W_UNINT = GITSTORE_INT_W_UNINT, W_WALKED = 2, W_UWALKED = 4, W_EDGE = 8 };

void gitstore_int_walk_init(struct gitstore_int_walk *w, struct gitstore_repo *r, struct gitstore_walk_obj *o,
	size_t cap, uint32_t *index, size_t index_len, uint32_t *stack, uint8_t *buf, size_t buf_cap)
{
	w->r = r;
	w->o = o;
	w->cap = cap;
	w->n = 0;
	w->index = index;
	/* The table starts small and doubles as it fills (to index_len): a
	 * fetch of a few objects clears a few KiB, not the whole loan, and a
	 * table sized to what it holds stays in the CPU's caches. */
	w->mask = (index_len < GITSTORE_INT_WALK_TABLE_MIN ? index_len : GITSTORE_INT_WALK_TABLE_MIN) - 1;
	w->max_mask = index_len - 1;
	w->stack = stack;
	w->sp = 0;
	w->buf = buf;
	w->buf_cap = buf_cap;
	memset(index, 0, (w->mask + 1) * sizeof *index);
}

/* Equality of two ids, in words: the table's probes compare ids far more often than they order them. */
static bool oid_eq(const struct gitstore_oid *a, const struct gitstore_oid *b)
{
	uint64_t x[4], y[4];
	memcpy(x, a->b, sizeof x);
	memcpy(y, b->b, sizeof y);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

static uint32_t *slot_of(struct gitstore_int_walk *w, const struct gitstore_oid *id)
{
	uint32_t h;
	memcpy(&h, id->b, 4);
	for (size_t k = h & w->mask;; k = (k + 1) & w->mask) {
		uint32_t *s = &w->index[k];
		if (*s == 0 || oid_eq(&w->o[*s - 1].id, id))
			return s;
	}
}

long gitstore_int_walk_find(struct gitstore_int_walk *w, const struct gitstore_oid *id)
{
	uint32_t *s = slot_of(w, id);
	return *s ? (long)*s - 1 : -1;
}

/* Double the table and put every object back in it. */
static void grow(struct gitstore_int_walk *w)
{
	size_t size = 2 * (w->mask + 1);
	memset(w->index, 0, size * sizeof *w->index);
	w->mask = size - 1;
	for (size_t i = 0; i < w->n; i++)
		*slot_of(w, &w->o[i].id) = (uint32_t)(i + 1);
}

int gitstore_int_walk_add(struct gitstore_int_walk *w, const struct gitstore_oid *id, int type, size_t *at)
{
	uint32_t *s = slot_of(w, id);
	if (*s) {
		*at = *s - 1;
		return 0;
	}
	if (w->n == w->cap)
		return GITSTORE_ENOMEM;
	/* Keep the table at most half full, so probes stay short and always end. */
	if (w->n >= (w->mask + 1) / 2) {
		if (w->mask == w->max_mask)
			return GITSTORE_ENOMEM;
		grow(w);
		s = slot_of(w, id);
	}
	w->o[w->n].id = *id;
	w->o[w->n].type = (uint8_t)type;
	w->o[w->n].flags = 0;
	*s = (uint32_t)++w->n;
	*at = *s - 1;
	return 1;
}

static int push(struct gitstore_int_walk *w, size_t i)
{
	if (w->sp == w->cap)
		return GITSTORE_ENOMEM;
	w->stack[w->sp++] = (uint32_t)i;
	return 0;
}

static int read_obj(struct gitstore_int_walk *w, size_t i, int want_type, size_t *len)
{
	int type;
	size_t needed = 0;
	int rc = gitstore_obj_read(w->r, &w->o[i].id, &type, w->buf, w->buf_cap, &needed);
	if (rc < 0)
		return rc;
	if (want_type && type != want_type)
		return GITSTORE_EOBJ_TYPE;
	w->o[i].type = (uint8_t)type;
	*len = (size_t)rc;
	return type;
}

/* Give the flag UNINT to id (added if new); pushed when it is newly marked and push is set. */
static int mark_unint(struct gitstore_int_walk *w, const struct gitstore_oid *id, int type, bool do_push)
{
	size_t at;
	int rc = gitstore_int_walk_add(w, id, type, &at);
	if (rc < 0)
		return rc;
	if (w->o[at].flags & W_UNINT)
		return 0;
	w->o[at].flags |= W_UNINT;
	return do_push ? push(w, at) : 0;
}

static int tree_entry_type(uint32_t mode)
{
	if (mode == GITSTORE_MODE_GITLINK)
		return 0;
	return (mode & 0170000u) == GITSTORE_MODE_DIR ? GITSTORE_TREE : GITSTORE_BLOB;
}

int gitstore_int_walk_mark_have(struct gitstore_int_walk *w, const struct gitstore_oid *id, int type)
{
	return mark_unint(w, id, type, false);
}

/* Phase A1: every ancestor of an uninteresting commit is uninteresting. */
static int walk_unint_commits(struct gitstore_int_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		if ((w->o[i].flags & W_UNINT) && (w->o[i].type == GITSTORE_COMMIT || w->o[i].type == GITSTORE_TAG)) {
			int rc = push(w, i);
			if (rc < 0)
				return rc;
		}
	while (w->sp) {
		size_t i = w->stack[--w->sp], len;
		if (w->o[i].flags & W_UWALKED)
			continue;
		w->o[i].flags |= W_UWALKED;
		int type = read_obj(w, i, 0, &len);
		if (type < 0)
			return type;
		if (type == GITSTORE_COMMIT) {
			struct gitstore_commit c;
			int rc = gitstore_commit_parse(w->r->algo, w->buf, len, &c);
			for (size_t k = 0; rc == 0 && k < c.nparents; k++) {
				struct gitstore_oid p;
				gitstore_commit_parent(&c, k, &p);
				rc = mark_unint(w, &p, GITSTORE_COMMIT, true);
			}
			if (rc < 0)
				return rc;
		} else if (type == GITSTORE_TAG) {
			struct gitstore_tag t;
			int rc = gitstore_tag_parse(w->r->algo, w->buf, len, &t);
			if (rc == 0 && (t.type == GITSTORE_COMMIT || t.type == GITSTORE_TAG))
				rc = mark_unint(w, &t.object, t.type, true);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Phase A2: the commits (and tags) to send, with their root trees; boundary parents marked. */
static int walk_commits(struct gitstore_int_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (!(w->o[i].flags & W_UNINT) && (w->o[i].type == GITSTORE_COMMIT || w->o[i].type == GITSTORE_TAG)) {
			int rc = push(w, i);
			if (rc < 0)
				return rc;
		}
	while (w->sp) {
		size_t i = w->stack[--w->sp], len, at;
		if (w->o[i].flags & (W_WALKED | W_UNINT))
			continue;
		w->o[i].flags |= W_WALKED;
		int type = read_obj(w, i, 0, &len);
		if (type < 0)
			return type;
		int rc = 0;
		if (type == GITSTORE_COMMIT) {
			struct gitstore_commit c;
			rc = gitstore_commit_parse(w->r->algo, w->buf, len, &c);
			if (rc == 0)
				rc = gitstore_int_walk_add(w, &c.tree, GITSTORE_TREE, &at);
			for (size_t k = 0; rc >= 0 && k < c.nparents; k++) {
				struct gitstore_oid p;
				gitstore_commit_parent(&c, k, &p);
				rc = gitstore_int_walk_add(w, &p, GITSTORE_COMMIT, &at);
				if (rc == 1)
					rc = push(w, at);
				else if (rc == 0 && (w->o[at].flags & W_UNINT))
					w->o[at].flags |= W_EDGE;
			}
		} else if (type == GITSTORE_TAG) {
			struct gitstore_tag t;
			rc = gitstore_tag_parse(w->r->algo, w->buf, len, &t);
			if (rc == 0)
				rc = gitstore_int_walk_add(w, &t.object, t.type, &at);
			if (rc == 1 && (t.type == GITSTORE_COMMIT || t.type == GITSTORE_TAG))
				rc = push(w, at);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Walk the trees on the stack: marking everything under them (unint) or adding what is new. */
static int walk_trees(struct gitstore_int_walk *w, bool unint)
{
	uint8_t flag = unint ? W_UWALKED : W_WALKED;
	while (w->sp) {
		size_t i = w->stack[--w->sp], len, at;
		if ((w->o[i].flags & flag) || (!unint && (w->o[i].flags & W_UNINT)))
			continue;
		w->o[i].flags |= flag;
		int rc = read_obj(w, i, GITSTORE_TREE, &len);
		if (rc < 0)
			return rc;
		struct gitstore_tree_iter it;
		struct gitstore_tree_entry e;
		gitstore_tree_iter_init(&it, w->r->algo, w->buf, len);
		while ((rc = gitstore_tree_next(&it, &e)) == 1) {
			int type = tree_entry_type(e.mode);
			if (!type)
				continue;
			if (unint) {
				rc = mark_unint(w, &e.id, type, type == GITSTORE_TREE);
			} else {
				rc = gitstore_int_walk_add(w, &e.id, type, &at);
				if (rc == 1 && type == GITSTORE_TREE)
					rc = push(w, at);
			}
			if (rc < 0)
				return rc;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int gitstore_int_walk_run(struct gitstore_int_walk *w)
{
	int rc = walk_unint_commits(w);
	if (rc == 0)
		rc = walk_commits(w);
	/* Phase B: the trees of uninteresting commits at the boundary. */
	for (size_t i = 0; rc == 0 && i < w->n; i++) {
		if (!(w->o[i].flags & W_EDGE))
			continue;
		size_t len;
		rc = read_obj(w, i, GITSTORE_COMMIT, &len);
		struct gitstore_commit c;
		if (rc >= 0)
			rc = gitstore_commit_parse(w->r->algo, w->buf, len, &c);
		if (rc == 0)
			rc = mark_unint(w, &c.tree, GITSTORE_TREE, true);
		if (rc == 0)
			rc = walk_trees(w, true);
	}
	/* Phase C: the trees to send. */
	for (size_t i = 0; rc == 0 && i < w->n; i++)
		if (w->o[i].type == GITSTORE_TREE && !(w->o[i].flags & (W_UNINT | W_WALKED)))
			rc = push(w, i);
	if (rc == 0)
		rc = walk_trees(w, false);
	return rc;
}

bool gitstore_int_walk_sends(const struct gitstore_int_walk *w, size_t i)
{
	return !(w->o[i].flags & W_UNINT);
}
