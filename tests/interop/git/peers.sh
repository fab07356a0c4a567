#!/usr/bin/env bash
# Real Git servers on loopback, for interop tests and benchmarks.
#
# Source it from bash (set -u safe) and call:
#
#   peers_init [DIR]                  state dir for every peer (default: a new
#                                     mktemp -d); removed by peers_cleanup when
#                                     peers_init made it
#   peer_daemon_start NAME REPO [--receive-pack]
#                                     `git daemon` exporting REPO (a bare
#                                     repository) with upload-pack, receive-pack
#                                     too when asked; prints git://.../REPO-NAME
#   peer_http_start NAME REPO [--push USER:PASSWORD] [--cpu-log FILE]
#                                     `git http-backend` behind nginx and
#                                     fcgiwrap (smart HTTP, protocol v0 and v2);
#                                     with --push, push is allowed to USER whose
#                                     password nginx checks against an htpasswd
#                                     file (Basic auth asked only for
#                                     receive-pack); prints http://.../REPO-NAME.
#                                     --cpu-log runs each http-backend under
#                                     /usr/bin/time, appending one line per
#                                     request to FILE: "wall user sys maxrssKB"
#                                     of http-backend and everything it waited
#                                     for (upload-pack, pack-objects); fcgiwrap
#                                     never waits for its CGIs, so their CPU
#                                     shows nowhere else
#   peer_cut_start NAME HOST:PORT BYTES [--first-cut N] [--rst|--stall]
#                                     cutproxy.py in front of HOST:PORT: drops
#                                     each connection (from the Nth on) after
#                                     BYTES of the server's answer (FIN, RST,
#                                     or --stall: hangs); prints the proxy's
#                                     port
#   peer_stop NAME                    stops that peer (its own pids only)
#   peers_cleanup                     stops every peer, removes the state dir
#
# Each start function also sets PEER_URL (PEER_PORT for the proxy) when called
# directly; its pids live in files under the state dir, so calling it inside
# $(...) works as well. Every server is a child of this shell, listens on
# 127.0.0.1 on a free high port, and keeps its config, logs and sockets in
# $PEERS_DIR/NAME (read NAME/*.log when something fails). Nothing packaged
# (systemd units, /etc/nginx) is used.
#
# CLI, for a person at a terminal (runs until Ctrl-C):
#   peers.sh daemon REPO [--receive-pack]
#   peers.sh http REPO [--push USER:PASSWORD]
#   peers.sh cut HOST:PORT BYTES [--first-cut N] [--rst|--stall]

