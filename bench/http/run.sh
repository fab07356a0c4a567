#!/usr/bin/env bash
# Static-file throughput of cloudlet's httpd against the servers a user would
# pick instead (nginx, h2o), and against floor (bench/http/floor.c: canned
# responses from memory, the cheapest keep-alive server we can write, so the
# path's ceiling), measured the same way in one run:
#
#   - one document root with a 2 KB and a 100 KB file, served by every server;
#   - every server runs one worker, pinned to CPU 0, access log off, keep-alive
#     on, sendfile/file cache as each is run in production; nginx twice, as
#     Debian configures it (sendfile, tcp_nopush) and with both off, which is
#     faster for it on small files and with pipelining (ratios are taken
#     against the better of the two); each is our child, on 127.0.0.1 with a
#     high port, with config, pid and logs in a temp dir;
#   - wrk (keep-alive, a fixed number of connections, one thread) pinned to
#     CPU 1 measures one server and one file at a time, for DURATION seconds;
#     or, with --client loadgen, bench/http/loadgen.c does (the same load at
#     less CPU per request than wrk, whose one thread saturates before the
#     fastest servers do);
#   - optionally (--pipeline) the same again with N requests per write on
#     each connection, as TechEmpower's plaintext test does (a wrk Lua
#     script), so one client core can load a server well past what it can
#     with one request in flight per connection;
#   - the CPU time the server and the client used comes from /proc, so the
#     table says whether the server was the bottleneck (it should be busy
#     ~100% of the run while the client is not), and how much CPU other
#     processes took meanwhile.
#
# Not a test: it prints a markdown table. See bench/http/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/http/run.sh [options]
  --httpd PATH        also benchmark cloudlet's httpd (run as PATH --listen
                      127.0.0.1:PORT --root DIR --workers 1 --no-access-log)
  --servers LIST      comma list among nginx,nginx-nosendfile,h2o,httpd,floor
                      (default: all of them, httpd when --httpd is given);
                      nginx-nosendfile is nginx with sendfile and tcp_nopush
                      off, its faster setting for small files and pipelining;
                      floor is bench/http/floor.c (canned responses from
                      memory: the path's ceiling, built here with cc -O2)
  --client NAME       wrk (default) or loadgen (bench/http/loadgen.c, built
                      here with cc -O2: cheaper per request than wrk, checks
                      every response's status and size)
  --files LIST        comma list among 2k,100k (default: 2k,100k)
  --pipeline LIST     comma list of pipeline depths: requests per write on
                      each connection (default 1: no pipelining; e.g. 1,16)
  --duration SECS     measured seconds per server and file (default 10)
  --warmup SECS       unmeasured client run before each measurement (default 2)
  --connections N     client keep-alive connections (default 64)
  --runs N            repeat every measurement N times, interleaved, and
                      report the median (default 1)
  --port N            first port to use (default 18480; one per server)
  --server-cpu N      CPU the servers are pinned to (default 0)
  --client-cpu N      CPU the client is pinned to (default 1)
  --nginx PATH        nginx binary (default: nginx in PATH or /usr/sbin/nginx)
  --h2o PATH          h2o binary (default: h2o in PATH)
  --quiet-wait SECS   before each measurement wait up to SECS for both CPUs
                      to be idle (< 15% busy), since other work skews it
                      (default 30; 0: do not wait)
  --out FILE          also write the raw per-run results (TSV) to FILE
  --keep              keep the temp dir (configs, logs, client outputs)
  -h, --help          this text
EOF
}

die() { echo "run.sh: $*" >&2; exit 2; }

HTTPD=""
SERVERS=""
FILES="2k,100k"
PIPELINE=1
DURATION=10
WARMUP=2
CONNS=64
RUNS=1
PORT0=18480
SCPU=0
CCPU=1
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
H2O=$(command -v h2o || echo /usr/bin/h2o)
OUT=""
KEEP=0
QUIET=30
CLIENT=wrk
HERE=$(cd "$(dirname "$0")" && pwd)

while [ $# -gt 0 ]; do
  case "$1" in
    --httpd) HTTPD=${2:?}; shift 2 ;;
    --servers) SERVERS=${2:?}; shift 2 ;;
    --client) CLIENT=${2:?}; shift 2 ;;
    --files) FILES=${2:?}; shift 2 ;;
    --pipeline) PIPELINE=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --warmup) WARMUP=${2:?}; shift 2 ;;
    --connections) CONNS=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --port) PORT0=${2:?}; shift 2 ;;
    --server-cpu) SCPU=${2:?}; shift 2 ;;
    --client-cpu) CCPU=${2:?}; shift 2 ;;
    --nginx) NGINX=${2:?}; shift 2 ;;
    --h2o) H2O=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --quiet-wait) QUIET=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

