/* Breaks "no stdio": prints. */
#include <stdio.h>
void dns_bad_stdio(const char *s);
void dns_bad_stdio(const char *s)
{
	printf("%d:%s", (int)sizeof s, s);
}
