/* Type and class mnemonics, and the RDATA descriptor of each typed RR type. */
#include "dns_int.h"

#define F(...) { __VA_ARGS__, DNS_FK_END }

/*
 * One row per typed RR type. Name kinds follow RFC 3597: s4 lets only the
 * RFC 1035 types be compressed (NS, CNAME, SOA, PTR, MX here); s7 asks
 * receivers to decompress SRV and NAPTR too (and RFC 6672 DNAME); RRSIG,
 * NSEC (RFC 4034 3.1.7, 4.1.1) and SVCB (RFC 9460 2.2) never carry pointers.
 */
static const struct dns_rdesc descs[] = {
	{ DNS_T_A, "A", F(DNS_FK_A) },
	{ DNS_T_NS, "NS", F(DNS_FK_NAME_C) },
	{ DNS_T_CNAME, "CNAME", F(DNS_FK_NAME_C) },
	{ DNS_T_SOA, "SOA", F(DNS_FK_NAME_C, DNS_FK_NAME_C, DNS_FK_U32, DNS_FK_TTL,
		DNS_FK_TTL, DNS_FK_TTL, DNS_FK_TTL) },
	{ DNS_T_PTR, "PTR", F(DNS_FK_NAME_C) },
	{ DNS_T_HINFO, "HINFO", F(DNS_FK_STR, DNS_FK_STR) },
	{ DNS_T_MX, "MX", F(DNS_FK_U16, DNS_FK_NAME_C) },
	{ DNS_T_TXT, "TXT", F(DNS_FK_STRS) },
	{ DNS_T_AAAA, "AAAA", F(DNS_FK_AAAA) },
	{ DNS_T_SRV, "SRV", F(DNS_FK_U16, DNS_FK_U16, DNS_FK_U16, DNS_FK_NAME_D) },
	{ DNS_T_NAPTR, "NAPTR", F(DNS_FK_U16, DNS_FK_U16, DNS_FK_STR, DNS_FK_STR, DNS_FK_STR,
		DNS_FK_NAME_D) },
	{ DNS_T_DNAME, "DNAME", F(DNS_FK_NAME_D) },
	{ DNS_T_DS, "DS", F(DNS_FK_U16, DNS_FK_U8, DNS_FK_U8, DNS_FK_HEX) },
	{ DNS_T_SSHFP, "SSHFP", F(DNS_FK_U8, DNS_FK_U8, DNS_FK_HEX) },
	{ DNS_T_RRSIG, "RRSIG", F(DNS_FK_TYPE, DNS_FK_U8, DNS_FK_U8, DNS_FK_U32, DNS_FK_TIME,
		DNS_FK_TIME, DNS_FK_U16, DNS_FK_NAME_F, DNS_FK_B64) },
	{ DNS_T_NSEC, "NSEC", F(DNS_FK_NAME_F, DNS_FK_BITMAP) },
	{ DNS_T_DNSKEY, "DNSKEY", F(DNS_FK_U16, DNS_FK_U8, DNS_FK_U8, DNS_FK_B64) },
	{ DNS_T_NSEC3, "NSEC3", F(DNS_FK_U8, DNS_FK_U8, DNS_FK_U16, DNS_FK_SALT, DNS_FK_HASH,
		DNS_FK_BITMAP) },
	{ DNS_T_NSEC3PARAM, "NSEC3PARAM", F(DNS_FK_U8, DNS_FK_U8, DNS_FK_U16, DNS_FK_SALT) },
	{ DNS_T_TLSA, "TLSA", F(DNS_FK_U8, DNS_FK_U8, DNS_FK_U8, DNS_FK_HEX) },
	{ DNS_T_SVCB, "SVCB", F(DNS_FK_U16, DNS_FK_NAME_F, DNS_FK_SVC) },
	{ DNS_T_HTTPS, "HTTPS", F(DNS_FK_U16, DNS_FK_NAME_F, DNS_FK_SVC) },
	{ DNS_T_CAA, "CAA", F(DNS_FK_U8, DNS_FK_CAATAG, DNS_FK_CAAVAL) },
};

