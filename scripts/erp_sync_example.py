#!/usr/bin/env python3
"""An example ERP connector: pushes an "ERP export" to the shop, then takes in its orders.

    python scripts/erp_sync_example.py --url https://shop.example --key sfk_… [EXPORT.json]
    python scripts/erp_sync_example.py --async …  # larger batches, each written by a job

The export (default: scripts/erp_export_example.json) holds what an ERP knows:
stock locations, categories, products with variants, which category each product is in,
related products, the products' files (pictures and documents, by path beside the export),
and stock counted at one moment. They are sent in that order (a relation needs its product
and category, a stock row its product and location), each list in batches, a file in a
request of its own; then every paid order is read and marked fulfilled, as a warehouse
would once it has packed it. The key needs the scopes write_catalog, write_stock,
read_orders and change_orders. Only `requests` is needed. Exit code 1 if any item was refused.

With `--async` each batch is sent with `Prefer: respond-async`: the shop answers 202 at
once with a job, which this script polls (as `Retry-After` says) for the same report,
before it sends the next batch.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

BATCH = 200
ASYNC_BATCH = 2000  # in a job: within every endpoint's limit for jobs


def send(session, url, path, items, *, asynchronous=False, **params):
    """POSTs the items in batches; returns how many of each status, printing errors."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    batch = ASYNC_BATCH if asynchronous else BATCH
    for start in range(0, len(items), batch):
        answer = session.post(
            f"{url}/external/v1/{path}/",
            json=items[start : start + batch],
            params=params,
            headers={"Prefer": "respond-async"} if asynchronous else {},
            timeout=120,
        )
        answer.raise_for_status()
        report = wait_for_job(session, answer) if answer.status_code == 202 else answer.json()
        for item in report["items"]:
            counts[item["status"]] += 1
            if item["status"] == "error":
                print(f"  {path} #{start + item['index']} {item['external_id']}: {item['errors']}")
    print(f"{path}: {counts}")
    return counts


def send_files(session, url, files, folder):
    """POSTs each file (multipart); returns how many of each status, printing errors."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    for entry in files:
        path = folder / entry["path"]
        with path.open("rb") as content:
            answer = session.post(
                f"{url}/external/v1/product-files/",
                data={
                    "product_external_id": entry["product_external_id"],
                    "file_name": path.name,
                    "order": entry.get("order", 0),
                    "alt": entry.get("alt", ""),
                },
                files={"file": (path.name, content)},
                timeout=120,
            )
        answer.raise_for_status()
        [item] = answer.json()["items"]
        counts[item["status"]] += 1
        if item["status"] == "error":
            print(f"  product-files {path.name}: {item['errors']}")
    print(f"product-files: {counts}")
    return counts


def wait_for_job(session, accepted):
    """Polls the job a 202 names (`Location`) until it is done; its report."""
    while True:
        polled = session.get(accepted.headers["Location"], timeout=60)
        polled.raise_for_status()
        job = polled.json()
        if job["status"] == "done":
            return job["report"]
        if job["status"] == "failed":  # the job itself crashed; the batch is safe to resend
            raise SystemExit(f"job {job['id']} ({job['kind']}) failed: {job['error']}")
        time.sleep(int(polled.headers.get("Retry-After", "5")))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    example = Path(__file__).with_name("erp_export_example.json")
    parser.add_argument("export", nargs="?", default=example, help="The ERP export (JSON)")
    parser.add_argument("--url", required=True, help="The shop, e.g. https://shop.example")
    parser.add_argument("--key", required=True, help="An API key (Integrations → API keys)")
    parser.add_argument(
        "--async",
        dest="asynchronous",
        action="store_true",
        help="Send each batch as a job (Prefer: respond-async) and wait for its report",
    )
    args = parser.parse_args(argv)
    export = json.loads(Path(args.export).read_text(encoding="utf-8"))
    session = requests.Session()
    session.headers["Authorization"] = f"Api-Key {args.key}"
    url = args.url.rstrip("/")

    mode = {"asynchronous": args.asynchronous}
    errors = 0
    errors += send(session, url, "stock-locations", export["stock_locations"], **mode)["error"]
    errors += send(session, url, "categories", export["categories"], **mode)["error"]
    errors += send(session, url, "products", export["products"], **mode)["error"]
    relations = export["product_categories"]
    errors += send(session, url, "product-categories", relations, **mode)["error"]
    errors += send(session, url, "related-products", export["related_products"], **mode)["error"]
    errors += send_files(session, url, export["files"], Path(args.export).parent)["error"]
    # The moment the ERP counted its stock: shop orders placed since are taken off.
    counted_at = export.get("stock_counted_at") or datetime.now(UTC).isoformat()
    stocks = send(session, url, "stocks", export["stocks"], counted_at=counted_at, **mode)
    errors += stocks["error"]

    fulfilled = 0
    while True:  # a fulfilled order leaves the "paid" list: read its first page until empty
        orders = session.get(f"{url}/external/v1/orders/", params={"status": "paid"}, timeout=60)
        orders.raise_for_status()
        if not orders.json():
            break
        for order in orders.json():
            print(
                f"order {order['number']}: {order['total_gross']} {order['currency']}, "
                f"{len(order['lines'])} line(s), for {order['user_email']}"
            )
            changed = session.post(
                f"{url}/external/v1/orders/{order['token']}/status/",
                json={"status": "fulfilled", "note": "Packed"},
                timeout=60,
            )
            changed.raise_for_status()
            fulfilled += 1
    print(f"orders fulfilled: {fulfilled}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
