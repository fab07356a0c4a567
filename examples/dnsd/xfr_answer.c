/* dnsd: the answer callback's hook for TSIG (RFC 8945), AXFR (RFC 5936)
 * and IXFR (RFC 1995) out, NOTIFY in (RFC 1996), and secondary zones that
 * answer SERVFAIL. Plain queries (opcode QUERY, no TSIG, not a transfer)
 * are recognised without a parse and left to dns_answer(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"

/* Transfers running at once per worker. */
#define SLOTS 64
#define CTAB 256

/* One outgoing transfer over TCP, from its first message to its last. It
 * holds a reference on the zone set it reads, so a reload during it does
 * not change what it sends. Slots never move: the generators keep
 * pointers to the record source inside. */
struct slot {
	bool used;
	bool ixfr;
	uint64_t gen;
	uint64_t last_ms;
	uint32_t msgs;
	struct zoneset *zs;
	struct dns_tsig t;
	struct dns_axfr ax;
	struct dns_ixfr ix;
	struct dns_zone_src zsrc;
	struct dns_rr_src src;
	uint16_t ctab[CTAB];
	char what[2 * (DNS_NAME_MAX * 4 + 2) + 200]; /* "AXFR of example.test. serial 1 to 127.0.0.1:4711, key k" */
};

struct xfr_worker {
	struct dnsd *d;
	struct xfr *x;
	uint32_t idle_ms;
	uint64_t gen;
	unsigned nused;
	uint64_t swept_ms;
	struct slot *slots[SLOTS];
};

struct xfr_worker *xfr_worker_new(struct dnsd *d, uint32_t tcp_idle_ms)
{
	struct xfr_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->d = d;
	w->x = d->xfr;
	/* The transport does not tell when a connection dies in the middle of
	 * a transfer: a slot that made no message for twice the connection's
	 * idle timeout is taken back (its connection is surely gone). */
	w->idle_ms = tcp_idle_ms ? 2 * tcp_idle_ms : 60000;
	return w;
}

static void slot_free(struct xfr_worker *w, struct slot *s)
{
	zoneset_release(s->zs);
	s->zs = NULL;
	s->used = false;
	w->nused--;
}

/* Takes back the slots of transfers whose connection went away, so they
 * do not hold an old zone set for long. */
static void sweep(struct xfr_worker *w, uint64_t now_ms)
{
	w->swept_ms = now_ms;
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = w->slots[i];
		if (s && s->used && now_ms - s->last_ms > w->idle_ms) {
			cl_log(CL_LOG_INFO, "%s abandoned by the client after %u messages", s->what, s->msgs);
			slot_free(w, s);
		}
	}
}

