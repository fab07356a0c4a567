#!/bin/bash
# dnsd and real DNS servers replicating zones through each other, with TSIG,
# everything on loopback in a temp dir, every server killed at the end.
#
#   interop_xfr.sh DNSD knot-secondary  Knot follows dnsd: AXFR (several
#       messages, signed), then a change + SIGHUP, dnsd's NOTIFY, Knot's
#       IXFR; Knot's answers and whole zone equal dnsd's. A wrong key and an
#       unsigned AXFR are refused and logged.
#   interop_xfr.sh DNSD nsd-bind-secondary  the same for NSD and BIND
#       (whichever is installed).
#   interop_xfr.sh DNSD knot-primary  dnsd follows Knot: AXFR, then Knot's
#       NOTIFY after a change and an IXFR; answers equal. Then Knot stops:
#       a zone with a 4 s SOA expire keeps being served, then answers
#       SERVFAIL and dnsd logs that it expired.
#
#   interop_xfr.sh DNSD flags  the new options' errors (exit 2, a clear
#       message), --help, and key files in both formats.
#
# Exit 77 (skipped) when kdig or the peer is not installed.
set -u
DNSD=$1
MODE=$2
command -v kdig >/dev/null || { echo "kdig is not installed: skipping"; exit 77; }
case $MODE in
flags) ;;
knot-*) command -v knotd >/dev/null && command -v knotc >/dev/null ||
	{ echo "knotd is not installed: skipping"; exit 77; } ;;
nsd-bind-secondary) command -v nsd >/dev/null || command -v named >/dev/null ||
	{ echo "neither nsd nor named is installed: skipping"; exit 77; } ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac

SECRET=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
WRONG=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh4=
KEY=hmac-sha256:xfr-key:$SECRET

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "${CLOUDLET_KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Ports free for UDP and TCP on 127.0.0.1.
ports() {
	python3 - "$1" <<'PY'
import socket, sys
got, keep = [], []
while len(got) < int(sys.argv[1]):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
    p = u.getsockname()[1]
    try:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(('127.0.0.1', p))
    except OSError:
        continue
    keep += [u, t]; got.append(p)
print(' '.join(map(str, got)))
PY
}

# zone ORIGIN SERIAL VERSION [REFRESH RETRY EXPIRE]: a zone big enough for
# a transfer of several messages; version 2 changes www, adds new, drops old.
zone() {
	local o=$1 s=$2 v=$3 rf=${4:-3600} rt=${5:-600} ex=${6:-86400}
	echo "\$ORIGIN $o."
	echo "\$TTL 300"
	echo "@ SOA ns hostmaster $s $rf $rt $ex 300"
	echo "@ NS ns"
	echo "ns A 192.0.2.1"
	if [ "$v" = 1 ]; then
		echo "www A 192.0.2.2"
		echo "old TXT \"old\""
	else
		echo "www A 192.0.2.99"
		echo "new 600 TXT \"new\""
	fi
	for i in $(seq 0 4999); do echo "bulk-name-number-$i A 10.$v.$((i / 256)).$((i % 256))"; done
}

# start_dnsd NAME ARGS...: dnsd in the background, waits for its start line.
start_dnsd() {
	local name=$1
	shift
	"$DNSD" "$@" 2>"$tmp/$name.log" &
	pids+=("$!")
	DNSD_PID=$!
	DNSD_LOG=$tmp/$name.log
	for _ in $(seq 50); do
		grep -q "started" "$tmp/$name.log" && return 0
		sleep 0.1
	done
	echo "dnsd $name did not start:"
	cat "$tmp/$name.log"
	exit 1
}

# serial PORT ZONE: the SOA serial the server at PORT answers ("" if none).
serial() {
	kdig @127.0.0.1 -p "$1" +short +time=1 +retry=0 "$2" SOA 2>/dev/null | awk '{print $3}'
}

