/*
 * Truncation: the first two octets are the size limit, the rest a response.
 * Whatever parses is cut to the limit; the result must fit, parse again,
 * keep the header id and question, and keep the OPT record if there was one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t limit = (size_t)data[0] << 8 | data[1];
	const uint8_t *msg = data + 2;
	size_t len = size - 2;
	struct dns_msg m;
	if (dns_msg_parse(&m, msg, len) != 0)
		return 0;
	static uint8_t out[65536];
	int r = dns_msg_truncate(msg, len, out, limit);
	if (r == DNS_ENOMEM || r == DNS_ETRUNC)
		return 0;
	if (r < 0)
		abort();
	if (len <= limit) {
		if ((size_t)r != len || memcmp(out, msg, len) != 0)
			abort();
		return 0;
	}
	struct dns_msg m2;
	if ((size_t)r > limit || dns_msg_parse(&m2, out, (size_t)r) != 0)
		abort();
	if (m2.hdr.id != m.hdr.id || m2.hdr.count[0] != m.hdr.count[0] ||
	    m2.edns.present != m.edns.present || m2.tsig_off != 0)
		abort();
	/* In place gives the same. */
	static uint8_t in[65536];
	memcpy(in, msg, len);
	if (dns_msg_truncate(in, len, in, limit) != r || memcmp(in, out, (size_t)r) != 0)
		abort();
	return 0;
}
