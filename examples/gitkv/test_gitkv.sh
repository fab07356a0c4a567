#!/usr/bin/env bash
# gitkv against the real git (suites 'gitkv' and 'interop').
#   test_gitkv.sh GITKV FIXTURE_SCRIPT COPY_SCRIPT CHECK_SCRIPT [OCAML_DNS_GIT_DIR...]
# 1. On the fixture repositories (loose, packed with OFS_DELTA, REF_DELTA
#    with 64-bit offsets, mixed): cat-all prints exactly what
#    `git cat-file --batch-all-objects --batch` prints, index-pack writes the
#    .idx `git index-pack` writes (and `git verify-pack` accepts), fsck is
#    clean where git's is.
# 2. fsck on corrupted copies fails with git's message and exit bits.
# 3. set / rm / get / ls / log round trips in a bare repository and a work
#    tree, on a packed repository and a SHA-256 one, compared with git, and
#    the result passes `git fsck --full --strict`.
# 4. The command line: --help, bad flags and arguments, exit codes.
# 5. ocaml-dns.git (copied first: the shared data is read-only): cat-all
#    identical to git's. Skipped alone when the data is missing.
set -euo pipefail
gitkv=$(realpath "$1") fixture=$2 copy=$3 check=$4
data=
for d in "${@:5}"; do [ -d "$d" ] && { data=$d; break; }; done
command -v git >/dev/null || { echo "git not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL=a@example.org GIT_AUTHOR_DATE='1700000000 +0100'
export GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL=c@example.org GIT_COMMITTER_DATE='1700000100 -0230'
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# expect CODE CMD...: run, check the exit status, keep stdout and stderr.
expect() {
  local want=$1 rc=0; shift
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ "$rc" = "$want" ] || { cat "$tmp/err"; fail "$* exited $rc, not $want"; }
}
# expect_bit BIT CMD...: the exit status has BIT set (fsck's error bits).
expect_bit() {
  local bit=$1 rc=0; shift
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ $((rc & bit)) != 0 ] || { cat "$tmp/err"; fail "$* exited $rc, without bit $bit"; }
}
has() { grep -qF -- "$2" "$tmp/$1" || { cat "$tmp/$1"; fail "no '$2' in $1"; }; }

