"""Orders per second through the real checkout, and proof that nothing is oversold.

    .venv/bin/python bench/checkout.py [--seconds 10] [--shoppers 8] [--workers 4]
                                       [--products 10000] [--hot-stock 150]
                                       [--database-url URL]

Starts gunicorn (production-like settings, PostgreSQL) and runs shoppers as HTTP
clients, each with its own session and CSRF cookie, through the whole journey the
storefront offers: the log-in page once (CSRF cookie), then per order: add to cart → details →
delivery → payment → review → place (mock card). With `--journey one-step`, each shopper
is signed in with a saved address and remembered methods instead, and an order is add →
check out (which lands on the review) → review → place. Two scenarios:

- spread: every order buys one unit of a random product among 500 well-stocked ones;
- hot:    every order buys one unit of the same product, which holds --hot-stock units,
          until it is sold out; refused attempts are counted, and the units sold are
          compared with the stock it had (oversold must be 0).

Prints figures for a human; exits 0 whatever they are (1 if the server cannot start).
See bench/README.md.
"""

import argparse
import http.client
import random
import re
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog import (  # noqa: E402 - after the path fix above
    HOST,
    free_port,
    local_database_url,
    log,
    manage,
    percentiles_ms,
    run_threads,
    seed,
    server_env,
    start_server,
    stop_server,
    wait_until_up,
)

SPREAD_PRODUCTS = 500
SPREAD_STOCK = 1_000_000
ADDRESS = {
    "full_name": "Bench Shopper",
    "line1": "1 Load Street",
    "postal_code": "00-001",
    "city": "Warsaw",
    "country": "PL",
}
CARD = {"payment-card_number": "4242424242424242", "payment-expiry": "12/39", "payment-cvc": "123"}


