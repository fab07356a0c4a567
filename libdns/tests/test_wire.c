/* Wire codec: header, names, questions, records, EDNS, typed RDATA, writer. */
#include "testutil.h"

#define QNAME_OFF 12

/* A query for www.example.com A IN. */
static void query(struct mb *m, unsigned ar)
{
	mb_hdr(m, 0x1234, DNS_F_RD, 1, 0, 0, ar);
	mb_labels(m, "www.Example.com", 0);
	mb_u16(m, DNS_T_A);
	mb_u16(m, DNS_C_IN);
}

static void expect(const struct mb *m, int want)
{
	struct dns_msg msg;
	int r = dns_msg_parse(&msg, guard(m->b, m->n), m->n);
	if (r != want)
		fail_msg("parse: got %s, want %s", dns_strerror(r), dns_strerror(want));
}

static void test_header(void **st)
{
	(void)st;
	struct mb m;
	mb_hdr(&m, 0xbeef, DNS_F_QR | DNS_F_AA | (DNS_OP_NOTIFY << 11) | DNS_RC_NXDOMAIN, 0, 0, 0, 0);
	struct dns_msg msg;
	assert_int_equal(parse_guarded(&msg, &m), 0);
	assert_int_equal(msg.hdr.id, 0xbeef);
	assert_int_equal(DNS_OPCODE(msg.hdr.flags), DNS_OP_NOTIFY);
	assert_int_equal(dns_msg_rcode(&msg), DNS_RC_NXDOMAIN);
	assert_true(msg.hdr.flags & DNS_F_AA);
	for (size_t n = 0; n < 12; n++)
		assert_int_equal(dns_msg_parse(&msg, guard(m.b, n), n), DNS_ETRUNC);
}

static void test_question(void **st)
{
	(void)st;
	struct mb m;
	query(&m, 0);
	struct dns_msg msg;
	assert_int_equal(parse_guarded(&msg, &m), 0);
	uint8_t want[DNS_NAME_MAX];
	name_wire("www.Example.com.", want);
	/* Case preserved exactly (0x20 echo needs it). */
	assert_memory_equal(msg.q.name, want, dns_name_len(want));
	assert_int_equal(msg.q.type, DNS_T_A);
	assert_int_equal(msg.q.qclass, DNS_C_IN);
	/* Every cut inside the question is ETRUNC. */
	for (size_t n = 13; n < m.n; n++)
		assert_int_equal(dns_msg_parse(&msg, guard(m.b, n), n), DNS_ETRUNC);
	/* Counts beyond the message. */
	m.b[5] = 2;
	expect(&m, DNS_ECOUNT);
	m.b[5] = 1;
	m.b[7] = 1;
	expect(&m, DNS_ECOUNT);
	m.b[7] = 0;
	mb_u8(&m, 0);
	expect(&m, DNS_ETRAILING);
}

static void test_name_errors(void **st)
{
	(void)st;
	struct mb m;
	char l64[65];
	memset(l64, 'a', 64);
	l64[64] = 0;
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_labels(&m, l64, 0);
	mb_u32(&m, 0x00010001);
	expect(&m, DNS_ELABEL_LEN);

	l64[63] = 0; /* 63 is fine */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_labels(&m, l64, 0);
	mb_u32(&m, 0x00010001);
	expect(&m, 0);

	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_u8(&m, 0x41); /* RFC 2673 bitstring label: the 01 prefix is a length now */
	mb_u8(&m, 0);
	mb_u32(&m, 0x00010001);
	expect(&m, DNS_ELABEL_LEN);
	m.b[12] = 0x80;
	expect(&m, DNS_ELABEL_TYPE);

	/* 4 labels of 63 + root = 257 > 255. */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 4; i++) {
		mb_u8(&m, 63);
		for (int k = 0; k < 63; k++)
			mb_u8(&m, 'x');
	}
	mb_u8(&m, 0);
	mb_u32(&m, 0x00010001);
	expect(&m, DNS_ENAME_LEN);

	/* 127 one-octet labels: 255 octets, fine; the 128th overflows. */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 127; i++) {
		mb_u8(&m, 1);
		mb_u8(&m, 'a');
	}
	mb_u8(&m, 0);
	mb_u32(&m, 0x00010001);
	expect(&m, 0);
}

