/*
 * TEMPORARY answer callback for dnsd, over the temporary record store of
 * zones.c. It exists so that dnsd can serve and be tested end to end
 * before libdns has its zone database and authoritative engine (issue 3,
 * sections 3 and 4); it will be replaced by a call into that engine. It
 * does: FORMERR, NOTIMP, REFUSED, BADVERS; exact matches with AA; CNAME
 * chains inside the zone; NXDOMAIN and NODATA (empty non-terminals too)
 * with the SOA (TTL = min(TTL, MINIMUM), RFC 2308 3); referrals with glue;
 * DS from the parent side; ANY with one RRset (RFC 8482). It does NOT do
 * wildcards, DNAME, additional-section processing for MX/SRV, or DNSSEC.
 */
#include <string.h>

#include "dnsd.h"

/* The first record at or after (name, type) in canonical order. */
static size_t lower_bound(const struct zone *z, const uint8_t *name, uint16_t type)
{
	size_t lo = 0, hi = z->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct zrec *r = &z->recs[mid];
		int c = dns_name_cmp(r->owner, name);
		if (c < 0 || (c == 0 && r->type < type))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The RRset (name, type): its first record and count (0: none). */
static size_t rrset(const struct zone *z, const uint8_t *name, uint16_t type, size_t *first)
{
	size_t i = lower_bound(z, name, type), n = 0;
	*first = i;
	while (i + n < z->nrecs && z->recs[i + n].type == type &&
	       dns_name_equal(z->recs[i + n].owner, name))
		n++;
	return n;
}

static const struct zone *find_zone(const struct zoneset *zs, const uint8_t *name)
{
	const struct zone *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < zs->nzones; i++) {
		const struct zone *z = &zs->zones[i];
		size_t l = dns_name_len(z->origin);
		if ((!best || l > best_len) && dns_name_is_sub(name, z->origin)) {
			best = z;
			best_len = l;
		}
	}
	return best;
}

/* The suffix of name with `labels` labels. */
static const uint8_t *suffix(const uint8_t *name, int labels)
{
	int skip = dns_name_labels(name) - labels;
	while (skip-- > 0)
		name += name[0] + 1;
	return name;
}

static int put_set(struct dns_msgw *w, uint8_t section, const struct zone *z, size_t first,
	size_t n, const uint8_t *owner)
{
	for (size_t i = 0; i < n; i++) {
		const struct zrec *r = &z->recs[first + i];
		int e = dns_msgw_rr(w, section, owner ? owner : r->owner, r->type, DNS_C_IN, r->ttl,
			r->rdata, r->rdlen);
		if (e)
			return e;
	}
	return 0;
}

/* RFC 2308 3: the SOA of a negative answer, TTL = min(TTL, MINIMUM). */
static int put_soa(struct dns_msgw *w, const struct zone *z)
{
	const struct zrec *s = z->soa;
	uint32_t min = (uint32_t)s->rdata[s->rdlen - 4] << 24 | (uint32_t)s->rdata[s->rdlen - 3] << 16 |
		       (uint32_t)s->rdata[s->rdlen - 2] << 8 | s->rdata[s->rdlen - 1];
	return dns_msgw_rr(w, DNS_S_AUTHORITY, s->owner, DNS_T_SOA, DNS_C_IN,
		s->ttl < min ? s->ttl : min, s->rdata, s->rdlen);
}

/* A referral at cut: NS in authority, glue in additional, AA clear. */
static int put_referral(struct dns_msgw *w, const struct zone *z, const uint8_t *cut)
{
	size_t first, n = rrset(z, cut, DNS_T_NS, &first);
	int e = put_set(w, DNS_S_AUTHORITY, z, first, n, NULL);
	for (size_t i = 0; i < n && !e; i++) {
		const uint8_t *target = z->recs[first + i].rdata;
		if (!dns_name_is_sub(target, z->origin))
			continue;
		size_t f2, n2 = rrset(z, target, DNS_T_A, &f2);
		e = put_set(w, DNS_S_ADDITIONAL, z, f2, n2, NULL);
		n2 = rrset(z, target, DNS_T_AAAA, &f2);
		if (!e)
			e = put_set(w, DNS_S_ADDITIONAL, z, f2, n2, NULL);
	}
	return e;
}

