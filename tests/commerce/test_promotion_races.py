"""Promotions under concurrent placement, on PostgreSQL: real threads, connections and
row locks (tests/concurrency.py), as test_checkout_concurrency.py races bought stock.

A gift's stock rows are locked with the bought lines' in one `lock_stock` call, so
shoppers racing for the last gifts queue on them; a shopper who was shown a gift
that ran out meanwhile is refused with `TotalChanged` ("Gift removed: … (out of
stock)") and sees the cart without it, never an order silently without it.
"""

from decimal import Decimal

import pytest
from django.db import connection

from commerce.models import Order, OrderLine, Promotion, Stock
from commerce.services import cart as carts
from commerce.services import checkout as checkouts
from commerce.services.checkout import TotalChanged
from tests.concurrency import run_at_once
from tests.factories.catalog import make_product
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.factories.promotions import (
    condition,
    end_now,
    make_gift_promotion,
    make_promotion,
    reward,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
D = Decimal


def units(product) -> int:
    return sum(Stock.objects.filter(variant__product=product).values_list("quantity", flat=True))


def shown_checkouts(carts_items):
    """Carts (one list of items each) as their shoppers last saw them (prices and gifts
    acknowledged), with checkouts ready to place."""
    delivery, payment = make_delivery_method(price="0.00"), make_payment_method()
    tokens = []
    for n, items in enumerate(carts_items):
        cart = make_cart(items, delivery=delivery, payment=payment)
        carts.acknowledge_changes(carts.summarize(cart))
        tokens.append(ready_checkout(cart, email=f"buyer{n}@example.com").token)
    return tokens


def place(token):
    return lambda: checkouts.place_order(token, payment_data=GOOD_CARD).order.pk


def test_twenty_carts_race_for_the_last_three_gifts():
    """Each cart was shown the gift; three orders get it, the others are refused with a
    message saying it ran out, and the gift's stock ends at 0, never below.

    Each cart buys a mug of its own, so nothing but the gift's stock rows makes the
    placements queue: without locking them, they would all read 3 left."""
    mugs = [make_product(f"Mug {n}", price=D("10.00"), stock=10) for n in range(20)]
    tote = make_product("Tote bag", price=D("8.00"), stock={"a": 2, "b": 1})
    make_gift_promotion(tote, threshold="100.00", products=mugs)
    tokens = shown_checkouts([[(mug, 10)] for mug in mugs])
    assert OrderLine.objects.count() == 0
    assert units(tote) == 3

    results = run_at_once([place(token) for token in tokens], refused=(TotalChanged,))

    outcomes = [kind for kind, _ in results]
    assert outcomes.count("crashed") == 0, [r for r in results if r[0] == "crashed"]
    assert outcomes.count("ok") == 3
    assert {message for kind, message in results if kind == "refused"} == {
        "Gift removed: Tote bag (out of stock). Please review your order."
    }
    assert Order.objects.count() == 3
    assert OrderLine.objects.filter(is_gift=True, unit_price=0).count() == 3
    assert units(tote) == 0
    assert not Stock.objects.filter(quantity__lt=0).exists()
    assert sorted(units(mug) for mug in mugs) == [0] * 3 + [10] * 17


@pytest.mark.parametrize("ending", ["end", "unpublish"])
def test_a_promotion_ending_while_carts_are_placed(ending):
    """Every order either has the promoted price (placed before the end) or was refused
    as a changed total; none is placed at a price its shopper was not shown."""
    mug = make_product("Mug", price=D("10.00"), stock=1000)
    promotion = make_promotion(
        "Bulk mugs",
        [condition([reward(mug, "fixed_price", given_price="5.00")], threshold_min=10)],
    )
    tokens = shown_checkouts([[(mug, 10)]] * 12)

    def end():
        if ending == "end":
            end_now(promotion)
        else:
            Promotion.objects.get(pk=promotion.pk).unpublish()

    calls = [place(token) for token in tokens[:6]] + [end] + [place(t) for t in tokens[6:]]
    results = run_at_once(calls, refused=(TotalChanged,))

    assert [kind for kind, _ in results].count("crashed") == 0, results
    placements = results[:6] + results[7:]
    refusals = {message for kind, message in placements if kind == "refused"}
    assert refusals <= {
        "Promotion ended: Bulk mugs no longer applies to Mug; the price changed from 5.00 "
        "to 10.00. Please review your order."
    }
    lines = OrderLine.objects.all()
    assert lines.count() == [kind for kind, _ in placements].count("ok")
    assert {(line.unit_price, line.promotion_id) for line in lines} <= {(D("5.00"), promotion.pk)}
    assert units(mug) == 1000 - 10 * lines.count()
    assert not Promotion.objects.running().exists()
