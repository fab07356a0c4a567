/* TSIG (RFC 8945): keys, vectors computed independently (gen_tsig_vectors.py,
 * kdig, dig), every error of 5.2 and 5.3.2, multi-message chains. */
#include "xfrutil.h"
#include "tsig_vectors.h"

static struct dns_tsig_key k256, k512;

static int setup(void **st)
{
	(void)st;
	static const char t256[] = "xfr-key.example:hmac-sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	if (dns_tsig_key_from_text(&k256, t256, strlen(t256)) != 0)
		return -1;
	memset(&k512, 0, sizeof k512);
	xu_name("big.key.", k512.name);
	k512.alg = DNS_TSIG_HMAC_SHA512;
	k512.secret_len = 200;
	for (int i = 0; i < 200; i++)
		k512.secret[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

/* Parses a message placed before a guard page. */
static struct dns_msg *parse(const uint8_t *b, size_t n)
{
	static struct dns_msg m;
	int r = dns_msg_parse(&m, xu_guard(b, n), n);
	if (r)
		fail_msg("parse: %s", dns_strerror(r));
	return &m;
}

/* The message without its TSIG record (ARCOUNT one less). */
static size_t strip(const uint8_t *in, size_t n, uint8_t *out)
{
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(&m, in, n), 0);
	assert_true(m.tsig_off > 0);
	memcpy(out, in, m.tsig_off);
	out[11]--;
	return m.tsig_off;
}

static void test_key_text(void **st)
{
	(void)st;
	struct dns_tsig_key k;
	uint8_t want[DNS_NAME_MAX];
	const char *ok[] = { "Name.Example:hmac-sha512:YWJj", "hmac-sha512:name.example.:YWJj",
		"name.example:HMAC-SHA512.:YWJj" };
	for (size_t i = 0; i < 3; i++) {
		xu_expect(dns_tsig_key_from_text(&k, ok[i], strlen(ok[i])), 0);
		assert_memory_equal(k.name, xu_name("name.example.", want), 14);
		assert_int_equal(k.alg, DNS_TSIG_HMAC_SHA512);
		assert_int_equal(k.secret_len, 3);
		assert_memory_equal(k.secret, "abc", 3);
	}
	struct { const char *t; int want; } bad[] = {
		{ "name", DNS_EKEY_SYNTAX },
		{ "name:hmac-sha256", DNS_EKEY_SYNTAX },
		{ "a:b:c:d", DNS_EKEY_SYNTAX },
		{ ":hmac-sha256:YWJj", DNS_EKEY_NAME },
		{ "a..b:hmac-sha256:YWJj", DNS_EKEY_NAME },
		{ "name:hmac-sha3:YWJj", DNS_EKEY_ALG },
		{ "name:hmac-sha1:YWJj", DNS_EKEY_UNSUPPORTED },
		{ "name:hmac-md5.sig-alg.reg.int:YWJj", DNS_EKEY_UNSUPPORTED },
		{ "hmac-sha384:name:YWJj", DNS_EKEY_UNSUPPORTED },
		{ "name:hmac-sha256:", DNS_EKEY_SECRET },
		{ "name:hmac-sha256:YWJ", DNS_EKEY_SECRET },
		{ "name:hmac-sha256:YW!j", DNS_EKEY_SECRET },
		{ "name:hmac-sha256:YW==", DNS_EKEY_SECRET }, /* non-zero pad bits */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		xu_expect(dns_tsig_key_from_text(&k, bad[i].t, strlen(bad[i].t)), bad[i].want);
		assert_int_equal(k.alg, 0);
	}
	/* 256 octets is the limit: 344 base64 characters; 259 is too long. */
	char big[600] = "name:hmac-sha256:";
	size_t p = strlen(big);
	for (int i = 0; i < 344; i++)
		big[p + (size_t)i] = 'A';
	big[p + 342] = '=';
	big[p + 343] = '=';
	xu_expect(dns_tsig_key_from_text(&k, big, p + 344), 0);
	assert_int_equal(k.secret_len, 256);
	for (int i = 0; i < 4; i++)
		big[p + 342 + (size_t)i] = 'A';
	xu_expect(dns_tsig_key_from_text(&k, big, p + 348), DNS_EKEY_SECRET_LEN);
}

static int keyfile(const char *text, struct dns_tsig_key *keys, size_t cap, struct dns_key_error *e)
{
	return dns_tsig_keyfile_parse(text, strlen(text), keys, cap, e);
}

static void test_keyfile(void **st)
{
	(void)st;
	struct dns_tsig_key keys[4];
	struct dns_key_error e;
	uint8_t want[DNS_NAME_MAX];
	/* What tsig-keygen prints, twice, with the comment forms named.conf has. */
	const char *bind =
		"# made by tsig-keygen\n"
		"key \"xfr.key\" {\n"
		"\talgorithm hmac-sha512;\n"
		"\tsecret \"Kmx/hfjEGsZBCw6mmZJg6Oz1qYxNJ0r1gIBZN3TmolF676adxskn5OWM1xCd/8qdef2MCBlgJHSvanJR/eKjgg==\";\n"
		"};\n"
		"/* another */ key other. { secret \"YWJj\"; // reversed order\n"
		"  algorithm \"hmac-sha256\"; };\n";
	xu_expect(keyfile(bind, keys, 4, &e), 2);
	assert_memory_equal(keys[0].name, xu_name("xfr.key.", want), 9);
	assert_int_equal(keys[0].alg, DNS_TSIG_HMAC_SHA512);
	assert_int_equal(keys[0].secret_len, 64);
	assert_int_equal(keys[1].alg, DNS_TSIG_HMAC_SHA256);
	assert_memory_equal(keys[1].secret, "abc", 3);
	/* What keymgr -t prints. */
	const char *knot =
		"# hmac-sha256:knot-key:7G0kx9/WDPfEJ/zedhMBEiqLssyKK1Udxzs2VDLL7/A=\n"
		"key:\n"
		"  - id: knot-key\n"
		"    algorithm: hmac-sha256\n"
		"    secret: 7G0kx9/WDPfEJ/zedhMBEiqLssyKK1Udxzs2VDLL7/A=\n"
		"  - id: \"second\"\n"
		"    secret: YWJj\n"
		"    algorithm: hmac-sha512\n";
	xu_expect(keyfile(knot, keys, 4, &e), 2);
	assert_memory_equal(keys[0].name, xu_name("knot-key.", want), 10);
	assert_int_equal(keys[0].secret_len, 32);
	assert_int_equal(keys[1].alg, DNS_TSIG_HMAC_SHA512);
	struct { const char *t; int code; unsigned line, col; } bad[] = {
		{ "", DNS_EKEY_SYNTAX, 1, 1 },
		{ "# only a comment\n", DNS_EKEY_SYNTAX, 2, 1 },
		{ "zone \"x\" { };", DNS_EKEY_SYNTAX, 1, 1 },
		{ "key \"a\" {\n algorithm hmac-sha256\n secret \"YWJj\"; };", DNS_EKEY_SYNTAX, 3, 2 },
		{ "key \"a\" {\n algorithm hmac-sha1;\n secret \"YWJj\"; };", DNS_EKEY_UNSUPPORTED, 2, 12 },
		{ "key \"a\" {\n algorithm hmac-foo;\n secret \"YWJj\"; };", DNS_EKEY_ALG, 2, 12 },
		{ "key \"a\" { algorithm hmac-sha256; secret \"YW=j\"; };", DNS_EKEY_SECRET, 1, 41 },
		{ "key \"a\" { algorithm hmac-sha256; secret \"YWJj; };", DNS_EKEY_SYNTAX, 1, 41 },
		{ "key \"a\" { algorithm hmac-sha256; };", DNS_EKEY_SYNTAX, 1, 34 },
		{ "key \"a\" { algorithm hmac-sha256; secret \"YWJj\"; }", DNS_EKEY_SYNTAX, 1, 50 },
		{ "key \"a\" { colour blue; };", DNS_EKEY_SYNTAX, 1, 11 },
		{ "key \"a..b\" { };", DNS_EKEY_NAME, 1, 5 },
		{ "key a { algorithm hmac-sha256; secret \"YWJj\"; };\nkey A. { algorithm hmac-sha256; secret \"YWJj\"; };",
			DNS_EKEY_DUP, 2, 5 },
		{ "key:\n  - id: a\n    algorithm: hmac-sha256\n", DNS_EKEY_SYNTAX, 2, 3 },
		{ "key:\n  - id: a\n    algorithm: hmac-sha1\n    secret: YWJj\n", DNS_EKEY_UNSUPPORTED, 3, 16 },
		{ "key:\n  - id: a\n    colour: blue\n", DNS_EKEY_SYNTAX, 3, 5 },
		{ "key:\n    secret: YWJj\n", DNS_EKEY_SYNTAX, 2, 5 },
		{ "key:\nremote:\n", DNS_EKEY_SYNTAX, 2, 1 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = keyfile(bad[i].t, keys, 4, &e);
		if (r != bad[i].code || e.code != r || e.line != bad[i].line || e.col != bad[i].col)
			fail_msg("case %zu: got %s at %u:%u, want %s at %u:%u", i, dns_strerror(r), e.line,
				e.col, dns_strerror(bad[i].code), bad[i].line, bad[i].col);
	}
	/* More keys than room. */
	xu_expect(keyfile(bind, keys, 1, &e), DNS_ENOMEM);
	assert_int_equal(e.line, 6);
}

static void test_rr_parse(void **st)
{
	(void)st;
	struct dns_tsig_rr rr;
	struct dns_msg *m = parse(v_req, sizeof v_req);
	xu_expect(dns_tsig_rr_parse(m, &rr), 0);
	uint8_t want[DNS_NAME_MAX];
	assert_memory_equal(rr.key, xu_name("xfr-key.example.", want), 17);
	assert_memory_equal(rr.alg, dns_tsig_alg_name(DNS_TSIG_HMAC_SHA256), 13);
	assert_int_equal(rr.time_signed, V_TIME);
	assert_int_equal(rr.fudge, 300);
	assert_int_equal(rr.mac_len, 32);
	assert_int_equal(rr.orig_id, 0x1234);
	assert_int_equal(rr.error, 0);
	assert_int_equal(rr.other_len, 0);
	m = parse(v_query, sizeof v_query);
	xu_expect(dns_tsig_rr_parse(m, &rr), DNS_ETSIG_NONE);
	/* Class, TTL and RDATA shape are checked. */
	uint8_t b[200];
	memcpy(b, v_req, sizeof v_req);
	size_t cls = 30 + 17 + 2;
	b[cls + 1] = 1; /* class IN */
	xu_expect(dns_tsig_rr_parse(parse(b, sizeof v_req), &rr), DNS_ETSIG_FORMERR);
	memcpy(b, v_req, sizeof v_req);
	b[cls + 5] = 1; /* TTL 1 */
	xu_expect(dns_tsig_rr_parse(parse(b, sizeof v_req), &rr), DNS_ETSIG_FORMERR);
	/* RDLENGTH one longer, with an extra octet: octets after Other Data. */
	memcpy(b, v_req, sizeof v_req);
	b[cls + 7]++;
	b[sizeof v_req] = 0;
	xu_expect(dns_tsig_rr_parse(parse(b, sizeof v_req + 1), &rr), DNS_ETSIG_FORMERR);
	/* RDLENGTH one shorter: Other Len runs past it. */
	memcpy(b, v_req, sizeof v_req);
	b[cls + 7]--;
	xu_expect(dns_tsig_rr_parse(parse(b, sizeof v_req - 1), &rr), DNS_ETSIG_FORMERR);
	/* MAC size beyond RDATA. */
	memcpy(b, v_req, sizeof v_req);
	b[cls + 8 + 13 + 8 + 1] = 200;
	xu_expect(dns_tsig_rr_parse(parse(b, sizeof v_req), &rr), DNS_ETSIG_FORMERR);
}

/* Client and server each reproduce the independently computed messages. */
static void test_vectors_sha256(void **st)
{
	(void)st;
	uint8_t b[1024];
	struct dns_tsig c, s;
	dns_tsig_client_init(&c, &k256, 300);
	memcpy(b, v_query, sizeof v_query);
	xu_expect(dns_tsig_sign(&c, b, sizeof v_query, sizeof b, V_TIME), (int)sizeof v_req);
	assert_memory_equal(b, v_req, sizeof v_req);

	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(v_req, sizeof v_req), V_TIME + 10), 0);
	assert_non_null(dns_tsig_key_name(&s));
	assert_true(dns_name_equal(dns_tsig_key_name(&s), k256.name));
	const uint8_t *want[] = { v_resp1, v_resp2, v_resp3, v_resp4 };
	size_t wlen[] = { sizeof v_resp1, sizeof v_resp2, sizeof v_resp3, sizeof v_resp4 };
	for (int i = 0; i < 4; i++) {
		size_t n = i == 1 ? wlen[i] : strip(want[i], wlen[i], b);
		if (i == 1) {
			xu_expect(dns_tsig_skip(&s, want[i], wlen[i]), 0);
			continue;
		}
		uint64_t when = V_TIME + (i == 0 ? 1 : i == 2 ? 2 : 3);
		xu_expect(dns_tsig_sign(&s, b, n, sizeof b, when), (int)wlen[i]);
		assert_memory_equal(b, want[i], wlen[i]);
	}
	for (int i = 0; i < 4; i++)
		xu_expect(dns_tsig_client_verify(&c, parse(want[i], wlen[i]), V_TIME + 3), i == 1 ? 1 : 0);
	xu_expect(dns_tsig_client_end(&c), 0);
}

