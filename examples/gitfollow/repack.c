/* gitfollow: keeping the number of packs down. Every push httpd accepts and
 * every fetch a follower makes adds a pack; a read handle maps at most
 * GF_MAX_PACKS, and every lookup of an object may probe each of them. So
 * once a repository has more than a limit, the small packs are merged into
 * one, as `git gc --auto` would, but without recompressing anything:
 *
 * - The merged pack is the packs' entries laid end to end after one header,
 *   each pack's entries in their own order, their compressed data copied
 *   as it is. An object several packs hold (a pushed thin pack is completed
 *   with copies of its bases) is written once, where it first comes: git's
 *   index-pack refuses a pack holding a delta base twice. An OFS_DELTA names
 *   its base by the distance back to it, so its header is written again
 *   with the distance to where its base now is (the first copy, always
 *   earlier); a REF_DELTA names its base by id, found in the merged index.
 *   The new .idx comes from what was written (offsets, ids from the old
 *   idx, CRC-32 of each entry as written): nothing is inflated.
 * - Nothing is lost, whatever else writes the repository meanwhile: every
 *   object of a merged pack is in the new pack, reachable or not, before
 *   the old pack goes; loose objects and packs that appear meanwhile are
 *   not touched. The new pack is in place (pack, then idx, each synced and
 *   renamed from a temporary name) before any old one is removed (idx
 *   first, so no reader finds an idx without its pack).
 * - Packs another tool means to keep are left alone: a .keep, .promisor or
 *   .mtimes (cruft) beside them. The largest pack is left alone too (it is
 *   usually the first clone or the last merge: rewriting it every time
 *   would cost the repository's size per merge). A pack that holds an
 *   object another merged pack holds is left out, so the merged pack holds
 *   each object once.
 * - One merge at a time: an flock on objects/pack/cloudlet-repack.lock (a
 *   process that dies lets it go); a busy lock means someone else merges.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gitfollow.h"

/* What goes with a merged pack, the idx first. */
static const char *const exts[] = { ".idx", ".pack", ".rev", ".bitmap" };

#define PATH_CAP (4096 + 512)

struct rp_pack {
	char base[300];         /* "objects/pack/pack-<hex>" under the git directory */
	uint64_t size;          /* of the .pack */
	const uint8_t *pack, *idx;
	size_t pack_len, idx_len;
	struct gitstore_idx x;
	bool take;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int by_size(const void *a, const void *b)
{
	const struct rp_pack *x = a, *y = b;
	return x->size < y->size ? -1 : x->size > y->size;
}

static int by_id(const void *a, const void *b)
{
	return gitstore_oid_cmp(a, b);
}

static bool exists(const char *dir, const char *base, const char *ext)
{
	char p[PATH_CAP];
	struct stat st;
	if (snprintf(p, sizeof p, "%s/%s%s", dir, base, ext) >= (int)sizeof p)
		return false;
	return stat(p, &st) == 0;
}

static int map_file(const char *dir, const char *name, const uint8_t **data, size_t *len)
{
	char p[PATH_CAP];
	if (snprintf(p, sizeof p, "%s/%s", dir, name) >= (int)sizeof p)
		return -1;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < 32) {
		close(fd);
		return -1;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	*data = m;
	*len = (size_t)st.st_size;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void unlink_in(const char *dir, const char *name, const char *ext)
{
	char p[PATH_CAP];
	if (snprintf(p, sizeof p, "%s/%s%s", dir, name, ext) < (int)sizeof p)
		unlink(p);
}

static int move_in(const char *dir, const char *from, const char *to)
{
	char f[PATH_CAP], t[PATH_CAP];
	if (snprintf(f, sizeof f, "%s/%s", dir, from) >= (int)sizeof f || snprintf(t, sizeof t, "%s/%s", dir, to) >= (int)sizeof t)
		return -1;
	return rename(f, t);
}

/* Create dir/name (new, read-only) for writing. */
static int create_in(const char *dir, const char *name)
{
	char p[PATH_CAP];
	if (snprintf(p, sizeof p, "%s/%s", dir, name) >= (int)sizeof p)
		return -1;
	return open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
}

/* Write data to dir/final through a temporary name, synced. */
static int put_file(const char *dir, const char *tmpname, const char *final, const uint8_t *data, size_t len)
{
	int fd = create_in(dir, tmpname);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, data, len);
	if (rc == 0)
		rc = fsync(fd);
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0)
		rc = move_in(dir, tmpname, final);
	if (rc != 0)
		unlink_in(dir, tmpname, "");
	return rc;
}