static void test_pointers(void **st)
{
	(void)st;
	struct mb m;
	/* Forward pointer. */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_ptr(&m, 20);
	mb_u32(&m, 0x00010001);
	mb_u32(&m, 0);
	expect(&m, DNS_EPTR_FORWARD);
	/* A pointer to itself. */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_ptr(&m, 12);
	mb_u32(&m, 0x00010001);
	expect(&m, DNS_EPTR_FORWARD);
	/* Backwards, but into its own run: a -> a -> a ... */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_labels(&m, "a", 1);
	mb_ptr(&m, 12);
	mb_u32(&m, 0x00010001);
	expect(&m, DNS_EPTR_LOOP);
	/* Into the header. */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_labels(&m, "a", 1);
	mb_ptr(&m, 4);
	mb_u32(&m, 0x00010001);
	expect(&m, DNS_EPTR_HEADER);
	/* Two pointers whose second goes back into the first's target run:
	 * q: a.b. at 12; answer owner at X: "c" + ptr 14 (b.), fine; then an
	 * owner "d" + ptr to X, fine (strictly earlier run). */
	mb_hdr(&m, 1, 0, 1, 2, 0, 0);
	mb_labels(&m, "a.b", 0);
	mb_u32(&m, 0x00010001);
	size_t x = m.n;
	mb_labels(&m, "c", 1);
	mb_ptr(&m, 14);
	mb_rr(&m, DNS_T_A, DNS_C_IN, 60, 4);
	mb_u32(&m, 0x7f000001);
	mb_labels(&m, "d", 1);
	mb_ptr(&m, (unsigned)x);
	mb_rr(&m, DNS_T_A, DNS_C_IN, 60, 4);
	mb_u32(&m, 0x7f000002);
	struct dns_msg msg;
	assert_int_equal(parse_guarded(&msg, &m), 0);
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&msg, &it);
	uint8_t want[DNS_NAME_MAX];
	assert_int_equal(dns_msg_next(&msg, &it, &rr), 1);
	assert_true(dns_name_equal(rr.owner, name_wire("c.b.", want)));
	assert_int_equal(dns_msg_next(&msg, &it, &rr), 1);
	assert_true(dns_name_equal(rr.owner, name_wire("d.c.b.", want)));
	assert_int_equal(rr.section, DNS_S_ANSWER);
	assert_int_equal(dns_msg_next(&msg, &it, &rr), 0);
	/* A pointer cut in half at the end. */
	mb_hdr(&m, 1, 0, 1, 0, 0, 0);
	mb_u8(&m, 0xc0);
	expect(&m, DNS_ETRUNC);
}

/* An answer record after the question of query(); returns RDLENGTH's offset. */
static size_t answer(struct mb *m, unsigned type)
{
	mb_hdr(m, 7, DNS_F_QR, 1, 1, 0, 0);
	mb_labels(m, "www.example.com", 0);
	mb_u16(m, type);
	mb_u16(m, DNS_C_IN);
	mb_ptr(m, QNAME_OFF);
	return mb_rr(m, type, DNS_C_IN, 300, 0);
}

