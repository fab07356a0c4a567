/*
 * DNS over TCP: the input is the byte stream a client sends, cut into reads
 * of sizes taken from the input itself, with would-block in between. Every
 * framed answer must parse; the connection must end (EOF or an error)
 * within a bounded number of polls.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cloudlet/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *in;
	size_t len, pos;
	uint8_t step;        /* varies the read sizes */
	uint8_t out[1 << 16];
	size_t out_len;
};

static int f_recv(void *ctx, uint8_t *buf, size_t cap)
{
	struct feed *f = ctx;
	if (cap == 0)
		abort();
	f->step = (uint8_t)(f->step * 5 + 3);
	if (f->step % 4 == 0)
		return 0;
	if (f->pos == f->len)
		return -1;
	size_t n = 1 + f->step % 97;
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	if (n > cap)
		n = cap;
	memcpy(buf, f->in + f->pos, n);
	f->pos += n;
	return (int)n;
}

/* Collects output and checks each whole frame as it completes. */
static int f_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct feed *f = ctx;
	if (len == 0)
		abort();
	size_t n = len > 700 ? 700 : len;
	if (f->out_len + n > sizeof f->out)
		abort();
	memcpy(f->out + f->out_len, buf, n);
	f->out_len += n;
	while (f->out_len >= 2) {
		size_t l = (size_t)(f->out[0] << 8 | f->out[1]);
		if (f->out_len < l + 2)
			break;
		struct dns_msg m;
		if (dns_msg_parse(&m, f->out + 2, l) != 0 || !(m.hdr.flags & DNS_F_QR))
			abort();
		memmove(f->out, f->out + l + 2, f->out_len - l - 2);
		f->out_len -= l + 2;
	}
	return (int)n;
}

static void f_close(void *ctx)
{
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char zone_text[] =
		"$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n*.w TXT \"x\"\n";
	static struct dns_zparser p;
	static uint8_t arena[1 << 14];
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
	static struct feed f;
	static uint8_t in[DNS_TCP_BUFSIZE], out[DNS_TCP_BUFSIZE];
	memset(&f, 0, sizeof f);
	f.in = data;
	f.len = size;
	const struct dns_zone *zones[1] = { &z };
	uint16_t ctab[32];
	struct dns_server srv = { zones, 1, 0, ctab, 32 };
	static const struct dns_stream_ops ops = { f_recv, f_send, NULL, f_close };
	struct dns_tcp c;
	if (dns_tcp_init(&c, &ops, &f, in, sizeof in, out, sizeof out, 1000, 0) != 0)
		abort();
	for (uint64_t now = 0;; now++) {
		int r = dns_tcp_poll(&c, &srv, now);
		if (r < 0)
			break;
		if (now > 4 * size + 1000)
			abort(); /* it must end: EOF comes once the input is read */
	}
	return 0;
}
