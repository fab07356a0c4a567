/* The secondary's side of AXFR (RFC 5936) and IXFR (RFC 1995): queries, and
 * responses applied into a new record set only once complete. */
#include "dns_xfr_int.h"

int dns_xfr_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *zone, uint16_t qtype,
	const struct dns_xrr *soa, struct dns_tsig *tsig, uint64_t now_s)
{
	size_t reserve = dns_tsig_reserve(tsig);
	if (cap < reserve + DNS_HDR_LEN)
		return DNS_ENOMEM;
	struct dns_msgw w;
	int r = dns_msgw_init(&w, buf, cap - reserve, NULL, 0, id, 0);
	if (!r)
		r = dns_msgw_question(&w, zone, qtype, DNS_C_IN);
	/* RFC 1995 s3: the client's current SOA in the authority section. */
	if (!r && qtype == DNS_T_IXFR && soa)
		r = dns_msgw_rr(&w, DNS_S_AUTHORITY, soa->owner, DNS_T_SOA, soa->rclass, soa->ttl,
			soa->rdata, soa->rdlen);
	if (r)
		return r;
	int len = dns_msgw_finish(&w);
	if (len < 0 || !tsig)
		return len;
	return dns_tsig_sign(tsig, buf, (size_t)len, cap, now_s);
}

enum { ST_START = 0, ST_FIRST, ST_AXFR, ST_DEL, ST_ADD, ST_DONE, ST_UPTODATE };

void dns_xfr_rx_init(struct dns_xfr_rx *r, const uint8_t *zone, uint16_t id, uint16_t qtype,
	const struct dns_xset *cur, struct dns_xset *out, struct dns_tsig *tsig)
{
	memset(r, 0, sizeof *r);
	r->priv.out = out;
	r->priv.cur = cur;
	r->priv.tsig = tsig;
	memcpy(r->priv.zone, zone, dns_name_len(zone));
	r->priv.id = id;
	r->priv.qtype = qtype;
	struct dns_xrr soa;
	struct dns_soa s;
	if (cur && dns_xset_soa(cur, &soa) == 0 && dns_soa_parse(soa.rdata, soa.rdlen, &s) == 0) {
		r->priv.have_ours = true;
		r->priv.ours = s.serial;
	}
	dns_xset_reset(out);
}

static int fail(struct dns_xfr_rx *r, int err)
{
	if (!r->priv.err)
		r->priv.err = err;
	return r->priv.err;
}

/* RFC 1995 s4: an incremental answer is applied on top of our copy. */
static int copy_cur(struct dns_xfr_rx *r)
{
	struct dns_xset_iter it;
	struct dns_xrr rr;
	dns_xset_iter_init(&it, r->priv.cur);
	while (dns_xset_next(&it, &rr) == 1) {
		if (rr.type == DNS_T_SOA)
			continue;
		int e = dns_xset_add(r->priv.out, &rr);
		if (e)
			return e;
	}
	return 0;
}

/* One answer record through the state machine. */
static int record(struct dns_xfr_rx *r, const struct dns_msg *m, const struct dns_rr *rr)
{
	if (r->priv.state == ST_DONE)
		return DNS_EXFR_TRAILING;
	if (!dns_name_is_sub(rr->owner, r->priv.zone))
		return DNS_EXFR_OUT_OF_ZONE;
	r->priv.nrr++;
	uint32_t serial = 0;
	bool is_soa = rr->type == DNS_T_SOA;
	uint8_t rd[DNS_SOA_RDATA_MAX];
	int n = 0;
	if (is_soa) {
		struct dns_soa s;
		n = dns_rdata_unpack(m->wire, m->len, rr->rdoff, rr->rdlen, DNS_T_SOA, rd, sizeof rd);
		if (n < 0 || dns_soa_parse(rd, (uint16_t)n, &s) != 0)
			return DNS_EXFR_SOA;
		serial = s.serial;
		/* Only the apex has a SOA. */
		if (!dns_name_equal(rr->owner, r->priv.zone))
			return DNS_EXFR_OUT_OF_ZONE;
	}
	struct dns_xset *out = r->priv.out;
	switch (r->priv.state) {
	case ST_START:
		if (!is_soa)
			return DNS_EXFR_FIRST;
		r->priv.final = serial;
		memcpy(r->priv.soa_rdata, rd, (size_t)n);
		r->priv.soa_rdlen = (uint16_t)n;
		r->priv.soa_ttl = rr->ttl;
		r->priv.state = ST_FIRST;
		return 0;
	case ST_FIRST:
		if (!is_soa) {
			r->priv.state = ST_AXFR;
			return dns_xset_add_wire(out, m, rr, DNS_XOP_BASE);
		}
		if (serial == r->priv.final) {
			/* SOA, SOA: a zone of nothing but its SOA. */
			r->priv.state = ST_DONE;
			return 0;
		}
		if (r->priv.qtype != DNS_T_IXFR || !r->priv.have_ours || serial != r->priv.ours)
			return DNS_EXFR_CHAIN;
		r->priv.state = ST_DEL;
		return copy_cur(r);
	case ST_AXFR:
		if (!is_soa)
			return dns_xset_add_wire(out, m, rr, DNS_XOP_BASE);
		/* RFC 5936 2.2: the last record is the first SOA again. */
		if (serial != r->priv.final || (size_t)n != r->priv.soa_rdlen ||
		    memcmp(rd, r->priv.soa_rdata, (size_t)n) != 0)
			return DNS_EXFR_SOA;
		r->priv.state = ST_DONE;
		return 0;
	case ST_DEL:
		if (!is_soa)
			return dns_xset_add_wire(out, m, rr, DNS_XOP_DEL);
		r->priv.delta_to = serial;
		r->priv.state = ST_ADD;
		return 0;
	case ST_ADD:
		if (!is_soa)
			return dns_xset_add_wire(out, m, rr, DNS_XOP_ADD);
		if (serial == r->priv.final && r->priv.delta_to == r->priv.final) {
			r->priv.state = ST_DONE;
			return 0;
		}
		/* The next difference sequence starts where this one ended. */
		if (serial != r->priv.delta_to)
			return DNS_EXFR_CHAIN;
		r->priv.state = ST_DEL;
		return 0;
	default:
		return DNS_EXFR_TRAILING;
	}
}

