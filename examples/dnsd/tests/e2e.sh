#!/bin/bash
# dnsd end to end: starts dnsd on loopback with a test zone, queries it with
# dig over UDP and TCP (IPv4 and IPv6), checks truncation, pipelining, the
# TCP connection limit and idle timeout, SIGHUP with a broken zone (the old
# one keeps serving, the error names file:line) and with a changed zone (new
# answers, in every worker), SIGTERM (clean exit), and bad flags.
# usage: e2e.sh DNSD TESTDIR. Exit 77 (skip) without dig.
set -u
DNSD=$1
SRC=$2
command -v dig >/dev/null || { echo "dig is not installed: skipping"; exit 77; }

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

have_v6=0
python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && have_v6=1

# A port free for UDP and TCP on both loopbacks.
free_port() {
	python3 - "$have_v6" <<'PY'
import socket, sys
v6 = sys.argv[1] == '1'
for _ in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    try:
        socks = [s]
        for fam, host in [(socket.AF_INET, '127.0.0.1')] + ([(socket.AF_INET6, '::1')] if v6 else []):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                if (fam, kind) == (socket.AF_INET, socket.SOCK_DGRAM):
                    continue
                t = socket.socket(fam, kind); t.bind((host, port)); socks.append(t)
        print(port)
        break
    except OSError:
        continue
PY
}

# start NAME ARGS...: runs dnsd in the background, waits for its start line.
start() {
	local name=$1
	shift
	"$DNSD" "$@" 2>"$tmp/$name.log" &
	local pid=$!
	pids+=("$pid")
	eval "${name}_pid=$pid"
	for _ in $(seq 50); do
		grep -q "started" "$tmp/$name.log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "dnsd $name did not start:"
	cat "$tmp/$name.log"
	exit 1
}

# q PORT [dig args]: one query, no retries.
q() {
	local port=$1
	shift
	dig -p "$port" +norec +time=2 +tries=1 "$@" 2>&1
}

expect() { # expect WHAT OUTPUT REGEX
	if grep -Eq -- "$3" <<<"$2"; then ok "$1"; else bad "$1: no /$3/ in:"; echo "$2" | sed 's/^/    /'; fi
}

wait_log() { # wait_log NAME REGEX
	for _ in $(seq 50); do
		grep -Eq -- "$2" "$tmp/$1.log" && return 0
		sleep 0.1
	done
	return 1
}

cp "$SRC/example.test.zone" "$tmp/example.test.zone"
P=$(free_port)
listen=(--listen "127.0.0.1:$P")
[ "$have_v6" = 1 ] && listen+=(--listen "[::1]:$P")

# ---- A: two workers; answers, truncation, reloads.
start a "${listen[@]}" --zone "example.test=$tmp/example.test.zone" --workers 2
expect "start line" "$(cat "$tmp/a.log")" "dnsd .* started: udp\+tcp on 127.0.0.1:$P.*2 workers.*example.test. \(.* names, serial 2026112701\)"

out=$(q "$P" @127.0.0.1 www.example.test A)
expect "udp A" "$out" "status: NOERROR"
expect "udp A flags" "$out" "flags: qr aa;"
expect "udp A data" "$out" "www.example.test.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.10"
out=$(q "$P" @127.0.0.1 +tcp www.example.test AAAA)
expect "tcp AAAA" "$out" "IN[[:space:]]+AAAA[[:space:]]+2001:db8::10"
if [ "$have_v6" = 1 ]; then
	out=$(q "$P" @::1 www.example.test A)
	expect "udp over IPv6" "$out" "192.0.2.10"
	out=$(q "$P" @::1 +tcp www.example.test A)
	expect "tcp over IPv6" "$out" "192.0.2.10"
