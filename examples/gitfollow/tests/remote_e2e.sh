#!/usr/bin/env bash
# dnsd --remote and httpd --remote against real Git servers on loopback
# (tests/interop/git/peers.sh): git http-backend behind nginx, git daemon,
# and a proxy that dies mid-pack.
#
#   dnsd over smart HTTP, --poll 1: serves the zone, follows a push within
#     the poll interval.
#   dnsd over git://, --poll 60, --tsig KEY --notify-key NAME: an unsigned NOTIFY is
#     REFUSED, one with a wrong key NOTAUTH, neither fetches; a signed one is
#     answered (QR, AA, NOERROR, signed) and makes it fetch at once; a NOTIFY
#     for another zone is REFUSED. Through the git:// cut proxy, unsigned.
#   httpd over smart HTTP, --poll 1: follows a push; the remote stopped: the
#     last good commit keeps serving, the failure is logged once; the remote
#     back (same port): it follows again. dnsd started while the remote is
#     down serves what its mirror holds.
#   httpd through the cut proxy (the pack answer dies after a few KB): the
#     fetch fails, the mirror's ref stays, git fsck of the mirror is clean,
#     the old commit serves; the same for dnsd through a cut proxy in front
#     of git daemon (git://), triggered by NOTIFY.
#   httpd through a proxy that stalls mid-pack, --fetch-timeout 1.5: the
#     old commit serves at once while the fetch hangs, the fetch gives up
#     (logged), the mirror's ref stays, git fsck of the mirror is clean.
#
# usage: remote_e2e.sh DNSD HTTPD PEERS_SH DNSMSG_PY   (77: git/nginx/fcgiwrap missing)
set -u
DNSD=$1 HTTPD=$2 PEERS=$3 DNSMSG=$4
for t in git python3 curl; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
for t in nginx fcgiwrap; do
  command -v $t >/dev/null || [ -x /usr/sbin/$t ] || { echo "SKIP: $t missing"; exit 77; }
done
# shellcheck source=/dev/null
. "$PEERS"
T=$(mktemp -d "${TMPDIR:-/tmp}/remote-e2e.XXXXXX")
peers_init "$T/peers"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  peers_cleanup
  if [ "${KEEP:-0}" = 1 ] || [ "$FAILS" -gt 0 ]; then echo "state kept in $T"; else rm -rf "$T"; fi
}
FAILS=0
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.test GIT_COMMITTER_NAME=t \
  GIT_COMMITTER_EMAIL=t@example.test GIT_CONFIG_NOSYSTEM=1 HOME=$T LC_ALL=C
git init -q --bare -b main "$T/remote.git"
git init -q -b main "$T/work"
git -C "$T/work" remote add origin "$T/remote.git"

commit() { # K [BIG]
  mkdir -p "$T/work/zones" "$T/work/site"
  cat > "$T/work/zones/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@ IN SOA ns1 hostmaster $((100 + $1)) 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
v IN TXT "v=$1"
EOF
  echo "version $1" > "$T/work/site/index.html"
  # an incompressible file makes the pack large enough to be cut
  [ -n "${2:-}" ] && head -c 200000 /dev/urandom > "$T/work/site/big.bin"
  git -C "$T/work" add -A && git -C "$T/work" commit -q -m "v$1" &&
    git -C "$T/work" push -q origin main 2>/dev/null
  git -C "$T/work" rev-parse HEAD
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to SECS for CMD's output to be WANT: the seconds it took, or fails.
wait_for() { # SECS WANT CMD...
  local secs=$1 want=$2; shift 2
  local t0 got; t0=$(date +%s.%N)
  while :; do
    got=$("$@" 2>/dev/null)
    [ "$got" = "$want" ] && { python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))"; return 0; }
    python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $t0 < $secs else 1)" || { echo "got '$got'"; return 1; }
    sleep 0.1
  done
}
txt() { python3 "$DNSMSG" txt "$1" v.example.test; }
page() { curl -s --max-time 2 "http://127.0.0.1:$1/index.html"; }

