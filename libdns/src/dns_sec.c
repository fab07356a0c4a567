/* One zone of a secondary: SOA refresh, retry and expire (RFC 1034 4.3.5),
 * NOTIFY (RFC 1996 4), IXFR or AXFR to follow the primary. */
#include "dns_xfr_int.h"

enum { S_IDLE = 0, S_SOA_WAIT, S_NEED_XFR, S_XFR };

#define MAX_BACKOFF_MS 300000u

void dns_sec_init(struct dns_sec *s, const uint8_t *zone, const struct dns_tsig_key *key,
	int (*random)(void *ctx, uint8_t *buf, size_t len), void *rctx, uint32_t timeout_ms,
	uint32_t first_retry_ms, uint64_t now_ms)
{
	memset(s, 0, sizeof *s);
	memcpy(s->priv.zone, zone, dns_name_len(zone));
	s->priv.key = key;
	s->priv.random = random;
	s->priv.rctx = rctx;
	s->priv.timeout_ms = timeout_ms ? timeout_ms : 10000;
	s->priv.first_retry_ms = first_retry_ms ? first_retry_ms : 5000;
	s->priv.refresh_at = now_ms;
	s->priv.expire_at = UINT64_MAX;
	s->priv.state = S_IDLE;
}

/* The primary confirmed soa as current: the timers start over. */
static void confirmed(struct dns_sec *s, uint64_t now_ms)
{
	s->priv.refresh_at = now_ms + (uint64_t)s->priv.refresh * 1000;
	s->priv.expire_at = now_ms + (uint64_t)s->priv.expire * 1000;
	s->priv.expired = false;
	s->priv.fails = 0;
	s->priv.last_err = 0;
	s->priv.state = S_IDLE;
	if (s->priv.notified) {
		/* RFC 1996 4.4: a NOTIFY during the check means check again. */
		s->priv.notified = false;
		s->priv.refresh_at = now_ms;
	}
}

static void set_soa(struct dns_sec *s, const struct dns_soa *soa)
{
	s->priv.serial = soa->serial;
	s->priv.refresh = soa->refresh;
	s->priv.retry = soa->retry;
	s->priv.expire = soa->expire;
	s->priv.have_zone = true;
}

static void failed(struct dns_sec *s, int err, uint64_t now_ms)
{
	s->priv.last_err = err;
	s->priv.fails++;
	s->priv.state = S_IDLE;
	uint64_t wait;
	if (s->priv.have_zone) {
		wait = (uint64_t)s->priv.retry * 1000;
	} else {
		unsigned shift = s->priv.fails - 1 < 16 ? s->priv.fails - 1 : 16;
		wait = (uint64_t)s->priv.first_retry_ms << shift;
		if (wait > MAX_BACKOFF_MS)
			wait = MAX_BACKOFF_MS;
	}
	s->priv.refresh_at = now_ms + wait;
	if (s->priv.notified) {
		s->priv.notified = false;
		s->priv.refresh_at = now_ms;
	}
}

void dns_sec_loaded(struct dns_sec *s, const struct dns_xrr *soa, uint64_t now_ms)
{
	struct dns_soa v;
	if (!soa || dns_soa_parse(soa->rdata, soa->rdlen, &v))
		return;
	set_soa(s, &v);
	s->priv.expire_at = now_ms + (uint64_t)v.expire * 1000;
	s->priv.refresh_at = now_ms;
	s->priv.state = S_IDLE;
}

int dns_sec_poll(struct dns_sec *s, uint64_t now_ms)
{
	if (s->priv.have_zone && now_ms >= s->priv.expire_at)
		s->priv.expired = true;
	switch (s->priv.state) {
	case S_SOA_WAIT:
		if (now_ms >= s->priv.timeout_at)
			failed(s, DNS_ETIMEDOUT, now_ms);
		return DNS_SEC_IDLE;
	case S_NEED_XFR:
		return DNS_SEC_TRANSFER;
	case S_XFR:
		return DNS_SEC_IDLE;
	default:
		break;
	}
	if (now_ms < s->priv.refresh_at)
		return DNS_SEC_IDLE;
	if (!s->priv.have_zone) {
		s->priv.state = S_NEED_XFR;
		return DNS_SEC_TRANSFER;
	}
	return DNS_SEC_QUERY_SOA;
}

