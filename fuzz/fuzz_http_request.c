/* Fuzz the request head parser: any input gives a head length, HTTP_EAGAIN
 * or a named error that maps to a status; slices stay inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cloudlet/http.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_header h[64];
	size_t nh = 64;
	struct http_request r;
	int ret = http_request_parse(&r, data, size, h, &nh, NULL);
	if (ret == HTTP_EAGAIN)
		return 0;
	if (ret < 0) {
		if (http_err_status(ret) == 0)
			abort();
		return 0;
	}
	if ((size_t)ret > size || nh > 64 || r.head_len != (size_t)ret)
		abort();
	for (size_t i = 0; i < nh; i++) {
		if (h[i].name.p < data || h[i].value.p + h[i].value.len > data + ret)
			abort();
		/* what was accepted keeps the field rules of RFC 9110 5.1, 5.5 */
		if (h[i].name.len == 0)
			abort();
		for (size_t k = 0; k < h[i].name.len; k++) {
			uint8_t b = h[i].name.p[k];
			if (b <= ' ' || b >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", b))
				abort();
		}
		struct http_str v = h[i].value;
		if (v.len && (v.p[0] == ' ' || v.p[0] == '\t' || v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
			abort();
		for (size_t k = 0; k < v.len; k++)
			if ((v.p[k] < ' ' && v.p[k] != '\t') || v.p[k] == 0x7f)
				abort();
	}
	for (size_t k = 0; k < r.target.len; k++)
		if (r.target.p[k] <= ' ' || r.target.p[k] >= 0x7f || r.target.p[k] == '#')
			abort();
	if (r.target.len == 0 || r.method.len == 0)
		abort();
	/* A prefix one byte short of the head must be incomplete. */
	struct http_request r2;
	size_t n2 = 64;
	if (http_request_parse(&r2, data, (size_t)ret - 1, h, &n2, NULL) != HTTP_EAGAIN)
		abort();
	return 0;
}
