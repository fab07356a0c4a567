/* Zone files: every syntax item, every typed RDATA round trip, every error. */
#include "testutil.h"
#include <stdlib.h>

static struct dns_zparser parser;

#define MAXRR 64
struct got {
	int n;
	char text[MAXRR][8192];
	unsigned line[MAXRR];
	const char *file[MAXRR];
	uint8_t rdata[MAXRR][700];
	uint16_t rdlen[MAXRR];
};
static struct got got;

static int collect(void *ctx, const struct dns_zrr *rr)
{
	struct got *g = ctx;
	assert_true(g->n < MAXRR);
	int r = dns_rr_to_text(rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen,
		g->text[g->n], sizeof g->text[0]);
	if (r < 0)
		fail_msg("to_text: %s", dns_strerror(r));
	g->line[g->n] = rr->line;
	g->file[g->n] = rr->file;
	if (rr->rdlen <= sizeof g->rdata[0]) {
		memcpy(g->rdata[g->n], rr->rdata, rr->rdlen);
		g->rdlen[g->n] = rr->rdlen;
	}
	g->n++;
	return 0;
}

static char errbuf[256];
static struct dns_zerror zerr;

static int include_cb(void *ctx, const char *path, size_t len, const uint8_t **text,
	size_t *tlen, const char **file)
{
	(void)ctx;
	static const char sub[] = "sub1 A 192.0.2.7\n$ORIGIN other.\nx A 192.0.2.8\n";
	static const char deep[] = "$INCLUDE deep.zone\n";
	if (len == 8 && memcmp(path, "sub.zone", 8) == 0) {
		*text = (const uint8_t *)sub;
		*tlen = sizeof sub - 1;
		*file = "sub.zone";
		return 0;
	}
	if (len == 9 && memcmp(path, "deep.zone", 9) == 0) {
		*text = (const uint8_t *)deep;
		*tlen = sizeof deep - 1;
		*file = "deep.zone";
		return 0;
	}
	return -1;
}

static int parse_text(const char *text, const char *origin, bool include)
{
	uint8_t o[DNS_NAME_MAX];
	memset(&got, 0, sizeof got);
	struct dns_zopts opts = {
		.file = "t.zone",
		.origin = origin ? name_wire(origin, o) : NULL,
		.rclass = DNS_C_IN,
		.rr = collect,
		.rr_ctx = &got,
		.include = include ? include_cb : NULL,
		.errmsg = errbuf,
		.errcap = sizeof errbuf,
	};
	size_t len = strlen(text);
	return dns_zone_parse(&parser, &opts, guard(text, len), len, &zerr);
}

static void expect_ok(const char *text, int n)
{
	int r = parse_text(text, "example.", false);
	if (r != n)
		fail_msg("parse gave %d (%s: %s), want %d records", r, dns_strerror(r), errbuf, n);
}

