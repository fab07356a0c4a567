/* pkt-line, side-band-64k, the reassembly buffer, v2 requests and receive-pack commands. */
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

static int parse_str(const char *s, struct gitstore_pkt *p)
{
	size_t n = strlen(s);
	return gitstore_pkt_parse(gt_guard(s, n), n, p);
}

static void test_pkt_parse(void **state)
{
	(void)state;
	struct gitstore_pkt p;
	assert_int_equal(parse_str("0009done\n", &p), 9);
	assert_int_equal(p.kind, GITSTORE_PKT_DATA);
	assert_int_equal(p.data.len, 5);
	assert_memory_equal(p.data.p, "done\n", 5);
	struct gitstore_slice t = gitstore_pkt_text(&p);
	assert_int_equal(t.len, 4);
	assert_int_equal(parse_str("0000", &p), 4);
	assert_int_equal(p.kind, GITSTORE_PKT_FLUSH);
	assert_int_equal(parse_str("0001rest", &p), 4);
	assert_int_equal(p.kind, GITSTORE_PKT_DELIM);
	assert_int_equal(parse_str("0002", &p), 4);
	assert_int_equal(p.kind, GITSTORE_PKT_END);
	assert_int_equal(parse_str("0004", &p), 4);
	assert_int_equal(p.kind, GITSTORE_PKT_DATA);
	assert_int_equal(p.data.len, 0);
	assert_int_equal(parse_str("000Aabcdef", &p), 10);   /* git accepts upper case */
	/* Every error, and need-more-input at every short length. */
	assert_int_equal(parse_str("0003", &p), GITSTORE_EPKT_LEN);
	assert_int_equal(parse_str("fff1", &p), GITSTORE_EPKT_TOOLONG);
	assert_int_equal(parse_str("ffff", &p), GITSTORE_EPKT_TOOLONG);
	assert_int_equal(parse_str("00g0", &p), GITSTORE_EPKT_HEX);
	assert_int_equal(parse_str("x", &p), GITSTORE_EPKT_HEX);
	assert_int_equal(parse_str(" 009", &p), GITSTORE_EPKT_HEX);
	assert_int_equal(parse_str("-009done", &p), GITSTORE_EPKT_HEX);
	const char *whole = "0009done\n";
	for (size_t i = 0; i < 9; i++) {
		int rc = gitstore_pkt_parse(gt_guard(whole, i), i, &p);
		if (rc != GITSTORE_EAGAIN)
			fail_msg("prefix %zu: %d", i, rc);
	}
	/* The longest packet is accepted. */
	static uint8_t big[GITSTORE_PKT_MAX];
	memset(big, 'x', sizeof big);
	memcpy(big, "fff0", 4);
	assert_int_equal(gitstore_pkt_parse(gt_guard(big, sizeof big), sizeof big, &p), GITSTORE_PKT_MAX);
	assert_int_equal(p.data.len, GITSTORE_PKT_DATA_MAX);
}

static void test_pkt_write(void **state)
{
	(void)state;
	uint8_t out[16];
	assert_int_equal(gitstore_pkt_write(out, sizeof out, "done\n", 5), 9);
	assert_memory_equal(out, "0009done\n", 9);
	assert_int_equal(gitstore_pkt_write(out, 8, "done\n", 5), GITSTORE_ENOMEM);
	assert_int_equal(gitstore_pkt_write(out, sizeof out, "", GITSTORE_PKT_DATA_MAX + 1), GITSTORE_EPKT_TOOLONG);
	assert_int_equal(gitstore_pkt_write_special(out, 4, GITSTORE_PKT_FLUSH), 4);
	assert_memory_equal(out, "0000", 4);
	assert_int_equal(gitstore_pkt_write_special(out, 4, GITSTORE_PKT_DELIM), 4);
	assert_memory_equal(out, "0001", 4);
	assert_int_equal(gitstore_pkt_write_special(out, 4, GITSTORE_PKT_END), 4);
	assert_memory_equal(out, "0002", 4);
	assert_int_equal(gitstore_pkt_write_special(out, 3, GITSTORE_PKT_END), GITSTORE_ENOMEM);
	assert_int_equal(gitstore_pkt_write_special(out, 4, GITSTORE_PKT_DATA), GITSTORE_EINVAL);
	/* Round trip of the longest payload. */
	static uint8_t big[GITSTORE_PKT_MAX], data[GITSTORE_PKT_DATA_MAX];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	assert_int_equal(gitstore_pkt_write(big, sizeof big, data, sizeof data), GITSTORE_PKT_MAX);
	struct gitstore_pkt p;
	assert_int_equal(gitstore_pkt_parse(big, sizeof big, &p), GITSTORE_PKT_MAX);
	assert_memory_equal(p.data.p, data, sizeof data);
}

