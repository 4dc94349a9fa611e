#!/usr/bin/env bash
# Makes sure a Redis server for the test suite answers and prints its URL on
# stdout (everything else goes to stderr).
#
# - REDIS_URL already set and answering: printed as it is;
# - otherwise installs Debian's `redis-server` package if the binary is missing
#   and starts a private server on 127.0.0.1:$STOREFRONT_REDIS_PORT (default
#   6390) only, in $STOREFRONT_REDIS_DIR (default /tmp/storefront-redis);
#   a server already answering there is reused (several test runs share it:
#   tests keep apart by key prefix, database number and queue name).
#
# No persistence (no RDB snapshots, no append-only file): it holds throw-away
# test data only. Expiry, atomic counters and queues are those of any Redis.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
port=${STOREFRONT_REDIS_PORT:-6390}
dir=${STOREFRONT_REDIS_DIR:-/tmp/storefront-redis}
url="redis://127.0.0.1:$port/0"

answers() {
  # redis-cli comes with redis-server (Debian's redis-tools); without it, the
  # project's own client library, if the virtualenv is there.
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(timeout 5 redis-cli -u "$1" ping 2>/dev/null)" = "PONG" ]
  elif [ -x "$here/../.venv/bin/python" ]; then
    timeout 5 "$here/../.venv/bin/python" -c \
      'import sys, redis; redis.Redis.from_url(sys.argv[1], socket_timeout=3).ping()' "$1" \
      >/dev/null 2>&1
  else
    return 1
  fi
}

if [ -n "${REDIS_URL:-}" ]; then
  if answers "$REDIS_URL"; then
    echo "$REDIS_URL"
    exit 0
  fi
  echo "redis: REDIS_URL does not answer; starting a private server on 127.0.0.1:$port" >&2
fi

if ! command -v redis-server >/dev/null 2>&1; then
  "$here/apt-install.sh" redis-server >&2
fi
command -v redis-server >/dev/null 2>&1 || { echo "redis-server not found after install" >&2; exit 1; }

if answers "$url"; then
  echo "$url"
  exit 0
fi

# The server's directory must be ours: never follow a symlink planted in a
# shared /tmp, never adopt a directory someone else created.
if [ -L "$dir" ]; then
  echo "Refusing to use $dir: it is a symlink. Set STOREFRONT_REDIS_DIR to another path." >&2
  exit 1
fi
if [ -e "$dir" ] && [ "$(stat -c %U "$dir")" != "$(id -un)" ]; then
  echo "Refusing to use $dir: owned by $(stat -c %U "$dir"), not $(id -un)." \
       "Set STOREFRONT_REDIS_DIR to another path." >&2
  exit 1
fi
[ -e "$dir" ] || (umask 077 && mkdir "$dir")
chmod 700 "$dir"

# Two test runs starting at once: one starts the server, the other waits for it.
exec 9>"$dir/start.lock"
flock -w 30 9 || { echo "redis: timed out waiting for $dir/start.lock" >&2; exit 1; }
if ! answers "$url"; then
  echo "redis: starting on 127.0.0.1:$port" >&2
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --save '' --appendonly no \
    --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
  for _ in $(seq 1 100); do
    answers "$url" && break
    sleep 0.1
  done
  answers "$url" || { echo "redis: no answer on 127.0.0.1:$port" >&2; tail -n 20 "$dir/redis.log" >&2; exit 1; }
fi

echo "$url"
