/* Private declarations of libdns: the bounded cursors, the RDATA descriptors. */
#ifndef DNS_INT_H
#define DNS_INT_H

#include <cloudlet/dns.h>
#include <limits.h>
#include <string.h>

/* Shared between this library's files, not part of its API: hidden, so the
 * shared library does not export it. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/*
 * The read cursor (libknot wire_ctx style). Every wire read of the library
 * goes through it: each read checks the bytes are there, and the first
 * failure sticks in err, so a sequence of reads can be checked once at the
 * end. base is the whole message (compression pointers are offsets into
 * it); end is how far in-place reads may go (the end of an RDATA while
 * reading one, else the message length).
 */
struct dns_rd {
	const uint8_t *base;
	size_t end;
	size_t pos;
	size_t msglen;   /* pointer targets must lie below this */
	bool in_msg;     /* false: no compression pointers at all */
	int trunc;       /* the error for running out of octets in place */
	int err;
};

static inline void dns_rd_init(struct dns_rd *c, const uint8_t *base, size_t len, bool in_msg)
{
	c->base = base;
	c->end = len;
	c->pos = 0;
	c->msglen = len;
	c->in_msg = in_msg;
	c->trunc = DNS_ETRUNC;
	c->err = 0;
}

static inline void dns_rd_fail(struct dns_rd *c, int err)
{
	if (!c->err)
		c->err = err;
}

static inline size_t dns_rd_left(const struct dns_rd *c)
{
	return c->err ? 0 : c->end - c->pos;
}

static inline bool dns_rd_need(struct dns_rd *c, size_t n)
{
	if (c->err)
		return false;
	if (c->end - c->pos < n) {
		c->err = c->trunc;
		return false;
	}
	return true;
}

static inline uint8_t dns_rd_u8(struct dns_rd *c)
{
	if (!dns_rd_need(c, 1))
		return 0;
	return c->base[c->pos++];
}

static inline uint16_t dns_rd_u16(struct dns_rd *c)
{
	if (!dns_rd_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->base[c->pos] << 8 | c->base[c->pos + 1]);
	c->pos += 2;
	return v;
}