static void test_rdata_errors(void **st)
{
	(void)st;
	struct mb m;
	size_t at;
	at = answer(&m, DNS_T_A);
	mb_u8(&m, 1); mb_u8(&m, 2); mb_u8(&m, 3);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_ERDATA_SHORT);
	mb_u8(&m, 4); mb_u8(&m, 5);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_ERDATA_LONG);
	/* RDLENGTH past the end of the message. */
	m.b[at + 1] = 40;
	expect(&m, DNS_ETRUNC);

	/* MX whose exchange runs past RDLENGTH. */
	at = answer(&m, DNS_T_MX);
	mb_u16(&m, 10);
	mb_labels(&m, "mail", 1);
	mb_fix_rdlen(&m, at);
	mb_u8(&m, 0); /* the root, outside the RDATA */
	m.b[7] = 1;
	expect(&m, DNS_ERDATA_SHORT);

	/* MX with a compressed exchange is fine (RFC 1035 type) ... */
	at = answer(&m, DNS_T_MX);
	mb_u16(&m, 10);
	mb_labels(&m, "mail", 1);
	mb_ptr(&m, QNAME_OFF + 4);
	mb_fix_rdlen(&m, at);
	expect(&m, 0);
	struct dns_msg msg;
	assert_int_equal(parse_guarded(&msg, &m), 0);
	uint8_t rd[512], want[DNS_NAME_MAX];
	int n = dns_rdata_unpack(msg.wire, msg.len, at + 2, (uint16_t)(m.n - at - 2), DNS_T_MX, rd, sizeof rd);
	assert_int_equal(n, 2 + 18);
	assert_memory_equal(rd + 2, name_wire("mail.example.com.", want), 18);
	/* ... and too big for a short output buffer. */
	assert_int_equal(dns_rdata_unpack(msg.wire, msg.len, at + 2, (uint16_t)(m.n - at - 2), DNS_T_MX, rd, 10), DNS_ENOMEM);

	/* SRV: decompressed on input (RFC 3597 s7). */
	at = answer(&m, DNS_T_SRV);
	mb_u16(&m, 1); mb_u16(&m, 2); mb_u16(&m, 3);
	mb_ptr(&m, QNAME_OFF);
	mb_fix_rdlen(&m, at);
	expect(&m, 0);
	/* NSEC, RRSIG, SVCB: never compressed. */
	at = answer(&m, DNS_T_NSEC);
	mb_ptr(&m, QNAME_OFF);
	mb_u8(&m, 0); mb_u8(&m, 1); mb_u8(&m, 0x40);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_EPTR_FORBIDDEN);
	at = answer(&m, DNS_T_SVCB);
	mb_u16(&m, 1);
	mb_ptr(&m, QNAME_OFF);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_EPTR_FORBIDDEN);

	/* Character-strings. */
	at = answer(&m, DNS_T_TXT);
	mb_u8(&m, 5);
	mb_bytes(&m, "abc", 3);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_ERDATA_SHORT);
	at = answer(&m, DNS_T_HINFO);
	mb_u8(&m, 1); mb_u8(&m, 'a');
	mb_u8(&m, 1); mb_u8(&m, 'b');
	mb_u8(&m, 0);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_ERDATA_LONG);
}

static void nsec_bitmap(struct mb *m, const uint8_t *bm, size_t n)
{
	size_t at = answer(m, DNS_T_NSEC);
	mb_labels(m, "next.example", 0);
	mb_bytes(m, bm, n);
	mb_fix_rdlen(m, at);
}

static void test_bitmap(void **st)
{
	(void)st;
	struct mb m;
	static const uint8_t ok[] = { 0, 1, 0x40, 1, 1, 0x40 };
	nsec_bitmap(&m, ok, sizeof ok);
	expect(&m, 0);
	nsec_bitmap(&m, ok, 0); /* empty bitmap is allowed */
	expect(&m, 0);
	static const uint8_t order[] = { 1, 1, 0x40, 0, 1, 0x40 };
	nsec_bitmap(&m, order, sizeof order);
	expect(&m, DNS_EBITMAP);
	static const uint8_t dup[] = { 0, 1, 0x40, 0, 1, 0x40 };
	nsec_bitmap(&m, dup, sizeof dup);
	expect(&m, DNS_EBITMAP);
	static const uint8_t zero_len[] = { 0, 0 };
	nsec_bitmap(&m, zero_len, sizeof zero_len);
	expect(&m, DNS_EBITMAP);
	static const uint8_t trailing[] = { 0, 2, 0x40, 0 };
	nsec_bitmap(&m, trailing, sizeof trailing);
	expect(&m, DNS_EBITMAP);
	uint8_t big[35] = { 0, 33 };
	big[34] = 1;
	nsec_bitmap(&m, big, sizeof big);
	expect(&m, DNS_EBITMAP);
	static const uint8_t cut[] = { 0, 3, 0x40 };
	nsec_bitmap(&m, cut, sizeof cut);
	expect(&m, DNS_ERDATA_SHORT);
}

static void svcb(struct mb *m, const uint8_t *params, size_t n)
{
	size_t at = answer(m, DNS_T_HTTPS);
	mb_u16(m, 1);
	mb_u8(m, 0);
	mb_bytes(m, params, n);
	mb_fix_rdlen(m, at);
}

