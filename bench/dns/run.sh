#!/usr/bin/env bash
# Authoritative DNS benchmark: Knot, NSD and (when given) cloudlet's dnsd,
# one after another in the same run, on the same zone and query mix, each
# server pinned to one CPU and the load generator to the other.
#
#   bench/dns/run.sh [--dnsd PATH] [--records N | --big] [--duration S]
#                    [--servers knot,nsd,dnsd] [--window N] [--sockets N] [--timeout-ms MS]
#                    [--gso N] [--server-cpu 0] [--gen-cpu 1] [--no-echo]
#                    [--dnsperf-servers] [--dnsd-args 'ARGS'] [--repeat N]
#                    [--quiet-wait S] [--loadgen-args 'ARGS' (e.g. -e: EDNS, -D: DO)]
#                    [--nice N (servers and generators at this nice level, e.g. -20)]
#                    [--no-busy-poll]
#                    [--out DIR] [--keep]
#
# Per server it reports queries per second, the server's CPU time during the
# measured run (utime+stime of every process of the server, from
# /proc/PID/stat), queries per server CPU-second, resident memory with the
# zone loaded (sum of VmRSS and of Pss over the server's processes, largest
# VmHWM), lost queries and the share of answers with the expected rcode; then
# a markdown table with ratios relative to the first server. It also measures
# the load generator's own ceiling against bench/dns/echo.c (a responder
# that costs almost nothing) and, if dnsperf is installed, dnsperf's ceiling
# on the same path.
#
# Every server runs as this script's child on 127.0.0.1 at a high port with
# its configuration and state in a temporary directory, and is killed at the
# end. Needs: python3, a C compiler, taskset; knotd and nsd for those servers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dnsd=""
records=1000
duration=10
warmup=2
servers=""
window=256
sockets=4
batch=32
gso=16
server_cpu=0
gen_cpu=1
do_echo=1
dnsperf_servers=0
out=""
keep=0
repeat=1
quiet_wait=30
timeout_ms=100
dnsd_args=""
loadgen_args=""
nice_level=""
busy_poll=1

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dnsd) dnsd=$2; shift 2 ;;
    --dnsd-args) dnsd_args=$2; shift 2 ;;
    --loadgen-args) loadgen_args=$2; shift 2 ;;
    --nice) nice_level=$2; shift 2 ;;
    --no-busy-poll) busy_poll=0; shift ;;
    --records) records=$2; shift 2 ;;
    --big) records=100000; shift ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --timeout-ms) timeout_ms=$2; shift 2 ;;
    --sockets) sockets=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --gso) gso=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --gen-cpu) gen_cpu=$2; shift 2 ;;
    --no-echo) do_echo=0; shift ;;
    --dnsperf-servers) dnsperf_servers=1; shift ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    --quiet-wait) quiet_wait=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage ;;
  esac
done

if [ -z "$servers" ]; then
  servers="knot,nsd"
  [ -n "$dnsd" ] && servers="knot,nsd,dnsd"
fi
if [[ ",$servers," == *,dnsd,* ]] && [ -z "$dnsd" ]; then
  echo "run.sh: dnsd in --servers needs --dnsd PATH" >&2; exit 2
fi
[ -n "$dnsd" ] && dnsd=$(readlink -f "$dnsd")

sbin_path="$PATH:/usr/sbin:/usr/local/sbin:/sbin"
need() { PATH=$sbin_path command -v "$1" >/dev/null || { echo "run.sh: $1 not found${2:+ ($2)}" >&2; exit 2; }; }
need python3; need taskset "util-linux"; need cc "a C compiler"
ncpu=$(nproc --all)
if [ "$server_cpu" -ge "$ncpu" ] || [ "$gen_cpu" -ge "$ncpu" ]; then
  echo "run.sh: needs CPUs $server_cpu and $gen_cpu, machine has $ncpu" >&2; exit 2
fi

