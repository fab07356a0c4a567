/*
 * Packs and their indexes: written, indexed, read back; then every kind of
 * hostile pack and index the store must refuse with a specific error.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>
#include "gt_util.h"
#include "gt_pack.h"
#include "gt_mem.h"
#include "gitstore_int.h"

static uint8_t arena_buf[GITSTORE_DEFLATE_ARENA];
static struct gitstore_arena arena;
static uint8_t outb[1 << 20], scratch[8 * 4096 + (2 << 20)];

static struct gitstore_pack_buf pbuf(void)
{
	struct gitstore_pack_buf b = { outb, sizeof outb, scratch, sizeof scratch, 0, 0 };
	return b;
}

/* Index a pack built in memory: the idx length, or the error. */
static int index_it(const struct gt_pack *p, const struct gitstore_limits *l, uint8_t *idx, size_t cap)
{
	struct gitstore_index_slot slots[64];
	struct gitstore_pack_buf b = pbuf();
	struct gitstore_oid sum;
	const uint8_t *g = gt_guard(p->d, p->len);
	return gitstore_pack_index(GITSTORE_SHA1, g, p->len, l, &arena, slots, 64, &b, NULL, idx, cap, &sum);
}

static const char *const texts[] = {
	"hello\n", "", "a much longer blob that compresses a little: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\nm\n",
};

static void test_write_index_read(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	int types[] = { GITSTORE_BLOB, GITSTORE_BLOB, GITSTORE_BLOB, GITSTORE_COMMIT };
	struct gitstore_pack_writer w;
	struct gitstore_index_slot slots[4];
	static uint8_t pack[8192], idx[4096], idx2[4096];
	size_t pl = 0;
	struct gitstore_oid sum, sum2;
	pl += (size_t)gitstore_pack_writer_begin(&w, GITSTORE_SHA1, 4, &arena, pack, sizeof pack);
	assert_int_equal(gitstore_pack_writer_finish(&w, pack + pl, sizeof pack - pl, &sum), GITSTORE_EINVAL);
	for (int i = 0; i < 4; i++) {
		size_t len = strlen(texts[i]);
		assert_int_equal(gitstore_pack_writer_object(&w, types[i], (const uint8_t *)texts[i], len, pack + pl, 8, NULL),
			GITSTORE_ENOMEM);
		int n = gitstore_pack_writer_object(&w, types[i], (const uint8_t *)texts[i], len, pack + pl, sizeof pack - pl, &slots[i]);
		assert_true(n > 0);
		pl += (size_t)n;
	}
	assert_int_equal(gitstore_pack_writer_object(&w, GITSTORE_BLOB, (const uint8_t *)"x", 1, pack + pl, sizeof pack - pl, NULL),
		GITSTORE_EINVAL);
	pl += (size_t)gitstore_pack_writer_finish(&w, pack + pl, sizeof pack - pl, &sum);
	size_t need = 0;
	assert_int_equal(gitstore_idx_write(GITSTORE_SHA1, slots, 4, &sum, idx, 100, &need), GITSTORE_ENOMEM);
	assert_int_equal(need, gitstore_idx_size(GITSTORE_SHA1, 4, 0));
	int il = gitstore_idx_write(GITSTORE_SHA1, slots, 4, &sum, idx, sizeof idx, NULL);
	assert_int_equal(il, (int)need);

	/* indexing the pack gives the same .idx, byte for byte */
	struct gitstore_index_slot s2[4];
	struct gitstore_pack_buf b = pbuf();
	assert_int_equal(gitstore_pack_index(GITSTORE_SHA1, pack, pl, NULL, &arena, s2, 3, &b, NULL, idx2, sizeof idx2, &sum2),
		GITSTORE_ENOMEM);
	int il2 = gitstore_pack_index(GITSTORE_SHA1, pack, pl, NULL, &arena, s2, 4, &b, NULL, idx2, sizeof idx2, &sum2);
	assert_int_equal(il2, il);
	assert_memory_equal(idx, idx2, (size_t)il);

	struct gitstore_idx x;
	struct gitstore_pack p;
	const uint8_t *gi = gt_guard(idx, (size_t)il);
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, gi, (size_t)il, pl, GITSTORE_IDX_VERIFY), 0);
	assert_int_equal(x.count, 4);
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, pack, pl, &x, NULL, &arena), 0);
	for (int i = 0; i < 4; i++) {
		struct gitstore_oid id;
		int type;
		gitstore_obj_hash(GITSTORE_SHA1, types[i], texts[i], strlen(texts[i]), &id);
		int n = gitstore_pack_get(&p, &id, &b, &type);
		assert_int_equal(n, (int)strlen(texts[i]));
		assert_int_equal(type, types[i]);
		assert_memory_equal(outb, texts[i], (size_t)n);
	}
	struct gitstore_oid none = gt_oid("ffffffffffffffffffffffffffffffffffffffff");
	int type;
	assert_int_equal(gitstore_pack_get(&p, &none, &b, &type), GITSTORE_ENOENT);
	assert_int_equal(gitstore_pack_verify(&p, &b, NULL), 0);
}

