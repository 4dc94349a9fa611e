"""ERP stock pushes racing with fifty buyers, on PostgreSQL: real threads, connections and
row locks, the pushes through the API as an ERP sends them.

The ERP counted 30 units before any of these orders was placed. Whatever the
interleaving, every push leaves 30 less what the orders took, so the shop never sells
more than 30 (no oversell) and no push hands back a unit someone bought (no lost sale).
"""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.models import Order, OrderLineAllocation, Stock
from commerce.services import checkout as checkouts
from commerce.services.checkout import CheckoutError
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.concurrency import run_at_once
from tests.factories.catalog import make_attribute, make_product
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

COUNTED = 30
BUYERS = 50
PUSHES = 8


def test_pushes_and_fifty_buyers_never_oversell_and_never_lose_a_sale():
    size, (a, b) = make_attribute("Size", ["A", "B"], varies_per_variant=True)
    price = Decimal("10.00")
    coat = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-A", "options": [a], "price": price, "stock": {"main": COUNTED}},
            {"sku": "COAT-B", "options": [b], "price": price, "stock": {"main": 5}},
        ],
    )
    size_a = coat.variants.get(sku="COAT-A")
    delivery, payment = make_delivery_method(price="0.00"), make_payment_method()
    tokens = [
        ready_checkout(
            make_cart([(size_a, 1)], delivery=delivery, payment=payment), email=f"b{n}@example.com"
        ).token
        for n in range(BUYERS)
    ]
    _, key = make_key("ERP", scopes=["write_stock"])
    counted_at = timezone.now().isoformat().replace("+00:00", "Z")
    # Size B rides along in every push: its row is locked with A's, as a real push does.
    body = json.dumps(
        [
            {"product_external_id": "COAT-A", "stock_level_external_id": "main", "quantity": 30},
            {"product_external_id": "COAT-B", "stock_level_external_id": "main", "quantity": 5},
        ]
    )

    def place(token):
        return lambda: checkouts.place_order(token, payment_data=GOOD_CARD).order.pk

    def push():
        response = Client().post(
            f"{BASE}/stocks/?counted_at={counted_at}",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
        )
        assert response.status_code == 200, response.content
        return [item["status"] for item in response.json()["items"]]

    calls = [place(token) for token in tokens]
    for n in range(PUSHES):  # spread among the buyers
        calls.insert(n * (BUYERS // PUSHES), push)
    results = run_at_once(calls, refused=(CheckoutError,))

    crashed = [outcome for kind, outcome in results if kind == "crashed"]
    assert not crashed, crashed
    pushed = [outcome for kind, outcome in results if kind == "ok" and isinstance(outcome, list)]
    assert len(pushed) == PUSHES and all("error" not in statuses for statuses in pushed)
    sold = Order.objects.count()
    left = Stock.objects.get(variant=size_a).quantity
    # Every push left 30 less what had been sold, and buyers took from that: exactly the
    # 30 counted were sold, none twice, and nothing sold was put back on the shelf.
    assert sold == COUNTED
    assert left == 0
    allocated = sum(OrderLineAllocation.objects.values_list("quantity", flat=True))
    assert allocated == COUNTED
    refusals = [outcome for kind, outcome in results if kind == "refused"]
    assert len(refusals) == BUYERS - COUNTED
    # A last push, counted before all of these orders, still leaves nothing to sell.
    assert push() == ["unchanged", "unchanged"]
    assert Stock.objects.get(variant=size_a).quantity == 0
    assert Stock.objects.get(variant__sku="COAT-B").quantity == 5
