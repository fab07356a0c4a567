/* The IXFR journal (RFC 1995 s4): deltas between a zone's last versions in
 * a caller's arena, oldest first. A delta is a 20-octet header (length,
 * from serial, to serial, change count, offset of its SOAs), the changed
 * records in dns_xrr_cmp order (a deletion before an addition of the same
 * record), then the old SOA and the new SOA. */
#include "dns_xfr_int.h"

#define DH_LEN 20

void dns_journal_init(struct dns_journal *j, uint8_t *mem, size_t cap, unsigned max_deltas)
{
	memset(j, 0, sizeof *j);
	j->priv.mem = mem;
	j->priv.cap = cap > UINT32_MAX ? UINT32_MAX : cap;
	j->priv.max = max_deltas == 0 || max_deltas > DNS_JOURNAL_MAX_DELTAS ? DNS_JOURNAL_MAX_DELTAS
									   : max_deltas;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void dns_journal_delta(const struct dns_journal *j, size_t off, struct dns_jdelta *d)
{
	const uint8_t *p = j->priv.mem + off;
	d->len = dns_get32(p);
	d->from = dns_get32(p + 4);
	d->to = dns_get32(p + 8);
	d->nrec = dns_get32(p + 12);
	d->changes = off + DH_LEN;
	d->soas = off + dns_get32(p + 16);
}

/* The walk's findings: the sets' SOAs and the delta's size. */
struct walk {
	uint8_t owner[2][DNS_NAME_MAX];
	uint8_t rdata[2][DNS_SOA_RDATA_MAX];
	struct dns_xrr soa[2];
	bool have[2];
	size_t size;
	uint32_t nrec;
};

/* Next non-SOA record of set s; the SOA is copied aside. */
static int pull(const struct dns_rr_src *src, struct walk *w, int s, struct dns_xrr *rr)
{
	for (;;) {
		int r = src->next(src->ctx, rr);
		if (r <= 0 || rr->type != DNS_T_SOA)
			return r;
		if (w->have[s] || rr->rdlen > DNS_SOA_RDATA_MAX)
			return DNS_EXFR_SOA;
		w->have[s] = true;
		memcpy(w->owner[s], rr->owner, dns_name_len(rr->owner));
		memcpy(w->rdata[s], rr->rdata, rr->rdlen);
		w->soa[s] = *rr;
		w->soa[s].owner = w->owner[s];
		w->soa[s].rdata = w->rdata[s];
	}
}

static void emit(struct walk *w, uint8_t *dst, const struct dns_xrr *rr, uint8_t op)
{
	if (dst)
		dns_xrr_encode(dst + w->size, rr, op);
	w->size += dns_xrr_size(rr);
	w->nrec++;
}

/* The merge walk; dst NULL only measures. */
static int walk(const struct dns_rr_src *old, const struct dns_rr_src *neu, struct walk *w,
	uint8_t *dst)
{
	struct dns_xrr a, b;
	w->have[0] = w->have[1] = false;
	w->size = DH_LEN;
	w->nrec = 0;
	int ra = pull(old, w, 0, &a), rb = pull(neu, w, 1, &b);
	while (ra > 0 || rb > 0) {
		int c = ra <= 0 ? 1 : rb <= 0 ? -1 : dns_xrr_cmp(&a, &b);
		if (c < 0) {
			emit(w, dst, &a, DNS_XOP_DEL);
			ra = pull(old, w, 0, &a);
		} else if (c > 0) {
			emit(w, dst, &b, DNS_XOP_ADD);
			rb = pull(neu, w, 1, &b);
		} else {
			if (a.ttl != b.ttl) {
				emit(w, dst, &a, DNS_XOP_DEL);
				emit(w, dst, &b, DNS_XOP_ADD);
			}
			ra = pull(old, w, 0, &a);
			rb = pull(neu, w, 1, &b);
		}
		if (ra < 0 || rb < 0)
			return ra < 0 ? ra : rb;
	}
	if (ra < 0 || rb < 0)
		return ra < 0 ? ra : rb;
	if (!w->have[0] || !w->have[1])
		return DNS_EXFR_SOA;
	size_t soas = w->size;
	for (int s = 0; s < 2; s++) {
		if (dst)
			dns_xrr_encode(dst + w->size, &w->soa[s], s ? DNS_XOP_ADD : DNS_XOP_DEL);
		w->size += dns_xrr_size(&w->soa[s]);
	}
	if (dst) {
		put32(dst, (uint32_t)w->size);
		put32(dst + 12, w->nrec);
		put32(dst + 16, (uint32_t)soas);
	}
	return 0;
}

static void drop_oldest(struct dns_journal *j)
{
	uint32_t len = dns_get32(j->priv.mem);
	memmove(j->priv.mem, j->priv.mem + len, j->priv.used - len);
	j->priv.used -= len;
	j->priv.n--;
}

int dns_journal_add(struct dns_journal *j, const struct dns_rr_src *old_set,
	const struct dns_rr_src *new_set, size_t *need)
{
	if (!old_set->rewind || !new_set->rewind)
		return DNS_EINVAL;
	struct walk w;
	struct dns_soa so, sn;
	int r = walk(old_set, new_set, &w, NULL);
	if (r)
		return r;
	if (dns_soa_parse(w.soa[0].rdata, w.soa[0].rdlen, &so) || dns_soa_parse(w.soa[1].rdata, w.soa[1].rdlen, &sn))
		return DNS_EXFR_SOA;
	if (!dns_serial_gt(sn.serial, so.serial))
		return DNS_ESERIAL;
	if (need)
		*need = w.size;
	j->priv.gen++;
	/* A gap in the history (a reload from elsewhere): start afresh. */
	if (j->priv.n && dns_journal_last(j) != so.serial)
		j->priv.used = j->priv.n = 0;
	if (w.size > j->priv.cap) {
		j->priv.used = j->priv.n = 0;
		return DNS_ENOMEM;
	}
	while (j->priv.n && (j->priv.cap - j->priv.used < w.size || j->priv.n >= j->priv.max))
		drop_oldest(j);
	if ((r = old_set->rewind(old_set->ctx)) != 0 || (r = new_set->rewind(new_set->ctx)) != 0)
		return r;
	uint8_t *dst = j->priv.mem + j->priv.used;
	r = walk(old_set, new_set, &w, dst);
	if (r)
		return r;
	put32(dst + 4, so.serial);
	put32(dst + 8, sn.serial);
	j->priv.used += w.size;
	j->priv.n++;
	return (int)(w.nrec > INT32_MAX ? INT32_MAX : w.nrec);
}

unsigned dns_journal_count(const struct dns_journal *j)
{
	return j->priv.n;
}

uint32_t dns_journal_last(const struct dns_journal *j)
{
	struct dns_jdelta d;
	size_t off = 0;
	uint32_t last = 0;
	for (unsigned i = 0; i < j->priv.n; i++) {
		dns_journal_delta(j, off, &d);
		last = d.to;
		off += d.len;
	}
	return last;
}

int dns_journal_find(const struct dns_journal *j, uint32_t serial, size_t *first, unsigned *k)
{
	struct dns_jdelta d;
	size_t off = 0;
	/* The latest delta from that serial: the shortest chain. */
	int found = 0;
	for (unsigned i = 0; i < j->priv.n; i++) {
		dns_journal_delta(j, off, &d);
		if (d.from == serial) {
			*first = off;
			*k = j->priv.n - i;
			found = 1;
		}
		off += d.len;
	}
	return found;
}

bool dns_journal_has(const struct dns_journal *j, uint32_t serial)
{
	size_t first;
	unsigned k;
	return dns_journal_find(j, serial, &first, &k) == 1;
}

int dns_journal_copy(struct dns_journal *dst, const struct dns_journal *src)
{
	dst->priv.used = dst->priv.n = 0;
	dst->priv.gen++;
	if (src->priv.used > dst->priv.cap)
		return DNS_ENOMEM;
	memcpy(dst->priv.mem, src->priv.mem, src->priv.used);
	dst->priv.used = src->priv.used;
	dst->priv.n = src->priv.n;
	while (dst->priv.n > dst->priv.max)
		drop_oldest(dst);
	return 0;
}
