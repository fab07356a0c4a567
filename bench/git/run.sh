#!/usr/bin/env bash
# Benchmark cloudlet's git store and server against git itself, in one run, on
# a real repository (mirage-tcpip: a 30 MB pack of 47,652 objects):
#
#   index-pack  git index-pack --threads=1 FILE.pack      vs  gitkv index-pack FILE.pack
#   cat-all     git cat-file --batch-all-objects --batch  vs  gitkv --repo PATH cat-all
#               (the outputs must be byte-identical: sha256 compared)
#   clone       git clone --bare over smart HTTP from git http-backend behind
#               nginx + fcgiwrap                          vs  the same clone from httpd
#   fetch       the clone's protocol v2 fetch request POSTed by curl, the pack
#               stored and checked but not indexed: the server's own speed,
#               without the client's index-pack that dominates a clone
#
# Each measurement runs once to warm the page cache (not counted), then --runs
# times, git and cloudlet taking turns; the table shows medians with min–max.
# Time is wall-clock; CPU and peak RSS come from wait4() of the measured
# process and everything it waited for (bench/git/rusage.c). Server CPU for git
# is nginx + fcgiwrap (from /proc) + each git http-backend with the
# upload-pack and pack-objects it ran (logged per request by /usr/bin/time);
# for httpd it is its processes' CPU from /proc.
#
# Usage: bench/git/run.sh [--gitkv PATH] [--httpd PATH] [--runs N] [--repo PATH]
#                         [--out FILE] [--only index-pack,cat-all,clone,fetch]
# Without --gitkv/--httpd only git's side runs. Needs git, nginx, fcgiwrap,
# /usr/bin/time (Debian: time), a C compiler and python3. Servers run on
# 127.0.0.1 on free high ports, as children of this script, and stop at its end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GITKV="" HTTPD="" RUNS=3 OUT="" ONLY="index-pack,cat-all,clone,fetch"
REPO=${BENCH_GIT_REPO:-$root/../../shared/data/git/mirage-tcpip.git}
[ -d "$REPO" ] || REPO=/work/shared/data/git/mirage-tcpip.git
while [ $# -gt 0 ]; do
  case $1 in
    --gitkv) GITKV=$(realpath "$2"); shift ;;
    --httpd) HTTPD=$(realpath "$2"); shift ;;
    --runs) RUNS=$2; shift ;;
    --repo) REPO=$2; shift ;;
    --out) OUT=$2; shift ;;
    --only) ONLY=$2; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

source "$root/tests/interop/git/peers.sh"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 LC_ALL=C