static void test_vectors_sha512(void **st)
{
	(void)st;
	uint8_t b[1024];
	struct dns_tsig c, s;
	xu_expect(dns_tsig_server_verify(&s, &k512, 1, parse(v_req512, sizeof v_req512), V_TIME), 0);
	memcpy(b, v_ans512, sizeof v_ans512);
	s.priv.fudge = 60;
	xu_expect(dns_tsig_sign(&s, b, sizeof v_ans512, sizeof b, V_TIME + 5), (int)sizeof v_resp512);
	/* Our owner name is lowercased; the rest is the same. */
	struct dns_msg m1, m2;
	assert_int_equal(dns_msg_parse(&m1, b, sizeof v_resp512), 0);
	assert_int_equal(dns_msg_parse(&m2, v_resp512, sizeof v_resp512), 0);
	assert_int_equal(m1.tsig_off, m2.tsig_off);
	assert_memory_equal(b + m1.tsig_off + 9, v_resp512 + m1.tsig_off + 9,
		sizeof v_resp512 - m1.tsig_off - 9);
	/* The client signs "Big.Key." lowercased: the MAC is the same. */
	dns_tsig_client_init(&c, &k512, 60);
	memcpy(b, v_query512, sizeof v_query512);
	xu_expect(dns_tsig_sign(&c, b, sizeof v_query512, sizeof b, V_TIME), (int)sizeof v_req512);
	assert_memory_equal(b + sizeof v_req512 - 64 - 6, v_req512 + sizeof v_req512 - 64 - 6, 64);
	xu_expect(dns_tsig_client_verify(&c, parse(v_resp512, sizeof v_resp512), V_TIME), 0);
	xu_expect(dns_tsig_client_end(&c), 0);
}

