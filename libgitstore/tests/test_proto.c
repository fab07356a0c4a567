/*
 * The protocol's machines against each other over platform/sim stream pairs
 * with faults (short reads and writes, would-block, latency, and a server
 * cut at a random byte): libgitstore's fetch client fetches from its
 * upload-pack server, v0 and v2, into an empty repository and then
 * incrementally; a cut fetch must leave the repository unchanged. Then
 * receive-pack's command handling driven with bytes: report-status for
 * accepted and refused pushes, and what a refusal leaves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cloudlet/gitstore.h>
#include "cl_sim.h"
#include "gt_mem.h"

static struct gt_mem srcmem, dstmem;
static struct gitstore_repo src, dst;
static uint8_t src_arena[GITSTORE_DEFLATE_ARENA], dst_arena[GITSTORE_DEFLATE_ARENA];
static uint8_t kvwork[1 << 16], ident[128];
static struct gitstore_oid head1, head2;

/* Server memory */
static struct gitstore_walk_obj u_objs[4096];
static uint32_t u_index[8192], u_stack[4096];
static uint8_t u_in[1 << 17], u_obj[1 << 20], u_stage[(1 << 20) + (1 << 16)], u_deflate[GITSTORE_DEFLATE_ARENA];
/* Client memory */
static struct gitstore_walk_obj f_objs[4096];
static uint32_t f_index[8192], f_stack[4096];
static uint8_t f_in[1 << 17], f_pack[4 << 20], f_idx[1 << 18], f_obj[1 << 20], f_scratch[(2 << 20) + 4096];
static uint8_t f_arena[GITSTORE_INFLATE_ARENA];
static struct gitstore_index_slot f_slots[4096];
/* The destination's packs, attached after a fetch. */
static struct gitstore_idx d_idx[4];
static struct gitstore_pack d_packs[4];
static uint8_t d_parena[GITSTORE_INFLATE_ARENA], d_scratch[(2 << 20) + 4096];
static struct gitstore_arena d_pa;

static void make_source(void)
{
	gt_mem_free(&srcmem);
	assert_int_equal(gitstore_repo_init(&src, &gt_mem_ops, &srcmem, GITSTORE_SHA1, NULL, src_arena, sizeof src_arena), 0);
	struct gitstore_kv kv;
	assert_int_equal(gitstore_kv_init(&kv, &src, "refs/heads/main", kvwork, sizeof kvwork), 0);
	int n = gitstore_ident_write("P R", "pr@example.org", 1700000000, 0, ident, sizeof ident);
	struct gitstore_kv_commit_info ci = { { ident, (size_t)n }, { ident, (size_t)n }, { (const uint8_t *)"c\n", 2 } };
	static uint8_t val[3000];
	for (int i = 0; i < 5; i++) {
		char path[32];
		for (size_t k = 0; k < sizeof val; k++)
			val[k] = (uint8_t)('a' + (k * (size_t)(i + 3)) % 26);
		snprintf(path, sizeof path, "dir%d/file%d", i % 2, i);
		struct gitstore_kv_change ch[2] = { { path, val, 100 + (size_t)i * 700, 0 },
			{ "top", val + i, 10, 0 } };
		struct gitstore_oid c;
		assert_int_equal(gitstore_kv_commit(&kv, ch, 2, &ci, NULL, &c), 0);
		if (i == 2)
			head1 = c;
		head2 = c;
	}
	assert_int_equal(gitstore_ref_update(&src, "refs/heads/old", &head1, NULL), 0);
	assert_int_equal(gitstore_ref_symbolic(&src, "HEAD", "refs/heads/main"), 0);
}

static void fresh_dest(void)
{
	gt_mem_free(&dstmem);
	assert_int_equal(gitstore_repo_init(&dst, &gt_mem_ops, &dstmem, GITSTORE_SHA1, NULL, dst_arena, sizeof dst_arena), 0);
}

static int count_packs(void)
{
	int n = 0;
	for (int i = 0; i < GT_MEM_FILES; i++)
		if (dstmem.f[i].used && strncmp(dstmem.f[i].name, "objects/pack/", 13) == 0)
			n++;
	return n;
}

