/*
 * gitkv fsck: what `git fsck --full --strict` checks, with its messages
 * and exit status: each pack's trailer, CRCs and object ids (verify-pack),
 * every object's content under git's strict rules, loose objects' hashes,
 * then connectivity from HEAD and every ref (missing objects, objects of
 * the wrong type, refs to nothing), and dangling objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitkv.h"

/* git fsck's exit status bits (builtin/fsck.c). */
enum { ERROR_OBJECT = 1, ERROR_REACHABLE = 2, ERROR_PACK = 4, ERROR_REFS = 8 };

enum { HAVE = 1, USED = 2, REACHABLE = 4, OCCUPIED = 0x80 };

struct obj {
	struct gitstore_oid id;
	uint8_t type;      /* 0: not seen */
	uint8_t flags;
	uint8_t want;      /* the type a link expects, for "missing" */
	uint8_t pack;      /* 0xff: loose */
	uint64_t off;
};

struct fsck {
	struct gk_repo *g;
	struct obj *t;
	size_t mask, n;
	int errors;
	uint8_t *buf;
	size_t cap;
	struct gitstore_pack_buf pb;
	struct gitstore_oid *queue;   /* ids, not slots: the table may grow meanwhile */
	size_t qn, qcap;
};

static size_t slot_of(const struct fsck *f, const struct gitstore_oid *id)
{
	uint64_t h;
	memcpy(&h, id->b, 8);
	return (size_t)h & f->mask;
}

static struct obj *lookup(struct fsck *f, const struct gitstore_oid *id, bool add)
{
	if (add && 2 * (f->n + 1) > f->mask + 1) {
		size_t old = f->mask + 1;
		struct obj *t = f->t;
		f->mask = 2 * old - 1;
		f->t = calloc(2 * old, sizeof *f->t);
		if (!f->t)
			exit(GK_FAIL);
		f->n = 0;
		for (size_t i = 0; i < old; i++) {
			if (!(t[i].flags & OCCUPIED))
				continue;
			struct obj *o = lookup(f, &t[i].id, true);
			*o = t[i];
		}
		free(t);
	}
	for (size_t i = slot_of(f, id);; i = (i + 1) & f->mask) {
		struct obj *o = &f->t[i];
		if (!(o->flags & OCCUPIED)) {
			if (!add)
				return NULL;
			memset(o, 0, sizeof *o);
			o->id = *id;
			o->flags = OCCUPIED;
			f->n++;
			return o;
		}
		if (!gitstore_oid_cmp(&o->id, id))
			return o;
	}
}

static const char *tname(int type)
{
	const char *n = gitstore_type_name(type);
	return n ? n : "unknown";
}