static void hexin(const char *hex, uint8_t *out, size_t *n)
{
	*n = strlen(hex) / 2;
	for (size_t i = 0; i < *n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* Requests signed by kdig (Knot) and dig (BIND) verify. */
static void test_vectors_tools(void **st)
{
	(void)st;
	uint8_t b[512];
	size_t n;
	struct dns_tsig s;
	hexin("dc2d01200001000000000001076578616d706c6504746573740000060001077866722d6b6579076578616d70"
	      "6c650000fa00ff00000000003d0b686d61632d7368613235360000006b094420012c00208ac7ead8f902c5f0"
	      "68af4659cd7e0b4f3c79b334b4f4052b7a77c24f029c2514dc2d00000000", b, &n);
	uint64_t t = 0x6b094420ull;
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, n), t), 0);
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, n), t + 301), DNS_ETSIG_BADTIME);
	struct dns_tsig_key kb = k256;
	kb.alg = DNS_TSIG_HMAC_SHA512;
	kb.secret_len = 64;
	for (int i = 0; i < 64; i++)
		kb.secret[i] = (uint8_t)i;
	hexin("381801200001000000000001076578616d706c6504746573740000060001077866722d6b6579076578616d70"
	      "6c650000fa00ff00000000005d0b686d61632d7368613531320000006b094421012c0040f739eb8a510a64c2"
	      "1a391f5a6d3284ee6c774f07af4b8115d6b768cc0292a0bd1e510260253b7a0f4d22842f3d4f3a75943e5159"
	      "40413656916d5126c8ccd638381800000000", b, &n);
	xu_expect(dns_tsig_server_verify(&s, &kb, 1, parse(b, n), t + 1), 0);
	/* The same key name with the other algorithm is BADKEY. */
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, n), t + 1), DNS_ETSIG_BADKEY);
}

