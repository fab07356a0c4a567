/* The one function a parser under test provides to bench_parser.c.
 *
 * bench_parse() parses one complete HTTP/1.1 request head held in
 * buf[0..len) the way a server would: method, target, version and every
 * header as slices (or whatever the parser's own output is), into storage on
 * its stack or in a static context set up once. It returns the number of
 * bytes the head took (== len for the benchmark's requests), or a negative
 * value if the parser did not accept it.
 *
 * It lives in its own translation unit (bench_parse_<name>.c) and the
 * benchmark is built without LTO, so the compiler cannot see through the call
 * and drop work whose result is unused. */
#ifndef BENCH_PARSE_H
#define BENCH_PARSE_H

#include <stddef.h>

int bench_parse(const char *buf, size_t len);

/* The parser's name for the report; each bench_parse_<name>.c defines it. */
extern const char bench_parse_name[];

#endif