void xfr_worker_free(struct xfr_worker *w)
{
	if (!w)
		return;
	for (int i = 0; i < SLOTS; i++) {
		if (w->slots[i] && w->slots[i]->used)
			slot_free(w, w->slots[i]);
		free(w->slots[i]);
	}
	free(w);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* True for the usual query dns_answer() handles alone: opcode QUERY, one
 * question with an uncompressed name, not AXFR or IXFR, and nothing after
 * it but an OPT record (so no TSIG). */
static bool plain(const uint8_t *q, size_t len)
{
	if (len < DNS_HDR_LEN || (q[2] & 0x80))
		return true; /* dropped by dns_answer() */
	if (DNS_OPCODE(get16(q + 2)) != DNS_OP_QUERY || get16(q + 4) != 1 || get16(q + 6) ||
	    get16(q + 8) || get16(q + 10) > 1)
		return false;
	size_t pos = DNS_HDR_LEN;
	for (int labels = 0; labels <= DNS_LABELS_MAX; labels++) {
		if (pos >= len || q[pos] > DNS_LABEL_MAX)
			return false;
		if (q[pos] == 0)
			break;
		pos += (size_t)q[pos] + 1;
	}
	if (pos >= len || q[pos] != 0 || len - pos < 5)
		return false;
	uint16_t qtype = get16(q + pos + 1);
	if (qtype == DNS_T_AXFR || qtype == DNS_T_IXFR)
		return false;
	pos += 5;
	if (get16(q + 10) == 0)
		return pos == len;
	return len - pos >= 11 && q[pos] == 0 && get16(q + pos + 1) == DNS_T_OPT;
}

/* Is the query's name in a secondary zone without a servable copy (and in
 * no deeper zone that can answer)? */
static bool unservable(const struct zoneset *zs, const uint8_t *name)
{
	int best = -1, best_labels = -1;
	for (size_t i = 0; i < zs->nzones; i++) {
		const uint8_t *o = dns_zone_origin(&zs->zones[i]);
		int l = dns_name_labels(o);
		if (l > best_labels && dns_name_is_sub(name, o) &&
		    (zs->x->unserv[i] || dns_zone_nodes(&zs->zones[i]))) {
			best = (int)i;
			best_labels = l;
		}
	}
	return best >= 0 && zs->x->unserv[best];
}

static void name_text(const uint8_t *n, char *buf, size_t cap)
{
	if (dns_name_to_text(n, buf, cap) < 0)
		snprintf(buf, cap, "?");
}

static void peer_text(const struct dns_req *req, char *buf, size_t cap)
{
	if (req->peer)
		xfr_addr_text(req->peer, buf, cap);
	else
		snprintf(buf, cap, "?");
}

static const char *key_text(const struct dns_tsig *t, char *buf, size_t cap)
{
	const uint8_t *k = dns_tsig_key_name(t);
	if (!k)
		return "none";
	name_text(k, buf, cap);
	return buf;
}

/* The next message of a transfer in a slot. */
static int slot_next(struct xfr_worker *w, struct slot *s, struct dns_req *req, uint8_t *out, size_t cap)
{
	/* A whole message's room, or wait until the output drains. */
	if (cap < DNS_MSG_MAX)
		return DNS_ENOMEM;
	uint64_t now_s = xfr_now_s();
	int n = s->ixfr ? dns_ixfr_next(&s->ix, out, cap, s->ctab, CTAB, now_s)
			: dns_axfr_next(&s->ax, out, cap, s->ctab, CTAB, now_s);
	if (n <= 0) {
		cl_log(CL_LOG_WARN, "%s failed after %u messages: %s", s->what, s->msgs,
			n < 0 ? dns_strerror(n) : "nothing to send");
		slot_free(w, s);
		return n < 0 ? n : DNS_EIO;
	}
	s->msgs++;
	s->last_ms = req->now_ms;
	bool done = s->ixfr ? dns_ixfr_done(&s->ix) : dns_axfr_done(&s->ax);
	req->more = !done;
	if (done) {
		cl_log(CL_LOG_INFO, "%s done, %u message%s", s->what, s->msgs, s->msgs == 1 ? "" : "s");
		slot_free(w, s);
	}
	return n;
}

static struct slot *slot_take(struct xfr_worker *w, uint64_t now_ms, int *idx)
{
	int free_i = -1;
	sweep(w, now_ms);
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = w->slots[i];
		if (free_i < 0 && (!s || !s->used))
			free_i = i;
	}
	if (free_i < 0)
		return NULL;
	if (!w->slots[free_i] && !(w->slots[free_i] = calloc(1, sizeof(struct slot))))
		return NULL;
	struct slot *s = w->slots[free_i];
	s->used = true;
	w->nused++;
	s->gen = ++w->gen;
	s->last_ms = now_ms;
	s->msgs = 0;
	*idx = free_i;
	return s;
}