static inline uint32_t dns_rd_u32(struct dns_rd *c)
{
	if (!dns_rd_need(c, 4))
		return 0;
	const uint8_t *p = c->base + c->pos;
	c->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline const uint8_t *dns_rd_take(struct dns_rd *c, size_t n)
{
	if (!dns_rd_need(c, n))
		return NULL;
	const uint8_t *p = c->base + c->pos;
	c->pos += n;
	return p;
}

/*
 * The write cursor: the same sticky error, DNS_ENOMEM when the buffer is
 * full. With p == NULL it only counts (used to measure and to check).
 */
struct dns_wr {
	uint8_t *p;
	size_t cap;
	size_t pos;
	int err;
};

static inline void dns_wr_init(struct dns_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : SIZE_MAX;
	w->pos = 0;
	w->err = 0;
}

static inline bool dns_wr_need(struct dns_wr *w, size_t n)
{
	if (w->err)
		return false;
	if (w->cap - w->pos < n) {
		w->err = DNS_ENOMEM;
		return false;
	}
	return true;
}

static inline void dns_wr_bytes(struct dns_wr *w, const void *src, size_t n)
{
	if (!dns_wr_need(w, n))
		return;
	if (w->p && n)
		memcpy(w->p + w->pos, src, n);
	w->pos += n;
}

static inline void dns_wr_u8(struct dns_wr *w, uint8_t v)
{
	dns_wr_bytes(w, &v, 1);
}

static inline void dns_wr_u16(struct dns_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	dns_wr_bytes(w, b, 2);
}

static inline void dns_wr_u32(struct dns_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	dns_wr_bytes(w, b, 4);
}

static inline void dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t dns_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* How a name inside RDATA is treated (RFC 3597 s4 and s7). */
enum dns_name_mode {
	DNS_NM_NOPTR = 0,   /* never compressed: a pointer is DNS_EPTR_FORBIDDEN */
	DNS_NM_DECOMP = 1,  /* decompressed on input, never compressed on output */
	DNS_NM_COMP = 2,    /* RFC 1035 types: compressed both ways */
};

/* Reads a (possibly compressed) name at the cursor into out; returns its
 * length, or 0 with c->err set. */
size_t dns_rd_name(struct dns_rd *c, uint8_t *out, enum dns_name_mode mode);

/* Label offsets of a name (at most 127); and canonical comparison of a
 * name whose offsets are known with another, for repeated searches. */
int dns_name_offsets(const uint8_t *name, uint8_t *off);
int dns_name_cmp_off(const uint8_t *a, const uint8_t *oa, int na, const uint8_t *b);

/* Kinds of RDATA fields. */
enum dns_fk {
	DNS_FK_END = 0,
	DNS_FK_NAME_C,   /* name, compressible (RFC 1035 types) */
	DNS_FK_NAME_D,   /* name, decompressed on input only (RFC 3597 s7) */
	DNS_FK_NAME_F,   /* name, never compressed (RRSIG, NSEC, SVCB) */
	DNS_FK_U8,
	DNS_FK_U16,
	DNS_FK_U32,
	DNS_FK_TTL,      /* u32, text may use units (1h30m) */
	DNS_FK_TIME,     /* u32 seconds, text YYYYMMDDHHmmSS (RFC 4034 3.2) */
	DNS_FK_U48,      /* (reserved for TSIG time signed) */
	DNS_FK_TYPE,     /* u16 type, text as mnemonic */
	DNS_FK_A,
	DNS_FK_AAAA,
	DNS_FK_STR,      /* one character-string */
	DNS_FK_STRS,     /* one or more character-strings to the end */
	DNS_FK_B64,      /* base64 to the end, at least one octet */
	DNS_FK_HEX,      /* hex to the end, at least one octet */
	DNS_FK_SALT,     /* u8 length + hex ("-" when empty), RFC 5155 3.3 */
	DNS_FK_HASH,     /* u8 length + base32hex, RFC 5155 3.3 */
	DNS_FK_BITMAP,   /* type bitmap to the end (RFC 4034 4.1.2), may be empty */
	DNS_FK_SVC,      /* SvcParams to the end (RFC 9460 2.2) */
	DNS_FK_CAATAG,   /* u8 length + tag (RFC 8659 4.1), text unquoted */
	DNS_FK_CAAVAL,   /* value to the end, text as one quoted string */
};

#define DNS_FIELDS_MAX 10

struct dns_rdesc {
	uint16_t type;
	char name[12]; /* held in place: the table needs no relocation */
	uint8_t f[DNS_FIELDS_MAX]; /* enum dns_fk, DNS_FK_END-terminated */
};

/* The descriptor of a type, or NULL for an opaque type (with or without a name). */
const struct dns_rdesc *dns_rdesc_get(uint16_t type);

/* The length of the non-name field of kind k at the cursor (checked:
 * DNS_ERDATA_SHORT, DNS_EBITMAP, DNS_ESVC_*), the cursor moved past it. */
size_t dns_rd_field(struct dns_rd *c, enum dns_fk k);

/* Base64 (RFC 4648 4), hex, base32hex (RFC 4648 7, no padding). Decoders
 * return the octet count or -1; encoders the characters written or -1. */
int dns_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap);
int dns_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int dns_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap);
int dns_b32hex_decode(const char *s, size_t len, uint8_t *out, size_t cap);
int dns_b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Seconds since 1970 <-> YYYYMMDDHHmmSS, for RRSIG times (RFC 4034 3.2). */
int dns_time_from_text(const char *s, size_t len, uint32_t *out);
void dns_time_to_text(uint32_t t, char out[15]);

/* SVCB key names (RFC 9460 14.3.2). */
const char *dns_svc_key_name(uint16_t key);
int dns_svc_key_from_text(const char *s, size_t len, uint16_t *key);

/* Zone-file parsing, shared by dns_zone.c (lines, entries, directives)
 * and dns_zrdata.c (RDATA fields). */
enum dns_ztk { DNS_ZTK_WORD, DNS_ZTK_EOL, DNS_ZTK_EOF, DNS_ZTK_NONE /* a position only */ };