/* A pack whose second and third objects are deltas the writer made. */
static void test_write_deltas(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	static uint8_t v1[20000], v2[20500], v3[300], pack[1 << 16], idx[4096], idx2[4096], dbuf[20500];
	static uint32_t index[4096];
	uint32_t x = 3;
	for (size_t i = 0; i < sizeof v1; i++) {
		x = x * 1103515245u + 12345u;
		v1[i] = (uint8_t)(x >> 16);
	}
	memcpy(v2, v1, 10000);
	memcpy(v2 + 10000, "a change in the middle of the file, then the rest", 50);
	memcpy(v2 + 10050, v1 + 9550, sizeof v2 - 10050);
	memset(v3, 'q', sizeof v3);
	struct gitstore_pack_writer w;
	struct gitstore_index_slot slots[3];
	struct gitstore_oid sum, sum2;
	size_t pl = (size_t)gitstore_pack_writer_begin(&w, GITSTORE_SHA1, 3, &arena, pack, sizeof pack);
	pl += (size_t)gitstore_pack_writer_object(&w, GITSTORE_BLOB, v1, sizeof v1, pack + pl, sizeof pack - pl, &slots[0]);
	assert_int_equal(gitstore_pack_writer_delta(&w, GITSTORE_BLOB, v2, sizeof v2, pl + 5, v1, sizeof v1, index, 4096,
		dbuf, pack + pl, sizeof pack - pl, &slots[1]), GITSTORE_EINVAL);   /* the base must come before */
	int n = gitstore_pack_writer_delta(&w, GITSTORE_BLOB, v2, sizeof v2, slots[0].offset, v1, sizeof v1, index, 4096,
		dbuf, pack + pl, sizeof pack - pl, &slots[1]);
	assert_true(n > 0 && n < 200);   /* a delta, not 20 kB of noise */
	pl += (size_t)n;
	/* nothing in common: stored whole */
	n = gitstore_pack_writer_delta(&w, GITSTORE_BLOB, v3, sizeof v3, slots[0].offset, v1, sizeof v1, index, 4096,
		dbuf, pack + pl, sizeof pack - pl, &slots[2]);
	assert_true(n > 0);
	pl += (size_t)n;
	pl += (size_t)gitstore_pack_writer_finish(&w, pack + pl, sizeof pack - pl, &sum);
	int il = gitstore_idx_write(GITSTORE_SHA1, slots, 3, &sum, idx, sizeof idx, NULL);
	struct gitstore_index_slot s2[3];
	struct gitstore_pack_buf b = pbuf();
	assert_int_equal(gitstore_pack_index(GITSTORE_SHA1, pack, pl, NULL, &arena, s2, 3, &b, NULL, idx2, sizeof idx2, &sum2), il);
	assert_memory_equal(idx, idx2, (size_t)il);
	struct gitstore_idx xi;
	struct gitstore_pack p;
	int type;
	assert_int_equal(gitstore_idx_parse(&xi, GITSTORE_SHA1, idx, (size_t)il, pl, GITSTORE_IDX_VERIFY), 0);
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, pack, pl, &xi, NULL, &arena), 0);
	struct gitstore_oid id;
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, v2, sizeof v2, &id);
	assert_int_equal(gitstore_pack_get(&p, &id, &b, &type), (int)sizeof v2);
	assert_memory_equal(outb, v2, sizeof v2);
	struct gitstore_pack_entry e;
	uint64_t off;
	gitstore_idx_find(&xi, &id, NULL, &off);
	assert_int_equal(gitstore_pack_entry(&p, off, &e), 0);
	assert_int_equal(e.type, GITSTORE_OFS_DELTA);
	assert_int_equal(gitstore_pack_verify(&p, &b, NULL), 0);
}

/* base blob; OFS delta on it; REF delta on the OFS delta; REF delta placed before its base */
static void delta_pack(struct gt_pack *p, struct gitstore_oid ids[4])
{
	static const char b0[] = "The quick brown fox jumps over the lazy dog\n";
	static const char r1[] = "The quick brown cat jumps over the lazy dog\n";
	static const char r2[] = "The quick brown cat sleeps\n";
	gt_pack_begin(p, 4);
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, b0, strlen(b0), &ids[0]);
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, r1, strlen(r1), &ids[1]);
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, r2, strlen(r2), &ids[2]);
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_BLOB, "The quick", 9, &ids[3]);
	/* 3: REF delta on 2 (which comes later and is itself a delta): "The quick" */
	const uint8_t d3[] = { 27, 9, 0x90, 9 };
	gt_pack_entry(p, GITSTORE_REF_DELTA, sizeof d3, 0, ids[2].b, d3, sizeof d3);
	uint64_t o0 = gt_pack_entry(p, GITSTORE_BLOB, strlen(b0), 0, NULL, b0, strlen(b0));
	/* 1: copy 16, insert "cat", copy 25 from 19 */
	const uint8_t d1[] = { 44, 44, 0x90, 16, 0x03, 'c', 'a', 't', 0x91, 19, 25 };
	uint64_t o1 = gt_pack_entry(p, GITSTORE_OFS_DELTA, sizeof d1, o0, NULL, d1, sizeof d1);
	(void)o1;
	/* 2: REF on 1: copy 20, insert "sleeps\n" */
	const uint8_t d2[] = { 44, 27, 0x90, 20, 0x07, 's', 'l', 'e', 'e', 'p', 's', '\n' };
	gt_pack_entry(p, GITSTORE_REF_DELTA, sizeof d2, 0, ids[1].b, d2, sizeof d2);
	struct gitstore_oid sum;
	gt_pack_finish(p, &sum);
}

