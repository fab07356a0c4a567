/* Serving: TCP framing and pipelining over faulty streams, idle timeout, UDP. */
#include "testutil.h"
#include <stdlib.h>

static struct dns_zparser parser;
static uint8_t arena[1 << 16];
static struct dns_zone zone;
static const struct dns_zone *zones[1] = { &zone };
static uint16_t ctab[64];
static struct dns_server srv = { zones, 1, 0, ctab, 64 };

static int setup(void **st)
{
	(void)st;
	struct dns_zone_err ze;
	char msg[200];
	const char *text = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"a\"\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"b\"\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"c\"\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"d\"\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"e\"\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"f\"\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"g\"\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"h\"\n";
	if (load_zone(&zone, &parser, "example.", text, arena, sizeof arena, &ze, msg, sizeof msg))
		fail_msg("zone: %s", msg);
	return 0;
}

/* A stream that hands out its input in chunks and takes output in bites,
 * with would-block between, all from a seed (0: everything at once). */
struct fake {
	const uint8_t *in;
	size_t in_len, in_pos;
	size_t chunk;         /* recv at most this much (0: no limit) */
	uint8_t out[1 << 17];
	size_t out_len;
	uint64_t rng;         /* 0: no faults */
	bool eof_at_end;
	int closed;
};

static int f_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct fake *f = ctx;
	assert_true(cap > 0);
	if (f->rng && rng_next(&f->rng) % 3 == 0)
		return 0;
	if (f->in_pos == f->in_len)
		return f->eof_at_end ? -1 : 0;
	size_t n = f->in_len - f->in_pos;
	if (n > cap)
		n = cap;
	if (f->chunk && n > f->chunk)
		n = f->chunk;
	if (f->rng)
		n = 1 + rng_next(&f->rng) % n;
	memcpy(buf, f->in + f->in_pos, n);
	f->in_pos += n;
	return (int)n;
}

static int f_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	assert_true(len > 0);
	if (f->rng && rng_next(&f->rng) % 3 == 0)
		return 0;
	size_t n = len;
	if (f->rng)
		n = 1 + rng_next(&f->rng) % n;
	memcpy(f->out + f->out_len, buf, n);
	f->out_len += n;
	return (int)n;
}

static void f_close(void *ctx)
{
	((struct fake *)ctx)->closed++;
}

static const struct dns_stream_ops fops = { f_recv, f_send, NULL, f_close };

/* Three framed queries back to back (the last one's answer is 600 octets). */
static size_t make_stream(uint8_t *s)
{
	static const char *const names[] = { "www.example.", "nothere.example.", "big.example." };
	static const uint16_t types[] = { DNS_T_A, DNS_T_A, DNS_T_TXT };
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		uint8_t name[DNS_NAME_MAX];
		struct dns_msgw w;
		dns_msgw_init(&w, s + n + 2, 512, NULL, 0, (uint16_t)(i + 1), 0);
		dns_msgw_question(&w, name_wire(names[i], name), types[i], DNS_C_IN);
		int l = dns_msgw_finish(&w);
		s[n] = 0;
		s[n + 1] = (uint8_t)l;
		n += 2 + (size_t)l;
	}
	return n;
}

static uint8_t in_buf[DNS_TCP_BUFSIZE], out_buf[DNS_TCP_BUFSIZE];

/* Runs a connection to its end (bounded); returns its result. */
static int run(struct fake *f, uint64_t *now)
{
	struct dns_tcp c;
	assert_int_equal(dns_tcp_init(&c, &fops, f, in_buf, sizeof in_buf, out_buf, sizeof out_buf, 1000, *now), 0);
	for (int i = 0; i < 100000; i++) {
		int r = dns_tcp_poll(&c, &srv, *now);
		if (r)
			return r;
		(*now)++;
	}
	fail_msg("the connection did not end");
	return 0;
}

/* Checks the output: three framed answers, ids 1, 2, 3, in order. */
static void check_answers(const struct fake *f, uint64_t seed)
{
	size_t pos = 0;
	for (int i = 0; i < 3; i++) {
		if (f->out_len - pos < 2)
			fail_msg("seed %llu: answer %d missing", (unsigned long long)seed, i);
		size_t l = (size_t)(f->out[pos] << 8 | f->out[pos + 1]);
		struct dns_msg m;
		if (pos + 2 + l > f->out_len || dns_msg_parse(&m, f->out + pos + 2, l) != 0 || m.hdr.id != i + 1)
			fail_msg("seed %llu: answer %d wrong", (unsigned long long)seed, i);
		if (i == 2 && (m.hdr.count[1] != 8 || (m.hdr.flags & DNS_F_TC)))
			fail_msg("seed %llu: TCP answer truncated", (unsigned long long)seed);
		pos += 2 + l;
	}
	if (pos != f->out_len)
		fail_msg("seed %llu: trailing output", (unsigned long long)seed);
}

