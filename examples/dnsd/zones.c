/* dnsd: loading the zone set from files, and sharing it between workers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"

/* ---- Loading */

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

/* The parser's record callback: adds to the zone, and on a refusal keeps
 * the zone's own reason (which record, which check). */
struct adder {
	struct dns_zone *z;
	struct dns_zone_err zerr;
};

static int add_rr(void *ctx, const struct dns_zrr *rr)
{
	struct adder *a = ctx;
	return dns_zone_add(a->z, rr, &a->zerr);
}

static void zone_err_text(char *err, size_t errcap, const char *path, const struct zone_src *src,
	const struct dns_zone_err *ze)
{
	char name[DNS_NAME_MAX * 4 + 2] = "";
	if (ze->name[0] || ze->code != DNS_EZONE_NO_SOA)
		dns_name_to_text(ze->name, name, sizeof name);
	const char *type = dns_type_name(ze->type);
	char tbuf[16];
	if (!type) {
		snprintf(tbuf, sizeof tbuf, "TYPE%u", ze->type);
		type = tbuf;
	}
	char where[64] = "";
	if (ze->line)
		snprintf(where, sizeof where, ":%u", ze->line);
	snprintf(err, errcap, "%s%s: zone %s: %.300s %s: %s", path, where, src->origin_text, name,
		ze->type ? type : "", dns_strerror(ze->code));
}

/* Parses one file into z, whose arena is cap octets. 0, DNS_ENOMEM (the
 * arena is short: dns_zone_needed() tells by how much), or -1 with err. */
static int parse_into(struct dns_zone *z, void *arena, size_t cap, const struct zone_src *src,
	const uint8_t *text, size_t len, struct dns_zparser *p, char *err, size_t errcap)
{
	dns_zone_init(z, src->origin, arena, cap);
	struct adder ad = { .z = z };
	char msg[256] = "";
	struct dns_zopts o;
	memset(&o, 0, sizeof o);
	o.file = src->path;
	o.origin = src->origin;
	o.default_ttl = 3600;
	o.have_default_ttl = true;
	o.rclass = DNS_C_IN;
	o.rr = add_rr;
	o.rr_ctx = &ad;
	o.errmsg = msg;
	o.errcap = sizeof msg;
	struct dns_zerror ze;
	memset(&ze, 0, sizeof ze);
	int r = dns_zone_parse(p, &o, text, len, &ze);
	if (r < 0) {
		if (ad.zerr.code)
			zone_err_text(err, errcap, src->path, src, &ad.zerr);
		else
			snprintf(err, errcap, "%s:%u:%u: %s", ze.file ? ze.file : src->path, ze.line,
				ze.col, msg[0] ? msg : dns_strerror(ze.code));
		return -1;
	}
	struct dns_zone_err fe;
	memset(&fe, 0, sizeof fe);
	r = dns_zone_finish(z, &fe);
	if (r == DNS_ENOMEM)
		return DNS_ENOMEM;
	if (r < 0) {
		zone_err_text(err, errcap, src->path, src, &fe);
		return -1;
	}
	return 0;
}

/* Parses text into zone i of zs, in an arena of its own. */
static int load_text(struct zoneset *zs, size_t i, const struct zone_src *src, const uint8_t *text,
	size_t len, struct dns_zparser *p, char *err, size_t errcap)
{
	/* A first guess; a short arena costs one more parse with the size
	 * the zone says it needs. */
	size_t cap = 4096 + 4 * len;
	int r = DNS_ENOMEM;
	for (int attempt = 0; attempt < 3 && r == DNS_ENOMEM; attempt++) {
		free(zs->arenas[i]);
		zs->arenas[i] = malloc(cap);
		if (!zs->arenas[i]) {
			snprintf(err, errcap, "%s: out of memory (%zu octets)", src->path, cap);
			r = -1;
			break;
		}
		r = parse_into(&zs->zones[i], zs->arenas[i], cap, src, text, len, p, err, errcap);
		if (r == DNS_ENOMEM)
			cap = dns_zone_needed(&zs->zones[i]);
	}
	if (r == DNS_ENOMEM)
		snprintf(err, errcap, "%s: the zone does not fit %zu octets", src->path, cap);
	if (r)
		return -1;
	zs->arena_bytes += cap;
	zs->zp[i] = &zs->zones[i];
	return 0;
}

