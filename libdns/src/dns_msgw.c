/* Message writer: sections in order, name compression, mark and rewind. */
#include "dns_int.h"

/* Pointers hold 14 bits (RFC 1035 4.1.4): later offsets cannot be targets. */
#define PTR_MAX 0x3fff

int dns_msgw_init(struct dns_msgw *w, uint8_t *buf, size_t cap, uint16_t *ctab,
	size_t ctab_cap, uint16_t id, uint16_t flags)
{
	memset(w, 0, sizeof *w);
	w->buf = buf;
	w->cap = cap > 65535 ? 65535 : cap;
	w->priv.ctab = ctab;
	w->priv.ctab_cap = ctab ? ctab_cap : 0;
	if (cap < DNS_HDR_LEN) {
		w->err = DNS_ENOMEM;
		return DNS_ENOMEM;
	}
	memset(buf, 0, DNS_HDR_LEN);
	dns_put16(buf, id);
	dns_put16(buf + 2, flags);
	w->len = DNS_HDR_LEN;
	return 0;
}

void dns_msgw_set_flags(struct dns_msgw *w, uint16_t flags)
{
	if (w->cap >= DNS_HDR_LEN)
		dns_put16(w->buf + 2, flags);
}

/* Does the (possibly compressed) name written at buf[off] equal the
 * uncompressed suffix s? Only our own, backward pointers are followed. */
static bool written_eq(const uint8_t *buf, size_t off, const uint8_t *s)
{
	for (;;) {
		uint8_t b = buf[off];
		if ((b & 0xc0) == 0xc0) {
			off = (size_t)(b & 0x3f) << 8 | buf[off + 1];
			continue;
		}
		if (b != s[0])
			return false;
		if (b == 0)
			return true;
		for (size_t i = 1; i <= b; i++)
			if (dns_lower(buf[off + i]) != dns_lower(s[i]))
				return false;
		off += (size_t)b + 1;
		s += b + 1;
	}
}

static void wr_name(struct dns_msgw *w, struct dns_wr *o, const uint8_t *name, bool compress)
{
	const uint8_t *s = name;
	/* Only names complete before this one are targets: the entries this
	 * name adds point at labels whose rest is not written yet. */
	size_t known = w->priv.ctab_n;
	while (*s) {
		if (compress) {
			for (size_t e = 0; e < known; e++) {
				if (written_eq(w->buf, w->priv.ctab[e], s)) {
					dns_wr_u16(o, (uint16_t)(0xc000u | w->priv.ctab[e]));
					return;
				}
			}
			if (!o->err && o->pos <= PTR_MAX && w->priv.ctab_n < w->priv.ctab_cap)
				w->priv.ctab[w->priv.ctab_n++] = (uint16_t)o->pos;
		}
		dns_wr_bytes(o, s, (size_t)s[0] + 1);
		s += s[0] + 1;
	}
	dns_wr_u8(o, 0);
}

static int fail(struct dns_msgw *w, size_t len, size_t ctab_n, int err)
{
	w->len = len;
	w->priv.ctab_n = ctab_n;
	if (!w->err)
		w->err = err;
	return err;
}

static int enter(struct dns_msgw *w, uint8_t section)
{
	if (w->err)
		return w->err;
	if (section < w->priv.section || section > DNS_S_ADDITIONAL)
		return DNS_ESECTION;
	if (w->priv.count[section] == 0xffff)
		return DNS_ENOMEM;
	w->priv.section = section;
	return 0;
}

int dns_msgw_question(struct dns_msgw *w, const uint8_t *name, uint16_t type, uint16_t qclass)
{
	int r = enter(w, DNS_S_QUESTION);
	if (r)
		return r;
	size_t len0 = w->len, n0 = w->priv.ctab_n;
	struct dns_wr o = { w->buf, w->cap, w->len, 0 };
	wr_name(w, &o, name, true);
	dns_wr_u16(&o, type);
	dns_wr_u16(&o, qclass);
	if (o.err)
		return fail(w, len0, n0, o.err);
	w->len = o.pos;
	w->priv.count[DNS_S_QUESTION]++;
	return 0;
}