static void test_svcb(void **st)
{
	(void)st;
	struct mb m;
	static const uint8_t ok[] = { 0, 0, 0, 2, 0, 1, 0, 1, 0, 3, 2, 'h', '2', 0, 3, 0, 2, 1, 187 };
	svcb(&m, ok, sizeof ok);
	expect(&m, 0);
	static const uint8_t order[] = { 0, 3, 0, 2, 1, 187, 0, 1, 0, 3, 2, 'h', '2' };
	svcb(&m, order, sizeof order);
	expect(&m, DNS_ESVC_ORDER);
	static const uint8_t port3[] = { 0, 3, 0, 3, 1, 187, 0 };
	svcb(&m, port3, sizeof port3);
	expect(&m, DNS_ESVC_VALUE);
	static const uint8_t v4[] = { 0, 4, 0, 3, 1, 2, 3 };
	svcb(&m, v4, sizeof v4);
	expect(&m, DNS_ESVC_VALUE);
	static const uint8_t alpn0[] = { 0, 1, 0, 1, 0 };
	svcb(&m, alpn0, sizeof alpn0);
	expect(&m, DNS_ESVC_VALUE);
	static const uint8_t nda[] = { 0, 2, 0, 1, 0 };
	svcb(&m, nda, sizeof nda);
	expect(&m, DNS_ESVC_VALUE);
	static const uint8_t mand[] = { 0, 0, 0, 4, 0, 3, 0, 1 };
	svcb(&m, mand, sizeof mand);
	expect(&m, DNS_ESVC_VALUE);
	static const uint8_t cut[] = { 0, 3, 0, 2, 1 };
	svcb(&m, cut, sizeof cut);
	expect(&m, DNS_ERDATA_SHORT);
	static const uint8_t caa_empty[] = { 0, 0 };
	size_t at = answer(&m, DNS_T_CAA);
	mb_bytes(&m, caa_empty, 2);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_ECAA_TAG);
	at = answer(&m, DNS_T_CAA);
	mb_u8(&m, 0); mb_u8(&m, 3); mb_bytes(&m, "i-s", 3);
	mb_fix_rdlen(&m, at);
	expect(&m, DNS_ECAA_TAG);
}

static void opt(struct mb *m, unsigned owner_label, uint32_t ttl, const uint8_t *opts, size_t n)
{
	if (owner_label)
		mb_labels(m, "x", 0);
	else
		mb_u8(m, 0);
	mb_rr(m, DNS_T_OPT, 1232, ttl, (unsigned)n);
	mb_bytes(m, opts, n);
}

