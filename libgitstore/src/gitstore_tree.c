/*
 * Trees: walking entries in place, git's entry order, serialising, and the
 * checks of git's fsck_tree (fsck.c) with its name rules (path.c, utf8.c).
 */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

void gitstore_tree_iter_init(struct gitstore_tree_iter *it, int algo, const uint8_t *data, size_t len)
{
	it->p = data;
	it->len = len;
	it->off = 0;
	it->id_len = gitstore_hash_len(algo);
}

/* git's decode_tree_entry: "<octal digits> <name>\0<raw id>". */
int gitstore_tree_next(struct gitstore_tree_iter *it, struct gitstore_tree_entry *e)
{
	if (it->off >= it->len)
		return 0;
	const uint8_t *p = it->p + it->off;
	size_t left = it->len - it->off;
	if (it->id_len == 0 || left < it->id_len + 3)
		return GITSTORE_ETREE_FORMAT;
	uint32_t mode = 0;
	size_t i = 0;
	for (; i < left && p[i] != ' '; i++) {
		if (p[i] < '0' || p[i] > '7')
			return GITSTORE_ETREE_FORMAT;
		mode = (mode << 3) + (uint32_t)(p[i] - '0');
	}
	if (i >= left)
		return GITSTORE_ETREE_FORMAT;
	const uint8_t *name = p + i + 1;
	const uint8_t *nul = memchr(name, 0, left - i - 1);
	if (!nul)
		return GITSTORE_ETREE_FORMAT;
	size_t nlen = (size_t)(nul - name);
	size_t used = i + 1 + nlen + 1;
	if (left - used < it->id_len)
		return GITSTORE_ETREE_FORMAT;
	if (nlen == 0)
		return GITSTORE_ETREE_EMPTY_NAME;
	e->mode = mode;
	e->name.p = name;
	e->name.len = nlen;
	memset(e->id.b, 0, sizeof e->id.b);
	memcpy(e->id.b, nul + 1, it->id_len);
	it->off += used + it->id_len;
	return 1;
}

static bool is_dir(uint32_t mode)
{
	return (mode & 0170000u) == 0040000u;
}

static bool is_link(uint32_t mode)
{
	return (mode & 0170000u) == 0120000u;
}

/* The character after a name's end: '/' for a directory (tree.c base_name_compare). */
static int end_char(const struct gitstore_tree_entry *e, size_t at)
{
	if (at < e->name.len)
		return e->name.p[at];
	return is_dir(e->mode) ? '/' : 0;
}

int gitstore_tree_entry_cmp(const struct gitstore_tree_entry *a, const struct gitstore_tree_entry *b)
{
	size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
	int c = memcmp(a->name.p, b->name.p, n);
	if (c)
		return c;
	return end_char(a, n) - end_char(b, n);
}

void gitstore_tree_sort(struct gitstore_tree_entry *e, size_t n)
{
	/* heapsort */
	for (size_t k = n / 2; k-- > 0;) {
		size_t r = k;
		for (;;) {
			size_t c = 2 * r + 1;
			if (c >= n)
				break;
			if (c + 1 < n && gitstore_tree_entry_cmp(&e[c], &e[c + 1]) < 0)
				c++;
			if (gitstore_tree_entry_cmp(&e[r], &e[c]) >= 0)
				break;
			struct gitstore_tree_entry t = e[r];
			e[r] = e[c];
			e[c] = t;
			r = c;
		}
	}
	for (size_t end = n; end > 1; end--) {
		struct gitstore_tree_entry t = e[0];
		e[0] = e[end - 1];
		e[end - 1] = t;
		size_t r = 0, m = end - 1;
		for (;;) {
			size_t c = 2 * r + 1;
			if (c >= m)
				break;
			if (c + 1 < m && gitstore_tree_entry_cmp(&e[c], &e[c + 1]) < 0)
				c++;
			if (gitstore_tree_entry_cmp(&e[r], &e[c]) >= 0)
				break;
			t = e[r];
			e[r] = e[c];
			e[c] = t;
			r = c;
		}
	}
}

static size_t mode_octal(uint32_t mode, uint8_t out[12])
{
	uint8_t d[12];
	size_t n = 0;
	do {
		d[n++] = (uint8_t)('0' + (mode & 7));
		mode >>= 3;
	} while (mode);
	for (size_t i = 0; i < n; i++)
		out[i] = d[n - 1 - i];
	return n;
}