/* git's fsck message ids and texts (fsck.h, fsck.c) for the library's codes. */
static const char *fsck_msg(int rc)
{
	switch (rc) {
	case GITSTORE_ETREE_FORMAT: return "badTree: cannot be parsed as a tree";
	case GITSTORE_ETREE_MODE_PAD: return "zeroPaddedFilemode: contains zero-padded file modes";
	case GITSTORE_ETREE_MODE: return "badFilemode: contains bad file modes";
	case GITSTORE_ETREE_EMPTY_NAME: return "emptyName: contains empty pathname";
	case GITSTORE_ETREE_SLASH: return "fullPathname: contains full pathnames";
	case GITSTORE_ETREE_DOT: return "hasDot: contains '.'";
	case GITSTORE_ETREE_DOTDOT: return "hasDotdot: contains '..'";
	case GITSTORE_ETREE_DOTGIT: return "hasDotgit: contains '.git'";
	case GITSTORE_ETREE_NULL_ID: return "nullSha1: contains entries pointing to null sha1";
	case GITSTORE_ETREE_DUP: return "duplicateEntries: contains duplicate file entries";
	case GITSTORE_ETREE_ORDER: return "treeNotSorted: not properly sorted";
	case GITSTORE_ETREE_GITMODULES_LINK: return "gitmodulesSymlink: .gitmodules is a symbolic link";
	case GITSTORE_EHDR_NUL: return "nulInHeader: unterminated header: NUL in header";
	case GITSTORE_EHDR_UNTERMINATED: return "unterminatedHeader: unterminated header";
	case GITSTORE_ECOMMIT_NO_TREE: return "missingTree: invalid format - expected 'tree' line";
	case GITSTORE_ECOMMIT_TREE_ID: return "badTreeSha1: invalid 'tree' line format - bad sha1";
	case GITSTORE_ECOMMIT_PARENT_ID: return "badParentSha1: invalid 'parent' line format - bad sha1";
	case GITSTORE_ECOMMIT_NO_AUTHOR: return "missingAuthor: invalid format - expected 'author' line";
	case GITSTORE_ECOMMIT_AUTHORS: return "multipleAuthors: invalid format - multiple 'author' lines";
	case GITSTORE_ECOMMIT_NO_COMMITTER: return "missingCommitter: invalid format - expected 'committer' line";
	case GITSTORE_ECOMMIT_NUL: return "nulInCommit: NUL byte in the commit object body";
	case GITSTORE_EIDENT_NO_NAME: return "missingNameBeforeEmail: invalid author/committer line - missing space before email";
	case GITSTORE_EIDENT_BAD_NAME: return "badName: invalid author/committer line - bad name";
	case GITSTORE_EIDENT_NO_EMAIL: return "missingEmail: invalid author/committer line - missing email";
	case GITSTORE_EIDENT_SPACE_EMAIL: return "missingSpaceBeforeEmail: invalid author/committer line - missing space before email";
	case GITSTORE_EIDENT_BAD_EMAIL: return "badEmail: invalid author/committer line - bad email";
	case GITSTORE_EIDENT_SPACE_DATE: return "missingSpaceBeforeDate: invalid author/committer line - missing space before date";
	case GITSTORE_EIDENT_DATE_PAD: return "zeroPaddedDate: invalid author/committer line - zero-padded date";
	case GITSTORE_EIDENT_DATE_OVERFLOW: return "badDateOverflow: invalid author/committer line - date causes integer overflow";
	case GITSTORE_EIDENT_DATE: return "badDate: invalid author/committer line - bad date";
	case GITSTORE_EIDENT_TZ: return "badTimezone: invalid author/committer line - bad time zone";
	case GITSTORE_ETAG_NO_OBJECT: return "missingObject: invalid format - expected 'object' line";
	case GITSTORE_ETAG_OBJECT_ID: return "badObjectSha1: invalid 'object' line format - bad sha1";
	case GITSTORE_ETAG_NO_TYPE: return "missingTypeEntry: invalid format - unexpected end after 'type' line";
	case GITSTORE_ETAG_TYPE: return "badType: invalid 'type' value";
	case GITSTORE_ETAG_NO_NAME: return "missingTagEntry: invalid format - unexpected end after 'type' line";
	default: return gitstore_strerror(rc);
	}
}

static void hex_of(struct fsck *f, const struct gitstore_oid *id, char *hex)
{
	gitstore_oid_to_hex(f->g->algo, id, hex);
}

static void mark_used(struct fsck *f, const struct gitstore_oid *id)
{
	lookup(f, id, true)->flags |= USED;
}

/* Everything an object points to is not dangling, reachable or not. */
static void mark_links(struct fsck *f, int type, const uint8_t *data, size_t len)
{
	if (type == GITSTORE_COMMIT) {
		struct gitstore_commit c;
		struct gitstore_oid id;
		if (gitstore_commit_parse(f->g->algo, data, len, &c) < 0)
			return;
		mark_used(f, &c.tree);
		for (size_t i = 0; i < c.nparents; i++)
			if (gitstore_commit_parent(&c, i, &id) == 0)
				mark_used(f, &id);
	} else if (type == GITSTORE_TAG) {
		struct gitstore_tag t;
		if (gitstore_tag_parse(f->g->algo, data, len, &t) == 0)
			mark_used(f, &t.object);
	} else if (type == GITSTORE_TREE) {
		struct gitstore_tree_iter it;
		struct gitstore_tree_entry e;
		gitstore_tree_iter_init(&it, f->g->algo, data, len);
		while (gitstore_tree_next(&it, &e) == 1)
			if (e.mode != GITSTORE_MODE_GITLINK)
				mark_used(f, &e.id);
	}
}

