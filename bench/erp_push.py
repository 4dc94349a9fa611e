"""How long an ERP's full push takes through the integration API, and how the storefront
answers meanwhile.

    .venv/bin/python bench/erp_push.py [--products 10000] [--variants 4] [--batch 500]
                                       [--stock-batch 1000] [--workers 2] [--database-url URL]

Starts gunicorn (production-like settings, PostgreSQL, as bench/catalog.py does) on a small
demo shop, makes an API key with the write scopes, then, as an ERP would:

1. sends a stock location (POST /stock-locations/);
2. sends --products products of --variants SKUs each (sizes × colours, grouped by their
   `product` key) in requests of --batch items (POST /products/);
3. sends one stock row per SKU in requests of --stock-batch rows (POST /stocks/);
4. sends the first product batch again (nothing to change: every item `unchanged`).

One client thread meanwhile asks the storefront for `/shop/` with a parameter of its own each
time (a page-cache miss: the page is rendered) and the homepage (a hit), back to back; their
p50/p95 are printed for 10 s before the push and for the push itself. Each run uses SKUs of
its own, so every run creates what it sends. Its default database is dropped and made again
first (`--keep-database` keeps it): a database kept from earlier runs holds their products
too, and its figures are not comparable (session 13's run started on the 10,320 products
earlier runs had left, session 12's on 320).
Prints figures; exits 0 whatever they are.
"""

import argparse
import http.client
import json
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog import (  # noqa: E402 - after the path fix above
    HOST,
    free_port,
    local_database_url,
    log,
    percentiles_ms,
    seed,
    server_env,
    start_server,
    stop_server,
    wait_until_up,
)

SIZES = ["S", "M", "L", "XL"]
COLOURS = ["Red", "Blue", "Green", "Black"]
MAKE_KEY = """
from commerce.integrations.models import ApiKey, Scope
row = ApiKey(name="Bench ERP", scopes=list(Scope.values))
print(row.set_new_key()); row.save()
"""


def make_key(env):
    command = [sys.executable, "manage.py", "shell", "-c", MAKE_KEY]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    return done.stdout.strip().splitlines()[-1]


def post(port, key, path, items, **params):
    """POSTs a batch; (seconds, Counter of statuses)."""
    query = "&".join(f"{name}={value}" for name, value in params.items())
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    started = time.monotonic()
    try:
        conn.request(
            "POST",
            f"/external/v1/{path}/" + (f"?{query}" if query else ""),
            json.dumps(items),
            {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        )
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    elapsed = time.monotonic() - started
    if response.status != 200:
        raise RuntimeError(f"POST {path}: {response.status} {body[:300]!r}")
    return elapsed, Counter(item["status"] for item in json.loads(body)["items"])


def product_items(run, products, variants):
    axes = [(size, colour) for colour in COLOURS for size in SIZES][:variants]
    items = []
    for number in range(products):
        key = f"{run}-{number}"
        for index, (size, colour) in enumerate(axes):
            item = {
                "sku": f"{key}-{size}-{colour}",
                "product": key,
                "default_price": f"{10 + number % 90}.{index:02d}",
                "options": {"size": size, "colour": colour},
            }
            if index == 0:
                item |= {"name": f"ERP product {key}", "vat": 23, "description": "From the ERP."}
            items.append(item)
    return items


def batches(items, size, *, whole_groups=False):
    """Items in lists of at most `size`; with `whole_groups`, a product's items stay together
    (they are written together, so a product split over two requests would be two)."""
    batch = []
    for item in items:
        starts_product = not whole_groups or "name" in item
        if len(batch) >= size and starts_product:
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


class StorefrontProbe:
    """One client asking for a rendered page and a cached one, back to back."""

    def __init__(self, port):
        self.port, self.latencies, self.running, self.errors = port, [], True, 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        number = 0
        while self.running:
            number += 1
            for path in (f"/shop/?bench-uncached={number}", "/"):
                started = time.monotonic()
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        self.errors += 1
                except (OSError, http.client.HTTPException):
                    self.errors += 1
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                    continue
                self.latencies.append(time.monotonic() - started)

    def take(self):
        taken, self.latencies = self.latencies, []
        return taken


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=4, help="SKUs per product (at most 16)")
    parser.add_argument("--batch", type=int, default=500, help="product items per request")
    parser.add_argument("--stock-batch", type=int, default=1000, help="stock rows per request")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--database-url", help="default: storefront_bench_erp on the local cluster")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="push onto the default database as earlier runs left it, instead of a new one",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    database_url = args.database_url or local_database_url(
        "storefront_bench_erp", fresh=not args.keep_database
    )
    with tempfile.TemporaryDirectory(prefix="storefront-bench-") as tmp:
        env = server_env(
            database_url,
            tmp,
            # The bench sends far more than a real ERP's per-minute limit allows.
            LIMIT_API_WRITES_PER_KEY="100000/m",
        )
        seed(env, database_url, 200)
        key = make_key(env)
        port = free_port()
        with open(Path(tmp) / "gunicorn.log", "w") as log_file:
            server = start_server(env, port, args.workers, log_file)
        try:
            if not wait_until_up(server, port):
                log("gunicorn did not start")
                return 1
            return push(port, key, args)
        finally:
            stop_server(server)