struct dns_ztok {
	const char *s;   /* raw text, quotes and escapes as written */
	size_t len;
	unsigned line, col;
	uint8_t kind;    /* enum dns_ztk */
};

struct dns_zctx {
	struct dns_zparser *p;
	const struct dns_zopts *o;
	struct dns_zerror *err;
};

/* The next token of the current entry (EOL at its end); 0 or an error. */
int dns_z_next(struct dns_zctx *z, struct dns_ztok *t);
/* The next token without taking it. */
int dns_z_peek(struct dns_zctx *z, struct dns_ztok *t);
/* Records an error at t (or at the current position if t is NULL):
 * "FILE:LINE:COL: WHAT, got \"TOKEN\"". Returns code. */
int dns_z_fail(struct dns_zctx *z, int code, const struct dns_ztok *t, const char *what);
/* The origin of the file being read, or NULL. */
const uint8_t *dns_z_origin(struct dns_zctx *z);
/* Parses the RDATA of `type` from the tokens of the current entry into
 * z->p->priv.rdata; returns its length or an error. */
int dns_z_rdata(struct dns_zctx *z, uint16_t type);
/* A TTL with optional units (1w2d3h4m5s), at most 2^31-1 (RFC 2181 8). */
int dns_z_ttl(const char *s, size_t len, uint32_t *out);

/* Zone database layout in the arena (dns_zonedb.c). A record is stored
 * as rdlen u16, type u16, ttl u32, line u32, owner length u8, owner, RDATA,
 * padded to 4; the sorted index of record offsets sits at the arena's end. */
#define DNS_REC_RDLEN 0
#define DNS_REC_TYPE 2
#define DNS_REC_TTL 4
#define DNS_REC_LINE 8
#define DNS_REC_OWNLEN 12
#define DNS_REC_OWNER 13

enum { DNS_ZN_APEX = 1, DNS_ZN_DELEG = 2, DNS_ZN_WILD = 4 };

struct dns_znode {
	uint32_t name;        /* arena offset of the name (a suffix of some owner) */
	uint32_t set_first;   /* first RRset, sorted by type */
	uint16_t set_n;
	uint16_t flags;       /* DNS_ZN_* */
	uint32_t parent;      /* DNS_ZONE_NONE for the apex */
	uint32_t wild;        /* the node "*.this", or DNS_ZONE_NONE */
	uint32_t cut;         /* the delegation at or above this node, or NONE */
	uint32_t dname;       /* the DNAME at or above this node, or NONE */
};

struct dns_zset {
	uint16_t type;
	uint16_t n;
	uint32_t ttl;
	uint32_t first;       /* position in the sorted record index */
};

static inline const struct dns_znode *dns_zn(const struct dns_zone *z, uint32_t i)
{
	return (const struct dns_znode *)(const void *)(z->priv.arena + z->priv.nodes) + i;
}

static inline const struct dns_zset *dns_zs(const struct dns_zone *z, uint32_t i)
{
	return (const struct dns_zset *)(const void *)(z->priv.arena + z->priv.rrsets) + i;
}

static inline const uint8_t *dns_zname(const struct dns_zone *z, uint32_t node)
{
	return z->priv.arena + dns_zn(z, node)->name;
}

/* Node index of name, or DNS_ZONE_NONE with *pred the last node before it
 * in canonical order (pred may be NULL: then a hash lookup when the zone
 * has its table, a binary search otherwise). */
uint32_t dns_zone_find(const struct dns_zone *z, const uint8_t *name, uint32_t *pred);
/* The deepest node that is name or an ancestor of it (the closest
 * encloser of RFC 4592 3.3.1 when name does not exist); name must lie
 * inside the zone. The apex (0) when nothing deeper exists; *exact tells
 * whether the node is name itself. */
uint32_t dns_zone_encloser(const struct dns_zone *z, const uint8_t *name, bool *exact);
/* The RRset of type at node, or NULL. */
const struct dns_zset *dns_zone_set(const struct dns_zone *z, uint32_t node, uint16_t type);
/* The i-th record's RDATA of set s. */
const uint8_t *dns_zone_rdata(const struct dns_zone *z, const struct dns_zset *s, uint16_t i,
	uint16_t *rdlen);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* DNS_INT_H */
