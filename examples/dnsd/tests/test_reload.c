/* dnsd: zone sets load all or nothing, and a set published while workers
 * answer is taken up between answers, the old one freed by the last worker
 * that held it (run under ASan, a use after free would show). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dnsd.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char zone_fmt[] =
	"$ORIGIN example.test.\n$TTL 300\n"
	"@ IN SOA ns1 hostmaster %u 3600 600 86400 60\n"
	"  IN NS ns1\nns1 IN A 192.0.2.1\nwww IN A %s\n";

static void config(struct config *cfg, const char *file)
{
	memset(cfg, 0, sizeof *cfg);
	static char paths[4][512];
	static int k;
	char *p = paths[k++ % 4];
	snprintf(p, 512, "%s/%s", dir, file);
	struct zone_src *z = &cfg->zones[0];
	snprintf(z->origin_text, sizeof z->origin_text, "example.test.");
	assert_true(dns_name_from_text(z->origin, "example.test.", 13, NULL) > 0);
	z->path = p;
	cfg->nzones = 1;
	cfg->udp_max = 1232;
}

static void test_all_or_nothing(void **st)
{
	(void)st;
	char text[512], err[1200];
	snprintf(text, sizeof text, zone_fmt, 1u, "192.0.2.10");
	write_file("good.zone", text);
	write_file("bad.zone", "$ORIGIN other.test.\n$TTL 300\n@ IN SOA ns1 h 1 1 1 1 1\nwww IN A 192.0.2.300\n");
	write_file("outside.zone", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 1 1 1 1\nwww.example.org. 300 IN A 192.0.2.1\n");
	write_file("nosoa.zone", "$ORIGIN example.test.\nwww 300 IN A 192.0.2.1\n");
	struct config cfg;
	config(&cfg, "good.zone");
	struct zoneset *zs = zoneset_load(&cfg, err, sizeof err);
	assert_non_null(zs);
	assert_int_equal(dns_zone_serial(&zs->zones[0]), 1);
	/* The second zone of the set is broken: nothing is loaded. */
	cfg.zones[1] = cfg.zones[0];
	snprintf(cfg.zones[1].origin_text, sizeof cfg.zones[1].origin_text, "other.test.");
	dns_name_from_text(cfg.zones[1].origin, "other.test.", 11, NULL);
	struct config c2;
	config(&c2, "bad.zone");
	cfg.zones[1].path = c2.zones[0].path;
	cfg.nzones = 2;
	assert_null(zoneset_load(&cfg, err, sizeof err));
	if (!strstr(err, "bad.zone:4:"))
		fail_msg("error: %s", err);
	config(&cfg, "outside.zone");
	assert_null(zoneset_load(&cfg, err, sizeof err));
	if (!strstr(err, "outside.zone:3: zone example.test.: www.example.org. A: DNS_EZONE_OUTSIDE"))
		fail_msg("error: %s", err);
	config(&cfg, "nosoa.zone");
	assert_null(zoneset_load(&cfg, err, sizeof err));
	if (!strstr(err, "nosoa.zone: zone example.test.:") || !strstr(err, "DNS_EZONE_NO_SOA"))
		fail_msg("error: %s", err);
	config(&cfg, "missing.zone");
	assert_null(zoneset_load(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "missing.zone: No such file"));
	zoneset_release(zs);
}

struct reader {
	pthread_t t;
	struct zholder *h;
	int answers, bad;
	atomic_int *stop;
};

/* A worker: refresh, answer, repeat. Every answer is from one set: its
 * address and its SOA serial must agree (.10 with odd, .99 with even). */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct engine eng = { .zs = zholder_get(r->h), .udp_max = 1232 };
	uint64_t gen = eng.zs->gen;
	static __thread uint8_t scratch[DNS_SCRATCH_SIZE];
	struct dns_srv srv;
	dns_srv_init(&srv, engine_answer, &eng, scratch, sizeof scratch);
	uint8_t q[512], out[1232];
	struct dns_msgw w;
	uint8_t name[DNS_NAME_MAX];
	dns_name_from_text(name, "www.example.test.", 17, NULL);
	dns_msgw_init(&w, q, sizeof q, NULL, 0, 7, 0);
	dns_msgw_question(&w, name, DNS_T_A, DNS_C_IN);
	int qlen = dns_msgw_finish(&w);
	while (!atomic_load(r->stop)) {
		zholder_refresh(r->h, &eng.zs, &gen);
		uint32_t serial = dns_zone_serial(&eng.zs->zones[0]);
		int n = dns_udp_answer(&srv, q, (size_t)qlen, NULL, out, sizeof out, 0);
		struct dns_msg m;
		if (n <= 0 || dns_msg_parse(&m, out, (size_t)n) != 0 || m.hdr.count[DNS_S_ANSWER] != 1) {
			r->bad++;
			continue;
		}
		uint8_t last = out[n - 1];
		if ((serial & 1) != (last == 10))
			r->bad++;
		r->answers++;
	}
	zoneset_release(eng.zs);
	return NULL;
}

static void test_swap_under_load(void **st)
{
	(void)st;
	char text[512], err[1200];
	snprintf(text, sizeof text, zone_fmt, 1u, "192.0.2.10");
	write_file("odd.zone", text);
	snprintf(text, sizeof text, zone_fmt, 2u, "192.0.2.99");
	write_file("even.zone", text);
	struct config odd, even;
	config(&odd, "odd.zone");
	config(&even, "even.zone");
	struct zholder h;
	struct zoneset *first = zoneset_load(&odd, err, sizeof err);
	assert_non_null(first);
	zholder_init(&h, first);
	atomic_int stop = 0;
	struct reader r[2];
	for (int i = 0; i < 2; i++) {
		r[i] = (struct reader){ .h = &h, .stop = &stop };
		assert_int_equal(pthread_create(&r[i].t, NULL, reader_main, &r[i]), 0);
	}
	for (int i = 0; i < 60; i++) {
		struct zoneset *zs = zoneset_load(i & 1 ? &odd : &even, err, sizeof err);
		assert_non_null(zs);
		zholder_publish(&h, zs);
		usleep(500);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++) {
		pthread_join(r[i].t, NULL);
		assert_int_equal(r[i].bad, 0);
		assert_true(r[i].answers > 0);
	}
	/* Only the holder's reference is left. */
	assert_int_equal(atomic_load(&h.cur->refs), 1);
	assert_int_equal(h.cur->gen, 61);
	zholder_close(&h);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/dnsd-test-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_swap_under_load),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return r;
}
