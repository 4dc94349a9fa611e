"""Throughput of the shop's pages under gunicorn, compared with a no-query baseline.

    .venv/bin/python bench/catalog.py [--products 10000] [--seconds 10] [--concurrency 8]
                                      [--workers 4] [--database-url URL]
                                      [--pages home,content,...] [--personas anonymous,...]

Seeds (idempotently) a PostgreSQL database with N demo products, starts gunicorn with
production-like settings on 127.0.0.1 and loads, in one run, `/bench/baseline/` (a
template of the same shape and size, no queries) and each page (home, a content page,
the catalog listing, a category, a search, a product) for each persona (an anonymous
visitor, a shopper with a cart, a signed-in shopper), each twice: as a page-cache hit
(the plain URL, warm) and as a miss (a parameter unique to each request). For each it
prints queries per request, bytes, requests/s, p50/p95 and the ratio to the baseline,
then every gunicorn worker's resident memory after the whole run.
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
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SHOP = "/shop/"
BASELINE = "/bench/baseline/"
SEARCH_QUERY = "classic"
LOGIN = "/account/login/"
CART_ADD = "/cart/add/"
# The targets (issue 17), as ratios to the baseline of the same run.
TARGET_HIT_ANONYMOUS = 1.5
TARGET_HIT_PERSONAL = 0.9
TARGET_MISS = {10_000: 0.25, 100_000: 0.15}  # by catalog size: the largest not above N
TARGET_MISS_QUERIES = 12
TARGET_WORKER_MIB = 150
PERSONAS = ("anonymous", "cart", "signed-in")
PAGES = ("home", "content", "catalog", "category", "search", "product")
QUERIES_HEADER = "X-Bench-Queries"  # bench/query_count.py, in bench_settings only
BENCH_SHOPPER = ("bench-shopper@example.com", "bench-shopper-password-1")
MAX_REQUESTS_PER_CLIENT = 100_000  # a hard cap beside the time limit
REQUEST_TIMEOUT = 30
CACHE_HEADER = "X-Storefront-Cache"  # hit, miss or bypass (commerce.services.page_cache)
CACHE_BUSTER = "bench-uncached"
# One count for the whole run: a number used in a warm-up would be a hit afterwards.
CACHE_BUSTER_NUMBERS = itertools.count()


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Database -----------------------------------------------------------------------------


def local_database_url(name="storefront_bench", *, fresh=False):
    """Start the local cluster (scripts/ensure-postgres.sh) and make sure `name` exists;
    `fresh`: dropped first, so that a bench that adds rows starts from the same size."""
    import psycopg

    admin_url = subprocess.run(  # noqa: S603 - our own script, no arguments
        [str(ROOT / "scripts" / "ensure-postgres.sh")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            log(f"dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def manage(env, *args):
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 - our own manage.py


def server_env(database_url, tmp, **extra):
    """The environment of the benches' server and management commands: production-like
    settings (DEBUG off, a random key) with the bench routes (`bench.bench_settings`), on
    plain HTTP on loopback, so session and CSRF cookies come back without `Secure`."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "WAGTAILADMIN_BASE_URL": f"http://{HOST}",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": str(Path(tmp) / "static"),
        **extra,
    }


def seed(env, database_url, products):
    """Migrates the database, tops the demo shop up to `products` products, collects static."""
    log(f"migrating and seeding {urlsplit(database_url).path.lstrip('/')}")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--products", str(products), "--no-admin")
    manage(env, "collectstatic", "--noinput", "-v", "0")


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


def wait_until_up(server, port, deadline=180):
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


NOT_CONTENT = ("/shop/", "/cart/", "/checkout/", "/account/", "/lists/", "/static/", "/media/")


