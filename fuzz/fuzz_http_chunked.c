/* Fuzz the chunked decoder: in one call, and again in pieces of a size the
 * first byte picks; both ways must agree on result, bytes used and output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cloudlet/http.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)(data[0] % 16) + 1;
	data++;
	size--;
	static const size_t cap = 4096;
	uint8_t out1[4096], out2[4096];
	struct http_chunked c;
	size_t cons1, prod1;
	http_chunked_init(&c, NULL);
	int r1 = http_chunked_decode(&c, data, size, &cons1, out1, cap, &prod1);
	if (r1 == 0)
		return 0; /* output full: the pieces below would differ */

	http_chunked_init(&c, NULL);
	size_t i = 0, o = 0;
	int r2 = HTTP_EAGAIN;
	while (i < size) {
		size_t n = size - i < step ? size - i : step;
		size_t cons, prod;
		r2 = http_chunked_decode(&c, data + i, n, &cons, out2 + o, cap - o, &prod);
		i += cons;
		o += prod;
		if (r2 != HTTP_EAGAIN)
			break;
	}
	if (r1 != r2)
		abort();
	if (r1 == 1 && (i != cons1 || o != prod1 || memcmp(out1, out2, o) != 0))
		abort();
	return 0;
}