/* Check one object's content and note it; errors as git prints them. */
static void check_content(struct fsck *f, const struct gitstore_oid *id, int type, const uint8_t *data, size_t len,
			  uint8_t pack, uint64_t off)
{
	struct obj *o = lookup(f, id, true);
	o->type = (uint8_t)type;
	o->flags |= HAVE;
	o->pack = pack;
	o->off = off;
	int rc = gitstore_obj_check(f->g->algo, type, data, len, GITSTORE_CHECK_STRICT);
	if (rc < 0) {
		char hex[GITSTORE_HEX_MAX];
		hex_of(f, id, hex);
		fprintf(stderr, "error in %s %s: %s\n", tname(type), hex, fsck_msg(rc));
		f->errors |= ERROR_OBJECT;
	}
	mark_links(f, type, data, len);
}

static void check_pack(struct fsck *f, size_t k)
{
	struct gk_repo *g = f->g;
	struct gitstore_pack *p = &g->packs[k];
	uint32_t bad = 0;
	char hex[GITSTORE_HEX_MAX];
	int rc;
	for (;;) {
		rc = gitstore_pack_verify(p, &f->pb, &bad);
		if (rc != GITSTORE_ENOMEM)
			break;
		struct gitstore_oid id;
		uint64_t off;
		int type;
		gitstore_idx_entry(p->idx, bad, &id, &off, NULL);
		if ((rc = gk_pack_read(p, off, &f->pb, &type)) < 0)
			break;
	}
	if (rc < 0) {
		struct gitstore_oid id;
		uint64_t off = 0;
		gitstore_idx_entry(p->idx, bad, &id, &off, NULL);
		hex_of(f, &id, hex);
		if (rc == GITSTORE_EPACK_CHECKSUM)
			fprintf(stderr, "error: %s.pack pack checksum mismatch\n", g->pack_names[k]);
		else if (rc == GITSTORE_EPACK_CRC)
			fprintf(stderr, "error: index CRC mismatch for object %s from %s.pack at offset %llu\n", hex,
				g->pack_names[k], (unsigned long long)off);
		else
			fprintf(stderr, "error: packed %s from %s.pack is corrupt (%s)\n", hex, g->pack_names[k],
				gitstore_strerror(rc));
		/* as git: go on and read every object, to name the damaged ones */
		f->errors |= ERROR_PACK;
	}
	for (uint32_t i = 0; i < p->idx->count; i++) {
		struct gitstore_oid id;
		uint64_t off;
		int type;
		if (gitstore_idx_entry(p->idx, i, &id, &off, NULL) < 0)
			continue;
		rc = gk_pack_read(p, off, &f->pb, &type);
		if (rc < 0) {
			hex_of(f, &id, hex);
			fprintf(stderr, "error: packed %s from %s.pack is corrupt (%s)\n", hex, g->pack_names[k],
				gitstore_strerror(rc));
			f->errors |= ERROR_PACK;
			continue;
		}
		check_content(f, &id, type, f->pb.out, (size_t)rc, (uint8_t)k, off);
	}
}

