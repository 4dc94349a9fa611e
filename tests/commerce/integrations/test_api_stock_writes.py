"""An ERP sends stock locations and stock levels: AMPER's SendStockLocationsAsync and
SendStocksAsync as POST /external/v1/stock-locations/ and /stocks/ (scope write_stock).

Each item gets its own result; a bad item never blocks a good one; a resend changes
nothing. A push counted before shop orders were placed takes their units off."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.models import OrderStatus, Stock, Warehouse
from commerce.services import checkout as checkouts
from commerce.services import orders as workflow
from commerce.services.catalog_version import catalog_version
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.factories.catalog import make_product, make_warehouse
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocker():
    return make_key("ERP stock", scopes=["write_stock"])[1]


def send(client, path, key, body, **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return client.post(
        f"{BASE}{path}" + (f"?{query}" if query else ""),
        body if isinstance(body, str | bytes) else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )


def items(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def units(sku, code="main"):
    return Stock.objects.get(variant__sku=sku, warehouse__code=code).quantity


# --- Stock locations ------------------------------------------------------------------------


def test_locations_are_created_renamed_and_a_resend_changes_nothing(client, stocker):
    make_warehouse("main")
    body = [{"external_id": "MAG-01", "name": "Poznań"}, {"external_id": "mag_2", "name": "Łódź"}]
    response = send(client, "/stock-locations/", stocker, body)
    assert [item["status"] for item in items(response)] == ["created", "created"]
    assert response.json()["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "error": 0}
    poznan = Warehouse.objects.get(code="MAG-01")
    assert poznan.name == "Poznań" and poznan.is_active
    # Supplies orders after the warehouses staff set up.
    assert poznan.sort_order > Warehouse.objects.get(code="main").sort_order

    again = items(send(client, "/stock-locations/", stocker, body))
    assert [item["status"] for item in again] == ["unchanged", "unchanged"]
    renamed = items(
        send(client, "/stock-locations/", stocker, [{"external_id": "MAG-01", "name": "Poznań 2"}])
    )
    assert (renamed[0]["status"], renamed[0]["changed"]) == ("updated", ["name"])
    assert Warehouse.objects.get(code="MAG-01").name == "Poznań 2"


def test_bad_locations_get_messages_and_the_good_ones_are_saved(client, stocker):
    make_warehouse("main", name="Main")
    body = [
        {"external_id": "a b", "name": "Spaces"},  # not a code
        {"external_id": "north", "name": "Main"},  # another warehouse's name
        {"external_id": "ok", "name": "Fine"},
        {"external_id": "ok", "name": "Twice"},
        {"external_id": "nul", "name": "bad\x00name"},
        {"external_id": "long", "name": "x" * 10_000},
        {"external_id": 5, "name": ["not", "text"]},
        "not an object",
        {"name": "No id"},
    ]
    result = items(send(client, "/stock-locations/", stocker, body))
    assert [item["status"] for item in result] == [
        "error",
        "error",
        "created",
        "error",
        "error",
        "error",
        "error",
        "error",
        "error",
    ]
    assert "external_id" in result[0]["errors"]
    assert "already exists" in result[1]["errors"]["name"][0]
    assert "also item 2" in result[3]["errors"]["external_id"][0]
    assert "control characters" in result[4]["errors"]["name"][0]
    assert "at most 100" in result[5]["errors"]["name"][0]
    assert set(result[6]["errors"]) == {"external_id", "name"}
    assert "JSON object" in result[7]["errors"]["__all__"][0]
    assert "external_id" in result[8]["errors"]
    assert set(Warehouse.objects.values_list("code", flat=True)) == {"main", "ok"}


@pytest.mark.parametrize(
    "body, message",
    [
        ("{not json", "JSON array"),
        ({"external_id": "x"}, "JSON array"),
        ("", "JSON array"),
        ([{"external_id": f"w{n}", "name": f"W{n}"} for n in range(201)], "at most 200"),
    ],
)
def test_a_body_that_is_no_list_of_items_is_400(client, stocker, body, message):
    response = send(client, "/stock-locations/", stocker, body)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Warehouse.objects.exists()


def test_writing_stock_needs_the_write_stock_scope(client):
    _, reader = make_key("Catalog reader", scopes=["read_catalog"])
    body = [{"external_id": "main", "name": "Main"}]
    refused = send(client, "/stock-locations/", reader, body)
    assert refused.status_code == 403 and "write_stock" in refused.json()["detail"]
    assert send(client, "/stocks/", reader, []).status_code == 403
    assert client.post(f"{BASE}/stocks/", "[]", content_type="application/json").status_code == 401
    assert not Warehouse.objects.exists()


def test_stock_writes_are_limited_per_key(client, stocker, settings):
    settings.STOREFRONT_RATE_LIMITS = {**settings.STOREFRONT_RATE_LIMITS, "api_writes_key": "2/m"}
    for _ in range(2):
        assert send(client, "/stocks/", stocker, []).status_code == 200
    limited = send(client, "/stock-locations/", stocker, [])
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60


# --- Stock levels ---------------------------------------------------------------------------


@pytest.fixture
def mug():
    make_warehouse("north")
    return make_product("Mug", sku="MUG-1", stock={"main": 5})


def stock_row(sku, quantity, code="main", **extra):
    return {"product_external_id": sku, "stock_level_external_id": code, "quantity": quantity} | (
        extra
    )


def test_a_push_sets_quantity_less_allocated_and_a_resend_changes_nothing(client, stocker, mug):
    body = [
        stock_row("MUG-1", 12, external_id="S-1"),
        stock_row("MUG-1", "7.00", "north", quantity_allocated=2),
    ]
    result = items(send(client, "/stocks/", stocker, body))
    assert [(item["external_id"], item["status"]) for item in result] == [
        ("S-1", "updated"),
        ("", "created"),
    ]
    assert result[0]["changed"] == ["quantity"]
    assert (units("MUG-1"), units("MUG-1", "north")) == (12, 5)

    version = catalog_version()
    again = items(send(client, "/stocks/", stocker, body))
    assert [item["status"] for item in again] == ["unchanged", "unchanged"]
    assert catalog_version() == version


def test_more_allocated_than_held_sets_zero(client, stocker, mug):
    result = items(send(client, "/stocks/", stocker, [stock_row("MUG-1", 3, quantity_allocated=8)]))
    assert result[0]["status"] == "updated" and units("MUG-1") == 0


def test_selling_out_and_coming_back_are_new_catalog_versions(client, stocker, mug):
    before = catalog_version()
    send(client, "/stocks/", stocker, [stock_row("MUG-1", 0)])
    sold_out = catalog_version()
    assert sold_out != before
    send(client, "/stocks/", stocker, [stock_row("MUG-1", 1)])
    assert catalog_version() != sold_out


def test_bad_stock_items_get_messages_and_the_good_ones_are_written(client, stocker, mug):
    body = [
        stock_row("NOPE", 1),
        stock_row("MUG-1", 1, "nowhere"),
        stock_row("MUG-1", -1),
        stock_row("MUG-1", 1.5),
        stock_row("MUG-1", 10**12),
        stock_row("MUG-1", "NaN"),
        stock_row("MUG-1", "٣"),  # an Arabic-Indic three
        stock_row("MUG-1\x00", 1),
        stock_row("MUG-1", True),
        stock_row("MUG-1", 9),
        stock_row("MUG-1", 8),
    ]
    result = items(send(client, "/stocks/", stocker, body))
    statuses = [item["status"] for item in result]
    assert statuses == ["error"] * 9 + ["updated", "error"]
    assert "No variant has this SKU" in result[0]["errors"]["product_external_id"][0]
    assert "No stock location" in result[1]["errors"]["stock_level_external_id"][0]
    for bad in result[2:9]:
        assert bad["errors"], bad
    assert "also item 9" in result[10]["errors"]["__all__"][0]
    assert units("MUG-1") == 9


def test_a_bad_counted_at_is_400(client, stocker, mug):
    response = send(client, "/stocks/", stocker, [stock_row("MUG-1", 1)], counted_at="yesterday")
    assert response.status_code == 400 and "counted_at" in response.json()["detail"]
    assert units("MUG-1") == 5


# --- Orders placed after the ERP counted ------------------------------------------------------


def buyer(variant):
    delivery = make_delivery_method()
    card, on_delivery = make_payment_method(), make_payment_method("cash_on_delivery")

    def buy(quantity, payment=card):
        cart = make_cart([(variant, quantity)], delivery=delivery, payment=payment)
        return checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order

    return buy, on_delivery


def test_units_of_orders_placed_after_the_count_are_taken_off(client, stocker, mug):
    buy, on_delivery = buyer(mug.variants.get())
    first = buy(1)  # in the ERP's count: its units have already gone there
    counted = timezone.now()
    buy(2)
    # These two gave their units back: not taken off.
    workflow.change_status(buy(1, on_delivery), OrderStatus.CANCELLED)
    workflow.change_status(buy(1), OrderStatus.REFUNDED)
    assert units("MUG-1") == 5 - 1 - 2

    stamp = counted.isoformat().replace("+00:00", "Z")
    result = items(send(client, "/stocks/", stocker, [stock_row("MUG-1", 10)], counted_at=stamp))
    # 10 counted, less the 2 units of the order placed since that still holds them.
    assert units("MUG-1") == 8
    assert result[0]["status"] == "updated"
    assert "2 unit(s) of orders placed after counted_at" in result[0]["note"]
    # Counted after every order: nothing to take off.
    send(client, "/stocks/", stocker, [stock_row("MUG-1", 10)])
    assert units("MUG-1") == 10
    # A count from before every order takes off each that still holds stock.
    early = (first.created_at - timedelta(seconds=1)).isoformat().replace("+", "%2B")
    send(client, "/stocks/", stocker, [stock_row("MUG-1", 10)], counted_at=early)
    assert units("MUG-1") == 10 - 1 - 2
