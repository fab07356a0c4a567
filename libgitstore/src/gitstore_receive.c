/*
 * receive-pack, sans I/O (git's builtin/receive-pack.c): advertisement,
 * commands, the pack read whole and checked, refs moved with
 * compare-and-swap, report-status.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

enum { R_CMDS, R_PACK, R_DRAIN_DONE, R_DONE };

static const char agent[] = "agent=cloudlet/" GITSTORE_VERSION;

/* ---- the stage (as in gitstore_upload.c) */

static void put(struct gitstore_receive *rc, const void *p, size_t n)
{
	if (rc->priv.err)
		return;
	if (rc->priv.stage_len + n > rc->priv.m.stage_cap) {
		rc->priv.err = GITSTORE_ENOMEM;
		return;
	}
	memcpy(rc->priv.m.stage + rc->priv.stage_len, p, n);
	rc->priv.stage_len += n;
}

static void puts_(struct gitstore_receive *rc, const char *s)
{
	put(rc, s, strlen(s));
}

static size_t line_begin(struct gitstore_receive *rc)
{
	size_t at = rc->priv.stage_len;
	put(rc, "0000", 4);
	return at;
}

static void line_end(struct gitstore_receive *rc, size_t at)
{
	if (!rc->priv.err)
		gitstore_int_pkt_hdr(rc->priv.m.stage + at, rc->priv.stage_len - at);
}

static void put_hex(struct gitstore_receive *rc, const struct gitstore_oid *id)
{
	char hex[GITSTORE_HEX_MAX];
	put(rc, hex, gitstore_oid_to_hex(rc->repo->algo, id, hex));
}

static struct gitstore_pack *pack_of(struct gitstore_receive *rc)
{
	/* Pointers into this struct are set on each use, so it may move. */
	rc->priv.pack.idx = &rc->priv.idx;
	rc->priv.pack.arena = &rc->priv.arena;
	return &rc->priv.pack;
}

/* ---- the advertisement */

struct adv {
	struct gitstore_receive *rc;
	bool first;
};

static void caps(struct gitstore_receive *rc)
{
	put(rc, "", 1);
	puts_(rc, "report-status delete-refs atomic ofs-delta side-band-64k quiet no-thin");
	puts_(rc, rc->repo->algo == GITSTORE_SHA256 ? " object-format=sha256 " : " object-format=sha1 ");
	puts_(rc, agent);
}

static int adv_one(void *arg, const char *name, const struct gitstore_ref *ref)
{
	struct adv *a = arg;
	if (ref->symbolic)
		return 0;   /* git advertises symbolic refs under refs/ as .have at most: skip */
	size_t at = line_begin(a->rc);
	put_hex(a->rc, &ref->id);
	puts_(a->rc, " ");
	puts_(a->rc, name);
	if (a->first)
		caps(a->rc);
	a->first = false;
	puts_(a->rc, "\n");
	line_end(a->rc, at);
	return a->rc->priv.err;
}

static int advertise(struct gitstore_receive *rc)
{
	if (rc->flags & GITSTORE_RECEIVE_ADVERTISE) {
		size_t at = line_begin(rc);
		puts_(rc, "# service=git-receive-pack\n");
		line_end(rc, at);
		put(rc, "0000", 4);
	}
	struct adv a = { rc, true };
	int r = gitstore_ref_list(rc->repo, "refs/", adv_one, &a);
	if (r < 0 && r != GITSTORE_ENOENT)
		return r;
	if (a.first) {
		size_t at = line_begin(rc);
		struct gitstore_oid zero;
		memset(&zero, 0, sizeof zero);
		put_hex(rc, &zero);
		puts_(rc, " capabilities^{}");
		caps(rc);
		puts_(rc, "\n");
		line_end(rc, at);
	}
	put(rc, "0000", 4);
	return rc->priv.err;
}