# ---- 1. the fixtures
"$fixture" "$tmp/fx" >/dev/null 2>&1 || fail "make_fixture"
for r in loose packed packed-refdelta mixed; do
  repo=$tmp/fx/$r.git
  git --git-dir="$repo" cat-file --batch-all-objects --batch > "$tmp/want"
  expect 0 "$gitkv" --repo "$repo" cat-all
  cmp -s "$tmp/out" "$tmp/want" || fail "$r: cat-all differs from git"
  expect 0 "$gitkv" --repo "$repo" fsck
  [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ] || { cat "$tmp/out" "$tmp/err"; fail "$r: fsck not clean"; }
  for p in "$repo"/objects/pack/*.pack; do
    [ -e "$p" ] || continue
    mkdir -p "$tmp/ip-$r/git" "$tmp/ip-$r/kv"
    cp "$p" "$tmp/ip-$r/git/p.pack"; cp "$p" "$tmp/ip-$r/kv/p.pack"
    (cd "$tmp/ip-$r/git" && git index-pack p.pack >/dev/null)
    expect 0 "$gitkv" index-pack "$tmp/ip-$r/kv/p.pack"
    [ "$(cat "$tmp/out")" = "$(basename "$p" .pack | sed 's/^pack-//')" ] || fail "$r: index-pack printed $(cat "$tmp/out")"
    cmp -s "$tmp/ip-$r/kv/p.idx" "$tmp/ip-$r/git/p.idx" || fail "$r: .idx differs from git index-pack's"
    git verify-pack "$tmp/ip-$r/kv/p.idx" >/dev/null || fail "$r: verify-pack"
  done
  ok "$r: cat-all, fsck, index-pack as git"
done
# the work tree form of --repo: PATH/.git
git clone -q "$tmp/fx/packed.git" "$tmp/wt"
expect 0 "$gitkv" --repo "$tmp/wt" cat-all
git -C "$tmp/wt" cat-file --batch-all-objects --batch | cmp -s - "$tmp/out" || fail "work tree cat-all"
# index-pack of a truncated or damaged pack fails
p=$(ls "$tmp"/fx/packed.git/objects/pack/*.pack)
head -c 5000 "$p" > "$tmp/trunc.pack"
expect 1 "$gitkv" index-pack "$tmp/trunc.pack"
[ ! -e "$tmp/trunc.idx" ] || fail "an .idx for a truncated pack"
expect 2 "$gitkv" index-pack "$tmp/trunc.pak"
ok "index-pack refuses a truncated pack"

# ---- 2. fsck on corrupted copies
corrupt() { rm -rf "$tmp/c.git"; cp -r "$tmp/fx/$1.git" "$tmp/c.git"; chmod -R u+w "$tmp/c.git"; }
# a byte of a pack
corrupt packed
p=$(ls "$tmp"/c.git/objects/pack/*.pack)
printf '\x55' | dd of="$p" bs=1 seek=3000 conv=notrunc status=none
expect_bit 4 "$gitkv" --repo "$tmp/c.git" fsck
has err "pack checksum mismatch"
has err "is corrupt"
# an .idx trailer
corrupt packed
i=$(ls "$tmp"/c.git/objects/pack/*.idx)
printf '\x00\x00' | dd of="$i" bs=1 seek=$(( $(stat -c %s "$i") - 2 )) conv=notrunc status=none
expect 5 "$gitkv" --repo "$tmp/c.git" fsck
has err "GITSTORE_EIDX_CHECKSUM"
# a loose object whose content is another object's
corrupt loose
objs=$(cd "$tmp/c.git/objects" && ls -d ??/* | sed -n 1,2p)
a=$(echo "$objs" | sed -n 1p) b=$(echo "$objs" | sed -n 2p)
cp "$tmp/c.git/objects/$b" "$tmp/c.git/objects/$a.new"; mv -f "$tmp/c.git/objects/$a.new" "$tmp/c.git/objects/$a"
expect_bit 1 "$gitkv" --repo "$tmp/c.git" fsck
has err "hash mismatch for"
# a reachable blob gone
corrupt loose
blob=$(git --git-dir="$tmp/c.git" rev-parse main:README.md)
rm -f "$tmp/c.git/objects/${blob:0:2}/${blob:2}"
expect_bit 2 "$gitkv" --repo "$tmp/c.git" fsck
has out "missing blob $blob"
has out "broken link from"
# a tree git's --strict refuses (duplicate entries), reachable from a branch
corrupt loose
e=$(git --git-dir="$tmp/c.git" hash-object -w --stdin </dev/null)
t=$(python3 -c "import sys; e = bytes.fromhex('$e'); sys.stdout.buffer.write(b'100644 a\0' + e + b'100644 a\0' + e)" |
    git --git-dir="$tmp/c.git" hash-object -t tree -w --literally --stdin)
c=$(git --git-dir="$tmp/c.git" commit-tree "$t" -m dup)
git --git-dir="$tmp/c.git" update-ref refs/heads/dup "$c"
expect 1 "$gitkv" --repo "$tmp/c.git" fsck
has err "error in tree $t: duplicateEntries: contains duplicate file entries"
git --git-dir="$tmp/c.git" fsck --strict >/dev/null 2>&1 && fail "git accepts the duplicate tree"
# a ref to nothing
corrupt loose
echo 1234567890123456789012345678901234567890 > "$tmp/c.git/refs/heads/nothing"
expect 8 "$gitkv" --repo "$tmp/c.git" fsck
has err "refs/heads/nothing: invalid sha1 pointer 1234567890123456789012345678901234567890"
# an unreachable commit is only dangling, as in git
corrupt packed
d=$(git --git-dir="$tmp/c.git" commit-tree "$(git --git-dir="$tmp/c.git" rev-parse 'main^{tree}')" -m dangling)
expect 0 "$gitkv" --repo "$tmp/c.git" fsck
has out "dangling commit $d"
ok "fsck: pack, idx, loose hash, missing, bad tree, bad ref, dangling"

# ---- 3. the key-value view
kvtest() { # REPO GITDIR
  local repo=$1 gd=$2
  printf 'hello\n' > "$tmp/v1"
  expect 0 "$gitkv" --repo "$repo" --branch main set a/b/c.txt "$tmp/v1" -m "first value"
  c1=$(cat "$tmp/out")
  printf 'zone\n' | "$gitkv" --repo "$repo" --branch main set zones/example.org.zone >/dev/null
  printf '' | "$gitkv" --repo "$repo" --branch main set empty >/dev/null
  expect 0 "$gitkv" --repo "$repo" --branch main get a/b/c.txt
  cmp -s "$tmp/out" "$tmp/v1" || fail "get"
  expect 0 "$gitkv" --repo "$repo" --branch refs/heads/main get empty
  [ ! -s "$tmp/out" ] || fail "empty value"
  expect 0 "$gitkv" --repo "$repo" --branch main ls
  git --git-dir="$gd" ls-tree main | cmp -s - "$tmp/out" || fail "ls"
  expect 0 "$gitkv" --repo "$repo" --branch main ls a/b
  git --git-dir="$gd" ls-tree main:a/b | cmp -s - "$tmp/out" || fail "ls a/b"
  printf 'hello again\n' | "$gitkv" --repo "$repo" --branch main set a/b/c.txt -m "second value" >/dev/null
  expect 0 "$gitkv" --repo "$repo" --branch main rm zones/example.org.zone
  expect 0 "$gitkv" --repo "$repo" --branch main log
  git --git-dir="$gd" log --first-parent --format='%H %s' main | cmp -s - "$tmp/out" || fail "log"
  expect 0 "$gitkv" --repo "$repo" --branch main log a/b/c.txt
  git --git-dir="$gd" log --format='%H %s' main -- a/b/c.txt | cmp -s - "$tmp/out" || fail "log PATH"
  [ "$(sed -n 2p "$tmp/out" | cut -d' ' -f1)" = "$c1" ] || fail "log PATH: first commit"
  git --git-dir="$gd" cat-file -p main | grep -x 'author A U Thor <a@example.org> 1700000000 +0100' >/dev/null || fail "author"
  git --git-dir="$gd" cat-file -p main | grep -x 'committer C O Mitter <c@example.org> 1700000100 -0230' >/dev/null || fail "committer"
  [ "$(git --git-dir="$gd" show main:a/b/c.txt)" = "hello again" ] || fail "git reads the value"
  expect 1 "$gitkv" --repo "$repo" --branch main get zones/example.org.zone
  has err "no such path"
  expect 1 "$gitkv" --repo "$repo" --branch main get a/b
  has err "is a directory"
  expect 1 "$gitkv" --repo "$repo" --branch main get a/b/c.txt/d
  expect 1 "$gitkv" --repo "$repo" --branch main set a/../x "$tmp/v1"
  has err "not a valid path"
  expect 1 "$gitkv" --repo "$repo" --branch main set .git/config "$tmp/v1"
  expect 1 "$gitkv" --repo "$repo" --branch main rm nothing/here
  "$check" "$gd" >/dev/null || fail "check_repo: git does not accept the repository"
  expect 0 "$gitkv" --repo "$repo" fsck
  [ ! -s "$tmp/out" ] || { cat "$tmp/out"; fail "gitkv fsck after set/rm"; }
}
git init -q --bare -b main "$tmp/kv.git"
kvtest "$tmp/kv.git" "$tmp/kv.git"
git init -q -b main "$tmp/kvwt"
kvtest "$tmp/kvwt" "$tmp/kvwt/.git"
# on a packed repository: reads resolve delta chains, new objects go loose
corrupt packed
echo new | "$gitkv" --repo "$tmp/c.git" --branch main set README.md -m "update readme" >/dev/null
expect 0 "$gitkv" --repo "$tmp/c.git" --branch main log README.md
git --git-dir="$tmp/c.git" log --format='%H %s' main -- README.md | cmp -s - "$tmp/out" || fail "packed: log PATH"
expect 0 "$gitkv" --repo "$tmp/c.git" ls
git --git-dir="$tmp/c.git" ls-tree HEAD | cmp -s - "$tmp/out" || fail "packed: ls"
"$check" "$tmp/c.git" >/dev/null || fail "packed: check_repo after set"
# the default branch is HEAD's; a fresh repository's branch is born by set
git init -q --bare -b trunk "$tmp/kv2.git"
expect 0 "$gitkv" --repo "$tmp/kv2.git" log
echo x | "$gitkv" --repo "$tmp/kv2.git" set x >/dev/null
[ "$(git --git-dir="$tmp/kv2.git" show trunk:x)" = x ] || fail "default branch"
GIT_AUTHOR_DATE=yesterday expect 2 "$gitkv" --repo "$tmp/kv2.git" set y "$tmp/v1"
ok "set, rm, get, ls, log as git reads them; git fsck --full --strict passes"

# a SHA-256 repository (extensions.objectFormat): cat-all, index-pack, fsck, set
git init -q --object-format=sha256 -b main "$tmp/s256"
for i in 1 2 3 4; do
  seq 1 $((i * 200)) > "$tmp/s256/f.txt"; echo "$i" > "$tmp/s256/g$i"
  git -C "$tmp/s256" add -A; git -C "$tmp/s256" commit -qm "c$i"
done
git -C "$tmp/s256" gc -q --aggressive
expect 0 "$gitkv" --repo "$tmp/s256" cat-all
git -C "$tmp/s256" cat-file --batch-all-objects --batch | cmp -s - "$tmp/out" || fail "sha256: cat-all"
p=$(ls "$tmp"/s256/.git/objects/pack/*.pack)
mkdir -p "$tmp/s256ip"; cp "$p" "$tmp/s256ip/x.pack"
expect 0 "$gitkv" index-pack --object-format=sha256 "$tmp/s256ip/x.pack"
cmp -s "$tmp/s256ip/x.idx" "${p%.pack}.idx" || fail "sha256: index-pack"
expect 0 "$gitkv" --repo "$tmp/s256" fsck
echo hi | "$gitkv" --repo "$tmp/s256" set new.txt >/dev/null
git -C "$tmp/s256" fsck --strict >/dev/null 2>&1 || fail "sha256: git fsck after set"
[ "$(git -C "$tmp/s256" show main:new.txt)" = hi ] || fail "sha256: set"
ok "SHA-256 repository"

# ---- 4. the command line
expect 0 "$gitkv" --help
has out "usage: gitkv"
expect 2 "$gitkv"
expect 2 "$gitkv" --frobnicate cat-all
has err "unknown option: --frobnicate"
expect 2 "$gitkv" frobnicate
has err "unknown command: frobnicate"
expect 2 "$gitkv" --repo
has err "--repo needs a value"
expect 2 "$gitkv" get
expect 2 "$gitkv" get a b
expect 2 "$gitkv" cat-all extra
expect 2 "$gitkv" ls -m msg
expect 2 "$gitkv" index-pack --object-format=md5 x.pack
expect 1 "$gitkv" --repo "$tmp/nothing" cat-all
has err "not a git repository"
ok "command line"

# ---- 5. ocaml-dns.git
if [ -n "$data" ]; then
  "$copy" "$data" "$tmp/od.git" >/dev/null
  want=$(git --git-dir="$tmp/od.git" cat-file --batch-all-objects --batch | sha256sum)
  got=$("$gitkv" --repo "$tmp/od.git" cat-all | sha256sum)
  [ "$want" = "$got" ] || fail "ocaml-dns.git: cat-all differs from git"
  ok "ocaml-dns.git: cat-all identical to git's"
else
  echo "ocaml-dns.git not found: that part skipped"
fi
echo "all gitkv tests passed"