fi
out=$(q "$P" @127.0.0.1 nope.example.test A)
expect "nxdomain" "$out" "status: NXDOMAIN"
expect "nxdomain soa ttl=min(ttl,minimum)" "$out" "example.test.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA"
out=$(q "$P" @127.0.0.1 b.c.example.test A)
expect "empty non-terminal is nodata" "$out" "status: NOERROR"
expect "empty non-terminal: no answer, SOA" "$out" "ANSWER: 0, AUTHORITY: 1"
out=$(q "$P" @127.0.0.1 example.org A)
expect "refused outside the zones" "$out" "status: REFUSED"
out=$(q "$P" @127.0.0.1 alias.example.test A)
expect "cname" "$out" "alias.example.test.[[:space:]]+300[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+www.example.test."
expect "cname followed" "$out" "^www.example.test.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.10"
out=$(q "$P" @127.0.0.1 www.sub.example.test A)
expect "referral" "$out" "flags: qr;.*ANSWER: 0, AUTHORITY: 1, ADDITIONAL: [12]"
out=$(q "$P" @127.0.0.1 +norec WwW.ExAmPlE.tEsT A)
expect "0x20 case echoed" "$out" "WwW.ExAmPlE.tEsT.[[:space:]]+300"

# Truncation: 3 KB of TXT.
out=$(q "$P" @127.0.0.1 +noedns +ignore big.example.test TXT)
expect "udp 512 truncated" "$out" "flags: qr aa tc;.*ANSWER: 0"
expect "udp 512 size" "$out" "MSG SIZE  rcvd: [1-4][0-9]{0,2}$"
out=$(q "$P" @127.0.0.1 +bufsize=4096 +ignore big.example.test TXT)
expect "udp edns 4096 -> 1232, truncated" "$out" "flags: qr aa tc;"
expect "edns kept in a truncated answer" "$out" "EDNS: version: 0.*udp: 1232"
out=$(q "$P" @127.0.0.1 +tcp big.example.test TXT)
expect "tcp whole answer" "$out" "flags: qr aa;.*ANSWER: 30,"
out=$(q "$P" @127.0.0.1 big.example.test TXT)
expect "dig retries over tcp after tc" "$out" "ANSWER: 30,"

# Reload with a broken zone: logged with file:line, the old zone serves.
cp "$tmp/example.test.zone" "$tmp/good.zone"
sed -i 's/^www\tIN\tA\t192.0.2.10/www\tIN\tA\t192.0.2.300/' "$tmp/example.test.zone"
line=$(grep -n '192.0.2.300' "$tmp/example.test.zone" | cut -d: -f1)
kill -HUP "$a_pid"
if wait_log a "reload failed.*example.test.zone:$line"; then ok "broken zone: error with file:line ($line)"; else bad "broken zone: no error naming example.test.zone:$line"; cat "$tmp/a.log"; fi
out=$(q "$P" @127.0.0.1 www.example.test A)
expect "old zone keeps serving" "$out" "192.0.2.10"

# Reload with a good changed zone: every worker answers from it.
sed -e 's/192.0.2.10$/192.0.2.99/' -e 's/2026112701/2026112702/' "$tmp/good.zone" >"$tmp/example.test.zone"
kill -HUP "$a_pid"
if wait_log a "reloaded in .*serial 2026112702"; then ok "reload logged"; else bad "no reload line"; cat "$tmp/a.log"; fi
sleep 0.2
stale=0
for i in $(seq 20); do
	out=$(q "$P" @127.0.0.1 +short www.example.test A)
	[ "$out" = "192.0.2.99" ] || stale=$((stale + 1))
	out=$(q "$P" @127.0.0.1 +tcp +short www.example.test A)
	[ "$out" = "192.0.2.99" ] || stale=$((stale + 1))
done
if [ "$stale" = 0 ]; then ok "new answers from every worker"; else bad "$stale of 40 answers stale after reload"; fi

kill -TERM "$a_pid"
for _ in $(seq 50); do kill -0 "$a_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$a_pid" 2>/dev/null; then
	bad "still running 5 s after SIGTERM"
else
	wait "$a_pid"
	rc=$?
	if [ "$rc" = 0 ] && grep -q "dnsd stopped" "$tmp/a.log"; then ok "SIGTERM: clean exit"; else bad "SIGTERM: exit status $rc"; cat "$tmp/a.log"; fi
fi

