/* RDATA in presentation format: one parser per field kind of the descriptors. */
#include "dns_int.h"

/* RFC 1035 5.1 character-string text: quotes dropped, \X and \DDD. */
static int unescape(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = (uint8_t)s[i];
		if (ch == '"')
			continue;
		if (ch == '\\') {
			if (i + 1 >= len)
				return DNS_EZ_ESCAPE;
			uint8_t d = (uint8_t)s[i + 1];
			if (d >= '0' && d <= '9') {
				if (len - i < 4)
					return DNS_EZ_ESCAPE;
				unsigned v = 0;
				for (size_t k = 1; k <= 3; k++) {
					uint8_t dd = (uint8_t)s[i + k];
					if (dd < '0' || dd > '9')
						return DNS_EZ_ESCAPE;
					v = v * 10 + (unsigned)(dd - '0');
				}
				if (v > 255)
					return DNS_EZ_ESCAPE;
				ch = (uint8_t)v;
				i += 3;
			} else {
				ch = d;
				i++;
			}
		}
		if (n >= cap)
			return DNS_ESTR_LEN;
		out[n++] = ch;
	}
	return (int)n;
}

static bool parse_u(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool parse_a(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		size_t st = i;
		while (i < len && s[i] != '.')
			i++;
		uint64_t v;
		if (i - st > 3 || !parse_u(s + st, i - st, 255, &v))
			return false;
		out[k] = (uint8_t)v;
		if (k < 3) {
			if (i >= len)
				return false;
			i++;
		}
	}
	return i == len;
}

/* RFC 4291 2.2: hex groups, one "::", an IPv4 tail. */
static bool parse_aaaa(const char *s, size_t len, uint8_t out[16])
{
	uint16_t g[8];
	int n = 0, dbl = -1;
	size_t i = 0;
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		dbl = 0;
		i = 2;
	} else if (len >= 1 && s[0] == ':') {
		return false;
	}
	while (i < len) {
		size_t st = i;
		while (i < len && s[i] != ':' && s[i] != '.')
			i++;
		if (i < len && s[i] == '.') {
			/* IPv4 tail: the rest of the text. */
			uint8_t a[4];
			if (n > 6 || !parse_a(s + st, len - st, a))
				return false;
			g[n++] = (uint16_t)(a[0] << 8 | a[1]);
			g[n++] = (uint16_t)(a[2] << 8 | a[3]);
			i = len;
			break;
		}
		if (i == st || i - st > 4 || n >= 8)
			return false;
		uint16_t v = 0;
		for (size_t k = st; k < i; k++) {
			char c = s[k];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0)
				return false;
			v = (uint16_t)(v << 4 | d);
		}
		g[n++] = v;
		if (i == len)
			break;
		i++; /* ':' */
		if (i < len && s[i] == ':') {
			if (dbl >= 0)
				return false;
			dbl = n;
			i++;
		} else if (i == len) {
			return false; /* trailing single ':' */
		}
	}
	if (dbl < 0 ? n != 8 : n > 7)
		return false;
	memset(out, 0, 16);
	int tail = dbl < 0 ? 0 : n - dbl;
	int head = n - tail;
	for (int k = 0; k < head; k++)
		dns_put16(out + 2 * k, g[k]);
	for (int k = 0; k < tail; k++)
		dns_put16(out + 2 * (8 - tail + k), g[head + k]);
	return true;
}

static int need(struct dns_zctx *z, struct dns_ztok *t, const char *what)
{
	int r = dns_z_next(z, t);
	if (r)
		return r;
	if (t->kind != DNS_ZTK_WORD)
		return dns_z_fail(z, DNS_EZ_MISSING, t, what);
	return 0;
}

/* Joins the remaining unquoted tokens of the record into priv.buf (base64
 * and hex may be split by blanks, RFC 4034 2.2 and 5.3). */
static int join_rest(struct dns_zctx *z, size_t *len, const char *what, bool allow_empty,
	struct dns_ztok *first)
{
	struct dns_zparser *p = z->p;
	size_t n = 0;
	struct dns_ztok t;
	for (;;) {
		int r = dns_z_peek(z, &t);
		if (r)
			return r;
		if (t.kind != DNS_ZTK_WORD)
			break;
		dns_z_next(z, &t);
		if (n == 0)
			*first = t;
		if (t.len > sizeof p->priv.buf - n)
			return dns_z_fail(z, DNS_EZ_RDLEN, &t, "expected RDATA of at most 65535 octets");
		memcpy(p->priv.buf + n, t.s, t.len);
		n += t.len;
	}
	if (n == 0 && !allow_empty)
		return dns_z_fail(z, DNS_EZ_MISSING, &t, what);
	*len = n;
	return 0;
}