static void test_pipelined(void **st)
{
	(void)st;
	static uint8_t stream[2048];
	size_t n = make_stream(stream);
	static struct fake f;
	memset(&f, 0, sizeof f);
	f.in = stream;
	f.in_len = n;
	f.eof_at_end = true;
	uint64_t now = 0;
	assert_int_equal(run(&f, &now), DNS_EEOF);
	assert_int_equal(f.closed, 1);
	check_answers(&f, 0);
}

/* Every way of cutting the input into reads gives the same answers. */
static void test_every_split(void **st)
{
	(void)st;
	static uint8_t stream[2048];
	size_t n = make_stream(stream);
	static struct fake f;
	for (size_t chunk = 1; chunk <= n; chunk++) {
		memset(&f, 0, sizeof f);
		f.in = stream;
		f.in_len = n;
		f.chunk = chunk;
		f.eof_at_end = true;
		uint64_t now = 0;
		assert_int_equal(run(&f, &now), DNS_EEOF);
		check_answers(&f, chunk);
	}
}

/* Short reads, short writes and would-block everywhere, from seeds. */
static void test_faults(void **st)
{
	(void)st;
	static uint8_t stream[2048];
	size_t n = make_stream(stream);
	static struct fake f;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		memset(&f, 0, sizeof f);
		f.in = stream;
		f.in_len = n;
		f.rng = seed * 0x9E3779B97F4A7C15ULL;
		f.eof_at_end = true;
		uint64_t now = 0;
		int r = run(&f, &now);
		if (r != DNS_EEOF)
			fail_msg("seed %llu: ended with %s", (unsigned long long)seed, dns_strerror(r));
		check_answers(&f, seed);
	}
}