tmp=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/bench-git.XXXXXX")
peers_init "$tmp/peers"
HTTPD_PIDS=$tmp/httpd.pids
SHMDIR=""
cleanup() {
  local p i
  [ -n "$SHMDIR" ] && rm -rf "$SHMDIR"
  if [ -s "$HTTPD_PIDS" ]; then
    for p in $(cat "$HTTPD_PIDS"); do
      kill "$p" 2>/dev/null || continue
      for i in $(seq 1 100); do peers_alive "$p" || break; sleep 0.05; done
      kill -9 "$p" 2>/dev/null || true
    done
  fi
  peers_cleanup
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export GIT_CEILING_DIRECTORIES=$tmp

cc -O2 -o "$tmp/rusage" "$here/rusage.c"
RUSAGE=$tmp/rusage
SAMPLES=$tmp/samples
: > "$SAMPLES"
log() { echo "bench: $*" >&2; }

# The shared data has no refs/ directory, without which git does not take a
# directory for a repository: work on a copy that has one.
repo=$tmp/srv/$(basename "$REPO")
mkdir -p "$tmp/srv"
"$root/tests/interop/git/copy_shared_repo.sh" "$REPO" "$repo" >/dev/null
pack=$(ls "$repo"/objects/pack/*.pack | head -n1)
nobj=$(git --git-dir="$repo" count-objects -v | awk '/^in-pack:/ {print $2}')
# A clone takes branches and tags, not the 488 refs/pull/* of this mirror.
nclone=$(git --git-dir="$repo" rev-list --objects --branches --tags | wc -l)

# Other work on the machine shows in wall-clock times, not in CPU times:
# record how busy it was.
pressure() { sed -n 's/^some avg10=\([0-9.]*\) avg60=\([0-9.]*\).*/\2% (60 s)/p' /proc/pressure/cpu 2>/dev/null || echo n/a; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg); psi_before=$(pressure)

##############################################################################
# HOOK: cloudlet's httpd (issue 7). Its command line is not settled yet.
# httpd_start REPO must start the server in the background as a child of this
# shell on 127.0.0.1, serving the bare repository REPO for `git clone` over
# smart HTTP; append the pid of every process whose CPU counts as server CPU to
# $HTTPD_PIDS; and print the clone URL. Until httpd's flags are fixed, the
# arguments can be given without editing this file:
#   BENCH_HTTPD_ARGS='--repo {repo} --listen 127.0.0.1:{port}'
#   BENCH_HTTPD_URL='http://127.0.0.1:{port}/{name}'
# ({repo}: the repository path, {port}: a free port, {name}: its basename).
##############################################################################
httpd_start() { # REPO -> URL
  local repo=$1 port name args url pid
  port=$(peers_free_port); name=$(basename "$repo")
  args=${BENCH_HTTPD_ARGS:-"--repo {repo} --listen 127.0.0.1:{port}"}
  url=${BENCH_HTTPD_URL:-"http://127.0.0.1:{port}/{name}"}
  args=${args//\{repo\}/$repo}; args=${args//\{port\}/$port}; args=${args//\{name\}/$name}
  url=${url//\{repo\}/$repo}; url=${url//\{port\}/$port}; url=${url//\{name\}/$name}
  # shellcheck disable=SC2086  # the arguments are a template, split on purpose
  "$HTTPD" $args </dev/null >"$tmp/httpd.log" 2>&1 &
  pid=$!
  echo "$pid" >> "$HTTPD_PIDS"
  if ! peers_wait_port "$port" "$pid"; then
    cat "$tmp/httpd.log" >&2; echo "run.sh: httpd did not start" >&2; return 1
  fi
  echo "$url"
}
# END OF HOOK ################################################################

# measure BENCH TOOL RUN EXTRA -- RUSAGE_ARGS...: one sample line.
measure() {
  local bench=$1 tool=$2 run=$3 extra=$4; shift 5
  local r
  r=$("$RUSAGE" "$@") || r="wall=0 user=0 sys=0 maxrss_kb=0 rc=255"
  echo "bench=$bench tool=$tool run=$run $r $extra" >> "$SAMPLES"
  LAST=$r
}
rc_of() { echo "$LAST" | sed 's/.*rc=//'; }

# CPU seconds (self + waited-for children) of the given pids and their
# children, from /proc.
proc_cpu() {
  local tck p all=()
  tck=$(getconf CLK_TCK)
  for p in "$@"; do
    all+=("$p")
    all+=($(pgrep -P "$p" 2>/dev/null || true))
  done
  for p in "${all[@]}"; do
    sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true
  done | awk -v t="$tck" '{s += $12 + $13 + $14 + $15} END {printf "%.2f", s / t}'
}

# --- index-pack --------------------------------------------------------------
if want index-pack; then
  log "index-pack: $(basename "$pack") ($((($(stat -c %s "$pack") + 524288) / 1048576)) MiB, $nobj objects), $RUNS runs"
  tools=(git); [ -n "$GITKV" ] && tools+=(cloudlet)
  for t in "${tools[@]}"; do
    mkdir -p "$tmp/ip-$t"; cp "$pack" "$tmp/ip-$t/p.pack"
  done
  for run in $(seq 0 "$RUNS"); do
    for t in "${tools[@]}"; do
      d=$tmp/ip-$t; rm -f "$d/p.idx"
      sync
      if [ "$t" = git ]; then
        cmd=(git index-pack --threads=1 p.pack)
      else
        cmd=("$GITKV" index-pack p.pack)
      fi
      measure index-pack "$t" "$run" "" -- -C "$d" -o /dev/null "${cmd[@]}"
      # idx v2 is deterministic for a given pack, so git's bytes are the
      # reference; an idx that differs must at least satisfy verify-pack.
      same=no valid=no
      if cmp -s "$d/p.idx" "${pack%.pack}.idx"; then same=yes valid=yes
      elif git verify-pack "$d/p.idx" >/dev/null 2>&1; then valid=yes; fi
      sed -i '$ s/$/ idx_same='"$same"' idx_valid='"$valid"'/' "$SAMPLES"
    done
  done
fi

# --- cat-all -----------------------------------------------------------------
if want cat-all; then
  log "cat-all: $nobj objects, $RUNS runs"
  tools=(git); [ -n "$GITKV" ] && tools+=(cloudlet)
  # 244 MB per run: keep it in memory where there is room, so writing it back
  # to disk does not land in the next measurement.
  catdir=$tmp
  if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')" -gt 1048576 ]; then
    catdir=$(mktemp -d /dev/shm/bench-git.XXXXXX); SHMDIR=$catdir
  fi
  for run in $(seq 0 "$RUNS"); do
    for t in "${tools[@]}"; do
      o=$catdir/cat-$t.out
      if [ "$t" = git ]; then
        measure cat-all "$t" "$run" "" -- -C "$repo" -o "$o" git cat-file --batch-all-objects --batch
      else
        measure cat-all "$t" "$run" "" -- -o "$o" "$GITKV" --repo "$repo" cat-all
      fi
      sum=$(sha256sum < "$o" | cut -c1-64); bytes=$(stat -c %s "$o")
      sed -i '$ s/$/ sha256='"$sum"' bytes='"$bytes"'/' "$SAMPLES"
      rm -f "$o"
    done
  done
  [ "$catdir" = "$tmp" ] || { rmdir "$catdir"; SHMDIR=""; }
fi

# --- clone (and a bare fetch) over smart HTTP -----------------------------------
# serve_once BENCH TOOL RUN URL: one git clone (BENCH=clone) or one curl POST
# of a v2 fetch (BENCH=fetch), with the server's CPU around it.
serve_once() {
  local bench=$1 t=$2 run=$3 url=$4 dst=$tmp/clone.git before after cgi=0 acc0=0 cpul0=0 i
  rm -rf "$dst" "$tmp/fetch.out"
  if [ "$t" = git ]; then
    acc0=$(wc -l < "$PEERS_DIR/git/nginx-access.log"); cpul0=$(wc -l < "$tmp/cgi-cpu.log")
    before=$(proc_cpu $(cat "$PEERS_DIR/git/pids"))
  else
    before=$(proc_cpu $(cat "$HTTPD_PIDS"))
  fi
  if [ "$bench" = clone ]; then
    measure clone "$t" "$run" "" -- -o /dev/null git clone -q --bare "$url" "$dst"
  else
    measure fetch "$t" "$run" "" -- -o /dev/null curl -sS --fail -X POST \
      -H 'Content-Type: application/x-git-upload-pack-request' \
      -H 'Accept: application/x-git-upload-pack-result' -H 'Git-Protocol: version=2' \
      --data-binary @"$tmp/fetch.req" -o "$tmp/fetch.out" "$url/git-upload-pack"
  fi
  if [ "$t" = git ]; then
    # Each request nginx logged must have its http-backend line.
    for i in $(seq 1 100); do
      [ $(( $(wc -l < "$tmp/cgi-cpu.log") - cpul0 )) -ge $(( $(wc -l < "$PEERS_DIR/git/nginx-access.log") - acc0 )) ] && break
      sleep 0.05
    done
    cgi=$(tail -n +$((cpul0 + 1)) "$tmp/cgi-cpu.log" | awk 'NF == 4 {s += $2 + $3} END {printf "%.2f", s}')
    after=$(proc_cpu $(cat "$PEERS_DIR/git/pids"))
  else
    sleep 0.2
    after=$(proc_cpu $(cat "$HTTPD_PIDS"))
  fi
  local server ok=no got
  server=$(awk -v a="$after" -v b="$before" -v c="$cgi" 'BEGIN {printf "%.2f", a - b + c}')
  if [ "$bench" = clone ]; then
    got=$(git --git-dir="$dst" count-objects -v 2>/dev/null | awk '/^in-pack:/ {print $2}')
    [ "$(rc_of)" = 0 ] && [ "${got:-0}" = "$nclone" ] && ok=yes
    [ $ok = yes ] || log "clone from $t, run $run: rc=$(rc_of), $got of $nclone objects"
  else
    got=$(python3 "$here/v2fetch.py" check "$tmp/fetch.out" "$nclone" 2>&1) && ok=yes
    [ $ok = yes ] || log "fetch from $t, run $run: rc=$(rc_of): $got"
  fi
  sed -i '$ s/$/ server_cpu='"$server"' complete='"$ok"'/' "$SAMPLES"
}

if want clone || want fetch; then
  [ -x /usr/bin/time ] || { echo "run.sh: clone needs /usr/bin/time (Debian package time)" >&2; exit 1; }
  log "clone and fetch over smart HTTP: $RUNS runs"
  : > "$tmp/cgi-cpu.log"
  python3 "$here/v2fetch.py" request "$repo" > "$tmp/fetch.req"
  gurl=$(peer_http_start git "$repo" --cpu-log "$tmp/cgi-cpu.log")
  hurl=""
  [ -n "$HTTPD" ] && hurl=$(httpd_start "$repo")
  for run in $(seq 0 "$RUNS"); do
    for b in clone fetch; do
      want $b || continue
      serve_once $b git "$run" "$gurl"
      [ -n "$hurl" ] && serve_once $b cloudlet "$run" "$hurl"
    done
  done
  peer_stop git
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg); psi_after=$(pressure)

# --- report ------------------------------------------------------------------
{
  echo "## git benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- repository: $(basename "$REPO") ($nobj objects, pack $(stat -c %s "$pack") bytes; a clone takes the $nclone objects of its branches and tags)"
  echo "- git $(git --version | awk '{print $3}'), $("$PEERS_NGINX" -v 2>&1 | sed 's/.*: //'), fcgiwrap $(dpkg-query -W -f='${Version}' fcgiwrap 2>/dev/null || echo '?')"
  echo "- gitkv: ${GITKV:-not given}; httpd: ${HTTPD:-not given}"
  echo "- machine: $(nproc) CPU(s), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), Linux $(uname -r)"
  echo "- load average before/after: $load_before / $load_after; CPU pressure (time some task waited for a CPU) before/after: $psi_before / $psi_after"
  echo "- $RUNS runs after one warm-up; median (min–max)"
  echo
  python3 "$here/table.py" "$SAMPLES"
} > "$tmp/report.md"
cat "$tmp/report.md"
if [ -n "$OUT" ]; then
  cp "$tmp/report.md" "$OUT"
  cp "$SAMPLES" "${OUT%.md}.samples"
fi