int dns_msgw_rr(struct dns_msgw *w, uint8_t section, const uint8_t *owner, uint16_t type,
	uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	int r = section == DNS_S_QUESTION ? DNS_ESECTION : enter(w, section);
	if (r)
		return r;
	size_t len0 = w->len, n0 = w->priv.ctab_n;
	struct dns_wr o = { w->buf, w->cap, w->len, 0 };
	wr_name(w, &o, owner, true);
	dns_wr_u16(&o, type);
	dns_wr_u16(&o, rclass);
	dns_wr_u32(&o, ttl);
	size_t lenpos = o.pos;
	dns_wr_u16(&o, 0);
	/* Addresses, the most common records, hold no names: copied as is. */
	bool raw = (type == DNS_T_A && rdlen == 4) || (type == DNS_T_AAAA && rdlen == 16);
	const struct dns_rdesc *d = raw ? NULL : dns_rdesc_get(type);
	if (!d || rdlen == 0) {
		dns_wr_bytes(&o, rdata, rdlen);
	} else {
		struct dns_rd c;
		dns_rd_init(&c, rdata, rdlen, false);
		c.trunc = DNS_ERDATA_SHORT;
		for (const uint8_t *f = d->f; *f != DNS_FK_END && !c.err && !o.err; f++) {
			if (*f == DNS_FK_NAME_C || *f == DNS_FK_NAME_D || *f == DNS_FK_NAME_F) {
				size_t s = c.pos;
				if (dns_rd_name(&c, NULL, DNS_NM_NOPTR))
					wr_name(w, &o, rdata + s, *f == DNS_FK_NAME_C);
			} else {
				size_t s = c.pos;
				size_t n = dns_rd_field(&c, (enum dns_fk)*f);
				dns_wr_bytes(&o, rdata + s, n);
			}
		}
		if (o.err)
			return fail(w, len0, n0, o.err);
		if (!c.err && c.pos != c.end)
			c.err = DNS_ERDATA_LONG;
		if (c.err)
			return fail(w, len0, n0, c.err);
	}
	if (o.err)
		return fail(w, len0, n0, o.err);
	size_t n = o.pos - lenpos - 2;
	if (n > 65535)
		return fail(w, len0, n0, DNS_ENOMEM);
	dns_put16(w->buf + lenpos, (uint16_t)n);
	w->len = o.pos;
	w->priv.count[section]++;
	return 0;
}

int dns_msgw_opt(struct dns_msgw *w, uint16_t udp_size, uint8_t ext_rcode, uint8_t version,
	uint16_t flags, const uint8_t *opts, uint16_t optlen)
{
	static const uint8_t root[1] = { 0 };
	uint32_t ttl = (uint32_t)ext_rcode << 24 | (uint32_t)version << 16 | flags;
	return dns_msgw_rr(w, DNS_S_ADDITIONAL, root, DNS_T_OPT, udp_size, ttl, opts, optlen);
}

void dns_msgw_mark(const struct dns_msgw *w, struct dns_msgw_mark *mark)
{
	mark->priv.len = w->len;
	mark->priv.ctab_n = w->priv.ctab_n;
	memcpy(mark->priv.count, w->priv.count, sizeof mark->priv.count);
	mark->priv.section = w->priv.section;
}

void dns_msgw_rewind(struct dns_msgw *w, const struct dns_msgw_mark *mark)
{
	w->len = mark->priv.len;
	w->priv.ctab_n = mark->priv.ctab_n;
	memcpy(w->priv.count, mark->priv.count, sizeof w->priv.count);
	w->priv.section = mark->priv.section;
	w->err = 0;
}

int dns_msgw_finish(struct dns_msgw *w)
{
	if (w->err)
		return w->err;
	for (int s = 0; s < 4; s++)
		dns_put16(w->buf + 4 + 2 * s, w->priv.count[s]);
	return (int)w->len;
}