/* An error response built from v_query's question with NOTAUTH. */
static size_t notauth(uint8_t *b, uint16_t id)
{
	memcpy(b, v_query, sizeof v_query);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 0x80;
	b[3] = DNS_RC_NOTAUTH;
	return sizeof v_query;
}

static void expect_unsigned_error(struct dns_tsig *s, uint16_t error)
{
	uint8_t b[512];
	size_t n = notauth(b, 0x1234);
	int r = dns_tsig_sign(s, b, n, sizeof b, V_TIME + 99);
	assert_true(r > (int)n);
	struct dns_tsig_rr rr;
	struct dns_msg *m = parse(b, (size_t)r);
	xu_expect(dns_tsig_rr_parse(m, &rr), 0);
	assert_int_equal(rr.error, error);
	assert_int_equal(rr.mac_len, 0);
	assert_int_equal(rr.time_signed, V_TIME); /* the request's */
	uint8_t want[DNS_NAME_MAX];
	assert_true(dns_name_equal(rr.key, xu_name("xfr-key.example.", want)));
	/* A client sees the server's refusal. */
	struct dns_tsig c;
	dns_tsig_client_init(&c, &k256, 0);
	uint8_t q[512];
	memcpy(q, v_query, sizeof v_query);
	assert_true(dns_tsig_sign(&c, q, sizeof v_query, sizeof q, V_TIME) > 0);
	xu_expect(dns_tsig_client_verify(&c, m, V_TIME), DNS_ETSIG_REJECTED);
	assert_int_equal(dns_tsig_peer_error(&c), error);
}

