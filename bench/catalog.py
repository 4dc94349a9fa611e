"""Throughput of the shop's catalog pages under gunicorn, compared with a no-query baseline.

    .venv/bin/python bench/catalog.py [--products 10000] [--seconds 10] [--concurrency 8]
                                      [--workers 4] [--database-url URL]

Seeds (idempotently) a PostgreSQL database with N demo products, starts gunicorn with
production-like settings on 127.0.0.1, loads the catalog, a category, a search and a
product page, and `/bench/baseline/` (a template of the same shape and size, no queries),
then prints requests/s, latencies and each page's throughput relative to the baseline.
Each page runs twice: cached (the page cache warm, as anonymous shoppers mostly get it)
and uncached (a parameter unique to each request, so every request renders the page).
Prints figures for a human; exits 0 whatever they are (1 only if the server cannot start
or does not serve the shop).
See bench/README.md.
"""

import argparse
import http.client
import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SHOP = "/shop/"
BASELINE = "/bench/baseline/"
SEARCH_QUERY = "classic"
TARGET_RATIO = 0.5
MAX_REQUESTS_PER_CLIENT = 100_000  # a hard cap beside the time limit
REQUEST_TIMEOUT = 30
CACHE_HEADER = "X-Storefront-Cache"  # hit, miss or bypass (commerce.services.page_cache)
CACHE_BUSTER = "bench-uncached"
# One count for the whole run: a number used in a warm-up would be a hit afterwards.
CACHE_BUSTER_NUMBERS = itertools.count()


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Database -----------------------------------------------------------------------------