tck=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/benchdns.XXXXXX)
pgids=()
cleanup() {
  for g in "${pgids[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  if [ "$keep" -eq 1 ]; then echo "run.sh: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools: the generator and the echo responder, built here with -O2.
mkdir "$work/bin"
cc -O2 -std=c11 -Wall -o "$work/bin/loadgen" "$here/loadgen.c"
cc -O2 -std=c11 -Wall -o "$work/bin/echo" "$here/echo.c"
loadgen=$work/bin/loadgen
# With --nice, every measured process runs in its own session whose
# autogroup gets that nice level: with autogroups (the default on Linux),
# a nice value alone only ranks processes within one session.
# shellcheck disable=SC2016 # expanded by the inner sh
prio=(setsid sh -c '[ -z "$NICE" ] || { echo "$NICE" > /proc/$$/autogroup; renice -n "$NICE" -p $$ >/dev/null; } 2>/dev/null; exec "$@"' sh)
export NICE=$nice_level
read -r -a lg_extra <<< "$loadgen_args"
# The generator polls its sockets without sleeping (-B): on loopback a
# sleeping generator is woken by the server's sends, on the server's CPU,
# which a real network does not charge the server for.
[ "$busy_poll" -eq 1 ] && lg_extra+=(-B)

# ---- zone and query mix
origin=bench.test
zone=$work/$origin.zone
queries=$work/queries.txt
python3 "$here/genzone.py" --origin "$origin" --records "$records" --zone "$zone" --queries "$queries"
cut -d' ' -f1,2 "$queries" > "$work/queries-dnsperf.txt"
echo "$origin SOA NOERROR" > "$work/ready.txt"

free_port() {
  python3 -c 'import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: u.close(); t.close()'
}

# CPU ticks and memory of a server: every process in its process group
# (NSD forks a main and a server process; Knot is one process of threads).
group_stat() { # PGID -> "ticks rss_kb pss_kb hwm_kb nprocs"
  python3 - "$1" <<'PY'
import os, sys
g = int(sys.argv[1])
ticks = rss = pss = hwm = n = 0
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        with open('/proc/%s/stat' % pid) as f:
            st = f.read().rsplit(')', 1)[1].split()
        if int(st[2]) != g:
            continue
        ticks += int(st[11]) + int(st[12])
        with open('/proc/%s/status' % pid) as f:
            kv = dict(l.split(':', 1) for l in f if ':' in l)
        rss += int(kv.get('VmRSS', '0 kB').split()[0])
        hwm = max(hwm, int(kv.get('VmHWM', '0 kB').split()[0]))
        try:
            with open('/proc/%s/smaps_rollup' % pid) as f:
                for l in f:
                    if l.startswith('Pss:'):
                        pss += int(l.split()[1])
        except OSError:
            pass
        n += 1
    except (OSError, ValueError, IndexError):
        continue
print(ticks, rss, pss, hwm, n)
PY
}
cpu_busy() { # user+nice+system jiffies of the server's and the generator's CPUs
  awk -v a="cpu$server_cpu" -v b="cpu$gen_cpu" '$1 == a || $1 == b { s += $2 + $3 + $4 } END { print s }' /proc/stat
}
cpu_total() { # CPU -> all busy jiffies of it (user nice system irq softirq steal)
  awk -v a="cpu$1" '$1 == a { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
# Waits (up to --quiet-wait seconds) until the two CPUs are nearly idle, so
# that other users of a shared machine disturb the measurement less.
wait_quiet() {
  local waited=0 b0 b1
  while [ "$waited" -lt "$quiet_wait" ]; do
    b0=$(cpu_busy); sleep 1; b1=$(cpu_busy)
    # busy jiffies over 1 s on 2 CPUs, as a share of 2*CLK_TCK
    if [ $(( (b1 - b0) * 100 / (2 * tck) )) -lt 10 ]; then return 0; fi
    waited=$((waited + 1))
  done
  [ "$quiet_wait" -eq 0 ] || echo "  (CPUs still busy with other work after ${quiet_wait}s; measuring anyway)"
}

# start_server NAME -> sets port, pgid; the server runs pinned to server_cpu.
start_server() {
  local name=$1 d=$work/$1
  mkdir -p "$d"
  port=$(free_port)
  case "$name" in
    knot)
      cat > "$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: notice
database:
    storage: "$d/db"
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $origin
    file: "$zone"
EOF
      set -- "$(PATH=$sbin_path command -v knotd)" -c "$d/knot.conf" ;;
    nsd)
      # Rate limiting off; minimal responses so NSD's answers are the same
      # size as Knot's (otherwise it adds the apex NS RRset and glue).
      cat > "$d/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$d"
    database: ""
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    xfrdir: "$d"
    pidfile: "$d/nsd.pid"
    verbosity: 0
    minimal-responses: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: $origin
    zonefile: "$zone"
EOF
      set -- "$(PATH=$sbin_path command -v nsd)" -d -c "$d/nsd.conf" ;;
    dnsd)
      # shellcheck disable=SC2086
      set -- "$dnsd" --listen "127.0.0.1:$port" --zone "$origin=$zone" $dnsd_args ;;
    echo)
      set -- "$work/bin/echo" -p "$port" ;;
    echo-nogro)
      set -- "$work/bin/echo" -p "$port" -n ;;
  esac
  "${prio[@]}" taskset -c "$server_cpu" "$@" > "$d/log" 2>&1 &
  pgid=$!
  pgids+=("$pgid")
  for _ in $(seq 1 300); do
    if "$loadgen" -s 127.0.0.1 -p "$port" -f "$work/ready.txt" -d 0.1 -w 1 -S 1 -t 50 -q >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$pgid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "run.sh: $name did not come up on port $port; its log:" >&2
  cat "$d/log" >&2
  exit 1
}

