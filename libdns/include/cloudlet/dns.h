/*
 * cloudlet/dns.h: libdns, DNS wire codec, zone files, zone database and authoritative engine.
 *
 * libdns encodes and decodes DNS messages (RFC 1035 and its successors), loads
 * zone files, and answers queries as an authoritative server.
 *
 * Ownership. Every object is a struct the caller owns: dns_X_init() sets
 * every field, dns_X_reset() reuses it, and nothing is ever freed because
 * nothing is ever allocated. Buffers, tables and arenas are lent by the caller
 * with their capacity and must outlive the object they are lent to. A full
 * table is an error the caller sees (DNS_ENOMEM), never a crash.
 *
 * Time and chance. Anything that can time out takes a monotonic uint64_t
 * now_ms; wall-clock time and random numbers are arguments too, so every run
 * is reproducible.
 *
 * Errors. Functions return int: 0 for success, a positive count where one is
 * meaningful, or a negative DNS_E* code; dns_strerror() names it.
 * DNS_EAGAIN ("need more input" or "would block") is never the same code as
 * a malformed input, and every kind of malformation has its own code, so a
 * test (or a log line) can say exactly what was wrong with a message.
 *
 * Names. Inside libdns a domain name is always held in uncompressed wire
 * form: a sequence of length-prefixed labels ending in the root label (a
 * zero octet), at most DNS_NAME_MAX (255) octets and 127 labels, each label
 * at most 63 octets. Case is preserved exactly as received or written;
 * every comparison is ASCII case-insensitive (RFC 4343). A `const uint8_t
 * *name` argument always points at such a name, already validated (by a
 * parser of this library or by dns_name_from_text()).
 *
 * RDATA. The "unpacked" form of RDATA is its wire form with every embedded
 * name uncompressed: what a zone file gives, what the zone database stores,
 * what DNSSEC signs (modulo case). dns_rdata_unpack() turns the RDATA of a
 * received message into it; the message writer turns it back into wire form,
 * compressing names only where RFC 3597 s4 allows (the RFC 1035 types).
 * Every typed RDATA is checked field by field against a descriptor per type;
 * types without a descriptor are opaque (RFC 3597).
 *
 * Reading messages. dns_msg_parse() checks a whole message once (header,
 * every question and record, every RDATA, EDNS rules) and records where each
 * section starts; afterwards dns_msg_next() walks the records without
 * failing. Parsed output points into the caller's buffer (zero copy) except
 * for owner names, which may be compressed and so are copied out.
 *
 * Writing messages. struct dns_msgw writes into a caller's buffer, sections
 * in order, compressing names through a caller-lent table of offsets. A
 * dns_msgw_mark() / dns_msgw_rewind() pair cuts a message back to an earlier
 * point (the last whole RRset when an answer does not fit), rewinding the
 * compression table with it.
 *
 * Zone files. dns_zone_parse() reads an RFC 1035 s5 master file held in a
 * caller's buffer, line by line (no recursion; $INCLUDE files are stacked in
 * the parser object, and only opened through a caller callback), and hands
 * every record in unpacked wire form to a caller callback. An error names the
 * file, line and column and says what was expected.
 *
 * Text. dns_rr_to_text() and dns_rdata_to_text() write the presentation
 * format that dns_zone_parse() reads, so text -> wire -> text round trips.
 *
 * Zones. A zone is built in an arena the caller lends (struct dns_zone):
 * records are added (straight from the zone-file parser), then
 * dns_zone_finish() sorts them once in canonical order, adds the empty
 * non-terminals, precomputes parents, wildcards and delegations, and runs
 * the zone checks; a zone that fails them serves nothing. A short arena is
 * DNS_ENOMEM with dns_zone_needed() telling the size that will do. A
 * finished zone is read-only, so any number of threads answer from it.
 *
 * Answers. dns_answer() is the authoritative server as a pure function:
 * query bytes in, response bytes out (or 0: drop), never failing on what a
 * client sends. Transport (UDP sockets, TCP framing, timeouts) lives above
 * it, in the daemon or a later part of this library.
 *
 * Room for later parts. TSIG (RFC 8945) needs the 48-bit time field kind
 * and the position of the TSIG record, which dns_msg_parse() records
 * (tsig_off, and DNS_ETSIG_POS when it is not last); AXFR walks a zone with
 * dns_zone_next() and writes several messages with struct dns_msgw; IXFR and
 * NOTIFY compare serials with dns_serial_cmp().
 */
#ifndef CLOUDLET_DNS_H
#define CLOUDLET_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DNS_VERSION "0.1.0"

/* Error codes: every negative return of this library is one of these. */
enum dns_err {
	DNS_OK = 0,
	DNS_EAGAIN = -1,   /* need more input, or the ops would block */
	DNS_ENOMEM = -2,   /* a caller-lent buffer, table or arena is full */
	DNS_EINVAL = -3,   /* an argument is out of range */
	DNS_EIO = -4,      /* the ops reported an error */
	DNS_EEOF = -5,     /* the peer closed the stream */
	DNS_ETIMEDOUT = -6,/* a deadline passed */
	/* Wire format: each malformation of a message has its own code. */
	DNS_ETRUNC = -7,        /* the message ends inside a field */
	DNS_ECOUNT = -8,        /* a section count names more records than the message holds */
	DNS_ETRAILING = -9,     /* octets after the last record the counts name */
	DNS_ELABEL_LEN = -10,   /* a label longer than 63 octets (length octet 64..127) */
	DNS_ELABEL_TYPE = -11,  /* label type 10 (reserved, RFC 1035 4.1.4) */
	DNS_ENAME_LEN = -12,    /* a name longer than 255 octets */
	DNS_EPTR_FORWARD = -13, /* a compression pointer to itself or further on */
	DNS_EPTR_LOOP = -14,    /* a pointer back into the name it is part of (a loop) */
	DNS_EPTR_HEADER = -15,  /* a pointer into the 12-octet header */
	DNS_EPTR_FORBIDDEN = -16, /* a pointer where compression is not allowed */
	DNS_ERDATA_SHORT = -17, /* the RDATA fields need more octets than RDLENGTH */
	DNS_ERDATA_LONG = -18,  /* octets left in RDATA after its last field */
	DNS_EBITMAP = -19,      /* malformed type bitmap (RFC 4034 4.1.2) */
	DNS_ESVC_ORDER = -20,   /* SvcParamKeys not strictly increasing (RFC 9460 2.2) */
	DNS_ESVC_VALUE = -21,   /* a SvcParamValue of the wrong size or form */
	DNS_EOPT_DUP = -22,     /* two OPT records (RFC 6891 6.1.1) */
	DNS_EOPT_SECTION = -23, /* OPT outside the additional section */
	DNS_EOPT_OWNER = -24,   /* OPT with an owner other than the root */
	DNS_EOPT_LEN = -25,     /* an EDNS option runs past the OPT RDATA */
	DNS_ETSIG_POS = -26,    /* TSIG not the last record (RFC 8945 5.1) */
	DNS_ESECTION = -27,     /* writer: a section written after a later one */
	DNS_ESTR_LEN = -28,     /* a character-string longer than 255 octets */
	/* Zone files (text): what the parser found instead of what it expected. */
	DNS_EZ_NAME = -29,      /* malformed domain name */
	DNS_EZ_TTL = -30,       /* malformed or out of range TTL */
	DNS_EZ_TYPE = -31,      /* unknown type mnemonic */
	DNS_EZ_NUMBER = -32,    /* malformed or out of range number */
	DNS_EZ_QUOTE = -33,     /* unterminated quoted string */
	DNS_EZ_ESCAPE = -34,    /* malformed \DDD escape */
	DNS_EZ_PAREN = -35,     /* unbalanced parentheses */
	DNS_EZ_MISSING = -36,   /* the record ends before its RDATA is complete */
	DNS_EZ_EXTRA = -37,     /* tokens left after the RDATA */
	DNS_EZ_NO_OWNER = -38,  /* a record without owner and no previous owner */
	DNS_EZ_NO_TTL = -39,    /* a record without TTL, no $TTL and no previous TTL */
	DNS_EZ_DIRECTIVE = -40, /* unknown $ directive */
	DNS_EZ_INCLUDE = -41,   /* $INCLUDE disabled, failed, or nested too deep */
	DNS_EZ_GENERIC = -42,   /* \# length does not match its hex data */
	DNS_EZ_ADDR = -43,      /* malformed IPv4 or IPv6 address */
	DNS_EZ_BASE64 = -44,    /* malformed base64 */
	DNS_EZ_HEX = -45,       /* malformed hex (or base32hex) */
	DNS_EZ_TIME = -46,      /* malformed YYYYMMDDHHmmSS time */
	DNS_EZ_SVC = -47,       /* malformed SVCB parameter */
	DNS_EZ_CLASS = -48,     /* class other than the zone's */
	DNS_EZ_RDLEN = -49,     /* RDATA longer than 65535 octets */
	DNS_ECAA_TAG = -50,     /* CAA tag empty or not letters and digits (RFC 8659 4.1) */
	/* Zone checks (a zone failing any of them is not loaded). */
	DNS_EZONE_OUTSIDE = -51,  /* a record outside the zone's origin */
	DNS_EZONE_NO_SOA = -52,   /* no SOA at the apex */
	DNS_EZONE_SOA = -53,      /* more than one SOA, or an SOA below the apex */
	DNS_EZONE_NO_NS = -54,    /* no NS at the apex */
	DNS_EZONE_CNAME = -55,    /* CNAME beside other data, or more than one CNAME */
	DNS_EZONE_BELOW_CUT = -56,/* data below a delegation other than glue */
	DNS_EZONE_STATE = -57,    /* the zone is not finished (or finished twice) */
	DNS_EZONE_DNAME = -58,    /* names below a DNAME, two DNAMEs, or DNAME with CNAME */
	/* Transport (UDP/TCP serving). */
	DNS_ETCP_SHORT = -59,   /* a TCP frame shorter than a DNS header */
	DNS_ETCP_LONG = -60,    /* a TCP frame longer than the query limit */
	DNS_ECLOSED = -61,      /* the connection was closed by its owner */
	/* Zone transfers, TSIG, NOTIFY (the xfr section below). */
	DNS_ESERIAL = -62,      /* a serial not greater than the one it must follow (RFC 1982) */
	DNS_ETSIG_NONE = -63,   /* no TSIG record where one is required */
	DNS_ETSIG_FORMERR = -64,/* TSIG record malformed: class not ANY, TTL not 0, bad fields */
	DNS_ETSIG_MACSIZE = -65,/* MAC size above the hash length or below RFC 8945 5.2.2.1's floor */
	DNS_ETSIG_BADKEY = -66, /* TSIG key or algorithm unknown (RFC 8945 5.2.1) */
	DNS_ETSIG_BADSIG = -67, /* TSIG MAC does not verify (RFC 8945 5.2.2) */
	DNS_ETSIG_BADTIME = -68,/* TSIG time signed outside the fudge (RFC 8945 5.2.3) */
	DNS_ETSIG_BADTRUNC = -69,/* TSIG MAC truncated below local policy (RFC 8945 5.2.4) */
	DNS_ETSIG_REJECTED = -70,/* the peer answered with a TSIG error */
	DNS_ETSIG_UNSIGNED = -71,/* over 99 unsigned messages, or a stream ends unsigned (RFC 8945 5.3.1) */
	DNS_EKEY_SYNTAX = -72,  /* key text malformed (expected NAME:ALG:BASE64 or a key clause) */
	DNS_EKEY_NAME = -73,    /* key name malformed */
	DNS_EKEY_ALG = -74,     /* unknown TSIG algorithm name */
	DNS_EKEY_UNSUPPORTED = -75, /* TSIG algorithm known but not supported (MD5, SHA-1, 224, 384) */
	DNS_EKEY_SECRET = -76,  /* key secret empty or not base64 */
	DNS_EKEY_SECRET_LEN = -77, /* key secret longer than DNS_TSIG_SECRET_MAX */
	DNS_EKEY_DUP = -78,     /* the same key name defined twice */
	DNS_EACL_SYNTAX = -79,  /* malformed access rule (ZONE=key=NAME or ZONE=ADDR[/LEN]) */
	DNS_EXFR_RCODE = -80,   /* a transfer or SOA response with an rcode other than NOERROR */
	DNS_EXFR_MISMATCH = -81,/* a response whose id, flags or question do not match the query */
	DNS_EXFR_FIRST = -82,   /* a transfer that does not start with the zone's SOA */
	DNS_EXFR_OUT_OF_ZONE = -83, /* a transferred record outside the zone */
	DNS_EXFR_TRAILING = -84,/* records after a transfer's final SOA */
	DNS_EXFR_CHAIN = -85,   /* IXFR serials that do not chain from ours to the final one */
	DNS_EXFR_DELETE = -86,  /* IXFR deletes a record the zone does not hold */
	DNS_EXFR_RR_SIZE = -87, /* a record that does not fit in one message */
	DNS_EXFR_SOA = -88,     /* SOA missing or malformed, or an AXFR's last SOA differs from its first */
	DNS_EXFR_INCOMPLETE = -89, /* the transfer ended before its final SOA */
	DNS_ENOTIFY = -90,      /* not a NOTIFY for one zone (RFC 1996 3.7) */
	DNS_ERR_MIN_ = -91      /* one below the lowest code */
};

