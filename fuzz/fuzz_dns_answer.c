/*
 * Query in, answer out through the whole engine, over UDP and TCP limits:
 * every answer must parse, carry the query's id, and fit its limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone_text[] =
	"$TTL 3600\n"
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ NS ns1\n@ MX 10 mail\n"
	"ns1 A 192.0.2.1\nmail A 192.0.2.3\nwww A 192.0.2.4\nwww AAAA 2001:db8::4\n"
	"alias CNAME www\nloop1 CNAME loop2\nloop2 CNAME loop1\n"
	"*.wild A 192.0.2.5\nexists.wild TXT \"x\"\na.b.c.ent A 192.0.2.6\n"
	"sub NS ns.sub\nsub DS 1 13 2 AB\nns.sub A 192.0.2.7\n"
	"_sip._udp SRV 0 5 5060 www\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"a\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"b\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"c\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"d\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"e\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"f\"\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\" \"g\"\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_zparser p;
	static uint8_t arena[1 << 16];
	static struct dns_zone z;
	static bool loaded;
	if (!loaded) {
		static const uint8_t origin[] = "\7example";
		dns_zone_init(&z, origin, arena, sizeof arena);
		struct dns_zopts o = { .file = "fuzz", .origin = origin, .rclass = DNS_C_IN,
			.rr = dns_zone_add_cb, .rr_ctx = &z };
		struct dns_zerror e;
		struct dns_zone_err ze;
		if (dns_zone_parse(&p, &o, (const uint8_t *)zone_text, sizeof zone_text - 1, &e) < 0 ||
		    dns_zone_finish(&z, &ze) != 0)
			abort();
		loaded = true;
	}
	const struct dns_zone *zones[1] = { &z };
	static uint8_t out[65535];
	uint16_t ctab[64];
	for (int tcp = 0; tcp < 2; tcp++) {
		struct dns_answer_opts ao = { tcp == 1, 0 };
		int n = dns_answer(zones, 1, data, size, out, sizeof out, ctab, 64, &ao);
		if (n < 0)
			abort();
		if (n == 0) {
			if (size >= 12 && !(data[2] & 0x80))
				abort(); /* only responses and runts are dropped */
			continue;
		}
		if (!tcp && n > 1232)
			abort();
		struct dns_msg m;
		if (dns_msg_parse(&m, out, (size_t)n) != 0)
			abort();
		if (m.hdr.id != (uint16_t)(data[0] << 8 | data[1]) || !(m.hdr.flags & DNS_F_QR))
			abort();
	}
	return 0;
}
