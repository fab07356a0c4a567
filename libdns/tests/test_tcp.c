/* DNS over TCP: framing, pipelining in order, faults, limits, idle timeout. */
#include "srvutil.h"

static uint8_t scratch[DNS_SCRATCH_SIZE];

/*
 * A fault-injecting fake stream (the sim platform has no stream pairs yet):
 * the client's bytes arrive up to `avail`, then EOF if `eof`; with faults
 * on, every recv and send may would-block or move fewer bytes than asked.
 */
struct fstream {
	uint64_t rng;
	bool faults;
	uint8_t in[65536];
	size_t inlen, avail, inpos;
	bool eof;
	uint8_t out[1 << 20];
	size_t outlen;
	size_t out_room;   /* the client reads no more than this */
	int closes, recv_err, send_err;
	int blocks;        /* would-blocks injected */
};

static int fs_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct fstream *f = ctx;
	assert_int_equal(f->closes, 0);
	assert_true(cap > 0);
	if (f->recv_err)
		return -2;
	size_t left = f->avail - f->inpos;
	if (left == 0)
		return f->eof && f->avail == f->inlen ? -1 : 0;
	if (f->faults && srng(&f->rng) % 3 == 0) {
		f->blocks++;
		return 0;
	}
	size_t n = left < cap ? left : cap;
	if (f->faults)
		n = 1 + srng(&f->rng) % n;
	memcpy(buf, f->in + f->inpos, n);
	f->inpos += n;
	return (int)n;
}

static int fs_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fstream *f = ctx;
	assert_int_equal(f->closes, 0);
	assert_true(len > 0);
	if (f->send_err)
		return -2;
	if (f->outlen >= f->out_room)
		return 0;
	if (f->faults && srng(&f->rng) % 3 == 0) {
		f->blocks++;
		return 0;
	}
	size_t n = len;
	if (n > f->out_room - f->outlen)
		n = f->out_room - f->outlen;
	if (f->faults)
		n = 1 + srng(&f->rng) % n;
	assert_true(f->outlen + n <= sizeof f->out);
	memcpy(f->out + f->outlen, buf, n);
	f->outlen += n;
	return (int)n;
}

static void fs_close(void *ctx)
{
	struct fstream *f = ctx;
	f->closes++;
}

static const struct dns_stream_ops fs_ops = { fs_recv, fs_send, NULL, fs_close };

static void fs_init(struct fstream *f, uint64_t seed, bool faults)
{
	memset(f, 0, sizeof *f);
	f->rng = seed;
	f->faults = faults;
	f->out_room = SIZE_MAX;
}

/* Appends a framed query with this id to the client's input. */
static void fs_query(struct fstream *f, uint16_t id, const char *name, bool edns)
{
	size_t n = mkquery(f->in + f->inlen + 2, 512, id, name, DNS_T_A, edns, 1232);
	f->in[f->inlen] = (uint8_t)(n >> 8);
	f->in[f->inlen + 1] = (uint8_t)n;
	f->inlen += 2 + n;
}

static void fs_raw(struct fstream *f, const void *p, size_t n)
{
	memcpy(f->in + f->inlen, p, n);
	f->inlen += n;
}

/* Polls until the connection ends or max polls; returns the last result. */
static int drive(struct dns_tcp *c, uint64_t now, int max)
{
	int r = 0;
	for (int i = 0; i < max; i++) {
		r = dns_tcp_poll(c, now);
		if (r < 0)
			break;
	}
	return r;
}

/* The ids of the framed responses the server wrote, checked to parse. */
static int out_ids(const struct fstream *f, uint16_t *ids, int max, uint16_t *flags)
{
	size_t p = 0;
	int n = 0;
	while (p + 2 <= f->outlen) {
		size_t l = (size_t)f->out[p] << 8 | f->out[p + 1];
		if (p + 2 + l > f->outlen)
			break;
		struct dns_msg m;
		int r = dns_msg_parse(&m, f->out + p + 2, l);
		if (r)
			fail_msg("response %d: %s", n, dns_strerror(r));
		assert_true(n < max);
		if (flags)
			flags[n] = m.hdr.flags;
		ids[n++] = m.hdr.id;
		p += 2 + l;
	}
	assert_int_equal(p, f->outlen); /* never half a response at the end */
	return n;
}

static struct plan small_plan(void)
{
	struct plan pl = { .nsets = 1, .sets = {
		{ DNS_S_ANSWER, "www.example.", DNS_T_TXT, 2, 60, NULL, 0 } } };
	return pl;
}