/* Output through a buffer, hashed as it goes. */
struct rp_out {
	int fd;
	uint8_t buf[1u << 20];
	size_t len;
	uint64_t off;
	struct gitstore_hash hs;
	bool failed;
};

static void out_put(struct rp_out *o, const uint8_t *p, size_t n)
{
	gitstore_hash_update(&o->hs, p, n);
	o->off += n;
	while (n && !o->failed) {
		if (o->len == sizeof o->buf) {
			o->failed = write_all(o->fd, o->buf, o->len) != 0;
			o->len = 0;
		}
		size_t k = n < sizeof o->buf - o->len ? n : sizeof o->buf - o->len;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
}

/* Where each written object is, by id: an open-addressed table of slot numbers + 1. */
struct rp_map {
	uint32_t *t;
	size_t mask;
	struct gitstore_index_slot *slots;
};

static uint32_t *map_slot(struct rp_map *m, const struct gitstore_oid *id)
{
	uint32_t hv;
	memcpy(&hv, id->b, 4);
	for (size_t k = hv & m->mask;; k = (k + 1) & m->mask)
		if (m->t[k] == 0 || gitstore_oid_cmp(&m->slots[m->t[k] - 1].id, id) == 0)
			return &m->t[k];
}

struct rp_ent {
	uint64_t off;
	uint32_t pos;
};

static int by_off(const void *a, const void *b)
{
	const struct rp_ent *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The entry of pack p at offset off, in ents sorted by offset: its index there, or -1. */
static long ent_at(const struct rp_ent *ents, size_t n, uint64_t off)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ents[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ents[lo].off == off ? (long)lo : -1;
}

/*
 * Write the merged pack of packs[0..n) to dir/tmp: count objects (each id
 * once), slots filled with each one's offset, id and CRC-32; *sum gets the
 * trailer. 0, or -1 with err.
 */
static int write_merged(const char *dir, const char *tmp, int algo, struct rp_pack *packs, size_t n, uint32_t count,
	struct gitstore_index_slot *slots, struct gitstore_oid *sum, char *err, size_t errcap)
{
	size_t h = gitstore_hash_len(algo), tsize = 16;
	while (tsize < 2 * (size_t)count)
		tsize *= 2;
	struct rp_out *o = malloc(sizeof *o);
	struct rp_map m = { calloc(tsize, sizeof(uint32_t)), tsize - 1, slots };
	uint8_t *arena_mem = malloc(GITSTORE_INFLATE_ARENA);
	struct rp_ent *ents = NULL;
	int rc = -1;
	if (o)
		o->fd = -1;
	if (!o || !m.t || !arena_mem) {
		snprintf(err, errcap, "out of memory");
		goto done;
	}
	if ((o->fd = create_in(dir, tmp)) < 0) {
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	o->len = 0;
	o->off = 0;
	o->failed = false;
	gitstore_hash_init(&o->hs, algo);
	uint8_t head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2, (uint8_t)(count >> 24), (uint8_t)(count >> 16),
		(uint8_t)(count >> 8), (uint8_t)count };
	out_put(o, head, sizeof head);
	struct gitstore_arena arena;
	gitstore_arena_init(&arena, arena_mem, GITSTORE_INFLATE_ARENA);
	uint32_t written = 0;
	for (size_t k = 0; k < n; k++) {
		struct rp_pack *p = &packs[k];
		struct gitstore_pack pk;
		int r = gitstore_pack_open(&pk, algo, p->pack, p->pack_len, &p->x, NULL, &arena);
		free(ents);
		ents = malloc((p->x.count ? p->x.count : 1) * sizeof *ents);
		if (r < 0 || !ents) {
			snprintf(err, errcap, "%s.pack: %s", p->base, r < 0 ? gitstore_strerror(r) : "out of memory");
			goto done;
		}
		for (uint32_t i = 0; i < p->x.count; i++) {
			ents[i].pos = i;
			gitstore_idx_entry(&p->x, i, NULL, &ents[i].off, NULL);
		}
		qsort(ents, p->x.count, sizeof *ents, by_off);
		for (uint32_t i = 0; i < p->x.count; i++) {
			struct gitstore_oid id;
			gitstore_idx_entry(&p->x, ents[i].pos, &id, NULL, NULL);
			uint32_t *s = map_slot(&m, &id);
			if (*s)
				continue;   /* written already, from an earlier pack or earlier in this one */
			struct gitstore_pack_entry e;
			uint64_t end = i + 1 < p->x.count ? ents[i + 1].off : p->pack_len - h;
			if ((r = gitstore_pack_entry(&pk, ents[i].off, &e)) < 0 || end <= ents[i].off + e.header_len ||
				written == count) {
				snprintf(err, errcap, "%s.pack at %llu: %s", p->base, (unsigned long long)ents[i].off,
					r < 0 ? gitstore_strerror(r) : "entries do not add up");
				goto done;
			}
			uint8_t hdr[GITSTORE_PACK_ENTRY_HEADER_MAX + sizeof(struct gitstore_oid)];
			size_t hl;
			if (e.type == GITSTORE_OFS_DELTA) {
				/* the base is where its first copy was written */
				long b = ent_at(ents, p->x.count, e.base_offset);
				struct gitstore_oid bid;
				uint32_t bs = 0;
				if (b >= 0) {
					gitstore_idx_entry(&p->x, ents[b].pos, &bid, NULL, NULL);
					bs = *map_slot(&m, &bid);
				}
				if (!bs) {
					snprintf(err, errcap, "%s.pack at %llu: the delta's base is not before it", p->base,
						(unsigned long long)ents[i].off);
					goto done;
				}
				hl = gitstore_pack_entry_header(hdr, e.type, e.size, o->off - slots[bs - 1].offset);
			} else {
				hl = e.header_len;
				if (hl > sizeof hdr) {
					snprintf(err, errcap, "%s.pack at %llu: a header of %zu bytes", p->base,
						(unsigned long long)ents[i].off, hl);
					goto done;
				}
				memcpy(hdr, p->pack + ents[i].off, hl);
			}
			const uint8_t *data = p->pack + ents[i].off + e.header_len;
			size_t dl = (size_t)(end - ents[i].off - e.header_len);
			struct gitstore_index_slot *sl = &slots[written];
			sl->id = id;
			sl->offset = o->off;
			sl->crc = (uint32_t)crc32(crc32(0, hdr, (uInt)hl), data, (uInt)dl);
			*s = ++written;
			out_put(o, hdr, hl);
			out_put(o, data, dl);
		}
	}
	if (written != count) {
		snprintf(err, errcap, "%u objects written of %u", written, count);
		goto done;
	}
	gitstore_hash_final(&o->hs, sum);
	if (!o->failed && o->len)
		o->failed = write_all(o->fd, o->buf, o->len) != 0;
	o->len = 0;
	if (o->failed || write_all(o->fd, sum->b, h) != 0 || fsync(o->fd) != 0) {
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (o && o->fd >= 0) {
		if (close(o->fd) != 0 && rc == 0) {
			snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
			rc = -1;
		}
		if (rc != 0)
			unlink_in(dir, tmp, "");
	}
	free(o);
	free(m.t);
	free(arena_mem);
	free(ents);
	return rc;
}

static void sync_dir(const char *dir)
{
	char p[PATH_CAP];
	if (snprintf(p, sizeof p, "%s/objects/pack", dir) >= (int)sizeof p)
		return;
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int gf_repack(const char *path, unsigned max_packs, char *err, size_t errcap)
{
	err[0] = '\0';
	struct cl_files f;
	if (cl_files_open(&f, path) < 0) {
		snprintf(err, errcap, "%s: not a repository", path);
		return -1;
	}
	const char *dir = f.gitdir;
	int algo = gf_config_algo(&f);
	size_t h = gitstore_hash_len(algo);
	char lp[PATH_CAP];
	int lock = -1;
	if (snprintf(lp, sizeof lp, "%s/objects/pack/cloudlet-repack.lock", dir) < (int)sizeof lp)
		lock = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
		if (lock >= 0)
			close(lock);
		cl_files_close(&f);
		return 0;   /* another merge is running (or no lock can be had: nothing done) */
	}
	char (*names)[256] = NULL;
	size_t nnames = 0;
	int rc = gf_pack_names(&f, &names, &nnames);
	struct rp_pack *packs = calloc(nnames ? nnames : 1, sizeof *packs);
	struct gitstore_oid *ids = NULL;
	struct gitstore_index_slot *slots = NULL;
	uint8_t *idx = NULL;
	size_t np = 0, merged = 0;
	int ret = -1;
	if (rc < 0 || !packs) {
		snprintf(err, errcap, "objects/pack: cannot list it");
		goto out;
	}
	for (size_t i = 0; i < nnames; i++) {
		struct rp_pack *p = &packs[np];
		snprintf(p->base, sizeof p->base, "objects/pack/%s", names[i]);
		if (!exists(dir, p->base, ".pack") || exists(dir, p->base, ".keep") || exists(dir, p->base, ".promisor") ||
			exists(dir, p->base, ".mtimes"))
			continue;
		char pn[320], in[320];
		snprintf(pn, sizeof pn, "%s.pack", p->base);
		snprintf(in, sizeof in, "%s.idx", p->base);
		if (map_file(dir, pn, &p->pack, &p->pack_len) < 0)
			continue;
		if (map_file(dir, in, &p->idx, &p->idx_len) < 0) {
			munmap((void *)(uintptr_t)p->pack, p->pack_len);
			continue;
		}
		struct gitstore_oid sum;
		/* a pack is merged only when its idx and its header and trailer agree */
		if (gitstore_idx_parse(&p->x, algo, p->idx, p->idx_len, p->pack_len, GITSTORE_IDX_VERIFY) < 0 ||
			memcmp(p->pack, "PACK", 4) != 0 || be32(p->pack + 8) != p->x.count ||
			(gitstore_idx_pack_checksum(&p->x, &sum), memcmp(sum.b, p->pack + p->pack_len - h, h) != 0)) {
			munmap((void *)(uintptr_t)p->pack, p->pack_len);
			munmap((void *)(uintptr_t)p->idx, p->idx_len);
			continue;
		}
		p->size = p->pack_len;
		p->take = true;
		np++;
	}
	ret = 0;
	if (np <= max_packs || np < 3)
		goto out;
	qsort(packs, np, sizeof *packs, by_size);
	packs[np - 1].take = false;   /* the largest stays as it is */
	/* The objects to write: each once. */
	size_t nids = 0;
	for (size_t k = 0; k + 1 < np; k++)
		nids += packs[k].x.count;
	ids = malloc((nids ? nids : 1) * sizeof *ids);
	if (!ids) {
		snprintf(err, errcap, "out of memory");
		ret = -1;
		goto out;
	}
	size_t at = 0, count = 0;
	for (size_t k = 0; k + 1 < np; k++)
		for (uint32_t i = 0; i < packs[k].x.count; i++)
			gitstore_idx_entry(&packs[k].x, i, &ids[at++], NULL, NULL);
	qsort(ids, nids, sizeof *ids, by_id);
	for (size_t i = 0; i < nids; i++)
		count += i == 0 || gitstore_oid_cmp(&ids[i], &ids[i - 1]) != 0;
	merged = np - 1;
	if (count > UINT32_MAX) {
		merged = 0;
		goto out;
	}
	slots = malloc((count ? count : 1) * sizeof *slots);
	if (!slots) {
		snprintf(err, errcap, "out of memory");
		ret = -1;
		goto out;
	}
	/* Written first, so its name (the checksum) is known once it is done. */
	uint8_t rnd[8];
	cl_random(NULL, rnd, sizeof rnd);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "objects/pack/tmp_pack_cl%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
		rnd[4], rnd[5]);
	struct gitstore_oid sum;
	if ((rc = write_merged(dir, tmp, algo, packs, np - 1, (uint32_t)count, slots, &sum, err, errcap)) < 0) {
		ret = -1;
		goto out;
	}
	uint64_t n64 = 0;
	for (size_t i = 0; i < count; i++)
		n64 += slots[i].offset >= 0x80000000ull;
	size_t icap = gitstore_idx_size(algo, (uint32_t)count, (uint32_t)n64), needed = 0;
	idx = malloc(icap);
	int il = idx ? gitstore_idx_write(algo, slots, (uint32_t)count, &sum, idx, icap, &needed) : GITSTORE_ENOMEM;
	char hex[GITSTORE_HEX_MAX], final[320];
	gitstore_oid_to_hex(algo, &sum, hex);
	if (il < 0) {
		snprintf(err, errcap, "writing the idx: %s", gitstore_strerror(il));
		unlink_in(dir, tmp, "");
		ret = -1;
		goto out;
	}
	snprintf(final, sizeof final, "objects/pack/pack-%s", hex);
	if (exists(dir, final, ".idx") && exists(dir, final, ".pack")) {
		unlink_in(dir, tmp, "");
		goto remove_old;   /* this very merge is in place already (one stopped before removing) */
	}
	snprintf(final, sizeof final, "objects/pack/pack-%s.pack", hex);
	if (move_in(dir, tmp, final) != 0) {
		snprintf(err, errcap, "%s: %s", final, strerror(errno));
		unlink_in(dir, tmp, "");
		ret = -1;
		goto out;
	}
	snprintf(final, sizeof final, "objects/pack/pack-%s.idx", hex);
	if (put_file(dir, tmp, final, idx, (size_t)il) != 0) {
		snprintf(err, errcap, "%s: %s", final, strerror(errno));
		snprintf(final, sizeof final, "objects/pack/pack-%s", hex);
		unlink_in(dir, final, ".pack");
		ret = -1;
		goto out;
	}
	sync_dir(dir);
remove_old:
	/* Only now do the merged packs go: idx first, then the pack and what
	 * git derives from it. A reader that mapped them keeps its mapping. */
	for (size_t k = 0; k < np; k++) {
		if (!packs[k].take)
			continue;
		for (size_t e = 0; e < sizeof exts / sizeof *exts; e++) {
			char p[PATH_CAP];
			if (snprintf(p, sizeof p, "%s/%s%s", dir, packs[k].base, exts[e]) < (int)sizeof p)
				unlink(p);
		}
	}
	sync_dir(dir);
	ret = (int)merged;
out:
	for (size_t k = 0; k < np; k++) {
		munmap((void *)(uintptr_t)packs[k].pack, packs[k].pack_len);
		munmap((void *)(uintptr_t)packs[k].idx, packs[k].idx_len);
	}
	free(packs);
	free(names);
	free(ids);
	free(slots);
	free(idx);
	flock(lock, LOCK_UN);
	close(lock);
	cl_files_close(&f);
	return ret;
}

void gf_repack_maybe(const char *path, const char *what)
{
	char err[600];
	uint64_t t0 = cl_now_ms();
	int n = gf_repack(path, GF_PACKS_MERGE_AT, err, sizeof err);
	if (n < 0) {
		cl_log(CL_LOG_WARN, "%s: merging packs: %s (the packs stay as they were)", what, err);
	} else if (n > 0) {
		gf_repo_packs_added();
		cl_log(CL_LOG_INFO, "%s: %d packs merged into one (%llu ms)", what, n,
			(unsigned long long)(cl_now_ms() - t0));
	}
}