/* RFC 8945 5.2.1 and 5.2.2: BADKEY and BADSIG, answered unsigned. */
static void test_server_badkey_badsig(void **st)
{
	(void)st;
	struct dns_tsig s;
	struct dns_tsig_key other = k256;
	xu_name("other.", other.name);
	xu_expect(dns_tsig_server_verify(&s, &other, 1, parse(v_req, sizeof v_req), V_TIME), DNS_ETSIG_BADKEY);
	assert_null(dns_tsig_key_name(&s));
	assert_int_equal(dns_tsig_error_rcode(DNS_ETSIG_BADKEY), DNS_RC_NOTAUTH);
	expect_unsigned_error(&s, DNS_TSIG_BADKEY);
	xu_expect(dns_tsig_server_verify(&s, NULL, 0, parse(v_req, sizeof v_req), V_TIME), DNS_ETSIG_BADKEY);
	/* hmac-sha1 is known but unsupported: BADKEY like an unknown key. */
	uint8_t b[512];
	size_t n = 0;
	memcpy(b, v_query, sizeof v_query);
	n = sizeof v_query;
	b[11] = 1;
	static const uint8_t kn[] = "\x07xfr-key\x07" "example";
	memcpy(b + n, kn, sizeof kn);
	n += sizeof kn;
	static const uint8_t fixed[] = { 0, 250, 0, 255, 0, 0, 0, 0, 0, 11 + 16 + 20 };
	memcpy(b + n, fixed, sizeof fixed);
	n += sizeof fixed;
	static const uint8_t sha1[] = "\x09hmac-sha1";
	memcpy(b + n, sha1, sizeof sha1);
	n += sizeof sha1;
	static const uint8_t rest[10] = { 0, 0, 0x65, 0x53, 0xf1, 0x00, 1, 44, 0, 20 };
	memcpy(b + n, rest, 10);
	n += 10;
	memset(b + n, 0xaa, 20);
	n += 20;
	static const uint8_t tail[6] = { 0x12, 0x34, 0, 0, 0, 0 };
	memcpy(b + n, tail, 6);
	n += 6;
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, n), V_TIME), DNS_ETSIG_BADKEY);
	expect_unsigned_error(&s, DNS_TSIG_BADKEY);

	/* A flipped MAC octet, and a changed message, are BADSIG. */
	memcpy(b, v_req, sizeof v_req);
	b[sizeof v_req - 7] ^= 1;
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, sizeof v_req), V_TIME), DNS_ETSIG_BADSIG);
	assert_int_equal(dns_tsig_error_rcode(DNS_ETSIG_BADSIG), DNS_RC_NOTAUTH);
	expect_unsigned_error(&s, DNS_TSIG_BADSIG);
	memcpy(b, v_req, sizeof v_req);
	b[2] |= 1; /* RD */
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, sizeof v_req), V_TIME), DNS_ETSIG_BADSIG);
	/* The ID may change in transit (Original ID keeps the MAC valid). */
	memcpy(b, v_req, sizeof v_req);
	b[0] = 0x55;
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, sizeof v_req), V_TIME), 0);
	/* The wrong secret. */
	struct dns_tsig_key ws = k256;
	ws.secret[0] ^= 1;
	xu_expect(dns_tsig_server_verify(&s, &ws, 1, parse(v_req, sizeof v_req), V_TIME), DNS_ETSIG_BADSIG);
	/* No TSIG at all, and a malformed one. */
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(v_query, sizeof v_query), V_TIME), DNS_ETSIG_NONE);
	n = sizeof v_query;
	memcpy(b, v_query, n);
	xu_expect(dns_tsig_sign(&s, b, n, sizeof b, V_TIME), (int)n); /* nothing added */
	assert_int_equal(dns_tsig_error_rcode(DNS_ETSIG_NONE), DNS_RC_NOERROR);
	assert_int_equal(dns_tsig_error_rcode(DNS_ETSIG_FORMERR), DNS_RC_FORMERR);
}

