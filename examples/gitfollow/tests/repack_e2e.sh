#!/usr/bin/env bash
# gf_repack (examples/gitfollow/repack.c) on repositories git made, checked
# by git: 24 pushes kept as packs, one more pack repeating objects of three
# of them, one pack marked .keep. The merge must leave git fsck --full
# --strict clean, every object of every pack still there (reachable or
# not), fewer packs, the largest and the kept pack untouched, the pack that
# repeats objects left out, and be a no-op when the lock is held or when
# the limit is not passed. Real pushes to httpd trigger it too (git_e2e.py).
# usage: repack_e2e.sh REPACK_TOOL
set -u
TOOL=$1
command -v git >/dev/null || { echo "SKIP: no git"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/repack-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
  GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t LC_ALL=C
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
packs() { ls "$1"/objects/pack/*.pack 2>/dev/null | wc -l; }
objects() { # every object of every pack, sorted
  for i in "$1"/objects/pack/*.idx; do git show-index < "$i" | awk '{print $2}'; done | sort -u
}

git init -q --bare -b main "$T/r.git"
git -C "$T/r.git" config receive.unpackLimit 1   # every push stays a pack
git init -q -b main "$T/w"
for i in $(seq 1 24); do
  seq 1 $((i * 50)) > "$T/w/file$((i % 5))"
  echo "commit $i" > "$T/w/msg"
  git -C "$T/w" add -A && git -C "$T/w" commit -q -m "c$i"
  git -C "$T/w" push -q "$T/r.git" main 2>/dev/null || bad "push $i"
done
# an unreachable object in a pack of its own: merged, not dropped
blob=$(echo "nobody points at me" | git -C "$T/r.git" hash-object -w --stdin)
echo "$blob" | git -C "$T/r.git" pack-objects -q "$T/r.git/objects/pack/pack" >/dev/null
rm -f "$T/r.git/objects/${blob:0:2}/${blob:2}"
# a pack repeating the objects of the last three pushes
git -C "$T/r.git" rev-list --objects main~3..main | git -C "$T/r.git" pack-objects -q "$T/r.git/objects/pack/pack" >/dev/null
# an OFS_DELTA whose base is also alone in a smaller pack: the base is
# written once (from the small pack) and the delta's distance rewritten to it
seq 1 3000 > "$T/x"; { seq 1 3000; echo changed; } > "$T/y"
bx=$(git -C "$T/r.git" hash-object -w "$T/x"); by=$(git -C "$T/r.git" hash-object -w "$T/y")
pb=$(printf '%s\n%s\n' "$bx" "$by" | git -C "$T/r.git" pack-objects -q --delta-base-offset "$T/r.git/objects/pack/pack")
chain=$(git verify-pack -v "$T/r.git/objects/pack/pack-$pb.idx" | awk 'NF == 7 {print $1, $7}')
base=${chain#* }
[ -n "$chain" ] && ok "a pack with an OFS_DELTA on $base" || bad "no delta in the two-blob pack"
echo "$base" | git -C "$T/r.git" pack-objects -q "$T/r.git/objects/pack/pack" >/dev/null
rm -f "$T/r.git/objects/${bx:0:2}/${bx:2}" "$T/r.git/objects/${by:0:2}/${by:2}"
# a kept pack (a fresh single-object pack)
kb=$(echo "kept" | git -C "$T/r.git" hash-object -w --stdin)
kp=$(echo "$kb" | git -C "$T/r.git" pack-objects -q "$T/r.git/objects/pack/pack")
rm -f "$T/r.git/objects/${kb:0:2}/${kb:2}"
touch "$T/r.git/objects/pack/pack-$kp.keep"
largest=$(ls -S "$T/r.git"/objects/pack/*.pack | grep -v "pack-$kp" | head -n1)
before=$(packs "$T/r.git"); objs_before=$(objects "$T/r.git" | sha256sum)
[ "$before" -ge 26 ] && ok "$before packs made" || bad "only $before packs"

# the limit not passed: nothing
out=$("$TOOL" "$T/r.git" 100) && [ "$out" = "merged 0" ] && ok "under the limit: $out" || bad "under the limit: $out"
# the lock held by someone else: nothing
out=$(flock "$T/r.git/objects/pack/cloudlet-repack.lock" "$TOOL" "$T/r.git" 8) && [ "$out" = "merged 0" ] &&
  ok "lock held: $out" || bad "lock held: $out"
[ "$(packs "$T/r.git")" = "$before" ] || bad "packs changed while nothing was to be done"

out=$("$TOOL" "$T/r.git" 8) || bad "repack failed: $out"
n=${out#merged }
after=$(packs "$T/r.git")
[ "$n" -ge 20 ] && [ "$after" -le $((before - n + 1)) ] && ok "$out: $before packs -> $after" ||
  bad "$out: $before packs -> $after"
[ -e "$largest" ] && ok "the largest pack left alone" || bad "the largest pack was merged"
[ -e "$T/r.git/objects/pack/pack-$kp.pack" ] && ok "the .keep pack left alone" || bad "the .keep pack was merged"
[ "$(objects "$T/r.git" | sha256sum)" = "$objs_before" ] && ok "every object still in a pack" || bad "objects lost"
git -C "$T/r.git" cat-file -e "$blob" && ok "the unreachable object kept" || bad "the unreachable object lost"
cmp -s <(git -C "$T/r.git" cat-file blob "$by") "$T/y" && cmp -s <(git -C "$T/r.git" cat-file blob "$bx") "$T/x" &&
  ok "the delta on a repeated base reads back" || bad "the delta on a repeated base"
if out=$(git -C "$T/r.git" fsck --full --strict --no-dangling 2>&1); then ok "git fsck --full --strict"; else bad "fsck: $out"; fi
for i in "$T/r.git"/objects/pack/*.idx; do
  git verify-pack "$i" >/dev/null 2>&1 || bad "verify-pack $(basename "$i")"
done
dups=$(for i in "$T/r.git"/objects/pack/*.idx; do git show-index < "$i" | awk '{print $2}' | sort | uniq -d; done | wc -l)
[ "$dups" = 0 ] && ok "no pack holds an object twice" || bad "$dups objects twice in one pack"
git clone -q "$T/r.git" "$T/c" && [ "$(git -C "$T/c" rev-list --count main)" = 24 ] && ok "clone of the result: 24 commits" ||
  bad "clone of the result"
ls "$T/r.git"/objects/pack/ | grep -q tmp_ && bad "temporary files left" || ok "no temporary files left"

# again: what is left repeats objects (left out), so nothing more merges
out=$("$TOOL" "$T/r.git" 2)
git -C "$T/r.git" fsck --full --strict --no-dangling >/dev/null 2>&1 && ok "second run ($out): fsck clean" ||
  bad "second run ($out): fsck"

echo "$fails failure(s)"
[ "$fails" = 0 ]