/* Attach every stored pack of the destination, as a daemon would on reopening it. */
static int attach_dest_packs(void)
{
	size_t n = 0;
	gitstore_arena_init(&d_pa, d_parena, sizeof d_parena);
	for (int i = 0; i < GT_MEM_FILES && n < 4; i++) {
		struct gt_file *f = &dstmem.f[i];
		size_t l = strlen(f->name);
		if (!f->used || strncmp(f->name, "objects/pack/pack-", 18) || strcmp(f->name + l - 4, ".idx"))
			continue;
		char pn[160];
		snprintf(pn, sizeof pn, "%.*s.pack", (int)(l - 4), f->name);
		struct gt_file *p = gt_mem_find(&dstmem, pn);
		if (!p || gitstore_idx_parse(&d_idx[n], GITSTORE_SHA1, f->data, f->len, p->len, GITSTORE_IDX_VERIFY) < 0 ||
			gitstore_pack_open(&d_packs[n], GITSTORE_SHA1, p->data, p->len, &d_idx[n], NULL, &d_pa) < 0)
			return -1;
		n++;
	}
	gitstore_repo_set_packs(&dst, d_packs, n, d_scratch, sizeof d_scratch);
	return (int)n;
}

/* ---- the two machines over a faulty stream pair */

struct world {
	struct cl_sim sim;
	struct cl_sim_event ev[512];
	struct cl_sim_stream_pair pair;
	uint8_t mem[1 << 16];
	struct gitstore_upload up;
	struct gitstore_fetch fe;
	uint8_t cout[4096], sout[1 << 16], sin[1 << 16], tmp[1 << 14];
	size_t cout_len, cout_off, sout_len, sout_off, sin_len;
	bool server_closed, client_eof;
};

/* Fetch remote into refs/heads/main of dst: 0 and the result in *res. */
static int run_fetch(struct world *w, uint64_t seed, int version, const char *remote, bool cut, int *res)
{
	struct cl_sim_stream_cfg cfg = { .short_read = 0.3, .short_write = 0.3, .block_read = 0.1, .block_write = 0.1,
		.latency_ms = 1, .jitter_ms = 2 };
	if (cut) {
		cfg.cut[1].kind = CL_SIM_CUT_EOF;
		cfg.cut[1].at = 1200;
		cfg.cut[1].random = true;
	}
	memset(&w->sim, 0, sizeof *w - offsetof(struct world, sim));
	cl_sim_init(&w->sim, seed, w->ev, sizeof w->ev / sizeof w->ev[0]);
	CL_SIM_CHECK(cl_sim_stream_pair_init(&w->pair, &w->sim, &cfg, w->mem, sizeof w->mem) == 0);
	struct cl_sim_stream *client = cl_sim_stream_a(&w->pair), *server = cl_sim_stream_b(&w->pair);
	struct gitstore_upload_mem um = { u_objs, 4096, u_index, 8192, u_stack, u_in, sizeof u_in, u_obj, sizeof u_obj,
		u_stage, sizeof u_stage, u_deflate, sizeof u_deflate };
	CL_SIM_CHECK(gitstore_upload_init(&w->up, &src, version, 0, &um) == 0);
	struct gitstore_fetch_mem fm = { f_in, sizeof f_in, { f_pack, sizeof f_pack, f_slots, 4096, f_idx, sizeof f_idx,
		f_obj, sizeof f_obj, f_scratch, sizeof f_scratch, f_arena, sizeof f_arena, f_objs, 4096, f_index, 8192,
		f_stack } };
	CL_SIM_CHECK(gitstore_fetch_init(&w->fe, &dst, 0, remote, "refs/heads/main", &fm) == 0);
	for (int guard = 0; guard < 200000; guard++) {
		bool moved = false;
		/* client */
		if (w->cout_off == w->cout_len && !gitstore_fetch_done(&w->fe)) {
			int n = gitstore_fetch_output(&w->fe, w->cout, sizeof w->cout);
			CL_SIM_CHECK(n >= 0);
			w->cout_len = (size_t)n;
			w->cout_off = 0;
		}
		if (w->cout_off < w->cout_len) {
			int s = cl_sim_stream_send(client, w->cout + w->cout_off, w->cout_len - w->cout_off);
			if (s > 0) {
				w->cout_off += (size_t)s;
				moved = true;
			}
		}
		if (!gitstore_fetch_done(&w->fe) && !w->client_eof) {
			int r = cl_sim_stream_recv(client, w->tmp, sizeof w->tmp);
			if (r > 0) {
				size_t off = 0;
				while (off < (size_t)r && !gitstore_fetch_done(&w->fe)) {
					int k = gitstore_fetch_input(&w->fe, w->tmp + off, (size_t)r - off);
					if (k <= 0)
						break;
					off += (size_t)k;
				}
				moved = true;
			} else if (r < 0) {
				w->client_eof = true;
				gitstore_fetch_input_end(&w->fe);
				moved = true;
			}
		}
		if (gitstore_fetch_done(&w->fe))
			break;
		/* server */
		if (!w->server_closed) {
			if (w->sin_len < sizeof w->sin) {
				int r = cl_sim_stream_recv(server, w->sin + w->sin_len, sizeof w->sin - w->sin_len);
				if (r > 0) {
					w->sin_len += (size_t)r;
					moved = true;
				} else if (r < 0 && w->sin_len == 0) {
					gitstore_upload_input_end(&w->up);
				}
			}
			if (w->sin_len) {
				int k = gitstore_upload_input(&w->up, w->sin, w->sin_len);
				if (k > 0) {
					memmove(w->sin, w->sin + k, w->sin_len - (size_t)k);
					w->sin_len -= (size_t)k;
					moved = true;
				}
			}
			if (w->sout_off == w->sout_len) {
				int n = gitstore_upload_output(&w->up, w->sout, sizeof w->sout);
				w->sout_len = n > 0 ? (size_t)n : 0;
				w->sout_off = 0;
			}
			if (w->sout_off < w->sout_len) {
				int s = cl_sim_stream_send(server, w->sout + w->sout_off, w->sout_len - w->sout_off);
				if (s > 0) {
					w->sout_off += (size_t)s;
					moved = true;
				} else if (s < 0) {
					w->server_closed = true;
				}
			} else if (gitstore_upload_done(&w->up)) {
				cl_sim_stream_shutdown(server);
				w->server_closed = true;
				moved = true;
			}
		}
		if (!moved && cl_sim_step(&w->sim) == 0) {
			/* Nothing left to happen: the client must be waiting on a closed stream. */
			CL_SIM_CHECK(w->client_eof || w->server_closed);
			if (!w->client_eof) {
				w->client_eof = true;
				gitstore_fetch_input_end(&w->fe);
			}
		}
	}
	CL_SIM_CHECK(gitstore_fetch_done(&w->fe));
	*res = gitstore_fetch_result(&w->fe, NULL, NULL);
	return 0;
}

