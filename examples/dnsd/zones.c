/* dnsd: loading the zone set from files, and sharing it between workers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"

/* ---- An arena of malloc'd chunks, freed at once with its zone set. */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(8) uint8_t mem[];
};

#define CHUNK_SIZE (1u << 20)

static void *arena_alloc(struct arena_chunk **head, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct arena_chunk *c = *head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		c = malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->next = *head;
		c->used = 0;
		c->cap = cap;
		*head = c;
	}
	void *p = c->mem + c->used;
	c->used += n;
	return p;
}

static void arena_free(struct arena_chunk *c)
{
	while (c) {
		struct arena_chunk *n = c->next;
		free(c);
		c = n;
	}
}

/* ---- Loading */

struct loader {
	struct zoneset *zs;
	struct zone *z;
	size_t cap;
	const uint8_t *last_owner;
	char err[1024];
};

static int on_rr(void *ctx, const struct dns_zrr *rr)
{
	struct loader *l = ctx;
	struct zone *z = l->z;
	/* TEMPORARY checks, until libdns checks zones before they are served. */
	if (!dns_name_is_sub(rr->owner, z->origin)) {
		char name[DNS_NAME_MAX * 4 + 2];
		dns_name_to_text(rr->owner, name, sizeof name);
		snprintf(l->err, sizeof l->err, "%s:%u: %.300s is outside the zone %.300s", rr->file,
			rr->line, name, z->origin_text);
		return DNS_EZ_CALLBACK;
	}
	if (rr->type == DNS_T_SOA && !dns_name_equal(rr->owner, z->origin)) {
		snprintf(l->err, sizeof l->err, "%s:%u: SOA below the apex of %.300s", rr->file,
			rr->line, z->origin_text);
		return DNS_EZ_CALLBACK;
	}
	if (z->nrecs == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct zrec *r = realloc(z->recs, cap * sizeof *r);
		if (!r) {
			snprintf(l->err, sizeof l->err, "%s:%u: out of memory", rr->file, rr->line);
			return DNS_ENOMEM;
		}
		z->recs = r;
		l->cap = cap;
	}
	struct zrec *r = &z->recs[z->nrecs];
	size_t on = dns_name_len(rr->owner);
	if (l->last_owner && dns_name_len(l->last_owner) == on &&
	    memcmp(l->last_owner, rr->owner, on) == 0) {
		r->owner = l->last_owner;
	} else {
		uint8_t *o = arena_alloc(&l->zs->chunks, on);
		if (!o)
			return DNS_ENOMEM;
		memcpy(o, rr->owner, on);
		r->owner = l->last_owner = o;
	}
	uint8_t *d = NULL;
	if (rr->rdlen) {
		d = arena_alloc(&l->zs->chunks, rr->rdlen);
		if (!d)
			return DNS_ENOMEM;
		memcpy(d, rr->rdata, rr->rdlen);
	}
	r->rdata = d;
	r->rdlen = rr->rdlen;
	r->ttl = rr->ttl;
	r->type = rr->type;
	z->nrecs++;
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct zrec *x = a, *y = b;
	int c = dns_name_cmp(x->owner, y->owner);
	if (c)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->rdlen != y->rdlen)
		return x->rdlen < y->rdlen ? -1 : 1;
	return x->rdlen ? memcmp(x->rdata, y->rdata, x->rdlen) : 0;
}

