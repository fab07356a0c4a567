/*
 * Interop: the same zone served by Knot (Debian's knotd, started here on a
 * loopback port) and by dns_answer(); every query of the list goes to both
 * and the rcode, AA/TC flags and every record of every section must agree.
 * Skipped when knotd is not installed (or CLOUDLET_NO_INTEROP is set).
 *
 * Deliberate differences, not in the list: UPDATE and other unimplemented
 * opcodes get NOTIMP here (Knot: NOTAUTH for a zone without updates); a
 * query whose question cannot be parsed gets a bare FORMERR header here
 * (Knot echoes QDCOUNT without the question); NSEC3 owners are ordinary
 * names here (Knot keeps them in a separate tree); an RRSIG keeps its own
 * TTL from the zone file (Knot may print the original TTL).
 */
#define _GNU_SOURCE
#include "testutil.h"
#include "signed_zone.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#define KNOTD "/usr/sbin/knotd"

static const char zone_text[] =
	"$ORIGIN example.\n"
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
	"dn DNAME target.example.\n"
	"x.target A 192.0.2.8\n"
	"t1 HINFO \"PC\" \"Linux 6\"\n"
	"t2 TXT \"v=spf1 -all\" \"\\000\\255\\\\\" \"a\\\"b\"\n"
	"t3 NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .\n"
	"t4 SSHFP 4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789\n"
	"t5 RRSIG A 13 2 60 20250101000000 20241201000000 12345 example. aGVsbG8gd29ybGQ=\n"
	"t6 NSEC next.example. A NS SOA MX RRSIG NSEC DNSKEY CAA TYPE1234\n"
	"t7 DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
	"t8 NSEC3PARAM 1 0 12 AABBCCDD\n"
	"t9 TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6\n"
	"t10 SVCB 1 . port=8443 alpn=h2,h3 mandatory=port,alpn\n"
	"t11 HTTPS 1 . alpn=\"h3,h2\" no-default-alpn ipv4hint=192.0.2.1,192.0.2.2 ech=AEn+DQBF ipv6hint=2001:db8::1\n"
	"t12 CAA 0 issue \"letsencrypt.org\"\n"
	"t13 TYPE65280 \\# 3 010203\n"
	"t14 PTR host.example.\n"
	"t15 DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n";

static const struct { const char *name; uint16_t type; int edns; bool dobit; } queries[] = {
	{ "www.example.", DNS_T_A, 0, false }, { "WwW.ExAmple.", DNS_T_AAAA, 0, false },
	{ "example.", DNS_T_MX, 0, false }, { "example.", DNS_T_NS, 0, false },
	{ "example.", DNS_T_SOA, 1232, false }, { "_sip._udp.example.", DNS_T_SRV, 0, false },
	{ "www.example.", DNS_T_ANY, 0, false }, { "example.", DNS_T_ANY, 0, false },
	{ "nothere.example.", DNS_T_A, 0, false }, { "www.example.", DNS_T_TXT, 0, false },
	{ "c.ent.example.", DNS_T_A, 0, false }, { "x.b.c.ent.example.", DNS_T_A, 0, false },
	{ "alias.example.", DNS_T_A, 0, false }, { "chain1.example.", DNS_T_AAAA, 0, false },
	{ "alias.example.", DNS_T_CNAME, 0, false }, { "loop1.example.", DNS_T_A, 0, false },
	{ "out.example.", DNS_T_A, 0, false }, { "dangling.example.", DNS_T_A, 0, false },
	{ "alias.example.", DNS_T_MX, 0, false }, { "Foo.wild.example.", DNS_T_A, 0, false },
	{ "deep.foo.wild.example.", DNS_T_TXT, 0, false }, { "foo.wild.example.", DNS_T_MX, 0, false },
	{ "exists.wild.example.", DNS_T_A, 0, false }, { "sub.exists.wild.example.", DNS_T_A, 0, false },
	{ "*.wild.example.", DNS_T_A, 0, false }, { "x.wcname.example.", DNS_T_A, 0, false },
	{ "host.sub.example.", DNS_T_A, 0, false }, { "sub.example.", DNS_T_NS, 0, false },
	{ "ns.sub.example.", DNS_T_A, 0, false }, { "sub.example.", DNS_T_DS, 1232, true },
	{ "www.example.org.", DNS_T_A, 0, false }, { "x.dn.example.", DNS_T_A, 0, false },
	{ "y.dn.example.", DNS_T_A, 0, false }, { "dn.example.", DNS_T_DNAME, 0, false },
	{ "t1.example.", DNS_T_HINFO, 0, false }, { "t2.example.", DNS_T_TXT, 0, false },
	{ "t3.example.", DNS_T_NAPTR, 0, false }, { "t4.example.", DNS_T_SSHFP, 0, false },
	{ "t6.example.", DNS_T_NSEC, 0, false }, { "t7.example.", DNS_T_DNSKEY, 0, false },
	{ "t8.example.", DNS_T_NSEC3PARAM, 0, false }, { "t9.example.", DNS_T_TLSA, 0, false },
	{ "t10.example.", DNS_T_SVCB, 0, false }, { "t11.example.", DNS_T_HTTPS, 0, false },
	{ "t12.example.", DNS_T_CAA, 0, false }, { "t13.example.", 65280, 0, false },
	{ "t14.example.", DNS_T_PTR, 0, false }, { "t15.example.", DNS_T_DS, 0, false },
	{ "www.example.", DNS_T_A, 4096, true },
};

