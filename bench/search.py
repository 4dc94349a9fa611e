"""Shop search over the demo catalog: how long each published query takes, uncached.

Runs QUERIES (words, phrases, prefixes, SKUs, EANs, misspellings and words found in
every description) through what the search page asks the database
(`services.catalog.search`: `search_product_ids`, and `did_you_mean` when nothing is
found) and through the header's suggestions (`suggested_product_ids`), in this
process, never through a cache. Prints, per query, the hits, the milliseconds (best of
the repeats and their median) and the slowest single SQL statement; then p50/p95/max
over all queries. Figures for a human's notes, not a test.

    .venv/bin/python bench/search.py                          # 10,000 products
    .venv/bin/python bench/search.py --products 100000 --repeat 5
    .venv/bin/python bench/search.py --database-url postgres://…/sf_search --reindex
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "site")]

from bench.catalog import local_database_url, log, manage  # noqa: E402

# The published list: what shoppers type into a shop like the demo one.
QUERIES = [
    # single words: product kinds, in both numbers
    "scarf",
    "scarves",
    "knife",
    "knives",
    "pan",
    "mug",
    "lamp",
    "cushion",
    "rug",
    "towel",
    "backpack",
    "boots",
    "tent",
    "helmet",
    "jumper",
    "coat",
    "notebook",
    "pens",
    "cable",
    # category names, the parents' included
    "kitchen",
    "living room",
    "bathroom",
    "hiking",
    "garden",
    "cycling",
    "clothing",
    "knitwear",
    "outerwear",
    "office",
    "tech",
    # phrases
    "classic scarf",
    "nordic wool jumper",
    "deluxe steel pan",
    "urban rain jacket",
    "compact hiking backpack",
    "heritage oak lamp",
    "field notebook 12",
    # prefixes (typing in progress)
    "kni",
    "back",
    "note",
    "heritage cu",
    "nordic la",
    # codes
    "DEMO-000042",
    "demo-000777",
    "DEMO-001234-RED",
    "2000001230009",
    # misspellings
    "scraf",
    "bakcpack",
    "notebok",
    "cushon",
    "helmit",
    "jumpr",
    "lampp",
    # words in (nearly) every document, and adjectives on an eighth of the names
    "made",
    "every day",
    "used every day",
    "lasts",
    "range",
    "from our range",
    "classic",
    "everyday",
    "deluxe",
    # numbers and nothing
    "42",
    "1000",
    "umbrella",
    "zzzz",
]


def setup_django(database_url):
    os.environ.update(
        DJANGO_SETTINGS_MODULE="storefront.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
    )
    import django

    django.setup()


class SlowestStatement:
    """An execute_wrapper remembering the longest single statement's milliseconds."""

    def __init__(self):
        self.slowest = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.slowest = max(self.slowest, (time.perf_counter() - start) * 1000)


def run_once(query, search):
    """What the search page asks the database for a query: ids, then a correction when
    nothing is found. Returns (hits, suggestion)."""
    ids, _ = search.search_product_ids(query)
    suggestion = search.did_you_mean(query) if not ids else None
    return len(ids), suggestion


def run_wagtail_backend(query):
    """The search before this module: Wagtail's backend, ranking every match, then 500."""
    from commerce.models import Product

    results = Product.objects.visible().only("pk").search(query, order_by_relevance=True)
    return len([p.pk for p in results[:500]])


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query")
    parser.add_argument("--database-url", help="default: storefront_bench on the local cluster")
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument(
        "--reindex", action="store_true", help="rebuild the search index first (update_index)"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also time Wagtail's backend search (the search before services.catalog.search)",
    )
    args = parser.parse_args()

    database_url = args.database_url or local_database_url()
    os.environ.setdefault("SECRET_KEY", "bench-search")
    os.environ.setdefault("WAGTAILADMIN_BASE_URL", "http://127.0.0.1")
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0"}
    if not args.no_seed:
        log(f"migrating and seeding to {args.products} products")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--products", str(args.products), "--no-admin")
    if args.reindex:
        log("rebuilding the search index")
        manage(env, "update_index", "--chunk_size", "2000")

    setup_django(database_url)
    from django.db import connection

    from commerce.models import Product
    from commerce.services.catalog import search

    products = Product.objects.visible().count()
    print(
        f"# search bench: {products} visible products, {len(QUERIES)} queries, "
        f"best and median of {args.repeat} runs each, uncached\n"
    )
    print(
        f"{'query':<24} {'hits':>5} {'best ms':>8} {'median':>7} {'max SQL':>8} "
        f"{'SQL':>4} {'suggest ms':>10}  did you mean"
    )
    medians, slowest_sql, suggest_times = [], [], []
    for query in QUERIES:
        run_once(query, search)  # warm: plans and pages, as a running shop has them
        times, watcher = [], SlowestStatement()
        with connection.execute_wrapper(watcher):
            for _ in range(args.repeat):
                start = time.perf_counter()
                hits, suggestion = run_once(query, search)
                times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        search.suggested_product_ids(search.normalised_query(query))
        suggest_ms = (time.perf_counter() - start) * 1000
        median = statistics.median(times)
        medians.append(median)
        slowest_sql.append(watcher.slowest)
        suggest_times.append(suggest_ms)
        statements = watcher.count // args.repeat
        print(
            f"{query[:24]:<24} {hits:>5} {min(times):>8.1f} {median:>7.1f} "
            f"{watcher.slowest:>8.1f} {statements:>4} {suggest_ms:>10.1f}  {suggestion or ''}"
        )
    print()
    print(
        f"search  p50 {percentile(medians, 0.5):.1f} ms  p95 {percentile(medians, 0.95):.1f} ms"
        f"  max {max(medians):.1f} ms  slowest single statement {max(slowest_sql):.1f} ms"
    )
    print(
        f"suggest p50 {percentile(suggest_times, 0.5):.1f} ms  "
        f"p95 {percentile(suggest_times, 0.95):.1f} ms  max {max(suggest_times):.1f} ms"
    )
    if args.compare:
        compare_with_wagtail_backend(args.repeat)
    return 0


def compare_with_wagtail_backend(repeat):
    times = []
    for query in QUERIES:
        run_wagtail_backend(query)
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            run_wagtail_backend(query)
            runs.append((time.perf_counter() - start) * 1000)
        times.append(statistics.median(runs))
    print(
        f"\nWagtail's backend (before): p50 {percentile(times, 0.5):.1f} ms  "
        f"p95 {percentile(times, 0.95):.1f} ms  max {max(times):.1f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
