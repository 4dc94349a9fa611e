#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests and prints
# its path. Playwright's own browser download is not used (and is blocked on
# the machines this project runs on).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
path=${CHROMIUM_PATH:-/usr/bin/chromium}

starts() {
  # A real headless start, not just --version: a missing library shows here.
  local profile; profile=$(mktemp -d)
  timeout 60 "$path" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --dump-dom about:blank >/dev/null 2>&1
  local status=$?
  rm -rf "$profile"
  return $status
}

if [ ! -x "$path" ]; then
  "$here/apt-install.sh" chromium fonts-dejavu-core >&2
fi
if ! starts; then
  echo "Chromium at $path does not start headless. Try: $path --headless --no-sandbox" \
       "--dump-dom about:blank, and install what it reports missing." >&2
  exit 1
fi
echo "$path"