int gitstore_receive_init(struct gitstore_receive *rc, struct gitstore_repo *repo, unsigned flags,
	const struct gitstore_receive_mem *m, gitstore_receive_check_fn check, void *check_ctx)
{
	if (!repo || !m || !m->in || m->in_cap < GITSTORE_PKT_MAX || !m->cmds || !m->ncmds || !m->pack ||
		m->pack_cap < 32 || !m->slots || !m->idx || !m->obj || !m->scratch || !m->arena ||
		m->arena_cap < GITSTORE_INFLATE_ARENA || !m->objs || !m->nobjs || !m->index ||
		m->index_len < 2 * m->nobjs || (m->index_len & (m->index_len - 1)) || !m->stack || !m->stage ||
		m->stage_cap < GITSTORE_PKT_MAX || m->obj_cap < 4096)
		return GITSTORE_EINVAL;
	memset(rc, 0, sizeof *rc);
	rc->repo = repo;
	rc->flags = flags;
	rc->check = check;
	rc->check_ctx = check_ctx;
	rc->priv.m = *m;
	gitstore_pktbuf_init(&rc->priv.in, m->in, m->in_cap);
	gitstore_arena_init(&rc->priv.arena, m->arena, m->arena_cap);
	rc->priv.state = R_CMDS;
	if (flags & GITSTORE_RECEIVE_STATELESS)
		return 0;
	int r = advertise(rc);
	if (flags & GITSTORE_RECEIVE_ADVERTISE)
		rc->priv.state = R_DRAIN_DONE;
	if (r < 0) {
		rc->priv.err = r;
		rc->priv.state = R_DRAIN_DONE;
	}
	return r;
}

/* ---- reading objects: the pushed pack first, then the repository */

int gitstore_receive_obj_read(struct gitstore_receive *rc, const struct gitstore_oid *id, int *type,
	uint8_t *buf, size_t cap, size_t *needed)
{
	uint64_t off;
	if (rc->priv.have_pack && gitstore_idx_find(&rc->priv.idx, id, NULL, &off) == 0) {
		struct gitstore_pack_buf b = { buf, cap, rc->priv.m.scratch, rc->priv.m.scratch_cap, 0, 0 };
		int r = gitstore_pack_read(pack_of(rc), off, &b, type);
		if (r == GITSTORE_ENOMEM && needed)
			*needed = b.out_needed > cap ? b.out_needed : b.scratch_needed;
		return r;
	}
	return gitstore_obj_read(rc->repo, id, type, buf, cap, needed);
}

static bool in_pack(struct gitstore_receive *rc, const struct gitstore_oid *id)
{
	return rc->priv.have_pack && gitstore_idx_find(&rc->priv.idx, id, NULL, NULL) == 0;
}

/* The repository has id (in a pack or loose), without reading it. */
static bool in_repo(struct gitstore_receive *rc, const struct gitstore_oid *id)
{
	struct gitstore_repo *r = rc->repo;
	for (size_t i = 0; i < r->priv.npacks; i++)
		if (r->priv.packs[i].idx && gitstore_idx_find(r->priv.packs[i].idx, id, NULL, NULL) == 0)
			return true;
	int type;
	uint64_t size;
	return gitstore_loose_stat(r, id, &type, &size) == 0;
}

static void walk_of(struct gitstore_receive *rc, struct gitstore_int_walk *w)
{
	struct gitstore_receive_mem *m = &rc->priv.m;
	gitstore_int_walk_init(w, rc->repo, m->objs, m->nobjs, m->index, m->index_len, m->stack, m->obj, m->obj_cap);
}

static int push_new(struct gitstore_int_walk *w, const struct gitstore_oid *id, int type)
{
	size_t at;
	int r = gitstore_int_walk_add(w, id, type, &at);
	if (r == 1) {
		if (w->sp == w->cap)
			return GITSTORE_ENOMEM;
		w->stack[w->sp++] = (uint32_t)at;
	}
	return r < 0 ? r : 0;
}