static uint16_t new_id(struct dns_sec *s)
{
	uint8_t b[2] = { 0, 0 };
	if (s->priv.random)
		s->priv.random(s->priv.rctx, b, 2);
	return dns_get16(b);
}

int dns_sec_soa_query(struct dns_sec *s, uint8_t *buf, size_t cap, uint64_t now_ms, uint64_t now_s)
{
	s->priv.id = new_id(s);
	dns_tsig_client_init(&s->priv.tsig, s->priv.key, 0);
	size_t reserve = dns_tsig_reserve(&s->priv.tsig);
	if (cap < reserve + DNS_HDR_LEN)
		return DNS_ENOMEM;
	struct dns_msgw w;
	int r = dns_msgw_init(&w, buf, cap - reserve, NULL, 0, s->priv.id, 0);
	if (!r)
		r = dns_msgw_question(&w, s->priv.zone, DNS_T_SOA, DNS_C_IN);
	if (r)
		return r;
	int n = dns_msgw_finish(&w);
	if (n > 0)
		n = dns_tsig_sign(&s->priv.tsig, buf, (size_t)n, cap, now_s);
	if (n > 0) {
		s->priv.state = S_SOA_WAIT;
		s->priv.timeout_at = now_ms + s->priv.timeout_ms;
	}
	return n;
}

int dns_sec_soa_input(struct dns_sec *s, const uint8_t *msg, size_t len, uint64_t now_ms,
	uint64_t now_s)
{
	if (s->priv.state != S_SOA_WAIT)
		return DNS_EXFR_MISMATCH;
	struct dns_msg m;
	int r = dns_msg_parse(&m, msg, len);
	if (r)
		return r;
	if (m.hdr.id != s->priv.id || !(m.hdr.flags & DNS_F_QR) || m.hdr.count[0] != 1 ||
	    !dns_name_equal(m.q.name, s->priv.zone) || m.q.type != DNS_T_SOA)
		return DNS_EXFR_MISMATCH;
	r = dns_tsig_client_verify(&s->priv.tsig, &m, now_s);
	if (r == DNS_ETSIG_REJECTED) {
		failed(s, r, now_ms);
		return r;
	}
	if (r < 0)
		return r;
	if (dns_msg_rcode(&m) != DNS_RC_NOERROR) {
		failed(s, DNS_EXFR_RCODE, now_ms);
		return DNS_EXFR_RCODE;
	}
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&m, &it);
	while (dns_msg_next(&m, &it, &rr)) {
		if (rr.section != DNS_S_ANSWER || rr.type != DNS_T_SOA || !dns_name_equal(rr.owner, s->priv.zone))
			continue;
		uint8_t rd[DNS_SOA_RDATA_MAX];
		struct dns_soa soa;
		int k = dns_rdata_unpack(m.wire, m.len, rr.rdoff, rr.rdlen, DNS_T_SOA, rd, sizeof rd);
		if (k < 0 || dns_soa_parse(rd, (uint16_t)k, &soa))
			break;
		/* RFC 1982: only a greater serial is newer; an older one (a
		 * primary restored from backup) is logged by the caller, and
		 * our copy stays. */
		if (dns_serial_gt(soa.serial, s->priv.serial)) {
			s->priv.state = S_NEED_XFR;
			return DNS_SEC_TRANSFER;
		}
		confirmed(s, now_ms);
		return soa.serial == s->priv.serial ? 0 : DNS_ESERIAL;
	}
	failed(s, DNS_EXFR_SOA, now_ms);
	return DNS_EXFR_SOA;
}

int dns_sec_xfr_begin(struct dns_sec *s, struct dns_xfr_rx *rx, const struct dns_xset *cur,
	struct dns_xset *out, uint8_t *buf, size_t cap, uint64_t now_ms, uint64_t now_s)
{
	struct dns_xrr soa;
	bool ixfr = s->priv.have_zone && cur && !s->priv.force_axfr && dns_xset_soa(cur, &soa) == 0;
	uint16_t qtype = ixfr ? DNS_T_IXFR : DNS_T_AXFR;
	s->priv.id = new_id(s);
	dns_tsig_client_init(&s->priv.tsig, s->priv.key, 0);
	int n = dns_xfr_query(buf, cap, s->priv.id, s->priv.zone, qtype, ixfr ? &soa : NULL, &s->priv.tsig,
		now_s);
	if (n < 0)
		return n;
	dns_xfr_rx_init(rx, s->priv.zone, s->priv.id, qtype, ixfr ? cur : NULL, out, &s->priv.tsig);
	s->priv.state = S_XFR;
	s->priv.xfr_ixfr = ixfr;
	s->priv.timeout_at = now_ms + s->priv.timeout_ms;
	return n;
}