static void test_idle_and_bad_frames(void **st)
{
	(void)st;
	static struct fake f;
	memset(&f, 0, sizeof f);
	struct dns_tcp c;
	assert_int_equal(dns_tcp_init(&c, &fops, &f, in_buf, sizeof in_buf, out_buf, sizeof out_buf, 500, 1000), 0);
	assert_int_equal(dns_tcp_poll(&c, &srv, 1000), 0);
	assert_int_equal(dns_tcp_next_deadline(&c), 1500);
	assert_int_equal(dns_tcp_poll(&c, &srv, 1499), 0);
	assert_int_equal(dns_tcp_poll(&c, &srv, 1500), DNS_ETIMEDOUT);
	assert_int_equal(f.closed, 1);
	assert_int_equal(dns_tcp_poll(&c, &srv, 1600), DNS_ETIMEDOUT);
	assert_int_equal(f.closed, 1);
	assert_int_equal(dns_tcp_next_deadline(&c), UINT64_MAX);

	/* A frame too short for a header ends the connection. */
	static const uint8_t bad[] = { 0, 5, 1, 2, 3, 4, 5 };
	memset(&f, 0, sizeof f);
	f.in = bad;
	f.in_len = sizeof bad;
	uint64_t now = 0;
	assert_int_equal(run(&f, &now), DNS_ETRUNC);
	assert_int_equal(f.out_len, 0);
	/* A response (QR) in a frame is dropped silently; the connection goes on. */
	static const uint8_t resp[] = { 0, 12, 0, 9, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	memset(&f, 0, sizeof f);
	f.in = resp;
	f.in_len = sizeof resp;
	f.eof_at_end = true;
	assert_int_equal(run(&f, &now), DNS_EEOF);
	assert_int_equal(f.out_len, 0);
	/* A lent buffer too small for the frame: ENOMEM, closed. */
	static uint8_t stream[2048];
	size_t n = make_stream(stream);
	memset(&f, 0, sizeof f);
	f.in = stream;
	f.in_len = n;
	assert_int_equal(dns_tcp_init(&c, &fops, &f, in_buf, 20, out_buf, sizeof out_buf, 0, 0), 0);
	assert_int_equal(dns_tcp_poll(&c, &srv, 0), DNS_ENOMEM);
	assert_int_equal(dns_tcp_init(&c, &fops, &f, in_buf, 10, out_buf, sizeof out_buf, 0, 0), DNS_EINVAL);
}

/* A client streaming many queries gets them answered in batches. */
static void test_batches(void **st)
{
	(void)st;
	static uint8_t stream[100 * 40];
	size_t n = 0;
	for (int i = 0; i < 100; i++) {
		uint8_t name[DNS_NAME_MAX];
		struct dns_msgw w;
		dns_msgw_init(&w, stream + n + 2, 512, NULL, 0, (uint16_t)i, 0);
		dns_msgw_question(&w, name_wire("www.example.", name), DNS_T_A, DNS_C_IN);
		int l = dns_msgw_finish(&w);
		stream[n] = 0;
		stream[n + 1] = (uint8_t)l;
		n += 2 + (size_t)l;
	}
	static struct fake f;
	memset(&f, 0, sizeof f);
	f.in = stream;
	f.in_len = n;
	struct dns_tcp c;
	dns_tcp_init(&c, &fops, &f, in_buf, sizeof in_buf, out_buf, sizeof out_buf, 0, 0);
	assert_int_equal(dns_tcp_poll(&c, &srv, 0), 0);
	assert_int_equal(dns_tcp_answered(&c), 32);
	assert_int_equal(dns_tcp_next_deadline(&c), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dns_tcp_poll(&c, &srv, 1), 0);
	assert_int_equal(dns_tcp_answered(&c), 100);
	assert_int_equal(dns_tcp_next_deadline(&c), 1 + DNS_TCP_IDLE_MS);
}

/* UDP: datagrams in, answers back to each sender; responses dropped. */
struct dgram {
	uint8_t q[4][600];
	size_t qlen[4];
	int nq, next;
	uint8_t a[4][1300];
	size_t alen[4];
	uint16_t to_port[4];
	int na;
};

static int d_recv(void *ctx, uint8_t *buf, size_t cap, struct dns_addr *from)
{
	struct dgram *d = ctx;
	if (d->next == d->nq)
		return 0;
	assert_true(cap >= d->qlen[d->next]);
	memcpy(buf, d->q[d->next], d->qlen[d->next]);
	from->family = 4;
	from->port = (uint16_t)(1000 + d->next);
	return (int)d->qlen[d->next++];
}

static int d_send(void *ctx, const uint8_t *buf, size_t len, const struct dns_addr *to)
{
	struct dgram *d = ctx;
	memcpy(d->a[d->na], buf, len);
	d->alen[d->na] = len;
	d->to_port[d->na++] = to->port;
	return (int)len;
}

static void test_udp(void **st)
{
	(void)st;
	static struct dgram d;
	memset(&d, 0, sizeof d);
	static const char *const names[] = { "www.example.", "big.example.", "www.example.", "x.example." };
	static const uint16_t types[] = { DNS_T_A, DNS_T_TXT, DNS_T_A, DNS_T_A };
	for (int i = 0; i < 4; i++) {
		uint8_t name[DNS_NAME_MAX];
		struct dns_msgw w;
		dns_msgw_init(&w, d.q[i], 600, NULL, 0, (uint16_t)(i + 10), i == 2 ? DNS_F_QR : 0);
		dns_msgw_question(&w, name_wire(names[i], name), types[i], DNS_C_IN);
		d.qlen[i] = (size_t)dns_msgw_finish(&w);
	}
	d.nq = 4;
	static const struct dns_dgram_ops dops = { d_recv, d_send };
	static uint8_t buf[2 * 65536];
	assert_int_equal(dns_udp_serve(&srv, &dops, &d, buf, sizeof buf, 3), 3);
	assert_int_equal(dns_udp_serve(&srv, &dops, &d, buf, sizeof buf, 3), 1);
	assert_int_equal(dns_udp_serve(&srv, &dops, &d, buf, sizeof buf, 3), 0);
	assert_int_equal(d.na, 3); /* the response (QR) was dropped */
	assert_int_equal(d.to_port[0], 1000);
	assert_int_equal(d.to_port[1], 1001);
	assert_int_equal(d.to_port[2], 1003);
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(&m, d.a[1], d.alen[1]), 0);
	assert_true(m.hdr.flags & DNS_F_TC); /* 600 octets > 512 without EDNS */
	assert_true(d.alen[1] <= 512);
	assert_int_equal(dns_msg_parse(&m, d.a[2], d.alen[2]), 0);
	assert_int_equal(dns_msg_rcode(&m), DNS_RC_NXDOMAIN);
	assert_int_equal(dns_udp_serve(&srv, &dops, &d, buf, 100, 3), DNS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_idle_and_bad_frames),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_udp),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
