#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests and prints
# its path. Playwright's own browser download is not used (and is blocked on
# the machines this project runs on).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
path=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$path" ]; then
  "$here/apt-install.sh" chromium fonts-dejavu-core >&2
fi
[ -x "$path" ] || { echo "Chromium not found at $path" >&2; exit 1; }
echo "$path"
