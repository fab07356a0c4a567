/* IXFR responses (RFC 1995): one SOA, a condensed difference sequence from
 * the journal, or the whole zone in AXFR form. */
#include "dns_xfr_int.h"

enum { P_SOA1 = 0, P_OLDSOA, P_DELS, P_NEWSOA, P_ADDS, P_SOA2, P_DONE };

/* RFC 1995 s3: the client's version is the SOA in the authority section. */
static int client_serial(const struct dns_msg *q, uint32_t *serial)
{
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(q, &it);
	while (dns_msg_next(q, &it, &rr)) {
		if (rr.section != DNS_S_AUTHORITY || rr.type != DNS_T_SOA)
			continue;
		uint8_t rd[DNS_SOA_RDATA_MAX];
		struct dns_soa s;
		int n = dns_rdata_unpack(q->wire, q->len, rr.rdoff, rr.rdlen, DNS_T_SOA, rd, sizeof rd);
		if (n < 0 || dns_soa_parse(rd, (uint16_t)n, &s) != 0)
			return DNS_EXFR_SOA;
		*serial = s.serial;
		return 0;
	}
	return DNS_EXFR_SOA;
}

int dns_ixfr_init(struct dns_ixfr *x, const struct dns_msg *query, const struct dns_journal *j,
	const struct dns_rr_src *src, struct dns_tsig *tsig, size_t limit, bool udp)
{
	memset(x, 0, sizeof *x);
	int r = dns_axfr_init(&x->priv.ax, query, src, tsig, limit);
	if (r)
		return r;
	uint32_t from;
	if ((r = client_serial(query, &from)) != 0)
		return x->priv.ax.priv.err = r;
	struct dns_xrr soa;
	struct dns_soa cur;
	dns_axfr_soa(&x->priv.ax, &soa);
	if (dns_soa_parse(soa.rdata, soa.rdlen, &cur))
		return x->priv.ax.priv.err = DNS_EXFR_SOA;
	x->priv.j = j;
	x->priv.gen = j ? j->priv.gen : 0;
	x->priv.udp = udp;
	x->priv.from = from;
	int c = dns_serial_cmp(from, cur.serial);
	if (c == DNS_SERIAL_EQ || c == DNS_SERIAL_GT) {
		/* RFC 1995 s2: the same or a newer version gets one SOA. */
		x->priv.kind = DNS_IXFR_UPTODATE;
		x->priv.phase = P_SOA2;
	} else if (j && dns_journal_last(j) == cur.serial &&
		   dns_journal_find(j, from, &x->priv.first, &x->priv.k)) {
		x->priv.kind = DNS_IXFR_INCREMENTAL;
		x->priv.phase = P_SOA1;
	} else {
		x->priv.kind = DNS_IXFR_FULL;
	}
	return 0;
}

int dns_ixfr_kind(const struct dns_ixfr *x)
{
	return x->priv.kind;
}

/* Cursors at the first change of each delta in the chain. */
static void cursors_reset(struct dns_ixfr *x)
{
	size_t off = x->priv.first;
	struct dns_jdelta d;
	for (unsigned i = 0; i < x->priv.k; i++) {
		dns_journal_delta(x->priv.j, off, &d);
		x->priv.cur[i] = (uint32_t)d.changes;
		off += d.len;
	}
}

static size_t cursor_end(const struct dns_ixfr *x, unsigned i)
{
	size_t off = x->priv.first;
	struct dns_jdelta d;
	for (unsigned n = 0;; n++) {
		dns_journal_delta(x->priv.j, off, &d);
		if (n == i)
			return d.soas;
		off += d.len;
	}
}

/*
 * The next change of the condensed sequence for this pass (RFC 1995 s4
 * allows condensing): all the deltas' entries for the least record, in
 * version order, reduce to its state before and after the chain. Returns 1
 * with *out set (a record to send), 0 when the pass is over; *more says
 * whether the group just consumed sent nothing (call again).
 */
static int next_change(struct dns_ixfr *x, const size_t *ends, bool dels, struct dns_xrr *out)
{
	const uint8_t *mem = x->priv.j->priv.mem;
	for (;;) {
		struct dns_xrr least, rr;
		uint8_t op;
		bool any = false;
		for (unsigned i = 0; i < x->priv.k; i++) {
			if (x->priv.cur[i] >= ends[i])
				continue;
			dns_xrr_decode(mem + x->priv.cur[i], &rr, &op);
			if (!any || dns_xrr_cmp(&rr, &least) < 0)
				least = rr;
			any = true;
		}
		if (!any)
			return 0;
		struct dns_xrr first, last;
		uint8_t first_op = 0, last_op = 0;
		bool seen = false;
		for (unsigned i = 0; i < x->priv.k; i++) {
			while (x->priv.cur[i] < ends[i]) {
				size_t n = dns_xrr_decode(mem + x->priv.cur[i], &rr, &op);
				if (dns_xrr_cmp(&rr, &least) != 0)
					break;
				if (!seen) {
					first = rr;
					first_op = op;
					seen = true;
				}
				last = rr;
				last_op = op;
				x->priv.cur[i] += (uint32_t)n;
			}
		}
		bool before = first_op == DNS_XOP_DEL, after = last_op == DNS_XOP_ADD;
		bool same = before && after && first.ttl == last.ttl;
		if (dels && before && !same) {
			*out = first;
			return 1;
		}
		if (!dels && after && !same) {
			*out = last;
			return 1;
		}
	}
}