def content_page(port, home_html):
    """A content page the homepage links to (the demo's "About us", else the first)."""
    candidates = [
        path
        for path in links(home_html, "/")
        if path != "/" and not path.startswith(NOT_CONTENT) and path.endswith("/")
    ]
    for path in sorted(candidates, key=lambda path: path != "/about/"):
        if get(port, path)[0] == 200:
            return path
    raise RuntimeError("the homepage links to no content page")


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
    status, home = get(port, "/")
    if status != 200:
        raise RuntimeError(f"GET / answered {status}")
    content = content_page(port, home.decode())
    log(
        f"catalog lists {product_count(catalog)} products; category {category}: {count}; "
        f"search {SEARCH_QUERY!r}: {hits} hits; content page {content}"
    )
    return [
        ("home", "/"),
        ("content", content),
        ("catalog", SHOP),
        ("category", category),
        ("search", search),
        ("product", products[0]),
    ]


# --- Personas -----------------------------------------------------------------------------


class Browser:
    """A cookie jar and one connection: just enough to become a shopper."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def cookie_header(self):
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method, path, form=None):
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode()
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content


def buyable_field(port, product_path):
    """("product" or "variant", id) that the product page's add-to-cart form posts."""
    html = get(port, product_path)[1].decode()
    match = re.search(r'name="(product|variant)" value="(\d+)"', html)
    if match is None:
        raise RuntimeError(f"{product_path} has no add-to-cart form")
    return match.group(1), match.group(2)


def ensure_bench_shopper(env):
    """An account for the signed-in persona (idempotent), with a default address."""
    email, password = BENCH_SHOPPER
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from commerce.models import Address\n"
        f"user, _ = get_user_model().objects.get_or_create(username={email!r}, "
        f"defaults={{'email': {email!r}, 'first_name': 'Bench'}})\n"
        f"user.set_password({password!r}); user.save()\n"
        "Address.objects.get_or_create(user=user, is_default=True, defaults=dict("
        "full_name='Bench Shopper', line1='1 Load Street', postal_code='00-001', "
        "city='Warsaw', country='PL'))\n"
    )
    manage(env, "shell", "-c", code)


def persona_cookies(port, persona, product_path):
    """The Cookie header of a visitor of `persona`: "" (anonymous), a session whose cart
    holds one product ("cart"), or a signed-in session ("signed-in")."""
    if persona == "anonymous":
        return ""
    browser = Browser(port)
    browser.request("GET", LOGIN)  # the CSRF cookie
    if persona == "signed-in":
        email, password = BENCH_SHOPPER
        status, _ = browser.request("POST", LOGIN, {"username": email, "password": password})
        if status != 302:
            raise RuntimeError(f"the bench shopper could not sign in ({status})")
    else:
        field, value = buyable_field(port, product_path)
        status, _ = browser.request("POST", CART_ADD, {field: value, "quantity": "1"})
        if status != 302:
            raise RuntimeError(f"adding {field} {value} to a cart answered {status}")
    browser.request("GET", "/cart/")  # shows (and so ends) the "Added"/"Welcome" message
    return browser.cookie_header()


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


