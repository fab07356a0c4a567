#!/usr/bin/env bash
# The main job: install what is missing, build, make a Git repository from
# the embedded default site and zone (examples/demo/), and run httpd (the
# site and the repository) and dnsd (the zone, following httpd's repository)
# on loopback until Ctrl-C. `--check` walks through the demo by itself
# (clone, change, push, see it in curl and dig) and exits 0 or 1.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=$root/.demo
http_port=8080
dns_port=5353
fresh=0
check=0
build=1
builddir=$root/build
dnsd=
httpd=
name=demo          # the repository is STATE/NAME.git, cloned as /NAME.git
limit_ms=2000      # a change must be visible this soon after the push

usage() {
  cat <<EOF
usage: bash scripts/demo.sh [options]

Builds cloudlet, creates a Git repository from the embedded default site and
zone (examples/demo/), and runs httpd on 127.0.0.1:8080 and dnsd on
127.0.0.1:5353 until Ctrl-C.

  --state DIR       keep the repository, token and logs here (default .demo/ in
                    the checkout); reused when it exists
  --fresh           recreate the repository from the embedded default
  --http-port P     httpd's port (default 8080)
  --dns-port P      dnsd's port, UDP and TCP (default 5353)
  --check           walk through the demo unattended (clone, change the page and
                    the zone, push, see both within 2 s), stop, and exit 0 if
                    every step passed, 1 if not, 77 if dig, curl or git is missing;
                    it adds two commits to the repository of the state directory
  --no-build        do not install packages or build; use the daemons as built
  --build-dir DIR   the Meson build directory (default build/)
  --dnsd PATH       this dnsd binary (default BUILD/examples/dnsd/dnsd)
  --httpd PATH      this httpd binary (default BUILD/examples/httpd/httpd)
  -h, --help        this text
EOF
}

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

port_arg() { # FLAG VALUE
  [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 65535 ] ||
    { printf 'demo: %s: "%s" is not a port number (1-65535)\n' "$1" "$2" >&2; exit 2; }
}

while [ $# -gt 0 ]; do
  case $1 in
    --state|--http-port|--dns-port|--build-dir|--dnsd|--httpd)
      [ $# -ge 2 ] || { printf 'demo: %s needs a value\n' "$1" >&2; exit 2; }
      case $1 in
        --state) state=$2 ;;
        --http-port) port_arg "$1" "$2"; http_port=$2 ;;
        --dns-port) port_arg "$1" "$2"; dns_port=$2 ;;
        --build-dir) builddir=$2 ;;
        --dnsd) dnsd=$2 ;;
        --httpd) httpd=$2 ;;
      esac
      shift 2 ;;
    --fresh) fresh=1; shift ;;
    --check) check=1; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) printf 'demo: unknown option "%s" (see --help)\n' "$1" >&2; exit 2 ;;
  esac
done
[ "$http_port" != "$dns_port" ] || { echo "demo: --http-port and --dns-port must differ" >&2; exit 2; }

if [ $check -eq 1 ]; then
  for t in dig curl git; do
    command -v $t >/dev/null || { say "--check needs $t, which is missing (bash scripts/deps.sh installs it)"; exit 77; }
  done
fi

mkdir -p "$state" || die "cannot create the state directory $state"
state=$(cd "$state" && pwd)
repo=$state/$name.git

# ---------------------------------------------------------------- build
if [ $build -eq 1 ]; then
  bash "$root/scripts/deps.sh" --demo || die "could not install the packages cloudlet needs (see above)"
  say "building dnsd and httpd into ${builddir#"$root"/} (log: $state/build.log)"
  t0=$SECONDS
  {
    if [ ! -f "$builddir/build.ninja" ]; then meson setup "$builddir" "$root"; fi &&
      ninja -C "$builddir" examples/dnsd/dnsd examples/httpd/httpd
  } >"$state/build.log" 2>&1 || { tail -n 40 "$state/build.log" >&2; die "the build failed (full log: $state/build.log)"; }
  [ $((SECONDS - t0)) -lt 2 ] || say "built in $((SECONDS - t0)) s"
