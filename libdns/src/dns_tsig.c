/* TSIG (RFC 8945): the record, signing and verifying messages and streams. */
#include "dns_int.h"

#include <sodium.h>

union dns_hmac {
	crypto_auth_hmacsha256_state s256;
	crypto_auth_hmacsha512_state s512;
};

_Static_assert(sizeof(union dns_hmac) <= sizeof(((struct dns_tsig *)0)->priv.hst),
	"struct dns_tsig holds an HMAC state");
_Static_assert(_Alignof(union dns_hmac) <= _Alignof(uint64_t), "HMAC state alignment");

static const uint8_t alg_sha256[] = "\x0bhmac-sha256";
static const uint8_t alg_sha512[] = "\x0bhmac-sha512";

const uint8_t *dns_tsig_alg_name(uint8_t alg)
{
	switch (alg) {
	case DNS_TSIG_HMAC_SHA256: return alg_sha256;
	case DNS_TSIG_HMAC_SHA512: return alg_sha512;
	default: return NULL;
	}
}

static uint8_t alg_from_name(const uint8_t *name)
{
	if (dns_name_equal(name, alg_sha256))
		return DNS_TSIG_HMAC_SHA256;
	if (dns_name_equal(name, alg_sha512))
		return DNS_TSIG_HMAC_SHA512;
	return DNS_TSIG_NONE;
}

static size_t hash_len(uint8_t alg)
{
	return alg == DNS_TSIG_HMAC_SHA512 ? 64 : 32;
}

