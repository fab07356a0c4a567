/*
 * TSIG: the record parser, server-side verification (with a response
 * signed after it), client-side verification of a response to a fixed
 * signed query, and the key parsers on the same bytes as text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys the seeds are signed with (libdns/tests/gen_xfr_corpus.py). */
static const char *const key_text[] = {
	"xfr-key.example:hmac-sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	"big.key:hmac-sha512:c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldA==",
};
#define NOW 1700000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_tsig_key keys[2], fk[4];
	for (int i = 0; i < 2; i++)
		if (dns_tsig_key_from_text(&keys[i], key_text[i], strlen(key_text[i])) != 0)
			abort();
	struct dns_key_error ke;
	int nk = dns_tsig_keyfile_parse((const char *)data, size, fk, 4, &ke);
	if (nk > 4 || (nk < 0 && ke.code != nk))
		abort();
	(void)dns_tsig_key_from_text(&fk[0], (const char *)data, size);

	struct dns_msg m;
	if (dns_msg_parse(&m, data, size) != 0)
		return 0;
	struct dns_tsig_rr rr;
	int r = dns_tsig_rr_parse(&m, &rr);
	if (r == 0 && (rr.mac_len > size || rr.other_len > size))
		abort();
	struct dns_tsig t;
	r = dns_tsig_server_verify(&t, keys, 2, &m, NOW);
	static uint8_t out[65535];
	if (size <= sizeof out - 1024) {
		memcpy(out, data, size);
		int n = dns_tsig_sign(&t, out, size, sizeof out, NOW);
		if (n < 0 && n != DNS_ENOMEM && n != DNS_EINVAL)
			abort();
		if (n > 0 && (size_t)n > size) {
			/* What we add must parse, and verify where it is signed. */
			struct dns_msg m2;
			if (dns_msg_parse(&m2, out, (size_t)n) == 0 && dns_tsig_rr_parse(&m2, &rr) != 0)
				abort();
		}
	}
	(void)dns_tsig_key_name(&t);
	(void)dns_tsig_error_rcode(r);

	/* As the response to our own signed query. */
	struct dns_tsig c;
	for (int k = 0; k < 2; k++) {
		dns_tsig_client_init(&c, &keys[k], 0);
		uint8_t q[512];
		struct dns_msgw w;
		uint8_t zone[] = "\x07" "example" "\x04" "test";
		dns_msgw_init(&w, q, 300, NULL, 0, m.hdr.id, 0);
		dns_msgw_question(&w, zone, DNS_T_AXFR, DNS_C_IN);
		int qn = dns_msgw_finish(&w);
		if (qn < 0 || dns_tsig_sign(&c, q, (size_t)qn, sizeof q, NOW) < 0)
			abort();
		for (int i = 0; i < 3; i++) {
			r = dns_tsig_client_verify(&c, &m, NOW);
			if (r > 1)
				abort();
		}
		(void)dns_tsig_client_end(&c);
	}
	return 0;
}
