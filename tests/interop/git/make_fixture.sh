#!/usr/bin/env bash
# Build fixture repositories holding every kind of thing git stores that a
# reader must handle, in the storage layouts a reader meets:
#
#   OUT/loose.git           every object loose, every ref loose
#   OUT/packed.git          after `git gc --aggressive --prune=now`: one pack
#                           with OFS_DELTA chains, a .bitmap, packed-refs
#                           (with peeled lines), no loose objects
#   OUT/packed-refdelta.git the same objects repacked with REF_DELTA only, and
#                           an .idx v2 whose offsets above 64 bytes all go
#                           through the 64-bit offset table; refs loose
#   OUT/mixed.git           packed.git plus a newer commit and tag written
#                           loose, with a loose refs/heads/main shadowing the
#                           stale entry in packed-refs
#
# loose, packed and packed-refdelta hold the same objects and refs; mixed has
# two objects more. Everything is made with plumbing from fixed names, dates
# and contents, so object ids are the same on every run and every machine
# (git 2.39 here). Every repository passes `git fsck --full --strict`.
#
# Contents: the empty tree as a root commit; blobs (text, empty, 1 MiB of
# zeros, 200 KiB that does not compress), nested trees six deep, an
# executable, symlinks (to a file, to a directory, dangling), UTF-8 names,
# a name that is not UTF-8, names with spaces, tab, newline, quote, backslash,
# a leading dash, the sort-order traps (foo, foo-bar, foo.txt, foo/, foo0), a
# submodule (gitlink 160000 plus .gitmodules); a file edited over 30 commits
# (delta chains); a branch merge, an octopus merge of four parents; commits
# with an encoding header and a Latin-1 message, a gpgsig-style multi-line
# header, an unknown extra header, no trailing newline, odd time zones;
# lightweight and annotated tags, a tag of a tag, tags of a tree and a blob, a
# lightweight tag of a blob; nested branch names; a notes ref.
#
# Usage: make_fixture.sh OUT      (OUT must not exist or be empty)
set -euo pipefail

out=${1:?usage: make_fixture.sh OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -z "$(ls -A "$out")" ] || { echo "make_fixture: $out is not empty" >&2; exit 1; }

# Nothing from the user's or system's git config may change the objects.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$out
export GIT_AUTHOR_NAME="Ada Author" GIT_AUTHOR_EMAIL="ada@example.test"
export GIT_COMMITTER_NAME="Cid Committer" GIT_COMMITTER_EMAIL="cid@example.test"
export TZ=UTC LC_ALL=C

repo=$out/loose.git
git init -q --bare "$repo"
export GIT_DIR=$repo
git symbolic-ref HEAD refs/heads/main
# Keep the build loose: no automatic gc while it runs.
git config gc.auto 0