/* Types with a mnemonic but opaque RDATA (RFC 3597 presentation only). */
static const struct { uint16_t type; char name[12]; } opaque_names[] = {
	{ 3, "MD" }, { 4, "MF" }, { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" },
	{ 11, "WKS" }, { 14, "MINFO" }, { 17, "RP" }, { 18, "AFSDB" }, { 24, "SIG" },
	{ 25, "KEY" }, { 29, "LOC" }, { 30, "NXT" }, { 36, "KX" }, { 37, "CERT" },
	{ 41, "OPT" }, { 42, "APL" }, { 45, "IPSECKEY" }, { 49, "DHCID" }, { 53, "SMIMEA" },
	{ 55, "HIP" }, { 59, "CDS" }, { 60, "CDNSKEY" }, { 61, "OPENPGPKEY" }, { 62, "CSYNC" },
	{ 63, "ZONEMD" }, { 99, "SPF" }, { 108, "EUI48" }, { 109, "EUI64" }, { 249, "TKEY" },
	{ 250, "TSIG" }, { 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" }, { 256, "URI" },
};

const struct dns_rdesc *dns_rdesc_get(uint16_t type)
{
	for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
		if (descs[i].type == type)
			return &descs[i];
	return NULL;
}

bool dns_type_is_typed(uint16_t type)
{
	return dns_rdesc_get(type) != NULL;
}

const char *dns_type_name(uint16_t type)
{
	const struct dns_rdesc *d = dns_rdesc_get(type);
	if (d)
		return d->name;
	for (size_t i = 0; i < sizeof opaque_names / sizeof opaque_names[0]; i++)
		if (opaque_names[i].type == type)
			return opaque_names[i].name;
	return NULL;
}

static bool eq_nocase(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (dns_lower((uint8_t)a[i]) != dns_lower((uint8_t)b[i]))
			return false;
	return true;
}

/* "PREFIXnnn" with nnn a decimal 0..65535 (RFC 3597 s5). */
static int prefixed_number(const char *s, size_t len, const char *prefix, uint16_t *out)
{
	size_t pl = strlen(prefix);
	if (len <= pl || len > pl + 5 || !eq_nocase(s, pl, prefix))
		return -1;
	uint32_t v = 0;
	for (size_t i = pl; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int dns_type_from_text(const char *text, size_t len, uint16_t *type)
{
	for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
		if (eq_nocase(text, len, descs[i].name)) {
			*type = descs[i].type;
			return 0;
		}
	for (size_t i = 0; i < sizeof opaque_names / sizeof opaque_names[0]; i++)
		if (eq_nocase(text, len, opaque_names[i].name)) {
			*type = opaque_names[i].type;
			return 0;
		}
	return prefixed_number(text, len, "TYPE", type) == 0 ? 0 : DNS_EZ_TYPE;
}

static const struct { uint16_t c; char name[8]; } classes[] = {
	{ DNS_C_IN, "IN" }, { DNS_C_CH, "CH" }, { DNS_C_HS, "HS" },
	{ DNS_C_NONE, "NONE" }, { DNS_C_ANY, "ANY" },
};

const char *dns_class_name(uint16_t rclass)
{
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (classes[i].c == rclass)
			return classes[i].name;
	return NULL;
}

int dns_class_from_text(const char *text, size_t len, uint16_t *rclass)
{
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (eq_nocase(text, len, classes[i].name)) {
			*rclass = classes[i].c;
			return 0;
		}
	return prefixed_number(text, len, "CLASS", rclass) == 0 ? 0 : DNS_EZ_CLASS;
}

static const char svc_keys[][16] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint",
};

const char *dns_svc_key_name(uint16_t key)
{
	return key < sizeof svc_keys / sizeof svc_keys[0] ? svc_keys[key] : NULL;
}

int dns_svc_key_from_text(const char *s, size_t len, uint16_t *key)
{
	for (uint16_t i = 0; i < sizeof svc_keys / sizeof svc_keys[0]; i++)
		if (eq_nocase(s, len, svc_keys[i])) {
			*key = i;
			return 0;
		}
	/* RFC 9460 2.1: keyNNNNN, no leading zeros beyond "key0"... accepted as written. */
	return prefixed_number(s, len, "key", key);
}
