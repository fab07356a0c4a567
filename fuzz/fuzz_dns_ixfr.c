/*
 * IXFR (and AXFR) responses as the secondary receives them: the input is
 * a TCP stream of 2-octet-framed messages, applied on top of a fixed copy
 * of example.test (serial 1). Whatever completes must be a sorted set
 * holding its SOA; whatever fails must leave the copy as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t zone[] = "\x07" "example" "\x04" "test";

static void add(struct dns_xset *z, const char *owner_wire, uint16_t type, const void *rd, uint16_t n)
{
	struct dns_xrr rr = { (const uint8_t *)owner_wire, type, DNS_C_IN, 300, n, rd };
	if (dns_xset_add(z, &rr) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t cm[4096], om[1 << 18];
	struct dns_xset cur, out;
	dns_xset_init(&cur, cm, sizeof cm);
	static const uint8_t soa[] = "\x02ns\x07" "example\x04test\x00\x05" "admin\x07" "example\x04test\x00"
		"\x00\x00\x00\x01" "\x00\x00\x0e\x10" "\x00\x00\x02\x58" "\x00\x01\x51\x80" "\x00\x00\x01\x2c";
	add(&cur, (const char *)zone, DNS_T_SOA, soa, sizeof soa - 1);
	add(&cur, "\x01" "a" "\x07" "example" "\x04" "test", DNS_T_A, "\xc0\x00\x02\x01", 4);
	add(&cur, "\x01" "b" "\x07" "example" "\x04" "test", DNS_T_A, "\xc0\x00\x02\x02", 4);
	if (dns_xset_sort(&cur) != 3)
		abort();
	uint8_t before[sizeof cm];
	memcpy(before, cm, sizeof cm);
	dns_xset_init(&out, om, sizeof om);
	/* The query id is the first message's; odd sizes ask for AXFR. */
	uint16_t id = size >= 4 ? (uint16_t)(data[2] << 8 | data[3]) : 0;
	uint16_t qtype = size % 2 ? DNS_T_AXFR : DNS_T_IXFR;
	struct dns_xfr_rx rx;
	dns_xfr_rx_init(&rx, zone, id, qtype, &cur, &out, NULL);
	size_t pos = 0;
	int r = DNS_EAGAIN;
	while (r == DNS_EAGAIN && size - pos >= 2) {
		size_t l = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (l > size - pos)
			break;
		r = dns_xfr_rx_input(&rx, data + pos, l, 0);
		pos += l;
	}
	if (r == DNS_EAGAIN)
		r = dns_xfr_rx_end(&rx);
	if (r == DNS_EAGAIN || r > DNS_XFR_UPTODATE)
		abort();
	if (r == DNS_XFR_NEW) {
		struct dns_xrr s, prev, rr;
		if (dns_xset_soa(&out, &s) != 0)
			abort();
		struct dns_xset_iter it;
		dns_xset_iter_init(&it, &out);
		size_t n = 0;
		while (dns_xset_next(&it, &rr) == 1) {
			if (n++ && dns_xrr_cmp(&prev, &rr) >= 0)
				abort(); /* sorted, no duplicates */
			if (!dns_name_is_sub(rr.owner, zone))
				abort();
			prev = rr;
		}
		if (n != dns_xset_count(&out))
			abort();
	}
	if (memcmp(before, cm, sizeof cm) != 0)
		abort();
	return 0;
}
