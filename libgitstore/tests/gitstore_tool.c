/*
 * gitstore_tool: drives libgitstore against real repositories for the
 * interop tests (test code: it may use libc freely).
 *
 *   cat-all PACK IDX          every object of the pack, in id order, in the
 *                             format of `git cat-file --batch-all-objects --batch`
 *   index-pack PACK OUT.idx   write the .idx v2 of PACK
 *   verify PACK IDX           gitstore_pack_verify
 *   cat-loose GITDIR          ids on stdin: each loose object as --batch prints it
 *   write GITDIR              write loose objects of every kind and a pack with
 *                             them, print the ids written (tree, commit, tag, pack)
 *   show-refs GITDIR          "<hex> <name>" for every ref (loose and packed)
 *   update-ref GITDIR NAME HEX [OLDHEX]   compare-and-swap a ref
 *   check-refname NAME...     "ok" or "bad" per name, as git check-ref-format
 *   kv-get GITDIR BRANCH PATH          the value at PATH on BRANCH (packs and loose)
 *   kv-set GITDIR BRANCH PATH VALUE    commit PATH=VALUE on BRANCH (VALUE "-": remove)
 *   merge-base GITDIR A B     the merge base of two commits (hex)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <cloudlet/gitstore.h>

/* GITSTORE_ALGO=sha256 in the environment switches the object format. */
static int algo = GITSTORE_SHA1;

static int die(const char *what, int rc)
{
	fprintf(stderr, "gitstore_tool: %s: %s\n", what, gitstore_strerror(rc));
	exit(1);
}