static void check_loose(struct fsck *f)
{
	struct gitstore_oid *ids;
	size_t n;
	if (gk_loose_ids(f->g, &ids, &n) != 0) {
		f->errors |= ERROR_OBJECT;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int type, rc;
		size_t need;
		while ((rc = gitstore_loose_read(&f->g->r, &ids[i], &type, f->buf, f->cap, &need)) == GITSTORE_ENOMEM &&
		       need > f->cap)
			f->buf = gk_xrealloc(f->buf, f->cap = need);
		if (rc < 0) {
			char hex[GITSTORE_HEX_MAX], name[GITSTORE_LOOSE_NAME_MAX];
			hex_of(f, &ids[i], hex);
			gitstore_loose_name(f->g->algo, &ids[i], name);
			if (rc == GITSTORE_EOBJ_ID)
				fprintf(stderr, "error: hash mismatch for %s/%s (expected %s)\n", f->g->files.gitdir, name, hex);
			else
				fprintf(stderr, "error: %s: object corrupt or missing: %s/%s (%s)\n", hex, f->g->files.gitdir,
					name, gitstore_strerror(rc));
			f->errors |= ERROR_OBJECT;
			continue;
		}
		check_content(f, &ids[i], type, f->buf, (size_t)rc, 0xff, 0);
	}
	free(ids);
}

/* A link from one object to another: mark it, queue it once. */
static void link_to(struct fsck *f, const struct obj *from, const struct gitstore_oid *id, int want)
{
	char a[GITSTORE_HEX_MAX], b[GITSTORE_HEX_MAX];
	int ftype = from ? from->type : 0;
	struct obj *o = lookup(f, id, true);
	if (!(o->flags & HAVE)) {
		if (!(o->flags & REACHABLE)) {
			o->flags |= REACHABLE;
			hex_of(f, id, b);
			if (from) {
				hex_of(f, &from->id, a);
				printf("broken link from %7s %s\n              to %7s %s\n", tname(ftype), a, tname(want), b);
			}
			printf("missing %s %s\n", tname(want), b);
			f->errors |= ERROR_REACHABLE;
		}
		return;
	}
	if (want && o->type != want) {
		if (!(o->flags & REACHABLE)) {
			hex_of(f, id, b);
			fprintf(stderr, "error: object %s is a %s, not a %s\n", b, tname(o->type), tname(want));
			f->errors |= ERROR_REACHABLE;
		}
	}
	if (o->flags & REACHABLE)
		return;
	o->flags |= REACHABLE;
	if (f->qn == f->qcap)
		f->queue = gk_xrealloc(f->queue, (f->qcap = f->qcap ? 2 * f->qcap : 1024) * sizeof *f->queue);
	f->queue[f->qn++] = *id;
}

static int read_obj(struct fsck *f, const struct obj *o)
{
	int type;
	if (o->pack == 0xff) {
		size_t need;
		int rc;
		while ((rc = gitstore_loose_read(&f->g->r, &o->id, &type, f->buf, f->cap, &need)) == GITSTORE_ENOMEM &&
		       need > f->cap)
			f->buf = gk_xrealloc(f->buf, f->cap = need);
		return rc;
	}
	int rc = gk_pack_read(&f->g->packs[o->pack], o->off, &f->pb, &type);
	if (rc >= 0) {
		if ((size_t)rc > f->cap)
			f->buf = gk_xrealloc(f->buf, f->cap = (size_t)rc);
		memcpy(f->buf, f->pb.out, (size_t)rc);
	}
	return rc;
}

