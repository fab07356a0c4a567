/* A repository: storage ops, object format, limits and the zlib arena. */
#include <string.h>
#include <cloudlet/gitstore.h>
#include "gitstore_int.h"

int gitstore_repo_init(struct gitstore_repo *r, const struct gitstore_storage_ops *ops, void *ctx,
	int algo, const struct gitstore_limits *limits, uint8_t *arena, size_t arena_cap)
{
	if (!ops || gitstore_hash_len(algo) == 0)
		return GITSTORE_EINVAL;
	r->ops = ops;
	r->ctx = ctx;
	r->algo = algo;
	memset(&r->limits, 0, sizeof r->limits);
	if (limits)
		r->limits = *limits;
	gitstore_limits_default(&r->limits);
	gitstore_arena_init(&r->arena, arena, arena_cap);
	r->random = NULL;
	r->random_ctx = NULL;
	r->priv.counter = 0;
	r->priv.packs = NULL;
	r->priv.npacks = 0;
	r->priv.scratch = NULL;
	r->priv.scratch_cap = 0;
	return 0;
}

/* A fresh name "<dir>/tmp_<16 hex>" for a file written then renamed into place. */
int gitstore_int_tmp_name(struct gitstore_repo *r, const char *dir, char *out, size_t cap)
{
	uint8_t rnd[8];
	if (r->random) {
		if (r->random(r->random_ctx, rnd, sizeof rnd) != 0)
			return GITSTORE_EIO;
	} else {
		uint64_t c = ++r->priv.counter;
		for (int i = 0; i < 8; i++)
			rnd[i] = (uint8_t)(c >> (8 * i));
	}
	size_t dl = strlen(dir);
	if (dl + 5 + 16 + 1 > cap)
		return GITSTORE_EINVAL;
	static const char digits[] = "0123456789abcdef";
	memcpy(out, dir, dl);
	memcpy(out + dl, "/tmp_", 5);
	for (int i = 0; i < 8; i++) {
		out[dl + 5 + 2 * i] = digits[rnd[i] >> 4];
		out[dl + 5 + 2 * i + 1] = digits[rnd[i] & 15];
	}
	out[dl + 5 + 16] = 0;
	return 0;
}

void gitstore_repo_set_packs(struct gitstore_repo *r, struct gitstore_pack *packs, size_t npacks,
	uint8_t *scratch, size_t scratch_cap)
{
	r->priv.packs = packs;
	r->priv.npacks = packs ? npacks : 0;
	r->priv.scratch = scratch;
	r->priv.scratch_cap = scratch ? scratch_cap : 0;
}

int gitstore_obj_read(struct gitstore_repo *r, const struct gitstore_oid *id, int *type,
	uint8_t *buf, size_t cap, size_t *needed)
{
	for (size_t i = 0; i < r->priv.npacks; i++) {
		struct gitstore_pack *p = &r->priv.packs[i];
		if (!p->idx || gitstore_idx_find(p->idx, id, NULL, NULL) < 0)
			continue;
		struct gitstore_pack_buf b = { buf, cap, r->priv.scratch, r->priv.scratch_cap, 0, 0 };
		int rc = gitstore_pack_get(p, id, &b, type);
		if (rc == GITSTORE_ENOMEM && needed)
			*needed = b.out_needed > cap ? b.out_needed : b.scratch_needed;
		return rc;
	}
	return gitstore_loose_read(r, id, type, buf, cap, needed);
}
