/* TSIG keys from text: "NAME:ALG:BASE64" and the key files of tsig-keygen
 * (BIND) and keymgr -t (Knot). */
#include "dns_int.h"

static bool word_eq(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);
	if (len == n + 1 && s[n] == '.')
		len = n;
	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (dns_lower((uint8_t)s[i]) != (uint8_t)w[i])
			return false;
	return true;
}

/* Known algorithm names: 0 unknown, -1 known but unsupported, else the alg. */
static int alg_lookup(const char *s, size_t len)
{
	static const char unsupported[][32] = { "hmac-md5", "hmac-md5.sig-alg.reg.int", "hmac-sha1",
		"hmac-sha224", "hmac-sha384", "gss-tsig" };
	if (word_eq(s, len, "hmac-sha256"))
		return DNS_TSIG_HMAC_SHA256;
	if (word_eq(s, len, "hmac-sha512"))
		return DNS_TSIG_HMAC_SHA512;
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		if (word_eq(s, len, unsupported[i]))
			return -1;
	return 0;
}

static int set_alg(struct dns_tsig_key *k, const char *s, size_t len)
{
	int a = alg_lookup(s, len);
	if (a == 0)
		return DNS_EKEY_ALG;
	if (a < 0)
		return DNS_EKEY_UNSUPPORTED;
	k->alg = (uint8_t)a;
	return 0;
}

static int set_name(struct dns_tsig_key *k, const char *s, size_t len)
{
	static const uint8_t root[1] = { 0 };
	uint8_t tmp[DNS_NAME_MAX];
	if (len == 0 || dns_name_from_text(tmp, s, len, root) < 0 || tmp[0] == 0)
		return DNS_EKEY_NAME;
	dns_name_lower(k->name, tmp);
	return 0;
}

static int set_secret(struct dns_tsig_key *k, const char *s, size_t len)
{
	if (len == 0 || len % 4 != 0)
		return DNS_EKEY_SECRET;
	size_t max = len / 4 * 3;
	if (max - 2 > DNS_TSIG_SECRET_MAX)
		return DNS_EKEY_SECRET_LEN;
	uint8_t tmp[DNS_TSIG_SECRET_MAX + 2];
	int n = dns_b64_decode(s, len, tmp, sizeof tmp);
	if (n <= 0)
		return DNS_EKEY_SECRET;
	if (n > DNS_TSIG_SECRET_MAX)
		return DNS_EKEY_SECRET_LEN;
	memcpy(k->secret, tmp, (size_t)n);
	k->secret_len = (uint16_t)n;
	return 0;
}

int dns_tsig_key_from_text(struct dns_tsig_key *k, const char *text, size_t len)
{
	memset(k, 0, sizeof *k);
	size_t c1 = len, c2 = len;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != ':')
			continue;
		if (c1 == len)
			c1 = i;
		else if (c2 == len)
			c2 = i;
		else
			return DNS_EKEY_SYNTAX;
	}
	if (c2 == len)
		return DNS_EKEY_SYNTAX;
	const char *f0 = text, *f1 = text + c1 + 1, *f2 = text + c2 + 1;
	size_t l0 = c1, l1 = c2 - c1 - 1, l2 = len - c2 - 1;
	/* kdig -y writes the algorithm first. */
	if (alg_lookup(f0, l0) != 0 && alg_lookup(f1, l1) == 0) {
		const char *tf = f0;
		size_t tl = l0;
		f0 = f1, l0 = l1;
		f1 = tf, l1 = tl;
	}
	int r = set_name(k, f0, l0);
	if (!r)
		r = set_alg(k, f1, l1);
	if (!r)
		r = set_secret(k, f2, l2);
	if (r)
		memset(k, 0, sizeof *k);
	return r;
}

/* ---- Key files. */

struct kf {
	const char *s;
	size_t len, pos;
	unsigned line, col;
	struct dns_key_error *err;
};

static void kf_adv(struct kf *f)
{
	if (f->s[f->pos] == '\n') {
		f->line++;
		f->col = 1;
	} else {
		f->col++;
	}
	f->pos++;
}

static int kf_fail(struct kf *f, int code)
{
	f->err->code = code;
	f->err->line = f->line;
	f->err->col = f->col;
	return code;
}

/* Skips blanks and the three comment forms of named.conf. */
static void kf_skip(struct kf *f)
{
	while (f->pos < f->len) {
		char ch = f->s[f->pos];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			kf_adv(f);
		} else if (ch == '#' || (ch == '/' && f->pos + 1 < f->len && f->s[f->pos + 1] == '/')) {
			while (f->pos < f->len && f->s[f->pos] != '\n')
				kf_adv(f);
		} else if (ch == '/' && f->pos + 1 < f->len && f->s[f->pos + 1] == '*') {
			kf_adv(f);
			kf_adv(f);
			while (f->pos < f->len &&
			       !(f->s[f->pos] == '*' && f->pos + 1 < f->len && f->s[f->pos + 1] == '/'))
				kf_adv(f);
			if (f->pos < f->len) {
				kf_adv(f);
				kf_adv(f);
			}
		} else {
			break;
		}
	}
}