PEERS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_DIR=${PEERS_DIR:-}
PEERS_OWN_DIR=0
PEERS_NGINX=${PEERS_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
PEERS_FCGIWRAP=${PEERS_FCGIWRAP:-$(command -v fcgiwrap || echo /usr/sbin/fcgiwrap)}
PEERS_HTTP_BACKEND=${PEERS_HTTP_BACKEND:-$(git --exec-path)/git-http-backend}

peers_die() { echo "peers: $*" >&2; return 1; }

peers_init() {
  if [ -n "${1:-}" ]; then
    PEERS_DIR=$1; mkdir -p "$PEERS_DIR"
  else
    PEERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/peers.XXXXXX"); PEERS_OWN_DIR=1
  fi
  PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
  export PEERS_DIR
}

# A port nobody listens on now, from the high range the kernel does not hand
# out as ephemeral ports by default (so our own clients do not collide with
# it). There is a window between this check and the server's bind; the start
# functions retry with another port when the bind fails. PEERS_FIXED_PORT, when
# set, is used instead (a wrapper that must listen where it is told).
peers_free_port() {
  if [ -n "${PEERS_FIXED_PORT:-}" ]; then echo "$PEERS_FIXED_PORT"; return; fi
  python3 - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
EOF
}

# A server started inside $(...) is reparented when the subshell ends, and
# where PID 1 does not reap (containers), it stays a zombie: that is dead.
peers_alive() { # PID
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# Wait until 127.0.0.1:PORT accepts, while PID lives; 10 s at most.
peers_wait_port() { # PORT PID
  local i
  for i in $(seq 1 200); do
    peers_alive "$2" || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

peers_require_dir() {
  [ -n "$PEERS_DIR" ] && return 0
  # Made inside $(...), the state dir would be lost to the caller, and with it
  # the pids to stop.
  if [ "${BASH_SUBSHELL:-0}" -gt 0 ]; then
    peers_die "call peers_init before starting a peer inside \$(...)"; return 1
  fi
  peers_init
}

peers_newdir() { # NAME -> path of a fresh state dir for NAME
  local d="$PEERS_DIR/$1"
  [ -e "$d/pids" ] && peer_stop "$1"
  rm -rf "$d"; mkdir -p "$d"
  echo "$d"
}

peers_record() { # NAME PID
  echo "$2" >> "$PEERS_DIR/$1/pids"
}

peers_repo_split() { # REPO -> sets _pr_parent _pr_name
  local r
  r=$(cd "$1" 2>/dev/null && pwd) || { peers_die "no such repository: $1"; return 1; }
  git --git-dir="$r" rev-parse --git-dir >/dev/null 2>&1 ||
    { peers_die "not a git repository: $r"; return 1; }
  _pr_parent=$(dirname "$r"); _pr_name=$(basename "$r")
}

peer_daemon_start() { # NAME REPO [--receive-pack]
  local name=$1 repo=$2; shift 2
  local enable=()
  while [ $# -gt 0 ]; do
    case $1 in
      --receive-pack) enable=(--enable=receive-pack) ;;
      *) peers_die "peer_daemon_start: unknown option $1"; return 1 ;;
    esac
    shift
  done
  peers_require_dir || return 1
  peers_repo_split "$repo" || return 1
  local d port pid try
  d=$(peers_newdir "$name")
  for try in 1 2 3 4 5; do
    port=$(peers_free_port)
    # --export-all: no git-daemon-export-ok needed; the whitelist (the repo
    # itself) keeps everything else under the parent unreachable.
    git daemon --reuseaddr --listen=127.0.0.1 --port="$port" \
      --base-path="$_pr_parent" --export-all "${enable[@]}" \
      --informative-errors --verbose "$_pr_parent/$_pr_name" \
      </dev/null >"$d/daemon.log" 2>&1 &
    pid=$!
    if peers_wait_port "$port" "$pid"; then
      peers_record "$name" "$pid"
      PEER_URL="git://127.0.0.1:$port/$_pr_name"; PEER_PORT=$port
      echo "$PEER_URL" > "$d/url"
      echo "$PEER_URL"
      return 0
    fi
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  done
  cat "$d/daemon.log" >&2
  peers_die "git daemon did not start"
}

# nginx's {SSHA} scheme: base64(sha1(password + salt) + salt).
peers_htpasswd() { # USER PASSWORD > line
  python3 -c '
import base64, hashlib, os, sys
salt = os.urandom(8)
d = hashlib.sha1(sys.argv[2].encode() + salt).digest()
print("%s:{SSHA}%s" % (sys.argv[1], base64.b64encode(d + salt).decode()))
' "$1" "$2"
}

peer_http_start() { # NAME REPO [--push USER:PASSWORD] [--cpu-log FILE]
  local name=$1 repo=$2; shift 2
  local push="" cpulog=""
  while [ $# -gt 0 ]; do
    case $1 in
      --push) push=$2; shift ;;
      --cpu-log) cpulog=$2; shift ;;
      *) peers_die "peer_http_start: unknown option $1"; return 1 ;;
    esac
    shift
  done
  peers_require_dir || return 1
  peers_repo_split "$repo" || return 1
  [ -x "$PEERS_NGINX" ] || { peers_die "nginx not found"; return 1; }
  [ -x "$PEERS_FCGIWRAP" ] || { peers_die "fcgiwrap not found"; return 1; }
  local d; d=$(peers_newdir "$name")
  mkdir -p "$d/tmp"
  local cgi=$PEERS_HTTP_BACKEND
  if [ -n "$cpulog" ]; then
    [ -x /usr/bin/time ] || { peers_die "--cpu-log needs /usr/bin/time (Debian package time)"; return 1; }
    cgi=$d/http-backend-timed
    printf '#!/bin/sh\nexec /usr/bin/time -a -o %s -f "%%e %%U %%S %%M" %s\n' \
      "$cpulog" "$PEERS_HTTP_BACKEND" > "$cgi"
    chmod +x "$cgi"
  fi

  # fcgiwrap replaces the environment with the FastCGI parameters, so all that
  # git http-backend sees is what nginx passes below.
  "$PEERS_FCGIWRAP" -c 4 -s "unix:$d/fcgi.sock" -p "$cgi" \
    </dev/null >"$d/fcgiwrap.log" 2>&1 &
  local fpid=$!
  peers_record "$name" "$fpid"
  echo "$fpid" > "$d/fcgiwrap.pid"
  local i
  for i in $(seq 1 100); do [ -S "$d/fcgi.sock" ] && break; sleep 0.05; done
  [ -S "$d/fcgi.sock" ] || { cat "$d/fcgiwrap.log" >&2; peers_die "fcgiwrap did not start"; return 1; }

  local auth_map="" push_params=""
  if [ -n "$push" ]; then
    peers_htpasswd "${push%%:*}" "${push#*:}" > "$d/htpasswd"
    # Basic auth only where a push happens (the receive-pack advertisement
    # and the POST); http-backend allows receive-pack once REMOTE_USER is set.
    auth_map='map "$uri?$arg_service" $peer_auth {
        default off;
        "~git-receive-pack" "git push";
    }'
    push_params="auth_basic \$peer_auth;
            auth_basic_user_file $d/htpasswd;
            fastcgi_param REMOTE_USER \$remote_user;"
  fi
  # Running as root, nginx would hand its workers to "nobody", who could not
  # reach our socket; keep them as the user that runs the tests.
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root root;"

  local port pid try
  for try in 1 2 3 4 5; do
    port=$(peers_free_port)
    cat > "$d/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/nginx-error.log info;
