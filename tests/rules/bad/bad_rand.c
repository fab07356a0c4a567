/* Breaks "chance is an argument": calls rand. */
#include <stdlib.h>
int dns_bad_rand(void);
int dns_bad_rand(void)
{
	return rand();
}
