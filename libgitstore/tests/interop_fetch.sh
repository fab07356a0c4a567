# Sourced by interop_proto.sh: libgitstore's fetch client (gitfetch) against
# git daemon and git http-backend (tests/interop/git/peers.sh), v2 and v0,
# incremental and up to date, and through a proxy that dies mid-pack.
source "$kit/peers.sh"
peers_init "$tmp/peers"
gf() { # WHAT LOCAL URL VERSION: fetch main into LOCAL's main
  local what=$1 local=$2 url=$3 v=$4
  n=$((n + 1)); last_out=$tmp/out.$n
  if "$gitfetch" "$local" "$url" refs/heads/main refs/heads/main "$v" >"$last_out" 2>&1; then ok "$what"; return 0; fi
  no "$what"; sed 's/^/#   /' "$last_out"; return 1
}
cp -r "$src" "$tmp/up.git"
durl=$(peer_daemon_start fd "$tmp/up.git") || { no "git daemon start"; return; }
hurl=""
if [ -x "${PEERS_NGINX:-}" ] && [ -x "${PEERS_FCGIWRAP:-}" ]; then
  hurl=$(peer_http_start fh "$tmp/up.git") || hurl=""
fi
for t in git http; do
  url=$durl; [ $t = http ] && url=$hurl
  [ -n "$url" ] || { echo "# SKIP $t: no server"; continue; }
  for v in 2 0; do
    l=$tmp/local-$t-$v.git
    git init -q --bare "$l"
    gf "fetch $t v$v into an empty repository" "$l" "$url" $v &&
      grep -q "v$v\$" "$last_out" || no "fetch $t v$v spoke v$v"
    check "fetch $t v$v: main as upstream" test "$(git -C "$l" rev-parse main)" = "$(git -C "$tmp/up.git" rev-parse main)"
    check "fetch $t v$v: git fsck --full --strict" git -C "$l" fsck --full --strict --no-progress
    gf "fetch $t v$v again: up to date" "$l" "$url" $v && grep -q unchanged "$last_out" || no "fetch $t v$v again said unchanged"
  done
done
# An incremental fetch: a new commit upstream, the old tip sent as a have.
git -C "$tmp/work" push -q "$tmp/up.git" HEAD:refs/heads/main 2>/dev/null
for t in git http; do
  url=$durl; [ $t = http ] && url=$hurl
  [ -n "$url" ] || continue
  l=$tmp/local-$t-2.git
  gf "incremental fetch $t v2" "$l" "$url" 2 && grep -q updated "$last_out" || no "incremental fetch $t updated"
  check "incremental fetch $t: fsck" git -C "$l" fsck --full --strict --no-progress
  check "incremental fetch $t: main moved" test "$(git -C "$l" rev-parse main)" = "$(git -C "$tmp/up.git" rev-parse main)"
done
# A server that dies mid-pack: the local repository is left as it was.
for t in git http; do
  url=$durl; [ $t = http ] && url=$hurl
  [ -n "$url" ] || continue
  hp=${url#*://}; hp=${hp%%/*}; rest=${url#*://$hp}
  first=1; [ $t = http ] && first=3
  cport=$(peer_cut_start "cut-$t" "$hp" 20000 --first-cut $first) || { no "cutproxy"; continue; }
  l=$tmp/local-cut-$t.git
  git init -q --bare "$l"
  before=$(cd "$l" && find . -type f | sort | xargs md5sum)
  n=$((n + 1))
  if "$gitfetch" "$l" "${url%%://*}://127.0.0.1:$cport$rest" refs/heads/main refs/heads/main 2 >"$tmp/out.$n" 2>&1; then
    no "fetch $t through a proxy that dies mid-pack fails"
  else
    ok "fetch $t through a proxy that dies mid-pack fails ($(tail -1 "$tmp/out.$n"))"
  fi
  check "cut $t: the proxy did cut" grep -q 'cut=yes' "$PEERS_DIR/cut-$t/proxy.log"
  check "cut $t: local repository unchanged" test "$before" = "$(cd "$l" && find . -type f | sort | xargs md5sum)"
done
