/* dnsd: the answer hook for TSIG, AXFR/IXFR out and secondary zones,
 * driven through engine_answer() as the transports call it: signed
 * answers verify, each TSIG error is answered as RFC 8945 5.3.2 says, a
 * multi-message AXFR verifies as a TSIG chain and rebuilds the zone, the
 * access rules refuse, a reload fills the IXFR history, IXFR over UDP and
 * TCP, and a secondary zone without a copy answers SERVFAIL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dnsd.h"

#define SECRET "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static char dir[64], zpath[128];
static struct dnsd d;
static struct engine e;
static struct dns_tsig_key key, other;
static uint8_t zone[DNS_NAME_MAX];

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

static void write_zone(unsigned serial, const char *www)
{
	FILE *f = fopen(zpath, "w");
	assert_non_null(f);
	fprintf(f, "$ORIGIN example.test.\n$TTL 300\n@ SOA ns admin %u 3600 600 86400 300\n@ NS ns\n"
		   "ns A 192.0.2.1\nwww A %s\n", serial, www);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "bulk-name-%d A 10.0.%d.%d\n", i, i / 256, i % 256);
	fclose(f);
}

static int opt(const char *name, const char *v)
{
	return xfr_option(&d.cfg, name, v);
}

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/dnsd-xfr-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(zpath, sizeof zpath, "%s/z.zone", dir);
	write_zone(1, "192.0.2.2");
	struct config *c = &d.cfg;
	c->udp_max = 1232;
	c->tcp_idle_ms = 10000;
	struct zone_src *z = &c->zones[0];
	snprintf(z->origin_text, sizeof z->origin_text, "example.test.");
	dns_name_from_text(z->origin, "example.test.", 13, NULL);
	dns_name_from_text(zone, "example.test.", 13, NULL);
	z->path = zpath;
	c->nzones = 1;
	if (opt("--tsig", "xfr-key:hmac-sha256:" SECRET) || opt("--allow-transfer", "example.test=key=xfr-key") ||
	    opt("--ixfr-history", "4") || opt("--secondary", "sec.test=127.0.0.1:1") ||
	    xfr_config_finish(c))
		return -1;
	const char *kt = "xfr-key:hmac-sha256:" SECRET;
	const char *ot = "other-key:hmac-sha256:" SECRET;
	dns_tsig_key_from_text(&key, kt, strlen(kt));
	dns_tsig_key_from_text(&other, ot, strlen(ot));
	char err[1200];
	if (xfr_setup(&d, err, sizeof err) < 0)
		return -1;
	struct zoneset *zs = zoneset_load(c, err, sizeof err);
	if (!zs)
		return -1;
	zholder_init(&d.zones, zs);
	e.zs = zholder_get(&d.zones);
	e.udp_max = 1232;
	e.xw = xfr_worker_new(&d, 10000);
	return e.xw ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	xfr_worker_free(e.xw);
	zoneset_release(e.zs);
	zholder_close(&d.zones);
	xfr_free(&d);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static const struct dns_addr peer = { 4, 4711, { 127, 0, 0, 1 } };
static struct dns_msg reqm;

/* One call of the answer callback, as the transport makes it. */
static int call(struct dns_req *r, const uint8_t *q, size_t qlen, uint8_t transport, uint8_t *out,
	size_t cap)
{
	uint32_t seq = r->seq;
	uint64_t cont[2] = { r->cont[0], r->cont[1] };
	memset(r, 0, sizeof *r);
	r->wire = q;
	r->len = qlen;
	r->transport = transport;
	r->peer = &peer;
	r->now_ms = 1000;
	r->limit = transport == DNS_TR_UDP ? 1232 : DNS_MSG_MAX;
	r->seq = seq;
	r->cont[0] = cont[0];
	r->cont[1] = cont[1];
	r->priv.msg = &reqm;
	return engine_answer(&e, r, out, cap);
}

/* A query for name/type, signed with k (NULL: unsigned) at time `when`. */
static int query(uint8_t *q, size_t cap, const char *name, uint16_t type, struct dns_tsig *t,
	const struct dns_tsig_key *k, uint64_t when, const struct dns_xrr *soa)
{
	uint8_t n[DNS_NAME_MAX];
	dns_name_from_text(n, name, strlen(name), NULL);
	dns_tsig_client_init(t, k, 0);
	if (type == DNS_T_AXFR || type == DNS_T_IXFR)
		return dns_xfr_query(q, cap, 0x1234, n, type, soa, t, when);
	struct dns_msgw w;
	dns_msgw_init(&w, q, cap - 400, NULL, 0, 0x1234, 0);
	dns_msgw_question(&w, n, type, DNS_C_IN);
	int len = dns_msgw_finish(&w);
	return dns_tsig_sign(t, q, (size_t)len, cap, when);
}

static int rcode(const uint8_t *m, int n)
{
	struct dns_msg p;
	assert_true(n >= DNS_HDR_LEN);
	assert_int_equal(dns_msg_parse(&p, m, (size_t)n), 0);
	return dns_msg_rcode(&p);
}