/* Whole error answers: NOTAUTH with the unsigned BADKEY record, a signed
 * REFUSED to a verified request, an unsigned one without TSIG. */
static void test_answer(void **st)
{
	(void)st;
	struct dns_tsig s, c;
	uint8_t b[512];
	xu_expect(dns_tsig_server_verify(&s, NULL, 0, parse(v_req, sizeof v_req), V_TIME), DNS_ETSIG_BADKEY);
	int n = dns_tsig_answer(parse(v_req, sizeof v_req), (uint16_t)dns_tsig_error_rcode(DNS_ETSIG_BADKEY), &s,
		b, sizeof b, V_TIME);
	assert_true(n > 0);
	struct dns_msg *m = parse(b, (size_t)n);
	assert_int_equal(m->hdr.id, 0x1234);
	assert_int_equal(dns_msg_rcode(m), DNS_RC_NOTAUTH);
	assert_true(m->hdr.flags & DNS_F_QR);
	assert_int_equal(m->hdr.count[0], 1);
	struct dns_tsig_rr rr;
	xu_expect(dns_tsig_rr_parse(m, &rr), 0);
	assert_int_equal(rr.error, DNS_TSIG_BADKEY);
	/* No room even for the header and the TSIG. */
	xu_expect(dns_tsig_answer(parse(v_req, sizeof v_req), DNS_RC_NOTAUTH, &s, b, 40, V_TIME), DNS_ENOMEM);
	/* A refusal to a verified request, signed so the client can trust it. */
	dns_tsig_client_init(&c, &k256, 300);
	memcpy(b, v_query, sizeof v_query);
	assert_true(dns_tsig_sign(&c, b, sizeof v_query, sizeof b, V_TIME) > 0);
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(b, sizeof v_req), V_TIME), 0);
	uint8_t a[512];
	n = dns_tsig_answer(parse(b, sizeof v_req), DNS_RC_REFUSED, &s, a, sizeof a, V_TIME);
	m = parse(a, (size_t)n);
	assert_int_equal(dns_msg_rcode(m), DNS_RC_REFUSED);
	xu_expect(dns_tsig_client_verify(&c, m, V_TIME), 0);
	/* Without TSIG. */
	n = dns_tsig_answer(parse(v_query, sizeof v_query), DNS_RC_FORMERR, NULL, a, sizeof a, V_TIME);
	m = parse(a, (size_t)n);
	assert_int_equal(dns_msg_rcode(m), DNS_RC_FORMERR);
	assert_int_equal(m->tsig_off, 0);
}

/* RFC 8945 5.2.3: BADTIME both ways, answered signed with Other Data. */
static void test_server_badtime(void **st)
{
	(void)st;
	struct dns_tsig s;
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(v_req, sizeof v_req), V_TIME + 300), 0);
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(v_req, sizeof v_req), V_TIME - 300), 0);
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(v_req, sizeof v_req), V_TIME - 301), DNS_ETSIG_BADTIME);
	xu_expect(dns_tsig_server_verify(&s, &k256, 1, parse(v_req, sizeof v_req), V_TIME + 1000), DNS_ETSIG_BADTIME);
	assert_null(dns_tsig_key_name(&s));
	uint8_t b[512];
	memcpy(b, v_badtime_unsigned, sizeof v_badtime_unsigned);
	xu_expect(dns_tsig_sign(&s, b, sizeof v_badtime_unsigned, sizeof b, V_TIME + 1000),
		(int)sizeof v_badtime);
	assert_memory_equal(b, v_badtime, sizeof v_badtime);
	/* The client sees a refusal it can read. */
	struct dns_tsig c;
	dns_tsig_client_init(&c, &k256, 300);
	memcpy(b, v_query, sizeof v_query);
	assert_true(dns_tsig_sign(&c, b, sizeof v_query, sizeof b, V_TIME) > 0);
	xu_expect(dns_tsig_client_verify(&c, parse(v_badtime, sizeof v_badtime), V_TIME), DNS_ETSIG_REJECTED);
	assert_int_equal(dns_tsig_peer_error(&c), DNS_TSIG_BADTIME);
}