static int cut_failed, fetched;

static int scenario(uint64_t seed, void *ctx)
{
	struct world *w = ctx;
	int version = (seed & 1) ? 2 : 0, res;
	bool cut = seed % 3 == 0;
	fresh_dest();
	CL_SIM_CHECK(run_fetch(w, seed, version, "refs/heads/old", cut, &res) == 0);
	struct gitstore_oid id;
	if (res < 0) {
		/* A cut fetch changed nothing: no ref, no pack. */
		CL_SIM_CHECK(cut);
		CL_SIM_CHECK(gitstore_ref_resolve(&dst, "refs/heads/main", &id, NULL) == GITSTORE_ENOENT);
		CL_SIM_CHECK(count_packs() == 0);
		cut_failed++;
		return 0;
	}
	CL_SIM_CHECK(gitstore_ref_resolve(&dst, "refs/heads/main", &id, NULL) == 0);
	CL_SIM_CHECK(gitstore_oid_cmp(&id, &head1) == 0);
	CL_SIM_CHECK(attach_dest_packs() == 1);
	uint32_t first = gitstore_upload_sent(&w->up);
	/* Incremental: the old tip goes as a have; only what is new comes. */
	CL_SIM_CHECK(run_fetch(w, seed + 1000000, version, "refs/heads/main", false, &res) == 0);
	CL_SIM_CHECK(res == 0);
	CL_SIM_CHECK(gitstore_ref_resolve(&dst, "refs/heads/main", &id, NULL) == 0);
	CL_SIM_CHECK(gitstore_oid_cmp(&id, &head2) == 0);
	CL_SIM_CHECK(gitstore_upload_sent(&w->up) > 0 && gitstore_upload_sent(&w->up) < first + 10);
	CL_SIM_CHECK(attach_dest_packs() == 2);
	int type;
	size_t needed;
	CL_SIM_CHECK(gitstore_obj_read(&dst, &head2, &type, f_obj, sizeof f_obj, &needed) > 0 && type == GITSTORE_COMMIT);
	fetched++;
	return 0;
}

static void test_fetch_over_faults(void **state)
{
	(void)state;
	static struct world w;
	make_source();
	assert_int_equal(cl_sim_seeds("gitstore_fetch", 1, 60, scenario, &w), 0);
	/* Both outcomes happened: the faults and cuts were real. */
	printf("# %d fetches (two each), %d cut mid-way\n", fetched, cut_failed);
	assert_true(fetched >= 30 && cut_failed >= 5);
}

/* ---- receive-pack driven with bytes */

