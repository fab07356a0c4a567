#!/usr/bin/env bash
# Interop with the real git, both ways (suite 'interop').
#   interop_git.sh TOOL [OCAML_DNS_GIT_DIR...]   (the first that exists)
# 1. git writes a repository with objects of every kind (tags, a merge,
#    symlinks, executables, UTF-8 names), packs it with `git gc --aggressive`,
#    adds loose objects; libgitstore reads every object as `git cat-file` does,
#    and indexes the pack into the same .idx that `git verify-pack` accepts.
# 2. libgitstore writes loose objects and a pack into a new repository: it
#    passes `git fsck --full --strict` and `git verify-pack`.
# 3. The whole pack of ocaml-dns.git (read-only: copied first) reads back as
#    `git cat-file --batch-all-objects --batch` prints it, and indexes into a
#    byte-identical .idx. Only this part is skipped when the data is missing.
set -euo pipefail
tool=$(realpath "$1")
data=
for d in "${@:2}"; do [ -d "$d" ] && { data=$d; break; }; done
command -v git >/dev/null || { echo "git not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL=a@example.org
export GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL=c@example.org
export GIT_AUTHOR_DATE='1700000000 +0100' GIT_COMMITTER_DATE='1700000000 +0100'
fail() { echo "FAIL: $*"; exit 1; }

# ---- 1. git writes, libgitstore reads
r=$tmp/r
git init -q -b main "$r"
cd "$r"
printf 'hello\n' > hello.txt
printf '#!/bin/sh\necho run\n' > run.sh && chmod +x run.sh
ln -s hello.txt link
mkdir -p 'dir/sub' 'café'
printf 'x\n' > 'dir/sub/deep.txt'
printf 'été\n' > 'café/naïve — ünïcode.txt'
: > empty
head -c 300000 /dev/zero | tr '\0' 'a' > big.txt
git add -A && git commit -qm 'first'
git tag -a v1 -m 'annotated tag' && git tag light
git checkout -q -b side
for i in 1 2 3 4 5 6; do printf 'line %s\n' "$i" >> big.txt; git commit -qam "side $i"; done
git checkout -q main
printf 'more\n' >> hello.txt && git commit -qam 'main change'
git merge -q --no-edit side
git tag -a v2 -m "tag of a tag's commit" HEAD
git tag -a tree-tag -m 'a tag of a tree' 'HEAD^{tree}'
git gc -q --aggressive
pack=$(ls .git/objects/pack/pack-*.pack)
idx=${pack%.pack}.idx
[ "$(git count-objects -v | awk '/^count:/ {print $2}')" = 0 ] || fail "loose objects left after gc"
"$tool" cat-all "$pack" "$idx" > "$tmp/ours.txt"
git cat-file --batch-all-objects --batch > "$tmp/git.txt"
cmp "$tmp/ours.txt" "$tmp/git.txt" || fail "packed objects differ from git cat-file"
n=$(git cat-file --batch-all-objects --batch-check | wc -l)
echo "ok: $n packed objects read as git cat-file prints them"
"$tool" index-pack "$pack" "$tmp/ours.idx" > /dev/null
cmp "$tmp/ours.idx" "$idx" || fail ".idx differs from git's"
cp "$pack" "$tmp/copy.pack" && cp "$tmp/ours.idx" "$tmp/copy.idx"
git verify-pack "$tmp/copy.idx" || fail "git verify-pack rejects our .idx"
"$tool" verify "$pack" "$idx" > /dev/null || fail "gitstore_pack_verify rejects git's pack"
echo "ok: index-pack writes git's .idx byte for byte; verify-pack accepts it"
# loose objects, written by git after the gc
printf 'loose\n' > loose.txt && git add loose.txt && git commit -qm 'loose commit'
git tag -a v3 -m 'loose tag'
find .git/objects/?? -type f | sed -E 's|.*/objects/(..)/|\1|' | sort > "$tmp/loose.ids"
[ -s "$tmp/loose.ids" ] || fail "no loose objects"
"$tool" cat-loose .git < "$tmp/loose.ids" > "$tmp/ours.txt"
git cat-file --batch < "$tmp/loose.ids" > "$tmp/git.txt"
cmp "$tmp/ours.txt" "$tmp/git.txt" || fail "loose objects differ from git cat-file"
echo "ok: $(wc -l < "$tmp/loose.ids") loose objects read as git cat-file prints them"

# refs: packed by gc, loose since; ours list the same; git reads what we write
cd "$r"
git update-ref refs/heads/loose-branch HEAD~1
"$tool" show-refs .git | sort > "$tmp/ours.refs"
git for-each-ref --format='%(objectname) %(refname)' | sort > "$tmp/git.refs"
cmp "$tmp/ours.refs" "$tmp/git.refs" || fail "refs differ from git for-each-ref"
head=$(git rev-parse HEAD)
"$tool" update-ref .git refs/heads/ours "$head"
"$tool" update-ref .git refs/heads/ours "$(git rev-parse HEAD~1)" "$head"
! "$tool" update-ref .git refs/heads/ours "$head" "$head" 2>/dev/null || fail "stale compare-and-swap accepted"
[ "$(git rev-parse refs/heads/ours)" = "$(git rev-parse HEAD~1)" ] || fail "git reads our ref wrong"
"$tool" update-ref .git refs/tags/v1 "$head" 2>/dev/null   # packed before: now loose, overriding
[ "$(git rev-parse refs/tags/v1)" = "$head" ] || fail "loose ref does not override packed for git"
git fsck --no-dangling > /dev/null || fail "git fsck after our ref updates"
names=(refs/heads/main refs/heads/a..b refs/heads/.x refs/heads/x.lock refs/heads/@ @ refs/heads/a@{b
	'refs/heads/a b' refs/heads/a~ refs/heads/a: main refs//x refs/x/ refs/x. 'refs/heads/é' refs/heads/a*b
	'refs/heads/a?b' 'refs/heads/a[b' 'refs/heads/a\b' refs/heads/@{ refs/heads/{x} refs/.lock/x refs/a.lock/b)
for n in "${names[@]}"; do git check-ref-format "$n" && echo ok || echo bad; done > "$tmp/git.names"
"$tool" check-refname "${names[@]}" > "$tmp/ours.names"
cmp "$tmp/ours.names" "$tmp/git.names" || fail "ref name rules differ from git check-ref-format"
echo "ok: refs listed as git for-each-ref does; our updates read by git; ${#names[@]} names judged as check-ref-format does"

# the key-value view on git's repository (packed and loose objects): reads as
# git show does; a commit made through it passes git fsck --strict
for p in hello.txt 'café/naïve — ünïcode.txt' dir/sub/deep.txt loose.txt big.txt; do
	"$tool" kv-get .git refs/heads/main "$p" > "$tmp/ours.val"
	git show "main:$p" > "$tmp/git.val"
	cmp "$tmp/ours.val" "$tmp/git.val" || fail "kv-get $p differs from git show"
done
before=$(git rev-parse main)
c=$("$tool" kv-set .git refs/heads/main 'zones/example.test.zone' '@ 3600 IN SOA ns hostmaster 1 2 3 4 5')
[ "$(git rev-parse main)" = "$c" ] && [ "$(git rev-parse main^)" = "$before" ] || fail "kv-set did not move main by one commit"
[ "$(git show main:zones/example.test.zone)" = '@ 3600 IN SOA ns hostmaster 1 2 3 4 5' ] || fail "git reads the kv value wrong"
"$tool" kv-set .git refs/heads/main hello.txt - > /dev/null
! git cat-file -e main:hello.txt 2>/dev/null || fail "kv remove left the file"
git diff --quiet "$before" main -- run.sh link dir || fail "kv commits touched other paths"
git fsck --full --strict --no-dangling > /dev/null || fail "git fsck --strict after kv commits"
for pair in "main side" "side main" "main~1 side~2" "v1 side" "side~3 main~1"; do
	set -- $pair
	a=$(git rev-parse "$1^{commit}"); b=$(git rev-parse "$2^{commit}")
	[ "$("$tool" merge-base .git "$a" "$b")" = "$(git merge-base "$a" "$b")" ] || fail "merge-base $pair differs from git's"
done
echo "ok: key-value view reads git's trees as git show does; its commits pass git fsck --strict; merge bases as git's"

# ---- 2. libgitstore writes, git checks
w=$tmp/w.git
git init -q --bare -b main "$w"
out=$("$tool" write "$w")
commit=$(echo "$out" | awk '/^commit/ {print $2}')
tag=$(echo "$out" | awk '/^tag/ {print $2}')
git --git-dir="$w" update-ref refs/heads/main "$commit"
git --git-dir="$w" update-ref refs/tags/v1 "$tag"
git --git-dir="$w" fsck --full --strict --no-dangling || fail "git fsck --strict rejects what we wrote"
for p in "$w"/objects/pack/*.idx; do
	git verify-pack -v "$p" > "$tmp/vp.txt" || fail "git verify-pack rejects our pack"
	grep -q '^chain length = 1: 1 object' "$tmp/vp.txt" || fail "our pack should hold one delta"
done
git --git-dir="$w" cat-file -p "$commit" | grep -q '^author Günther Store <store@example.org> 1700000000 +0200$' \
	|| fail "commit not as written"
# the pack alone: remove the loose copies, git must still find everything
find "$w/objects" -path '*/pack' -prune -o -type f -print | xargs rm -f
git --git-dir="$w" fsck --full --strict --no-dangling || fail "git fsck --strict rejects our pack"
git clone -q "$w" "$tmp/clone"
[ -x "$tmp/clone/run.sh" ] && [ -L "$tmp/clone/link" ] && [ -f "$tmp/clone/café.txt" ] || fail "checkout of our commit"
echo "ok: our loose objects and pack (with a delta) pass git fsck --full --strict and verify-pack; git clones them"

# ---- SHA-256 repositories: the same both ways
s=$tmp/s
git init -q -b main --object-format=sha256 "$s"
(cd "$s" && printf 'sha256\n' > a && ln -s a l && git add -A && git commit -qm one &&
	printf 'two\n' >> a && git commit -qam two && git tag -a t -m t && git gc -q --aggressive)
pack=$(ls "$s"/.git/objects/pack/pack-*.pack)
GITSTORE_ALGO=sha256 "$tool" cat-all "$pack" "${pack%.pack}.idx" > "$tmp/ours.txt"
git -C "$s" cat-file --batch-all-objects --batch > "$tmp/git.txt"
cmp "$tmp/ours.txt" "$tmp/git.txt" || fail "sha256 objects differ from git cat-file"
GITSTORE_ALGO=sha256 "$tool" index-pack "$pack" "$tmp/ours.idx" > /dev/null
cmp "$tmp/ours.idx" "${pack%.pack}.idx" || fail "sha256 .idx differs from git's"
w=$tmp/w256.git
git init -q --bare -b main --object-format=sha256 "$w"
out=$(GITSTORE_ALGO=sha256 "$tool" write "$w")
git --git-dir="$w" update-ref refs/heads/main "$(echo "$out" | awk '/^commit/ {print $2}')"
git --git-dir="$w" fsck --full --strict --no-dangling || fail "git fsck --strict rejects our sha256 objects"
for p in "$w"/objects/pack/*.idx; do git --git-dir="$w" verify-pack "$p" || fail "verify-pack rejects our sha256 pack"; done
echo "ok: sha256 repositories: read as git cat-file prints them, .idx byte for byte, ours pass fsck --strict"

# ---- 3. ocaml-dns.git
if [ -z "$data" ] || [ ! -d "$data" ]; then
	echo "ocaml-dns.git not found: its part skipped"
	exit 0
fi
cp -r "$data" "$tmp/odns.git"
chmod -R u+w "$tmp/odns.git"
mkdir -p "$tmp/odns.git/refs"
pack=$(ls "$tmp"/odns.git/objects/pack/pack-*.pack)
idx=${pack%.pack}.idx
# compared as streams: 120 MB each way never touch the disk
start=$(date +%s%N)
cmp <("$tool" cat-all "$pack" "$idx") <(git --git-dir="$tmp/odns.git" cat-file --batch-all-objects --batch) \
	|| fail "ocaml-dns objects differ from git cat-file"
end=$(date +%s%N)
echo "ok: ocaml-dns.git, $(git --git-dir="$tmp/odns.git" cat-file --batch-all-objects --batch-check | wc -l) objects identical to git cat-file ($(( (end - start) / 1000000 )) ms, both sides)"
cmp <(GITSTORE_WINDOW=65536 "$tool" cat-all "$pack" "$idx") <(git --git-dir="$tmp/odns.git" cat-file --batch-all-objects --batch) \
	|| fail "ocaml-dns objects read through the storage ops differ"
echo "ok: ocaml-dns.git read through the storage ops with a 64 KiB window, identical too"
"$tool" index-pack "$pack" "$tmp/ours.idx" > /dev/null
cmp "$tmp/ours.idx" "$idx" || fail "ocaml-dns .idx differs"
echo "ok: ocaml-dns.git .idx rebuilt byte for byte"
o=$tmp/odns.git
for pair in "main 4" "main 1.1" "4 1.1"; do
	set -- $pair
	a=$(git --git-dir="$o" rev-parse "refs/heads/$1"); b=$(git --git-dir="$o" rev-parse "refs/heads/$2")
	[ "$("$tool" merge-base "$o" "$a" "$b")" = "$(git --git-dir="$o" merge-base "$a" "$b")" ] \
		|| fail "ocaml-dns merge-base $pair differs from git's"
done
echo "ok: ocaml-dns.git merge bases of its branches as git merge-base finds them"
