/*
 * upload-pack, sans I/O: git's upload-pack.c (v0) and serve.c/upload-pack.c's
 * upload_pack_v2 (v2) as a machine fed with request bytes that gives out
 * response bytes. Output is made into the caller's stage buffer and handed
 * out from there; pack bytes are framed on side-band band 1 as they leave.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

enum { S_READ, S_PACK, S_DRAIN_DONE, S_DONE };

static void plan_reuse(struct gitstore_upload *u);
enum { C_OFS = 1, C_THIN = 2, C_NOPROG = 4, C_INCTAG = 8 };

static const char agent[] = "agent=cloudlet/" GITSTORE_VERSION;

/* ---- the stage: pkt-lines made in place, with a sticky error */

static size_t line_begin(struct gitstore_upload *u)
{
	size_t at = u->priv.stage_len;
	u->priv.stage_len += 4;
	return at;
}

static void put(struct gitstore_upload *u, const void *p, size_t n)
{
	if (u->priv.err)
		return;
	if (u->priv.stage_len + n > u->priv.m.stage_cap) {
		u->priv.err = GITSTORE_ENOMEM;
		return;
	}
	memcpy(u->priv.m.stage + u->priv.stage_len, p, n);
	u->priv.stage_len += n;
}

static void puts_(struct gitstore_upload *u, const char *s)
{
	put(u, s, strlen(s));
}

static void put_hex(struct gitstore_upload *u, const struct gitstore_oid *id)
{
	char hex[GITSTORE_HEX_MAX];
	size_t n = gitstore_oid_to_hex(u->repo->algo, id, hex);
	put(u, hex, n);
}

static void line_end(struct gitstore_upload *u, size_t at)
{
	if (u->priv.err)
		return;
	size_t n = u->priv.stage_len - at;
	if (n > GITSTORE_PKT_MAX) {
		u->priv.err = GITSTORE_EPKT_TOOLONG;
		return;
	}
	gitstore_int_pkt_hdr(u->priv.m.stage + at, n);
}

static void put_line(struct gitstore_upload *u, const char *s)
{
	if (u->priv.stage_len + 4 > u->priv.m.stage_cap) {
		u->priv.err = u->priv.err ? u->priv.err : GITSTORE_ENOMEM;
		return;
	}
	size_t at = line_begin(u);
	puts_(u, s);
	line_end(u, at);
}

static void put_flush(struct gitstore_upload *u)
{
	put(u, "0000", 4);
}

/* What the walk keeps between calls: its objects and its table's size. */
static void walk_save(struct gitstore_upload *u, const struct gitstore_int_walk *w)
{
	u->priv.n = w->n;
	u->priv.wmask = w->mask;
}

/* An empty walk (a new fetch command). */
static void walk_reset(struct gitstore_upload *u)
{
	struct gitstore_upload_mem *m = &u->priv.m;
	struct gitstore_int_walk w;
	gitstore_int_walk_init(&w, u->repo, m->objs, m->nobjs, m->index, m->index_len, m->stack, m->obj, m->obj_cap);
	walk_save(u, &w);
}

static void walk_of(struct gitstore_upload *u, struct gitstore_int_walk *w)
{
	struct gitstore_upload_mem *m = &u->priv.m;
	w->r = u->repo;
	w->o = m->objs;
	w->cap = m->nobjs;
	w->n = u->priv.n;
	w->index = m->index;
	w->mask = u->priv.wmask;
	w->max_mask = m->index_len - 1;
	w->stack = m->stack;
	w->sp = 0;
	w->buf = m->obj;
	w->buf_cap = m->obj_cap;
}

/* Fail: the error is kept; the client gets it as ERR or on band 3. */
static int fail(struct gitstore_upload *u, int err)
{
	if (!u->priv.err || u->priv.err == GITSTORE_ENOMEM)
		u->priv.err = err;
	err = u->priv.err;
	bool band = u->priv.state == S_PACK && u->priv.sb_max;
	u->priv.stage_len = 0;
	u->priv.stage_off = 0;
	u->priv.stage_band = false;
	u->priv.state = S_DRAIN_DONE;
	/* Write the message with the error cleared, then restore it. */
	u->priv.err = 0;
	size_t at = line_begin(u);
	if (band)
		put(u, "\3", 1);
	else
		puts_(u, "ERR ");
	puts_(u, "upload-pack: ");
	puts_(u, gitstore_strerror(err));
	puts_(u, "\n");
	line_end(u, at);
	u->priv.err = err;
	return err;
}

