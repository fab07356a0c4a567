/* Fuzz a whole server connection: the input (after one byte choosing the
 * fault pattern) is what the client sends. The stream gives short reads and
 * writes and would-blocks; the application serves static content, echoes
 * bodies and streams. Whatever comes in, the bytes sent back must parse as
 * a sequence of complete responses, and the connection must end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cloudlet/http.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	uint64_t rng;
	const uint8_t *in;
	size_t in_len, pos;
	uint8_t out[1 << 16];
	size_t out_len;
	int block, io;
	bool overflow;
	bool head[64];
	int nreq;
};

static unsigned fz_rand(struct fz *f)
{
	f->rng = f->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(f->rng >> 33);
}

static int fz_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct fz *f = ctx;
	if ((int)(fz_rand(f) % 8) < f->block)
		return 0;
	if (f->pos == f->in_len)
		return -1;
	size_t n = f->in_len - f->pos;
	if (n > cap)
		n = cap;
	n = 1 + fz_rand(f) % (n < (size_t)f->io ? n : (size_t)f->io);
	memcpy(buf, f->in + f->pos, n);
	f->pos += n;
	return (int)n;
}

static int fz_sendv(void *ctx, const struct http_iov *iov, int cnt)
{
	struct fz *f = ctx;
	if ((int)(fz_rand(f) % 8) < f->block)
		return 0;
	size_t total = 0;
	for (int i = 0; i < cnt; i++)
		total += iov[i].len;
	size_t k = 1 + fz_rand(f) % (total < (size_t)f->io * 8 ? total : (size_t)f->io * 8);
	size_t done = 0;
	for (int i = 0; i < cnt && done < k; i++) {
		size_t m = iov[i].len < k - done ? iov[i].len : k - done;
		if (f->out_len + m > sizeof f->out) {
			f->overflow = true;
			return -2;
		}
		memcpy(f->out + f->out_len, iov[i].base, m);
		f->out_len += m;
		done += m;
	}
	return (int)k;
}

static int fz_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct http_iov v = { buf, len };
	return fz_sendv(ctx, &v, 1);
}

static void fz_close(void *ctx)
{
	(void)ctx;
}

static const struct http_stream_ops fz_ops = { fz_recv, fz_send, fz_sendv, fz_close };

static const char text[] = "<html><body>fuzz me</body></html>\n";

/* Answer the current request; returns false to come back later. */
static bool answer(struct fz *f, struct http_conn *c, int *phase, size_t *streamed)
{
	const struct http_request *r = http_conn_request(c);
	if (*phase == 0) {
		if (f->nreq < 64)
			f->head[f->nreq] = r->meth == HTTP_M_HEAD;
		f->nreq++;
		*phase = r->meth == HTTP_M_POST ? 1 : r->meth == HTTP_M_PUT ? 2 : 3;
		*streamed = 0;
	}
	if (*phase == 1) {
		uint8_t buf[256];
		int n;
		while ((n = http_conn_body_read(c, buf, sizeof buf)) > 0)
			;
		if (n == HTTP_EAGAIN)
			return false;
		*phase = 0;
		if (n < 0)
			return true;
		struct http_str none = { NULL, 0 };
		http_conn_respond(c, 201, none, (const uint8_t *)"ok", 2);
		return true;
	}
	if (*phase == 2) {
		struct http_str fields = { (const uint8_t *)"X-A: b\r\n", 8 };
		if (*streamed == 0 && http_conn_respond_start(c, 200, fields) < 0)
			abort();
		*streamed = 1;
		for (int i = 0; i < 3; i++)
			if (http_conn_respond_write(c, (const uint8_t *)text, sizeof text - 1) < 0)
				return false;
		if (http_conn_respond_end(c) < 0)
			return false;
		*phase = 0;
		return true;
	}
	struct http_content ct;
	memset(&ct, 0, sizeof ct);
	ct.data = (const uint8_t *)text;
	ct.size = sizeof text - 1;
	ct.etag.p = (const uint8_t *)"\"e\"";
	ct.etag.len = 3;
	ct.mtime = 1000000000;
	ct.type = http_media_type(r->target);
	struct http_static_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.now = 1700000000;
	cfg.boundary.p = (const uint8_t *)"B0UNDARY";
	cfg.boundary.len = 8;
	if (http_conn_static(c, &ct, &cfg) < 0) {
		struct http_str none = { NULL, 0 };
		if (http_conn_respond(c, 500, none, NULL, 0) < 0)
			abort();
	}
	*phase = 0;
	return true;
}

/* A connection that ended because the peer went away (or an op failed)
 * may have stopped in the middle of a response; any other end may not. */
static void check_output(const struct fz *f, int result)
{
	bool cut = result == HTTP_EEOF || result == HTTP_EIO;
	size_t pos = 0;
	int req = 0;
	while (pos < f->out_len) {
		struct http_header h[32];
		size_t nh = 32;
		struct http_response r;
		unsigned flags = req < 64 && f->head[req] ? HTTP_RESP_TO_HEAD : 0;
		int hl = http_response_parse(&r, f->out + pos, f->out_len - pos, h, &nh, NULL, flags);
		if (hl == HTTP_EAGAIN && cut)
			return;
		if (hl <= 0)
			abort();
		pos += (size_t)hl;
		if (r.status == 100)
			continue;
		req++;
		if (r.body == HTTP_BODY_LENGTH) {
			if (r.content_length > f->out_len - pos) {
				if (cut)
					return;
				abort();
			}
			pos += r.content_length;
		} else if (r.body == HTTP_BODY_CHUNKED) {
			struct http_chunked ch;
			http_chunked_init(&ch, NULL);
			size_t cons, prod;
			uint8_t tmp[1 << 16];
			int cr = http_chunked_decode(&ch, f->out + pos, f->out_len - pos, &cons, tmp,
				sizeof tmp, &prod);
			if (cr == HTTP_EAGAIN && cut)
				return;
			if (cr != 1)
				abort();
			pos += cons;
		} else if (r.body == HTTP_BODY_CLOSE) {
			pos = f->out_len;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f; /* harness state, not library state */
	if (size < 1)
		return 0;
	memset(&f, 0, sizeof f);
	f.rng = data[0];
	f.block = data[0] & 3;
	f.io = 1 + (data[0] >> 2);
	f.in = data + 1;
	f.in_len = size - 1;
	uint8_t in[2048], out[2048];
	struct http_header hdr[32];
	struct http_conn_cfg cfg;
	http_conn_cfg_default(&cfg);
	cfg.limits.max_body = 4096;
	/* Half the inputs also hold back responses to pipelined requests. */
	cfg.max_batch = data[0] & 0x10 ? 8 : 1;
	struct http_conn c;
	http_conn_init(&c, &fz_ops, &f, in, sizeof in, out, sizeof out, hdr, 32, &cfg, 0);
	int phase = 0;
	size_t streamed = 0;
	uint64_t now = 0;
	int r = HTTP_CONN_IDLE;
	for (int i = 0; i < 100000; i++) {
		r = http_conn_poll(&c, now);
		if (r == HTTP_CONN_REQUEST) {
			answer(&f, &c, &phase, &streamed);
			continue;
		}
		if (r != HTTP_CONN_IDLE)
			break;
		now += 1;
	}
	if (r == HTTP_CONN_IDLE || r == HTTP_CONN_REQUEST)
		abort(); /* the input ends with EOF: the connection must end */
	if (!f.overflow)
		check_output(&f, r);
	return 0;
}
