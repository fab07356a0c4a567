/*
 * The zone database: records in a caller's arena, sorted once in canonical
 * order (RFC 4034 6.1), grouped into nodes and RRsets, with empty
 * non-terminals made explicit so that "no such name" and "name without
 * data" (RFC 8020) are told apart by one binary search.
 */
#include "dns_int.h"

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t *index_of(const struct dns_zone *z)
{
	return (uint32_t *)(void *)(z->priv.arena + z->priv.back);
}

int dns_zone_init(struct dns_zone *z, const uint8_t *origin, void *arena, size_t cap)
{
	memset(z, 0, sizeof *z);
	uint8_t *a = arena;
	/* The nodes and index are read as 32-bit words: align the arena. */
	size_t skip = (size_t)(-(uintptr_t)a & 7);
	if (!arena || cap < skip)
		cap = skip = 0;
	z->priv.arena = a + skip;
	z->priv.cap = (cap - skip) & ~(size_t)3;
	z->priv.back = z->priv.cap;
	z->priv.need = skip + 64;
	memcpy(z->priv.origin, origin, dns_name_len(origin));
	return 0;
}

/* A record's line keeps its file's index in the top byte (lines stay
 * below 2^24; an index of 255 means a file past DNS_ZONE_FILES). */
#define LINE_MASK 0xffffffu
#define NOWHERE 0xff000000u

static uint32_t where(struct dns_zone *z, const char *file, unsigned line)
{
	uint32_t idx = 255;
	for (uint8_t i = 0; i < z->priv.nfiles && idx == 255; i++)
		if (z->priv.files[i] == file)
			idx = i;
	if (idx == 255 && file && z->priv.nfiles < DNS_ZONE_FILES) {
		idx = z->priv.nfiles;
		z->priv.files[z->priv.nfiles++] = file;
	}
	return idx << 24 | (line > LINE_MASK ? LINE_MASK : line);
}

static int zfail(struct dns_zone_err *err, int code, const uint8_t *name, uint16_t type,
	const struct dns_zone *z, uint32_t at)
{
	if (err) {
		err->code = code;
		memcpy(err->name, name, dns_name_len(name));
		err->type = type;
		err->line = at & LINE_MASK;
		err->file = (at >> 24) < z->priv.nfiles ? z->priv.files[at >> 24] : NULL;
	}
	return code;
}

int dns_zone_add(struct dns_zone *z, const struct dns_zrr *rr, struct dns_zone_err *err)
{
	uint32_t at = where(z, rr->file, rr->line);
	if (z->priv.state != 0)
		return zfail(err, DNS_EZONE_STATE, rr->owner, rr->type, z, at);
	if (!dns_name_is_sub(rr->owner, z->priv.origin))
		return zfail(err, DNS_EZONE_OUTSIDE, rr->owner, rr->type, z, at);
	if (rr->type == DNS_T_SOA && !dns_name_equal(rr->owner, z->priv.origin))
		return zfail(err, DNS_EZONE_SOA, rr->owner, rr->type, z, at);
	size_t ol = dns_name_len(rr->owner);
	size_t sz = align4(DNS_REC_OWNER + ol + rr->rdlen);
	size_t cands = (size_t)(dns_name_labels(rr->owner) - dns_name_labels(z->priv.origin)) + 1;
	/* The record, its index slot, then at most one node candidate per
	 * ancestor, one node and two hash slots each, and one RRset. */
	z->priv.need += sz + 4 + cands * (4 + sizeof(struct dns_znode) + 8) + sizeof(struct dns_zset);
	if (z->priv.full || z->priv.back - z->priv.front < sz + 4 || z->priv.nrec == UINT32_MAX - 1) {
		z->priv.full = true;
		return 0;
	}
	uint8_t *p = z->priv.arena + z->priv.front;
	dns_put16(p + DNS_REC_RDLEN, rr->rdlen);
	dns_put16(p + DNS_REC_TYPE, rr->type);
	put32(p + DNS_REC_TTL, rr->ttl);
	put32(p + DNS_REC_LINE, at);
	p[DNS_REC_OWNLEN] = (uint8_t)ol;
	memcpy(p + DNS_REC_OWNER, rr->owner, ol);
	memcpy(p + DNS_REC_OWNER + ol, rr->rdata, rr->rdlen);
	z->priv.back -= 4;
	put32(z->priv.arena + z->priv.back, (uint32_t)z->priv.front);
	z->priv.front += sz;
	z->priv.nrec++;
	return 0;
}