static struct gitstore_receive_update r_cmds[8];
static uint8_t r_stage[1 << 16];

static void rmem(struct gitstore_receive_mem *m)
{
	struct gitstore_receive_mem x = { f_in, sizeof f_in, r_cmds, 8, r_stage, sizeof r_stage,
		{ f_pack, sizeof f_pack, f_slots, 4096, f_idx, sizeof f_idx, f_obj, sizeof f_obj, f_scratch,
			sizeof f_scratch, f_arena, sizeof f_arena, f_objs, 4096, f_index, 8192, f_stack } };
	*m = x;
}

static int veto_calls;
static int veto_side(void *ctx, struct gitstore_receive *rcv, const struct gitstore_receive_update *up, char *reason,
	size_t cap)
{
	(void)ctx;
	veto_calls++;
	int type;
	size_t needed;
	/* The pushed objects are readable from the callback. */
	if (!gitstore_oid_is_zero(&up->new_id) && gitstore_receive_obj_read(rcv, &up->new_id, &type, u_obj, sizeof u_obj, &needed) < 0)
		return 1;
	if (strcmp(up->name, "refs/heads/side") != 0)
		return 0;
	snprintf(reason, cap, "zones/example.test: line 3: bad record");
	return 1;
}

/* A pack of the objects of commit c that dst lacks (whole objects, our own writer), plus extra (may be NULL). */
static size_t make_pack(const struct gitstore_oid *c, const uint8_t *extra, size_t extra_len, int extra_type,
	uint8_t *out, size_t cap)
{
	struct gitstore_upload_mem um = { u_objs, 4096, u_index, 8192, u_stack, u_in, sizeof u_in, u_obj, sizeof u_obj,
		u_stage, sizeof u_stage, u_deflate, sizeof u_deflate };
	/* upload-pack computes the set; here it is simply every object of c, through a v2 fetch with done. */
	static struct gitstore_upload up;
	assert_int_equal(gitstore_upload_init(&up, &src, 2, GITSTORE_UPLOAD_STATELESS, &um), 0);
	char req[512], hex[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(GITSTORE_SHA1, c, hex);
	int n = snprintf(req, sizeof req, "0012command=fetch\n0001%04zxwant %s\n0009done\n0000", strlen(hex) + 10, hex);
	assert_int_equal(gitstore_upload_input(&up, (const uint8_t *)req, (size_t)n), n);
	static uint8_t resp[1 << 20];
	size_t rl = 0;
	int k;
	while ((k = gitstore_upload_output(&up, resp + rl, sizeof resp - rl)) > 0)
		rl += (size_t)k;
	assert_true(gitstore_upload_done(&up));
	/* Demux band 1 after "packfile". */
	size_t off = 0, pl = 0;
	struct gitstore_pkt p;
	while (off < rl) {
		int m = gitstore_pkt_parse(resp + off, rl - off, &p);
		assert_true(m > 0);
		off += (size_t)m;
		int band;
		struct gitstore_slice s;
		if (p.kind == GITSTORE_PKT_DATA && gitstore_sideband_parse(&p, &band, &s) == 0 && band == 1 &&
			!(p.data.len == 9 && memcmp(p.data.p, "packfile\n", 9) == 0)) {
			memcpy(out + pl, s.p, s.len);
			pl += s.len;
		}
	}
	if (!extra)
		return pl;
	/* Rewrite with one more object: parse the count, append before the trailer, fix the header and trailer. */
	uint32_t count = (uint32_t)out[8] << 24 | (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
	static uint8_t copy[1 << 20];
	static uint8_t arena_buf[GITSTORE_DEFLATE_ARENA];
	struct gitstore_arena a;
	gitstore_arena_init(&a, arena_buf, sizeof arena_buf);
	struct gitstore_pack_writer w;
	size_t cl = 0;
	cl += (size_t)gitstore_pack_writer_begin(&w, GITSTORE_SHA1, count + 1, &a, copy, sizeof copy);
	/* Entries are copied raw: the writer's hash must see them, so they go through as one more object each? */
	(void)cap;
	/* Simpler: rebuild from scratch by re-reading each object of the first pack. */
	struct gitstore_idx idx;
	struct gitstore_pack pk;
	static struct gitstore_index_slot slots[4096];
	static uint8_t idxbuf[1 << 18];
	struct gitstore_pack_buf b = { u_obj, sizeof u_obj, f_scratch, sizeof f_scratch, 0, 0 };
	struct gitstore_oid sum;
	struct gitstore_arena ia;
	gitstore_arena_init(&ia, f_arena, sizeof f_arena);
	int il = gitstore_pack_index(GITSTORE_SHA1, out, pl, NULL, &ia, slots, 4096, &b, NULL, idxbuf, sizeof idxbuf, &sum);
	assert_true(il > 0);
	assert_int_equal(gitstore_idx_parse(&idx, GITSTORE_SHA1, idxbuf, (size_t)il, pl, 0), 0);
	assert_int_equal(gitstore_pack_open(&pk, GITSTORE_SHA1, out, pl, &idx, NULL, &ia), 0);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t o;
		int type;
		assert_int_equal(gitstore_idx_entry(&idx, i, NULL, &o, NULL), 0);
		int len = gitstore_pack_read(&pk, o, &b, &type);
		assert_true(len >= 0);
		cl += (size_t)gitstore_pack_writer_object(&w, type, u_obj, (size_t)len, copy + cl, sizeof copy - cl, NULL);
	}
	cl += (size_t)gitstore_pack_writer_object(&w, extra_type, extra, extra_len, copy + cl, sizeof copy - cl, NULL);
	cl += (size_t)gitstore_pack_writer_finish(&w, copy + cl, sizeof copy - cl, &sum);
	memcpy(out, copy, cl);
	return cl;
}

/* Push request bytes; returns the report text (pkt-lines unwrapped, one per line). */
static const char *push(unsigned flags, const char *cmds[], size_t ncmds, const char *caps, const uint8_t *pack,
	size_t pack_len, size_t split)
{
	struct gitstore_receive_mem m;
	rmem(&m);
	static struct gitstore_receive rcv;
	assert_int_equal(gitstore_receive_init(&rcv, &dst, flags | GITSTORE_RECEIVE_STATELESS, &m, veto_side, NULL), 0);
	static uint8_t req[1 << 20];
	size_t rl = 0;
	for (size_t i = 0; i < ncmds; i++) {
		char line[512];
		int n = snprintf(line, sizeof line, "%s%c%s\n", cmds[i], 0, i == 0 ? caps : "");
		size_t len = i == 0 ? (size_t)n : strlen(cmds[i]) + 1;
		if (i != 0) {
			memcpy(line, cmds[i], strlen(cmds[i]));
			line[strlen(cmds[i])] = '\n';
		}
		rl += (size_t)gitstore_pkt_write(req + rl, sizeof req - rl, line, len);
	}
	memcpy(req + rl, "0000", 4);
	rl += 4;
	if (pack_len)
		memcpy(req + rl, pack, pack_len);
	rl += pack_len;
	/* Fed in pieces of split bytes: the pack's end is found wherever it is cut. */
	for (size_t off = 0; off < rl;) {
		size_t n = rl - off < split ? rl - off : split;
		int k = gitstore_receive_input(&rcv, req + off, n);
		assert_true(k >= 0);
		off += n;
	}
	assert_int_equal(gitstore_receive_input_end(&rcv), 0);
	static uint8_t out[1 << 16];
	static char text[4096];
	size_t ol = 0;
	int k;
	while ((k = gitstore_receive_output(&rcv, out + ol, sizeof out - ol)) > 0)
		ol += (size_t)k;
	assert_true(gitstore_receive_done(&rcv));
	/* Unwrap side-band (band 1 carries the report's own pkt-lines) and the report. */
	static uint8_t inner[1 << 16];
	size_t il = 0, off = 0;
	struct gitstore_pkt p;
	bool sb = strstr(caps, "side-band-64k") != NULL;
	while (off < ol) {
		int n = gitstore_pkt_parse(out + off, ol - off, &p);
		assert_true(n > 0);
		off += (size_t)n;
		if (p.kind != GITSTORE_PKT_DATA)
			continue;
		if (sb) {
			int band;
			struct gitstore_slice s;
			assert_int_equal(gitstore_sideband_parse(&p, &band, &s), 0);
			memcpy(inner + il, s.p, s.len);
			il += s.len;
		} else {
			memcpy(inner + il, out + off - (size_t)n, (size_t)n);
			il += (size_t)n;
		}
	}
	size_t tl = 0;
	off = 0;
	while (off < il) {
		int n = gitstore_pkt_parse(inner + off, il - off, &p);
		assert_true(n > 0);
		off += (size_t)n;
		if (p.kind == GITSTORE_PKT_DATA) {
			memcpy(text + tl, p.data.p, p.data.len);
			tl += p.data.len;
		}
	}
	text[tl] = 0;
	return text;
}

static void test_receive(void **state)
{
	(void)state;
	make_source();
	fresh_dest();
	static uint8_t pack[1 << 20];
	char h1[GITSTORE_HEX_MAX], h2[GITSTORE_HEX_MAX], z[GITSTORE_HEX_MAX], c1[256], c2[256], c3[256];
	gitstore_oid_to_hex(GITSTORE_SHA1, &head1, h1);
	gitstore_oid_to_hex(GITSTORE_SHA1, &head2, h2);
	memset(z, '0', 40);
	z[40] = 0;
	size_t pl = make_pack(&head1, NULL, 0, 0, pack, sizeof pack);
	/* git sends an empty pack when every new value is already there */
	uint8_t empty[64], ea_buf[GITSTORE_DEFLATE_ARENA / 64];
	struct gitstore_arena ea;
	struct gitstore_pack_writer ew;
	struct gitstore_oid esum;
	gitstore_arena_init(&ea, ea_buf, sizeof ea_buf);
	size_t el = (size_t)gitstore_pack_writer_begin(&ew, GITSTORE_SHA1, 0, &ea, empty, sizeof empty);
	el += (size_t)gitstore_pack_writer_finish(&ew, empty + el, sizeof empty - el, &esum);

	/* Create main at head1: ok, with every split of the feed. */
	snprintf(c1, sizeof c1, "%s %s refs/heads/main", z, h1);
	const char *cmds[3] = { c1 };
	for (size_t split = 1; split < 4000; split = split * 3 + 1) {
		fresh_dest();
		const char *r = push(0, cmds, 1, "report-status side-band-64k", pack, pl, split);
		if (strcmp(r, "unpack ok\nok refs/heads/main\n") != 0)
			fail_msg("split %zu: %s", split, r);
	}
	struct gitstore_oid id;
	assert_int_equal(gitstore_ref_resolve(&dst, "refs/heads/main", &id, NULL), 0);
	assert_true(gitstore_oid_cmp(&id, &head1) == 0);
	attach_dest_packs();

	/* Stale old value: ng, nothing moves. */
	size_t pl2 = make_pack(&head2, NULL, 0, 0, pack, sizeof pack);
	snprintf(c1, sizeof c1, "%s %s refs/heads/main", h2, h2);
	assert_string_equal(push(0, cmds, 1, "report-status", pack, pl2, 1 << 20),
		"unpack ok\nng refs/heads/main stale info\n");
	/* Non-fast-forward: main at head2 then back to head1. */
	snprintf(c1, sizeof c1, "%s %s refs/heads/main", h1, h2);
	assert_string_equal(push(0, cmds, 1, "report-status", pack, pl2, 1 << 20), "unpack ok\nok refs/heads/main\n");
	attach_dest_packs();
	snprintf(c1, sizeof c1, "%s %s refs/heads/main", h2, h1);
	assert_string_equal(push(0, cmds, 1, "report-status", empty, el, 1 << 20), "unpack ok\nng refs/heads/main non-fast-forward\n");
	assert_string_equal(push(GITSTORE_RECEIVE_ALLOW_NONFF, cmds, 1, "report-status", empty, el, 1 << 20),
		"unpack ok\nok refs/heads/main\n");
	/* The veto, and atomic: one vetoed command fails the other. */
	snprintf(c1, sizeof c1, "%s %s refs/heads/side", z, h2);
	snprintf(c2, sizeof c2, "%s %s refs/heads/other", z, h2);
	cmds[1] = c2;
	veto_calls = 0;
	assert_string_equal(push(0, cmds, 2, "report-status", empty, el, 7),
		"unpack ok\nng refs/heads/side zones/example.test: line 3: bad record\nok refs/heads/other\n");
	assert_int_equal(veto_calls, 2);
	snprintf(c2, sizeof c2, "%s %s refs/heads/third", z, h2);
	assert_string_equal(push(0, cmds, 2, "report-status atomic", empty, el, 7),
		"unpack ok\nng refs/heads/side zones/example.test: line 3: bad record\nng refs/heads/third atomic push failure\n");
	assert_int_equal(gitstore_ref_resolve(&dst, "refs/heads/third", &id, NULL), GITSTORE_ENOENT);
	/* Delete, and delete of what is not there. */
	snprintf(c1, sizeof c1, "%s %s refs/heads/other", h2, z);
	snprintf(c2, sizeof c2, "%s %s refs/heads/nothing", h2, z);
	assert_string_equal(push(0, cmds, 2, "report-status", NULL, 0, 100),
		"unpack ok\nok refs/heads/other\nng refs/heads/nothing stale info\n");
	/* A commit git fsck refuses (bad ident) in the pack: unpack fails, nothing stored. */
	int packs_before = count_packs();
	char bad[512];
	int bl = snprintf(bad, sizeof bad, "tree %s\nauthor Bad <bad@example.org 1700000000 +0000\n"
		"committer C <c@example.org> 1700000000 +0000\n\nbad\n", "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	size_t pl3 = make_pack(&head2, (const uint8_t *)bad, (size_t)bl, GITSTORE_COMMIT, pack, sizeof pack);
	struct gitstore_oid badid;
	gitstore_obj_hash(GITSTORE_SHA1, GITSTORE_COMMIT, bad, (size_t)bl, &badid);
	char hb[GITSTORE_HEX_MAX];
	gitstore_oid_to_hex(GITSTORE_SHA1, &badid, hb);
	snprintf(c3, sizeof c3, "%s %s refs/heads/bad", z, hb);
	cmds[0] = c3;
	const char *r = push(0, cmds, 1, "report-status side-band-64k", pack, pl3, 333);
	assert_non_null(strstr(r, "unpack GITSTORE_EIDENT"));
	assert_non_null(strstr(r, "ng refs/heads/bad unpacker error"));
	assert_int_equal(count_packs(), packs_before);
	/* A truncated pack (the client went away): nothing stored. */
	cmds[0] = c1;
	snprintf(c1, sizeof c1, "%s %s refs/heads/late", z, h2);
	r = push(0, cmds, 1, "report-status", pack, pl3 / 2, 1000);
	if (!strstr(r, "unpack GITSTORE_ETRUNCATED"))
		fail_msg("truncated: %s", r);
	assert_int_equal(count_packs(), packs_before);
	/* No report-status asked: nothing is said. */
	assert_string_equal(push(0, cmds, 1, "", empty, el, 5), "");
}

/* ---- upload-pack's stateless shapes (smart HTTP POST bodies), byte for byte */

static size_t upload_from(struct gitstore_repo *repo, int version, const char *req, size_t len, uint8_t *out,
	size_t cap)
{
	struct gitstore_upload_mem um = { u_objs, 4096, u_index, 8192, u_stack, u_in, sizeof u_in, u_obj, sizeof u_obj,
		u_stage, sizeof u_stage, u_deflate, sizeof u_deflate };
	static struct gitstore_upload up;
	assert_int_equal(gitstore_upload_init(&up, repo, version, GITSTORE_UPLOAD_STATELESS, &um), 0);
	/* Fed a byte at a time: a request split anywhere reads the same. */
	for (size_t i = 0; i < len; i++) {
		int k = gitstore_upload_input(&up, (const uint8_t *)req + i, 1);
		if (k <= 0)
			break;   /* the answer is ready (or the request failed): nothing more is read */
	}
	gitstore_upload_input_end(&up);
	size_t n = 0;
	int k;
	while ((k = gitstore_upload_output(&up, out + n, cap - n < 100 ? cap - n : 100)) > 0)
		n += (size_t)k;
	assert_true(gitstore_upload_done(&up));
	return n;
}

static size_t upload_once(int version, const char *req, size_t len, uint8_t *out, size_t cap)
{
	return upload_from(&src, version, req, len, out, cap);
}

/*
 * Serving from a packed repository copies the stored entries as they are;
 * where each ends comes from inflating it or from the sorted offsets
 * (gitstore_pack_set_ends): the pack sent is the same byte for byte.
 */
static void test_upload_from_packs(void **state)
{
	(void)state;
	static struct world w;
	int res;
	make_source();
	fresh_dest();
	assert_int_equal(run_fetch(&w, 7, 2, "refs/heads/main", false, &res), 0);
	assert_int_equal(res, 0);
	assert_int_equal(attach_dest_packs(), 1);
	static uint8_t a[1 << 20], b[1 << 20];
	static uint64_t ends[4096];
	char h2[GITSTORE_HEX_MAX], req[256], want[128];
	gitstore_oid_to_hex(GITSTORE_SHA1, &head2, h2);
	for (int ofs = 0; ofs < 2; ofs++) {
		attach_dest_packs();
		snprintf(want, sizeof want, "want %s%s\n", h2, ofs ? " ofs-delta" : "");
		int n = snprintf(req, sizeof req, "%04zx%s00000009done\n", strlen(want) + 4, want);
		size_t al = upload_from(&dst, 0, req, (size_t)n, a, sizeof a);
		assert_int_equal(gitstore_pack_set_ends(&d_packs[0], ends, sizeof ends / sizeof ends[0]), 0);
		size_t bl = upload_from(&dst, 0, req, (size_t)n, b, sizeof b);
		assert_memory_equal(a, "0008NAK\nPACK", 12);
		assert_int_equal(al, bl);
		assert_memory_equal(a, b, al);
		/* everything the source has for head2 */
		assert_int_equal(gitstore_upload_sent(&w.up), (a[16] << 24 | a[17] << 16 | a[18] << 8 | a[19]));
	}
}

static void test_upload_stateless(void **state)
{
	(void)state;
	make_source();
	static uint8_t out[1 << 20];
	char h1[GITSTORE_HEX_MAX], h2[GITSTORE_HEX_MAX], req[1024], want[128];
	gitstore_oid_to_hex(GITSTORE_SHA1, &head1, h1);
	gitstore_oid_to_hex(GITSTORE_SHA1, &head2, h2);
	/* v0, no side-band: NAK then the raw pack. */
	snprintf(want, sizeof want, "want %s ofs-delta\n", h2);
	int n = snprintf(req, sizeof req, "%04zx%s00000009done\n", strlen(want) + 4, want);
	size_t ol = upload_once(0, req, (size_t)n, out, sizeof out);
	assert_true(ol > 20);
	assert_memory_equal(out, "0008NAK\nPACK", 12);
	/* v0 multi_ack_detailed, a round without done: ACK common, NAK, and the response ends. */
	snprintf(want, sizeof want, "want %s multi_ack_detailed side-band-64k\n", h2);
	n = snprintf(req, sizeof req, "%04zx%s00000032have %s\n0032have %s\n0000", strlen(want) + 4, want, h1,
		"0123456789012345678901234567890123456789");
	ol = upload_once(0, req, (size_t)n, out, sizeof out);
	char expect[256];
	int el = snprintf(expect, sizeof expect, "0038ACK %s common\n0008NAK\n", h1);
	assert_int_equal(ol, (size_t)el);
	assert_memory_equal(out, expect, ol);
	/* v0 with done: the final ACK, then the pack on band 1, then a flush. */
	n = snprintf(req, sizeof req, "%04zx%s00000032have %s\n0009done\n", strlen(want) + 4, want, h1);
	ol = upload_once(0, req, (size_t)n, out, sizeof out);
	el = snprintf(expect, sizeof expect, "0038ACK %s common\n0031ACK %s\n", h1, h1);
	assert_memory_equal(out, expect, (size_t)el);
	assert_memory_equal(out + el + 4, "\1PACK", 5);
	assert_memory_equal(out + ol - 4, "0000", 4);
	/* v2 fetch without done: acknowledgments only. */
	n = snprintf(req, sizeof req, "0012command=fetch\n0001%04zxwant %s\n0032have %s\n0000", strlen(h2) + 10, h2, h1);
	ol = upload_once(2, req, (size_t)n, out, sizeof out);
	el = snprintf(expect, sizeof expect, "0014acknowledgments\n0031ACK %s\n0000", h1);
	assert_int_equal(ol, (size_t)el);
	assert_memory_equal(out, expect, ol);
	/* v2 ls-refs with a prefix, symrefs and peel. */
	n = snprintf(req, sizeof req, "0014command=ls-refs\n00010009peel\n000csymrefs\n0014ref-prefix HEAD\n0000");
	ol = upload_once(2, req, (size_t)n, out, sizeof out);
	el = snprintf(expect, sizeof expect, "0050%s HEAD symref-target:refs/heads/main\n0000", h2);
	assert_int_equal(ol, (size_t)el);
	assert_memory_equal(out, expect, ol);
	/* A want of an object the server lacks: ERR, and the error. */
	n = snprintf(req, sizeof req, "0012command=fetch\n00010032want %s\n0009done\n0000",
		"0123456789012345678901234567890123456789");
	ol = upload_once(2, req, (size_t)n, out, sizeof out);
	assert_memory_equal(out + 4, "ERR upload-pack: GITSTORE_EPROTO_WANT", 37);
	/* Shallow is not offered. */
	n = snprintf(req, sizeof req, "0012command=fetch\n00010032want %s\n000ddeepen 1\n0000", h2);
	ol = upload_once(2, req, (size_t)n, out, sizeof out);
	assert_memory_equal(out + 4, "ERR upload-pack: GITSTORE_EV2_UNSUPPORTED", 41);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_over_faults),
		cmocka_unit_test(test_receive),
		cmocka_unit_test(test_upload_stateless),
		cmocka_unit_test(test_upload_from_packs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