int gitstore_upload_init(struct gitstore_upload *u, struct gitstore_repo *repo, int version, unsigned flags,
	const struct gitstore_upload_mem *mem)
{
	if (!repo || !mem || version < 0 || version > 2 || !mem->objs || mem->nobjs < 1 || !mem->index ||
		mem->index_len < 2 * mem->nobjs || (mem->index_len & (mem->index_len - 1)) || !mem->stack ||
		mem->in_cap < GITSTORE_PKT_MAX || !mem->obj || !mem->stage || mem->stage_cap < GITSTORE_PKT_MAX ||
		mem->deflate_cap < GITSTORE_DEFLATE_ARENA || mem->nobjs > UINT32_MAX / 2)
		return GITSTORE_EINVAL;
	memset(u, 0, sizeof *u);
	u->repo = repo;
	u->version = version == 2 ? 2 : 0;
	u->flags = flags;
	u->priv.m = *mem;
	gitstore_pktbuf_init(&u->priv.in, mem->in, mem->in_cap);
	gitstore_arena_init(&u->priv.deflate, mem->deflate, mem->deflate_cap);
	u->priv.state = S_READ;
	walk_reset(u);
	if (flags & GITSTORE_UPLOAD_STATELESS)
		return 0;
	int rc = 0;
	if ((flags & GITSTORE_UPLOAD_ADVERTISE) && u->version == 0) {
		put_line(u, "# service=git-upload-pack\n");
		put_flush(u);
	}
	if (u->version == 2) {
		put_line(u, "version 2\n");
		size_t at = line_begin(u);
		puts_(u, agent);
		puts_(u, "\n");
		line_end(u, at);
		put_line(u, "ls-refs\n");
		put_line(u, "fetch\n");
		put_line(u, repo->algo == GITSTORE_SHA256 ? "object-format=sha256\n" : "object-format=sha1\n");
		put_flush(u);
	} else {
		rc = gitstore_int_upload_advertise(u);
	}
	if (u->priv.err)
		rc = u->priv.err;
	if (flags & GITSTORE_UPLOAD_ADVERTISE)
		u->priv.state = S_DRAIN_DONE;
	return rc < 0 ? fail(u, rc) : 0;
}

/* ---- refs: the v0 advertisement and v2 ls-refs */

struct refs_ctx {
	struct gitstore_upload *u;
	bool first;           /* v0: the next line carries the capabilities */
	bool peel, symrefs;   /* v2 */
	struct gitstore_slice prefixes;
	int err;
};

/*
 * Reads made inside a ref walk's callback go through a copy of the
 * repository with its own arena (the pack writer's, idle then): the walk of
 * packed-refs keeps its line buffer in the repository's arena.
 */
static struct gitstore_repo *cb_repo(struct gitstore_upload *u, struct gitstore_repo *copy)
{
	*copy = *u->repo;
	gitstore_arena_init(&copy->arena, u->priv.m.deflate, u->priv.m.deflate_cap);
	return copy;
}

/* The object a tag finally names (packed-refs may know it); 0 and *out, 1 when id is no tag. */
static int peel(struct gitstore_upload *u, const struct gitstore_ref *ref, struct gitstore_oid *out)
{
	if (ref->peeled_known) {
		*out = ref->peeled;
		return gitstore_oid_cmp(&ref->peeled, &ref->id) == 0 ? 1 : 0;
	}
	struct gitstore_oid id = ref->id;
	for (int depth = 0; depth < 8; depth++) {
		int type;
		size_t needed;
		struct gitstore_repo copy;
		int rc = gitstore_obj_read(cb_repo(u, &copy), &id, &type, u->priv.m.obj, u->priv.m.obj_cap, &needed);
		if (rc < 0)
			return rc;
		if (type != GITSTORE_TAG) {
			*out = id;
			return depth == 0 ? 1 : 0;
		}
		struct gitstore_tag t;
		rc = gitstore_tag_parse(u->repo->algo, u->priv.m.obj, (size_t)rc, &t);
		if (rc < 0)
			return rc;
		id = t.object;
	}
	return GITSTORE_EPACK_DEPTH;
}

static void v0_caps(struct gitstore_upload *u)
{
	puts_(u, "multi_ack thin-pack side-band side-band-64k ofs-delta no-progress include-tag "
		"multi_ack_detailed allow-tip-sha1-in-want allow-reachable-sha1-in-want");
	struct gitstore_ref head;
	struct gitstore_repo copy;
	if (gitstore_ref_read(cb_repo(u, &copy), "HEAD", &head) == 0 && head.symbolic) {
		puts_(u, " symref=HEAD:");
		puts_(u, head.target);
	}
	puts_(u, u->repo->algo == GITSTORE_SHA256 ? " object-format=sha256 " : " object-format=sha1 ");
	puts_(u, agent);
}

static bool prefix_ok(struct refs_ctx *c, const char *name)
{
	if (c->prefixes.len == 0)
		return true;
	struct gitstore_slice sec = c->prefixes, line;
	struct gitstore_slice cmd = { (const uint8_t *)"ls-refs", 7 };
	while (gitstore_v2_next(&sec, &line)) {
		struct gitstore_v2_arg a;
		if (gitstore_v2_arg_parse(c->u->repo->algo, cmd, line, &a) == 0 && a.kind == GITSTORE_ARG_REF_PREFIX &&
			strlen(name) >= a.value.len && memcmp(name, a.value.p, a.value.len) == 0)
			return true;
	}
	return false;
}