static void test_sideband(void **state)
{
	(void)state;
	struct gitstore_pkt p;
	struct gitstore_slice pl;
	int band = 0;
	assert_int_equal(parse_str("0008\001abc", &p), 8);
	assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), 0);
	assert_int_equal(band, GITSTORE_BAND_DATA);
	assert_int_equal(pl.len, 3);
	assert_int_equal(parse_str("0006\002x", &p), 6);
	assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), 0);
	assert_int_equal(band, GITSTORE_BAND_PROGRESS);
	assert_int_equal(parse_str("0006\003x", &p), 6);
	assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), 0);
	assert_int_equal(band, GITSTORE_BAND_ERROR);
	assert_int_equal(gitstore_pkt_parse(gt_guard("0005\004", 5), 5, &p), 5);
	assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), GITSTORE_ESIDEBAND_BAND);
	assert_int_equal(gitstore_pkt_parse(gt_guard("0005\000", 5), 5, &p), 5);
	assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), GITSTORE_ESIDEBAND_BAND);
	assert_int_equal(parse_str("0004", &p), 4);
	assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), GITSTORE_ESIDEBAND_EMPTY);
	assert_int_equal(parse_str("0000", &p), 4);
	assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), GITSTORE_EINVAL);

	/* Muxing a payload larger than one packet, then demuxing it. */
	static uint8_t data[150000], wire[160000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	size_t off = 0, w = 0;
	while (off < sizeof data) {
		size_t taken = 0;
		int rc = gitstore_sideband_write(wire + w, sizeof wire - w, GITSTORE_BAND_DATA, data + off,
			sizeof data - off, &taken);
		assert_true(rc > 0);
		assert_true(taken <= GITSTORE_SIDEBAND_MAX);
		off += taken;
		w += (size_t)rc;
	}
	size_t r = 0, got = 0;
	while (r < w) {
		int rc = gitstore_pkt_parse(wire + r, w - r, &p);
		assert_true(rc > 0);
		assert_int_equal(gitstore_sideband_parse(&p, &band, &pl), 0);
		assert_int_equal(band, 1);
		assert_memory_equal(pl.p, data + got, pl.len);
		got += pl.len;
		r += (size_t)rc;
	}
	assert_int_equal(got, sizeof data);
	size_t taken;
	assert_int_equal(gitstore_sideband_write(wire, 5, 1, data, 1, &taken), GITSTORE_ENOMEM);
	assert_int_equal(gitstore_sideband_write(wire, 7, 1, data, 10, &taken), 7);
	assert_int_equal(taken, 2);
	assert_int_equal(gitstore_sideband_write(wire, 7, 4, data, 10, &taken), GITSTORE_EINVAL);
}