/* Everything tip reaches is in the pack or in the repository: 0, GITSTORE_ENOENT, or an error. */
static int connected(struct gitstore_receive *rc, const struct gitstore_oid *tip)
{
	struct gitstore_int_walk w;
	walk_of(rc, &w);
	int r = push_new(&w, tip, 0);
	while (r == 0 && w.sp) {
		struct gitstore_walk_obj *o = &w.o[w.stack[--w.sp]];
		struct gitstore_oid id = o->id;
		if (!in_pack(rc, &id)) {
			if (!in_repo(rc, &id))
				return GITSTORE_ENOENT;
			continue;   /* stored objects are taken as connected */
		}
		int type;
		size_t needed;
		r = gitstore_receive_obj_read(rc, &id, &type, w.buf, w.buf_cap, &needed);
		if (r < 0)
			return r;
		size_t len = (size_t)r;
		r = 0;
		if (type == GITSTORE_COMMIT) {
			struct gitstore_commit c;
			r = gitstore_commit_parse(rc->repo->algo, w.buf, len, &c);
			if (r == 0)
				r = push_new(&w, &c.tree, GITSTORE_TREE);
			for (size_t k = 0; r == 0 && k < c.nparents; k++) {
				struct gitstore_oid p;
				gitstore_commit_parent(&c, k, &p);
				r = push_new(&w, &p, GITSTORE_COMMIT);
			}
		} else if (type == GITSTORE_TREE) {
			struct gitstore_tree_iter it;
			struct gitstore_tree_entry e;
			gitstore_tree_iter_init(&it, rc->repo->algo, w.buf, len);
			while (r == 0 && (r = gitstore_tree_next(&it, &e)) == 1)
				r = e.mode == GITSTORE_MODE_GITLINK ? 0 : push_new(&w, &e.id, 0);
		} else if (type == GITSTORE_TAG) {
			struct gitstore_tag t;
			r = gitstore_tag_parse(rc->repo->algo, w.buf, len, &t);
			if (r == 0)
				r = push_new(&w, &t.object, t.type);
		}
	}
	return r;
}

/* old is an ancestor of (or is) new: 1, 0, or an error. */
static int descends(struct gitstore_receive *rc, const struct gitstore_oid *new_id, const struct gitstore_oid *old)
{
	struct gitstore_int_walk w;
	walk_of(rc, &w);
	int r = push_new(&w, new_id, GITSTORE_COMMIT);
	while (r == 0 && w.sp) {
		struct gitstore_oid id = w.o[w.stack[--w.sp]].id;
		if (gitstore_oid_cmp(&id, old) == 0)
			return 1;
		int type;
		size_t needed;
		r = gitstore_receive_obj_read(rc, &id, &type, w.buf, w.buf_cap, &needed);
		if (r < 0)
			return r;
		if (type != GITSTORE_COMMIT)
			return 0;
		struct gitstore_commit c;
		r = gitstore_commit_parse(rc->repo->algo, w.buf, (size_t)r, &c);
		for (size_t k = 0; r == 0 && k < c.nparents; k++) {
			struct gitstore_oid p;
			gitstore_commit_parent(&c, k, &p);
			r = push_new(&w, &p, GITSTORE_COMMIT);
		}
	}
	return r < 0 ? r : 0;
}

/* ---- the pack: finding its end as it streams in, then indexing and checking it */

/* Bytes of the entry header at off, 0 when more input is needed, <0 malformed. */
static int entry_header(struct gitstore_receive *rc, uint64_t off)
{
	const uint8_t *p = rc->priv.m.pack + off;
	size_t avail = rc->priv.pack_len - (size_t)off, n = 0;
	if (avail < 1)
		return 0;
	uint8_t c = p[n++];
	int type = (c >> 4) & 7;
	for (int i = 0; c & 0x80; i++) {
		if (n >= avail)
			return 0;
		if (i > 9)
			return GITSTORE_EPACK_ENTRY;
		c = p[n++];
	}
	if (type == GITSTORE_OFS_DELTA) {
		do {
			if (n >= avail)
				return 0;
			if (n > 20)
				return GITSTORE_EPACK_ENTRY;
			c = p[n++];
		} while (c & 0x80);
	} else if (type == GITSTORE_REF_DELTA) {
		n += gitstore_hash_len(rc->repo->algo);
		if (n > avail)
			return 0;
	} else if (type < GITSTORE_COMMIT || type > GITSTORE_TAG) {
		return GITSTORE_EPACK_ENTRY;
	}
	return (int)n;
}

