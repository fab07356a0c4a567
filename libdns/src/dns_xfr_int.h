/* Private declarations of the zone transfer modules. */
#ifndef DNS_XFR_INT_H
#define DNS_XFR_INT_H

#include "dns_int.h"

/* Shared between this library's files, not part of its API: hidden, so the
 * shared library does not export it. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* What a record in a zset or journal stands for. */
enum dns_xop { DNS_XOP_BASE = 0, DNS_XOP_DEL = 1, DNS_XOP_ADD = 2 };

/* The flat record encoding of zsets and journals: op, owner, type, class,
 * TTL, RDLENGTH, RDATA. */
size_t dns_xrr_size(const struct dns_xrr *rr);
void dns_xrr_encode(uint8_t *p, const struct dns_xrr *rr, uint8_t op);
/* Returns the encoded size. */
size_t dns_xrr_decode(const uint8_t *p, struct dns_xrr *rr, uint8_t *op);

int dns_xset_add_op(struct dns_xset *z, const struct dns_xrr *rr, uint8_t op);
/* Adds a record of a parsed message, unpacking its RDATA into the arena. */
int dns_xset_add_wire(struct dns_xset *z, const struct dns_msg *m, const struct dns_rr *rr, uint8_t op);

/* Writes one record of a zone transfer; DNS_ENOMEM when it does not fit. */
static inline int dns_msgw_xrr(struct dns_msgw *w, const struct dns_xrr *rr)
{
	return dns_msgw_rr(w, DNS_S_ANSWER, rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata,
		rr->rdlen);
}

/* Octets a signed message must leave for the TSIG record (0 unsigned). */
size_t dns_tsig_reserve(const struct dns_tsig *t);

/* The parts of a transfer message, shared by AXFR and IXFR: the header
 * (and the question in the first message), one record at a time, the
 * counts and the TSIG. *room is what the records may fill. */
int dns_xfr_msg_begin(struct dns_msgw *w, const struct dns_axfr *x, uint8_t *buf, size_t cap,
	uint16_t *ctab, size_t ctab_cap, size_t *room);
int dns_xfr_put(struct dns_msgw *w, const struct dns_xrr *rr, unsigned written);
int dns_xfr_msg_end(struct dns_msgw *w, struct dns_axfr *x, uint8_t *buf, size_t cap, uint64_t now_s);
/* The zone's SOA as read by dns_axfr_init(). */
void dns_axfr_soa(const struct dns_axfr *x, struct dns_xrr *soa);

/* One journal delta, as offsets into the journal's arena. */
struct dns_jdelta {
	uint32_t len, from, to, nrec;
	size_t changes;  /* first change record */
	size_t soas;     /* the old SOA, then the new one; changes end here */
};
void dns_journal_delta(const struct dns_journal *j, size_t off, struct dns_jdelta *d);
/* 1 and the chain from serial to the newest version (first delta's offset
 * and the number of deltas), or 0. */
int dns_journal_find(const struct dns_journal *j, uint32_t serial, size_t *first, unsigned *k);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
