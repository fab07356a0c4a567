/* Message parsing: header, questions, records, EDNS0 (RFC 1035 4.1, RFC 6891). */
#include "dns_int.h"

/* Reads one record's fixed part after its owner; the cursor ends after RDATA. */
static void rd_rr_fixed(struct dns_rd *c, struct dns_rr *rr)
{
	rr->type = dns_rd_u16(c);
	rr->rclass = dns_rd_u16(c);
	rr->ttl = dns_rd_u32(c);
	rr->rdlen = dns_rd_u16(c);
	rr->rdoff = c->pos;
	rr->rdata = dns_rd_take(c, rr->rdlen);
}

/* RFC 6891 6.1.2: the OPT's class is the payload size, its TTL holds the
 * extended rcode, version and flags. */
static int parse_opt(struct dns_msg *m, const struct dns_rr *rr, size_t off)
{
	if (m->opt_off)
		return DNS_EOPT_DUP;
	if (rr->section != DNS_S_ADDITIONAL)
		return DNS_EOPT_SECTION;
	if (rr->owner[0] != 0)
		return DNS_EOPT_OWNER;
	size_t i = 0;
	while (i < rr->rdlen) {
		if (rr->rdlen - i < 4)
			return DNS_EOPT_LEN;
		uint16_t l = dns_get16(rr->rdata + i + 2);
		if (rr->rdlen - i - 4 < l)
			return DNS_EOPT_LEN;
		i += 4u + l;
	}
	m->opt_off = off;
	m->edns.present = true;
	m->edns.udp_size = rr->rclass;
	m->edns.ext_rcode = (uint8_t)(rr->ttl >> 24);
	m->edns.version = (uint8_t)(rr->ttl >> 16);
	m->edns.flags = (uint16_t)rr->ttl;
	m->edns.opts = rr->rdata;
	m->edns.optlen = rr->rdlen;
	return 0;
}

int dns_msg_parse(struct dns_msg *m, const uint8_t *buf, size_t len)
{
	memset(m, 0, sizeof *m);
	m->wire = buf;
	m->len = len;
	struct dns_rd c;
	dns_rd_init(&c, buf, len, true);
	m->hdr.id = dns_rd_u16(&c);
	m->hdr.flags = dns_rd_u16(&c);
	for (int s = 0; s < 4; s++)
		m->hdr.count[s] = dns_rd_u16(&c);
	if (c.err)
		return c.err;
	m->sect_off[0] = c.pos;
	for (unsigned i = 0; i < m->hdr.count[0]; i++) {
		if (dns_rd_left(&c) == 0)
			return DNS_ECOUNT;
		uint8_t name[DNS_NAME_MAX];
		size_t n = dns_rd_name(&c, name, DNS_NM_COMP);
		uint16_t type = dns_rd_u16(&c);
		uint16_t qclass = dns_rd_u16(&c);
		if (c.err)
			return c.err;
		if (i == 0) {
			memcpy(m->q.name, name, n);
			m->q.type = type;
			m->q.qclass = qclass;
		}
	}
	for (int s = 1; s < 4; s++) {
		m->sect_off[s] = c.pos;
		for (unsigned i = 0; i < m->hdr.count[s]; i++) {
			if (dns_rd_left(&c) == 0)
				return DNS_ECOUNT;
			size_t off = c.pos;
			struct dns_rr rr;
			rr.section = (uint8_t)s;
			dns_rd_name(&c, rr.owner, DNS_NM_COMP);
			rd_rr_fixed(&c, &rr);
			if (c.err)
				return c.err;
			if (m->tsig_off)
				return DNS_ETSIG_POS;
			int r = 0;
			if (rr.type == DNS_T_OPT) {
				r = parse_opt(m, &rr, off);
			} else if (rr.type == DNS_T_TSIG) {
				/* RFC 8945 5.1: only as the last additional record. */
				if (s != DNS_S_ADDITIONAL)
					return DNS_ETSIG_POS;
				m->tsig_off = off;
			} else if (!(rr.rdlen == 0 && rr.rclass == DNS_C_ANY)) {
				/* RFC 2136 2.5.2: class ANY deletions carry no RDATA. */
				r = dns_rdata_unpack(buf, len, rr.rdoff, rr.rdlen, rr.type, NULL, 0);
			}
			if (r < 0)
				return r;
		}
	}
	m->end = c.pos;
	if (c.pos != len)
		return DNS_ETRAILING;
	return 0;
}

int dns_msg_rcode(const struct dns_msg *m)
{
	return (int)DNS_RCODE(m->hdr.flags) | (m->edns.present ? m->edns.ext_rcode << 4 : 0);
}

void dns_msg_iter_init(const struct dns_msg *m, struct dns_msg_iter *it)
{
	it->pos = m->sect_off[1];
	it->section = 1;
	it->left = m->hdr.count[1];
}

int dns_msg_next(const struct dns_msg *m, struct dns_msg_iter *it, struct dns_rr *rr)
{
	while (it->left == 0) {
		if (it->section >= 3)
			return 0;
		it->section++;
		it->left = m->hdr.count[it->section];
	}
	struct dns_rd c;
	dns_rd_init(&c, m->wire, m->end, true);
	c.pos = it->pos;
	rr->section = it->section;
	dns_rd_name(&c, rr->owner, DNS_NM_COMP);
	rd_rr_fixed(&c, rr);
	if (c.err)
		return 0; /* only for a message dns_msg_parse() rejected */
	it->pos = c.pos;
	it->left--;
	return 1;
}

int dns_edns_next(const struct dns_edns *e, size_t *pos, uint16_t *code,
	const uint8_t **data, uint16_t *len)
{
	if (!e->present || *pos + 4 > e->optlen)
		return 0;
	*code = dns_get16(e->opts + *pos);
	*len = dns_get16(e->opts + *pos + 2);
	if (e->optlen - *pos - 4 < *len)
		return 0;
	*data = e->opts + *pos + 4;
	*pos += 4u + *len;
	return 1;
}