int gitstore_tree_write(int algo, const struct gitstore_tree_entry *e, size_t n,
	uint8_t *buf, size_t cap, size_t *needed)
{
	size_t idl = gitstore_hash_len(algo), total = 0;
	if (idl == 0)
		return GITSTORE_EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint8_t m[12];
		if (e[i].name.len == 0)
			return GITSTORE_ETREE_EMPTY_NAME;
		if (memchr(e[i].name.p, '/', e[i].name.len) || memchr(e[i].name.p, 0, e[i].name.len))
			return GITSTORE_ETREE_SLASH;
		total += mode_octal(e[i].mode, m) + 1 + e[i].name.len + 1 + idl;
	}
	if (needed)
		*needed = total;
	if (total > cap)
		return GITSTORE_ENOMEM;
	if (total > INT32_MAX)
		return GITSTORE_ETOOBIG;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		o += mode_octal(e[i].mode, buf + o);
		buf[o++] = ' ';
		memcpy(buf + o, e[i].name.p, e[i].name.len);
		o += e[i].name.len;
		buf[o++] = 0;
		memcpy(buf + o, e[i].id.b, idl);
		o += idl;
	}
	/* Order and duplicates (also the non-consecutive ones) as fsck sees them. */
	int rc = gitstore_tree_check(algo, buf, o, 0);
	return rc < 0 ? rc : (int)o;
}

/* ---- the names fsck rejects ---- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* utf8.c pick_one_utf8_char: decode one code point; -1 if malformed. */
static long utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	if (*i >= len)
		return 0;
	const uint8_t *p = s + *i;
	size_t left = len - *i;
	long ch;
	size_t inc;
	if (p[0] < 0x80) {
		ch = p[0];
		inc = 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		if (left < 2 || (p[1] & 0xc0) != 0x80 || (p[0] & 0xfe) == 0xc0)
			return -1;
		ch = (long)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		inc = 2;
	} else if ((p[0] & 0xf0) == 0xe0) {
		if (left < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
			(p[0] == 0xe0 && (p[1] & 0xe0) == 0x80) ||
			(p[0] == 0xed && (p[1] & 0xe0) == 0xa0) ||
			(p[0] == 0xef && p[1] == 0xbf && (p[2] & 0xfe) == 0xbe))
			return -1;
		ch = (long)(p[0] & 0x0f) << 12 | (long)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		inc = 3;
	} else if ((p[0] & 0xf8) == 0xf0) {
		if (left < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
			(p[3] & 0xc0) != 0x80 || (p[0] == 0xf0 && (p[1] & 0xf0) == 0x80) ||
			(p[0] == 0xf4 && p[1] > 0x8f) || p[0] > 0xf4)
			return -1;
		ch = (long)(p[0] & 0x07) << 18 | (long)(p[1] & 0x3f) << 12 |
			(long)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		inc = 4;
	} else {
		return -1;
	}
	*i += inc;
	return ch;
}

/* utf8.c next_hfs_char: HFS+ ignores these code points when comparing names. */
static long hfs_next(const uint8_t *s, size_t len, size_t *i)
{
	for (;;) {
		long c = utf8_next(s, len, i);
		/* git reads malformed UTF-8 as the end of the name. */
		if (c < 0)
			return 0;
		switch (c) {
		case 0x200c: case 0x200d: case 0x200e: case 0x200f:
		case 0x202a: case 0x202b: case 0x202c: case 0x202d: case 0x202e:
		case 0x206a: case 0x206b: case 0x206c: case 0x206d: case 0x206e: case 0x206f:
		case 0xfeff:
			continue;
		default:
			return c;
		}
	}
}

/* utf8.c is_hfs_dot_generic: "." + needle, case-insensitively, ignorables skipped. */
static bool is_hfs_dot(const uint8_t *s, size_t len, const char *needle)
{
	size_t i = 0;
	if (hfs_next(s, len, &i) != '.')
		return false;
	for (; *needle; needle++) {
		long c = hfs_next(s, len, &i);
		if (c < 0 || c > 127 || lower((int)c) != *needle)
			return false;
	}
	long c = hfs_next(s, len, &i);
	return c == 0 || c == '/';
}

/* path.c only_spaces_and_periods: NTFS strips trailing spaces and dots. */
static bool ntfs_tail(const uint8_t *s, size_t len, size_t i, bool colon)
{
	for (; i < len; i++) {
		if (s[i] == '/' || s[i] == '\\' || (colon && s[i] == ':'))
			return true;
		if (s[i] != ' ' && s[i] != '.')
			return false;
	}
	return true;
}

