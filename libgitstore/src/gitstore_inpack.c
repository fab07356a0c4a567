/*
 * An incoming pack (receive-pack's push, the fetch client's answer): found
 * whole as it streams in, indexed and checked as git index-pack --strict
 * does, walked for connectivity, then stored.
 */
#include <string.h>
#include <zlib.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

static struct gitstore_pack *pack_of(struct gitstore_inpack *ip)
{
	/* Pointers into this struct are set on each use, so it may move. */
	ip->priv.pack.idx = &ip->priv.idx;
	ip->priv.pack.arena = &ip->priv.arena;
	return &ip->priv.pack;
}

int gitstore_int_inpack_init(struct gitstore_inpack *ip, const struct gitstore_inpack_mem *m)
{
	if (!m->pack || m->pack_cap < 32 || !m->slots || !m->idx || !m->obj || m->obj_cap < 4096 || !m->scratch ||
		!m->arena || m->arena_cap < GITSTORE_INFLATE_ARENA || !m->objs || !m->nobjs || !m->index ||
		m->index_len < 2 * m->nobjs || (m->index_len & (m->index_len - 1)) || !m->stack)
		return GITSTORE_EINVAL;
	memset(ip, 0, sizeof *ip);
	ip->m = *m;
	gitstore_arena_init(&ip->priv.arena, m->arena, m->arena_cap);
	return 0;
}

int gitstore_int_inpack_read(struct gitstore_inpack *ip, struct gitstore_repo *repo, const struct gitstore_oid *id, int *type,
	uint8_t *buf, size_t cap, size_t *needed)
{
	uint64_t off;
	if (ip->priv.have_pack && gitstore_idx_find(&ip->priv.idx, id, NULL, &off) == 0) {
		struct gitstore_pack_buf b = { buf, cap, ip->m.scratch, ip->m.scratch_cap, 0, 0 };
		int rc = gitstore_pack_read(pack_of(ip), off, &b, type);
		if (rc == GITSTORE_ENOMEM && needed)
			*needed = b.out_needed > cap ? b.out_needed : b.scratch_needed;
		return rc;
	}
	return gitstore_obj_read(repo, id, type, buf, cap, needed);
}

static bool in_pack(struct gitstore_inpack *ip, const struct gitstore_oid *id)
{
	return ip->priv.have_pack && gitstore_idx_find(&ip->priv.idx, id, NULL, NULL) == 0;
}

/* The repository has id (in a pack or loose), without reading it. */
static bool in_repo(struct gitstore_repo *r, const struct gitstore_oid *id)
{
	for (size_t i = 0; i < r->priv.npacks; i++)
		if (r->priv.packs[i].idx && gitstore_idx_find(r->priv.packs[i].idx, id, NULL, NULL) == 0)
			return true;
	int type;
	uint64_t size;
	return gitstore_loose_stat(r, id, &type, &size) == 0;
}

