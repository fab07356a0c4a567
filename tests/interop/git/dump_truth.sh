#!/usr/bin/env bash
# Dump what git itself reads from a repository, as the ground truth a reader
# (libgitstore, gitkv) is compared with byte for byte:
#
#   OUT/objects.batch    git cat-file --batch-all-objects --batch
#                        ("ID TYPE SIZE\nCONTENT\n" per object, sorted by id:
#                        the format of `gitkv cat-all`)
#   OUT/objects.check    git cat-file --batch-all-objects --batch-check
#   OUT/show-ref         git show-ref --head -d  (with peeled "^{}" lines)
#   OUT/refs             git for-each-ref: "ID TYPE NAME" for every ref
#   OUT/HEAD             what HEAD points at (symbolic-ref, or the id)
#   OUT/packed-refs      the file as git wrote it, if there is one
#   OUT/ls-tree          git ls-tree -r -t -z --full-tree HEAD (mode, type,
#                        id, path; NUL-terminated: names may hold newlines)
#   OUT/packs/NAME.verify-pack   git verify-pack -v of each pack (type, size,
#                        size in pack, offset, delta depth and base per object)
#   OUT/SHA256SUMS       sha256sum of the files above
#
# Usage: dump_truth.sh REPO OUT
set -euo pipefail
repo=${1:?usage: dump_truth.sh REPO OUT}
out=${2:?usage: dump_truth.sh REPO OUT}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_DIR
GIT_DIR=$(cd "$repo" && if [ -d .git ]; then cd .git; fi && pwd)
mkdir -p "$out/packs"

git cat-file --batch-all-objects --batch > "$out/objects.batch"
git cat-file --batch-all-objects --batch-check > "$out/objects.check"
git show-ref --head -d > "$out/show-ref" || true
git for-each-ref --format='%(objectname) %(objecttype) %(refname)' > "$out/refs"
git symbolic-ref -q HEAD > "$out/HEAD" || git rev-parse HEAD > "$out/HEAD"
[ -f "$GIT_DIR/packed-refs" ] && cp "$GIT_DIR/packed-refs" "$out/packed-refs"
git ls-tree -r -t -z --full-tree HEAD > "$out/ls-tree" 2>/dev/null || : > "$out/ls-tree"
for idx in "$GIT_DIR"/objects/pack/*.idx; do
  [ -e "$idx" ] || continue
  git verify-pack -v "$idx" > "$out/packs/$(basename "${idx%.idx}").verify-pack"
done
(cd "$out" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum > SHA256SUMS)