/* RFC 3597 5: "\# LENGTH HEX...", for any type. */
static int generic(struct dns_zctx *z, struct dns_wr *w)
{
	struct dns_ztok t, lt;
	int r;
	uint64_t n;
	if ((r = need(z, &lt, "expected the RDATA length after \\#")))
		return r;
	if (!parse_u(lt.s, lt.len, 65535, &n))
		return dns_z_fail(z, DNS_EZ_GENERIC, &lt, "expected the RDATA length (0-65535) after \\#");
	size_t hl;
	if ((r = join_rest(z, &hl, "", true, &t)))
		return r;
	if (hl != 2 * n)
		return dns_z_fail(z, DNS_EZ_GENERIC, &lt, "expected as many hex octets as the \\# length");
	int k = dns_hex_decode(z->p->priv.buf, hl, z->p->priv.rdata, sizeof z->p->priv.rdata);
	if (k < 0)
		return dns_z_fail(z, DNS_EZ_HEX, &t, "expected hex digits after the \\# length");
	w->pos = (size_t)k;
	return 0;
}

static int f_bitmap(struct dns_zctx *z, struct dns_wr *w)
{
	uint8_t *bits = z->p->priv.bits;
	memset(bits, 0, sizeof z->p->priv.bits);
	struct dns_ztok t;
	for (;;) {
		int r = dns_z_peek(z, &t);
		if (r)
			return r;
		if (t.kind != DNS_ZTK_WORD)
			break;
		dns_z_next(z, &t);
		uint16_t type;
		if (dns_type_from_text(t.s, t.len, &type) < 0)
			return dns_z_fail(z, DNS_EZ_TYPE, &t, "expected a type in the bitmap");
		bits[type / 8] |= (uint8_t)(0x80 >> (type % 8));
	}
	/* RFC 4034 4.1.2: one block per window that has types, no trailing zeros. */
	for (int win = 0; win < 256; win++) {
		int last = -1;
		for (int k = 0; k < 32; k++)
			if (bits[win * 32 + k])
				last = k;
		if (last < 0)
			continue;
		dns_wr_u8(w, (uint8_t)win);
		dns_wr_u8(w, (uint8_t)(last + 1));
		dns_wr_bytes(w, bits + win * 32, (size_t)last + 1);
	}
	return 0;
}

/* A comma-separated list after value-list unescaping (RFC 9460 A.1): the
 * callback gets each item with "\," and "\\" resolved. */
static int each_item(const uint8_t *v, size_t len, uint8_t *item, size_t cap,
	int (*fn)(void *ctx, const uint8_t *s, size_t n), void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || v[i] == ',') {
			int r = fn(ctx, item, n);
			if (r)
				return r;
			n = 0;
			continue;
		}
		uint8_t ch = v[i];
		if (ch == '\\' && i + 1 < len)
			ch = v[++i];
		if (n >= cap)
			return -1;
		item[n++] = ch;
	}
	return 0;
}

struct svc_acc { struct dns_wr *w; size_t count; };

static int item_alpn(void *ctx, const uint8_t *s, size_t n)
{
	struct svc_acc *a = ctx;
	if (n == 0 || n > 255)
		return -1;
	dns_wr_u8(a->w, (uint8_t)n);
	dns_wr_bytes(a->w, s, n);
	return 0;
}

static int item_v4(void *ctx, const uint8_t *s, size_t n)
{
	struct svc_acc *a = ctx;
	uint8_t ip[4];
	if (!parse_a((const char *)s, n, ip))
		return -1;
	dns_wr_bytes(a->w, ip, 4);
	return 0;
}

static int item_v6(void *ctx, const uint8_t *s, size_t n)
{
	struct svc_acc *a = ctx;
	uint8_t ip[16];
	if (!parse_aaaa((const char *)s, n, ip))
		return -1;
	dns_wr_bytes(a->w, ip, 16);
	return 0;
}