static struct zoneset *zoneset_new(size_t n)
{
	struct zoneset *zs = calloc(1, sizeof *zs);
	if (!zs)
		return NULL;
	zs->zones = calloc(n ? n : 1, sizeof *zs->zones);
	zs->zp = calloc(n ? n : 1, sizeof *zs->zp);
	zs->arenas = calloc(n ? n : 1, sizeof *zs->arenas);
	zs->nzones = n;
	atomic_init(&zs->refs, 1);
	if (!zs->zones || !zs->zp || !zs->arenas) {
		zoneset_release(zs);
		return NULL;
	}
	return zs;
}

/* Loads zone texts (from files or from a commit) into a new set: all of
 * them, or NULL with the first error. */
static struct zoneset *load_all(size_t n, const struct zone_src *(*src_of)(const void *, size_t),
	int (*text_of)(const void *, size_t, const uint8_t **, size_t *, char *, size_t),
	void (*text_done)(const void *, size_t, const uint8_t *), const void *arg, char *err, size_t errcap)
{
	struct zoneset *zs = zoneset_new(n);
	struct dns_zparser *p = malloc(sizeof *p);
	if (!zs || !p) {
		snprintf(err, errcap, "out of memory");
		free(p);
		zoneset_release(zs);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *text;
		size_t len;
		int r = text_of(arg, i, &text, &len, err, errcap);
		if (r == 0) {
			r = load_text(zs, i, src_of(arg, i), text, len, p, err, errcap);
			text_done(arg, i, text);
		}
		if (r < 0) {
			free(p);
			zoneset_release(zs);
			return NULL;
		}
	}
	free(p);
	return zs;
}

static const struct zone_src *cfg_src(const void *arg, size_t i)
{
	return &((const struct config *)arg)->zones[i];
}

static int cfg_text(const void *arg, size_t i, const uint8_t **text, size_t *len, char *err, size_t errcap)
{
	uint8_t *t = read_file(cfg_src(arg, i)->path, len, err, errcap);
	*text = t;
	return t ? 0 : -1;
}

static void cfg_done(const void *arg, size_t i, const uint8_t *text)
{
	(void)arg;
	(void)i;
	free((void *)(uintptr_t)text);
}

struct zoneset *zoneset_load(const struct config *cfg, char *err, size_t errcap)
{
	return load_all(cfg->nzones, cfg_src, cfg_text, cfg_done, cfg, err, errcap);
}

static const struct zone_src *zt_src(const void *arg, size_t i)
{
	return &((const struct zone_text *)arg)[i].src;
}

static int zt_text(const void *arg, size_t i, const uint8_t **text, size_t *len, char *err, size_t errcap)
{
	(void)err;
	(void)errcap;
	*text = ((const struct zone_text *)arg)[i].text;
	*len = ((const struct zone_text *)arg)[i].len;
	return 0;
}

static void zt_done(const void *arg, size_t i, const uint8_t *text)
{
	(void)arg;
	(void)i;
	(void)text;
}

struct zoneset *zoneset_load_texts(const struct zone_text *zt, size_t n, char *err, size_t errcap)
{
	return load_all(n, zt_src, zt_text, zt_done, zt, err, errcap);
}

void zoneset_release(struct zoneset *zs)
{
	if (!zs || atomic_fetch_sub(&zs->refs, 1) != 1)
		return;
	xfr_zoneset_free(zs);
	for (size_t i = 0; zs->arenas && i < zs->nzones; i++)
		free(zs->arenas[i]);
	free(zs->arenas);
	free(zs->zp);
	free(zs->zones);
	free(zs);
}

void zoneset_describe(const struct zoneset *zs, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < zs->nzones && n < cap; i++) {
		const struct dns_zone *z = &zs->zones[i];
		char origin[DNS_NAME_MAX * 4 + 2];
		dns_name_to_text(dns_zone_origin(z), origin, sizeof origin);
		int w = snprintf(buf + n, cap - n, "%s%s (%u names, serial %u)", i ? ", " : "", origin,
			dns_zone_nodes(z), dns_zone_serial(z));
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* ---- Sharing */

void zholder_init(struct zholder *h, struct zoneset *first)
{
	xfr_first_hook(first); /* secondary zones, IXFR history (xfr_zones.c) */
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
	if (xfr_publish_hook(h, zs)) /* secondary zones, IXFR history, NOTIFY (xfr_zones.c) */
		return;
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
