/* Breaks "time is an argument": reads the clock. */
#include <time.h>
long dns_bad_time(void);
long dns_bad_time(void)
{
	return (long)time(NULL);
}