/* RFC 8945 5.2.2.1 (MAC size, FORMERR) and 5.2.4 (BADTRUNC). */
static void test_server_truncation(void **st)
{
	(void)st;
	struct dns_tsig s;
	struct dns_tsig_key k = k256;
	/* 16 octets: allowed by the RFC, refused by the default policy. */
	xu_expect(dns_tsig_server_verify(&s, &k, 1, parse(v_req_trunc, sizeof v_req_trunc), V_TIME),
		DNS_ETSIG_BADTRUNC);
	assert_int_equal(dns_tsig_error_rcode(DNS_ETSIG_BADTRUNC), DNS_RC_NOTAUTH);
	uint8_t b[512];
	size_t n = notauth(b, 0x1234);
	int r = dns_tsig_sign(&s, b, n, sizeof b, V_TIME);
	struct dns_tsig_rr rr;
	xu_expect(dns_tsig_rr_parse(parse(b, (size_t)r), &rr), 0);
	assert_int_equal(rr.error, DNS_TSIG_BADTRUNC);
	assert_int_equal(rr.mac_len, 32); /* signed */
	k.min_mac = 16;
	xu_expect(dns_tsig_server_verify(&s, &k, 1, parse(v_req_trunc, sizeof v_req_trunc), V_TIME), 0);
	/* A 15-octet MAC is below the RFC floor; 33 is above the hash. */
	uint8_t q[512];
	struct dns_msg m;
	assert_int_equal(dns_msg_parse(&m, v_req_trunc, sizeof v_req_trunc), 0);
	size_t macsz = m.tsig_off + 17 + 10 + 13 + 8;
	size_t rdl = m.tsig_off + 17 + 8;
	memcpy(q, v_req_trunc, macsz + 2 + 15);
	q[macsz + 1] = 15;
	memcpy(q + macsz + 2 + 15, v_req_trunc + macsz + 2 + 16, 6);
	q[rdl + 1]--;
	xu_expect(dns_tsig_server_verify(&s, &k, 1, parse(q, sizeof v_req_trunc - 1), V_TIME), DNS_ETSIG_MACSIZE);
	assert_int_equal(dns_tsig_error_rcode(DNS_ETSIG_MACSIZE), DNS_RC_FORMERR);
	n = notauth(b, 0x1234);
	xu_expect(dns_tsig_sign(&s, b, n, sizeof b, V_TIME), (int)n); /* FORMERR goes unsigned */
	memcpy(q, v_req, sizeof v_req);
	assert_int_equal(dns_msg_parse(&m, v_req, sizeof v_req), 0);
	macsz = m.tsig_off + 17 + 10 + 13 + 8;
	rdl = m.tsig_off + 17 + 8;
	memcpy(q, v_req, macsz + 2 + 32);
	q[macsz + 1] = 33;
	q[macsz + 2 + 32] = 0;
	memcpy(q + macsz + 2 + 33, v_req + macsz + 2 + 32, 6);
	q[rdl + 1]++;
	xu_expect(dns_tsig_server_verify(&s, &k, 1, parse(q, sizeof v_req + 1), V_TIME), DNS_ETSIG_MACSIZE);
}