int dns_zone_add_cb(void *zone, const struct dns_zrr *rr)
{
	return dns_zone_add(zone, rr, NULL);
}

size_t dns_zone_needed(const struct dns_zone *z)
{
	return z->priv.need;
}

const uint8_t *dns_zone_origin(const struct dns_zone *z)
{
	return z->priv.origin;
}

uint32_t dns_zone_nodes(const struct dns_zone *z)
{
	return z->priv.state == 1 ? z->priv.nnodes : 0;
}

/* Records: owner (canonical), type, then RDATA octets, so duplicates
 * (RFC 2181 5) end up side by side. */
static int cmp_rec(const uint8_t *arena, uint32_t a, uint32_t b)
{
	const uint8_t *ra = arena + a, *rb = arena + b;
	int c = dns_name_cmp(ra + DNS_REC_OWNER, rb + DNS_REC_OWNER);
	if (c)
		return c;
	uint16_t ta = dns_get16(ra + DNS_REC_TYPE), tb = dns_get16(rb + DNS_REC_TYPE);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	uint16_t la = dns_get16(ra + DNS_REC_RDLEN), lb = dns_get16(rb + DNS_REC_RDLEN);
	c = memcmp(ra + DNS_REC_OWNER + ra[DNS_REC_OWNLEN], rb + DNS_REC_OWNER + rb[DNS_REC_OWNLEN],
		la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

/* ASCII capitals of 8 octets lowered at once (SWAR). Length octets may
 * change too, but the same way for every spelling of a name, which is all
 * a hash needs; equality is then checked by dns_name_equal(). */
static inline uint64_t lower8(uint64_t x)
{
	uint64_t h = x & 0x7f7f7f7f7f7f7f7fu;
	uint64_t ge_a = h + 0x3f3f3f3f3f3f3f3fu; /* bit 7: >= 'A' */
	uint64_t gt_z = h + 0x2525252525252525u; /* bit 7: > 'Z' */
	uint64_t up = ge_a & ~gt_z & ~x & 0x8080808080808080u;
	return x | up >> 2;
}

/* A case-insensitive hash of a wire name of len octets. */
static uint32_t name_hash(const uint8_t *name, size_t len)
{
	uint64_t h = len;
	size_t i = 0;
	for (; len - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, name + i, 8);
		h = (h ^ lower8(w)) * 0x9e3779b97f4a7c15u;
		h ^= h >> 32;
	}
	if (i < len) {
		uint64_t w = 0;
		for (size_t k = 0; k < len - i; k++)
			w |= (uint64_t)name[i + k] << (8 * k);
		h = (h ^ lower8(w)) * 0x9e3779b97f4a7c15u;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 32;
	return (uint32_t)h;
}

static uint32_t *hash_of(const struct dns_zone *z)
{
	return (uint32_t *)(void *)(z->priv.arena + z->priv.hash);
}

/* Open addressing, linear probing, at most half full: a lookup ends at an
 * empty slot. The slot is the hash scaled to the table (no division). */
static uint32_t hash_find(const struct dns_zone *z, const uint8_t *name, size_t len)
{
	const uint32_t *t = hash_of(z);
	uint32_t m = z->priv.nhash;
	uint32_t i = (uint32_t)(((uint64_t)name_hash(name, len) * m) >> 32);
	for (;;) {
		uint32_t v = t[i];
		if (v == DNS_ZONE_NONE || dns_name_equal(dns_zname(z, v), name))
			return v;
		if (++i == m)
			i = 0;
	}
}

static void hash_build(struct dns_zone *z)
{
	uint32_t *t = hash_of(z);
	uint32_t m = z->priv.nhash;
	for (uint32_t i = 0; i < m; i++)
		t[i] = DNS_ZONE_NONE;
	for (uint32_t n = 0; n < z->priv.nnodes; n++) {
		const uint8_t *name = dns_zname(z, n);
		uint32_t i = (uint32_t)(((uint64_t)name_hash(name, dns_name_len(name)) * m) >> 32);
		while (t[i] != DNS_ZONE_NONE)
			if (++i == m)
				i = 0;
		t[i] = n;
	}
}

static int cmp_name(const uint8_t *arena, uint32_t a, uint32_t b)
{
	return dns_name_cmp(arena + a, arena + b);
}

/* Heapsort: in place, no recursion, O(n log n) whatever the input. */
static void sort(uint32_t *v, size_t n, const uint8_t *arena,
	int (*cmp)(const uint8_t *, uint32_t, uint32_t))
{
	if (n < 2)
		return;
	for (size_t start = n / 2; start-- > 0;) {
		size_t root = start;
		for (;;) {
			size_t child = 2 * root + 1;
			if (child >= n)
				break;
			if (child + 1 < n && cmp(arena, v[child], v[child + 1]) < 0)
				child++;
			if (cmp(arena, v[root], v[child]) >= 0)
				break;
			uint32_t t = v[root]; v[root] = v[child]; v[child] = t;
			root = child;
		}
	}
	for (size_t end = n - 1; end > 0; end--) {
		uint32_t t = v[0]; v[0] = v[end]; v[end] = t;
		size_t root = 0;
		for (;;) {
			size_t child = 2 * root + 1;
			if (child >= end)
				break;
			if (child + 1 < end && cmp(arena, v[child], v[child + 1]) < 0)
				child++;
			if (cmp(arena, v[root], v[child]) >= 0)
				break;
			uint32_t u = v[root]; v[root] = v[child]; v[child] = u;
			root = child;
		}
	}
}

static struct dns_znode *node_w(struct dns_zone *z, uint32_t i)
{
	return (struct dns_znode *)(void *)(z->priv.arena + z->priv.nodes) + i;
}

static struct dns_zset *set_w(struct dns_zone *z, uint32_t i)
{
	return (struct dns_zset *)(void *)(z->priv.arena + z->priv.rrsets) + i;
}

static uint32_t set_line(const struct dns_zone *z, const struct dns_zset *s)
{
	return get32(z->priv.arena + index_of(z)[s->first] + DNS_REC_LINE);
}

/* RFC 1034 4.2.1 and 3.6.2, RFC 2181 6 and 10.1: what a zone must be. */
static int check(struct dns_zone *z, struct dns_zone_err *err)
{
	const struct dns_zset *soa = dns_zone_set(z, 0, DNS_T_SOA);
	if (!soa)
		return zfail(err, DNS_EZONE_NO_SOA, z->priv.origin, DNS_T_SOA, z, NOWHERE);
	if (soa->n != 1)
		return zfail(err, DNS_EZONE_SOA, z->priv.origin, DNS_T_SOA, z, set_line(z, soa));
	if (!dns_zone_set(z, 0, DNS_T_NS))
		return zfail(err, DNS_EZONE_NO_NS, z->priv.origin, DNS_T_NS, z, NOWHERE);
	for (uint32_t i = 0; i < z->priv.nnodes; i++) {
		const struct dns_znode *n = dns_zn(z, i);
		const struct dns_zset *cn = dns_zone_set(z, i, DNS_T_CNAME);
		const struct dns_zset *dn = dns_zone_set(z, i, DNS_T_DNAME);
		/* RFC 6672 2.4 and 3: a DNAME has no descendants, is alone of
		 * its kind, and never sits beside a CNAME. */
		if ((dn && (dn->n > 1 || cn)) || (n->dname != DNS_ZONE_NONE && n->dname != i))
			return zfail(err, DNS_EZONE_DNAME, dns_zname(z, i), DNS_T_DNAME, z,
				dn ? set_line(z, dn) : n->set_n ? set_line(z, dns_zs(z, n->set_first)) : NOWHERE);
		for (uint16_t k = 0; k < n->set_n; k++) {
			const struct dns_zset *s = dns_zs(z, n->set_first + k);
			/* RFC 2181 10.1, RFC 4035 2.5: only DNSSEC data beside a CNAME. */
			if (cn && (s == cn ? s->n > 1 : s->type != DNS_T_RRSIG && s->type != DNS_T_NSEC))
				return zfail(err, DNS_EZONE_CNAME, dns_zname(z, i), DNS_T_CNAME, z, set_line(z, cn));
			if (n->cut == DNS_ZONE_NONE)
				continue;
			/* At a cut: the delegation, its DS and glue for itself; below
			 * it: glue addresses only (RFC 1034 4.2.1). */
			bool ok = s->type == DNS_T_A || s->type == DNS_T_AAAA;
			if (n->cut == i)
				ok = ok || s->type == DNS_T_NS || s->type == DNS_T_DS ||
					s->type == DNS_T_RRSIG || s->type == DNS_T_NSEC;
			if (!ok)
				return zfail(err, DNS_EZONE_BELOW_CUT, dns_zname(z, i), s->type, z, set_line(z, s));
		}
	}
	return 0;
}

int dns_zone_finish(struct dns_zone *z, struct dns_zone_err *err)
{
	if (z->priv.state != 0)
		return zfail(err, DNS_EZONE_STATE, z->priv.origin, 0, z, NOWHERE);
	if (z->priv.full) {
		z->priv.state = DNS_ENOMEM;
		return zfail(err, DNS_ENOMEM, z->priv.origin, 0, z, NOWHERE);
	}
	uint8_t *a = z->priv.arena;
	uint32_t *idx = index_of(z);
	size_t n = z->priv.nrec;
	sort(idx, n, a, cmp_rec);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || cmp_rec(a, idx[m - 1], idx[i]) != 0)
			idx[m++] = idx[i];
	/* The index moves up to close the gap the duplicates left. */
	if (m < n) {
		memmove(idx + (n - m), idx, m * 4);
		z->priv.back += (n - m) * 4;
		idx = index_of(z);
	}
	n = m;
	z->priv.nrec = (uint32_t)n;

	/* Every owner and every ancestor of it down to the origin is a node. */
	size_t cpos = align4(z->priv.front);
	uint32_t *cand = (uint32_t *)(void *)(a + cpos);
	size_t k = 0;
	int olabels = dns_name_labels(z->priv.origin);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *owner = a + idx[i] + DNS_REC_OWNER;
		if (i > 0 && dns_name_equal(owner, a + idx[i - 1] + DNS_REC_OWNER))
			continue;
		int below = dns_name_labels(owner) - olabels;
		const uint8_t *s = owner;
		for (int l = 0; l <= below; l++) {
			if ((size_t)(z->priv.back - cpos) / 4 <= k + 1)
				goto nomem;
			cand[k++] = (uint32_t)(s - a);
			s += s[0] + 1;
		}
	}
	if (n == 0) {
		/* Let the checks say what is missing. */
		z->priv.nnodes = 0;
		return zfail(err, DNS_EZONE_NO_SOA, z->priv.origin, DNS_T_SOA, z, NOWHERE);
	}
	sort(cand, k, a, cmp_name);
	size_t nn = 0;
	for (size_t i = 0; i < k; i++)
		if (nn == 0 || dns_name_cmp(a + cand[nn - 1], a + cand[i]) != 0)
			cand[nn++] = cand[i];
	z->priv.nodes = align4(cpos + nn * 4);
	z->priv.rrsets = z->priv.nodes + nn * sizeof(struct dns_znode);
	if (z->priv.rrsets + n * sizeof(struct dns_zset) > z->priv.back)
		goto nomem;
	z->priv.nnodes = (uint32_t)nn;
	for (size_t i = 0; i < nn; i++) {
		struct dns_znode *nd = node_w(z, (uint32_t)i);
		nd->name = cand[i];
		nd->set_first = 0;
		nd->set_n = 0;
		nd->flags = 0;
		nd->parent = nd->wild = nd->cut = nd->dname = DNS_ZONE_NONE;
	}
	/* Records and nodes are in the same order: one merge walk. */
	uint32_t j = 0, ns = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = a + idx[i];
		while (dns_name_cmp(a + node_w(z, j)->name, r + DNS_REC_OWNER) < 0)
			j++;
		struct dns_znode *nd = node_w(z, j);
		uint16_t type = dns_get16(r + DNS_REC_TYPE);
		uint32_t ttl = get32(r + DNS_REC_TTL);
		struct dns_zset *s = ns ? set_w(z, ns - 1) : NULL;
		if (nd->set_n == 0 || s->type != type) {
			if (nd->set_n == 0)
				nd->set_first = ns;
			if (nd->set_n == UINT16_MAX)
				goto nomem;
			nd->set_n++;
			s = set_w(z, ns++);
			s->type = type;
			s->n = 0;
			s->ttl = ttl;
			s->first = (uint32_t)i;
		}
		if (s->n == UINT16_MAX)
			goto nomem;
		s->n++;
		/* RFC 2181 5.2: one TTL per RRset; the lowest is the safe one. */
		if (ttl < s->ttl)
			s->ttl = ttl;
	}
	z->priv.nrrsets = ns;
	/* The hash table goes where the unused RRset slots are, when there is
	 * room (dns_zone_needed() counts it); without it lookups search. */
	z->priv.hash = align4(z->priv.rrsets + ns * sizeof(struct dns_zset));
	z->priv.nhash = 0;
	if (nn <= UINT32_MAX / 4 && z->priv.hash <= z->priv.back &&
	    (z->priv.back - z->priv.hash) / 4 >= 2 * nn) {
		z->priv.nhash = (uint32_t)(2 * nn);
		hash_build(z);
	}

	/* Canonical order is a pre-order walk of the tree: a stack of the
	 * current ancestors gives each node its parent. */
	uint32_t stack[DNS_LABELS_MAX + 2];
	int depth = 0;
	for (uint32_t i = 0; i < nn; i++) {
		struct dns_znode *nd = node_w(z, i);
		const uint8_t *name = a + nd->name;
		while (depth > 0 && !dns_name_is_sub(name, a + node_w(z, stack[depth - 1])->name))
			depth--;
		nd->parent = depth ? stack[depth - 1] : DNS_ZONE_NONE;
		stack[depth++] = i;
		if (i == 0)
			nd->flags |= DNS_ZN_APEX;
		if (name[0] == 1 && name[1] == '*' && nd->parent != DNS_ZONE_NONE) {
			nd->flags |= DNS_ZN_WILD;
			node_w(z, nd->parent)->wild = i;
		}
		if (i != 0 && dns_zone_set(z, i, DNS_T_NS))
			nd->flags |= DNS_ZN_DELEG;
		nd->cut = nd->parent != DNS_ZONE_NONE ? node_w(z, nd->parent)->cut : DNS_ZONE_NONE;
		if (nd->cut == DNS_ZONE_NONE && (nd->flags & DNS_ZN_DELEG))
			nd->cut = i;
		nd->dname = nd->parent != DNS_ZONE_NONE ? node_w(z, nd->parent)->dname : DNS_ZONE_NONE;
		if (nd->dname == DNS_ZONE_NONE && dns_zone_set(z, i, DNS_T_DNAME))
			nd->dname = i;
	}
	int r = check(z, err);
	if (r) {
		z->priv.state = r;
		return r;
	}
	z->priv.state = 1;
	return 0;
