/* The Git source (see source_git.h): paths looked up in the trees of the
 * commit a request started on, through a per-worker cache of objects. */
#include "source_git.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gitfollow.h"
#include "remote.h"
#include "src_cache.h"

struct gitsrc_shared {
	struct gf_follow f;
	struct gf_pub pub;
	const char *repo;
	const char *subdir;
};

/* ---- the follower: publishes {commit, tree of subdir} */

static int apply(void *ctx, struct gf_repo *r, const struct gitstore_oid *commit, const struct gitstore_oid *tree,
	char *err, size_t errcap)
{
	struct gitsrc_shared *g = ctx;
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct gitstore_oid st;
	int rc = gf_subtree(r, tree, g->subdir, &st, &buf, &cap);
	if (rc == 0) /* the tree itself must be readable */
		rc = gf_obj_read(r, &st, GITSTORE_TREE, &buf, &cap);
	free(buf);
	if (rc < 0) {
		snprintf(err, errcap, "%s/: %s", g->subdir[0] ? g->subdir : "",
			rc == GITSTORE_ENOENT ? "no such directory" :
			rc == GITSTORE_EKV_NOTDIR || rc == GITSTORE_EOBJ_TYPE ? "not a directory" :
			gitstore_strerror(rc));
		return -1;
	}
	gf_pub_set(&g->pub, commit, &st);
	return 0;
}

static int start(struct gitsrc_shared **out, const char *repo, struct gf_remote *remote, const char *branch,
	const char *subdir, uint64_t poll_ms, char *err, size_t errcap)
{
	struct gitsrc_shared *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	g->repo = repo;
	g->subdir = subdir ? subdir : "";
	gf_pub_init(&g->pub);
	g->f.repo = repo;
	if (remote)
		gf_remote_attach(remote, &g->f);
	if (gf_branch_name(branch, g->f.branch, sizeof g->f.branch) < 0) {
		snprintf(err, errcap, "--branch %s: not a branch name", branch);
		free(g);
		return -1;
	}
	g->f.poll_ms = poll_ms;
	g->f.what = "site";
	g->f.apply = apply;
	g->f.ctx = g;
	if (gf_follow_start(&g->f, err, errcap) < 0) {
		free(g);
		return -1;
	}
	*out = g;
	return 0;
}

int gitsrc_start(struct gitsrc_shared **out, const char *repo, const char *branch, const char *subdir,
	uint64_t poll_ms, char *err, size_t errcap)
{
	return start(out, repo, NULL, branch, subdir, poll_ms, err, errcap);
}

int gitsrc_start_remote(struct gitsrc_shared **out, struct gf_remote *remote, const char *branch,
	const char *subdir, uint64_t poll_ms, char *err, size_t errcap)
{
	return start(out, remote->mirror, remote, branch, subdir, poll_ms, err, errcap);
}

void gitsrc_trigger(struct gitsrc_shared *g)
{
	gf_follow_trigger(&g->f);
}

bool gitsrc_serving(struct gitsrc_shared *g, const void *commit)
{
	uint64_t gen = 0;
	struct gitstore_oid c, t;
	gf_pub_get(&g->pub, &gen, &c, &t);
	return memcmp(&c, commit, sizeof c) == 0;
}

void gitsrc_stop(struct gitsrc_shared *g)
{
	if (!g)
		return;
	gf_follow_stop(&g->f);
	free(g);
}

/* ---- a worker's source */

#define NBUCKETS 4096u
#define MAX_LINKS 40
#define MAX_DEPTH 128
#define REST_MAX 8192

/* An object in the cache: a tree (kind SRC_MISS, never handed out) or a
 * blob served as a file of one media type (the same blob under two names
 * of different types is two entries). */
struct gobj {
	struct src_entry pub; /* first: the server sees only this */
	struct gitstore_oid id;
	int gtype;            /* GITSTORE_BLOB or GITSTORE_TREE */
	struct http_str type; /* a blob's media type; p NULL: a tree or a link target */
	uint8_t *data;
	size_t len;
	bool has_gzid;        /* the gzip variant is the blob gzid (FILE.gz) */
	struct gitstore_oid gzid;
	struct http_content gz;
	uint8_t *gzdata;
	char gzetag[GITSTORE_HEX_MAX + 4];
	struct src_cnode cn;  /* cn.charge: bytes held, data and the gzip variant */
	char etag[GITSTORE_HEX_MAX + 2];
	uint8_t *prep;        /* the content's pre-formatted response fields */
};

