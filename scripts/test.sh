#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test in a
# normal build (with -Werror) and again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then print one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
total_ok=0; total_fail=0; total_skip=0; status=0

run_suite() { # NAME BUILDDIR MESON_SETUP_ARGS...
  local name=$1 dir=$2; shift 2
  echo "== $name: configure $dir"
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; status=1; return; }
  else
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; status=1; return; }
  fi
  echo "== $name: build"
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -n 60 "$dir.build.log"; status=1; return; }
  echo "== $name: test"
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" 2>&1 | tee "$dir.test.log" | grep -vE '^ *[0-9]+/[0-9]+ .* (OK|SKIP) '
  local ok fail skip
  ok=$(awk '/^Ok:/ {print $2}' "$dir.test.log"); fail=$(awk '/^Fail:/ {print $2}' "$dir.test.log")
  skip=$(awk '/^Skipped:/ {print $2}' "$dir.test.log")
  local upass timeout
  upass=$(awk '/^Unexpected Pass:/ {print $3}' "$dir.test.log"); timeout=$(awk '/^Timeout:/ {print $2}' "$dir.test.log")
  fail=$(( ${fail:-0} + ${upass:-0} + ${timeout:-0} ))
  if [ -z "$ok" ]; then status=1; fail=$((fail + 1)); fi
  total_ok=$((total_ok + ${ok:-0})); total_fail=$((total_fail + fail)); total_skip=$((total_skip + ${skip:-0}))
  [ "$fail" -eq 0 ] || status=1
  echo "== $name: ${ok:-0} passed, $fail failed, ${skip:-0} skipped"
}

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
run_suite "plain" build --werror -Dinterop=enabled
run_suite "asan+ubsan" build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false -Dinterop=enabled

echo "tests: $total_ok passed, $total_fail failed, $total_skip skipped"
exit $status
