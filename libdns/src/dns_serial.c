/* Serial number arithmetic (RFC 1982). */
#include "dns_int.h"

/* RFC 1982 3.2: i1 < i2 when (i1 < i2 and i2 - i1 < 2^31) or (i1 > i2 and
 * i1 - i2 > 2^31); the distance 2^31 exactly is left undefined. Unsigned
 * subtraction modulo 2^32 gives the forward distance in one step. */
int dns_serial_cmp(uint32_t a, uint32_t b)
{
	uint32_t d = b - a;
	if (d == 0)
		return DNS_SERIAL_EQ;
	if (d == 0x80000000u)
		return DNS_SERIAL_UNDEF;
	return d < 0x80000000u ? DNS_SERIAL_LT : DNS_SERIAL_GT;
}

bool dns_serial_gt(uint32_t a, uint32_t b)
{
	return dns_serial_cmp(a, b) == DNS_SERIAL_GT;
}

/* RFC 1982 3.1: only additions of 0 .. 2^31 - 1 are defined. */
int dns_serial_add(uint32_t s, uint32_t n, uint32_t *out)
{
	if (n > 0x7fffffffu)
		return DNS_EINVAL;
	*out = s + n;
	return 0;
}
