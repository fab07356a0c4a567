/* Breaks "no allocation": calls malloc and free. */
#include <stdlib.h>
void *dns_bad_alloc(size_t n);
void *dns_bad_alloc(size_t n)
{
	void *p = malloc(n);
	free(p);
	return malloc(n);
}
