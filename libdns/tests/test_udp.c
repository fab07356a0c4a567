/* UDP serving: answer size limits, truncation at RRset boundaries, TC. */
#include "srvutil.h"

static uint8_t scratch[DNS_SCRATCH_SIZE];

/* Writes the full (never truncated) answer of plan pl to a query. */
static size_t full_answer(struct plan *pl, const uint8_t *q, size_t qlen, uint8_t *out)
{
	struct dns_msg m;
	struct dns_req req;
	memset(&req, 0, sizeof req);
	req.priv.msg = &m;
	assert_int_equal(dns_msg_parse(&m, q, qlen), 0);
	req.wire = q;
	req.len = qlen;
	req.limit = DNS_MSG_MAX;
	int r = plan_answer(pl, &req, out, DNS_MSG_MAX);
	assert_true(r > 0);
	return (size_t)r;
}

struct rec { size_t off, end; uint8_t section; uint16_t type, covers; uint8_t owner[DNS_NAME_MAX]; };

/* The records of a message with their extents. */
static int records(const uint8_t *msg, size_t len, struct rec *out, int max, struct dns_msg *m)
{
	assert_int_equal(dns_msg_parse(m, msg, len), 0);
	struct dns_msg_iter it;
	struct dns_rr rr;
	int n = 0;
	dns_msg_iter_init(m, &it);
	for (;;) {
		size_t off = it.pos;
		if (!dns_msg_next(m, &it, &rr))
			break;
		assert_true(n < max);
		out[n].off = off;
		out[n].end = it.pos;
		out[n].section = rr.section;
		out[n].type = rr.type;
		out[n].covers = rr.type == DNS_T_RRSIG ? (uint16_t)(rr.rdata[0] << 8 | rr.rdata[1]) : 0;
		memcpy(out[n].owner, rr.owner, DNS_NAME_MAX);
		n++;
	}
	return n;
}

/* The model of the cut: record i starts a new RRset unless it has the
 * section and owner of the set before it and its type (or is an RRSIG
 * covering that type); OPT and TSIG are sets of their own. */
static void set_starts(const struct rec *r, int n, bool *start)
{
	uint16_t set_type = 0;
	for (int i = 0; i < n; i++) {
		bool same = i > 0 && r[i].section == r[i - 1].section &&
			    dns_name_equal(r[i].owner, r[i - 1].owner) && r[i].type != DNS_T_OPT &&
			    r[i - 1].type != DNS_T_OPT && r[i].type != DNS_T_TSIG &&
			    (r[i].type == set_type || (r[i].type == DNS_T_RRSIG && r[i].covers == set_type));
		start[i] = !same;
		if (!same)
			set_type = r[i].type;
	}
}

/*
 * Truncates full[0, flen) to limit and checks it against a model: the cut
 * is the last RRset boundary b where b octets plus the OPT record (when it
 * lies beyond b) fit; the output is full[0, b) plus that OPT, with the
 * counts fixed; TC is set exactly when an answer or authority record is
 * lost (or glue_tc: in-domain glue).
 */
static void check_cut(const uint8_t *full, size_t flen, size_t limit, bool glue_tc, uint64_t seed)
{
	static uint8_t out[DNS_MSG_MAX];
	static struct rec fr[4096];
	static bool start[4096];
	const uint8_t *in = sguard(full, flen);
	int r = dns_msg_truncate(in, flen, out, limit);
	if (flen <= limit) {
		assert_int_equal(r, (int)flen);
		assert_memory_equal(out, full, flen);
		return;
	}
	struct dns_msg fm;
	int fn = records(full, flen, fr, 4096, &fm);
	set_starts(fr, fn, start);
	size_t opt_len = 0;
	for (int i = 0; i < fn; i++)
		if (fr[i].type == DNS_T_OPT)
			opt_len = fr[i].end - fr[i].off;
	size_t best = 0;
	int kept = -1;
	for (int i = 0; i <= fn; i++) {
		if (i < fn && !start[i])
			continue;
		size_t b = i < fn ? fr[i].off : fm.end;
		size_t size = b + (fm.opt_off >= b ? opt_len : 0);
		if (size > limit)
			break;
		best = b;
		kept = i;
	}
	if (kept < 0) {
		if (r != DNS_ENOMEM)
			fail_msg("seed %llu limit %zu: got %d, want DNS_ENOMEM", (unsigned long long)seed, limit, r);
		return;
	}
	if (r < 0)
		fail_msg("seed %llu limit %zu: got %s", (unsigned long long)seed, limit, dns_strerror(r));
	size_t want_len = best + (fm.opt_off >= best ? opt_len : 0);
	if ((size_t)r != want_len || (size_t)r > limit)
		fail_msg("seed %llu limit %zu: length %d, want %zu", (unsigned long long)seed, limit, r, want_len);
	assert_memory_equal(out, full, 2);
	assert_memory_equal(out + 12, full + 12, best - 12);
	if (fm.opt_off >= best)
		assert_memory_equal(out + best, full + fm.opt_off, opt_len);
	struct dns_msg cm;
	assert_int_equal(dns_msg_parse(&cm, out, (size_t)r), 0);
	assert_int_equal(cm.edns.present, fm.edns.present);
	bool lost = glue_tc;
	for (int i = kept; i < fn; i++)
		if (fr[i].section != DNS_S_ADDITIONAL)
			lost = true;
	bool tc = (cm.hdr.flags & DNS_F_TC) != 0;
	if (tc != lost)
		fail_msg("seed %llu limit %zu: TC %d, want %d", (unsigned long long)seed, limit, tc, lost);
	assert_int_equal(cm.hdr.flags & ~DNS_F_TC, fm.hdr.flags & ~DNS_F_TC);
}

