/* NOTIFY (RFC 1996): requests, responses, and a sender that retries with
 * exponential backoff until the secondary answers. */
#include "dns_xfr_int.h"

#define NOTIFY_FLAGS ((uint16_t)(DNS_OP_NOTIFY << 11))

int dns_notify_build(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *zone,
	const struct dns_xrr *soa)
{
	struct dns_msgw w;
	/* RFC 1996 3.7: opcode NOTIFY, AA, QTYPE SOA, the SOA as a hint. */
	int r = dns_msgw_init(&w, buf, cap, NULL, 0, id, NOTIFY_FLAGS | DNS_F_AA);
	if (!r)
		r = dns_msgw_question(&w, zone, DNS_T_SOA, DNS_C_IN);
	if (!r && soa)
		r = dns_msgw_rr(&w, DNS_S_ANSWER, zone, DNS_T_SOA, DNS_C_IN, soa->ttl, soa->rdata,
			soa->rdlen);
	return r ? r : dns_msgw_finish(&w);
}

int dns_notify_parse(const struct dns_msg *m, struct dns_notify *n)
{
	memset(n, 0, sizeof *n);
	if (DNS_OPCODE(m->hdr.flags) != DNS_OP_NOTIFY || (m->hdr.flags & DNS_F_QR) ||
	    m->hdr.count[0] != 1 || m->q.type != DNS_T_SOA)
		return DNS_ENOTIFY;
	memcpy(n->zone, m->q.name, dns_name_len(m->q.name));
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(m, &it);
	while (dns_msg_next(m, &it, &rr)) {
		if (rr.section != DNS_S_ANSWER || rr.type != DNS_T_SOA || !dns_name_equal(rr.owner, n->zone))
			continue;
		uint8_t rd[DNS_SOA_RDATA_MAX];
		struct dns_soa s;
		int k = dns_rdata_unpack(m->wire, m->len, rr.rdoff, rr.rdlen, DNS_T_SOA, rd, sizeof rd);
		if (k >= 0 && dns_soa_parse(rd, (uint16_t)k, &s) == 0) {
			n->have_serial = true;
			n->serial = s.serial;
		}
		break;
	}
	return 0;
}

int dns_notify_answer(const struct dns_msg *req, uint8_t *buf, size_t cap, uint16_t rcode)
{
	struct dns_msgw w;
	uint16_t flags = (uint16_t)(NOTIFY_FLAGS | DNS_F_QR | DNS_F_AA | (rcode & 0xf));
	int r = dns_msgw_init(&w, buf, cap, NULL, 0, req->hdr.id, flags);
	if (!r && req->hdr.count[0] >= 1)
		r = dns_msgw_question(&w, req->q.name, req->q.type, req->q.qclass);
	return r ? r : dns_msgw_finish(&w);
}

void dns_notify_tx_init(struct dns_notify_tx *t, const uint8_t *zone, const struct dns_xrr *soa,
	const struct dns_tsig_key *key, int (*random)(void *ctx, uint8_t *buf, size_t len), void *rctx,
	uint32_t first_ms, unsigned max_tries, uint64_t now_ms)
{
	memset(t, 0, sizeof *t);
	memcpy(t->priv.zone, zone, dns_name_len(zone));
	if (soa && soa->rdlen <= DNS_SOA_RDATA_MAX) {
		memcpy(t->priv.soa_rdata, soa->rdata, soa->rdlen);
		t->priv.soa_rdlen = soa->rdlen;
		t->priv.soa_ttl = soa->ttl;
		t->priv.have_soa = true;
	}
	t->priv.key = key;
	t->priv.random = random;
	t->priv.rctx = rctx;
	t->priv.first_ms = first_ms ? first_ms : 2000;
	t->priv.max_tries = max_tries ? max_tries : 5;
	t->priv.next_at = now_ms;
	t->priv.state = DNS_NOTIFY_PENDING;
}

int dns_notify_tx_poll(struct dns_notify_tx *t, uint64_t now_ms, uint64_t now_s, uint8_t *buf,
	size_t cap)
{
	if (t->priv.state != DNS_NOTIFY_PENDING || now_ms < t->priv.next_at)
		return 0;
	if (t->priv.tries >= t->priv.max_tries) {
		t->priv.state = DNS_ETIMEDOUT;
		return DNS_ETIMEDOUT;
	}
	uint8_t idb[2] = { 0, 0 };
	if (t->priv.random)
		t->priv.random(t->priv.rctx, idb, 2);
	t->priv.id = dns_get16(idb);
	struct dns_xrr soa = { t->priv.zone, DNS_T_SOA, DNS_C_IN, t->priv.soa_ttl, t->priv.soa_rdlen,
		t->priv.soa_rdata };
	/* Each try is its own TSIG transaction: the answer chains to it. */
	dns_tsig_client_init(&t->priv.tsig, t->priv.key, 0);
	size_t reserve = dns_tsig_reserve(&t->priv.tsig);
	if (cap < reserve + DNS_HDR_LEN)
		return DNS_ENOMEM;
	int n = dns_notify_build(buf, cap - reserve, t->priv.id, t->priv.zone,
		t->priv.have_soa ? &soa : NULL);
	if (n < 0)
		return n;
	n = dns_tsig_sign(&t->priv.tsig, buf, (size_t)n, cap, now_s);
	if (n < 0)
		return n;
	/* RFC 1996 3.6: retransmit until answered, the interval doubling. */
	unsigned shift = t->priv.tries < 16 ? t->priv.tries : 16;
	t->priv.next_at = now_ms + ((uint64_t)t->priv.first_ms << shift);
	t->priv.tries++;
	return n;
}

int dns_notify_tx_input(struct dns_notify_tx *t, const uint8_t *msg, size_t len, uint64_t now_s)
{
	if (t->priv.state != DNS_NOTIFY_PENDING || t->priv.tries == 0)
		return DNS_EXFR_MISMATCH;
	struct dns_msg m;
	int r = dns_msg_parse(&m, msg, len);
	if (r)
		return r;
	if (m.hdr.id != t->priv.id || !(m.hdr.flags & DNS_F_QR) || DNS_OPCODE(m.hdr.flags) != DNS_OP_NOTIFY ||
	    (m.hdr.count[0] == 1 && !dns_name_equal(m.q.name, t->priv.zone)))
		return DNS_EXFR_MISMATCH;
	r = dns_tsig_client_verify(&t->priv.tsig, &m, now_s);
	if (r == DNS_ETSIG_REJECTED) {
		t->priv.state = r;
		return r;
	}
	if (r < 0)
		return r; /* a forgery or a mangled answer: keep trying */
	if (dns_msg_rcode(&m) != DNS_RC_NOERROR) {
		t->priv.state = DNS_EXFR_RCODE;
		return DNS_EXFR_RCODE;
	}
	t->priv.state = DNS_NOTIFY_ACKED;
	return 0;
}

uint64_t dns_notify_tx_next_deadline(const struct dns_notify_tx *t)
{
	return t->priv.state == DNS_NOTIFY_PENDING ? t->priv.next_at : UINT64_MAX;
}

int dns_notify_tx_state(const struct dns_notify_tx *t)
{
	return t->priv.state;
}