/* Follow the links of every queued object (commits, trees, tags). */
static void walk(struct fsck *f)
{
	while (f->qn) {
		struct obj o = *lookup(f, &f->queue[--f->qn], false);
		if (o.type == GITSTORE_BLOB)
			continue;
		int rc = read_obj(f, &o);
		if (rc < 0)
			continue; /* reported when the object was checked */
		size_t len = (size_t)rc;
		if (o.type == GITSTORE_COMMIT) {
			struct gitstore_commit c;
			if (gitstore_commit_parse(f->g->algo, f->buf, len, &c) < 0)
				continue;
			struct gitstore_oid parents[64];
			size_t np = c.nparents < 64 ? c.nparents : 64;
			for (size_t i = 0; i < np; i++)
				gitstore_commit_parent(&c, i, &parents[i]);
			struct gitstore_oid tree = c.tree;
			link_to(f, &o, &tree, GITSTORE_TREE);
			for (size_t i = 0; i < np; i++)
				link_to(f, &o, &parents[i], GITSTORE_COMMIT);
		} else if (o.type == GITSTORE_TAG) {
			struct gitstore_tag t;
			if (gitstore_tag_parse(f->g->algo, f->buf, len, &t) < 0)
				continue;
			struct gitstore_oid target = t.object;
			link_to(f, &o, &target, t.type);
		} else if (o.type == GITSTORE_TREE) {
			/* the tree's bytes: links are collected first, as link_to may read */
			uint8_t *copy = gk_xmalloc(len);
			memcpy(copy, f->buf, len);
			struct gitstore_tree_iter it;
			struct gitstore_tree_entry e;
			gitstore_tree_iter_init(&it, f->g->algo, copy, len);
			while (gitstore_tree_next(&it, &e) == 1) {
				if (e.mode == GITSTORE_MODE_GITLINK)
					continue;
				link_to(f, &o, &e.id, (e.mode & 0170000u) == 0040000u ? GITSTORE_TREE : GITSTORE_BLOB);
			}
			free(copy);
		}
	}
}

static int each_ref(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct fsck *f = arg;
	struct gitstore_oid id;
	if (ref->symbolic) {
		if (gitstore_ref_resolve(&f->g->r, name, &id, NULL) < 0)
			return 0; /* git: a dangling symref is only a warning */
	} else {
		id = ref->id;
	}
	struct obj *o = lookup(f, &id, false);
	if (!o || !(o->flags & HAVE)) {
		char hex[GITSTORE_HEX_MAX];
		hex_of(f, &id, hex);
		fprintf(stderr, "error: %s: invalid sha1 pointer %s\n", name, hex);
		f->errors |= ERROR_REFS;
		return 0;
	}
	link_to(f, NULL, &id, 0);
	walk(f);
	return 0;
}

int gk_cmd_fsck(const char *path)
{
	struct fsck f;
	memset(&f, 0, sizeof f);
	f.g = gk_xmalloc(sizeof *f.g);
	int rc = gk_repo_open(f.g, path, true);
	if (rc != 0)
		return rc | ERROR_PACK;
	f.mask = 1023;
	f.t = calloc(f.mask + 1, sizeof *f.t);
	f.cap = 1u << 20;
	f.buf = gk_xmalloc(f.cap);
	gk_pack_buf_init(&f.pb, 1u << 20, 8 * 4096 + (3u << 20));
	for (size_t k = 0; k < f.g->npacks; k++)
		check_pack(&f, k);
	check_loose(&f);

	/* Connectivity from HEAD and every ref. */
	struct gitstore_oid head;
	rc = gitstore_ref_resolve(&f.g->r, "HEAD", &head, NULL);
	if (rc == 0) {
		struct gitstore_ref r = { .symbolic = false, .id = head };
		each_ref(&f, "HEAD", &r);
	} else if (rc != GITSTORE_ENOENT) {
		fprintf(stderr, "error: HEAD: %s\n", gitstore_strerror(rc));
		f.errors |= ERROR_REFS;
	}
	rc = gitstore_ref_list(&f.g->r, "refs/", each_ref, &f);
	if (rc < 0 && rc != GITSTORE_ENOENT) {
		fprintf(stderr, "error: refs: %s\n", gitstore_strerror(rc));
		f.errors |= ERROR_REFS;
	}
	/* What nothing reaches and nothing points to, as git lists it. */
	for (size_t i = 0; i <= f.mask; i++) {
		struct obj *o = &f.t[i];
		if ((o->flags & HAVE) && !(o->flags & (REACHABLE | USED))) {
			char hex[GITSTORE_HEX_MAX];
			hex_of(&f, &o->id, hex);
			printf("dangling %s %s\n", tname(o->type), hex);
		}
	}
	fflush(stdout);
	gk_pack_buf_free(&f.pb);
	free(f.buf);
	free(f.t);
	free(f.queue);
	gk_repo_close(f.g);
	free(f.g);
	return f.errors;
}
