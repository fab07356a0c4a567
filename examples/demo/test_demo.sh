#!/usr/bin/env bash
# demo/check: scripts/demo.sh --check on the daemons of this build, in a
# fresh state directory, on two free loopback ports.
# usage: test_demo.sh DEMO_SH DNSD HTTPD
set -uo pipefail
demo=$1 dnsd=$2 httpd=$3
for t in python3 dig curl git; do
  command -v $t >/dev/null || { echo "skipped: $t is missing"; exit 77; }
done
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
# Two ports free for TCP, and the DNS one for UDP too.
read -r http_port dns_port < <(python3 - <<'PY'
import socket
ports = []
while len(ports) < 2:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        u.close()
        t.close()
    ports.append(p)
print(*ports)
PY
)
echo "scripts/demo.sh --check --fresh --no-build --state $state --http-port $http_port --dns-port $dns_port --dnsd $dnsd --httpd $httpd"
timeout -s TERM 50 bash "$demo" --check --fresh --no-build --state "$state" \
  --http-port "$http_port" --dns-port "$dns_port" --dnsd "$dnsd" --httpd "$httpd"
