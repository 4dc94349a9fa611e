#!/usr/bin/env bash
# Installs Debian packages by name, as root or through sudo, refreshing the
# package lists at most once per boot. Used by the test set-up for PostgreSQL
# and Chromium; does nothing for packages that are already installed.
set -euo pipefail

missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "Need root or sudo to install: ${missing[*]}. Install them, or set DATABASE_URL / CHROMIUM_PATH." >&2
  exit 1
fi

# sudo resets the environment: pass DEBIAN_FRONTEND through `env`.
apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
stamp="${TMPDIR:-/tmp}/.storefront-apt-updated-$(id -u)"
if [ ! -f "$stamp" ] || [ -L "$stamp" ]; then
  echo "apt: updating package lists" >&2
  "${apt[@]}" update -qq >&2
  rm -f "$stamp" && touch "$stamp"
fi
echo "apt: installing ${missing[*]}" >&2
# Without recommends: Chromium's dependencies would pull in systemd, CUPS and Samba.
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