# wait_serial PORT ZONE SERIAL [SECONDS]
wait_serial() {
	local n=$(( ${4:-15} * 10 ))
	for _ in $(seq $n); do
		[ "$(serial "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

wait_log() { # wait_log FILE REGEX [SECONDS]
	local n=$(( ${3:-10} * 10 ))
	for _ in $(seq $n); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# answer PORT NAME TYPE: rcode and sorted answer records, TTLs included.
answer() {
	kdig @127.0.0.1 -p "$1" +time=2 +retry=0 +norec "$2" "$3" 2>&1 |
		awk '/status:/ {for (i = 1; i <= NF; i++) if ($i == "status:") print $(i + 1)}
		     /^;; ANSWER SECTION/ {a = 1; next} /^$/ {a = 0} a && !/^;/ {print $1, $2, $3, $4, $5, $6}' |
		sort
}

# zone_dump PORT ZONE: the zone by AXFR with the key, one record a line, sorted.
zone_dump() {
	kdig @127.0.0.1 -p "$1" -y "$KEY" +time=5 +retry=0 "$2" AXFR 2>/dev/null |
		awk '!/^;/ && NF >= 4 && $4 != "TSIG" {$1 = tolower($1); print}' | sort -u
}

same_answers() { # same_answers WHAT PORT_A PORT_B NAME TYPE...
	local what=$1 a=$2 b=$3
	shift 3
	while [ $# -ge 2 ]; do
		local x y
		x=$(answer "$a" "$1" "$2")
		y=$(answer "$b" "$1" "$2")
		if [ -n "$x" ] && [ "$x" = "$y" ]; then
			ok "$what: $1 $2 the same ($(echo $x))"
		else
			bad "$what: $1 $2 differs:"
			echo "    dnsd side: $x" "    other: $y"
		fi
		shift 2
	done
}

same_zone() { # same_zone WHAT PORT_A PORT_B ZONE
	zone_dump "$2" "$4" >"$tmp/a.dump"
	zone_dump "$3" "$4" >"$tmp/b.dump"
	local n
	n=$(wc -l <"$tmp/a.dump")
	if [ "$n" -gt 5000 ] && cmp -s "$tmp/a.dump" "$tmp/b.dump"; then
		ok "$1: the whole zone is the same ($n records)"
	else
		bad "$1: the zones differ ($n records here, $(wc -l <"$tmp/b.dump") there):"
		diff "$tmp/a.dump" "$tmp/b.dump" | head -10
	fi
}

knot_conf() { # knot_conf PORT DIR ZONES-YAML (the rest is shared)
	mkdir -p "$2/db"
	cat >"$2/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$1
    rundir: $2
database:
    storage: $2/db
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: dnsd
    address: 127.0.0.1@$DPORT
    key: xfr-key
acl:
  - id: dnsd
    address: 127.0.0.1
    key: xfr-key
    action: [transfer, notify]
log:
  - target: $2/knot.log
    any: info
zone:
$3
EOF
}

start_knot() { # start_knot DIR PORT
	knotd -c "$1/knot.conf" 2>"$1/knotd.err" &
	pids+=("$!")
	KNOT_PID=$!
	for _ in $(seq 50); do
		[ -n "$(kdig @127.0.0.1 -p "$2" +time=1 +retry=0 +short version.server CH TXT 2>/dev/null)" ] &&
			return 0
		kdig @127.0.0.1 -p "$2" +time=1 +retry=0 . SOA 2>/dev/null | grep -q status && return 0
		sleep 0.1
	done
	echo "knotd did not start:"
	cat "$1/knotd.err" "$1/knot.log"
	exit 1
}

# ---- Knot, NSD, BIND as secondaries of dnsd

secondaries() {
	read -r DPORT KPORT NPORT BPORT <<<"$(ports 4)"
	zone example.test 1 1 >"$tmp/primary.zone"
	local notify=()
	local peers=()
	if [ "$MODE" = knot-secondary ]; then
		peers=(knot)
	else
		command -v nsd >/dev/null && peers+=(nsd)
		command -v named >/dev/null && peers+=(named)
	fi
	for p in "${peers[@]}"; do
		case $p in
		knot) notify+=(--notify "example.test=127.0.0.1:$KPORT,key=xfr-key") ;;
		nsd) notify+=(--notify "example.test=127.0.0.1:$NPORT,key=xfr-key") ;;
		named) notify+=(--notify "example.test=127.0.0.1:$BPORT,key=xfr-key") ;;
		esac
	done
	printf 'key "xfr-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$SECRET" >"$tmp/keys.conf"
	start_dnsd primary --listen "127.0.0.1:$DPORT" --zone "example.test=$tmp/primary.zone" \
		--tsig-file "$tmp/keys.conf" --allow-transfer example.test=key=xfr-key --ixfr-history 8 \
		"${notify[@]}"
	local log=$tmp/primary.log
	for p in "${peers[@]}"; do
		case $p in
		knot)
			mkdir -p "$tmp/knot"
			knot_conf "$KPORT" "$tmp/knot" "  - domain: example.test
    master: dnsd
    acl: dnsd
    file: $tmp/knot/example.test.zone
    zonefile-sync: -1"
			start_knot "$tmp/knot" "$KPORT"
			;;
		nsd)
			mkdir -p "$tmp/nsd"
			cat >"$tmp/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$NPORT
    username: ""
    zonesdir: "$tmp/nsd"
    database: ""
    pidfile: "$tmp/nsd/nsd.pid"
    xfrdfile: "$tmp/nsd/xfrd.state"
    zonelistfile: "$tmp/nsd/zone.list"
    logfile: "$tmp/nsd/nsd.log"
    verbosity: 2
    xfrd-reload-timeout: 0
