/*
 * Ref names: gitstore_refname_check on any bytes, cross-checked with the
 * rules it must imply; then the name is read as a loose ref's content.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <cloudlet/gitstore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[GITSTORE_REFNAME_MAX + 8];
	if (size < 1 || size > sizeof name - 1)
		return 0;
	memcpy(name, data + 1, size - 1);
	name[size - 1] = 0;
	unsigned flags = data[0] & 1 ? GITSTORE_REFNAME_ONELEVEL : 0;
	if (gitstore_refname_check(name, flags) == 0) {
		size_t n = strlen(name);
		if (n == 0 || strstr(name, "..") || strstr(name, "@{") || strstr(name, "//") ||
			name[0] == '/' || name[n - 1] == '/' || name[n - 1] == '.' || strstr(name, "/.") ||
			name[0] == '.' || strpbrk(name, " ~^:?*[\\\x7f") || (!flags && !strchr(name, '/')))
			abort();
		for (size_t i = 0; i < n; i++)
			if ((uint8_t)name[i] < 0x20)
				abort();
	}
	return 0;
}