static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errcap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int bad = ferror(f);
	fclose(f);
	if (!buf || bad) {
		snprintf(err, errcap, "%s: %s", path, buf ? "read error" : "out of memory");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int load_zone(struct loader *l, const struct zone_src *src, struct dns_zparser *p,
	char *err, size_t errcap)
{
	struct zone *z = l->z;
	z->origin = src->origin;
	z->origin_text = src->origin_text;
	size_t len;
	uint8_t *text = read_file(src->path, &len, err, errcap);
	if (!text)
		return -1;
	char msg[256] = "";
	struct dns_zopts o;
	memset(&o, 0, sizeof o);
	o.file = src->path;
	o.origin = src->origin;
	o.default_ttl = 3600;
	o.have_default_ttl = true;
	o.rclass = DNS_C_IN;
	o.rr = on_rr;
	o.rr_ctx = l;
	o.errmsg = msg;
	o.errcap = sizeof msg;
	struct dns_zerror ze;
	memset(&ze, 0, sizeof ze);
	l->cap = 0;
	l->last_owner = NULL;
	l->err[0] = 0;
	int r = dns_zone_parse(p, &o, text, len, &ze);
	free(text);
	if (r < 0) {
		if (l->err[0])
			snprintf(err, errcap, "%s", l->err);
		else
			snprintf(err, errcap, "%s:%u:%u: %s", ze.file ? ze.file : src->path, ze.line,
				ze.col, msg[0] ? msg : dns_strerror(ze.code));
		return -1;
	}
	qsort(z->recs, z->nrecs, sizeof *z->recs, rec_cmp);
	/* RFC 2181 5: an RRset holds no duplicates. */
	size_t k = 0;
	for (size_t i = 0; i < z->nrecs; i++)
		if (k == 0 || rec_cmp(&z->recs[k - 1], &z->recs[i]) != 0)
			z->recs[k++] = z->recs[i];
	z->nrecs = k;
	for (size_t i = 0; i < z->nrecs; i++)
		if (z->recs[i].type == DNS_T_SOA)
			z->soa = &z->recs[i];
	if (!z->soa) {
		snprintf(err, errcap, "%s: no SOA record at the apex %s", src->path, src->origin_text);
		return -1;
	}
	l->zs->nrecs += z->nrecs;
	return 0;
}

struct zoneset *zoneset_load(const struct config *cfg, char *err, size_t errcap)
{
	struct zoneset *zs = calloc(1, sizeof *zs);
	struct dns_zparser *p = malloc(sizeof *p);
	if (zs)
		zs->zones = calloc(cfg->nzones, sizeof *zs->zones);
	if (!zs || !p || !zs->zones) {
		snprintf(err, errcap, "out of memory");
		free(p);
		zoneset_release(zs);
		return NULL;
	}
	atomic_init(&zs->refs, 1);
	struct loader l = { .zs = zs };
	for (unsigned i = 0; i < cfg->nzones; i++) {
		l.z = &zs->zones[i];
		zs->nzones = i + 1;
		if (load_zone(&l, &cfg->zones[i], p, err, errcap) < 0) {
			free(p);
			zoneset_release(zs);
			return NULL;
		}
	}
	free(p);
	return zs;
}

void zoneset_release(struct zoneset *zs)
{
	if (!zs || atomic_fetch_sub(&zs->refs, 1) != 1)
		return;
	for (size_t i = 0; i < zs->nzones; i++)
		free(zs->zones[i].recs);
	free(zs->zones);
	arena_free(zs->chunks);
	free(zs);
}

static uint32_t soa_serial(const struct zrec *soa)
{
	size_t a = dns_name_len(soa->rdata);
	size_t b = dns_name_len(soa->rdata + a);
	const uint8_t *s = soa->rdata + a + b;
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

void zoneset_describe(const struct zoneset *zs, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < zs->nzones && n < cap; i++) {
		const struct zone *z = &zs->zones[i];
		int w = snprintf(buf + n, cap - n, "%s%s (%zu records, serial %u)", i ? ", " : "",
			z->origin_text, z->nrecs, soa_serial(z->soa));
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* ---- Sharing */

void zholder_init(struct zholder *h, struct zoneset *first)
{
	pthread_mutex_init(&h->mu, NULL);
	h->cur = first;
	atomic_init(&h->gen, 1);
	first->gen = 1;
}

struct zoneset *zholder_get(struct zholder *h)
{
	pthread_mutex_lock(&h->mu);
	struct zoneset *zs = h->cur;
	atomic_fetch_add(&zs->refs, 1);
	pthread_mutex_unlock(&h->mu);
	return zs;
}

void zholder_refresh(struct zholder *h, struct zoneset **zs, uint64_t *gen)
{
	if (atomic_load_explicit(&h->gen, memory_order_acquire) == *gen)
		return;
	struct zoneset *n = zholder_get(h);
	zoneset_release(*zs);
	*zs = n;
	*gen = n->gen;
}

void zholder_publish(struct zholder *h, struct zoneset *zs)
{
	pthread_mutex_lock(&h->mu);
	struct zoneset *old = h->cur;
	zs->gen = old->gen + 1;
	h->cur = zs;
	atomic_store(&h->gen, zs->gen);
	pthread_mutex_unlock(&h->mu);
	zoneset_release(old);
}

void zholder_close(struct zholder *h)
{
	zoneset_release(h->cur);
	h->cur = NULL;
	pthread_mutex_destroy(&h->mu);
}