void dns_sec_xfr_done(struct dns_sec *s, int result, const struct dns_xrr *soa, uint64_t now_ms)
{
	struct dns_soa v;
	if (result == DNS_XFR_NEW && soa && dns_soa_parse(soa->rdata, soa->rdlen, &v) == 0) {
		set_soa(s, &v);
		s->priv.force_axfr = false;
		confirmed(s, now_ms);
		return;
	}
	if (result == DNS_XFR_UPTODATE && s->priv.have_zone) {
		confirmed(s, now_ms);
		return;
	}
	int err = result < 0 ? result : DNS_EXFR_INCOMPLETE;
	bool protocol = err == DNS_EXFR_CHAIN || err == DNS_EXFR_DELETE || err == DNS_EXFR_RCODE ||
		err == DNS_EXFR_SOA || err == DNS_EXFR_INCOMPLETE;
	bool retry_now = s->priv.xfr_ixfr && protocol && !s->priv.force_axfr;
	failed(s, err, now_ms);
	/* An IXFR the primary could not or would not do: AXFR at once. */
	if (retry_now) {
		s->priv.force_axfr = true;
		s->priv.state = S_NEED_XFR;
	}
}

int dns_sec_notify(struct dns_sec *s, const struct dns_msg *m, uint64_t now_ms, uint64_t now_s,
	uint8_t *resp, size_t cap, size_t *resp_len)
{
	*resp_len = 0;
	struct dns_notify n;
	int r = dns_notify_parse(m, &n);
	if (r || !dns_name_equal(n.zone, s->priv.zone)) {
		int k = dns_notify_answer(m, resp, cap, r ? DNS_RC_FORMERR : DNS_RC_NOTAUTH);
		if (k > 0)
			*resp_len = (size_t)k;
		return DNS_ENOTIFY;
	}
	struct dns_tsig t;
	if (s->priv.key) {
		r = dns_tsig_server_verify(&t, s->priv.key, 1, m, now_s);
		if (r) {
			uint16_t rc = r == DNS_ETSIG_NONE ? DNS_RC_REFUSED : (uint16_t)dns_tsig_error_rcode(r);
			int k = dns_notify_answer(m, resp, cap, rc);
			if (k > 0 && r != DNS_ETSIG_NONE)
				k = dns_tsig_sign(&t, resp, (size_t)k, cap, now_s);
			if (k > 0)
				*resp_len = (size_t)k;
			return r;
		}
	} else {
		dns_tsig_client_init(&t, NULL, 0);
	}
	size_t reserve = dns_tsig_reserve(&t);
	if (cap < reserve + DNS_HDR_LEN)
		return DNS_ENOMEM;
	int k = dns_notify_answer(m, resp, cap - reserve, DNS_RC_NOERROR);
	if (k > 0)
		k = dns_tsig_sign(&t, resp, (size_t)k, cap, now_s);
	if (k < 0)
		return k;
	*resp_len = (size_t)k;
	/* RFC 1996 4.7: act as if the refresh timer ran out; during a check
	 * already under way, check again after it. */
	if (s->priv.state == S_IDLE)
		s->priv.refresh_at = now_ms;
	else
		s->priv.notified = true;
	return 0;
}

bool dns_sec_expired(const struct dns_sec *s, uint64_t now_ms)
{
	return s->priv.have_zone && (s->priv.expired || now_ms >= s->priv.expire_at);
}

bool dns_sec_has_zone(const struct dns_sec *s)
{
	return s->priv.have_zone;
}

uint32_t dns_sec_serial(const struct dns_sec *s)
{
	return s->priv.serial;
}

uint64_t dns_sec_next_deadline(const struct dns_sec *s)
{
	uint64_t d = UINT64_MAX;
	switch (s->priv.state) {
	case S_IDLE: d = s->priv.refresh_at; break;
	case S_SOA_WAIT: d = s->priv.timeout_at; break;
	case S_NEED_XFR: d = 0; break;
	default: break;
	}
	if (s->priv.have_zone && !s->priv.expired && s->priv.expire_at < d)
		d = s->priv.expire_at;
	return d;
}

int dns_sec_last_error(const struct dns_sec *s)
{
	return s->priv.last_err;
}