/* The name of an error code, for logs: "DNS_ENOMEM: buffer full". Never NULL. */
const char *dns_strerror(int err);

/* The library's version string. */
const char *dns_version(void);

/* ---------------------------------------------------------------- constants */

#define DNS_NAME_MAX 255    /* octets, uncompressed, root label included */
#define DNS_LABEL_MAX 63
#define DNS_LABELS_MAX 127
#define DNS_HDR_LEN 12
#define DNS_RDATA_MAX 65535

/* Types (IANA registry). */
enum dns_type {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
	DNS_T_HINFO = 13, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28,
	DNS_T_SRV = 33, DNS_T_NAPTR = 35, DNS_T_DNAME = 39, DNS_T_OPT = 41,
	DNS_T_DS = 43, DNS_T_SSHFP = 44, DNS_T_RRSIG = 46, DNS_T_NSEC = 47,
	DNS_T_DNSKEY = 48, DNS_T_NSEC3 = 50, DNS_T_NSEC3PARAM = 51,
	DNS_T_TLSA = 52, DNS_T_SVCB = 64, DNS_T_HTTPS = 65,
	DNS_T_TKEY = 249, DNS_T_TSIG = 250, DNS_T_IXFR = 251, DNS_T_AXFR = 252,
	DNS_T_ANY = 255, DNS_T_CAA = 257
};

enum dns_class { DNS_C_IN = 1, DNS_C_CH = 3, DNS_C_HS = 4, DNS_C_NONE = 254, DNS_C_ANY = 255 };

/* Header flag bits of the 16-bit flags word (RFC 1035 4.1.1, RFC 4035). */
#define DNS_F_QR 0x8000u
#define DNS_F_AA 0x0400u
#define DNS_F_TC 0x0200u
#define DNS_F_RD 0x0100u
#define DNS_F_RA 0x0080u
#define DNS_F_AD 0x0020u
#define DNS_F_CD 0x0010u
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define DNS_RCODE(flags) ((flags) & 0xfu)

enum dns_opcode { DNS_OP_QUERY = 0, DNS_OP_IQUERY = 1, DNS_OP_STATUS = 2, DNS_OP_NOTIFY = 4, DNS_OP_UPDATE = 5 };

/* Response codes; above 15 they need EDNS (the high 8 bits go in OPT). */
enum dns_rcode {
	DNS_RC_NOERROR = 0, DNS_RC_FORMERR = 1, DNS_RC_SERVFAIL = 2, DNS_RC_NXDOMAIN = 3,
	DNS_RC_NOTIMP = 4, DNS_RC_REFUSED = 5, DNS_RC_YXDOMAIN = 6, DNS_RC_YXRRSET = 7,
	DNS_RC_NXRRSET = 8, DNS_RC_NOTAUTH = 9, DNS_RC_NOTZONE = 10,
	DNS_RC_BADVERS = 16, /* also BADSIG for TSIG (RFC 8945) */
	DNS_RC_BADKEY = 17, DNS_RC_BADTIME = 18
};

/* Message sections, in order. */
enum dns_section { DNS_S_QUESTION = 0, DNS_S_ANSWER = 1, DNS_S_AUTHORITY = 2, DNS_S_ADDITIONAL = 3 };

#define DNS_EDNS_DO 0x8000u  /* DO bit in the OPT flags (RFC 3225) */

/* ---------------------------------------------------------------- names */

/* The length in octets of a validated name, root label included. */
size_t dns_name_len(const uint8_t *name);

/* The number of labels of a validated name, the root not counted. */
int dns_name_labels(const uint8_t *name);

/* ASCII case-insensitive equality (RFC 4343). */
bool dns_name_equal(const uint8_t *a, const uint8_t *b);

/* Canonical order of RFC 4034 6.1: <0, 0 or >0 like memcmp. Labels compared
 * right to left, each as lowercased octets, a label sorting before any
 * longer label it is a prefix of. */
int dns_name_cmp(const uint8_t *a, const uint8_t *b);

/* True if name is parent or below it (case-insensitive). */
bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent);

/* Copies the name into out (lowercased); returns its length. out holds DNS_NAME_MAX. */
size_t dns_name_lower(uint8_t *out, const uint8_t *name);

/* Parses a name in presentation format (RFC 1035 5.1: \X and \DDD escapes)
 * into out (DNS_NAME_MAX octets). "@" is the origin; a name without a final
 * dot is relative to origin (which may be NULL: then relative names are an
 * error). Returns the wire length, or DNS_EZ_NAME, DNS_ELABEL_LEN,
 * DNS_ENAME_LEN, DNS_EZ_ESCAPE. */
int dns_name_from_text(uint8_t *out, const char *text, size_t len, const uint8_t *origin);

/* Writes the presentation form ("www.example.", "." for the root) with
 * special and non-printable octets escaped, NUL-terminated. Returns the
 * length without the NUL, or DNS_ENOMEM. 4*255+2 octets always suffice. */
int dns_name_to_text(const uint8_t *name, char *buf, size_t cap);

/* ---------------------------------------------------------------- types */

/* The mnemonic of a type ("AAAA"), or NULL if it has none (then TYPEnnn). */
const char *dns_type_name(uint16_t type);
/* Parses "AAAA", "aaaa" or "TYPE28"; returns 0 and sets *type, or DNS_EZ_TYPE. */
int dns_type_from_text(const char *text, size_t len, uint16_t *type);
/* "IN", "CH", "HS", "NONE", "ANY" or NULL. */
const char *dns_class_name(uint16_t rclass);
/* Parses "IN" or "CLASS1"; returns 0 and sets *rclass, or DNS_EZ_CLASS. */
int dns_class_from_text(const char *text, size_t len, uint16_t *rclass);
/* True if libdns knows the RDATA fields of this type (else it is opaque). */
bool dns_type_is_typed(uint16_t type);

/* ---------------------------------------------------------------- RDATA */

/* Checks RDATA of `type` found at msg[off, off+rdlen) of a message of msglen
 * octets, decompressing names where the type allows pointers (RFC 1035
 * types; RFC 3597 s7 for SRV, NAPTR, DNAME), and writes the unpacked form to
 * out (cap octets; out may be NULL to only check). Pass msg = the RDATA, off
 * 0, msglen = rdlen for RDATA outside a message: then every pointer is an
 * error. Returns the unpacked length or a DNS_E* code. */
int dns_rdata_unpack(const uint8_t *msg, size_t msglen, size_t off, uint16_t rdlen,
	uint16_t type, uint8_t *out, size_t cap);

/* Checks unpacked RDATA (no pointers allowed). 0 or a DNS_E* code. */
int dns_rdata_check(uint16_t type, const uint8_t *rdata, size_t rdlen);

/* ---------------------------------------------------------------- messages */

struct dns_hdr {
	uint16_t id;
	uint16_t flags;     /* QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode */
	uint16_t count[4];  /* QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT */
};

/* The EDNS0 OPT record of a message (RFC 6891 6.1.2). */
struct dns_edns {
	bool present;
	uint16_t udp_size;   /* the requestor's payload size as sent; RFC 6891
	                      * 6.2.5: treat values below 512 as 512 */
	uint8_t ext_rcode;   /* upper 8 bits of the 12-bit rcode */
	uint8_t version;     /* != 0: a server answers BADVERS (RFC 6891 6.1.3) */
	uint16_t flags;      /* DNS_EDNS_DO and the Z bits */
	const uint8_t *opts; /* the options, checked to fit, slice into the message */
	uint16_t optlen;
};

/* One question. */
struct dns_question {
	uint8_t name[DNS_NAME_MAX]; /* decompressed, case as received */
	uint16_t type;
	uint16_t qclass;
};