static int one_ref(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct refs_ctx *c = arg;
	struct gitstore_upload *u = c->u;
	struct gitstore_oid id = ref->id;
	struct gitstore_repo copy;
	if (ref->symbolic && gitstore_ref_resolve(cb_repo(u, &copy), name, &id, NULL) < 0)
		return 0;   /* a dangling symbolic ref is not advertised, as in git */
	if (u->version == 2 && !prefix_ok(c, name))
		return 0;
	struct gitstore_ref direct = *ref;
	direct.id = id;
	if (ref->symbolic)
		direct.peeled_known = false;
	struct gitstore_oid peeled;
	int pr = peel(u, &direct, &peeled);
	if (pr < 0) {
		c->err = pr;
		return pr;
	}
	size_t at = line_begin(u);
	put_hex(u, &id);
	puts_(u, " ");
	puts_(u, name);
	if (u->version == 0) {
		if (c->first) {
			put(u, "", 1);
			v0_caps(u);
			c->first = false;
		}
		puts_(u, "\n");
		line_end(u, at);
		if (pr == 0) {
			at = line_begin(u);
			put_hex(u, &peeled);
			puts_(u, " ");
			puts_(u, name);
			puts_(u, "^{}\n");
			line_end(u, at);
		}
	} else {
		if (c->symrefs && ref->symbolic) {
			puts_(u, " symref-target:");
			puts_(u, ref->target);
		}
		if (c->peel && pr == 0) {
			puts_(u, " peeled:");
			put_hex(u, &peeled);
		}
		puts_(u, "\n");
		line_end(u, at);
	}
	return u->priv.err;
}

static int list_refs(struct refs_ctx *c)
{
	struct gitstore_ref head;
	int rc = gitstore_ref_read(c->u->repo, "HEAD", &head);
	if (rc == 0) {
		rc = one_ref(c, "HEAD", &head);
		if (rc < 0)
			return rc;
	}
	rc = gitstore_ref_list(c->u->repo, "refs/", one_ref, c);
	if (rc == GITSTORE_ENOENT)
		rc = 0;
	return c->err ? c->err : rc;
}

int gitstore_int_upload_advertise(struct gitstore_upload *u)
{
	struct refs_ctx c = { u, true, false, false, { NULL, 0 }, 0 };
	int rc = list_refs(&c);
	if (rc < 0)
		return rc;
	if (c.first) {
		/* No refs: capabilities on a line of their own (gitprotocol-pack.txt). */
		size_t at = line_begin(u);
		struct gitstore_oid zero;
		memset(&zero, 0, sizeof zero);
		put_hex(u, &zero);
		puts_(u, " capabilities^{}");
		put(u, "", 1);
		v0_caps(u);
		puts_(u, "\n");
		line_end(u, at);
	}
	put_flush(u);
	return u->priv.err;
}

/* ---- wants and haves */

static int want(struct gitstore_upload *u, const struct gitstore_oid *id)
{
	struct gitstore_int_walk w;
	walk_of(u, &w);
	int type;
	size_t needed, at;
	int rc = gitstore_obj_read(u->repo, id, &type, u->priv.m.obj, u->priv.m.obj_cap, &needed);
	if (rc == GITSTORE_ENOENT)
		return GITSTORE_EPROTO_WANT;
	if (rc < 0)
		return rc;
	rc = gitstore_int_walk_add(&w, id, type, &at);
	walk_save(u, &w);
	u->priv.got_wants = true;
	return rc < 0 ? rc : 0;
}

/* 1 when the repository has id (then marked as the client's), 0 when not. */
static int have(struct gitstore_upload *u, const struct gitstore_oid *id)
{
	struct gitstore_int_walk w;
	walk_of(u, &w);
	int type;
	size_t needed;
	int rc = gitstore_obj_read(u->repo, id, &type, u->priv.m.obj, u->priv.m.obj_cap, &needed);
	if (rc == GITSTORE_ENOENT || rc == GITSTORE_ENOMEM)
		return 0;   /* a have too large to read is treated as unknown: we send more, never less */
	if (rc < 0)
		return rc;
	rc = gitstore_int_walk_mark_have(&w, id, type);
	walk_save(u, &w);
	if (rc < 0)
		return rc;
	u->priv.nhaves++;
	u->priv.last_have = *id;
	return 1;
}

static int tag_each(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct gitstore_upload *u = arg;
	struct gitstore_int_walk w;
	walk_of(u, &w);
	if (ref->symbolic || gitstore_int_walk_find(&w, &ref->id) >= 0)
		return 0;
	int type;
	size_t needed, at;
	struct gitstore_repo copy;
	int rc = gitstore_obj_read(cb_repo(u, &copy), &ref->id, &type, u->priv.m.obj, u->priv.m.obj_cap, &needed);
	if (rc < 0 || type != GITSTORE_TAG)
		return 0;
	struct gitstore_tag t;
	if (gitstore_tag_parse(u->repo->algo, u->priv.m.obj, (size_t)rc, &t) < 0)
		return 0;
	long i = gitstore_int_walk_find(&w, &t.object);
	if (i < 0 || !gitstore_int_walk_sends(&w, (size_t)i))
		return 0;
	rc = gitstore_int_walk_add(&w, &ref->id, GITSTORE_TAG, &at);
	walk_save(u, &w);
	return rc < 0 ? rc : 0;
}

