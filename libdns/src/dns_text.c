/* Presentation format of RDATA and records: what dns_zone_parse() reads back. */
#include "dns_int.h"

struct tb {
	char *p;
	size_t cap;
	size_t n;
	int err;
};

static void put(struct tb *t, const char *s, size_t len)
{
	if (t->err)
		return;
	if (t->cap - t->n <= len) { /* keep room for the NUL */
		t->err = DNS_ENOMEM;
		return;
	}
	memcpy(t->p + t->n, s, len);
	t->n += len;
}

static void puts_(struct tb *t, const char *s)
{
	put(t, s, strlen(s));
}

static void putc_(struct tb *t, char ch)
{
	put(t, &ch, 1);
}

static void put_u(struct tb *t, uint64_t v)
{
	char b[24];
	size_t i = sizeof b;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(t, b + i, sizeof b - i);
}

static void put_name(struct tb *t, const uint8_t *name)
{
	char b[4 * DNS_NAME_MAX + 2];
	int n = dns_name_to_text(name, b, sizeof b);
	if (n > 0)
		put(t, b, (size_t)n);
}

static void put_type(struct tb *t, uint16_t type)
{
	const char *s = dns_type_name(type);
	if (s) {
		puts_(t, s);
	} else {
		puts_(t, "TYPE");
		put_u(t, type);
	}
}

/* A quoted character-string (RFC 1035 5.1): \" and \\ escaped, octets
 * outside printable ASCII as \DDD. `extra` is escaped with a backslash too
 * (the comma of SVCB value lists, RFC 9460 A.1). */
static void put_qstr(struct tb *t, const uint8_t *s, size_t len, char extra)
{
	putc_(t, '"');
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = s[i];
		if (ch == '\\' && extra) {
			puts_(t, "\\\\\\\\");
		} else if (ch == '"' || ch == '\\') {
			putc_(t, '\\');
			putc_(t, (char)ch);
		} else if (extra && ch == (uint8_t)extra) {
			puts_(t, "\\\\");
			putc_(t, (char)ch);
		} else if (ch < 0x20 || ch >= 0x7f) {
			char b[4] = { '\\', (char)('0' + ch / 100), (char)('0' + ch / 10 % 10), (char)('0' + ch % 10) };
			put(t, b, 4);
		} else {
			putc_(t, (char)ch);
		}
	}
	putc_(t, '"');
}

static void put_hex(struct tb *t, const uint8_t *s, size_t len)
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		char b[2] = { hx[s[i] >> 4], hx[s[i] & 15] };
		put(t, b, 2);
	}
}

static void put_a(struct tb *t, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			putc_(t, '.');
		put_u(t, a[i]);
	}
}

/* RFC 5952 4: lowercase, no leading zeros, the longest run (first if tied)
 * of two or more zero groups as "::". */
static void put_aaaa(struct tb *t, const uint8_t *a)
{
	static const char hx[] = "0123456789abcdef";
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = dns_get16(a + 2 * i);
	int best = -1, bestlen = 1;
	for (int i = 0; i < 8;) {
		if (g[i]) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && !g[j])
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			puts_(t, "::");
			i += bestlen - 1;
			continue;
		}
		if (i && i != best + bestlen)
			putc_(t, ':');
		char b[4];
		int n = 0;
		bool lead = true;
		for (int k = 12; k >= 0; k -= 4) {
			int d = g[i] >> k & 15;
			if (d == 0 && lead && k)
				continue;
			lead = false;
			b[n++] = hx[d];
		}
		put(t, b, (size_t)n);
	}
}

static void put_b64(struct tb *t, const uint8_t *s, size_t len)
{
	if (t->err)
		return;
	int n = dns_b64_encode(s, len, t->p + t->n, t->cap - t->n - 1);
	if (n < 0 || (size_t)n >= t->cap - t->n) {
		t->err = DNS_ENOMEM;
		return;
	}
	t->n += (size_t)n;
}

static void put_bitmap(struct tb *t, const uint8_t *s, size_t len)
{
	bool first = true;
	for (size_t i = 0; i + 2 <= len;) {
		uint8_t win = s[i], l = s[i + 1];
		for (size_t b = 0; b < (size_t)l * 8; b++) {
			if (s[i + 2 + b / 8] & (0x80 >> (b % 8))) {
				if (!first)
					putc_(t, ' ');
				first = false;
				put_type(t, (uint16_t)(win * 256 + b));
			}
		}
		i += 2u + l;
	}
}

static void put_svc(struct tb *t, const uint8_t *s, size_t len)
{
	for (size_t i = 0; i + 4 <= len;) {
		uint16_t key = dns_get16(s + i), l = dns_get16(s + i + 2);
		const uint8_t *v = s + i + 4;
		i += 4u + l;
		putc_(t, ' ');
		const char *kn = dns_svc_key_name(key);
		if (kn) {
			puts_(t, kn);
		} else {
			puts_(t, "key");
			put_u(t, key);
		}
		switch (key) {
		case 0:
			putc_(t, '=');
			for (size_t k = 0; k < l; k += 2) {
				if (k)
					putc_(t, ',');
				uint16_t mk = dns_get16(v + k);
				const char *mn = dns_svc_key_name(mk);
				if (mn) {
					puts_(t, mn);
				} else {
					puts_(t, "key");
					put_u(t, mk);
				}
			}
			break;
		case 1: {
			/* One quoted value; ids joined by commas, their own commas escaped. */
			putc_(t, '=');
			putc_(t, '"');
			for (size_t k = 0; k < l;) {
				if (k)
					putc_(t, ',');
				struct tb sub = *t;
				put_qstr(&sub, v + k + 1, v[k], ',');
				/* Drop the quotes put_qstr wrote around this id. */
				if (!sub.err) {
					memmove(t->p + t->n, t->p + t->n + 1, sub.n - t->n - 2);
					t->n = sub.n - 2;
				} else {
					t->err = sub.err;
				}
				k += (size_t)v[k] + 1;
			}
			putc_(t, '"');
			break;
		}
		case 2:
			break;
		case 3:
			putc_(t, '=');
			put_u(t, dns_get16(v));
			break;
		case 4:
			putc_(t, '=');
			for (size_t k = 0; k < l; k += 4) {
				if (k)
					putc_(t, ',');
				put_a(t, v + k);
			}
			break;
		case 5:
			putc_(t, '=');
			put_b64(t, v, l);
			break;
		case 6:
			putc_(t, '=');
			for (size_t k = 0; k < l; k += 16) {
				if (k)
					putc_(t, ',');
				put_aaaa(t, v + k);
			}
			break;
		default:
			if (l) {
				putc_(t, '=');
				put_qstr(t, v, l, 0);
			}
			break;
		}
	}
}

