#ifndef BENCH_REF_PICO_H
#define BENCH_REF_PICO_H

#include <stddef.h>

/* Same contract as bench_parse(). */
int ref_pico_parse(const char *buf, size_t len);
/* Headers in a complete request, or -1 if it does not parse as a whole. */
int ref_pico_count_headers(const char *buf, size_t len);

#endif