static void test_edns(void **st)
{
	(void)st;
	struct mb m;
	static const uint8_t opts[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xfe, 0xfe, 0, 0 };
	query(&m, 1);
	opt(&m, 0, 0x01008000, opts, sizeof opts);
	struct dns_msg msg;
	assert_int_equal(parse_guarded(&msg, &m), 0);
	assert_true(msg.edns.present);
	assert_int_equal(msg.edns.udp_size, 1232);
	assert_int_equal(msg.edns.version, 0);
	assert_int_equal(msg.edns.flags, DNS_EDNS_DO);
	assert_int_equal(dns_msg_rcode(&msg), 16);
	size_t pos = 0;
	uint16_t code, len;
	const uint8_t *data;
	assert_int_equal(dns_edns_next(&msg.edns, &pos, &code, &data, &len), 1);
	assert_int_equal(code, 10);
	assert_int_equal(len, 8);
	assert_int_equal(dns_edns_next(&msg.edns, &pos, &code, &data, &len), 1);
	assert_int_equal(code, 0xfefe); /* unknown: the caller ignores it */
	assert_int_equal(dns_edns_next(&msg.edns, &pos, &code, &data, &len), 0);

	/* Version 1: parses; the engine answers BADVERS from edns.version. */
	query(&m, 1);
	opt(&m, 0, 0x00010000, NULL, 0);
	assert_int_equal(parse_guarded(&msg, &m), 0);
	assert_int_equal(msg.edns.version, 1);

	query(&m, 2);
	opt(&m, 0, 0, NULL, 0);
	opt(&m, 0, 0, NULL, 0);
	expect(&m, DNS_EOPT_DUP);
	assert_int_equal(parse_guarded(&msg, &m), DNS_EOPT_DUP);
	assert_int_equal(msg.hdr.id, 0x1234); /* enough for a FORMERR answer */

	mb_hdr(&m, 1, 0, 1, 1, 0, 0);
	mb_labels(&m, "a", 0);
	mb_u32(&m, 0x00010001);
	opt(&m, 0, 0, NULL, 0);
	expect(&m, DNS_EOPT_SECTION);

	query(&m, 1);
	opt(&m, 1, 0, NULL, 0);
	expect(&m, DNS_EOPT_OWNER);

	static const uint8_t over[] = { 0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8 };
	query(&m, 1);
	opt(&m, 0, 0, over, sizeof over);
	expect(&m, DNS_EOPT_LEN);
	static const uint8_t half[] = { 0, 10, 0 };
	query(&m, 1);
	opt(&m, 0, 0, half, sizeof half);
	expect(&m, DNS_EOPT_LEN);

	/* TSIG must be last. */
	query(&m, 2);
	mb_labels(&m, "key", 0);
	mb_rr(&m, DNS_T_TSIG, DNS_C_ANY, 0, 0);
	opt(&m, 0, 0, NULL, 0);
	expect(&m, DNS_ETSIG_POS);
	query(&m, 2);
	opt(&m, 0, 0, NULL, 0);
	mb_labels(&m, "key", 0);
	mb_rr(&m, DNS_T_TSIG, DNS_C_ANY, 0, 0);
	assert_int_equal(parse_guarded(&msg, &m), 0);
	assert_true(msg.tsig_off > 0);
	mb_hdr(&m, 1, 0, 0, 1, 0, 0);
	mb_labels(&m, "key", 0);
	mb_rr(&m, DNS_T_TSIG, DNS_C_ANY, 0, 0);
	expect(&m, DNS_ETSIG_POS);
}

static void test_names(void **st)
{
	(void)st;
	/* RFC 4034 6.1's example, in canonical order. */
	static const char *const order[] = {
		"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
		"zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
		"\\200.z.example.",
	};
	uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX];
	for (size_t i = 0; i < 9; i++)
		for (size_t j = 0; j < 9; j++) {
			name_wire(order[i], a);
			name_wire(order[j], b);
			int c = dns_name_cmp(a, b);
			int want = i < j ? -1 : i > j;
			if ((c > 0) - (c < 0) != want)
				fail_msg("cmp(%s, %s) = %d", order[i], order[j], c);
		}
	assert_true(dns_name_equal(name_wire("WWW.example.", a), name_wire("www.EXAMPLE.", b)));
	assert_false(dns_name_equal(name_wire("www.example.", a), name_wire("ww.example.", b)));
	assert_true(dns_name_is_sub(name_wire("a.B.c.", a), name_wire("b.C.", b)));
	assert_false(dns_name_is_sub(name_wire("ab.c.", a), name_wire("b.c.", b)));
	assert_true(dns_name_is_sub(a, name_wire(".", b)));
	assert_int_equal(dns_name_labels(name_wire("a.b.c.", a)), 3);
	assert_int_equal(dns_name_labels(name_wire(".", a)), 0);

	/* Text: escapes both ways, relative names, @. */
	uint8_t origin[DNS_NAME_MAX];
	name_wire("Example.org.", origin);
	char text[1100];
	int n = dns_name_from_text(a, "a\\.b\\032c\\\\", 11, origin);
	assert_int_equal(n, 1 + 6 + 13);
	assert_int_equal(a[0], 6);
	assert_memory_equal(a + 1, "a.b c\\", 6);
	assert_int_equal(dns_name_to_text(a, text, sizeof text), 24);
	assert_string_equal(text, "a\\.b\\032c\\\\.Example.org.");
	assert_int_equal(dns_name_from_text(a, "@", 1, origin), 13);
	assert_true(dns_name_equal(a, origin));
	assert_int_equal(dns_name_from_text(a, "@", 1, NULL), DNS_EZ_NAME);
	assert_int_equal(dns_name_from_text(a, "rel", 3, NULL), DNS_EZ_NAME);
	assert_int_equal(dns_name_from_text(a, "a..b.", 5, NULL), DNS_EZ_NAME);
	assert_int_equal(dns_name_from_text(a, "a\\25", 4, origin), DNS_EZ_ESCAPE);
	assert_int_equal(dns_name_from_text(a, "a\\256", 5, origin), DNS_EZ_ESCAPE);
	assert_int_equal(dns_name_from_text(a, "a\\", 2, origin), DNS_EZ_ESCAPE);
	char l64[70];
	memset(l64, 'a', 64);
	strcpy(l64 + 64, ".");
	assert_int_equal(dns_name_from_text(a, l64, 65, NULL), DNS_ELABEL_LEN);
	char big[600];
	size_t k = 0;
	for (int i = 0; i < 128; i++) {
		big[k++] = 'a';
		big[k++] = '.';
	}
	assert_int_equal(dns_name_from_text(a, big, k, NULL), DNS_ENAME_LEN);
	assert_int_equal(dns_name_from_text(a, big, k - 2, NULL), 255);
	assert_int_equal(dns_name_to_text(a, text, 10), DNS_ENOMEM);
	assert_int_equal(dns_name_to_text(name_wire(".", a), text, sizeof text), 1);
	assert_string_equal(text, ".");
	uint8_t low[DNS_NAME_MAX];
	dns_name_lower(low, name_wire("AbC.D.", a));
	assert_memory_equal(low, "\3abc\1d", 7);
}

