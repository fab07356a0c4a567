/* Error names and the version string of libdns. */
#include <cloudlet/dns.h>

const char *dns_strerror(int err)
{
	switch (err) {
	case DNS_OK: return "DNS_OK: success";
	case DNS_EAGAIN: return "DNS_EAGAIN: need more input, or the ops would block";
	case DNS_ENOMEM: return "DNS_ENOMEM: a caller-lent buffer, table or arena is full";
	case DNS_EINVAL: return "DNS_EINVAL: an argument is out of range";
	case DNS_EIO: return "DNS_EIO: the ops reported an error";
	case DNS_EEOF: return "DNS_EEOF: the peer closed the stream";
	case DNS_ETIMEDOUT: return "DNS_ETIMEDOUT: a deadline passed";
	case DNS_ETRUNC: return "DNS_ETRUNC: the message ends inside a field";
	case DNS_ECOUNT: return "DNS_ECOUNT: a section count names more records than the message holds";
	case DNS_ETRAILING: return "DNS_ETRAILING: octets after the last record the counts name";
	case DNS_ELABEL_LEN: return "DNS_ELABEL_LEN: a label longer than 63 octets (length octet 64..127)";
	case DNS_ELABEL_TYPE: return "DNS_ELABEL_TYPE: label type 10 (reserved, RFC 1035 4.1.4)";
	case DNS_ENAME_LEN: return "DNS_ENAME_LEN: a name longer than 255 octets";
	case DNS_EPTR_FORWARD: return "DNS_EPTR_FORWARD: a compression pointer to itself or further on";
	case DNS_EPTR_LOOP: return "DNS_EPTR_LOOP: a pointer back into the name it is part of (a loop)";
	case DNS_EPTR_HEADER: return "DNS_EPTR_HEADER: a pointer into the 12-octet header";
	case DNS_EPTR_FORBIDDEN: return "DNS_EPTR_FORBIDDEN: a pointer where compression is not allowed";
	case DNS_ERDATA_SHORT: return "DNS_ERDATA_SHORT: the RDATA fields need more octets than RDLENGTH";
	case DNS_ERDATA_LONG: return "DNS_ERDATA_LONG: octets left in RDATA after its last field";
	case DNS_EBITMAP: return "DNS_EBITMAP: malformed type bitmap (RFC 4034 4.1.2)";
	case DNS_ESVC_ORDER: return "DNS_ESVC_ORDER: SvcParamKeys not strictly increasing (RFC 9460 2.2)";
	case DNS_ESVC_VALUE: return "DNS_ESVC_VALUE: a SvcParamValue of the wrong size or form";
	case DNS_EOPT_DUP: return "DNS_EOPT_DUP: two OPT records (RFC 6891 6.1.1)";
	case DNS_EOPT_SECTION: return "DNS_EOPT_SECTION: OPT outside the additional section";
	case DNS_EOPT_OWNER: return "DNS_EOPT_OWNER: OPT with an owner other than the root";
	case DNS_EOPT_LEN: return "DNS_EOPT_LEN: an EDNS option runs past the OPT RDATA";
	case DNS_ETSIG_POS: return "DNS_ETSIG_POS: TSIG not the last record (RFC 8945 5.1)";
	case DNS_ESECTION: return "DNS_ESECTION: writer: a section written after a later one";
	case DNS_ESTR_LEN: return "DNS_ESTR_LEN: a character-string longer than 255 octets";
	case DNS_EZ_NAME: return "DNS_EZ_NAME: malformed domain name";
	case DNS_EZ_TTL: return "DNS_EZ_TTL: malformed or out of range TTL";
	case DNS_EZ_TYPE: return "DNS_EZ_TYPE: unknown type mnemonic";
	case DNS_EZ_NUMBER: return "DNS_EZ_NUMBER: malformed or out of range number";
	case DNS_EZ_QUOTE: return "DNS_EZ_QUOTE: unterminated quoted string";
	case DNS_EZ_ESCAPE: return "DNS_EZ_ESCAPE: malformed \\DDD escape";
	case DNS_EZ_PAREN: return "DNS_EZ_PAREN: unbalanced parentheses";
	case DNS_EZ_MISSING: return "DNS_EZ_MISSING: the record ends before its RDATA is complete";
	case DNS_EZ_EXTRA: return "DNS_EZ_EXTRA: tokens left after the RDATA";
	case DNS_EZ_NO_OWNER: return "DNS_EZ_NO_OWNER: a record without owner and no previous owner";
	case DNS_EZ_NO_TTL: return "DNS_EZ_NO_TTL: a record without TTL, no $TTL and no previous TTL";
	case DNS_EZ_DIRECTIVE: return "DNS_EZ_DIRECTIVE: unknown $ directive";
	case DNS_EZ_INCLUDE: return "DNS_EZ_INCLUDE: $INCLUDE disabled, failed, or nested too deep";
	case DNS_EZ_GENERIC: return "DNS_EZ_GENERIC: \\# length does not match its hex data";
	case DNS_EZ_ADDR: return "DNS_EZ_ADDR: malformed IPv4 or IPv6 address";
	case DNS_EZ_BASE64: return "DNS_EZ_BASE64: malformed base64";
	case DNS_EZ_HEX: return "DNS_EZ_HEX: malformed hex (or base32hex)";
	case DNS_EZ_TIME: return "DNS_EZ_TIME: malformed YYYYMMDDHHmmSS time";
	case DNS_EZ_SVC: return "DNS_EZ_SVC: malformed SVCB parameter";
	case DNS_EZ_CLASS: return "DNS_EZ_CLASS: class other than the zone's";
	case DNS_EZ_RDLEN: return "DNS_EZ_RDLEN: RDATA longer than 65535 octets";
	case DNS_ECAA_TAG: return "DNS_ECAA_TAG: CAA tag empty or not letters and digits (RFC 8659 4.1)";
	case DNS_EZONE_OUTSIDE: return "DNS_EZONE_OUTSIDE: a record outside the zone's origin";
	case DNS_EZONE_NO_SOA: return "DNS_EZONE_NO_SOA: no SOA at the apex";
	case DNS_EZONE_SOA: return "DNS_EZONE_SOA: more than one SOA, or an SOA below the apex";
	case DNS_EZONE_NO_NS: return "DNS_EZONE_NO_NS: no NS at the apex";
	case DNS_EZONE_CNAME: return "DNS_EZONE_CNAME: CNAME beside other data, or more than one CNAME";
	case DNS_EZONE_BELOW_CUT: return "DNS_EZONE_BELOW_CUT: data below a delegation other than glue";
	case DNS_EZONE_STATE: return "DNS_EZONE_STATE: the zone is not finished, or finished twice";
	case DNS_EZONE_DNAME: return "DNS_EZONE_DNAME: names below a DNAME, two DNAMEs, or DNAME with CNAME";
	case DNS_ETCP_SHORT: return "DNS_ETCP_SHORT: a TCP frame shorter than a DNS header";
	case DNS_ETCP_LONG: return "DNS_ETCP_LONG: a TCP frame longer than the query limit";
	case DNS_ECLOSED: return "DNS_ECLOSED: the connection was closed by its owner";
	default: break;
	}
	return err > 0 ? "DNS_OK: count" : "DNS_E?: unknown error";
}

const char *dns_version(void)
{
	return DNS_VERSION;
}