/* One resource record of a parsed message. */
struct dns_rr {
	uint8_t owner[DNS_NAME_MAX]; /* decompressed, case as received */
	uint8_t section;             /* enum dns_section */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;        /* raw, may hold compression pointers: use
	                              * dns_rdata_unpack(msg, len, rdoff, ...) */
	size_t rdoff;                /* offset of rdata in the message */
};

/* A message checked by dns_msg_parse(). */
struct dns_msg {
	const uint8_t *wire;
	size_t len;
	struct dns_hdr hdr;
	struct dns_question q;   /* the first question, if count[0] > 0 */
	struct dns_edns edns;
	size_t sect_off[4];      /* offset of each section's first entry */
	size_t opt_off;          /* offset of the OPT record, 0 if none */
	size_t tsig_off;         /* offset of the TSIG record, 0 if none */
	size_t end;              /* offset after the last record */
};

/* Parses and checks the whole message. On any return >= DNS_HDR_LEN octets
 * in, m->hdr holds the header (so an engine can answer FORMERR with the
 * right id even for a malformed message). Returns 0 or a specific DNS_E*
 * code. */
int dns_msg_parse(struct dns_msg *m, const uint8_t *buf, size_t len);

/* The 12-bit rcode: header rcode plus the OPT's extended bits. */
int dns_msg_rcode(const struct dns_msg *m);

/* Iterates over the records of a parsed message (answer, authority,
 * additional in order; the OPT record too). */
struct dns_msg_iter { size_t pos; uint8_t section; uint16_t left; };
void dns_msg_iter_init(const struct dns_msg *m, struct dns_msg_iter *it);
/* 1 and *rr filled, or 0 at the end. */
int dns_msg_next(const struct dns_msg *m, struct dns_msg_iter *it, struct dns_rr *rr);

/* Iterates over EDNS options: *pos starts at 0. 1 with code/data/len, 0 at
 * the end. Unknown codes are the caller's to ignore (RFC 6891 6.1.2). */
int dns_edns_next(const struct dns_edns *e, size_t *pos, uint16_t *code,
	const uint8_t **data, uint16_t *len);

/* The message writer. buf, cap, len and err may be read (cap lowered to
 * keep room, e.g. for an OPT record); priv is the writer's own. */
struct dns_msgw {
	uint8_t *buf;
	size_t cap;        /* writes beyond cap fail with DNS_ENOMEM */
	size_t len;
	int err;           /* first error, sticky until a rewind */
	struct {
		uint16_t *ctab;    /* compression table: offsets of names written */
		size_t ctab_cap;
		size_t ctab_n;
		uint16_t count[4];
		uint8_t section;   /* the section being written */
	} priv;
};

/* A point to come back to: dns_msgw_mark() takes it, dns_msgw_rewind()
 * restores the message, counts and compression table as they were. */
struct dns_msgw_mark { struct { size_t len; size_t ctab_n; uint16_t count[4]; uint8_t section; } priv; };

/* Starts a message in buf (cap octets, at least DNS_HDR_LEN) with the given
 * id and flags; ctab (ctab_cap entries, may be 0) is the compression table.
 * A full table only means less compression, never an error. */
int dns_msgw_init(struct dns_msgw *w, uint8_t *buf, size_t cap, uint16_t *ctab,
	size_t ctab_cap, uint16_t id, uint16_t flags);
/* Changes the header flags (rcode included) at any time. */
void dns_msgw_set_flags(struct dns_msgw *w, uint16_t flags);
/* Writes a question (compressing its name as a target for later names). */
int dns_msgw_question(struct dns_msgw *w, const uint8_t *name, uint16_t type, uint16_t qclass);
/* Writes a record with unpacked RDATA in `section` (not before the
 * current one: DNS_ESECTION). Names in RDATA are compressed only for the
 * RFC 1035 types (RFC 3597 s4). DNS_ENOMEM if it does not fit: then the
 * writer stays failed until dns_msgw_rewind(). */
int dns_msgw_rr(struct dns_msgw *w, uint8_t section, const uint8_t *owner, uint16_t type,
	uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);
/* Writes the OPT record in the additional section: udp_size, the high 8
 * bits of a 12-bit rcode, version, flags (DNS_EDNS_DO), raw options. */
int dns_msgw_opt(struct dns_msgw *w, uint16_t udp_size, uint8_t ext_rcode, uint8_t version,
	uint16_t flags, const uint8_t *opts, uint16_t optlen);
void dns_msgw_mark(const struct dns_msgw *w, struct dns_msgw_mark *mark);
void dns_msgw_rewind(struct dns_msgw *w, const struct dns_msgw_mark *mark);
/* Writes the counts into the header; returns the message length or the
 * writer's first error. */
int dns_msgw_finish(struct dns_msgw *w);

/* ---------------------------------------------------------------- text */

/* Writes RDATA (unpacked) in presentation format, NUL-terminated; opaque
 * types as "\# len hex" (RFC 3597 s5). Returns the length or DNS_ENOMEM,
 * or a DNS_E* code if the RDATA does not match its type. */
int dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t rdlen, char *buf, size_t cap);

/* Writes "owner TTL CLASS TYPE RDATA" (tab separated, no newline). */
int dns_rr_to_text(const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
	const uint8_t *rdata, size_t rdlen, char *buf, size_t cap);

/* ---------------------------------------------------------------- zone files */

/* One record of a zone file, in unpacked wire form, valid during the callback. */
struct dns_zrr {
	const uint8_t *owner;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
	const char *file;    /* where it was read: for the caller's own checks */
	unsigned line;
};

/* Where and why parsing stopped. msg is the caller's buffer (see
 * dns_zopts), e.g. "expected a TTL, class or type, got \"x\"". */
struct dns_zerror {
	int code;
	const char *file;
	unsigned line;      /* 1-based */
	unsigned col;       /* 1-based, in octets */
	char *msg;
};

struct dns_zopts {
	const char *file;          /* name used in errors; the text is lent apart */
	const uint8_t *origin;     /* initial $ORIGIN (wire), NULL for none */
	uint32_t default_ttl;      /* used when no $TTL and no previous TTL; */
	bool have_default_ttl;     /* ...if this is true */
	uint16_t rclass;           /* the zone's class, usually DNS_C_IN */
	/* Receives every record; a negative return stops the parse with it. */
	int (*rr)(void *ctx, const struct dns_zrr *rr);
	void *rr_ctx;
	/* $INCLUDE: NULL disables it (DNS_EZ_INCLUDE). Else it gets the path as
	 * written and returns 0 with the file's text (lent until dns_zone_parse
	 * returns) and a name for errors, or a negative code. */
	int (*include)(void *ctx, const char *path, size_t pathlen,
		const uint8_t **text, size_t *len, const char **file);
	void *include_ctx;
	char *errmsg;              /* the error message goes here */
	size_t errcap;
};

#define DNS_ZONE_INCLUDE_DEPTH 8

/* One file being read: the top-level text or an $INCLUDEd one. */
struct dns_zinput {
	const uint8_t *text;
	size_t len;
	size_t pos;
	size_t line_start;
	unsigned line;
	int paren;                   /* open parentheses (RFC 1035 5.1) */
	const char *file;
	uint8_t origin[DNS_NAME_MAX]; /* $ORIGIN is per file (RFC 1035 5.1) */
	bool have_origin;
};

/* The parser's state: large (a full RDATA buffer and a token buffer), so
 * keep it static or in an arena; caller-owned, no pointers into itself. */
struct dns_zparser {
	struct {
		struct dns_zinput in[DNS_ZONE_INCLUDE_DEPTH + 1];
		int depth;
		uint8_t owner[DNS_NAME_MAX];
		bool have_owner;
		uint32_t ttl;                /* $TTL */
		uint32_t last_ttl;           /* the last explicit TTL (RFC 1035 5.1) */
		bool have_ttl, have_last_ttl;
		bool have_peek;
		struct { const char *s; size_t len; unsigned line, col; uint8_t kind; } peek;
		uint8_t rdata[DNS_RDATA_MAX];
		char buf[DNS_RDATA_MAX * 2 + 8]; /* hex, base64 and strings joined from tokens */
		uint8_t bits[8192];              /* one bit per type for NSEC bitmaps */
		size_t count;
	} priv;
};

/* Parses a zone file held in text[0, len) (the whole file: mapped or read
 * by the caller), calling opts->rr for each record. Returns the number of
 * records, or a DNS_E* code with *err filled. The parser walks the text
 * line by line without recursion and keeps no pointer into itself. */
int dns_zone_parse(struct dns_zparser *p, const struct dns_zopts *opts,
	const uint8_t *text, size_t len, struct dns_zerror *err);

/* ---------------------------------------------------------------- zones */

/*
 * A zone lives in an arena the caller lends. Loading takes three calls:
 * dns_zone_init(), dns_zone_add() for every record (dns_zone_add_cb fits
 * dns_zopts.rr, so the zone-file parser feeds it directly), and
 * dns_zone_finish(), which sorts the records in canonical order, merges
 * RRsets, adds the empty non-terminals, precomputes each node's parent,
 * wildcard child and enclosing delegation, builds a case-insensitive hash
 * table of the names (so a lookup, and the closest encloser of a name that
 * does not exist, costs a few probes whatever the zone's size), and checks
 * the zone (SOA and NS at the apex, CNAME alone, only glue below a
 * delegation, nothing outside the origin). A zone that fails a check is not
 * usable. When the arena is short, dns_zone_add() keeps counting and
 * dns_zone_finish() returns DNS_ENOMEM; dns_zone_needed() then tells an
 * arena size that will do (the hash table included: a zone whose arena
 * holds everything else but not the table works, with binary searches).
 * The finished zone is read-only: any number of threads may answer from it.
 */
#define DNS_ZONE_NONE 0xffffffffu
#define DNS_ZONE_FILES 16   /* files named in zone errors; later ones show as NULL */

struct dns_zone {
	struct {
		uint8_t *arena;
		size_t cap;
		size_t front;        /* records grow up from 0 */
		size_t back;         /* their index grows down from cap */
		size_t need;         /* bytes a big enough arena needs */
		uint32_t nrec;
		uint32_t nnodes, nrrsets;
		size_t nodes, rrsets; /* arena offsets */
		size_t hash;         /* arena offset of the name hash table */
		uint32_t nhash;      /* its slots; 0: none, lookups search */
		uint8_t origin[DNS_NAME_MAX];
		int state;           /* 0 loading, 1 finished, <0 failed */
		bool full;           /* a record did not fit: only counting now */
		const char *files[DNS_ZONE_FILES]; /* where records came from, for errors */
		uint8_t nfiles;
	} priv;
};