static void test_plain_and_signed(void **st)
{
	(void)st;
	uint8_t q[1024], out[65535];
	struct dns_tsig t;
	struct dns_req r = { 0 };
	int n = query(q, sizeof q, "www.example.test.", DNS_T_A, &t, NULL, now_s(), NULL);
	int a = call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232);
	assert_int_equal(rcode(out, a), 0);
	struct dns_msg m;
	dns_msg_parse(&m, out, (size_t)a);
	assert_int_equal(m.tsig_off, 0);
	assert_int_equal(m.hdr.count[1], 1);
	/* Signed, over UDP and TCP: the answer verifies. */
	for (int tr = 0; tr < 2; tr++) {
		n = query(q, sizeof q, "www.example.test.", DNS_T_A, &t, &key, now_s(), NULL);
		a = call(&r, q, (size_t)n, (uint8_t)tr, out, tr ? 65535 : 1232);
		assert_int_equal(rcode(out, a), 0);
		dns_msg_parse(&m, out, (size_t)a);
		assert_int_not_equal(m.tsig_off, 0);
		assert_int_equal(dns_tsig_client_verify(&t, &m, now_s()), 0);
	}
}

/* RFC 8945 5.3.2: BADKEY and BADSIG unsigned, BADTIME signed; NOTAUTH. */
static void test_tsig_errors(void **st)
{
	(void)st;
	uint8_t q[1024], out[65535];
	struct dns_tsig t;
	struct dns_req r = { 0 };
	struct dns_msg m;
	int n = query(q, sizeof q, "www.example.test.", DNS_T_A, &t, &other, now_s(), NULL);
	int a = call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232);
	assert_int_equal(rcode(out, a), DNS_RC_NOTAUTH);
	dns_msg_parse(&m, out, (size_t)a);
	assert_int_equal(dns_tsig_client_verify(&t, &m, now_s()), DNS_ETSIG_REJECTED);
	assert_int_equal(dns_tsig_peer_error(&t), DNS_TSIG_BADKEY);
	/* BADSIG: the MAC broken. */
	n = query(q, sizeof q, "www.example.test.", DNS_T_A, &t, &key, now_s(), NULL);
	q[n - 10] ^= 1;
	a = call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232);
	assert_int_equal(rcode(out, a), DNS_RC_NOTAUTH);
	struct dns_tsig_rr rr;
	dns_msg_parse(&m, out, (size_t)a);
	assert_int_equal(dns_tsig_rr_parse(&m, &rr), 0);
	assert_int_equal(rr.error, DNS_TSIG_BADSIG);
	assert_int_equal(rr.mac_len, 0);
	/* BADTIME: signed 20 minutes ago; the answer is signed. */
	n = query(q, sizeof q, "www.example.test.", DNS_T_A, &t, &key, now_s() - 1200, NULL);
	a = call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232);
	assert_int_equal(rcode(out, a), DNS_RC_NOTAUTH);
	dns_msg_parse(&m, out, (size_t)a);
	assert_int_equal(dns_tsig_rr_parse(&m, &rr), 0);
	assert_int_equal(rr.error, DNS_TSIG_BADTIME);
	assert_true(rr.mac_len > 0);
}

static uint8_t cur_mem[1 << 20], next_mem[1 << 20];
static struct dns_xset cur, next;

/* A transfer over "TCP": messages until the callback says no more; each
 * fed to the receiver. Returns its result and the message count. */
static int transfer(uint16_t type, const struct dns_tsig_key *k, const struct dns_xset *have,
	struct dns_xset *into, unsigned *msgs)
{
	uint8_t q[1024];
	static uint8_t out[65535];
	struct dns_tsig t;
	struct dns_xrr soa;
	if (have)
		assert_int_equal(dns_xset_soa(have, &soa), 0);
	int n = query(q, sizeof q, "example.test.", type, &t, k, now_s(), have ? &soa : NULL);
	assert_true(n > 0);
	struct dns_xfr_rx rx;
	dns_xset_reset(into);
	dns_xfr_rx_init(&rx, zone, 0x1234, type, have, into, &t);
	struct dns_req r = { 0 };
	/* With output pending the callback waits for the whole buffer. */
	assert_int_equal(call(&r, q, (size_t)n, DNS_TR_TCP, out, 1000), DNS_ENOMEM);
	int res = DNS_EAGAIN;
	*msgs = 0;
	do {
		int a = call(&r, q, (size_t)n, DNS_TR_TCP, out, sizeof out);
		assert_true(a > 0);
		(*msgs)++;
		res = dns_xfr_rx_input(&rx, out, (size_t)a, now_s());
		r.seq++;
	} while (r.more && res == DNS_EAGAIN);
	assert_false(r.more);
	return res;
}