/* path.c is_ntfs_dotgit: ".git" or its 8.3 short name "git~1". */
static bool is_ntfs_dotgit(const uint8_t *s, size_t len)
{
	if (len >= 4 && s[0] == '.' && lower(s[1]) == 'g' && lower(s[2]) == 'i' && lower(s[3]) == 't')
		return ntfs_tail(s, len, 4, false);
	if (len >= 5 && lower(s[0]) == 'g' && lower(s[1]) == 'i' && lower(s[2]) == 't' &&
		s[3] == '~' && s[4] == '1')
		return ntfs_tail(s, len, 5, false);
	return false;
}

static uint8_t at(const uint8_t *s, size_t len, size_t i)
{
	return i < len ? s[i] : 0;
}

/*
 * path.c is_ntfs_dot_generic: ".gitmodules", its short name "gitmod~N", and
 * the fall-back short name made of the prefix "gi7eba" (a hash git computed
 * once from NTFS's algorithm) and "~N".
 */
static bool is_ntfs_dotgitmodules(const uint8_t *s, size_t len)
{
	static const char name[] = "gitmodules", prefix[] = "gi7eba";
	if (len >= 11 && s[0] == '.') {
		size_t k = 0;
		while (k < 10 && lower(s[1 + k]) == name[k])
			k++;
		if (k == 10)
			return ntfs_tail(s, len, 11, true);
	}
	if (len >= 8) {
		size_t k = 0;
		while (k < 6 && lower(s[k]) == name[k])
			k++;
		if (k == 6 && s[6] == '~' && s[7] >= '1' && s[7] <= '4')
			return ntfs_tail(s, len, 8, true);
	}
	bool tilde = false;
	for (size_t i = 0; i < 8; i++) {
		uint8_t c = at(s, len, i);
		if (c == 0)
			return false;
		if (tilde) {
			if (c < '0' || c > '9')
				return false;
		} else if (c == '~') {
			c = at(s, len, ++i);
			if (c < '1' || c > '9')
				return false;
			tilde = true;
		} else if (i >= 6 || (c & 0x80) || lower(c) != prefix[i]) {
			return false;
		}
	}
	return ntfs_tail(s, len, 8, true);
}

static bool is_hfs_dotgitmodules(const uint8_t *s, size_t len)
{
	return is_hfs_dot(s, len, "gitmodules");
}

bool gitstore_int_name_is_dotgit(const uint8_t *s, size_t len)
{
	if (is_hfs_dot(s, len, "git") || is_ntfs_dotgit(s, len))
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\\' && is_ntfs_dotgit(s + i + 1, len - i - 1))
			return true;
	return false;
}

static bool gitmodules_name(const uint8_t *s, size_t len)
{
	if (is_hfs_dotgitmodules(s, len) || is_ntfs_dotgitmodules(s, len))
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\\' && is_ntfs_dotgitmodules(s + i + 1, len - i - 1))
			return true;
	return false;
}

static bool same_name(const struct gitstore_tree_entry *a, const struct gitstore_tree_entry *b)
{
	return a->name.len == b->name.len && memcmp(a->name.p, b->name.p, a->name.len) == 0;
}

static bool less_than_slash(int c)
{
	return c > 0 && c < '/';
}

/* Is b's name a's name followed by more? Then *next is the byte after. */
static bool name_prefix(const struct gitstore_tree_entry *pre, const struct gitstore_tree_entry *e, int *next)
{
	if (pre->name.len > e->name.len || memcmp(pre->name.p, e->name.p, pre->name.len) != 0)
		return false;
	*next = pre->name.len < e->name.len ? e->name.p[pre->name.len] : 0;
	return true;
}

/*
 * fsck.c verify_ordered. Non-consecutive duplicates ("x" file, "x.1", "x"
 * directory) are found with git's stack of candidate files; the stack here
 * has a fixed depth, and once it overflows, each directory that could hide a
 * duplicate is checked by rescanning the tree from the start (only hostile
 * trees get there, and the object size limit bounds the work).
 */
#define CAND_MAX 32
struct order_state {
	struct gitstore_tree_entry cand[CAND_MAX];
	size_t ncand;
	bool lossy;
};

enum { ORDER_OK, ORDER_UNSORTED, ORDER_DUP };

static int rescan_dup(int algo, const uint8_t *data, size_t upto, const struct gitstore_tree_entry *d)
{
	struct gitstore_tree_iter it;
	struct gitstore_tree_entry e;
	gitstore_tree_iter_init(&it, algo, data, upto);
	while (gitstore_tree_next(&it, &e) == 1)
		if (same_name(&e, d))
			return ORDER_DUP;
	return ORDER_OK;
}