/* Every way of cutting a stream into two feeds gives the same packets. */
static void test_pktbuf_splits(void **state)
{
	(void)state;
	const char *stream = "000eversion 2\n0000" "0001" "0014command=ls-refs\n0002" "0008\001abc";
	size_t n = strlen("000eversion 2\n0000" "0001" "0014command=ls-refs\n0002") + 8;
	for (size_t cut = 0; cut <= n; cut++) {
		uint8_t mem[64];
		struct gitstore_pktbuf b;
		gitstore_pktbuf_init(&b, mem, sizeof mem);
		int kinds[8], nk = 0;
		size_t fed = gitstore_pktbuf_feed(&b, (const uint8_t *)stream, cut);
		assert_int_equal(fed, cut);
		struct gitstore_pkt p;
		while (gitstore_pktbuf_next(&b, &p) == 1)
			kinds[nk++] = p.kind;
		fed = gitstore_pktbuf_feed(&b, (const uint8_t *)stream + cut, n - cut);
		assert_int_equal(fed, n - cut);
		int rc;
		while ((rc = gitstore_pktbuf_next(&b, &p)) == 1)
			kinds[nk++] = p.kind;
		assert_int_equal(rc, GITSTORE_EAGAIN);
		if (nk != 6)
			fail_msg("cut at %zu: %d packets", cut, nk);
		assert_int_equal(kinds[0], GITSTORE_PKT_DATA);
		assert_int_equal(kinds[1], GITSTORE_PKT_FLUSH);
		assert_int_equal(kinds[2], GITSTORE_PKT_DELIM);
		assert_int_equal(kinds[4], GITSTORE_PKT_END);
		assert_int_equal(gitstore_pktbuf_rest(&b).len, 0);
	}
	/* A packet longer than the buffer is an error, not an endless wait. */
	uint8_t small[16];
	struct gitstore_pktbuf b;
	gitstore_pktbuf_init(&b, small, sizeof small);
	gitstore_pktbuf_feed(&b, (const uint8_t *)"0020abc", 7);
	struct gitstore_pkt p;
	assert_int_equal(gitstore_pktbuf_next(&b, &p), GITSTORE_EPKT_TOOLONG);
	gitstore_pktbuf_init(&b, small, sizeof small);
	gitstore_pktbuf_feed(&b, (const uint8_t *)"0008abcdPACK", 12);
	assert_int_equal(gitstore_pktbuf_next(&b, &p), 1);
	struct gitstore_slice rest = gitstore_pktbuf_rest(&b);
	assert_int_equal(rest.len, 4);
	assert_memory_equal(rest.p, "PACK", 4);
	gitstore_pktbuf_skip(&b, 10);
	assert_int_equal(gitstore_pktbuf_rest(&b).len, 0);
}

static int v2(const char *s, size_t n, struct gitstore_v2_request *r)
{
	return gitstore_v2_request_parse(gt_guard(s, n), n, r);
}
#define V2(lit, r) v2(lit, sizeof(lit) - 1, r)

