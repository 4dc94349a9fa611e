"""Orders for the ERP: AMPER's GetListOfOrders, GetOrder and ChangeOrderStatus under
/external/v1/, with the key's read_orders and change_orders scopes."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.integrations.models import CustomerLink
from commerce.models import Order, OrderStatus, OrderStatusChange
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.factories.accounts import make_customer, make_order

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def reader():
    return make_key("ERP reader", scopes=["read_orders"])[1]


@pytest.fixture
def changer():
    return make_key("ERP", scopes=["read_orders", "change_orders"])[1]


def get(client, path, key, **params):
    return client.get(f"{BASE}{path}", params, HTTP_AUTHORIZATION=f"Api-Key {key}")


def post(client, path, key, body):
    return client.post(
        f"{BASE}{path}",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )


@pytest.fixture
def mugs_order():
    """Three mugs at 12.30 with 23% VAT (10.00 net each), delivery 9.99."""
    customer = make_customer(email="ada@example.com")
    CustomerLink.objects.create(user=customer, external_id="ERP-C-7")
    return make_order(
        customer,
        lines=[("Blue mug", "MUG-1-M", "12.30", 3, "Size M, Colour Blue")],
        customer_note="Ring twice",
        phone="+48 600 700 800",
    )


# --- Reading ------------------------------------------------------------------------------


def test_one_order_in_ampers_shape_with_net_amounts(client, reader, mugs_order):
    response = get(client, f"/orders/{mugs_order.token}/", reader)
    assert response.status_code == 200
    body = response.json()
    assert body["token"] == mugs_order.token and body["number"] == mugs_order.number
    assert (body["status"], body["paid"], body["payment_status"]) == ("new", False, "pending")
    assert body["user_email"] == "ada@example.com"
    assert body["customer_external_id"] == "ERP-C-7"
    assert (body["customer_note"], body["phone"]) == ("Ring twice", "+48 600 700 800")
    assert body["billing_address"] == mugs_order.billing_address_text
    assert body["shipping_address_fields"]["city"] == mugs_order.delivery_address["city"]
    # Gross as stored; net = gross less the VAT inside, to the cent.
    assert body["products_total_gross"] == "36.90" and body["products_total_net"] == "30.00"
    assert body["discount_amount"] == "0.00"
    assert body["shipping_price_gross"] == "9.99" and body["shipping_price_net"] == "8.12"
    assert body["total_gross"] == "46.89"
    assert body["vat_total"] == "8.77" and body["total_net"] == "38.12"
    [line] = body["lines"]
    assert line["product_external_id"] == line["product_sku"] == "MUG-1-M"
    assert (line["product_name"], line["quantity"], line["tax_rate"]) == ("Blue mug", 3, "23.00")
    assert line["unit_price_gross"] == "12.30" and line["unit_price_net"] == "10.00"
    assert line["attributes"] == ["Size M", "Colour Blue"]
    assert line["variant_name"] == "Size M, Colour Blue"
    assert line["is_gift"] is False


def test_net_amounts_round_half_up_like_checkout(client, reader):
    """0.99 at 8% holds 0.0733… of VAT: 0.9167 net, 0.92 to the cent."""
    order = make_order(lines=[("Stamp", "ST-1", "0.99", 1)], delivery_cost="0.00")
    order.lines.update(vat_rate=D("8"))
    body = get(client, f"/orders/{order.token}/", reader).json()
    assert body["lines"][0]["unit_price_net"] == "0.92"
    assert body["products_total_net"] == "0.92"


def test_a_guest_order_has_no_customer_external_id(client, reader):
    order = make_order(None)
    assert get(client, f"/orders/{order.token}/", reader).json()["customer_external_id"] is None


def test_the_list_by_status_and_change_time(client, reader, mugs_order):
    paid = make_order(status=OrderStatus.PAID)
    old = make_order()
    Order.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))

    everything = get(client, "/orders/", reader)
    assert everything.status_code == 200
    assert [o["token"] for o in everything.json()] == [mugs_order.token, paid.token, old.token]
    assert everything["X-Total-Count"] == "3"
    assert [o["token"] for o in get(client, "/orders/", reader, status="paid").json()] == [
        paid.token
    ]
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    recent = get(client, "/orders/", reader, updated_since=since).json()
    assert {o["token"] for o in recent} == {mugs_order.token, paid.token}


@pytest.mark.parametrize(
    "params",
    [{"status": "sent"}, {"status": "new\x01"}, {"updated_since": "yesterday"}, {"page": "0"}],
)
def test_bad_list_parameters_are_400(client, reader, params):
    response = get(client, "/orders/", reader, **params)
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("token", ["nope", "A" * 43, "A" * 400])
def test_an_unknown_token_is_404(client, reader, mugs_order, token):
    response = get(client, f"/orders/{token}/", reader)
    assert response.status_code == 404
    assert response.json() == {"detail": "No order has this token."}


@pytest.mark.parametrize("count", [2, 12])
def test_a_page_costs_the_same_queries_whatever_it_holds(
    client, reader, count, django_assert_max_num_queries
):
    for _ in range(count):
        make_order(lines=[("Mug", "M-1", "5.00", 1), ("Cup", "C-1", "3.00", 2)])
    get(client, "/orders/", reader)  # the key's first use records it (once a minute)
    # key, count, page, lines
    with django_assert_max_num_queries(4):
        assert len(get(client, "/orders/", reader).json()) == count


# --- Scopes -------------------------------------------------------------------------------


def test_orders_need_the_read_orders_scope(client, mugs_order):
    _, catalog_only = make_key("catalog")
    for path in ("/orders/", f"/orders/{mugs_order.token}/"):
        refused = get(client, path, catalog_only)
        assert refused.status_code == 403
        assert "'read_orders' scope" in refused.json()["detail"]
    assert client.get(f"{BASE}/orders/").status_code == 401


def test_changing_a_status_needs_the_change_orders_scope(client, reader, mugs_order):
    refused = post(client, f"/orders/{mugs_order.token}/status/", reader, {"status": "cancelled"})
    assert refused.status_code == 403
    assert "'change_orders' scope" in refused.json()["detail"]
    mugs_order.refresh_from_db()
    assert mugs_order.status == OrderStatus.NEW


# --- Changing the status ------------------------------------------------------------------


def test_the_erp_cancels_an_order_through_the_workflow(client, changer, mugs_order):
    response = post(
        client,
        f"/orders/{mugs_order.token}/status/",
        changer,
        {"status": "cancelled", "note": "Out"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    mugs_order.refresh_from_db()
    assert mugs_order.status == OrderStatus.CANCELLED
    change = OrderStatusChange.objects.filter(order=mugs_order).last()
    assert (change.from_status, change.to_status) == ("new", "cancelled")
    assert change.note == "Through the API, key “ERP”: Out"


def test_asking_again_answers_with_the_first_result(client, changer, mugs_order):
    path = f"/orders/{mugs_order.token}/status/"
    first = post(client, path, changer, {"status": "cancelled"})
    again = post(client, path, changer, {"status": "cancelled"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert OrderStatusChange.objects.filter(order=mugs_order, to_status="cancelled").count() == 1
    # Another status the workflow refuses from there is still a refusal.
    assert post(client, path, changer, {"status": "paid"}).status_code == 409


def test_a_change_the_workflow_refuses_is_409_with_the_reason(client, changer, mugs_order):
    response = post(client, f"/orders/{mugs_order.token}/status/", changer, {"status": "shipped"})
    assert response.status_code == 409
    assert "shipped" in response.json()["detail"].lower()
    mugs_order.refresh_from_db()
    assert mugs_order.status == OrderStatus.NEW
    assert OrderStatusChange.objects.filter(order=mugs_order).count() == 1


def test_shipping_keeps_the_tracking(client, changer):
    order = make_order(status=OrderStatus.FULFILLED)
    body = {
        "status": "shipped",
        "carrier": "DHL",
        "tracking_number": "JD0001",
        "tracking_url": "https://track.example.com/JD0001",
    }
    assert post(client, f"/orders/{order.token}/status/", changer, body).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == ("shipped", "DHL", "JD0001")
    assert order.tracking_url == "https://track.example.com/JD0001"


@pytest.mark.parametrize(
    "body",
    [
        {"status": "sent"},
        {"status": ""},
        {},
        {"status": 7},
        {"status": "cancelled", "note": "x\x00y"},
        {"status": "cancelled", "note": "x" * 10_000},
        {"status": "shipped", "tracking_url": "javascript:alert(1)"},
        {"status": ["cancelled"]},
    ],
)
def test_a_bad_status_request_is_400_and_changes_nothing(client, changer, mugs_order, body):
    response = post(client, f"/orders/{mugs_order.token}/status/", changer, body)
    assert response.status_code == 400
    assert response.json()["detail"]
    mugs_order.refresh_from_db()
    assert mugs_order.status == OrderStatus.NEW


def test_a_status_change_for_an_unknown_order_is_404(client, changer):
    response = post(client, "/orders/" + "A" * 43 + "/status/", changer, {"status": "cancelled"})
    assert response.status_code == 404


def test_a_status_change_must_be_posted(client, changer, mugs_order):
    response = get(client, f"/orders/{mugs_order.token}/status/", changer)
    assert response.status_code == 405


def test_changes_are_limited_per_key_with_retry_after(client, changer, settings):
    settings.STOREFRONT_RATE_LIMITS = {**settings.STOREFRONT_RATE_LIMITS, "api_writes_key": "2/m"}
    orders = [make_order() for _ in range(3)]
    for order in orders[:2]:
        assert (
            post(
                client, f"/orders/{order.token}/status/", changer, {"status": "cancelled"}
            ).status_code
            == 200
        )
    limited = post(client, f"/orders/{orders[2].token}/status/", changer, {"status": "cancelled"})
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Too many changes with this key" in limited.json()["detail"]
    orders[2].refresh_from_db()
    assert orders[2].status == OrderStatus.NEW
    # Another key has its own count; reading is not a write.
    _, other = make_key("Other ERP", scopes=["change_orders", "read_orders"])
    assert (
        post(
            client, f"/orders/{orders[2].token}/status/", other, {"status": "cancelled"}
        ).status_code
        == 200
    )
    assert get(client, "/orders/", changer).status_code == 200