def local_database_url(name="storefront_bench"):
    """Start the local cluster (scripts/ensure-postgres.sh) and make sure `name` exists."""
    import psycopg

    admin_url = subprocess.run(  # noqa: S603 - our own script, no arguments
        [str(ROOT / "scripts" / "ensure-postgres.sh")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def manage(env, *args):
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 - our own manage.py


# --- Server -------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port, path, timeout=REQUEST_TIMEOUT):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_server(env, port, workers, log_file):
    command = [
        *(sys.executable, "-m", "gunicorn", "storefront.wsgi:application"),
        *("--pythonpath", "site,."),
        *("--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "sync"),
        *("--timeout", "60", "--log-level", "warning"),
    ]
    # A session of its own: Ctrl-C reaches this script, which then stops gunicorn in order.
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        command,
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_up(server, port, deadline=60):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if server.poll() is not None:
            return False
        try:
            if get(port, "/healthz/", timeout=2)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def stop_server(server):
    if server.poll() is None:
        server.terminate()  # SIGTERM: gunicorn's graceful shutdown
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- Pages --------------------------------------------------------------------------------


def links(html, prefix):
    """Paths of the links in `html` that start with `prefix`, in page order, deduplicated."""
    paths = (urlsplit(href).path for href in re.findall(r'href="([^"]+)"', html))
    return list(dict.fromkeys(p for p in paths if p.startswith(prefix)))


def product_count(html):
    match = re.search(r'class="results__count">([\d,]+) product', html)
    return int(match.group(1).replace(",", "")) if match else 0


def largest(port, paths):
    """(product count, path) of the listing among `paths` with the most products."""
    return max((product_count(get(port, path)[1].decode()), path) for path in paths)


def pick_pages(port):
    """The URLs to load, found by browsing the running shop like a shopper would."""
    status, body = get(port, SHOP)
    if status != 200:
        raise RuntimeError(f"GET {SHOP} answered {status}")
    catalog = body.decode()
    products = links(catalog, f"{SHOP}p/")
    categories = links(catalog, f"{SHOP}c/")
    if not products or not categories:
        raise RuntimeError(f"{SHOP} links to no product or no category: is the catalog seeded?")
    # The biggest category linked from the catalog, and the biggest of its subcategories:
    # a deep path over many products is the listing's heaviest ordinary case.
    count, category = largest(port, categories)
    subcategories = [p for p in links(get(port, category)[1].decode(), category) if p != category]
    if subcategories:
        count, category = largest(port, subcategories)
    search = f"{SHOP}search/?q={SEARCH_QUERY}"
    hits = product_count(get(port, search)[1].decode())
    log(
        f"catalog lists {product_count(catalog)} products; category {category}: {count}; "
        f"search {SEARCH_QUERY!r}: {hits} hits"
    )
    return [
        ("baseline", BASELINE),
        ("catalog", SHOP),
        ("category", category),
        ("search", search),
        ("product", products[0]),
    ]


# --- Load ---------------------------------------------------------------------------------


def cache_busting(path, number):
    """`path` with a parameter the shop ignores but that makes the URL, and so its page
    cache entry, unique: every request renders the page."""
    return f"{path}{'&' if '?' in path else '?'}{CACHE_BUSTER}={number}"


def run_threads(target, count):
    """Runs `target` in `count` threads at once; returns the seconds until all are done."""
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def percentiles_ms(latencies):
    """p50 and p95 of latencies given in seconds, in milliseconds (0 when empty)."""
    ordered = sorted(latencies)
    n = len(ordered)
    return {
        "p50": ordered[n // 2] * 1000 if n else 0.0,
        "p95": ordered[min(n - 1, int(n * 0.95))] * 1000 if n else 0.0,
    }


def hammer(port, path, seconds, concurrency, *, uncached=False):
    """`concurrency` threads, one HTTP connection each, GET `path` until `seconds` pass.

    With `uncached`, each request carries a parameter of its own, so the page cache
    never has the answer and every request is a miss.
    """
    latencies, statuses, sizes, outcomes = [], Counter(), Counter(), Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        mine, codes, lengths, cache = [], Counter(), Counter(), Counter()
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        try:
            # http.client reconnects by itself when the server closes the connection
            # (gunicorn's sync workers close after every response).
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= stop_at:
                    break
                url = cache_busting(path, next(CACHE_BUSTER_NUMBERS)) if uncached else path
                started = time.perf_counter()
                try:
                    conn.request("GET", url)
                    response = conn.getresponse()
                    body = response.read()
                    codes[response.status] += 1
                    lengths[len(body)] += 1
                    cache[response.getheader(CACHE_HEADER, "-")] += 1
                except (OSError, http.client.HTTPException) as exc:
                    codes[type(exc).__name__] += 1
                    conn.close()
                mine.append(time.perf_counter() - started)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                statuses.update(codes)
                sizes.update(lengths)
                outcomes.update(cache)

    elapsed = run_threads(client, concurrency)
    n = len(latencies)
    return {
        "requests": n,
        "rps": n / elapsed if elapsed else 0.0,
        **percentiles_ms(latencies),
        "errors": n - statuses[200],
        "statuses": statuses,
        "bytes": sizes.most_common(1)[0][0] if sizes else 0,
        "cache": outcomes,
    }


def cache_column(outcomes):
    """The most common X-Storefront-Cache answer and its share, e.g. "hit 100%"."""
    total = sum(outcomes.values())
    if not total:
        return "-"
    outcome, count = outcomes.most_common(1)[0]
    return f"{outcome} {100 * count / total:.0f}%"


def report(results, args):
    """`results`: [(page, mode, path, figures)]; mode is "", "cached" or "uncached"."""
    base_rps = results[0][3]["rps"]
    print()
    print(
        f"{args.products} products, gunicorn {args.workers} sync workers, "
        f"{args.concurrency} clients, {args.seconds:g} s per page and mode"
    )
    header = f"{'page':<10} {'mode':<9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} "
    header += f"{'bytes':>8} {'cache':>10} {'x base':>7}  result  url"
    print(header)
    print("-" * len(header))
    passed = {"cached": True, "uncached": True}
    for name, mode, path, r in results:
        ratio = r["rps"] / base_rps if base_rps else 0.0
        if not mode:
            verdict = ""
        else:
            ok = ratio >= TARGET_RATIO and r["errors"] == 0
            passed[mode] &= ok
            verdict = "PASS" if ok else "FAIL"
        shown = cache_busting(path, "N") if mode == "uncached" else path
        print(
            f"{name:<10} {mode:<9} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} "
            f"{r['errors']:>7} {r['bytes']:>8} {cache_column(r['cache']):>10} {ratio:>6.3f}x  "
            f"{verdict:<6}  {shown}"
        )
    for name, mode, _path, r in results:
        others = {k: v for k, v in r["statuses"].items() if k != 200}
        if others:
            print(f"  {name} {mode}: non-200 answers {dict(others)}")
    catalog_bytes = next(r["bytes"] for name, _m, _p, r in results if name == "catalog")
    print(f"\nbaseline {results[0][3]['bytes']} bytes, catalog {catalog_bytes} bytes")
    for mode in ("cached", "uncached"):
        print(
            f"Target, {mode} pages: every page at least {TARGET_RATIO}x the baseline's "
            f"requests/s, no errors: {'PASS' if passed[mode] else 'FAIL'}"
        )


# --- Main ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10, help="load per page")
    parser.add_argument("--warmup", type=float, default=2, help="untimed load per page first")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--database-url", help="default: storefront_bench on the local cluster")
    args = parser.parse_args()

    # Ctrl-C and `kill` unwind through the `finally` that stops gunicorn (SIGINT too when
    # started in the background by a shell, which would otherwise ignore it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    database_url = args.database_url or local_database_url()
    with tempfile.TemporaryDirectory(prefix="storefront-bench-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "WAGTAILADMIN_BASE_URL": f"http://{HOST}",
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": str(Path(tmp) / "static"),
        }
        log(f"migrating and seeding {urlsplit(database_url).path.lstrip('/')}")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--products", str(args.products), "--no-admin")
        manage(env, "collectstatic", "--noinput", "-v", "0")

        port = free_port()
        log_path = Path(tmp) / "gunicorn.log"
        with open(log_path, "w") as log_file:
            server = start_server(env, port, args.workers, log_file)
        try:
            if not wait_until_up(server, port):
                log(f"gunicorn did not answer on {HOST}:{port}; its log:")
                print(log_path.read_text()[-4000:], file=sys.stderr)
                return 1
            log(f"gunicorn up on {HOST}:{port} with {args.workers} workers")
            try:
                pages = pick_pages(port)
            except (RuntimeError, OSError) as exc:
                log(f"the shop does not answer as expected: {exc}")
                return 1
            results = []
            for name, path in pages:
                # The baseline has no cache; each page runs warm (the page cache answers
                # after the warm-up has filled it in every worker), then with every
                # request a miss.
                for mode in ("",) if name == "baseline" else ("cached", "uncached"):
                    uncached = mode == "uncached"
                    log(f"{name} {mode}: warm-up {args.warmup:g} s, then {args.seconds:g} s")
                    hammer(port, path, args.warmup, args.concurrency, uncached=uncached)
                    figures = hammer(port, path, args.seconds, args.concurrency, uncached=uncached)
                    results.append((name, mode, path, figures))
            report(results, args)
        finally:
            stop_server(server)
            log("gunicorn stopped")
            server_log = log_path.read_text().strip()
            if server_log:
                log("gunicorn's log (warnings and errors):\n" + server_log[-4000:])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
