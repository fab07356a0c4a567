/* The reference every plug is measured against: picohttpparser from
 * Debian's libh2o, called exactly as bench_parse_pico.c calls it (64 header
 * slots, whole request in one buffer, last_len 0). */
#include "pico.h"
#include "ref_pico.h"

static int parse(const char *buf, size_t len, size_t *num_headers)
{
    const char *method, *path;
    size_t method_len, path_len;
    int minor_version;
    struct phr_header headers[64];

    *num_headers = 64;
    return phr_parse_request(buf, len, &method, &method_len, &path, &path_len,
                             &minor_version, headers, num_headers, 0);
}

int ref_pico_parse(const char *buf, size_t len)
{
    size_t n;

    return parse(buf, len, &n);
}

int ref_pico_count_headers(const char *buf, size_t len)
{
    size_t n;

    if (parse(buf, len, &n) != (int)len)
        return -1;
    return (int)n;
}