static int transfer(struct engine *e, struct xfr_worker *w, struct dns_req *req,
	const struct dns_msg *m, struct dns_tsig *t, uint8_t *out, size_t cap, uint64_t now_s)
{
	struct zoneset *zs = e->zs;
	const struct xfr_conf *c = w->x->c;
	bool ixfr = m->q.type == DNS_T_IXFR, udp = req->transport == DNS_TR_UDP;
	char zone[DNS_NAME_MAX * 4 + 2], peer[64], key[DNS_NAME_MAX * 4 + 2];
	name_text(m->q.name, zone, sizeof zone);
	peer_text(req, peer, sizeof peer);
	int i = xfr_zone_index(zs, m->q.name);
	if (i < 0 || zs->x->unserv[i] || !dns_zone_nodes(&zs->zones[i])) {
		cl_log(CL_LOG_INFO, "%s of %s to %s: not a zone served here", ixfr ? "IXFR" : "AXFR", zone,
			peer);
		return dns_tsig_answer(m, i < 0 ? DNS_RC_NOTAUTH : DNS_RC_SERVFAIL, t, out, cap, now_s);
	}
	const char *k = key_text(t, key, sizeof key);
	if (!req->peer || !dns_acl_check(c->acl, c->nacl, m->q.name, req->peer->family, req->peer->ip,
				  dns_tsig_key_name(t))) {
		cl_log(CL_LOG_WARN, "%s of %s to %s refused, key %s", ixfr ? "IXFR" : "AXFR", zone, peer, k);
		return dns_tsig_answer(m, DNS_RC_REFUSED, t, out, cap, now_s);
	}
	const struct zdata *zd = zs->x->d[i];
	const struct dns_journal *j = zd && zd->have_j ? &zd->j : NULL;
	if (udp) {
		/* RFC 5936 4.2: AXFR is TCP only. RFC 1995 2: an IXFR over UDP
		 * gets what fits in one message, else the current SOA. */
		if (!ixfr)
			return dns_tsig_answer(m, DNS_RC_REFUSED, t, out, cap, now_s);
		struct dns_ixfr ix;
		struct dns_zone_src zsrc;
		struct dns_rr_src src;
		dns_zone_src_init(&zsrc, &zs->zones[i], true, &src);
		size_t limit = req->limit < cap ? req->limit : cap;
		int r = dns_ixfr_init(&ix, m, j, &src, t, limit, true);
		if (r < 0)
			return dns_tsig_answer(m, DNS_RC_FORMERR, t, out, cap, now_s);
		r = dns_ixfr_next(&ix, out, limit, e->ctab, sizeof e->ctab / sizeof e->ctab[0], now_s);
		cl_log(CL_LOG_INFO, "IXFR of %s to %s over UDP, key %s: %s", zone, peer, k,
			r < 0 ? dns_strerror(r) : dns_ixfr_kind(&ix) == DNS_IXFR_INCREMENTAL ? "incremental"
													: "current SOA");
		return r;
	}
	int idx;
	struct slot *s = slot_take(w, req->now_ms, &idx);
	if (!s) {
		cl_log(CL_LOG_WARN, "%s of %s to %s: too many transfers at once (%d)", ixfr ? "IXFR" : "AXFR",
			zone, peer, SLOTS);
		return dns_tsig_answer(m, DNS_RC_SERVFAIL, t, out, cap, now_s);
	}
	s->zs = zs;
	atomic_fetch_add(&zs->refs, 1);
	s->t = *t;
	s->ixfr = ixfr;
	dns_zone_src_init(&s->zsrc, &zs->zones[i], true, &s->src);
	int r = ixfr ? dns_ixfr_init(&s->ix, m, j, &s->src, &s->t, 0, false)
		     : dns_axfr_init(&s->ax, m, &s->src, &s->t, 0);
	const char *kind = "AXFR";
	if (ixfr && r == 0)
		kind = dns_ixfr_kind(&s->ix) == DNS_IXFR_INCREMENTAL ? "IXFR (incremental)"
		       : dns_ixfr_kind(&s->ix) == DNS_IXFR_UPTODATE  ? "IXFR (up to date)"
								     : "IXFR (as AXFR)";
	snprintf(s->what, sizeof s->what, "%s of %s serial %u to %s, key %s", kind, zone,
		dns_zone_serial(&zs->zones[i]), peer, k);
	if (r < 0) {
		cl_log(CL_LOG_WARN, "%s: %s", s->what, dns_strerror(r));
		slot_free(w, s);
		return dns_tsig_answer(m, DNS_RC_FORMERR, t, out, cap, now_s);
	}
	cl_log(CL_LOG_INFO, "%s started", s->what);
	req->cont[0] = (uint64_t)idx + 1;
	req->cont[1] = s->gen;
	return slot_next(w, s, req, out, cap);
}