class Shopper:
    """One browser: its own connection, cookies (session, CSRF) and journeys."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies = {}

    def request(self, method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location", ""), content.decode()

    def sign_in(self, email, password):
        status, _, _ = self.request(
            "POST", "/account/login/", {"username": email, "password": password}
        )
        return status == 302

    def buy_in_one_step(self, product_id, *_ids):
        """One order of a returning signed-in shopper: add, the cart's "Check out" (which
        fills the checkout and answers with the review), review, place."""
        status, _, _ = self.request("POST", "/cart/add/", {"product": product_id, "quantity": 1})
        if status != 302:
            return f"error: add {status}"
        status, location, _ = self.request("GET", "/checkout/")
        # Sold out: the add put nothing in the cart, and the checkout of an empty cart goes
        # back to the cart, or to the order that emptied it (the answer to a repeated click).
        if status == 302 and (location.startswith("/cart/") or "/checkout/order/" in location):
            return "refused"
        if status != 302 or location != "/checkout/review/":
            return f"error: check out {status} {location}"
        return self.place_from_review()

    def buy(self, product_id, delivery_id, payment_id):
        """One order, start to finish. Returns "placed", "refused" or "error: …"."""
        status, _, _ = self.request("POST", "/cart/add/", {"product": product_id, "quantity": 1})
        if status != 302:
            return f"error: add {status}"
        details = {"email": "bench@example.com", "delivery_same_as_billing": "on"}
        details |= {f"billing-{key}": value for key, value in ADDRESS.items()}
        for path, form in (
            ("/checkout/details/", details),
            ("/checkout/delivery/", {"delivery_method": delivery_id}),
            ("/checkout/payment/", {"payment_method": payment_id}),
        ):
            status, location, _ = self.request("POST", path, form)
            if status != 302:
                return f"error: {path} {status}"
            if location.startswith("/cart/"):
                return "refused"  # the product sold out before the shopper got here
        return self.place_from_review()

    def place_from_review(self):
        status, location, html = self.request("GET", "/checkout/review/")
        if status == 302:
            return "refused"
        token = re.search(r'name="checkout" value="([^"]+)"', html)
        total = re.search(r'name="expected_total" value="([^"]+)"', html)
        if not (token and total):
            return "refused" if "in stock" in html else "error: review page"
        form = {"checkout": token[1], "expected_total": total[1], "accept_terms": "on", **CARD}
        status, location, html = self.request("POST", "/checkout/review/", form)
        if status == 302 and "/checkout/order/" in location:
            return "placed"
        if status == 409:
            # Sold out under the lock: the shopper's cart still holds it; empty it.
            self.empty_cart()
            return "refused"
        return f"error: place {status}"

    def empty_cart(self):
        status, _, html = self.request("GET", "/cart/")
        for line_id in re.findall(r'action="/cart/lines/(\d+)/remove/"', html):
            self.request("POST", f"/cart/lines/{line_id}/remove/", {})


def run_shoppers(port, shoppers, seconds, pick_product, ids, stop_when=None, accounts=None):
    """`accounts`: (e-mail, password) per shopper for the one-step journey; None: guests."""
    accounts = list(accounts) if accounts else None
    outcomes = {"placed": 0, "refused": 0}
    errors = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    latencies = []

    def shopper_loop():
        shopper = Shopper(port)
        # Any page with a form sets the CSRF cookie; the log-in page is the lightest.
        status, _, _ = shopper.request("GET", "/account/login/")
        if status != 200:
            with lock:
                errors.append(f"log-in page {status}")
            return
        buy = shopper.buy
        if accounts is not None:
            with lock:
                email, password = accounts.pop()
            if not shopper.sign_in(email, password):
                with lock:
                    errors.append(f"sign-in of {email} refused")
                return
            buy = shopper.buy_in_one_step
        while time.monotonic() < stop_at and not (stop_when and stop_when(outcomes)):
            started = time.perf_counter()
            try:
                result = buy(pick_product(), *ids)
            except (OSError, http.client.HTTPException) as exc:
                result = f"error: {type(exc).__name__}"
            with lock:
                if result in outcomes:
                    outcomes[result] += 1
                    if result == "placed":
                        latencies.append(time.perf_counter() - started)
                else:
                    errors.append(result)

    elapsed = run_threads(shopper_loop, shoppers)
    return {
        **outcomes,
        "errors": errors,
        "seconds": elapsed,
        "orders_per_s": outcomes["placed"] / elapsed if elapsed else 0.0,
        **percentiles_ms(latencies),
    }


def prepare(database_url, hot_stock):
    """Stock for the scenarios, straight in the bench database (it is the bench's own).

    Products sold as one variant: the shopper adds them by product id, and stock is per
    variant (per warehouse)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT p.id, min(v.id) FROM commerce_product p "
            "JOIN commerce_productvariant v ON v.product_id = p.id AND v.is_active "
            "WHERE p.live AND p.status = 'active' "
            "GROUP BY p.id HAVING count(v.id) = 1 ORDER BY p.id LIMIT %s",
            [SPREAD_PRODUCTS + 1],
        ).fetchall()
        (hot, hot_variant), spread = rows[0], [product for product, _ in rows[1:]]
        variants = [variant for _, variant in rows]
        warehouse = conn.execute(
            "SELECT id FROM commerce_warehouse WHERE is_active ORDER BY sort_order, id LIMIT 1"
        ).fetchone()[0]
        conn.execute(
            "UPDATE commerce_stock SET quantity = 0 WHERE variant_id = ANY(%s)", [variants]
        )
        for variant, quantity in [(hot_variant, hot_stock)] + [
            (v, SPREAD_STOCK) for v in variants[1:]
        ]:
            conn.execute(
                "INSERT INTO commerce_stock (variant_id, warehouse_id, quantity) "
                "VALUES (%s, %s, %s) ON CONFLICT (variant_id, warehouse_id) "
                "DO UPDATE SET quantity = EXCLUDED.quantity",
                [variant, warehouse, quantity],
            )
        delivery = conn.execute(
            "SELECT id FROM commerce_deliverymethod WHERE is_active ORDER BY sort_order LIMIT 1"
        ).fetchone()[0]
        payment = conn.execute(
            "SELECT id FROM commerce_paymentmethod WHERE is_active AND provider = 'mock_card' "
            "LIMIT 1"
        ).fetchone()[0]
        sold_before = conn.execute(
            "SELECT coalesce(sum(quantity), 0) FROM commerce_orderline WHERE variant_id = %s",
            [hot_variant],
        ).fetchone()[0]
    return hot, hot_variant, spread, (delivery, payment), sold_before


BUYER_PASSWORD = "bench-buyer-password-1"  # noqa: S105 - bench accounts on a bench database


def returning_buyers(env, count, ids):
    """`count` accounts of shoppers who have ordered before: a default address in the
    shop's country and a cart that remembers the delivery and payment methods."""
    delivery, payment = ids
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from commerce.models import Address, Cart\n"
        f"for n in range({count}):\n"
        "    email = f'bench-buyer-{n}@example.com'\n"
        "    user, _ = get_user_model().objects.get_or_create(\n"
        "        username=email, defaults={'email': email})\n"
        f"    user.set_password({BUYER_PASSWORD!r}); user.save()\n"
        "    Address.objects.get_or_create(user=user, is_default=True, defaults=dict("
        "full_name='Bench Buyer', line1='1 Load Street', postal_code='00-001', city='Warsaw', "
        "country='PL'))\n"
        "    cart = Cart.objects.filter(user=user).first() or Cart.objects.create(user=user)\n"
        f"    cart.delivery_method_id = {delivery}; cart.payment_method_id = {payment}\n"
        "    cart.save()\n"
    )
    manage(env, "shell", "-c", code)
    return [(f"bench-buyer-{n}@example.com", BUYER_PASSWORD) for n in range(count)]