/* Many pipelined queries over a stream that cuts every read and write
 * short and would-blocks anywhere: every answer, in order, then EOF. */
static void test_pipeline_faults(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[4096], obuf[4096];
	static const char *names[] = { "www.example.", "a.very.long.name.below.www.example.", "x." };
	for (uint64_t seed = 1; seed <= 300; seed++) {
		uint64_t s = seed;
		fs_init(&f, seed, true);
		int n = 1 + (int)(srng(&s) % 40);
		for (int i = 0; i < n; i++)
			fs_query(&f, (uint16_t)i, names[srng(&s) % 3], srng(&s) & 1);
		f.avail = f.inlen;
		f.eof = true;
		struct plan pl = small_plan();
		struct dns_srv srv;
		dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
		size_t icap = 80 + srng(&s) % 4000, ocap = 514 + srng(&s) % 3500;
		struct dns_tcp c;
		assert_int_equal(dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, icap, obuf, ocap, 0), 0);
		int r = drive(&c, 0, 100000);
		uint16_t ids[64];
		int got = out_ids(&f, ids, 64, NULL);
		if (r != DNS_EEOF || got != n || f.closes != 1)
			fail_msg("seed %llu: result %s, %d of %d answers, %d closes",
				(unsigned long long)seed, dns_strerror(r), got, n, f.closes);
		for (int i = 0; i < n; i++)
			if (ids[i] != i)
				fail_msg("seed %llu: answer %d has id %u", (unsigned long long)seed, i, ids[i]);
		assert_int_equal(c.answered, (uint64_t)n);
		assert_int_equal(dns_tcp_poll(&c, 0), DNS_EEOF);
		assert_int_equal(f.closes, 1);
	}
}

/* The same three queries whichever way the input is cut in two. */
static void test_split_every_byte(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[DNS_TCP_BUFSIZE], obuf[4096];
	fs_init(&f, 1, false);
	fs_query(&f, 0, "www.example.", false);
	fs_query(&f, 1, "www.example.", true);
	fs_query(&f, 2, "example.", false);
	size_t total = f.inlen;
	for (size_t split = 0; split <= total; split++) {
		f.avail = split;
		f.inpos = f.outlen = 0;
		f.eof = false;
		f.closes = 0;
		struct plan pl = small_plan();
		struct dns_srv srv;
		dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
		struct dns_tcp c;
		dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
		int r = dns_tcp_poll(&c, 0);
		assert_int_equal(r, DNS_WANT_READ);
		uint16_t ids[4];
		int first = out_ids(&f, ids, 4, NULL);
		f.avail = total;
		f.eof = true;
		r = drive(&c, 1, 10);
		assert_int_equal(r, DNS_EEOF);
		int n = out_ids(&f, ids, 4, NULL);
		if (n != 3 || ids[0] != 0 || ids[1] != 1 || ids[2] != 2 || pl.calls != 3)
			fail_msg("split %zu: %d answers (%d after the first part), %d calls", split, n,
				first, pl.calls);
	}
}

/* A malformed frame closes the connection after the answers before it. */
static void test_bad_frames(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[1024], obuf[2048];
	for (int kind = 0; kind < 3; kind++) {
		fs_init(&f, 7, kind == 2);
		fs_query(&f, 0, "www.example.", false);
		fs_query(&f, 1, "www.example.", false);
		if (kind == 0) {
			static const uint8_t shortf[] = { 0, 5, 1, 2, 3, 4, 5 };
			fs_raw(&f, shortf, sizeof shortf);
		} else {
			static const uint8_t longf[] = { 0, 200 };
			fs_raw(&f, longf, sizeof longf);
			uint8_t junk[200] = { 0 };
			fs_raw(&f, junk, sizeof junk);
		}
		fs_query(&f, 2, "www.example.", false);
		f.avail = f.inlen;
		struct plan pl = small_plan();
		struct dns_srv srv;
		dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
		srv.tcp_query_max = 100;
		struct dns_tcp c;
		dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
		int r = drive(&c, 0, 1000);
		assert_int_equal(r, kind == 0 ? DNS_ETCP_SHORT : DNS_ETCP_LONG);
		uint16_t ids[4];
		assert_int_equal(out_ids(&f, ids, 4, NULL), 2);
		assert_int_equal(pl.calls, 2);
		assert_int_equal(f.closes, 1);
		assert_int_equal(dns_tcp_poll(&c, 0), r);
		assert_int_equal(f.closes, 1);
	}
}