/* The delegation point at or above name (below the apex), if any. */
static const uint8_t *find_cut(const struct zone *z, const uint8_t *name, uint16_t qtype)
{
	int top = dns_name_labels(z->origin), l = dns_name_labels(name);
	for (int k = top + 1; k <= l; k++) {
		const uint8_t *a = suffix(name, k);
		size_t f;
		/* RFC 4035 3.1.4.1: DS at a cut is the parent's. */
		if (k == l && qtype == DNS_T_DS)
			break;
		if (rrset(z, a, DNS_T_NS, &f))
			return a;
	}
	return NULL;
}

static int answer_query(const struct zoneset *zs, const struct dns_msg *m, struct dns_msgw *w,
	uint16_t *flags)
{
	const uint8_t *qname = m->q.name;
	uint16_t qtype = m->q.type;
	const struct zone *z = find_zone(zs, qname);
	if (!z || m->q.qclass != DNS_C_IN) {
		*flags |= DNS_RC_REFUSED;
		return 0;
	}
	if (qtype == DNS_T_AXFR || qtype == DNS_T_IXFR) {
		*flags |= DNS_RC_REFUSED; /* transfers: issue 4 */
		return 0;
	}
	*flags |= DNS_F_AA;
	const uint8_t *name = qname, *owner = qname;
	const uint8_t *seen[8];
	for (int hops = 0; hops < 8; hops++) {
		/* A CNAME loop ends at the first name seen twice. */
		for (int k = 0; k < hops; k++)
			if (dns_name_equal(seen[k], name))
				return 0;
		seen[hops] = name;
		const uint8_t *cut = find_cut(z, name, qtype);
		if (cut) {
			if (hops == 0)
				*flags &= (uint16_t)~DNS_F_AA;
			return put_referral(w, z, cut);
		}
		size_t i = lower_bound(z, name, 0);
		bool exists = i < z->nrecs && dns_name_equal(z->recs[i].owner, name);
		if (!exists) {
			bool ent = i < z->nrecs && dns_name_is_sub(z->recs[i].owner, name);
			/* RFC 6604 2.1: the rcode is that of the chain's end. */
			if (!ent)
				*flags |= DNS_RC_NXDOMAIN;
			return put_soa(w, z);
		}
		size_t first, n;
		if (qtype == DNS_T_ANY) {
			/* RFC 8482 4.1: one RRset is enough. */
			first = i;
			n = rrset(z, name, z->recs[i].type, &first);
		} else {
			n = rrset(z, name, qtype, &first);
		}
		if (n)
			return put_set(w, DNS_S_ANSWER, z, first, n, owner);
		n = rrset(z, name, DNS_T_CNAME, &first);
		if (!n || qtype == DNS_T_CNAME)
			return put_soa(w, z);
		int e = put_set(w, DNS_S_ANSWER, z, first, 1, owner);
		if (e)
			return e;
		name = owner = z->recs[first].rdata;
		if (!dns_name_is_sub(name, z->origin))
			return 0;
	}
	return 0;
}

int engine_answer(void *ctx, struct dns_req *req, uint8_t *out, size_t cap)
{
	struct engine *eng = ctx;
	const struct dns_msg *m = req->msg;
	if (req->len < DNS_HDR_LEN || (m->hdr.flags & DNS_F_QR))
		return 0; /* no answer to answers */
	uint16_t ctab[128];
	uint16_t flags = DNS_F_QR | (m->hdr.flags & (0xf << 11 | DNS_F_RD));
	struct dns_msgw w;
	dns_msgw_init(&w, out, cap, ctab, 128, m->hdr.id, 0);
	int e = 0;
	bool edns = !req->parse_err && m->edns.present;
	uint8_t ext = 0;
	if (req->parse_err || m->hdr.count[DNS_S_QUESTION] != 1) {
		flags |= DNS_RC_FORMERR;
	} else if (DNS_OPCODE(m->hdr.flags) != DNS_OP_QUERY) {
		flags |= DNS_RC_NOTIMP;
		e = dns_msgw_question(&w, m->q.name, m->q.type, m->q.qclass);
	} else if (edns && m->edns.version != 0) {
		ext = DNS_RC_BADVERS >> 4; /* RFC 6891 6.1.3 */
		e = dns_msgw_question(&w, m->q.name, m->q.type, m->q.qclass);
	} else {
		e = dns_msgw_question(&w, m->q.name, m->q.type, m->q.qclass);
		if (!e)
			e = answer_query(eng->zs, m, &w, &flags);
	}
	if (e)
		return e;
	dns_msgw_set_flags(&w, flags);
	if (edns) {
		e = dns_msgw_opt(&w, eng->udp_max, ext, 0, m->edns.flags & DNS_EDNS_DO, NULL, 0);
		if (e)
			return e;
	}
	return dns_msgw_finish(&w);
}
