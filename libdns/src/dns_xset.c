/* Record sets in a caller's arena: the secondary's copy of a zone, and the
 * record order (dns_xrr_cmp) every set and journal uses. */
#include "dns_xfr_int.h"

int dns_xrr_cmp(const struct dns_xrr *a, const struct dns_xrr *b)
{
	int c = dns_name_cmp(a->owner, b->owner);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->rclass != b->rclass)
		return a->rclass < b->rclass ? -1 : 1;
	/* RFC 4034 6.3: RDATA as left-justified octet strings, a prefix first. */
	size_t m = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	c = m ? memcmp(a->rdata, b->rdata, m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return a->rdlen == b->rdlen ? 0 : a->rdlen < b->rdlen ? -1 : 1;
}

int dns_soa_parse(const uint8_t *rdata, uint16_t rdlen, struct dns_soa *soa)
{
	struct dns_rd c;
	dns_rd_init(&c, rdata, rdlen, false);
	dns_rd_name(&c, NULL, DNS_NM_NOPTR);
	dns_rd_name(&c, NULL, DNS_NM_NOPTR);
	soa->serial = dns_rd_u32(&c);
	soa->refresh = dns_rd_u32(&c);
	soa->retry = dns_rd_u32(&c);
	soa->expire = dns_rd_u32(&c);
	soa->minimum = dns_rd_u32(&c);
	if (c.err || c.pos != rdlen)
		return DNS_EXFR_SOA;
	return 0;
}

/* ---- Encoding: op, owner, type, class, TTL, RDLENGTH, RDATA. */

size_t dns_xrr_decode(const uint8_t *p, struct dns_xrr *rr, uint8_t *op)
{
	*op = p[0];
	rr->owner = p + 1;
	size_t n = 1 + dns_name_len(p + 1);
	rr->type = dns_get16(p + n);
	rr->rclass = dns_get16(p + n + 2);
	rr->ttl = dns_get32(p + n + 4);
	rr->rdlen = dns_get16(p + n + 8);
	rr->rdata = p + n + 10;
	return n + 10 + rr->rdlen;
}

size_t dns_xrr_size(const struct dns_xrr *rr)
{
	return 1 + dns_name_len(rr->owner) + 10 + rr->rdlen;
}

void dns_xrr_encode(uint8_t *p, const struct dns_xrr *rr, uint8_t op)
{
	size_t n = dns_name_len(rr->owner);
	p[0] = op;
	memcpy(p + 1, rr->owner, n);
	n++;
	dns_put16(p + n, rr->type);
	dns_put16(p + n + 2, rr->rclass);
	p[n + 4] = (uint8_t)(rr->ttl >> 24);
	p[n + 5] = (uint8_t)(rr->ttl >> 16);
	p[n + 6] = (uint8_t)(rr->ttl >> 8);
	p[n + 7] = (uint8_t)rr->ttl;
	dns_put16(p + n + 8, rr->rdlen);
	if (rr->rdlen)
		memcpy(p + n + 10, rr->rdata, rr->rdlen);
}

static uint8_t *idx_at(const struct dns_xset *z, uint32_t i)
{
	return z->priv.mem + z->priv.cap - 4 * ((size_t)i + 1);
}

static uint32_t idx_get(const struct dns_xset *z, uint32_t i)
{
	return dns_get32(idx_at(z, i));
}

static void idx_set(struct dns_xset *z, uint32_t i, uint32_t off)
{
	uint8_t *p = idx_at(z, i);
	p[0] = (uint8_t)(off >> 24);
	p[1] = (uint8_t)(off >> 16);
	p[2] = (uint8_t)(off >> 8);
	p[3] = (uint8_t)off;
}

void dns_xset_init(struct dns_xset *z, uint8_t *mem, size_t cap)
{
	memset(z, 0, sizeof *z);
	z->priv.mem = mem;
	/* Offsets are 32 bits. */
	z->priv.cap = cap > UINT32_MAX ? UINT32_MAX : cap;
	z->priv.sorted = true;
}