/* The walk, then the pack's header goes out. */
static int start_pack(struct gitstore_upload *u)
{
	struct gitstore_int_walk w;
	walk_of(u, &w);
	int rc = gitstore_int_walk_run(&w);
	walk_save(u, &w);
	if (rc < 0)
		return rc;
	if (u->priv.caps & C_INCTAG) {
		rc = gitstore_ref_list(u->repo, "refs/tags/", tag_each, u);
		if (rc < 0 && rc != GITSTORE_ENOENT)
			return rc;
		walk_of(u, &w);
	}
	uint32_t count = 0;
	for (size_t i = 0; i < w.n; i++)
		count += gitstore_int_walk_sends(&w, i);
	plan_reuse(u);
	u->priv.nsend = count;
	u->priv.next = 0;
	u->priv.state = S_PACK;
	size_t at = u->priv.stage_len;
	if (at + 12 > u->priv.m.stage_cap)
		return GITSTORE_ENOMEM;
	u->priv.w.arena = &u->priv.deflate;
	rc = gitstore_pack_writer_begin(&u->priv.w, u->repo->algo, count, &u->priv.deflate,
		u->priv.m.stage + at, u->priv.m.stage_cap - at);
	if (rc < 0)
		return rc;
	/* The header joins the stage: framed on band 1 once the plain part before it is out. */
	u->priv.stage_len += (size_t)rc;
	u->priv.stage_band = u->priv.sb_max > 0;
	u->priv.pack_at = at;
	return 0;
}

static void ack(struct gitstore_upload *u, const struct gitstore_oid *id, const char *suffix)
{
	size_t at = line_begin(u);
	puts_(u, "ACK ");
	put_hex(u, id);
	puts_(u, suffix);
	line_end(u, at);
}

/* ---- v0: one packet at a time (upload-pack.c receive_needs, get_common_commits) */

static int v0_caps_of(struct gitstore_upload *u, struct gitstore_slice caps)
{
	size_t i = 0;
	while (i < caps.len) {
		while (i < caps.len && caps.p[i] == ' ')
			i++;
		size_t s = i;
		while (i < caps.len && caps.p[i] != ' ')
			i++;
		size_t n = i - s;
		const uint8_t *p = caps.p + s;
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(p, lit, n) == 0)
		if (IS("multi_ack_detailed"))
			u->priv.multi_ack = 2;
		else if (IS("multi_ack") && u->priv.multi_ack == 0)
			u->priv.multi_ack = 1;
		else if (IS("side-band-64k"))
			u->priv.sb_max = GITSTORE_SIDEBAND_MAX;
		else if (IS("side-band") && u->priv.sb_max == 0)
			u->priv.sb_max = 995;   /* side-band: packets of at most 1000 bytes */
		else if (IS("ofs-delta"))
			u->priv.caps |= C_OFS;
		else if (IS("thin-pack"))
			u->priv.caps |= C_THIN;
		else if (IS("no-progress"))
			u->priv.caps |= C_NOPROG;
		else if (IS("include-tag"))
			u->priv.caps |= C_INCTAG;
#undef IS
	}
	return 0;
}

static bool text_is(struct gitstore_slice t, const char *lit)
{
	return t.len == strlen(lit) && memcmp(t.p, lit, t.len) == 0;
}