static int item_key(void *ctx, const uint8_t *s, size_t n)
{
	struct svc_acc *a = ctx;
	uint16_t key;
	if (dns_svc_key_from_text((const char *)s, n, &key) < 0)
		return -1;
	dns_wr_u16(a->w, key);
	a->count++;
	return 0;
}

/*
 * RFC 9460 2.1 and 7: key[=value] tokens in any order; the wire form needs
 * them sorted, so each parameter is first written to priv.buf as
 * key, length, value, then copied out in key order.
 */
static int f_svc(struct dns_zctx *z, struct dns_wr *out)
{
	struct dns_zparser *p = z->p;
	uint8_t *area = (uint8_t *)p->priv.buf;
	struct dns_wr w;
	dns_wr_init(&w, area, sizeof p->priv.buf / 2);
	uint8_t *val = area + sizeof p->priv.buf / 2; /* unescaped value */
	size_t valcap = sizeof p->priv.buf / 2 - 4;
	uint8_t item[256];
	struct dns_ztok t, first0;
	const struct dns_ztok *first = NULL;
	int nparams = 0;
	for (;;) {
		int r = dns_z_peek(z, &t);
		if (r)
			return r;
		if (t.kind != DNS_ZTK_WORD)
			break;
		dns_z_next(z, &t);
		if (!first) {
			first0 = t;
			first = &first0;
		}
		size_t eq = 0;
		while (eq < t.len && t.s[eq] != '=')
			eq++;
		uint16_t key;
		if (dns_svc_key_from_text(t.s, eq, &key) < 0)
			return dns_z_fail(z, DNS_EZ_SVC, &t, "expected a SvcParamKey (mandatory, alpn, no-default-alpn, port, ipv4hint, ech, ipv6hint, keyNNNNN)");
		bool has_val = eq < t.len;
		int vl = 0;
		if (has_val) {
			vl = unescape(t.s + eq + 1, t.len - eq - 1, val, valcap);
			if (vl < 0)
				return dns_z_fail(z, vl == DNS_EZ_ESCAPE ? DNS_EZ_ESCAPE : DNS_EZ_RDLEN, &t, "expected a SvcParamValue");
		}
		size_t start = w.pos;
		dns_wr_u16(&w, key);
		dns_wr_u16(&w, 0);
		struct svc_acc acc = { &w, 0 };
		bool ok = true;
		switch (key) {
		case 0:
			ok = has_val && vl > 0 && each_item(val, (size_t)vl, item, sizeof item, item_key, &acc) == 0;
			if (ok && w.p) {
				/* Sorted on the wire (RFC 9460 8); duplicates and "mandatory"
				 * itself are errors. */
				uint8_t *k = area + start + 4;
				for (size_t i = 1; i < acc.count; i++)
					for (size_t j = i; j > 0 && dns_get16(k + 2 * j) < dns_get16(k + 2 * j - 2); j--) {
						uint16_t tmp = dns_get16(k + 2 * j);
						dns_put16(k + 2 * j, dns_get16(k + 2 * j - 2));
						dns_put16(k + 2 * j - 2, tmp);
					}
				for (size_t i = 0; i < acc.count && ok; i++)
					ok = dns_get16(k + 2 * i) != 0 && (i == 0 || dns_get16(k + 2 * i) != dns_get16(k + 2 * i - 2));
			}
			break;
		case 1:
			ok = has_val && vl > 0 && each_item(val, (size_t)vl, item, sizeof item, item_alpn, &acc) == 0;
			break;
		case 2:
			ok = !has_val;
			break;
		case 3: {
			uint64_t port;
			ok = has_val && parse_u((const char *)val, (size_t)vl, 65535, &port);
			if (ok)
				dns_wr_u16(&w, (uint16_t)port);
			break;
		}
		case 4:
			ok = has_val && vl > 0 && each_item(val, (size_t)vl, item, sizeof item, item_v4, &acc) == 0;
			break;
		case 5: {
			ok = has_val && vl > 0;
			if (ok) {
				int n = dns_b64_decode((const char *)val, (size_t)vl, area + w.pos, w.cap - w.pos);
				ok = n > 0;
				if (ok)
					w.pos += (size_t)n;
			}
			break;
		}
		case 6:
			ok = has_val && vl > 0 && each_item(val, (size_t)vl, item, sizeof item, item_v6, &acc) == 0;
			break;
		default:
			if (has_val)
				dns_wr_bytes(&w, val, (size_t)vl);
			break;
		}
		if (!ok)
			return dns_z_fail(z, DNS_EZ_SVC, &t, "expected a valid value for this SvcParamKey");
		if (w.err || w.pos - start - 4 > 65535)
			return dns_z_fail(z, DNS_EZ_RDLEN, &t, "expected RDATA of at most 65535 octets");
		dns_put16(area + start + 2, (uint16_t)(w.pos - start - 4));
		nparams++;
	}
	/* Each key once (RFC 9460 2.2). */
	for (size_t i = 0; i < w.pos; i += 4u + dns_get16(area + i + 2))
		for (size_t j = i + 4u + dns_get16(area + i + 2); j < w.pos; j += 4u + dns_get16(area + j + 2))
			if (dns_get16(area + i) == dns_get16(area + j))
				return dns_z_fail(z, DNS_EZ_SVC, first, "expected each SvcParamKey once");
	/* Copy out in key order. */
	size_t out_start = out->pos;
	int32_t last = -1;
	for (int k = 0; k < nparams; k++) {
		size_t best = SIZE_MAX;
		int32_t bk = 65536;
		for (size_t i = 0; i < w.pos; i += 4u + dns_get16(area + i + 2)) {
			int32_t key = dns_get16(area + i);
			if (key > last && key < bk) {
				bk = key;
				best = i;
			}
		}
		size_t l = dns_get16(area + best + 2);
		dns_wr_bytes(out, area + best, 4 + l);
		last = bk;
	}
	/* RFC 9460 8: every key named by mandatory must be present. */
	if (out->err)
		return 0;
	const uint8_t *ps = out->p + out_start;
	size_t plen = out->pos - out_start;
	if (plen >= 4 && dns_get16(ps) == 0) {
		size_t ml = dns_get16(ps + 2);
		for (size_t i = 0; i < ml; i += 2) {
			uint16_t want = dns_get16(ps + 4 + i);
			bool found = false;
			for (size_t j = 0; j < plen; j += 4u + dns_get16(ps + j + 2))
				found = found || dns_get16(ps + j) == want;
			if (!found)
				return dns_z_fail(z, DNS_EZ_SVC, first, "expected every key listed in mandatory to be present");
		}
	}
	return 0;
}

