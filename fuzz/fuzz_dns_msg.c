/*
 * Message parse: whatever parses is walked record by record, re-encoded
 * (unpacked RDATA through the writer, with compression) and must parse again
 * to the same records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg m;
	if (dns_msg_parse(&m, data, size) != 0)
		return 0;
	static uint8_t out[65535], rd[65535];
	uint16_t ctab[256];
	struct dns_msgw w;
	if (dns_msgw_init(&w, out, sizeof out, ctab, 256, m.hdr.id, m.hdr.flags) != 0)
		abort();
	if (m.hdr.count[0] > 0 && dns_msgw_question(&w, m.q.name, m.q.type, m.q.qclass) != 0)
		abort();
	struct dns_msg_iter it;
	struct dns_rr rr;
	dns_msg_iter_init(&m, &it);
	while (dns_msg_next(&m, &it, &rr)) {
		/* Class ANY records without RDATA are RFC 2136 deletions. */
		int n = rr.rdlen == 0 ? 0 :
			dns_rdata_unpack(m.wire, m.len, rr.rdoff, rr.rdlen, rr.type, rd, sizeof rd);
		if (n < 0 || n > 65535)
			abort();
		char text[8192];
		(void)dns_rr_to_text(rr.owner, rr.type, rr.rclass, rr.ttl, rd, (size_t)n, text, sizeof text);
		if (dns_msgw_rr(&w, rr.section, rr.owner, rr.type, rr.rclass, rr.ttl, rd, (uint16_t)n) != 0) {
			/* Only running out of room may fail (a name uncompressed grows). */
			if (w.err != DNS_ENOMEM)
				abort();
			return 0;
		}
	}
	int len = dns_msgw_finish(&w);
	if (len < 0)
		abort();
	struct dns_msg m2;
	/* Only the first question is rewritten. */
	if (m.hdr.count[0] > 1)
		return 0;
	int r = dns_msg_parse(&m2, out, (size_t)len);
	if (r != 0)
		abort();
	if (m2.hdr.count[1] != m.hdr.count[1] || m2.hdr.count[3] != m.hdr.count[3])
		abort();
	return 0;
}
