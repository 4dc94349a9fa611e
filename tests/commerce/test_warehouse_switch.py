"""Switching a warehouse off or on in the admin changes which units shoppers can buy, as a
stock write does (inventory.saving_warehouse): the catalog version, back-in-stock alerts
and the stock webhook follow, and a rename changes no stock and tells nobody."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.integrations.models import WebhookDelivery, WebhookEvent
from commerce.models import Stock, StockSubscription, Warehouse
from commerce.services import stock_alerts
from commerce.services.catalog_version import catalog_version
from commerce.services.inventory import set_stock_levels
from tests.commerce.integrations.webhook_support import subscribe
from tests.factories.catalog import make_product, make_warehouse, only_variant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]


@pytest.fixture
def north(shop):
    return make_warehouse("north", name="North", sort_order=2)


@pytest.fixture
def lamp(shop, north):
    """2 units in the main warehouse and 6 in North: 8 for sale."""
    lamp = make_product("Lamp", sku="LAMP-1", stock=2)
    set_stock_levels({only_variant(lamp).pk: {north.pk: 6}})
    return only_variant(lamp)


@pytest.fixture
def pan(shop, north):
    """Only in North: 3 units."""
    pan = make_product("Pan", sku="PAN-1", stock=0)
    set_stock_levels({only_variant(pan).pk: {north.pk: 3}})
    return only_variant(pan)


def units_for_sale(variant):
    return Stock.objects.filter(variant=variant).in_active_warehouses().units()


def edit(admin_client, warehouse, **changes):
    data = {
        "name": warehouse.name,
        "code": warehouse.code,
        "sort_order": warehouse.sort_order,
        **({"is_active": "on"} if warehouse.is_active else {}),
    }
    for field, value in changes.items():
        if field == "is_active":
            data.pop("is_active", None)
            if value:
                data["is_active"] = "on"
        else:
            data[field] = value
    url = reverse(Warehouse.snippet_viewset.get_url_name("edit"), args=[warehouse.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    return Warehouse.objects.get(pk=warehouse.pk)


def stock_events():
    return [
        delivery.payload["data"]
        for delivery in WebhookDelivery.objects.filter(
            event=WebhookEvent.STOCK_BELOW_THRESHOLD
        ).order_by("id")
    ]


def test_switching_a_warehouse_off_takes_its_units_off_sale_and_tells_the_webhooks(
    admin_client, north, lamp, pan, django_capture_on_commit_callbacks
):
    subscribe("https://erp.example.com/hooks", [WebhookEvent.STOCK_BELOW_THRESHOLD])  # below 5
    version = catalog_version()

    with django_capture_on_commit_callbacks():
        north = edit(admin_client, north, is_active=False)

    assert not north.is_active
    assert (units_for_sale(lamp), units_for_sale(pan)) == (2, 0)
    assert catalog_version() > version  # the pan sold out: cached pages show it
    # The lamp crossed below 5; the pan was below it already (3 → 0).
    assert [(e["sku"], e["units_before"], e["units"]) for e in stock_events()] == [("LAMP-1", 8, 2)]


def test_switching_it_on_again_e_mails_the_shoppers_waiting_for_its_stock(
    admin_client, north, lamp, pan, django_capture_on_commit_callbacks
):
    north = edit(admin_client, north, is_active=False)
    stock_alerts.subscribe(variant_id=pan.pk, email="ada@example.com")
    mail.outbox.clear()
    version = catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        north = edit(admin_client, north, is_active=True)

    assert north.is_active and units_for_sale(pan) == 3
    assert catalog_version() > version
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert "Pan" in mail.outbox[0].subject + mail.outbox[0].body
    assert StockSubscription.objects.get().notified_at is not None


def test_a_rename_changes_no_stock_and_tells_nobody(
    admin_client, north, lamp, pan, django_capture_on_commit_callbacks
):
    north = edit(admin_client, north, is_active=False)
    subscribe("https://erp.example.com/hooks", [WebhookEvent.STOCK_BELOW_THRESHOLD])
    stock_alerts.subscribe(variant_id=pan.pk, email="ada@example.com")
    version = catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        north = edit(admin_client, north, name="North hall")  # still off

    assert north.name == "North hall" and units_for_sale(lamp) == 2
    assert catalog_version() == version + 1  # a warehouse's save, as before
    assert stock_events() == [] and mail.outbox == []


def test_switching_off_a_warehouse_that_holds_nothing_is_a_plain_save(admin_client, shop):
    empty = make_warehouse("empty")
    version = catalog_version()
    assert not edit(admin_client, empty, is_active=False).is_active
    assert catalog_version() == version + 1


def test_the_switch_takes_its_locks_in_the_documented_order(
    admin_client, north, lamp, pan, django_capture_on_commit_callbacks
):
    """services.locks: the variants' stock rows (6), then the warehouse, then, after the
    webhook deliveries are written, the catalog version (7). Placement takes the stock
    first as well; the race itself is in test_lock_order."""
    subscribe("https://erp.example.com/hooks", [WebhookEvent.STOCK_BELOW_THRESHOLD])
    with CaptureQueriesContext(connection) as queries:
        edit(admin_client, north, is_active=False)
    statements = [query["sql"] for query in queries.captured_queries]

    def first(*words):
        return next(i for i, sql in enumerate(statements) if all(w in sql for w in words))

    stock = first('FROM "commerce_stock"', "FOR UPDATE")
    warehouse = first('FROM "commerce_warehouse"', "FOR UPDATE")
    delivery = first('INSERT INTO "integrations_webhookdelivery"')
    version = first('UPDATE "commerce_catalogversion"')
    assert stock < warehouse < delivery < version
