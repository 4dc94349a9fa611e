#!/usr/bin/env bash
# Varnish for the shared-HTTP-cache tests (tests/storefront/test_varnish.py) and for trying the
# shop behind a proxy by hand.
#
#   scripts/ensure-varnish.sh
#       installs Debian's `varnish` package if varnishd is missing and prints varnishd's path
#       on stdout (run-tests.sh exports it as VARNISH);
#   scripts/ensure-varnish.sh start BACKEND_PORT LISTEN_PORT DIR
#       starts a private varnishd on 127.0.0.1:LISTEN_PORT only, in front of
#       127.0.0.1:BACKEND_PORT, with deploy/varnish/default.vcl, its working directory,
#       instance name (-n) and pid file (DIR/varnishd.pid) in DIR (created, must not exist
#       or be ours); prints 127.0.0.1:LISTEN_PORT once it answers. Stop it with
#       `kill "$(cat DIR/varnishd.pid)"`.
#
# Everything but the result goes to stderr. No management port (-T none) and no jail
# (-j none): the server runs as the caller, holds 64 MiB in memory and nothing on disk.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

find_varnishd() {
  command -v varnishd 2>/dev/null || { [ -x /usr/sbin/varnishd ] && echo /usr/sbin/varnishd; }
}

varnishd=$(find_varnishd || true)
if [ -z "$varnishd" ]; then
  "$here/apt-install.sh" varnish >&2
  varnishd=$(find_varnishd || true)
fi
[ -n "$varnishd" ] || { echo "varnishd not found after installing varnish" >&2; exit 1; }

if [ "${1:-}" != "start" ]; then
  echo "$varnishd"
  exit 0
fi

[ $# -eq 4 ] || { echo "usage: $0 start BACKEND_PORT LISTEN_PORT DIR" >&2; exit 2; }
backend_port=$2 listen_port=$3 dir=$4
case "$backend_port$listen_port" in *[!0-9]*) echo "ports must be numbers" >&2; exit 2 ;; esac

# The working directory must be ours: never follow a symlink planted in a shared /tmp.
if [ -L "$dir" ]; then
  echo "Refusing to use $dir: it is a symlink." >&2
  exit 1
fi
if [ -e "$dir" ] && [ "$(stat -c %U "$dir")" != "$(id -un)" ]; then
  echo "Refusing to use $dir: owned by $(stat -c %U "$dir"), not $(id -un)." >&2
  exit 1
fi
[ -e "$dir" ] || (umask 077 && mkdir -p "$dir")
chmod 700 "$dir"

# The committed VCL with the backend's port put in.
sed -e "s/^\(\s*\.port = \)\"[0-9]*\";/\1\"$backend_port\";/" \
  "$here/../deploy/varnish/default.vcl" > "$dir/default.vcl"

"$varnishd" -j none -n "$dir/instance" -P "$dir/varnishd.pid" \
  -a "127.0.0.1:$listen_port" -T none -f "$dir/default.vcl" -s malloc,64m \
  -p ban_lurker_sleep=0.01 >"$dir/varnishd.log" 2>&1 || {
  echo "varnishd did not start:" >&2
  cat "$dir/varnishd.log" >&2
  exit 1
}

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$listen_port") 2>/dev/null; then
    echo "127.0.0.1:$listen_port"
    exit 0
  fi
  sleep 0.1
done
echo "varnishd: nothing listens on 127.0.0.1:$listen_port" >&2
cat "$dir/varnishd.log" >&2
exit 1
