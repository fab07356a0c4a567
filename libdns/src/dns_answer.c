/*
 * The authoritative algorithm of RFC 1034 4.3.2 as a pure function: query
 * bytes in, response bytes out. Negative answers follow RFC 2308 (SOA in
 * authority, TTL the lesser of the SOA's TTL and MINIMUM), wildcards RFC
 * 4592 (the closest encloser decides; an existing name blocks the
 * wildcard), ANY RFC 8482 (one RRset), EDNS RFC 6891.
 */
#include "dns_int.h"

#define CHAIN_MAX 8      /* CNAMEs followed inside the zone */
#define ADDL_MAX 32      /* names given addresses in the additional section */
#define OPT_LEN 11       /* an OPT record without options */

struct ans {
	const struct dns_zone *z;
	struct dns_msgw w;
	uint16_t qtype;
	bool dnssec;         /* DO set: add the RRSIGs of what is answered */
	bool tc;
	uint16_t rcode;
	bool aa;
	uint32_t addl[ADDL_MAX];
	int naddl;
	bool nsec;           /* DO set and the zone is signed with NSEC */
	bool want_soa;       /* a negative answer: SOA in authority */
	uint32_t proof[4];   /* nodes whose NSEC goes in authority (RFC 4035 3.1.3) */
	int nproof;
};

/* RRSIGs of `type` at node (RFC 4035 3.1.1), when the client asked for
 * them, with the TTL the covered RRset goes out with (as Knot does: the
 * lowered TTL of a negative answer's SOA applies to its signature too). */
static int put_sigs(struct ans *a, uint8_t section, const uint8_t *owner, uint32_t node, uint16_t type,
	uint32_t ttl)
{
	if (!a->dnssec)
		return 0;
	const struct dns_zset *s = dns_zone_set(a->z, node, DNS_T_RRSIG);
	if (!s)
		return 0;
	for (uint16_t i = 0; i < s->n; i++) {
		uint16_t len;
		const uint8_t *rd = dns_zone_rdata(a->z, s, i, &len);
		if (len >= 2 && dns_get16(rd) == type) {
			int r = dns_msgw_rr(&a->w, section, owner, DNS_T_RRSIG, DNS_C_IN, ttl, rd, len);
			if (r)
				return r;
		}
	}
	return 0;
}

/* One whole RRset (and its signatures) or nothing: a cut never splits an
 * RRset (RFC 2181 9). */
static int put_set(struct ans *a, uint8_t section, const uint8_t *owner, uint32_t node,
	const struct dns_zset *s, uint32_t ttl)
{
	struct dns_msgw_mark mk;
	dns_msgw_mark(&a->w, &mk);
	int r = 0;
	for (uint16_t i = 0; i < s->n && !r; i++) {
		uint16_t len;
		const uint8_t *rd = dns_zone_rdata(a->z, s, i, &len);
		r = dns_msgw_rr(&a->w, section, owner, s->type, DNS_C_IN, ttl, rd, len);
	}
	if (!r)
		r = put_sigs(a, section, owner, node, s->type, ttl);
	if (r) {
		dns_msgw_rewind(&a->w, &mk);
		/* An answer or authority that does not fit is truncated; missing
		 * additional data is not (RFC 2181 9). */
		if (section != DNS_S_ADDITIONAL)
			a->tc = true;
	}
	return r;
}

/* RFC 2308 3: the SOA in authority, TTL = min(SOA TTL, MINIMUM). */
static void put_soa(struct ans *a)
{
	const struct dns_zset *s = dns_zone_set(a->z, 0, DNS_T_SOA);
	uint16_t len;
	const uint8_t *rd = dns_zone_rdata(a->z, s, 0, &len);
	uint32_t min = dns_get32(rd + len - 4);
	put_set(a, DNS_S_AUTHORITY, dns_zname(a->z, 0), 0, s, s->ttl < min ? s->ttl : min);
}

/* The name inside RDATA that additional processing looks up (RFC 1034
 * 4.3.2 step 6; RFC 2782 for SRV). */
static const uint8_t *target_of(uint16_t type, const uint8_t *rd, uint16_t len)
{
	switch (type) {
	case DNS_T_NS: return rd;
	case DNS_T_MX: return len > 2 ? rd + 2 : NULL;
	case DNS_T_SRV: return len > 6 ? rd + 6 : NULL;
	default: return NULL;
	}
}

static void note_targets(struct ans *a, const struct dns_zset *s)
{
	for (uint16_t i = 0; i < s->n; i++) {
		uint16_t len;
		const uint8_t *rd = dns_zone_rdata(a->z, s, i, &len);
		const uint8_t *t = target_of(s->type, rd, len);
		if (!t || !dns_name_is_sub(t, dns_zone_origin(a->z)))
			continue;
		uint32_t n = dns_zone_find(a->z, t, NULL);
		if (n == DNS_ZONE_NONE)
			continue;
		bool dup = false;
		for (int k = 0; k < a->naddl && !dup; k++)
			dup = a->addl[k] == n;
		if (!dup && a->naddl < ADDL_MAX)
			a->addl[a->naddl++] = n;
	}
}