void dns_xset_reset(struct dns_xset *z)
{
	dns_xset_init(z, z->priv.mem, z->priv.cap);
}

int dns_xset_add_op(struct dns_xset *z, const struct dns_xrr *rr, uint8_t op)
{
	if (z->priv.err)
		return z->priv.err;
	size_t need = dns_xrr_size(rr);
	size_t idx = 4 * ((size_t)z->priv.n + 1);
	if (z->priv.cap < idx || z->priv.cap - idx < z->priv.used || z->priv.cap - idx - z->priv.used < need) {
		z->priv.err = DNS_ENOMEM;
		return DNS_ENOMEM;
	}
	dns_xrr_encode(z->priv.mem + z->priv.used, rr, op);
	idx_set(z, z->priv.n, (uint32_t)z->priv.used);
	z->priv.used += need;
	z->priv.n++;
	z->priv.sorted = false;
	return 0;
}

int dns_xset_add(struct dns_xset *z, const struct dns_xrr *rr)
{
	return dns_xset_add_op(z, rr, DNS_XOP_BASE);
}

/* Index order: the record order, then arrival (the offset), so the
 * changes to one record are seen in the order they were made. */
static int entry_cmp(const struct dns_xset *z, uint32_t a, uint32_t b)
{
	struct dns_xrr ra, rb;
	uint8_t op;
	dns_xrr_decode(z->priv.mem + a, &ra, &op);
	dns_xrr_decode(z->priv.mem + b, &rb, &op);
	int c = dns_xrr_cmp(&ra, &rb);
	if (c)
		return c;
	return a < b ? -1 : a > b;
}

static void sift(struct dns_xset *z, uint32_t root, uint32_t n)
{
	for (;;) {
		uint32_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && entry_cmp(z, idx_get(z, child), idx_get(z, child + 1)) < 0)
			child++;
		uint32_t r = idx_get(z, root), c = idx_get(z, child);
		if (entry_cmp(z, r, c) >= 0)
			return;
		idx_set(z, root, c);
		idx_set(z, child, r);
		root = child;
	}
}

/* Heapsort: in place, no recursion, O(n log n) at worst. */
static void sort_index(struct dns_xset *z)
{
	uint32_t n = z->priv.n;
	for (uint32_t i = n / 2; i-- > 0;)
		sift(z, i, n);
	for (uint32_t end = n; end-- > 1;) {
		uint32_t a = idx_get(z, 0), b = idx_get(z, end);
		idx_set(z, 0, b);
		idx_set(z, end, a);
		sift(z, 0, end);
	}
}

int dns_xset_sort(struct dns_xset *z)
{
	if (z->priv.err)
		return z->priv.err;
	if (z->priv.sorted)
		return (int)z->priv.n;
	sort_index(z);
	/* Each group of one record's entries: a base or an addition makes it
	 * present (the last one's TTL wins), a deletion absent; deleting an
	 * absent record is an error (RFC 1995 gives no meaning to it). */
	uint32_t w = 0, i = 0, n = z->priv.n;
	while (i < n) {
		bool present = false;
		uint32_t live = 0;
		uint32_t j = i;
		for (; j < n; j++) {
			uint32_t off = idx_get(z, j);
			if (j > i) {
				struct dns_xrr a, b;
				uint8_t op;
				dns_xrr_decode(z->priv.mem + idx_get(z, i), &a, &op);
				dns_xrr_decode(z->priv.mem + off, &b, &op);
				if (dns_xrr_cmp(&a, &b) != 0)
					break;
			}
			uint8_t op = z->priv.mem[off];
			if (op == DNS_XOP_DEL) {
				if (!present) {
					z->priv.err = DNS_EXFR_DELETE;
					return DNS_EXFR_DELETE;
				}
				present = false;
			} else {
				present = true;
				live = off;
			}
		}
		if (present) {
			z->priv.mem[live] = DNS_XOP_BASE;
			idx_set(z, w++, live);
		}
		i = j;
	}
	z->priv.n = w;
	z->priv.sorted = true;
	return (int)w;
}