/* delta_pack indexed, its idx parsed and the pack opened: the idx length. */
static int open_delta_pack(struct gt_pack *gp, struct gitstore_oid ids[4], uint8_t *idx, size_t cap,
	struct gitstore_idx *x, struct gitstore_pack *p)
{
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	delta_pack(gp, ids);
	int il = index_it(gp, NULL, idx, cap);
	assert_true(il > 0);
	assert_int_equal(gitstore_idx_parse(x, GITSTORE_SHA1, idx, (size_t)il, gp->len, GITSTORE_IDX_VERIFY), 0);
	assert_int_equal(gitstore_pack_open(p, GITSTORE_SHA1, gp->d, gp->len, x, NULL, &arena), 0);
	return il;
}

static void test_deltas(void **state)
{
	(void)state;
	struct gt_pack gp;
	struct gitstore_oid ids[4];
	static uint8_t idx[4096];
	struct gitstore_idx x;
	struct gitstore_pack p;
	open_delta_pack(&gp, ids, idx, sizeof idx, &x, &p);
	struct gitstore_pack_buf b = pbuf();
	int type;
	assert_int_equal(gitstore_pack_get(&p, &ids[2], &b, &type), 27);
	assert_memory_equal(outb, "The quick brown cat sleeps\n", 27);
	assert_int_equal(gitstore_pack_get(&p, &ids[3], &b, &type), 9);
	assert_int_equal(type, GITSTORE_BLOB);
	assert_int_equal(gitstore_pack_verify(&p, &b, NULL), 0);
	/* entry headers */
	struct gitstore_pack_entry e;
	assert_int_equal(gitstore_pack_entry(&p, gp.off[2], &e), 0);
	assert_int_equal(e.type, GITSTORE_OFS_DELTA);
	assert_int_equal(e.base_offset, gp.off[1]);
	assert_int_equal(gitstore_pack_entry(&p, gp.off[0], &e), 0);
	assert_int_equal(e.type, GITSTORE_REF_DELTA);
	assert_memory_equal(e.base_id.b, ids[2].b, 20);
	/* short buffers: each shortfall reported, then success */
	struct gitstore_pack_buf sb = { outb, 10, scratch, 8 * 1025, 0, 0 };
	assert_int_equal(gitstore_pack_get(&p, &ids[2], &sb, &type), GITSTORE_ENOMEM);
	assert_int_equal(sb.out_needed, 44);
	sb.out_cap = 44;
	assert_int_equal(gitstore_pack_get(&p, &ids[2], &sb, &type), GITSTORE_ENOMEM);
	assert_true(sb.scratch_needed > sb.scratch_cap);
	sb.scratch_cap = sb.scratch_needed;
	int rc = gitstore_pack_get(&p, &ids[2], &sb, &type);
	while (rc == GITSTORE_ENOMEM) {
		if (sb.out_needed > sb.out_cap)
			sb.out_cap = sb.out_needed;
		if (sb.scratch_needed > sb.scratch_cap)
			sb.scratch_cap = sb.scratch_needed;
		rc = gitstore_pack_get(&p, &ids[2], &sb, &type);
	}
	assert_int_equal(rc, 27);
	/* the chain is 2 deltas deep: a limit of 1 refuses it */
	struct gitstore_limits l = { .max_depth = 1 };
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, &x, &l, &arena), 0);
	assert_int_equal(gitstore_pack_get(&p, &ids[2], &b, &type), GITSTORE_EPACK_DEPTH);
	assert_int_equal(gitstore_pack_get(&p, &ids[1], &b, &type), 44);
	assert_int_equal(index_it(&gp, &l, idx, sizeof idx), GITSTORE_EPACK_DEPTH);
	/* without an idx, REF_DELTA bases cannot be found */
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, NULL, NULL, &arena), 0);
	assert_int_equal(gitstore_pack_read(&p, gp.off[3], &b, &type), GITSTORE_EPACK_BASE);
	assert_int_equal(gitstore_pack_read(&p, gp.off[2], &b, &type), 44);
	free(gp.d);
}

/* Entry headers written by gitstore_pack_entry_header read back the same,
 * at every boundary of the size's and the distance's 7-bit groups. */
static void test_entry_header(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	static const uint64_t sizes[] = { 0, 1, 15, 16, 2047, 2048, 262143, 262144, 1ull << 35, (1ull << 60) - 1 };
	static const uint64_t dists[] = { 1, 127, 128, 129, 16383, 16384, 16511, 16512, 16513, 2113663, 2113664, 700001 };
	static uint8_t buf[12 + 2113664 + 256];
	memcpy(buf, "PACK\0\0\0\2\0\0\0\1", 12);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (size_t j = 0; j < sizeof dists / sizeof dists[0]; j++) {
			for (int type = GITSTORE_COMMIT; type <= GITSTORE_REF_DELTA; type++) {
				if (type == 5)
					continue;
				uint64_t off = 12 + dists[j];
				uint8_t *at = buf + off;
				size_t n = gitstore_pack_entry_header(at, type, sizes[i], dists[j]);
				assert_true(n <= GITSTORE_PACK_ENTRY_HEADER_MAX);
				if (type == GITSTORE_REF_DELTA) {
					memset(at + n, 0xab, 20);
					n += 20;
				}
				memset(at + n, 0, 64 + 20);   /* data enough for a header's window, and a trailer */
				struct gitstore_pack p;
				struct gitstore_pack_entry e;
				assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, buf, off + n + 64 + 20, NULL, NULL, &arena), 0);
				int rc = gitstore_pack_entry(&p, off, &e);
				if (rc != 0 || e.type != type || e.size != sizes[i] || e.header_len != n ||
					(type == GITSTORE_OFS_DELTA && e.base_offset != 12))
					fail_msg("type %d size %llu distance %llu: rc %d type %d size %llu header %zu of %zu base %llu",
						type, (unsigned long long)sizes[i], (unsigned long long)dists[j], rc, e.type,
						(unsigned long long)e.size, e.header_len, n, (unsigned long long)e.base_offset);
			}
		}
	}
}

