"""Staff ship, cancel and refund orders on a page that asks first and says what happens."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from commerce.models import Order, OrderStatus, OrderStatusChange, PaymentStatus, Stock
from commerce.services.orders import (
    MONEY_NONE,
    MONEY_REFUNDED,
    MONEY_VOIDED,
    OrderTransitionError,
    action_preview,
)
from tests.factories.accounts import make_customer
from tests.factories.catalog import make_product
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db


def action_url(order, to_status):
    return reverse("wagtailsnippets_commerce_order:action", args=[order.pk, to_status])


def inspect_url(order):
    return reverse("wagtailsnippets_commerce_order:inspect", args=[order.pk])


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def messages_in(response):
    return " ".join(m.get_text(" ", strip=True) for m in soup_of(response).select(".messages li"))


def section(response, name):
    return " ".join(soup_of(response).select_one(f"[data-order-preview-{name}]").stripped_strings)


@pytest.fixture
def clerk(django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw-1234-abc")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order", content_type__app_label="commerce"),
    )
    return user


# --- The preview (services.orders.action_preview) --------------------------------------------


def test_cancel_preview_lists_units_per_warehouse_and_no_money_for_an_unpaid_order():
    pan = make_product("Pan", sku="PAN-1", price=Decimal("10.00"))
    lid = make_product("Lid", sku="LID-1", price=Decimal("2.00"))
    order = make_order([(pan, 3, {"main": 2, "north": 1}), (lid, 1)])
    preview = action_preview(order, OrderStatus.CANCELLED)
    assert [(r.sku, r.warehouse, r.quantity) for r in preview.stock_returns] == [
        ("PAN-1", "Main", 2),
        ("PAN-1", "North", 1),
        ("LID-1", "Main", 1),
    ]
    assert preview.units_returned == 4 and not preview.goods_left
    assert (preview.money, preview.amount) == (MONEY_NONE, Decimal("47.00"))


@pytest.mark.parametrize(
    ("status", "payment_status", "money", "restock"),
    [
        (OrderStatus.PAID, PaymentStatus.PAID, MONEY_REFUNDED, True),
        (OrderStatus.FULFILLED, PaymentStatus.AUTHORIZED, MONEY_VOIDED, True),
        (OrderStatus.SHIPPED, PaymentStatus.PAID, MONEY_REFUNDED, False),
        (OrderStatus.COMPLETED, PaymentStatus.PAID, MONEY_REFUNDED, False),
    ],
)
def test_refund_preview_follows_the_refund_rules(status, payment_status, money, restock):
    order = make_order(
        [(make_product(), 2)], status=status, payment_status=payment_status, provider="mock_card"
    )
    preview = action_preview(order, OrderStatus.REFUNDED)
    assert preview.money == money
    assert preview.goods_left is not restock
    assert preview.units_returned == (2 if restock else 0)


def test_preview_names_lines_whose_variant_was_deleted():
    pan = make_product("Pan", sku="PAN-1")
    order = make_order([(pan, 2)])
    pan.variants.get().delete()
    preview = action_preview(order, OrderStatus.CANCELLED)
    assert preview.stock_returns == ()
    assert preview.lost_lines == ("2 × Pan (PAN-1)",)


@pytest.mark.parametrize(
    ("status", "payment_status", "to_status", "words"),
    [
        (OrderStatus.CANCELLED, None, OrderStatus.CANCELLED, "already cancelled"),
        (OrderStatus.PAID, None, OrderStatus.CANCELLED, "cannot become cancelled"),
        (OrderStatus.PAID, PaymentStatus.PENDING, OrderStatus.REFUNDED, "no payment to refund"),
        (OrderStatus.NEW, None, OrderStatus.SHIPPED, "Only cancelling and refunding"),
    ],
)
def test_preview_refuses_what_the_change_would_refuse(status, payment_status, to_status, words):
    order = make_order([(make_product(), 1)], status=status, payment_status=payment_status)
    with pytest.raises(OrderTransitionError, match=words):
        action_preview(order, to_status)


# --- The confirmation pages -------------------------------------------------------------------


def test_cancel_asks_first_then_cancels_with_the_note_and_mails_the_shopper(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    pan = make_product("Pan", sku="PAN-1", stock={"main": 0, "north": 0})
    order = make_order([(pan, 3, {"main": 2, "north": 1})], email="ada@example.com")

    page = admin_client.get(action_url(order, "cancelled"))
    assert page.status_code == 200
    assert "3 units go back on the shelf" in section(page, "stock")
    assert "Pan PAN-1 Main 2" in section(page, "stock")
    assert "Pan PAN-1 North 1" in section(page, "stock")
    assert "Nothing was paid yet (Cash on delivery): no money moves." in section(page, "money")
    assert soup_of(page).select_one("input[name=note]") is not None
    # Asking changed nothing.
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            action_url(order, "cancelled"),
            {"from_status": "new", "note": "Customer phoned"},
            follow=True,
        )
    assert response.redirect_chain == [(inspect_url(order), 302)]
    assert "is now cancelled" in messages_in(response)
    assert {s.warehouse.code: s.quantity for s in Stock.objects.all()} == {"main": 2, "north": 1}
    change = OrderStatusChange.objects.get(order=order)
    assert (change.to_status, change.note, change.changed_by) == (
        "cancelled",
        "Customer phoned",
        admin_user,
    )
    history = soup_of(response).select_one("[data-order-history]").get_text(" ", strip=True)
    assert "Customer phoned" in history
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"] and "was cancelled" in message.subject


def test_refund_page_says_the_amount_and_how_and_that_shipped_goods_stay_out(
    admin_client, django_capture_on_commit_callbacks
):
    pan = make_product("Pan", price=Decimal("1000.00"), stock={"main": 0})
    order = make_order([(pan, 1)], status=OrderStatus.SHIPPED, provider="mock_card")
    page = admin_client.get(action_url(order, "refunded"))
    assert "no stock goes back" in section(page, "stock")
    assert "1,015.00 EUR is refunded to the customer through Mock card" in section(page, "money")
    assert "Yes, refund 1,015.00 EUR" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(action_url(order, "refunded"), {"from_status": "shipped", "note": ""})
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("refunded", "refunded")
    assert Stock.objects.get().quantity == 0
    (message,) = mail.outbox
    assert "We have refunded 1,015.00 EUR through Mock card" in message.body


def test_a_stale_confirmation_page_is_a_message_not_an_error(admin_client):
    order = make_order([(make_product(), 1)])
    page = admin_client.get(action_url(order, "cancelled"))
    assert page.status_code == 200
    # Meanwhile someone else cancelled it (another tab, a colleague).
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)

    response = admin_client.post(
        action_url(order, "cancelled"), {"from_status": "new"}, follow=True
    )
    assert response.status_code == 200
    assert "changed meanwhile: it is now cancelled" in messages_in(response)
    assert not OrderStatusChange.objects.exists()

    response = admin_client.get(action_url(order, "cancelled"), follow=True)
    assert response.redirect_chain == [(inspect_url(order), 302)]
    assert "already cancelled" in messages_in(response)


@pytest.mark.parametrize("data", [{}, {"from_status": "lost"}])
def test_a_post_without_a_sensible_from_status_does_nothing(admin_client, data):
    order = make_order([(make_product(), 1)])
    response = admin_client.post(action_url(order, "cancelled"), data, follow=True)
    assert response.status_code == 200
    assert "not understood" in messages_in(response)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


def test_a_note_too_long_is_a_form_error(admin_client):
    order = make_order([(make_product(), 1)])
    response = admin_client.post(
        action_url(order, "cancelled"), {"from_status": "new", "note": "x" * 256}
    )
    assert response.status_code == 400
    assert "at most 255 characters" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


def test_unknown_actions_and_orders_are_not_found(admin_client):
    order = make_order([(make_product(), 1)])
    assert admin_client.get(action_url(order, "paid")).status_code == 404
    missing = reverse("wagtailsnippets_commerce_order:action", args=[order.pk + 99, "cancelled"])
    assert admin_client.get(missing).status_code == 404


def test_a_viewer_may_not_confirm(client, clerk):
    order = make_order([(make_product(), 1)])
    client.force_login(clerk)
    for response in (
        client.get(action_url(order, "cancelled")),
        client.post(action_url(order, "cancelled"), {"from_status": "new"}),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


def test_csrf_is_required(admin_user):
    order = make_order([(make_product(), 1)])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    page = strict.get(action_url(order, "cancelled")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    response = strict.post(action_url(order, "cancelled"), {"from_status": "new"})
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


@pytest.mark.parametrize("to_status", ["cancelled", "refunded", "shipped"])
def test_the_one_click_url_sends_these_to_their_page(admin_client, to_status):
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    response = admin_client.post(
        reverse("wagtailsnippets_commerce_order:change_status", args=[order.pk]),
        {"to_status": to_status, "from_status": "fulfilled"},
    )
    assert response["Location"] == action_url(order, to_status)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED


def test_the_order_page_links_to_the_confirmation_pages(admin_client):
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    soup = soup_of(admin_client.get(inspect_url(order)))
    links = {a["data-order-action"]: a["href"] for a in soup.select("a[data-order-action]")}
    assert links == {
        "shipped": action_url(order, "shipped"),
        "refunded": action_url(order, "refunded"),
    }


# --- Shipping with tracking -------------------------------------------------------------------


def test_ship_with_carrier_and_tracking(admin_client, django_capture_on_commit_callbacks):
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    page = soup_of(admin_client.get(action_url(order, "shipped")))
    names = {field["name"] for field in page.select("form[data-order-confirm] input")}
    assert {"carrier", "tracking_number", "tracking_url", "note", "from_status"} <= names

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            action_url(order, "shipped"),
            {
                "from_status": "fulfilled",
                "carrier": " DHL ",
                "tracking_number": "JJD0099",
                "tracking_url": "https://track.example.com/JJD0099",
                "note": "2 parcels",
            },
            follow=True,
        )
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number, order.tracking_url) == (
        "shipped",
        "DHL",
        "JJD0099",
        "https://track.example.com/JJD0099",
    )
    assert OrderStatusChange.objects.get(order=order).note == "2 parcels"
    tracking = soup_of(response).select_one("[data-order-tracking]").get_text(" ", strip=True)
    assert "DHL" in tracking and "JJD0099" in tracking
    (message,) = mail.outbox
    assert "Tracking number: JJD0099" in message.body
    assert "https://track.example.com/JJD0099" in message.alternatives[0][0]

    listing = soup_of(admin_client.get(reverse("wagtailsnippets_commerce_order:list")))
    assert "DHL JJD0099" in listing.select_one("tbody tr").get_text(" ", strip=True)


def test_a_bad_tracking_link_is_a_form_error(admin_client):
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    response = admin_client.post(
        action_url(order, "shipped"),
        {"from_status": "fulfilled", "tracking_url": "javascript:alert(1)"},
    )
    assert response.status_code == 400
    assert soup_of(response).select(".w-field--error, .error-message")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED


def test_shipping_without_tracking_is_allowed(admin_client):
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    admin_client.post(action_url(order, "shipped"), {"from_status": "fulfilled"})
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == ("shipped", "", "")


def test_the_shopper_sees_the_tracking_on_their_order_page(client):
    shopper = make_customer("anna@example.com")
    order = make_order(
        [(make_product(), 1)],
        status=OrderStatus.SHIPPED,
        user=shopper,
        carrier="DHL",
        tracking_number="JJD0099",
        tracking_url="https://track.example.com/JJD0099",
    )
    client.force_login(shopper)
    page = soup_of(client.get(reverse("account:order_detail", args=[order.number])))
    tracking = page.select_one("[data-order-tracking]")
    assert "Carrier: DHL" in tracking.get_text(" ", strip=True)
    assert "Tracking number: JJD0099" in tracking.get_text(" ", strip=True)
    assert tracking.select_one("a")["href"] == "https://track.example.com/JJD0099"


def test_no_tracking_section_before_shipping(client):
    shopper = make_customer("anna@example.com")
    order = make_order([(make_product(), 1)], user=shopper)
    client.force_login(shopper)
    page = soup_of(client.get(reverse("account:order_detail", args=[order.number])))
    assert page.select_one("[data-order-tracking]") is None
