"""In Chromium, scripts on and off: a shopper who has ordered before signs in, adds a
product and goes from the cart's "Check out" straight to the review (their saved address
and last delivery and payment methods fill the checkout), and places the order there."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from commerce.models import Address, Order
from commerce.services.checkout import place_order
from home.demo import ensure_site
from tests.browser.checkout_steps import place_order_by_card
from tests.factories.catalog import make_product, make_shop
from tests.factories.checkout import (
    ADDRESS,
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)

pytestmark = pytest.mark.browser

EMAIL = "grace@example.com"
PASSWORD = "a-long-and-unusual-passphrase"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.django_db(transaction=True)
def test_a_returning_shopper_checks_out_from_the_cart_to_the_review_in_one_step(
    live_server, browser, browser_context_args, javascript
):
    make_shop(ensure_site())
    teapot = make_product("Stoneware teapot", price=Decimal("40.00"), stock=5)
    courier = make_delivery_method("Courier", price="9.99")
    card = make_payment_method("mock_card", name="Card")
    grace = get_user_model().objects.create_user(EMAIL, EMAIL, PASSWORD)
    Address.objects.create(
        user=grace, is_default=True, **{**ADDRESS, "full_name": "Grace Hopper", "city": "Gdansk"}
    )
    # An earlier order remembers the courier and the card.
    earlier = make_cart(
        [(make_product("Mug", stock=3), 1)], user=grace, delivery=courier, payment=card
    )
    place_order(ready_checkout(earlier, email=EMAIL).token, user=grace, payment_data=GOOD_CARD)

    context = browser.new_context(**browser_context_args, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/account/login/")
        page.locator('input[name="username"]').fill(EMAIL)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('form button[type="submit"]').last.click()
        page.goto(f"{live_server.url}/shop/p/{teapot.slug}/")
        page.get_by_role("button", name="Add to cart", exact=True).click()
        page.goto(f"{live_server.url}/cart/")

        page.get_by_role("link", name="Check out").click()

        expect(page).to_have_url(re.compile(r"/checkout/review/$"))
        expect(page.get_by_role("status")).to_contain_text("We filled in your saved address")
        main = page.locator("main")
        expect(main).to_contain_text("Gdansk")
        expect(main).to_contain_text("Courier")
        place_order_by_card(page, grand_total="49.99 EUR")
    finally:
        context.close()

    order = Order.objects.latest("pk")
    assert order.grand_total == Decimal("49.99")
    assert order.delivery_address["city"] == "Gdansk"
    assert (order.delivery_method, order.payment_method) == (courier, card)