/* 1 when the pack in the buffer is whole, 0 when more is needed, <0 malformed. */
static int pack_scan(struct gitstore_receive *rc)
{
	size_t h = gitstore_hash_len(rc->repo->algo);
	if (rc->priv.scan_off == 0) {
		if (rc->priv.pack_len < 12)
			return 0;
		const uint8_t *p = rc->priv.m.pack;
		if (memcmp(p, "PACK", 4) != 0)
			return GITSTORE_EPACK_SIGNATURE;
		uint32_t v = gitstore_int_be32(p + 4);
		if (v != 2 && v != 3)
			return GITSTORE_EPACK_VERSION;
		rc->priv.count = gitstore_int_be32(p + 8);
		rc->priv.scan_off = 12;
	}
	while (rc->priv.scanned < rc->priv.count) {
		z_stream *zs = rc->priv.zs;
		if (!zs) {
			int n = entry_header(rc, rc->priv.scan_off);
			if (n <= 0)
				return n;
			zs = gitstore_int_inflate_begin(&rc->priv.arena);
			if (!zs)
				return GITSTORE_ENOMEM;
			rc->priv.zs = zs;
			rc->priv.zpos = rc->priv.scan_off + (uint64_t)n;
		}
		for (;;) {
			size_t avail = rc->priv.pack_len - (size_t)rc->priv.zpos;
			if (avail == 0)
				return 0;
			zs->next_in = rc->priv.m.pack + rc->priv.zpos;
			zs->avail_in = (uInt)(avail > (1u << 30) ? (1u << 30) : avail);
			zs->next_out = rc->priv.m.obj;
			zs->avail_out = (uInt)(rc->priv.m.obj_cap > 65536 ? 65536 : rc->priv.m.obj_cap);
			int z = inflate(zs, Z_NO_FLUSH);
			size_t used = (size_t)(zs->next_in - (rc->priv.m.pack + rc->priv.zpos));
			rc->priv.zpos += used;
			if (z == Z_STREAM_END)
				break;
			if (z == Z_BUF_ERROR && used == 0 && zs->avail_out != 0)
				return 0;
			if (z != Z_OK && z != Z_BUF_ERROR)
				return GITSTORE_EZLIB;
		}
		rc->priv.zs = NULL;
		rc->priv.scan_off = rc->priv.zpos;
		rc->priv.scanned++;
	}
	if (rc->priv.pack_len < rc->priv.scan_off + h)
		return 0;
	if (rc->priv.pack_len > rc->priv.scan_off + h)
		return GITSTORE_EPACK_COUNT;   /* bytes after the trailer */
	return 1;
}

/* index-pack --strict: index, then every object checked. */
static int unpack(struct gitstore_receive *rc)
{
	struct gitstore_receive_mem *m = &rc->priv.m;
	int algo = rc->repo->algo;
	uint32_t count;
	size_t idx_max;
	int r = gitstore_pack_index_sizes(algo, m->pack, rc->priv.pack_len, &count, &idx_max);
	if (r < 0)
		return r;
	if (count > m->nslots || idx_max > m->idx_cap)
		return GITSTORE_ENOMEM;
	struct gitstore_pack_buf b = { m->obj, m->obj_cap, m->scratch, m->scratch_cap, 0, 0 };
	struct gitstore_oid sum;
	r = gitstore_pack_index(algo, m->pack, rc->priv.pack_len, &rc->repo->limits, &rc->priv.arena, m->slots,
		m->nslots, &b, NULL, m->idx, m->idx_cap, &sum);
	if (r < 0)
		return r;
	size_t idx_len = (size_t)r;
	r = gitstore_idx_parse(&rc->priv.idx, algo, m->idx, idx_len, rc->priv.pack_len, 0);
	if (r == 0)
		r = gitstore_pack_open(&rc->priv.pack, algo, m->pack, rc->priv.pack_len, &rc->priv.idx,
			&rc->repo->limits, &rc->priv.arena);
	if (r < 0)
		return r;
	rc->priv.have_pack = true;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t off;
		int type;
		r = gitstore_idx_entry(&rc->priv.idx, i, NULL, &off, NULL);
		if (r == 0)
			r = gitstore_pack_read(pack_of(rc), off, &b, &type);
		if (r >= 0)
			r = gitstore_obj_check(algo, type, m->obj, (size_t)r, GITSTORE_CHECK_STRICT);
		if (r < 0)
			return r;
	}
	return (int)idx_len;
}

/* Store the pack and its index under their final names (temporary names, then rename). */
static int store_pack(struct gitstore_receive *rc, size_t idx_len)
{
	struct gitstore_repo *r = rc->repo;
	char tmp[96], name[96], hex[GITSTORE_HEX_MAX];
	struct gitstore_oid sum;
	gitstore_idx_pack_checksum(&rc->priv.idx, &sum);
	gitstore_oid_to_hex(r->algo, &sum, hex);
	static const char *const ext[2] = { ".pack", ".idx" };
	for (int i = 0; i < 2; i++) {
		const uint8_t *data = i == 0 ? rc->priv.m.pack : rc->priv.m.idx;
		size_t len = i == 0 ? rc->priv.pack_len : idx_len;
		int e = gitstore_int_tmp_name(r, "objects/pack", tmp, sizeof tmp);
		if (e < 0)
			return e;
		for (size_t off = 0; off < len;) {
			size_t n = len - off > (1u << 30) ? (1u << 30) : len - off;
			e = gitstore_int_append(r, tmp, data + off, n);
			if (e < 0) {
				gitstore_int_remove(r, tmp);
				return e;
			}
			off += n;
		}
		size_t hl = strlen(hex);
		memcpy(name, "objects/pack/pack-", 18);
		memcpy(name + 18, hex, hl);
		memcpy(name + 18 + hl, ext[i], strlen(ext[i]) + 1);
		e = gitstore_int_rename(r, tmp, name, 0);
		if (e < 0) {
			gitstore_int_remove(r, tmp);
			return e;
		}
	}
	return 0;
}

