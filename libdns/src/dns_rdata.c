/* Typed RDATA on the wire: each field checked against its type's descriptor. */
#include "dns_int.h"

/* RFC 4034 4.1.2: windows in increasing order, 1..32 octets each, no
 * trailing zero octet (a window with no types is left out). */
static void rd_bitmap(struct dns_rd *c)
{
	int last = -1;
	while (!c->err && dns_rd_left(c) > 0) {
		uint8_t win = dns_rd_u8(c);
		uint8_t len = dns_rd_u8(c);
		const uint8_t *bits = dns_rd_take(c, len);
		if (c->err)
			return;
		if ((int)win <= last || len == 0 || len > 32 || bits[len - 1] == 0) {
			dns_rd_fail(c, DNS_EBITMAP);
			return;
		}
		last = win;
	}
}

static bool alpn_ok(const uint8_t *v, size_t len)
{
	size_t i = 0;
	if (len == 0)
		return false;
	while (i < len) {
		size_t l = v[i];
		if (l == 0 || len - i - 1 < l)
			return false;
		i += l + 1;
	}
	return true;
}

/* RFC 9460 2.2 and 7: keys strictly increasing, values of the known keys
 * in their defined forms. */
static void rd_svc(struct dns_rd *c)
{
	int32_t last = -1;
	while (!c->err && dns_rd_left(c) > 0) {
		uint16_t key = dns_rd_u16(c);
		uint16_t len = dns_rd_u16(c);
		const uint8_t *v = dns_rd_take(c, len);
		if (c->err)
			return;
		if ((int32_t)key <= last) {
			dns_rd_fail(c, DNS_ESVC_ORDER);
			return;
		}
		last = key;
		bool ok = true;
		switch (key) {
		case 0: /* mandatory: a non-empty list of keys, increasing (RFC 9460 8) */
			ok = len > 0 && len % 2 == 0;
			for (size_t i = 2; ok && i < len; i += 2)
				ok = dns_get16(v + i) > dns_get16(v + i - 2);
			break;
		case 1: ok = alpn_ok(v, len); break;
		case 2: ok = len == 0; break;
		case 3: ok = len == 2; break;
		case 4: ok = len > 0 && len % 4 == 0; break;
		case 5: ok = len > 0; break;
		case 6: ok = len > 0 && len % 16 == 0; break;
		case 65535: ok = false; break; /* RFC 9460 14.3.2: reserved, invalid */
		default: break;
		}
		if (!ok) {
			dns_rd_fail(c, DNS_ESVC_VALUE);
			return;
		}
	}
}

size_t dns_rd_field(struct dns_rd *c, enum dns_fk k)
{
	size_t start = c->pos;
	switch (k) {
	case DNS_FK_U8: dns_rd_take(c, 1); break;
	case DNS_FK_U16: case DNS_FK_TYPE: dns_rd_take(c, 2); break;
	case DNS_FK_U32: case DNS_FK_TTL: case DNS_FK_TIME: case DNS_FK_A: dns_rd_take(c, 4); break;
	case DNS_FK_U48: dns_rd_take(c, 6); break;
	case DNS_FK_AAAA: dns_rd_take(c, 16); break;
	case DNS_FK_STR: case DNS_FK_SALT: {
		uint8_t l = dns_rd_u8(c);
		dns_rd_take(c, l);
		break;
	}
	case DNS_FK_HASH: {
		uint8_t l = dns_rd_u8(c);
		if (!c->err && l == 0)
			dns_rd_fail(c, DNS_ERDATA_SHORT);
		dns_rd_take(c, l);
		break;
	}
	case DNS_FK_STRS:
		do {
			uint8_t l = dns_rd_u8(c);
			dns_rd_take(c, l);
		} while (!c->err && dns_rd_left(c) > 0);
		break;
	case DNS_FK_B64: case DNS_FK_HEX:
		if (dns_rd_left(c) == 0)
			dns_rd_fail(c, DNS_ERDATA_SHORT);
		c->pos = c->end;
		break;
	case DNS_FK_CAAVAL:
		if (!c->err)
			c->pos = c->end;
		break;
	case DNS_FK_CAATAG: {
		uint8_t l = dns_rd_u8(c);
		const uint8_t *t = dns_rd_take(c, l);
		if (c->err)
			break;
		bool ok = l > 0;
		for (size_t i = 0; i < l && ok; i++)
			ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
				(t[i] >= '0' && t[i] <= '9');
		if (!ok)
			dns_rd_fail(c, DNS_ECAA_TAG);
		break;
	}
	case DNS_FK_BITMAP: rd_bitmap(c); break;
	case DNS_FK_SVC: rd_svc(c); break;
	default: dns_rd_fail(c, DNS_EINVAL); break;
	}
	return c->err ? 0 : c->pos - start;
}

static enum dns_name_mode name_mode(uint8_t k)
{
	return k == DNS_FK_NAME_C ? DNS_NM_COMP : k == DNS_FK_NAME_D ? DNS_NM_DECOMP : DNS_NM_NOPTR;
}

int dns_rdata_unpack(const uint8_t *msg, size_t msglen, size_t off, uint16_t rdlen,
	uint16_t type, uint8_t *out, size_t cap)
{
	if (off > msglen || msglen - off < rdlen)
		return DNS_ERDATA_SHORT;
	struct dns_rd c;
	dns_rd_init(&c, msg, msglen, !(off == 0 && msglen == rdlen));
	c.pos = off;
	c.end = off + rdlen;
	c.trunc = DNS_ERDATA_SHORT;
	struct dns_wr w;
	dns_wr_init(&w, out, cap);
	const struct dns_rdesc *d = dns_rdesc_get(type);
	if (!d) {
		dns_wr_bytes(&w, msg + off, rdlen);
		return w.err ? w.err : (int)w.pos;
	}
	for (const uint8_t *f = d->f; *f != DNS_FK_END; f++) {
		if (*f == DNS_FK_NAME_C || *f == DNS_FK_NAME_D || *f == DNS_FK_NAME_F) {
			uint8_t name[DNS_NAME_MAX];
			size_t n = dns_rd_name(&c, name, name_mode(*f));
			if (c.err)
				return c.err;
			dns_wr_bytes(&w, name, n);
		} else {
			size_t s = c.pos;
			size_t n = dns_rd_field(&c, (enum dns_fk)*f);
			if (c.err)
				return c.err;
			dns_wr_bytes(&w, msg + s, n);
		}
	}
	if (c.pos != c.end)
		return DNS_ERDATA_LONG;
	return w.err ? w.err : (int)w.pos;
}

int dns_rdata_check(uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	if (rdlen > DNS_RDATA_MAX)
		return DNS_EINVAL;
	int r = dns_rdata_unpack(rdata, rdlen, 0, (uint16_t)rdlen, type, NULL, 0);
	return r < 0 ? r : 0;
}
