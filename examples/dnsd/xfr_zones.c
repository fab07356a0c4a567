/* dnsd: zone data shared between zone sets, IXFR journals, secondary zones
 * in the set, and publishing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"

/* Each version's journal arena: malloc'd, so only the octets the journal
 * writes are ever touched. */
#define JOURNAL_CAP ((size_t)4 << 20)

struct zdata *zdata_new(void *arena)
{
	struct zdata *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	atomic_init(&d->refs, 1);
	d->arena = arena;
	return d;
}

void zdata_ref(struct zdata *d)
{
	if (d)
		atomic_fetch_add(&d->refs, 1);
}

void zdata_release(struct zdata *d)
{
	if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	free(d->arena);
	free(d->jmem);
	free(d);
}

static void zsx_free(struct zsx *x, size_t n)
{
	if (!x)
		return;
	for (size_t i = 0; x->d && i < n; i++)
		zdata_release(x->d[i]);
	free(x->d);
	free(x->unserv);
	free(x->changed);
	free(x);
}

void xfr_zoneset_free(struct zoneset *zs)
{
	zsx_free(zs->x, zs->nzones);
	zs->x = NULL;
}

int xfr_zone_index(const struct zoneset *zs, const uint8_t *origin)
{
	for (size_t i = 0; zs && i < zs->nzones; i++)
		if (dns_name_equal(dns_zone_origin(&zs->zones[i]), origin))
			return (int)i;
	return -1;
}

static struct zsx *zsx_new(size_t n)
{
	struct zsx *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->d = calloc(n ? n : 1, sizeof *x->d);
	x->unserv = calloc(n ? n : 1, sizeof *x->unserv);
	x->changed = calloc(n ? n : 1, sizeof *x->changed);
	if (!x->d || !x->unserv || !x->changed) {
		zsx_free(x, 0);
		return NULL;
	}
	return x;
}

static void soa_of(const struct dns_zone *z, struct dns_xrr *soa)
{
	struct dns_rrset set;
	memset(soa, 0, sizeof *soa);
	const uint8_t *o = dns_zone_origin(z);
	if (dns_zone_get(z, o, DNS_T_SOA, &set) != 1)
		return;
	soa->owner = o;
	soa->type = DNS_T_SOA;
	soa->rclass = DNS_C_IN;
	soa->ttl = set.ttl;
	soa->rdata = dns_rrset_rdata(&set, 0, &soa->rdlen);
}

/* Fills nd's journal: od's history plus the difference from oz to nz. */
static void journal_fill(struct xfr *x, struct zdata *nd, const struct dns_zone *nz,
	const struct zdata *od, const struct dns_zone *oz)
{
	unsigned hist = x->c->ixfr_history;
	if (!hist || !nd)
		return;
	char o[DNS_NAME_MAX * 4 + 2];
	dns_name_to_text(dns_zone_origin(nz), o, sizeof o);
	nd->jmem = malloc(JOURNAL_CAP);
	if (!nd->jmem) {
		cl_log(CL_LOG_WARN, "IXFR history of %s: out of memory, IXFR falls back to AXFR", o);
		return;
	}
	dns_journal_init(&nd->j, nd->jmem, JOURNAL_CAP, hist);
	nd->have_j = true;
	if (od && od->have_j && dns_journal_copy(&nd->j, &od->j) < 0)
		cl_log(CL_LOG_WARN, "IXFR history of %s: the old history does not fit, starting afresh", o);
	if (!oz || !dns_zone_nodes(oz))
		return;
	uint32_t os = dns_zone_serial(oz), ns = dns_zone_serial(nz);
	if (os == ns)
		return;
	struct dns_zone_src a, b;
	struct dns_rr_src sa, sb;
	dns_zone_src_init(&a, oz, false, &sa);
	dns_zone_src_init(&b, nz, false, &sb);
	size_t need = 0;
	int r = dns_journal_add(&nd->j, &sa, &sb, &need);
	if (r == DNS_ENOMEM)
		cl_log(CL_LOG_WARN, "IXFR history of %s: the change %u -> %u needs %zu octets, more than "
			"the journal's %zu: IXFR from older serials falls back to AXFR", o, os, ns, need,
			(size_t)JOURNAL_CAP);
	else if (r < 0)
		cl_log(CL_LOG_WARN, "IXFR history of %s: serial %u -> %u not kept: %s", o, os, ns,
			dns_strerror(r));
	else
		cl_log(CL_LOG_INFO, "IXFR history of %s: serial %u -> %u, %d records changed, %u "
			"versions kept", o, os, ns, r, dns_journal_count(&nd->j));
}