static const uint8_t *map_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	struct stat st;
	fstat(fd, &st);
	*len = (size_t)st.st_size;
	void *p = mmap(NULL, *len ? *len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* ---- the storage binding of libgitstore's test programs ---- */

#include "gt_files.h"

/* ---- commands ---- */

static struct gitstore_pack_buf bufs(size_t out, size_t scratch)
{
	struct gitstore_pack_buf b = { malloc(out), out, malloc(scratch), scratch, 0, 0 };
	return b;
}

/* Read with growing buffers until ENOMEM stops. */
static int read_grow(struct gitstore_pack *p, uint64_t off, struct gitstore_pack_buf *b, int *type)
{
	for (;;) {
		int rc = gitstore_pack_read(p, off, b, type);
		if (rc != GITSTORE_ENOMEM)
			return rc;
		if (b->out_needed > b->out_cap) {
			b->out_cap = b->out_needed;
			b->out = realloc(b->out, b->out_cap);
		}
		size_t sn = b->scratch_needed > b->scratch_cap ? b->scratch_needed : b->scratch_cap;
		if (sn < 8 * 4096 + 2 * b->out_cap)
			sn = 8 * 4096 + 2 * b->out_cap;
		if (sn > b->scratch_cap) {
			b->scratch_cap = sn;
			b->scratch = realloc(b->scratch, sn);
		}
	}
}

static void print_obj(const struct gitstore_oid *id, int type, const uint8_t *data, size_t len, FILE *out)
{
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(algo, id, hex);
	fprintf(out, "%s %s %zu\n", hex, gitstore_type_name(type), len);
	fwrite(data, 1, len, out);
	fputc('\n', out);
}

static int cat_all(const char *pack, const char *idxf)
{
	size_t plen, ilen;
	const uint8_t *pd = map_file(pack, &plen), *id = map_file(idxf, &ilen);
	struct gitstore_idx idx;
	struct gitstore_pack p;
	static uint8_t arena[GITSTORE_INFLATE_ARENA];
	struct gitstore_arena a;
	gitstore_arena_init(&a, arena, sizeof arena);
	int rc = gitstore_idx_parse(&idx, algo, id, ilen, plen, GITSTORE_IDX_VERIFY);
	if (rc < 0)
		die("idx", rc);
	struct gitstore_limits l = { .max_depth = 4095 };
	/* GITSTORE_WINDOW=N: read the pack through the storage ops, N bytes at a time */
	const char *win = getenv("GITSTORE_WINDOW");
	if (win) {
		static uint8_t *window;
		size_t wl = (size_t)atol(win);
		window = malloc(wl);
		root[0] = 0;
		rc = gitstore_pack_open_ops(&p, algo, &px_ops, NULL, pack[0] == '/' ? pack + 1 : pack, &idx, &l, &a, window, wl);
	} else {
		rc = gitstore_pack_open(&p, algo, pd, plen, &idx, &l, &a);
	}
	if (rc < 0)
		die("pack", rc);
	struct gitstore_pack_buf b = bufs(1 << 20, 8 * 4096 + (3 << 20));
	static struct gitstore_pack_cache cache;
	static struct gitstore_cache_slot slots[8192];
	static uint8_t ring[16 << 20];
	if (!getenv("GITSTORE_NOCACHE")) {
		gitstore_pack_cache_init(&cache, ring, sizeof ring, slots, 8192);
		gitstore_pack_set_cache(&p, &cache);
	}
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	for (uint32_t i = 0; i < idx.count; i++) {
		struct gitstore_oid oid;
		uint64_t off;
		int type;
		gitstore_idx_entry(&idx, i, &oid, &off, NULL);
		rc = read_grow(&p, off, &b, &type);
		if (rc < 0)
			die("read", rc);
		print_obj(&oid, type, b.out, (size_t)rc, stdout);
	}
	return 0;
}

static int index_pack(const char *pack, const char *outf)
{
	size_t plen;
	const uint8_t *pd = map_file(pack, &plen);
	uint32_t count;
	size_t idx_max;
	int rc = gitstore_pack_index_sizes(algo, pd, plen, &count, &idx_max);
	if (rc < 0)
		die("sizes", rc);
	struct gitstore_index_slot *slots = calloc(count ? count : 1, sizeof *slots);
	uint8_t *idx = malloc(idx_max);
	static uint8_t arena[GITSTORE_INFLATE_ARENA];
	struct gitstore_arena a;
	gitstore_arena_init(&a, arena, sizeof arena);
	struct gitstore_pack_buf b = bufs(1 << 20, 8 * 4096 + (3 << 20));
	struct gitstore_limits l = { .max_depth = 4095 };
	struct gitstore_oid sum;
	for (;;) {
		static struct gitstore_pack_cache cache;
		static struct gitstore_cache_slot cslots[65536];
		static uint8_t ring[64 << 20];
		gitstore_pack_cache_init(&cache, ring, sizeof ring, cslots, 65536);
		rc = gitstore_pack_index(algo, pd, plen, &l, &a, slots, count, &b,
			getenv("GITSTORE_NOCACHE") ? NULL : &cache, idx, idx_max, &sum);
		if (rc != GITSTORE_ENOMEM || (b.out_needed <= b.out_cap && b.scratch_needed <= b.scratch_cap))
			break;
		if (b.out_needed > b.out_cap)
			b.out = realloc(b.out, b.out_cap = b.out_needed);
		size_t sn = 8 * 4096 + 2 * b.out_cap + (b.scratch_needed > b.scratch_cap ? b.scratch_needed : 0);
		if (sn > b.scratch_cap)
			b.scratch = realloc(b.scratch, b.scratch_cap = sn);
	}
	if (rc < 0)
		die("index-pack", rc);
	FILE *f = fopen(outf, "wb");
	fwrite(idx, 1, (size_t)rc, f);
	fclose(f);
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(algo, &sum, hex);
	printf("%s\n", hex);
	return 0;
}

static int verify(const char *pack, const char *idxf)
{
	size_t plen, ilen;
	const uint8_t *pd = map_file(pack, &plen), *id = map_file(idxf, &ilen);
	struct gitstore_idx idx;
	struct gitstore_pack p;
	static uint8_t arena[GITSTORE_INFLATE_ARENA];
	struct gitstore_arena a;
	gitstore_arena_init(&a, arena, sizeof arena);
	int rc = gitstore_idx_parse(&idx, algo, id, ilen, plen, GITSTORE_IDX_VERIFY);
	if (rc < 0)
		die("idx", rc);
	struct gitstore_limits l = { .max_depth = 4095, .max_object = 1u << 30 };
	if ((rc = gitstore_pack_open(&p, algo, pd, plen, &idx, &l, &a)) < 0)
		die("pack", rc);
	struct gitstore_pack_buf b = bufs(64 << 20, 8 * 4096 + (160 << 20));
	uint32_t bad = 0;
	if ((rc = gitstore_pack_verify(&p, &b, &bad)) < 0) {
		fprintf(stderr, "at position %u\n", bad);
		die("verify", rc);
	}
	printf("ok %u objects\n", idx.count);
	return 0;
}

static int cat_loose(const char *gitdir)
{
	snprintf(root, sizeof root, "%s", gitdir);
	static uint8_t arena[GITSTORE_INFLATE_ARENA];
	struct gitstore_repo r;
	gitstore_repo_init(&r, &px_ops, NULL, algo, NULL, arena, sizeof arena);
	char line[256];
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		struct gitstore_oid id;
		int type, rc;
		size_t need;
		if (gitstore_oid_from_hex(algo, line, strlen(line), &id) < 0)
			die(line, GITSTORE_EHEX);
		while ((rc = gitstore_loose_read(&r, &id, &type, buf, cap, &need)) == GITSTORE_ENOMEM)
			buf = realloc(buf, cap = need);
		if (rc < 0)
			die(line, rc);
		print_obj(&id, type, buf, (size_t)rc, stdout);
	}
	return 0;
}

