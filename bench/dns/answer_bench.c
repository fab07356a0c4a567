/* answer_bench: the cost of libdns's dns_answer() alone, without sockets.
 * Loads a zone file, turns a query file (run.sh's queries.txt: "name type
 * [rcode]" per line) into wire queries, and answers the whole mix in a
 * loop. Prints ns per query and, once, a checksum of every answer (so two
 * builds that must answer alike can be compared). Under
 *   valgrind --tool=callgrind --toggle-collect=dns_answer bench/dns/answer_bench ...
 * the instructions per query are a stable measure on a noisy machine.
 *
 *   answer_bench ORIGIN ZONEFILE QUERIES [ROUNDS (default 100)] [-e (EDNS)]
 *
 * Benchmark tool, not a test: libc and libdns.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cloudlet/dns.h>

struct q {
	uint8_t wire[300];
	size_t len;
};

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static int load(struct dns_zone *z, const uint8_t *origin, const uint8_t *text, size_t len,
	void **arena)
{
	size_t cap = 4096 + 4 * len;
	for (int attempt = 0; attempt < 3; attempt++) {
		free(*arena);
		*arena = malloc(cap);
		dns_zone_init(z, origin, *arena, cap);
		static struct dns_zparser p;
		struct dns_zopts o;
		memset(&o, 0, sizeof o);
		o.file = "zone";
		o.origin = origin;
		o.default_ttl = 3600;
		o.have_default_ttl = true;
		o.rclass = DNS_C_IN;
		o.rr = dns_zone_add_cb;
		o.rr_ctx = z;
		struct dns_zerror ze;
		memset(&ze, 0, sizeof ze);
		if (dns_zone_parse(&p, &o, text, len, &ze) < 0) {
			fprintf(stderr, "zone: line %u: %s\n", ze.line, dns_strerror(ze.code));
			return -1;
		}
		int r = dns_zone_finish(z, NULL);
		if (r == 0)
			return 0;
		if (r != DNS_ENOMEM) {
			fprintf(stderr, "zone: %s\n", dns_strerror(r));
			return -1;
		}
		cap = dns_zone_needed(z);
	}
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int edns = 0, pos = 0;
	const char *args[4] = { NULL, NULL, NULL, "100" };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-e") == 0)
			edns = 1;
		else if (pos < 4)
			args[pos++] = argv[i];
	}
	if (pos < 3) {
		fprintf(stderr, "usage: answer_bench ORIGIN ZONEFILE QUERIES [ROUNDS] [-e]\n");
		return 2;
	}
	long rounds = atol(args[3]);
	uint8_t origin[DNS_NAME_MAX];
	char otext[600];
	snprintf(otext, sizeof otext, "%s%s", args[0], args[0][strlen(args[0]) - 1] == '.' ? "" : ".");
	if (dns_name_from_text(origin, otext, strlen(otext), NULL) < 0) {
		fprintf(stderr, "bad origin\n");
		return 2;
	}
	size_t zlen;
	uint8_t *text = slurp(args[1], &zlen);
	if (!text) {
		perror(args[1]);
		return 1;
	}
	struct dns_zone z;
	void *arena = NULL;
	if (load(&z, origin, text, zlen, &arena) < 0)
		return 1;
	free(text);

	FILE *f = fopen(args[2], "r");
	if (!f) {
		perror(args[2]);
		return 1;
	}
	size_t nq = 0, qcap = 1024;
	struct q *qs = malloc(qcap * sizeof *qs);
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		char name[600], type[32];
		if (line[0] == '#' || line[0] == ';' || sscanf(line, "%599s %31s", name, type) != 2)
			continue;
		uint16_t t;
		uint8_t wname[DNS_NAME_MAX];
		size_t nlen = strlen(name);
		if (nlen && name[nlen - 1] != '.')
			name[nlen++] = '.', name[nlen] = 0;
		int nl = dns_name_from_text(wname, name, nlen, NULL);
		if (dns_type_from_text(type, strlen(type), &t) < 0 || nl < 0)
			continue;
		if (nq == qcap)
			qs = realloc(qs, (qcap *= 2) * sizeof *qs);
		struct q *q = &qs[nq++];
		uint8_t *w = q->wire;
		memset(w, 0, 12);
		w[0] = (uint8_t)(nq >> 8);
		w[1] = (uint8_t)nq;
		w[5] = 1;
		w[11] = (uint8_t)edns;
		memcpy(w + 12, wname, (size_t)nl);
		size_t l = 12 + (size_t)nl;
		w[l++] = (uint8_t)(t >> 8);
		w[l++] = (uint8_t)t;
		w[l++] = 0;
		w[l++] = 1;
		if (edns) {
			static const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
			memcpy(w + l, opt, sizeof opt);
			l += sizeof opt;
		}
		q->len = l;
	}
	fclose(f);
	if (nq == 0) {
		fprintf(stderr, "no queries\n");
		return 1;
	}

	const struct dns_zone *zp[1] = { &z };
	struct dns_answer_opts o = { .tcp = false, .udp_max = 1232 };
	static uint8_t out[65535];
	static uint16_t ctab[256];
	/* One pass for the checksum (FNV-1a over every answer). */
	uint64_t sum = 1469598103934665603u, bytes = 0;
	for (size_t i = 0; i < nq; i++) {
		int n = dns_answer(zp, 1, qs[i].wire, qs[i].len, out, sizeof out, ctab, 256, &o);
		for (int k = 0; k < n; k++)
			sum = (sum ^ out[k]) * 1099511628211u;
		bytes += n > 0 ? (uint64_t)n : 0;
	}
	uint64_t t0 = now_ns();
	long answered = 0;
	for (long r = 0; r < rounds; r++)
		for (size_t i = 0; i < nq; i++)
			answered += dns_answer(zp, 1, qs[i].wire, qs[i].len, out, sizeof out, ctab, 256, &o) > 0;
	uint64_t t1 = now_ns();
	double per = (double)(t1 - t0) / (double)(rounds * (long)nq);
	printf("queries %zu x %ld rounds, %ld answered, %.1f ns/query, answer bytes %llu, checksum %016llx\n",
		nq, rounds, answered, per, (unsigned long long)bytes, (unsigned long long)sum);
	free(qs);
	free(arena);
	return 0;
}