# ---- B: one worker, a TCP limit of 3, an idle timeout of 1 s.
P=$(free_port)
start b --listen "127.0.0.1:$P" --zone "example.test=$tmp/example.test.zone" --tcp-max 3 --tcp-idle-timeout 1s
for check in "pipeline" "limit 3" "idle 1" "badframe"; do
	# shellcheck disable=SC2086
	if out=$(python3 "$SRC/tcpcheck.py" ${check%% *} 127.0.0.1 "$P" ${check#* } 2>&1); then ok "tcp $check"; else bad "tcp $check: $out"; fi
done
out=$(q "$P" @127.0.0.1 www.example.test A)
expect "still serving after the tcp checks" "$out" "192.0.2.99"
kill -TERM "$b_pid"
wait "$b_pid"
[ $? = 0 ] && ok "B: clean exit" || bad "B: exit status"

# ---- Flags.
flag() { # flag WHAT STATUS REGEX ARGS...
	local what=$1 want=$2 re=$3
	shift 3
	out=$("$DNSD" "$@" 2>&1)
	local rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$re" <<<"$out"; then ok "flags: $what"; else bad "flags: $what: status $rc: $out"; fi
}
Z="example.test=$tmp/example.test.zone"
flag "--help" 0 "usage: dnsd" --help
flag "unknown flag" 2 'unknown option "--bogus"' --bogus
flag "missing value" 2 "--listen needs a value" --zone "$Z" --listen
flag "bad address" 2 '"localhost:53" is not ADDR:PORT' --listen localhost:53 --zone "$Z"
flag "bad port" 2 "is not ADDR:PORT" --listen 127.0.0.1:99999 --zone "$Z"
flag "no listen" 2 "no --listen" --zone "$Z"
flag "no zone" 2 "no --zone" --listen 127.0.0.1:1
flag "zone without =" 2 "--zone wants ORIGIN=FILE" --listen 127.0.0.1:1 --zone example.test
flag "bad origin" 2 "is not a domain name" --listen 127.0.0.1:1 --zone "a..b=$tmp/x"
flag "zone twice" 2 "given twice" --listen 127.0.0.1:1 --zone "$Z" --zone "example.test.=$tmp/y"
flag "workers 0" 2 "--workers: \"0\"" --listen 127.0.0.1:1 --zone "$Z" --workers 0
flag "workers abc" 2 "--workers: \"abc\"" --listen 127.0.0.1:1 --zone "$Z" --workers abc
flag "tcp-max" 2 "--tcp-max" --listen 127.0.0.1:1 --zone "$Z" --tcp-max -5
flag "idle timeout" 2 "--tcp-idle-timeout: \"10x\"" --listen 127.0.0.1:1 --zone "$Z" --tcp-idle-timeout 10x
flag "udp-max" 2 "--udp-max: \"100\"" --listen 127.0.0.1:1 --zone "$Z" --udp-max 100
flag "log level" 2 "--log-level" --listen 127.0.0.1:1 --zone "$Z" --log-level loud
flag "missing zone file" 1 "dnsd not started: $tmp/none.zone: No such file" --listen 127.0.0.1:1 --zone "x.test=$tmp/none.zone"
R="--remote http://127.0.0.1:1/r.git --mirror $tmp/mirror.git"
flag "notify key: unknown name" 2 "--notify-key: no key nk.test" --listen 127.0.0.1:1 $R --notify-key nk.test
flag "notify key: secret not echoed" 2 '"nk.test:\.\.\." is not NAME:ALG:BASE64' --listen 127.0.0.1:1 $R --notify-key nk.test:hmac-md5:c2VjcmV0
flag "notify key without --remote" 2 "--notify-key goes with --remote" --listen 127.0.0.1:1 --zone "$Z" --tsig nk.test:hmac-sha256:c2VjcmV0 --notify-key nk.test
flag "fetch timeout without --remote" 2 "--fetch-timeout goes with --remote" --listen 127.0.0.1:1 --zone "$Z" --fetch-timeout 5s
flag "bad fetch timeout" 2 '--fetch-timeout: "0s"' --listen 127.0.0.1:1 $R --fetch-timeout 0s
flag "address in use" 1 "cannot listen on 127.0.0.1:$P" --listen "127.0.0.1:$P" --listen "127.0.0.1:$P" --zone "$Z"

echo "$fails failure(s)"
[ "$fails" = 0 ]