/* Objects of every kind, written loose and as one pack (plus its .idx). */
static int write_repo(const char *gitdir)
{
	snprintf(root, sizeof root, "%s", gitdir);
	static uint8_t arena[GITSTORE_DEFLATE_ARENA];
	struct gitstore_repo r;
	gitstore_repo_init(&r, &px_ops, NULL, algo, NULL, arena, sizeof arena);
	struct { int type; uint8_t data[8192]; size_t len; struct gitstore_oid id; } o[10];
	int n = 0, rc;
	const char *blobs[] = { "hello\n", "#!/bin/sh\necho hi\n", "target.txt", "caf\xc3\xa9\n" };
	for (int i = 0; i < 4; i++) {
		o[n].type = GITSTORE_BLOB;
		o[n].len = strlen(blobs[i]);
		memcpy(o[n].data, blobs[i], o[n].len);
		n++;
	}
	struct gitstore_tree_entry e[4];
	const char *names[] = { "caf\xc3\xa9.txt", "hello.txt", "link", "run.sh" };
	uint32_t modes[] = { GITSTORE_MODE_FILE, GITSTORE_MODE_FILE, GITSTORE_MODE_LINK, GITSTORE_MODE_EXEC };
	int blob_of[] = { 3, 0, 2, 1 };
	for (int i = 0; i < 4; i++)
		gitstore_obj_hash(algo, GITSTORE_BLOB, o[blob_of[i]].data, o[blob_of[i]].len, &o[blob_of[i]].id);
	for (int i = 0; i < 4; i++) {
		e[i].mode = modes[i];
		e[i].name.p = (const uint8_t *)names[i];
		e[i].name.len = strlen(names[i]);
		e[i].id = o[blob_of[i]].id;
	}
	gitstore_tree_sort(e, 4);
	o[n].type = GITSTORE_TREE;
	rc = gitstore_tree_write(algo, e, 4, o[n].data, sizeof o[n].data, NULL);
	if (rc < 0)
		die("tree", rc);
	o[n].len = (size_t)rc;
	gitstore_obj_hash(algo, GITSTORE_TREE, o[n].data, o[n].len, &o[n].id);
	int tree = n++;
	uint8_t who[128];
	int wl = gitstore_ident_write("G\xc3\xbcnther Store", "store@example.org", 1700000000, 120, who, sizeof who);
	struct gitstore_commit_info ci = { &o[tree].id, NULL, 0, { who, (size_t)wl }, { who, (size_t)wl },
		{ (const uint8_t *)"First\n", 6 } };
	o[n].type = GITSTORE_COMMIT;
	o[n].len = (size_t)gitstore_commit_write(algo, &ci, o[n].data, sizeof o[n].data, NULL);
	gitstore_obj_hash(algo, GITSTORE_COMMIT, o[n].data, o[n].len, &o[n].id);
	int c1 = n++;
	ci.parents = &o[c1].id;
	ci.nparents = 1;
	ci.message.p = (const uint8_t *)"Second\n";
	ci.message.len = 7;
	o[n].type = GITSTORE_COMMIT;
	o[n].len = (size_t)gitstore_commit_write(algo, &ci, o[n].data, sizeof o[n].data, NULL);
	gitstore_obj_hash(algo, GITSTORE_COMMIT, o[n].data, o[n].len, &o[n].id);
	int c2 = n++;
	struct gitstore_tag_info ti = { &o[c2].id, GITSTORE_COMMIT, { (const uint8_t *)"v1", 2 },
		{ who, (size_t)wl }, { (const uint8_t *)"Tagged\n", 7 } };
	o[n].type = GITSTORE_TAG;
	o[n].len = (size_t)gitstore_tag_write(algo, &ti, o[n].data, sizeof o[n].data, NULL);
	n++;
	int tagi = n - 1;
	/* two versions of a text, the second to be stored as a delta of the first */
	for (int v = 0; v < 2; v++) {
		o[n].type = GITSTORE_BLOB;
		o[n].len = 0;
		for (int l = 0; l < 150; l++)
			o[n].len += (size_t)snprintf((char *)o[n].data + o[n].len, sizeof o[n].data - o[n].len,
				"line %d of a zone or a page%s\n", l, v && l == 70 ? ", changed" : "");
		n++;
	}
	for (int i = 0; i < n; i++) {
		if ((rc = gitstore_loose_write(&r, o[i].type, o[i].data, o[i].len, 0, &o[i].id)) < 0)
			die("loose write", rc);
	}
	/* the same objects as a pack and its index */
	struct gitstore_pack_writer w;
	struct gitstore_index_slot slots[10];
	static uint8_t out[65536];
	struct gitstore_oid sum;
	size_t ol = 0;
	static uint32_t dindex[1024];
	static uint8_t dbuf[8192];
	ol += (size_t)gitstore_pack_writer_begin(&w, algo, (uint32_t)n, &r.arena, out, sizeof out);
	for (int i = 0; i < n; i++) {
		if (i == n - 1)
			rc = gitstore_pack_writer_delta(&w, o[i].type, o[i].data, o[i].len, slots[i - 1].offset,
				o[i - 1].data, o[i - 1].len, dindex, 1024, dbuf, out + ol, sizeof out - ol, &slots[i]);
		else
			rc = gitstore_pack_writer_object(&w, o[i].type, o[i].data, o[i].len, out + ol, sizeof out - ol, &slots[i]);
		if (rc < 0)
			die("pack write", rc);
		ol += (size_t)rc;
	}
	ol += (size_t)gitstore_pack_writer_finish(&w, out + ol, sizeof out - ol, &sum);
	static uint8_t idx[8192];
	rc = gitstore_idx_write(algo, slots, (uint32_t)n, &sum, idx, sizeof idx, NULL);
	if (rc < 0)
		die("idx write", rc);
	char hex[GITSTORE_HEX_MAX], name[256];
	gitstore_oid_to_hex(algo, &sum, hex);
	snprintf(name, sizeof name, "objects/pack/pack-%s.pack", hex);
	px_append(NULL, name, out, ol);
	snprintf(name, sizeof name, "objects/pack/pack-%s.idx", hex);
	px_append(NULL, name, idx, (size_t)rc);
	gitstore_oid_to_hex(algo, &o[tagi].id, hex);
	printf("tag %s\n", hex);
	gitstore_oid_to_hex(algo, &o[c2].id, hex);
	printf("commit %s\n", hex);
	gitstore_oid_to_hex(algo, &sum, hex);
	printf("pack %s\n", hex);
	return 0;
}

