/* The stub plug: bench_parse() is picohttpparser itself, so a run of the
 * harness compares picohttpparser with itself and shows the harness's noise.
 * bench_parse_libhttp.c replaces this file to measure libhttp. */
#include "bench_parse.h"
#include "pico.h"

const char bench_parse_name[] = "picohttpparser (plug)";

int bench_parse(const char *buf, size_t len)
{
    const char *method, *path;
    size_t method_len, path_len, num_headers = 64;
    int minor_version;
    struct phr_header headers[64];

    return phr_parse_request(buf, len, &method, &method_len, &path, &path_len,
                             &minor_version, headers, &num_headers, 0);
}