key:
    name: "xfr-key"
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
    name: "example.test"
    zonefile: "example.test.zone"
    request-xfr: 127.0.0.1@$DPORT xfr-key
    allow-notify: 127.0.0.1 xfr-key
    provide-xfr: 127.0.0.1 xfr-key
EOF
			nsd -d -c "$tmp/nsd/nsd.conf" 2>"$tmp/nsd/nsd.err" &
			pids+=("$!")
			;;
		named)
			mkdir -p "$tmp/named"
			cat >"$tmp/named/named.conf" <<EOF
options {
	directory "$tmp/named";
	listen-on port $BPORT { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file "$tmp/named/named.pid";
	recursion no;
	notify no;
	dnssec-validation no;
};
key "xfr-key" { algorithm hmac-sha256; secret "$SECRET"; };
controls { };
logging {
	channel f { file "$tmp/named/named.log"; severity info; print-time yes; };
	category default { f; }; category xfer-in { f; }; category notify { f; };
};
zone "example.test" {
	type secondary;
	file "$tmp/named/example.test.db";
	primaries port $DPORT { 127.0.0.1 key xfr-key; };
	allow-notify { key xfr-key; };
	allow-transfer { key xfr-key; };
};
EOF
			named -g -c "$tmp/named/named.conf" 2>"$tmp/named/named.err" &
			pids+=("$!")
			;;
		esac
	done
	port_of() { case $1 in knot) echo "$KPORT" ;; nsd) echo "$NPORT" ;; named) echo "$BPORT" ;; esac; }
	for p in "${peers[@]}"; do
		local port
		port=$(port_of "$p")
		if wait_serial "$port" example.test 1 20; then ok "$p: has serial 1 from dnsd"; else
			bad "$p: never got serial 1"; continue; fi
		same_answers "$p, serial 1" "$DPORT" "$port" www.example.test A old.example.test TXT \
			bulk-name-number-4711.example.test A
		same_zone "$p, serial 1" "$DPORT" "$port" example.test
	done
	if grep -Eq "AXFR of example.test. serial 1 to 127.0.0.1:[0-9]+, key xfr-key. done, ([2-9]|[1-9][0-9]+) messages" "$log"; then
		ok "dnsd: the AXFR took several signed messages"
	else
		bad "dnsd: no multi-message AXFR in the log"
	fi
	if [ "$MODE" = knot-secondary ]; then
		# A wrong key: NOTAUTH/BADSIG, logged with the key and the peer.
		local out
		out=$(kdig @127.0.0.1 -p "$DPORT" -y "hmac-sha256:xfr-key:$WRONG" +time=2 +retry=0 example.test AXFR 2>&1)
		if grep -q "BADSIG\|NOTAUTH" <<<"$out" && ! grep -q "IN.*SOA" <<<"$out"; then
			ok "a wrong key gets no zone"
		else
			bad "a wrong key: $out"
		fi
		if grep -q "TSIG error from 127.0.0.1:[0-9]*, key xfr-key., query example.test. AXFR: DNS_ETSIG_BADSIG" "$log"; then
			ok "dnsd logged the wrong key"
		else
			bad "dnsd did not log the wrong key"
		fi
		out=$(kdig @127.0.0.1 -p "$DPORT" +time=2 +retry=0 example.test AXFR 2>&1)
		if grep -q "REFUSED" <<<"$out" && grep -q "AXFR of example.test. to 127.0.0.1:[0-9]* refused, key none" "$log"; then
			ok "an unsigned AXFR is refused and logged"
		else
			bad "an unsigned AXFR: $out"
		fi
	fi
	# The change: dnsd reloads, journals it, NOTIFYs; each secondary
	# comes for an IXFR.
	zone example.test 2 2 >"$tmp/primary.zone"
	kill -HUP "${pids[0]}"
	for p in "${peers[@]}"; do
		local port
		port=$(port_of "$p")
		if wait_log "$log" "NOTIFY of example.test. serial 2 to 127.0.0.1:$port: acknowledged"; then
			ok "$p: acknowledged dnsd's signed NOTIFY"
		else
			bad "$p: no NOTIFY acknowledged"
		fi
		if wait_serial "$port" example.test 2 20; then ok "$p: followed to serial 2"; else
			bad "$p: never got serial 2"; continue; fi
		same_answers "$p, serial 2" "$DPORT" "$port" www.example.test A new.example.test TXT \
			old.example.test TXT bulk-name-number-4711.example.test A
		same_zone "$p, serial 2" "$DPORT" "$port" example.test
	done
	local n
	n=$(grep -c "IXFR (incremental) of example.test. serial 2 to .* done" "$log")
	if [ "$n" -ge "${#peers[@]}" ]; then
		ok "dnsd served $n incremental IXFRs"
	else
		bad "dnsd served $n incremental IXFRs for ${#peers[@]} secondaries"
	fi
	if [ "$MODE" = knot-secondary ]; then
		if grep -q "IXFR, incoming" "$tmp/knot/knot.log"; then ok "knot logged an incoming IXFR"; else
			bad "knot did not log an incoming IXFR"; fi
	fi
}