def hammer(port, path, seconds, concurrency, *, uncached=False, cookies=""):
    """`concurrency` threads, one HTTP connection each, GET `path` until `seconds` pass.

    With `uncached`, each request carries a parameter of its own, so the page cache
    never has the answer and every request is a miss. `cookies`: the persona's Cookie
    header (all threads are the same visitor).
    """
    latencies, statuses, sizes, outcomes = [], Counter(), Counter(), Counter()
    query_counts = Counter()
    headers = {"Cookie": cookies} if cookies else {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        mine, codes, lengths, cache, queries = [], Counter(), Counter(), Counter(), Counter()
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
                    conn.request("GET", url, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    codes[response.status] += 1
                    lengths[len(body)] += 1
                    cache[response.getheader(CACHE_HEADER, "-")] += 1
                    queries[response.getheader(QUERIES_HEADER, "?")] += 1
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
                query_counts.update(queries)

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
        # The most common count: a worker's first request of a page may run a few more.
        "queries": query_counts.most_common(1)[0][0] if query_counts else "?",
    }


def cache_column(outcomes):
    """The most common X-Storefront-Cache answer and its share, e.g. "hit 100%"."""
    total = sum(outcomes.values())
    if not total:
        return "-"
    outcome, count = outcomes.most_common(1)[0]
    return f"{outcome} {100 * count / total:.0f}%"


def miss_target(products):
    """The issue's miss ratio for a catalog of `products`: the largest size not above it."""
    sizes = [size for size in sorted(TARGET_MISS) if size <= products] or [min(TARGET_MISS)]
    return TARGET_MISS[sizes[-1]]


def target(persona, mode, products):
    """(ratio to the baseline, most queries) a page must reach; None: no query target."""
    if mode == "hit":
        return (TARGET_HIT_ANONYMOUS if persona == "anonymous" else TARGET_HIT_PERSONAL), None
    return miss_target(products), TARGET_MISS_QUERIES


def verdict(persona, mode, figures, ratio, products):
    ratio_target, query_target = target(persona, mode, products)
    ok = ratio >= ratio_target and figures["errors"] == 0
    if query_target is not None and str(figures["queries"]).isdigit():
        ok &= int(figures["queries"]) <= query_target
    return "PASS" if ok else "FAIL"


def worker_memory_mib(master_pid):
    """{pid: resident MiB} of the gunicorn workers (children of the master), from /proc."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return {}
    sizes = {}
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            sizes[int(pid)] = int(match.group(1)) / 1024
    return sizes


def report(baseline, results, memory, args):
    """`baseline`: figures; `results`: [(page, persona, mode, path, figures)]."""
    base_rps = baseline["rps"]
    print()
    print(
        f"{args.products} products, gunicorn {args.workers} sync workers, "
        f"{args.concurrency} clients, {args.seconds:g} s per page, persona and mode"
    )
    header = (
        f"{'page':<9} {'persona':<10} {'mode':<5} {'queries':>7} {'bytes':>7} {'req/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'errors':>6} {'cache':>11} {'x base':>7} {'target':>7}"
        "  result  url"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{'baseline':<9} {'-':<10} {'-':<5} {baseline['queries']:>7} {baseline['bytes']:>7} "
        f"{base_rps:>8.1f} {baseline['p50']:>7.1f} {baseline['p95']:>7.1f} "
        f"{baseline['errors']:>6} {'-':>11} {1:>6.3f}x {'':>7}          {BASELINE}"
    )
    verdicts = Counter()
    for name, persona, mode, path, r in results:
        ratio = r["rps"] / base_rps if base_rps else 0.0
        result = verdict(persona, mode, r, ratio, args.products)
        verdicts[result] += 1
        ratio_target, _ = target(persona, mode, args.products)
        shown = cache_busting(path, "N") if mode == "miss" else path
        print(
            f"{name:<9} {persona:<10} {mode:<5} {r['queries']:>7} {r['bytes']:>7} "
            f"{r['rps']:>8.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['errors']:>6} "
            f"{cache_column(r['cache']):>11} {ratio:>6.3f}x {ratio_target:>6.2f}x  "
            f"{result:<6}  {shown}"
        )
    for name, persona, mode, _path, r in results:
        others = {k: v for k, v in r["statuses"].items() if k != 200}
        if others:
            print(f"  {name} {persona} {mode}: non-200 answers {dict(others)}")

    print("\nFor the closing note (req/s as a ratio to the bare page, queries per request):\n")
    print("| page | persona | hit x bare | hit queries | miss x bare | miss queries |")
    print("|---|---|---|---|---|---|")
    by_key = {(name, persona, mode): r for name, persona, mode, _p, r in results}
    for name in dict.fromkeys(name for name, *_ in results):
        for persona in dict.fromkeys(persona for n, persona, *_ in results if n == name):
            cells = []
            for mode in ("hit", "miss"):
                r = by_key.get((name, persona, mode))
                cells += (
                    [f"{r['rps'] / base_rps:.2f}× ({r['rps']:.1f}/s)", str(r["queries"])]
                    if r and base_rps
                    else ["-", "-"]
                )
            print(f"| {name} | {persona} | {' | '.join(cells)} |")
    print(f"| bare | - | 1.00× ({base_rps:.1f}/s), {baseline['bytes']} bytes | 0 | | |")

    print(
        f"\nTargets: anonymous hit >= {TARGET_HIT_ANONYMOUS}x, personal hit >= "
        f"{TARGET_HIT_PERSONAL}x, miss >= {miss_target(args.products)}x and <= "
        f"{TARGET_MISS_QUERIES} queries, no errors: {verdicts['PASS']} pass, "
        f"{verdicts['FAIL']} fail"
    )
    if memory:
        shown = ", ".join(f"{mib:.0f}" for mib in sorted(memory.values()))
        worst = max(memory.values())
        print(
            f"gunicorn workers' resident memory after the run (MiB): {shown}; target "
            f"< {TARGET_WORKER_MIB} MiB each: {'PASS' if worst < TARGET_WORKER_MIB else 'FAIL'}"
        )


# --- Main ---------------------------------------------------------------------------------


def names(value, allowed):
    chosen = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in allowed]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(allowed)}")
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10, help="load per page")
    parser.add_argument("--warmup", type=float, default=2, help="untimed load per page first")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--database-url", help="default: storefront_bench on the local cluster")
    parser.add_argument(
        "--pages",
        type=lambda value: names(value, PAGES),
        default=list(PAGES),
        help=f"comma-separated, default all: {','.join(PAGES)}",
    )
    parser.add_argument(
        "--personas",
        type=lambda value: names(value, PERSONAS),
        default=list(PERSONAS),
        help=f"comma-separated, default all: {','.join(PERSONAS)}",
    )
    parser.add_argument(
        "--modes",
        type=lambda value: names(value, ("hit", "miss")),
        default=["hit", "miss"],
        help="comma-separated, default both: hit,miss",
    )
    args = parser.parse_args()

    # Ctrl-C and `kill` unwind through the `finally` that stops gunicorn (SIGINT too when
    # started in the background by a shell, which would otherwise ignore it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    database_url = args.database_url or local_database_url()
    with tempfile.TemporaryDirectory(prefix="storefront-bench-") as tmp:
        env = server_env(database_url, tmp)
        seed(env, database_url, args.products)
        ensure_bench_shopper(env)

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
                every_page = pick_pages(port)
                pages = [(name, path) for name, path in every_page if name in args.pages]
                product = dict(every_page)["product"]
                cookies = {
                    persona: persona_cookies(port, persona, product) for persona in args.personas
                }
            except (RuntimeError, OSError) as exc:
                log(f"the shop does not answer as expected: {exc}")
                return 1

            def measure(path, *, uncached=False, cookie=""):
                hammer(port, path, args.warmup, args.concurrency, uncached=uncached, cookies=cookie)
                return hammer(
                    port, path, args.seconds, args.concurrency, uncached=uncached, cookies=cookie
                )

            log(f"baseline: warm-up {args.warmup:g} s, then {args.seconds:g} s")
            baseline = measure(BASELINE)
            results = []
            for name, path in pages:
                for persona in args.personas:
                    # A hit: the warm-up fills the page cache in every worker (for the
                    # personas whose pages the cache serves). A miss: every request a URL
                    # of its own, so each one renders (and stores) its page.
                    for mode in args.modes:
                        log(f"{name} {persona} {mode}")
                        figures = measure(path, uncached=mode == "miss", cookie=cookies[persona])
                        results.append((name, persona, mode, path, figures))
            memory = worker_memory_mib(server.pid)
            report(baseline, results, memory, args)
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
