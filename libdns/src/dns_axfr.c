/* AXFR responses (RFC 5936 2.2): SOA, the zone, SOA, in as many messages
 * as needed, each compressed on its own and optionally TSIG-signed. */
#include "dns_xfr_int.h"

enum { PH_SOA1 = 0, PH_BODY, PH_SOA2, PH_DONE };

int dns_axfr_init(struct dns_axfr *x, const struct dns_msg *query, const struct dns_rr_src *src,
	struct dns_tsig *tsig, size_t limit)
{
	memset(x, 0, sizeof *x);
	x->priv.src = *src;
	x->priv.tsig = tsig;
	x->priv.limit = limit == 0 || limit > 65535 ? 65535 : limit;
	if (query->hdr.count[0] != 1)
		return x->priv.err = DNS_EINVAL;
	memcpy(x->priv.qname, query->q.name, dns_name_len(query->q.name));
	x->priv.qtype = query->q.type;
	x->priv.qclass = query->q.qclass;
	x->priv.id = query->hdr.id;
	x->priv.rd = query->hdr.flags & DNS_F_RD;
	struct dns_xrr soa;
	int r = src->next(src->ctx, &soa);
	if (r <= 0)
		return x->priv.err = r < 0 ? r : DNS_EXFR_FIRST;
	if (soa.type != DNS_T_SOA)
		return x->priv.err = DNS_EXFR_FIRST;
	if (soa.rdlen > DNS_SOA_RDATA_MAX)
		return x->priv.err = DNS_EXFR_SOA;
	memcpy(x->priv.soa_owner, soa.owner, dns_name_len(soa.owner));
	memcpy(x->priv.soa_rdata, soa.rdata, soa.rdlen);
	x->priv.soa_rdlen = soa.rdlen;
	x->priv.soa_ttl = soa.ttl;
	x->priv.phase = PH_SOA1;
	return 0;
}

void dns_axfr_soa(const struct dns_axfr *x, struct dns_xrr *soa)
{
	soa->owner = x->priv.soa_owner;
	soa->type = DNS_T_SOA;
	soa->rclass = x->priv.qclass == DNS_C_ANY ? DNS_C_IN : x->priv.qclass;
	soa->ttl = x->priv.soa_ttl;
	soa->rdlen = x->priv.soa_rdlen;
	soa->rdata = x->priv.soa_rdata;
}

size_t dns_tsig_reserve(const struct dns_tsig *t)
{
	return t && t->priv.active && t->priv.key ? dns_tsig_size(t->priv.key) : 0;
}

int dns_xfr_msg_begin(struct dns_msgw *w, const struct dns_axfr *x, uint8_t *buf, size_t cap,
	uint16_t *ctab, size_t ctab_cap, size_t *room)
{
	size_t size = cap < x->priv.limit ? cap : x->priv.limit;
	size_t reserve = dns_tsig_reserve(x->priv.tsig);
	if (size < reserve + DNS_HDR_LEN)
		return DNS_ENOMEM;
	*room = size - reserve;
	int r = dns_msgw_init(w, buf, *room, ctab, ctab_cap, x->priv.id,
		(uint16_t)(DNS_F_QR | DNS_F_AA | x->priv.rd));
	if (r)
		return r;
	/* RFC 5936 2.2.1: the question in the first message. */
	if (x->priv.nmsg == 0)
		return dns_msgw_question(w, x->priv.qname, x->priv.qtype, x->priv.qclass);
	return 0;
}

/* Writes one record; 1 written, 0 no room (message rewound), <0 error. A
 * record that does not fit into an otherwise empty message never will. */
int dns_xfr_put(struct dns_msgw *w, const struct dns_xrr *rr, unsigned written)
{
	struct dns_msgw_mark m;
	dns_msgw_mark(w, &m);
	int r = dns_msgw_xrr(w, rr);
	if (r == 0)
		return 1;
	dns_msgw_rewind(w, &m);
	if (r != DNS_ENOMEM)
		return r;
	return written ? 0 : DNS_EXFR_RR_SIZE;
}

int dns_xfr_msg_end(struct dns_msgw *w, struct dns_axfr *x, uint8_t *buf, size_t cap, uint64_t now_s)
{
	int len = dns_msgw_finish(w);
	if (len < 0)
		return len;
	x->priv.nmsg++;
	if (x->priv.tsig)
		len = dns_tsig_sign(x->priv.tsig, buf, (size_t)len, cap < 65535 ? cap : 65535, now_s);
	return len;
}

int dns_axfr_next(struct dns_axfr *x, uint8_t *buf, size_t cap, uint16_t *ctab, size_t ctab_cap,
	uint64_t now_s)
{
	if (x->priv.err)
		return x->priv.err;
	if (x->priv.phase == PH_DONE)
		return 0;
	struct dns_msgw w;
	size_t room;
	int r = dns_xfr_msg_begin(&w, x, buf, cap, ctab, ctab_cap, &room);
	if (r)
		return x->priv.err = r == DNS_ENOMEM ? DNS_EXFR_RR_SIZE : r;
	unsigned written = 0;
	struct dns_xrr soa;
	dns_axfr_soa(x, &soa);
	while (x->priv.phase != PH_DONE) {
		struct dns_xrr *rr = &soa;
		if (x->priv.phase == PH_BODY) {
			if (!x->priv.have_pending) {
				r = x->priv.src.next(x->priv.src.ctx, &x->priv.pending);
				if (r < 0)
					return x->priv.err = r;
				if (r == 0) {
					x->priv.phase = PH_SOA2;
					continue;
				}
				/* The source's SOA was sent first; it is the last
				 * record only through PH_SOA2. */
				if (x->priv.pending.type == DNS_T_SOA)
					continue;
				x->priv.have_pending = true;
			}
			rr = &x->priv.pending;
		}
		r = dns_xfr_put(&w, rr, written);
		if (r < 0)
			return x->priv.err = r;
		if (r == 0)
			break;
		written++;
		if (x->priv.phase == PH_BODY)
			x->priv.have_pending = false;
		else
			x->priv.phase++;
	}
	r = dns_xfr_msg_end(&w, x, buf, cap, now_s);
	if (r < 0)
		x->priv.err = r;
	return r;
}

bool dns_axfr_done(const struct dns_axfr *x)
{
	return x->priv.phase == PH_DONE;
}