static void query_for(struct plan *pl, bool edns, uint8_t *full, size_t *flen)
{
	uint8_t q[512];
	size_t ql = mkquery(q, sizeof q, 0x4242, "www.example.", DNS_T_TXT, edns, 4096);
	*flen = full_answer(pl, q, ql, full);
}

/* Random answers of many RRsets, cut at every size from too small to
 * whole: the model holds for each. */
static void test_cut_model(void **st)
{
	(void)st;
	static uint8_t full[DNS_MSG_MAX];
	static const char *owners[] = { "www.example.", "WWW.example.", "mail.example.", "x.example." };
	for (uint64_t seed = 1; seed <= 60; seed++) {
		uint64_t s = seed;
		struct plan pl;
		memset(&pl, 0, sizeof pl);
		pl.opt_first = srng(&s) & 1;
		uint8_t sect = DNS_S_ANSWER;
		int nsets = 1 + (int)(srng(&s) % 10);
		for (int i = 0; i < nsets; i++) {
			struct pset *p = &pl.sets[pl.nsets++];
			if (srng(&s) % 3 == 0 && sect < DNS_S_ADDITIONAL)
				sect++;
			p->section = sect;
			p->owner = owners[srng(&s) % 4];
			p->n = 1 + (int)(srng(&s) % 6);
			int kind = (int)(srng(&s) % 4);
			p->type = kind == 0 ? DNS_T_A : kind == 1 ? DNS_T_AAAA : DNS_T_TXT;
			p->size = 2 + (int)(srng(&s) % 200);
			if (kind == 3 && i > 0 && pl.sets[i - 1].type != DNS_T_RRSIG) {
				/* Signatures right after the set they cover. */
				p->type = DNS_T_RRSIG;
				p->covers = pl.sets[i - 1].type;
				p->owner = pl.sets[i - 1].owner;
				p->section = pl.sets[i - 1].section;
			}
		}
		bool edns = srng(&s) & 1;
		size_t flen;
		query_for(&pl, edns, full, &flen);
		for (size_t limit = 20; limit <= flen + 1; limit += 1 + limit / 64)
			check_cut(full, flen, limit, false, seed);
		check_cut(full, flen, flen - 1, false, seed);
	}
}