for v in DURATION WARMUP CONNS RUNS PORT0 SCPU CCPU QUIET; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
[ "$DURATION" -ge 1 ] || die "--duration must be at least 1"
[ "$RUNS" -ge 1 ] || die "--runs must be at least 1"
[ "$CONNS" -ge 1 ] || die "--connections must be at least 1"
case "$CLIENT" in wrk|loadgen) ;; *) die "unknown client '$CLIENT' (wrk or loadgen)" ;; esac
[ "$SCPU" != "$CCPU" ] || die "servers and $CLIENT must run on different CPUs"
if [ -z "$SERVERS" ]; then
  SERVERS="nginx,nginx-nosendfile,h2o"
  [ -n "$HTTPD" ] && SERVERS="$SERVERS,httpd"
  SERVERS="$SERVERS,floor"
fi
IFS=, read -r -a SERVER_LIST <<<"$SERVERS"
IFS=, read -r -a FILE_LIST <<<"$FILES"
IFS=, read -r -a DEPTH_LIST <<<"$PIPELINE"
for d in "${DEPTH_LIST[@]}"; do
  [[ $d =~ ^[0-9]+$ ]] && [ "$d" -ge 1 ] || die "pipeline depths must be integers >= 1, got '$d'"
done
for s in "${SERVER_LIST[@]}"; do
  case "$s" in
    nginx|nginx-nosendfile) [ -x "$NGINX" ] || die "nginx not found ($NGINX); apt-get install nginx-light" ;;
    h2o) [ -x "$H2O" ] || die "h2o not found ($H2O); apt-get install h2o" ;;
    httpd) [ -n "$HTTPD" ] && [ -x "$HTTPD" ] || die "httpd needs --httpd PATH to an executable" ;;
    floor) command -v cc >/dev/null || die "floor needs a C compiler (cc)" ;;
    *) die "unknown server '$s'" ;;
  esac
done
for f in "${FILE_LIST[@]}"; do
  case "$f" in 2k|100k) ;; *) die "unknown file '$f' (2k or 100k)" ;; esac
done
if [ "$CLIENT" = wrk ]; then
  command -v wrk >/dev/null || die "wrk not found; apt-get install wrk"
else
  command -v cc >/dev/null || die "loadgen needs a C compiler (cc)"
