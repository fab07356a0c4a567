/*
 * Interop with Knot, NSD and BIND (Debian's knot, nsd, bind9), each started
 * by the test on loopback. libdns's secondary side follows a Knot primary
 * (multi-message AXFR with TSIG, up to date, then an IXFR after a change;
 * a wrong key and a missing key refused), and the secondary state machine
 * follows Knot through its own NOTIFY after a reload. A primary built from libdns's
 * generators is followed by a Knot, an NSD and a BIND secondary (AXFR,
 * then a signed NOTIFY and an IXFR after a change, all TSIG-signed), and
 * each secondary's copy, fetched back, equals ours. A test is skipped when
 * its server is not installed.
 */
#define XU_NO_ZONE
#include "xfrutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define SECRET "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static char dir[64];
static pid_t knot = -1;
static int knot_port, our_port;
static struct dns_tsig_key key, wrong;
static uint8_t zone[DNS_NAME_MAX];

static uint64_t wall(void)
{
	return (uint64_t)time(NULL);
}

static void put(const char *name, const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Starts a server (argv) and waits until it accepts on knot_port. */
static void start_peer(char *const argv[], const char *log)
{
	knot = fork();
	if (knot == 0) {
		char lp[160];
		snprintf(lp, sizeof lp, "%s/%s.out", dir, log);
		FILE *o = freopen(lp, "w", stderr);
		(void)o;
		execvp(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		int fd = tcp_connect(knot_port);
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(50000);
	}
	fail_msg("%s did not start (see %s)", argv[0], dir);
}

static void start_knot(const char *zones)
{
	/* Each instance its own database: no state from an earlier one. */
	static int instance;
	char db[128];
	snprintf(db, sizeof db, "%s/db%d", dir, ++instance);
	mkdir(db, 0700);
	char conf[2048];
	snprintf(conf, sizeof conf,
		"server:\n    listen: 127.0.0.1@%d\n    rundir: %s\n"
		"database:\n    storage: %s\n"
		"key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: " SECRET "\n"
		"remote:\n  - id: cloudlet\n    address: 127.0.0.1@%d\n    key: xfr-key\n"
		"acl:\n  - id: xfr\n    key: xfr-key\n    action: [transfer, notify]\n"
		"log:\n  - target: %s/knot.log\n    any: debug\n"
		"zone:\n%s",
		knot_port, dir, db, our_port, dir, zones);
	put("knot.conf", conf);
	char cpath[128];
	snprintf(cpath, sizeof cpath, "%s/knot.conf", dir);
	char *const argv[] = { "knotd", "-c", cpath, NULL };
	start_peer(argv, "knotd");
}

/* NSD as a secondary of our primary. */
static void start_nsd(void)
{
	char conf[2048];
	snprintf(conf, sizeof conf,
		"server:\n    ip-address: 127.0.0.1@%d\n    username: \"\"\n    zonesdir: \"%s\"\n"
		"    database: \"\"\n    pidfile: \"%s/nsd.pid\"\n    xfrdfile: \"%s/xfrd.state\"\n"
		"    zonelistfile: \"%s/zone.list\"\n    logfile: \"%s/nsd.log\"\n    verbosity: 2\n"
		"    xfrd-reload-timeout: 0\n"
		"key:\n    name: \"xfr-key\"\n    algorithm: hmac-sha256\n    secret: \"" SECRET "\"\n"
		"zone:\n    name: \"example.test\"\n    zonefile: \"nsd-secondary.zone\"\n"
		"    request-xfr: 127.0.0.1@%d xfr-key\n    allow-notify: 127.0.0.1 xfr-key\n"
		"    provide-xfr: 127.0.0.1 xfr-key\n",
		knot_port, dir, dir, dir, dir, dir, our_port);
	put("nsd.conf", conf);
	char cpath[128];
	snprintf(cpath, sizeof cpath, "%s/nsd.conf", dir);
	char *const argv[] = { "nsd", "-d", "-c", cpath, NULL };
	start_peer(argv, "nsd");
}

/* BIND as a secondary of our primary. */
static void start_named(void)
{
	char conf[2048];
	snprintf(conf, sizeof conf,
		"options {\n directory \"%s\";\n listen-on port %d { 127.0.0.1; };\n"
		" listen-on-v6 { none; };\n pid-file \"%s/named.pid\";\n recursion no;\n notify no;\n"
		" dnssec-validation no;\n};\n"
		"key \"xfr-key\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
		"controls { };\n"
		"logging { channel f { file \"%s/named.log\"; severity debug 1; print-time yes; };\n"
		" category default { f; }; category xfer-in { f; }; category notify { f; }; };\n"
		"zone \"example.test\" {\n type secondary;\n file \"%s/named-secondary.db\";\n"
		" primaries port %d { 127.0.0.1 key xfr-key; };\n"
		" allow-notify { key xfr-key; };\n allow-transfer { key xfr-key; };\n};\n",
		dir, knot_port, dir, dir, dir, our_port);
	put("named.conf", conf);
	char cpath[128];
	snprintf(cpath, sizeof cpath, "%s/named.conf", dir);
	char *const argv[] = { "named", "-g", "-c", cpath, NULL };
	start_peer(argv, "named");
}

static int stop_knot_td(void **st);

static void stop_knot(void)
{
	if (knot > 0) {
		kill(knot, SIGTERM);
		waitpid(knot, NULL, 0);
		knot = -1;
	}
}

static int stop_knot_td(void **st)
{
	(void)st;
	stop_knot();
	return 0;
}

/* A port nobody listens on now (the kernel's choice). */
static int free_port(int type)
{
	int fd = socket(AF_INET, type, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t l = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &l)) {
		close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

static int setup(void **st)
{
	(void)st;
	if (system("command -v knotd >/dev/null 2>&1 && command -v knotc >/dev/null 2>&1") != 0)
		return 0;
	snprintf(dir, sizeof dir, "/tmp/cloudlet-xfr-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	knot_port = free_port(SOCK_STREAM);
	our_port = free_port(SOCK_STREAM);
	if (knot_port < 0 || our_port < 0 || knot_port == our_port)
		return -1;
	const char *kt = "xfr-key:hmac-sha256:" SECRET;
	const char *wt = "xfr-key:hmac-sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh4=";
	dns_tsig_key_from_text(&key, kt, strlen(kt));
	dns_tsig_key_from_text(&wrong, wt, strlen(wt));
	dns_name_from_text(zone, "example.test.", 13, NULL);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	stop_knot();
	if (dir[0] && !getenv("CLOUDLET_KEEP")) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

#define SKIP_WITHOUT_KNOT()                                                                         \
	do {                                                                                       \
		if (!dir[0])                                                                       \
			skip();                                                                    \
	} while (0)

static int read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 5000) != 1)
			return -1;
		ssize_t r = read(fd, b + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = write(fd, b, n);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_framed(int fd, const uint8_t *m, size_t n)
{
	uint8_t l[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	return write_full(fd, l, 2) || write_full(fd, m, n) ? -1 : 0;
}

/* A transfer from Knot into out; returns the receiver's result. */
static int fetch(uint16_t qtype, const struct dns_tsig_key *k, const struct dns_xset *cur,
	struct dns_xset *out, unsigned *msgs)
{
	int fd = tcp_connect(knot_port);
	assert_true(fd >= 0);
	static struct dns_tsig t;
	dns_tsig_client_init(&t, k, 0);
	uint8_t q[1024];
	struct dns_xrr soa;
	if (cur)
		assert_int_equal(dns_xset_soa(cur, &soa), 0);
	int n = dns_xfr_query(q, sizeof q, 0x5151, zone, qtype, cur ? &soa : NULL, &t, wall());
	assert_true(n > 0);
	assert_int_equal(send_framed(fd, q, (size_t)n), 0);
	struct dns_xfr_rx rx;
	dns_xfr_rx_init(&rx, zone, 0x5151, qtype, cur, out, &t);
	static uint8_t m[65535];
	int r = DNS_EAGAIN;
	*msgs = 0;
	while (r == DNS_EAGAIN) {
		uint8_t l[2];
		if (read_full(fd, l, 2)) {
			r = dns_xfr_rx_end(&rx);
			break;
		}
		size_t len = (size_t)l[0] << 8 | l[1];
		assert_int_equal(read_full(fd, m, len), 0);
		(*msgs)++;
		r = dns_xfr_rx_input(&rx, m, len, wall());
	}
	close(fd);
	return r;
}

static uint8_t m1[1 << 20], m2[1 << 20], m3[1 << 20];

static void add(struct dns_xset *z, const char *owner, uint16_t type, uint32_t ttl, const void *rd, size_t n)
{
	uint8_t o[DNS_NAME_MAX];
	dns_name_from_text(o, owner, strlen(owner), NULL);
	struct dns_xrr rr = { o, type, DNS_C_IN, ttl, (uint16_t)n, rd };
	xu_expect(dns_xset_add(z, &rr), 0);
}

static size_t soa_rd(uint8_t *b, uint32_t serial)
{
	static const uint8_t names[] = "\x02ns\x07" "example\x04test\x00\x05" "admin\x07" "example\x04test";
	memcpy(b, names, sizeof names);
	size_t k = sizeof names;
	uint32_t v[5] = { serial, 3600, 600, 86400, 300 };
	for (int i = 0; i < 5; i++, k += 4) {
		b[k] = (uint8_t)(v[i] >> 24);
		b[k + 1] = (uint8_t)(v[i] >> 16);
		b[k + 2] = (uint8_t)(v[i] >> 8);
		b[k + 3] = (uint8_t)v[i];
	}
	return k;
}

/* The zone as text for Knot and as a set for us: version 1 or 2, with
 * BULK more names so transfers take several messages. */
#define BULK 4000

static const char *zone_text(int v)
{
	static char t[BULK * 48 + 1024];
	size_t n = (size_t)snprintf(t, sizeof t, "%s",
		v == 1 ? "$ORIGIN example.test.\n$TTL 300\n@ SOA ns admin 1 3600 600 86400 300\n@ NS ns\n"
			 "ns A 192.0.2.1\na A 192.0.2.2\nb TXT \"hello\"\n"
		       : "$ORIGIN example.test.\n$TTL 300\n@ SOA ns admin 2 3600 600 86400 300\n@ NS ns\n"
			 "ns A 192.0.2.1\na A 192.0.2.3\nc 600 TXT \"new\"\n");
	for (int i = 0; i < BULK; i++)
		n += (size_t)snprintf(t + n, sizeof t - n, "bulk-name-%d A 10.%d.%d.%d\n", i, v, i / 256, i % 256);
	return t;
}

static void zone_set(struct dns_xset *z, int v)
{
	dns_xset_reset(z);
	uint8_t rd[DNS_SOA_RDATA_MAX];
	add(z, "example.test.", DNS_T_SOA, 300, rd, soa_rd(rd, (uint32_t)v));
	add(z, "example.test.", DNS_T_NS, 300, "\x02ns\x07" "example\x04test", 17);
	add(z, "ns.example.test.", DNS_T_A, 300, "\xc0\x00\x02\x01", 4);
	if (v == 1) {
		add(z, "a.example.test.", DNS_T_A, 300, "\xc0\x00\x02\x02", 4);
		add(z, "b.example.test.", DNS_T_TXT, 300, "\x05hello", 6);
	} else {
		add(z, "a.example.test.", DNS_T_A, 300, "\xc0\x00\x02\x03", 4);
		add(z, "c.example.test.", DNS_T_TXT, 600, "\x03new", 4);
	}
	for (int i = 0; i < BULK; i++) {
		char o[64];
		snprintf(o, sizeof o, "bulk-name-%d.example.test.", i);
		uint8_t a[4] = { 10, (uint8_t)v, (uint8_t)(i / 256), (uint8_t)(i % 256) };
		add(z, o, DNS_T_A, 300, a, 4);
	}
	assert_true(dns_xset_sort(z) > 0);
}

static bool same(const struct dns_xset *a, const struct dns_xset *b)
{
	if (dns_xset_count(a) != dns_xset_count(b))
		return false;
	struct dns_xset_iter ia, ib;
	struct dns_xrr x, y;
	dns_xset_iter_init(&ia, a);
	dns_xset_iter_init(&ib, b);
	while (dns_xset_next(&ia, &x) == 1)
		if (dns_xset_next(&ib, &y) != 1 || dns_xrr_cmp(&x, &y) || x.ttl != y.ttl)
			return false;
	return true;
}

/* libdns follows a Knot primary. */
static void test_knot_primary(void **st)
{
	(void)st;
	SKIP_WITHOUT_KNOT();
	put("example.test.zone", zone_text(1));
	char zones[512];
	snprintf(zones, sizeof zones,
		"  - domain: example.test\n    file: %s/example.test.zone\n    acl: xfr\n"
		"    zonefile-load: difference\n    journal-content: changes\n", dir);
	start_knot(zones);
	struct dns_xset cur, out, want;
	dns_xset_init(&cur, m1, sizeof m1);
	dns_xset_init(&out, m2, sizeof m2);
	dns_xset_init(&want, m3, sizeof m3);
	unsigned msgs;
	/* A wrong secret: Knot answers NOTAUTH with BADSIG, nothing applied. */
	xu_expect(fetch(DNS_T_AXFR, &wrong, NULL, &out, &msgs), DNS_ETSIG_REJECTED);
	/* Unsigned: Knot refuses (its ACL wants the key). */
	xu_expect(fetch(DNS_T_AXFR, NULL, NULL, &out, &msgs), DNS_EXFR_RCODE);
	xu_expect(fetch(DNS_T_AXFR, &key, NULL, &cur, &msgs), DNS_XFR_NEW);
	assert_true(msgs > 1); /* a TSIG chain over several messages */
	zone_set(&want, 1);
	assert_true(same(&cur, &want));
	/* Up to date. */
	xu_expect(fetch(DNS_T_IXFR, &key, &cur, &out, &msgs), DNS_XFR_UPTODATE);
	/* A change, reloaded: IXFR from serial 1 to 2. */
	put("example.test.zone", zone_text(2));
	char cmd[256];
	snprintf(cmd, sizeof cmd, "knotc -c %s/knot.conf zone-reload example.test >/dev/null", dir);
	assert_int_equal(system(cmd), 0);
	int r = DNS_XFR_UPTODATE;
	for (int i = 0; i < 50 && r == DNS_XFR_UPTODATE; i++) {
		usleep(100000);
		r = fetch(DNS_T_IXFR, &key, &cur, &out, &msgs);
	}
	xu_expect(r, DNS_XFR_NEW);
	zone_set(&want, 2);
	assert_true(same(&out, &want));
	stop_knot();
	/* Knot logged the refusals and an incremental transfer. */
	snprintf(cmd, sizeof cmd, "grep -q 'IXFR, outgoing.*started, serial 1 -> 2' %s/knot.log", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "grep -qi 'BADSIG\\|bad signature\\|failed to verify' %s/knot.log", dir);
	if (system(cmd) != 0)
		fail_msg("knot did not log the bad key; see %s/knot.log", dir);
}

/* The secondary's state machine (struct dns_sec) follows a Knot primary:
 * first AXFR, then Knot's own signed NOTIFY after a reload, a SOA check
 * and an IXFR, all in real time on loopback. */
static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct follower {
	struct dns_sec s;
	struct dns_xset set[2];
	int live;
	int ufd, lfd;  /* NOTIFY comes over UDP or TCP (Knot uses both) */
	unsigned notifies, ixfrs, axfrs;
};
static struct follower fw;

/* One transfer, synchronously over TCP. */
static void follower_transfer(struct follower *f)
{
	static struct dns_xfr_rx rx;
	uint8_t q[1024];
	uint64_t now = mono_ms();
	bool have = dns_sec_has_zone(&f->s);
	int n = dns_sec_xfr_begin(&f->s, &rx, have ? &f->set[f->live] : NULL, &f->set[1 - f->live], q,
		sizeof q, now, wall());
	assert_true(n > 0);
	struct dns_msg qm;
	xu_expect(dns_msg_parse(&qm, q, (size_t)n), 0);
	*(qm.q.type == DNS_T_IXFR ? &f->ixfrs : &f->axfrs) += 1;
	int fd = tcp_connect(knot_port);
	int r = fd < 0 ? DNS_EIO : DNS_EAGAIN;
	if (fd >= 0 && send_framed(fd, q, (size_t)n))
		r = DNS_EIO;
	static uint8_t m[65535];
	while (r == DNS_EAGAIN) {
		uint8_t l[2];
		if (read_full(fd, l, 2)) {
			r = dns_xfr_rx_end(&rx);
			break;
		}
		size_t len = (size_t)l[0] << 8 | l[1];
		if (read_full(fd, m, len)) {
			r = DNS_EEOF;
			break;
		}
		r = dns_xfr_rx_input(&rx, m, len, wall());
	}
	if (fd >= 0)
		close(fd);
	struct dns_xrr soa;
	if (r == DNS_XFR_NEW) {
		f->live = 1 - f->live;
		assert_int_equal(dns_xset_soa(&f->set[f->live], &soa), 0);
	}
	dns_sec_xfr_done(&f->s, r, r == DNS_XFR_NEW ? &soa : NULL, mono_ms());
}

/* Runs the follower until it holds serial want (or 10 s pass). */
static void follow_until(struct follower *f, uint32_t want)
{
	struct sockaddr_in ka = { .sin_family = AF_INET, .sin_port = htons((uint16_t)knot_port) };
	ka.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	uint64_t end = mono_ms() + 10000;
	while (!(dns_sec_has_zone(&f->s) && dns_sec_serial(&f->s) == want) && mono_ms() < end) {
		uint64_t now = mono_ms();
		uint8_t b[4096];
		int a = dns_sec_poll(&f->s, now);
		if (a == DNS_SEC_QUERY_SOA) {
			int n = dns_sec_soa_query(&f->s, b, sizeof b, now, wall());
			assert_true(n > 0);
			sendto(f->ufd, b, (size_t)n, 0, (struct sockaddr *)&ka, sizeof ka);
		} else if (a == DNS_SEC_TRANSFER) {
			follower_transfer(f);
			continue;
		}
		uint64_t d = dns_sec_next_deadline(&f->s);
		int wait = d <= now ? 0 : d - now > 100 ? 100 : (int)(d - now);
		struct pollfd p[2] = { { f->ufd, POLLIN, 0 }, { f->lfd, POLLIN, 0 } };
		if (poll(p, 2, wait) < 1)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t k;
		int cfd = -1;
		if (p[1].revents) {
			cfd = accept(f->lfd, NULL, NULL);
			uint8_t l[2];
			if (cfd < 0 || read_full(cfd, l, 2) || read_full(cfd, b, (size_t)l[0] << 8 | l[1])) {
				if (cfd >= 0)
					close(cfd);
				continue;
			}
			k = (ssize_t)((size_t)l[0] << 8 | l[1]);
		} else {
			k = recvfrom(f->ufd, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
		}
		struct dns_msg m;
		if (k <= 0 || dns_msg_parse(&m, b, (size_t)k)) {
			if (cfd >= 0)
				close(cfd);
			continue;
		}
		if (m.hdr.flags & DNS_F_QR) {
			(void)dns_sec_soa_input(&f->s, b, (size_t)k, mono_ms(), wall());
			continue;
		}
		uint8_t r[1024];
		size_t rl;
		int v = dns_sec_notify(&f->s, &m, mono_ms(), wall(), r, sizeof r, &rl);
		xu_expect(v, 0);
		f->notifies++;
		if (rl && cfd >= 0)
			send_framed(cfd, r, rl);
		else if (rl)
			sendto(f->ufd, r, rl, 0, (struct sockaddr *)&from, fl);
		if (cfd >= 0)
			close(cfd);
	}
}

static void test_knot_primary_notify(void **st)
{
	(void)st;
	SKIP_WITHOUT_KNOT();
	struct follower *fp = &fw;
	memset(fp, 0, sizeof *fp);
	dns_xset_init(&fp->set[0], m1, sizeof m1);
	dns_xset_init(&fp->set[1], m2, sizeof m2);
	fp->ufd = socket(AF_INET, SOCK_DGRAM, 0);
	fp->lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fp->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)our_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fp->ufd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(bind(fp->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fp->lfd, 4), 0);
	put("example.test.zone", zone_text(1));
	char zones[512];
	snprintf(zones, sizeof zones,
		"  - domain: example.test\n    file: %s/example.test.zone\n    acl: xfr\n"
		"    zonefile-load: difference\n    journal-content: changes\n    notify: cloudlet\n", dir);
	start_knot(zones);
	uint64_t rs = 11;
	dns_sec_init(&fp->s, zone, &key, xu_random, &rs, 2000, 500, mono_ms());
	follow_until(fp, 1);
	assert_int_equal(dns_sec_serial(&fp->s), 1);
	assert_int_equal(fp->axfrs, 1);
	struct dns_xset want;
	dns_xset_init(&want, m3, sizeof m3);
	zone_set(&want, 1);
	assert_true(same(&fp->set[fp->live], &want));
	/* A reload in Knot: its NOTIFY (signed) brings us to serial 2 by IXFR,
	 * long before the refresh timer (3600 s) would. */
	put("example.test.zone", zone_text(2));
	char cmd[256];
	snprintf(cmd, sizeof cmd, "knotc -c %s/knot.conf zone-reload example.test >/dev/null", dir);
	assert_int_equal(system(cmd), 0);
	follow_until(fp, 2);
	assert_int_equal(dns_sec_serial(&fp->s), 2);
	assert_true(fp->notifies >= 1);
	assert_int_equal(fp->ixfrs, 1);
	zone_set(&want, 2);
	assert_true(same(&fp->set[fp->live], &want));
	assert_false(dns_sec_expired(&fp->s, mono_ms()));
	assert_int_equal(dns_sec_last_error(&fp->s), 0);
}

static int follower_td(void **st)
{
	stop_knot_td(st);
	if (fw.ufd > 0)
		close(fw.ufd);
	if (fw.lfd > 0)
		close(fw.lfd);
	fw.ufd = fw.lfd = -1;
	return 0;
}

/* ---- A primary built from libdns, for a Knot secondary. */

static struct dns_xset pz[2];
static struct dns_journal pj;
static uint8_t pjm[1 << 19];
static atomic_int pver, stop_srv, ixfr_served, axfr_served, refused;

static void serve_tcp(int fd)
{
	uint8_t l[2];
	static uint8_t q[65535], buf[65535];
	while (read_full(fd, l, 2) == 0) {
		size_t n = (size_t)l[0] << 8 | l[1];
		if (read_full(fd, q, n))
			return;
		struct dns_msg m;
		if (dns_msg_parse(&m, q, n))
			return;
		static struct dns_tsig t;
		int v = dns_tsig_server_verify(&t, &key, 1, &m, wall());
		struct dns_acl_rule rule;
		dns_acl_rule_parse(&rule, "example.test=key=xfr-key", 24);
		uint8_t ip[16] = { 127, 0, 0, 1 };
		int cur = atomic_load(&pver);
		struct dns_xset_iter it;
		struct dns_rr_src src;
		dns_xset_axfr_src(&it, &pz[cur], &src);
		uint16_t ctab[256];
		if (v != 0 || !dns_acl_check(&rule, 1, m.q.name, 4, ip, dns_tsig_key_name(&t))) {
			atomic_fetch_add(&refused, 1);
			struct dns_msgw w;
			dns_msgw_init(&w, buf, 512, NULL, 0, m.hdr.id,
				(uint16_t)(DNS_F_QR | (v ? dns_tsig_error_rcode(v) : DNS_RC_REFUSED)));
			dns_msgw_question(&w, m.q.name, m.q.type, m.q.qclass);
			int k = dns_tsig_sign(&t, buf, (size_t)dns_msgw_finish(&w), sizeof buf, wall());
			send_framed(fd, buf, (size_t)k);
			return;
		}
		if (m.q.type == DNS_T_SOA) {
			struct dns_msgw w;
			struct dns_xrr soa;
			dns_xset_soa(&pz[cur], &soa);
			dns_msgw_init(&w, buf, 1024, ctab, 256, m.hdr.id, DNS_F_QR | DNS_F_AA);
			dns_msgw_question(&w, m.q.name, m.q.type, m.q.qclass);
			dns_msgw_rr(&w, DNS_S_ANSWER, soa.owner, DNS_T_SOA, DNS_C_IN, soa.ttl, soa.rdata, soa.rdlen);
			int k = dns_tsig_sign(&t, buf, (size_t)dns_msgw_finish(&w), sizeof buf, wall());
			send_framed(fd, buf, (size_t)k);
			continue;
		}
		static struct dns_ixfr x;
		static struct dns_axfr ax;
		bool ixfr = m.q.type == DNS_T_IXFR;
		if (ixfr) {
			if (dns_ixfr_init(&x, &m, &pj, &src, &t, 0, false))
				return;
			atomic_fetch_add(dns_ixfr_kind(&x) == DNS_IXFR_INCREMENTAL ? &ixfr_served : &axfr_served, 1);
		} else {
			if (dns_axfr_init(&ax, &m, &src, &t, 0))
				return;
			atomic_fetch_add(&axfr_served, 1);
		}
		int k;
		while ((k = ixfr ? dns_ixfr_next(&x, buf, sizeof buf, ctab, 256, wall())
				 : dns_axfr_next(&ax, buf, sizeof buf, ctab, 256, wall())) > 0)
			if (send_framed(fd, buf, (size_t)k))
				return;
	}
}

/* UDP: SOA queries (signed answers) and NOTIFY answers to our sender. */
static int udp_fd;

static void serve_udp(void)
{
	uint8_t b[4096], out[4096];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	ssize_t n = recvfrom(udp_fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return;
	struct dns_msg m;
	if (dns_msg_parse(&m, b, (size_t)n) || (m.hdr.flags & DNS_F_QR) || m.q.type != DNS_T_SOA)
		return;
	struct dns_tsig t;
	int v = dns_tsig_server_verify(&t, &key, 1, &m, wall());
	struct dns_msgw w;
	struct dns_xrr soa;
	dns_xset_soa(&pz[atomic_load(&pver)], &soa);
	dns_msgw_init(&w, out, 1024, NULL, 0, m.hdr.id,
		(uint16_t)(DNS_F_QR | DNS_F_AA | (v ? dns_tsig_error_rcode(v) : 0)));
	dns_msgw_question(&w, m.q.name, m.q.type, m.q.qclass);
	if (!v)
		dns_msgw_rr(&w, DNS_S_ANSWER, soa.owner, DNS_T_SOA, DNS_C_IN, soa.ttl, soa.rdata, soa.rdlen);
	int k = dns_tsig_sign(&t, out, (size_t)dns_msgw_finish(&w), sizeof out, wall());
	sendto(udp_fd, out, (size_t)k, 0, (struct sockaddr *)&from, fl);
}

static void *server(void *arg)
{
	int lfd = *(int *)arg;
	while (!atomic_load(&stop_srv)) {
		struct pollfd p[2] = { { lfd, POLLIN, 0 }, { udp_fd, POLLIN, 0 } };
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[1].revents)
			serve_udp();
		if (p[0].revents) {
			int fd = accept(lfd, NULL, NULL);
			if (fd >= 0) {
				serve_tcp(fd);
				close(fd);
			}
		}
	}
	return NULL;
}

/* Knot's answer to our SOA query: its serial, or -1. */
static long knot_serial(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)knot_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	uint8_t q[512], r[1024];
	struct dns_msgw w;
	dns_msgw_init(&w, q, sizeof q, NULL, 0, 0x7777, 0);
	dns_msgw_question(&w, zone, DNS_T_SOA, DNS_C_IN);
	int n = dns_msgw_finish(&w);
	sendto(fd, q, (size_t)n, 0, (struct sockaddr *)&a, sizeof a);
	struct pollfd p = { fd, POLLIN, 0 };
	long serial = -1;
	if (poll(&p, 1, 1000) == 1) {
		ssize_t k = recv(fd, r, sizeof r, 0);
		struct dns_msg m;
		struct dns_msg_iter it;
		struct dns_rr rr;
		if (k > 0 && dns_msg_parse(&m, r, (size_t)k) == 0 && dns_msg_rcode(&m) == 0) {
			dns_msg_iter_init(&m, &it);
			while (dns_msg_next(&m, &it, &rr))
				if (rr.type == DNS_T_SOA && rr.section == DNS_S_ANSWER) {
					uint8_t rd[DNS_SOA_RDATA_MAX];
					struct dns_soa s;
					int u = dns_rdata_unpack(m.wire, m.len, rr.rdoff, rr.rdlen, DNS_T_SOA, rd, sizeof rd);
					if (u > 0 && dns_soa_parse(rd, (uint16_t)u, &s) == 0)
						serial = s.serial;
				}
		}
	}
	close(fd);
	return serial;
}

enum peer { KNOT, NSD, BIND };

/* A secondary (Knot, NSD or BIND) follows a primary built from libdns. */
static void follow(enum peer peer)
{
	static uint8_t pm[2][1 << 19];
	for (int i = 0; i < 2; i++) {
		dns_xset_init(&pz[i], pm[i], sizeof pm[i]);
		zone_set(&pz[i], i + 1);
	}
	dns_journal_init(&pj, pjm, sizeof pjm, 4);
	atomic_store(&pver, 0);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)our_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(lfd, 8), 0);
	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(udp_fd, (struct sockaddr *)&a, sizeof a), 0);
	pthread_t th;
	atomic_store(&stop_srv, 0);
	pthread_create(&th, NULL, server, &lfd);
	atomic_store(&axfr_served, 0);
	atomic_store(&ixfr_served, 0);
	atomic_store(&refused, 0);
	if (peer == KNOT) {
		char zones[512];
		snprintf(zones, sizeof zones,
			"  - domain: example.test\n    master: cloudlet\n    acl: xfr\n"
			"    file: %s/secondary.zone\n    zonefile-sync: -1\n", dir);
		start_knot(zones);
	} else if (peer == NSD) {
		start_nsd();
	} else {
		start_named();
	}
	long s = -1;
	for (int i = 0; i < 150 && s != 1; i++) {
		usleep(100000);
		s = knot_serial();
	}
	assert_int_equal(s, 1);
	assert_true(atomic_load(&axfr_served) >= 1);
	/* Version 2: journal it, NOTIFY Knot (signed), it comes for an IXFR. */
	struct dns_xset_iter i1, i2;
	struct dns_rr_src s1, s2;
	dns_xset_src(&i1, &pz[0], &s1);
	dns_xset_src(&i2, &pz[1], &s2);
	assert_true(dns_journal_add(&pj, &s1, &s2, NULL) > 0);
	atomic_store(&pver, 1);
	struct dns_notify_tx tx;
	struct dns_xrr soa;
	dns_xset_soa(&pz[1], &soa);
	uint64_t rs = 3;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t t0 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	dns_notify_tx_init(&tx, zone, &soa, &key, xu_random, &rs, 300, 5, t0);
	int nfd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ka = { .sin_family = AF_INET, .sin_port = htons((uint16_t)knot_port) };
	ka.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (dns_notify_tx_state(&tx) == DNS_NOTIFY_PENDING) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		uint8_t b[1024];
		int n = dns_notify_tx_poll(&tx, now, wall(), b, sizeof b);
		if (n > 0)
			sendto(nfd, b, (size_t)n, 0, (struct sockaddr *)&ka, sizeof ka);
		struct pollfd p = { nfd, POLLIN, 0 };
		if (poll(&p, 1, 50) == 1) {
			ssize_t k = recv(nfd, b, sizeof b, 0);
			if (k > 0)
				(void)dns_notify_tx_input(&tx, b, (size_t)k, wall());
		}
	}
	xu_expect(dns_notify_tx_state(&tx), DNS_NOTIFY_ACKED);
	close(nfd);
	for (int i = 0; i < 150 && s != 2; i++) {
		usleep(100000);
		s = knot_serial();
	}
	assert_int_equal(s, 2);
	assert_true(atomic_load(&ixfr_served) >= 1);
	/* Knot's copy, fetched back, is ours. */
	struct dns_xset out;
	static uint8_t om[1 << 20];
	dns_xset_init(&out, om, sizeof om);
	unsigned msgs;
	char zones2[8];
	(void)zones2;
	int r = fetch(DNS_T_AXFR, &key, NULL, &out, &msgs);
	/* (Knot's ACL for this zone allows transfers with the key too.) */
	xu_expect(r, DNS_XFR_NEW);
	assert_true(msgs > 1);
	assert_true(same(&out, &pz[1]));
	atomic_store(&stop_srv, 1);
	pthread_join(th, NULL);
	close(lfd);
	close(udp_fd);
	stop_knot();
	assert_int_equal(atomic_load(&refused), 0);
}

static void test_knot_secondary(void **st)
{
	(void)st;
	SKIP_WITHOUT_KNOT();
	follow(KNOT);
}

static void test_nsd_secondary(void **st)
{
	(void)st;
	if (!dir[0] || system("command -v nsd >/dev/null 2>&1") != 0)
		skip();
	follow(NSD);
}

static void test_bind_secondary(void **st)
{
	(void)st;
	if (!dir[0] || system("command -v named >/dev/null 2>&1") != 0)
		skip();
	follow(BIND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_knot_primary, stop_knot_td),
		cmocka_unit_test_teardown(test_knot_primary_notify, follower_td),
		cmocka_unit_test_teardown(test_knot_secondary, stop_knot_td),
		cmocka_unit_test_teardown(test_nsd_secondary, stop_knot_td),
		cmocka_unit_test_teardown(test_bind_secondary, stop_knot_td),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
