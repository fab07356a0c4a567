#!/usr/bin/env bash
# libgitstore's smart protocol against the real git (issue 7).
#   interop_proto.sh GITSERVE GITFETCH
# Server side: gitserve (git:// over upload-pack and receive-pack machines)
# serves a copy of the fixture; git clones (v0 and v2, fsck --full --strict,
# refs compared with the source), fetches after new commits, pushes (create,
# update, delete, tags), and is refused with the right "ng" (non-fast-forward
# with --force, the veto callback, a commit git fsck rejects, atomic) with
# nothing changed. Client side (when GITFETCH is given): gitstore's fetch
# against git daemon and git http-backend (tests/interop/git/peers.sh), v2
# and v0, and through a proxy that dies mid-pack (local repository unchanged).
# Every failing git command prints its GIT_TRACE_PACKET log.
set -uo pipefail
gitserve=$(realpath "$1")
gitfetch=${2:+$(realpath "$2")}
here=$(cd "$(dirname "$0")" && pwd)
kit=$here/../../tests/interop/git
command -v git >/dev/null || { echo "SKIP: no git"; exit 77; }

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 LC_ALL=C
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.test
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.test

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gitproto.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; type peers_cleanup >/dev/null 2>&1 && peers_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0 n=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fails=$((fails + 1)); }

# gitrun WHAT CMD...: a command with its packet trace, shown on failure.
gitrun() {
  local what=$1; shift
  n=$((n + 1)); last_trace=$tmp/trace.$n; last_out=$tmp/out.$n
  if GIT_TRACE_PACKET=$last_trace "$@" >"$last_out" 2>&1; then ok "$what"; return 0; fi
  no "$what"; echo "# command: $*"; sed 's/^/#   /' "$last_out"
  echo "# GIT_TRACE_PACKET:"; tail -n 60 "$last_trace" 2>/dev/null | sed 's/^/#   /'
  for l in "$tmp"/serve*.log; do echo "# $l:"; sed 's/^/#   /' "$l"; done
  return 1
}
# gitfail WHAT PATTERN CMD...: the command must fail and say PATTERN.
gitfail() {
  local what=$1 pat=$2; shift 2
  n=$((n + 1)); last_trace=$tmp/trace.$n; last_out=$tmp/out.$n
  if GIT_TRACE_PACKET=$last_trace "$@" >"$last_out" 2>&1; then no "$what (succeeded)"; sed 's/^/#   /' "$last_out"; return 1; fi
  if grep -q -- "$pat" "$last_out"; then ok "$what"; return 0; fi
  no "$what (no '$pat')"; sed 's/^/#   /' "$last_out"; tail -n 30 "$last_trace" | sed 's/^/#   /'; return 1
}
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else no "$what"; fi; }

# serve NAME REPO [ENV=VAL...]: start gitserve, set $port.
serve() {
  local name=$1 repo=$2; shift 2
  env "$@" "$gitserve" "$repo" >"$tmp/$name.port" 2>"$tmp/serve-$name.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
  port=$(cat "$tmp/$name.port")
}

"$kit/make_fixture.sh" "$tmp/fx" >/dev/null 2>&1 || { echo "not ok - fixture"; exit 1; }
src=$tmp/fx/packed.git
cp -r "$src" "$tmp/srv.git"
serve main "$tmp/srv.git"
url=git://127.0.0.1:$port/srv.git

# ---- clone and fetch: v0 and v2
for v in 0 2; do
  gitrun "clone v$v" git -c protocol.version=$v clone -q --mirror "$url" "$tmp/clone$v.git"
  grep -q "version 2" "$last_trace" && [ $v = 2 ] || [ $v = 0 ] || no "v2 was spoken"
  check "clone v$v: git fsck --full --strict" git -C "$tmp/clone$v.git" fsck --full --strict --no-progress
  check "clone v$v: refs as in the source" diff <(git -C "$tmp/clone$v.git" for-each-ref) <(git -C "$src" for-each-ref)
  check "ls-remote v$v" diff <(git -c protocol.version=$v ls-remote "$url") <(git ls-remote "$src")
done
git clone -q "$tmp/srv.git" "$tmp/work" && cd "$tmp/work" || exit 1
echo one >new1 && git add new1 && git commit -qm one && git push -q "$tmp/srv.git" HEAD:main
for v in 0 2; do
  gitrun "fetch v$v after a new commit" git -C "$tmp/clone$v.git" -c protocol.version=$v fetch -q "$url" main
  check "fetch v$v: FETCH_HEAD is the new commit" test "$(git -C "$tmp/clone$v.git" rev-parse FETCH_HEAD)" = "$(git rev-parse HEAD)"
  check "fetch v$v: fsck" git -C "$tmp/clone$v.git" fsck --full --strict --no-progress
  grep -q "have " "$last_trace" || no "fetch v$v sent haves"
done
gitrun "clone with include-tag and a tag fetched later" git -c protocol.version=2 clone -q "$url" "$tmp/clone-tags"

# ---- push: create, update, delete, tags (v0 and v2 configured: push speaks v0)
cd "$tmp/work"
for v in 0 2; do
  echo "v$v" >>new1 && git commit -qam "push v$v"
  gitrun "push v$v (fast-forward)" git -c protocol.version=$v push "$url" HEAD:main
  check "push v$v moved main" test "$(git -C "$tmp/srv.git" rev-parse main)" = "$(git rev-parse HEAD)"