def hot_product_audit(database_url, hot_variant, sold_before, hot_stock):
    import psycopg

    with psycopg.connect(database_url) as conn:
        sold = (
            conn.execute(
                "SELECT coalesce(sum(quantity), 0) FROM commerce_orderline WHERE variant_id = %s",
                [hot_variant],
            ).fetchone()[0]
            - sold_before
        )
        left = conn.execute(
            "SELECT coalesce(sum(quantity), 0) FROM commerce_stock WHERE variant_id = %s",
            [hot_variant],
        ).fetchone()[0]
    return sold, left, max(0, sold - hot_stock)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10, help="spread scenario length")
    parser.add_argument("--shoppers", type=int, default=8, help="concurrent shoppers")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--hot-stock", type=int, default=150, help="units of the hot product")
    parser.add_argument(
        "--database-url", help="default: storefront_bench_checkout on the local cluster"
    )
    parser.add_argument(
        "--journey",
        choices=("steps", "one-step"),
        default="steps",
        help="steps: a guest through every step (6 requests an order); one-step: a signed-in "
        "shopper with a saved address and methods, from the cart to the review (4 requests)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    # A database of its own: this bench rewrites stock levels and adds orders.
    database_url = args.database_url or local_database_url("storefront_bench_checkout")
    with tempfile.TemporaryDirectory(prefix="storefront-bench-") as tmp:
        env = server_env(
            database_url,
            tmp,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        seed(env, database_url, args.products)
        hot, hot_variant, spread, ids, sold_before = prepare(database_url, args.hot_stock)
        accounts = returning_buyers(env, args.shoppers, ids) if args.journey == "one-step" else None

        port = free_port()
        log_path = Path(tmp) / "gunicorn.log"
        with open(log_path, "w") as log_file:
            server = start_server(env, port, args.workers, log_file)
        try:
            if not wait_until_up(server, port):
                log("gunicorn did not start; its log:\n" + log_path.read_text()[-4000:])
                return 1
            rng = random.Random(1)  # noqa: S311 - load pattern, not a secret
            log(f"spread: {args.shoppers} shoppers for {args.seconds:g} s")
            spread_result = run_shoppers(
                port,
                args.shoppers,
                args.seconds,
                lambda: rng.choice(spread),
                ids,
                accounts=accounts,
            )
            log(f"hot: {args.shoppers} shoppers until {args.hot_stock} units are gone")
            hot_result = run_shoppers(
                port,
                args.shoppers,
                120,
                lambda: hot,
                ids,
                stop_when=lambda outcomes: outcomes["refused"] >= args.shoppers * 2,
                accounts=accounts,
            )
            sold, left, oversold = hot_product_audit(
                database_url, hot_variant, sold_before, args.hot_stock
            )
        finally:
            stop_server(server)
            log("gunicorn stopped")

    print()
    journey = (
        "4 requests (add, check out → review, review, place; signed in, saved address)"
        if args.journey == "one-step"
        else "6 requests (add, details, delivery, payment, review, place)"
    )
    print(
        f"gunicorn {args.workers} sync workers, {args.shoppers} concurrent shoppers, "
        f"PostgreSQL, mock card; one order = {journey}"
    )
    print(
        f"{'scenario':<9} {'orders':>7} {'orders/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'refused':>8} {'errors':>7}"
    )
    for name, result in (("spread", spread_result), ("hot", hot_result)):
        print(
            f"{name:<9} {result['placed']:>7} {result['orders_per_s']:>9.1f} "
            f"{result['p50']:>8.0f} {result['p95']:>8.0f} {result['refused']:>8} "
            f"{len(result['errors']):>7}"
        )
    print(
        f"\nhot product: {args.hot_stock} units in stock, {sold} sold, {left} left, "
        f"oversold {oversold} ({'OK' if oversold == 0 and left >= 0 else 'OVERSOLD'})"
    )
    for name, result in (("spread", spread_result), ("hot", hot_result)):
        if result["errors"]:
            log(f"{name} errors (first 5): {result['errors'][:5]}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