static void refuse(struct gitstore_receive_update *c, const char *why)
{
	if (c->reason[0])
		return;
	size_t n = strlen(why);
	if (n >= sizeof c->reason)
		n = sizeof c->reason - 1;
	memcpy(c->reason, why, n);
	c->reason[n] = 0;
}

static int current(struct gitstore_receive *rc, const char *name, struct gitstore_oid *id)
{
	struct gitstore_ref ref;
	int r = gitstore_ref_read(rc->repo, name, &ref);
	if (r == GITSTORE_ENOENT) {
		memset(id, 0, sizeof *id);
		return 0;
	}
	if (r < 0)
		return r;
	if (ref.symbolic)
		return gitstore_ref_resolve(rc->repo, name, id, NULL);
	*id = ref.id;
	return 0;
}

static int move_ref(struct gitstore_receive *rc, const char *name, const struct gitstore_oid *to,
	const struct gitstore_oid *from)
{
	if (gitstore_oid_is_zero(to))
		return gitstore_ref_delete(rc->repo, name, from);
	return gitstore_ref_update(rc->repo, name, to, from);
}

static const char *move_error(int r)
{
	return r == GITSTORE_EREF_STALE ? "stale info" : r == GITSTORE_EREF_LOCKED ? "failed to lock" : gitstore_strerror(r);
}

static void report(struct gitstore_receive *rc);

static void run_push(struct gitstore_receive *rc)
{
	struct gitstore_receive_update *cmds = rc->priv.m.cmds;
	size_t n = rc->priv.ncmds, idx_len = 0;
	if (rc->priv.need_pack) {
		int r = unpack(rc);
		if (r < 0)
			rc->priv.unpack_err = r;
		else
			idx_len = (size_t)r;
	}
	bool atomic = rc->priv.caps & GITSTORE_RCAP_ATOMIC, any_bad = false, any_ok = false;
	for (size_t i = 0; i < n; i++) {
		struct gitstore_receive_update *c = &cmds[i];
		c->ok = false;
		if (rc->priv.unpack_err) {
			refuse(c, "unpacker error");
			any_bad = true;
			continue;
		}
		struct gitstore_oid cur;
		int r = current(rc, c->name, &cur);
		bool del = gitstore_oid_is_zero(&c->new_id);
		if (r < 0)
			refuse(c, gitstore_strerror(r));
		else if (gitstore_oid_cmp(&cur, &c->old_id) != 0)
			refuse(c, "stale info");
		else if (del && gitstore_oid_is_zero(&cur))
			refuse(c, "no such ref");
		if (!c->reason[0] && !del) {
			r = connected(rc, &c->new_id);
			if (r < 0)
				refuse(c, r == GITSTORE_ENOENT ? "missing necessary objects" : gitstore_strerror(r));
		}
		if (!c->reason[0] && !del && !gitstore_oid_is_zero(&c->old_id) && strncmp(c->name, "refs/heads/", 11) == 0 &&
			!(rc->flags & GITSTORE_RECEIVE_ALLOW_NONFF)) {
			r = descends(rc, &c->new_id, &c->old_id);
			if (r < 0)
				refuse(c, gitstore_strerror(r));
			else if (r == 0)
				refuse(c, "non-fast-forward");
		}
		if (!c->reason[0] && rc->check) {
			char why[GITSTORE_REASON_MAX];
			why[0] = 0;
			if (rc->check(rc->check_ctx, rc, c, why, sizeof why) != 0) {
				why[sizeof why - 1] = 0;
				refuse(c, why[0] ? why : "rejected");
			}
		}
		if (c->reason[0])
			any_bad = true;
	}
	if (atomic && any_bad)
		for (size_t i = 0; i < n; i++)
			refuse(&cmds[i], "atomic push failure");
	for (size_t i = 0; i < n; i++)
		any_ok |= !cmds[i].reason[0];
	if (any_ok && rc->priv.need_pack) {
		int r = store_pack(rc, idx_len);
		if (r < 0) {
			for (size_t i = 0; i < n; i++)
				refuse(&cmds[i], gitstore_strerror(r));
			any_ok = false;
		}
	}
	for (size_t i = 0; any_ok && i < n; i++) {
		struct gitstore_receive_update *c = &cmds[i];
		if (c->reason[0])
			continue;
		int r = move_ref(rc, c->name, &c->new_id, &c->old_id);
		if (r == 0) {
			c->ok = true;
			continue;
		}
		refuse(c, move_error(r));
		if (atomic) {
			/* Put back what moved, then fail the rest. */
			for (size_t k = 0; k < i; k++) {
				if (cmds[k].ok) {
					move_ref(rc, cmds[k].name, &cmds[k].old_id, &cmds[k].new_id);
					cmds[k].ok = false;
				}
				refuse(&cmds[k], "atomic push failure");
			}
			for (size_t k = i + 1; k < n; k++)
				refuse(&cmds[k], "atomic push failure");
			break;
		}
	}
	report(rc);
}

