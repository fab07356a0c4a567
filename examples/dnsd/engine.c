/* dnsd: the transport's answer callback, over libdns's authoritative engine. */
#include "dnsd.h"

int engine_answer(void *ctx, struct dns_req *req, uint8_t *out, size_t cap)
{
	struct engine *e = ctx;
	if (e->xw) {
		int x = xfr_answer(e, req, out, cap); /* TSIG, AXFR/IXFR, NOTIFY */
		if (x != XFR_PASS)
			return x;
	}
	struct dns_answer_opts o = { .tcp = req->transport == DNS_TR_TCP, .udp_max = e->udp_max };
	return dns_answer(e->zs->zp, e->zs->nzones, req->wire, req->len, out, cap, e->ctab,
		sizeof e->ctab / sizeof e->ctab[0], &o);
}
