/*
 * Zone files (RFC 1035 5): a line-oriented state machine over the caller's
 * text. The tokenizer folds parenthesised lines into one entry and drops
 * comments; the entry loop reads owner, TTL, class and type and hands the
 * rest to dns_zrdata.c. $INCLUDE pushes a file on a bounded stack kept in
 * the parser object: no recursion anywhere.
 */
#include "dns_int.h"

static struct dns_zinput *cur(struct dns_zctx *z)
{
	return &z->p->priv.in[z->p->priv.depth];
}

const uint8_t *dns_z_origin(struct dns_zctx *z)
{
	struct dns_zinput *in = cur(z);
	return in->have_origin ? in->origin : NULL;
}

/* The message writer: bounded appends into the caller's error buffer. */
struct msgbuf { char *p; size_t cap; size_t n; };

static void mput(struct msgbuf *m, const char *s, size_t len)
{
	for (size_t i = 0; i < len && m->n + 1 < m->cap; i++)
		m->p[m->n++] = s[i];
	if (m->cap)
		m->p[m->n] = 0;
}

static void mputu(struct msgbuf *m, unsigned v)
{
	char b[12];
	size_t i = sizeof b;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	mput(m, b + i, sizeof b - i);
}

int dns_z_fail(struct dns_zctx *z, int code, const struct dns_ztok *t, const char *what)
{
	struct dns_zinput *in = cur(z);
	struct dns_zerror *e = z->err;
	e->code = code;
	e->file = in->file;
	e->line = t ? t->line : in->line;
	e->col = t ? t->col : (unsigned)(in->pos - in->line_start + 1);
	e->msg = z->o->errmsg;
	struct msgbuf m = { z->o->errmsg, z->o->errmsg ? z->o->errcap : 0, 0 };
	mput(&m, in->file, strlen(in->file));
	mput(&m, ":", 1);
	mputu(&m, e->line);
	mput(&m, ":", 1);
	mputu(&m, e->col);
	mput(&m, ": ", 2);
	mput(&m, what, strlen(what));
	if (t) {
		if (t->kind == DNS_ZTK_WORD) {
			mput(&m, ", got \"", 7);
			mput(&m, t->s, t->len > 40 ? 40 : t->len);
			mput(&m, t->len > 40 ? "...\"" : "\"", t->len > 40 ? 4 : 1);
		} else if (t->kind != DNS_ZTK_NONE) {
			mput(&m, ", got the end of the record", 27);
		}
	}
	return code;
}

/* RFC 1035 5.1: blanks separate; ';' starts a comment; '(' and ')' let an
 * entry run over lines; '"' quotes; '\' escapes the next character. A word
 * may contain a quoted part (key="a b" in SVCB parameters). */
static int scan(struct dns_zctx *z, struct dns_ztok *t)
{
	struct dns_zinput *in = cur(z);
	const char *s = (const char *)in->text;
	for (;;) {
		if (in->pos >= in->len) {
			t->kind = DNS_ZTK_EOF;
			t->s = NULL;
			t->len = 0;
			t->line = in->line;
			t->col = (unsigned)(in->pos - in->line_start + 1);
			if (in->paren) {
				struct dns_ztok at = *t;
				return dns_z_fail(z, DNS_EZ_PAREN, &at, "expected \")\" before the end of the file");
			}
			return 0;
		}
		char ch = s[in->pos];
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			in->pos++;
		} else if (ch == ';') {
			while (in->pos < in->len && s[in->pos] != '\n')
				in->pos++;
		} else if (ch == '\n') {
			if (in->paren == 0) {
				t->kind = DNS_ZTK_EOL;
				t->s = s + in->pos;
				t->len = 0;
				t->line = in->line;
				t->col = (unsigned)(in->pos - in->line_start + 1);
				in->pos++;
				in->line++;
				in->line_start = in->pos;
				return 0;
			}
			in->pos++;
			in->line++;
			in->line_start = in->pos;
		} else if (ch == '(') {
			in->paren++;
			in->pos++;
		} else if (ch == ')') {
			if (in->paren == 0) {
				struct dns_ztok at = { s + in->pos, 1, in->line,
					(unsigned)(in->pos - in->line_start + 1), DNS_ZTK_WORD };
				return dns_z_fail(z, DNS_EZ_PAREN, &at, "expected no \")\" without \"(\"");
			}
			in->paren--;
			in->pos++;
		} else {
			break;
		}
	}
	size_t start = in->pos;
	t->kind = DNS_ZTK_WORD;
	t->s = s + start;
	t->line = in->line;
	t->col = (unsigned)(start - in->line_start + 1);
	bool quoted = false;
	while (in->pos < in->len) {
		char ch = s[in->pos];
		if (ch == '\\') {
			/* A backslash before the end of the line escapes nothing: it
			 * stays in the token, for the field parser to reject. */
			if (in->pos + 1 >= in->len || s[in->pos + 1] == '\n') {
				in->pos++;
				break;
			}
			in->pos += 2;
			continue;
		}
		if (ch == '"') {
			quoted = !quoted;
			in->pos++;
			continue;
		}
		if (ch == '\n') {
			if (quoted) {
				t->len = in->pos - start;
				return dns_z_fail(z, DNS_EZ_QUOTE, t, "expected a closing quote on the same line");
			}
			break;
		}
		if (!quoted && (ch == ' ' || ch == '\t' || ch == '\r' || ch == ';' || ch == '(' || ch == ')'))
			break;
		in->pos++;
	}
	t->len = in->pos - start;
	if (quoted)
		return dns_z_fail(z, DNS_EZ_QUOTE, t, "expected a closing quote");
	return 0;
}

