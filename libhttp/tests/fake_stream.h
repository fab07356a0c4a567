/* Test helper: a fake stream for the connection tests. Its PRNG (a seed
 * per run) decides short reads and writes and would-blocks; what the peer
 * sends is a fixed input (revealed up to in_visible), what it receives is
 * collected in out. Include after <cmocka.h>. */
#ifndef HTTP_TEST_FAKE_STREAM_H
#define HTTP_TEST_FAKE_STREAM_H

/* ---- the fake stream ---- */

struct fake {
	uint64_t rng;
	int block_pct;          /* chance of a would-block per call */
	size_t max_io;          /* longest transfer per call; 0: whole ones */
	const uint8_t *in;
	size_t in_len, in_pos;
	size_t in_visible;      /* bytes the client has "sent" so far */
	bool eof;               /* after the input: EOF (else would block) */
	uint8_t out[1 << 17];
	size_t out_len;
	int closes;
	bool fail_send;
	int sends;              /* calls of send and sendv that moved bytes */
};

static uint64_t rnd(struct fake *f)
{
	/* splitmix64 */
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t pick(struct fake *f, size_t n)
{
	if (f->max_io == 0)
		return n; /* whole transfers */
	size_t m = n < f->max_io ? n : f->max_io;
	return 1 + (size_t)(rnd(f) % m);
}

static int f_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct fake *f = ctx;
	assert_true(cap > 0);
	assert_int_equal(f->closes, 0);
	if ((int)(rnd(f) % 100) < f->block_pct)
		return 0;
	size_t vis = f->in_visible < f->in_len ? f->in_visible : f->in_len;
	if (f->in_pos == vis)
		return f->in_pos == f->in_len && f->eof ? -1 : 0;
	size_t n = pick(f, vis - f->in_pos < cap ? vis - f->in_pos : cap);
	memcpy(buf, f->in + f->in_pos, n);
	f->in_pos += n;
	return (int)n;
}

static int f_sendv(void *ctx, const struct http_iov *iov, int n)
{
	struct fake *f = ctx;
	assert_int_equal(f->closes, 0);
	assert_true(n > 0);
	if (f->fail_send)
		return -2;
	if ((int)(rnd(f) % 100) < f->block_pct)
		return 0;
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += iov[i].len;
	assert_true(total > 0);
	size_t k = pick(f, total), done = 0;
	f->sends++;
	for (int i = 0; i < n && done < k; i++) {
		size_t m = iov[i].len < k - done ? iov[i].len : k - done;
		assert_true(f->out_len + m <= sizeof f->out);
		memcpy(f->out + f->out_len, iov[i].base, m);
		f->out_len += m;
		done += m;
	}
	return (int)k;
}

static int f_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct http_iov iov = { buf, len };
	return f_sendv(ctx, &iov, 1);
}

static void f_close(void *ctx)
{
	struct fake *f = ctx;
	f->closes++;
}

static const struct http_stream_ops ops_v = { f_recv, f_send, f_sendv, f_close };
static const struct http_stream_ops ops_1 = { f_recv, f_send, NULL, f_close };

#endif