/* Against the NSEC-signed zone, all with DO: the denial proofs of RFC 4035
 * 3.1.3 and the signed and unsigned referrals of 3.1.4. */
static const struct { const char *name; uint16_t type; } signed_queries[] = {
	{ "www.example.", DNS_T_A }, { "nothere.example.", DNS_T_A }, { "www.example.", DNS_T_TXT },
	{ "c.ent.example.", DNS_T_A }, { "b.c.ent.example.", DNS_T_TXT }, { "x.b.c.ent.example.", DNS_T_A },
	{ "foo.wild.example.", DNS_T_A }, { "foo.wild.example.", DNS_T_MX },
	{ "exists.wild.example.", DNS_T_A }, { "sub.exists.wild.example.", DNS_T_A },
	{ "x.wcname.example.", DNS_T_A }, { "host.sub.example.", DNS_T_A },
	{ "host.insecure.example.", DNS_T_A }, { "sub.example.", DNS_T_DS },
	{ "insecure.example.", DNS_T_DS }, { "example.", DNS_T_DNSKEY }, { "alias.example.", DNS_T_A },
	{ "aaa.example.", DNS_T_A }, { "zzz.example.", DNS_T_A }, { "example.", DNS_T_ANY },
};

static char dir[64];
static pid_t knot = -1;
static int port;
static struct dns_zparser parser;
static uint8_t arena[1 << 18];
static struct dns_zone zone;

static void write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A loopback port free for both UDP and TCP right now (Knot binds both). */
static int free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t l = sizeof a;
		int p = -1;
		if (bind(u, (struct sockaddr *)&a, sizeof a) == 0 &&
		    getsockname(u, (struct sockaddr *)&a, &l) == 0 &&
		    bind(t, (struct sockaddr *)&a, sizeof a) == 0)
			p = ntohs(a.sin_port);
		close(u);
		close(t);
		if (p > 0)
			return p;
	}
	fail_msg("no free port");
	return -1;
}

static int exchange(const uint8_t *q, size_t ql, uint8_t *resp, size_t cap)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 0, 300000 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(s, q, ql, 0, (struct sockaddr *)&a, sizeof a);
	int n = (int)recv(s, resp, cap, 0);
	close(s);
	return n;
}

static size_t make_query(uint8_t *q, const char *name, uint16_t type, int edns, bool dobit)
{
	uint8_t n[DNS_NAME_MAX];
	struct dns_msgw w;
	dns_msgw_init(&w, q, 512, NULL, 0, 0x5151, 0);
	dns_msgw_question(&w, name_wire(name, n), type, DNS_C_IN);
	if (edns)
		dns_msgw_opt(&w, (uint16_t)edns, 0, 0, dobit ? DNS_EDNS_DO : 0, NULL, 0);
	return (size_t)dns_msgw_finish(&w);
}

static int start(const char *ztext)
{
	knot = -1;
	dir[0] = 0;
	if (getenv("CLOUDLET_NO_INTEROP") || access(KNOTD, X_OK) != 0)
		return 0;
	strcpy(dir, "/tmp/cloudlet-dns-interop-XXXXXX");
	if (!mkdtemp(dir))
		return 0;
	/* The port may be taken between the probe and Knot's bind: retry. */
	bool up = false;
	for (int attempt = 0; attempt < 3 && !up; attempt++) {
		port = free_port();
		char conf[1024];
		snprintf(conf, sizeof conf,
			"server:\n    listen: 127.0.0.1@%d\n    rundir: %s\n"
			"log:\n  - target: stderr\n    any: critical\n"
			"database:\n    storage: %s\n"
			"zone:\n  - domain: example.\n    file: %s/example.zone\n"
			"    journal-content: none\n    zonefile-sync: -1\n", port, dir, dir, dir);
		write_file("knot.conf", conf);
		write_file("example.zone", ztext);
		knot = fork();
		if (knot == 0) {
			char cpath[128];
			snprintf(cpath, sizeof cpath, "%s/knot.conf", dir);
			execl(KNOTD, "knotd", "-c", cpath, (char *)NULL);
			_exit(127);
		}
		/* Wait until Knot answers (up to ~5 s), or has died. */
		uint8_t q[512], r[4096];
		size_t ql = make_query(q, "example.", DNS_T_SOA, 0, false);
		for (int i = 0; i < 50 && !up; i++) {
			if (waitpid(knot, NULL, WNOHANG) == knot) {
				knot = -1;
				break;
			}
			if (exchange(q, ql, r, sizeof r) > 0)
				up = true;
			else
				usleep(100000);
		}
		if (!up && knot > 0) {
			kill(knot, SIGTERM);
			waitpid(knot, NULL, 0);
			knot = -1;
		}
	}
	if (!up)
		return 0; /* the test skips */
	struct dns_zone_err ze;
	char msg[256];
	int rc = load_zone(&zone, &parser, "example.", ztext, arena, sizeof arena, &ze, msg, sizeof msg);
	if (rc)
		fail_msg("zone: %s %s", dns_strerror(rc), msg);
	return 0;
}