/* One token: a punctuation character, a quoted string (without quotes) or
 * a word. Returns its first character, 0 at the end, -1 for an open quote. */
static int kf_tok(struct kf *f, const char **t, size_t *tl, unsigned *line, unsigned *col)
{
	kf_skip(f);
	*line = f->line;
	*col = f->col;
	if (f->pos >= f->len)
		return 0;
	char ch = f->s[f->pos];
	if (ch == '{' || ch == '}' || ch == ';') {
		*t = f->s + f->pos;
		*tl = 1;
		kf_adv(f);
		return ch;
	}
	if (ch == '"') {
		kf_adv(f);
		size_t b = f->pos;
		while (f->pos < f->len && f->s[f->pos] != '"' && f->s[f->pos] != '\n')
			kf_adv(f);
		if (f->pos >= f->len || f->s[f->pos] != '"')
			return -1;
		*t = f->s + b;
		*tl = f->pos - b;
		kf_adv(f);
		return '"';
	}
	size_t b = f->pos;
	while (f->pos < f->len) {
		ch = f->s[f->pos];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '{' || ch == '}' ||
		    ch == ';' || ch == '"' || ch == '#')
			break;
		kf_adv(f);
	}
	*t = f->s + b;
	*tl = f->pos - b;
	return 'w';
}

/* Sets the error position to a token's start. */
static int at(struct kf *f, int code, unsigned line, unsigned col)
{
	f->err->code = code;
	f->err->line = line;
	f->err->col = col;
	return code;
}

static int add_key(struct kf *f, struct dns_tsig_key *keys, size_t cap, size_t *n,
	const struct dns_tsig_key *k, unsigned line, unsigned col)
{
	if (dns_tsig_key_find(keys, *n, k->name))
		return at(f, DNS_EKEY_DUP, line, col);
	if (*n >= cap)
		return at(f, DNS_ENOMEM, line, col);
	keys[(*n)++] = *k;
	return 0;
}

/* key "name" { algorithm ALG; secret "BASE64"; }; */
static int parse_named(struct kf *f, struct dns_tsig_key *keys, size_t cap)
{
	size_t n = 0;
	const char *t;
	size_t tl;
	unsigned line, col;
	for (;;) {
		int c = kf_tok(f, &t, &tl, &line, &col);
		if (c == 0)
			return (int)n;
		if (c != 'w' || !word_eq(t, tl, "key"))
			return at(f, DNS_EKEY_SYNTAX, line, col);
		struct dns_tsig_key k;
		memset(&k, 0, sizeof k);
		unsigned kline, kcol;
		c = kf_tok(f, &t, &tl, &kline, &kcol);
		if (c != 'w' && c != '"')
			return at(f, c < 0 ? DNS_EKEY_SYNTAX : DNS_EKEY_NAME, kline, kcol);
		if (set_name(&k, t, tl))
			return at(f, DNS_EKEY_NAME, kline, kcol);
		if (kf_tok(f, &t, &tl, &line, &col) != '{')
			return at(f, DNS_EKEY_SYNTAX, line, col);
		bool have_alg = false, have_secret = false;
		for (;;) {
			c = kf_tok(f, &t, &tl, &line, &col);
			if (c == '}')
				break;
			if (c != 'w')
				return at(f, DNS_EKEY_SYNTAX, line, col);
			bool is_alg = word_eq(t, tl, "algorithm");
			if (!is_alg && !word_eq(t, tl, "secret"))
				return at(f, DNS_EKEY_SYNTAX, line, col);
			c = kf_tok(f, &t, &tl, &line, &col);
			if (c != 'w' && c != '"')
				return at(f, DNS_EKEY_SYNTAX, line, col);
			int r = is_alg ? set_alg(&k, t, tl) : set_secret(&k, t, tl);
			if (r)
				return at(f, r, line, col);
			*(is_alg ? &have_alg : &have_secret) = true;
			if (kf_tok(f, &t, &tl, &line, &col) != ';')
				return at(f, DNS_EKEY_SYNTAX, line, col);
		}
		if (!have_alg || !have_secret)
			return at(f, DNS_EKEY_SYNTAX, line, col);
		if (kf_tok(f, &t, &tl, &line, &col) != ';')
			return at(f, DNS_EKEY_SYNTAX, line, col);
		int r = add_key(f, keys, cap, &n, &k, kline, kcol);
		if (r)
			return r;
	}
}

/* One line of Knot's YAML, trimmed, comments gone. */
struct yline {
	const char *s;
	size_t len;
	unsigned line, col;
};