static int v0_packet(struct gitstore_upload *u, const struct gitstore_pkt *p)
{
	size_t h = 2 * gitstore_hash_len(u->repo->algo);
	struct gitstore_slice t = gitstore_pkt_text(p);
	struct gitstore_oid id;
	if (p->kind == GITSTORE_PKT_FLUSH) {
		if (!u->priv.got_wants) {
			if (u->priv.n == 0) {
				/* The client wants nothing (ls-remote, or up to date). */
				u->priv.state = S_DRAIN_DONE;
				return 0;
			}
			u->priv.got_wants = true;
			return 0;
		}
		if (u->priv.nhaves == 0 || u->priv.multi_ack)
			put_line(u, "NAK\n");
		if (u->flags & GITSTORE_UPLOAD_STATELESS)
			u->priv.state = S_DRAIN_DONE;
		return u->priv.err;
	}
	if (p->kind != GITSTORE_PKT_DATA)
		return GITSTORE_EPROTO_STATE;
	if (t.len >= 5 && memcmp(t.p, "want ", 5) == 0) {
		if (u->priv.got_wants)
			return GITSTORE_EPROTO_STATE;
		if (t.len < 5 + h || (t.len > 5 + h && t.p[5 + h] != ' ') ||
			gitstore_oid_from_hex(u->repo->algo, (const char *)t.p + 5, h, &id) < 0)
			return GITSTORE_EPROTO_LINE;
		if (u->priv.n == 0 && t.len > 5 + h) {
			struct gitstore_slice caps = { t.p + 5 + h + 1, t.len - 5 - h - 1 };
			v0_caps_of(u, caps);
		}
		int rc = want(u, &id);
		u->priv.got_wants = false;   /* still reading wants until the flush */
		return rc;
	}
	if (t.len >= 8 && (memcmp(t.p, "shallow ", 8) == 0 || memcmp(t.p, "deepen", 6) == 0 || memcmp(t.p, "filter ", 7) == 0))
		return GITSTORE_EV2_UNSUPPORTED;
	if (!u->priv.got_wants)
		return GITSTORE_EPROTO_STATE;
	if (t.len >= 5 && memcmp(t.p, "have ", 5) == 0) {
		if (t.len != 5 + h || gitstore_oid_from_hex(u->repo->algo, (const char *)t.p + 5, h, &id) < 0)
			return GITSTORE_EPROTO_LINE;
		int rc = have(u, &id);
		if (rc < 0)
			return rc;
		/* ok_to_give_up is never claimed: no "ready", the client goes on to "done". */
		if (rc == 1) {
			if (u->priv.multi_ack == 2)
				ack(u, &id, " common\n");
			else if (u->priv.multi_ack == 1)
				ack(u, &id, " continue\n");
			else if (u->priv.nhaves == 1)
				ack(u, &id, "\n");
		}
		return u->priv.err;
	}
	if (text_is(t, "done")) {
		if (u->priv.nhaves > 0) {
			if (u->priv.multi_ack)
				ack(u, &u->priv.last_have, "\n");
		} else {
			put_line(u, "NAK\n");
		}
		if (u->priv.err)
			return u->priv.err;
		return start_pack(u);
	}
	return GITSTORE_EPROTO_LINE;
}

/* ---- v2: whole requests (upload-pack.c upload_pack_v2, ls-refs.c) */

static int v2_ls_refs(struct gitstore_upload *u, const struct gitstore_v2_request *r)
{
	struct refs_ctx c = { u, false, false, false, { NULL, 0 }, 0 };
	struct gitstore_slice sec = r->args, line;
	bool any_prefix = false;
	while (gitstore_v2_next(&sec, &line)) {
		struct gitstore_v2_arg a;
		int rc = gitstore_v2_arg_parse(u->repo->algo, r->command, line, &a);
		if (rc < 0)
			return rc;
		if (a.kind == GITSTORE_ARG_PEEL)
			c.peel = true;
		else if (a.kind == GITSTORE_ARG_SYMREFS)
			c.symrefs = true;
		else if (a.kind == GITSTORE_ARG_REF_PREFIX)
			any_prefix = true;
	}
	if (any_prefix)
		c.prefixes = r->args;
	int rc = list_refs(&c);
	if (rc < 0)
		return rc;
	put_flush(u);
	return u->priv.err;
}

static int v2_fetch(struct gitstore_upload *u, const struct gitstore_v2_request *r)
{
	bool done = false;
	walk_reset(u);
	u->priv.nhaves = 0;
	u->priv.got_wants = false;
	/* Wants first, so a have cannot hide what is wanted before it is read. */
	for (int pass = 0; pass < 2; pass++) {
		struct gitstore_slice sec = r->args, line;
		while (gitstore_v2_next(&sec, &line)) {
			struct gitstore_v2_arg a;
			int rc = gitstore_v2_arg_parse(u->repo->algo, r->command, line, &a);
			if (rc < 0)
				return rc;
			if (pass == 0) {
				if (a.kind == GITSTORE_ARG_WANT)
					rc = want(u, &a.id);
				else if (a.kind == GITSTORE_ARG_DONE)
					done = true;
				else if (a.kind == GITSTORE_ARG_OFS_DELTA)
					u->priv.caps |= C_OFS;
				else if (a.kind == GITSTORE_ARG_THIN_PACK)
					u->priv.caps |= C_THIN;
				else if (a.kind == GITSTORE_ARG_NO_PROGRESS)
					u->priv.caps |= C_NOPROG;
				else if (a.kind == GITSTORE_ARG_INCLUDE_TAG)
					u->priv.caps |= C_INCTAG;
			} else if (a.kind == GITSTORE_ARG_HAVE) {
				rc = have(u, &a.id);
				if (rc == 1 && !done)
					ack(u, &a.id, "\n");
			}
			if (rc < 0)
				return rc;
		}
		if (pass == 0 && !u->priv.got_wants)
			return GITSTORE_EPROTO_STATE;
		if (pass == 0 && !done) {
			/* The acknowledgments section, its ACK lines filled in by the second pass. */
			put_line(u, "acknowledgments\n");
		}
	}
	if (!done) {
		/* Never "ready": the client sends "done" when it has said enough. */
		if (u->priv.nhaves == 0)
			put_line(u, "NAK\n");
		put_flush(u);
		if (u->flags & GITSTORE_UPLOAD_STATELESS)
			u->priv.state = S_DRAIN_DONE;
		return u->priv.err;
	}
	put_line(u, "packfile\n");
	u->priv.sb_max = GITSTORE_SIDEBAND_MAX;
	if (u->priv.err)
		return u->priv.err;
	return start_pack(u);
}

