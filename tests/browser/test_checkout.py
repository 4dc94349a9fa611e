"""End to end in a real Chromium: a signed-in shopper buys two products with a coupon.

The shopper adds two products as a guest, signs in (the cart comes along),
applies a coupon, goes through every checkout step with the mock card, sees
the confirmation, finds the order in their account; staff find it in the admin.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from commerce.models import Order, OrderStatus, Stock
from home.demo import ensure_site
from tests.browser.checkout_steps import check_out_by_card
from tests.factories.catalog import make_product, make_shop
from tests.factories.checkout import make_coupon, make_delivery_method, make_payment_method

pytestmark = pytest.mark.browser

SHOPPER_EMAIL = "grace@example.com"
SHOPPER_PASSWORD = "a-long-and-unusual-passphrase"


@pytest.mark.django_db(transaction=True)
def test_shopper_buys_two_products_with_a_coupon(live_server, page: Page, log_in_to_admin):
    make_shop(ensure_site())
    teapot = make_product("Stoneware teapot", price=Decimal("40.00"), stock=5)
    cups = make_product("Tea cups (pair)", price=Decimal("12.50"), stock=8)
    make_coupon("TEA20", value="20")
    make_delivery_method("Courier", price="9.99")
    make_payment_method("mock_card", name="Card")
    get_user_model().objects.create_user(SHOPPER_EMAIL, SHOPPER_EMAIL, SHOPPER_PASSWORD)

    # As a guest: two products into the cart from their pages.
    page.goto(f"{live_server.url}/shop/p/{teapot.slug}/")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Added to your cart")
    page.goto(f"{live_server.url}/shop/p/{cups.slug}/")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator(".cart-link")).to_contain_text("3")

    # Sign in: the guest cart comes along.
    page.goto(f"{live_server.url}/account/login/")
    page.locator('input[name="username"]').fill(SHOPPER_EMAIL)
    page.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    page.goto(f"{live_server.url}/cart/")
    lines = page.locator(".cart-lines .cart-line")
    expect(lines).to_have_count(2)

    # A coupon, applied case-insensitively.
    page.get_by_label("Coupon code").fill("tea20")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("Coupon TEA20 applied")
    expect(page.locator(".totals__discount dd")).to_have_text("−13.00 EUR")

    # Checkout: details, delivery, payment, review.
    # 40.00 + 2 × 12.50 = 65.00; −20 % = 52.00; + 9.99 delivery.
    check_out_by_card(
        page, full_name="Grace Hopper", street="1 Compiler Road", grand_total="61.99 EUR"
    )

    # The confirmation.
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Thank you! Order {order.number}")
    assert order.grand_total == Decimal("61.99")
    assert order.status == OrderStatus.PAID
    assert order.user.email == SHOPPER_EMAIL
    assert Stock.objects.get(variant__product=teapot).quantity == 4
    assert Stock.objects.get(variant__product=cups).quantity == 6
    expect(page.locator(".cart-link__count")).to_have_count(0)

    # The account's order history lists it.
    page.goto(f"{live_server.url}/account/orders/")
    expect(page.get_by_role("link", name=order.number)).to_be_visible()

    # Staff see it in the admin.
    staff = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        admin = staff.new_page()
        log_in_to_admin(admin)
        admin.goto(live_server.url + "/admin/snippets/commerce/order/")
        expect(admin.get_by_text(order.number).first).to_be_visible()
    finally:
        staff.close()
