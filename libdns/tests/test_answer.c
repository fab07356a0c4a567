/* The authoritative engine: every branch of RFC 1034 4.3.2 and friends on one zone. */
#include "testutil.h"
#include <stdlib.h>

static struct dns_zparser parser;
static uint8_t arena1[1 << 18], arena2[1 << 16];
static struct dns_zone zone, child;
static const struct dns_zone *zones[2] = { &zone, &child };

static const char ztext[] =
	"$TTL 3600\n"
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ NS ns1\n"
	"@ NS ns2.example.\n"
	"@ MX 10 mail\n"
	"ns1 A 192.0.2.1\n"
	"ns2 A 192.0.2.2\n"
	"ns2 AAAA 2001:db8::2\n"
	"mail A 192.0.2.3\n"
	"www A 192.0.2.4\n"
	"www AAAA 2001:db8::4\n"
	"www RRSIG A 13 2 3600 20300101000000 20200101000000 1 example. AAAA\n"
	"alias CNAME www\n"
	"chain1 CNAME chain2\n"
	"chain2 CNAME alias\n"
	"loop1 CNAME loop2\n"
	"loop2 CNAME loop1\n"
	"out CNAME www.elsewhere.test.\n"
	"dangling CNAME nothere\n"
	"*.wild A 192.0.2.5\n"
	"*.wild TXT \"wild\"\n"
	"exists.wild MX 5 mail\n"
	"*.wcname CNAME www\n"
	"a.b.c.ent A 192.0.2.6\n"
	"sub NS ns.sub\n"
	"sub NS ns1\n"
	"sub DS 12345 13 2 ABCDEF\n"
	"ns.sub A 192.0.2.7\n"
	"_sip._udp SRV 0 5 5060 www\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"01\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"02\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"03\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"04\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"05\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"06\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"07\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"08\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"09\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"10\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"11\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"12\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\" \"13\"\n"
	"bigalias CNAME big\n"
	"dn DNAME target.example.\n"
	"x.target A 192.0.2.8\n"
	"outdn DNAME elsewhere.test.\n";

static const char ctext[] =
	"$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.99\n";

static int setup(void **st)
{
	(void)st;
	struct dns_zone_err ze;
	char msg[200];
	int r = load_zone(&zone, &parser, "example.", ztext, arena1, sizeof arena1, &ze, msg, sizeof msg);
	if (r)
		fail_msg("zone: %s %s", dns_strerror(r), msg);
	r = load_zone(&child, &parser, "kid.example.", ctext, arena2, sizeof arena2, &ze, msg, sizeof msg);
	if (r)
		fail_msg("child: %s %s", dns_strerror(r), msg);
	return 0;
}

struct resp {
	int len;
	uint16_t flags;
	int rcode;
	int n[4];
	char rr[4][24][400];
	struct dns_msg m;
	uint8_t buf[65535];
};
static struct resp R;

struct q {
	uint16_t opcode;
	int edns;        /* 0: none, else the payload size */
	uint8_t version;
	bool dobit;
	bool tcp;
	uint16_t udp_max;
	uint16_t qclass;
};

