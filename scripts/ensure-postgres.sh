#!/usr/bin/env bash
# Makes sure a local PostgreSQL cluster for the test suite is running and
# prints its DATABASE_URL on stdout (everything else goes to stderr).
#
# - installs Debian's `postgresql` package if no server binaries are found;
# - keeps its own cluster in $STOREFRONT_PGDATA (default /tmp/storefront-pg),
#   listening on 127.0.0.1:$STOREFRONT_PGPORT (default 54329) only;
# - creates the role `storefront` (password `storefront`, CREATEDB, so that
#   pytest-django can create its test database) and a database of that name.
#
# fsync is off: this cluster holds throw-away test data only. Locking and
# transaction semantics are those of any PostgreSQL server.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
port=${STOREFRONT_PGPORT:-54329}
data=${STOREFRONT_PGDATA:-/tmp/storefront-pg}
role=storefront
password=storefront

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  "$here/apt-install.sh" postgresql >&2
  bin=$(find_bin)
fi
[ -x "$bin/pg_ctl" ] || { echo "PostgreSQL server binaries not found after install" >&2; exit 1; }

# PostgreSQL refuses to run as root: run the server as the `postgres` system
# user that Debian's package creates.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  as_pg=(runuser -u postgres --)
else
  as_pg=()
fi

# The cluster directory must be ours: never follow a symlink planted in a
# shared /tmp, never adopt a directory someone else created.
owner=$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)
if [ -L "$data" ]; then
  echo "Refusing to use $data: it is a symlink. Set STOREFRONT_PGDATA to another path." >&2
  exit 1
fi
if [ -e "$data" ] && [ "$(stat -c %U "$data")" != "$owner" ]; then
  echo "Refusing to use $data: owned by $(stat -c %U "$data"), not $owner." \
       "Set STOREFRONT_PGDATA to another path." >&2
  exit 1
fi
if [ ! -e "$data" ]; then
  (umask 077 && mkdir "$data")
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
fi
chmod 700 "$data"

if [ ! -f "$data/PG_VERSION" ]; then
  echo "postgres: initialising a cluster in $data" >&2
  "${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
fi

if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  echo "postgres: starting on 127.0.0.1:$port" >&2
  "${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2 \
    || { cat "$data/server.log" >&2; exit 1; }
fi

psql_admin() { "${as_pg[@]}" "$bin/psql" -h "$data" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != "1" ]; then
  psql_admin -c "CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$role'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE $role OWNER $role" >&2
fi

echo "postgres://$role:$password@127.0.0.1:$port/$role"
