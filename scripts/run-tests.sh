#!/usr/bin/env bash
# The whole test suite against PostgreSQL and a real headless Chromium.
# `make test` calls this after installing the virtualenv; extra arguments go
# to pytest (make test ARGS="tests/pages/test_sitemap_robots.py -x").
set -euo pipefail
cd "$(dirname "$0")/.."
here=scripts

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$("$here/ensure-postgres.sh")
fi
export DATABASE_URL
# The Redis-backed tests (cache, page cache, rate limits, the RQ queue) need a real server;
# an unset REDIS_URL gets a private one on 127.0.0.1:6390 (scripts/ensure-redis.sh).
export REDIS_URL; REDIS_URL=$("$here/ensure-redis.sh")
export CHROMIUM_PATH; CHROMIUM_PATH=$("$here/ensure-chromium.sh")
# The shared-HTTP-cache tests (tests/storefront/test_varnish.py) start a private varnishd in
# front of a test server: Debian's varnish, installed if missing (scripts/ensure-varnish.sh).
export VARNISH; VARNISH=$("$here/ensure-varnish.sh")
# Tests run with DEBUG off, as production does; the key only signs test sessions.
export SECRET_KEY=${SECRET_KEY:-test-only-$(date +%s)-not-a-secret}
# Required with DEBUG off too: where links in staff e-mails point.
export WAGTAILADMIN_BASE_URL=${WAGTAILADMIN_BASE_URL:-http://testserver}
unset DEBUG

echo "lint: ruff check"
.venv/bin/ruff check .
# The layer contracts in pyproject.toml ([tool.importlinter]): no import points up.
echo "lint: import contracts"
.venv/bin/lint-imports --no-cache --no-logo

# `--dist load` hands each worker its tests in the suite's order, so every worker runs, as one
# process would, the tests in a rolled-back transaction before those that empty the tables
# (pytest-django's order); schedulers that move tests between workers or group them by module
# would break that.
parallel=(-n auto --maxprocesses=8 --dist load)
for arg in "$@"; do
  case $arg in
    -n | -n* | --numprocesses | --numprocesses=* | no:xdist | -pno:xdist) parallel=() ;;
  esac
done

echo "tests: pytest on PostgreSQL at ${DATABASE_URL#*@}, Redis at ${REDIS_URL#*@} (Chromium: $CHROMIUM_PATH, Varnish: $VARNISH)"
exec .venv/bin/pytest ${parallel[@]+"${parallel[@]}"} "$@"