struct gsrc {
	struct gitsrc_shared *sh;
	size_t gzip_min, gzip_max;
	struct gf_repo *repo;
	uint64_t gen;
	struct gitstore_oid commit, tree;
	struct src_cache cache; /* of objects */
	uint8_t *rbuf;
	size_t rcap;
	struct src_entry dir, miss; /* shared answers, never counted */
	struct gitstore_oid stack[MAX_DEPTH]; /* trees of the path being looked up */
};

static uint32_t hash_of(const struct gitstore_oid *id, struct http_str type)
{
	uint32_t h;
	memcpy(&h, id->b, sizeof h);
	return h ^ (uint32_t)(uintptr_t)type.p;
}

static void gobj_free(struct gobj *o)
{
	free(o->gzdata);
	free(o->data);
	free(o->prep);
	free(o);
}

static void gobj_free_node(struct src_cnode *n)
{
	gobj_free(SRC_CNODE_OF(n, struct gobj, cn));
}

struct obj_key {
	const struct gitstore_oid *id;
	int gtype;
	struct http_str type;
	const struct gitstore_oid *gzid;
};

static bool gobj_match(struct src_cnode *n, const void *key)
{
	const struct gobj *o = SRC_CNODE_OF(n, struct gobj, cn);
	const struct obj_key *k = key;
	return o->gtype == k->gtype && o->type.p == k->type.p && gitstore_oid_cmp(&o->id, k->id) == 0 &&
		o->has_gzid == (k->gzid != NULL) && (!k->gzid || gitstore_oid_cmp(&o->gzid, k->gzid) == 0);
}

/* Compressed once, as the directory source does (gzip, level 6). */

/* RFC 9110 8.8.1: our own encoding is not the stored bytes: a weak tag,
 * as the directory source and libhttp's on-the-fly gzip give. */
static void add_gz_made(struct gobj *o, const char *hex)
{
	size_t n = src_gzip_once(o->data, o->len, &o->gzdata);
	if (!n)
		return;
	o->gz = o->pub.content;
	o->gz.data = o->gzdata;
	o->gz.size = n;
	snprintf(o->gzetag, sizeof o->gzetag, "W/\"%s\"", hex);
	o->gz.etag = (struct http_str){ (const uint8_t *)o->gzetag, strlen(o->gzetag) };
	o->gz.gzip = NULL;
	o->pub.content.gzip = &o->gz;
}

/* A FILE.gz next to FILE is its gzip variant, with its own strong tag. */
static void add_gz_blob(struct gsrc *s, struct gobj *o, const struct gitstore_oid *gzid, const char *hex)
{
	(void)hex;
	int n = gf_obj_read(s->repo, gzid, GITSTORE_BLOB, &s->rbuf, &s->rcap);
	if (n < 0)
		return;
	o->has_gzid = true;
	o->gzid = *gzid;
	o->gzdata = s->rbuf;
	s->rbuf = NULL;
	s->rcap = 0;
	if (!o->gzdata && !(o->gzdata = malloc(1)))
		return;
	o->gz = o->pub.content;
	o->gz.data = o->gzdata;
	o->gz.size = (uint64_t)n;
	char gzhex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(s->repo->algo, gzid, gzhex);
	snprintf(o->gzetag, sizeof o->gzetag, "\"%s\"", gzhex);
	o->gz.etag = (struct http_str){ (const uint8_t *)o->gzetag, strlen(o->gzetag) };
	o->gz.gzip = NULL;
	o->pub.content.gzip = &o->gz;
}

/* The object id of git type gtype (a blob served as media type `type`, a
 * tree, or a symbolic link's target: a blob with type {NULL, 0}), from the
 * cache or the repository; NULL when it cannot be read. The caller holds no
 * reference: valid until the next src_cache_trim. */