static int field(struct dns_zctx *z, struct dns_wr *w, enum dns_fk k)
{
	struct dns_zparser *p = z->p;
	struct dns_ztok t;
	int r;
	uint64_t v = 0;
	switch (k) {
	case DNS_FK_NAME_C: case DNS_FK_NAME_D: case DNS_FK_NAME_F: {
		if ((r = need(z, &t, "expected a domain name")))
			return r;
		uint8_t name[DNS_NAME_MAX];
		if (memchr(t.s, '"', t.len))
			return dns_z_fail(z, DNS_EZ_NAME, &t, "expected a domain name, not a quoted string");
		r = dns_name_from_text(name, t.s, t.len, dns_z_origin(z));
		if (r < 0)
			return dns_z_fail(z, r, &t, dns_z_origin(z) ? "expected a domain name" :
				"expected a domain name (absolute: no $ORIGIN)");
		dns_wr_bytes(w, name, (size_t)r);
		return 0;
	}
	case DNS_FK_U8: case DNS_FK_U16: case DNS_FK_U32: case DNS_FK_U48: {
		static const uint64_t max[] = { 255, 65535, 4294967295u, 281474976710655u };
		static const char what[][40] = { "expected a number (0-255)", "expected a number (0-65535)",
			"expected a number (0-4294967295)", "expected a number (0-281474976710655)" };
		int i = k == DNS_FK_U8 ? 0 : k == DNS_FK_U16 ? 1 : k == DNS_FK_U32 ? 2 : 3;
		if ((r = need(z, &t, what[i])))
			return r;
		if (!parse_u(t.s, t.len, max[i], &v))
			return dns_z_fail(z, DNS_EZ_NUMBER, &t, what[i]);
		if (i == 0)
			dns_wr_u8(w, (uint8_t)v);
		else if (i == 1)
			dns_wr_u16(w, (uint16_t)v);
		else if (i == 2)
			dns_wr_u32(w, (uint32_t)v);
		else {
			dns_wr_u16(w, (uint16_t)(v >> 32));
			dns_wr_u32(w, (uint32_t)v);
		}
		return 0;
	}
	case DNS_FK_TTL: {
		uint32_t ttl;
		if ((r = need(z, &t, "expected a time value")))
			return r;
		if (dns_z_ttl(t.s, t.len, &ttl) < 0)
			return dns_z_fail(z, DNS_EZ_TTL, &t, "expected a time value (0 to 2147483647, units s m h d w)");
		dns_wr_u32(w, ttl);
		return 0;
	}
	case DNS_FK_TIME: {
		uint32_t tm = 0;
		if ((r = need(z, &t, "expected a time (YYYYMMDDHHmmSS)")))
			return r;
		if (t.len == 14 ? dns_time_from_text(t.s, t.len, &tm) < 0 :
		    !parse_u(t.s, t.len, 4294967295u, &v))
			return dns_z_fail(z, DNS_EZ_TIME, &t, "expected a time (YYYYMMDDHHmmSS or seconds)");
		dns_wr_u32(w, t.len == 14 ? tm : (uint32_t)v);
		return 0;
	}
	case DNS_FK_TYPE: {
		uint16_t type;
		if ((r = need(z, &t, "expected a type")))
			return r;
		if (dns_type_from_text(t.s, t.len, &type) < 0)
			return dns_z_fail(z, DNS_EZ_TYPE, &t, "expected a type");
		dns_wr_u16(w, type);
		return 0;
	}
	case DNS_FK_A: {
		uint8_t ip[4];
		if ((r = need(z, &t, "expected an IPv4 address")))
			return r;
		if (!parse_a(t.s, t.len, ip))
			return dns_z_fail(z, DNS_EZ_ADDR, &t, "expected an IPv4 address");
		dns_wr_bytes(w, ip, 4);
		return 0;
	}
	case DNS_FK_AAAA: {
		uint8_t ip[16];
		if ((r = need(z, &t, "expected an IPv6 address")))
			return r;
		if (!parse_aaaa(t.s, t.len, ip))
			return dns_z_fail(z, DNS_EZ_ADDR, &t, "expected an IPv6 address");
		dns_wr_bytes(w, ip, 16);
		return 0;
	}
	case DNS_FK_STR: {
		uint8_t s[256];
		if ((r = need(z, &t, "expected a character-string")))
			return r;
		int n = unescape(t.s, t.len, s, 255);
		if (n < 0)
			return dns_z_fail(z, n, &t, n == DNS_ESTR_LEN ?
				"expected a character-string of at most 255 octets" :
				"expected a character-string with \\X or \\DDD (0-255) escapes");
		dns_wr_u8(w, (uint8_t)n);
		dns_wr_bytes(w, s, (size_t)n);
		return 0;
	}
	case DNS_FK_STRS: {
		bool any = false;
		for (;;) {
			if ((r = dns_z_peek(z, &t)))
				return r;
			if (t.kind != DNS_ZTK_WORD)
				break;
			dns_z_next(z, &t);
			uint8_t *s = (uint8_t *)p->priv.buf;
			int n = unescape(t.s, t.len, s, sizeof p->priv.buf);
			if (n < 0)
				return dns_z_fail(z, DNS_EZ_ESCAPE, &t,
					"expected a character-string with \\X or \\DDD (0-255) escapes");
			/* Longer strings are split into 255-octet character-strings. */
			size_t i = 0;
			do {
				size_t l = (size_t)n - i > 255 ? 255 : (size_t)n - i;
				dns_wr_u8(w, (uint8_t)l);
				dns_wr_bytes(w, s + i, l);
				i += l;
			} while (i < (size_t)n);
			any = true;
		}
		if (!any)
			return dns_z_fail(z, DNS_EZ_MISSING, &t, "expected a character-string");
		return 0;
	}
	case DNS_FK_B64: case DNS_FK_HEX: {
		size_t n;
		bool b64 = k == DNS_FK_B64;
		if ((r = join_rest(z, &n, b64 ? "expected base64 data" : "expected hex data", false, &t)))
			return r;
		if (w->err || !w->p)
			return 0;
		int m = b64 ? dns_b64_decode(p->priv.buf, n, w->p + w->pos, w->cap - w->pos) :
			dns_hex_decode(p->priv.buf, n, w->p + w->pos, w->cap - w->pos);
		if (m <= 0) {
			t.s = p->priv.buf; /* the joined text, for the message */
			t.len = n;
			return dns_z_fail(z, b64 ? DNS_EZ_BASE64 : DNS_EZ_HEX, &t,
				b64 ? "expected base64 data (RFC 4648 4, padded)" : "expected an even number of hex digits");
		}
		w->pos += (size_t)m;
		return 0;
	}
	case DNS_FK_SALT: {
		if ((r = need(z, &t, "expected a salt (hex or \"-\")")))
			return r;
		uint8_t salt[255];
		int n = 0;
		if (!(t.len == 1 && t.s[0] == '-')) {
			n = t.len > 510 ? -1 : dns_hex_decode(t.s, t.len, salt, sizeof salt);
			if (n <= 0)
				return dns_z_fail(z, DNS_EZ_HEX, &t, "expected a salt (hex or \"-\")");
		}
		dns_wr_u8(w, (uint8_t)n);
		dns_wr_bytes(w, salt, (size_t)n);
		return 0;
	}
	case DNS_FK_HASH: {
		if ((r = need(z, &t, "expected a hashed owner name (base32hex)")))
			return r;
		uint8_t h[255];
		int n = dns_b32hex_decode(t.s, t.len, h, sizeof h);
		if (n <= 0)
			return dns_z_fail(z, DNS_EZ_HEX, &t, "expected a hashed owner name (base32hex)");
		dns_wr_u8(w, (uint8_t)n);
		dns_wr_bytes(w, h, (size_t)n);
		return 0;
	}
	case DNS_FK_BITMAP:
		return f_bitmap(z, w);
	case DNS_FK_SVC:
		return f_svc(z, w);
	case DNS_FK_CAATAG: {
		if ((r = need(z, &t, "expected a CAA tag")))
			return r;
		bool ok = t.len > 0 && t.len <= 255;
		for (size_t i = 0; i < t.len && ok; i++) {
			char c = t.s[i];
			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		}
		if (!ok)
			return dns_z_fail(z, DNS_ECAA_TAG, &t, "expected a CAA tag (letters and digits)");
		dns_wr_u8(w, (uint8_t)t.len);
		dns_wr_bytes(w, t.s, t.len);
		return 0;
	}
	case DNS_FK_CAAVAL: {
		if ((r = need(z, &t, "expected a CAA value")))
			return r;
		uint8_t *s = (uint8_t *)p->priv.buf;
		int n = unescape(t.s, t.len, s, sizeof p->priv.buf);
		if (n < 0)
			return dns_z_fail(z, DNS_EZ_ESCAPE, &t, "expected a CAA value with \\X or \\DDD (0-255) escapes");
		dns_wr_bytes(w, s, (size_t)n);
		return 0;
	}
	default:
		return dns_z_fail(z, DNS_EINVAL, NULL, "expected a known field kind");
	}
}