static int setup_plain(void **st)
{
	(void)st;
	return start(zone_text);
}

static int setup_signed(void **st)
{
	(void)st;
	return start(signed_zone_text());
}

static int teardown(void **st)
{
	(void)st;
	if (knot > 0) {
		kill(knot, SIGTERM);
		waitpid(knot, NULL, 0);
	}
	if (dir[0]) {
		char cmd[160];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 0;
	}
	knot = -1;
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the lines after the first: the order of records inside a section
 * is free (Knot puts all RRSIGs last, libdns each after its RRset). */
static void sort_records(char *buf)
{
	char *rest = strchr(buf, '\n');
	if (!rest)
		return;
	rest++;
	static char copy[16384];
	strcpy(copy, rest);
	char *lines[256];
	int n = 0;
	for (char *t = strtok(copy, "\n"); t && n < 256; t = strtok(NULL, "\n"))
		lines[n++] = t;
	qsort(lines, (size_t)n, sizeof *lines, cmp_line);
	size_t o = 0;
	for (int i = 0; i < n; i++)
		o += (size_t)sprintf(rest + o, "%s\n", lines[i]);
}

/* rcode, AA, TC, then each record as text (OPT as its size and DO). */
static void summary(const uint8_t *b, int n, char *out, size_t cap)
{
	struct dns_msg m;
	size_t o = 0;
	int r = n > 0 ? dns_msg_parse(&m, b, (size_t)n) : DNS_ETRUNC;
	if (r) {
		snprintf(out, cap, "unparseable: %s\n", dns_strerror(r));
		return;
	}
	o += (size_t)snprintf(out + o, cap - o, "rcode=%d aa=%d tc=%d\n", dns_msg_rcode(&m),
		!!(m.hdr.flags & DNS_F_AA), !!(m.hdr.flags & DNS_F_TC));
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&m, &it);
	while (dns_msg_next(&m, &it, &rr) && o < cap - 1) {
		if (rr.type == DNS_T_OPT) {
			o += (size_t)snprintf(out + o, cap - o, "%d OPT do=%d\n", rr.section, !!(rr.ttl & 0x8000));
			continue;
		}
		uint8_t rd[4096];
		char t[8192];
		int k = dns_rdata_unpack(m.wire, m.len, rr.rdoff, rr.rdlen, rr.type, rd, sizeof rd);
		if (k < 0 || dns_rr_to_text(rr.owner, rr.type, rr.rclass, rr.ttl, rd, (size_t)k, t, sizeof t) < 0)
			strcpy(t, "(bad record)");
		o += (size_t)snprintf(out + o, cap - o, "%d %s\n", rr.section, t);
	}
	sort_records(out);
}

static int compare(const char *name, uint16_t type, int edns, bool dobit)
{
	const struct dns_zone *zones[1] = { &zone };
	uint8_t q[512];
	static uint8_t kb[65535], mb[65535];
	size_t ql = make_query(q, name, type, edns, dobit);
	int kn = exchange(q, ql, kb, sizeof kb);
	uint16_t ctab[64];
	struct dns_answer_opts ao = { false, 1232 };
	int mn = dns_answer(zones, 1, q, ql, mb, sizeof mb, ctab, 64, &ao);
	static char ks[16384], ms[16384];
	summary(kb, kn, ks, sizeof ks);
	summary(mb, mn, ms, sizeof ms);
	if (strcmp(ks, ms) == 0)
		return 0;
	print_message("%s %u:\n-- knot\n%s-- libdns\n%s", name, type, ks, ms);
	return 1;
}

static void test_same_as_knot(void **st)
{
	(void)st;
	if (knot <= 0)
		skip();
	int diffs = 0;
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
		diffs += compare(queries[i].name, queries[i].type, queries[i].edns, queries[i].dobit);
	assert_int_equal(diffs, 0);
}

static void test_signed_same_as_knot(void **st)
{
	(void)st;
	if (knot <= 0)
		skip();
	int diffs = 0;
	for (size_t i = 0; i < sizeof signed_queries / sizeof signed_queries[0]; i++) {
		diffs += compare(signed_queries[i].name, signed_queries[i].type, 1232, true);
		diffs += compare(signed_queries[i].name, signed_queries[i].type, 0, false);
	}
	assert_int_equal(diffs, 0);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_same_as_knot),
	};
	const struct CMUnitTest sign[] = {
		cmocka_unit_test(test_signed_same_as_knot),
	};
	int r = cmocka_run_group_tests_name("plain zone", plain, setup_plain, teardown);
	return r | cmocka_run_group_tests_name("signed zone", sign, setup_signed, teardown);
}