static void test_v2_request(void **state)
{
	(void)state;
	struct gitstore_v2_request r;
	static const char ls[] = "0014command=ls-refs\n0015agent=git/2.39.2\n" "0017object-format=sha1\n"
		"0001" "0009peel\n000csymrefs\n001bref-prefix refs/heads/\n0000";
	assert_int_equal(V2(ls, &r), (int)sizeof ls - 1);
	assert_int_equal(r.command.len, 7);
	assert_memory_equal(r.command.p, "ls-refs", 7);
	assert_int_equal(r.object_format.len, 4);
	struct gitstore_slice sec = r.args, line;
	struct gitstore_v2_arg a;
	int kinds[3], n = 0;
	while (gitstore_v2_next(&sec, &line)) {
		assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, r.command, line, &a), 0);
		kinds[n++] = a.kind;
	}
	assert_int_equal(n, 3);
	assert_int_equal(kinds[0], GITSTORE_ARG_PEEL);
	assert_int_equal(kinds[1], GITSTORE_ARG_SYMREFS);
	assert_int_equal(kinds[2], GITSTORE_ARG_REF_PREFIX);
	assert_int_equal(a.value.len, 11);
	sec = r.caps;
	n = 0;
	while (gitstore_v2_next(&sec, &line))
		n++;
	assert_int_equal(n, 2);
	/* No arguments at all (no delim) is a request too. */
	assert_int_equal(V2("0014command=ls-refs\n0000", &r), 24);
	assert_int_equal(r.args.len, 0);
	/* Incomplete at every cut. */
	for (size_t i = 0; i < sizeof ls - 1; i++) {
		int rc = v2(ls, i, &r);
		if (rc != GITSTORE_EAGAIN)
			fail_msg("cut %zu: %d", i, rc);
	}
	assert_int_equal(V2("0000", &r), GITSTORE_EV2_COMMAND);
	assert_int_equal(V2("0001", &r), GITSTORE_EV2_COMMAND);
	assert_int_equal(V2("000dcommand=\n0000", &r), GITSTORE_EV2_COMMAND);
	assert_int_equal(V2("000bls-refs\n0000", &r), GITSTORE_EV2_COMMAND);
	assert_int_equal(V2("0012command=fetch\n00010001", &r), GITSTORE_EV2_SECTION);
	assert_int_equal(V2("0012command=fetch\n0002", &r), GITSTORE_EV2_SECTION);
	assert_int_equal(V2("0012command=fetch\n0004", &r), GITSTORE_EV2_SECTION);
	assert_int_equal(V2("0012command=fetch\n0008a b\n0000", &r), GITSTORE_EV2_SECTION);
	assert_int_equal(V2("0012command=fetch\n0007=b\n0000", &r), GITSTORE_EV2_SECTION);
	assert_int_equal(V2("0012command=fetch\n0007ab=\n0000", &r), GITSTORE_EV2_SECTION);
	assert_int_equal(V2("0012command=fetch\n00010004", &r), GITSTORE_EV2_SECTION);
	assert_int_equal(V2("0012command=fetch\n000x", &r), GITSTORE_EPKT_HEX);
	assert_int_equal(V2("0003", &r), GITSTORE_EPKT_LEN);
}

static void test_v2_args(void **state)
{
	(void)state;
	struct gitstore_slice fetch = { (const uint8_t *)"fetch", 5 }, ls = { (const uint8_t *)"ls-refs", 7 };
	struct gitstore_slice other = { (const uint8_t *)"bundle-uri", 10 };
	struct gitstore_v2_arg a;
#define L(s) ((struct gitstore_slice){ (const uint8_t *)(s), sizeof(s) - 1 })
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("want 94e647c9cf7a0d047531b39a72c7313afa211901"), &a), 0);
	assert_int_equal(a.kind, GITSTORE_ARG_WANT);
	assert_int_equal(a.id.b[0], 0x94);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("have 94e647c9cf7a0d047531b39a72c7313afa211901"), &a), 0);
	assert_int_equal(a.kind, GITSTORE_ARG_HAVE);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("want 94e647c9cf7a0d047531b39a72c7313afa21190"), &a), GITSTORE_EV2_ARG);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("want 94e647c9cf7a0d047531b39a72c7313afa21190g"), &a), GITSTORE_EV2_ARG);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("done"), &a), 0);
	assert_int_equal(a.kind, GITSTORE_ARG_DONE);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("ofs-delta"), &a), 0);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("thin-pack"), &a), 0);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("no-progress"), &a), 0);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("include-tag"), &a), 0);
	assert_int_equal(a.kind, GITSTORE_ARG_INCLUDE_TAG);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("deepen 1"), &a), GITSTORE_EV2_UNSUPPORTED);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("filter blob:none"), &a), GITSTORE_EV2_UNSUPPORTED);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("want-ref refs/heads/main"), &a), GITSTORE_EV2_UNSUPPORTED);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, fetch, L("peel"), &a), GITSTORE_EV2_ARG);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, ls, L("done"), &a), GITSTORE_EV2_ARG);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, ls, L("ref-prefix "), &a), GITSTORE_EV2_ARG);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, ls, L("unborn"), &a), 0);
	assert_int_equal(gitstore_v2_arg_parse(GITSTORE_SHA1, other, L("done"), &a), GITSTORE_EV2_COMMAND);
}