static void test_syntax(void **st)
{
	(void)st;
	const char *z =
		"; a comment line\n"
		"$TTL 1h\n"
		"@\tIN SOA ns1 hostmaster.example. (\n"
		"\t\t2024010101 ; serial\n"
		"\t\t7200 3600 1209600\n"
		"\t\t300 )\n"
		"\tNS ns1\n"
		"\tNS ns2.example.\n"
		"ns1 60 A 192.0.2.1\n"
		"ns2 IN 120 A 192.0.2.2\n"
		"    AAAA 2001:db8::2 ; owner repeated\n"
		"\n"
		"   ; blank-start comment line\n"
		"txt CLASS1 TXT \"a \\\"quoted\\\" string\" plain \\065\\066C \"semi;colon\" \"\"\n"
		"$ORIGIN sub.example.\n"
		"www TYPE1 \\# 4 C0000203\n"
		"any TYPE65280 \\# 3 01 0203\n"
		"empty TYPE65281 \\# 0\n"
		"$TTL 2d3h\n"
		"ttl A 192.0.2.4\n"
		"Case.Preserved.example. A 192.0.2.5\n";
	expect_ok(z, 12);
	assert_string_equal(got.text[0], "example.\t3600\tIN\tSOA\tns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300");
	assert_int_equal(got.line[0], 3);
	assert_string_equal(got.file[0], "t.zone");
	assert_string_equal(got.text[1], "example.\t3600\tIN\tNS\tns1.example.");
	assert_string_equal(got.text[2], "example.\t3600\tIN\tNS\tns2.example.");
	assert_string_equal(got.text[3], "ns1.example.\t60\tIN\tA\t192.0.2.1");
	assert_string_equal(got.text[4], "ns2.example.\t120\tIN\tA\t192.0.2.2");
	/* RFC 2308: with $TTL an omitted TTL is $TTL, not the previous one. */
	assert_string_equal(got.text[5], "ns2.example.\t3600\tIN\tAAAA\t2001:db8::2");
	assert_string_equal(got.text[6], "txt.example.\t3600\tIN\tTXT\t\"a \\\"quoted\\\" string\" \"plain\" \"ABC\" \"semi;colon\" \"\"");
	assert_string_equal(got.text[7], "www.sub.example.\t3600\tIN\tA\t192.0.2.3");
	assert_string_equal(got.text[8], "any.sub.example.\t3600\tIN\tTYPE65280\t\\# 3 010203");
	assert_string_equal(got.text[9], "empty.sub.example.\t3600\tIN\tTYPE65281\t\\# 0");
	assert_string_equal(got.text[10], "ttl.sub.example.\t183600\tIN\tA\t192.0.2.4");
	assert_string_equal(got.text[11], "Case.Preserved.example.\t183600\tIN\tA\t192.0.2.5");
	assert_int_equal(got.line[11], 21);

	/* RFC 1035: without $TTL an omitted TTL is the last explicit one. */
	expect_ok("a 300 A 192.0.2.1\nb A 192.0.2.2\n", 2);
	assert_string_equal(got.text[1], "b.example.\t300\tIN\tA\t192.0.2.2");
	/* TTL and class in either order; no final newline. */
	expect_ok("a IN 5 A 192.0.2.1\nb 6 IN A 192.0.2.2", 2);
	assert_string_equal(got.text[1], "b.example.\t6\tIN\tA\t192.0.2.2");
	/* A zone without any TTL takes the SOA MINIMUM. */
	expect_ok("@ SOA ns hm 1 2 3 4 99\n", 1);
	assert_string_equal(got.text[0], "example.\t99\tIN\tSOA\tns.example. hm.example. 1 2 3 4 99");
	/* A relative $ORIGIN is relative to the current one. */
	expect_ok("$ORIGIN sub\na 1 A 192.0.2.1\n$ORIGIN deeper\n@ 1 A 192.0.2.2\n", 2);
	assert_string_equal(got.text[0], "a.sub.example.\t1\tIN\tA\t192.0.2.1");
	assert_string_equal(got.text[1], "deeper.sub.example.\t1\tIN\tA\t192.0.2.2");
	/* CRLF line ends. */
	expect_ok("a 1 A 192.0.2.1\r\nb 1 A 192.0.2.2\r\n", 2);
}