nomem:
	z->priv.state = DNS_ENOMEM;
	return zfail(err, DNS_ENOMEM, z->priv.origin, 0, z, NOWHERE);
}

uint32_t dns_zone_find(const struct dns_zone *z, const uint8_t *name, uint32_t *pred)
{
	if (!pred && z->priv.nhash)
		return hash_find(z, name, dns_name_len(name));
	uint32_t lo = 0, hi = z->priv.nnodes;
	uint8_t off[DNS_LABELS_MAX + 1];
	int nl = dns_name_offsets(name, off);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = -dns_name_cmp_off(name, off, nl, dns_zname(z, mid));
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pred)
		*pred = lo ? lo - 1 : DNS_ZONE_NONE;
	return DNS_ZONE_NONE;
}

uint32_t dns_zone_encloser(const struct dns_zone *z, const uint8_t *name, bool *exact)
{
	*exact = false;
	if (!z->priv.nhash) {
		/* With empty non-terminals in the tree, the closest encloser is the
		 * deepest ancestor shared with the name just before it in
		 * canonical order (RFC 4592 3.3.1). */
		uint32_t pred;
		uint32_t c = dns_zone_find(z, name, &pred);
		if (c != DNS_ZONE_NONE) {
			*exact = true;
			return c;
		}
		c = pred;
		while (c != DNS_ZONE_NONE && !dns_name_is_sub(name, dns_zname(z, c)))
			c = dns_zn(z, c)->parent;
		return c == DNS_ZONE_NONE ? 0 : c;
	}
	size_t len = dns_name_len(name);
	for (const uint8_t *s = name;;) {
		uint32_t c = hash_find(z, s, len);
		if (c != DNS_ZONE_NONE) {
			*exact = s == name;
			return c;
		}
		if (s[0] == 0)
			return 0;
		len -= (size_t)s[0] + 1;
		s += s[0] + 1;
	}
}

