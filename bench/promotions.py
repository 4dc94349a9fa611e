"""Pricing a 50-line cart with 0, 20 and 200 running promotions.

    .venv/bin/python bench/promotions.py [--lines 50] [--counts 0,20,200] [--seconds 2]
                                         [--database-url URL]

Two paths, each timed in-process for --seconds per promotion count:

- load + evaluate: what a cart view pays for promotions: `services.promotions.load_rules`
  (a fixed number of queries), `cart_items` (one query) and `pricing.promotions.evaluate`;
- evaluate alone: the engine on rules already loaded (pure Python).

The database gets --lines products in three categories, one bench cart, and 200 bench
promotions of three kinds (a tiered fixed price on a cart variant, a percentage on a cart
variant, a gift for a value of a category); a count of N switches exactly N of them on.
Every promotion names variants of the cart, so each one is measured and most apply: a
worst case, not a typical shop. Prints figures for a human; exits 0 whatever they are.
See bench/README.md.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "site")]

from bench.catalog import local_database_url, log  # noqa: E402 - after the path fix above

PREFIX = "bench-promo"
MAX_PROMOTIONS = 200
CATEGORIES = ("kitchen", "garden", "office")


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("WAGTAILADMIN_BASE_URL", "http://127.0.0.1")
    import django

    django.setup()
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", "--noinput", verbosity=0)


def seed(line_count):
    """Idempotent: the bench's products, categories and 200 promotions (all off)."""
    from django.db import transaction

    from commerce.models import (
        Category,
        Product,
        ProductVariant,
        Promotion,
        PromotionCondition,
        PromotionReward,
    )

    with transaction.atomic():
        categories = [
            Category.objects.get_or_create(slug=f"{PREFIX}-{name}", defaults={"name": name})[0]
            for name in CATEGORIES
        ]
        variants = []
        for n in range(line_count):
            slug = f"{PREFIX}-{n}"
            product = Product.objects.filter(slug=slug).first()
            if product is None:
                product = Product(
                    name=f"Bench product {n}",
                    slug=slug,
                    main_category=categories[n % len(categories)],
                )
                product.variants.add(
                    ProductVariant(sku=f"{PREFIX.upper()}-{n}", price=Decimal(5 + n % 40))
                )
                product.save()
            variants.append(product.variants.get())

        if Promotion.objects.filter(short_code__startswith=PREFIX).count() != MAX_PROMOTIONS:
            Promotion.objects.filter(short_code__startswith=PREFIX).delete()
            tote = variants[-1]
            for n in range(MAX_PROMOTIONS):
                variant = variants[n % len(variants)]
                promotion = Promotion.objects.create(
                    name=f"Bench promotion {n}",
                    short_code=f"{PREFIX}-{n}",
                    live=True,
                    is_active=False,
                    multiply_reward=n % 2,
                )
                kind = n % 3
                if kind == 0:  # tiers: 5 % off from 2 pcs, 10 % off from 10 pcs (fixed prices)
                    for position, (low, off) in enumerate(((2, "0.95"), (10, "0.90"))):
                        condition = PromotionCondition.objects.create(
                            promotion=promotion, sort_order=position, threshold_min=low
                        )
                        PromotionReward.objects.create(
                            condition=condition,
                            variant=variant,
                            given_price=(variant.price * Decimal(off)).quantize(Decimal("0.01")),
                        )
                elif kind == 1:  # a percentage from one unit
                    condition = PromotionCondition.objects.create(promotion=promotion)
                    PromotionReward.objects.create(
                        condition=condition,
                        variant=variant,
                        value_type="percent",
                        reward_value=Decimal(3 + n % 20),
                    )
                else:  # a gift for a category's value
                    condition = PromotionCondition.objects.create(
                        promotion=promotion,
                        threshold_min=Decimal(50 + n),
                        measure="value",
                        qualifying="chosen",
                    )
                    condition.qualifying_categories.set([categories[n % len(categories)]])
                    condition.save()
                    PromotionReward.objects.create(
                        condition=condition, variant=tote, value_type="gift", quantity=1
                    )
    lines = [
        SimpleNamespace(pk=n, variant=variant, quantity=1 + n % 12)
        for n, variant in enumerate(
            ProductVariant.objects.filter(pk__in=[v.pk for v in variants])
            .select_related("product")
            .order_by("pk")
        )
    ]
    return lines