size_t dns_xset_count(const struct dns_xset *z)
{
	return z->priv.n;
}

size_t dns_xset_used(const struct dns_xset *z)
{
	return z->priv.used + 4 * (size_t)z->priv.n;
}

int dns_xset_soa(const struct dns_xset *z, struct dns_xrr *soa)
{
	for (uint32_t i = 0; i < z->priv.n; i++) {
		uint8_t op;
		dns_xrr_decode(z->priv.mem + idx_get(z, i), soa, &op);
		if (soa->type == DNS_T_SOA && op != DNS_XOP_DEL)
			return 0;
	}
	return DNS_EXFR_SOA;
}

void dns_xset_iter_init(struct dns_xset_iter *it, const struct dns_xset *z)
{
	it->z = z;
	it->i = 0;
	it->soa_first = false;
	it->soa_done = false;
}

int dns_xset_next(void *ctx, struct dns_xrr *rr)
{
	struct dns_xset_iter *it = ctx;
	uint8_t op;
	if (it->soa_first && !it->soa_done) {
		it->soa_done = true;
		return dns_xset_soa(it->z, rr) == 0 ? 1 : DNS_EXFR_SOA;
	}
	while (it->i < it->z->priv.n) {
		dns_xrr_decode(it->z->priv.mem + idx_get(it->z, it->i++), rr, &op);
		if (!(it->soa_first && rr->type == DNS_T_SOA))
			return 1;
	}
	return 0;
}

int dns_xset_rewind(void *ctx)
{
	struct dns_xset_iter *it = ctx;
	it->i = 0;
	it->soa_done = false;
	return 0;
}

void dns_xset_src(struct dns_xset_iter *it, const struct dns_xset *z, struct dns_rr_src *src)
{
	dns_xset_iter_init(it, z);
	src->next = dns_xset_next;
	src->rewind = dns_xset_rewind;
	src->ctx = it;
}

void dns_xset_axfr_src(struct dns_xset_iter *it, const struct dns_xset *z, struct dns_rr_src *src)
{
	dns_xset_src(it, z, src);
	it->soa_first = true;
}

int dns_xset_add_wire(struct dns_xset *z, const struct dns_msg *m, const struct dns_rr *rr, uint8_t op)
{
	if (z->priv.err)
		return z->priv.err;
	size_t nl = dns_name_len(rr->owner);
	size_t head = 1 + nl + 10;
	size_t idx = 4 * ((size_t)z->priv.n + 1);
	if (z->priv.cap < idx || z->priv.cap - idx < z->priv.used ||
	    z->priv.cap - idx - z->priv.used < head) {
		z->priv.err = DNS_ENOMEM;
		return DNS_ENOMEM;
	}
	size_t room = z->priv.cap - idx - z->priv.used - head;
	uint8_t *p = z->priv.mem + z->priv.used;
	/* Unpacked in place: names in RDATA may have been compressed. */
	int n = dns_rdata_unpack(m->wire, m->len, rr->rdoff, rr->rdlen, rr->type, p + head, room);
	if (n < 0 || n > 65535) {
		z->priv.err = n == DNS_ENOMEM ? DNS_ENOMEM : n < 0 ? n : DNS_EXFR_RR_SIZE;
		return z->priv.err;
	}
	struct dns_xrr x = { rr->owner, rr->type, rr->rclass, rr->ttl, (uint16_t)n, NULL };
	/* Encode the fixed part only; the RDATA is already in place. */
	x.rdlen = 0;
	dns_xrr_encode(p, &x, op);
	dns_put16(p + 1 + nl + 8, (uint16_t)n);
	idx_set(z, z->priv.n, (uint32_t)z->priv.used);
	z->priv.used += head + (size_t)n;
	z->priv.n++;
	z->priv.sorted = false;
	return 0;
}