static void test_writer(void **st)
{
	(void)st;
	uint8_t buf[512];
	uint16_t ctab[32];
	struct dns_msgw w;
	uint8_t q[DNS_NAME_MAX], mx[DNS_NAME_MAX], rd[300];
	name_wire("www.example.com.", q);
	assert_int_equal(dns_msgw_init(&w, buf, sizeof buf, ctab, 32, 0x4242, DNS_F_QR), 0);
	assert_int_equal(dns_msgw_question(&w, q, DNS_T_MX, DNS_C_IN), 0);
	assert_int_equal(w.len, 12 + 17 + 4);
	/* MX: exchange compressed against the question (RFC 1035 type). */
	rd[0] = 0;
	rd[1] = 10;
	name_wire("mail.EXAMPLE.com.", mx);
	memcpy(rd + 2, mx, dns_name_len(mx));
	size_t before = w.len;
	assert_int_equal(dns_msgw_rr(&w, DNS_S_ANSWER, q, DNS_T_MX, DNS_C_IN, 60, rd, (uint16_t)(2 + dns_name_len(mx))), 0);
	/* owner pointer 2 + fixed 10 + pref 2 + "mail" 5 + pointer 2 */
	assert_int_equal(w.len - before, 21);
	/* SRV: never compressed on output (RFC 3597 s4). */
	memset(rd, 0, 6);
	memcpy(rd + 6, mx, dns_name_len(mx));
	before = w.len;
	assert_int_equal(dns_msgw_rr(&w, DNS_S_ANSWER, q, DNS_T_SRV, DNS_C_IN, 60, rd, (uint16_t)(6 + dns_name_len(mx))), 0);
	assert_int_equal(w.len - before, 2 + 10 + 6 + 18);
	assert_int_equal(dns_msgw_question(&w, q, DNS_T_A, DNS_C_IN), DNS_ESECTION);
	struct dns_msgw_mark mk;
	dns_msgw_mark(&w, &mk);
	/* Fill the authority section until it no longer fits. */
	uint8_t a4[4] = { 192, 0, 2, 1 };
	int added = 0;
	while (dns_msgw_rr(&w, DNS_S_AUTHORITY, mx, DNS_T_A, DNS_C_IN, 60, a4, 4) == 0)
		added++;
	assert_true(added > 10);
	assert_int_equal(w.err, DNS_ENOMEM);
	assert_int_equal(dns_msgw_finish(&w), DNS_ENOMEM);
	/* Even a small record fails while the error sticks. */
	assert_int_equal(dns_msgw_rr(&w, DNS_S_ADDITIONAL, q, DNS_T_A, DNS_C_IN, 1, a4, 4), DNS_ENOMEM);
	dns_msgw_rewind(&w, &mk);
	assert_int_equal(dns_msgw_opt(&w, 1232, 0, 0, DNS_EDNS_DO, NULL, 0), 0);
	int len = dns_msgw_finish(&w);
	assert_true(len > 0);
	struct dns_msg msg;
	assert_int_equal(dns_msg_parse(&msg, guard(buf, (size_t)len), (size_t)len), 0);
	assert_int_equal(msg.hdr.id, 0x4242);
	assert_int_equal(msg.hdr.count[1], 2);
	assert_int_equal(msg.hdr.count[2], 0);
	assert_int_equal(msg.hdr.count[3], 1);
	assert_true(msg.edns.present && msg.edns.flags == DNS_EDNS_DO);
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&msg, &it);
	assert_int_equal(dns_msg_next(&msg, &it, &rr), 1);
	uint8_t out[300];
	int n = dns_rdata_unpack(msg.wire, msg.len, rr.rdoff, rr.rdlen, rr.type, out, sizeof out);
	assert_int_equal(n, 2 + 18);
	/* The pointer took the question's case for "example.com". */
	uint8_t want[DNS_NAME_MAX];
	assert_memory_equal(out + 2, name_wire("mail.example.com.", want), 18);
	/* A malformed RDATA is refused. */
	assert_int_equal(dns_msgw_init(&w, buf, sizeof buf, NULL, 0, 1, 0), 0);
	assert_int_equal(dns_msgw_rr(&w, DNS_S_ANSWER, q, DNS_T_A, DNS_C_IN, 1, a4, 3), DNS_ERDATA_SHORT);
	assert_int_equal(dns_msgw_init(&w, buf, 11, NULL, 0, 1, 0), DNS_ENOMEM);

	/* Repeated labels: a name must never point into itself (fuzz find). */
	name_wire("x.x.x.x.", q);
	dns_msgw_init(&w, buf, sizeof buf, ctab, 32, 1, 0);
	assert_int_equal(dns_msgw_question(&w, q, DNS_T_A, DNS_C_IN), 0);
	assert_int_equal(dns_msgw_rr(&w, DNS_S_ANSWER, q, DNS_T_A, DNS_C_IN, 1, a4, 4), 0);
	len = dns_msgw_finish(&w);
	assert_int_equal(len, 12 + 9 + 4 + 2 + 10 + 4);
	assert_int_equal(dns_msg_parse(&msg, guard(buf, (size_t)len), (size_t)len), 0);
}