done
gitrun "push a new branch and a new annotated tag" git push "$url" HEAD:refs/heads/pushed "$(git tag -a -m t v9 HEAD && echo refs/tags/v9)"
check "branch and tag arrived" test "$(git -C "$tmp/srv.git" rev-parse refs/tags/v9^{})" = "$(git rev-parse HEAD)"
gitrun "push a deletion" git push "$url" :refs/heads/pushed
check "branch deleted" sh -c "! git -C '$tmp/srv.git' rev-parse -q --verify refs/heads/pushed"
check "server repository: git fsck --full --strict" git -C "$tmp/srv.git" fsck --full --strict --no-progress
check "clone of the pushed repository: fsck" git clone -q --mirror "$url" "$tmp/clone-after.git"

# ---- rejections change nothing
snapshot() { (git -C "$tmp/srv.git" for-each-ref; ls "$tmp/srv.git/objects/pack") >"$1"; }
snapshot "$tmp/before"
git reset -q --hard HEAD~1 && echo diverge >>new1 && git commit -qam diverge
gitfail "non-fast-forward (--force) is refused" "non-fast-forward" git push --force "$url" HEAD:main
check "non-fast-forward changed nothing" cmp -s "$tmp/before" <(snapshot /dev/stdout)
bad=$(printf 'tree %s\nauthor Bad <bad@example.test 1700000000 +0000\ncommitter C <c@example.test> 1700000000 +0000\n\nbad ident\n' \
  "$(git rev-parse HEAD^{tree})" | git hash-object -t commit --literally -w --stdin)
gitfail "a commit that fails fsck is refused" "unpack.*GITSTORE_EIDENT" git push "$url" "$bad:refs/heads/bad"
check "bad object changed nothing" cmp -s "$tmp/before" <(snapshot /dev/stdout)
gitfail "atomic: one stale ref fails both" "atomic push failure" git push --atomic --force "$url" HEAD:refs/heads/fresh HEAD:main
check "atomic push changed nothing" cmp -s "$tmp/before" <(snapshot /dev/stdout)
serve veto "$tmp/srv.git" GITSERVE_VETO=refs/heads/vetoed
gitfail "the veto callback's reason reaches the client" "vetoed by the test (commit" git push "git://127.0.0.1:$port/x" HEAD:refs/heads/vetoed
check "veto changed nothing" cmp -s "$tmp/before" <(snapshot /dev/stdout)
gitrun "an allowed branch through the vetoing server" git push "git://127.0.0.1:$port/x" HEAD:refs/heads/allowed

# ---- the same machines behind smart HTTP (gitserve --http: GET info/refs
# with ADVERTISE, POST bodies through STATELESS machines, as httpd will)
cp -r "$src" "$tmp/hsrv.git"
"$gitserve" "$tmp/hsrv.git" --http >"$tmp/http.port" 2>"$tmp/serve-http.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/http.port" ] && break; sleep 0.1; done
hurl=http://127.0.0.1:$(cat "$tmp/http.port")/hsrv.git
for v in 0 2; do
  gitrun "http clone v$v" git -c protocol.version=$v clone -q --mirror "$hurl" "$tmp/hclone$v.git"
  check "http clone v$v: fsck --full --strict" git -C "$tmp/hclone$v.git" fsck --full --strict --no-progress
  check "http clone v$v: refs as in the source" diff <(git -C "$tmp/hclone$v.git" for-each-ref) <(git -C "$src" for-each-ref)
done
git -C "$tmp/work" checkout -q -B hbranch main 2>/dev/null || git -C "$tmp/work" checkout -q -B hbranch
for v in 0 2; do
  echo "h$v" >"$tmp/work/h$v" && git -C "$tmp/work" add "h$v" && git -C "$tmp/work" commit -qm "http v$v"
  git -C "$tmp/work" push -q -f "$tmp/hsrv.git" "HEAD:refs/heads/main"
  gitrun "http fetch v$v (stateless negotiation)" git -C "$tmp/hclone$v.git" -c protocol.version=$v fetch -q "$hurl" main
  check "http fetch v$v: FETCH_HEAD" test "$(git -C "$tmp/hclone$v.git" rev-parse FETCH_HEAD)" = "$(git -C "$tmp/work" rev-parse HEAD)"
  echo "p$v" >>"$tmp/work/h$v" && git -C "$tmp/work" commit -qam "http push v$v"
  gitrun "http push v$v" git -C "$tmp/work" -c protocol.version=$v push "$hurl" HEAD:refs/heads/main
  check "http push v$v landed" test "$(git -C "$tmp/hsrv.git" rev-parse main)" = "$(git -C "$tmp/work" rev-parse HEAD)"
done
git -C "$tmp/work" commit -q --amend -m amended
gitfail "http push non-fast-forward (--force) refused" "non-fast-forward" git -C "$tmp/work" push --force "$hurl" HEAD:refs/heads/main
check "http server repository: fsck" git -C "$tmp/hsrv.git" fsck --full --strict --no-progress

# ---- the client: gitstore's fetch against git's servers
if [ -n "$gitfetch" ]; then
  source "$here/interop_fetch.sh"
fi

echo "# $fails failures"
[ $fails = 0 ]