static void test_txt_split(void **st)
{
	(void)st;
	char z[1200];
	strcpy(z, "t 1 TXT \"");
	size_t n = strlen(z);
	for (int i = 0; i < 600; i++)
		z[n++] = (char)('a' + i % 26);
	strcpy(z + n, "\"\n");
	expect_ok(z, 1);
	/* 600 octets -> 255 + 255 + 90, each with its length octet. */
	assert_int_equal(got.rdlen[0], 603);
	assert_int_equal(got.rdata[0][0], 255);
	assert_int_equal(got.rdata[0][256], 255);
	assert_int_equal(got.rdata[0][512], 90);
	/* HINFO fields are single strings: no splitting there. */
	strcpy(z, "h 1 HINFO \"");
	n = strlen(z);
	for (int i = 0; i < 256; i++)
		z[n++] = 'x';
	strcpy(z + n, "\" os\n");
	assert_int_equal(parse_text(z, "example.", false), DNS_ESTR_LEN);
	assert_string_equal(errbuf, "t.zone:1:11: expected a character-string of at most 255 octets, got \"\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
	/* 260 strings of 255 octets: more RDATA than 65535 octets. */
	static char huge[70000];
	strcpy(huge, "t 1 TXT");
	n = strlen(huge);
	for (int i = 0; i < 260; i++) {
		huge[n++] = ' ';
		memset(huge + n, 'y', 255);
		n += 255;
	}
	strcpy(huge + n, "\n");
	assert_int_equal(parse_text(huge, "example.", false), DNS_EZ_RDLEN);
	assert_string_equal(errbuf, "t.zone:1:9: expected RDATA of at most 65535 octets");
}

static void test_include(void **st)
{
	(void)st;
	const char *z = "a 1 A 192.0.2.1\n$INCLUDE sub.zone\nb 1 A 192.0.2.2\n$INCLUDE \"sub.zone\" inc.example.\n";
	int r = parse_text(z, "example.", true);
	if (r != 6)
		fail_msg("include: %d %s", r, errbuf);
	assert_string_equal(got.text[1], "sub1.example.\t1\tIN\tA\t192.0.2.7");
	assert_string_equal(got.file[1], "sub.zone");
	assert_int_equal(got.line[1], 1);
	assert_string_equal(got.text[2], "x.other.\t1\tIN\tA\t192.0.2.8");
	/* The included file's $ORIGIN does not leak back (RFC 1035 5.1). */
	assert_string_equal(got.text[3], "b.example.\t1\tIN\tA\t192.0.2.2");
	assert_string_equal(got.file[3], "t.zone");
	assert_string_equal(got.text[4], "sub1.inc.example.\t1\tIN\tA\t192.0.2.7");

	assert_int_equal(parse_text(z, "example.", false), DNS_EZ_INCLUDE);
	assert_string_equal(errbuf, "t.zone:2:1: expected no $INCLUDE (disabled), got \"$INCLUDE\"");
	assert_int_equal(parse_text("$INCLUDE nope.zone\n", "example.", true), DNS_EZ_INCLUDE);
	assert_string_equal(errbuf, "t.zone:1:10: expected a file $INCLUDE can open, got \"nope.zone\"");
	assert_int_equal(parse_text("$INCLUDE\n", "example.", true), DNS_EZ_MISSING);
	assert_string_equal(errbuf, "t.zone:1:9: expected a file name after $INCLUDE, got the end of the record");
	assert_int_equal(parse_text("$INCLUDE deep.zone\n", "example.", true), DNS_EZ_INCLUDE);
	assert_string_equal(zerr.file, "deep.zone");
	assert_string_equal(errbuf, "deep.zone:1:10: expected $INCLUDE nested at most 8 deep, got \"deep.zone\"");
}

/* Each typed RDATA: text -> wire -> text gives the canonical text, and the
 * canonical text parses to the same wire. */
static const char *const rtrip[][2] = {
	{ "A 192.0.2.1", NULL },
	{ "NS ns.example.", NULL },
	{ "CNAME target", "CNAME target.example." },
	{ "SOA ns hm 1 2h 1h 1w 5m", "SOA ns.example. hm.example. 1 7200 3600 604800 300" },
	{ "PTR host.example.", NULL },
	{ "HINFO \"PC\" \"Linux 6\"", NULL },
	{ "HINFO PC Linux", "HINFO \"PC\" \"Linux\"" },
	{ "MX 10 mail.example.", NULL },
	{ "TXT \"v=spf1 -all\"", NULL },
	{ "TXT \"\\000\\255\\\\\"", NULL },
	{ "AAAA 2001:db8::1", NULL },
	{ "AAAA 2001:DB8:0:0:1:0:0:1", "AAAA 2001:db8::1:0:0:1" },
	{ "AAAA ::", NULL },
	{ "AAAA ::ffff:192.0.2.1", "AAAA ::ffff:c000:201" },
	{ "AAAA 1:2:3:4:5:6:7:8", NULL },
	{ "SRV 0 5 5060 sip.example.", NULL },
	{ "NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .", NULL },
	{ "DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", NULL },
	{ "DS 60485 5 1 2BB183AF5F22588179A5 3B0A98631FAD1A292118", "DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118" },
	{ "SSHFP 4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789", NULL },
	{ "RRSIG A 13 2 3600 20250101000000 20241201000000 12345 example. aGVsbG8gd29ybGQ=", NULL },
	{ "RRSIG TYPE1234 8 3 60 1735689600 1733011200 1 example. AAAA", "RRSIG TYPE1234 8 3 60 20250101000000 20241201000000 1 example. AAAA" },
	{ "NSEC next.example. A NS SOA MX RRSIG NSEC DNSKEY CAA TYPE1234", NULL },
	{ "NSEC next.example.", NULL },
	{ "DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==", NULL },
	{ "DNSKEY 256 3 8 AwEA AAAA", "DNSKEY 256 3 8 AwEAAAAA" },
	{ "NSEC3 1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG", "NSEC3 1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM" },
	{ "NSEC3 1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR", "NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
	{ "NSEC3PARAM 1 0 12 AABBCCDD", NULL },
	{ "NSEC3PARAM 1 0 0 -", NULL },
	{ "TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6", NULL },
	{ "SVCB 0 svc.example.", NULL },
	{ "SVCB 1 . port=8443 alpn=h2,h3 mandatory=port,alpn", "SVCB 1 . mandatory=alpn,port alpn=\"h2,h3\" port=8443" },
	{ "HTTPS 1 . alpn=\"h3,h2\" no-default-alpn ipv4hint=192.0.2.1,192.0.2.2 ech=AEn+DQBF ipv6hint=2001:db8::1,2001:db8::2", NULL },
	{ "HTTPS 1 . key667=hello key668 key669=\"a\\\\010b\"", "HTTPS 1 . key667=\"hello\" key668 key669=\"a\\\\010b\"" },
	{ "HTTPS 1 . alpn=\"a\\\\\\\\,b,c\\\\,d\"", "HTTPS 1 . alpn=\"a\\\\\\\\,b,c\\\\,d\"" },
	{ "CAA 0 issue \"letsencrypt.org\"", NULL },
	{ "CAA 128 tbs \"Unknown\"", NULL },
	{ "CAA 0 iodef \"\"", NULL },
	{ "DNAME other.example.", NULL },
	{ "TYPE99 \\# 5 0468656C6C", "SPF \\# 5 0468656C6C" },
	{ "A \\# 4 7F000001", "A 127.0.0.1" },
	{ "MX \\# 11 000A046D61696C00", NULL }, /* wrong length: error below */
};

static void test_round_trip(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof rtrip / sizeof rtrip[0]; i++) {
		char z[600], want[600];
		snprintf(z, sizeof z, "o 60 IN %s\n", rtrip[i][0]);
		int r = parse_text(z, "example.", false);
		if (i == sizeof rtrip / sizeof rtrip[0] - 1) {
			assert_int_equal(r, DNS_EZ_GENERIC);
			continue;
		}
		if (r != 1)
			fail_msg("%s: %s (%s)", rtrip[i][0], dns_strerror(r), errbuf);
		snprintf(want, sizeof want, "o.example.\t60\tIN\t%s", rtrip[i][1] ? rtrip[i][1] : rtrip[i][0]);
		/* The printed form separates type and RDATA with a tab. */
		char *sp = strchr(want + 17, ' ');
		if (sp)
			*sp = '\t';
		if (strcmp(got.text[0], want) != 0)
			fail_msg("%s:\n got  %s\n want %s", rtrip[i][0], got.text[0], want);
		uint8_t wire[600];
		uint16_t wl = got.rdlen[0];
		memcpy(wire, got.rdata[0], wl);
		char again[8300];
		snprintf(again, sizeof again, "%s\n", got.text[0]);
		r = parse_text(again, NULL, false);
		if (r != 1 || got.rdlen[0] != wl || memcmp(got.rdata[0], wire, wl) != 0)
			fail_msg("%s: the printed text does not parse back (%s)", rtrip[i][0], errbuf);
	}
}

/* Every error: code, line, column and the exact message. */
static const struct {
	const char *text;
	int code;
	unsigned line, col;
	const char *msg;
} errors[] = {
	{ "a 1 A 192.0.2.1\nb 1 A 192.0.2\n", DNS_EZ_ADDR, 2, 7, "expected an IPv4 address, got \"192.0.2\"" },
	{ "a 1 AAAA 1::2::3\n", DNS_EZ_ADDR, 1, 10, "expected an IPv6 address, got \"1::2::3\"" },
	{ "a 1 A\n", DNS_EZ_MISSING, 1, 6, "expected an IPv4 address, got the end of the record" },
	{ "a 1 A 192.0.2.1 extra\n", DNS_EZ_EXTRA, 1, 17, "expected the end of the record, got \"extra\"" },
	{ "a 1 FOO 1\n", DNS_EZ_TYPE, 1, 5, "expected a class or type, got \"FOO\"" },
	{ "a IN FOO 1\n", DNS_EZ_TYPE, 1, 6, "expected a TTL or type, got \"FOO\"" },
	{ "a 1 IN FOO 1\n", DNS_EZ_TYPE, 1, 8, "expected a type, got \"FOO\"" },
	{ "a\n", DNS_EZ_MISSING, 1, 2, "expected a TTL, class or type, got the end of the record" },
	{ "a 1x A 192.0.2.1\n", DNS_EZ_TTL, 1, 3, "expected a TTL (0 to 2147483647, units s m h d w), got \"1x\"" },
	{ "a 2147483648 A 192.0.2.1\n", DNS_EZ_TTL, 1, 3, "expected a TTL (0 to 2147483647, units s m h d w), got \"2147483648\"" },
	{ "a 1 CH A 192.0.2.1\n", DNS_EZ_CLASS, 1, 5, "expected the zone's class, got \"CH\"" },
	{ " 1 A 192.0.2.1\n", DNS_EZ_NO_OWNER, 1, 2, "expected an owner name (no previous owner), got \"1\"" },
	{ "a A 192.0.2.1\n", DNS_EZ_NO_TTL, 1, 1, "expected a TTL (no $TTL and no previous TTL)" },
	{ "$FOO x\n", DNS_EZ_DIRECTIVE, 1, 1, "expected $ORIGIN, $TTL or $INCLUDE, got \"$FOO\"" },
	{ "$TTL\n", DNS_EZ_MISSING, 1, 5, "expected a TTL after $TTL, got the end of the record" },
	{ "$TTL 1 2\n", DNS_EZ_EXTRA, 1, 8, "expected the end of the line after $TTL TTL, got \"2\"" },
	{ "$ORIGIN a..b.\n", DNS_EZ_NAME, 1, 9, "expected a domain name, got \"a..b.\"" },
	{ "a 1 TXT \"open\n", DNS_EZ_QUOTE, 1, 9, "expected a closing quote on the same line, got \"\"open\"" },
	{ "a 1 TXT \"open", DNS_EZ_QUOTE, 1, 9, "expected a closing quote, got \"\"open\"" },
	{ "a 1 TXT \"\\25x\"\n", DNS_EZ_ESCAPE, 1, 9, "expected a character-string with \\X or \\DDD (0-255) escapes, got \"\"\\25x\"\"" },
	{ "a 1 TXT \\256\n", DNS_EZ_ESCAPE, 1, 9, "expected a character-string with \\X or \\DDD (0-255) escapes, got \"\\256\"" },
	{ "a 1 SOA ns hm ( 1 2 3 4 5\n", DNS_EZ_PAREN, 2, 1, "expected \")\" before the end of the file, got the end of the record" },
	{ "a 1 A 192.0.2.1 )\n", DNS_EZ_PAREN, 1, 17, "expected no \")\" without \"(\", got \")\"" },
	{ "a 1 MX 65536 mx\n", DNS_EZ_NUMBER, 1, 8, "expected a number (0-65535), got \"65536\"" },
	{ "a 1 MX -1 mx\n", DNS_EZ_NUMBER, 1, 8, "expected a number (0-65535), got \"-1\"" },
	{ "a 1 TYPE65280 01\n", DNS_EZ_GENERIC, 1, 15, "expected \\# and hex RDATA for this type (RFC 3597 5), got \"01\"" },
	{ "a 1 TYPE65280 \\# 2 01\n", DNS_EZ_GENERIC, 1, 18, "expected as many hex octets as the \\# length, got \"2\"" },
	{ "a 1 TYPE65280 \\# x\n", DNS_EZ_GENERIC, 1, 18, "expected the RDATA length (0-65535) after \\#, got \"x\"" },
	{ "a 1 TYPE65280 \\# 1 0g\n", DNS_EZ_HEX, 1, 20, "expected hex digits after the \\# length, got \"0g\"" },
	{ "a 1 A \\# 3 010203\n", DNS_ERDATA_SHORT, 1, 7, "expected RDATA valid for its type" },
	{ "a 1 DS 1 2 3 0g\n", DNS_EZ_HEX, 1, 14, "expected an even number of hex digits, got \"0g\"" },
	{ "a 1 DS 1 2 3\n", DNS_EZ_MISSING, 1, 13, "expected hex data, got the end of the record" },
	{ "a 1 DNSKEY 1 3 8 AwE\n", DNS_EZ_BASE64, 1, 18, "expected base64 data (RFC 4648 4, padded), got \"AwE\"" },
	{ "a 1 RRSIG A 8 2 60 2025010100000 1 1 . AA==\n", DNS_EZ_TIME, 1, 20, "expected a time (YYYYMMDDHHmmSS or seconds), got \"2025010100000\"" },
	{ "a 1 RRSIG A 8 2 60 20250230000000 1 1 . AA==\n", DNS_EZ_TIME, 1, 20, "expected a time (YYYYMMDDHHmmSS or seconds), got \"20250230000000\"" },
	{ "a 1 NSEC b FOO\n", DNS_EZ_TYPE, 1, 12, "expected a type in the bitmap, got \"FOO\"" },
	{ "a 1 NSEC3 1 0 0 xyz 2t7b4g4v\n", DNS_EZ_HEX, 1, 17, "expected a salt (hex or \"-\"), got \"xyz\"" },
	{ "a 1 NSEC3 1 0 0 - 2t7b4g4w\n", DNS_EZ_HEX, 1, 19, "expected a hashed owner name (base32hex), got \"2t7b4g4w\"" },
	{ "a 1 SVCB 1 . foo=1\n", DNS_EZ_SVC, 1, 14, "expected a SvcParamKey (mandatory, alpn, no-default-alpn, port, ipv4hint, ech, ipv6hint, keyNNNNN), got \"foo=1\"" },
	{ "a 1 SVCB 1 . port=99999\n", DNS_EZ_SVC, 1, 14, "expected a valid value for this SvcParamKey, got \"port=99999\"" },
	{ "a 1 SVCB 1 . port=1 port=2\n", DNS_EZ_SVC, 1, 14, "expected each SvcParamKey once, got \"port=1\"" },
	{ "a 1 SVCB 1 . mandatory=alpn port=1\n", DNS_EZ_SVC, 1, 14, "expected every key listed in mandatory to be present, got \"mandatory=alpn\"" },
	{ "a 1 SVCB 1 . mandatory=mandatory\n", DNS_EZ_SVC, 1, 14, "expected a valid value for this SvcParamKey, got \"mandatory=mandatory\"" },
	{ "a 1 SVCB 1 . no-default-alpn=x\n", DNS_EZ_SVC, 1, 14, "expected a valid value for this SvcParamKey, got \"no-default-alpn=x\"" },
	{ "a 1 SVCB 1 . ipv6hint=1.2.3.4\n", DNS_EZ_SVC, 1, 14, "expected a valid value for this SvcParamKey, got \"ipv6hint=1.2.3.4\"" },
	{ "a 1 CAA 0 is-sue \"x\"\n", DNS_ECAA_TAG, 1, 11, "expected a CAA tag (letters and digits), got \"is-sue\"" },
	{ "a 1 CNAME \"x\"\n", DNS_EZ_NAME, 1, 11, "expected a domain name, not a quoted string, got \"\"x\"\"" },
	{ "a 1 CNAME x..y\n", DNS_EZ_NAME, 1, 11, "expected a domain name, got \"x..y\"" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 A 192.0.2.1\n", DNS_ELABEL_LEN, 1, 1, "expected a domain name with labels of at most 63 octets, got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"" },
	{ "$ORIGIN\n", DNS_EZ_MISSING, 1, 8, "expected a domain name after $ORIGIN, got the end of the record" },
	{ "$TTL 1y\n", DNS_EZ_TTL, 1, 6, "expected a TTL (0 to 2147483647, units s m h d w), got \"1y\"" },
	{ "\"q\" 1 A 192.0.2.1\n", DNS_EZ_NAME, 1, 1, "expected a domain name, not a quoted string, got \"\"q\"\"" },
	{ "a 1 SOA ns hm 1 2x 3 4 5\n", DNS_EZ_TTL, 1, 17, "expected a time value (0 to 2147483647, units s m h d w), got \"2x\"" },
	{ "a 1 RRSIG FOO 8 2 60 1 1 1 . AA==\n", DNS_EZ_TYPE, 1, 11, "expected a type, got \"FOO\"" },
	{ "a 1 TXT\n", DNS_EZ_MISSING, 1, 8, "expected a character-string, got the end of the record" },
	{ "a 1 CAA 0 issue \"\\9\"\n", DNS_EZ_ESCAPE, 1, 17, "expected a CAA value with \\X or \\DDD (0-255) escapes, got \"\"\\9\"\"" },
	{ "a 1 SVCB 1 . alpn=\"\\999\"\n", DNS_EZ_ESCAPE, 1, 14, "expected a SvcParamValue, got \"alpn=\"\\999\"\"" },
	{ "a 1 TXT x\\\n", DNS_EZ_ESCAPE, 1, 9, "expected a character-string with \\X or \\DDD (0-255) escapes, got \"x\\\"" },
	{ "a 1 CNAME \\999\n", DNS_EZ_ESCAPE, 1, 11, "expected a domain name, got \"\\999\"" },
};

static void test_errors(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		int r = parse_text(errors[i].text, "example.", false);
		char want[300];
		snprintf(want, sizeof want, "t.zone:%u:%u: %s", errors[i].line, errors[i].col, errors[i].msg);
		if (r != errors[i].code || zerr.code != r || zerr.line != errors[i].line ||
		    zerr.col != errors[i].col || strcmp(errbuf, want) != 0 || zerr.msg != errbuf)
			fail_msg("case %zu (%s):\n got  %s %s\n want %s %s", i, errors[i].text,
				dns_strerror(r), errbuf, dns_strerror(errors[i].code), want);
	}
	/* No origin: relative names are errors that say so. */
	assert_int_equal(parse_text("a 1 A 192.0.2.1\n", NULL, false), DNS_EZ_NAME);
	assert_string_equal(errbuf, "t.zone:1:1: expected an absolute domain name (no $ORIGIN), got \"a\"");
	/* A callback that refuses stops the parse with its code. */
	memset(&got, 0, sizeof got);
	got.n = MAXRR;
}