fi
dnsd=${dnsd:-$builddir/examples/dnsd/dnsd}
httpd=${httpd:-$builddir/examples/httpd/httpd}
for b in "$dnsd" "$httpd"; do
  [ -x "$b" ] && [ -f "$b" ] || die "$b is not built (run without --no-build, or point --build-dir at a build)"
done
dnsd=$(realpath "$dnsd"); httpd=$(realpath "$httpd")

# What the built daemons can do: each feature is used only when its flag is
# in the daemon's --help, so the demo runs on every stage of the tree.
httpd_help=$("$httpd" --help 2>&1)
dnsd_help=$("$dnsd" --help 2>&1)
has() { grep -q -e "$2" <<<"$1"; }
git_serve=0; push=0; notify=0; remote=0; mirror=0
has "$httpd_help" '--git-name\|--no-git-serve\|--push-token-file' && git_serve=1
has "$httpd_help" '--push-token-file' && push=1
has "$httpd_help" '--notify-dns' && notify=1
[ $git_serve -eq 1 ] && has "$dnsd_help" '--remote' && remote=1
[ $remote -eq 1 ] && has "$dnsd_help" '--mirror' && mirror=1

# Git as the demo uses it: no user or system configuration (a commit signing
# rule or a credential helper there must not get in the way), no prompts.
demo_git() {
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 \
    GIT_AUTHOR_NAME="cloudlet demo" GIT_AUTHOR_EMAIL=demo@example.test \
    GIT_COMMITTER_NAME="cloudlet demo" GIT_COMMITTER_EMAIL=demo@example.test \
    git -c init.defaultBranch=main -c commit.gpgsign=false -c advice.detachedHead=false "$@"
}

# ---------------------------------------------------------------- the repository
command -v git >/dev/null || die "git is missing (apt-get install git)"
if [ $fresh -eq 1 ]; then
  rm -rf "$repo" "$state/dns-mirror" "$state/check" "$state/check-again"
fi
if [ ! -d "$repo" ]; then
  rm -rf "$state/dns-mirror"   # dnsd's copy of an older repository
  seed=$(mktemp -d) || die "mktemp failed"
  cp -R "$root/examples/demo/site" "$root/examples/demo/zones" "$seed/" &&
    demo_git -C "$seed" init -q -b main &&
    demo_git -C "$seed" add site zones &&
    demo_git -C "$seed" commit -q -m "The demo site and the example.test zone" &&
    demo_git init -q --bare -b main "$repo" &&
    demo_git -C "$seed" push -q "$repo" main ||
    { rm -rf "$seed" "$repo"; die "could not create the repository $repo"; }
  rm -rf "$seed"
  say "created the repository $repo from examples/demo/ (site/ and zones/ on main)"
else
  say "using the repository $repo (--fresh starts over from examples/demo/)"
