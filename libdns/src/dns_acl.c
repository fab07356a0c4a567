/* Transfer access rules: per zone, by address prefix and/or TSIG key. */
#include "dns_int.h"

static int v4(const char *s, size_t len, uint8_t *out)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		unsigned v = 0, digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* RFC 4291 2.2: groups of up to 4 hex digits, one "::", an IPv4 tail. */
static int v6(const char *s, size_t len, uint8_t *out)
{
	uint8_t head[16], tail[16];
	size_t nh = 0, nt = 0, i = 0;
	bool gap = false;
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = true;
		i = 2;
	} else if (len && s[0] == ':') {
		return -1;
	}
	while (i < len) {
		uint8_t *dst = gap ? tail : head;
		size_t *n = gap ? &nt : &nh;
		/* An IPv4 tail where a group would start. */
		size_t j = i;
		while (j < len && s[j] != ':' && s[j] != '.')
			j++;
		if (j < len && s[j] == '.') {
			if (*n + 4 > 16 || v4(s + i, len - i, dst + *n) != 0)
				return -1;
			*n += 4;
			i = len;
			break;
		}
		unsigned v = 0, digits = 0;
		while (i < len && hexv(s[i]) >= 0) {
			v = v << 4 | (unsigned)hexv(s[i++]);
			if (++digits > 4)
				return -1;
		}
		if (digits == 0 || *n + 2 > 16)
			return -1;
		dst[(*n)++] = (uint8_t)(v >> 8);
		dst[(*n)++] = (uint8_t)v;
		if (i == len)
			break;
		if (s[i] != ':')
			return -1;
		i++;
		if (i < len && s[i] == ':') {
			if (gap)
				return -1;
			gap = true;
			i++;
		} else if (i == len) {
			return -1;
		}
	}
	if (gap ? nh + nt > 14 : nh != 16)
		return -1;
	memset(out, 0, 16);
	memcpy(out, head, nh);
	memcpy(out + 16 - nt, tail, nt);
	return 0;
}

int dns_addr_from_text(const char *text, size_t len, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (v4(text, len, ip) == 0)
		return 4;
	if (v6(text, len, ip) == 0)
		return 6;
	memset(ip, 0, 16);
	return DNS_EACL_SYNTAX;
}

static int parse_key(struct dns_acl_rule *r, const char *s, size_t len)
{
	static const uint8_t root[1] = { 0 };
	if (len < 5 || memcmp(s, "key=", 4) != 0)
		return DNS_EACL_SYNTAX;
	uint8_t tmp[DNS_NAME_MAX];
	if (dns_name_from_text(tmp, s + 4, len - 4, root) < 0)
		return DNS_EACL_SYNTAX;
	dns_name_lower(r->key, tmp);
	r->key_set = true;
	return 0;
}

static int parse_prefix(struct dns_acl_rule *r, const char *s, size_t len)
{
	size_t slash = len;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/')
			slash = i;
	int fam = dns_addr_from_text(s, slash, r->ip);
	if (fam < 0)
		return DNS_EACL_SYNTAX;
	unsigned max = fam == 4 ? 32 : 128, plen = max;
	if (slash < len) {
		if (slash + 1 == len || len - slash > 4)
			return DNS_EACL_SYNTAX;
		plen = 0;
		for (size_t i = slash + 1; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return DNS_EACL_SYNTAX;
			plen = plen * 10 + (unsigned)(s[i] - '0');
		}
		if (plen > max)
			return DNS_EACL_SYNTAX;
	}
	r->family = (uint8_t)fam;
	r->plen = (uint8_t)plen;
	return 0;
}