static int v2_request(struct gitstore_upload *u)
{
	struct gitstore_slice rest = gitstore_pktbuf_rest(&u->priv.in);
	if (rest.len >= 4 && memcmp(rest.p, "0000", 4) == 0) {
		/* A flush where a command would start: the client is finished. */
		gitstore_pktbuf_skip(&u->priv.in, 4);
		u->priv.state = S_DRAIN_DONE;
		return 0;
	}
	struct gitstore_v2_request r;
	int rc = gitstore_v2_request_parse(rest.p, rest.len, &r);
	if (rc == GITSTORE_EAGAIN) {
		if (rest.len == u->priv.in.cap)
			return GITSTORE_ENOMEM;
		return rc;
	}
	if (rc < 0)
		return rc;
	size_t used = (size_t)rc;
	if (text_is(r.command, "ls-refs"))
		rc = v2_ls_refs(u, &r);
	else if (text_is(r.command, "fetch"))
		rc = v2_fetch(u, &r);
	else
		rc = GITSTORE_EV2_COMMAND;
	gitstore_pktbuf_skip(&u->priv.in, used);
	if (rc == 0 && u->priv.state == S_READ && (u->flags & GITSTORE_UPLOAD_STATELESS))
		u->priv.state = S_DRAIN_DONE;
	return rc;
}

int gitstore_upload_input(struct gitstore_upload *u, const uint8_t *data, size_t len)
{
	if (u->priv.err)
		return u->priv.err;
	if (u->priv.state != S_READ)
		return 0;
	size_t taken = gitstore_pktbuf_feed(&u->priv.in, data, len);
	while (u->priv.state == S_READ) {
		int rc;
		if (u->version == 2) {
			rc = v2_request(u);
		} else {
			struct gitstore_pkt p;
			rc = gitstore_pktbuf_next(&u->priv.in, &p);
			if (rc == 1)
				rc = v0_packet(u, &p);
		}
		if (rc == GITSTORE_EAGAIN)
			break;
		if (rc < 0)
			return fail(u, rc);
	}
	return (int)taken;
}

int gitstore_upload_input_end(struct gitstore_upload *u)
{
	if (u->priv.err)
		return u->priv.err;
	if (u->priv.state != S_READ)
		return 0;
	if (gitstore_pktbuf_rest(&u->priv.in).len == 0 && !(u->flags & GITSTORE_UPLOAD_STATELESS) &&
		u->priv.stage_len == u->priv.stage_off) {
		/* The peer closed between requests. */
		u->priv.state = S_DONE;
		return 0;
	}
	if (gitstore_pktbuf_rest(&u->priv.in).len == 0 && u->version == 0 && u->priv.got_wants &&
		(u->flags & GITSTORE_UPLOAD_STATELESS)) {
		u->priv.state = S_DRAIN_DONE;
		return 0;
	}
	return fail(u, GITSTORE_EEOF);
}

/* ---- reusing the repository's pack entries */

#define SENT(o) (!((o)->flags & GITSTORE_INT_W_UNINT))

/*
 * The order objects go out in: those sent first, those from packs before
 * loose ones, then by pack and offset (so a delta comes after its base, as
 * in the repository's pack, and reads go forward through it). A key per
 * object says all of it.
 */
static uint64_t order_key(const struct gitstore_walk_obj *o)
{
	return (uint64_t)!SENT(o) << 63 | (uint64_t)(o->src_pack == 0) << 62 | (uint64_t)o->src_pack << 46 |
		(o->src_off & ((1ull << 46) - 1));
}

static void sift(uint32_t *ord, const struct gitstore_walk_obj *o, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && order_key(&o[ord[c + 1]]) > order_key(&o[ord[c]]))
			c++;
		if (order_key(&o[ord[root]]) >= order_key(&o[ord[c]]))
			return;
		uint32_t t = ord[root];
		ord[root] = ord[c];
		ord[c] = t;
		root = c;
	}
}

struct okey {
	uint64_t key;
	uint64_t i;
};

/*
 * ord[0..n) = the objects' indexes in that order. An LSD radix sort of
 * (key, index) pairs, 11 bits a pass and only over the bits that differ
 * (a clone of one pack: the offsets' 20-30 bits, three passes), in the
 * object buffer, which is free between the walk and the pack; a heapsort
 * of ord where that buffer is too small.
 */