static struct gobj *obj_get(struct gsrc *s, const struct gitstore_oid *id, int gtype, struct http_str type,
	const struct gitstore_oid *gzid)
{
	uint32_t h = hash_of(id, type) ^ (uint32_t)gtype ^ (gzid ? hash_of(gzid, type) : 0);
	struct src_cnode *hit = src_cache_find(&s->cache, h, gobj_match, &(struct obj_key){ id, gtype, type, gzid });
	if (hit) {
		src_cache_touch(&s->cache, hit);
		return SRC_CNODE_OF(hit, struct gobj, cn);
	}
	int n = gf_obj_read(s->repo, id, gtype, &s->rbuf, &s->rcap);
	if (n < 0) {
		char hex[GITSTORE_HEX_MAX];
		gitstore_oid_to_hex(s->repo->algo, id, hex);
		cl_log(CL_LOG_ERROR, "reading %s %s: %s", gitstore_type_name(gtype), hex, gitstore_strerror(n));
		return NULL;
	}
	struct gobj *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	/* The read buffer becomes the object's; the next read grows a new one. */
	o->data = s->rbuf;
	o->len = (size_t)n;
	s->rbuf = NULL;
	s->rcap = 0;
	if (!o->data && !(o->data = malloc(1))) {
		free(o);
		return NULL;
	}
	o->id = *id;
	o->gtype = gtype;
	o->type = type;
	o->pub.kind = SRC_MISS;
	if (gtype == GITSTORE_BLOB && type.p) {
		char hex[GITSTORE_HEX_MAX];
		gitstore_oid_to_hex(s->repo->algo, id, hex);
		snprintf(o->etag, sizeof o->etag, "\"%s\"", hex);
		struct http_content *c = &o->pub.content;
		c->data = o->data;
		c->size = o->len;
		c->etag = (struct http_str){ (const uint8_t *)o->etag, strlen(o->etag) };
		c->mtime = -1;
		c->type = type;
		o->pub.kind = SRC_FILE;
		if (gzid)
			add_gz_blob(s, o, gzid, hex);
		else if (s->gzip_min && http_media_compressible(type) && o->len >= s->gzip_min &&
			 o->len <= s->gzip_max)
			add_gz_made(o, hex);
		o->prep = src_prepare(c);
	}
	o->cn.charge = o->len + o->gz.size;
	src_cache_insert(&s->cache, &o->cn, h);
	return o;
}

/* The entry named name in the tree id: 1 and *e, 0 when there is none or
 * the tree cannot be read. */
static int tree_find(struct gsrc *s, const struct gitstore_oid *id, const char *name, size_t len,
	struct gitstore_tree_entry *e)
{
	struct gobj *t = obj_get(s, id, GITSTORE_TREE, (struct http_str){ NULL, 0 }, NULL);
	if (!t)
		return 0;
	return gf_tree_find(s->repo->algo, t->data, t->len, name, len, e) == 1;
}

/* As the directory source's openat2(RESOLVE_BENEATH) resolves: symbolic
 * links are followed (40 at most, as Linux's ELOOP) when relative and
 * staying inside the served tree; an absolute one, or a ".." above the
 * root, is a miss. */

/* Resolves rest (a path, modified in place; NUL-terminated, at most
 * REST_MAX bytes) from the served tree: SRC_FILE with the blob's id in
 * *found, SRC_DIR, or SRC_MISS (missing, a file with more path after it, a
 * submodule, a link out of the tree, absolute, or in a loop). */
static enum src_kind resolve(struct gsrc *s, char *rest, struct gitstore_oid *found)
{
	char tmp[REST_MAX];
	struct gitstore_oid *stack = s->stack;
	int depth = 0, links = 0;
	stack[0] = s->tree;
	size_t pos = 0, rlen = strlen(rest);
	enum src_kind kind = SRC_MISS;
	while (pos < rlen) {
		const char *c = rest + pos;
		const char *slash = memchr(c, '/', rlen - pos);
		size_t n = slash ? (size_t)(slash - c) : rlen - pos;
		pos += n + (slash ? 1 : 0);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		kind = SRC_MISS;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (depth == 0)
				return SRC_MISS;
			depth--;
			kind = SRC_DIR;
			continue;
		}
		struct gitstore_tree_entry e;
		if (!tree_find(s, &stack[depth], c, n, &e))
			return SRC_MISS;
		if (e.mode == GITSTORE_MODE_LINK) {
			struct gobj *t;
			if (++links > MAX_LINKS ||
			    !(t = obj_get(s, &e.id, GITSTORE_BLOB, (struct http_str){ NULL, 0 }, NULL)) ||
			    t->len == 0 || t->data[0] == '/' || memchr(t->data, 0, t->len) ||
			    t->len + 1 + (rlen - pos) + 1 > sizeof tmp)
				return SRC_MISS;
			/* the target, then what was left of the path */
			memcpy(tmp, t->data, t->len);
			tmp[t->len] = '/';
			memcpy(tmp + t->len + 1, rest + pos, rlen - pos);
			rlen = t->len + 1 + (rlen - pos);
			memcpy(rest, tmp, rlen);
			rest[rlen] = 0;
			pos = 0;
			continue;
		}
		if (e.mode == GITSTORE_MODE_DIR) {
			if (depth + 1 >= MAX_DEPTH)
				return SRC_MISS;
			stack[++depth] = e.id;
			kind = SRC_DIR;
			continue;
		}
		if (e.mode != GITSTORE_MODE_FILE && e.mode != GITSTORE_MODE_EXEC)
			return SRC_MISS; /* a submodule */
		for (size_t k = pos; k < rlen; k++)
			if (rest[k] != '/')
				return SRC_MISS; /* more path after a file: ENOTDIR */
		kind = SRC_FILE;
		*found = e.id;
	}
	return kind;
}

