/* A public header that pulls in zlib, which libdns may not use. */
#include <stdint.h>
#include <zlib.h>
