/*
 * Refs: names checked as git check-ref-format does (refs.c), loose refs and
 * packed-refs read as git's files backend reads them, and updates under
 * git's "<name>.lock" protocol with a compare of the old value.
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* refs.c refname_disposition: 0 fine, 1 end of component, 2 '.', 3 '{', 4 bad, 5 '*'. */
static int disposition(uint8_t c)
{
	if (c == 0 || c == '/')
		return 1;
	if (c < 0x20 || c == 0x7f || c == ' ' || c == ':' || c == '?' || c == '[' || c == '\\' ||
		c == '^' || c == '~')
		return 4;
	if (c == '*')
		return 5;
	if (c == '.')
		return 2;
	if (c == '{')
		return 3;
	return 0;
}

int gitstore_refname_check(const char *name, unsigned flags)
{
	size_t len = bounded_len(name, GITSTORE_REFNAME_MAX);
	if (len >= GITSTORE_REFNAME_MAX || len == 0 || strcmp(name, "@") == 0)
		return GITSTORE_EREF_NAME;
	const char *p = name;
	size_t comps = 0, clen = 0;
	for (;;) {
		const char *c = p;
		uint8_t last = 0;
		for (;; c++) {
			int d = disposition((uint8_t)*c);
			if (d == 1)
				break;
			if ((d == 2 && last == '.') || (d == 3 && last == '@') || d >= 4)
				return GITSTORE_EREF_NAME;
			last = (uint8_t)*c;
		}
		clen = (size_t)(c - p);
		if (clen == 0 || p[0] == '.' || (clen >= 5 && memcmp(c - 5, ".lock", 5) == 0))
			return GITSTORE_EREF_NAME;
		comps++;
		if (*c == 0)
			break;
		p = c + 1;
	}
	if (p[clen - 1] == '.')
		return GITSTORE_EREF_NAME;
	if (!(flags & GITSTORE_REFNAME_ONELEVEL) && comps < 2)
		return GITSTORE_EREF_NAME;
	return 0;
}