/* Moves the file zones' arenas into zdata and appends the secondary zones
 * as served now. Under pub_mu (or before any thread runs). */
static int extend(struct xfr *x, struct zoneset *zs)
{
	size_t nfile = zs->nzones, nsec = x->c->nsec, n = nfile + nsec;
	struct zsx *e = zsx_new(n);
	if (!e)
		return -1;
	if (nsec) {
		struct dns_zone *zones = realloc(zs->zones, n * sizeof *zones);
		if (zones)
			zs->zones = zones;
		const struct dns_zone **zp = realloc(zs->zp, n * sizeof *zp);
		if (zp)
			zs->zp = zp;
		void **arenas = realloc(zs->arenas, n * sizeof *arenas);
		if (arenas)
			zs->arenas = arenas;
		if (!zones || !zp || !arenas) {
			zsx_free(e, 0);
			return -1;
		}
	}
	for (size_t i = 0; i < nfile; i++) {
		e->d[i] = zdata_new(zs->arenas[i]);
		if (!e->d[i]) {
			zsx_free(e, n);
			return -1;
		}
		zs->arenas[i] = NULL;
	}
	for (size_t k = 0; k < nsec; k++) {
		size_t i = nfile + k;
		zs->arenas[i] = NULL;
		if (x->served[k].data) {
			zs->zones[i] = x->served[k].zone;
			e->d[i] = x->served[k].data;
			zdata_ref(e->d[i]);
		} else {
			dns_zone_init(&zs->zones[i], x->c->sec[k].p.zone, NULL, 0);
		}
		e->unserv[i] = !x->served[k].servable;
		e->nunserv += e->unserv[i];
	}
	for (size_t i = 0; i < n; i++)
		zs->zp[i] = &zs->zones[i];
	e->nfile = nfile;
	zs->nzones = n;
	zs->x = e;
	return 0;
}

/* The daemon's one transfer state, for the hooks in zholder_init() and
 * zholder_publish(): every way a zone set gets published (--zone files,
 * SIGHUP, --repo) passes there. NULL until xfr_setup(): then the hooks do
 * nothing (the reload test). */
static struct xfr *the_xfr;

int xfr_setup(struct dnsd *d, char *err, size_t errcap)
{
	struct config *cfg = &d->cfg;
	if (!cfg->xfr)
		cfg->xfr = calloc(1, sizeof *cfg->xfr);
	struct xfr *x = calloc(1, sizeof *x);
	if (x)
		x->served = calloc(cfg->xfr && cfg->xfr->nsec ? cfg->xfr->nsec : 1, sizeof *x->served);
	if (!cfg->xfr || !x || !x->served) {
		if (x)
			free(x->served);
		free(x);
		if (err)
			snprintf(err, errcap, "out of memory");
		return -1;
	}
	x->d = d;
	x->c = cfg->xfr;
	pthread_mutex_init(&x->pub_mu, NULL);
	d->xfr = x;
	the_xfr = x;
	return 0;
}

void xfr_teardown(void)
{
	the_xfr = NULL;
}

void xfr_first_hook(struct zoneset *zs)
{
	struct xfr *x = the_xfr;
	if (!x || zs->x)
		return;
	pthread_mutex_lock(&x->pub_mu);
	if (extend(x, zs) == 0) {
		/* History is not kept on disk: it starts now. */
		for (size_t i = 0; i < zs->x->nfile; i++)
			journal_fill(x, zs->x->d[i], &zs->zones[i], NULL, NULL);
	} else {
		cl_log(CL_LOG_ERROR, "out of memory: secondary zones and IXFR history not set up");
	}
	pthread_mutex_unlock(&x->pub_mu);
}