static void put_additional(struct ans *a)
{
	for (int k = 0; k < a->naddl; k++) {
		static const uint16_t types[2] = { DNS_T_A, DNS_T_AAAA };
		for (int t = 0; t < 2; t++) {
			const struct dns_zset *s = dns_zone_set(a->z, a->addl[k], types[t]);
			if (s && put_set(a, DNS_S_ADDITIONAL, dns_zname(a->z, a->addl[k]), a->addl[k], s, s->ttl))
				return;
		}
	}
}

/* The node whose NSEC covers or matches name: the last node at or before
 * it in canonical order that has an NSEC (empty non-terminals and glue
 * have none). The apex always has one in an NSEC-signed zone. */
static uint32_t nsec_cover(const struct dns_zone *z, const uint8_t *name)
{
	uint32_t pred;
	uint32_t i = dns_zone_find(z, name, &pred);
	if (i == DNS_ZONE_NONE)
		i = pred;
	while (i != DNS_ZONE_NONE && !dns_zone_set(z, i, DNS_T_NSEC))
		i = i ? i - 1 : DNS_ZONE_NONE;
	return i;
}

static void proof(struct ans *a, uint32_t node)
{
	if (!a->nsec || node == DNS_ZONE_NONE || !dns_zone_set(a->z, node, DNS_T_NSEC))
		return;
	for (int k = 0; k < a->nproof; k++)
		if (a->proof[k] == node)
			return;
	if (a->nproof < 4)
		a->proof[a->nproof++] = node;
}

/* RFC 4035 3.1.3.2: a name that does not exist, and no wildcard that could
 * have matched it at its closest encloser. */
static void deny_name(struct ans *a, const uint8_t *name, uint32_t ce)
{
	if (!a->nsec)
		return;
	proof(a, nsec_cover(a->z, name));
	uint8_t wc[DNS_NAME_MAX];
	const uint8_t *cen = dns_zname(a->z, ce);
	size_t l = dns_name_len(cen);
	if (l + 2 > DNS_NAME_MAX)
		return;
	wc[0] = 1;
	wc[1] = '*';
	memcpy(wc + 2, cen, l);
	proof(a, nsec_cover(a->z, wc));
}

static void referral(struct ans *a, uint32_t cut)
{
	const struct dns_zset *ns = dns_zone_set(a->z, cut, DNS_T_NS);
	a->aa = false;
	if (put_set(a, DNS_S_AUTHORITY, dns_zname(a->z, cut), cut, ns, ns->ttl))
		return;
	/* RFC 4035 3.1.4: the DS (signed) goes with a signed referral. */
	const struct dns_zset *ds = dns_zone_set(a->z, cut, DNS_T_DS);
	if (a->dnssec && ds && put_set(a, DNS_S_AUTHORITY, dns_zname(a->z, cut), cut, ds, ds->ttl))
		return;
	/* RFC 4035 3.1.4: an unsigned delegation proves it has no DS. */
	if (!ds)
		proof(a, cut);
	note_targets(a, ns);
}

