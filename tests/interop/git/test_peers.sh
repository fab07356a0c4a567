#!/usr/bin/env bash
# Prove the peers of peers.sh with the real git client before anything of
# ours is measured or tested against them: clone, fetch and push over
# git daemon and over git http-backend behind nginx+fcgiwrap, with protocol
# v0 and v2 (the trace must show which one ran), pushes refused without and
# with a wrong password, and a clone through cutproxy.py that dies mid-pack
# fails (FIN and RST) while the same clone through the proxy uncut succeeds,
# and one that hangs mid-pack ends by the client's own timeout.
# On a failing git command its GIT_TRACE_PACKET log and the server's logs are
# printed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for p in git python3; do command -v $p >/dev/null || { echo "SKIP: no $p"; exit 77; }; done
source "$here/peers.sh"
[ -x "$PEERS_NGINX" ] || { echo "SKIP: no nginx"; exit 77; }
[ -x "$PEERS_FCGIWRAP" ] || { echo "SKIP: no fcgiwrap"; exit 77; }

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 LC_ALL=C
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.test
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.test

tmp=$(mktemp -d "${TMPDIR:-/tmp}/peers-test.XXXXXX")
peers_init "$tmp/peers"
trap 'peers_cleanup; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
fails=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fails=$((fails + 1)); }
n=0