/* What the directory source answers for the same tree on disk: "a/" is
 * a/index.html; "a" is a file, or a directory to redirect to; anything
 * else is a miss. */
static struct src_entry *lookup(struct gsrc *s, const char *path, size_t len)
{
	bool want_index = len == 0 || path[len - 1] == '/';
	/* The name the media type comes from, as the directory source's
	 * (the path asked for, not a link's target). */
	const char *name = want_index ? "index.html" : path;
	size_t name_len = want_index ? 10 : len;
	char rest[REST_MAX];
	if (len + 14 > sizeof rest)
		return &s->miss;
	memcpy(rest, path, len);
	memcpy(rest + len, want_index ? "index.html" : "", want_index ? 11 : 1);
	struct gitstore_oid found, gzid;
	enum src_kind kind = resolve(s, rest, &found);
	if (kind == SRC_DIR)
		return want_index ? &s->miss : &s->dir;
	if (kind != SRC_FILE)
		return &s->miss;
	/* A pointer into libhttp's table: part of the cache key. */
	struct http_str type = http_media_type((struct http_str){ (const uint8_t *)name, name_len });
	/* FILE.gz beside the name asked for, as the directory source opens it. */
	bool has_gz = false;
	if (s->gzip_min && http_media_compressible(type)) {
		memcpy(rest, path, len);
		memcpy(rest + len, want_index ? "index.html.gz" : ".gz", want_index ? 14 : 4);
		has_gz = resolve(s, rest, &gzid) == SRC_FILE;
	}
	struct gobj *o = obj_get(s, &found, GITSTORE_BLOB, type, has_gz ? &gzid : NULL);
	if (!o)
		return &s->miss;
	o->cn.refs++;
	return &o->pub;
}

static void git_begin(void *ctx, uint64_t now_ms)
{
	(void)now_ms;
	struct gsrc *s = ctx;
	gf_pub_get(&s->sh->pub, &s->gen, &s->commit, &s->tree);
}

static struct src_entry *git_get(void *ctx, const char *path, size_t len, uint64_t now_ms)
{
	(void)now_ms;
	struct gsrc *s = ctx;
	if (s->gen == 0) /* no begin yet: a request is not running */
		gf_pub_get(&s->sh->pub, &s->gen, &s->commit, &s->tree);
	struct src_entry *e = lookup(s, path, len);
	src_cache_trim(&s->cache);
	return e;
}

static void git_put(void *ctx, struct src_entry *e)
{
	struct gsrc *s = ctx;
	if (e == &s->miss || e == &s->dir)
		return;
	src_cache_put(&s->cache, &((struct gobj *)e)->cn);
}

static void git_reload(void *ctx)
{
	struct gsrc *s = ctx;
	gitsrc_trigger(s->sh);
}

static void git_close(void *ctx)
{
	struct gsrc *s = ctx;
	src_cache_fini(&s->cache);
	gf_repo_close(s->repo);
	free(s->rbuf);
	free(s);
}

static const struct src_ops git_ops = {
	.get = git_get,
	.put = git_put,
	.reload = git_reload,
	.close = git_close,
	.begin = git_begin,
};

int gitsrc_open(struct source *src, const struct gitsrc_cfg *cfg)
{
	struct gsrc *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	s->sh = cfg->shared;
	s->gzip_min = cfg->gzip_min;
	s->gzip_max = cfg->gzip_max;
	s->miss.kind = SRC_MISS;
	s->dir.kind = SRC_DIR;
	if (src_cache_init(&s->cache, NBUCKETS, cfg->cache_bytes, cfg->cache_entries, gobj_free_node) < 0) {
		free(s);
		return -1;
	}
	s->repo = gf_repo_open(s->sh->repo);
	if (!s->repo) {
		src_cache_fini(&s->cache);
		free(s);
		return -1;
	}
	src->ops = &git_ops;
	src->ctx = s;
	return 0;
}