fi
command -v taskset >/dev/null || die "taskset not found (util-linux)"
command -v curl >/dev/null || die "curl not found"
NCPU=$(getconf _NPROCESSORS_ONLN)
[ "$SCPU" -lt "$NCPU" ] && [ "$CCPU" -lt "$NCPU" ] || die "CPUs $SCPU/$CCPU not both online ($NCPU CPUs)"
HZ=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/cloudlet-bench.XXXXXX)
# Servers started as root drop to an unprivileged user that must read the root.
chmod 755 "$WORK"
ROOT=$WORK/root
mkdir -p "$ROOT" "$WORK/bin"
PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    # Wait up to 5 s, then make sure.
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [ "$KEEP" -eq 1 ]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Deterministic text content, so every run serves the same bytes.
payload() { head -c "$1" < <(yes 'cloudlet benchmark payload: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ'); }
payload 2048 > "$ROOT/2k.html"
# wrk sends DEPTH copies of its request in one write and counts every
# response (wrk's own pipeline example, as TechEmpower's plaintext test).
cat > "$WORK/pipeline.lua" <<'EOF'
init = function(args)
  local depth = tonumber(args[1]) or 1
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
EOF
payload 102400 > "$ROOT/100k.html"
chmod 644 "$ROOT"/*.html
declare -A FSIZE=([2k]=2048 [100k]=102400)

# Our own C tools, like bench/dns/run.sh: -O2, libc and Linux only.
for tool in floor loadgen; do
  if [[ ",$SERVERS,$CLIENT," == *",$tool,"* ]]; then
    cc -O2 -std=c11 -Wall -o "$WORK/bin/$tool" "$HERE/$tool.c" || die "cannot build $tool"
  fi
done

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

declare -A PORT PID
i=0
for s in "${SERVER_LIST[@]}"; do
  PORT[$s]=$((PORT0 + i))
  i=$((i + 1))
  port_busy "${PORT[$s]}" && die "port ${PORT[$s]} already in use (try --port)"
done

start_nginx() {
  local port=$1 name=${2:-nginx} send="sendfile on;
  tcp_nopush on;"
  local d=$WORK/$name
  mkdir -p "$d/tmp"
  # Debian's nginx.conf defaults that matter for static files (sendfile,
  # tcp_nopush, mime types), access log off, keep-alive unlimited (so the run
  # measures requests, not reconnects), and open_file_cache, which production
  # static setups turn on and which h2o does by default (filecache).
  # nginx-nosendfile: the same with sendfile and tcp_nopush off, measured
  # faster for a 2 KB file (one writev instead of writev, sendfile and two
  # setsockopt TCP_CORK per response) and for pipelined requests (with
  # tcp_nopush on, pipelined responses wait on delayed ACKs, ~40 ms).
  [ "$name" = nginx-nosendfile ] && send="sendfile off;
  tcp_nopush off;"
  cat > "$d/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  $send
  keepalive_timeout 65;
  keepalive_requests 100000000;
  open_file_cache max=1000 inactive=60s;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $ROOT;
  }
}
EOF
  taskset -c "$SCPU" "$NGINX" -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" \
    >"$d/stdout.log" 2>&1 &
  PID[$name]=$!
}

start_nginx-nosendfile() { start_nginx "$1" nginx-nosendfile; }

start_h2o() {
  local d=$WORK/h2o port=$1
  mkdir -p "$d"
  # h2o writes its pid file after dropping root privileges.
  [ "$(id -u)" -eq 0 ] && chown nobody "$d"
  # h2o 2.2 defaults: file cache on, keep-alive on; one thread, no access log.
  {
    echo "num-threads: 1"
    echo "listen:"
    echo "  host: 127.0.0.1"
    echo "  port: $port"
    echo "pid-file: $d/h2o.pid"
    echo "error-log: $d/error.log"
    [ "$(id -u)" -eq 0 ] && echo "user: nobody"
    echo "hosts:"
    echo "  default:"
    echo "    paths:"
    echo "      /:"
    echo "        file.dir: $ROOT"
  } > "$d/h2o.conf"
  taskset -c "$SCPU" "$H2O" -m worker -c "$d/h2o.conf" >"$d/stdout.log" 2>&1 &
  PID[h2o]=$!
}

start_httpd() {
  local d=$WORK/httpd port=$1
  mkdir -p "$d"
  # Access log off like the others; everything else at httpd's defaults
  # (open-file cache, sendfile above 32 KiB, keep-alive).
  taskset -c "$SCPU" "$HTTPD" --listen "127.0.0.1:$port" --root "$ROOT" --workers 1 \
    --no-access-log >"$d/stdout.log" 2>"$d/stderr.log" &
  PID[httpd]=$!
}

start_floor() {
  local d=$WORK/floor port=$1
  mkdir -p "$d"
  # Reads the root's files at startup (they are written by then).
  taskset -c "$SCPU" "$WORK/bin/floor" -p "$port" -d "$ROOT" \
    >"$d/stdout.log" 2>"$d/stderr.log" &
  PID[floor]=$!
}

# Serves every file with the right size within 10 s, or we give up.
wait_ready() {
  local s=$1 f got
  for _ in $(seq 100); do
    kill -0 "${PID[$s]}" 2>/dev/null || { cat "$WORK/$s"/*.log >&2 2>/dev/null; die "$s exited at startup"; }
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:${PORT[$s]}/2k.html" || true)
    if [ "$got" = "200 2048" ]; then
      for f in "${FILE_LIST[@]}"; do
        got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:${PORT[$s]}/$f.html")
        [ "$got" = "200 ${FSIZE[$f]}" ] || die "$s: /$f.html answered '$got'"
      done
      return 0
    fi
    sleep 0.1
  done
  die "$s not serving on port ${PORT[$s]} after 10 s"
}

# Process ids of $1 and all its descendants (nginx master + worker).
tree_pids() {
  local root=$1 f pid ppid rest
  local -A kids=()
  for f in /proc/[0-9]*/stat; do
    { read -r rest < "$f"; } 2>/dev/null || continue
    pid=${rest%% *}
    rest=${rest##*) }
    ppid=$(set -- $rest; echo "$2")
    kids[$ppid]+="$pid "
  done
  local queue=("$root") out=()
  while [ ${#queue[@]} -gt 0 ]; do
    pid=${queue[0]}
    queue=("${queue[@]:1}")
    out+=("$pid")
    for k in ${kids[$pid]:-}; do queue+=("$k"); done
  done
  echo "${out[@]}"
}

# utime+stime clock ticks of a process tree (all threads included).
cpu_ticks() {
  local sum=0 p rest
  for p in $(tree_pids "$1"); do
    { read -r rest < "/proc/$p/stat"; } 2>/dev/null || continue
    rest=${rest##*) }
    set -- $rest
    sum=$((sum + ${12} + ${13}))
  done
  echo "$sum"
}

# Busy and total ticks of one CPU from /proc/stat.
cpu_busy() {
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# Waits (up to QUIET s) until neither benchmark CPU is more than 15% busy
# over half a second with our servers idle; says so when it gives up.
wait_quiet() {
  local t=0 a0 a1 b0 b1 c0 c1 d0 d1 busy
  while :; do
    read -r a0 b0 < <(cpu_busy "$SCPU"); read -r a1 b1 < <(cpu_busy "$CCPU")
    sleep 0.5
    read -r c0 d0 < <(cpu_busy "$SCPU"); read -r c1 d1 < <(cpu_busy "$CCPU")
    busy=$(( (d0 - b0) > 0 && (d1 - b1) > 0 ? ( 100 * (c0 - a0) / (d0 - b0) > 100 * (c1 - a1) / (d1 - b1) ? 100 * (c0 - a0) / (d0 - b0) : 100 * (c1 - a1) / (d1 - b1) ) : 0 ))
    [ "$busy" -lt 15 ] && return 0
    t=$((t + 1))
    if [ $((t / 2)) -ge "$QUIET" ]; then
      echo "  (CPUs still ${busy}% busy from other work after ${QUIET}s; measuring anyway)" >&2
      return 0
    fi
  done
}

# Runs the client pinned to the client CPU against server $1 for file $2,
# DEPTH requests per write; prints the client's output, then a last line
# "CLIENTCPU <ticks>" with the CPU it used (its parent's cutime+cstime, the
# same measure for both clients).
run_client() {
  local s=$1 f=$2 secs=$3 depth=${4:-1}
  local cmd
  if [ "$CLIENT" = wrk ]; then
    cmd=(wrk -t1 -c"$CONNS" -d"$secs"s --latency)
    [ "$depth" -gt 1 ] && cmd+=(-s "$WORK/pipeline.lua")
    cmd+=("http://127.0.0.1:${PORT[$s]}/$f.html" -- "$depth")
  else
    # -s: every response must carry exactly the file.
    cmd=("$WORK/bin/loadgen" -p "${PORT[$s]}" -u "/$f.html" -c "$CONNS" -d "$secs"
      -D "$depth" -s "${FSIZE[$f]}")
  fi
  bash -c '
    ccpu=$1; shift
    taskset -c "$ccpu" "$@"
    rc=$?
    read -r l < /proc/$$/stat
    set -- ${l##*) }
    echo "CLIENTCPU $(( ${14} + ${15} ))"
    exit $rc' _ "$CCPU" "${cmd[@]}"
}

# Field $1 of loadgen's "RESULT key=value ..." line in output $2.
result_field() {
  awk -v k="$1" '$1 == "RESULT" { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }' <<<"$2"
}

# loadgen's latency in microseconds, written as wrk writes its own.
us_fmt() {
  awk -v u="$1" 'BEGIN {
    if (u < 1000) printf "%.2fus", u; else if (u < 1e6) printf "%.2fms", u / 1000; else printf "%.2fs", u / 1e6 }'
}

# wrk prints sizes with binary units; MiB/s.
to_mib() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    m = (u == "GB") ? 1024 : (u == "MB") ? 1 : (u == "KB") ? 1 / 1024 : 1 / 1048576
    printf "%.1f", n * m }'
}

for s in "${SERVER_LIST[@]}"; do
  "start_$s" "${PORT[$s]}"
  PIDS+=("${PID[$s]}")
done
for s in "${SERVER_LIST[@]}"; do
  wait_ready "$s"
done

version_of() {
  case "$1" in
    nginx) "$NGINX" -v 2>&1 | sed 's/.*version: //' ;;
    nginx-nosendfile) echo "$("$NGINX" -v 2>&1 | sed 's/.*version: //'), sendfile off, tcp_nopush off" ;;
    floor) echo "bench/http/floor.c (cc -O2): canned responses, the path's ceiling" ;;
    h2o) "$H2O" --version 2>&1 | head -1 ;;
    httpd) echo "$HTTPD" ;;
  esac
}

