/* Helpers of the transport tests: a scripted answer callback, queries, a PRNG. */
#ifndef DNS_SRVUTIL_H
#define DNS_SRVUTIL_H

#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <cloudlet/dns.h>

static inline uint8_t *wname(const char *text, uint8_t out[DNS_NAME_MAX])
{
	int r = dns_name_from_text(out, text, strlen(text), NULL);
	if (r < 0)
		fail_msg("bad test name %s: %s", text, dns_strerror(r));
	return out;
}

/* Input right before a PROT_NONE page, so an over-read faults. */
static inline const uint8_t *sguard(const void *data, size_t len)
{
	static uint8_t *map;
	static size_t span;
	if (!map) {
		size_t pg = (size_t)sysconf(_SC_PAGESIZE);
		span = (70000 / pg + 1) * pg;
		map = mmap(NULL, span + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(map != MAP_FAILED);
		assert_int_equal(mprotect(map + span, pg, PROT_NONE), 0);
	}
	assert_true(len <= span);
	uint8_t *p = map + span - len;
	memcpy(p, data, len);
	return p;
}

/* xorshift64*: every randomized test prints its seed when it fails. */
static inline uint64_t srng(uint64_t *s)
{
	uint64_t x = *s ? *s : 88172645463325252ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* A query: id, name, type, with an OPT of udp_size when edns. */
static inline size_t mkquery(uint8_t *buf, size_t cap, uint16_t id, const char *name,
	uint16_t type, bool edns, uint16_t udp_size)
{
	struct dns_msgw w;
	uint16_t ctab[8];
	uint8_t n[DNS_NAME_MAX];
	assert_int_equal(dns_msgw_init(&w, buf, cap, ctab, 8, id, 0), 0);
	assert_int_equal(dns_msgw_question(&w, wname(name, n), type, DNS_C_IN), 0);
	if (edns)
		assert_int_equal(dns_msgw_opt(&w, udp_size, 0, 0, 0, NULL, 0), 0);
	int r = dns_msgw_finish(&w);
	assert_true(r > 0);
	return (size_t)r;
}

/* One RRset the scripted callback writes: n records of `type` at owner. */
struct pset {
	uint8_t section;
	const char *owner;
	uint16_t type;
	int n;
	int size;          /* TXT: RDATA octets per record */
	const char *target;/* NS: the name server */
	uint16_t covers;   /* RRSIG: the type covered */
};

/* The scripted answer callback: echoes id and question, sets QR (and AA
 * unless referral), writes the sets in order, an OPT when the query had one,
 * and never truncates by itself (DNS_ENOMEM when out is short). */
struct plan {
	struct pset sets[16];
	int nsets;
	bool referral;
	bool opt_first;    /* write the OPT before the additional records */
	int calls;
	int enomem;        /* DNS_ENOMEM returns */
	int parts;         /* >1: a multi-message answer over TCP */
	int parse_errs;
	size_t last_limit;
	bool native;       /* cut to cap itself (question only, TC) like dns_answer() */
};

static inline int pset_write(struct dns_msgw *w, const struct pset *p)
{
	uint8_t owner[DNS_NAME_MAX], rd[1024];
	wname(p->owner, owner);
	for (int i = 0; i < p->n; i++) {
		size_t len = 0;
		switch (p->type) {
		case DNS_T_A:
			rd[0] = 192, rd[1] = 0, rd[2] = 2, rd[3] = (uint8_t)(i + 1);
			len = 4;
			break;
		case DNS_T_AAAA:
			memset(rd, 0, 16);
			rd[0] = 0x20, rd[1] = 0x01, rd[15] = (uint8_t)(i + 1);
			len = 16;
			break;
		case DNS_T_NS:
			len = (size_t)dns_name_from_text(rd, p->target, strlen(p->target), NULL);
			break;
		case DNS_T_RRSIG: {
			uint8_t s[DNS_NAME_MAX];
			size_t sl = (size_t)dns_name_from_text(s, "example.", 8, NULL);
			memset(rd, 0, 18);
			rd[0] = (uint8_t)(p->covers >> 8), rd[1] = (uint8_t)p->covers;
			rd[2] = 13, rd[3] = 2;
			memcpy(rd + 18, s, sl);
			memset(rd + 18 + sl, 0xab, 64);
			len = 18 + sl + 64;
			break;
		}
		default: /* TXT: one string, distinct per record */
			rd[0] = (uint8_t)(p->size - 1);
			memset(rd + 1, 'a' + i % 26, (size_t)p->size - 1);
			rd[1] = (uint8_t)('0' + i % 10);
			len = (size_t)p->size;
			break;
		}
		int r = dns_msgw_rr(w, p->section, owner, p->type, DNS_C_IN, 300, rd, (uint16_t)len);
		if (r)
			return r;
	}
	return 0;
}

static inline int plan_answer(void *ctx, struct dns_req *req, uint8_t *out, size_t cap)
{
	struct plan *pl = ctx;
	pl->calls++;
	pl->last_limit = req->limit;
	int perr;
	const struct dns_msg *m = dns_req_msg(req, &perr);
	if (perr) {
		pl->parse_errs++;
		return 0;
	}
	struct dns_msgw w;
	uint16_t ctab[64];
	uint16_t flags = DNS_F_QR | (pl->referral ? 0 : DNS_F_AA);
	dns_msgw_init(&w, out, cap, ctab, 64, m->hdr.id, flags);
	dns_msgw_question(&w, m->q.name, m->q.type, m->q.qclass);
	bool opt_done = false;
	for (int i = 0; i < pl->nsets; i++) {
		if (pl->sets[i].section == DNS_S_ADDITIONAL && pl->opt_first && m->edns.present &&
		    !opt_done) {
			dns_msgw_opt(&w, 1232, 0, 0, 0, NULL, 0);
			opt_done = true;
		}
		pset_write(&w, &pl->sets[i]);
	}
	if (m->edns.present && !opt_done)
		dns_msgw_opt(&w, 1232, 0, 0, 0, NULL, 0);
	if (pl->parts > 1 && req->transport == DNS_TR_TCP) {
		req->cont[0]++;
		req->more = req->seq + 1 < (uint32_t)pl->parts;
	}
	int r = dns_msgw_finish(&w);
	if (r == DNS_ENOMEM && pl->native) {
		pl->enomem++;
		dns_msgw_init(&w, out, cap, ctab, 64, m->hdr.id, flags | DNS_F_TC);
		dns_msgw_question(&w, m->q.name, m->q.type, m->q.qclass);
		return dns_msgw_finish(&w);
	}
	if (r == DNS_ENOMEM) {
		pl->enomem++;
		if (pl->parts > 1)
			req->cont[0]--, req->more = false;
	}
	return r;
}

#endif
