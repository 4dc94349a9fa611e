"""End to end in Chromium: staff cancel one order and refund another, each after a page
that says what happens to stock and money, and the shopper receives the e-mails.

Tasks run at once in the live server's thread (ImmediateBackend), so the e-mails are in
mail.outbox the moment the change commits.
"""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from commerce.models import Order, OrderStatusChange, Stock
from home.demo import ensure_site
from tests.browser.layout import assert_no_horizontal_scroll, screenshot
from tests.factories.catalog import make_product
from tests.factories.orders import make_order

pytestmark = pytest.mark.browser


def open_order(page: Page, live_server, order):
    page.goto(f"{live_server.url}/admin/snippets/commerce/order/inspect/{order.pk}/")
    expect(page.locator("[data-order-status]")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_staff_cancel_and_refund_with_confirmation_and_the_shopper_is_told(
    live_server, page: Page, phone_page: Page, log_in_to_admin
):
    ensure_site()
    kettle = make_product("Kettle", sku="KET-1", price=Decimal("1000.00"), stock={"main": 5})
    cancelled = make_order(
        [(kettle, 3, {"main": 3})], email="ada@example.com", full_name="Ada Lovelace"
    )
    refunded = make_order(
        [(kettle, 1)], status="shipped", provider="mock_card", email="grace@example.com"
    )
    mail.outbox.clear()

    log_in_to_admin(page)
    open_order(page, live_server, cancelled)
    page.get_by_role("link", name="Cancel order…").click()
    expect(page.get_by_role("heading", name="Cancel order")).to_be_visible()
    stock = page.locator("[data-order-preview-stock]")
    expect(stock).to_contain_text("3 units go back on the shelf")
    expect(stock.get_by_role("row", name="Kettle KET-1 Main 3")).to_be_visible()
    expect(page.locator("[data-order-preview-money]")).to_contain_text(
        "Nothing was paid yet (Cash on delivery)"
    )
    screenshot(page, "admin-order-cancel")
    assert Order.objects.get(pk=cancelled.pk).status == "new"  # asking changes nothing
    page.get_by_label("Note for the order’s history (optional)").fill("Asked by phone")
    page.get_by_role("button", name=f"Yes, cancel order {cancelled.number}").click()

    expect(page.locator(".messages")).to_contain_text(f"Order {cancelled.number} is now cancelled")
    expect(page.locator("[data-order-history]")).to_contain_text("Asked by phone")
    assert Stock.objects.get(variant__product=kettle).quantity == 8
    assert OrderStatusChange.objects.get(order=cancelled).note == "Asked by phone"

    open_order(page, live_server, refunded)
    page.get_by_role("link", name="Refund…").click()
    expect(page.locator("[data-order-preview-stock]")).to_contain_text("no stock goes back")
    expect(page.locator("[data-order-preview-money]")).to_contain_text(
        "1,015.00 EUR is refunded to the customer through Mock card"
    )
    # "No" leaves the order as it was.
    page.get_by_role("link", name="No, don’t refund").click()
    expect(page.locator("[data-order-status]")).to_contain_text("Shipped")
    page.get_by_role("link", name="Refund…").click()
    page.get_by_role("button", name="Yes, refund 1,015.00 EUR").click()
    expect(page.locator(".messages")).to_contain_text(f"Order {refunded.number} is now refunded")

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"ada@example.com", "grace@example.com"}
    cancel_mail, refund_mail = by_recipient["ada@example.com"], by_recipient["grace@example.com"]
    assert f"order {cancelled.number} was cancelled" in cancel_mail.subject
    assert f"/checkout/order/{cancelled.token}/" in cancel_mail.body
    assert "We have refunded 1,015.00 EUR through Mock card" in refund_mail.body

    # The shopper's link opens their order without signing in.
    link = re.search(r"https?://\S+(/checkout/order/\S+/)", cancel_mail.body).group(1)
    page.goto(live_server.url + link)
    expect(page.get_by_text(cancelled.number).first).to_be_visible()

    # The confirmation page on a phone: nothing off-screen sideways.
    other = make_order([(kettle, 2, {"main": 2})])
    log_in_to_admin(phone_page)
    phone_page.goto(f"{live_server.url}/admin/snippets/commerce/order/action/{other.pk}/cancelled/")
    expect(phone_page.locator("[data-order-preview-stock]")).to_contain_text("2 units")
    assert_no_horizontal_scroll(phone_page)
    screenshot(phone_page, "admin-order-cancel")


@pytest.mark.django_db(transaction=True)
def test_staff_ship_with_tracking_and_the_shopper_is_told(live_server, page: Page, log_in_to_admin):
    ensure_site()
    order = make_order([(make_product("Kettle"), 1)], status="fulfilled")
    mail.outbox.clear()
    log_in_to_admin(page)
    open_order(page, live_server, order)
    page.get_by_role("link", name="Mark as shipped…").click()
    page.get_by_label("Carrier").fill("DHL")
    page.get_by_label("Tracking number").fill("JJD0099")
    page.get_by_label("Tracking link").fill("https://track.example.com/JJD0099")
    screenshot(page, "admin-order-ship")
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.locator("[data-order-tracking]")).to_contain_text("JJD0099")

    (message,) = mail.outbox
    assert "Tracking number: JJD0099" in message.body
    link = re.search(r"https?://\S+(/checkout/order/\S+/)", message.body).group(1)
    assert link == f"/checkout/order/{order.token}/"