fi
token_file=$state/push-token
if [ ! -s "$token_file" ]; then
  (umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file" && echo >>"$token_file") ||
    die "could not write $token_file"
fi
token=$(head -n 1 "$token_file")

# ---------------------------------------------------------------- the daemons
httpd_pid=; dnsd_pid=; follow_pids=()
http_url=http://127.0.0.1:$http_port
git_url=$http_url/$name.git

# A daemon gone before it answered: show why.
died() { # NAME LOG
  printf 'demo: %s did not start; the end of %s:\n' "$1" "$2" >&2
  tail -n 15 "$2" | sed 's/^/  | /' >&2
  if grep -qi 'in use' "$2"; then
    printf 'demo: another program (an earlier demo?) holds that port; stop it or choose --http-port / --dns-port\n' >&2
    if [ "$1" = dnsd ] && [ "$dns_port" = 5353 ]; then
      printf 'demo: (UDP 5353 is also mDNS: avahi-daemon, on a desktop, holds it; --dns-port 5354 avoids it)\n' >&2
    fi
  fi
}

stop_report=
stop_daemons() { # sets stop_report to "httpd N dnsd N" (exit statuses)
  local p n st
  stop_report=
  for p in $httpd_pid $dnsd_pid; do kill -TERM "$p" 2>/dev/null; done
  for n in httpd dnsd; do
    if [ $n = httpd ]; then p=$httpd_pid; else p=$dnsd_pid; fi
    [ -n "$p" ] || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      kill -KILL "$p" 2>/dev/null
      printf 'demo: %s did not stop within 5 s of SIGTERM; killed\n' $n >&2
    fi
    wait "$p" 2>/dev/null; st=$?
    stop_report+="$n $st "
  done
  httpd_pid=; dnsd_pid=
  for p in "${follow_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  follow_pids=()
}

http_ok() {
  if command -v curl >/dev/null; then curl -fsS -o /dev/null --max-time 1 "$http_url/" 2>/dev/null
  else (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; fi
}
dns_ok() {
  if command -v dig >/dev/null; then
    # (dig +short prints its own errors on standard output, after ";;")
    dig +short +time=1 +tries=1 @127.0.0.1 -p "$dns_port" example.test SOA 2>/dev/null | grep -q '^ns1\.example\.test\. '
  else
    grep -q 'started' "$state/dnsd.log"
  fi
}

wait_up() { # NAME PID LOG PROBE: up to 15 s (sanitizer builds start slowly)
  local i
  for i in $(seq 150); do
    kill -0 "$2" 2>/dev/null || { wait "$2" 2>/dev/null; died "$1" "$3"; return 1; }
    "$4" && return 0
    sleep 0.1
  done
  printf 'demo: %s did not answer within 15 s; the end of %s:\n' "$1" "$3" >&2
  tail -n 15 "$3" | sed 's/^/  | /' >&2
  return 1
}

httpd_args=(--listen "127.0.0.1:$http_port" --repo "$repo" --branch main --subdir site --poll 1
  --access-log "$state/access.log")
[ $push -eq 1 ] && httpd_args+=(--push-token-file "$token_file")
[ $notify -eq 1 ] && httpd_args+=(--notify-dns "127.0.0.1:$dns_port")
if [ $remote -eq 1 ]; then
  dnsd_args=(--listen "127.0.0.1:$dns_port" --remote "$git_url" --branch main --poll 1)
  [ $mirror -eq 1 ] && dnsd_args+=(--mirror "$state/dns-mirror")
else
  dnsd_args=(--listen "127.0.0.1:$dns_port" --repo "$repo" --branch main --zones-dir zones --poll 500ms)
fi

# Ctrl-C and SIGTERM: stop both daemons, wait for them, exit 0 (1 in --check,
# which did not finish).
on_signal() {
  trap '' INT TERM
  echo
  say "stopping"
  if [ $check -eq 1 ]; then stop_daemons; echo "demo check: interrupted"; exit 1; fi
  stop_daemons
  set -- $stop_report
  while [ $# -ge 2 ]; do say "$1 stopped (exit status $2)"; shift 2; done
  exit 0
}
trap on_signal INT TERM
trap stop_daemons EXIT

: >"$state/httpd.log"; : >"$state/dnsd.log"
"$httpd" "${httpd_args[@]}" >>"$state/httpd.log" 2>&1 &
httpd_pid=$!
wait_up httpd "$httpd_pid" "$state/httpd.log" http_ok || exit 1
"$dnsd" "${dnsd_args[@]}" >>"$state/dnsd.log" 2>&1 &
dnsd_pid=$!
wait_up dnsd "$dnsd_pid" "$state/dnsd.log" dns_ok || exit 1

# ---------------------------------------------------------------- --check
if [ $check -eq 1 ]; then
  fails=0; steps=0
  ok() { steps=$((steps + 1)); printf '  ok    %s\n' "$*"; }
  bad() { steps=$((steps + 1)); fails=$((fails + 1)); printf '  FAIL  %s\n' "$*"; }
  now_ms() { date +%s%3N; }
  q() { dig +short +time=1 +tries=1 @127.0.0.1 -p "$dns_port" "$@" 2>/dev/null | grep -v '^;'; }
  # until PROBE... succeeds, at most limit_ms; sets took_ms
  within() {
    local t0 t
    t0=$(now_ms)
    while :; do
      "$@" && { took_ms=$(( $(now_ms) - t0 )); return 0; }
      t=$(now_ms)
      [ $((t - t0)) -le $limit_ms ] || { took_ms=$((t - t0)); return 1; }
      sleep 0.05
    done
  }
  secs() { printf '%d.%02d s' $(($1 / 1000)) $(($1 % 1000 / 10)); }
  page_has() { curl -fsS --max-time 1 "$http_url/" 2>/dev/null | grep -qF "$1"; }
  txt_is() { [ "$(q example.test TXT)" = "\"$1\"" ]; }

  echo "demo check: httpd on $http_url, dnsd on 127.0.0.1:$dns_port ($([ $remote -eq 1 ] && echo "following $git_url" || echo "following $repo"))"
  [ "$(q www.example.test A)" = 127.0.0.1 ] && ok "dig www.example.test A: 127.0.0.1" || bad "dig www.example.test A: '$(q www.example.test A)', not 127.0.0.1"
  [ "$(q www.example.test AAAA)" = ::1 ] && ok "dig www.example.test AAAA: ::1" || bad "dig www.example.test AAAA: '$(q www.example.test AAAA)', not ::1"
  page_has '<link rel="stylesheet" href="/style.css">' && ok "curl $http_url/: the home page" || bad "curl $http_url/: not the demo's home page"
  st=$(curl -s -o "$state/check-404.html" -w '%{http_code}' --max-time 2 "$http_url/no-such-page")
  [ "$st" = 404 ] && grep -qF 'Nothing here' "$state/check-404.html" &&
    ok "curl $http_url/no-such-page: 404 with the site's 404.html" || bad "curl $http_url/no-such-page: status $st, or not the site's 404.html"

  work=$state/check
  rm -rf "$work"
  if [ $git_serve -eq 1 ]; then
    if demo_git clone -q "$git_url" "$work" >"$state/check-git.log" 2>&1; then ok "git clone $git_url"
    else bad "git clone $git_url: $(tail -n 1 "$state/check-git.log")"; fi
  else
    echo "  note  httpd does not serve Git yet: cloning the repository's directory instead"
    demo_git clone -q "$repo" "$work" >"$state/check-git.log" 2>&1 && ok "git clone $repo" || bad "git clone $repo: $(tail -n 1 "$state/check-git.log")"
  fi

  if [ -d "$work/.git" ]; then
    if [ $push -eq 1 ]; then push_url="http://demo:$token@127.0.0.1:$http_port/$name.git"; how="git push (HTTP, with the token)"
    else
      push_url=$repo; how="git push to the repository's directory (httpd takes no push yet)"
      echo "  note  httpd does not accept git push yet: the changes go straight into $repo"
    fi
    publish() { # MESSAGE
      demo_git -C "$work" commit -q -am "$1" && demo_git -C "$work" push -q "$push_url" main >>"$state/check-git.log" 2>&1
    }

    if [ $push -eq 1 ]; then
      demo_git -C "$work" commit -q --allow-empty -m "must be refused" &&
        if demo_git -C "$work" push -q "http://demo:wrong-token@127.0.0.1:$http_port/$name.git" main >>"$state/check-git.log" 2>&1; then
          bad "git push with a wrong token was accepted"
        else ok "git push with a wrong token: refused"; fi
      demo_git -C "$work" reset -q --hard HEAD~1
      printf 'broken\tIN A 300.1.2.3\n' >>"$work/zones/example.test.zone"
      demo_git -C "$work" commit -q -am "must be refused: a zone that does not load" &&
        if demo_git -C "$work" push -q "http://demo:$token@127.0.0.1:$http_port/$name.git" main >>"$state/check-git.log" 2>&1; then
          bad "git push of a zone that does not load was accepted"
        elif [ "$(demo_git --git-dir="$repo" rev-parse main)" != "$(demo_git -C "$work" rev-parse HEAD~1)" ]; then
          bad "git push of a zone that does not load was refused, but the branch moved"
        else ok "git push of a zone that does not load: refused ($(sed -n 's/.*\[remote rejected\] [^(]*(\(.*\))$/\1/p' "$state/check-git.log" | tail -n 1)), the branch did not move"; fi
      demo_git -C "$work" reset -q --hard HEAD~1
    fi

    mark="Hello from the demo check, $(date -u +%H:%M:%S).$RANDOM"
    sed -i "s/<h1 id=\"greeting\">[^<]*</<h1 id=\"greeting\">$mark</" "$work/site/index.html"
    if publish "Check: a new greeting"; then
      if within page_has "$mark"; then ok "site change: $how, curl shows it after $(secs "$took_ms")"
      else bad "site change: $how, curl does not show it after $(secs "$took_ms")"; fi
    else bad "site change: $how failed: $(tail -n 2 "$state/check-git.log" | tr '\n' ' ')"; fi

    zone=$work/zones/example.test.zone
    serial=$(awk '/; serial/ {print $1; exit}' "$zone")
    txt="demo check $(date -u +%H:%M:%S) $RANDOM"
    sed -i -e "s/^\( *\)$serial\( *; serial\)/\1$((serial + 1))\2/" -e "s/TXT   \"[^\"]*\"/TXT   \"$txt\"/" "$zone"
    if publish "Check: serial $((serial + 1)), a new TXT"; then
      if within txt_is "$txt"; then
        soa=$(q example.test SOA | awk '{print $3}')
        [ "$soa" = $((serial + 1)) ] && ok "zone change: $how, dig shows the TXT and serial $soa after $(secs "$took_ms")" ||
          bad "zone change: dig shows the TXT but serial '$soa', not $((serial + 1))"
      else bad "zone change: $how, dig does not show it after $(secs "$took_ms") (TXT is $(q example.test TXT))"; fi
    else bad "zone change: $how failed: $(tail -n 2 "$state/check-git.log" | tr '\n' ' ')"; fi

    if [ $push -eq 1 ]; then
      rm -rf "$state/check-again"
      if demo_git clone -q "$git_url" "$state/check-again" >>"$state/check-git.log" 2>&1 &&
        demo_git -C "$state/check-again" fsck --full --strict >>"$state/check-git.log" 2>&1 &&
        [ "$(demo_git -C "$state/check-again" rev-parse HEAD)" = "$(demo_git -C "$work" rev-parse HEAD)" ]; then
        ok "git clone after the pushes: at the pushed commit, git fsck --full --strict clean"
      else bad "git clone after the pushes: not at the pushed commit, or git fsck failed (see $state/check-git.log)"; fi
    fi
  fi

  stop_daemons
  for n in httpd dnsd; do
    st=$(awk -v n=$n '{for (i = 1; i < NF; i += 2) if ($i == n) print $(i + 1)}' <<<"$stop_report")
    [ "$st" = 0 ] && ok "SIGTERM: $n stopped, exit status 0" || bad "SIGTERM: $n exit status $st"
  done
  trap - INT TERM EXIT
  if [ $fails -eq 0 ]; then
    echo "demo check: all $steps steps passed"
    exit 0
  fi
  echo "demo check: $fails of $steps steps failed; daemon logs: $state/httpd.log, $state/dnsd.log"
  for n in httpd dnsd; do echo "--- the end of $n.log"; tail -n 20 "$state/$n.log"; done
  exit 1
fi

# ---------------------------------------------------------------- the walk-through
b=; r=
if [ -t 1 ]; then b=$(tput bold 2>/dev/null || true); r=$(tput sgr0 2>/dev/null || true); fi
step() { printf '\n%s%s%s\n' "$b" "$*" "$r"; }
cmd() { printf '    %s\n' "$*"; }

# The edit commands, for what the branch holds now (a reused state may have
# moved on from the embedded default).
head_zone=$(demo_git --git-dir="$repo" show main:zones/example.test.zone 2>/dev/null)
head_page=$(demo_git --git-dir="$repo" show main:site/index.html 2>/dev/null)
serial=$(awk '/; serial/ {print $1; exit}' <<<"$head_zone")
greeting=$(sed -n 's/.*<h1 id="greeting">\([^<]*\)<.*/\1/p' <<<"$head_page" | head -n 1)
new_greeting="Hello from my laptop"
[ "$greeting" != "$new_greeting." ] || new_greeting="Hello again"

if [ $git_serve -eq 1 ]; then clone_url=$git_url; else clone_url=$repo; fi
if [ $push -eq 1 ]; then push_cmd="git push http://demo:$token@127.0.0.1:$http_port/$name.git main"
elif [ $git_serve -eq 1 ]; then push_cmd="git push $repo main"
else push_cmd="git push origin main"; fi

echo
printf '%scloudlet is running%s\n' "$b" "$r"
printf '  web  %-28s httpd: site/ of branch main%s\n' "$http_url/" \
  "$([ $git_serve -eq 1 ] && echo ", and the repository at /$name.git")"
printf '  dns  %-28s dnsd: example.test from zones/ of the same branch\n' "127.0.0.1:$dns_port UDP+TCP"
printf '  repository %s, logs in %s/\n' "$repo" "$state"

step "1. Ask the DNS server"
cmd "dig @127.0.0.1 -p $dns_port www.example.test"
cmd "dig @127.0.0.1 -p $dns_port example.test TXT +short"
step "2. Fetch the site (or open $http_url/ in a browser)"
cmd "curl $http_url/"
step "3. Clone the repository, change the page and the zone"
cmd "git clone $clone_url && cd $name"
if [[ $greeting =~ ^[A-Za-z0-9\ ,!.:]+$ ]]; then
  cmd "sed -i 's/${greeting%.}/$new_greeting/' site/index.html"
else
  cmd "\$EDITOR site/index.html            # change the <h1 id=\"greeting\">"
fi
if [[ $serial =~ ^[0-9]+$ ]]; then
  cmd "sed -i -e 's/$serial/$((serial + 1))/' -e 's/TXT   \"[^\"]*\"/TXT   \"hello again\"/' zones/example.test.zone"
else
  cmd "\$EDITOR zones/example.test.zone    # raise the serial, change the TXT"
fi
cmd "git commit -am 'A new greeting, a new TXT'"
step "4. Push: that is the deploy"
cmd "$push_cmd"
[ $push -eq 1 ] && printf '    (the token is in %s; a push whose zone does not load is refused)\n' "$token_file"
step "5. See both change within two seconds"
cmd "curl -s $http_url/ | grep greeting"
cmd "dig @127.0.0.1 -p $dns_port example.test TXT +short"

missing=()
[ $git_serve -eq 1 ] || missing+=("httpd does not serve the repository over HTTP yet: you clone its directory")
[ $push -eq 1 ] || missing+=("httpd does not take git push yet: you push to the repository's directory, and httpd sees the new commit within a second")
if [ $remote -eq 1 ]; then :
elif [ $notify -eq 1 ]; then missing+=("dnsd does not follow httpd over HTTP yet: it reads the same repository's directory (every 0.5 s)")
else missing+=("dnsd does not follow httpd over HTTP yet, and httpd sends no DNS NOTIFY: dnsd reads the repository's directory every 0.5 s"); fi
if [ ${#missing[@]} -gt 0 ]; then
  step "Not there yet in this build"
  for m in "${missing[@]}"; do printf '  - %s\n' "$m"; done
fi
printf '\nCtrl-C stops both servers. Their messages follow.\n\n'

for n in httpd dnsd; do
  tail -n 0 -F --pid=$$ "$state/$n.log" 2>/dev/null | sed -u "s/^/  $n | /" &
  follow_pids+=($!)
done

# Until Ctrl-C (on_signal), or until a daemon stops by itself. Exit status
# 0 there means it was signalled (SIGINT reaches the whole process group), so
# that is a clean stop too.
wait -n "$httpd_pid" "$dnsd_pid"
first=httpd
kill -0 "$httpd_pid" 2>/dev/null && first=dnsd
trap '' INT TERM
stop_daemons
set -- $stop_report
clean=1
while [ $# -ge 2 ]; do
  say "$1 stopped (exit status $2)"
  if [ "$2" != 0 ]; then
    clean=0
    printf 'demo: the end of %s:\n' "$state/$1.log"
    tail -n 15 "$state/$1.log" | sed 's/^/  | /'
  fi
  shift 2
done
[ $clean -eq 1 ] || say "$first stopped first, by itself"
[ $clean -eq 1 ]