stop_server() {
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
}

kv() { # KEY LINE -> value of KEY=... in LINE
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2"
}

results=()  # name|qps|cpu_s|rss|pss|hwm|lost|sent|match|gen_cpu|nprocs|avg_us
measure() { # NAME
  local name=$1
  wait_quiet
  start_server "$name"
  "${prio[@]}" "$loadgen" -s 127.0.0.1 -p "$port" -f "$queries" -d "$warmup" -w "$window" -S "$sockets" \
    -b "$batch" -G "$gso" -t "$timeout_ms" -c "$gen_cpu" "${lg_extra[@]}" -q >/dev/null || true
  local t0 t1 b0 b1 c0 c1 g0 g1 e0 e1 line rss pss hwm nprocs
  read -r t0 _ <<< "$(group_stat "$pgid")"
  b0=$(cpu_busy); c0=$(cpu_total "$server_cpu"); g0=$(cpu_total "$gen_cpu"); e0=$EPOCHREALTIME
  line=$("${prio[@]}" "$loadgen" -s 127.0.0.1 -p "$port" -f "$queries" -d "$duration" -w "$window" \
    -S "$sockets" -b "$batch" -G "$gso" -t "$timeout_ms" -c "$gen_cpu" "${lg_extra[@]}" -q | grep '^RESULT') || true
  b1=$(cpu_busy); c1=$(cpu_total "$server_cpu"); g1=$(cpu_total "$gen_cpu"); e1=$EPOCHREALTIME
  read -r t1 rss pss hwm nprocs <<< "$(group_stat "$pgid")"
  stop_server
  local cpu other
  cpu=$(awk -v a="$t0" -v b="$t1" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')
  other=$(awk -v a="$b0" -v b="$b1" -v t="$tck" -v s="$cpu" -v g="$(kv cpu_s "$line")" \
    'BEGIN { o = (b - a) / t - s - g; printf "%.2f", (o < 0 ? 0 : o) }')
  local scpu gcpu
  scpu=$(awk -v a="$c0" -v b="$c1" -v t="$tck" -v d="$(awk -v x="$e0" -v y="$e1" 'BEGIN { print y - x }')" 'BEGIN { printf "%.0f", 100 * (b - a) / t / d }')
  gcpu=$(awk -v a="$g0" -v b="$g1" -v t="$tck" -v d="$(awk -v x="$e0" -v y="$e1" 'BEGIN { print y - x }')" 'BEGIN { printf "%.0f", 100 * (b - a) / t / d }')
  echo "  $name: $line server_cpu_s=$cpu rss_kb=$rss pss_kb=$pss hwm_kb=$hwm procs=$nprocs other_cpu_s=$other cpu${server_cpu}_busy=$scpu% cpu${gen_cpu}_busy=$gcpu%"
  results+=("$name|$(kv qps "$line")|$cpu|$rss|$pss|$hwm|$(kv lost "$line")|$(kv sent "$line")|$(kv expect_ok "$line")|$(kv cpu_s "$line")|$nprocs|$(kv idle_pct "$line")|$other|$scpu|$gcpu")
}

dnsperf_run() { # NAME -> qps of dnsperf against the server
  local name=$1 q
  start_server "$name"
  "${prio[@]}" taskset -c "$gen_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries-dnsperf.txt" -l "$warmup" \
    -c "$sockets" -q "$window" > /dev/null 2>&1 || true
  q=$("${prio[@]}" taskset -c "$gen_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries-dnsperf.txt" \
    -l "$duration" -c "$sockets" -q "$window" 2>&1 | awk '/Queries per second/ {printf "%.0f", $4}')
  stop_server
  echo "${q:-0}"
}

echo "run.sh: $records-record zone, ${duration}s per server (+${warmup}s warm-up), window $window over $sockets sockets, server on CPU $server_cpu, generator on CPU $gen_cpu"
IFS=, read -r -a order <<< "$servers"
all=("${order[@]}")
[ "$do_echo" -eq 1 ] && all+=(echo echo-nogro)
for s in "${order[@]}"; do
  case "$s" in knot) need knotd ;; nsd) need nsd ;; dnsd) ;; *) echo "run.sh: unknown server $s" >&2; exit 2 ;; esac
done
declare -A best=()
for round in $(seq 1 "$repeat"); do
  [ "$repeat" -gt 1 ] && echo "round $round of $repeat"
  for s in "${all[@]}"; do
    measure "$s"
    r=${results[-1]}
    q=$(cut -d'|' -f2 <<< "$r")
    if [ -z "${best[$s]:-}" ] || [ "${q:-0}" -gt "$(cut -d'|' -f2 <<< "${best[$s]}")" ]; then best[$s]=$r; fi
  done