static void test_receive_cmd(void **state)
{
	(void)state;
	struct gitstore_receive_cmd c;
	struct gitstore_slice caps;
	static const char l1[] = "0000000000000000000000000000000000000000 94e647c9cf7a0d047531b39a72c7313afa211901 refs/heads/main\0report-status side-band-64k atomic agent=git/2.39\n";
	const uint8_t *g = gt_guard(l1, sizeof l1 - 1);
	assert_int_equal(gitstore_receive_cmd_parse(GITSTORE_SHA1, g, sizeof l1 - 1, &c, &caps), 0);
	assert_true(gitstore_oid_is_zero(&c.old_id));
	assert_int_equal(c.new_id.b[0], 0x94);
	assert_int_equal(c.name.len, 15);
	assert_memory_equal(c.name.p, "refs/heads/main", 15);
	assert_int_equal(gitstore_receive_caps_parse(caps),
		GITSTORE_RCAP_REPORT_STATUS | GITSTORE_RCAP_SIDEBAND | GITSTORE_RCAP_ATOMIC);
	static const char l2[] = "94e647c9cf7a0d047531b39a72c7313afa211901 0000000000000000000000000000000000000000 refs/tags/v1\n";
	g = gt_guard(l2, sizeof l2 - 1);
	assert_int_equal(gitstore_receive_cmd_parse(GITSTORE_SHA1, g, sizeof l2 - 1, &c, &caps), 0);
	assert_int_equal(caps.len, 0);
	assert_true(gitstore_oid_is_zero(&c.new_id));
	struct {
		const char *s;
		int err;
	} bad[] = {
		{ "94e647c9cf7a0d047531b39a72c7313afa211901 0000000000000000000000000000000000000000 ", GITSTORE_ERECV_CMD },
		{ "94e647c9cf7a0d047531b39a72c7313afa211901 0000000000000000000000000000000000000000", GITSTORE_ERECV_CMD },
		{ "94e647c9cf7a0d047531b39a72c7313afa211901-0000000000000000000000000000000000000000 refs/x/y", GITSTORE_ERECV_CMD },
		{ "94e647c9cf7a0d047531b39a72c7313afa21190x 0000000000000000000000000000000000000000 refs/x/y", GITSTORE_EHEX },
		{ "94e647c9cf7a0d047531b39a72c7313afa211901 000000000000000000000000000000000000000z refs/x/y", GITSTORE_EHEX },
		{ "94e647c9cf7a0d047531b39a72c7313afa211901 0000000000000000000000000000000000000000 HEAD", GITSTORE_EREF_NAME },
		{ "94e647c9cf7a0d047531b39a72c7313afa211901 0000000000000000000000000000000000000000 refs/x/../y", GITSTORE_EREF_NAME },
		{ "94e647c9cf7a0d047531b39a72c7313afa211901 0000000000000000000000000000000000000000 refs/x y", GITSTORE_EREF_NAME },
		{ "", GITSTORE_ERECV_CMD },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i].s);
		int rc = gitstore_receive_cmd_parse(GITSTORE_SHA1, gt_guard(bad[i].s, n), n, &c, NULL);
		if (rc != bad[i].err)
			fail_msg("%s: %d", bad[i].s, rc);
	}
	struct gitstore_slice q = { (const uint8_t *)" quiet  ofs-delta push-options unknown", 38 };
	assert_int_equal(gitstore_receive_caps_parse(q), GITSTORE_RCAP_QUIET | GITSTORE_RCAP_OFS_DELTA | GITSTORE_RCAP_PUSH_OPTIONS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkt_parse),
		cmocka_unit_test(test_pkt_write),
		cmocka_unit_test(test_sideband),
		cmocka_unit_test(test_pktbuf_splits),
		cmocka_unit_test(test_v2_request),
		cmocka_unit_test(test_v2_args),
		cmocka_unit_test(test_receive_cmd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
