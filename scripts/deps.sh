#!/usr/bin/env bash
# Install what cloudlet needs on Debian 12 that is not there yet: the build
# (meson, a C compiler, cmocka, zlib, libsodium, the Xen public headers) and
# the real peers the interop tests and benchmarks talk to (Knot, NSD, BIND,
# dig/kdig, nginx, curl, git). Runs apt only when something is missing.
#
#   deps.sh          everything: the test command (scripts/test.sh) uses this
#   deps.sh --demo   the build and what the demo's walk-through uses (git,
#                    curl, dig): the main job (scripts/demo.sh) uses this
set -euo pipefail

pkgs=(
  meson ninja-build pkg-config gcc python3 binutils
  libcmocka-dev zlib1g-dev libsodium-dev libxen-dev
  git curl bind9-dnsutils
)
case ${1:-} in
  --demo) ;;
  "") pkgs+=(clang iproute2 nftables
             knot knot-dnsutils nsd bind9 dnsperf
             nginx-light fcgiwrap time h2o wrk libh2o-dev) ;;
  *) echo "usage: deps.sh [--demo]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: run as root (or install these with sudo apt-get install): ${missing[*]}" >&2
  exit 1
fi
# Packaged servers (knot, nsd, bind9, nginx) must not start on install: the
# tests start their own instances on loopback.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  made_policy=1
fi
trap '[ $made_policy -eq 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