static int finish(struct dns_xfr_rx *r)
{
	struct dns_xrr soa = { r->priv.zone, DNS_T_SOA, DNS_C_IN, r->priv.soa_ttl, r->priv.soa_rdlen,
		r->priv.soa_rdata };
	int e = dns_xset_add(r->priv.out, &soa);
	if (!e) {
		e = dns_xset_sort(r->priv.out);
		e = e < 0 ? e : 0;
	}
	if (e)
		return fail(r, e);
	return DNS_XFR_NEW;
}

int dns_xfr_rx_input(struct dns_xfr_rx *r, const uint8_t *msg, size_t len, uint64_t now_s)
{
	if (r->priv.err)
		return r->priv.err;
	if (r->priv.state == ST_DONE || r->priv.state == ST_UPTODATE)
		return fail(r, DNS_EXFR_TRAILING);
	struct dns_msg m;
	int e = dns_msg_parse(&m, msg, len);
	if (e)
		return fail(r, e);
	if (m.hdr.id != r->priv.id || !(m.hdr.flags & DNS_F_QR) || DNS_OPCODE(m.hdr.flags) != DNS_OP_QUERY)
		return fail(r, DNS_EXFR_MISMATCH);
	int signed_ok = 0;
	if (r->priv.tsig) {
		signed_ok = dns_tsig_client_verify(r->priv.tsig, &m, now_s);
		if (signed_ok < 0)
			return fail(r, signed_ok);
	}
	if (dns_msg_rcode(&m) != DNS_RC_NOERROR)
		return fail(r, DNS_EXFR_RCODE);
	if (m.hdr.count[0] > 1 || (m.hdr.count[0] == 1 && (!dns_name_equal(m.q.name, r->priv.zone) ||
	    m.q.type != r->priv.qtype)))
		return fail(r, DNS_EXFR_MISMATCH);
	r->priv.nmsg++;
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&m, &it);
	while (dns_msg_next(&m, &it, &rr) && rr.section == DNS_S_ANSWER) {
		e = record(r, &m, &rr);
		if (e)
			return fail(r, e);
	}
	if (r->priv.state == ST_FIRST && r->priv.qtype == DNS_T_IXFR && r->priv.have_ours &&
	    !dns_serial_gt(r->priv.final, r->priv.ours)) {
		/* RFC 1995 s2: a lone SOA not newer than ours. */
		r->priv.state = ST_UPTODATE;
		return DNS_XFR_UPTODATE;
	}
	if (r->priv.state != ST_DONE)
		return DNS_EAGAIN;
	/* RFC 8945 5.3.1: the last message must be signed. */
	if (r->priv.tsig && dns_tsig_client_end(r->priv.tsig) != 0)
		return fail(r, DNS_ETSIG_UNSIGNED);
	return finish(r);
}

int dns_xfr_rx_end(struct dns_xfr_rx *r)
{
	if (r->priv.err)
		return r->priv.err;
	if (r->priv.state == ST_UPTODATE)
		return DNS_XFR_UPTODATE;
	if (r->priv.state == ST_DONE)
		return DNS_XFR_NEW;
	return fail(r, DNS_EXFR_INCOMPLETE);
}

uint32_t dns_xfr_rx_messages(const struct dns_xfr_rx *r)
{
	return r->priv.nmsg;
}
