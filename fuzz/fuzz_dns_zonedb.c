/*
 * Zone text -> zone database -> answers: whatever zone loads and passes
 * the checks is asked, for every name it holds and a child of each, a few
 * types; every answer must parse and carry the question back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ask(const struct dns_zone *z, const uint8_t *name, uint16_t type, bool tcp)
{
	uint8_t q[512];
	static uint8_t out[65535];
	uint16_t ctab[64];
	struct dns_msgw w;
	if (dns_msgw_init(&w, q, sizeof q, NULL, 0, 0x1234, 0) != 0 ||
	    dns_msgw_question(&w, name, type, DNS_C_IN) != 0 ||
	    dns_msgw_opt(&w, 4096, 0, 0, DNS_EDNS_DO, NULL, 0) != 0)
		return;
	int ql = dns_msgw_finish(&w);
	const struct dns_zone *zones[1] = { z };
	struct dns_answer_opts ao = { tcp, 0 };
	int n = dns_answer(zones, 1, q, (size_t)ql, out, sizeof out, ctab, 64, &ao);
	struct dns_msg m;
	if (n <= 0 || dns_msg_parse(&m, out, (size_t)n) != 0 || m.hdr.id != 0x1234 ||
	    m.hdr.count[0] != 1 || !dns_name_equal(m.q.name, name) || (!tcp && n > 1232))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_zparser p;
	static uint8_t arena[1 << 20];
	static struct dns_zone z;
	static const uint8_t origin[] = "\7example";
	dns_zone_init(&z, origin, arena, sizeof arena);
	struct dns_zopts o = { .file = "fuzz", .origin = origin, .rclass = DNS_C_IN,
		.rr = dns_zone_add_cb, .rr_ctx = &z, .have_default_ttl = true, .default_ttl = 60 };
	struct dns_zerror e;
	struct dns_zone_err ze;
	if (dns_zone_parse(&p, &o, data, size, &e) < 0 || dns_zone_finish(&z, &ze) != 0)
		return 0;
	static const uint16_t types[] = { DNS_T_A, DNS_T_NS, DNS_T_CNAME, DNS_T_DS, DNS_T_ANY, DNS_T_MX, DNS_T_TXT };
	struct dns_zone_iter it = { 0, 0 };
	struct dns_rrset set;
	int asked = 0;
	while (dns_zone_next(&z, &it, &set) && asked < 64) {
		uint8_t child[DNS_NAME_MAX];
		size_t l = dns_name_len(set.owner);
		for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
			ask(&z, set.owner, types[t], t & 1);
		ask(&z, set.owner, set.type, false);
		if (l + 2 <= DNS_NAME_MAX) {
			child[0] = 1;
			child[1] = 'Q';
			memcpy(child + 2, set.owner, l);
			ask(&z, child, DNS_T_A, false);
			ask(&z, child, DNS_T_TXT, true);
		}
		asked++;
	}
	return 0;
}