static int refuse(void *ctx, const struct dns_zrr *rr)
{
	(void)ctx;
	return rr->type == DNS_T_MX ? DNS_ENOMEM : 0;
}

static void test_callback(void **st)
{
	(void)st;
	const char *z = "a 1 A 192.0.2.1\nb 1 MX 1 a\n";
	struct dns_zopts opts = { .file = "cb", .origin = (const uint8_t *)"\7example", .rr = refuse,
		.errmsg = errbuf, .errcap = sizeof errbuf };
	assert_int_equal(dns_zone_parse(&parser, &opts, guard(z, strlen(z)), strlen(z), &zerr), DNS_ENOMEM);
	assert_int_equal(zerr.code, DNS_ENOMEM);
	assert_int_equal(zerr.line, 2);
	assert_string_equal(errbuf, "cb:2:1: the record was refused");
	/* The caller's default TTL, when the file gives none. */
	memset(&got, 0, sizeof got);
	opts.rr = collect;
	opts.rr_ctx = &got;
	opts.have_default_ttl = true;
	opts.default_ttl = 77;
	const char *nottl = "a A 192.0.2.1\n";
	assert_int_equal(dns_zone_parse(&parser, &opts, guard(nottl, strlen(nottl)), strlen(nottl), &zerr), 1);
	assert_string_equal(got.text[0], "a.example.\t77\tIN\tA\t192.0.2.1");
	opts.have_default_ttl = false;
	/* A tiny error buffer is truncated, never overrun. */
	char tiny[8];
	opts.errmsg = tiny;
	opts.errcap = sizeof tiny;
	opts.rr = NULL;
	const char *bad = "a 1 A x\n";
	assert_int_equal(dns_zone_parse(&parser, &opts, guard(bad, strlen(bad)), strlen(bad), &zerr), DNS_EZ_ADDR);
	assert_string_equal(tiny, "cb:1:7:");
}