static void order_objects(struct gitstore_upload *u, uint32_t *ord, size_t n)
{
	const struct gitstore_walk_obj *o = u->priv.m.objs;
	uint8_t *mem = u->priv.m.obj;
	if (u->priv.m.obj_cap / (2 * sizeof(struct okey)) < n || ((uintptr_t)mem & 7)) {
		for (size_t i = 0; i < n; i++)
			ord[i] = (uint32_t)i;
		for (size_t i = n / 2; i-- > 0;)
			sift(ord, o, i, n);
		for (size_t end = n; end-- > 1;) {
			uint32_t t = ord[0];
			ord[0] = ord[end];
			ord[end] = t;
			sift(ord, o, 0, end);
		}
		return;
	}
	struct okey *a = (struct okey *)(void *)mem, *b = a + n;
	uint64_t all_or = 0, all_and = ~0ull;
	for (size_t i = 0; i < n; i++) {
		a[i].key = order_key(&o[i]);
		a[i].i = i;
		all_or |= a[i].key;
		all_and &= a[i].key;
	}
	uint64_t differ = all_or ^ all_and;
	for (unsigned shift = 0; shift < 64; shift += 11) {
		uint64_t mask = 2047;
		if (!((differ >> shift) & mask))
			continue;
		uint32_t count[2048];
		memset(count, 0, sizeof count);
		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift) & mask]++;
		uint32_t sum = 0;
		for (size_t d = 0; d < 2048; d++) {
			uint32_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].key >> shift) & mask]++] = a[i];
		struct okey *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = (uint32_t)a[i].i;
}

static uint32_t *off_slot(struct gitstore_upload *u, uint16_t pack, uint64_t off)
{
	size_t mask = u->priv.omask;
	uint64_t h = (off * 0x9e3779b97f4a7c15ull) ^ pack;
	for (size_t k = (size_t)(h >> 32) & mask;; k = (k + 1) & mask) {
		uint32_t *s = &u->priv.m.index[k];
		if (*s == 0)
			return s;
		const struct gitstore_walk_obj *o = &u->priv.m.objs[*s - 1];
		if (o->src_pack == pack && o->src_off == off)
			return s;
	}
}

/*
 * Find where each object to send lies in the repository's packs, order the
 * table (in the walk's stack, which is free now) and index it by (pack,
 * offset). The id index is not needed any more: the table is used only in
 * that order from here.
 */
static void plan_reuse(struct gitstore_upload *u)
{
	struct gitstore_repo *r = u->repo;
	struct gitstore_walk_obj *o = u->priv.m.objs;
	size_t n = u->priv.n;
	for (size_t i = 0; i < n; i++) {
		o[i].src_pack = 0;
		o[i].src_pos = 0;
		o[i].src_off = 0;
		o[i].out_off = 0;
		for (size_t k = 0; SENT(&o[i]) && k < r->priv.npacks && k < 65535; k++) {
			uint64_t off;
			uint32_t pos;
			if (r->priv.packs[k].idx && gitstore_idx_find(r->priv.packs[k].idx, &o[i].id, &pos, &off) == 0) {
				o[i].src_pack = (uint16_t)(k + 1);
				o[i].src_pos = pos;
				o[i].src_off = off;
				break;
			}
		}
	}
	/* the walk's stack is free now: it holds the order */
	order_objects(u, u->priv.m.stack, n);
	/* a table at most half full, in the memory the id index had */
	size_t size = 16;
	while (size < 2 * n && size < u->priv.m.index_len)
		size *= 2;
	u->priv.omask = size - 1;
	memset(u->priv.m.index, 0, size * sizeof *u->priv.m.index);
	for (size_t i = 0; i < n; i++)
		if (o[i].src_pack)
			*off_slot(u, o[i].src_pack, o[i].src_off) = (uint32_t)(i + 1);
}

/* Copy object o's entry from its pack into the stage: bytes written, or <0 to write it whole instead. */
static int reuse(struct gitstore_upload *u, struct gitstore_walk_obj *o)
{
	if (!o->src_pack)
		return -1;
	struct gitstore_pack *p = &u->repo->priv.packs[o->src_pack - 1];
	struct gitstore_pack_entry e;
	uint64_t end;
	uint32_t crc;
	if (!p->data || gitstore_pack_entry(p, o->src_off, &e) < 0 || gitstore_int_entry_extent(p, &e, NULL, NULL, &end) < 0 ||
		gitstore_idx_entry(p->idx, o->src_pos, NULL, NULL, &crc) < 0)
		return -1;
	size_t len = (size_t)(end - o->src_off), hl = (size_t)e.header_len;
	if (gitstore_int_crc32(0, p->data + o->src_off, len, &u->priv.cpu) != crc || len + 64 > u->priv.m.stage_cap)
		return -1;
	uint8_t *out = u->priv.m.stage;
	if (e.type >= GITSTORE_COMMIT && e.type <= GITSTORE_TAG) {
		memcpy(out, p->data + o->src_off, len);
		return (int)len;
	}
	uint64_t base_off = e.base_offset;
	if (e.type == GITSTORE_REF_DELTA && gitstore_idx_find(p->idx, &e.base_id, NULL, &base_off) < 0)
		return -1;
	uint32_t s = *off_slot(u, o->src_pack, base_off);
	if (!s)
		return -1;
	const struct gitstore_walk_obj *base = &u->priv.m.objs[s - 1];
	if (!SENT(base) || base->out_off == 0)
		return -1;
	size_t n;
	if (u->priv.caps & C_OFS) {
		n = gitstore_pack_entry_header(out, GITSTORE_OFS_DELTA, e.size, u->priv.w.offset - base->out_off);
	} else {
		n = gitstore_pack_entry_header(out, GITSTORE_REF_DELTA, e.size, 0);
		size_t h = gitstore_hash_len(u->repo->algo);
		memcpy(out + n, base->id.b, h);
		n += h;
	}
	memcpy(out + n, p->data + o->src_off + hl, len - hl);
	return (int)(n + len - hl);
}

