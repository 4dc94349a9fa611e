"""Many buyers at once, on PostgreSQL: real threads, real connections, real row locks.

SQLite would serialize everything behind one write lock and prove nothing, so
these tests run only on PostgreSQL (which `make test` and CI always use). Every
race runs on variants, and most on two variants of one product: their stock rows
are separate rows, locked in id order with the rest of the cart's.
"""

from decimal import Decimal

import pytest
from django.db import connection

from commerce.models import Coupon, CouponRedemption, Order, OrderLine, OrderLineAllocation, Stock
from commerce.services import checkout as checkouts
from commerce.services.checkout import CheckoutError
from tests.concurrency import run_at_once
from tests.factories.catalog import make_attribute, make_product
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_coupon,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def race(calls):
    """The calls at once; a CheckoutError is a refusal, anything else a crash."""
    return run_at_once(calls, refused=(CheckoutError,))


@pytest.fixture
def methods():
    return make_delivery_method(price="0.00"), make_payment_method()


def make_coat(a_stock, b_stock, price=Decimal("10.00")):
    """A coat in sizes A and B (variants of one product), with their own stock."""
    size, (a, b) = make_attribute("Size", ["A", "B"], varies_per_variant=True)
    coat = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-A", "options": [a], "price": price, "stock": a_stock},
            {"sku": "COAT-B", "options": [b], "price": price, "stock": b_stock},
        ],
    )
    variants = list(coat.variants.order_by("sku"))
    return variants[0], variants[1]


def units(variant) -> int:
    return sum(Stock.objects.filter(variant=variant).values_list("quantity", flat=True))


def checkouts_for(items, buyers, methods, coupon_code=""):
    delivery, payment = methods
    tokens = []
    for n in range(buyers):
        cart = make_cart(items, coupon_code=coupon_code, delivery=delivery, payment=payment)
        tokens.append(ready_checkout(cart, email=f"buyer{n}@example.com").token)
    return tokens


def place(token):
    return lambda: checkouts.place_order(token, payment_data=GOOD_CARD).order.pk


def test_fifty_buyers_race_for_the_last_five_units_of_one_variant(methods):
    """Size A has five units left in two warehouses; size B of the same coat has
    plenty, and its ten buyers all get theirs while A's buyers queue."""
    size_a, size_b = make_coat({"a": 3, "b": 2}, 100)
    tokens_a = checkouts_for([(size_a, 1)], 50, methods)
    tokens_b = checkouts_for([(size_b, 1)], 10, methods)

    results = race([place(token) for token in tokens_a + tokens_b])

    outcomes = [kind for kind, _ in results]
    assert outcomes.count("crashed") == 0, [r for r in results if r[0] == "crashed"]
    assert outcomes[:50].count("ok") == 5
    assert outcomes[:50].count("refused") == 45
    assert outcomes[50:] == ["ok"] * 10
    assert Order.objects.count() == 15
    assert (units(size_a), units(size_b)) == (0, 90)
    allocated = OrderLineAllocation.objects.filter(line__variant=size_a)
    assert sum(allocated.values_list("quantity", flat=True)) == 5


def test_buyers_of_both_variants_at_once_race_for_the_last_units_of_one(methods):
    """Each cart holds A and B of one coat; only three carts' worth of A is left, so
    three orders are placed, each taking one of each, and no order takes B alone."""
    size_a, size_b = make_coat(3, 50)
    tokens = checkouts_for([(size_a, 1), (size_b, 1)], 12, methods)

    results = race([place(token) for token in tokens])

    assert [kind for kind, _ in results].count("crashed") == 0, results
    assert [kind for kind, _ in results].count("ok") == 3
    assert (units(size_a), units(size_b)) == (0, 47)
    assert (
        sorted(OrderLine.objects.values_list("sku", flat=True)) == ["COAT-A"] * 3 + ["COAT-B"] * 3
    )


def test_a_coupon_limited_to_three_uses_raced_by_twenty_carts(methods):
    size_a, size_b = make_coat(100, 100)
    make_coupon("THREE", usage_limit=3)
    tokens = checkouts_for([(size_a, 1), (size_b, 1)], 20, methods, coupon_code="THREE")

    results = race([place(token) for token in tokens])

    assert [kind for kind, _ in results].count("crashed") == 0
    assert Order.objects.filter(coupon_code="THREE", discount=Decimal("2.00")).count() == 3
    assert Order.objects.count() == 3
    assert Coupon.objects.get().times_used == 3
    assert CouponRedemption.objects.count() == 3
    refusals = {message for kind, message in results if kind == "refused"}
    assert refusals == {
        "The coupon THREE has been used up. Remove the coupon from your cart to continue."
    }
    assert (units(size_a), units(size_b)) == (97, 97)


def test_the_same_checkout_submitted_ten_times_at_once_makes_one_order(methods):
    size_a, size_b = make_coat(10, 10)
    (token,) = checkouts_for([(size_a, 2), (size_b, 1)], 1, methods)

    results = race([place(token) for _ in range(10)])

    assert {kind for kind, _ in results} == {"ok"}
    assert len({order_id for _, order_id in results}) == 1
    assert Order.objects.count() == 1
    assert (units(size_a), units(size_b)) == (8, 9)


def test_a_failure_after_the_stock_update_leaves_no_trace(methods, monkeypatch):
    size_a, size_b = make_coat(4, 4)
    (token,) = checkouts_for([(size_a, 3), (size_b, 4)], 1, methods)

    def explode(*args, **kwargs):
        raise RuntimeError("injected after the stock update")

    monkeypatch.setattr(checkouts, "_authorize_payment", explode)
    with pytest.raises(RuntimeError):
        checkouts.place_order(token, payment_data=GOOD_CARD)
    assert not Order.objects.exists()
    assert (units(size_a), units(size_b)) == (4, 4)
    assert not OrderLineAllocation.objects.exists()


def test_buyers_of_overlapping_carts_never_deadlock(methods):
    """Carts holding two variants of one coat and another product, in opposite orders,
    lock stock in one order (by stock row id), whatever order the cart lists them in."""
    size_a, size_b = make_coat({"a": 50, "b": 50}, {"b": 50, "a": 50})
    scarf = make_product("Scarf", stock={"b": 100})
    delivery, payment = methods
    tokens = []
    for n in range(16):
        items = [(size_a, 1), (scarf, 1), (size_b, 1)]
        cart = make_cart(items if n % 2 else items[::-1], delivery=delivery, payment=payment)
        tokens.append(ready_checkout(cart, email=f"b{n}@example.com").token)

    results = race([place(token) for token in tokens])

    assert {kind for kind, _ in results} == {"ok"}, results
    assert (units(size_a), units(size_b)) == (84, 84)
    assert Stock.objects.get(variant__product=scarf).quantity == 84