static void walk_of(struct gitstore_inpack *ip, struct gitstore_repo *repo, struct gitstore_int_walk *w)
{
	struct gitstore_inpack_mem *m = &ip->m;
	gitstore_int_walk_init(w, repo, m->objs, m->nobjs, m->index, m->index_len, m->stack, m->obj, m->obj_cap);
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
int gitstore_int_inpack_connected(struct gitstore_inpack *ip, struct gitstore_repo *repo, const struct gitstore_oid *tip)
{
	struct gitstore_int_walk w;
	walk_of(ip, repo, &w);
	int r = push_new(&w, tip, 0);
	while (r == 0 && w.sp) {
		struct gitstore_walk_obj *o = &w.o[w.stack[--w.sp]];
		struct gitstore_oid id = o->id;
		if (!in_pack(ip, &id)) {
			if (!in_repo(repo, &id))
				return GITSTORE_ENOENT;
			continue;   /* stored objects are taken as connected */
		}
		int type;
		size_t needed;
		r = gitstore_int_inpack_read(ip, repo, &id, &type, w.buf, w.buf_cap, &needed);
		if (r < 0)
			return r;
		size_t len = (size_t)r;
		r = 0;
		if (type == GITSTORE_COMMIT) {
			struct gitstore_commit c;
			r = gitstore_commit_parse(repo->algo, w.buf, len, &c);
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
			gitstore_tree_iter_init(&it, repo->algo, w.buf, len);
			while (r == 0 && (r = gitstore_tree_next(&it, &e)) == 1)
				r = e.mode == GITSTORE_MODE_GITLINK ? 0 : push_new(&w, &e.id, 0);
		} else if (type == GITSTORE_TAG) {
			struct gitstore_tag t;
			r = gitstore_tag_parse(repo->algo, w.buf, len, &t);
			if (r == 0)
				r = push_new(&w, &t.object, t.type);
		}
	}
	return r;
}

/* old is an ancestor of (or is) new: 1, 0, or an error. */
int gitstore_int_inpack_descends(struct gitstore_inpack *ip, struct gitstore_repo *repo, const struct gitstore_oid *new_id,
	const struct gitstore_oid *old)
{
	struct gitstore_int_walk w;
	walk_of(ip, repo, &w);
	int r = push_new(&w, new_id, GITSTORE_COMMIT);
	while (r == 0 && w.sp) {
		struct gitstore_oid id = w.o[w.stack[--w.sp]].id;
		if (gitstore_oid_cmp(&id, old) == 0)
			return 1;
		int type;
		size_t needed;
		r = gitstore_int_inpack_read(ip, repo, &id, &type, w.buf, w.buf_cap, &needed);
		if (r < 0)
			return r;
		if (type != GITSTORE_COMMIT)
			return 0;
		struct gitstore_commit c;
		r = gitstore_commit_parse(repo->algo, w.buf, (size_t)r, &c);
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
static int entry_header(struct gitstore_inpack *ip, int algo, uint64_t off)
{
	const uint8_t *p = ip->m.pack + off;
	size_t avail = ip->priv.pack_len - (size_t)off, n = 0;
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
		n += gitstore_hash_len(algo);
		if (n > avail)
			return 0;
	} else if (type < GITSTORE_COMMIT || type > GITSTORE_TAG) {
		return GITSTORE_EPACK_ENTRY;
	}
	return (int)n;
}

/* 1 when the pack in the buffer is whole, 0 when more is needed, <0 malformed. */
static int pack_scan(struct gitstore_inpack *ip, int algo)
{
	size_t h = gitstore_hash_len(algo);
	if (ip->priv.scan_off == 0) {
		if (ip->priv.pack_len < 12)
			return 0;
		const uint8_t *p = ip->m.pack;
		if (memcmp(p, "PACK", 4) != 0)
			return GITSTORE_EPACK_SIGNATURE;
		uint32_t v = gitstore_int_be32(p + 4);
		if (v != 2 && v != 3)
			return GITSTORE_EPACK_VERSION;
		ip->priv.count = gitstore_int_be32(p + 8);
		ip->priv.scan_off = 12;
	}
	while (ip->priv.scanned < ip->priv.count) {
		z_stream *zs = ip->priv.zs;
		if (!zs) {
			int n = entry_header(ip, algo, ip->priv.scan_off);
			if (n <= 0)
				return n;
			zs = gitstore_int_inflate_begin(&ip->priv.arena);
			if (!zs)
				return GITSTORE_ENOMEM;
			ip->priv.zs = zs;
			ip->priv.zpos = ip->priv.scan_off + (uint64_t)n;
		}
		for (;;) {
			size_t avail = ip->priv.pack_len - (size_t)ip->priv.zpos;
			if (avail == 0)
				return 0;
			zs->next_in = ip->m.pack + ip->priv.zpos;
			zs->avail_in = (uInt)(avail > (1u << 30) ? (1u << 30) : avail);
			zs->next_out = ip->m.obj;
			zs->avail_out = (uInt)(ip->m.obj_cap > 65536 ? 65536 : ip->m.obj_cap);
			int z = inflate(zs, Z_NO_FLUSH);
			size_t used = (size_t)(zs->next_in - (ip->m.pack + ip->priv.zpos));
			ip->priv.zpos += used;
			if (z == Z_STREAM_END)
				break;
			if (z == Z_BUF_ERROR && used == 0 && zs->avail_out != 0)
				return 0;
			if (z != Z_OK && z != Z_BUF_ERROR)
				return GITSTORE_EZLIB;
		}
		ip->priv.zs = NULL;
		ip->priv.scan_off = ip->priv.zpos;
		ip->priv.scanned++;
	}
	if (ip->priv.pack_len < ip->priv.scan_off + h)
		return 0;
	if (ip->priv.pack_len > ip->priv.scan_off + h)
		return GITSTORE_EPACK_COUNT;   /* bytes after the trailer */
	return 1;
}

/* index-pack --strict: index, then every object checked. */
int gitstore_int_inpack_unpack(struct gitstore_inpack *ip, struct gitstore_repo *repo)
{
	struct gitstore_inpack_mem *m = &ip->m;
	int algo = repo->algo;
	uint32_t count;
	size_t idx_max;
	int r = gitstore_pack_index_sizes(algo, m->pack, ip->priv.pack_len, &count, &idx_max);
	if (r < 0)
		return r;
	if (count > m->nslots || idx_max > m->idx_cap)
		return GITSTORE_ENOMEM;
	struct gitstore_pack_buf b = { m->obj, m->obj_cap, m->scratch, m->scratch_cap, 0, 0 };
	struct gitstore_oid sum;
	r = gitstore_pack_index(algo, m->pack, ip->priv.pack_len, &repo->limits, &ip->priv.arena, m->slots,
		m->nslots, &b, NULL, m->idx, m->idx_cap, &sum);
	if (r < 0)
		return r;
	size_t idx_len = (size_t)r;
	r = gitstore_idx_parse(&ip->priv.idx, algo, m->idx, idx_len, ip->priv.pack_len, 0);
	if (r == 0)
		r = gitstore_pack_open(&ip->priv.pack, algo, m->pack, ip->priv.pack_len, &ip->priv.idx,
			&repo->limits, &ip->priv.arena);
	if (r < 0)
		return r;
	ip->priv.have_pack = true;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t off;
		int type;
		r = gitstore_idx_entry(&ip->priv.idx, i, NULL, &off, NULL);
		if (r == 0)
			r = gitstore_pack_read(pack_of(ip), off, &b, &type);
		if (r >= 0)
			r = gitstore_obj_check(algo, type, m->obj, (size_t)r, GITSTORE_CHECK_STRICT);
		if (r < 0)
			return r;
	}
	ip->priv.idx_len = idx_len;
	return 0;
}

/* Store the pack and its index under their final names (temporary names, then rename). */
int gitstore_int_inpack_store(struct gitstore_inpack *ip, struct gitstore_repo *r)
{
	size_t idx_len = ip->priv.idx_len;
	char tmp[96], name[96], hex[GITSTORE_HEX_MAX];
	struct gitstore_oid sum;
	gitstore_idx_pack_checksum(&ip->priv.idx, &sum);
	gitstore_oid_to_hex(r->algo, &sum, hex);
	static const char ext[2][8] = { ".pack", ".idx" };
	for (int i = 0; i < 2; i++) {
		const uint8_t *data = i == 0 ? ip->m.pack : ip->m.idx;
		size_t len = i == 0 ? ip->priv.pack_len : idx_len;
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

int gitstore_int_inpack_add(struct gitstore_inpack *ip, int algo, const uint8_t *data, size_t len)
{
	if (len > ip->m.pack_cap - ip->priv.pack_len)
		return GITSTORE_ENOMEM;
	if (len)
		memcpy(ip->m.pack + ip->priv.pack_len, data, len);
	ip->priv.pack_len += len;
	return pack_scan(ip, algo);
}

