/* Fuzz the client connection: the input (after one byte choosing faults and
 * the method) is what a server sends back. Requests go out one after the
 * other while the connection stays ready; every response body must match
 * its framing, and the connection must end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cloudlet/http.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fc {
	uint64_t rng;
	const uint8_t *in;
	size_t in_len, pos;
	int block, io;
};

static unsigned fc_rand(struct fc *f)
{
	f->rng = f->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(f->rng >> 33);
}

static int fc_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct fc *f = ctx;
	if ((int)(fc_rand(f) % 8) < f->block)
		return 0;
	if (f->pos == f->in_len)
		return -1;
	size_t n = f->in_len - f->pos;
	if (n > cap)
		n = cap;
	n = 1 + fc_rand(f) % (n < (size_t)f->io ? n : (size_t)f->io);
	memcpy(buf, f->in + f->pos, n);
	f->pos += n;
	return (int)n;
}

static int fc_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fc *f = ctx;
	(void)buf;
	if ((int)(fc_rand(f) % 8) < f->block)
		return 0;
	return (int)(1 + fc_rand(f) % (len < 64 ? len : 64));
}

static void fc_close(void *ctx)
{
	(void)ctx;
}

static const struct http_stream_ops fc_ops = { fc_recv, fc_send, NULL, fc_close };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fc f;
	memset(&f, 0, sizeof f);
	f.rng = data[0];
	f.block = data[0] & 3;
	f.io = 1 + ((data[0] >> 2) & 31);
	f.in = data + 1;
	f.in_len = size - 1;
	const char *method = data[0] & 0x80 ? "HEAD" : "GET";
	uint8_t in[1024], out[512];
	struct http_header hdr[16];
	struct http_client c;
	http_client_init(&c, &fc_ops, &f, in, sizeof in, out, sizeof out, hdr, 16, NULL, 1000, 0);
	struct http_str target = { (const uint8_t *)"/", 1 }, host = { (const uint8_t *)"h", 1 };
	struct http_str none = { NULL, 0 };
	uint64_t now = 0, got = 0;
	int requests = 0, r = 0;
	for (int i = 0; i < 100000; i++, now++) {
		r = http_client_poll(&c, now);
		if (r == HTTP_CLIENT_READY) {
			if (requests++ == 8)
				return 0;
			if (http_client_request(&c, method, target, host, none, NULL, 0) != 0)
				abort();
			got = 0;
			continue;
		}
		if (r == HTTP_CLIENT_RESPONSE) {
			const struct http_response *res = http_client_response(&c);
			uint8_t buf[300];
			int n;
			uint64_t want = res->content_length;
			enum http_body kind = res->body;
			while ((n = http_client_body_read(&c, buf, sizeof buf)) > 0)
				got += (uint64_t)n;
			if (n == 0 && kind == HTTP_BODY_LENGTH && got != want)
				abort();
			if (n == 0 && kind == HTTP_BODY_NONE && got != 0)
				abort();
			continue;
		}
		if (r != HTTP_CLIENT_IDLE)
			return 0;
	}
	/* Only the idle timeout (1000 ms of the fake clock) can end a stall. */
	abort();
}
