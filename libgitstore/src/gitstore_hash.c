/*
 * The repository's hash: SHA-1 (ids of 20 bytes) or SHA-256 (32 bytes, git's
 * "extensions.objectFormat = sha256"), behind one streaming context, and the
 * hex form of ids.
 */
#include <string.h>
#include <sodium.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct gitstore_hash *)0)->priv.sha256),
	"gitstore_hash too small for libsodium's SHA-256 state");

size_t gitstore_hash_len(int algo)
{
	return algo == GITSTORE_SHA256 ? 32 : algo == GITSTORE_SHA1 ? 20 : 0;
}

int gitstore_hash_init(struct gitstore_hash *h, int algo)
{
	h->algo = algo;
	if (algo == GITSTORE_SHA1) {
		gitstore_sha1_init(&h->priv.sha1);
		return 0;
	}
	if (algo == GITSTORE_SHA256) {
		crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)h->priv.sha256);
		return 0;
	}
	return GITSTORE_EINVAL;
}

void gitstore_hash_update(struct gitstore_hash *h, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (h->algo == GITSTORE_SHA1)
		gitstore_sha1_update(&h->priv.sha1, data, len);
	else
		crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)h->priv.sha256, data, len);
}

void gitstore_hash_final(struct gitstore_hash *h, struct gitstore_oid *out)
{
	memset(out->b, 0, sizeof out->b);
	if (h->algo == GITSTORE_SHA1)
		gitstore_sha1_final(&h->priv.sha1, out->b);
	else
		crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)h->priv.sha256, out->b);
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gitstore_oid_from_hex(int algo, const char *hex, size_t len, struct gitstore_oid *out)
{
	size_t n = gitstore_hash_len(algo);
	if (n == 0)
		return GITSTORE_EINVAL;
	if (len != 2 * n)
		return GITSTORE_EHEX;
	memset(out->b, 0, sizeof out->b);
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((uint8_t)hex[2 * i]), lo = hexval((uint8_t)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return GITSTORE_EHEX;
		out->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

size_t gitstore_oid_to_hex(int algo, const struct gitstore_oid *id, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = gitstore_hash_len(algo);
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[id->b[i] >> 4];
		out[2 * i + 1] = digits[id->b[i] & 15];
	}
	out[2 * n] = '\0';
	return 2 * n;
}

int gitstore_oid_cmp(const struct gitstore_oid *a, const struct gitstore_oid *b)
{
	return memcmp(a->b, b->b, sizeof a->b);
}

bool gitstore_oid_is_zero(const struct gitstore_oid *a)
{
	for (size_t i = 0; i < sizeof a->b; i++)
		if (a->b[i])
			return false;
	return true;
}