/* Where a zone check failed. */
struct dns_zone_err {
	int code;
	uint8_t name[DNS_NAME_MAX]; /* the owner at fault */
	uint16_t type;
	const char *file;           /* the record's file (struct dns_zrr.file), or NULL */
	unsigned line;              /* the record's line in its file, 0 if none */
};

/* File names given with the records (struct dns_zrr.file) must stay valid
 * until dns_zone_finish() returns: its errors point at them. */
int dns_zone_init(struct dns_zone *z, const uint8_t *origin, void *arena, size_t cap);
/* 0, or DNS_EZONE_OUTSIDE / DNS_EZONE_STATE / DNS_EINVAL (fills *err if given). */
int dns_zone_add(struct dns_zone *z, const struct dns_zrr *rr, struct dns_zone_err *err);
/* dns_zopts.rr callback: ctx is the struct dns_zone. */
int dns_zone_add_cb(void *zone, const struct dns_zrr *rr);
/* 0 or a DNS_E* code with *err telling where. */
int dns_zone_finish(struct dns_zone *z, struct dns_zone_err *err);
/* An arena size that holds the zone as added so far. */
size_t dns_zone_needed(const struct dns_zone *z);
const uint8_t *dns_zone_origin(const struct dns_zone *z);
/* Number of nodes (names with data, and empty non-terminals) and RRsets. */
uint32_t dns_zone_nodes(const struct dns_zone *z);

/* A read-only view of one RRset of a finished zone. */
struct dns_rrset {
	const uint8_t *owner;   /* as written in the zone file */
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	struct { const struct dns_zone *z; uint32_t first; } priv;
};
/* 1 and *set filled if name has an RRset of type, 0 if not. */
int dns_zone_get(const struct dns_zone *z, const uint8_t *name, uint16_t type, struct dns_rrset *set);
/* The i-th record of a set: its unpacked RDATA. */
const uint8_t *dns_rrset_rdata(const struct dns_rrset *set, uint16_t i, uint16_t *rdlen);

/* Walks every RRset of a finished zone in canonical order (owner, then
 * type): the order AXFR sends and DNSSEC signs. it starts zeroed. */
struct dns_zone_iter { uint32_t node; uint16_t set; };
/* 1 and *set filled, or 0 at the end. */
int dns_zone_next(const struct dns_zone *z, struct dns_zone_iter *it, struct dns_rrset *set);
/* The SOA serial of a finished zone (0 if not finished). */
uint32_t dns_zone_serial(const struct dns_zone *z);

/* RFC 1982 serial comparison: dns_serial_cmp() in the xfr section below. */

/* ---------------------------------------------------------------- answers */

struct dns_answer_opts {
	bool tcp;            /* else UDP: answers truncated to fit (RFC 1035 4.2.1, RFC 6891 6.2.5) */
	uint16_t udp_max;    /* the server's UDP payload limit; 0 means 1232 */
};

/*
 * The authoritative algorithm (RFC 1034 4.3.2, RFC 2308, RFC 4592, RFC 6672
 * DNAME, RFC 8482 ANY) as a pure function: a query in, the response written
 * to out (cap octets, at least 512) with ctab as compression table. The zone
 * with the longest origin containing the name answers; none: REFUSED.
 * Pre-signed zones: with DO, RRSIGs follow the RRsets they cover and
 * NSEC-signed zones give the denial proofs of RFC 4035 3.1.3 (NSEC3 proofs
 * are not made). UDP answers fit 512 octets without EDNS, else
 * min(client, udp_max); a cut never splits an RRset and sets TC when the
 * answer or authority lost data. Returns the response length, 0 when the
 * query must be dropped (QR set, shorter than a header), or a negative
 * DNS_E* code for a caller error (cap < 512).
 */
int dns_answer(const struct dns_zone *const *zones, size_t nzones,
	const uint8_t *query, size_t qlen, uint8_t *out, size_t cap,
	uint16_t *ctab, size_t ctab_cap, const struct dns_answer_opts *opts);

/* ================================================================ transport
 *
 * Serving DNS over UDP and TCP (RFC 1035 4.2, RFC 7766), sans I/O: the
 * library reads and writes through the caller's stream and datagram ops and
 * takes now_ms, and the answering itself is a callback (dns_answer_fn), so
 * the transport knows nothing of how zones are stored.
 *
 * UDP. dns_udp_answer() turns one query datagram into one response (or
 * none). The response must fit the size the client can take: 512 octets
 * without EDNS (RFC 1035 4.2.1), else the client's advertised payload size
 * (never below 512, RFC 6891 6.2.5) capped by the server's limit
 * (dns_srv.udp_max, default 1232: DNS flag day 2020). A callback that knows
 * its RRsets may truncate by itself to dns_req.limit (dns_msgw_mark and
 * dns_msgw_rewind); one that does not may write the whole answer, and the
 * transport cuts it back with dns_msg_truncate(): whole RRsets only, the OPT
 * record kept, TC set (RFC 2181 9). dns_udp_serve() does the same over
 * datagram ops, for platforms without batches.
 *
 * TCP. struct dns_tcp is one connection over stream ops, with an input and
 * an output buffer lent by the caller. Each message is framed by a two-octet
 * length (RFC 1035 4.2.2). Queries may be pipelined; they are answered one
 * by one, strictly in the order they came (RFC 7766 6.2.1.1 allows
 * reordering, this server does not). The input buffer bounds the query size
 * (with dns_srv.tcp_query_max), the output buffer the output a slow reader
 * can make the server hold: while it is full, the connection stops reading.
 * A frame shorter than a DNS header or longer than the limit closes that
 * connection, and only it (after the answers already written are sent). A
 * connection with no byte moved for dns_srv.tcp_idle_ms is closed (RFC 7766
 * 6.2.3); dns_tcp_next_deadline() says when to poll it again.
 *
 * Multi-message answers (AXFR, RFC 5936 2.2) are left room for: over TCP a
 * callback may set dns_req.more to be called again for the same query, with
 * dns_req.seq counting the messages and dns_req.cont holding its own state.
 * dns_req.peer and dns_req.transport are what transfer ACLs look at (AXFR
 * only over TCP). A TSIG-signed answer (RFC 8945 5.3) must be cut to
 * dns_req.limit by the callback before it is signed: dns_msg_truncate()
 * drops a TSIG record rather than send a wrong MAC.
 */

/* An I/O vector with the layout of struct iovec. */
struct dns_iov {
	const void *base;
	size_t len;
};

/* A peer address: family 4 or 6, port in host order, ip in network order
 * (an IPv4 address in ip[0..3]). */
struct dns_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};

/* Stream ops (TCP). cap, len and the iov total are never 0. recv: >0 octets
 * read, 0 would block, -1 peer EOF, -2 any other error. send/sendv: >0
 * octets taken (short writes are normal), 0 would block, -2 error. close
 * ends the stream; libdns calls it exactly once per connection. */
struct dns_stream_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap);
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	int (*sendv)(void *ctx, const struct dns_iov *iov, int iovcnt);
	void (*close)(void *ctx);
};

/* Datagram ops (UDP): whole messages. recv: >0 the datagram's length (a
 * longer one is dropped by the platform), 0 none waiting, -2 error. send:
 * >0 len, 0 would block, -2 error. */
struct dns_datagram_ops {
	int (*recv)(void *ctx, uint8_t *buf, size_t cap, struct dns_addr *from);
	int (*send)(void *ctx, const uint8_t *buf, size_t len, const struct dns_addr *to);
};

enum dns_transport { DNS_TR_UDP = 0, DNS_TR_TCP = 1 };

/* One query handed to the answer callback. */
struct dns_req {
	const uint8_t *wire;        /* the query as received */
	size_t len;
	uint8_t transport;          /* enum dns_transport */
	const struct dns_addr *peer;/* NULL when the transport has none */
	uint64_t now_ms;
	size_t limit;               /* the response must fit in this many
	                             * octets; a longer one is cut back by
	                             * dns_msg_truncate() */
	/* TCP only: a callback sets more to be called again for the next
	 * message of the same answer (seq 1, 2, ...); cont is its own, zero at
	 * seq 0 and kept between calls. */
	uint32_t seq;
	bool more;
	uint64_t cont[2];
	struct {
		struct dns_msg *msg;    /* the transport's, filled on demand */
		int parse_err;
		bool parsed;
	} priv;
};

/* The query parsed by dns_msg_parse(), parsed on the first call only (the
 * transport itself parses a query only when it must: an engine that parses
 * by itself, like dns_answer(), pays for one parse). *err (may be NULL)
 * gets the parse result: 0, or why the query is malformed; the header is
 * valid whenever len >= DNS_HDR_LEN. */
const struct dns_msg *dns_req_msg(struct dns_req *req, int *err);

/*
 * The answer callback: writes the response to req into out (cap octets,
 * cap >= DNS_HDR_LEN) and returns its length; 0 to send nothing (queries
 * with QR set, for one); DNS_ENOMEM when it does not fit in cap (then it is
 * called again, with more room or a scratch buffer: it must not have
 * changed req->cont); any other negative code drops the query (UDP) or
 * closes the connection (TCP). A callback may instead cut its answer to
 * cap itself and set TC (dns_answer() does): over TCP, such an answer
 * written while earlier output is pending is taken as DNS_ENOMEM and asked
 * again once the output has drained, so TCP answers are cut only when they
 * exceed the whole output buffer.
 */
typedef int (*dns_answer_fn)(void *ctx, struct dns_req *req, uint8_t *out, size_t cap);

#define DNS_UDP_MAX_DEFAULT 1232  /* octets, an EDNS answer's default limit */
#define DNS_UDP_MIN 512           /* RFC 1035 4.2.1 */
#define DNS_TCP_IDLE_DEFAULT 10000 /* ms; RFC 7766 6.2.3 wants seconds, not minutes */
#define DNS_MSG_MAX 65535         /* the largest message (TCP framing) */
/* The scratch buffer of a dns_srv, and the input/output buffer size that
 * never limits a TCP connection (frame length + largest message). */
#define DNS_SCRATCH_SIZE DNS_MSG_MAX
#define DNS_TCP_BUFSIZE (2 + DNS_MSG_MAX)

/* What a server needs to answer, shared by its UDP socket and its TCP
 * connections (one per event loop: the scratch buffer is written). */
struct dns_srv {
	dns_answer_fn answer;
	void *answer_ctx;
	uint16_t udp_max;       /* 512..65535: EDNS answers are cut to this */
	uint16_t tcp_query_max; /* 12..65535: longer TCP frames close the connection */
	uint32_t tcp_idle_ms;   /* 0: no idle timeout */
	/* Counters, for the caller's statistics. */
	uint64_t answered;      /* responses produced */
	uint64_t truncated;     /* of those, cut back by the transport */
	uint64_t dropped;       /* queries that got no response */
	struct {
		uint8_t *scratch;   /* DNS_SCRATCH_SIZE octets, lent */
		size_t scratch_cap;
	} priv;
};