int dns_z_next(struct dns_zctx *z, struct dns_ztok *t)
{
	struct dns_zparser *p = z->p;
	if (p->priv.have_peek) {
		p->priv.have_peek = false;
		t->s = p->priv.peek.s;
		t->len = p->priv.peek.len;
		t->line = p->priv.peek.line;
		t->col = p->priv.peek.col;
		t->kind = p->priv.peek.kind;
		return 0;
	}
	return scan(z, t);
}

int dns_z_peek(struct dns_zctx *z, struct dns_ztok *t)
{
	struct dns_zparser *p = z->p;
	if (!p->priv.have_peek) {
		int r = scan(z, t);
		if (r)
			return r;
		p->priv.have_peek = true;
		p->priv.peek.s = t->s;
		p->priv.peek.len = t->len;
		p->priv.peek.line = t->line;
		p->priv.peek.col = t->col;
		p->priv.peek.kind = t->kind;
		return 0;
	}
	t->s = p->priv.peek.s;
	t->len = p->priv.peek.len;
	t->line = p->priv.peek.line;
	t->col = p->priv.peek.col;
	t->kind = p->priv.peek.kind;
	return 0;
}

int dns_z_ttl(const char *s, size_t len, uint32_t *out)
{
	uint64_t total = 0, v = 0;
	bool digits = false, units = false;
	if (len == 0)
		return DNS_EZ_TTL;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch >= '0' && ch <= '9') {
			v = v * 10 + (uint64_t)(ch - '0');
			digits = true;
			if (v > 0xffffffffu)
				return DNS_EZ_TTL;
			continue;
		}
		uint64_t mul;
		switch (dns_lower((uint8_t)ch)) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 604800; break;
		default: return DNS_EZ_TTL;
		}
		if (!digits)
			return DNS_EZ_TTL;
		total += v * mul;
		v = 0;
		digits = false;
		units = true;
		if (total > 0x7fffffffu)
			return DNS_EZ_TTL;
	}
	if (digits)
		total += v;
	else if (!units)
		return DNS_EZ_TTL;
	if (total > 0x7fffffffu)
		return DNS_EZ_TTL;
	*out = (uint32_t)total;
	return 0;
}

