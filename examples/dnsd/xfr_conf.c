/* dnsd: the zone transfer options (--tsig, --tsig-file, --allow-transfer,
 * --ixfr-history, --notify, --secondary). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd.h"

const char xfr_usage[] =
	"\n"
	"Zone transfers, TSIG and NOTIFY:\n"
	"  --tsig NAME:ALG:BASE64     a TSIG key (RFC 8945), ALG hmac-sha256 or hmac-sha512;\n"
	"                             signed queries are verified, their answers signed;\n"
	"                             repeatable\n"
	"  --tsig-file FILE           every key of FILE, as tsig-keygen or keymgr -t print them\n"
	"  --allow-transfer ZONE=key=NAME | ZONE=ADDR[/LEN] | ZONE=ADDR[/LEN],key=NAME\n"
	"                             who may AXFR/IXFR ZONE (RFC 5936); repeatable; a zone\n"
	"                             without a rule is refused to everyone\n"
	"  --ixfr-history N           keep the differences of the last N versions of each\n"
	"                             zone (0..64, default 0: off) and answer IXFR with them\n"
	"                             (RFC 1995); without history IXFR is answered by AXFR\n"
	"  --notify ZONE=ADDR:PORT[,key=NAME]\n"
	"                             NOTIFY (RFC 1996) this secondary when a reload changes\n"
	"                             ZONE's serial, retried until answered; repeatable\n"
	"  --secondary ZONE=ADDR:PORT[,key=NAME]\n"
	"                             serve ZONE as a secondary of that primary: transferred\n"
	"                             by AXFR/IXFR at start, on the SOA refresh and retry\n"
	"                             timers and on NOTIFY from it; answered SERVFAIL when\n"
	"                             no copy is held or the SOA expire time has passed;\n"
	"                             repeatable (such a zone has no --zone)\n";

static const char *const names[] = { "--tsig", "--tsig-file", "--allow-transfer", "--ixfr-history",
	"--notify", "--secondary" };

bool xfr_is_option(const char *name)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

size_t xfr_nsec(const struct config *cfg)
{
	return cfg->xfr ? cfg->xfr->nsec : 0;
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	char msg[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "dnsd: %s\ntry 'dnsd --help'\n", msg);
	return 2;
}

static int add_key(struct xfr_conf *c, const struct dns_tsig_key *k, const char *where)
{
	char name[DNS_NAME_MAX * 4 + 2];
	dns_name_to_text(k->name, name, sizeof name);
	if (dns_tsig_key_find(c->keys, c->nkeys, k->name))
		return bad("%s: key %s defined twice", where, name);
	if (c->nkeys == XFR_MAX_KEYS)
		return bad("%s: too many TSIG keys (at most %d)", where, XFR_MAX_KEYS);
	c->keys[c->nkeys++] = *k;
	return 0;
}

static int key_file(struct xfr_conf *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return bad("--tsig-file: %s: %s", path, strerror(errno));
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof text - 1, f);
	bool big = n == sizeof text - 1 && fgetc(f) != EOF;
	fclose(f);
	if (big)
		return bad("--tsig-file: %s: larger than 1 MiB", path);
	struct dns_tsig_key *keys = calloc(XFR_MAX_KEYS, sizeof *keys);
	if (!keys)
		return bad("--tsig-file: out of memory");
	struct dns_key_error err = { 0, 0, 0 };
	int k = dns_tsig_keyfile_parse(text, n, keys, XFR_MAX_KEYS, &err);
	int r = 0;
	if (k < 0)
		r = bad("--tsig-file: %s:%u:%u: %s", path, err.line, err.col, dns_strerror(err.code));
	else if (k == 0)
		r = bad("--tsig-file: %s: no key in it", path);
	for (int i = 0; !r && i < k; i++)
		r = add_key(c, &keys[i], path);
	free(keys);
	return r;
}

/* "ZONE=ADDR:PORT[,key=NAME]" of --notify and --secondary. */
static int peer(struct xfr_peer *p, const char *opt, const char *v)
{
	memset(p, 0, sizeof *p);
	int r = dns_xfr_peer_parse(&p->p, v, strlen(v));
	if (r < 0)
		return bad("%s: \"%s\" is not ZONE=ADDR:PORT[,key=NAME] (numeric address, IPv6 "
			   "in brackets): %s", opt, v, dns_strerror(r));
	dns_name_to_text(p->p.zone, p->zone_text, sizeof p->zone_text);
	struct dns_addr a = { .family = p->p.family, .port = p->p.port };
	memcpy(a.ip, p->p.ip, sizeof a.ip);
	xfr_addr_text(&a, p->addr_text, sizeof p->addr_text);
	return 0;
}