const struct dns_zset *dns_zone_set(const struct dns_zone *z, uint32_t node, uint16_t type)
{
	const struct dns_znode *n = dns_zn(z, node);
	for (uint16_t k = 0; k < n->set_n; k++) {
		const struct dns_zset *s = dns_zs(z, n->set_first + k);
		if (s->type == type)
			return s;
		if (s->type > type)
			break;
	}
	return NULL;
}

const uint8_t *dns_zone_rdata(const struct dns_zone *z, const struct dns_zset *s, uint16_t i,
	uint16_t *rdlen)
{
	const uint8_t *r = z->priv.arena + index_of(z)[s->first + i];
	*rdlen = dns_get16(r + DNS_REC_RDLEN);
	return r + DNS_REC_OWNER + r[DNS_REC_OWNLEN];
}

int dns_zone_get(const struct dns_zone *z, const uint8_t *name, uint16_t type, struct dns_rrset *set)
{
	if (z->priv.state != 1)
		return 0;
	uint32_t i = dns_zone_find(z, name, NULL);
	if (i == DNS_ZONE_NONE)
		return 0;
	const struct dns_zset *s = dns_zone_set(z, i, type);
	if (!s)
		return 0;
	set->owner = dns_zname(z, i);
	set->type = s->type;
	set->count = s->n;
	set->ttl = s->ttl;
	set->priv.z = z;
	set->priv.first = (uint32_t)(s - dns_zs(z, 0));
	return 1;
}

