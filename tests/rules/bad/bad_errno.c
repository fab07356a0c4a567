/* Breaks "errors are values": reads errno. */
#include <errno.h>
int dns_bad_errno(void);
int dns_bad_errno(void)
{
	return errno;
}