/* Sets every field: the callback, its ctx, the default limits, and the
 * scratch buffer (scratch_cap >= DNS_SCRATCH_SIZE, else DNS_EINVAL) where an
 * answer too large for its destination is written before being cut. */
int dns_srv_init(struct dns_srv *s, dns_answer_fn answer, void *ctx, uint8_t *scratch,
	size_t scratch_cap);

/* The size a UDP response to m must fit (see above); 512 for a query
 * that did not parse (parse_err != 0). */
size_t dns_udp_limit(const struct dns_srv *s, const struct dns_msg *m, int parse_err);

/* The same for the query in q[0, len), without a full parse when it has
 * the usual shape (one question, no answer or authority records, at most
 * an OPT record, every name uncompressed): the OPT's payload size is read
 * in place. Other queries are parsed. */
size_t dns_udp_query_limit(const struct dns_srv *s, const uint8_t *q, size_t len);

/*
 * Cuts the response in[0, len) to at most limit octets (RFC 2181 9): the
 * header, the question and the longest run of whole RRsets that fits (an
 * RRSIG goes with the RRset before it if it covers its type), plus the OPT
 * record, moved to the end if it was cut off. TC is set when an answer or
 * authority RRset was left out, or in-domain glue of a referral (RFC 9471
 * 3); leaving out other additional records does not set it. A TSIG record
 * is dropped (a truncated message must be signed again). out may be in.
 * The result always parses: where a kept name's labels lie in the part
 * cut off (a pointer backwards to labels that run on past it), only the
 * question and OPT are kept, with TC. Returns the new length (len itself,
 * copied, if it already fits), DNS_ENOMEM if not even the header and
 * question fit, DNS_ETRUNC if no shorter message parses, or the message's
 * parse error.
 */
int dns_msg_truncate(const uint8_t *in, size_t len, uint8_t *out, size_t limit);

/* Answers one query datagram: out (cap octets, at least 512; at least
 * udp_max to never need the scratch buffer) receives the response. Returns
 * its length, 0 for no response, or a negative code (no response). */
int dns_udp_answer(struct dns_srv *s, const uint8_t *query, size_t len,
	const struct dns_addr *peer, uint8_t *out, size_t cap, uint64_t now_ms);

/* Receives up to max datagrams over ops into qbuf (qcap octets; a query
 * longer is dropped by the platform) and sends each response from rbuf
 * (rcap octets). A response the socket cannot take now is dropped (UDP
 * clients retry). Returns the number of datagrams received (0: none was
 * waiting), or DNS_EIO if the ops failed. */
int dns_udp_serve(struct dns_srv *s, const struct dns_datagram_ops *ops, void *ctx,
	uint8_t *qbuf, size_t qcap, uint8_t *rbuf, size_t rcap, unsigned max, uint64_t now_ms);

/* What a connection waits for: the caller sets its readiness interest.
 * DNS_WANT_AGAIN: work is ready without any I/O (the poll stopped to be
 * fair to other connections): call dns_tcp_poll() again soon. On a
 * level-triggered loop, CL_WRITE interest does that; on an edge-triggered
 * or simulated one, schedule a call. */
#define DNS_WANT_READ 0x1
#define DNS_WANT_WRITE 0x2
#define DNS_WANT_AGAIN 0x4

/* Queries answered per dns_tcp_poll() call, so that one connection's
 * pipeline cannot starve the others (the poll asks to be called again). */
#define DNS_TCP_BURST 32

/* One TCP connection. Caller-owned; everything under priv is libdns's. */
struct dns_tcp {
	uint64_t answered;  /* responses queued so far */
	struct {
		struct dns_srv *srv;
		const struct dns_stream_ops *ops;
		void *ctx;
		struct dns_addr peer;
		bool have_peer;
		uint8_t *ibuf;
		size_t icap, ihead, ilen;  /* unconsumed input: ibuf[ihead, ilen) */
		uint8_t *obuf;
		size_t ocap, ohead, olen;  /* pending output: obuf[ohead, olen) */
		uint64_t last_ms;          /* last byte moved, for the idle timeout */
		int err;                   /* first error: stop reading, drain, close */
		bool eof;                  /* the peer shut its side down */
		bool closed;               /* ops->close called */
		bool wait_drain;           /* the next answer needs the whole buffer */
		uint32_t seq;              /* multi-message answer in progress */
		uint64_t cont[2];
	} priv;
};

/*
 * Starts a connection over ops/ctx from peer (may be NULL), with ibuf
 * (icap octets: at least 2 + DNS_HDR_LEN; 2 + the longest query accepted)
 * and obuf (ocap octets, at least 2 + 512; DNS_TCP_BUFSIZE never cuts an
 * answer, smaller buffers cut answers longer than ocap - 2 with TC).
 * Returns 0 or DNS_EINVAL.
 */
int dns_tcp_init(struct dns_tcp *c, struct dns_srv *srv, const struct dns_stream_ops *ops,
	void *ctx, const struct dns_addr *peer, uint8_t *ibuf, size_t icap, uint8_t *obuf,
	size_t ocap, uint64_t now_ms);

/*
 * Does all the connection can do now: sends pending output, reads, answers
 * complete queries in order (at most DNS_TCP_BURST), and checks the idle
 * timeout. Returns the interest (DNS_WANT_READ | DNS_WANT_WRITE |
 * DNS_WANT_AGAIN) to wait for, then call again (and at
 * dns_tcp_next_deadline()); or, once the
 * connection is over, a negative code: DNS_EEOF (the peer closed, every
 * answer sent), DNS_ETIMEDOUT (idle), DNS_EIO (the ops failed),
 * DNS_ETCP_SHORT / DNS_ETCP_LONG (a malformed frame), or the callback's
 * error. ops->close has then been called, exactly once, and every later
 * call returns the same code.
 */
int dns_tcp_poll(struct dns_tcp *c, uint64_t now_ms);

/* When dns_tcp_poll() must be called even without readiness (the idle
 * timeout); UINT64_MAX once closed or without a timeout. */
uint64_t dns_tcp_next_deadline(const struct dns_tcp *c);

/* Ends the connection now (server shutdown): calls ops->close if not yet
 * done; later polls return DNS_ECLOSED unless it had ended already. */
void dns_tcp_close(struct dns_tcp *c);

/* ============================================================ end transport */

/* ================================================================ xfr
 * Zone transfers (AXFR RFC 5936, IXFR RFC 1995), TSIG (RFC 8945), NOTIFY
 * (RFC 1996), serial arithmetic (RFC 1982) and the secondary's timers.
 *
 * Everything here is sans-I/O: generators fill caller buffers with whole
 * DNS messages (the caller adds the 2-octet TCP length and sends them),
 * parsers take whole received messages, state machines take now_ms and
 * say when they next need to run. Wall-clock seconds (TSIG's Time Signed)
 * are a separate argument, now_s.
 *
 * Zone contents cross this API as record sources (struct dns_rr_src): a
 * callback that yields one record at a time in unpacked wire form, so the
 * generators do not depend on how a zone database stores its data. The
 * secondary keeps the copy it serves from in a struct dns_xset, a flat
 * sorted record set in a caller-lent arena; a transfer is received into a
 * second xset and only a complete, checked transfer becomes the new copy
 * (the caller swaps the two), so a transfer that fails midway changes
 * nothing.
 * ================================================================ */

/* ---------------------------------------------------------------- serials */

/* RFC 1982 3.2: serials compare on a circle of 2^32: <0, 0 or >0 as a is
 * before, equal to or after b. Two serials exactly 2^31 apart have no
 * defined order: DNS_SERIAL_UNDEF (> 0, so a plain sign test counts it as
 * "after"), and dns_serial_gt() says neither is greater. */
enum dns_serial_order { DNS_SERIAL_LT = -1, DNS_SERIAL_EQ = 0, DNS_SERIAL_GT = 1, DNS_SERIAL_UNDEF = 2 };
int dns_serial_cmp(uint32_t a, uint32_t b);
/* a > b in RFC 1982 terms (false when undefined). */
bool dns_serial_gt(uint32_t a, uint32_t b);
/* RFC 1982 3.1: s + n for n in [0, 2^31 - 1]; DNS_EINVAL for larger n. */
int dns_serial_add(uint32_t s, uint32_t n, uint32_t *out);

/* ---------------------------------------------------------------- records */

/* One record in unpacked wire form; the pointers are the source's. */
struct dns_xrr {
	const uint8_t *owner;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};

/* A record source. next() returns 1 with *rr filled (valid until the next
 * call), 0 at the end, or a negative DNS_E* code that stops the consumer.
 * rewind() (NULL when the source cannot) starts it over: the journal walks
 * its two sets twice, once to measure the delta and once to store it. */
struct dns_rr_src {
	int (*next)(void *ctx, struct dns_xrr *rr);
	int (*rewind)(void *ctx);
	void *ctx;
};

/* The order record sets are sorted in: owner in canonical order (RFC 4034
 * 6.1), then type, class, and RDATA as octet strings (RFC 4034 6.3, on the
 * RDATA as given). TTL is not part of a record's identity. */
int dns_xrr_cmp(const struct dns_xrr *a, const struct dns_xrr *b);

/* SOA RDATA fields (RFC 1035 3.3.13). */
struct dns_soa {
	uint32_t serial, refresh, retry, expire, minimum;
};
/* Reads the five numbers after MNAME and RNAME; DNS_EXFR_SOA if malformed. */
int dns_soa_parse(const uint8_t *rdata, uint16_t rdlen, struct dns_soa *soa);

#define DNS_SOA_RDATA_MAX (2 * DNS_NAME_MAX + 20)

/* ---------------------------------------------------------------- record sets */

/*
 * A record set in a caller-lent arena: records are appended from the bottom,
 * a 4-octet index per record grows from the top; dns_xset_sort() sorts the
 * index by dns_xrr_cmp() and drops duplicates (the later record wins, so a
 * TTL change takes effect). Iterating a sorted set yields records in order;
 * dns_xset_src() makes it a struct dns_rr_src. Each record costs its owner,
 * RDATA and 15 octets.
 */
struct dns_xset {
	struct {
		uint8_t *mem;
		size_t cap;
		size_t used;      /* record bytes from the bottom */
		uint32_t n;       /* index entries at the top */
		bool sorted;
		int err;          /* sticky: the first failed add */
	} priv;
};