t=1700000000
tick() { t=$((t + 3600)); export GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000"; }

blob() { git hash-object -w --stdin; }            # stdin -> id
blobf() { git hash-object -w -- "$1"; }           # file -> id

# A tree from "MODE ID PATH" entries (NUL-separated on stdin, paths with
# slashes become nested trees) through a private index.
export GIT_INDEX_FILE=$out/.index
mktree_paths() {
  rm -f "$GIT_INDEX_FILE"
  git update-index -z --index-info
  git write-tree
}

commit() { # TREE MESSAGE [PARENT...]
  local tree=$1 msg=$2; shift 2
  local args=()
  for p in "$@"; do args+=(-p "$p"); done
  tick
  printf '%s\n' "$msg" | git commit-tree "$tree" "${args[@]}"
}

raw_commit() { # stdin: the whole commit body
  git hash-object -t commit -w --stdin
}

# --- contents ---------------------------------------------------------------
work=$out/.work; mkdir -p "$work"
python3 - "$work" <<'EOF'
import hashlib, sys
d = sys.argv[1]
# 200 KiB that zlib cannot shrink: a SHA-256 counter stream.
with open(d + "/random.bin", "wb") as f:
    for i in range(200 * 1024 // 32):
        f.write(hashlib.sha256(i.to_bytes(4, "big")).digest())
with open(d + "/zeros.bin", "wb") as f:
    f.write(b"\0" * (1 << 20))
# A log that each commit rewrites a little: lines to delta against.
lines = ["line %04d: %s\n" % (i, hashlib.sha1(str(i).encode()).hexdigest()) for i in range(400)]
# Version N of history/log.txt: N small edits and insertions, so each version
# deltas well against the one before.
for n in range(31):
    with open(d + "/log%d.txt" % n, "w") as f:
        f.writelines(lines)
    i = (n * 37) % len(lines)
    lines[i] = "edit %d of line %d\n" % (n, i)
    lines.insert((n * 11) % len(lines), "inserted by version %d\n" % n)
EOF

readme=$(printf '# fixture\n\nA repository for readers of git objects.\n' | blob)
empty=$(printf '' | blob)
script=$(printf '#!/bin/sh\necho run\n' | blob)
deep=$(printf 'six levels down\n' | blob)
utf=$(printf 'h\xc3\xa9llo\n' | blob)
random=$(blobf "$work/random.bin")
zeros=$(blobf "$work/zeros.bin")
link_file=$(printf 'README.md' | blob)
link_dir=$(printf 'a/b' | blob)
link_dangling=$(printf '../nowhere/at/all' | blob)
gitmodules=$(printf '[submodule "vendor/sub"]\n\tpath = vendor/sub\n\turl = https://example.invalid/sub.git\n' | blob)
# The submodule's commit does not exist here, as in any superproject.
sub_commit=0123456789abcdef0123456789abcdef01234567

base_entries() {
  printf '100644 %s\t%s\0' \
    "$readme" README.md \
    "$empty" empty \
    "$empty" "a b/c d/empty too" \
    "$deep" a/b/c/d/e/deep.txt \
    "$utf" "héllo wörld.txt" \
    "$utf" "日本語/ファイル.txt" \
    "$utf" "emoji-🐫.txt" \
    "$utf" $'latin1-\xe9.txt' \
    "$utf" " leading space" \
    "$utf" "trailing space " \
    "$utf" $'tab\there' \
    "$utf" $'new\nline' \
    "$utf" "quote\"and'apos" \
    "$utf" 'back\slash' \
    "$utf" -rf \
    "$utf" .hidden \
    "$utf" UPPER \
    "$utf" lower \
    "$utf" foo/inside \
    "$utf" foo-bar \
    "$utf" foo.txt \
    "$utf" foo0 \
    "$random" big/random.bin \
    "$zeros" big/zeros.bin \
    "$gitmodules" .gitmodules
  printf '100755 %s\t%s\0' "$script" bin/run.sh
  printf '120000 %s\t%s\0' "$link_file" link "$link_dir" dir-link "$link_dangling" dangling
  printf '160000 %s\t%s\0' "$sub_commit" vendor/sub
}

log_version() { # N -> blob id of history/log.txt at version N
  blobf "$work/log$1.txt"
}

tree_at() { # VERSION [EXTRA_ENTRIES_FILE]
  { base_entries
    printf '100644 %s\t%s\0' "$(log_version "$1")" history/log.txt
    [ -n "${2:-}" ] && cat "$2"
  } | mktree_paths
}

# --- history ----------------------------------------------------------------
empty_tree=$(git hash-object -t tree -w /dev/null)
c=$(commit "$empty_tree" "Root commit with the empty tree")
for v in $(seq 1 30); do
  c=$(commit "$(tree_at "$v")" "Edit history/log.txt, version $v" "$c")
  [ "$v" -eq 5 ] && fork=$c
done
main=$c

# A side branch from version 5, merged back with two parents.
printf '100644 %s\tside.txt\0' "$(printf 'from the side branch\n' | blob)" > "$work/side"
side=$(commit "$(tree_at 5 "$work/side")" "Side branch work" "$fork")
merged=$(commit "$(tree_at 30 "$work/side")" "Merge branch 'side'" "$main" "$side")

# An octopus: three branches, each adding one file, merged at once.
octo_parents=()
: > "$work/octo"
for b in one two three; do
  printf '100644 %s\toctopus/%s.txt\0' "$(printf 'octopus arm %s\n' "$b" | blob)" "$b" > "$work/arm"
  arm=$(commit "$(tree_at 30 "$work/arm")" "Octopus arm $b" "$main")
  git update-ref "refs/heads/octopus/$b" "$arm"
  octo_parents+=("$arm")
  cat "$work/arm" >> "$work/octo"
done
cat "$work/side" >> "$work/octo"
octo_tree=$(tree_at 30 "$work/octo")
octo=$(commit "$octo_tree" "Octopus merge of three arms" "$merged" "${octo_parents[@]}")

# Commits whose bytes plumbing must write itself.
tick
latin=$(printf 'tree %s\nparent %s\nauthor Ada Author <ada@example.test> %s +0530\ncommitter Cid Committer <cid@example.test> %s -0700\nencoding ISO-8859-1\n\nCaf\xe9 na\xefve: a Latin-1 message\n' \
  "$octo_tree" "$octo" "$t" "$t" | raw_commit)
tick
signed=$(printf 'tree %s\nparent %s\nauthor Ada Author <ada@example.test> %s +0000\ncommitter Cid Committer <cid@example.test> %s +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEEfixturefixturefixturefixturefixtureFAmVfixture\n AAoJEGZpeHR1cmUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n =ABCD\n -----END PGP SIGNATURE-----\nx-cloudlet-extra an unknown header git keeps\n\nA gpgsig-style multi-line header (not a real signature)\n' \
  "$octo_tree" "$latin" "$t" "$t" | raw_commit)
tick
nonl=$(printf 'tree %s\nparent %s\nauthor Ada Author <ada@example.test> 4102444800 +1400\ncommitter Cid Committer <cid@example.test> %s -1200\n\nNo newline at the end of this message' \
  "$octo_tree" "$signed" "$t" | raw_commit)
git update-ref refs/heads/main "$nonl"
git update-ref refs/heads/side "$side"
git update-ref refs/heads/feature/nested/deeper/name "$fork"

# Tags.
mktag() { # NAME OBJECT TYPE MESSAGE -> tag object id
  tick
  printf 'object %s\ntype %s\ntag %s\ntagger Tia Tagger <tia@example.test> %s +0100\n\n%s\n' \
    "$2" "$3" "$1" "$t" "$4" | git mktag
}
git update-ref refs/tags/v0-light "$fork"
v1=$(mktag v1.0 "$merged" commit "Release 1.0")
git update-ref refs/tags/v1.0 "$v1"
sig=$(mktag v1.1 "$octo" commit "$(printf 'Release 1.1\n-----BEGIN PGP SIGNATURE-----\n\nnot a real signature\n-----END PGP SIGNATURE-----')")
git update-ref refs/tags/v1.1 "$sig"
meta=$(mktag v1.0-meta "$v1" tag "A tag of the tag v1.0")
git update-ref refs/tags/v1.0-meta "$meta"
metameta=$(mktag v1.0-meta-meta "$meta" tag "A tag of a tag of a tag")
git update-ref refs/tags/v1.0-meta-meta "$metameta"
git update-ref refs/tags/tree-tag "$(mktag tree-tag "$octo_tree" tree "A tag of a tree")"
git update-ref refs/tags/blob-tag "$(mktag blob-tag "$readme" blob "A tag of a blob")"
git update-ref refs/tags/blob-light "$readme"

# A note: its tree names objects by their ids.
tick
git notes --ref=commits add -m "A note on the merge" "$merged"

rm -rf "$work" "$GIT_INDEX_FILE"
unset GIT_INDEX_FILE GIT_DIR

# --- layouts ----------------------------------------------------------------
[ -z "$(find "$repo/objects/pack" -type f)" ] || { echo "make_fixture: loose.git has a pack" >&2; exit 1; }

cp -a "$repo" "$out/packed.git"
git -C "$out/packed.git" gc -q --aggressive --prune=now

cp -a "$repo" "$out/packed-refdelta.git"
(
  cd "$out/packed-refdelta.git"
  git -c repack.useDeltaBaseOffset=false -c repack.writeBitmaps=false \
    repack -q -a -d -f --window=250 --depth=50
  git prune-packed
  git prune --expire=now
  for p in objects/pack/*.pack; do
    rm -f "${p%.pack}.idx"
    # Every object past offset 64 goes through the 64-bit offset table.
    git index-pack --index-version=2,64 "$p" >/dev/null
  done
)

cp -a "$out/packed.git" "$out/mixed.git"
(
  export GIT_DIR=$out/mixed.git
  tick
  top=$(git rev-parse refs/heads/main)
  tree=$(git rev-parse "$top^{tree}")
  newc=$(printf 'Written loose after the gc\n' | git commit-tree "$tree" -p "$top")
  git update-ref refs/heads/main "$newc"
  tick
  git update-ref refs/tags/v2.0 "$(mktag v2.0 "$newc" commit "Loose tag after the gc")"
)
echo "$out"