static void test_idle_timeout(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[1024], obuf[2048];
	fs_init(&f, 1, false);
	fs_query(&f, 0, "www.example.", false);
	struct plan pl = small_plan();
	struct dns_srv srv;
	dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
	struct dns_tcp c;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 1000);
	assert_int_equal(dns_tcp_next_deadline(&c), 1000 + DNS_TCP_IDLE_DEFAULT);
	assert_int_equal(dns_tcp_poll(&c, 1000), DNS_WANT_READ);
	assert_int_equal(dns_tcp_poll(&c, 10999), DNS_WANT_READ);
	/* A query at 5000 moves the deadline. */
	f.avail = f.inlen;
	assert_int_equal(dns_tcp_poll(&c, 5000), DNS_WANT_READ);
	assert_int_equal(pl.calls, 1);
	assert_int_equal(dns_tcp_next_deadline(&c), 15000);
	assert_int_equal(dns_tcp_poll(&c, 14999), DNS_WANT_READ);
	assert_int_equal(dns_tcp_poll(&c, 15000), DNS_ETIMEDOUT);
	assert_int_equal(f.closes, 1);
	assert_int_equal(dns_tcp_next_deadline(&c), UINT64_MAX);
	assert_int_equal(dns_tcp_poll(&c, 20000), DNS_ETIMEDOUT);
	assert_int_equal(f.closes, 1);

	/* A reader that never reads times out too, output pending. */
	fs_init(&f, 1, false);
	fs_query(&f, 0, "www.example.", false);
	f.avail = f.inlen;
	f.out_room = 0;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_WANT_READ | DNS_WANT_WRITE);
	assert_int_equal(dns_tcp_poll(&c, DNS_TCP_IDLE_DEFAULT), DNS_ETIMEDOUT);
	/* No timeout at all. */
	srv.tcp_idle_ms = 0;
	fs_init(&f, 1, false);
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
	assert_int_equal(dns_tcp_next_deadline(&c), UINT64_MAX);
	assert_int_equal(dns_tcp_poll(&c, UINT64_MAX / 2), DNS_WANT_READ);
	dns_tcp_close(&c);
	assert_int_equal(f.closes, 1);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_ECLOSED);
	dns_tcp_close(&c);
	assert_int_equal(f.closes, 1);
}

/* A client that does not read: the connection holds at most its buffers,
 * stops reading, and resumes in order once the client reads again. */
static void test_backpressure(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[200], obuf[1024];
	fs_init(&f, 3, false);
	for (int i = 0; i < 100; i++)
		fs_query(&f, (uint16_t)i, "www.example.", false);
	f.avail = f.inlen;
	f.eof = true;
	f.out_room = 0;
	struct plan pl = small_plan();
	struct dns_srv srv;
	dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
	struct dns_tcp c;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_WANT_WRITE);
	size_t inpos = f.inpos;
	int calls = pl.calls;
	for (int i = 0; i < 5; i++)
		assert_int_equal(dns_tcp_poll(&c, 0), DNS_WANT_WRITE);
	/* Stopped: at most an output buffer of answers and an input buffer
	 * of queries held. */
	assert_int_equal(f.inpos, inpos);
	assert_int_equal(pl.calls, calls);
	assert_true((calls - pl.enomem) * 130 <= (int)sizeof obuf);
	assert_true(pl.enomem <= 1);
	assert_true(inpos - (size_t)calls * 32 <= sizeof ibuf);
	f.out_room = SIZE_MAX;
	f.faults = true;
	assert_int_equal(drive(&c, 0, 100000), DNS_EEOF);
	uint16_t ids[128];
	assert_int_equal(out_ids(&f, ids, 128, NULL), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(ids[i], i);
}

/* Answers longer than the output buffer are cut (TC); a pending answer
 * makes the next one wait instead of being cut. */