static void test_limits(void **st)
{
	(void)st;
	struct plan pl;
	struct dns_srv s;
	memset(&pl, 0, sizeof pl);
	assert_int_equal(dns_srv_init(&s, plan_answer, &pl, scratch, sizeof scratch), 0);
	assert_int_equal(dns_srv_init(&s, plan_answer, &pl, scratch, 100), DNS_EINVAL);
	assert_int_equal(dns_srv_init(&s, plan_answer, &pl, scratch, sizeof scratch), 0);
	uint8_t q[512];
	struct dns_msg m;
	static const struct { bool edns; uint16_t size, max; size_t want; } cases[] = {
		{ false, 0, 1232, 512 },
		{ true, 4096, 1232, 1232 },
		{ true, 1000, 1232, 1000 },
		{ true, 100, 1232, 512 },   /* RFC 6891 6.2.5 */
		{ true, 0, 1232, 512 },
		{ true, 4096, 4096, 4096 },
		{ true, 65535, 65535, 65535 },
		{ true, 1232, 300, 512 },   /* a server limit below 512 is 512 */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t ql = mkquery(q, sizeof q, 1, "example.", DNS_T_A, cases[i].edns, cases[i].size);
		assert_int_equal(dns_msg_parse(&m, q, ql), 0);
		s.udp_max = cases[i].max;
		assert_int_equal(dns_udp_limit(&s, &m, 0), cases[i].want);
		assert_int_equal(dns_udp_query_limit(&s, sguard(q, ql), ql), cases[i].want);
	}
	/* The in-place reading agrees with the parse on every query that
	 * parses, whatever bytes are changed. */
	s.udp_max = 4096;
	for (uint64_t seed = 1; seed <= 20000; seed++) {
		uint64_t r = seed;
		size_t ql = mkquery(q, sizeof q, 1, "www.example.", DNS_T_A, seed & 1,
			(uint16_t)srng(&r));
		int flips = 1 + (int)(srng(&r) % 3);
		for (int k = 0; k < flips; k++)
			q[srng(&r) % ql] = (uint8_t)srng(&r);
		if (srng(&r) % 4 == 0)
			ql -= srng(&r) % ql;
		int err = dns_msg_parse(&m, q, ql);
		size_t want = dns_udp_limit(&s, &m, err), got = dns_udp_query_limit(&s, sguard(q, ql), ql);
		if (err == 0 && want != got)
			fail_msg("seed %llu: limit %zu, parsed %zu", (unsigned long long)seed, got, want);
	}
	assert_int_equal(dns_udp_limit(&s, &m, DNS_ETRUNC), 512);
}

/* Dropping only additional records leaves TC clear (RFC 2181 9); the OPT
 * record survives. */
static void test_additional_only(void **st)
{
	(void)st;
	static uint8_t full[DNS_MSG_MAX];
	struct plan pl = { .nsets = 2, .sets = {
		{ DNS_S_ANSWER, "www.example.", DNS_T_TXT, 2, 100, NULL, 0 },
		{ DNS_S_ADDITIONAL, "x.example.", DNS_T_TXT, 8, 200, NULL, 0 } } };
	size_t flen;
	query_for(&pl, true, full, &flen);
	static uint8_t out[DNS_MSG_MAX];
	int r = dns_msg_truncate(full, flen, out, 512);
	assert_true(r > 0 && r <= 512);
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
	assert_false(m.hdr.flags & DNS_F_TC);
	assert_int_equal(m.hdr.count[DNS_S_ANSWER], 2);
	assert_int_equal(m.hdr.count[DNS_S_ADDITIONAL], 1);
	assert_true(m.edns.present);
	check_cut(full, flen, 512, false, 0);

	/* The answer itself does not fit: TC, no answer record at all. */
	pl.sets[0].n = 5;
	query_for(&pl, true, full, &flen);
	r = dns_msg_truncate(full, flen, out, 512);
	assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
	assert_true(m.hdr.flags & DNS_F_TC);
	assert_int_equal(m.hdr.count[DNS_S_ANSWER], 0);
	assert_true(m.edns.present);
	check_cut(full, flen, 512, false, 0);

	/* Not even the question fits. */
	assert_int_equal(dns_msg_truncate(full, flen, out, 20), DNS_ENOMEM);
	/* In place. */
	memcpy(out, full, flen);
	r = dns_msg_truncate(out, flen, out, 512);
	assert_true(r > 0 && r <= 512);
	assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
	/* A malformed response is refused with its parse error. */
	assert_int_equal(dns_msg_truncate(full, flen - 1, out, 512), DNS_ETRUNC);
}

/* RFC 9471 3: in-domain glue that does not fit sets TC; sibling glue
 * (a name server outside the delegated zone) does not. */