def push(port, key, args):
    run = secrets.token_hex(3).upper()
    probe = StorefrontProbe(port)
    probe.thread.start()
    time.sleep(10)
    quiet = percentiles_ms(probe.take())

    post(port, key, "stock-locations", [{"external_id": "bench", "name": f"Bench {run}"}])
    items = product_items(run, args.products, args.variants)
    log(f"pushing {args.products} products, {len(items)} SKUs, {args.batch} items a request")
    started, statuses, slowest = time.monotonic(), Counter(), 0.0
    product_batches = list(batches(items, args.batch, whole_groups=True))
    for number, batch in enumerate(product_batches, start=1):
        elapsed, counted = post(port, key, "products", batch)
        statuses += counted
        slowest = max(slowest, elapsed)
        if number % 10 == 0:
            log(f"  {number}/{len(product_batches)} requests, {time.monotonic() - started:.0f} s")
    products_seconds = time.monotonic() - started
    during_products = percentiles_ms(probe.take())

    rows = [
        {"product_external_id": item["sku"], "stock_level_external_id": "bench", "quantity": 5}
        for item in items
    ]
    started, stock_statuses, stock_slowest = time.monotonic(), Counter(), 0.0
    for batch in batches(rows, args.stock_batch):
        elapsed, counted = post(port, key, "stocks", batch)
        stock_statuses += counted
        stock_slowest = max(stock_slowest, elapsed)
    stock_seconds = time.monotonic() - started
    during_stock = percentiles_ms(probe.take())

    resend_seconds, resent = post(port, key, "products", product_batches[0])
    probe.running = False
    probe.thread.join()

    print()
    print("| step | items | requests | seconds | items/s | slowest request | outcome |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| products | {len(items)} SKUs of {args.products} products | {len(product_batches)} "
        f"| {products_seconds:.1f} | {len(items) / products_seconds:.0f} | {slowest:.1f} s "
        f"| {dict(statuses)} |"
    )
    stock_requests = -(-len(rows) // args.stock_batch)
    print(
        f"| stocks | {len(rows)} rows | {stock_requests} | {stock_seconds:.1f} "
        f"| {len(rows) / stock_seconds:.0f} | {stock_slowest:.1f} s | {dict(stock_statuses)} |"
    )
    print(
        f"| resend of batch 1 | {len(product_batches[0])} | 1 | {resend_seconds:.1f} "
        f"| {len(product_batches[0]) / resend_seconds:.0f} | | {dict(resent)} |"
    )
    print()
    print("| storefront (/shop/ miss + / hit, one client) | p50 ms | p95 ms |")
    print("|---|---|---|")
    for label, figures in (
        ("quiet, 10 s before", quiet),
        ("during the product push", during_products),
        ("during the stock push", during_stock),
    ):
        print(f"| {label} | {figures['p50']:.0f} | {figures['p95']:.0f} |")
    print(f"\nstorefront errors: {probe.errors}; workers: {args.workers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