static void resolve(struct ans *a, const uint8_t *qname)
{
	const struct dns_zone *z = a->z;
	const uint8_t *name = qname;
	uint32_t seen[CHAIN_MAX + 1];
	uint8_t synth[2][DNS_NAME_MAX]; /* DNAME results, alternating */
	for (int k = 0; k <= CHAIN_MAX; k++)
		seen[k] = DNS_ZONE_NONE;
	for (int chain = 0;; chain++) {
		bool exact;
		uint32_t ce = dns_zone_encloser(z, name, &exact);
		uint32_t node = exact ? ce : DNS_ZONE_NONE;
		uint32_t cut = dns_zn(z, ce)->cut;
		/* Below or at a cut the data is the child's, except the DS at the
		 * cut itself, which is the parent's (RFC 4035 3.1.4.1). */
		if (cut != DNS_ZONE_NONE && !(node == cut && a->qtype == DNS_T_DS && chain == 0)) {
			/* RFC 1034 4.3.2 step 3b, also after a CNAME (step 3a
			 * restarts there): the referral follows the chain. The
			 * answer's CNAMEs are ours, so AA stays as it was (Knot and
			 * BIND agree). */
			bool aa = a->aa;
			referral(a, cut);
			if (chain > 0)
				a->aa = aa;
			return;
		}
		/* RFC 6672 3.3: below a DNAME, the DNAME and a CNAME made from it. */
		uint32_t d = dns_zn(z, ce)->dname;
		if (d != DNS_ZONE_NONE && d != node) {
			const struct dns_zset *ds = dns_zone_set(z, d, DNS_T_DNAME);
			if (put_set(a, DNS_S_ANSWER, dns_zname(z, d), d, ds, ds->ttl))
				return;
			uint16_t tl;
			const uint8_t *target = dns_zone_rdata(z, ds, 0, &tl);
			int keep = dns_name_labels(name) - dns_name_labels(dns_zname(z, d));
			size_t plen = 0;
			for (int k = 0; k < keep; k++)
				plen += (size_t)name[plen] + 1;
			if (plen + tl > DNS_NAME_MAX) {
				a->rcode = DNS_RC_YXDOMAIN; /* RFC 6672 2.2; the SOA as Knot does */
				a->want_soa = true;
				return;
			}
			uint8_t *next = synth[chain & 1];
			memcpy(next, name, plen);
			memcpy(next + plen, target, tl);
			struct dns_msgw_mark mk;
			dns_msgw_mark(&a->w, &mk);
			if (dns_msgw_rr(&a->w, DNS_S_ANSWER, name, DNS_T_CNAME, DNS_C_IN, ds->ttl, next,
			    (uint16_t)(plen + tl))) {
				dns_msgw_rewind(&a->w, &mk);
				a->tc = true;
				return;
			}
			if (chain == CHAIN_MAX || !dns_name_is_sub(next, dns_zone_origin(z)))
				return;
			name = next;
			continue;
		}
		uint32_t src = node;
		if (src == DNS_ZONE_NONE) {
			src = dns_zn(z, ce)->wild;
			if (src == DNS_ZONE_NONE) {
				/* RFC 6604 2.1: the rcode speaks of the last name of a chain. */
				a->rcode = DNS_RC_NXDOMAIN;
				a->want_soa = true;
				deny_name(a, name, ce);
				return;
			}
			/* RFC 4035 3.1.3.3: a wildcard answer proves no closer match. */
			if (a->nsec)
				proof(a, nsec_cover(z, name));
		}
		seen[chain] = src;
		const struct dns_zset *cn = dns_zone_set(z, src, DNS_T_CNAME);
		if (cn && a->qtype != DNS_T_CNAME && a->qtype != DNS_T_ANY) {
			if (put_set(a, DNS_S_ANSWER, name, src, cn, cn->ttl))
				return;
			uint16_t len;
			const uint8_t *target = dns_zone_rdata(z, cn, 0, &len);
			if (chain == CHAIN_MAX || !dns_name_is_sub(target, dns_zone_origin(z)))
				return;
			uint32_t tn = dns_zone_find(z, target, NULL);
			for (int k = 0; k <= chain; k++)
				if (tn != DNS_ZONE_NONE && seen[k] == tn)
					return; /* a loop: what was found so far is the answer */
			name = target;
			continue;
		}
		const struct dns_znode *n = dns_zn(z, src);
		const struct dns_zset *s = NULL;
		if (a->qtype == DNS_T_ANY) {
			/* RFC 8482 4.1: one RRset is enough (RRSIGs are not data). */
			for (uint16_t k = 0; k < n->set_n && !s; k++) {
				const struct dns_zset *c = dns_zs(z, n->set_first + k);
				if (c->type != DNS_T_RRSIG)
					s = c;
			}
		} else {
			s = dns_zone_set(z, src, a->qtype);
		}
		if (!s) {
			/* NODATA (RFC 2308 2.2), wildcard NODATA too; RFC 4035
			 * 3.1.3.1: the NSEC of the name (or of the wildcard, with the
			 * cover of the name already noted), or for an empty
			 * non-terminal the NSEC that covers it. */
			a->want_soa = true;
			if (a->nsec)
				proof(a, dns_zone_set(z, src, DNS_T_NSEC) ? src : nsec_cover(z, name));
			return;
		}
		if (put_set(a, DNS_S_ANSWER, name, src, s, s->ttl))
			return;
		note_targets(a, s);
		return;
	}
}

/* The response to a query that gets no data: header, question if known. */
static int short_answer(struct dns_msgw *w, const struct dns_msg *m, bool echo_q, uint16_t flags,
	int rcode)
{
	dns_msgw_set_flags(w, (uint16_t)(flags | (rcode & 0xf)));
	if (echo_q)
		dns_msgw_question(w, m->q.name, m->q.type, m->q.qclass);
	return 0;
}

