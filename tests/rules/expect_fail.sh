#!/bin/sh
# expect_fail.sh PATTERN CMD...: succeed only if CMD fails and its output
# matches PATTERN (a checker shown to catch the violation it exists for).
pat=$1; shift
out=$("$@" 2>&1); rc=$?
printf '%s\n' "$out"
if [ $rc -eq 0 ]; then echo "FAIL: '$*' passed; it should have reported $pat"; exit 1; fi
if ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then echo "FAIL: output does not match $pat"; exit 1; fi
echo "ok: caught $pat"