C1=$(commit 1)
peer_http_start http "$T/remote.git" >/dev/null || { echo "SKIP: http peer"; exit 77; }
HTTP_URL=$(cat "$PEERS_DIR/http/url"); HTTP_PORT=${HTTP_URL#http://127.0.0.1:}; HTTP_PORT=${HTTP_PORT%%/*}
peer_daemon_start gd "$T/remote.git" >/dev/null || { echo "SKIP: git daemon"; exit 77; }
GIT_URL=$(cat "$PEERS_DIR/gd/url")

# ---- dnsd over smart HTTP (poll 1 s) and over git:// (poll 60 s: NOTIFY)
P1=$(free_port); P2=$(free_port); P3=$(free_port)
"$DNSD" --listen "127.0.0.1:$P1" --remote "$HTTP_URL" --branch main --poll 1 --mirror "$T/m-dnsd-http" \
  >"$T/dnsd-http.log" 2>&1 & PIDS+=($!)
KEY="notify.key:hmac-sha256:$(head -c 32 /dev/urandom | base64)"
BADKEY="notify.key:hmac-sha256:$(head -c 32 /dev/urandom | base64)"
"$DNSD" --listen "127.0.0.1:$P2" --remote "$GIT_URL" --branch main --poll 60 --mirror "$T/m-dnsd-git" \
  --tsig "$KEY" --notify-key notify.key \
  >"$T/dnsd-git.log" 2>&1 & PIDS+=($!)
"$HTTPD" --listen "127.0.0.1:$P3" --remote "$HTTP_URL" --branch main --subdir site --poll 1 \
  --mirror "$T/m-httpd" --no-access-log >"$T/httpd.log" 2>&1 & PIDS+=($!)

wait_for 10 "v=1" txt "$P1" >/dev/null && ok "dnsd --remote http: serves v=1" || fail "dnsd http: v=1"
wait_for 10 "v=1" txt "$P2" >/dev/null && ok "dnsd --remote git: serves v=1" || fail "dnsd git: v=1"
wait_for 10 "version 1" page "$P3" >/dev/null && ok "httpd --remote http: serves version 1" || fail "httpd: v1"

C2=$(commit 2)
s=$(wait_for 4 "v=2" txt "$P1") && ok "dnsd http follows the push in ${s}s (poll 1s)" || fail "dnsd http: v=2 $s"
s=$(wait_for 4 "version 2" page "$P3") && ok "httpd http follows the push in ${s}s" || fail "httpd: v2 $s"
sleep 1
[ "$(txt "$P2")" = "v=1" ] && ok "dnsd git (poll 60) still v=1 before NOTIFY" || fail "dnsd git moved before NOTIFY"
n=$(python3 "$DNSMSG" notify "$P2" example.test)
[ "$n" = "qr=1 aa=1 opcode=4 rcode=5 tsig=0" ] && ok "unsigned NOTIFY refused (--notify-key): $n" ||
  fail "unsigned NOTIFY: $n"
n=$(python3 "$DNSMSG" notify "$P2" example.test "$BADKEY")
[ "$n" = "qr=1 aa=1 opcode=4 rcode=9 tsig=1" ] && ok "NOTIFY with a wrong key: NOTAUTH: $n" ||
  fail "NOTIFY wrong key: $n"
sleep 1
[ "$(txt "$P2")" = "v=1" ] && ok "dnsd git: refused NOTIFYs fetched nothing" || fail "refused NOTIFY fetched"
n=$(python3 "$DNSMSG" notify "$P2" example.test "$KEY")
[ "$n" = "qr=1 aa=1 opcode=4 rcode=0 tsig=1" ] && ok "signed NOTIFY answered: $n" || fail "NOTIFY answer: $n"
s=$(wait_for 2 "v=2" txt "$P2") && ok "dnsd git fetches on NOTIFY in ${s}s" || fail "dnsd git: v=2 after NOTIFY $s"
n=$(python3 "$DNSMSG" notify "$P2" other.test "$KEY")
[ "$n" = "qr=1 aa=1 opcode=4 rcode=5 tsig=1" ] && ok "NOTIFY for another zone: $n" || fail "NOTIFY other zone: $n"

# ---- the remote stopped: the last good commit serves; back: follows again
peer_stop http
C3=$(commit 3)
sleep 3
[ "$(page "$P3")" = "version 2" ] && ok "remote down: httpd keeps version 2" || fail "remote down: $(page "$P3")"
[ "$(txt "$P1")" = "v=2" ] && ok "remote down: dnsd keeps v=2" || fail "remote down dnsd: $(txt "$P1")"
n=$(grep -c "fetching refs/heads/main from .* failed" "$T/httpd.log")
[ "$n" = 1 ] && ok "httpd logged the failure once ($n)" || fail "httpd failure logged $n times"
# a daemon started while the remote is down serves what its mirror holds
cp -a "$T/m-dnsd-http" "$T/m-dnsd-copy"
P6=$(free_port)
"$DNSD" --listen "127.0.0.1:$P6" --remote "$HTTP_URL" --poll 60 --mirror "$T/m-dnsd-copy" \
  >"$T/dnsd-copy.log" 2>&1 & PIDS+=($!)
wait_for 5 "v=2" txt "$P6" >/dev/null && ok "started with the remote down: serves the mirror's v=2" ||
  fail "start with remote down"
PEERS_FIXED_PORT=$HTTP_PORT peer_http_start http "$T/remote.git" >/dev/null || fail "http peer restart"
s=$(wait_for 6 "version 3" page "$P3") && ok "remote back: httpd follows in ${s}s" || fail "remote back: $s"
s=$(wait_for 6 "v=3" txt "$P1") && ok "remote back: dnsd follows in ${s}s" || fail "remote back dnsd: $s"
grep -q "works again" "$T/httpd.log" && ok "recovery logged" || fail "recovery not logged"

# ---- a remote that dies mid-pack (smart HTTP through the cut proxy)
# Connections 1-3 (info/refs, ls-refs, fetch) of the first fetch pass whole;
# from the 4th on, each answer is cut after 3000 bytes: the advertisements
# fit, a pack of 200 KB does not.
CUT=$(peer_cut_start cut "127.0.0.1:$HTTP_PORT" 3000 --first-cut 4)
P4=$(free_port)
"$HTTPD" --listen "127.0.0.1:$P4" --remote "http://127.0.0.1:$CUT/remote.git" --subdir site --poll 60 \
  --mirror "$T/m-cut" --no-access-log >"$T/httpd-cut.log" 2>&1 & HP=$!; PIDS+=($HP)
wait_for 10 "version 3" page "$P4" >/dev/null && ok "httpd via proxy: version 3" || fail "httpd cut: v3"
C4=$(commit 4 big)
kill -HUP "$HP"
sleep 2
[ "$(page "$P4")" = "version 3" ] && ok "cut mid-pack: version 3 keeps serving" || fail "cut: $(page "$P4")"
grep -q "failed" "$T/httpd-cut.log" && ok "cut mid-pack: fetch failed (logged)" || fail "cut: no failure logged"
grep "cut=yes" "$PEERS_DIR/cut/proxy.log" >/dev/null && ok "the proxy did cut" || fail "the proxy cut nothing"
[ "$(git --git-dir="$T/m-cut" rev-parse refs/heads/main)" = "$C3" ] && ok "cut: mirror ref unchanged" ||
  fail "cut: mirror ref moved"
git --git-dir="$T/m-cut" fsck --full --strict >"$T/fsck.log" 2>&1 && ok "cut: git fsck of the mirror clean" ||
  { fail "cut: fsck"; cat "$T/fsck.log"; }
s=$(wait_for 6 "version 4" page "$P3") && ok "the direct follower takes the big commit in ${s}s" || fail "v4 $s"
git --git-dir="$T/m-httpd" fsck --full --strict >"$T/fsck2.log" 2>&1 && ok "git fsck of a followed mirror clean" ||
  { fail "fsck m-httpd"; cat "$T/fsck2.log"; }

# ---- git:// dying mid-pack: dnsd through a cut proxy in front of git daemon
# (connection 1, the first fetch, whole; then cut after 3000 bytes)
GD_PORT=${GIT_URL#git://127.0.0.1:}; GD_PORT=${GD_PORT%%/*}
CUT2=$(peer_cut_start cut2 "127.0.0.1:$GD_PORT" 3000 --first-cut 2)
P5=$(free_port)
"$DNSD" --listen "127.0.0.1:$P5" --remote "git://127.0.0.1:$CUT2/remote.git" --poll 60 \
  --mirror "$T/m-cut2" >"$T/dnsd-cut.log" 2>&1 & PIDS+=($!)
wait_for 10 "v=4" txt "$P5" >/dev/null && ok "dnsd via git proxy: v=4" || fail "dnsd cut: v=4"
C5=$(commit 5 big)
n=$(python3 "$DNSMSG" notify "$P5" example.test)
sleep 1.5
[ "$(txt "$P5")" = "v=4" ] && ok "git:// cut mid-pack: v=4 keeps serving" || fail "git cut: $(txt "$P5")"
grep -q "failed" "$T/dnsd-cut.log" && ok "git:// cut mid-pack: fetch failed (logged)" || fail "git cut: no failure logged"
grep "cut=yes" "$PEERS_DIR/cut2/proxy.log" >/dev/null && ok "the git proxy did cut" || fail "the git proxy cut nothing"
[ "$(git --git-dir="$T/m-cut2" rev-parse refs/heads/main)" = "$C4" ] && ok "git cut: mirror ref unchanged" ||
  fail "git cut: mirror ref moved"
git --git-dir="$T/m-cut2" fsck --full --strict >"$T/fsck3.log" 2>&1 && ok "git cut: git fsck of the mirror clean" ||
  { fail "git cut: fsck"; cat "$T/fsck3.log"; }

# ---- a remote that stalls mid-pack: the fetch gives up at --fetch-timeout
# (the proxy passes connections 1-3 whole, then hangs after 3000 bytes);
# meanwhile and after, the last good commit serves without delay
STALL=$(peer_cut_start stall "127.0.0.1:$HTTP_PORT" 3000 --first-cut 4 --stall)
P6=$(free_port)
"$HTTPD" --listen "127.0.0.1:$P6" --remote "http://127.0.0.1:$STALL/remote.git" --subdir site --poll 60 \
  --fetch-timeout 1.5 --mirror "$T/m-stall" --no-access-log >"$T/httpd-stall.log" 2>&1 & HP2=$!; PIDS+=($HP2)
wait_for 10 "version 5" page "$P6" >/dev/null && ok "httpd via stalling proxy: version 5" || fail "httpd stall: v5"
C6=$(commit 6 big)
kill -HUP "$HP2"
sleep 0.5
t0=$(date +%s%N); v=$(page "$P6"); t1=$(date +%s%N)
[ "$v" = "version 5" ] && [ $(( (t1 - t0) / 1000000 )) -lt 500 ] &&
  ok "while the fetch hangs: version 5 served in $(( (t1 - t0) / 1000000 )) ms" || fail "stall: $v in $(( (t1 - t0) / 1000000 )) ms"
s=""; for i in $(seq 1 40); do grep -q "timed out" "$T/httpd-stall.log" && { s=$i; break; }; sleep 0.1; done
[ -n "$s" ] && ok "the stalled fetch gave up (timed out, logged)" || fail "stall: no time-out logged"
grep "stall=yes\|cut=yes" "$PEERS_DIR/stall/proxy.log" >/dev/null && ok "the proxy did stall" || fail "the proxy stalled nothing"
[ "$(page "$P6")" = "version 5" ] && ok "after the time-out: version 5 keeps serving" || fail "stall after: $(page "$P6")"
[ "$(git --git-dir="$T/m-stall" rev-parse refs/heads/main)" = "$C5" ] && ok "stall: mirror ref unchanged" ||
  fail "stall: mirror ref moved"
git --git-dir="$T/m-stall" fsck --full --strict >"$T/fsck4.log" 2>&1 && ok "stall: git fsck of the mirror clean" ||
  { fail "stall: fsck"; cat "$T/fsck4.log"; }

# every daemon stops cleanly on SIGTERM (exit 0: no sanitizer report, no leak)
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p"; rc=$?; [ $rc = 0 ] || fail "daemon $p exited $rc"; done
PIDS=()
if grep -l "Sanitizer\|runtime error" "$T"/*.log; then fail "sanitizer report in the logs above"; fi

if [ "$FAILS" -gt 0 ]; then
  for f in "$T"/*.log; do echo "== $f"; tail -n 20 "$f"; done
  exit 1
fi
echo "all ok"