static int incremental(struct dns_ixfr *x, struct dns_msgw *w, unsigned *written)
{
	size_t ends[DNS_JOURNAL_MAX_DELTAS];
	for (unsigned i = 0; i < x->priv.k; i++)
		ends[i] = cursor_end(x, i);
	struct dns_xrr soa, old, rr;
	dns_axfr_soa(&x->priv.ax, &soa);
	struct dns_jdelta d;
	dns_journal_delta(x->priv.j, x->priv.first, &d);
	uint8_t op;
	dns_xrr_decode(x->priv.j->priv.mem + d.soas, &old, &op);
	while (x->priv.phase != P_DONE) {
		const struct dns_xrr *put = &soa;
		uint32_t saved[DNS_JOURNAL_MAX_DELTAS];
		bool change = x->priv.phase == P_DELS || x->priv.phase == P_ADDS;
		if (x->priv.phase == P_OLDSOA)
			put = &old;
		if (change) {
			memcpy(saved, x->priv.cur, sizeof(uint32_t) * x->priv.k);
			if (!next_change(x, ends, x->priv.phase == P_DELS, &rr)) {
				x->priv.phase++;
				if (x->priv.phase == P_NEWSOA)
					cursors_reset(x);
				continue;
			}
			put = &rr;
		}
		int r = dns_xfr_put(w, put, *written);
		if (r < 0)
			return r;
		if (r == 0) {
			if (change)
				memcpy(x->priv.cur, saved, sizeof(uint32_t) * x->priv.k);
			return 0;
		}
		(*written)++;
		if (!change) {
			x->priv.phase++;
			if (x->priv.phase == P_DELS)
				cursors_reset(x);
		}
	}
	return 0;
}

static int one_soa(struct dns_ixfr *x, struct dns_msgw *w, unsigned *written)
{
	struct dns_xrr soa;
	dns_axfr_soa(&x->priv.ax, &soa);
	int r = dns_xfr_put(w, &soa, *written);
	if (r < 0)
		return r;
	if (r == 1) {
		(*written)++;
		x->priv.phase = P_DONE;
	}
	return 0;
}

static int fill(struct dns_ixfr *x, uint8_t *buf, size_t cap, uint16_t *ctab, size_t ctab_cap,
	uint64_t now_s)
{
	struct dns_axfr *ax = &x->priv.ax;
	if (x->priv.kind == DNS_IXFR_FULL)
		return dns_axfr_next(ax, buf, cap, ctab, ctab_cap, now_s);
	if (x->priv.phase == P_DONE)
		return 0;
	struct dns_msgw w;
	size_t room;
	int r = dns_xfr_msg_begin(&w, ax, buf, cap, ctab, ctab_cap, &room);
	if (r)
		return r == DNS_ENOMEM ? DNS_EXFR_RR_SIZE : r;
	unsigned written = 0;
	r = x->priv.kind == DNS_IXFR_UPTODATE ? one_soa(x, &w, &written) : incremental(x, &w, &written);
	if (r)
		return r;
	return dns_xfr_msg_end(&w, ax, buf, cap, now_s);
}

static bool finished(const struct dns_ixfr *x)
{
	return x->priv.kind == DNS_IXFR_FULL ? dns_axfr_done(&x->priv.ax) : x->priv.phase == P_DONE;
}

bool dns_ixfr_done(const struct dns_ixfr *x)
{
	/* Over UDP there is one message whatever it held. */
	return (x->priv.udp && x->priv.ax.priv.nmsg > 0) || finished(x);
}

int dns_ixfr_next(struct dns_ixfr *x, uint8_t *buf, size_t cap, uint16_t *ctab, size_t ctab_cap,
	uint64_t now_s)
{
	struct dns_axfr *ax = &x->priv.ax;
	if (ax->priv.err)
		return ax->priv.err;
	if (x->priv.j && x->priv.gen != x->priv.j->priv.gen && x->priv.kind == DNS_IXFR_INCREMENTAL)
		return ax->priv.err = DNS_EINVAL;
	if (!x->priv.udp) {
		int r = fill(x, buf, cap, ctab, ctab_cap, now_s);
		if (r < 0)
			ax->priv.err = r;
		return r;
	}
	/* RFC 1995 s2: over UDP, all of it in one message or one SOA. Built
	 * unsigned first, so the TSIG chain sees only what is sent. */
	if (ax->priv.nmsg > 0)
		return 0;
	struct dns_tsig *t = ax->priv.tsig;
	size_t reserve = dns_tsig_reserve(t);
	if (cap < reserve + DNS_HDR_LEN)
		return ax->priv.err = DNS_ENOMEM;
	ax->priv.tsig = NULL;
	int r = fill(x, buf, cap - reserve, ctab, ctab_cap, now_s);
	if (r > 0 && !finished(x)) {
		x->priv.kind = DNS_IXFR_UPTODATE;
		x->priv.phase = P_SOA2;
		ax->priv.nmsg = 0;
		r = fill(x, buf, cap - reserve, ctab, ctab_cap, now_s);
	}
	ax->priv.tsig = t;
	if (r > 0 && t)
		r = dns_tsig_sign(t, buf, (size_t)r, cap, now_s);
	if (r < 0)
		ax->priv.err = r;
	return r;
}