static int ask_q(const char *qname, uint16_t qtype, const struct q *o)
{
	uint8_t qb[512], name[DNS_NAME_MAX];
	struct dns_msgw w;
	dns_msgw_init(&w, qb, sizeof qb, NULL, 0, 0x4242, (uint16_t)(DNS_F_RD | o->opcode << 11));
	dns_msgw_question(&w, name_wire(qname, name), qtype, o->qclass ? o->qclass : DNS_C_IN);
	if (o->edns)
		dns_msgw_opt(&w, (uint16_t)o->edns, 0, o->version, o->dobit ? DNS_EDNS_DO : 0, NULL, 0);
	int ql = dns_msgw_finish(&w);
	uint16_t ctab[64];
	struct dns_answer_opts ao = { o->tcp, o->udp_max };
	memset(&R, 0, sizeof R);
	R.len = dns_answer(zones, 2, guard(qb, (size_t)ql), (size_t)ql, R.buf, sizeof R.buf, ctab, 64, &ao);
	if (R.len <= 0)
		return R.len;
	int r = dns_msg_parse(&R.m, R.buf, (size_t)R.len);
	if (r)
		fail_msg("%s: the answer does not parse: %s", qname, dns_strerror(r));
	R.flags = R.m.hdr.flags;
	R.rcode = dns_msg_rcode(&R.m);
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&R.m, &it);
	while (dns_msg_next(&R.m, &it, &rr)) {
		uint8_t rd[2048];
		int n = dns_rdata_unpack(R.m.wire, R.m.len, rr.rdoff, rr.rdlen, rr.type, rd, sizeof rd);
		assert_true(n >= 0);
		if (R.n[rr.section] < 24)
			dns_rr_to_text(rr.owner, rr.type, rr.rclass, rr.ttl, rd, (size_t)n,
				R.rr[rr.section][R.n[rr.section]], sizeof R.rr[0][0]);
		R.n[rr.section]++;
	}
	/* The question always comes back as asked, case included (0x20). */
	if (R.m.hdr.count[0] == 1) {
		assert_memory_equal(R.m.q.name, name, dns_name_len(name));
		assert_int_equal(R.m.q.type, qtype);
	}
	assert_int_equal(R.m.hdr.id, 0x4242);
	assert_true(R.flags & DNS_F_QR);
	assert_true(R.flags & DNS_F_RD);
	assert_false(R.flags & DNS_F_RA);
	return R.len;
}

static int ask(const char *qname, uint16_t qtype)
{
	struct q o = { 0 };
	return ask_q(qname, qtype, &o);
}

#define AA(want) assert_int_equal(!!(R.flags & DNS_F_AA), want)
#define COUNTS(an, ns, ar) do { assert_int_equal(R.n[1], an); assert_int_equal(R.n[2], ns); \
	assert_int_equal(R.n[3], ar); } while (0)
#define SOA_NEG "example.\t300\tIN\tSOA\tns1.example. hostmaster.example. 1 7200 3600 1209600 300"

static void test_positive(void **st)
{
	(void)st;
	assert_true(ask("WwW.ExAmple.", DNS_T_A) > 0);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	AA(1);
	COUNTS(1, 0, 0);
	/* The answer's owner points at the question: its case comes back. */
	assert_string_equal(R.rr[1][0], "WwW.ExAmple.\t3600\tIN\tA\t192.0.2.4");

	ask("example.", DNS_T_MX);
	AA(1);
	COUNTS(1, 0, 1);
	assert_string_equal(R.rr[1][0], "example.\t3600\tIN\tMX\t10 mail.example.");
	assert_string_equal(R.rr[3][0], "mail.example.\t3600\tIN\tA\t192.0.2.3");

	ask("example.", DNS_T_NS);
	COUNTS(2, 0, 3);
	assert_string_equal(R.rr[3][0], "ns1.example.\t3600\tIN\tA\t192.0.2.1");
	assert_string_equal(R.rr[3][2], "ns2.example.\t3600\tIN\tAAAA\t2001:db8::2");

	ask("_sip._udp.example.", DNS_T_SRV);
	COUNTS(1, 0, 2);

	/* ANY: one RRset (RFC 8482). */
	ask("www.example.", DNS_T_ANY);
	AA(1);
	COUNTS(1, 0, 0);
	assert_string_equal(R.rr[1][0], "www.example.\t3600\tIN\tA\t192.0.2.4");
}

