/* libhttp's request parser as the plug: one complete head parsed with the
 * default (strict) limits into 64 header slots on the stack, as httpd's
 * connection does. */
#include <cloudlet/http.h>

#include "bench_parse.h"

const char bench_parse_name[] = "libhttp";

int bench_parse(const char *buf, size_t len)
{
    struct http_request req;
    struct http_header headers[64];
    size_t n = 64;

    return http_request_parse(&req, (const uint8_t *)buf, len, headers, &n, NULL);
}