/* Random names and records: writer -> parser -> unpack is the identity. */
static void rand_name(uint64_t *s, uint8_t *out)
{
	size_t n = 0;
	int labels = (int)(rng_next(s) % 6);
	for (int i = 0; i < labels; i++) {
		size_t l = 1 + rng_next(s) % (i == 0 ? 63 : 8);
		if (n + l + 2 > DNS_NAME_MAX)
			break;
		out[n++] = (uint8_t)l;
		for (size_t k = 0; k < l; k++)
			out[n++] = (uint8_t)("abcABC-xyz09*\\. "[rng_next(s) % 16]);
	}
	out[n] = 0;
}

static void test_property(void **st)
{
	(void)st;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		uint64_t s = seed * 0x9E3779B97F4A7C15ULL;
		uint8_t buf[4096];
		uint16_t ctab[64];
		struct dns_msgw w;
		uint8_t names[8][DNS_NAME_MAX];
		uint8_t rd[8][300];
		uint16_t rdl[8], types[8];
		int nrr = 1 + (int)(rng_next(&s) % 8);
		dns_msgw_init(&w, buf, sizeof buf, ctab, 64, (uint16_t)seed, 0);
		rand_name(&s, names[0]);
		assert_int_equal(dns_msgw_question(&w, names[0], DNS_T_A, DNS_C_IN), 0);
		for (int i = 0; i < nrr; i++) {
			rand_name(&s, names[i]);
			static const uint16_t pick[] = { DNS_T_A, DNS_T_NS, DNS_T_MX, DNS_T_SRV, DNS_T_TXT, 999 };
			types[i] = pick[rng_next(&s) % 6];
			uint8_t nm[DNS_NAME_MAX];
			rand_name(&s, nm);
			size_t nl = dns_name_len(nm);
			switch (types[i]) {
			case DNS_T_A: rdl[i] = 4; memcpy(rd[i], "\1\2\3\4", 4); break;
			case DNS_T_NS: rdl[i] = (uint16_t)nl; memcpy(rd[i], nm, nl); break;
			case DNS_T_MX: rdl[i] = (uint16_t)(2 + nl); rd[i][0] = 0; rd[i][1] = 5; memcpy(rd[i] + 2, nm, nl); break;
			case DNS_T_SRV: rdl[i] = (uint16_t)(6 + nl); memset(rd[i], 7, 6); memcpy(rd[i] + 6, nm, nl); break;
			case DNS_T_TXT: rdl[i] = (uint16_t)nl; memcpy(rd[i], nm, nl); rd[i][0] = (uint8_t)(nl - 1); break;
			default: rdl[i] = (uint16_t)nl; memcpy(rd[i], nm, nl); break;
			}
			if (types[i] == DNS_T_TXT && nl == 1)
				rd[i][0] = 0;
			int r = dns_msgw_rr(&w, DNS_S_ANSWER, names[i], types[i], DNS_C_IN, (uint32_t)i, rd[i], rdl[i]);
			if (r != 0)
				fail_msg("seed %llu: write rr %d: %s", (unsigned long long)seed, i, dns_strerror(r));
		}
		int len = dns_msgw_finish(&w);
		struct dns_msg msg;
		int r = dns_msg_parse(&msg, guard(buf, (size_t)len), (size_t)len);
		if (r != 0)
			fail_msg("seed %llu: parse: %s", (unsigned long long)seed, dns_strerror(r));
		struct dns_msg_iter it;
		struct dns_rr rr;
		dns_msg_iter_init(&msg, &it);
		for (int i = 0; i < nrr; i++) {
			assert_int_equal(dns_msg_next(&msg, &it, &rr), 1);
			uint8_t out[300];
			int n = dns_rdata_unpack(msg.wire, msg.len, rr.rdoff, rr.rdlen, rr.type, out, sizeof out);
			if (rr.type != types[i] || rr.ttl != (uint32_t)i || n != rdl[i] ||
			    memcmp(out, rd[i], rdl[i]) != 0 ||
			    memcmp(rr.owner, names[i], dns_name_len(names[i])) != 0)
				fail_msg("seed %llu: record %d differs", (unsigned long long)seed, i);
		}
		assert_int_equal(dns_msg_next(&msg, &it, &rr), 0);
	}
}