/* Refill the stage with the next object of the pack, its trailer, or the end. */
static int pack_more(struct gitstore_upload *u)
{
	struct gitstore_int_walk w;
	walk_of(u, &w);
	u->priv.stage_len = 0;
	u->priv.stage_off = 0;
	const uint32_t *ord = u->priv.m.stack;
	while (u->priv.next < w.n && !gitstore_int_walk_sends(&w, ord[u->priv.next]))
		u->priv.next++;
	if (u->priv.next < w.n) {
		struct gitstore_walk_obj *o = &w.o[ord[u->priv.next++]];
		uint64_t at = u->priv.w.offset;
		int rc = reuse(u, o);
		if (rc > 0) {
			gitstore_hash_update(&u->priv.w.hash, u->priv.m.stage, (size_t)rc);
			u->priv.w.offset += (uint64_t)rc;
			u->priv.w.written++;
		} else {
			int type;
			size_t needed;
			rc = gitstore_obj_read(u->repo, &o->id, &type, u->priv.m.obj, u->priv.m.obj_cap, &needed);
			if (rc < 0)
				return rc;
			u->priv.w.arena = &u->priv.deflate;
			rc = gitstore_pack_writer_object(&u->priv.w, type, u->priv.m.obj, (size_t)rc, u->priv.m.stage,
				u->priv.m.stage_cap, NULL);
			if (rc < 0)
				return rc;
		}
		o->out_off = at;
		u->priv.stage_len = (size_t)rc;
		u->priv.stage_band = u->priv.sb_max > 0;
		return 0;
	}
	if (u->priv.next == w.n) {
		struct gitstore_oid sum;
		int rc = gitstore_pack_writer_finish(&u->priv.w, u->priv.m.stage, u->priv.m.stage_cap, &sum);
		if (rc < 0)
			return rc;
		u->priv.next++;
		u->priv.stage_len = (size_t)rc;
		u->priv.stage_band = u->priv.sb_max > 0;
		return 0;
	}
	/* After the pack: a flush ends the side-band stream (v0) or the packfile section (v2). */
	u->priv.stage_band = false;
	if (u->priv.sb_max)
		put_flush(u);
	bool again = u->version == 2 && !(u->flags & GITSTORE_UPLOAD_STATELESS);
	u->priv.state = again ? S_READ : S_DRAIN_DONE;
	walk_reset(u);
	return u->priv.err;
}

int gitstore_upload_output(struct gitstore_upload *u, uint8_t *out, size_t cap)
{
	if (cap < 6)
		return GITSTORE_EINVAL;
	size_t n = 0;
	while (n + 6 <= cap) {
		size_t avail = u->priv.stage_len - u->priv.stage_off;
		if (avail == 0) {
			if (u->priv.state == S_PACK) {
				int rc = pack_more(u);
				if (rc < 0)
					rc = fail(u, rc);
				continue;
			}
			if (u->priv.state == S_DRAIN_DONE)
				u->priv.state = S_DONE;
			u->priv.stage_len = u->priv.stage_off = 0;
			break;
		}
		uint8_t *src = u->priv.m.stage + u->priv.stage_off;
		/* Plain bytes before the pack's start go out as they are. */
		bool band = u->priv.stage_band && !(u->priv.state == S_PACK && u->priv.stage_off < u->priv.pack_at);
		if (u->priv.stage_band && u->priv.stage_off < u->priv.pack_at)
			avail = u->priv.pack_at - u->priv.stage_off;
		if (band) {
			size_t k = avail < u->priv.sb_max ? avail : u->priv.sb_max;
			if (k > cap - n - 5)
				k = cap - n - 5;
			gitstore_int_pkt_hdr(out + n, k + 5);
			out[n + 4] = GITSTORE_BAND_DATA;
			memcpy(out + n + 5, src, k);
			n += k + 5;
			u->priv.stage_off += k;
		} else {
			size_t k = avail < cap - n ? avail : cap - n;
			memcpy(out + n, src, k);
			n += k;
			u->priv.stage_off += k;
		}
		if (u->priv.stage_off == u->priv.stage_len)
			u->priv.pack_at = 0;
	}
	if (n == 0 && u->priv.err && u->priv.state == S_DONE)
		return u->priv.err;
	return (int)n;
}

bool gitstore_upload_done(const struct gitstore_upload *u)
{
	return u->priv.state == S_DONE;
}

uint32_t gitstore_upload_sent(const struct gitstore_upload *u)
{
	return u->priv.nsend;
}