def switch_on(count):
    from commerce.models import Promotion

    bench = Promotion.objects.filter(short_code__startswith=PREFIX)
    bench.update(is_active=False)
    ids = list(bench.order_by("pk").values_list("pk", flat=True)[:count])
    bench.filter(pk__in=ids).update(is_active=True)
    others = Promotion.objects.running().exclude(short_code__startswith=PREFIX).count()
    if others:
        log(f"note: {others} other running promotions in this database are measured too")


def timed(function, seconds):
    for _ in range(3):  # warm-up: connections, prepared plans, imports
        function()
    durations, cpu = [], []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(durations) < 5:
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        durations.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    durations.sort()
    return {
        "runs": len(durations),
        "median": statistics.median(durations) * 1000,
        "p95": durations[max(0, int(len(durations) * 0.95) - 1)] * 1000,
        # This process's own CPU time: steadier than the wall clock on a shared machine
        # (it leaves out waiting for PostgreSQL and for other processes' turns).
        "cpu": statistics.median(cpu) * 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=50, help="cart lines (and bench products)")
    parser.add_argument("--counts", default="0,20,200", help="running promotions, comma-separated")
    parser.add_argument("--seconds", type=float, default=2, help="timed per count and path")
    parser.add_argument(
        "--database-url", help="default: storefront_bench_promotions on the local cluster"
    )
    args = parser.parse_args()
    counts = [min(int(c), MAX_PROMOTIONS) for c in args.counts.split(",")]

    setup_django(args.database_url or local_database_url("storefront_bench_promotions"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from commerce.services.pricing.promotions import evaluate
    from commerce.services.promotions import cart_items, load_rules

    lines = seed(args.lines)

    def full():
        rules = load_rules()
        return evaluate(cart_items(lines), rules)

    rows = []
    for count in counts:
        switch_on(count)
        with CaptureQueriesContext(connection) as queries:
            result = full()
        rules = load_rules()
        items = cart_items(lines)
        rows.append(
            {
                "count": count,
                "queries": len(queries),
                "changed": len(result.lines),
                "gifts": sum(g.quantity for g in result.gifts),
                "full": timed(full, args.seconds),
                "alone": timed(
                    lambda rules=rules, items=items: evaluate(items, rules), args.seconds
                ),
            }
        )
    switch_on(0)

    print(
        f"{args.lines}-line cart, in-process, PostgreSQL; median and p95 of one pricing "
        "(wall clock), median CPU time of this process"
    )
    header = (
        f"{'promotions':>10}  {'path':<16} {'runs':>6} {'median ms':>10} {'p95 ms':>8}"
        f" {'x 0':>7} {'cpu ms':>7}  {'queries':>7} {'lines changed':>13} {'gifts':>5}"
    )
    print(header)
    print("-" * len(header))
    base = {path: rows[0][path]["median"] for path in ("full", "alone")} if rows else {}
    for row in rows:
        for path, label in (("full", "load + evaluate"), ("alone", "evaluate alone")):
            figures = row[path]
            ratio = figures["median"] / base[path] if base[path] else float("nan")
            print(
                f"{row['count']:>10}  {label:<16} {figures['runs']:>6} {figures['median']:>10.2f}"
                f" {figures['p95']:>8.2f} {ratio:>6.1f}x {figures['cpu']:>7.2f}  "
                + (
                    f"{row['queries']:>7} {row['changed']:>13} {row['gifts']:>5}"
                    if path == "full"
                    else ""
                )
            )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