# ---- dnsd as a secondary of Knot

primary() {
	read -r KPORT DPORT <<<"$(ports 2)"
	mkdir -p "$tmp/knot"
	zone example.test 1 1 >"$tmp/knot/example.test.zone"
	zone short.test 1 1 1 1 4 >"$tmp/knot/short.test.zone"
	local z
	for z in example.test short.test; do
		printf '  - domain: %s\n    file: %s/knot/%s.zone\n    acl: dnsd\n    notify: dnsd\n    zonefile-load: difference\n    journal-content: changes\n' \
			"$z" "$tmp" "$z"
	done >"$tmp/zones.yaml"
	knot_conf "$KPORT" "$tmp/knot" "$(cat "$tmp/zones.yaml")"
	start_knot "$tmp/knot" "$KPORT"
	start_dnsd secondary --listen "127.0.0.1:$DPORT" --tsig "xfr-key:hmac-sha256:$SECRET" \
		--secondary "example.test=127.0.0.1:$KPORT,key=xfr-key" \
		--secondary "short.test=127.0.0.1:$KPORT,key=xfr-key" \
		--allow-transfer example.test=key=xfr-key
	local log=$tmp/secondary.log
	if wait_serial "$DPORT" example.test 1 15 && wait_serial "$DPORT" short.test 1 5; then
		ok "dnsd has serial 1 of both zones from knot"
	else
		bad "dnsd did not get serial 1"
		cat "$log"
	fi
	grep -q "zone example.test. (primary 127.0.0.1:$KPORT): serial 1 by AXFR" "$log" &&
		ok "dnsd logged the AXFR" || bad "no AXFR in dnsd's log"
	same_answers "serial 1" "$DPORT" "$KPORT" www.example.test A old.example.test TXT \
		bulk-name-number-4711.example.test A
	same_zone "serial 1" "$DPORT" "$KPORT" example.test
	# A change on Knot; its NOTIFY brings dnsd to serial 2 by IXFR.
	zone example.test 2 2 >"$tmp/knot/example.test.zone"
	knotc -c "$tmp/knot/knot.conf" zone-reload example.test >/dev/null
	if wait_serial "$DPORT" example.test 2 15; then ok "dnsd followed knot to serial 2"; else
		bad "dnsd did not follow to serial 2"; fi
	grep -q "NOTIFY for example.test. from 127.0.0.1:[0-9]*: checking the primary" "$log" &&
		ok "dnsd took knot's NOTIFY" || bad "no NOTIFY in dnsd's log"
	grep -q "zone example.test. (primary 127.0.0.1:$KPORT): serial 2 by IXFR" "$log" &&
		ok "dnsd followed by IXFR" || bad "no IXFR to serial 2 in dnsd's log"
	same_answers "serial 2" "$DPORT" "$KPORT" www.example.test A new.example.test TXT \
		old.example.test TXT bulk-name-number-4711.example.test A
	same_zone "serial 2" "$DPORT" "$KPORT" example.test
	# A reload (no zone files here) keeps the transferred copies.
	kill -HUP "$DNSD_PID"
	if wait_log "$log" "reloaded in" && [ "$(serial "$DPORT" example.test)" = 2 ]; then
		ok "a SIGHUP keeps the transferred copy"
	else
		bad "after SIGHUP: serial $(serial "$DPORT" example.test)"
	fi
	# The primary goes away: short.test (expire 4 s) is served until it
	# expires, then SERVFAIL; example.test (expire 1 day) is still served.
	kill "$KNOT_PID"
	wait "$KNOT_PID" 2>/dev/null
	local t0=$SECONDS
	local a
	a=$(answer "$DPORT" www.short.test A)
	grep -q NOERROR <<<"$a" && ok "short.test still served with its primary gone" ||
		bad "short.test not served right after the primary stopped: $a"
	local expired=0
	for _ in $(seq 100); do
		a=$(answer "$DPORT" www.short.test A)
		if grep -q SERVFAIL <<<"$a"; then expired=1; break; fi
		sleep 0.1
	done
	if [ $expired = 1 ] && [ $((SECONDS - t0)) -le 8 ]; then
		ok "short.test answers SERVFAIL once expired ($((SECONDS - t0)) s)"
	else
		bad "short.test did not expire: $a"
	fi
	grep -q "zone short.test. (primary 127.0.0.1:$KPORT): expired" "$log" &&
		ok "dnsd logged the expiry" || bad "no expiry in dnsd's log"
	a=$(answer "$DPORT" www.example.test A)
	grep -q "NOERROR.*192.0.2.99\|192.0.2.99" <<<"$a" && ok "example.test still served" ||
		bad "example.test not served: $a"
}