static unsigned name_flags(const char *name)
{
	return strchr(name, '/') ? 0 : GITSTORE_REFNAME_ONELEVEL;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* files-backend.c parse_loose_ref_contents. */
static int parse_loose(int algo, const uint8_t *b, size_t n, struct gitstore_ref *out)
{
	memset(out, 0, sizeof *out);
	if (n >= 4 && memcmp(b, "ref:", 4) == 0) {
		size_t i = 4;
		while (i < n && is_space(b[i]))
			i++;
		size_t e = n;
		while (e > i && is_space(b[e - 1]))
			e--;
		if (e - i >= GITSTORE_REFNAME_MAX || e == i)
			return GITSTORE_EREF_FORMAT;
		memcpy(out->target, b + i, e - i);
		out->target[e - i] = 0;
		if (strlen(out->target) != e - i || gitstore_refname_check(out->target, name_flags(out->target)) < 0)
			return GITSTORE_EREF_FORMAT;
		out->symbolic = true;
		return 0;
	}
	size_t hl = 2 * gitstore_hash_len(algo);
	if (n < hl || gitstore_oid_from_hex(algo, (const char *)b, hl, &out->id) < 0 || (n > hl && !is_space(b[hl])))
		return GITSTORE_EREF_FORMAT;
	return 0;
}

static int read_loose(struct gitstore_repo *r, const char *name, struct gitstore_ref *out)
{
	uint8_t b[GITSTORE_REFNAME_MAX + 16];
	int n = gitstore_int_read(r, name, 0, b, sizeof b);
	if (n < 0)
		return n == GITSTORE_ENOENT ? n : GITSTORE_EIO;
	if ((size_t)n == sizeof b)
		return GITSTORE_EREF_FORMAT;
	return parse_loose(r->algo, b, (size_t)n, out);
}

/*
 * Walk packed-refs line by line through the storage ops, with the repo's
 * arena as the line buffer. each(arg, name, ref) per ref, its peeled value
 * attached; a nonzero return stops the walk.
 */
typedef int (*packed_fn)(void *arg, const char *name, const struct gitstore_ref *ref);

static int packed_walk(struct gitstore_repo *r, packed_fn each, void *arg)
{
	size_t hl = 2 * gitstore_hash_len(r->algo);
	gitstore_arena_reset(&r->arena);
	size_t cap = r->arena.cap > 4096 + 16 ? 4096 : 0;
	uint8_t *buf = cap ? gitstore_int_alloc(&r->arena, cap) : NULL;
	if (!buf)
		return GITSTORE_ENOMEM;
	uint64_t off = 0;
	size_t have = 0;
	bool eof = false, first = true, pending = false;
	struct gitstore_ref ref;
	char name[GITSTORE_REFNAME_MAX];
	for (;;) {
		uint8_t *nl = memchr(buf, '\n', have);
		if (!nl && !eof) {
			if (have == cap)
				return GITSTORE_EREF_FORMAT;   /* a line longer than any ref */
			int n = gitstore_int_read(r, "packed-refs", off, buf + have, cap - have);
			if (n == GITSTORE_ENOENT && off == 0)
				return 0;
			if (n < 0)
				return GITSTORE_EIO;
			if (n == 0)
				eof = true;
			off += (uint64_t)n;
			have += (size_t)n;
			continue;
		}
		size_t ll = nl ? (size_t)(nl - buf) : have;
		if (!nl && ll == 0) {
			if (pending)
				return each(arg, name, &ref);
			return 0;
		}
		const uint8_t *l = buf;
		int rc = 0;
		if (first && ll > 0 && l[0] == '#') {
			/* "# pack-refs with: peeled fully-peeled sorted": nothing to keep */
		} else if (ll > 0 && l[0] == '^') {
			if (!pending || ll != hl + 1 || gitstore_oid_from_hex(r->algo, (const char *)l + 1, hl, &ref.peeled) < 0)
				return GITSTORE_EREF_FORMAT;
			ref.peeled_known = true;
		} else {
			if (pending && (rc = each(arg, name, &ref)) != 0)
				return rc;
			pending = false;
			if (ll < hl + 2 || l[hl] != ' ' || ll - hl - 1 >= GITSTORE_REFNAME_MAX)
				return GITSTORE_EREF_FORMAT;
			memset(&ref, 0, sizeof ref);
			if (gitstore_oid_from_hex(r->algo, (const char *)l, hl, &ref.id) < 0)
				return GITSTORE_EREF_FORMAT;
			memcpy(name, l + hl + 1, ll - hl - 1);
			name[ll - hl - 1] = 0;
			if (strlen(name) != ll - hl - 1 || gitstore_refname_check(name, name_flags(name)) < 0)
				return GITSTORE_EREF_FORMAT;
			pending = true;
		}
		first = false;
		size_t used = nl ? ll + 1 : ll;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
}

struct find_packed {
	const char *name;
	struct gitstore_ref *out;
};

static int find_one(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct find_packed *f = arg;
	if (strcmp(name, f->name) != 0)
		return 0;
	*f->out = *ref;
	return 1;
}

int gitstore_ref_read(struct gitstore_repo *r, const char *name, struct gitstore_ref *out)
{
	if (gitstore_refname_check(name, name_flags(name)) < 0)
		return GITSTORE_EREF_NAME;
	int rc = read_loose(r, name, out);
	if (rc != GITSTORE_ENOENT)
		return rc;
	struct find_packed f = { name, out };
	rc = packed_walk(r, find_one, &f);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : GITSTORE_ENOENT;
}

int gitstore_ref_resolve(struct gitstore_repo *r, const char *name, struct gitstore_oid *id, char *resolved)
{
	struct gitstore_ref ref;
	char cur[GITSTORE_REFNAME_MAX];
	size_t n = bounded_len(name, GITSTORE_REFNAME_MAX);
	if (n >= GITSTORE_REFNAME_MAX)
		return GITSTORE_EREF_NAME;
	memcpy(cur, name, n + 1);
	/* refs.c SYMREF_MAXDEPTH */
	for (int depth = 0; depth <= 5; depth++) {
		int rc = gitstore_ref_read(r, cur, &ref);
		if (rc < 0)
			return rc;
		if (!ref.symbolic) {
			*id = ref.id;
			if (resolved)
				memcpy(resolved, cur, strlen(cur) + 1);
			return 0;
		}
		memcpy(cur, ref.target, strlen(ref.target) + 1);
	}
	return GITSTORE_EREF_DEPTH;
}

/* Take "<name>.lock" holding content: 0, GITSTORE_EREF_LOCKED, or an error. */
static int lock_take(struct gitstore_repo *r, const char *name, const uint8_t *content, size_t len, char *lock)
{
	char tmp[64];
	size_t n = strlen(name);
	memcpy(lock, name, n);
	memcpy(lock + n, ".lock", 6);
	int rc = gitstore_int_tmp_name(r, "refs", tmp, sizeof tmp - 5);
	if (rc < 0)
		return rc;
	/* ".lock" on the temporary name too: it can never be taken for a ref */
	strcat(tmp, ".lock");
	if (gitstore_int_append(r, tmp, content, len) < 0) {
		gitstore_int_remove(r, tmp);
		return GITSTORE_EIO;
	}
	rc = gitstore_int_rename(r, tmp, lock, GITSTORE_RENAME_NOREPLACE);
	if (rc == 0)
		return 0;
	gitstore_int_remove(r, tmp);
	return rc == GITSTORE_EEXIST ? GITSTORE_EREF_LOCKED : GITSTORE_EIO;
}

/* The current value compared with old (NULL: any; zero: must not exist). */
static int check_old(struct gitstore_repo *r, const char *name, const struct gitstore_oid *old, bool *exists)
{
	struct gitstore_ref cur;
	int rc = gitstore_ref_read(r, name, &cur);
	if (rc < 0 && rc != GITSTORE_ENOENT)
		return rc;
	*exists = rc == 0;
	if (!old)
		return 0;
	if (gitstore_oid_is_zero(old))
		return rc == GITSTORE_ENOENT ? 0 : GITSTORE_EREF_STALE;
	if (rc == GITSTORE_ENOENT || cur.symbolic || gitstore_oid_cmp(&cur.id, old) != 0)
		return GITSTORE_EREF_STALE;
	return 0;
}

static int write_ref(struct gitstore_repo *r, const char *name, const uint8_t *content, size_t len,
	const struct gitstore_oid *old)
{
	char lock[GITSTORE_REFNAME_MAX + 8];
	if (gitstore_refname_check(name, name_flags(name)) < 0)
		return GITSTORE_EREF_NAME;
	int rc = lock_take(r, name, content, len, lock);
	if (rc < 0)
		return rc;
	bool exists;
	rc = check_old(r, name, old, &exists);
	if (rc == 0)
		rc = gitstore_int_rename(r, lock, name, 0) < 0 ? GITSTORE_EIO : 0;
	if (rc < 0)
		gitstore_int_remove(r, lock);
	return rc;
}

int gitstore_ref_update(struct gitstore_repo *r, const char *name, const struct gitstore_oid *id,
	const struct gitstore_oid *old)
{
	char line[GITSTORE_HEX_MAX + 1];
	size_t n = gitstore_oid_to_hex(r->algo, id, line);
	line[n++] = '\n';
	return write_ref(r, name, (const uint8_t *)line, n, old);
}

int gitstore_ref_symbolic(struct gitstore_repo *r, const char *name, const char *target)
{
	char line[GITSTORE_REFNAME_MAX + 8];
	if (gitstore_refname_check(target, name_flags(target)) < 0)
		return GITSTORE_EREF_NAME;
	size_t n = strlen(target);
	memcpy(line, "ref: ", 5);
	memcpy(line + 5, target, n);
	line[5 + n] = '\n';
	return write_ref(r, name, (const uint8_t *)line, n + 6, NULL);
}

struct rewrite {
	struct gitstore_repo *r;
	const char *skip;
	const char *lock;
	bool found;
	int err;
};

static int copy_except(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct rewrite *w = arg;
	if (strcmp(name, w->skip) == 0) {
		w->found = true;
		return 0;
	}
	char line[2 * GITSTORE_HEX_MAX + GITSTORE_REFNAME_MAX + 8];
	size_t n = gitstore_oid_to_hex(w->r->algo, &ref->id, line);
	line[n++] = ' ';
	memcpy(line + n, name, strlen(name));
	n += strlen(name);
	line[n++] = '\n';
	if (ref->peeled_known) {
		line[n++] = '^';
		n += gitstore_oid_to_hex(w->r->algo, &ref->peeled, line + n);
		line[n++] = '\n';
	}
	if (gitstore_int_append(w->r, w->lock, (const uint8_t *)line, n) < 0) {
		w->err = GITSTORE_EIO;
		return 1;
	}
	return 0;
}

static int find_any(void *arg, const char *name, const struct gitstore_ref *ref)
{
	(void)ref;
	return strcmp(name, arg) == 0;
}

/* Rewrite packed-refs without name, under packed-refs.lock, as git does. */
static int packed_remove(struct gitstore_repo *r, const char *name)
{
	int rc = packed_walk(r, find_any, (void *)(uintptr_t)name);
	if (rc <= 0)
		return rc;
	static const char head[] = "# pack-refs with: peeled fully-peeled sorted \n";
	char lock[32];
	if ((rc = lock_take(r, "packed-refs", (const uint8_t *)head, sizeof head - 1, lock)) < 0)
		return rc;
	struct rewrite w = { r, name, lock, false, 0 };
	rc = packed_walk(r, copy_except, &w);
	if (rc >= 0 && w.err)
		rc = w.err;
	if (rc >= 0)
		rc = gitstore_int_rename(r, lock, "packed-refs", 0) < 0 ? GITSTORE_EIO : 0;
	if (rc < 0)
		gitstore_int_remove(r, lock);
	return rc;
}

int gitstore_ref_delete(struct gitstore_repo *r, const char *name, const struct gitstore_oid *old)
{
	char lock[GITSTORE_REFNAME_MAX + 8];
	if (gitstore_refname_check(name, name_flags(name)) < 0)
		return GITSTORE_EREF_NAME;
	int rc = lock_take(r, name, (const uint8_t *)"\n", 1, lock);
	if (rc < 0)
		return rc;
	bool exists;
	rc = check_old(r, name, old, &exists);
	if (rc == 0 && !exists)
		rc = GITSTORE_ENOENT;
	/* packed first: until the loose file goes, readers still see the old value */
	if (rc == 0)
		rc = packed_remove(r, name);
	if (rc == 0) {
		int d = gitstore_int_remove(r, name);
		if (d < 0 && d != GITSTORE_ENOENT)
			rc = GITSTORE_EIO;
	}
	gitstore_int_remove(r, lock);
	return rc;
}

/* ---- listing ---- */

struct walk {
	struct gitstore_repo *r;
	int (*each)(void *arg, const char *name, const struct gitstore_ref *ref);
	void *arg;
	char path[GITSTORE_REFNAME_MAX];
	size_t len;
	int depth;
	const char *prefix;
};

static int walk_dir(struct walk *w);

static int walk_entry(void *arg, const char *entry, bool is_dir)
{
	struct walk *w = arg;
	size_t n = strlen(entry), saved = w->len;
	if (w->len + 1 + n >= sizeof w->path)
		return 0;   /* a name longer than any ref: not a ref */
	w->path[w->len] = '/';
	memcpy(w->path + w->len + 1, entry, n + 1);
	w->len += 1 + n;
	int rc = 0;
	if (is_dir) {
		if (w->depth < 64) {
			w->depth++;
			rc = walk_dir(w);
			w->depth--;
		}
	} else if (gitstore_refname_check(w->path, 0) == 0 &&
		strncmp(w->path, w->prefix, strlen(w->prefix)) == 0) {
		struct gitstore_ref ref;
		/* a ref that vanished or is malformed is skipped, as git warns and goes on */
		if (read_loose(w->r, w->path, &ref) == 0)
			rc = w->each(w->arg, w->path, &ref);
	}
	w->len = saved;
	w->path[saved] = 0;
	return rc;
}

static int walk_dir(struct walk *w)
{
	int rc = gitstore_int_list(w->r, w->path, walk_entry, w);
	return rc == GITSTORE_ENOENT ? 0 : rc;
}

static int packed_each(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct walk *w = arg;
	uint64_t size;
	if (strncmp(name, w->prefix, strlen(w->prefix)) != 0)
		return 0;
	/* a loose ref overrides its packed value: it was listed already */
	if (gitstore_int_size(w->r, name, &size) == 0)
		return 0;
	return w->each(w->arg, name, ref);
}

int gitstore_ref_list(struct gitstore_repo *r, const char *prefix,
	int (*each)(void *arg, const char *name, const struct gitstore_ref *ref), void *arg)
{
	struct walk w = { r, each, arg, "refs", 4, 0, prefix };
	int rc = walk_dir(&w);
	if (rc != 0)
		return rc;
	return packed_walk(r, packed_each, &w);
}