static void test_glue(void **st)
{
	(void)st;
	static uint8_t full[DNS_MSG_MAX];
	struct plan pl = { .nsets = 4, .referral = true, .sets = {
		{ DNS_S_AUTHORITY, "sub.example.", DNS_T_NS, 1, 0, "ns1.sub.example.", 0 },
		{ DNS_S_AUTHORITY, "sub.example.", DNS_T_NS, 1, 0, "ns.other.example.", 0 },
		{ DNS_S_ADDITIONAL, "ns.other.example.", DNS_T_AAAA, 3, 0, NULL, 0 },
		{ DNS_S_ADDITIONAL, "NS1.sub.example.", DNS_T_AAAA, 3, 0, NULL, 0 } } };
	/* The two NS records are written as separate sets of one: fine. */
	size_t flen;
	query_for(&pl, false, full, &flen);
	static uint8_t out[DNS_MSG_MAX];
	int r = dns_msg_truncate(full, flen, out, flen - 1);
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
	assert_true(m.hdr.flags & DNS_F_TC);
	check_cut(full, flen, flen - 1, true, 0);

	/* Now the in-domain glue first, the sibling glue last: cut the
	 * sibling only. */
	struct pset t = pl.sets[2];
	pl.sets[2] = pl.sets[3];
	pl.sets[3] = t;
	query_for(&pl, false, full, &flen);
	r = dns_msg_truncate(full, flen, out, flen - 1);
	assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
	assert_false(m.hdr.flags & DNS_F_TC);
	assert_int_equal(m.hdr.count[DNS_S_ADDITIONAL], 3);
	check_cut(full, flen, flen - 1, false, 0);

	/* The same records in an authoritative answer are not glue. */
	pl.referral = false;
	t = pl.sets[2];
	pl.sets[2] = pl.sets[3];
	pl.sets[3] = t;
	query_for(&pl, false, full, &flen);
	r = dns_msg_truncate(full, flen, out, flen - 1);
	assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
	assert_false(m.hdr.flags & DNS_F_TC);
}

/* An RRSIG stays with the set it covers: both or neither. */
static void test_rrsig_with_set(void **st)
{
	(void)st;
	static uint8_t full[DNS_MSG_MAX];
	struct plan pl = { .nsets = 3, .sets = {
		{ DNS_S_ANSWER, "www.example.", DNS_T_A, 2, 0, NULL, 0 },
		{ DNS_S_ANSWER, "www.example.", DNS_T_RRSIG, 1, 0, NULL, DNS_T_A },
		{ DNS_S_ANSWER, "www.example.", DNS_T_TXT, 3, 150, NULL, 0 } } };
	size_t flen;
	query_for(&pl, true, full, &flen);
	static uint8_t out[DNS_MSG_MAX];
	struct dns_msg m;
	for (size_t limit = 30; limit < flen; limit++) {
		int r = dns_msg_truncate(full, flen, out, limit);
		if (r < 0)
			continue;
		assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
		uint16_t an = m.hdr.count[DNS_S_ANSWER];
		if (an != 0 && an != 3)
			fail_msg("limit %zu: %u answer records, want 0 or 3 (A set and its RRSIG)", limit, an);
		check_cut(full, flen, limit, false, 0);
	}
}

/* The whole path: the callback writes everything, the transport cuts. */
static void test_udp_answer(void **st)
{
	(void)st;
	/* 16 RRsets of two 200-octet records, about 424 octets each. */
	struct plan pl = { .nsets = 16 };
	for (int i = 0; i < 16; i++)
		pl.sets[i] = (struct pset){ DNS_S_ANSWER, i & 1 ? "b.example." : "a.example.",
			DNS_T_TXT, 2, 200, NULL, 0 };
	struct dns_srv s;
	assert_int_equal(dns_srv_init(&s, plan_answer, &pl, scratch, sizeof scratch), 0);
	uint8_t q[512];
	static uint8_t out[DNS_MSG_MAX];
	struct dns_msg m;
	static const struct { bool edns; uint16_t size, max; size_t cap; size_t want; } cases[] = {
		{ false, 0, 1232, 65535, 512 },
		{ true, 4096, 1232, 65535, 1232 },
		{ true, 4096, 4096, 65535, 4096 },
		{ true, 700, 4096, 65535, 700 },
		{ true, 4096, 1232, 1232, 1232 }, /* out too small: the scratch path */
		{ true, 4096, 4096, 1000, 1000 }, /* out below the limit: cut to out */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t ql = mkquery(q, sizeof q, (uint16_t)(7 + i), "www.example.", DNS_T_TXT,
			cases[i].edns, cases[i].size);
		s.udp_max = cases[i].max;
		pl.calls = pl.enomem = 0;
		uint64_t tr = s.truncated;
		int r = dns_udp_answer(&s, sguard(q, ql), ql, NULL, out, cases[i].cap, 5);
		assert_true(r > 0);
		assert_true((size_t)r <= cases[i].want);
		assert_true((size_t)r + 430 > cases[i].want); /* whole RRsets, no fewer */
		assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
		assert_int_equal(m.hdr.id, 7 + i);
		assert_true(m.hdr.flags & DNS_F_TC);
		assert_int_equal(m.edns.present, cases[i].edns);
		assert_int_equal(s.truncated, tr + 1);
		assert_int_equal(pl.enomem, cases[i].cap < 4100 ? 1 : 0);
		assert_int_equal(pl.calls, 1 + pl.enomem);
	}
	/* A small answer is not touched. */
	pl.nsets = 1;
	size_t ql = mkquery(q, sizeof q, 99, "www.example.", DNS_T_TXT, false, 0);
	int r = dns_udp_answer(&s, q, ql, NULL, out, 512, 5);
	assert_true(r > 200 && r < 512);
	assert_int_equal(dns_msg_parse(&m, out, (size_t)r), 0);
	assert_false(m.hdr.flags & DNS_F_TC);
	assert_int_equal(m.hdr.count[DNS_S_ANSWER], 2);
	/* Shorter than a header: dropped without a call. */
	pl.calls = 0;
	uint64_t dropped = s.dropped;
	assert_int_equal(dns_udp_answer(&s, q, 11, NULL, out, 512, 5), 0);
	assert_int_equal(pl.calls, 0);
	assert_int_equal(s.dropped, dropped + 1);
	/* Malformed: the callback hears why, with the 512 limit. */
	assert_int_equal(dns_udp_answer(&s, sguard(q, ql - 1), ql - 1, NULL, out, 512, 5), 0);
	assert_int_equal(pl.parse_errs, 1);
	assert_int_equal(pl.last_limit, 512);
}

