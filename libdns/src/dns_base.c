/* Base64, hex, base32hex (RFC 4648) and RRSIG times (RFC 4034 3.2). */
#include "dns_int.h"

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32_alpha[] = "0123456789abcdefghijklmnopqrstuv";

static int b64_val(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+') return 62;
	if (ch == '/') return 63;
	return -1;
}

/* Padding is required (RFC 4648 3.2), and the unused bits must be zero so
 * every value has one text form. */
int dns_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	if (len % 4 != 0)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			uint8_t ch = (uint8_t)s[i + (size_t)k];
			if (ch == '=') {
				if (i + 4 != len || k < 2)
					return -1;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad)
				return -1;
			v[k] = b64_val(ch);
			if (v[k] < 0)
				return -1;
		}
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t m = 3 - (size_t)pad;
		if ((pad == 1 && (x & 0xff)) || (pad == 2 && (x & 0xffff)))
			return -1;
		if (cap - n < m)
			return -1;
		for (size_t k = 0; k < m; k++)
			out[n++] = (uint8_t)(x >> (16 - 8 * k));
	}
	return (int)n;
}

int dns_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t need = (len + 2) / 3 * 4;
	if (need > cap || need > INT_MAX)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t x = (uint32_t)in[i] << 16;
		if (i + 1 < len) x |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len) x |= in[i + 2];
		out[o++] = b64_alpha[x >> 18 & 63];
		out[o++] = b64_alpha[x >> 12 & 63];
		out[o++] = i + 1 < len ? b64_alpha[x >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64_alpha[x & 63] : '=';
	}
	return (int)o;
}

static int hex_val(uint8_t ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

int dns_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	if (len % 2 != 0 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		int a = hex_val((uint8_t)s[i]), b = hex_val((uint8_t)s[i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	return (int)(len / 2);
}

static int b32_val(uint8_t ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	ch = dns_lower(ch);
	if (ch >= 'a' && ch <= 'v') return ch - 'a' + 10;
	return -1;
}

/* RFC 5155 3.3: the next hashed owner name in base32hex without padding. */
int dns_b32hex_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b32_val((uint8_t)s[i]);
		if (v < 0)
			return -1;
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero and fewer than a character's worth. */
	if (bits >= 5 || acc != 0)
		return -1;
	return (int)n;
}

int dns_b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			if (o >= cap)
				return -1;
			out[o++] = b32_alpha[acc >> bits & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0) {
		if (o >= cap)
			return -1;
		out[o++] = b32_alpha[acc << (5 - bits) & 31];
	}
	return (int)o;
}

static bool leap(uint32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static const uint8_t mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* RFC 4034 3.2: a 14-digit YYYYMMDDHHmmSS in UTC; the value is the 32-bit
 * serial-number seconds (RFC 1982), so years past 2106 wrap. */
int dns_time_from_text(const char *s, size_t len, uint32_t *out)
{
	if (len != 14)
		return -1;
	uint32_t d[14];
	for (size_t i = 0; i < 14; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d[i] = (uint32_t)(s[i] - '0');
	}
	uint32_t y = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
	uint32_t mo = d[4] * 10 + d[5], dd = d[6] * 10 + d[7];
	uint32_t h = d[8] * 10 + d[9], mi = d[10] * 10 + d[11], se = d[12] * 10 + d[13];
	if (y < 1970 || mo < 1 || mo > 12 || dd < 1 || h > 23 || mi > 59 || se > 59)
		return -1;
	uint32_t ml = mdays[mo - 1] + (mo == 2 && leap(y) ? 1u : 0u);
	if (dd > ml)
		return -1;
	uint64_t days = 0;
	for (uint32_t yy = 1970; yy < y; yy++)
		days += leap(yy) ? 366 : 365;
	for (uint32_t m = 1; m < mo; m++)
		days += mdays[m - 1] + (m == 2 && leap(y) ? 1u : 0u);
	days += dd - 1;
	uint64_t t = days * 86400 + h * 3600 + mi * 60 + se;
	*out = (uint32_t)t;
	return 0;
}

void dns_time_to_text(uint32_t t, char out[15])
{
	uint32_t days = t / 86400, rem = t % 86400;
	uint32_t y = 1970;
	for (;;) {
		uint32_t yl = leap(y) ? 366 : 365;
		if (days < yl)
			break;
		days -= yl;
		y++;
	}
	uint32_t mo = 0;
	for (;;) {
		uint32_t ml = mdays[mo] + (mo == 1 && leap(y) ? 1u : 0u);
		if (days < ml)
			break;
		days -= ml;
		mo++;
	}
	uint32_t v[6] = { y, mo + 1, days + 1, rem / 3600, rem / 60 % 60, rem % 60 };
	int w[6] = { 4, 2, 2, 2, 2, 2 };
	size_t o = 0;
	for (int i = 0; i < 6; i++)
		for (int k = w[i] - 1; k >= 0; k--) {
			uint32_t p = 1;
			for (int j = 0; j < k; j++)
				p *= 10;
			out[o++] = (char)('0' + v[i] / p % 10);
		}
	out[14] = 0;
}