void dns_xset_init(struct dns_xset *z, uint8_t *mem, size_t cap);
void dns_xset_reset(struct dns_xset *z);
/* Appends a record (DNS_ENOMEM when the arena is full: then the set stays
 * failed until dns_xset_reset()). */
int dns_xset_add(struct dns_xset *z, const struct dns_xrr *rr);
/* Sorts and removes duplicates; returns the record count or the sticky error. */
int dns_xset_sort(struct dns_xset *z);
size_t dns_xset_count(const struct dns_xset *z);
/* Arena octets in use (records and index). */
size_t dns_xset_used(const struct dns_xset *z);
/* The SOA of the set (its first SOA record once sorted): 0 or DNS_EXFR_SOA. */
int dns_xset_soa(const struct dns_xset *z, struct dns_xrr *soa);

/* Walks a set in index order; a struct dns_rr_src over it. */
struct dns_xset_iter {
	const struct dns_xset *z;
	uint32_t i;
	bool soa_first;  /* dns_xset_axfr_src(): the SOA, then the rest */
	bool soa_done;
};
void dns_xset_iter_init(struct dns_xset_iter *it, const struct dns_xset *z);
int dns_xset_next(void *it, struct dns_xrr *rr);
int dns_xset_rewind(void *it);
/* A source over the set in order (what dns_journal_add() wants). */
void dns_xset_src(struct dns_xset_iter *it, const struct dns_xset *z, struct dns_rr_src *src);
/* A source with the SOA first (the order AXFR needs: RFC 5936 2.2), then
 * every other record in order. */
void dns_xset_axfr_src(struct dns_xset_iter *it, const struct dns_xset *z, struct dns_rr_src *src);

/* A record source over a finished struct dns_zone: its records in the
 * dns_xrr_cmp order the zone database keeps (class IN), or with
 * soa_first the AXFR order (the apex SOA, then the rest without it). It
 * rewinds, so the journal can diff two zone versions directly. */
struct dns_zone_src {
	struct {
		const struct dns_zone *z;
		struct dns_zone_iter it;
		struct dns_rrset set;
		uint16_t i;
		bool in_set;
		bool soa_first, soa_done;
	} priv;
};
void dns_zone_src_init(struct dns_zone_src *zs, const struct dns_zone *z, bool soa_first,
	struct dns_rr_src *src);

/* ---------------------------------------------------------------- TSIG */

/*
 * TSIG (RFC 8945) with HMAC-SHA256 and HMAC-SHA512 (libsodium). Keys of
 * any length are accepted (HMAC hashes long ones). The MD5, SHA-1, SHA-224
 * and SHA-384 algorithms are known by name but not supported: a key file
 * naming them fails with DNS_EKEY_UNSUPPORTED and a message signed with
 * them is answered BADKEY, as for an unknown key.
 *
 * A struct dns_tsig follows one transaction: a request and its response, or
 * a request and a stream of responses (AXFR, RFC 8945 5.3.1), on either
 * side. Server: dns_tsig_server_verify() the request, then dns_tsig_sign()
 * every response message (each chains the previous MAC; the first also the
 * request's). Client: dns_tsig_client_init(), dns_tsig_sign() the request,
 * dns_tsig_client_verify() every response message, dns_tsig_client_end()
 * when the stream ends. MACs are compared with sodium_memcmp (constant
 * time).
 *
 * Errors (RFC 8945 5.2, 5.3.2). dns_tsig_server_verify() checks the key
 * (BADKEY), the MAC size (FORMERR), the MAC (BADSIG), the time against
 * now_s and the fudge (BADTIME), then local truncation policy (BADTRUNC),
 * in that order. For DNS_ETSIG_FORMERR and DNS_ETSIG_MACSIZE answer FORMERR
 * without TSIG; for the four TSIG errors answer NOTAUTH (RCODE 9,
 * dns_tsig_error_rcode()) and pass the response through dns_tsig_sign(),
 * which adds the TSIG record RFC 8945 5.3.2 wants: unsigned (MAC size 0)
 * for BADKEY and BADSIG, signed with the server's time in Other Data for
 * BADTIME, signed for BADTRUNC.
 */
enum dns_tsig_alg { DNS_TSIG_NONE = 0, DNS_TSIG_HMAC_SHA256 = 1, DNS_TSIG_HMAC_SHA512 = 2 };

/* TSIG error codes of the Error field (RFC 8945 4.2). */
enum dns_tsig_error { DNS_TSIG_OK = 0, DNS_TSIG_BADSIG = 16, DNS_TSIG_BADKEY = 17,
	DNS_TSIG_BADTIME = 18, DNS_TSIG_BADTRUNC = 22 };

#define DNS_TSIG_SECRET_MAX 256
#define DNS_TSIG_MAC_MAX 64      /* HMAC-SHA512 */
#define DNS_TSIG_FUDGE 300       /* seconds, RFC 8945 10 recommends 300 */

struct dns_tsig_key {
	uint8_t name[DNS_NAME_MAX]; /* wire form, lowercased */
	uint8_t alg;                /* enum dns_tsig_alg */
	uint16_t min_mac;           /* local policy: the shortest MAC accepted
	                             * (RFC 8945 5.2.4); 0: the full length */
	uint16_t secret_len;
	uint8_t secret[DNS_TSIG_SECRET_MAX];
};

/* Parses "NAME:ALG:BASE64" (also kdig's "ALG:NAME:BASE64"); ALG is
 * "hmac-sha256" or "hmac-sha512". 0 or DNS_EKEY_*. */
int dns_tsig_key_from_text(struct dns_tsig_key *k, const char *text, size_t len);

/* Where a key file failed: line and column (1-based) and the code. */
struct dns_key_error {
	int code;
	unsigned line, col;
};

/* Parses every key of a key file in the format `tsig-keygen` prints
 *     key "name" { algorithm hmac-sha256; secret "BASE64"; };
 * (BIND named.conf syntax, with #, // and C comments) or the one `keymgr -t`
 * prints (Knot YAML: "key:" then "- id: NAME", "algorithm: ALG", "secret:
 * BASE64"), into keys[0..cap). Returns the number of keys, or a DNS_EKEY_*
 * code (DNS_ENOMEM when more than cap keys) with *err set. */
int dns_tsig_keyfile_parse(const char *text, size_t len, struct dns_tsig_key *keys, size_t cap,
	struct dns_key_error *err);

/* The algorithm's name in wire form ("hmac-sha256."), or NULL. */
const uint8_t *dns_tsig_alg_name(uint8_t alg);
/* The key named `name` (case-insensitive), or NULL. */
const struct dns_tsig_key *dns_tsig_key_find(const struct dns_tsig_key *keys, size_t n,
	const uint8_t *name);

/* A TSIG record of a parsed message (RFC 8945 4.2); slices into it. */
struct dns_tsig_rr {
	uint8_t key[DNS_NAME_MAX];
	uint8_t alg[DNS_NAME_MAX];
	uint64_t time_signed;   /* 48 bits */
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
};

/* Parses the message's TSIG record (m->tsig_off): 0, DNS_ETSIG_NONE, or
 * DNS_ETSIG_FORMERR (class not ANY, TTL not 0, fields past RDLENGTH or
 * octets left after them). */
int dns_tsig_rr_parse(const struct dns_msg *m, struct dns_tsig_rr *t);

/* The octets dns_tsig_sign() adds with this key at most (BADTIME's Other
 * Data included): what a message must leave free. */
size_t dns_tsig_size(const struct dns_tsig_key *k);

/* One transaction's TSIG state; caller-owned, about 1100 octets. */
struct dns_tsig {
	struct {
		const struct dns_tsig_key *key;
		uint8_t kname[DNS_NAME_MAX];   /* the key and algorithm names the */
		uint8_t aname[DNS_NAME_MAX];   /* TSIG records carry, lowercased */
		uint8_t mac[DNS_TSIG_MAC_MAX]; /* request or prior MAC */
		uint16_t mac_len;
		uint64_t hst[56];     /* running HMAC over unsigned messages */
		bool running;         /* hst holds prior MAC + unsigned messages */
		bool active;          /* there is a key to sign or verify with */
		bool client;
		uint16_t nsigned;     /* messages signed or verified */
		uint16_t unsigned_run;/* unsigned messages since the last signed */
		uint16_t error;       /* the TSIG error the response carries */
		uint16_t fudge;
		uint64_t req_time;    /* the request's Time Signed */
		uint16_t peer_error;
		bool last_signed;
		bool verified;
	} priv;
};

/* Server: checks the request's TSIG against keys[0..nkeys). Returns 0
 * (verified: responses will be signed), DNS_ETSIG_NONE (no TSIG: the caller
 * decides whether unsigned is acceptable; dns_tsig_sign() adds nothing),
 * DNS_ETSIG_FORMERR / DNS_ETSIG_MACSIZE (answer FORMERR, unsigned), or
 * DNS_ETSIG_BADKEY / BADSIG / BADTIME / BADTRUNC (answer NOTAUTH through
 * dns_tsig_sign()). */
int dns_tsig_server_verify(struct dns_tsig *t, const struct dns_tsig_key *keys, size_t nkeys,
	const struct dns_msg *req, uint64_t now_s);

/* The verified key's name, NULL unless the last verification succeeded. */
const uint8_t *dns_tsig_key_name(const struct dns_tsig *t);

/* The header RCODE for an error of dns_tsig_server_verify(): NOTAUTH for
 * the TSIG errors, FORMERR for the malformed ones, NOERROR for 0. */
int dns_tsig_error_rcode(int err);

/* A response without records to req: same id, opcode and RD, QR and AA
 * set, the question echoed, the given rcode (NOTAUTH for the TSIG errors,
 * dns_tsig_error_rcode(); REFUSED for a transfer the access rules deny;
 * FORMERR), then passed through dns_tsig_sign() when t is not NULL (so a
 * TSIG error gets the record RFC 8945 5.3.2 wants, and a refusal to a
 * signed request is signed). Returns the length or DNS_ENOMEM. */
int dns_tsig_answer(const struct dns_msg *req, uint16_t rcode, struct dns_tsig *t, uint8_t *out,
	size_t cap, uint64_t now_s);

/* Client: prepares to sign a request with key (NULL: dns_tsig_sign() adds
 * nothing and dns_tsig_client_verify() accepts unsigned messages). */
void dns_tsig_client_init(struct dns_tsig *t, const struct dns_tsig_key *key, uint16_t fudge);

/* Appends the TSIG record to the finished message msg[0, len) (cap octets
 * of room), raising ARCOUNT. Signs a request (client), a response or the
 * next message of a stream (server), chaining MACs as RFC 8945 4.3 and
 * 5.3.1 say. Returns the new length, len unchanged when there is no key,
 * or DNS_ENOMEM. */