/*
 * The sorted offsets (git's reverse index) give every entry the end that
 * inflating it gives, so entries can be copied as they are; a bad idx or a
 * short table is refused and leaves the pack as it was.
 */
static void test_ends(void **state)
{
	(void)state;
	struct gt_pack gp;
	struct gitstore_oid ids[4];
	static uint8_t idx[4096];
	struct gitstore_idx x;
	struct gitstore_pack p;
	int il = open_delta_pack(&gp, ids, idx, sizeof idx, &x, &p);
	uint64_t inflated[4], ends[5];
	for (uint32_t i = 0; i < gp.n; i++) {
		struct gitstore_pack_entry e;
		assert_int_equal(gitstore_pack_entry(&p, gp.off[i], &e), 0);
		assert_int_equal(gitstore_int_entry_extent(&p, &e, NULL, NULL, &inflated[i]), 0);
	}
	assert_int_equal(gitstore_pack_set_ends(&p, ends, 3), GITSTORE_ENOMEM);
	assert_int_equal(gitstore_pack_set_ends(&p, ends, 4), 0);
	for (uint32_t i = 0; i < gp.n; i++) {
		struct gitstore_pack_entry e;
		uint64_t end = 0;
		assert_int_equal(gitstore_pack_entry(&p, gp.off[i], &e), 0);
		assert_int_equal(gitstore_int_entry_extent(&p, &e, NULL, NULL, &end), 0);
		if (end != inflated[i])
			fail_msg("entry %u at %llu: ends at %llu, inflating says %llu", i, (unsigned long long)gp.off[i],
				(unsigned long long)end, (unsigned long long)inflated[i]);
	}
	/* the last entry ends at the trailer */
	assert_true(inflated[gp.n - 1] == gp.len - 20);
	/* an offset that is no entry's start is refused, not guessed */
	struct gitstore_pack_entry e;
	assert_int_equal(gitstore_pack_entry(&p, gp.off[1], &e), 0);
	e.offset += 1;
	uint64_t end;
	assert_int_equal(gitstore_int_entry_extent(&p, &e, NULL, NULL, &end), GITSTORE_EPACK_OFFSET);
	/* verify-pack's checks pass through the table too */
	struct gitstore_pack_buf b = pbuf();
	assert_int_equal(gitstore_pack_verify(&p, &b, NULL), 0);
	/* no idx: nothing to sort */
	struct gitstore_pack q;
	assert_int_equal(gitstore_pack_open(&q, GITSTORE_SHA1, gp.d, gp.len, NULL, NULL, &arena), 0);
	assert_int_equal(gitstore_pack_set_ends(&q, ends, 4), GITSTORE_EINVAL);
	/* two entries at one offset (an idx that lies): refused, nothing set */
	static uint8_t bad[4096];
	memcpy(bad, idx, (size_t)il);
	struct gitstore_idx bx;
	assert_int_equal(gitstore_idx_parse(&bx, GITSTORE_SHA1, bad, (size_t)il, gp.len, 0), 0);
	size_t offs = 8 + 1024 + 4 * 24;   /* the 4-byte offsets, after the ids and the CRCs */
	memcpy(bad + offs + 4, bad + offs, 4);
	assert_int_equal(gitstore_pack_open(&q, GITSTORE_SHA1, gp.d, gp.len, &bx, NULL, &arena), 0);
	assert_int_equal(gitstore_pack_set_ends(&q, ends, 4), GITSTORE_EPACK_OFFSET);
	assert_int_equal(gitstore_pack_entry(&q, gp.off[1], &e), 0);
	assert_int_equal(gitstore_int_entry_extent(&q, &e, NULL, NULL, &end), 0);
	assert_true(end == inflated[1]);
	free(gp.d);
}

/* Reads with a cache of resolved objects give what reads without one give. */
static void test_cache(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	struct gt_pack gp;
	struct gitstore_oid ids[4];
	delta_pack(&gp, ids);
	static uint8_t idx[4096], want[4][64], ring[256];
	int want_len[4];
	int il = index_it(&gp, NULL, idx, sizeof idx);
	struct gitstore_idx x;
	struct gitstore_pack p;
	struct gitstore_pack_buf b = pbuf();
	int type;
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, idx, (size_t)il, gp.len, 0), 0);
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, &x, NULL, &arena), 0);
	for (int i = 0; i < 4; i++) {
		want_len[i] = gitstore_pack_get(&p, &ids[i], &b, &type);
		assert_true(want_len[i] > 0);
		memcpy(want[i], outb, (size_t)want_len[i]);
	}
	/* a roomy cache, a ring that keeps only small objects, one slot for all */
	size_t rings[3] = { sizeof ring, 64, sizeof ring };
	size_t nslots[3] = { 16, 16, 1 };
	for (int c = 0; c < 3; c++) {
		struct gitstore_pack_cache cache;
		struct gitstore_cache_slot slots[16];
		gitstore_pack_cache_init(&cache, ring, rings[c], slots, nslots[c]);
		gitstore_pack_set_cache(&p, &cache);
		static const int order[] = { 2, 3, 1, 0, 2, 2, 3, 0, 1, 3, 2, 1, 0, 0, 3, 1, 2 };
		for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
			int i = order[k];
			memset(outb, 0, 64);
			int n = gitstore_pack_get(&p, &ids[i], &b, &type);
			if (n != want_len[i] || memcmp(outb, want[i], (size_t)n) != 0)
				fail_msg("cache %d, read %zu (object %d) differs", c, k, i);
			assert_int_equal(type, GITSTORE_BLOB);
		}
		/* only delta bases are kept (as git's delta_base_cache); the 64-byte
		 * ring keeps objects of 16 bytes at most, and these bases are larger */
		if (c != 1)
			assert_true(cache.priv.written > 0);
	}
	gitstore_pack_set_cache(&p, NULL);
	assert_null(p.cache);
	free(gp.d);
}