const struct dns_tsig_key *dns_tsig_key_find(const struct dns_tsig_key *keys, size_t n,
	const uint8_t *name)
{
	for (size_t i = 0; i < n; i++)
		if (dns_name_equal(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* ---- HMAC through libsodium's incremental API (keys of any length). */

static union dns_hmac *hst(struct dns_tsig *t)
{
	return (union dns_hmac *)(void *)t->priv.hst;
}

static void h_init(union dns_hmac *h, const struct dns_tsig_key *k)
{
	if (k->alg == DNS_TSIG_HMAC_SHA512)
		crypto_auth_hmacsha512_init(&h->s512, k->secret, k->secret_len);
	else
		crypto_auth_hmacsha256_init(&h->s256, k->secret, k->secret_len);
}

static void h_update(union dns_hmac *h, uint8_t alg, const uint8_t *p, size_t n)
{
	if (alg == DNS_TSIG_HMAC_SHA512)
		crypto_auth_hmacsha512_update(&h->s512, p, n);
	else
		crypto_auth_hmacsha256_update(&h->s256, p, n);
}

static size_t h_final(union dns_hmac *h, uint8_t alg, uint8_t *out)
{
	if (alg == DNS_TSIG_HMAC_SHA512)
		crypto_auth_hmacsha512_final(&h->s512, out);
	else
		crypto_auth_hmacsha256_final(&h->s256, out);
	return hash_len(alg);
}

/* RFC 8945 4.3.1: a MAC is digested as MAC Size then MAC. */
static void h_mac(union dns_hmac *h, uint8_t alg, const uint8_t *mac, uint16_t len)
{
	uint8_t l[2];
	dns_put16(l, len);
	h_update(h, alg, l, 2);
	h_update(h, alg, mac, len);
}

/* RFC 8945 4.3.2: the message as it was before the TSIG was added: the
 * Original ID in place of the ID, ARCOUNT one less. */
static void h_msg(union dns_hmac *h, uint8_t alg, const uint8_t *wire, size_t tsig_off,
	uint16_t orig_id)
{
	uint8_t hdr[DNS_HDR_LEN];
	memcpy(hdr, wire, DNS_HDR_LEN);
	dns_put16(hdr, orig_id);
	dns_put16(hdr + 10, (uint16_t)(dns_get16(hdr + 10) - 1));
	h_update(h, alg, hdr, DNS_HDR_LEN);
	h_update(h, alg, wire + DNS_HDR_LEN, tsig_off - DNS_HDR_LEN);
}

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (40 - 8 * i));
}

/* RFC 8945 4.3.3: the TSIG variables, names in canonical (lowercase) form;
 * timers_only for the later messages of a stream (5.3.1). */
static void h_vars(union dns_hmac *h, uint8_t alg, const uint8_t *kname, const uint8_t *aname,
	uint64_t time, uint16_t fudge, uint16_t error, const uint8_t *other, uint16_t other_len,
	bool timers_only)
{
	uint8_t b[2 * DNS_NAME_MAX + 32];
	size_t n = 0;
	if (!timers_only) {
		n += dns_name_lower(b, kname);
		dns_put16(b + n, DNS_C_ANY);
		memset(b + n + 2, 0, 4); /* TTL 0 */
		n += 6;
		n += dns_name_lower(b + n, aname);
	}
	put48(b + n, time);
	dns_put16(b + n + 6, fudge);
	n += 8;
	if (!timers_only) {
		dns_put16(b + n, error);
		dns_put16(b + n + 2, other_len);
		n += 4;
	}
	h_update(h, alg, b, n);
	if (!timers_only && other_len)
		h_update(h, alg, other, other_len);
}

/* ---- The record. */

int dns_tsig_rr_parse(const struct dns_msg *m, struct dns_tsig_rr *t)
{
	if (!m->tsig_off)
		return DNS_ETSIG_NONE;
	struct dns_rd c;
	dns_rd_init(&c, m->wire, m->end, true);
	c.pos = m->tsig_off;
	dns_rd_name(&c, t->key, DNS_NM_COMP);
	uint16_t type = dns_rd_u16(&c), rclass = dns_rd_u16(&c);
	uint32_t ttl = dns_rd_u32(&c);
	uint16_t rdlen = dns_rd_u16(&c);
	if (c.err || type != DNS_T_TSIG)
		return DNS_ETSIG_FORMERR;
	/* RFC 8945 4.2: CLASS ANY, TTL 0. */
	if (rclass != DNS_C_ANY || ttl != 0)
		return DNS_ETSIG_FORMERR;
	if (m->end - c.pos < rdlen)
		return DNS_ETSIG_FORMERR;
	c.end = c.pos + rdlen;
	dns_rd_name(&c, t->alg, DNS_NM_DECOMP);
	const uint8_t *tm = dns_rd_take(&c, 6);
	t->fudge = dns_rd_u16(&c);
	t->mac_len = dns_rd_u16(&c);
	t->mac = dns_rd_take(&c, t->mac_len);
	t->orig_id = dns_rd_u16(&c);
	t->error = dns_rd_u16(&c);
	t->other_len = dns_rd_u16(&c);
	t->other = dns_rd_take(&c, t->other_len);
	if (c.err || c.pos != c.end)
		return DNS_ETSIG_FORMERR;
	t->time_signed = 0;
	for (int i = 0; i < 6; i++)
		t->time_signed = t->time_signed << 8 | tm[i];
	return 0;
}

size_t dns_tsig_size(const struct dns_tsig_key *k)
{
	const uint8_t *a = dns_tsig_alg_name(k->alg);
	return dns_name_len(k->name) + 10 + (a ? dns_name_len(a) : DNS_NAME_MAX) + 16 +
		hash_len(k->alg) + 6;
}

/* Appends the record: owner, TYPE, CLASS ANY, TTL 0, RDATA (RFC 8945 4.2). */
static int write_rr(struct dns_tsig *t, uint8_t *msg, size_t len, size_t cap, uint64_t time,
	const uint8_t *mac, uint16_t mac_len, const uint8_t *other, uint16_t other_len)
{
	struct dns_wr w;
	dns_wr_init(&w, msg + len, cap - len);
	uint8_t low[DNS_NAME_MAX];
	dns_wr_bytes(&w, low, dns_name_lower(low, t->priv.kname));
	dns_wr_u16(&w, DNS_T_TSIG);
	dns_wr_u16(&w, DNS_C_ANY);
	dns_wr_u32(&w, 0);
	size_t rdl = w.pos;
	dns_wr_u16(&w, 0);
	dns_wr_bytes(&w, low, dns_name_lower(low, t->priv.aname));
	uint8_t tm[6];
	put48(tm, time);
	dns_wr_bytes(&w, tm, 6);
	dns_wr_u16(&w, t->priv.fudge);
	dns_wr_u16(&w, mac_len);
	dns_wr_bytes(&w, mac, mac_len);
	dns_wr_u16(&w, dns_get16(msg));
	dns_wr_u16(&w, t->priv.error);
	dns_wr_u16(&w, other_len);
	dns_wr_bytes(&w, other, other_len);
	if (w.err || len + w.pos > 65535)
		return DNS_ENOMEM;
	dns_put16(msg + len + rdl, (uint16_t)(w.pos - rdl - 2));
	dns_put16(msg + 10, (uint16_t)(dns_get16(msg + 10) + 1));
	return (int)(len + w.pos);
}

/* Starts the HMAC of a message: the running state (prior MAC and unsigned
 * messages) if there is one, else prior MAC for all but a request. */
static void start(struct dns_tsig *t, union dns_hmac *h)
{
	if (t->priv.running) {
		memcpy(h, hst(t), sizeof *h);
		return;
	}
	h_init(h, t->priv.key);
	if (t->priv.nsigned > 0)
		h_mac(h, t->priv.key->alg, t->priv.mac, t->priv.mac_len);
}

int dns_tsig_sign(struct dns_tsig *t, uint8_t *msg, size_t len, size_t cap, uint64_t now_s)
{
	if (!t->priv.active)
		return (int)len;
	if (len < DNS_HDR_LEN || cap < len)
		return DNS_EINVAL;
	uint16_t err = t->priv.error;
	/* RFC 8945 5.3.2: errors of key or MAC get an unsigned TSIG. */
	if (err == DNS_TSIG_BADKEY || err == DNS_TSIG_BADSIG)
		return write_rr(t, msg, len, cap, t->priv.req_time, NULL, 0, NULL, 0);
	const struct dns_tsig_key *k = t->priv.key;
	uint64_t time = now_s;
	uint8_t other[6];
	uint16_t other_len = 0;
	if (err == DNS_TSIG_BADTIME) {
		/* RFC 8945 5.2.3: the client's time in Time Signed, ours in
		 * Other Data, so the client can see the skew. */
		time = t->priv.req_time;
		put48(other, now_s);
		other_len = 6;
	}
	union dns_hmac h;
	start(t, &h);
	/* The message is digested as it will be sent, minus the TSIG. */
	uint8_t save[2];
	memcpy(save, msg + 10, 2);
	dns_put16(msg + 10, (uint16_t)(dns_get16(msg + 10) + 1));
	h_msg(&h, k->alg, msg, len, dns_get16(msg));
	memcpy(msg + 10, save, 2);
	h_vars(&h, k->alg, t->priv.kname, t->priv.aname, time, t->priv.fudge, err, other, other_len,
		t->priv.nsigned >= 2);
	uint8_t mac[DNS_TSIG_MAC_MAX];
	size_t ml = h_final(&h, k->alg, mac);
	int r = write_rr(t, msg, len, cap, time, mac, (uint16_t)ml, other, other_len);
	if (r < 0)
		return r;
	memcpy(t->priv.mac, mac, ml);
	t->priv.mac_len = (uint16_t)ml;
	t->priv.nsigned++;
	t->priv.running = false;
	t->priv.unsigned_run = 0;
	return r;
}

int dns_tsig_skip(struct dns_tsig *t, const uint8_t *msg, size_t len)
{
	if (!t->priv.active)
		return 0;
	/* RFC 8945 5.3.1: the first response is signed, and at least every
	 * 100th message. */
	if (t->priv.nsigned < 2 || t->priv.error)
		return DNS_EINVAL;
	if (t->priv.unsigned_run >= 99)
		return DNS_ETSIG_UNSIGNED;
	union dns_hmac h;
	start(t, &h);
	h_update(&h, t->priv.key->alg, msg, len);
	memcpy(hst(t), &h, sizeof h);
	t->priv.running = true;
	t->priv.unsigned_run++;
	return 0;
}

static void reset(struct dns_tsig *t)
{
	memset(t, 0, sizeof *t);
	t->priv.fudge = DNS_TSIG_FUDGE;
}

static bool time_ok(uint64_t now_s, uint64_t signed_s, uint16_t fudge)
{
	return !(now_s > signed_s + fudge || signed_s > now_s + fudge);
}

/* RFC 8945 5.2.2.1: a MAC may be truncated to no less than half the hash
 * and 10 octets, and never be longer than the hash. */
static bool mac_size_ok(uint8_t alg, uint16_t len)
{
	size_t hl = hash_len(alg);
	size_t floor = hl / 2 > 10 ? hl / 2 : 10;
	return len <= hl && len >= floor;
}

static uint16_t policy(const struct dns_tsig_key *k)
{
	return k->min_mac ? k->min_mac : (uint16_t)hash_len(k->alg);
}

/* Computes the MAC of a received signed message into mac. */
static void mac_of(struct dns_tsig *t, const struct dns_msg *m, const struct dns_tsig_rr *rr,
	uint8_t *mac)
{
	union dns_hmac h;
	start(t, &h);
	h_msg(&h, t->priv.key->alg, m->wire, m->tsig_off, rr->orig_id);
	h_vars(&h, t->priv.key->alg, rr->key, rr->alg, rr->time_signed, rr->fudge, rr->error,
		rr->other, rr->other_len, t->priv.nsigned >= 2);
	h_final(&h, t->priv.key->alg, mac);
}

int dns_tsig_server_verify(struct dns_tsig *t, const struct dns_tsig_key *keys, size_t nkeys,
	const struct dns_msg *req, uint64_t now_s)
{
	reset(t);
	struct dns_tsig_rr rr;
	int r = dns_tsig_rr_parse(req, &rr);
	if (r)
		return r;
	dns_name_lower(t->priv.kname, rr.key);
	dns_name_lower(t->priv.aname, rr.alg);
	t->priv.req_time = rr.time_signed;
	t->priv.active = true;
	/* RFC 8945 5.2.1: unknown key, or an algorithm other than the key's. */
	uint8_t alg = alg_from_name(rr.alg);
	const struct dns_tsig_key *k = dns_tsig_key_find(keys, nkeys, rr.key);
	if (!k || alg == DNS_TSIG_NONE || k->alg != alg) {
		t->priv.error = DNS_TSIG_BADKEY;
		return DNS_ETSIG_BADKEY;
	}
	t->priv.key = k;
	if (!mac_size_ok(alg, rr.mac_len)) {
		t->priv.active = false;
		return DNS_ETSIG_MACSIZE;
	}
	uint8_t mac[DNS_TSIG_MAC_MAX];
	mac_of(t, req, &rr, mac);
	if (sodium_memcmp(mac, rr.mac, rr.mac_len) != 0) {
		t->priv.error = DNS_TSIG_BADSIG;
		return DNS_ETSIG_BADSIG;
	}
	/* The request MAC validated: responses chain it, truncated as sent. */
	memcpy(t->priv.mac, rr.mac, rr.mac_len);
	t->priv.mac_len = rr.mac_len;
	t->priv.nsigned = 1;
	if (!time_ok(now_s, rr.time_signed, rr.fudge)) {
		t->priv.error = DNS_TSIG_BADTIME;
		return DNS_ETSIG_BADTIME;
	}
	if (rr.mac_len < policy(k)) {
		t->priv.error = DNS_TSIG_BADTRUNC;
		return DNS_ETSIG_BADTRUNC;
	}
	t->priv.verified = true;
	return 0;
}

const uint8_t *dns_tsig_key_name(const struct dns_tsig *t)
{
	return t->priv.verified && t->priv.key ? t->priv.key->name : NULL;
}

int dns_tsig_error_rcode(int err)
{
	switch (err) {
	case 0:
	case DNS_ETSIG_NONE:
		return DNS_RC_NOERROR;
	case DNS_ETSIG_BADKEY:
	case DNS_ETSIG_BADSIG:
	case DNS_ETSIG_BADTIME:
	case DNS_ETSIG_BADTRUNC:
		return DNS_RC_NOTAUTH;
	default:
		return DNS_RC_FORMERR;
	}
}

void dns_tsig_client_init(struct dns_tsig *t, const struct dns_tsig_key *key, uint16_t fudge)
{
	reset(t);
	if (!key || !dns_tsig_alg_name(key->alg))
		return;
	t->priv.key = key;
	t->priv.active = true;
	t->priv.client = true;
	if (fudge)
		t->priv.fudge = fudge;
	dns_name_lower(t->priv.kname, key->name);
	dns_name_lower(t->priv.aname, dns_tsig_alg_name(key->alg));
}

int dns_tsig_client_verify(struct dns_tsig *t, const struct dns_msg *m, uint64_t now_s)
{
	if (!t->priv.active)
		return 0;
	const struct dns_tsig_key *k = t->priv.key;
	if (!m->tsig_off) {
		if (t->priv.nsigned < 2)
			return DNS_ETSIG_NONE;
		if (t->priv.unsigned_run >= 99)
			return DNS_ETSIG_UNSIGNED;
		union dns_hmac h;
		start(t, &h);
		h_update(&h, k->alg, m->wire, m->len);
		memcpy(hst(t), &h, sizeof h);
		t->priv.running = true;
		t->priv.unsigned_run++;
		t->priv.last_signed = false;
		return 1;
	}
	struct dns_tsig_rr rr;
	int r = dns_tsig_rr_parse(m, &rr);
	if (r)
		return r;
	if (rr.error) {
		t->priv.peer_error = rr.error;
		return DNS_ETSIG_REJECTED;
	}
	if (!dns_name_equal(rr.key, k->name) || alg_from_name(rr.alg) != k->alg)
		return DNS_ETSIG_BADKEY;
	if (!mac_size_ok(k->alg, rr.mac_len))
		return DNS_ETSIG_MACSIZE;
	uint8_t mac[DNS_TSIG_MAC_MAX];
	mac_of(t, m, &rr, mac);
	if (sodium_memcmp(mac, rr.mac, rr.mac_len) != 0)
		return DNS_ETSIG_BADSIG;
	if (!time_ok(now_s, rr.time_signed, rr.fudge))
		return DNS_ETSIG_BADTIME;
	if (rr.mac_len < policy(k))
		return DNS_ETSIG_BADTRUNC;
	memcpy(t->priv.mac, rr.mac, rr.mac_len);
	t->priv.mac_len = rr.mac_len;
	t->priv.nsigned++;
	t->priv.running = false;
	t->priv.unsigned_run = 0;
	t->priv.last_signed = true;
	t->priv.verified = true;
	return 0;
}

int dns_tsig_client_end(const struct dns_tsig *t)
{
	if (!t->priv.active)
		return 0;
	return t->priv.last_signed ? 0 : DNS_ETSIG_UNSIGNED;
}

uint16_t dns_tsig_peer_error(const struct dns_tsig *t)
{
	return t->priv.peer_error;
}

int dns_tsig_answer(const struct dns_msg *req, uint16_t rcode, struct dns_tsig *t, uint8_t *out,
	size_t cap, uint64_t now_s)
{
	size_t reserve = t && t->priv.active ? (t->priv.key ? dns_tsig_size(t->priv.key) :
		dns_name_len(t->priv.kname) + dns_name_len(t->priv.aname) + 26) : 0;
	if (cap < reserve + DNS_HDR_LEN)
		return DNS_ENOMEM;
	struct dns_msgw w;
	uint16_t flags = (uint16_t)(DNS_F_QR | DNS_F_AA | (req->hdr.flags & (0x7800u | DNS_F_RD)) |
		(rcode & 0xfu));
	int r = dns_msgw_init(&w, out, cap - reserve, NULL, 0, req->hdr.id, flags);
	if (!r && req->hdr.count[0] >= 1)
		r = dns_msgw_question(&w, req->q.name, req->q.type, req->q.qclass);
	if (r)
		return r;
	int n = dns_msgw_finish(&w);
	if (n < 0 || !t)
		return n;
	return dns_tsig_sign(t, out, (size_t)n, cap, now_s);
}