static void report(struct gitstore_receive *rc)
{
	rc->priv.state = R_DRAIN_DONE;
	if (!(rc->priv.caps & GITSTORE_RCAP_REPORT_STATUS))
		return;
	rc->priv.stage_len = rc->priv.stage_off = 0;
	size_t at = line_begin(rc);
	puts_(rc, "unpack ");
	puts_(rc, rc->priv.unpack_err ? gitstore_strerror(rc->priv.unpack_err) : "ok");
	puts_(rc, "\n");
	line_end(rc, at);
	for (size_t i = 0; i < rc->priv.ncmds; i++) {
		struct gitstore_receive_update *c = &rc->priv.m.cmds[i];
		at = line_begin(rc);
		puts_(rc, c->ok ? "ok " : "ng ");
		puts_(rc, c->name);
		if (!c->ok) {
			puts_(rc, " ");
			puts_(rc, c->reason);
		}
		puts_(rc, "\n");
		line_end(rc, at);
	}
	put(rc, "0000", 4);
	rc->priv.stage_band = (rc->priv.caps & GITSTORE_RCAP_SIDEBAND) != 0;
}

/* ---- input */

static int command(struct gitstore_receive *rc, const struct gitstore_pkt *p)
{
	struct gitstore_receive_cmd c;
	struct gitstore_slice caps_s;
	struct gitstore_slice t = p->data;
	/* A push certificate or shallow line is not offered: refuse it. */
	int r = gitstore_receive_cmd_parse(rc->repo->algo, t.p, t.len, &c, &caps_s);
	if (r < 0)
		return r;
	if (rc->priv.ncmds == 0)
		rc->priv.caps = gitstore_receive_caps_parse(caps_s);
	if (rc->priv.ncmds == rc->priv.m.ncmds)
		return GITSTORE_ENOMEM;
	struct gitstore_receive_update *u = &rc->priv.m.cmds[rc->priv.ncmds++];
	memset(u, 0, sizeof *u);
	memcpy(u->name, c.name.p, c.name.len);
	u->name[c.name.len] = 0;
	u->old_id = c.old_id;
	u->new_id = c.new_id;
	if (!gitstore_oid_is_zero(&c.new_id))
		rc->priv.need_pack = true;
	return 0;
}

static int fail(struct gitstore_receive *rc, int err)
{
	if (!rc->priv.err)
		rc->priv.err = err;
	rc->priv.state = R_DRAIN_DONE;
	return rc->priv.err;
}

static int pack_bytes(struct gitstore_receive *rc, const uint8_t *data, size_t len)
{
	if (rc->priv.unpack_err)
		return 0;   /* already failed: swallow the rest */
	if (len > rc->priv.m.pack_cap - rc->priv.pack_len) {
		rc->priv.unpack_err = GITSTORE_ENOMEM;
		run_push(rc);
		return 0;
	}
	memcpy(rc->priv.m.pack + rc->priv.pack_len, data, len);
	rc->priv.pack_len += len;
	int r = pack_scan(rc);
	if (r < 0) {
		rc->priv.unpack_err = r;
		run_push(rc);
	} else if (r == 1) {
		run_push(rc);
	}
	return 0;
}

