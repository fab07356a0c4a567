/* Cutting a response back to a size limit at an RRset boundary (RFC 2181 9). */
#include "dns_int.h"

/* Is the additional record rr in-domain glue of a referral in m (RFC 9471
 * 2.1): an address of a name server named in an authority NS record and
 * lying inside the delegated zone (that NS record's owner)? */
static bool is_in_domain_glue(const struct dns_msg *m, const struct dns_rr *rr)
{
	if (rr->type != DNS_T_A && rr->type != DNS_T_AAAA)
		return false;
	struct dns_msg_iter it;
	struct dns_rr ns;
	dns_msg_iter_init(m, &it);
	while (dns_msg_next(m, &it, &ns) && ns.section <= DNS_S_AUTHORITY) {
		if (ns.section != DNS_S_AUTHORITY || ns.type != DNS_T_NS)
			continue;
		uint8_t target[DNS_NAME_MAX];
		if (dns_rdata_unpack(m->wire, m->len, ns.rdoff, ns.rdlen, DNS_T_NS, target,
			    sizeof target) <= 0)
			continue;
		if (dns_name_equal(target, rr->owner) && dns_name_is_sub(target, ns.owner))
			return true;
	}
	return false;
}

/* Does leaving out every record from offset `from` on lose data the client
 * needs, so that it must retry over TCP (set TC)? */
static bool loses_required(const struct dns_msg *m, size_t from)
{
	bool referral = !(m->hdr.flags & DNS_F_AA) && m->hdr.count[DNS_S_ANSWER] == 0;
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(m, &it);
	for (;;) {
		size_t start = it.pos;
		if (!dns_msg_next(m, &it, &rr))
			return false;
		if (start < from || rr.type == DNS_T_OPT || rr.type == DNS_T_TSIG)
			continue;
		if (rr.section != DNS_S_ADDITIONAL)
			return true;
		if (referral && is_in_domain_glue(m, &rr))
			return true;
	}
}

/* The extent of the OPT record at off (its owner is the root, maybe as a
 * pointer). */
static size_t opt_extent(const struct dns_msg *m, size_t off)
{
	struct dns_rd c;
	uint8_t owner[DNS_NAME_MAX];
	dns_rd_init(&c, m->wire, m->end, true);
	c.pos = off;
	dns_rd_name(&c, owner, DNS_NM_COMP);
	dns_rd_take(&c, 8);
	uint16_t rdlen = dns_rd_u16(&c);
	dns_rd_take(&c, rdlen);
	return c.err ? 0 : c.pos - off;
}

int dns_msg_truncate(const uint8_t *in, size_t len, uint8_t *out, size_t limit)
{
	if (len <= limit) {
		if (out != in)
			memmove(out, in, len);
		return (int)len;
	}
	struct dns_msg m;
	int r = dns_msg_parse(&m, in, len);
	if (r)
		return r;
	size_t opt_len = m.opt_off ? opt_extent(&m, m.opt_off) : 0;

	/* Walk the records; at each RRset boundary b, the message cut there
	 * is b octets plus the OPT record if it lies beyond b. That size only
	 * grows with b, so the last boundary that fits is the cut. */
	size_t best = SIZE_MAX;
	uint16_t best_count[4] = { 0 };
	uint16_t count[4] = { m.hdr.count[DNS_S_QUESTION], 0, 0, 0 };
	uint8_t set_owner[DNS_NAME_MAX];
	uint16_t set_type = 0, set_class = 0;
	uint8_t set_section = 0;
	bool in_set = false;
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&m, &it);
	for (;;) {
		size_t start = it.pos;
		bool more = dns_msg_next(&m, &it, &rr) == 1;
		bool same = false;
		if (more && in_set && rr.section == set_section && rr.rclass == set_class &&
		    rr.type != DNS_T_OPT && rr.type != DNS_T_TSIG &&
		    dns_name_equal(rr.owner, set_owner)) {
			/* RFC 4035 3.1.1: an RRset's signatures travel with it. */
			same = rr.type == set_type ||
			       (rr.type == DNS_T_RRSIG && rr.rdlen >= 2 &&
				dns_get16(rr.rdata) == set_type);
		}
		if (!same) {
			size_t size = start + (m.opt_off >= start ? opt_len : 0);
			if (size > limit)
				break;
			best = start;
			memcpy(best_count, count, sizeof count);
		}
		if (!more)
			break;
		count[rr.section]++;
		if (!same) {
			memcpy(set_owner, rr.owner, dns_name_len(rr.owner));
			set_type = rr.type;
			set_class = rr.rclass;
			set_section = rr.section;
			in_set = rr.type != DNS_T_OPT && rr.type != DNS_T_TSIG;
		}
	}
	if (best == SIZE_MAX)
		return DNS_ENOMEM;

	uint16_t flags = m.hdr.flags;
	if (loses_required(&m, best))
		flags |= DNS_F_TC;
	memmove(out, in, best);
	size_t n = best;
	const uint8_t *opt = NULL;
	if (m.opt_off >= best && opt_len) {
		memmove(out + n, in + m.opt_off, opt_len);
		opt = out + n;
		n += opt_len;
		best_count[DNS_S_ADDITIONAL]++;
	}
	dns_put16(out + 2, flags);
	for (int s = 0; s < 4; s++)
		dns_put16(out + 4 + 2 * s, best_count[s]);
	/* A name's labels may lie after a pointer to them (the parser only
	 * wants the pointer itself to point back), so a kept record can need
	 * octets that were cut. Such a message is not ours to fix: fall back
	 * to the question alone, with TC. */
	struct dns_msg check;
	if (dns_msg_parse(&check, out, n) == 0)
		return (int)n;
	size_t q = m.sect_off[DNS_S_ANSWER];
	if (best == q)
		return DNS_ETRUNC;
	if (!opt && m.opt_off)
		opt = out + m.opt_off; /* it was kept in place, below best */
	n = q;
	if (opt) {
		memmove(out + n, opt, opt_len);
		n += opt_len;
	}
	dns_put16(out + 2, flags | DNS_F_TC);
	uint16_t qcount[4] = { m.hdr.count[DNS_S_QUESTION], 0, 0, opt ? 1 : 0 };
	for (int s = 0; s < 4; s++)
		dns_put16(out + 4 + 2 * s, qcount[s]);
	if (n > limit || dns_msg_parse(&check, out, n) != 0)
		return DNS_ETRUNC;
	return (int)n;
}
