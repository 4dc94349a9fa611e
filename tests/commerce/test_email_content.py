"""Every e-mail kind, rendered with real data: the shop's name in the subject, a link to
the order (or account) that works from outside, and money as the site writes it."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from commerce.models import OrderStatus, PaymentStatus
from commerce.services.notifications import (
    ORDER_PLACED,
    ORDER_PLACED_STAFF,
    ORDER_STATUS,
    order_message,
    order_url,
)
from commerce.services.orders import Tracking, change_status
from pages.models import BrandingSettings
from tests.factories.accounts import make_customer
from tests.factories.catalog import make_product
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

SHOP = "Harbour & Goods"


@pytest.fixture(autouse=True)
def shop(homepage):
    site = Site.objects.get(is_default_site=True)
    branding = BrandingSettings.for_site(site)
    branding.shop_name = SHOP
    branding.save()
    return site


def big_order(**fields):
    """Amounts above a thousand: a grouping comma shows whether the one formatter was used."""
    pan = make_product("Copper pan", price=Decimal("1234.5"), sku="PAN-1")
    return make_order([(pan, 1)], **fields)


def html_of(message):
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def assert_order_link(message, order, path):
    url = Site.objects.get(is_default_site=True).root_url + path
    assert url.startswith("http")
    assert order_url(order) == url
    assert url in message.body
    assert f'href="{url}"' in html_of(message)


def test_order_placed_by_a_guest_links_to_the_token_page(client):
    order = big_order()
    message = order_message(order, ORDER_PLACED)
    assert message.subject == f"{SHOP}: order {order.number} received"
    path = reverse("checkout:confirmation", args=[order.token])
    assert_order_link(message, order, path)
    assert client.get(path).status_code == 200  # a guest needs no session to open it
    assert "Total: 1,249.50 EUR" in message.body
    assert "1,234.50 EUR each" in message.body
    assert "1,249.50 EUR" in html_of(message)
    assert "1249.50" not in message.body + html_of(message)


def test_order_placed_signed_in_links_to_the_account_order_page():
    shopper = make_customer("anna@example.com")
    order = big_order(user=shopper, email="anna@example.com")
    message = order_message(order, ORDER_PLACED)
    assert_order_link(message, order, reverse("account:order_detail", args=[order.number]))


def test_staff_notice_names_the_shop_and_formats_money(settings):
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = ["shop@example.com"]
    order = big_order()
    message = order_message(order, ORDER_PLACED_STAFF)
    assert message.subject == f"{SHOP}: new order {order.number}: 1,249.50 EUR from Ada Lovelace"
    assert "Total: 1,249.50 EUR" in message.body
    assert f"/admin/snippets/commerce/order/inspect/{order.pk}/" in message.body


def test_shipped_email_has_carrier_tracking_and_link(django_capture_on_commit_callbacks):
    order = big_order(status=OrderStatus.FULFILLED)
    tracking = Tracking("DHL", "JJD0099", "https://track.example.com/JJD0099")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.SHIPPED, tracking=tracking)
    (message,) = mail.outbox
    assert message.subject == f"{SHOP}: your order {order.number} is on its way"
    assert "Carrier: DHL" in message.body and "Tracking number: JJD0099" in message.body
    assert "Follow your parcel: https://track.example.com/JJD0099" in message.body
    html = html_of(message)
    assert "JJD0099" in html and 'href="https://track.example.com/JJD0099"' in html
    assert_order_link(message, order, reverse("checkout:confirmation", args=[order.token]))


def test_shipped_email_without_tracking_says_nothing_about_it():
    order = big_order(status=OrderStatus.SHIPPED)
    message = order_message(order, ORDER_STATUS, status=OrderStatus.SHIPPED)
    assert "Tracking" not in message.body and "Carrier" not in message.body


def test_refund_email_says_amount_and_method(django_capture_on_commit_callbacks):
    order = big_order(status=OrderStatus.SHIPPED, provider="mock_card")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.REFUNDED)
    (message,) = mail.outbox
    assert message.subject == f"{SHOP}: your order {order.number} was refunded (1,249.50 EUR)"
    assert "We have refunded 1,249.50 EUR through Mock card, the way you paid." in message.body
    assert "We have refunded 1,249.50 EUR through Mock card" in html_of(message)
    assert_order_link(message, order, reverse("checkout:confirmation", args=[order.token]))


def test_refund_of_an_authorized_payment_says_the_reservation_is_released():
    order = big_order(
        status=OrderStatus.PAID, provider="mock_card", payment_status=PaymentStatus.VOIDED
    )
    message = order_message(order, ORDER_STATUS, status=OrderStatus.REFUNDED)
    assert "The 1,249.50 EUR reserved through Mock card has been released" in message.body


@pytest.mark.parametrize(
    ("provider", "words"),
    [
        ("cash_on_delivery", "You have not paid anything (Cash on delivery)"),
        ("mock_card", "We have refunded 1,249.50 EUR through Mock card"),
    ],
)
def test_cancel_email_says_what_happens_to_the_money(
    provider, words, django_capture_on_commit_callbacks
):
    order = big_order(provider=provider)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.CANCELLED)
    (message,) = mail.outbox
    assert message.subject == f"{SHOP}: your order {order.number} was cancelled"
    assert words in message.body
    assert_order_link(message, order, reverse("checkout:confirmation", args=[order.token]))


def test_welcome_email_names_the_shop_and_links_to_the_account(
    django_capture_on_commit_callbacks,
):
    password = "plum-tractor-velvet-91"
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            reverse("account:signup"),
            {"email": "new@example.com", "password1": password, "password2": password},
        )
    (message,) = mail.outbox
    assert message.subject == f"Welcome to {SHOP}"
    assert f"http://testserver{reverse('account:overview')}" in message.body
    assert message.body.rstrip().endswith(SHOP)


@pytest.mark.parametrize("known", [True, False])
def test_password_emails_name_the_shop_not_the_host(known, django_capture_on_commit_callbacks):
    """A reset asked for, or a sign-up with an address that has an account already."""
    make_customer("anna@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        if known:
            Client().post(reverse("account:password_reset"), {"email": "anna@example.com"})
        else:
            password = "plum-tractor-velvet-91"
            Client().post(
                reverse("account:signup"),
                {"email": "anna@example.com", "password1": password, "password2": password},
            )
    (message,) = mail.outbox
    expected = (
        f"Reset your password at {SHOP}" if known else f"You already have an account at {SHOP}"
    )
    assert message.subject == expected
    assert "testserver" not in message.subject
    assert re.search(r"http://testserver/account/password/reset/\S+/\S+/", message.body)
