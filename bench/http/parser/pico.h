/* picohttpparser's request parser as exported by Debian's libh2o
 * (libh2o0.13, h2o 2.2.5, package libh2o-dev). Debian installs no
 * picohttpparser.h, so this declares the ABI of h2o's bundled copy
 * (deps/picohttpparser/picohttpparser.h in h2o 2.2.5). */
#ifndef BENCH_PICO_H
#define BENCH_PICO_H

#include <stddef.h>

struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* >0: bytes consumed, -1: malformed, -2: incomplete. num_headers is the
 * capacity of headers going in and the number used coming out. */
int phr_parse_request(const char *buf, size_t len, const char **method,
                      size_t *method_len, const char **path, size_t *path_len,
                      int *minor_version, struct phr_header *headers,
                      size_t *num_headers, size_t last_len);

#endif