RAW=$WORK/results.tsv
printf 'run\tfile\tserver\treq_s\tmib_s\tp50\tp99\terrors\tserver_cpu_pct\t%s_cpu_pct\tcpu0_other_pct\tcpu1_other_pct\tserver_cpu_s\t%s_cpu_s\n' "$CLIENT" "$CLIENT" > "$RAW"

echo "bench/http: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $NCPU CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# The congestion control moves the large-file rows a lot on loopback (bbr
# paces every connection with timers; Debian's default is cubic): say it.
echo "  TCP congestion control $(cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null || echo '?'), default qdisc $(cat /proc/sys/net/core/default_qdisc 2>/dev/null || echo '?')" >&2
for s in "${SERVER_LIST[@]}"; do echo "  $s: $(version_of "$s") on port ${PORT[$s]}, CPU $SCPU" >&2; done
if [ "$CLIENT" = wrk ]; then
  echo "  wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'): -t1 -c$CONNS -d${DURATION}s on CPU $CCPU, warmup ${WARMUP}s, runs $RUNS, pipeline depths $PIPELINE" >&2
else
  echo "  loadgen (bench/http/loadgen.c, cc -O2): -c$CONNS -d$DURATION on CPU $CCPU, warmup ${WARMUP}s, runs $RUNS, pipeline depths (-D) $PIPELINE" >&2