static struct gt_mem mem;

/* A size op that claims ten bytes more than the file has. */
static int lying_size(void *ctx, const char *name, uint64_t *size)
{
	int rc = gt_mem_size(ctx, name, size);
	*size += 10;
	return rc;
}

/* The same packs read through the storage ops, with windows of every size. */
static void test_through_ops(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	struct gt_pack gp;
	struct gitstore_oid ids[4];
	delta_pack(&gp, ids);
	static uint8_t idx[4096], want[4][64], window[4096];
	int want_len[4];
	int il = index_it(&gp, NULL, idx, sizeof idx);
	struct gitstore_idx x;
	struct gitstore_pack p;
	struct gitstore_pack_buf b = pbuf();
	int type;
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, idx, (size_t)il, gp.len, 0), 0);
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, &x, NULL, &arena), 0);
	for (int i = 0; i < 4; i++) {
		want_len[i] = gitstore_pack_get(&p, &ids[i], &b, &type);
		memcpy(want[i], outb, (size_t)want_len[i]);
	}
	gt_mem_free(&mem);
	gt_mem_put(&mem, "objects/pack/p.pack", gp.d, gp.len);
	static const size_t sizes[] = { 64, 65, 70, 100, 128, 333, 4096 };
	for (size_t w = 0; w < sizeof sizes / sizeof sizes[0]; w++) {
		for (int cached = 0; cached < 2; cached++) {
			struct gitstore_pack_cache cache;
			struct gitstore_cache_slot slots[4];
			static uint8_t ring[128];
			assert_int_equal(gitstore_pack_open_ops(&p, GITSTORE_SHA1, &gt_mem_ops, &mem, "objects/pack/p.pack",
				&x, NULL, &arena, window, sizes[w]), 0);
			if (cached) {
				gitstore_pack_cache_init(&cache, ring, sizeof ring, slots, 4);
				gitstore_pack_set_cache(&p, &cache);
			}
			for (int round = 0; round < 2; round++) {
				for (int i = 3; i >= 0; i--) {
					int n = gitstore_pack_get(&p, &ids[i], &b, &type);
					if (n != want_len[i] || memcmp(outb, want[i], (size_t)n) != 0)
						fail_msg("window %zu, cache %d: object %d read as %d", sizes[w], cached, i, n);
				}
			}
			assert_int_equal(gitstore_pack_verify(&p, &b, NULL), 0);
		}
		/* index-pack through the window: the same .idx as from memory */
		struct gitstore_index_slot islots[8];
		static uint8_t idx2[4096];
		struct gitstore_oid sum;
		int il2 = gitstore_pack_index_ops(GITSTORE_SHA1, &gt_mem_ops, &mem, "objects/pack/p.pack", window, sizes[w],
			NULL, &arena, islots, 8, &b, NULL, idx2, sizeof idx2, &sum);
		if (il2 != il || memcmp(idx2, idx, (size_t)il) != 0)
			fail_msg("window %zu: index through the ops gives %d bytes, not the %d from memory", sizes[w], il2, il);
	}
	/* bad windows, missing files, a file shorter than its size */
	assert_int_equal(gitstore_pack_open_ops(&p, GITSTORE_SHA1, &gt_mem_ops, &mem, "objects/pack/p.pack",
		&x, NULL, &arena, window, 63), GITSTORE_EINVAL);
	assert_int_equal(gitstore_pack_open_ops(&p, GITSTORE_SHA1, &gt_mem_ops, &mem, "objects/pack/none.pack",
		&x, NULL, &arena, window, 64), GITSTORE_ENOENT);
	struct gitstore_storage_ops liar = gt_mem_ops;
	liar.size = lying_size;
	assert_int_equal(gitstore_pack_open_ops(&p, GITSTORE_SHA1, &liar, &mem, "objects/pack/p.pack",
		NULL, NULL, &arena, window, 64), GITSTORE_ETRUNCATED);
	/* corrupt bytes read through a window: the same errors as in memory */
	struct gt_file *f = gt_mem_find(&mem, "objects/pack/p.pack");
	f->data[gp.off[1] + 5] ^= 0x55;
	assert_int_equal(gitstore_pack_open_ops(&p, GITSTORE_SHA1, &gt_mem_ops, &mem, "objects/pack/p.pack",
		&x, NULL, &arena, window, 64), 0);
	assert_true(gitstore_pack_get(&p, &ids[0], &b, &type) < 0);
	assert_int_equal(gitstore_pack_verify(&p, &b, NULL), GITSTORE_EPACK_CHECKSUM);
	{
		struct gitstore_index_slot islots[8];
		static uint8_t idx2[4096];
		struct gitstore_oid sum;
		assert_int_equal(gitstore_pack_index_ops(GITSTORE_SHA1, &gt_mem_ops, &mem, "objects/pack/p.pack", window,
			64, NULL, &arena, islots, 8, &b, NULL, idx2, sizeof idx2, &sum), GITSTORE_EPACK_CHECKSUM);
		assert_int_equal(gitstore_pack_index_ops(GITSTORE_SHA1, &gt_mem_ops, &mem, "objects/pack/none.pack", window,
			64, NULL, &arena, islots, 8, &b, NULL, idx2, sizeof idx2, &sum), GITSTORE_ENOENT);
	}
	gt_mem_free(&mem);
	free(gp.d);
}