int dns_tsig_sign(struct dns_tsig *t, uint8_t *msg, size_t len, size_t cap, uint64_t now_s);

/* Server, multi-message: sends msg unsigned, folding it into the next
 * signed message's MAC (RFC 8945 5.3.1 allows up to 99 in a row). */
int dns_tsig_skip(struct dns_tsig *t, const uint8_t *msg, size_t len);

/* Client: checks one response message. 0: signed and verified; 1:
 * unsigned, accepted for now (a later signed message covers it); else
 * DNS_ETSIG_NONE (the first response is unsigned), DNS_ETSIG_REJECTED
 * (the peer's TSIG error is in dns_tsig_peer_error()), DNS_ETSIG_BADKEY
 * (another key or algorithm), DNS_ETSIG_BADSIG, DNS_ETSIG_BADTIME,
 * DNS_ETSIG_MACSIZE, DNS_ETSIG_FORMERR, DNS_ETSIG_UNSIGNED (a 100th
 * unsigned message in a row). */
int dns_tsig_client_verify(struct dns_tsig *t, const struct dns_msg *m, uint64_t now_s);
/* Client, at the end of a stream: 0 if its last message was signed (or
 * there is no key), else DNS_ETSIG_UNSIGNED. */
int dns_tsig_client_end(const struct dns_tsig *t);
uint16_t dns_tsig_peer_error(const struct dns_tsig *t);

/* ---------------------------------------------------------------- access */

/*
 * Who may transfer a zone: a rule per zone names an address prefix, a TSIG
 * key, or both (both must then match). The text forms are those of dnsd's
 * --allow-transfer: "ZONE=key=NAME", "ZONE=ADDR[/LEN]",
 * "ZONE=ADDR[/LEN],key=NAME". A zone without rules is refused to everyone.
 */
struct dns_acl_rule {
	uint8_t zone[DNS_NAME_MAX];
	uint8_t family;             /* 4 or 6; 0: any address */
	uint8_t plen;
	uint8_t ip[16];
	bool key_set;
	uint8_t key[DNS_NAME_MAX];
};

int dns_acl_rule_parse(struct dns_acl_rule *r, const char *text, size_t len);
/* True if a rule for zone admits the peer (family 4 with ip[0..3], or 6;
 * an IPv4-mapped IPv6 address counts as IPv4) signed with key (the
 * verified key's name, dns_tsig_key_name(); NULL when unsigned). */
bool dns_acl_check(const struct dns_acl_rule *rules, size_t n, const uint8_t *zone,
	uint8_t family, const uint8_t *ip, const uint8_t *key);
/* Parses an IPv4 or IPv6 address: returns 4 or 6 (ip filled), or DNS_EACL_SYNTAX. */
int dns_addr_from_text(const char *text, size_t len, uint8_t ip[16]);

/* A zone's peer, as dnsd's --notify and --secondary name it:
 * "ZONE=ADDR:PORT[,key=NAME]", an IPv6 ADDR in brackets ("[::1]:53"). */
struct dns_xfr_peer {
	uint8_t zone[DNS_NAME_MAX];
	uint8_t family;             /* 4 or 6 */
	uint8_t ip[16];
	uint16_t port;
	bool key_set;
	uint8_t key[DNS_NAME_MAX];  /* look it up with dns_tsig_key_find() */
};
/* 0 or DNS_EACL_SYNTAX. */
int dns_xfr_peer_parse(struct dns_xfr_peer *p, const char *text, size_t len);

/* ---------------------------------------------------------------- AXFR out */

/*
 * The AXFR response (RFC 5936 2.2): the zone's SOA, every record, the SOA
 * again, in as many messages as needed. src yields the SOA first, then the
 * other records (dns_xset_axfr_src() does); the generator repeats the SOA
 * at the end itself. Each message holds at most `limit` octets (0: 65535),
 * its own compression, and the TSIG record when tsig is a verified server
 * transaction (every message is signed). The question goes in the first
 * message only (RFC 5936 2.2.1). A record src returned stays valid until
 * its next call: the generator may hold one over to the next message.
 */
struct dns_axfr {
	struct {
		struct dns_rr_src src;
		struct dns_tsig *tsig;
		uint8_t qname[DNS_NAME_MAX];
		uint16_t qtype, qclass, id, rd;
		uint8_t soa_owner[DNS_NAME_MAX];
		uint8_t soa_rdata[DNS_SOA_RDATA_MAX];
		uint16_t soa_rdlen;
		uint32_t soa_ttl;
		struct dns_xrr pending;
		bool have_pending;
		uint8_t phase;
		size_t limit;
		uint32_t nmsg;
		int err;
	} priv;
};

/* Reads the SOA from src (DNS_EXFR_FIRST if it is not one). */
int dns_axfr_init(struct dns_axfr *x, const struct dns_msg *query, const struct dns_rr_src *src,
	struct dns_tsig *tsig, size_t limit);
/* Writes the next message into buf (cap octets; ctab for compression).
 * Returns its length, 0 when the transfer is complete, or an error
 * (DNS_EXFR_RR_SIZE for a record that fits in no message, the source's). */
int dns_axfr_next(struct dns_axfr *x, uint8_t *buf, size_t cap, uint16_t *ctab, size_t ctab_cap,
	uint64_t now_s);
/* True once the last message has been written (the next call returns 0):
 * what a transport's "more messages" flag wants. */
bool dns_axfr_done(const struct dns_axfr *x);

/* ---------------------------------------------------------------- journal */

/*
 * The differences between a zone's last versions (RFC 1995 s4), kept in a
 * caller-lent arena. dns_journal_add() computes the delta between two
 * sorted record sets (dns_xrr_cmp order, e.g. two sorted struct dns_xset;
 * both sources must rewind) by a merge walk: records only in the old set
 * are deleted, records only in the new set added, a changed TTL is a
 * deletion and an addition. The oldest deltas are dropped when the arena
 * is full or more than max_deltas are kept. A set whose serial does not
 * follow the last delta starts the journal afresh. An IXFR generator reads
 * the journal in place: a change to the journal makes a running one fail
 * (DNS_EINVAL) rather than send a mix of versions.
 */
#define DNS_JOURNAL_MAX_DELTAS 64

struct dns_journal {
	struct {
		uint8_t *mem;
		size_t cap, used;
		unsigned n, max;
		uint32_t gen;     /* changes with every add */
	} priv;
};

void dns_journal_init(struct dns_journal *j, uint8_t *mem, size_t cap, unsigned max_deltas);
/* Returns the number of records changed (SOAs not counted), DNS_ESERIAL
 * (the new serial is not greater: journal unchanged), DNS_EXFR_SOA (a set
 * without SOA), DNS_EINVAL (a source that cannot rewind), or DNS_ENOMEM
 * with *need set (the delta alone is larger than the arena: the journal is
 * now empty, so IXFR falls back to AXFR). */
int dns_journal_add(struct dns_journal *j, const struct dns_rr_src *old_set,
	const struct dns_rr_src *new_set, size_t *need);
/* Copies src's deltas into dst (initialised with its own arena and
 * max_deltas): how a daemon that swaps immutable zone sets gives the next
 * set the history of the last. 0, or DNS_ENOMEM (dst empty). */
int dns_journal_copy(struct dns_journal *dst, const struct dns_journal *src);
unsigned dns_journal_count(const struct dns_journal *j);
/* Is there a chain of deltas from serial to the newest version? */
bool dns_journal_has(const struct dns_journal *j, uint32_t serial);
/* Serial of the newest version the journal leads to (0 if empty). */
uint32_t dns_journal_last(const struct dns_journal *j);

/* ---------------------------------------------------------------- IXFR out */

/*
 * The IXFR response (RFC 1995): the client's serial is the SOA in the
 * query's authority section. When it is the current serial or newer, one
 * SOA (RFC 1995 s2); when the journal chains from it to the current
 * version, one condensed difference sequence (RFC 1995 s4: the deltas are
 * merged, so a record added and then deleted again is not sent); otherwise
 * the whole zone in AXFR form (RFC 1995 s4). With udp set, a response that
 * needs more than one message becomes the single current SOA (RFC 1995 s2:
 * the client retries over TCP). src is as for AXFR.
 */
enum dns_ixfr_kind { DNS_IXFR_UPTODATE = 1, DNS_IXFR_INCREMENTAL = 2, DNS_IXFR_FULL = 3 };

struct dns_ixfr {
	struct {
		struct dns_axfr ax;  /* holds the current SOA, used for FULL too */
		const struct dns_journal *j;
		uint8_t kind;
		uint8_t phase;
		bool udp;
		uint32_t from;
		size_t first;        /* offset of the first delta used */
		unsigned k;          /* deltas used */
		uint32_t gen;        /* the journal's, when the transfer began */
		uint32_t cur[DNS_JOURNAL_MAX_DELTAS]; /* merge cursors, offsets */
	} priv;
};

/* DNS_EXFR_SOA if the query has no SOA in its authority section. */
int dns_ixfr_init(struct dns_ixfr *x, const struct dns_msg *query, const struct dns_journal *j,
	const struct dns_rr_src *src, struct dns_tsig *tsig, size_t limit, bool udp);
int dns_ixfr_kind(const struct dns_ixfr *x);
int dns_ixfr_next(struct dns_ixfr *x, uint8_t *buf, size_t cap, uint16_t *ctab, size_t ctab_cap,
	uint64_t now_s);
bool dns_ixfr_done(const struct dns_ixfr *x);

/* ---------------------------------------------------------------- transfer in */

/* Builds an AXFR or IXFR query for zone (IXFR puts soa, our current SOA,
 * in the authority section: RFC 1995 s3), signed when tsig has a key. */
int dns_xfr_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *zone, uint16_t qtype,
	const struct dns_xrr *soa, struct dns_tsig *tsig, uint64_t now_s);

/*
 * Receiving a transfer (the secondary side). Feed every response message to
 * dns_xfr_rx_input(); it recognises an AXFR, an AXFR-form IXFR answer, an
 * incremental IXFR answer (applied on top of cur), and "up to date" (a
 * single SOA not newer than ours). The result is built in `out` (a reset
 * xset, not cur), sorted and checked only when the final SOA has arrived;
 * until then, and after any error, `out` is not a zone and cur is
 * untouched. An incremental answer must chain from cur's serial, delete
 * only records cur holds, and every record must be inside the zone.
 */
enum dns_xfr_result { DNS_XFR_NEW = 1, DNS_XFR_UPTODATE = 2 };