int xfr_option(struct config *cfg, const char *name, const char *v)
{
	if (!cfg->xfr && !(cfg->xfr = calloc(1, sizeof *cfg->xfr)))
		return bad("out of memory");
	struct xfr_conf *c = cfg->xfr;
	long long n;
	char *end;
	if (strcmp(name, "--tsig") == 0) {
		struct dns_tsig_key k;
		int r = dns_tsig_key_from_text(&k, v, strlen(v));
		if (r < 0) {
			/* The secret is not repeated in the message. */
			const char *colon = strchr(v, ':');
			int shown = colon ? (int)(colon - v) : (int)strlen(v);
			return bad("--tsig: \"%.*s:...\" is not NAME:ALG:BASE64 (ALG hmac-sha256 or "
				   "hmac-sha512): %s", shown > 300 ? 300 : shown, v, dns_strerror(r));
		}
		return add_key(c, &k, "--tsig");
	}
	if (strcmp(name, "--tsig-file") == 0)
		return key_file(c, v);
	if (strcmp(name, "--allow-transfer") == 0) {
		if (c->nacl == XFR_MAX_ACL)
			return bad("too many --allow-transfer (at most %d)", XFR_MAX_ACL);
		int r = dns_acl_rule_parse(&c->acl[c->nacl], v, strlen(v));
		if (r < 0)
			return bad("--allow-transfer: \"%s\" is not ZONE=key=NAME, ZONE=ADDR[/LEN] or "
				   "ZONE=ADDR[/LEN],key=NAME: %s", v, dns_strerror(r));
		c->nacl++;
		return 0;
	}
	if (strcmp(name, "--ixfr-history") == 0) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (!*v || *end || errno || n < 0 || n > DNS_JOURNAL_MAX_DELTAS || *v == '-' || *v == '+')
			return bad("--ixfr-history: \"%s\" is not a number from 0 to %d", v,
				DNS_JOURNAL_MAX_DELTAS);
		c->ixfr_history = (unsigned)n;
		return 0;
	}
	if (strcmp(name, "--notify") == 0) {
		if (c->nnotify == XFR_MAX_PEERS)
			return bad("too many --notify (at most %d)", XFR_MAX_PEERS);
		int r = peer(&c->notify[c->nnotify], name, v);
		if (!r)
			c->nnotify++;
		return r;
	}
	if (strcmp(name, "--secondary") == 0) {
		if (c->nsec == XFR_MAX_PEERS)
			return bad("too many --secondary (at most %d)", XFR_MAX_PEERS);
		struct xfr_peer *p = &c->sec[c->nsec];
		int r = peer(p, name, v);
		if (r)
			return r;
		for (size_t i = 0; i < c->nsec; i++)
			if (dns_name_equal(c->sec[i].p.zone, p->p.zone))
				return bad("--secondary %s given twice", p->zone_text);
		c->nsec++;
		return 0;
	}
	return bad("unknown option \"%s\"", name);
}

static int resolve(struct xfr_conf *c, struct xfr_peer *p, const char *opt)
{
	if (!p->p.key_set)
		return 0;
	p->key = dns_tsig_key_find(c->keys, c->nkeys, p->p.key);
	if (!p->key) {
		char k[DNS_NAME_MAX * 4 + 2];
		dns_name_to_text(p->p.key, k, sizeof k);
		return bad("%s %s: no key %s (give it with --tsig or --tsig-file)", opt, p->zone_text, k);
	}
	return 0;
}

int xfr_config_finish(struct config *cfg)
{
	struct xfr_conf *c = cfg->xfr;
	if (!c)
		return 0;
	for (size_t i = 0; i < c->nacl; i++) {
		char z[DNS_NAME_MAX * 4 + 2], k[DNS_NAME_MAX * 4 + 2];
		dns_name_to_text(c->acl[i].zone, z, sizeof z);
		if (c->acl[i].key_set && !dns_tsig_key_find(c->keys, c->nkeys, c->acl[i].key)) {
			dns_name_to_text(c->acl[i].key, k, sizeof k);
			return bad("--allow-transfer %s: no key %s (give it with --tsig or --tsig-file)", z, k);
		}
	}
	for (size_t i = 0; i < c->nnotify; i++)
		if (resolve(c, &c->notify[i], "--notify"))
			return 2;
	for (size_t i = 0; i < c->nsec; i++) {
		if (resolve(c, &c->sec[i], "--secondary"))
			return 2;
		for (unsigned z = 0; z < cfg->nzones; z++)
			if (dns_name_equal(cfg->zones[z].origin, c->sec[i].p.zone))
				return bad("%s is both a --zone and a --secondary", c->sec[i].zone_text);
	}
	return 0;
}

void xfr_addr_text(const struct dns_addr *a, char *buf, size_t cap)
{
	struct cl_addr c = { .family = a->family, .port = a->port };
	memcpy(c.ip, a->ip, sizeof c.ip);
	if (cl_addr_format(&c, buf, cap) < 0)
		snprintf(buf, cap, "?");
}
