/*
 * A branch as a versioned key-value store: paths looked up through trees,
 * batches of changes applied by rewriting the trees on each path (read,
 * recurse, read again, write: two buffers whatever the depth) and committed
 * with a compare-and-swap of the branch; history and diffs of paths.
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

struct comp {
	const char *p;
	size_t len;
};

static const struct gitstore_oid zero_id;

static bool is_dir(uint32_t mode)
{
	return (mode & 0170000u) == 0040000u;
}

static int split_path(const char *path, struct comp *c, size_t *n)
{
	size_t k = 0;
	const char *s = path;
	*n = 0;
	if (*s == 0)
		return 0;
	for (;;) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 0 || k == GITSTORE_KV_DEPTH || (len == 1 && s[0] == '.') ||
			(len == 2 && s[0] == '.' && s[1] == '.') || gitstore_int_name_is_dotgit((const uint8_t *)s, len))
			return GITSTORE_EKV_PATH;
		c[k].p = s;
		c[k].len = len;
		k++;
		if (!e)
			break;
		s = e + 1;
	}
	*n = k;
	return 0;
}

int gitstore_kv_init(struct gitstore_kv *kv, struct gitstore_repo *r, const char *branch,
	uint8_t *work, size_t work_cap)
{
	size_t n = strlen(branch);
	if (n >= sizeof kv->branch || gitstore_refname_check(branch, 0) < 0)
		return GITSTORE_EREF_NAME;
	kv->repo = r;
	memcpy(kv->branch, branch, n + 1);
	kv->work = work;
	kv->work_cap = work ? work_cap : 0;
	return 0;
}

int gitstore_kv_head(struct gitstore_kv *kv, struct gitstore_oid *commit)
{
	return gitstore_ref_resolve(kv->repo, kv->branch, commit, NULL);
}

/* An object of the wanted type into buf: its length. */
static int read_obj(struct gitstore_kv *kv, const struct gitstore_oid *id, int want,
	uint8_t *buf, size_t cap, size_t *len)
{
	int type;
	size_t need = 0;
	if (want == GITSTORE_TREE && gitstore_oid_is_zero(id)) {
		*len = 0;
		return 0;
	}
	int rc = gitstore_obj_read(kv->repo, id, &type, buf, cap, &need);
	if (rc < 0)
		return rc;
	if (type != want)
		return GITSTORE_EOBJ_TYPE;
	*len = (size_t)rc;
	return 0;
}

static int read_tree(struct gitstore_kv *kv, const struct gitstore_oid *id, size_t *len)
{
	return read_obj(kv, id, GITSTORE_TREE, kv->work, kv->work_cap / 2, len);
}

static int commit_tree(struct gitstore_kv *kv, const struct gitstore_oid *commit,
	struct gitstore_oid *tree, struct gitstore_oid *parent, bool *has_parent)
{
	size_t len;
	struct gitstore_commit c;
	int rc = read_obj(kv, commit, GITSTORE_COMMIT, kv->work, kv->work_cap / 2, &len);
	if (rc < 0)
		return rc;
	if ((rc = gitstore_commit_parse(kv->repo->algo, kv->work, len, &c)) < 0)
		return rc;
	*tree = c.tree;
	if (has_parent) {
		*has_parent = c.nparents > 0;
		if (c.nparents)
			gitstore_commit_parent(&c, 0, parent);
	}
	return 0;
}

static bool name_is(const struct gitstore_tree_entry *e, const struct comp *c)
{
	return e->name.len == c->len && memcmp(e->name.p, c->p, c->len) == 0;
}

