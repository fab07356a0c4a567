#!/usr/bin/env bash
# Copy a read-only repository from ../shared/data/git (mirage-tcpip.git,
# ocaml-dns.git) to DST so git and tests can use it: those copies have no
# refs/ directory (all refs are in packed-refs), and without one git does not
# take a directory for a repository ("fatal: not a git repository", even with
# --git-dir). The copy is writable and gets empty refs/heads and refs/tags.
#
# Usage: copy_shared_repo.sh SRC DST      (DST must not exist)
set -euo pipefail
src=${1:?usage: copy_shared_repo.sh SRC DST}
dst=${2:?usage: copy_shared_repo.sh SRC DST}
[ ! -e "$dst" ] || { echo "copy_shared_repo: $dst exists" >&2; exit 1; }
cp -r "$src" "$dst"
chmod -R u+w "$dst"
mkdir -p "$dst/refs/heads" "$dst/refs/tags"
git --git-dir="$dst" rev-parse -q --verify HEAD >/dev/null ||
  { echo "copy_shared_repo: $dst: HEAD does not resolve" >&2; exit 1; }
echo "$dst"