const uint8_t *dns_rrset_rdata(const struct dns_rrset *set, uint16_t i, uint16_t *rdlen)
{
	if (i >= set->count) {
		*rdlen = 0;
		return NULL;
	}
	return dns_zone_rdata(set->priv.z, dns_zs(set->priv.z, set->priv.first), i, rdlen);
}

int dns_zone_next(const struct dns_zone *z, struct dns_zone_iter *it, struct dns_rrset *set)
{
	if (z->priv.state != 1)
		return 0;
	while (it->node < z->priv.nnodes) {
		const struct dns_znode *n = dns_zn(z, it->node);
		if (it->set < n->set_n) {
			const struct dns_zset *s = dns_zs(z, n->set_first + it->set);
			set->owner = dns_zname(z, it->node);
			set->type = s->type;
			set->count = s->n;
			set->ttl = s->ttl;
			set->priv.z = z;
			set->priv.first = n->set_first + it->set;
			it->set++;
			return 1;
		}
		it->node++;
		it->set = 0;
	}
	return 0;
}

uint32_t dns_zone_serial(const struct dns_zone *z)
{
	if (z->priv.state != 1)
		return 0;
	uint16_t len;
	const uint8_t *rd = dns_zone_rdata(z, dns_zone_set(z, 0, DNS_T_SOA), 0, &len);
	return dns_get32(rd + len - 20);
}

