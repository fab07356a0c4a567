/* A record source over the zone database, for AXFR, IXFR and the journal. */
#include "dns_xfr_int.h"

static int zs_rewind(void *ctx)
{
	struct dns_zone_src *zs = ctx;
	memset(&zs->priv.it, 0, sizeof zs->priv.it);
	zs->priv.in_set = false;
	zs->priv.i = 0;
	zs->priv.soa_done = false;
	return 0;
}

static int zs_next(void *ctx, struct dns_xrr *rr)
{
	struct dns_zone_src *zs = ctx;
	const struct dns_zone *z = zs->priv.z;
	if (zs->priv.soa_first && !zs->priv.soa_done) {
		zs->priv.soa_done = true;
		struct dns_rrset soa;
		if (dns_zone_get(z, dns_zone_origin(z), DNS_T_SOA, &soa) != 1 || soa.count < 1)
			return DNS_EXFR_SOA;
		rr->owner = soa.owner;
		rr->type = DNS_T_SOA;
		rr->rclass = DNS_C_IN;
		rr->ttl = soa.ttl;
		rr->rdata = dns_rrset_rdata(&soa, 0, &rr->rdlen);
		return 1;
	}
	for (;;) {
		if (!zs->priv.in_set || zs->priv.i >= zs->priv.set.count) {
			if (dns_zone_next(z, &zs->priv.it, &zs->priv.set) != 1)
				return 0;
			zs->priv.in_set = true;
			zs->priv.i = 0;
			if (zs->priv.soa_first && zs->priv.set.type == DNS_T_SOA)
				zs->priv.i = zs->priv.set.count;
			continue;
		}
		rr->owner = zs->priv.set.owner;
		rr->type = zs->priv.set.type;
		rr->rclass = DNS_C_IN;
		rr->ttl = zs->priv.set.ttl;
		rr->rdata = dns_rrset_rdata(&zs->priv.set, zs->priv.i++, &rr->rdlen);
		return 1;
	}
}

void dns_zone_src_init(struct dns_zone_src *zs, const struct dns_zone *z, bool soa_first,
	struct dns_rr_src *src)
{
	memset(zs, 0, sizeof *zs);
	zs->priv.z = z;
	zs->priv.soa_first = soa_first;
	src->next = zs_next;
	src->rewind = zs_rewind;
	src->ctx = zs;
}