bool xfr_publish_hook(struct zholder *h, struct zoneset *zs)
{
	struct xfr *x = the_xfr;
	if (!x || zs->x)
		return false; /* a set of xfr_publish_secondary(), ready as it is */
	pthread_mutex_lock(&x->pub_mu);
	if (extend(x, zs) < 0) {
		pthread_mutex_unlock(&x->pub_mu);
		cl_log(CL_LOG_ERROR, "new zones not published, the old zones keep serving: out of memory");
		zoneset_release(zs);
		return true;
	}
	struct zoneset *old = zholder_get(h);
	for (size_t i = 0; i < zs->x->nfile; i++) {
		const struct dns_zone *nz = &zs->zones[i];
		int oi = xfr_zone_index(old, dns_zone_origin(nz));
		const struct dns_zone *oz = oi >= 0 ? &old->zones[oi] : NULL;
		const struct zdata *od = oi >= 0 && old->x ? old->x->d[oi] : NULL;
		journal_fill(x, zs->x->d[i], nz, od, oz);
		if (oz && dns_zone_serial(oz) != dns_zone_serial(nz)) {
			zs->x->changed[i] = true;
			if (!dns_serial_gt(dns_zone_serial(nz), dns_zone_serial(oz))) {
				char o[DNS_NAME_MAX * 4 + 2];
				dns_name_to_text(dns_zone_origin(nz), o, sizeof o);
				cl_log(CL_LOG_WARN, "zone %s: serial %u -> %u does not move forward (RFC 1982): "
					"secondaries will not follow", o, dns_zone_serial(oz), dns_zone_serial(nz));
			}
		}
	}
	zholder_publish(h, zs); /* zs->x is set now: the plain publish */
	/* The holder has our reference now; under pub_mu nobody publishes
	 * over it, so it is still alive here. */
	for (size_t i = 0; i < zs->x->nfile; i++) {
		if (!zs->x->changed[i])
			continue;
		struct dns_xrr soa;
		soa_of(&zs->zones[i], &soa);
		if (soa.rdata)
			xfr_notify_queue(x, dns_zone_origin(&zs->zones[i]), &soa);
	}
	pthread_mutex_unlock(&x->pub_mu);
	zoneset_release(old);
	return true;
}

int xfr_publish_secondary(struct xfr *x, size_t k, const struct dns_zone *zone,
	struct zdata *data, bool servable)
{
	struct dnsd *d = x->d;
	pthread_mutex_lock(&x->pub_mu);
	struct zoneset *cur = zholder_get(&d->zones);
	size_t n = cur->nzones, i = cur->x->nfile + k;
	struct zoneset *zs = calloc(1, sizeof *zs);
	struct zsx *e = zsx_new(n);
	if (zs) {
		zs->zones = malloc(n * sizeof *zs->zones);
		zs->zp = calloc(n, sizeof *zs->zp);
		zs->arenas = calloc(n, sizeof *zs->arenas);
		zs->nzones = n;
		atomic_init(&zs->refs, 1);
	}
	if (!zs || !e || !zs->zones || !zs->zp || !zs->arenas) {
		zsx_free(e, 0);
		zoneset_release(zs);
		zoneset_release(cur);
		pthread_mutex_unlock(&x->pub_mu);
		return -1;
	}
	memcpy(zs->zones, cur->zones, n * sizeof *zs->zones);
	for (size_t j = 0; j < n; j++) {
		zs->zp[j] = &zs->zones[j];
		e->d[j] = cur->x->d[j];
		zdata_ref(e->d[j]);
		e->unserv[j] = cur->x->unserv[j];
	}
	e->nfile = cur->x->nfile;
	if (data) {
		journal_fill(x, data, zone, e->d[i], e->d[i] ? &cur->zones[i] : NULL);
		zdata_release(e->d[i]);
		e->d[i] = data;
		zdata_ref(data);
		zs->zones[i] = *zone;
		zdata_release(x->served[k].data);
		x->served[k].data = data;
		zdata_ref(data);
		x->served[k].zone = *zone;
	}
	e->unserv[i] = !servable;
	x->served[k].servable = servable;
	for (size_t j = 0; j < n; j++)
		e->nunserv += e->unserv[j];
	zs->x = e;
	zholder_publish(&d->zones, zs);
	pthread_mutex_unlock(&x->pub_mu);
	zoneset_release(cur);
	return 0;
}