static void test_negative(void **st)
{
	(void)st;
	ask("nothere.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NXDOMAIN);
	AA(1);
	COUNTS(0, 1, 0);
	assert_string_equal(R.rr[2][0], SOA_NEG);

	ask("www.example.", DNS_T_TXT);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	AA(1);
	COUNTS(0, 1, 0);
	assert_string_equal(R.rr[2][0], SOA_NEG);

	/* Empty non-terminals are NODATA, not NXDOMAIN (RFC 8020). */
	ask("c.ent.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	COUNTS(0, 1, 0);
	ask("B.c.ent.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	ask("x.b.c.ent.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NXDOMAIN);
	ask("a.b.c.ent.example.", DNS_T_A);
	COUNTS(1, 0, 0);
}

static void test_cname(void **st)
{
	(void)st;
	ask("alias.example.", DNS_T_A);
	AA(1);
	COUNTS(2, 0, 0);
	assert_string_equal(R.rr[1][0], "alias.example.\t3600\tIN\tCNAME\twww.example.");
	assert_string_equal(R.rr[1][1], "www.example.\t3600\tIN\tA\t192.0.2.4");

	ask("chain1.example.", DNS_T_AAAA);
	COUNTS(4, 0, 0);
	assert_string_equal(R.rr[1][3], "www.example.\t3600\tIN\tAAAA\t2001:db8::4");

	ask("alias.example.", DNS_T_CNAME);
	COUNTS(1, 0, 0);

	/* A loop ends; what was found is the answer. */
	ask("loop1.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	COUNTS(2, 0, 0);

	/* Out of the zone: the resolver follows it. */
	ask("out.example.", DNS_T_A);
	COUNTS(1, 0, 0);

	/* To a name that does not exist: NXDOMAIN for the last name (RFC 6604). */
	ask("dangling.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NXDOMAIN);
	COUNTS(1, 1, 0);

	/* To a name without the type: NODATA after the CNAME. */
	ask("alias.example.", DNS_T_MX);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	COUNTS(1, 1, 0);
}

static void test_wildcard(void **st)
{
	(void)st;
	ask("Foo.wild.example.", DNS_T_A);
	AA(1);
	COUNTS(1, 0, 0);
	assert_string_equal(R.rr[1][0], "Foo.wild.example.\t3600\tIN\tA\t192.0.2.5");
	ask("deep.foo.wild.example.", DNS_T_TXT);
	COUNTS(1, 0, 0);
	assert_string_equal(R.rr[1][0], "deep.foo.wild.example.\t3600\tIN\tTXT\t\"wild\"");
	/* Wildcard NODATA. */
	ask("foo.wild.example.", DNS_T_MX);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	COUNTS(0, 1, 0);
	/* An existing name blocks the wildcard (RFC 4592 2.2.1). */
	ask("exists.wild.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	COUNTS(0, 1, 0);
	ask("sub.exists.wild.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NXDOMAIN);
	/* The wildcard itself asked for. */
	ask("*.wild.example.", DNS_T_A);
	COUNTS(1, 0, 0);
	/* A wildcard CNAME. */
	ask("x.wcname.example.", DNS_T_A);
	COUNTS(2, 0, 0);
	assert_string_equal(R.rr[1][0], "x.wcname.example.\t3600\tIN\tCNAME\twww.example.");
}

static void test_dname(void **st)
{
	(void)st;
	ask("x.dn.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	AA(1);
	COUNTS(3, 0, 0);
	assert_string_equal(R.rr[1][0], "dn.example.\t3600\tIN\tDNAME\ttarget.example.");
	assert_string_equal(R.rr[1][1], "x.dn.example.\t3600\tIN\tCNAME\tx.target.example.");
	assert_string_equal(R.rr[1][2], "x.target.example.\t3600\tIN\tA\t192.0.2.8");
	ask("dn.example.", DNS_T_DNAME);
	COUNTS(1, 0, 0);
	ask("dn.example.", DNS_T_A);
	COUNTS(0, 1, 0);
	ask("y.dn.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NXDOMAIN);
	COUNTS(2, 1, 0);
	ask("a.b.outdn.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	COUNTS(2, 0, 0);
	assert_string_equal(R.rr[1][1], "a.b.outdn.example.\t3600\tIN\tCNAME\ta.b.elsewhere.test.");
	/* The substituted name would pass 255 octets: YXDOMAIN (RFC 6672 2.2). */
	char longq[300] = "";
	for (int i = 0; i < 3; i++) {
		memset(longq + strlen(longq), 'a', 63);
		strcat(longq, ".");
	}
	memset(longq + strlen(longq), 'b', 50);
	strcat(longq, ".dn.example.");
	ask(longq, DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_YXDOMAIN);
	COUNTS(1, 1, 0);
}

static void test_referral(void **st)
{
	(void)st;
	ask("host.sub.example.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_NOERROR);
	AA(0);
	COUNTS(0, 2, 2);
	assert_string_equal(R.rr[2][0], "sub.example.\t3600\tIN\tNS\tns.sub.example.");
	assert_string_equal(R.rr[3][0], "ns.sub.example.\t3600\tIN\tA\t192.0.2.7");
	assert_string_equal(R.rr[3][1], "ns1.example.\t3600\tIN\tA\t192.0.2.1");
	ask("sub.example.", DNS_T_NS);
	AA(0);
	COUNTS(0, 2, 2);
	/* Glue is not authoritative data: a referral too. */
	ask("ns.sub.example.", DNS_T_A);
	AA(0);
	COUNTS(0, 2, 2);
	/* DS comes from the parent side of the cut (RFC 4035 3.1.4.1). */
	ask("sub.example.", DNS_T_DS);
	AA(1);
	COUNTS(1, 0, 0);
	assert_string_equal(R.rr[1][0], "sub.example.\t3600\tIN\tDS\t12345 13 2 ABCDEF");
	/* A signed referral carries the DS. */
	struct q o = { .edns = 1232, .dobit = true };
	ask_q("host.sub.example.", DNS_T_A, &o);
	COUNTS(0, 3, 3);
	/* The child zone answers for its own names. */
	ask("ns.kid.example.", DNS_T_A);
	AA(1);
	COUNTS(1, 0, 0);
	assert_string_equal(R.rr[1][0], "ns.kid.example.\t60\tIN\tA\t192.0.2.99");
}

static void test_errors(void **st)
{
	(void)st;
	ask("www.example.org.", DNS_T_A);
	assert_int_equal(R.rcode, DNS_RC_REFUSED);
	AA(0);
	COUNTS(0, 0, 0);
	assert_int_equal(R.m.hdr.count[0], 1);
	struct q o = { .qclass = DNS_C_CH };
	ask_q("www.example.", DNS_T_A, &o);
	assert_int_equal(R.rcode, DNS_RC_REFUSED);
	ask("example.", DNS_T_AXFR);
	assert_int_equal(R.rcode, DNS_RC_REFUSED);
	ask("example.", DNS_T_OPT);
	assert_int_equal(R.rcode, DNS_RC_FORMERR);
	struct q up = { .opcode = DNS_OP_UPDATE };
	ask_q("example.", DNS_T_SOA, &up);
	assert_int_equal(R.rcode, DNS_RC_NOTIMP);
	struct q st2 = { .opcode = DNS_OP_STATUS };
	ask_q("example.", DNS_T_SOA, &st2);
	assert_int_equal(R.rcode, DNS_RC_NOTIMP);

	uint16_t ctab[8];
	struct dns_answer_opts ao = { false, 0 };
	/* Malformed queries: FORMERR with the id, nothing else. */
	static const uint8_t loop[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12, 0, 1, 0, 1 };
	int len = dns_answer(zones, 2, guard(loop, sizeof loop), sizeof loop, R.buf, sizeof R.buf, ctab, 8, &ao);
	assert_int_equal(len, 12);
	assert_memory_equal(R.buf, "\x12\x34\x81\x01\0\0\0\0\0\0\0\0", 12);
	static const uint8_t two_q[] = { 0x12, 0x35, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1 };
	len = dns_answer(zones, 2, guard(two_q, sizeof two_q), sizeof two_q, R.buf, sizeof R.buf, ctab, 8, &ao);
	assert_int_equal(len, 12);
	assert_int_equal(R.buf[3] & 15, DNS_RC_FORMERR);
	static const uint8_t noq[] = { 0x12, 0x36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	len = dns_answer(zones, 2, guard(noq, sizeof noq), sizeof noq, R.buf, sizeof R.buf, ctab, 8, &ao);
	assert_int_equal(R.buf[3] & 15, DNS_RC_FORMERR);
	/* A whole question is echoed in the FORMERR (OPT twice here). */
	static const uint8_t opt2[] = { 0x12, 0x38, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 1, 0, 1,
		0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0 };
	len = dns_answer(zones, 2, guard(opt2, sizeof opt2), sizeof opt2, R.buf, sizeof R.buf, ctab, 8, &ao);
	assert_int_equal(len, 12 + 5);
	assert_memory_equal(R.buf, "\x12\x38\x80\x01\0\1\0\0\0\0\0\0\0\0\1\0\1", 17);
	/* Responses and runts are dropped. */
	static const uint8_t resp[] = { 0x12, 0x37, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(dns_answer(zones, 2, guard(resp, 12), 12, R.buf, sizeof R.buf, ctab, 8, &ao), 0);
	assert_int_equal(dns_answer(zones, 2, guard(resp, 11), 11, R.buf, sizeof R.buf, ctab, 8, &ao), 0);
	assert_int_equal(dns_answer(zones, 2, resp, 12, R.buf, 100, ctab, 8, &ao), DNS_EINVAL);
}

/* The malformed queries of issue 3's list: each one FORMERR (with its id)
 * or dropped, and good queries answered in between. */
static void test_bad_queries(void **st)
{
	(void)st;
	struct mb m;
	uint16_t ctab[8];
	struct dns_answer_opts ao = { false, 0 };
	for (int k = 0; k < 10; k++) {
		mb_hdr(&m, 0x7700 + (unsigned)k, 0, 1, 0, 0, 0);
		switch (k) {
		case 0: /* compression loop */
			mb_labels(&m, "a", 1); mb_ptr(&m, 12); mb_u32(&m, 0x00010001); break;
		case 1: /* forward pointer */
			mb_ptr(&m, 40); mb_u32(&m, 0x00010001); mb_u32(&m, 0); mb_u32(&m, 0); break;
		case 2: /* pointer to itself */
			mb_ptr(&m, 12); mb_u32(&m, 0x00010001); break;
		case 3: /* label over 63 */
			mb_u8(&m, 64); for (int i = 0; i < 64; i++) mb_u8(&m, 'a'); mb_u8(&m, 0); mb_u32(&m, 0x00010001); break;
		case 4: /* name over 255 */
			for (int i = 0; i < 5; i++) { mb_u8(&m, 60); for (int j = 0; j < 60; j++) mb_u8(&m, 'a'); }
			mb_u8(&m, 0); mb_u32(&m, 0x00010001); break;
		case 5: /* counts beyond the message */
			m.b[7] = 3; mb_labels(&m, "www.example", 0); mb_u32(&m, 0x00010001); break;
		case 6: /* truncated record */
			m.b[11] = 1; mb_labels(&m, "www.example", 0); mb_u32(&m, 0x00010001);
			mb_u8(&m, 0); mb_rr(&m, DNS_T_OPT, 512, 0, 10); mb_u16(&m, 1); break;
		case 7: /* OPT twice */
			m.b[11] = 2; mb_labels(&m, "www.example", 0); mb_u32(&m, 0x00010001);
			mb_u8(&m, 0); mb_rr(&m, DNS_T_OPT, 512, 0, 0); mb_u8(&m, 0); mb_rr(&m, DNS_T_OPT, 512, 0, 0); break;
		case 8: /* OPT outside additional */
			m.b[9] = 1; mb_labels(&m, "www.example", 0); mb_u32(&m, 0x00010001);
			mb_u8(&m, 0); mb_rr(&m, DNS_T_OPT, 512, 0, 0); break;
		case 9: /* trailing garbage */
			mb_labels(&m, "www.example", 0); mb_u32(&m, 0x00010001); mb_u8(&m, 0xff); break;
		}
		int len = dns_answer(zones, 2, guard(m.b, m.n), m.n, R.buf, sizeof R.buf, ctab, 8, &ao);
		struct dns_msg r;
		if (len < 12 || dns_msg_parse(&r, R.buf, (size_t)len) != 0 || r.hdr.id != 0x7700 + k ||
		    dns_msg_rcode(&r) != DNS_RC_FORMERR || r.hdr.count[1] || r.hdr.count[2] || r.hdr.count[3])
			fail_msg("bad query %d: len %d", k, len);
		assert_true(ask("www.example.", DNS_T_A) > 0);
		assert_int_equal(R.n[1], 1);
	}
}

static void test_edns(void **st)
{
	(void)st;
	struct q o = { .edns = 4096, .dobit = true };
	ask_q("www.example.", DNS_T_A, &o);
	assert_true(R.m.edns.present);
	assert_int_equal(R.m.edns.udp_size, 1232);
	assert_int_equal(R.m.edns.flags, DNS_EDNS_DO);
	/* DO: the RRSIG comes along. */
	COUNTS(2, 0, 1);
	assert_string_equal(R.rr[1][1], "www.example.\t3600\tIN\tRRSIG\tA 13 2 3600 20300101000000 20200101000000 1 example. AAAA");
	o.dobit = false;
	ask_q("www.example.", DNS_T_A, &o);
	COUNTS(1, 0, 1);
	assert_int_equal(R.m.edns.flags, 0);
	/* Version 1: BADVERS, with an OPT of version 0 (RFC 6891 6.1.3). */
	o.version = 1;
	ask_q("www.example.", DNS_T_A, &o);
	assert_int_equal(R.rcode, DNS_RC_BADVERS);
	assert_int_equal(DNS_RCODE(R.flags), 0);
	assert_int_equal(R.m.edns.version, 0);
	COUNTS(0, 0, 1);
	/* EDNS on an error answer keeps its OPT too. */
	o.version = 0;
	ask_q("www.example.org.", DNS_T_A, &o);
	assert_int_equal(R.rcode, DNS_RC_REFUSED);
	assert_true(R.m.edns.present);
}

static void test_truncation(void **st)
{
	(void)st;
	/* 13 TXT of ~117 octets: 1.5 KB. Plain UDP: 512, TC, no partial RRset. */
	ask("big.example.", DNS_T_TXT);
	assert_true(R.flags & DNS_F_TC);
	AA(1);
	COUNTS(0, 0, 0);
	assert_true(R.len <= 512);
	/* EDNS 4096 but the server's 1232: still TC. */
	struct q o = { .edns = 4096 };
	ask_q("big.example.", DNS_T_TXT, &o);
	assert_true(R.flags & DNS_F_TC);
	assert_true(R.len <= 1232);
	assert_true(R.m.edns.present);
	/* The server allowing 4096: fits. */
	o.udp_max = 4096;
	ask_q("big.example.", DNS_T_TXT, &o);
	assert_false(R.flags & DNS_F_TC);
	COUNTS(13, 0, 1);
	/* A client buffer below 512 counts as 512. */
	o.edns = 100;
	ask_q("www.example.", DNS_T_A, &o);
	assert_false(R.flags & DNS_F_TC);
	/* TCP: everything. */
	struct q t = { .tcp = true };
	ask_q("big.example.", DNS_T_TXT, &t);
	assert_false(R.flags & DNS_F_TC);
	COUNTS(13, 0, 0);
	/* Cut after the CNAME: the whole TXT set goes, the CNAME stays. */
	ask("bigalias.example.", DNS_T_TXT);
	assert_true(R.flags & DNS_F_TC);
	COUNTS(1, 0, 0);
	assert_string_equal(R.rr[1][0], "bigalias.example.\t3600\tIN\tCNAME\tbig.example.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positive),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_dname),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bad_queries),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
