/* Fuzz the response head parser, with each framing flag. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cloudlet/http.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned flags = 0; flags < 4; flags++) {
		struct http_header h[64];
		size_t nh = 64;
		struct http_response r;
		int ret = http_response_parse(&r, data, size, h, &nh, NULL, flags);
		if (ret > 0) {
			if ((size_t)ret > size || r.status < 100 || r.status > 599)
				abort();
			if (r.body == HTTP_BODY_CLOSE && r.keep_alive)
				abort();
			if ((flags & HTTP_RESP_TO_HEAD) && r.body != HTTP_BODY_NONE)
				abort();
		}
	}
	return 0;
}