events { worker_connections 256; }
http {
    access_log $d/nginx-access.log;
    client_body_temp_path $d/tmp/body;
    fastcgi_temp_path $d/tmp/fastcgi;
    proxy_temp_path $d/tmp/proxy;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    client_max_body_size 0;
    $auth_map
    server {
        listen 127.0.0.1:$port;
        location ~ ^/$_pr_name/(HEAD|info/refs|objects/.*|git-upload-pack|git-receive-pack)\$ {
            $push_params
            fastcgi_pass unix:$d/fcgi.sock;
            fastcgi_buffering off;
            fastcgi_request_buffering off;
            fastcgi_read_timeout 600s;
            fastcgi_param SCRIPT_FILENAME $cgi;
            fastcgi_param GIT_PROJECT_ROOT $_pr_parent;
            fastcgi_param GIT_HTTP_EXPORT_ALL 1;
            fastcgi_param GIT_CONFIG_NOSYSTEM 1;
            fastcgi_param GIT_PROTOCOL \$http_git_protocol;
            fastcgi_param PATH_INFO \$uri;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param HTTP_CONTENT_ENCODING \$http_content_encoding;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param HOME $d;
        }
        location / { return 404; }
    }
}
EOF
    "$PEERS_NGINX" -p "$d" -e "$d/nginx-error.log" -c "$d/nginx.conf" \
      </dev/null >"$d/nginx.log" 2>&1 &
    pid=$!
    if peers_wait_port "$port" "$pid"; then
      peers_record "$name" "$pid"
      echo "$pid" > "$d/nginx-master.pid"
      PEER_URL="http://127.0.0.1:$port/$_pr_name"; PEER_PORT=$port
      echo "$PEER_URL" > "$d/url"
      echo "$PEER_URL"
      return 0
    fi
    wait "$pid" 2>/dev/null
  done
  cat "$d/nginx-error.log" "$d/nginx.log" >&2
  peer_stop "$name"
  peers_die "nginx did not start"
}

peer_cut_start() { # NAME HOST:PORT BYTES [--first-cut N] [--rst|--stall]
  local name=$1 upstream=$2 bytes=$3; shift 3
  peers_require_dir || return 1
  local d; d=$(peers_newdir "$name")
  python3 "$PEERS_HERE/cutproxy.py" --upstream "$upstream" --cut-after "$bytes" "$@" \
    </dev/null >"$d/port" 2>"$d/proxy.log" &
  local pid=$! i
  peers_record "$name" "$pid"
  for i in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.05; done
  [ -s "$d/port" ] || { cat "$d/proxy.log" >&2; peers_die "cutproxy did not start"; return 1; }
  PEER_PORT=$(head -n1 "$d/port")
  echo "$PEER_PORT"
}

# Stop the peer's own processes, children first: nginx (master quits its
# workers on TERM), fcgiwrap (and its prefork children), git daemon (and any
# upload-pack it forked), the proxy.
peer_stop() { # NAME
  local f="$PEERS_DIR/$1/pids" p kids
  [ -f "$f" ] || return 0
  for p in $(tac "$f"); do
    kids=$(pgrep -P "$p" 2>/dev/null || true)
    kill "$p" 2>/dev/null || true
    [ -n "$kids" ] && kill $kids 2>/dev/null
    for _ in $(seq 1 100); do peers_alive "$p" || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -f "$f"
}

peers_cleanup() {
  [ -n "$PEERS_DIR" ] && [ -d "$PEERS_DIR" ] || return 0
  local f
  for f in "$PEERS_DIR"/*/pids; do
    [ -f "$f" ] && peer_stop "$(basename "$(dirname "$f")")"
  done
  [ "$PEERS_OWN_DIR" -eq 1 ] && rm -rf "$PEERS_DIR"
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  what=${1:-}; shift || true
  peers_init
  trap 'peers_cleanup' EXIT
  trap 'exit 0' INT TERM
  case $what in
    daemon) peer_daemon_start cli "$@" ;;
    http) peer_http_start cli "$@" ;;
    cut) peer_cut_start cli "$@" >/dev/null; echo "127.0.0.1:$PEER_PORT" ;;
    *) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
  echo "state and logs in $PEERS_DIR/cli; Ctrl-C stops" >&2
  while :; do sleep 3600 & wait $! || true; done
fi
