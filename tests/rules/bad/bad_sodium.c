/* Breaks the allowlist for a library that may not use libsodium (libhttp). */
int crypto_generichash(unsigned char *, unsigned long, const unsigned char *, unsigned long long,
		       const unsigned char *, unsigned long);
int http_bad_hash(unsigned char *out);
int http_bad_hash(unsigned char *out)
{
	return crypto_generichash(out, 32, out, 1, 0, 0);
}