static void put_generic(struct tb *t, const uint8_t *rdata, size_t rdlen)
{
	puts_(t, "\\# ");
	put_u(t, rdlen);
	if (rdlen) {
		putc_(t, ' ');
		put_hex(t, rdata, rdlen);
	}
}

int dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t rdlen, char *buf, size_t cap)
{
	struct tb t = { buf, cap, 0, 0 };
	if (cap == 0)
		return DNS_ENOMEM;
	buf[0] = 0;
	const struct dns_rdesc *d = dns_rdesc_get(type);
	if (!d || rdlen == 0) {
		put_generic(&t, rdata, rdlen);
		goto out;
	}
	int r = dns_rdata_check(type, rdata, rdlen);
	if (r < 0)
		return r;
	struct dns_rd c;
	dns_rd_init(&c, rdata, rdlen, false);
	for (const uint8_t *f = d->f; *f != DNS_FK_END; f++) {
		size_t s = c.pos;
		const uint8_t *p = rdata + s;
		if (*f == DNS_FK_NAME_C || *f == DNS_FK_NAME_D || *f == DNS_FK_NAME_F)
			dns_rd_name(&c, NULL, DNS_NM_NOPTR);
		else
			dns_rd_field(&c, (enum dns_fk)*f);
		size_t n = c.pos - s;
		if (f != d->f && *f != DNS_FK_SVC && !(*f == DNS_FK_BITMAP && n == 0))
			putc_(&t, ' ');
		switch (*f) {
		case DNS_FK_NAME_C: case DNS_FK_NAME_D: case DNS_FK_NAME_F: put_name(&t, p); break;
		case DNS_FK_U8: put_u(&t, p[0]); break;
		case DNS_FK_U16: put_u(&t, dns_get16(p)); break;
		case DNS_FK_U32: case DNS_FK_TTL: put_u(&t, dns_get32(p)); break;
		case DNS_FK_U48: put_u(&t, (uint64_t)dns_get16(p) << 32 | dns_get32(p + 2)); break;
		case DNS_FK_TIME: {
			char b[15];
			dns_time_to_text(dns_get32(p), b);
			put(&t, b, 14);
			break;
		}
		case DNS_FK_TYPE: put_type(&t, dns_get16(p)); break;
		case DNS_FK_A: put_a(&t, p); break;
		case DNS_FK_AAAA: put_aaaa(&t, p); break;
		case DNS_FK_STR: put_qstr(&t, p + 1, p[0], 0); break;
		case DNS_FK_STRS:
			for (size_t i = 0; i < n; i += (size_t)p[i] + 1) {
				if (i)
					putc_(&t, ' ');
				put_qstr(&t, p + i + 1, p[i], 0);
			}
			break;
		case DNS_FK_B64: put_b64(&t, p, n); break;
		case DNS_FK_HEX: put_hex(&t, p, n); break;
		case DNS_FK_SALT:
			if (p[0] == 0)
				putc_(&t, '-');
			else
				put_hex(&t, p + 1, p[0]);
			break;
		case DNS_FK_HASH: {
			char b[((255 * 8) + 4) / 5];
			int m = dns_b32hex_encode(p + 1, p[0], b, sizeof b);
			if (m > 0)
				put(&t, b, (size_t)m);
			break;
		}
		case DNS_FK_BITMAP: put_bitmap(&t, p, n); break;
		case DNS_FK_SVC: put_svc(&t, p, n); break;
		case DNS_FK_CAATAG: put(&t, (const char *)p + 1, p[0]); break;
		case DNS_FK_CAAVAL: put_qstr(&t, p, n, 0); break;
		default: break;
		}
	}
out:
	if (t.err)
		return t.err;
	buf[t.n] = 0;
	return (int)t.n;
}

int dns_rr_to_text(const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
	const uint8_t *rdata, size_t rdlen, char *buf, size_t cap)
{
	struct tb t = { buf, cap, 0, 0 };
	if (cap == 0)
		return DNS_ENOMEM;
	put_name(&t, owner);
	putc_(&t, '\t');
	put_u(&t, ttl);
	putc_(&t, '\t');
	const char *cn = dns_class_name(rclass);
	if (cn) {
		puts_(&t, cn);
	} else {
		puts_(&t, "CLASS");
		put_u(&t, rclass);
	}
	putc_(&t, '\t');
	put_type(&t, type);
	putc_(&t, '\t');
	if (t.err)
		return t.err;
	int r = dns_rdata_to_text(type, rdata, rdlen, buf + t.n, cap - t.n);
	if (r < 0)
		return r;
	return (int)t.n + r;
}