static void test_cycle_and_missing_base(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	struct gt_pack gp;
	struct gitstore_oid a = gt_oid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	struct gitstore_oid bb = gt_oid("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	const uint8_t d[] = { 1, 1, 0x01, 'x' };
	gt_pack_begin(&gp, 2);
	gt_pack_entry(&gp, GITSTORE_REF_DELTA, sizeof d, 0, bb.b, d, sizeof d);   /* claims to be a */
	gt_pack_entry(&gp, GITSTORE_REF_DELTA, sizeof d, 0, a.b, d, sizeof d);    /* claims to be b */
	struct gitstore_oid sum;
	gt_pack_finish(&gp, &sum);
	static uint8_t idx[4096];
	/* the indexer cannot know a and b: their bases are never found */
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EPACK_BASE);
	/* a forged idx that names them: reading follows a -> b -> a */
	struct gitstore_index_slot s[2] = { { .offset = gp.off[0], .id = a }, { .offset = gp.off[1], .id = bb } };
	int il = gitstore_idx_write(GITSTORE_SHA1, s, 2, &sum, idx, sizeof idx, NULL);
	struct gitstore_idx x;
	struct gitstore_pack p;
	struct gitstore_pack_buf b = pbuf();
	int type;
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, idx, (size_t)il, gp.len, GITSTORE_IDX_VERIFY), 0);
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, &x, NULL, &arena), 0);
	assert_int_equal(gitstore_pack_get(&p, &a, &b, &type), GITSTORE_EPACK_CYCLE);
	/* a self-reference */
	free(gp.d);
	gt_pack_begin(&gp, 1);
	gt_pack_entry(&gp, GITSTORE_REF_DELTA, sizeof d, 0, a.b, d, sizeof d);
	gt_pack_finish(&gp, &sum);
	s[0].offset = gp.off[0];
	s[0].id = a;
	il = gitstore_idx_write(GITSTORE_SHA1, s, 1, &sum, idx, sizeof idx, NULL);
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, idx, (size_t)il, gp.len, GITSTORE_IDX_VERIFY), 0);
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, &x, NULL, &arena), 0);
	assert_int_equal(gitstore_pack_get(&p, &a, &b, &type), GITSTORE_EPACK_CYCLE);
	free(gp.d);
}

/* A one-entry pack from a raw entry; index it. */
static int index_one(int type, uint64_t claimed, const void *raw, size_t len, const struct gitstore_limits *l)
{
	struct gt_pack gp;
	struct gitstore_oid sum;
	static uint8_t idx[4096];
	gt_pack_begin(&gp, 1);
	gt_pack_entry(&gp, type, claimed, 0, NULL, raw, len);
	gt_pack_finish(&gp, &sum);
	int rc = index_it(&gp, l, idx, sizeof idx);
	free(gp.d);
	return rc;
}

