"""Webhook events: each is recorded once, in the transaction of its change, with its payload,
and sent only after that change commits (commerce/integrations/services/webhooks.py)."""

import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from commerce.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
)
from commerce.integrations.services import webhooks
from commerce.models import Order, OrderStatus, ProductVariant, Stock
from commerce.services import checkout as checkouts
from commerce.services.checkout import CheckoutError
from commerce.services.inventory import set_stock_levels
from commerce.services.orders import change_status, refund_order
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.commerce.integrations.webhook_support import run_queue_until_idle, subscribe
from tests.factories.catalog import (
    make_product,
    make_warehouse,
    only_variant,
    product_form_data,
    variant_form_data,
)
from tests.factories.checkout import (
    DECLINED_CARD,
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.task_queue import DATABASE_QUEUE, keep_test_connection

pytestmark = pytest.mark.django_db
D = Decimal
ALL_EVENTS = list(WebhookEvent.values)


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.STOREFRONT_WEBHOOK_ALLOW_HTTP = True
    settings.STOREFRONT_WEBHOOK_RETRY_BACKOFF_SECONDS = 0


@pytest.fixture
def database_queue(monkeypatch):
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


@pytest.fixture
def hook(receiver):
    subscription = subscribe(receiver.url, ALL_EVENTS, stock_threshold=3)
    receiver.secret = subscription.secret
    return subscription


@pytest.fixture
def methods():
    return make_delivery_method(price="15.00"), make_payment_method()


def place(product, quantity, methods, card=GOOD_CARD):
    delivery, payment = methods
    cart = make_cart([(product, quantity)], delivery=delivery, payment=payment)
    return checkouts.place_order(ready_checkout(cart).token, payment_data=card).order


def deliveries(event=None):
    queryset = WebhookDelivery.objects.order_by("id")
    return list(queryset.filter(event=event) if event else queryset)


def api_order(client, order):
    _, key = make_key("reader", scopes=["read_orders"])
    response = client.get(f"{BASE}/orders/{order.token}/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200
    return response.json()


# --- order.created and order.status_changed ---------------------------------------------------


def test_a_placed_order_is_sent_once_in_the_erp_order_shape_after_the_commit(
    client, hook, receiver, methods, django_capture_on_commit_callbacks
):
    lamp = make_product("Lamp", sku="LAMP-1", price=D("40.00"), stock=10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = place(lamp, 2, methods)
    # Recorded with the order, not sent yet: the commit has not happened.
    [created] = deliveries(WebhookEvent.ORDER_CREATED)
    assert created.status == DeliveryStatus.PENDING and receiver.received == []
    assert len(callbacks) >= 1

    for callback in callbacks:
        callback()  # the commit: the task runs (immediate backend in tests)
    [request] = receiver.received
    assert request.signature_ok
    assert request.headers["X-Storefront-Event"] == "order.created"
    assert request.headers["X-Storefront-Delivery"] == str(created.event_id)
    body = request.json
    assert body["id"] == str(created.event_id) and body["event"] == "order.created"
    assert body["data"]["order"] == api_order(client, order)  # GET /orders/{token}/, exactly
    assert body["data"]["order"]["total_gross"] == "95.00"  # money as a decimal string
    created.refresh_from_db()
    assert created.status == DeliveryStatus.SUCCEEDED and created.attempts == 1


def test_a_rolled_back_placement_records_and_sends_nothing(hook, receiver, methods, database_queue):
    lamp = make_product("Lamp", price=D("40.00"), stock=3)
    before = (len(deliveries()), DBTaskResult.objects.count())  # its product.changed
    with pytest.raises(CheckoutError):
        place(lamp, 2, methods, card=DECLINED_CARD)  # the order row was written, then undone
    assert not Order.objects.exists()
    assert (len(deliveries()), DBTaskResult.objects.count()) == before
    run_queue_until_idle()
    assert [r.json["event"] for r in receiver.received] == ["product.changed"]


def test_a_rolled_back_outer_transaction_takes_its_event_and_task_with_it(
    hook, receiver, methods, database_queue
):
    lamp = make_product("Lamp", price=D("40.00"), stock=3)
    before = (len(deliveries()), DBTaskResult.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        place(lamp, 1, methods)  # order.created and stock 3 → 2
        assert len(deliveries()) == before[0] + 2
        assert DBTaskResult.objects.count() > before[1]  # the outbox rows, in it too
        raise RuntimeError("the caller's transaction fails after the order")
    assert (len(deliveries()), DBTaskResult.objects.count()) == before


def test_each_status_change_is_one_event_with_from_and_to(
    client, hook, receiver, methods, database_queue
):
    lamp = make_product("Lamp", price=D("40.00"), stock=10)
    order = place(lamp, 1, methods)  # card: paid at placement
    change_status(order, OrderStatus.FULFILLED)
    run_queue_until_idle()
    changes = [r.json for r in receiver.received if r.json["event"] == "order.status_changed"]
    assert [(c["data"]["from_status"], c["data"]["to_status"]) for c in changes] == [
        ("paid", "fulfilled")
    ]
    assert changes[0]["data"]["order"]["status"] == "fulfilled"
    assert changes[0]["data"]["order"] == api_order(client, order)
    assert all(r.signature_ok for r in receiver.received)


def test_a_refused_status_change_sends_nothing(hook, methods, database_queue):
    lamp = make_product("Lamp", price=D("40.00"), stock=10)
    order = place(lamp, 1, methods)
    with pytest.raises(Exception, match="not"):
        change_status(order, OrderStatus.COMPLETED)  # paid → completed is not allowed
    assert deliveries(WebhookEvent.ORDER_STATUS_CHANGED) == []


def test_only_subscribed_active_webhooks_get_an_event(receiver, methods, database_queue):
    wants = subscribe(receiver.url, [WebhookEvent.ORDER_CREATED], name="orders")
    subscribe(receiver.url, [WebhookEvent.PRODUCT_CHANGED], name="catalog only")
    subscribe(receiver.url, [WebhookEvent.ORDER_CREATED], name="off", is_active=False)
    lamp = make_product("Lamp", price=D("40.00"), stock=10)
    place(lamp, 1, methods)
    assert [d.subscription for d in deliveries(WebhookEvent.ORDER_CREATED)] == [wants]


# --- stock.below_threshold ---------------------------------------------------------------------


def test_stock_fires_on_crossing_below_the_threshold_not_on_every_change_below(
    hook, methods, database_queue
):
    lamp = make_product("Lamp", sku="LAMP-1", price=D("40.00"), stock=5)  # threshold 3
    variant = only_variant(lamp)
    place(lamp, 1, methods)  # 5 → 4: still at or above 3
    assert deliveries(WebhookEvent.STOCK_BELOW_THRESHOLD) == []
    place(lamp, 2, methods)  # 4 → 2: crossed
    [crossing] = deliveries(WebhookEvent.STOCK_BELOW_THRESHOLD)
    assert crossing.payload["data"] == {
        "variant_id": variant.pk,
        "product_id": lamp.pk,
        "sku": "LAMP-1",
        "units_before": 4,
        "units": 2,
        "threshold": 3,
    }
    place(lamp, 1, methods)  # 2 → 1: below already, no new event
    warehouse = make_warehouse("main")
    set_stock_levels({variant.pk: {warehouse.pk: 0}})  # 1 → 0: still below
    assert len(deliveries(WebhookEvent.STOCK_BELOW_THRESHOLD)) == 1

    set_stock_levels({variant.pk: {warehouse.pk: 10}})  # back above: nothing
    set_stock_levels({variant.pk: {warehouse.pk: 3}})  # exactly the threshold: not below
    assert len(deliveries(WebhookEvent.STOCK_BELOW_THRESHOLD)) == 1
    set_stock_levels({variant.pk: {warehouse.pk: 2}})  # crossed again: a second event
    second = deliveries(WebhookEvent.STOCK_BELOW_THRESHOLD)[1]
    assert (second.payload["data"]["units_before"], second.payload["data"]["units"]) == (3, 2)


def test_each_webhook_has_its_own_threshold(receiver, database_queue):
    low = subscribe(receiver.url, [WebhookEvent.STOCK_BELOW_THRESHOLD], stock_threshold=1)
    high = subscribe(receiver.url, [WebhookEvent.STOCK_BELOW_THRESHOLD], stock_threshold=10)
    lamp = make_product("Lamp", stock=12)
    variant, warehouse = only_variant(lamp), make_warehouse("main")
    set_stock_levels({variant.pk: {warehouse.pk: 5}})
    assert [d.subscription for d in deliveries()] == [high]
    set_stock_levels({variant.pk: {warehouse.pk: 0}})
    assert [d.subscription for d in deliveries()] == [high, low]


def test_a_refund_returning_stock_fires_no_stock_event(hook, methods, database_queue):
    lamp = make_product("Lamp", price=D("40.00"), stock=3)
    order = place(lamp, 1, methods)  # 3 → 2: below 3, one event
    assert len(deliveries(WebhookEvent.STOCK_BELOW_THRESHOLD)) == 1
    refund_order(order)  # paid, not shipped: 2 → 3
    assert Stock.objects.get(variant__product=lamp).quantity == 3
    assert len(deliveries(WebhookEvent.STOCK_BELOW_THRESHOLD)) == 1


# --- product.changed ---------------------------------------------------------------------------


def product_events():
    return deliveries(WebhookEvent.PRODUCT_CHANGED)


def test_an_admin_publish_sends_the_product_once_and_a_publish_of_nothing_new_sends_nothing(
    admin_client, client, hook, homepage, database_queue
):
    from django.urls import reverse

    lamp = make_product("Lamp", sku="LAMP-1", price=D("10.00"), stock=4)
    assert len(product_events()) == 1  # its first publication
    edit_url = reverse("wagtailsnippets_commerce_product:edit", args=[lamp.pk])

    variants = [variant_form_data(only_variant(lamp), price="12.00")]
    data = product_form_data(lamp, variants=variants, **{"action-publish": "1"})
    assert admin_client.post(edit_url, data).status_code == 302
    events = product_events()
    assert len(events) == 2
    product = events[-1].payload["data"]["product"]
    assert product["default_price"] == "12.00" and product["sku"] == "LAMP-1"
    listed = client.get(f"{BASE}/products/{lamp.pk}/", {"api_key": make_key()[1]}).json()
    assert product == listed  # GET /products/{id}/

    lamp.refresh_from_db()
    again = product_form_data(
        lamp,
        variants=[variant_form_data(only_variant(lamp))],
        **{"action-publish": "1"},
    )
    assert admin_client.post(edit_url, again).status_code == 302  # published, nothing changed
    assert len(product_events()) == 2


def test_a_stock_change_alone_does_not_make_a_product_event(hook, database_queue):
    lamp = make_product("Lamp", stock=4)
    variant = only_variant(lamp)
    set_stock_levels({variant.pk: {make_warehouse("main").pk: 9}})
    lamp.save_revision().publish()  # published again; only its stock differs
    assert len(product_events()) == 1


def test_unpublishing_sends_the_product_as_unlisted(hook, database_queue):
    from wagtail.actions.unpublish import UnpublishAction

    lamp = make_product("Lamp", stock=4)
    UnpublishAction(lamp).execute(skip_permission_checks=True)
    last = product_events()[-1].payload["data"]
    assert last == {"product_id": lamp.pk, "product": None}


def test_a_deleted_product_is_sent_as_unlisted_once(hook, database_queue):
    lamp = make_product("Lamp", stock=4)
    never_told = make_product("Draft lamp", publish=False)
    assert len(product_events()) == 1
    lamp_id = lamp.pk
    lamp.delete()
    never_told.delete()
    [_, deleted] = product_events()
    assert deleted.payload["data"] == {"product_id": lamp_id, "product": None}


def test_the_erp_api_fires_one_event_per_changed_product_and_none_for_a_resend(
    client, hook, database_queue
):
    writer = make_key("ERP writer", scopes=["write_catalog"])[1]
    items = [
        {"sku": "MUG-1", "name": "Mug", "default_price": "12.30", "vat": "8"},
        {"sku": "CUP-1", "name": "Cup", "default_price": "5.00", "vat": "8"},
    ]

    def send(body):
        response = client.post(
            f"{BASE}/products/",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {writer}",
        )
        assert response.status_code == 200, response.content
        return response.json()["counts"]

    assert send(items)["created"] == 2
    assert sorted(e.payload["data"]["product"]["sku"] for e in product_events()) == [
        "CUP-1",
        "MUG-1",
    ]
    assert send(items)["unchanged"] == 2
    assert len(product_events()) == 2
    items[0]["default_price"] = "13.00"
    assert send(items)["updated"] == 1
    assert len(product_events()) == 3
    assert product_events()[-1].payload["data"]["product"]["default_price"] == "13.00"


def test_import_catalog_fires_once_per_changed_product(tmp_path, hook, database_queue):
    from django.core.management import call_command

    path = tmp_path / "catalog.json"
    path.write_text(json.dumps([{"sku": "TEA-1", "name": "Tea", "default_price": "4.00"}]))
    call_command("import_catalog", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(product_events()) == 1
    call_command("import_catalog", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(product_events()) == 1  # unchanged: no write, no event
    assert ProductVariant.objects.get(sku="TEA-1").price == D("4.00")


# --- Cost ------------------------------------------------------------------------------------


def test_without_subscribers_an_event_costs_one_query_and_a_stock_rise_none(methods):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lamp = make_product("Lamp", price=D("40.00"), stock=10)
    order = place(lamp, 1, methods)
    with CaptureQueriesContext(connection) as queries:
        assert webhooks.order_created(order) == []
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert webhooks.stock_changed(before={1: 2}, after={1: 5}) == []
    assert len(queries) == 0
