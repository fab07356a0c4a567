/*
 * httpd links dnsd's zone loader (zones.c) to check the zones of a pushed
 * commit before it is accepted. It never serves DNS, so the zone-transfer
 * hooks zones.c calls (secondary zones, IXFR history, NOTIFY: xfr_zones.c in
 * dnsd) have nothing to do here.
 */
#include "dnsd.h"
#include "xfr.h"

void xfr_zoneset_free(struct zoneset *zs)
{
	(void)zs;
}

void xfr_first_hook(struct zoneset *zs)
{
	(void)zs;
}

bool xfr_publish_hook(struct zholder *h, struct zoneset *zs)
{
	(void)h;
	(void)zs;
	return false;
}