static void test_hostile_entries(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	assert_true(index_one(GITSTORE_BLOB, 6, "hello\n", 6, NULL) > 0);
	assert_int_equal(index_one(GITSTORE_BLOB, 5, "hello\n", 6, NULL), GITSTORE_EOBJ_SIZE);
	assert_int_equal(index_one(GITSTORE_BLOB, 7, "hello\n", 6, NULL), GITSTORE_EOBJ_SIZE);
	assert_int_equal(index_one(0, 6, "hello\n", 6, NULL), GITSTORE_EPACK_ENTRY);
	assert_int_equal(index_one(5, 6, "hello\n", 6, NULL), GITSTORE_EPACK_ENTRY);
	/* a zlib bomb: 8 MiB of zeros */
	static uint8_t zeros[8 << 20];
	struct gitstore_limits l = { .max_object = 1 << 20 };
	assert_int_equal(index_one(GITSTORE_BLOB, sizeof zeros, zeros, sizeof zeros, &l), GITSTORE_ETOOBIG);
	l.max_object = 16 << 20;
	l.max_ratio = 100;
	assert_int_equal(index_one(GITSTORE_BLOB, sizeof zeros, zeros, sizeof zeros, &l), GITSTORE_EZLIB_RATIO);
	/* a size header whose varint never ends, or overflows */
	struct gt_pack gp;
	struct gitstore_oid sum;
	static uint8_t idx[4096];
	gt_pack_begin(&gp, 1);
	uint8_t hdr[12] = { 0xb0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	gt_pack_put(&gp, hdr, sizeof hdr);
	gt_pack_finish(&gp, &sum);
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EPACK_ENTRY);
	free(gp.d);
	/* OFS_DELTA offsets: zero, before the pack's first entry */
	gt_pack_begin(&gp, 2);
	gt_pack_entry(&gp, GITSTORE_BLOB, 1, 0, NULL, "x", 1);
	gt_pack_entry(&gp, GITSTORE_OFS_DELTA, 4, gp.len, NULL, "\x01\x01\x01y", 4);
	gt_pack_finish(&gp, &sum);
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EPACK_OFFSET);
	free(gp.d);
	gt_pack_begin(&gp, 2);
	gt_pack_entry(&gp, GITSTORE_BLOB, 1, 0, NULL, "x", 1);
	gt_pack_entry(&gp, GITSTORE_OFS_DELTA, 4, 11, NULL, "\x01\x01\x01y", 4);
	gt_pack_finish(&gp, &sum);
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EPACK_OFFSET);
	free(gp.d);
	/* a delta bomb: tiny delta, result header of 2 GiB; and a corrupt delta */
	gt_pack_begin(&gp, 2);
	gt_pack_entry(&gp, GITSTORE_BLOB, 1, 0, NULL, "x", 1);
	const uint8_t bomb[] = { 1, 0x80, 0x80, 0x80, 0x80, 0x08, 0x91, 0, 1 };
	gt_pack_entry(&gp, GITSTORE_OFS_DELTA, sizeof bomb, gp.off[0], NULL, bomb, sizeof bomb);
	gt_pack_finish(&gp, &sum);
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_ETOOBIG);
	free(gp.d);
	gt_pack_begin(&gp, 2);
	gt_pack_entry(&gp, GITSTORE_BLOB, 1, 0, NULL, "x", 1);
	gt_pack_entry(&gp, GITSTORE_OFS_DELTA, 4, gp.off[0], NULL, "\x01\x01\x91\x05", 4);
	gt_pack_finish(&gp, &sum);
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EDELTA_COPY);
	free(gp.d);
	/* a REF_DELTA to an object not in the pack: a thin pack */
	gt_pack_begin(&gp, 1);
	gt_pack_entry(&gp, GITSTORE_REF_DELTA, 4, 0, gt_oid("1234567890123456789012345678901234567890").b, "\x01\x01\x01y", 4);
	gt_pack_finish(&gp, &sum);
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EPACK_BASE);
	free(gp.d);
}

static void test_hostile_packs(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	struct gt_pack gp;
	struct gitstore_oid ids[4], sum;
	static uint8_t idx[4096];
	delta_pack(&gp, ids);
	int good = index_it(&gp, NULL, idx, sizeof idx);
	assert_true(good > 0);
	/* the trailer */
	gp.d[gp.len - 1] ^= 1;
	assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EPACK_CHECKSUM);
	gp.d[gp.len - 1] ^= 1;
	/* every truncation: a specific error, never a crash */
	for (size_t cut = 0; cut < gp.len; cut++) {
		struct gt_pack t = gp;
		t.len = cut;
		int rc = index_it(&t, NULL, idx, sizeof idx);
		if (rc >= 0)
			fail_msg("truncated at %zu: indexed", cut);
		assert_int_not_equal(rc, GITSTORE_EINVAL);
	}
	/* every single-byte corruption, with the checksum recomputed, so the
	 * parsers (not the trailer) have to catch it: never a crash or hang */
	for (size_t i = 0; i < gp.len - 20; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			gp.d[i] ^= (uint8_t)(1 << bit);
			struct gitstore_hash h;
			uint8_t save[20];
			memcpy(save, gp.d + gp.len - 20, 20);
			gitstore_hash_init(&h, GITSTORE_SHA1);
			gitstore_hash_update(&h, gp.d, gp.len - 20);
			gitstore_hash_final(&h, &sum);
			memcpy(gp.d + gp.len - 20, sum.b, 20);
			(void)index_it(&gp, NULL, idx, sizeof idx);
			memcpy(gp.d + gp.len - 20, save, 20);
			gp.d[i] ^= (uint8_t)(1 << bit);
		}
	}
	/* signature, version, count */
	struct gitstore_pack p;
	gp.d[0] = 'X';
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, NULL, NULL, &arena), GITSTORE_EPACK_SIGNATURE);
	gp.d[0] = 'P';
	gp.d[7] = 4;
	assert_int_equal(gitstore_pack_open(&p, GITSTORE_SHA1, gp.d, gp.len, NULL, NULL, &arena), GITSTORE_EPACK_VERSION);
	gp.d[7] = 2;
	for (uint8_t c = 3; c <= 5; c += 2) {
		gp.d[11] = c;
		struct gitstore_hash h;
		gitstore_hash_init(&h, GITSTORE_SHA1);
		gitstore_hash_update(&h, gp.d, gp.len - 20);
		gitstore_hash_final(&h, &sum);
		memcpy(gp.d + gp.len - 20, sum.b, 20);
		assert_int_equal(index_it(&gp, NULL, idx, sizeof idx), GITSTORE_EPACK_COUNT);
	}
	free(gp.d);
}

/* Recompute an index's trailing checksum after a mutation. */
static void fix_sum(uint8_t *d, size_t len)
{
	struct gitstore_hash h;
	struct gitstore_oid sum;
	gitstore_hash_init(&h, GITSTORE_SHA1);
	gitstore_hash_update(&h, d, len - 20);
	gitstore_hash_final(&h, &sum);
	memcpy(d + len - 20, sum.b, 20);
}