/* A scripted datagram socket. */
struct fdgram {
	uint8_t in[8][512];
	size_t inlen[8];
	int nin, next;
	uint8_t out[8][2048];
	size_t outlen[8];
	int nout;
	int send_block;   /* sends that would block */
	int recv_err;
};

static int fd_recv(void *ctx, uint8_t *buf, size_t cap, struct dns_addr *from)
{
	struct fdgram *d = ctx;
	if (d->recv_err)
		return -2;
	if (d->next == d->nin)
		return 0;
	assert_true(cap >= d->inlen[d->next]);
	memcpy(buf, d->in[d->next], d->inlen[d->next]);
	memset(from, 0, sizeof *from);
	from->family = 4;
	from->port = (uint16_t)(1000 + d->next);
	return (int)d->inlen[d->next++];
}

static int fd_send(void *ctx, const uint8_t *buf, size_t len, const struct dns_addr *to)
{
	struct fdgram *d = ctx;
	if (d->send_block) {
		d->send_block--;
		return 0;
	}
	assert_int_equal(to->port, 1000 + d->next - 1);
	memcpy(d->out[d->nout], buf, len);
	d->outlen[d->nout++] = len;
	return (int)len;
}

static void test_udp_serve(void **st)
{
	(void)st;
	static const struct dns_datagram_ops ops = { fd_recv, fd_send };
	struct plan pl = { .nsets = 1, .sets = {
		{ DNS_S_ANSWER, "www.example.", DNS_T_A, 1, 0, NULL, 0 } } };
	struct dns_srv s;
	assert_int_equal(dns_srv_init(&s, plan_answer, &pl, scratch, sizeof scratch), 0);
	struct fdgram d;
	memset(&d, 0, sizeof d);
	for (int i = 0; i < 5; i++)
		d.inlen[i] = mkquery(d.in[i], 512, (uint16_t)i, "www.example.", DNS_T_A, i & 1, 1232);
	d.nin = 5;
	d.send_block = 1;
	uint8_t qbuf[512], rbuf[1232];
	assert_int_equal(dns_udp_serve(&s, &ops, &d, qbuf, sizeof qbuf, rbuf, sizeof rbuf, 3, 0), 3);
	assert_int_equal(dns_udp_serve(&s, &ops, &d, qbuf, sizeof qbuf, rbuf, sizeof rbuf, 3, 0), 2);
	assert_int_equal(dns_udp_serve(&s, &ops, &d, qbuf, sizeof qbuf, rbuf, sizeof rbuf, 3, 0), 0);
	assert_int_equal(d.nout, 4); /* the first answer hit a full socket */
	for (int i = 0; i < 4; i++) {
		struct dns_msg m;
		assert_int_equal(dns_msg_parse(&m, d.out[i], d.outlen[i]), 0);
		assert_int_equal(m.hdr.id, i + 1);
		assert_int_equal(m.hdr.count[DNS_S_ANSWER], 1);
	}
	assert_int_equal(s.answered, 4);
	assert_int_equal(s.dropped, 1);
	d.recv_err = 1;
	assert_int_equal(dns_udp_serve(&s, &ops, &d, qbuf, sizeof qbuf, rbuf, sizeof rbuf, 3, 0), DNS_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_additional_only),
		cmocka_unit_test(test_glue),
		cmocka_unit_test(test_rrsig_with_set),
		cmocka_unit_test(test_cut_model),
		cmocka_unit_test(test_udp_answer),
		cmocka_unit_test(test_udp_serve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