int dns_z_rdata(struct dns_zctx *z, uint16_t type)
{
	struct dns_zparser *p = z->p;
	struct dns_wr w;
	dns_wr_init(&w, p->priv.rdata, sizeof p->priv.rdata);
	struct dns_ztok t;
	int r = dns_z_peek(z, &t);
	if (r)
		return r;
	/* Errors about the RDATA as a whole point at its start. */
	struct dns_ztok at = { NULL, 0, t.line, t.col, DNS_ZTK_NONE };
	const struct dns_rdesc *d = dns_rdesc_get(type);
	if (t.kind == DNS_ZTK_WORD && t.len == 2 && t.s[0] == '\\' && t.s[1] == '#') {
		dns_z_next(z, &t);
		if ((r = generic(z, &w)))
			return r;
	} else if (!d) {
		return dns_z_fail(z, DNS_EZ_GENERIC, &t, "expected \\# and hex RDATA for this type (RFC 3597 5)");
	} else {
		for (const uint8_t *f = d->f; *f != DNS_FK_END; f++) {
			if ((r = field(z, &w, (enum dns_fk)*f)))
				return r;
			if (w.err)
				return dns_z_fail(z, DNS_EZ_RDLEN, &at, "expected RDATA of at most 65535 octets");
		}
	}
	if (w.err)
		return dns_z_fail(z, DNS_EZ_RDLEN, &at, "expected RDATA of at most 65535 octets");
	/* RDATA given as \# must still be valid for its type (RFC 3597 5). */
	if (d && (r = dns_rdata_check(type, p->priv.rdata, w.pos)) < 0)
		return dns_z_fail(z, r, &at, "expected RDATA valid for its type");
	return (int)w.pos;
}
