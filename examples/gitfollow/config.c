/* The repository's object format, read from its config; gitkv compiles
 * this file too. */
#include <ctype.h>
#include <string.h>

#include "gitfollow.h"

/* extensions.objectFormat = sha256 in the config selects SHA-256 ids. */
int gf_config_algo(struct cl_files *f)
{
	uint8_t buf[65536];
	int n = cl_files_read(f, "config", 0, buf, sizeof buf - 1);
	if (n <= 0)
		return GITSTORE_SHA1;
	buf[n] = 0;
	for (int i = 0; i < n; i++)
		buf[i] = (uint8_t)tolower(buf[i]);
	char *p = strstr((char *)buf, "objectformat");
	if (p) {
		p += strlen("objectformat");
		p += strspn(p, " \t=");
		if (!strncmp(p, "sha256", 6))
			return GITSTORE_SHA256;
	}
	return GITSTORE_SHA1;
}