/* Walk comps from tree: the mode and id found (the root itself for n == 0). */
static int lookup(struct gitstore_kv *kv, const struct gitstore_oid *tree, const struct comp *c, size_t n,
	uint32_t *mode, struct gitstore_oid *id)
{
	*mode = GITSTORE_MODE_DIR;
	*id = *tree;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		struct gitstore_tree_iter it;
		struct gitstore_tree_entry e;
		int rc;
		if (!is_dir(*mode))
			return GITSTORE_EKV_NOTDIR;
		if ((rc = read_tree(kv, id, &len)) < 0)
			return rc;
		gitstore_tree_iter_init(&it, kv->repo->algo, kv->work, len);
		bool found = false;
		while ((rc = gitstore_tree_next(&it, &e)) == 1) {
			if (name_is(&e, &c[i])) {
				found = true;
				break;
			}
		}
		if (rc < 0)
			return rc;
		if (!found)
			return GITSTORE_ENOENT;
		*mode = e.mode;
		*id = e.id;
	}
	return 0;
}

static int root_of(struct gitstore_kv *kv, const struct gitstore_oid *commit, struct gitstore_oid *tree)
{
	struct gitstore_oid head;
	if (!commit) {
		int rc = gitstore_kv_head(kv, &head);
		if (rc < 0)
			return rc;
		commit = &head;
	}
	return commit_tree(kv, commit, tree, NULL, NULL);
}

int gitstore_kv_get(struct gitstore_kv *kv, const struct gitstore_oid *commit, const char *path,
	uint8_t *out, size_t cap, size_t *needed)
{
	struct comp c[GITSTORE_KV_DEPTH];
	struct gitstore_oid tree, id;
	uint32_t mode;
	size_t n;
	int rc;
	if ((rc = split_path(path, c, &n)) < 0)
		return rc;
	if (n == 0)
		return GITSTORE_EKV_ISDIR;
	if ((rc = root_of(kv, commit, &tree)) < 0 || (rc = lookup(kv, &tree, c, n, &mode, &id)) < 0)
		return rc;
	if (is_dir(mode))
		return GITSTORE_EKV_ISDIR;
	if (mode == GITSTORE_MODE_GITLINK)
		return GITSTORE_ENOENT;   /* a submodule's commit is not in this repository */
	int type;
	rc = gitstore_obj_read(kv->repo, &id, &type, out, cap, needed);
	if (rc >= 0 && type != GITSTORE_BLOB)
		return GITSTORE_EOBJ_TYPE;
	return rc;
}

int gitstore_kv_list(struct gitstore_kv *kv, const struct gitstore_oid *commit, const char *path,
	int (*each)(void *arg, const struct gitstore_tree_entry *e), void *arg)
{
	struct comp c[GITSTORE_KV_DEPTH];
	struct gitstore_oid tree, id;
	struct gitstore_tree_iter it;
	struct gitstore_tree_entry e;
	uint32_t mode;
	size_t n, len;
	int rc;
	if ((rc = split_path(path, c, &n)) < 0)
		return rc;
	if ((rc = root_of(kv, commit, &tree)) < 0 || (rc = lookup(kv, &tree, c, n, &mode, &id)) < 0)
		return rc;
	if (!is_dir(mode))
		return GITSTORE_EKV_NOTDIR;
	if ((rc = read_tree(kv, &id, &len)) < 0)
		return rc;
	gitstore_tree_iter_init(&it, kv->repo->algo, kv->work, len);
	while ((rc = gitstore_tree_next(&it, &e)) == 1) {
		int r2 = each(arg, &e);
		if (r2)
			return r2;
	}
	return rc;
}

/* Append one entry to the tree being written in wbuf. */
static int emit(uint8_t *w, size_t cap, size_t *o, uint32_t mode, const uint8_t *name, size_t nlen,
	const struct gitstore_oid *id, size_t idl)
{
	uint8_t d[12];
	size_t nd = 0;
	do {
		d[nd++] = (uint8_t)('0' + (mode & 7));
		mode >>= 3;
	} while (mode);
	if (cap - *o < nd + 2 + nlen + idl)
		return GITSTORE_ENOMEM;
	while (nd)
		w[(*o)++] = d[--nd];
	w[(*o)++] = ' ';
	memcpy(w + *o, name, nlen);
	*o += nlen;
	w[(*o)++] = 0;
	memcpy(w + *o, id->b, idl);
	*o += idl;
	return 0;
}