int xfr_answer(struct engine *e, struct dns_req *req, uint8_t *out, size_t cap)
{
	struct xfr_worker *w = e->xw;
	if (!w->x)
		return XFR_PASS; /* xfr_setup() was not called */
	if (req->seq > 0) {
		uint64_t i = req->cont[0];
		struct slot *s = i >= 1 && i <= SLOTS ? w->slots[i - 1] : NULL;
		if (!s || !s->used || s->gen != req->cont[1])
			return DNS_EIO; /* taken back as idle: end the connection */
		return slot_next(w, s, req, out, cap);
	}
	if (w->nused && req->now_ms - w->swept_ms > 1000)
		sweep(w, req->now_ms);
	bool any_unserv = e->zs->x && e->zs->x->nunserv;
	if (!any_unserv && plain(req->wire, req->len))
		return XFR_PASS;
	int perr;
	const struct dns_msg *m = dns_req_msg(req, &perr);
	uint64_t now_s = xfr_now_s();
	if (perr == DNS_ETSIG_POS)
		return dns_tsig_answer(m, DNS_RC_FORMERR, NULL, out, cap, now_s); /* RFC 8945 5.1 */
	if (perr || (m->hdr.flags & DNS_F_QR) || !e->zs->x)
		return XFR_PASS;
	if (DNS_OPCODE(m->hdr.flags) == DNS_OP_NOTIFY && req->peer)
		return xfr_notify_in(w->x, m, req->peer, req->now_ms, out, cap);
	bool xfr = m->q.type == DNS_T_AXFR || m->q.type == DNS_T_IXFR;
	if (xfr && req->transport == DNS_TR_TCP && cap < DNS_MSG_MAX)
		return DNS_ENOMEM; /* a transfer starts with the whole output buffer */
	const struct xfr_conf *c = w->x->c;
	struct dns_tsig t;
	int v = dns_tsig_server_verify(&t, c->keys, c->nkeys, m, now_s);
	if (v != 0 && v != DNS_ETSIG_NONE) {
		struct dns_tsig_rr rr;
		char key[DNS_NAME_MAX * 4 + 2] = "?", peer[64], q[DNS_NAME_MAX * 4 + 2];
		if (dns_tsig_rr_parse(m, &rr) == 0)
			name_text(rr.key, key, sizeof key);
		peer_text(req, peer, sizeof peer);
		name_text(m->q.name, q, sizeof q);
		const char *type = dns_type_name(m->q.type);
		cl_log(CL_LOG_WARN, "TSIG error from %s, key %s, query %s %s: %s%s", peer, key, q,
			type ? type : "?", dns_strerror(v), xfr ? " (transfer refused)" : "");
		bool formerr = v == DNS_ETSIG_FORMERR || v == DNS_ETSIG_MACSIZE;
		return dns_tsig_answer(m, (uint16_t)dns_tsig_error_rcode(v), formerr ? NULL : &t, out, cap,
			now_s);
	}
	if (xfr && DNS_OPCODE(m->hdr.flags) == DNS_OP_QUERY)
		return transfer(e, w, req, m, &t, out, cap, now_s);
	if (m->hdr.count[0] == 1 && any_unserv && unservable(e->zs, m->q.name))
		return dns_tsig_answer(m, DNS_RC_SERVFAIL, &t, out, cap, now_s);
	if (v == DNS_ETSIG_NONE)
		return XFR_PASS;
	/* A signed query: the answer leaves room for the TSIG record and is
	 * cut back to it before signing (RFC 8945 5.3). */
	const struct dns_tsig_key *key = dns_tsig_key_find(c->keys, c->nkeys, dns_tsig_key_name(&t));
	size_t tsz = key ? dns_tsig_size(key) : 0;
	size_t limit = req->limit < cap ? req->limit : cap;
	if (limit <= tsz + DNS_HDR_LEN)
		return dns_tsig_answer(m, DNS_RC_SERVFAIL, &t, out, cap, now_s);
	struct dns_answer_opts o = { .tcp = req->transport == DNS_TR_TCP, .udp_max = e->udp_max };
	int n = dns_answer(e->zs->zp, e->zs->nzones, req->wire, req->len, out, cap, e->ctab,
		sizeof e->ctab / sizeof e->ctab[0], &o);
	if (n > 0 && (size_t)n > limit - tsz)
		n = dns_msg_truncate(out, (size_t)n, out, limit - tsz);
	if (n < 0) /* not even the question fits beside the TSIG record */
		return dns_tsig_answer(m, DNS_RC_SERVFAIL, &t, out, cap, now_s);
	if (n > 0)
		n = dns_tsig_sign(&t, out, (size_t)n, limit, now_s);
	return n;
}