static void test_idx_hostile(void **state)
{
	(void)state;
	gitstore_arena_init(&arena, arena_buf, sizeof arena_buf);
	struct gitstore_index_slot s[3] = {
		{ .offset = 12, .id = gt_oid("3333333333333333333333333333333333333333"), .crc = 1 },
		{ .offset = 0x123456789ull, .id = gt_oid("1111111111111111111111111111111111111111"), .crc = 2 },
		{ .offset = 0x80000000ull, .id = gt_oid("11aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), .crc = 3 },
	};
	struct gitstore_oid sum = gt_oid("9999999999999999999999999999999999999999"), id;
	static uint8_t idx[4096], bad[4096];
	int il = gitstore_idx_write(GITSTORE_SHA1, s, 3, &sum, idx, sizeof idx, NULL);
	assert_int_equal(il, (int)gitstore_idx_size(GITSTORE_SHA1, 3, 2));
	struct gitstore_idx x;
	const uint8_t *g = gt_guard(idx, (size_t)il);
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, g, (size_t)il, 0, GITSTORE_IDX_VERIFY), 0);
	uint64_t off;
	uint32_t pos, crc;
	id = gt_oid("1111111111111111111111111111111111111111");
	assert_int_equal(gitstore_idx_find(&x, &id, &pos, &off), 0);
	assert_int_equal(pos, 0);
	assert_true(off == 0x123456789ull);
	assert_int_equal(gitstore_idx_entry(&x, 1, &id, &off, &crc), 0);
	assert_true(off == 0x80000000ull);
	assert_int_equal(crc, 3);
	assert_int_equal(gitstore_idx_entry(&x, 3, &id, &off, &crc), GITSTORE_EINVAL);
	id = gt_oid("1111111111111111111111111111111111111112");
	assert_int_equal(gitstore_idx_find(&x, &id, &pos, &off), GITSTORE_ENOENT);
	assert_int_equal(gitstore_idx_parse(&x, GITSTORE_SHA1, g, (size_t)il, 0x100000000ull, GITSTORE_IDX_VERIFY),
		GITSTORE_EIDX_OFFSET);
	struct gitstore_oid pc;
	gitstore_idx_parse(&x, GITSTORE_SHA1, g, (size_t)il, 0, 0);
	gitstore_idx_pack_checksum(&x, &pc);
	assert_memory_equal(pc.b, sum.b, 20);

#define MUTATE(stmt, flags, want) do { \
		memcpy(bad, idx, (size_t)il); \
		size_t bl = (size_t)il; \
		stmt; \
		const uint8_t *gb = gt_guard(bad, bl); \
		int rc_ = gitstore_idx_parse(&x, GITSTORE_SHA1, gb, bl, 0, flags); \
		if (rc_ != (want)) fail_msg("%s: got %s", #stmt, gitstore_strerror(rc_)); \
	} while (0)
	MUTATE(bad[0] = 0, 0, GITSTORE_EIDX_SIGNATURE);
	MUTATE(bad[7] = 1, 0, GITSTORE_EIDX_SIGNATURE);
	MUTATE(bl = 100, 0, GITSTORE_EIDX_SIGNATURE);
	MUTATE(bad[8 + 4 * 0x20 + 3] = 9, 0, GITSTORE_EIDX_FANOUT);
	MUTATE(bad[8 + 4 * 255 + 3] = 200, 0, GITSTORE_EIDX_SIZE);
	MUTATE(bl -= 4, 0, GITSTORE_EIDX_SIZE);
	MUTATE(bl += 0, 0, 0);
	MUTATE(bad[bl - 1] ^= 1, 0, 0);
	MUTATE(bad[bl - 1] ^= 1, GITSTORE_IDX_VERIFY, GITSTORE_EIDX_CHECKSUM);
	/* ids out of order (checksum fixed up), 64-bit index out of range */
#define FIX() fix_sum(bad, bl)
	MUTATE((bad[8 + 1024 + 21] = 0x00, FIX()), GITSTORE_IDX_VERIFY, GITSTORE_EIDX_ORDER);
	size_t offs = 8 + 1024 + 3 * 24;
	MUTATE((bad[offs + 3] = 0x07, bad[offs] = 0x80, FIX()), GITSTORE_IDX_VERIFY, GITSTORE_EIDX_OFFSET);
	/* a 64-bit entry holding a small offset: git writes (index-pack
	 * --idx-version=2,OFFSET) and reads those; the sign bit is bad */
	MUTATE((memset(bad + offs + 12, 0, 8), bad[offs + 19] = 12, FIX()), GITSTORE_IDX_VERIFY, 0);
	MUTATE((memset(bad + offs + 12, 0, 8), bad[offs + 12] = 0x80, FIX()), GITSTORE_IDX_VERIFY, GITSTORE_EIDX_OFFSET);
	/* more 64-bit entries than objects */
	MUTATE((memset(bad + bl, 0, 40), bl += 32, FIX()), 0, GITSTORE_EIDX_SIZE);
	/* an id filed under the wrong first byte of the fan-out */
	MUTATE((bad[8 + 1024 + 40] = 0x34, FIX()), GITSTORE_IDX_VERIFY, GITSTORE_EIDX_FANOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_index_read),
		cmocka_unit_test(test_deltas),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_ends),
		cmocka_unit_test(test_entry_header),
		cmocka_unit_test(test_write_deltas),
		cmocka_unit_test(test_through_ops),
		cmocka_unit_test(test_cycle_and_missing_base),
		cmocka_unit_test(test_hostile_entries),
		cmocka_unit_test(test_hostile_packs),
		cmocka_unit_test(test_idx_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