int dns_answer(const struct dns_zone *const *zones, size_t nzones,
	const uint8_t *query, size_t qlen, uint8_t *out, size_t cap,
	uint16_t *ctab, size_t ctab_cap, const struct dns_answer_opts *opts)
{
	if (cap < 512 || !opts)
		return DNS_EINVAL;
	if (qlen < DNS_HDR_LEN || (query[2] & 0x80))
		return 0; /* too short to answer, or a response: drop */
	struct dns_msg m;
	int pr = dns_msg_parse(&m, query, qlen);
	uint16_t flags = (uint16_t)(DNS_F_QR | (m.hdr.flags & (0x7800u | DNS_F_RD | DNS_F_CD)));
	struct ans a;
	memset(&a, 0, sizeof a);
	size_t limit = opts->tcp ? 65535 : 512;
	if (!opts->tcp && pr == 0 && m.edns.present) {
		/* RFC 6891 6.2.5: below 512 means 512. */
		size_t client = m.edns.udp_size < 512 ? 512 : m.edns.udp_size;
		size_t server = opts->udp_max ? opts->udp_max : 1232;
		limit = client < server ? client : server;
		if (limit < 512)
			limit = 512;
	}
	if (limit > cap)
		limit = cap;
	dns_msgw_init(&a.w, out, limit, ctab, ctab_cap, m.hdr.id, flags);
	if (pr < 0) {
		/* RFC 1035 4.1.1 FORMERR, the question echoed when it was whole
		 * (as Knot does); no OPT, the OPT itself may be the problem
		 * (RFC 6891 7). */
		bool q_ok = m.hdr.count[0] == 1 && m.sect_off[1] != 0;
		short_answer(&a.w, &m, q_ok, flags, DNS_RC_FORMERR);
		return dns_msgw_finish(&a.w);
	}
	bool edns = m.edns.present;
	if (edns)
		a.w.cap -= OPT_LEN;
	int rcode = DNS_RC_NOERROR;
	if (DNS_OPCODE(m.hdr.flags) != DNS_OP_QUERY) {
		rcode = DNS_RC_NOTIMP;
		short_answer(&a.w, &m, m.hdr.count[0] == 1, flags, rcode);
	} else if (m.hdr.count[0] != 1) {
		rcode = DNS_RC_FORMERR;
		short_answer(&a.w, &m, false, flags, rcode);
	} else if (edns && m.edns.version != 0) {
		rcode = DNS_RC_BADVERS; /* RFC 6891 6.1.3 */
		short_answer(&a.w, &m, true, flags, rcode);
	} else if (m.q.type == DNS_T_OPT || m.q.type == DNS_T_TSIG || m.q.type == DNS_T_TKEY) {
		rcode = DNS_RC_FORMERR; /* meta types are not questions (RFC 6895 3.1) */
		short_answer(&a.w, &m, true, flags, rcode);
	} else {
		const struct dns_zone *best = NULL;
		int best_labels = -1;
		for (size_t i = 0; i < nzones; i++) {
			const uint8_t *o = dns_zone_origin(zones[i]);
			int l = dns_name_labels(o);
			if (dns_zone_nodes(zones[i]) && l > best_labels && dns_name_is_sub(m.q.name, o)) {
				best = zones[i];
				best_labels = l;
			}
		}
		if (!best || m.q.qclass != DNS_C_IN || m.q.type == DNS_T_AXFR || m.q.type == DNS_T_IXFR) {
			/* Not ours, another class, or a transfer (not offered here). */
			rcode = DNS_RC_REFUSED;
			short_answer(&a.w, &m, true, flags, rcode);
		} else {
			a.z = best;
			a.qtype = m.q.type;
			a.dnssec = edns && (m.edns.flags & DNS_EDNS_DO);
			a.nsec = a.dnssec && dns_zone_set(best, 0, DNS_T_NSEC);
			a.aa = true;
			dns_msgw_question(&a.w, m.q.name, m.q.type, m.q.qclass);
			resolve(&a, m.q.name);
			if (!a.tc && a.want_soa)
				put_soa(&a);
			for (int k = 0; k < a.nproof && !a.tc; k++) {
				const struct dns_zset *ns = dns_zone_set(best, a.proof[k], DNS_T_NSEC);
				put_set(&a, DNS_S_AUTHORITY, dns_zname(best, a.proof[k]), a.proof[k], ns, ns->ttl);
			}
			if (!a.tc)
				put_additional(&a);
			rcode = a.rcode;
			flags = (uint16_t)(flags | (a.aa ? DNS_F_AA : 0) | (a.tc ? DNS_F_TC : 0));
			dns_msgw_set_flags(&a.w, (uint16_t)(flags | rcode));
		}
	}
	if (edns) {
		a.w.cap += OPT_LEN;
		uint16_t server = opts->udp_max ? opts->udp_max : 1232;
		uint16_t f = (uint16_t)((dns_get16(out + 2) & ~0xfu) | (unsigned)(rcode & 0xf));
		dns_msgw_set_flags(&a.w, f);
		dns_msgw_opt(&a.w, server, (uint8_t)(rcode >> 4), 0,
			(uint16_t)(m.edns.flags & DNS_EDNS_DO), NULL, 0);
	}
	return dns_msgw_finish(&a.w);
}