done
results=()
for s in "${all[@]}"; do results+=("${best[$s]}"); done

dp_echo=""
declare -A dp_server=()
if [ "$do_echo" -eq 1 ]; then
  if PATH=$sbin_path command -v dnsperf >/dev/null; then
    dp_echo=$(dnsperf_run echo)
    echo "  dnsperf against echo: $dp_echo qps"
  fi
fi
if [ "$dnsperf_servers" -eq 1 ] && PATH=$sbin_path command -v dnsperf >/dev/null; then
  for s in "${order[@]}"; do
    dp_server[$s]=$(dnsperf_run "$s")
    echo "  dnsperf against $s: ${dp_server[$s]} qps"
  done
fi

# ---- the table
version_of() {
  case "$1" in
    knot) { PATH=$sbin_path knotd -V 2>&1 || true; } | awk 'NR == 1 {print $NF}' ;;
    nsd) { PATH=$sbin_path nsd -v 2>&1 || true; } | awk 'NR == 1 {print $NF}' ;;
    *) echo "" ;;
  esac
}
{
  [ "$repeat" -gt 1 ] && echo "Best of $repeat interleaved runs per server."
  echo "Zone: $origin, $(grep -vc '^[;$]' "$zone") records, query mix: $(wc -l < "$queries") queries (50% answers, 5% CNAME, 5% NODATA, 25% NXDOMAIN, 15% referrals)."
  [ -n "$nice_level" ] && echo "Servers and generators ran at nice $nice_level (shared machine)."
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $ncpu CPUs, Linux $(uname -r). Server on CPU $server_cpu, loadgen on CPU $gen_cpu (window $window, $sockets sockets, batch $batch, GSO $gso$([ "$busy_poll" -eq 1 ] && echo ", busy polling")), ${duration}s each."
  echo
  echo "| server | qps | ×first | server CPU s | q per CPU-s | ×first | RSS MiB | PSS MiB | HWM MiB | lost | rcode ok | gen CPU | CPU$server_cpu / CPU$gen_cpu busy | other CPU s |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  first_qps="" first_eff=""
  for r in "${results[@]}"; do
    IFS='|' read -r name qps cpu rss pss hwm lost sent match gcpu nprocs idle other sb gb <<< "$r"
    label=$name
    v=$(version_of "$name"); [ -n "$v" ] && label="$name $v"
    [ "$name" = echo ] && label="echo, UDP_GRO (generator ceiling)"
    [ "$name" = echo-nogro ] && label="echo, per datagram (path ceiling)"
    [ "$nprocs" -gt 1 ] && label="$label ($nprocs procs)"
    eff=$(awk -v q="$qps" -v d="$duration" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", q * d / c; else print 0 }')
    if [ -z "$first_qps" ]; then first_qps=$qps; first_eff=$eff; fi
    awk -v n="$label" -v q="$qps" -v fq="$first_qps" -v c="$cpu" -v e="$eff" -v fe="$first_eff" \
        -v rss="$rss" -v pss="$pss" -v hwm="$hwm" -v lost="$lost" -v sent="$sent" -v m="$match" \
        -v g="$gcpu" -v d="$duration" -v o="$other" -v sb="$sb" -v gb="$gb" -v idle="$idle" -v bp="$busy_poll" 'BEGIN {
      gen = sprintf("%.0f%%", 100 * g / d)
      if (bp) gen = gen sprintf(" (%d%% idle)", idle)
      printf "| %s | %d | %.2f | %.2f | %d | %.2f | %.1f | %.1f | %.1f | %.2f%% | %s%% | %s | %d%% / %d%% | %.2f |\n",
        n, q, (fq > 0 ? q / fq : 0), c, e, (fe > 0 ? e / fe : 0), rss / 1024, pss / 1024, hwm / 1024,
        (sent > 0 ? 100 * lost / sent : 0), m, gen, sb, gb, o }'
  done
  if [ -n "$dp_echo" ]; then
    echo
    echo "dnsperf against echo (per datagram or GRO alike: dnsperf sends one datagram per query): $dp_echo qps (dnsperf -c $sockets -q $window, pinned to CPU $gen_cpu)."
  fi
  for s in "${!dp_server[@]}"; do
    echo "dnsperf against $s: ${dp_server[$s]} qps."
  done
} > "$work/table.md"
echo
cat "$work/table.md"
if [ -n "$out" ]; then
  mkdir -p "$out"
  cp "$work/table.md" "$out/table.md"
  cp "$zone" "$queries" "$out/"
fi