static int show_one(void *arg, const char *name, const struct gitstore_ref *ref)
{
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(algo, &ref->id, hex);
	printf("%s %s\n", ref->symbolic ? ref->target : hex, name);
	return 0;
}

static void repo_open(struct gitstore_repo *r, const char *gitdir)
{
	static uint8_t arena[GITSTORE_INFLATE_ARENA];
	snprintf(root, sizeof root, "%s", gitdir);
	gitstore_repo_init(r, &px_ops, NULL, algo, NULL, arena, sizeof arena);
}

static int show_refs(const char *gitdir)
{
	struct gitstore_repo r;
	repo_open(&r, gitdir);
	int rc = gitstore_ref_list(&r, "refs/", show_one, NULL);
	if (rc < 0)
		die("list", rc);
	return 0;
}

static int update_ref(const char *gitdir, const char *name, const char *hex, const char *oldhex)
{
	struct gitstore_repo r;
	struct gitstore_oid id, old;
	repo_open(&r, gitdir);
	if (gitstore_oid_from_hex(algo, hex, strlen(hex), &id) < 0 ||
		(oldhex && gitstore_oid_from_hex(algo, oldhex, strlen(oldhex), &old) < 0))
		die("hex", GITSTORE_EHEX);
	int rc = gitstore_ref_update(&r, name, &id, oldhex ? &old : NULL);
	if (rc < 0)
		die(name, rc);
	return 0;
}

static struct gitstore_idx kv_idx[16];
static struct gitstore_pack kv_packs[16];
static uint8_t kv_scratch[8 * 1025 + (64 << 20)];
static uint8_t kv_parena[GITSTORE_INFLATE_ARENA];
static struct gitstore_arena kv_pa;