fi

for r in $(seq "$RUNS"); do
  for f in "${FILE_LIST[@]}"; do
   for depth in "${DEPTH_LIST[@]}"; do
    label=$f
    [ "$depth" -gt 1 ] && label="$f, $depth pipelined"
    for s in "${SERVER_LIST[@]}"; do
      url="http://127.0.0.1:${PORT[$s]}/$f.html"
      if [ "$QUIET" -gt 0 ]; then wait_quiet; fi
      if [ "$WARMUP" -gt 0 ]; then
        run_client "$s" "$f" "$WARMUP" "$depth" >/dev/null 2>&1 || die "$CLIENT failed against $s ($url)"
      fi
      read -r b0 t0 < <(cpu_busy "$SCPU")
      read -r b1 t1 < <(cpu_busy "$CCPU")
      s0=$(cpu_ticks "${PID[$s]}")
      start=$(date +%s.%N)
      out=$(run_client "$s" "$f" "$DURATION" "$depth") || { echo "$out" >&2; die "$CLIENT failed against $s ($url)"; }
      end=$(date +%s.%N)
      s1=$(cpu_ticks "${PID[$s]}")
      read -r b0e t0e < <(cpu_busy "$SCPU")
      read -r b1e t1e < <(cpu_busy "$CCPU")
      echo "$out" > "$WORK/$CLIENT-$r-$f-$depth-$s.txt"
      if ! kill -0 "${PID[$s]}" 2>/dev/null; then
        tail -n 20 "$WORK/$s"/*.log >&2 2>/dev/null || true
        die "$s exited during the run ($f, run $r)"
      fi
      if [ "$CLIENT" = wrk ]; then
        req=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
        xfer=$(to_mib "$(awk '/^Transfer\/sec:/ { print $2 }' <<<"$out")")
        p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
        p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
        errs=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' <<<"$out")
      else
        # RESULT key=value ...; errors: connect, status, framing, size and
        # short close together (the kinds are in the kept output).
        req=$(result_field rps "$out"); xfer=$(result_field mib_s "$out")
        errs=$(result_field errors "$out")
        p50=$(us_fmt "$(result_field p50_us "$out")"); p99=$(us_fmt "$(result_field p99_us "$out")")
      fi
      wticks=$(awk '/^CLIENTCPU/ { print $2 }' <<<"$out")
      [ -n "$req" ] || { echo "$out" >&2; die "$CLIENT gave no result for $s $f"; }
      read -r scpu wcpu o0 o1 ssec wsec < <(awk -v hz="$HZ" -v a="$start" -v b="$end" \
        -v s="$((s1 - s0))" -v w="$wticks" -v b0="$((b0e - b0))" -v t0="$((t0e - t0))" \
        -v b1="$((b1e - b1))" -v t1="$((t1e - t1))" 'BEGIN {
          wall = b - a
          sp = 100 * s / hz / wall; wp = 100 * w / hz / wall
          # Busy time of each CPU not explained by the server or client: other
          # processes (or their interrupts) competing for the CPU.
          o0 = (t0 > 0) ? 100 * b0 / t0 - sp : 0; o1 = (t1 > 0) ? 100 * b1 / t1 - wp : 0
          if (o0 < 0) o0 = 0; if (o1 < 0) o1 = 0
          printf "%.1f %.1f %.0f %.0f %.2f %.2f\n", sp, wp, o0, o1, s / hz, w / hz }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$label" "$s" "$req" "$xfer" \
        "$p50" "$p99" "$errs" "$scpu" "$wcpu" "$o0" "$o1" "$ssec" "$wsec" >> "$RAW"
      echo "  run $r $label $s: $req req/s, server CPU $scpu%, $CLIENT CPU $wcpu%" >&2
    done
   done
  done
done

[ -n "$OUT" ] && cp "$RAW" "$OUT"

# Median run per (file, server); ratios against nginx's median; floor (the
# path's ceiling) is compared with on a line of its own, never a base.
awk -F'\t' -v runs="$RUNS" -v conns="$CONNS" -v dur="$DURATION" -v client="$CLIENT" '
  NR == 1 { next }
  {
    k = $2 SUBSEP $3; n[k]++; row[k, n[k]] = $0; req[k, n[k]] = $4 + 0
    if ($2 ~ /pipelined/) piped = 1
    if (!(($2) in seenf)) { seenf[$2] = 1; files[++nf] = $2 }
    if (!(($3) in seens)) { seens[$3] = 1; servers[++ns] = $3 }
  }
  function median_row(k,    i, j, m, t, idx) {
    m = n[k]
    for (i = 1; i <= m; i++) idx[i] = i
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
      if (req[k, idx[j]] < req[k, idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
    lo[k] = req[k, idx[1]]; hi[k] = req[k, idx[m]]
    return row[k, idx[int((m + 1) / 2)]]
  }
  END {
    printf "| file | server | requests/s | vs nginx | vs h2o | MiB/s | latency p50 / p99 | errors | server CPU | %s CPU | requests per server CPU-second | vs nginx | vs h2o | other load CPU0 / CPU1 | bound by |\n", client
    printf "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|\n"
    warn = 0; both = 0
    for (a = 1; a <= nf; a++) {
      f = files[a]
      # Against the better nginx setting of the row, each figure on its own.
      base = 0; baseeff = 0; hbase = 0; hbaseeff = 0; fbase = 0; fbaseeff = 0
      for (b = 1; b <= ns; b++) {
        s = servers[b]; k = f SUBSEP s
        if (!(k in n) || (s != "h2o" && s !~ /^nginx/ && s != "floor")) continue
        split(median_row(k), v, "\t")
        e = (v[9] > 0) ? v[4] / (v[9] / 100) : 0
        if (s == "floor") { fbase = v[4] + 0; fbaseeff = e; continue }
        if (s == "h2o") { hbase = v[4] + 0; hbaseeff = e; continue }
        if (v[4] + 0 > base) base = v[4] + 0
        if (e > baseeff) baseeff = e
      }
      for (b = 1; b <= ns; b++) {
        s = servers[b]; k = f SUBSEP s
        if (!(k in n)) continue
        split(median_row(k), v, "\t")
        ratio = (base > 0) ? sprintf("%.2fx", v[4] / base) : "-"
        hratio = (hbase > 0) ? sprintf("%.2fx", v[4] / hbase) : "-"
        eff = (v[9] > 0) ? v[4] / (v[9] / 100) : 0
        effratio = (baseeff > 0 && eff > 0) ? sprintf("%.2fx", eff / baseeff) : "-"
        heffratio = (hbaseeff > 0 && eff > 0) ? sprintf("%.2fx", eff / hbaseeff) : "-"
        rq = sprintf("%.0f", v[4])
        if (runs > 1) rq = rq sprintf(" (%.0f-%.0f)", lo[k], hi[k])
        if (s != "floor" && fbase > 0 && fbaseeff > 0 && eff > 0)
          vsfloor[f] = vsfloor[f] sprintf("%s%s %.2fx, %.2fx", (vsfloor[f] == "") ? "" : "; ", s, v[4] / fbase, eff / fbaseeff)
        # The server is the bottleneck when it keeps its CPU busy; if the
        # client is the one at 100% the number measures it, not the server.
        busy = (v[11] >= 10 || v[12] >= 10)
        if (busy) noisy = 1
        if (v[9] >= 90 && v[10] < 90) bound = "server"
        else if (v[9] >= 90) { bound = "server and " client; both = 1 }
        else if (v[10] >= 90) { bound = "**" client "**"; warn = 1 }
        else if (busy) { bound = "other processes"; starved = 1 }
        else { bound = "neither (latency?)"; warn = 1 }
        if (busy && bound != "other processes") bound = bound ", noisy"
        printf "| %s | %s | %s | %s | %s | %s | %s / %s | %s | %.1f s (%s%%) | %.1f s (%s%%) | %.0f | %s | %s | %s%% / %s%% | %s |\n", \
          f, (s == "floor") ? "floor (canned responses: the path\047s ceiling)" : s, rq, ratio, hratio, v[5], v[6], v[7], v[8], v[13], v[9], v[14], v[10], eff, effratio, heffratio, v[11], v[12], bound
      }
    }
    printf "\n%d connections, %s, %ss per measurement, median of %d run(s)%s.\n", conns, (client == "wrk") ? "wrk -t1" : "loadgen (one thread)", dur, runs, (runs > 1) ? " (min-max in brackets)" : ""
    printf "vs nginx: against the better of nginx and nginx-nosendfile in the same row (requests/s and per CPU-second each on its own).\n"
    nfl = 0
    for (a = 1; a <= nf; a++)
      if (vsfloor[files[a]] != "") {
        if (nfl++ == 0) printf "vs floor (canned responses: the path\047s ceiling), requests/s and requests per server CPU-second:\n"
        printf "- %s: %s\n", files[a], vsfloor[files[a]]
      }
    if (piped && client == "wrk") printf "Rows \"N pipelined\": wrk sends N requests per write on each connection (the pipeline.lua of run.sh, as in the TechEmpower plaintext test) and counts every response.\n"
    if (piped && client != "wrk") printf "Rows \"N pipelined\": loadgen -D N sends N requests per write on each connection, the next N when all N responses are in (as wrk with the pipeline.lua of run.sh), and counts every response; its latency is per batch of N.\n"
    printf "Server CPU and %s CPU: user+system time from /proc over the measured run, and as %% of one CPU (the\n", client
    printf "server figure includes the loopback TCP work done on its CPU). Requests per server CPU-second =\n"
    printf "requests/s / server CPU: the cost per request, which stays comparable when the client saturates.\n"
    if (warn) printf "WARNING: some server did not use its CPU fully: the client (%s, or latency) may be the bottleneck for those rows.\n", client
    else if (starved) printf ""
    else if (both) printf "Check: every server kept its CPU >= 90%% busy; %s was also >= 90%% busy in some rows, so their requests/s may understate the server: compare requests per server CPU-second there.\n", client
    else printf "Check: every server kept its CPU >= 90%% busy while %s stayed below 90%%, so %s was not the bottleneck.\n", client, client
    if (starved) printf "WARNING: in some rows other processes took the CPUs, so neither the server nor %s was saturated: their requests/s are not comparable; requests per server CPU-second still are, roughly.\n", client
    else if (noisy) printf "WARNING: other processes used >= 10%% of a benchmark CPU during some rows; repeat on a quiet machine.\n"
  }' "$RAW"
