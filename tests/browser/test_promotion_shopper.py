"""End to end in a real Chromium: a shopper reaches a promotion's threshold.

Nine mugs cost 10.00 each and the cart hints at the promotions; at ten the price
drops to 5.00 (the regular price struck through, the promotion's badge in its own
colour, under the shop's CSP) and a free tote bag appears as a gift line. The
shopper checks out and the confirmation shows both.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Order
from home.demo import ensure_site
from tests.browser.checkout_steps import check_out_by_card
from tests.factories.catalog import make_product, make_shop
from tests.factories.checkout import make_delivery_method, make_payment_method
from tests.factories.promotions import condition, make_gift_promotion, make_promotion, reward

pytestmark = pytest.mark.browser


def set_quantity(page: Page, name: str, quantity: int):
    page.get_by_label(f"Quantity of {name}").fill(str(quantity))
    page.get_by_role("button", name=f"Update quantity of {name}", exact=True).click()


@pytest.mark.django_db(transaction=True)
def test_shopper_reaches_a_threshold_and_gets_the_price_and_the_gift(live_server, page: Page):
    make_shop(ensure_site())
    mug = make_product("Mug", price=Decimal("10.00"), stock=50)
    tote = make_product("Tote bag", price=Decimal("8.00"), stock=5)
    make_promotion(
        "Bulk mugs",
        [condition([reward(mug, "fixed_price", given_price="5.00")], threshold_min=10)],
        color_in_cart="#8e24aa",
    )
    make_gift_promotion(tote, threshold="100.00", products=[mug])
    make_delivery_method("Courier", price="9.99")
    make_payment_method("mock_card", name="Card")

    page.goto(f"{live_server.url}/shop/p/{mug.slug}/")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    page.goto(f"{live_server.url}/cart/")
    set_quantity(page, "Mug", 9)

    lines = page.locator(".cart-lines .cart-line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("90.00 EUR")
    hints = page.locator(".cart-promotions__hint")
    expect(hints.filter(has_text="Buy 1 more for 5.00 each")).to_have_count(1)
    expect(hints.filter(has_text="Add 10.00 more for a free Tote bag")).to_have_count(1)

    set_quantity(page, "Mug", 10)
    expect(page.locator(".messages")).to_contain_text("Gift added: Tote bag")
    expect(page.locator(".messages")).to_contain_text(
        "Promotion applied: Bulk mugs on Mug; the price changed from 10.00 to 5.00."
    )
    expect(lines).to_have_count(2)
    mug_line = lines.filter(has_text="Mug")
    expect(mug_line.locator(".cart-line__regular")).to_contain_text("10.00 EUR")
    expect(mug_line).to_contain_text("50.00 EUR")
    badge = mug_line.locator(".promo-badge")
    expect(badge).to_have_text("Bulk mugs")
    expect(badge).to_have_css("background-color", "rgb(142, 36, 170)")
    gift = page.locator(".cart-line--gift")
    expect(gift).to_contain_text("Gift")
    expect(gift).to_contain_text("Tote bag")
    expect(gift).to_contain_text("0.00 EUR")
    expect(gift.get_by_role("button")).to_have_count(0)  # neither quantity nor remove
    expect(page.locator(".cart-promotions__hint")).to_have_count(0)
    expect(page.locator(".totals__savings dd")).to_have_text("50.00 EUR")

    # 10 × 5.00 + 9.99 delivery; the gift is free.
    check_out_by_card(
        page,
        full_name="Ada Lovelace",
        street="12 Engine Street",
        email="ada@example.com",
        grand_total="59.99 EUR",
    )
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Thank you! Order {order.number}")
    rows = page.locator(".cart-lines .cart-line")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Mug")).to_contain_text("Bulk mugs")
    expect(rows.filter(has_text="Mug").locator(".cart-line__regular")).to_contain_text("10.00")
    expect(rows.filter(has_text="Tote bag")).to_contain_text(re.compile(r"Gift.*Free tote"))
    expect(rows.filter(has_text="Tote bag")).to_contain_text("0.00 EUR")
    assert [(line.is_gift, line.unit_price) for line in order.lines.all()] == [
        (False, Decimal("5.00")),
        (True, Decimal("0.00")),
    ]