int gitstore_receive_input(struct gitstore_receive *rc, const uint8_t *data, size_t len)
{
	if (rc->priv.err)
		return rc->priv.err;
	if (rc->priv.state == R_PACK) {
		pack_bytes(rc, data, len);
		return (int)len;
	}
	if (rc->priv.state != R_CMDS)
		return (int)len;   /* after the report: nothing more is read */
	size_t taken = gitstore_pktbuf_feed(&rc->priv.in, data, len);
	while (rc->priv.state == R_CMDS) {
		struct gitstore_pkt p;
		int r = gitstore_pktbuf_next(&rc->priv.in, &p);
		if (r == GITSTORE_EAGAIN)
			break;
		if (r < 0)
			return fail(rc, r);
		if (p.kind == GITSTORE_PKT_FLUSH) {
			if (rc->priv.ncmds == 0) {
				rc->priv.state = R_DRAIN_DONE;
				break;
			}
			if (!rc->priv.need_pack) {
				run_push(rc);
				break;
			}
			rc->priv.state = R_PACK;
			struct gitstore_slice rest = gitstore_pktbuf_rest(&rc->priv.in);
			gitstore_pktbuf_skip(&rc->priv.in, rest.len);
			if (rest.len)
				pack_bytes(rc, rest.p, rest.len);
			break;
		}
		if (p.kind != GITSTORE_PKT_DATA)
			return fail(rc, GITSTORE_EPROTO_STATE);
		r = command(rc, &p);
		if (r < 0)
			return fail(rc, r);
	}
	return (int)taken;
}

int gitstore_receive_input_end(struct gitstore_receive *rc)
{
	if (rc->priv.err)
		return rc->priv.err;
	if (rc->priv.state == R_PACK) {
		/* The stream ended before the pack did. */
		rc->priv.unpack_err = GITSTORE_ETRUNCATED;
		run_push(rc);
		return 0;
	}
	if (rc->priv.state == R_CMDS) {
		if (rc->priv.ncmds == 0 && gitstore_pktbuf_rest(&rc->priv.in).len == 0) {
			rc->priv.state = R_DONE;
			return 0;
		}
		return fail(rc, GITSTORE_EEOF);
	}
	return 0;
}

int gitstore_receive_output(struct gitstore_receive *rc, uint8_t *out, size_t cap)
{
	if (cap < 6)
		return GITSTORE_EINVAL;
	size_t n = 0;
	while (n + 6 <= cap && rc->priv.stage_off < rc->priv.stage_len) {
		size_t avail = rc->priv.stage_len - rc->priv.stage_off;
		const uint8_t *src = rc->priv.m.stage + rc->priv.stage_off;
		if (rc->priv.stage_band) {
			size_t k = avail < GITSTORE_SIDEBAND_MAX ? avail : GITSTORE_SIDEBAND_MAX;
			if (k > cap - n - 5)
				k = cap - n - 5;
			gitstore_int_pkt_hdr(out + n, k + 5);
			out[n + 4] = GITSTORE_BAND_DATA;
			memcpy(out + n + 5, src, k);
			n += k + 5;
			rc->priv.stage_off += k;
			if (rc->priv.stage_off == rc->priv.stage_len) {
				/* The side-band stream ends with a flush of its own. */
				rc->priv.stage_band = false;
				rc->priv.stage_len = rc->priv.stage_off = 0;
				put(rc, "0000", 4);
			}
		} else {
			size_t k = avail < cap - n ? avail : cap - n;
			memcpy(out + n, src, k);
			n += k;
			rc->priv.stage_off += k;
		}
	}
	if (rc->priv.stage_off == rc->priv.stage_len) {
		rc->priv.stage_len = rc->priv.stage_off = 0;
		if (rc->priv.state == R_DRAIN_DONE)
			rc->priv.state = R_DONE;
	}
	if (n == 0 && rc->priv.err && rc->priv.state == R_DONE)
		return rc->priv.err;
	return (int)n;
}

bool gitstore_receive_done(const struct gitstore_receive *rc)
{
	return rc->priv.state == R_DONE;
}

const struct gitstore_receive_update *gitstore_receive_updates(const struct gitstore_receive *rc, size_t *n)
{
	*n = rc->priv.ncmds;
	return rc->priv.m.cmds;
}