/* The client side of every error, and the 100-message rule. */
static void test_client_errors(void **st)
{
	(void)st;
	uint8_t b[1024];
	struct dns_tsig c;
	/* An unsigned first answer. */
	dns_tsig_client_init(&c, &k256, 300);
	memcpy(b, v_query, sizeof v_query);
	assert_true(dns_tsig_sign(&c, b, sizeof v_query, sizeof b, V_TIME) > 0);
	xu_expect(dns_tsig_client_verify(&c, parse(v_resp2, sizeof v_resp2), V_TIME), DNS_ETSIG_NONE);
	xu_expect(dns_tsig_client_end(&c), DNS_ETSIG_UNSIGNED);
	/* Out of time. */
	xu_expect(dns_tsig_client_verify(&c, parse(v_resp1, sizeof v_resp1), V_TIME + 302), DNS_ETSIG_BADTIME);
	/* A forged MAC. */
	memcpy(b, v_resp1, sizeof v_resp1);
	b[sizeof v_resp1 - 8] ^= 0x80;
	xu_expect(dns_tsig_client_verify(&c, parse(b, sizeof v_resp1), V_TIME), DNS_ETSIG_BADSIG);
	/* Another key. */
	struct dns_tsig_key other = k256;
	xu_name("other.", other.name);
	struct dns_tsig c2;
	dns_tsig_client_init(&c2, &other, 300);
	memcpy(b, v_query, sizeof v_query);
	assert_true(dns_tsig_sign(&c2, b, sizeof v_query, sizeof b, V_TIME) > 0);
	xu_expect(dns_tsig_client_verify(&c2, parse(v_resp1, sizeof v_resp1), V_TIME), DNS_ETSIG_BADKEY);
	/* The right one still goes through after those refusals. */
	xu_expect(dns_tsig_client_verify(&c, parse(v_resp1, sizeof v_resp1), V_TIME), 0);
	/* Messages 3 and 4 out of order (2 missing): the chain breaks. */
	xu_expect(dns_tsig_client_verify(&c, parse(v_resp3, sizeof v_resp3), V_TIME), DNS_ETSIG_BADSIG);
	/* 99 unsigned messages are fine, the 100th is not. */
	for (int i = 0; i < 99; i++)
		xu_expect(dns_tsig_client_verify(&c, parse(v_resp2, sizeof v_resp2), V_TIME), 1);
	xu_expect(dns_tsig_client_verify(&c, parse(v_resp2, sizeof v_resp2), V_TIME), DNS_ETSIG_UNSIGNED);
	xu_expect(dns_tsig_client_end(&c), DNS_ETSIG_UNSIGNED);
	/* Without a key everything passes and nothing is added. */
	dns_tsig_client_init(&c, NULL, 0);
	memcpy(b, v_query, sizeof v_query);
	xu_expect(dns_tsig_sign(&c, b, sizeof v_query, sizeof b, V_TIME), (int)sizeof v_query);
	xu_expect(dns_tsig_client_verify(&c, parse(v_resp2, sizeof v_resp2), V_TIME), 0);
	xu_expect(dns_tsig_client_end(&c), 0);
}

/* Server-side chains: 99 skipped messages at most; sign needs room. */
static void test_server_chain(void **st)
{
	(void)st;
	struct dns_tsig s, c;
	uint8_t b[1024];
	dns_tsig_client_init(&c, &k512, 0);
	memcpy(b, v_query, sizeof v_query);
	int r = dns_tsig_sign(&c, b, sizeof v_query, sizeof b, V_TIME);
	assert_true(r > 0);
	xu_expect(dns_tsig_server_verify(&s, &k512, 1, parse(b, (size_t)r), V_TIME), 0);
	size_t base = strip(v_resp1, sizeof v_resp1, b);
	xu_expect(dns_tsig_skip(&s, b, base), DNS_EINVAL); /* the first must be signed */
	/* No room: the state is unchanged and a retry with room works. */
	xu_expect(dns_tsig_sign(&s, b, base, base + dns_tsig_size(&k512) - 7, V_TIME), DNS_ENOMEM);
	r = dns_tsig_sign(&s, b, base, base + dns_tsig_size(&k512) - 6, V_TIME);
	assert_true(r > 0);
	xu_expect(dns_tsig_client_verify(&c, parse(b, (size_t)r), V_TIME), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 99; i++) {
			xu_expect(dns_tsig_skip(&s, v_resp2, sizeof v_resp2), 0);
			xu_expect(dns_tsig_client_verify(&c, parse(v_resp2, sizeof v_resp2), V_TIME), 1);
		}
		xu_expect(dns_tsig_skip(&s, v_resp2, sizeof v_resp2), DNS_ETSIG_UNSIGNED);
		memcpy(b, v_resp2, sizeof v_resp2);
		r = dns_tsig_sign(&s, b, sizeof v_resp2, sizeof b, V_TIME + (uint64_t)round);
		assert_true(r > 0);
		xu_expect(dns_tsig_client_verify(&c, parse(b, (size_t)r), V_TIME), 0);
	}
	xu_expect(dns_tsig_client_end(&c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_text),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_rr_parse),
		cmocka_unit_test(test_vectors_sha256),
		cmocka_unit_test(test_vectors_sha512),
		cmocka_unit_test(test_vectors_tools),
		cmocka_unit_test(test_server_badkey_badsig),
		cmocka_unit_test(test_server_badtime),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_server_truncation),
		cmocka_unit_test(test_client_errors),
		cmocka_unit_test(test_server_chain),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
