#!/usr/bin/env bash
# The fixture and the checkers are what libgitstore's interop tests stand on,
# so they are tested first: the fixture builds the same objects every time,
# its layouts hold what they claim, all pass check_repo.sh and read back the
# same through git, and check_repo.sh rejects a corrupt pack, a corrupt loose
# object and a tree that breaks fsck's rules.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v git >/dev/null || { echo "SKIP: no git"; exit 77; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fixture-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }

"$here/make_fixture.sh" "$tmp/fx" >/dev/null || { echo "make_fixture.sh failed"; exit 1; }
fx=$tmp/fx

# Object ids depend only on the bytes the script writes: a change here means
# the fixture changed (update the ids on purpose) or git's hashing did.
check "main is the expected commit" [ "$(git --git-dir="$fx/loose.git" rev-parse main)" = 94e647c9cf7a0d047531b39a72c7313afa211901 ]
check "177 objects" [ "$(git --git-dir="$fx/loose.git" cat-file --batch-all-objects --batch-check | wc -l)" -eq 177 ]

for r in loose packed packed-refdelta mixed; do
  check "check_repo.sh $r" "$here/check_repo.sh" "$fx/$r.git" >/dev/null
  "$here/dump_truth.sh" "$fx/$r.git" "$tmp/truth/$r" || no "dump_truth.sh $r"
done
for r in packed packed-refdelta; do
  for f in objects.batch show-ref refs HEAD ls-tree; do
    check "$r/$f equals loose/$f" cmp -s "$tmp/truth/loose/$f" "$tmp/truth/$r/$f"
  done
done
check "mixed has the two loose objects more" [ "$(wc -l < "$tmp/truth/mixed/objects.check")" -eq 179 ]

# Layouts.
check "loose.git has no pack" [ -z "$(find "$fx/loose.git/objects/pack" -type f)" ]
check "packed.git has no loose object" [ -z "$(find "$fx/packed.git/objects" -path '*/objects/[0-9a-f][0-9a-f]/*' -type f)" ]
check "packed.git has a bitmap" bash -c "compgen -G '$fx/packed.git/objects/pack/*.bitmap' >/dev/null"
check "packed.git has peeled packed-refs" grep -q '^\^' "$fx/packed.git/packed-refs"
info=$("$here/packinfo.py" "$fx"/packed.git/objects/pack/*.idx)
check "packed.git: OFS_DELTA only ($info)" bash -c '[[ "$1" == *ofs_delta=[1-9]*ref_delta=0* ]]' _ "$info"
info=$("$here/packinfo.py" "$fx"/packed-refdelta.git/objects/pack/*.idx)
check "packed-refdelta.git: REF_DELTA only, 64-bit offsets ($info)" \
  bash -c '[[ "$1" == *ofs_delta=0\ ref_delta=[1-9]*large_offsets=17[0-9]* ]]' _ "$info"
check "verify-pack shows delta chains deeper than 20" grep -q 'chain length = 2[0-9]' "$tmp"/truth/packed/packs/*.verify-pack
pm=$(awk '$2 == "refs/heads/main" {print $1}' "$fx/mixed.git/packed-refs")
lm=$(cat "$fx/mixed.git/refs/heads/main")
check "mixed.git: loose main shadows packed-refs" [ -n "$pm" -a -n "$lm" -a "$pm" != "$lm" ]
check "mixed.git: git reads the loose main" [ "$(git --git-dir="$fx/mixed.git" rev-parse main)" = "$lm" ]

# What a reader must handle is really there.
b=$tmp/truth/loose/objects.batch
check "gitlink entry" bash -c "git --git-dir='$fx/loose.git' ls-tree main vendor/ | grep -q '^160000 commit'"
check "symlink entries" bash -c "[ \$(git --git-dir='$fx/loose.git' ls-tree main | grep -c '^120000') -eq 3 ]"
check "executable entry" bash -c "git --git-dir='$fx/loose.git' ls-tree main bin/ | grep -q '^100755'"
check "octopus merge" bash -c "[ \$(git --git-dir='$fx/loose.git' rev-list --min-parents=4 --count main) -eq 1 ]"
check "encoding header" grep -qa '^encoding ISO-8859-1$' "$b"
check "gpgsig header" grep -qa '^gpgsig -----BEGIN PGP SIGNATURE-----$' "$b"
check "tag of a tag" grep -qa '^type tag$' "$b"
check "empty tree" grep -qa '^4b825dc642cb6eb9a060e54bf8d69288fbee4904 tree 0$' "$b"

# The checker catches what it exists for.
bad=$tmp/bad; mkdir -p "$bad"
cp -a "$fx/packed.git" "$bad/pack.git"
p=$(ls "$bad"/pack.git/objects/pack/*.pack); chmod u+w "$p"
python3 - "$p" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x55
open(p, "wb").write(b)
PY
check "check_repo.sh rejects a flipped byte in a pack" bash -c "! '$here/check_repo.sh' '$bad/pack.git' 2>/dev/null"

cp -a "$fx/loose.git" "$bad/loose.git"
id=$(git --git-dir="$bad/loose.git" rev-parse 'main:README.md')
f=$bad/loose.git/objects/${id:0:2}/${id:2}; chmod u+w "$f"
printf 'blob 5\0evil\n' | python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))' > "$f"
check "check_repo.sh rejects a loose object whose content lies about its id" bash -c "! '$here/check_repo.sh' '$bad/loose.git' 2>/dev/null"

git init -q --bare "$bad/tree.git"
e=$(git --git-dir="$bad/tree.git" hash-object -w --stdin </dev/null)
t=$(python3 -c 'import sys; e = bytes.fromhex(sys.argv[1]); sys.stdout.buffer.write(b"100644 b\0" + e + b"100644 a\0" + e)' "$e" |
    git --git-dir="$bad/tree.git" hash-object -t tree -w --literally --stdin)
c=$(echo unsorted | GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@b git --git-dir="$bad/tree.git" commit-tree "$t")
git --git-dir="$bad/tree.git" update-ref refs/heads/main "$c"
check "check_repo.sh rejects a tree with unsorted entries" bash -c "! '$here/check_repo.sh' '$bad/tree.git' 2>/dev/null"

echo "fixture: $fails failure(s)"
[ $fails -eq 0 ]