static bool is_word(const struct dns_ztok *t, const char *w)
{
	size_t n = strlen(w);
	if (t->kind != DNS_ZTK_WORD || t->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (dns_lower((uint8_t)t->s[i]) != dns_lower((uint8_t)w[i]))
			return false;
	return true;
}

static int end_of_entry(struct dns_zctx *z, const char *what)
{
	struct dns_ztok t;
	int r = dns_z_next(z, &t);
	if (r)
		return r;
	if (t.kind == DNS_ZTK_WORD)
		return dns_z_fail(z, DNS_EZ_EXTRA, &t, what);
	return 0;
}

static int name_token(struct dns_zctx *z, const struct dns_ztok *t, uint8_t *out)
{
	if (memchr(t->s, '"', t->len))
		return dns_z_fail(z, DNS_EZ_NAME, t, "expected a domain name, not a quoted string");
	int r = dns_name_from_text(out, t->s, t->len, dns_z_origin(z));
	if (r < 0) {
		const char *why = "expected a domain name";
		if (r == DNS_ELABEL_LEN)
			why = "expected a domain name with labels of at most 63 octets";
		else if (r == DNS_ENAME_LEN)
			why = "expected a domain name of at most 255 octets";
		else if (r == DNS_EZ_ESCAPE)
			why = "expected a domain name with \\X or \\DDD (0-255) escapes";
		else if (!dns_z_origin(z))
			why = "expected an absolute domain name (no $ORIGIN)";
		return dns_z_fail(z, r, t, why);
	}
	return r;
}

static int directive(struct dns_zctx *z, const struct dns_ztok *d)
{
	struct dns_zparser *p = z->p;
	struct dns_zinput *in = cur(z);
	struct dns_ztok t;
	int r;
	if (is_word(d, "$ORIGIN")) {
		if ((r = dns_z_next(z, &t)))
			return r;
		if (t.kind != DNS_ZTK_WORD)
			return dns_z_fail(z, DNS_EZ_MISSING, &t, "expected a domain name after $ORIGIN");
		uint8_t o[DNS_NAME_MAX];
		if ((r = name_token(z, &t, o)) < 0)
			return r;
		memcpy(in->origin, o, (size_t)r);
		in->have_origin = true;
		return end_of_entry(z, "expected the end of the line after $ORIGIN NAME");
	}
	if (is_word(d, "$TTL")) {
		if ((r = dns_z_next(z, &t)))
			return r;
		if (t.kind != DNS_ZTK_WORD)
			return dns_z_fail(z, DNS_EZ_MISSING, &t, "expected a TTL after $TTL");
		if (dns_z_ttl(t.s, t.len, &p->priv.ttl) < 0)
			return dns_z_fail(z, DNS_EZ_TTL, &t, "expected a TTL (0 to 2147483647, units s m h d w)");
		p->priv.have_ttl = true;
		return end_of_entry(z, "expected the end of the line after $TTL TTL");
	}
	if (is_word(d, "$INCLUDE")) {
		if (!z->o->include)
			return dns_z_fail(z, DNS_EZ_INCLUDE, d, "expected no $INCLUDE (disabled)");
		if ((r = dns_z_next(z, &t)))
			return r;
		if (t.kind != DNS_ZTK_WORD)
			return dns_z_fail(z, DNS_EZ_MISSING, &t, "expected a file name after $INCLUDE");
		struct dns_ztok path = t;
		/* RFC 1035 5.1: an optional origin for the included file only. */
		uint8_t o[DNS_NAME_MAX];
		int olen = 0;
		if ((r = dns_z_next(z, &t)))
			return r;
		if (t.kind == DNS_ZTK_WORD) {
			if ((olen = name_token(z, &t, o)) < 0)
				return olen;
			if ((r = end_of_entry(z, "expected the end of the line after $INCLUDE FILE ORIGIN")))
				return r;
		}
		if (p->priv.depth >= DNS_ZONE_INCLUDE_DEPTH)
			return dns_z_fail(z, DNS_EZ_INCLUDE, &path, "expected $INCLUDE nested at most 8 deep");
		const uint8_t *text;
		size_t len;
		const char *file = NULL;
		const char *ps = path.s;
		size_t pl = path.len;
		if (pl >= 2 && ps[0] == '"' && ps[pl - 1] == '"') {
			ps++;
			pl -= 2;
		}
		if (z->o->include(z->o->include_ctx, ps, pl, &text, &len, &file) < 0)
			return dns_z_fail(z, DNS_EZ_INCLUDE, &path, "expected a file $INCLUDE can open");
		struct dns_zinput *n = &p->priv.in[++p->priv.depth];
		memset(n, 0, sizeof *n);
		n->text = text;
		n->len = len;
		n->line = 1;
		n->file = file ? file : "(include)";
		if (olen > 0) {
			memcpy(n->origin, o, (size_t)olen);
			n->have_origin = true;
		} else if (in->have_origin) {
			memcpy(n->origin, in->origin, sizeof n->origin);
			n->have_origin = true;
		}
		return 0;
	}
	return dns_z_fail(z, DNS_EZ_DIRECTIVE, d, "expected $ORIGIN, $TTL or $INCLUDE");
}

/* RFC 1035 5.1: [owner] [TTL] [class] type RDATA, TTL and class in either order. */
static int entry(struct dns_zctx *z, bool blank_start)
{
	struct dns_zparser *p = z->p;
	const struct dns_zopts *o = z->o;
	struct dns_ztok t;
	int r;
	if ((r = dns_z_next(z, &t)))
		return r;
	if (t.kind != DNS_ZTK_WORD)
		return 0; /* empty or comment line */
	unsigned line = t.line;
	if (!blank_start) {
		if (t.s[0] == '$')
			return directive(z, &t);
		uint8_t owner[DNS_NAME_MAX];
		if ((r = name_token(z, &t, owner)) < 0)
			return r;
		memcpy(p->priv.owner, owner, (size_t)r);
		p->priv.have_owner = true;
		if ((r = dns_z_next(z, &t)))
			return r;
	} else if (!p->priv.have_owner) {
		return dns_z_fail(z, DNS_EZ_NO_OWNER, &t, "expected an owner name (no previous owner)");
	}
	bool have_ttl = false, have_class = false;
	uint32_t ttl = 0;
	uint16_t zclass = o->rclass ? o->rclass : DNS_C_IN;
	uint16_t rclass = zclass, type = 0;
	for (;;) {
		if (t.kind != DNS_ZTK_WORD)
			return dns_z_fail(z, DNS_EZ_MISSING, &t, "expected a TTL, class or type");
		if (!have_ttl && t.s[0] >= '0' && t.s[0] <= '9') {
			if (dns_z_ttl(t.s, t.len, &ttl) < 0)
				return dns_z_fail(z, DNS_EZ_TTL, &t, "expected a TTL (0 to 2147483647, units s m h d w)");
			have_ttl = true;
		} else if (!have_class && dns_class_from_text(t.s, t.len, &rclass) == 0) {
			if (rclass != zclass)
				return dns_z_fail(z, DNS_EZ_CLASS, &t, "expected the zone's class");
			have_class = true;
		} else if (dns_type_from_text(t.s, t.len, &type) == 0) {
			break;
		} else {
			return dns_z_fail(z, DNS_EZ_TYPE, &t,
				have_ttl && have_class ? "expected a type" :
				have_ttl ? "expected a class or type" :
				have_class ? "expected a TTL or type" : "expected a TTL, class or type");
		}
		if ((r = dns_z_next(z, &t)))
			return r;
	}
	int n = dns_z_rdata(z, type);
	if (n < 0)
		return n;
	if ((r = end_of_entry(z, "expected the end of the record")))
		return r;
	/* RFC 2308 4 ($TTL), else RFC 1035 5.1 (the last explicit TTL); a
	 * zone with neither starts with an SOA whose MINIMUM serves. */
	if (have_ttl) {
		p->priv.last_ttl = ttl;
		p->priv.have_last_ttl = true;
	} else if (p->priv.have_ttl) {
		ttl = p->priv.ttl;
	} else if (p->priv.have_last_ttl) {
		ttl = p->priv.last_ttl;
	} else if (o->have_default_ttl) {
		ttl = o->default_ttl;
	} else if (type == DNS_T_SOA && n >= 4) {
		ttl = dns_get32(p->priv.rdata + n - 4);
	} else {
		struct dns_ztok at = { NULL, 0, line, 1, DNS_ZTK_NONE };
		return dns_z_fail(z, DNS_EZ_NO_TTL, &at, "expected a TTL (no $TTL and no previous TTL)");
	}
	struct dns_zrr rr = { p->priv.owner, type, rclass, ttl, (uint16_t)n, p->priv.rdata,
		cur(z)->file, line };
	p->priv.count++;
	if (o->rr && (r = o->rr(o->rr_ctx, &rr)) < 0) {
		struct dns_ztok at = { NULL, 0, line, 1, DNS_ZTK_NONE };
		return dns_z_fail(z, r, &at, "the record was refused");
	}
	return 0;
}

int dns_zone_parse(struct dns_zparser *p, const struct dns_zopts *opts,
	const uint8_t *text, size_t len, struct dns_zerror *err)
{
	memset(&p->priv.in[0], 0, sizeof p->priv.in[0]);
	p->priv.depth = 0;
	p->priv.have_owner = false;
	p->priv.have_ttl = false;
	p->priv.have_last_ttl = false;
	p->priv.have_peek = false;
	p->priv.count = 0;
	struct dns_zinput *in = &p->priv.in[0];
	in->text = text;
	in->len = len;
	in->line = 1;
	in->file = opts->file ? opts->file : "(zone)";
	if (opts->origin) {
		memcpy(in->origin, opts->origin, dns_name_len(opts->origin));
		in->have_origin = true;
	}
	memset(err, 0, sizeof *err);
	if (opts->errmsg && opts->errcap)
		opts->errmsg[0] = 0;
	struct dns_zctx z = { p, opts, err };
	for (;;) {
		in = cur(&z);
		if (in->pos >= in->len) {
			if (p->priv.depth == 0)
				break;
			p->priv.depth--;
			continue;
		}
		/* A line that starts blank repeats the previous owner. */
		char ch = (char)in->text[in->pos];
		bool blank = ch == ' ' || ch == '\t';
		int r = entry(&z, blank);
		if (r < 0)
			return r;
	}
	return p->priv.count > INT_MAX ? INT_MAX : (int)p->priv.count;
}
