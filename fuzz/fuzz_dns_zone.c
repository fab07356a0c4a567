/*
 * Zone-file parse: every record handed to the callback must be valid RDATA
 * for its type, print as text, and that text must parse back to the same
 * wire form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx { struct dns_zparser *again; };

static int check_rr(void *vctx, const struct dns_zrr *rr)
{
	struct ctx *c = vctx;
	if (rr->rdlen && dns_type_is_typed(rr->type) && dns_rdata_check(rr->type, rr->rdata, rr->rdlen) != 0)
		abort();
	static char text[300000];
	int n = dns_rr_to_text(rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen,
		text, sizeof text);
	if (n < 0)
		abort();
	if (!c->again)
		return 0;
	/* The printed record parses back to the same wire form. */
	static uint8_t want[65536];
	uint16_t wl = rr->rdlen;
	memcpy(want, rr->rdata, wl);
	struct dns_zparser *p2 = c->again;
	struct ctx c2 = { NULL };
	struct dns_zopts o2 = { .file = "again", .rclass = rr->rclass, .rr = NULL, .rr_ctx = &c2 };
	struct dns_zerror e2;
	text[n] = '\n';
	int r = dns_zone_parse(p2, &o2, (const uint8_t *)text, (size_t)n + 1, &e2);
	if (r != 1)
		abort();
	if (memcmp(p2->priv.rdata, want, wl) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_zparser p, again;
	static const uint8_t origin[] = "\7example\0";
	char msg[256];
	struct ctx c = { &again };
	struct dns_zopts o = { .file = "fuzz", .origin = origin, .rclass = DNS_C_IN,
		.rr = check_rr, .rr_ctx = &c, .errmsg = msg, .errcap = sizeof msg };
	struct dns_zerror e;
	int r = dns_zone_parse(&p, &o, data, size, &e);
	if (r < 0 && (e.line == 0 || e.col == 0 || strlen(msg) == 0))
		abort();
	return 0;
}