/* Every prefix of a valid message with records fails cleanly, never reads past. */
static void test_every_cut(void **st)
{
	(void)st;
	uint8_t buf[512];
	uint16_t ctab[16];
	struct dns_msgw w;
	uint8_t q[DNS_NAME_MAX], rd[600];
	name_wire("a.example.", q);
	dns_msgw_init(&w, buf, sizeof buf, ctab, 16, 9, 0);
	dns_msgw_question(&w, q, DNS_T_SOA, DNS_C_IN);
	size_t n = 0;
	n += dns_name_len(name_wire("ns.a.example.", rd));
	n += dns_name_len(name_wire("host.a.example.", rd + n));
	memset(rd + n, 1, 20);
	n += 20;
	assert_int_equal(dns_msgw_rr(&w, DNS_S_ANSWER, q, DNS_T_SOA, DNS_C_IN, 1, rd, (uint16_t)n), 0);
	int len = dns_msgw_finish(&w);
	struct dns_msg msg;
	assert_int_equal(dns_msg_parse(&msg, guard(buf, (size_t)len), (size_t)len), 0);
	for (int cut = 0; cut < len; cut++) {
		int r = dns_msg_parse(&msg, guard(buf, (size_t)cut), (size_t)cut);
		if (r != DNS_ETRUNC && r != DNS_ECOUNT)
			fail_msg("cut at %d: %s", cut, dns_strerror(r));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_question),
		cmocka_unit_test(test_name_errors),
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_rdata_errors),
		cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_svcb),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_every_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