int dns_acl_rule_parse(struct dns_acl_rule *r, const char *text, size_t len)
{
	static const uint8_t root[1] = { 0 };
	memset(r, 0, sizeof *r);
	size_t eq = 0;
	while (eq < len && text[eq] != '=')
		eq++;
	if (eq == 0 || eq >= len - 1)
		return DNS_EACL_SYNTAX;
	uint8_t tmp[DNS_NAME_MAX];
	if (dns_name_from_text(tmp, text, eq, root) < 0)
		return DNS_EACL_SYNTAX;
	dns_name_lower(r->zone, tmp);
	const char *s = text + eq + 1;
	size_t sl = len - eq - 1;
	int rc;
	if (sl >= 4 && memcmp(s, "key=", 4) == 0) {
		rc = parse_key(r, s, sl);
	} else {
		size_t comma = 0;
		while (comma < sl && s[comma] != ',')
			comma++;
		rc = parse_prefix(r, s, comma);
		if (!rc && comma < sl)
			rc = parse_key(r, s + comma + 1, sl - comma - 1);
	}
	if (rc) {
		memset(r, 0, sizeof *r);
		return rc;
	}
	return 0;
}

static bool prefix_match(const struct dns_acl_rule *r, uint8_t family, const uint8_t *ip)
{
	if (r->family == 0)
		return true;
	if (r->family != family || !ip)
		return false;
	unsigned full = r->plen / 8, bits = r->plen % 8;
	if (memcmp(r->ip, ip, full) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> bits);
	return (r->ip[full] & mask) == (ip[full] & mask);
}

bool dns_acl_check(const struct dns_acl_rule *rules, size_t n, const uint8_t *zone,
	uint8_t family, const uint8_t *ip, const uint8_t *key)
{
	/* RFC 4291 2.5.5.2: an IPv4 peer on a dual-stack socket arrives as
	 * ::ffff:a.b.c.d; IPv4 rules must still see it. */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (family == 6 && ip && memcmp(ip, mapped, 12) == 0) {
		family = 4;
		ip += 12;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dns_acl_rule *r = &rules[i];
		if (!dns_name_equal(r->zone, zone))
			continue;
		if (r->key_set && (!key || !dns_name_equal(r->key, key)))
			continue;
		if (prefix_match(r, family, ip))
			return true;
	}
	return false;
}

int dns_xfr_peer_parse(struct dns_xfr_peer *p, const char *text, size_t len)
{
	static const uint8_t root[1] = { 0 };
	memset(p, 0, sizeof *p);
	size_t eq = 0;
	while (eq < len && text[eq] != '=')
		eq++;
	uint8_t tmp[DNS_NAME_MAX];
	if (eq == 0 || eq >= len || dns_name_from_text(tmp, text, eq, root) < 0)
		return DNS_EACL_SYNTAX;
	dns_name_lower(p->zone, tmp);
	const char *s = text + eq + 1;
	size_t sl = len - eq - 1, comma = 0;
	while (comma < sl && s[comma] != ',')
		comma++;
	/* ADDR:PORT, the address bracketed when it is IPv6. */
	size_t a0 = 0, a1, colon;
	if (comma && s[0] == '[') {
		a1 = 1;
		while (a1 < comma && s[a1] != ']')
			a1++;
		if (a1 >= comma || a1 + 1 >= comma || s[a1 + 1] != ':')
			return DNS_EACL_SYNTAX;
		a0 = 1;
		colon = a1 + 1;
	} else {
		colon = comma;
		while (colon > 0 && s[colon - 1] != ':')
			colon--;
		if (colon == 0)
			return DNS_EACL_SYNTAX;
		colon--;
		a1 = colon;
	}
	int fam = dns_addr_from_text(s + a0, a1 - a0, p->ip);
	if (fam < 0 || (fam == 6 && a0 == 0))
		goto bad;
	p->family = (uint8_t)fam;
	unsigned port = 0;
	if (colon + 1 >= comma || comma - colon - 1 > 5)
		goto bad;
	for (size_t i = colon + 1; i < comma; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	if (port == 0 || port > 65535)
		goto bad;
	p->port = (uint16_t)port;
	if (comma < sl) {
		struct dns_acl_rule r;
		if (parse_key(&r, s + comma + 1, sl - comma - 1))
			goto bad;
		memcpy(p->key, r.key, sizeof p->key);
		p->key_set = true;
	}
	return 0;
bad:
	memset(p, 0, sizeof *p);
	return DNS_EACL_SYNTAX;
}