static bool yaml_attr(const struct yline *l, const char *name, const char **v, size_t *vl)
{
	size_t n = strlen(name);
	if (l->len < n + 1 || memcmp(l->s, name, n) != 0 || l->s[n] != ':')
		return false;
	size_t i = n + 1;
	while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	*v = l->s + i;
	*vl = l->len - i;
	/* Values may be quoted. */
	if (*vl >= 2 && ((*v)[0] == '"' || (*v)[0] == '\'') && (*v)[*vl - 1] == (*v)[0]) {
		(*v)++;
		*vl -= 2;
	}
	return true;
}

static int yaml_finish(struct kf *f, struct dns_tsig_key *keys, size_t cap, size_t *n,
	struct dns_tsig_key *k, unsigned have, unsigned line, unsigned col)
{
	if ((have & 7) != 7)
		return at(f, DNS_EKEY_SYNTAX, line, col);
	return add_key(f, keys, cap, n, k, line, col);
}

static int parse_yaml(struct kf *f, struct dns_tsig_key *keys, size_t cap)
{
	size_t n = 0;
	bool in_key = false;
	struct dns_tsig_key k;
	unsigned have = 0, kline = 0, kcol = 0; /* bits: id, algorithm, secret */
	while (f->pos < f->len) {
		struct yline l = { f->s + f->pos, 0, f->line, 1 };
		size_t b = f->pos;
		while (f->pos < f->len && f->s[f->pos] != '\n')
			kf_adv(f);
		size_t e = f->pos;
		if (f->pos < f->len)
			kf_adv(f);
		for (size_t i = b; i < e; i++)
			if (f->s[i] == '#') {
				e = i;
				break;
			}
		while (b < e && (f->s[b] == ' ' || f->s[b] == '\t')) {
			b++;
			l.col++;
		}
		while (e > b && (f->s[e - 1] == ' ' || f->s[e - 1] == '\t' || f->s[e - 1] == '\r'))
			e--;
		if (b == e)
			continue;
		l.s = f->s + b;
		l.len = e - b;
		if (l.col == 1) {
			if (!(l.len == 4 && memcmp(l.s, "key:", 4) == 0))
				return at(f, DNS_EKEY_SYNTAX, l.line, l.col);
			in_key = true;
			continue;
		}
		if (!in_key)
			return at(f, DNS_EKEY_SYNTAX, l.line, l.col);
		if (l.len >= 2 && l.s[0] == '-' && l.s[1] == ' ') {
			if (have) {
				int r = yaml_finish(f, keys, cap, &n, &k, have, kline, kcol);
				if (r)
					return r;
			}
			memset(&k, 0, sizeof k);
			have = 0;
			kline = l.line;
			kcol = l.col;
			l.s += 2;
			l.len -= 2;
			l.col += 2;
			while (l.len && l.s[0] == ' ') {
				l.s++;
				l.len--;
				l.col++;
			}
			have = 8; /* an entry is open */
		} else if (!have) {
			return at(f, DNS_EKEY_SYNTAX, l.line, l.col);
		}
		const char *v;
		size_t vl;
		int r;
		unsigned vcol;
		if (yaml_attr(&l, "id", &v, &vl)) {
			vcol = l.col + (unsigned)(v - l.s);
			r = set_name(&k, v, vl);
			have |= 1;
		} else if (yaml_attr(&l, "algorithm", &v, &vl)) {
			vcol = l.col + (unsigned)(v - l.s);
			r = set_alg(&k, v, vl);
			have |= 2;
		} else if (yaml_attr(&l, "secret", &v, &vl)) {
			vcol = l.col + (unsigned)(v - l.s);
			r = set_secret(&k, v, vl);
			have |= 4;
		} else {
			return at(f, DNS_EKEY_SYNTAX, l.line, l.col);
		}
		if (r)
			return at(f, r, l.line, vcol);
	}
	if (have) {
		int r = yaml_finish(f, keys, cap, &n, &k, have, kline, kcol);
		if (r)
			return r;
	}
	if (n == 0)
		return kf_fail(f, DNS_EKEY_SYNTAX);
	return (int)n;
}

int dns_tsig_keyfile_parse(const char *text, size_t len, struct dns_tsig_key *keys, size_t cap,
	struct dns_key_error *err)
{
	struct kf f = { text, len, 0, 1, 1, err };
	err->code = 0;
	err->line = 0;
	err->col = 0;
	/* Knot's form starts (after comments) with "key:" at column 1. */
	struct kf probe = f;
	kf_skip(&probe);
	if (len - probe.pos >= 4 && memcmp(text + probe.pos, "key:", 4) == 0)
		return parse_yaml(&f, keys, cap);
	int r = parse_named(&f, keys, cap);
	if (r == 0)
		return kf_fail(&f, DNS_EKEY_SYNTAX);
	return r;
}
