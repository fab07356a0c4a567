/*
 * Commits, tags and idents: parsed in place and checked as git's fsck_commit,
 * fsck_tag_standalone and fsck_ident (fsck.c) check them; serialised as git
 * commit-tree and git mktag write them.
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

/* fsck.c verify_headers: no NUL before the blank line, last header line ends in LF. */
static int verify_headers(const uint8_t *d, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (d[i] == 0)
			return GITSTORE_EHDR_NUL;
		if (d[i] == '\n' && i + 1 < len && d[i + 1] == '\n')
			return 0;
	}
	if (len && d[len - 1] == '\n')
		return 0;
	return GITSTORE_EHDR_UNTERMINATED;
}

static bool skip(const uint8_t **p, const uint8_t *end, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

/* "<hex>\n" at *p: the id, and *p past the newline. */
static int hex_line(int algo, const uint8_t **p, const uint8_t *end, struct gitstore_oid *id)
{
	size_t hl = 2 * gitstore_hash_len(algo);
	if ((size_t)(end - *p) < hl + 1 || (*p)[hl] != '\n')
		return -1;
	if (gitstore_oid_from_hex(algo, (const char *)*p, hl, id) < 0)
		return -1;
	*p += hl + 1;
	return 0;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * fsck.c fsck_ident, over s[0..len) (the line without its LF; the LF is
 * implied at s[len]). The date goes through strtoumax in git, which skips
 * leading white space and takes a sign; so does this.
 */
int gitstore_ident_parse(const uint8_t *s, size_t len, struct gitstore_ident *out)
{
	size_t i = 0;
#define AT(k) ((k) < len ? s[k] : '\n')
	if (len > 0 && s[0] == '<')
		return GITSTORE_EIDENT_NO_NAME;
	while (i < len && s[i] != '<' && s[i] != '>')
		i++;
	if (AT(i) == '>')
		return GITSTORE_EIDENT_BAD_NAME;
	if (AT(i) != '<')
		return GITSTORE_EIDENT_NO_EMAIL;
	if (i == 0 || s[i - 1] != ' ')
		return GITSTORE_EIDENT_SPACE_EMAIL;
	size_t lt = i++;
	while (i < len && s[i] != '<' && s[i] != '>')
		i++;
	if (AT(i) != '>')
		return GITSTORE_EIDENT_BAD_EMAIL;
	size_t gt = i++;
	if (AT(i) != ' ')
		return GITSTORE_EIDENT_SPACE_DATE;
	i++;
	if (AT(i) == '0' && AT(i + 1) != ' ')
		return GITSTORE_EIDENT_DATE_PAD;
	size_t d = i;
	while (i < len && is_space(s[i]))
		i++;
	bool neg = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t digits = i;
	uint64_t t = 0;
	bool overflow = false;
	while (i < len && is_digit(s[i])) {
		uint64_t digit = (uint64_t)(s[i] - '0');
		if (t > (UINT64_MAX - digit) / 10)
			overflow = true;
		else
			t = t * 10 + digit;
		i++;
	}
	if (i == digits)
		i = d;   /* strtoumax found no number: end == p */
	if (neg && t)
		overflow = true;   /* -N wraps to a huge unsigned value */
	if (overflow || t > (uint64_t)INT64_MAX)
		return GITSTORE_EIDENT_DATE_OVERFLOW;
	if (i == d || AT(i) != ' ')
		return GITSTORE_EIDENT_DATE;
	i++;
	if ((AT(i) != '+' && AT(i) != '-') || !is_digit(AT(i + 1)) || !is_digit(AT(i + 2)) ||
		!is_digit(AT(i + 3)) || !is_digit(AT(i + 4)) || i + 5 != len)
		return GITSTORE_EIDENT_TZ;
#undef AT
	int hh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	int mm = (s[i + 3] - '0') * 10 + (s[i + 4] - '0');
	out->name.p = s;
	out->name.len = lt > 0 ? lt - 1 : 0;
	out->email.p = s + lt + 1;
	out->email.len = gt - lt - 1;
	out->time = (int64_t)t;
	out->tz = (s[i] == '-' ? -1 : 1) * (hh * 60 + mm);
	return 0;
}

/* The rest of the line at *p (without LF), and *p past the LF (or at end). */
static struct gitstore_slice line(const uint8_t **p, const uint8_t *end)
{
	struct gitstore_slice sl = { *p, 0 };
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	sl.len = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return sl;
}

/* Headers after the known ones, up to the blank line; then the message. */
static void rest(const uint8_t *p, const uint8_t *end, struct gitstore_slice *extra, struct gitstore_slice *msg)
{
	extra->p = p;
	const uint8_t *q = p;
	while (q < end && *q != '\n') {
		const uint8_t *nl = memchr(q, '\n', (size_t)(end - q));
		q = nl ? nl + 1 : end;
	}
	extra->len = (size_t)(q - p);
	if (q < end)
		q++;
	msg->p = q;
	msg->len = (size_t)(end - q);
}

int gitstore_commit_parse(int algo, const uint8_t *data, size_t len, struct gitstore_commit *c)
{
	const uint8_t *p = data, *end = data + len;
	struct gitstore_oid id;
	int rc;
	size_t hl = 2 * gitstore_hash_len(algo);
	if (hl == 0)
		return GITSTORE_EINVAL;
	if ((rc = verify_headers(data, len)) < 0)
		return rc;
	c->algo = algo;
	if (!skip(&p, end, "tree "))
		return GITSTORE_ECOMMIT_NO_TREE;
	if (hex_line(algo, &p, end, &c->tree) < 0)
		return GITSTORE_ECOMMIT_TREE_ID;
	c->parents.p = p;
	c->nparents = 0;
	while (skip(&p, end, "parent ")) {
		if (hex_line(algo, &p, end, &id) < 0)
			return GITSTORE_ECOMMIT_PARENT_ID;
		c->nparents++;
	}
	c->parents.len = (size_t)(p - c->parents.p);
	size_t authors = 0;
	while (skip(&p, end, "author ")) {
		struct gitstore_ident ident;
		c->author = line(&p, end);
		if ((rc = gitstore_ident_parse(c->author.p, c->author.len, &ident)) < 0)
			return rc;
		authors++;
	}
	if (authors == 0)
		return GITSTORE_ECOMMIT_NO_AUTHOR;
	if (authors > 1)
		return GITSTORE_ECOMMIT_AUTHORS;
	if (!skip(&p, end, "committer "))
		return GITSTORE_ECOMMIT_NO_COMMITTER;
	struct gitstore_ident ident;
	c->committer = line(&p, end);
	if ((rc = gitstore_ident_parse(c->committer.p, c->committer.len, &ident)) < 0)
		return rc;
	rest(p, end, &c->extra, &c->message);
	return 0;
}

int gitstore_commit_parent(const struct gitstore_commit *c, size_t i, struct gitstore_oid *out)
{
	size_t hl = 2 * gitstore_hash_len(c->algo);
	if (i >= c->nparents)
		return GITSTORE_EINVAL;
	/* Each parent line is "parent " + hex + LF: fixed width. */
	return gitstore_oid_from_hex(c->algo, (const char *)c->parents.p + i * (hl + 8) + 7, hl, out);
}

int gitstore_tag_parse(int algo, const uint8_t *data, size_t len, struct gitstore_tag *t)
{
	const uint8_t *p = data, *end = data + len;
	int rc;
	if (gitstore_hash_len(algo) == 0)
		return GITSTORE_EINVAL;
	if ((rc = verify_headers(data, len)) < 0)
		return rc;
	if (!skip(&p, end, "object "))
		return GITSTORE_ETAG_NO_OBJECT;
	if (hex_line(algo, &p, end, &t->object) < 0)
		return GITSTORE_ETAG_OBJECT_ID;
	if (!skip(&p, end, "type "))
		return GITSTORE_ETAG_NO_TYPE;
	const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		return GITSTORE_ETAG_NO_TYPE;
	t->type = gitstore_type_parse(p, (size_t)(nl - p));
	if (t->type < 0)
		return GITSTORE_ETAG_TYPE;
	p = nl + 1;
	if (!skip(&p, end, "tag "))
		return GITSTORE_ETAG_NO_NAME;
	if (!memchr(p, '\n', (size_t)(end - p)))
		return GITSTORE_ETAG_NO_NAME;
	t->name = line(&p, end);
	t->tagger.p = p;
	t->tagger.len = 0;
	/* Early tags have no tagger line; git only informs about that. */
	if (skip(&p, end, "tagger ")) {
		struct gitstore_ident ident;
		t->tagger = line(&p, end);
		if ((rc = gitstore_ident_parse(t->tagger.p, t->tagger.len, &ident)) < 0)
			return rc;
	}
	rest(p, end, &t->extra, &t->message);
	return 0;
}

/* ---- writing ---- */

static bool strpbrk_any(const char *s, const char *set)
{
	for (; *s; s++)
		if (strchr(set, *s))
			return true;
	return false;
}

struct out {
	uint8_t *buf;
	size_t cap, len;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->len <= o->cap && n <= o->cap - o->len)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_hex(struct out *o, int algo, const struct gitstore_oid *id)
{
	char hex[GITSTORE_HEX_MAX];
	put(o, hex, gitstore_oid_to_hex(algo, id, hex));
}

static int finish(struct out *o, size_t *needed)
{
	if (needed)
		*needed = o->len;
	if (o->len > o->cap)
		return GITSTORE_ENOMEM;
	if (o->len > INT32_MAX)
		return GITSTORE_ETOOBIG;
	return (int)o->len;
}

static bool ident_ok(struct gitstore_slice s)
{
	struct gitstore_ident id;
	return gitstore_ident_parse(s.p, s.len, &id) == 0;
}

int gitstore_ident_write(const char *name, const char *email, int64_t time, int tz,
	uint8_t *buf, size_t cap)
{
	if (strpbrk_any(name, "<>\n") || strpbrk_any(email, "<>\n") || time < 0 ||
		tz <= -24 * 60 || tz >= 100 * 60)
		return GITSTORE_EINVAL;
	struct out o = { buf, cap, 0 };
	char num[24];
	size_t n = 0;
	uint64_t t = (uint64_t)time;
	do {
		num[n++] = (char)('0' + t % 10);
		t /= 10;
	} while (t);
	puts_(&o, name);
	puts_(&o, " <");
	puts_(&o, email);
	puts_(&o, "> ");
	while (n)
		put(&o, &num[--n], 1);
	int a = tz < 0 ? -tz : tz;
	char z[6] = { tz < 0 ? '-' : '+', (char)('0' + a / 600), (char)('0' + a / 60 % 10),
		(char)('0' + a % 60 / 10), (char)('0' + a % 10), 0 };
	put(&o, " ", 1);
	put(&o, z, 5);
	return finish(&o, NULL);
}

int gitstore_commit_write(int algo, const struct gitstore_commit_info *ci,
	uint8_t *buf, size_t cap, size_t *needed)
{
	if (gitstore_hash_len(algo) == 0 || !ci->tree || !ident_ok(ci->author) || !ident_ok(ci->committer))
		return GITSTORE_EINVAL;
	struct out o = { buf, cap, 0 };
	puts_(&o, "tree ");
	put_hex(&o, algo, ci->tree);
	for (size_t i = 0; i < ci->nparents; i++) {
		puts_(&o, "\nparent ");
		put_hex(&o, algo, &ci->parents[i]);
	}
	puts_(&o, "\nauthor ");
	put(&o, ci->author.p, ci->author.len);
	puts_(&o, "\ncommitter ");
	put(&o, ci->committer.p, ci->committer.len);
	puts_(&o, "\n\n");
	put(&o, ci->message.p, ci->message.len);
	return finish(&o, needed);
}

int gitstore_tag_write(int algo, const struct gitstore_tag_info *ti,
	uint8_t *buf, size_t cap, size_t *needed)
{
	const char *tn = gitstore_type_name(ti->type);
	if (gitstore_hash_len(algo) == 0 || !ti->object || !tn || ti->name.len == 0 ||
		memchr(ti->name.p, '\n', ti->name.len) || !ident_ok(ti->tagger))
		return GITSTORE_EINVAL;
	struct out o = { buf, cap, 0 };
	puts_(&o, "object ");
	put_hex(&o, algo, ti->object);
	puts_(&o, "\ntype ");
	puts_(&o, tn);
	puts_(&o, "\ntag ");
	put(&o, ti->name.p, ti->name.len);
	puts_(&o, "\ntagger ");
	put(&o, ti->tagger.p, ti->tagger.len);
	puts_(&o, "\n\n");
	put(&o, ti->message.p, ti->message.len);
	return finish(&o, needed);
}
