#!/usr/bin/env bash
# Check a repository someone else wrote (libgitstore, gitkv, cloudlet's
# receive-pack) the way git would: `git fsck --full --strict` (objects,
# connectivity, tree rules, ref names), `git verify-pack -v` of every pack
# (trailer, CRC of every entry, every delta resolves, idx matches pack), and
# that every ref and HEAD resolve. Exits non-zero, naming what failed.
#
# Usage: check_repo.sh REPO      (bare, or a work tree with .git)
set -uo pipefail
repo=${1:?usage: check_repo.sh REPO}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_DIR
GIT_DIR=$(cd "$repo" && if [ -d .git ]; then cd .git; fi && pwd) || exit 1
status=0
fail() { echo "check_repo: FAIL: $*" >&2; status=1; }

log=$(mktemp); trap 'rm -f "$log"' EXIT
if ! git fsck --full --strict --no-progress >"$log" 2>&1; then
  cat "$log" >&2; fail "git fsck --full --strict"
elif grep -vE '^(dangling|notice: HEAD points to an unborn)' "$log" | grep -q .; then
  # fsck exits 0 on warnings; --strict turns the rules we care about into errors,
  # but show whatever it said.
  cat "$log" >&2
fi
packs=0
for idx in "$GIT_DIR"/objects/pack/*.idx; do
  [ -e "$idx" ] || continue
  packs=$((packs + 1))
  [ -f "${idx%.idx}.pack" ] || { fail "$idx has no .pack"; continue; }
  if ! git verify-pack -v "$idx" >"$log" 2>&1; then
    tail -n 20 "$log" >&2; fail "git verify-pack -v $(basename "$idx")"
  fi
done
for p in "$GIT_DIR"/objects/pack/*.pack; do
  [ -e "$p" ] || continue
  [ -f "${p%.pack}.idx" ] || fail "$(basename "$p") has no .idx"
done
if ! git for-each-ref --format='%(refname)' >"$log" 2>&1; then
  cat "$log" >&2; fail "git for-each-ref"
fi
while read -r ref; do
  git check-ref-format "$ref" || fail "bad ref name: $ref"
  git rev-parse -q --verify "$ref^{object}" >/dev/null || fail "ref does not resolve: $ref"
done < "$log"
if git symbolic-ref -q HEAD >/dev/null; then
  git rev-parse -q --verify HEAD >/dev/null || echo "check_repo: note: HEAD is unborn" >&2
fi
[ $status -eq 0 ] && echo "check_repo: OK $GIT_DIR ($packs pack(s))"
exit $status