/*
 * Set (blob non-NULL) or remove c[i..n) below tree; the new tree's id in
 * *out, *empty when nothing is left in it (then nothing is written, below
 * the root).
 */
static int update(struct gitstore_kv *kv, const struct gitstore_oid *tree, const struct comp *c, size_t n,
	size_t i, const struct gitstore_oid *blob, uint32_t mode, struct gitstore_oid *out, bool *empty)
{
	struct gitstore_repo *r = kv->repo;
	size_t idl = gitstore_hash_len(r->algo), len;
	struct gitstore_tree_iter it;
	struct gitstore_tree_entry e, ne;
	bool found = false;
	int rc;
	if ((rc = read_tree(kv, tree, &len)) < 0)
		return rc;
	gitstore_tree_iter_init(&it, r->algo, kv->work, len);
	while ((rc = gitstore_tree_next(&it, &e)) == 1)
		if (name_is(&e, &c[i])) {
			found = true;
			break;
		}
	if (rc < 0)
		return rc;
	bool drop = false;
	ne.name.p = (const uint8_t *)c[i].p;
	ne.name.len = c[i].len;
	if (i + 1 < n) {
		bool child_empty = false;
		if (!blob && (!found || !is_dir(e.mode)))
			return GITSTORE_ENOENT;
		/* setting below a file replaces the file with a directory */
		struct gitstore_oid sub = found && is_dir(e.mode) ? e.id : zero_id;
		if ((rc = update(kv, &sub, c, n, i + 1, blob, mode, &ne.id, &child_empty)) < 0)
			return rc;
		ne.mode = GITSTORE_MODE_DIR;
		drop = child_empty;
	} else if (!blob) {
		if (!found)
			return GITSTORE_ENOENT;
		drop = true;
	} else {
		ne.mode = mode;
		ne.id = *blob;
	}
	/* The buffer was reused below: read this tree again and write it changed. */
	if ((rc = read_tree(kv, tree, &len)) < 0)
		return rc;
	uint8_t *w = kv->work + kv->work_cap / 2;
	size_t wcap = kv->work_cap - kv->work_cap / 2, o = 0;
	bool placed = drop;
	gitstore_tree_iter_init(&it, r->algo, kv->work, len);
	while ((rc = gitstore_tree_next(&it, &e)) == 1) {
		if (name_is(&e, &c[i]))
			continue;
		if (!placed && gitstore_tree_entry_cmp(&ne, &e) < 0) {
			if ((rc = emit(w, wcap, &o, ne.mode, ne.name.p, ne.name.len, &ne.id, idl)) < 0)
				return rc;
			placed = true;
		}
		if ((rc = emit(w, wcap, &o, e.mode, e.name.p, e.name.len, &e.id, idl)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (!placed && (rc = emit(w, wcap, &o, ne.mode, ne.name.p, ne.name.len, &ne.id, idl)) < 0)
		return rc;
	*empty = o == 0;
	if (*empty && i > 0)
		return 0;
	return gitstore_loose_write(r, GITSTORE_TREE, w, o, 0, out);
}

int gitstore_kv_commit(struct gitstore_kv *kv, const struct gitstore_kv_change *ch, size_t n,
	const struct gitstore_kv_commit_info *ci, const struct gitstore_oid *expect, struct gitstore_oid *commit)
{
	struct gitstore_repo *r = kv->repo;
	struct gitstore_oid head, root;
	int rc = gitstore_kv_head(kv, &head);
	bool born = rc == 0;
	if (rc < 0 && rc != GITSTORE_ENOENT)
		return rc;
	if (expect && (born ? gitstore_oid_cmp(expect, &head) != 0 : !gitstore_oid_is_zero(expect)))
		return GITSTORE_EREF_STALE;
	root = zero_id;
	if (born && (rc = commit_tree(kv, &head, &root, NULL, NULL)) < 0)
		return rc;
	for (size_t k = 0; k < n; k++) {
		struct comp c[GITSTORE_KV_DEPTH];
		size_t nc;
		struct gitstore_oid blob, next;
		bool empty;
		if ((rc = split_path(ch[k].path, c, &nc)) < 0)
			return rc;
		if (nc == 0)
			return GITSTORE_EKV_PATH;
		uint32_t mode = ch[k].mode ? ch[k].mode : GITSTORE_MODE_FILE;
		if (mode != GITSTORE_MODE_FILE && mode != GITSTORE_MODE_EXEC && mode != GITSTORE_MODE_LINK)
			return GITSTORE_EINVAL;
		if (ch[k].value && (rc = gitstore_loose_write(r, GITSTORE_BLOB, ch[k].value, ch[k].len, 0, &blob)) < 0)
			return rc;
		if ((rc = update(kv, &root, c, nc, 0, ch[k].value ? &blob : NULL, mode, &next, &empty)) < 0)
			return rc;
		root = next;
	}
	struct gitstore_commit_info info = {
		.tree = &root, .parents = born ? &head : NULL, .nparents = born ? 1 : 0,
		.author = ci->author, .committer = ci->committer, .message = ci->message,
	};
	size_t need = 0;
	uint8_t *w = kv->work + kv->work_cap / 2;
	rc = gitstore_commit_write(r->algo, &info, w, kv->work_cap - kv->work_cap / 2, &need);
	if (rc < 0)
		return rc;
	if ((rc = gitstore_loose_write(r, GITSTORE_COMMIT, w, (size_t)rc, 0, commit)) < 0)
		return rc;
	return gitstore_ref_update(r, kv->branch, commit, born ? &head : &zero_id);
}

/* The id at path in commit's tree, zero when there is none. */
static int value_at(struct gitstore_kv *kv, const struct gitstore_oid *tree, const struct comp *c, size_t n,
	struct gitstore_oid *id)
{
	uint32_t mode;
	int rc = lookup(kv, tree, c, n, &mode, id);
	if (rc == GITSTORE_ENOENT || rc == GITSTORE_EKV_NOTDIR) {
		*id = zero_id;
		return 0;
	}
	return rc;
}

int gitstore_kv_history(struct gitstore_kv *kv, const char *path, uint32_t max,
	int (*each)(void *arg, const struct gitstore_oid *commit), void *arg)
{
	struct comp c[GITSTORE_KV_DEPTH];
	struct gitstore_oid cur, tree, parent, val, pval;
	size_t n;
	bool has_parent;
	int rc;
	if ((rc = split_path(path, c, &n)) < 0)
		return rc;
	if ((rc = gitstore_kv_head(kv, &cur)) < 0)
		return rc == GITSTORE_ENOENT ? 0 : rc;
	if ((rc = commit_tree(kv, &cur, &tree, &parent, &has_parent)) < 0 ||
		(rc = value_at(kv, &tree, c, n, &val)) < 0)
		return rc;
	for (uint32_t k = 0; k < max; k++) {
		pval = zero_id;
		struct gitstore_oid next = parent;
		bool next_has = false;
		struct gitstore_oid nparent;
		if (has_parent) {
			if ((rc = commit_tree(kv, &next, &tree, &nparent, &next_has)) < 0 ||
				(rc = value_at(kv, &tree, c, n, &pval)) < 0)
				return rc;
		}
		if (gitstore_oid_cmp(&val, &pval) != 0 && (rc = each(arg, &cur)) != 0)
			return rc;
		if (!has_parent)
			break;
		cur = next;
		val = pval;
		parent = nparent;
		has_parent = next_has;
	}
	return 0;
}

struct diff {
	struct gitstore_kv *kv;
	int (*each)(void *arg, const char *path, const struct gitstore_oid *old, const struct gitstore_oid *new_id);
	void *arg;
	char path[4096];
};

static int diff_trees(struct diff *d, size_t top, size_t plen, int depth,
	const struct gitstore_oid *a, const struct gitstore_oid *b);

/* One side's entry (or both): report a blob change or descend. */
static int diff_entry(struct diff *d, size_t top, size_t plen, int depth,
	const struct gitstore_tree_entry *ea, const struct gitstore_tree_entry *eb)
{
	const struct gitstore_tree_entry *e = ea ? ea : eb;
	if (ea && eb && ea->mode == eb->mode && gitstore_oid_cmp(&ea->id, &eb->id) == 0)
		return 0;
	size_t n = e->name.len;
	if (plen + (plen ? 1 : 0) + n + 1 > sizeof d->path)
		return GITSTORE_EKV_PATH;
	size_t at = plen;
	if (plen)
		d->path[at++] = '/';
	memcpy(d->path + at, e->name.p, n);
	d->path[at + n] = 0;
	int rc;
	if (is_dir(e->mode))
		rc = diff_trees(d, top, at + n, depth + 1, ea ? &ea->id : &zero_id, eb ? &eb->id : &zero_id);
	else
		rc = d->each(d->arg, d->path, ea ? &ea->id : &zero_id, eb ? &eb->id : &zero_id);
	d->path[plen] = 0;
	return rc;
}

static int diff_trees(struct diff *d, size_t top, size_t plen, int depth,
	const struct gitstore_oid *a, const struct gitstore_oid *b)
{
	struct gitstore_kv *kv = d->kv;
	size_t la, lb;
	int rc;
	if (depth > GITSTORE_KV_DEPTH)
		return GITSTORE_EKV_PATH;
	if ((rc = read_obj(kv, a, GITSTORE_TREE, kv->work + top, kv->work_cap - top, &la)) < 0)
		return rc;
	uint8_t *ta = kv->work + top;
	top += la;
	if ((rc = read_obj(kv, b, GITSTORE_TREE, kv->work + top, kv->work_cap - top, &lb)) < 0)
		return rc;
	uint8_t *tb = kv->work + top;
	top += lb;
	struct gitstore_tree_iter ia, ib;
	struct gitstore_tree_entry ea, eb;
	gitstore_tree_iter_init(&ia, kv->repo->algo, ta, la);
	gitstore_tree_iter_init(&ib, kv->repo->algo, tb, lb);
	int ra = gitstore_tree_next(&ia, &ea), rb = gitstore_tree_next(&ib, &eb);
	while (ra == 1 || rb == 1) {
		int cmp = ra != 1 ? 1 : rb != 1 ? -1 : gitstore_tree_entry_cmp(&ea, &eb);
		if (cmp == 0 && is_dir(ea.mode) != is_dir(eb.mode))
			cmp = -1;
		if (cmp == 0) {
			rc = diff_entry(d, top, plen, depth, &ea, &eb);
			ra = gitstore_tree_next(&ia, &ea);
			rb = gitstore_tree_next(&ib, &eb);
		} else if (cmp < 0) {
			rc = diff_entry(d, top, plen, depth, &ea, NULL);
			ra = gitstore_tree_next(&ia, &ea);
		} else {
			rc = diff_entry(d, top, plen, depth, NULL, &eb);
			rb = gitstore_tree_next(&ib, &eb);
		}
		if (rc)
			return rc;
	}
	return ra < 0 ? ra : rb < 0 ? rb : 0;
}

int gitstore_kv_diff(struct gitstore_kv *kv, const struct gitstore_oid *a, const struct gitstore_oid *b,
	int (*each)(void *arg, const char *path, const struct gitstore_oid *old, const struct gitstore_oid *new_id),
	void *arg)
{
	struct gitstore_oid ta = zero_id, tb;
	int rc;
	if (a && (rc = commit_tree(kv, a, &ta, NULL, NULL)) < 0)
		return rc;
	if ((rc = commit_tree(kv, b, &tb, NULL, NULL)) < 0)
		return rc;
	struct diff d;
	d.kv = kv;
	d.each = each;
	d.arg = arg;
	d.path[0] = 0;
	return diff_trees(&d, 0, 0, 0, &ta, &tb);
}

/* ---- three-way merge ---- */

struct merge {
	struct gitstore_kv *kv;
	int (*conflict)(void *arg, const char *path);
	void *arg;
	int conflicts;
	char path[4096];
};

/* Same mode and id, or both absent. */
static bool same(const struct gitstore_tree_entry *x, const struct gitstore_tree_entry *y)
{
	if (!x || !y)
		return x == y;
	return x->mode == y->mode && gitstore_oid_cmp(&x->id, &y->id) == 0;
}

static int merge_trees(struct merge *m, size_t top, size_t plen, int depth, const struct gitstore_oid *ids[3],
	struct gitstore_oid *out, bool *empty);

/* Decide one path; the entry to keep in *keep (NULL: none). */
static int merge_entry(struct merge *m, size_t top, size_t plen, int depth,
	const struct gitstore_tree_entry *e[3], struct gitstore_tree_entry *res, bool *keep)
{
	const struct gitstore_tree_entry *a = e[0], *b = e[1], *c = e[2], *pick;
	const struct gitstore_tree_entry *any = a ? a : b ? b : c;
	if (same(b, c) || same(a, c))
		pick = b;
	else if (same(a, b))
		pick = c;
	else {
		size_t n = any->name.len, at = plen + (plen ? 1 : 0);
		if (at + n + 1 > sizeof m->path)
			return GITSTORE_EKV_PATH;
		if (plen)
			m->path[plen] = '/';
		memcpy(m->path + at, any->name.p, n);
		m->path[at + n] = 0;
		int rc = 0;
		/* directories (or nothing) on every side: merge what is inside, so a
		 * removal on one side meets the other's changes file by file */
		if ((!a || is_dir(a->mode)) && (!b || is_dir(b->mode)) && (!c || is_dir(c->mode))) {
			const struct gitstore_oid *sub[3] = { a ? &a->id : &zero_id, b ? &b->id : &zero_id,
				c ? &c->id : &zero_id };
			bool sub_empty;
			res->mode = GITSTORE_MODE_DIR;
			res->name = any->name;
			rc = merge_trees(m, top, at + n, depth + 1, sub, &res->id, &sub_empty);
			m->path[plen] = 0;
			*keep = !sub_empty;
			return rc;
		}
		m->conflicts++;
		if (m->conflict)
			rc = m->conflict(m->arg, m->path);
		m->path[plen] = 0;
		pick = b;
		if (rc)
			return rc;
	}
	*keep = pick != NULL;
	if (pick)
		*res = *pick;
	return 0;
}

static int merge_trees(struct merge *m, size_t top, size_t plen, int depth, const struct gitstore_oid *ids[3],
	struct gitstore_oid *out, bool *empty)
{
	struct gitstore_kv *kv = m->kv;
	size_t len[3], idl = gitstore_hash_len(kv->repo->algo);
	struct gitstore_tree_iter it[3];
	struct gitstore_tree_entry cur[3];
	int more[3], rc;
	*out = zero_id;
	*empty = true;
	if (depth > GITSTORE_KV_DEPTH)
		return GITSTORE_EKV_PATH;
	for (int k = 0; k < 3; k++) {
		if ((rc = read_obj(kv, ids[k], GITSTORE_TREE, kv->work + top, kv->work_cap - top, &len[k])) < 0)
			return rc;
		gitstore_tree_iter_init(&it[k], kv->repo->algo, kv->work + top, len[k]);
		top += len[k];
	}
	/* The merged tree is no bigger than the three together (plus mode spelling slack). */
	size_t ocap = len[0] + len[1] + len[2] + 64, o = 0;
	if (kv->work_cap - top < ocap)
		return GITSTORE_ENOMEM;
	uint8_t *ob = kv->work + top;
	top += ocap;
	for (int k = 0; k < 3; k++)
		if ((more[k] = gitstore_tree_next(&it[k], &cur[k])) < 0)
			return more[k];
	for (;;) {
		int lo = -1;
		for (int k = 0; k < 3; k++)
			if (more[k] == 1 && (lo < 0 || gitstore_tree_entry_cmp(&cur[k], &cur[lo]) < 0))
				lo = k;
		if (lo < 0)
			break;
		const struct gitstore_tree_entry *e[3];
		for (int k = 0; k < 3; k++)
			e[k] = more[k] == 1 && gitstore_tree_entry_cmp(&cur[k], &cur[lo]) == 0 ? &cur[k] : NULL;
		struct gitstore_tree_entry res;
		bool keep = false;
		if ((rc = merge_entry(m, top, plen, depth, e, &res, &keep)) != 0)
			return rc;
		if (keep && (rc = emit(ob, ocap, &o, res.mode, res.name.p, res.name.len, &res.id, idl)) < 0)
			return rc;
		for (int k = 0; k < 3; k++)
			if (e[k] && (more[k] = gitstore_tree_next(&it[k], &cur[k])) < 0)
				return more[k];
	}
	*empty = o == 0;
	if ((*empty && depth > 0) || m->conflicts)
		return 0;
	return gitstore_loose_write(kv->repo, GITSTORE_TREE, ob, o, 0, out);
}

int gitstore_kv_merge(struct gitstore_kv *kv, const struct gitstore_oid *base, const struct gitstore_oid *theirs,
	const struct gitstore_kv_commit_info *ci, const struct gitstore_oid *expect,
	int (*conflict)(void *arg, const char *path), void *arg, struct gitstore_oid *commit)
{
	struct gitstore_oid head, t[3];
	int rc = gitstore_kv_head(kv, &head);
	if (rc < 0)
		return rc;
	if (expect && gitstore_oid_cmp(expect, &head) != 0)
		return GITSTORE_EREF_STALE;
	t[0] = zero_id;
	if ((base && (rc = commit_tree(kv, base, &t[0], NULL, NULL)) < 0) ||
		(rc = commit_tree(kv, &head, &t[1], NULL, NULL)) < 0 ||
		(rc = commit_tree(kv, theirs, &t[2], NULL, NULL)) < 0)
		return rc;
	struct merge m;
	m.kv = kv;
	m.conflict = conflict;
	m.arg = arg;
	m.conflicts = 0;
	m.path[0] = 0;
	const struct gitstore_oid *ids[3] = { &t[0], &t[1], &t[2] };
	struct gitstore_oid tree;
	bool empty;
	if ((rc = merge_trees(&m, 0, 0, 0, ids, &tree, &empty)) < 0)
		return rc;
	if (m.conflicts)
		return m.conflicts;
	struct gitstore_oid parents[2] = { head, *theirs };
	struct gitstore_commit_info info = {
		.tree = &tree, .parents = parents, .nparents = 2,
		.author = ci->author, .committer = ci->committer, .message = ci->message,
	};
	uint8_t *w = kv->work;
	if ((rc = gitstore_commit_write(kv->repo->algo, &info, w, kv->work_cap, NULL)) < 0)
		return rc;
	if ((rc = gitstore_loose_write(kv->repo, GITSTORE_COMMIT, w, (size_t)rc, 0, commit)) < 0)
		return rc;
	return gitstore_ref_update(kv->repo, kv->branch, commit, &head);
}
