/* gf_repack from the command line, for repack_e2e.sh: repack_tool PATH MAX_PACKS
 * prints "merged N" (exit 0), or the error (exit 1). */
#include <stdio.h>
#include <stdlib.h>

#include "gitfollow.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: repack_tool PATH MAX_PACKS\n");
		return 2;
	}
	char err[512];
	int n = gf_repack(argv[1], (unsigned)strtoul(argv[2], NULL, 10), err, sizeof err);
	if (n < 0) {
		fprintf(stderr, "repack_tool: %s\n", err);
		return 1;
	}
	printf("merged %d\n", n);
	return 0;
}