static int verify_ordered(struct order_state *st, const struct gitstore_tree_entry *a,
	const struct gitstore_tree_entry *b, int algo, const uint8_t *data, size_t b_off)
{
	size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
	int c = memcmp(a->name.p, b->name.p, n);
	if (c < 0)
		return ORDER_OK;
	if (c > 0)
		return ORDER_UNSORTED;
	int c1 = n < a->name.len ? a->name.p[n] : 0;
	int c2 = n < b->name.len ? b->name.p[n] : 0;
	if (!c1 && !c2)
		return ORDER_DUP;
	if (!c1 && is_dir(a->mode))
		c1 = '/';
	if (!c2 && is_dir(b->mode))
		c2 = '/';
	if (!c1 && less_than_slash(c2)) {
		if (st->ncand == CAND_MAX) {
			memmove(st->cand, st->cand + 1, (CAND_MAX - 1) * sizeof st->cand[0]);
			st->ncand--;
			st->lossy = true;
		}
		st->cand[st->ncand++] = *a;
	} else if (c2 == '/' && less_than_slash(c1)) {
		while (st->ncand > 0) {
			struct gitstore_tree_entry f = st->cand[--st->ncand];
			int next;
			if (!name_prefix(&f, b, &next))
				continue;
			if (!next)
				return ORDER_DUP;
			if (less_than_slash(next)) {
				st->ncand++;
				break;
			}
		}
		if (st->lossy && rescan_dup(algo, data, b_off, b) == ORDER_DUP)
			return ORDER_DUP;
	}
	return c1 < c2 ? ORDER_OK : ORDER_UNSORTED;
}

int gitstore_tree_check(int algo, const uint8_t *data, size_t len, unsigned flags)
{
	bool strict = (flags & GITSTORE_CHECK_STRICT) != 0;
	bool null_id = false, slash = false, dot = false, dotdot = false, dotgit = false;
	bool zero_pad = false, bad_mode = false, dup = false, unsorted = false, modules_link = false;
	struct gitstore_tree_iter it;
	struct gitstore_tree_entry e, prev;
	struct order_state st;
	bool have_prev = false;
	st.ncand = 0;
	st.lossy = false;
	if (gitstore_hash_len(algo) == 0)
		return GITSTORE_EINVAL;
	gitstore_tree_iter_init(&it, algo, data, len);
	for (;;) {
		size_t off = it.off;
		int rc = gitstore_tree_next(&it, &e);
		if (rc == 0)
			break;
		if (rc < 0)
			return rc;
		const uint8_t *s = e.name.p;
		size_t n = e.name.len;
		null_id |= gitstore_oid_is_zero(&e.id);
		slash |= memchr(s, '/', n) != NULL;
		dot |= n == 1 && s[0] == '.';
		dotdot |= n == 2 && s[0] == '.' && s[1] == '.';
		dotgit |= gitstore_int_name_is_dotgit(s, n);
		zero_pad |= data[off] == '0';
		if (is_link(e.mode) && gitmodules_name(s, n))
			modules_link = true;
		switch (e.mode) {
		case GITSTORE_MODE_FILE: case GITSTORE_MODE_EXEC: case GITSTORE_MODE_LINK:
		case GITSTORE_MODE_DIR: case GITSTORE_MODE_GITLINK:
			break;
		default:
			bad_mode = true;
		}
		if (have_prev) {
			switch (verify_ordered(&st, &prev, &e, algo, data, off)) {
			case ORDER_UNSORTED: unsorted = true; break;
			case ORDER_DUP: dup = true; break;
			default: break;
			}
		}
		prev = e;
		have_prev = true;
	}
	/* In the order git reports them. */
	if (modules_link)
		return GITSTORE_ETREE_GITMODULES_LINK;
	if (strict) {
		if (null_id) return GITSTORE_ETREE_NULL_ID;
		if (slash) return GITSTORE_ETREE_SLASH;
		if (dot) return GITSTORE_ETREE_DOT;
		if (dotdot) return GITSTORE_ETREE_DOTDOT;
		if (dotgit) return GITSTORE_ETREE_DOTGIT;
		if (zero_pad) return GITSTORE_ETREE_MODE_PAD;
		if (bad_mode) return GITSTORE_ETREE_MODE;
	}
	if (dup)
		return GITSTORE_ETREE_DUP;
	if (unsorted)
		return GITSTORE_ETREE_ORDER;
	return 0;
}