static void test_big_answers(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[1024], obuf[DNS_TCP_BUFSIZE];
	struct plan pl = { .nsets = 1, .sets = {
		{ DNS_S_ANSWER, "www.example.", DNS_T_TXT, 40, 200, NULL, 0 } } };
	struct dns_srv srv;
	dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
	struct dns_tcp c;
	uint16_t ids[4], flags[4];

	fs_init(&f, 1, false);
	fs_query(&f, 0, "www.example.", false);
	f.avail = f.inlen;
	f.eof = true;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, 1024, 0);
	assert_int_equal(drive(&c, 0, 10), DNS_EEOF);
	assert_int_equal(out_ids(&f, ids, 4, flags), 1);
	assert_true(flags[0] & DNS_F_TC);
	assert_true(f.outlen <= 1024);

	fs_init(&f, 1, false);
	fs_query(&f, 0, "www.example.", false);
	fs_query(&f, 1, "www.example.", false);
	f.avail = f.inlen;
	f.eof = true;
	f.out_room = 100;
	pl.calls = pl.enomem = 0;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, 12000, 0);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_WANT_WRITE);
	assert_true(pl.enomem >= 1); /* the second answer waits for room */
	f.out_room = SIZE_MAX;
	assert_int_equal(drive(&c, 0, 10), DNS_EEOF);
	assert_int_equal(out_ids(&f, ids, 4, flags), 2);
	assert_int_equal(ids[1], 1);
	assert_false((flags[0] | flags[1]) & DNS_F_TC);
	assert_true(f.outlen > 2 * 8000);

	/* The same with an engine that cuts answers itself (TC): a cut made
	 * for lack of room behind pending output is not sent. */
	for (int native = 0; native < 2; native++) {
		fs_init(&f, 1, false);
		fs_query(&f, 0, "www.example.", false);
		fs_query(&f, 1, "www.example.", false);
		f.avail = f.inlen;
		f.eof = true;
		f.out_room = 100;
		pl.native = true;
		dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf,
			native ? 12000 : 1024, 0);
		int r = dns_tcp_poll(&c, 0);
		assert_true(native ? r == DNS_WANT_WRITE : r == DNS_EEOF);
		f.out_room = SIZE_MAX;
		assert_int_equal(drive(&c, 0, 10), DNS_EEOF);
		assert_int_equal(out_ids(&f, ids, 4, flags), 2);
		if (native) {
			assert_false((flags[0] | flags[1]) & DNS_F_TC);
		} else {
			/* The buffer is too small for any: both cut, each alone. */
			assert_true(flags[0] & flags[1] & DNS_F_TC);
		}
	}
	pl.native = false;
}

/* A multi-message answer (the AXFR shape) goes out whole before the next. */
static void test_multi_message(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[1024], obuf[1024];
	fs_init(&f, 9, true);
	fs_query(&f, 0, "www.example.", false);
	fs_query(&f, 1, "www.example.", false);
	f.avail = f.inlen;
	f.eof = true;
	struct plan pl = small_plan();
	pl.parts = 3;
	struct dns_srv srv;
	dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
	struct dns_tcp c;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
	assert_int_equal(drive(&c, 0, 10000), DNS_EEOF);
	uint16_t ids[8];
	assert_int_equal(out_ids(&f, ids, 8, NULL), 6);
	static const uint16_t want[] = { 0, 0, 0, 1, 1, 1 };
	assert_memory_equal(ids, want, sizeof want);
}

static void test_ops_errors(void **st)
{
	(void)st;
	static struct fstream f;
	static uint8_t ibuf[1024], obuf[1024];
	struct plan pl = small_plan();
	struct dns_srv srv;
	dns_srv_init(&srv, plan_answer, &pl, scratch, sizeof scratch);
	struct dns_tcp c;
	fs_init(&f, 1, false);
	f.recv_err = 1;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_EIO);
	assert_int_equal(f.closes, 1);

	fs_init(&f, 1, false);
	fs_query(&f, 0, "www.example.", false);
	f.avail = f.inlen;
	f.send_err = 1;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_EIO);
	assert_int_equal(f.closes, 1);

	/* EOF inside a frame: closed, nothing answered. */
	fs_init(&f, 1, false);
	fs_query(&f, 0, "www.example.", false);
	f.avail = f.inlen - 3;
	f.inlen -= 3;
	f.eof = true;
	pl.calls = 0;
	dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, sizeof ibuf, obuf, sizeof obuf, 0);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_EEOF);
	assert_int_equal(pl.calls, 0);

	/* Buffers too small. */
	assert_int_equal(dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, 13, obuf, sizeof obuf, 0), DNS_EINVAL);
	assert_int_equal(dns_tcp_init(&c, &srv, &fs_ops, &f, NULL, ibuf, 100, obuf, 513, 0), DNS_EINVAL);
	assert_int_equal(dns_tcp_poll(&c, 0), DNS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_every_byte),
		cmocka_unit_test(test_pipeline_faults),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_big_answers),
		cmocka_unit_test(test_multi_message),
		cmocka_unit_test(test_ops_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
