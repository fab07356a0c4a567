#!/usr/bin/env bash
# The main job: install what is missing, build, and run cloudlet on its
# embedded default site and zone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null
echo "cloudlet: built the libraries in build/."
echo "cloudlet: the daemons (dnsd, httpd) are not built yet; this command will start them on the embedded demo site and zone once they are."