/* Random RDATA of each typed type printed and parsed back (seeded). */
static void test_property(void **st)
{
	(void)st;
	static const uint16_t types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_TXT, DNS_T_HINFO, DNS_T_CAA,
		DNS_T_DS, DNS_T_DNSKEY, DNS_T_NSEC, DNS_T_SSHFP, DNS_T_TLSA, DNS_T_MX, 4321 };
	for (uint64_t seed = 1; seed <= 400; seed++) {
		uint64_t s = seed * 0x9E3779B97F4A7C15ULL;
		uint16_t type = types[rng_next(&s) % (sizeof types / sizeof types[0])];
		uint8_t rd[300];
		size_t n = 0;
		switch (type) {
		case DNS_T_A: n = 4; break;
		case DNS_T_AAAA: n = 16; break;
		case DNS_T_TXT: case DNS_T_HINFO: n = 0; break;
		default: n = 5 + rng_next(&s) % 40; break;
		}
		for (size_t i = 0; i < n; i++)
			rd[i] = (uint8_t)rng_next(&s);
		if (type == DNS_T_AAAA && (rng_next(&s) & 1))
			memset(rd + 2 * (rng_next(&s) % 4), 0, 2 * (rng_next(&s) % 5));
		if (type == DNS_T_TXT || type == DNS_T_HINFO) {
			int k = type == DNS_T_HINFO ? 2 : 1 + (int)(rng_next(&s) % 3);
			for (int j = 0; j < k; j++) {
				size_t l = rng_next(&s) % 20;
				rd[n++] = (uint8_t)l;
				for (size_t i = 0; i < l; i++)
					rd[n++] = (uint8_t)rng_next(&s);
			}
		}
		if (type == DNS_T_CAA) {
			n = 0;
			rd[n++] = (uint8_t)rng_next(&s);
			rd[n++] = 5;
			memcpy(rd + n, "issue", 5);
			n += 5;
			for (size_t i = 0, l = rng_next(&s) % 30; i < l; i++)
				rd[n++] = (uint8_t)rng_next(&s);
		}
		if (type == DNS_T_NSEC) {
			n = 0;
			rd[n++] = 1; rd[n++] = 'x'; rd[n++] = 0;
			int win = -1;
			for (int k = 0; k < 3; k++) {
				win += 1 + (int)(rng_next(&s) % 5);
				if (win > 255)
					break;
				size_t l = 1 + rng_next(&s) % 32;
				rd[n++] = (uint8_t)win;
				rd[n++] = (uint8_t)l;
				for (size_t i = 0; i < l; i++)
					rd[n++] = (uint8_t)rng_next(&s);
				rd[n - 1] |= 1;
			}
		}
		if (type == DNS_T_MX) {
			n = 2;
			rd[n++] = 3; memcpy(rd + n, "a.b", 3); n += 3; rd[n++] = 0;
		}
		int ck = dns_rdata_check(type, rd, n);
		if (ck != 0 && dns_type_is_typed(type))
			fail_msg("seed %llu: generated invalid rdata: %s", (unsigned long long)seed, dns_strerror(ck));
		uint8_t owner[DNS_NAME_MAX];
		char text[8192];
		int tl = dns_rr_to_text(name_wire("p.example.", owner), type, DNS_C_IN, 7, rd, n, text, sizeof text - 1);
		if (tl < 0)
			fail_msg("seed %llu: type %u to_text %s", (unsigned long long)seed, type, dns_strerror(tl));
		text[tl] = '\n';
		text[tl + 1] = 0;
		int r = parse_text(text, NULL, false);
		if (r != 1 || got.rdlen[0] != n || memcmp(got.rdata[0], rd, n) != 0)
			fail_msg("seed %llu: %s did not round trip: %s", (unsigned long long)seed, text, errbuf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_txt_split),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_callback),
		cmocka_unit_test(test_property),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
