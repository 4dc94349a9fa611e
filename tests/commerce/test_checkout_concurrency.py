"""Many buyers at once, on PostgreSQL: real threads, real connections, real row locks.

SQLite would serialize everything behind one write lock and prove nothing, so
these tests run only on PostgreSQL (which `make test` and CI always use).
"""

from decimal import Decimal

import pytest
from django.db import connection

from commerce.models import Coupon, CouponRedemption, Order, OrderLineAllocation, Stock
from commerce.services import checkout as checkouts
from commerce.services.checkout import CheckoutError
from tests.concurrency import run_at_once
from tests.factories.catalog import make_product
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


def checkouts_for(product, buyers, methods, quantity=1, coupon_code=""):
    delivery, payment = methods
    tokens = []
    for n in range(buyers):
        cart = make_cart(
            [(product, quantity)], coupon_code=coupon_code, delivery=delivery, payment=payment
        )
        tokens.append(ready_checkout(cart, email=f"buyer{n}@example.com").token)
    return tokens


def place(token):
    return lambda: checkouts.place_order(token, payment_data=GOOD_CARD).order.pk


def test_fifty_buyers_race_for_the_last_five_units(methods):
    product = make_product("Last five", stock={"a": 3, "b": 2})
    tokens = checkouts_for(product, 50, methods)

    results = race([place(token) for token in tokens])

    outcomes = [kind for kind, _ in results]
    assert outcomes.count("crashed") == 0, [r for r in results if r[0] == "crashed"]
    assert outcomes.count("ok") == 5
    assert outcomes.count("refused") == 45
    assert Order.objects.count() == 5
    assert sum(Stock.objects.filter(product=product).values_list("quantity", flat=True)) == 0
    assert sum(OrderLineAllocation.objects.values_list("quantity", flat=True)) == 5


def test_a_coupon_limited_to_three_uses_raced_by_twenty_carts(methods):
    product = make_product(stock=100, price=Decimal("10.00"))
    make_coupon("THREE", usage_limit=3)
    tokens = checkouts_for(product, 20, methods, coupon_code="THREE")

    results = race([place(token) for token in tokens])

    assert [kind for kind, _ in results].count("crashed") == 0
    assert Order.objects.filter(coupon_code="THREE", discount=Decimal("1.00")).count() == 3
    assert Order.objects.count() == 3
    assert Coupon.objects.get().times_used == 3
    assert CouponRedemption.objects.count() == 3
    refusals = {message for kind, message in results if kind == "refused"}
    assert refusals == {
        "The coupon THREE has been used up. Remove the coupon from your cart to continue."
    }
    assert sum(Stock.objects.filter(product=product).values_list("quantity", flat=True)) == 97


def test_the_same_checkout_submitted_ten_times_at_once_makes_one_order(methods):
    product = make_product(stock=10)
    (token,) = checkouts_for(product, 1, methods, quantity=2)

    results = race([place(token) for _ in range(10)])

    assert {kind for kind, _ in results} == {"ok"}
    assert len({order_id for _, order_id in results}) == 1
    assert Order.objects.count() == 1
    assert Stock.objects.get(product=product).quantity == 8


def test_a_failure_after_the_stock_update_leaves_no_trace(methods, monkeypatch):
    product = make_product(stock=4)
    (token,) = checkouts_for(product, 1, methods, quantity=3)

    def explode(*args, **kwargs):
        raise RuntimeError("injected after the stock update")

    monkeypatch.setattr(checkouts, "_authorize_payment", explode)
    with pytest.raises(RuntimeError):
        checkouts.place_order(token, payment_data=GOOD_CARD)
    assert not Order.objects.exists()
    assert Stock.objects.get(product=product).quantity == 4
    assert not OrderLineAllocation.objects.exists()


def test_buyers_of_overlapping_carts_never_deadlock(methods):
    """Carts holding the same products in opposite orders lock stock in one order."""
    first = make_product("First", stock=100)
    second = make_product("Second", stock=100)
    delivery, payment = methods
    tokens = []
    for n in range(16):
        items = [(first, 1), (second, 1)] if n % 2 else [(second, 1), (first, 1)]
        cart = make_cart(items, delivery=delivery, payment=payment)
        tokens.append(ready_checkout(cart, email=f"b{n}@example.com").token)

    results = race([place(token) for token in tokens])

    assert {kind for kind, _ in results} == {"ok"}, results
    assert Stock.objects.get(product=first).quantity == 84
    assert Stock.objects.get(product=second).quantity == 84