static void test_axfr(void **st)
{
	(void)st;
	dns_xset_init(&cur, cur_mem, sizeof cur_mem);
	dns_xset_init(&next, next_mem, sizeof next_mem);
	unsigned msgs;
	assert_int_equal(transfer(DNS_T_AXFR, &key, NULL, &cur, &msgs), DNS_XFR_NEW);
	assert_true(msgs > 1); /* a TSIG chain over several messages */
	assert_int_equal(dns_xset_count(&cur), 3004);
	/* Refused: unsigned, another key, and AXFR over UDP. */
	uint8_t q[1024], out[65535];
	struct dns_tsig t;
	struct dns_req r = { 0 };
	int n = query(q, sizeof q, "example.test.", DNS_T_AXFR, &t, NULL, now_s(), NULL);
	assert_int_equal(rcode(out, call(&r, q, (size_t)n, DNS_TR_TCP, out, sizeof out)), DNS_RC_REFUSED);
	assert_false(r.more);
	n = query(q, sizeof q, "example.test.", DNS_T_AXFR, &t, &key, now_s(), NULL);
	int a = call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232);
	assert_int_equal(rcode(out, a), DNS_RC_REFUSED);
	struct dns_msg m;
	dns_msg_parse(&m, out, (size_t)a);
	assert_int_equal(dns_tsig_client_verify(&t, &m, now_s()), 0); /* the refusal is signed */
	/* Not a zone here. */
	n = query(q, sizeof q, "nope.test.", DNS_T_AXFR, &t, &key, now_s(), NULL);
	assert_int_equal(rcode(out, call(&r, q, (size_t)n, DNS_TR_TCP, out, sizeof out)), DNS_RC_NOTAUTH);
}

static void test_ixfr_after_reload(void **st)
{
	(void)st;
	unsigned msgs;
	/* Up to date. */
	assert_int_equal(transfer(DNS_T_IXFR, &key, &cur, &next, &msgs), DNS_XFR_UPTODATE);
	/* A reload with a change: the history has it. */
	write_zone(2, "192.0.2.99");
	char err[1200];
	struct zoneset *zs = zoneset_load(&d.cfg, err, sizeof err);
	assert_non_null(zs);
	zholder_publish(&d.zones, zs);
	zholder_refresh(&d.zones, &e.zs, &(uint64_t){ 1 });
	assert_int_equal(dns_zone_serial(&e.zs->zones[0]), 2);
	assert_true(e.zs->x->d[0]->have_j);
	assert_int_equal(dns_journal_count(&e.zs->x->d[0]->j), 1);
	/* IXFR over UDP: the two changed records fit one datagram. */
	uint8_t q[1024], out[65535];
	struct dns_tsig t;
	struct dns_req r = { 0 };
	struct dns_xrr soa;
	dns_xset_soa(&cur, &soa);
	int n = query(q, sizeof q, "example.test.", DNS_T_IXFR, &t, &key, now_s(), &soa);
	int a = call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232);
	struct dns_xfr_rx rx;
	dns_xfr_rx_init(&rx, zone, 0x1234, DNS_T_IXFR, &cur, &next, &t);
	dns_xset_reset(&next);
	assert_int_equal(dns_xfr_rx_input(&rx, out, (size_t)a, now_s()), DNS_XFR_NEW);
	/* And over TCP. */
	assert_int_equal(transfer(DNS_T_IXFR, &key, &cur, &next, &msgs), DNS_XFR_NEW);
	assert_int_equal(msgs, 1);
	assert_int_equal(dns_xset_count(&next), 3004);
	struct dns_xrr s2;
	dns_xset_soa(&next, &s2);
	struct dns_soa v;
	dns_soa_parse(s2.rdata, s2.rdlen, &v);
	assert_int_equal(v.serial, 2);
}

/* A secondary zone with no copy yet: SERVFAIL, signed when asked signed. */
static void test_secondary_servfail(void **st)
{
	(void)st;
	uint8_t q[1024], out[65535];
	struct dns_tsig t;
	struct dns_req r = { 0 };
	int n = query(q, sizeof q, "www.sec.test.", DNS_T_A, &t, NULL, now_s(), NULL);
	assert_int_equal(rcode(out, call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232)), DNS_RC_SERVFAIL);
	n = query(q, sizeof q, "www.sec.test.", DNS_T_A, &t, &key, now_s(), NULL);
	int a = call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232);
	assert_int_equal(rcode(out, a), DNS_RC_SERVFAIL);
	struct dns_msg m;
	dns_msg_parse(&m, out, (size_t)a);
	assert_int_equal(dns_tsig_client_verify(&t, &m, now_s()), 0);
	/* The file zone next to it still answers. */
	n = query(q, sizeof q, "www.example.test.", DNS_T_A, &t, NULL, now_s(), NULL);
	assert_int_equal(rcode(out, call(&r, q, (size_t)n, DNS_TR_UDP, out, 1232)), 0);
}

int main(void)
{
	cl_log_set_level(CL_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_signed),
		cmocka_unit_test(test_tsig_errors),
		cmocka_unit_test(test_axfr),
		cmocka_unit_test(test_ixfr_after_reload),
		cmocka_unit_test(test_secondary_servfail),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
