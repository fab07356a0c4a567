/* Domain names: decompression, comparison, canonical order, text form. */
#include "dns_int.h"

/*
 * RFC 1035 4.1.4 lets a pointer name any octet. libknot insists on
 * backward pointers; here each pointer must point strictly before the
 * start of the run of labels it ends, so successive targets strictly
 * decrease and the walk ends without a hop counter. A pointer at or after itself is
 * "forward"; one into its own run is a loop.
 */
size_t dns_rd_name(struct dns_rd *c, uint8_t *out, enum dns_name_mode mode)
{
	if (c->err)
		return 0;
	size_t pos = c->pos;        /* where the next label is read */
	size_t limit = c->end;      /* in-place reads stop here */
	size_t run = c->pos;        /* start of the current run of labels */
	size_t after = 0;           /* cursor position after the name, once a pointer is taken */
	bool jumped = false;
	size_t n = 0;
	for (;;) {
		if (pos >= limit) {
			dns_rd_fail(c, jumped ? DNS_ETRUNC : c->trunc);
			return 0;
		}
		uint8_t b = c->base[pos];
		if ((b & 0xc0) == 0xc0) {
			if (pos + 1 >= limit) {
				dns_rd_fail(c, jumped ? DNS_ETRUNC : c->trunc);
				return 0;
			}
			if (!c->in_msg || mode == DNS_NM_NOPTR) {
				dns_rd_fail(c, DNS_EPTR_FORBIDDEN);
				return 0;
			}
			size_t t = (size_t)(b & 0x3f) << 8 | c->base[pos + 1];
			if (t >= pos) {
				dns_rd_fail(c, DNS_EPTR_FORWARD);
				return 0;
			}
			if (t >= run) {
				dns_rd_fail(c, DNS_EPTR_LOOP);
				return 0;
			}
			if (t < DNS_HDR_LEN) {
				dns_rd_fail(c, DNS_EPTR_HEADER);
				return 0;
			}
			if (!jumped) {
				after = pos + 2;
				jumped = true;
			}
			run = t;
			pos = t;
			/* After a jump the labels lie anywhere in the message. */
			limit = c->msglen;
			continue;
		}
		/* A length octet of 64..127 is a label over 63 octets (its 01
		 * prefix was the extended label type RFC 6891 s5 retired);
		 * 10 is reserved. */
		if (b > DNS_LABEL_MAX) {
			dns_rd_fail(c, b & 0x80 ? DNS_ELABEL_TYPE : DNS_ELABEL_LEN);
			return 0;
		}
		if (n + 1 + b > DNS_NAME_MAX) {
			dns_rd_fail(c, DNS_ENAME_LEN);
			return 0;
		}
		if (limit - pos - 1 < b) {
			dns_rd_fail(c, jumped ? DNS_ETRUNC : c->trunc);
			return 0;
		}
		if (out)
			memcpy(out + n, c->base + pos, (size_t)b + 1);
		n += (size_t)b + 1;
		pos += (size_t)b + 1;
		if (b == 0)
			break;
		/* 255 octets hold at most 127 labels: the length check bounds both. */
	}
	c->pos = jumped ? after : pos;
	return n;
}

size_t dns_name_len(const uint8_t *name)
{
	size_t n = 0;
	while (name[n])
		n += (size_t)name[n] + 1;
	return n + 1;
}

int dns_name_labels(const uint8_t *name)
{
	int k = 0;
	for (size_t n = 0; name[n]; n += (size_t)name[n] + 1)
		k++;
	return k;
}

bool dns_name_equal(const uint8_t *a, const uint8_t *b)
{
	size_t i = 0;
	for (;;) {
		if (a[i] != b[i])
			return false;
		if (a[i] == 0)
			return true;
		size_t l = a[i++];
		for (size_t j = 0; j < l; j++, i++)
			if (dns_lower(a[i]) != dns_lower(b[i]))
				return false;
	}
}

int dns_name_offsets(const uint8_t *name, uint8_t *off)
{
	int k = 0;
	for (size_t n = 0; name[n]; n += (size_t)name[n] + 1)
		off[k++] = (uint8_t)n;
	return k;
}

int dns_name_cmp_off(const uint8_t *a, const uint8_t *oa, int na, const uint8_t *b)
{
	uint8_t ob[DNS_LABELS_MAX + 1];
	int nb = dns_name_offsets(b, ob);
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		size_t m = la[0] < lb[0] ? la[0] : lb[0];
		for (size_t i = 1; i <= m; i++) {
			uint8_t x = dns_lower(la[i]), y = dns_lower(lb[i]);
			if (x != y)
				return x < y ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na > 0 ? 1 : nb > 0 ? -1 : 0;
}

int dns_name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[DNS_LABELS_MAX + 1];
	int na = dns_name_offsets(a, oa);
	return dns_name_cmp_off(a, oa, na, b);
}

bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent)
{
	int ln = dns_name_labels(name), lp = dns_name_labels(parent);
	if (ln < lp)
		return false;
	while (ln-- > lp)
		name += name[0] + 1;
	return dns_name_equal(name, parent);
}

size_t dns_name_lower(uint8_t *out, const uint8_t *name)
{
	size_t n = dns_name_len(name);
	for (size_t i = 0; i < n;) {
		size_t l = name[i];
		out[i++] = (uint8_t)l;
		for (size_t j = 0; j < l; j++, i++)
			out[i] = dns_lower(name[i]);
	}
	return n;
}

int dns_name_from_text(uint8_t *out, const char *text, size_t len, const uint8_t *origin)
{
	if (len == 0)
		return DNS_EZ_NAME;
	if (len == 1 && text[0] == '@') {
		if (!origin)
			return DNS_EZ_NAME;
		size_t n = dns_name_len(origin);
		memcpy(out, origin, n);
		return (int)n;
	}
	if (len == 1 && text[0] == '.') {
		out[0] = 0;
		return 1;
	}
	size_t n = 0;        /* octets written */
	size_t lab = 0;      /* position of the current label's length octet */
	bool absolute = false;
	out[0] = 0;
	n = 1;
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = (uint8_t)text[i];
		if (ch == '.') {
			if (n - lab - 1 == 0)
				return DNS_EZ_NAME;   /* empty label: "a..b" or ".a" */
			out[lab] = (uint8_t)(n - lab - 1);
			if (i + 1 == len) {
				absolute = true;
				break;
			}
			if (n + 1 > DNS_NAME_MAX)
				return DNS_ENAME_LEN;
			lab = n;
			out[n++] = 0;
			continue;
		}
		if (ch == '\\') {
			if (i + 1 >= len)
				return DNS_EZ_ESCAPE;
			uint8_t d = (uint8_t)text[i + 1];
			if (d >= '0' && d <= '9') {
				if (len - i < 4)
					return DNS_EZ_ESCAPE;
				unsigned v = 0;
				for (int k = 1; k <= 3; k++) {
					uint8_t dd = (uint8_t)text[i + (size_t)k];
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
				i += 1;
			}
		}
		if (n - lab - 1 >= DNS_LABEL_MAX)
			return DNS_ELABEL_LEN;
		if (n + 1 > DNS_NAME_MAX - 1)
			return DNS_ENAME_LEN;
		out[n++] = ch;
	}
	if (!absolute) {
		if (n - lab - 1 == 0)
			return DNS_EZ_NAME;
		out[lab] = (uint8_t)(n - lab - 1);
		if (!origin)
			return DNS_EZ_NAME;
		size_t on = dns_name_len(origin);
		if (n + on > DNS_NAME_MAX)
			return DNS_ENAME_LEN;
		memcpy(out + n, origin, on);
		n += on;
	} else {
		if (n + 1 > DNS_NAME_MAX)
			return DNS_ENAME_LEN;
		out[n++] = 0;
	}
	return (int)n;
}

int dns_name_to_text(const uint8_t *name, char *buf, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return DNS_ENOMEM;
	if (name[0] == 0) {
		if (cap < 2)
			return DNS_ENOMEM;
		buf[0] = '.';
		buf[1] = 0;
		return 1;
	}
	for (size_t i = 0; name[i]; i += (size_t)name[i] + 1) {
		for (size_t j = 1; j <= name[i]; j++) {
			uint8_t ch = name[i + j];
			if (cap - o < 5)
				return DNS_ENOMEM;
			/* RFC 1035 5.1: these have meaning in master files. */
			if (ch == '.' || ch == '\\' || ch == '"' || ch == ';' || ch == '(' ||
			    ch == ')' || ch == '@' || ch == '$') {
				buf[o++] = '\\';
				buf[o++] = (char)ch;
			} else if (ch <= 0x20 || ch >= 0x7f) {
				buf[o++] = '\\';
				buf[o++] = (char)('0' + ch / 100);
				buf[o++] = (char)('0' + ch / 10 % 10);
				buf[o++] = (char)('0' + ch % 10);
			} else {
				buf[o++] = (char)ch;
			}
		}
		if (cap - o < 2)
			return DNS_ENOMEM;
		buf[o++] = '.';
	}
	buf[o] = 0;
	return (int)o;
}