struct dns_xfr_rx {
	struct {
		struct dns_xset *out;
		const struct dns_xset *cur;
		struct dns_tsig *tsig;
		uint8_t zone[DNS_NAME_MAX];
		uint16_t id, qtype;
		bool have_ours;
		uint32_t ours;       /* cur's serial */
		uint32_t final;      /* the first SOA's serial: the version we get */
		uint32_t delta_to;   /* the serial the current delta leads to */
		uint8_t soa_rdata[DNS_SOA_RDATA_MAX];
		uint16_t soa_rdlen;
		uint32_t soa_ttl;
		uint8_t state;
		uint32_t nmsg;
		uint64_t nrr;
		int err;             /* sticky */
	} priv;
};

/* qtype is the query's (DNS_T_AXFR or DNS_T_IXFR); cur may be NULL (then
 * only a full transfer can succeed); tsig the query's client transaction. */
void dns_xfr_rx_init(struct dns_xfr_rx *r, const uint8_t *zone, uint16_t id, uint16_t qtype,
	const struct dns_xset *cur, struct dns_xset *out, struct dns_tsig *tsig);
/* DNS_EAGAIN: more messages needed; DNS_XFR_NEW: `out` holds the new zone;
 * DNS_XFR_UPTODATE: nothing to change; else the (sticky) error. */
int dns_xfr_rx_input(struct dns_xfr_rx *r, const uint8_t *msg, size_t len, uint64_t now_s);
/* The stream ended: the result if complete, else DNS_EXFR_INCOMPLETE. */
int dns_xfr_rx_end(struct dns_xfr_rx *r);
/* Messages and records received so far (for logs). */
uint32_t dns_xfr_rx_messages(const struct dns_xfr_rx *r);

/* ---------------------------------------------------------------- NOTIFY */

/* A NOTIFY request (RFC 1996 3.7): opcode NOTIFY, AA, the zone's SOA as
 * question, soa (may be NULL) in the answer section as a hint. */
int dns_notify_build(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *zone,
	const struct dns_xrr *soa);

struct dns_notify {
	uint8_t zone[DNS_NAME_MAX];
	bool have_serial;
	uint32_t serial;
};
/* Parses a NOTIFY request: DNS_ENOTIFY unless opcode NOTIFY, QR clear, one
 * question of type SOA. */
int dns_notify_parse(const struct dns_msg *m, struct dns_notify *n);
/* The response (RFC 1996 4.7): same id, opcode and question, QR and AA
 * set, the given rcode. Returns its length (sign it with dns_tsig_sign()). */
int dns_notify_answer(const struct dns_msg *req, uint8_t *buf, size_t cap, uint16_t rcode);

/*
 * Sending NOTIFY to one secondary until it answers (RFC 1996 3.6): the
 * first datagram at once, then again after first_ms, doubling each time,
 * up to max_tries datagrams. Each try has a new id (from the random
 * callback), and a response counts only for the latest try (so its TSIG
 * chains to the request it answers). An error response ends it too: a
 * secondary that refuses will not be convinced by repetition.
 */
enum dns_notify_state { DNS_NOTIFY_PENDING = 0, DNS_NOTIFY_ACKED = 1 };

struct dns_notify_tx {
	struct {
		uint8_t zone[DNS_NAME_MAX];
		uint8_t soa_owner[DNS_NAME_MAX];
		uint8_t soa_rdata[DNS_SOA_RDATA_MAX];
		uint16_t soa_rdlen;
		uint32_t soa_ttl;
		bool have_soa;
		struct dns_tsig tsig;
		const struct dns_tsig_key *key;
		int (*random)(void *ctx, uint8_t *buf, size_t len);
		void *rctx;
		uint16_t id;
		unsigned tries, max_tries;
		uint32_t first_ms;
		uint64_t next_at;
		int state;           /* enum dns_notify_state, or the final error */
	} priv;
};

void dns_notify_tx_init(struct dns_notify_tx *t, const uint8_t *zone, const struct dns_xrr *soa,
	const struct dns_tsig_key *key, int (*random)(void *ctx, uint8_t *buf, size_t len), void *rctx,
	uint32_t first_ms, unsigned max_tries, uint64_t now_ms);
/* >0: a datagram to send now, in buf; 0: nothing now; DNS_ETIMEDOUT: the
 * last try went unanswered (returned once, then 0). */
int dns_notify_tx_poll(struct dns_notify_tx *t, uint64_t now_ms, uint64_t now_s, uint8_t *buf,
	size_t cap);
/* A datagram from the secondary: 0 (acknowledged), DNS_EXFR_MISMATCH (not
 * an answer to the latest try: ignore it), DNS_EXFR_RCODE (an error
 * answer: done), or a TSIG error (ignored, the tries go on). */
int dns_notify_tx_input(struct dns_notify_tx *t, const uint8_t *msg, size_t len, uint64_t now_s);
uint64_t dns_notify_tx_next_deadline(const struct dns_notify_tx *t);
/* DNS_NOTIFY_PENDING, DNS_NOTIFY_ACKED, or the error that ended it. */
int dns_notify_tx_state(const struct dns_notify_tx *t);

/* ---------------------------------------------------------------- secondary */

/*
 * One zone of a secondary (RFC 1034 4.3.5, RFC 1996): the SOA timers say
 * when to ask the primary for its SOA (refresh, and retry after a failure),
 * a newer serial starts a transfer (IXFR when a copy is held, AXFR
 * otherwise or after an IXFR the primary botched), a NOTIFY (checked for
 * TSIG when a key is set) makes the check happen now, and a copy not
 * confirmed for `expire` seconds is expired: the caller stops serving it
 * (SERVFAIL) until a refresh succeeds.
 *
 * dns_sec_poll(now_ms) says what to do: DNS_SEC_QUERY_SOA (send
 * dns_sec_soa_query() over UDP, feed the answer to dns_sec_soa_input()),
 * DNS_SEC_TRANSFER (open TCP, send dns_sec_xfr_begin()'s query, feed
 * messages to the dns_xfr_rx it set up, report with dns_sec_xfr_done()).
 * Call it again at dns_sec_next_deadline().
 */
enum dns_sec_action { DNS_SEC_IDLE = 0, DNS_SEC_QUERY_SOA = 1, DNS_SEC_TRANSFER = 2 };

struct dns_sec {
	struct {
		uint8_t zone[DNS_NAME_MAX];
		const struct dns_tsig_key *key;
		struct dns_tsig tsig;
		int (*random)(void *ctx, uint8_t *buf, size_t len);
		void *rctx;
		bool have_zone;
		bool expired;
		bool force_axfr;
		uint32_t serial;
		uint32_t refresh, retry, expire; /* seconds, from the SOA */
		uint32_t timeout_ms, first_retry_ms;
		uint64_t refresh_at, expire_at, timeout_at;
		uint8_t state;
		uint16_t id;
		bool notified;    /* a NOTIFY came during a check: check again */
		bool xfr_ixfr;    /* the running transfer is an IXFR */
		unsigned fails;
		int last_err;
	} priv;
};

/* timeout_ms bounds one SOA query or transfer (0: 10 s); first_retry_ms is
 * the retry interval before any SOA is known (0: 5 s; it doubles to 5 min). */
void dns_sec_init(struct dns_sec *s, const uint8_t *zone, const struct dns_tsig_key *key,
	int (*random)(void *ctx, uint8_t *buf, size_t len), void *rctx, uint32_t timeout_ms,
	uint32_t first_retry_ms, uint64_t now_ms);
/* Starts from a copy kept on disk: its SOA sets the timers (RFC 1034:
 * expire counts from when it was last confirmed, here from now_ms). */
void dns_sec_loaded(struct dns_sec *s, const struct dns_xrr *soa, uint64_t now_ms);
int dns_sec_poll(struct dns_sec *s, uint64_t now_ms);
int dns_sec_soa_query(struct dns_sec *s, uint8_t *buf, size_t cap, uint64_t now_ms, uint64_t now_s);
/* DNS_SEC_TRANSFER (the primary is newer), 0 (confirmed: timers reset),
 * DNS_ESERIAL (the primary is older, RFC 1982: our copy stays, the timers
 * reset; worth a log line), or an error: DNS_EXFR_MISMATCH, malformed
 * messages and TSIG errors leave the query pending (a forgery must not
 * cancel it), the others (DNS_EXFR_RCODE, DNS_EXFR_SOA,
 * DNS_ETSIG_REJECTED) count as a failed refresh (retry timer). */
int dns_sec_soa_input(struct dns_sec *s, const uint8_t *msg, size_t len, uint64_t now_ms,
	uint64_t now_s);
/* Sets up rx (into out, on top of cur if held) and writes the query. */
int dns_sec_xfr_begin(struct dns_sec *s, struct dns_xfr_rx *rx, const struct dns_xset *cur,
	struct dns_xset *out, uint8_t *buf, size_t cap, uint64_t now_ms, uint64_t now_s);
/* result: dns_xfr_rx_input()'s or _end()'s final return, or any error
 * (connection lost, timeout: the caller bounds a transfer's time). For
 * DNS_XFR_NEW soa is the new copy's SOA (the caller has made `out` its
 * copy). A failed IXFR the primary botched (DNS_EXFR_CHAIN, _DELETE,
 * _RCODE, _SOA, _INCOMPLETE) is followed at once by an AXFR (poll says
 * DNS_SEC_TRANSFER); other failures wait for the retry timer. */
void dns_sec_xfr_done(struct dns_sec *s, int result, const struct dns_xrr *soa, uint64_t now_ms);
/* A NOTIFY from the primary (the caller checks it came from the primary's
 * address). Writes the response into resp (*resp_len, 0: send nothing)
 * and returns 0 if it triggered a refresh, or why not: DNS_ENOTIFY
 * (another zone: NOTAUTH; not a NOTIFY: FORMERR), a TSIG error (answered
 * as RFC 8945 5.3.2 says), DNS_ETSIG_NONE (a key is set and the NOTIFY is
 * unsigned: REFUSED). */
int dns_sec_notify(struct dns_sec *s, const struct dns_msg *m, uint64_t now_ms, uint64_t now_s,
	uint8_t *resp, size_t cap, size_t *resp_len);
bool dns_sec_expired(const struct dns_sec *s, uint64_t now_ms);
bool dns_sec_has_zone(const struct dns_sec *s);
uint32_t dns_sec_serial(const struct dns_sec *s);
uint64_t dns_sec_next_deadline(const struct dns_sec *s);
/* The error of the last failed refresh or transfer (0 after a success). */
int dns_sec_last_error(const struct dns_sec *s);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDLET_DNS_H */