# ---- Flags

flags() {
	local z=$tmp/z.zone
	zone example.test 1 1 >"$z"
	local base=(--listen 127.0.0.1:1 --zone "example.test=$z")
	local k=xfr-key:hmac-sha256:$SECRET
	fails_with() { # fails_with REGEX ARGS...
		local re=$1
		shift
		local out rc
		out=$("$DNSD" "$@" 2>&1)
		rc=$?
		if [ $rc -eq 2 ] && grep -Eq -- "$re" <<<"$out"; then ok "refused: ${*:5}"; else
			bad "$* gave $rc: $out"; fi
	}
	fails_with 'not NAME:ALG:BASE64.*DNS_EKEY_SECRET' "${base[@]}" --tsig k:hmac-sha256:@@
	fails_with 'DNS_EKEY_ALG' "${base[@]}" --tsig k:hmac-foo:AAAA
	fails_with 'key xfr-key. defined twice' "${base[@]}" --tsig "$k" --tsig "$k"
	fails_with 'tsig-file: .*/nope: No such file' "${base[@]}" --tsig-file "$tmp/nope"
	printf 'key "a" {
	algorithm hmac-sha256;
	secret "AAAA;
};
' >"$tmp/bad.key"
	fails_with "tsig-file: $tmp/bad.key:[0-9]+:[0-9]+: DNS_EKEY" "${base[@]}" --tsig-file "$tmp/bad.key"
	fails_with 'allow-transfer example.test.: no key other.' "${base[@]}" --tsig "$k" \
		--allow-transfer example.test=key=other
	fails_with 'allow-transfer: "example.test=300.1.1.1" is not' "${base[@]}" \
		--allow-transfer example.test=300.1.1.1
	fails_with 'ixfr-history: "65" is not a number from 0 to 64' "${base[@]}" --ixfr-history 65
	fails_with 'notify: "example.test=127.0.0.1" is not ZONE=ADDR:PORT' "${base[@]}" \
		--notify example.test=127.0.0.1
	fails_with 'notify example.test.: no key k2.' "${base[@]}" --notify example.test=127.0.0.1:53,key=k2
	fails_with 'example.test. is both a --zone and a --secondary' "${base[@]}" \
		--secondary example.test=127.0.0.1:53
	fails_with 'secondary other.test. given twice' "${base[@]}" --secondary other.test=127.0.0.1:53 \
		--secondary other.test=[::1]:53
	local help
	help=$("$DNSD" --help)
	local o
	for o in --tsig --tsig-file --allow-transfer --ixfr-history --notify --secondary; do
		grep -q -- "^  $o " <<<"$help" && ok "--help names $o" || bad "--help lacks $o"
	done
	# Both key file formats; a query signed with each key gets a signed answer.
	keymgr_text="key:
  - id: knot-key
    algorithm: hmac-sha512
    secret: $(printf '%064d' 0 | head -c 64 | base64 -w0)"
	echo "$keymgr_text" >"$tmp/knot.key"
	printf 'key "bind-key" {
	algorithm hmac-sha256;
	secret "%s";
};
' "$SECRET" >"$tmp/bind.key"
	read -r DPORT <<<"$(ports 1)"
	start_dnsd flags --listen "127.0.0.1:$DPORT" --zone "example.test=$z" --tsig-file "$tmp/knot.key" \
		--tsig-file "$tmp/bind.key"
	local out
	out=$(kdig @127.0.0.1 -p "$DPORT" +time=2 +retry=0 -y "hmac-sha256:bind-key:$SECRET" www.example.test A 2>&1)
	grep -q "bind-key.*TSIG.*NOERROR" <<<"$out" && ! grep -qi "failed to verify" <<<"$out" &&
		ok "a tsig-keygen key signs" || bad "tsig-keygen key: $out"
	out=$(kdig @127.0.0.1 -p "$DPORT" +time=2 +retry=0 \
		-y "hmac-sha512:knot-key:$(printf '%064d' 0 | head -c 64 | base64 -w0)" www.example.test A 2>&1)
	grep -q "knot-key.*TSIG.*NOERROR" <<<"$out" && ! grep -qi "failed to verify" <<<"$out" &&
		ok "a keymgr key signs" || bad "keymgr key: $out"
}

case $MODE in
knot-primary) primary ;;
flags) flags ;;
*) secondaries ;;
esac

# dnsd stops cleanly on SIGTERM (under the sanitizers: no leak, no report).
kill -TERM "$DNSD_PID"
wait "$DNSD_PID"
rc=$?
if [ $rc -eq 0 ] && ! grep -q "Sanitizer\|runtime error" "$DNSD_LOG"; then
	ok "dnsd stopped cleanly"
else
	bad "dnsd exited with $rc"
	grep -A30 "Sanitizer\|runtime error" "$DNSD_LOG" | head -60
fi

if [ $fails -ne 0 ]; then
	echo "$fails failed; logs:"
	for f in "$tmp"/*.log "$tmp"/*/*.log; do
		[ -f "$f" ] || continue
		echo "== $f"
		tail -40 "$f"
	done
	exit 1
fi
echo "all passed"