# gitrun WHAT CMD...: run a git command with its packet trace; on failure
# show the trace and the servers' logs.
gitrun() {
  local what=$1; shift
  n=$((n + 1)); last_trace=$tmp/trace.$n
  if GIT_TRACE_PACKET=$last_trace "$@" >"$tmp/out.$n" 2>&1; then
    ok "$what"; return 0
  fi
  no "$what"
  echo "# command: $*"; sed 's/^/#   /' "$tmp/out.$n"
  echo "# GIT_TRACE_PACKET (last 40 lines):"; tail -n 40 "$last_trace" 2>/dev/null | sed 's/^/#   /'
  for f in "$PEERS_DIR"/*/*.log; do echo "# $f:"; tail -n 15 "$f" | sed 's/^/#   /'; done
  return 1
}
# gitfail WHAT CMD...: the command must fail.
gitfail() {
  local what=$1; shift
  n=$((n + 1)); last_trace=$tmp/trace.$n
  if GIT_TRACE_PACKET=$last_trace "$@" >"$tmp/out.$n" 2>&1; then
    no "$what (it succeeded)"; return 1
  fi
  ok "$what: $(grep -m1 -E 'fatal|error' "$tmp/out.$n")"
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }
# The trace names the reader: "clone< version 2", "git< version 2".
uses_v2() { grep -qE '< version 2$' "$last_trace"; }

"$here/make_fixture.sh" "$tmp/fx" >/dev/null || { echo "make_fixture.sh failed"; exit 1; }
want_refs() { git --git-dir="$1" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags; }

# new_server_commit REPO: a commit on main made on the server side, to fetch.
new_server_commit() {
  local c
  c=$(echo "server side $RANDOM" | git --git-dir="$1" commit-tree "$(git --git-dir="$1" rev-parse 'main^{tree}')" -p "$(git --git-dir="$1" rev-parse main)")
  git --git-dir="$1" update-ref refs/heads/main "$c"
  echo "$c"
}

exercise() { # KIND URL PUSHURL SERVER_REPO
  local kind=$1 url=$2 pushurl=$3 srv=$4 v c dst
  for v in 0 2; do
    dst=$tmp/clone-$kind-v$v.git
    gitrun "$kind v$v: clone" git -c protocol.version=$v clone -q --bare "$url" "$dst" || continue
    if [ $v = 2 ]; then check "$kind v2: trace shows protocol v2" uses_v2
    else check "$kind v0: trace shows no protocol v2" bash -c "! grep -qE '< version 2\$' '$last_trace'"; fi
    check "$kind v$v: cloned refs equal the server's" cmp -s <(want_refs "$srv") <(want_refs "$dst")
    check "$kind v$v: clone passes check_repo.sh" "$here/check_repo.sh" "$dst" >/dev/null

    c=$(new_server_commit "$srv")
    gitrun "$kind v$v: fetch" git -c protocol.version=$v --git-dir="$dst" fetch -q origin main:main
    check "$kind v$v: fetch brought the server's new commit" [ "$(git --git-dir="$dst" rev-parse main)" = "$c" ]

    rm -rf "$tmp/work"
    git clone -q "$srv" "$tmp/work" && git -C "$tmp/work" commit -q --allow-empty -m "pushed over $kind v$v"
    c=$(git -C "$tmp/work" rev-parse HEAD)
    gitrun "$kind v$v: push" git -c protocol.version=$v -C "$tmp/work" push -q "$pushurl" HEAD:refs/heads/main
    check "$kind v$v: push moved the server's main" [ "$(git --git-dir="$srv" rev-parse main)" = "$c" ]
    gitrun "$kind v$v: push a new branch and a tag" git -c protocol.version=$v -C "$tmp/work" push -q "$pushurl" \
      "HEAD:refs/heads/new-v$v" "HEAD:refs/tags/t-v$v"
    gitrun "$kind v$v: delete the branch" git -c protocol.version=$v -C "$tmp/work" push -q "$pushurl" ":refs/heads/new-v$v"
    check "$kind v$v: branch gone, tag there" bash -c "! git --git-dir='$srv' rev-parse -q --verify refs/heads/new-v$v >/dev/null && git --git-dir='$srv' rev-parse -q --verify refs/tags/t-v$v >/dev/null"
  done
  check "$kind: server repository passes check_repo.sh after the pushes" "$here/check_repo.sh" "$srv" >/dev/null
}

# --- git daemon --------------------------------------------------------------
cp -a "$tmp/fx/packed.git" "$tmp/daemon.git"
durl=$(peer_daemon_start daemon "$tmp/daemon.git" --receive-pack) || { echo "git daemon did not start"; exit 1; }
exercise daemon "$durl" "$durl" "$tmp/daemon.git"

cp -a "$tmp/fx/packed.git" "$tmp/ro.git"
rourl=$(peer_daemon_start daemon-ro "$tmp/ro.git") || exit 1
before=$(git --git-dir="$tmp/ro.git" rev-parse main)
gitfail "daemon without receive-pack refuses a push" git -C "$tmp/work" push "$rourl" HEAD:refs/heads/main
check "refused push changed nothing" [ "$(git --git-dir="$tmp/ro.git" rev-parse main)" = "$before" ]

# --- git http-backend behind nginx and fcgiwrap -------------------------------
cp -a "$tmp/fx/packed.git" "$tmp/http.git"
hurl=$(peer_http_start http "$tmp/http.git" --push alice:s3cret) || { echo "nginx/fcgiwrap did not start"; exit 1; }
exercise http "$hurl" "${hurl/http:\/\//http://alice:s3cret@}" "$tmp/http.git"
before=$(git --git-dir="$tmp/http.git" rev-parse main)
git -C "$tmp/work" commit -q --allow-empty -m "must not land"
gitfail "http push without credentials refused" git -C "$tmp/work" push "$hurl" HEAD:refs/heads/main
gitfail "http push with a wrong password refused" git -C "$tmp/work" push "${hurl/http:\/\//http://alice:wrong@}" HEAD:refs/heads/main
check "refused pushes changed nothing" [ "$(git --git-dir="$tmp/http.git" rev-parse main)" = "$before" ]
check "nginx answered 401 to them" grep -q '" 401 ' "$PEERS_DIR/http/nginx-access.log"

cp -a "$tmp/fx/packed.git" "$tmp/http-ro.git"
hrourl=$(peer_http_start http-ro "$tmp/http-ro.git") || exit 1
gitrun "http without --push: clone" git clone -q --bare "$hrourl" "$tmp/clone-http-ro.git"
gitfail "http without --push refuses a push" git -C "$tmp/work" push "$hrourl" HEAD:refs/heads/main

# --- a server that dies mid-pack ----------------------------------------------
# cut_case KIND UPSTREAM_HOSTPORT URL_PATH_PREFIX: measure a whole clone through
# the proxy, then cut it at half of what the server sent.
cut_case() {
  local kind=$1 upstream=$2 scheme=$3 path=$4 port total cut mode
  port=$(peer_cut_start "cut-$kind" "$upstream" 0) || { no "$kind: cutproxy start"; return; }
  gitrun "$kind through the proxy, uncut: clone" \
    git -c protocol.version=2 clone -q --bare "$scheme://127.0.0.1:$port/$path" "$tmp/cut-$kind-full.git"
  sleep 0.2
  total=$(awk '/^conn/ {sub("down=", "", $4); t += $4} END {print t + 0}' "$PEERS_DIR/cut-$kind/proxy.log")
  check "$kind: proxy relayed $total bytes" [ "$total" -gt 100000 ]
  for mode in fin rst; do
    cut=$((total / 2))
    local extra=(); [ $mode = rst ] && extra=(--rst)
    port=$(peer_cut_start "cut-$kind-$mode" "$upstream" "$cut" "${extra[@]}") || { no "$kind: cutproxy start"; continue; }
    gitfail "$kind cut after $cut bytes ($mode): clone fails" \
      git -c protocol.version=2 clone -q --bare "$scheme://127.0.0.1:$port/$path" "$tmp/cut-$kind-$mode.git"
    check "$kind ($mode): the pack had started when the server died" grep -qE '< packfile$' "$last_trace"
    check "$kind ($mode): the proxy did cut" grep -q 'cut=yes' "$PEERS_DIR/cut-$kind-$mode/proxy.log"
    check "$kind ($mode): the failed clone left no repository" [ ! -e "$tmp/cut-$kind-$mode.git" ]
  done
}
# A server that hangs mid-pack: the client's own timeout must end the clone.
stall_case() {
  local port cut=$1 t0 t1
  port=$(peer_cut_start cut-http-stall "127.0.0.1:$hport" "$cut" --stall) || { no "http stall: cutproxy start"; return; }
  t0=$(date +%s)
  gitfail "http stalled after $cut bytes: clone gives up (http.lowSpeedTime=2)" \
    timeout 60 git -c protocol.version=2 -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=2 \
    clone -q --bare "http://127.0.0.1:$port/$(basename "$tmp/http-ro.git")" "$tmp/cut-http-stall.git"
  t1=$(date +%s)
  check "http stall: the clone ended by its timeout, not by ours ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 50 ]
  check "http stall: the pack had started" grep -qE '< packfile$' "$last_trace"
  check "http stall: the failed clone left no repository" [ ! -e "$tmp/cut-http-stall.git" ]
}

dport=${rourl#git://127.0.0.1:}; dport=${dport%%/*}
cut_case daemon "127.0.0.1:$dport" git "$(basename "$tmp/ro.git")"
hport=${hrourl#http://127.0.0.1:}; hport=${hport%%/*}
cut_case http "127.0.0.1:$hport" http "$(basename "$tmp/http-ro.git")"
stall_case 117000

echo "peers: $fails failure(s)"
[ $fails -eq 0 ]