/* A repository with every pack of objects/pack mapped and attached. */
static void kv_repo(struct gitstore_repo *r, const char *gitdir)
{
	static uint8_t arena[GITSTORE_DEFLATE_ARENA];
	char dir[4096];
	snprintf(root, sizeof root, "%s", gitdir);
	gitstore_repo_init(r, &px_ops, NULL, algo, NULL, arena, sizeof arena);
	gitstore_arena_init(&kv_pa, kv_parena, sizeof kv_parena);
	snprintf(dir, sizeof dir, "%s/objects/pack", gitdir);
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	while (d && (de = readdir(d)) && n < 16) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".idx"))
			continue;
		char ip[8400], pp[8400];
		size_t il, pl;
		snprintf(ip, sizeof ip, "%s/%s", dir, de->d_name);
		snprintf(pp, sizeof pp, "%s/%.*s.pack", dir, (int)(l - 4), de->d_name);
		const uint8_t *id = map_file(ip, &il), *pd = map_file(pp, &pl);
		int rc = gitstore_idx_parse(&kv_idx[n], algo, id, il, pl, 0);
		if (rc == 0)
			rc = gitstore_pack_open(&kv_packs[n], algo, pd, pl, &kv_idx[n], NULL, &kv_pa);
		if (rc < 0)
			die(pp, rc);
		n++;
	}
	if (d)
		closedir(d);
	gitstore_repo_set_packs(r, kv_packs, n, kv_scratch, sizeof kv_scratch);
}

static int kv_cmd(int argc, char **argv)
{
	struct gitstore_repo r;
	struct gitstore_kv kv;
	static uint8_t work[1 << 22], out[1 << 24];
	kv_repo(&r, argv[2]);
	int rc = gitstore_kv_init(&kv, &r, argv[3], work, sizeof work);
	if (rc < 0)
		die("kv", rc);
	if (argc == 5) {
		rc = gitstore_kv_get(&kv, NULL, argv[4], out, sizeof out, NULL);
		if (rc < 0)
			die(argv[4], rc);
		fwrite(out, 1, (size_t)rc, stdout);
		return 0;
	}
	uint8_t who[128];
	int wl = gitstore_ident_write("K V Store", "kv@example.org", 1700000100, 0, who, sizeof who);
	struct gitstore_kv_commit_info ci = { { who, (size_t)wl }, { who, (size_t)wl }, { (const uint8_t *)"kv-set\n", 7 } };
	bool rm = !strcmp(argv[5], "-");
	struct gitstore_kv_change ch = { argv[4], rm ? NULL : (const uint8_t *)argv[5], rm ? 0 : strlen(argv[5]), 0 };
	struct gitstore_oid c;
	rc = gitstore_kv_commit(&kv, &ch, 1, &ci, NULL, &c);
	if (rc < 0)
		die(argv[4], rc);
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(algo, &c, hex);
	printf("%s\n", hex);
	return 0;
}

static int merge_base(const char *gitdir, const char *ah, const char *bh)
{
	struct gitstore_repo r;
	struct gitstore_oid a, b, m;
	static struct gitstore_commit_mark marks[1 << 16];
	static uint32_t index[1 << 18];
	static uint8_t buf[1 << 20];
	size_t need;
	kv_repo(&r, gitdir);
	if (gitstore_oid_from_hex(algo, ah, strlen(ah), &a) < 0 || gitstore_oid_from_hex(algo, bh, strlen(bh), &b) < 0)
		die("hex", GITSTORE_EHEX);
	int rc = gitstore_merge_base(&r, &a, &b, marks, 1 << 16, index, 1 << 18, buf, sizeof buf, &m, &need);
	if (rc < 0)
		die("merge-base", rc);
	char hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(algo, &m, hex);
	printf("%s\n", hex);
	return 0;
}

int main(int argc, char **argv)
{
	const char *a = getenv("GITSTORE_ALGO");
	if (a && !strcmp(a, "sha256"))
		algo = GITSTORE_SHA256;
	if (argc == 4 && !strcmp(argv[1], "cat-all"))
		return cat_all(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "index-pack"))
		return index_pack(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return verify(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "cat-loose"))
		return cat_loose(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "write"))
		return write_repo(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "show-refs"))
		return show_refs(argv[2]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "update-ref"))
		return update_ref(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	if (argc == 5 && !strcmp(argv[1], "merge-base"))
		return merge_base(argv[2], argv[3], argv[4]);
	if ((argc == 5 && !strcmp(argv[1], "kv-get")) || (argc == 6 && !strcmp(argv[1], "kv-set")))
		return kv_cmd(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "check-refname")) {
		for (int i = 2; i < argc; i++)
			printf("%s\n", gitstore_refname_check(argv[i], 0) == 0 ? "ok" : "bad");
		return 0;
	}
	fprintf(stderr, "usage: gitstore_tool cat-all|index-pack|verify|cat-loose|write ...\n");
	return 2;
}
