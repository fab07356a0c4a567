#!/bin/sh
# Install the build into a temporary prefix, then build and run a tiny program
# against each library using pkg-config alone (no path into the source tree).
#   check_install.sh BUILD_DIR LIB...
# With SABOTAGE=header or SABOTAGE=pc the installed header or .pc file of the
# first library is removed first, to show the check fails when one is missing.
set -eu
build=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"; echo "FAIL: meson install into $tmp/root failed"; exit 1; }
pcfile=$(find "$tmp/root" -name "cloudlet-$1.pc" | head -n 1)
[ -n "$pcfile" ] || { echo "FAIL: cloudlet-$1.pc was not installed"; exit 1; }
pcdir=$(dirname "$pcfile")
libdir=$(dirname "$pcdir")
case "${SABOTAGE:-}" in
header) rm -f "$(find "$tmp/root" -path "*/cloudlet/$1.h")" ;;
pc) rm -f "$pcdir/cloudlet-$1.pc" ;;
esac
export PKG_CONFIG_SYSROOT_DIR="$tmp/root" PKG_CONFIG_PATH="$pcdir"
cc=${CC:-cc}
status=0
for lib in "$@"; do
	up=$(echo "$lib" | tr a-z A-Z)
	cat >"$tmp/use_$lib.c" <<EOC
#include <cloudlet/$lib.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	const char *s = ${lib}_strerror(${up}_ENOMEM);
	if (strstr(s, "${up}_ENOMEM") == NULL || strcmp(${lib}_version(), ${up}_VERSION) != 0) {
		printf("lib$lib: unexpected %s %s\n", s, ${lib}_version());
		return 1;
	}
	printf("lib$lib %s: %s\n", ${lib}_version(), s);
	return 0;
}
EOC
	if ! flags=$(pkg-config --cflags --libs "cloudlet-$lib" 2>&1); then
		echo "FAIL: pkg-config cannot find cloudlet-$lib: $flags"; status=1; continue
	fi
	# shellcheck disable=SC2086
	if ! $cc -o "$tmp/use_$lib" "$tmp/use_$lib.c" $flags >"$tmp/cc.log" 2>&1; then
		cat "$tmp/cc.log"; echo "FAIL: cannot build against cloudlet-$lib with: $flags"; status=1; continue
	fi
	if ! LD_LIBRARY_PATH="$tmp/root$(pkg-config --variable=libdir "cloudlet-$lib" | sed "s|^$tmp/root||")" "$tmp/use_$lib"; then
		echo "FAIL: the program linked against cloudlet-$lib did not run"; status=1; continue
	fi
	[ -f "$libdir/libcloudlet-$lib.a" ] || { echo "FAIL: libcloudlet-$lib.a not installed"; status=1; }
done
[ $status -eq 0 ] && echo "ok: $* install and link with pkg-config alone"
exit $status
