"""End to end in a real Chromium: a shopper chooses a size and colour of one coat.

With JavaScript the page updates in place (price, compare-at price, availability, SKU,
the options that are not available next to the chosen ones) and the URL follows
(`?variant=SKU`); without it the picker is a GET form that reloads the page with the
variant chosen. The shopper adds two variants of the coat, checks out with the mock card
and sees both lines, each with its own description, in the confirmation.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Order, Stock
from home.demo import ensure_site
from tests.browser.checkout_steps import check_out_by_card
from tests.factories.catalog import make_attribute, make_product, make_shop
from tests.factories.checkout import make_delivery_method, make_payment_method

pytestmark = pytest.mark.browser


def build_coat():
    size, (small, medium, large) = make_attribute(
        "Size", ["S", "M", "L"], varies_per_variant=True, sort_order=1
    )
    colour, (red, green) = make_attribute(
        "Colour", ["Red", "Green"], varies_per_variant=True, sort_order=2
    )
    green.swatch = "#2e7d32"
    green.save()
    return make_product(
        "Heritage coat",
        axes=[size, colour],
        images=2,
        variants=[
            {"sku": "COAT-S-RED", "price": Decimal("120.00"), "options": [small, red], "stock": 3},
            {
                "sku": "COAT-M-RED",
                "price": Decimal("130.00"),
                "compare_at_price": Decimal("150.00"),
                "options": [medium, red],
                "stock": 2,
            },
            {
                "sku": "COAT-M-GREEN",
                "price": Decimal("135.00"),
                "options": [medium, green],
                "stock": 4,
            },
            {
                "sku": "COAT-L-GREEN",
                "price": Decimal("135.00"),
                "options": [large, green],
                "stock": 0,
            },
        ],
    )


def option(page: Page, axis: str, name: str):
    """The clickable label of one option (the radio inside it is visually hidden)."""
    group = page.get_by_role("group", name=axis)
    return group.locator("label.variant-picker__option").filter(
        has=page.get_by_role("radio", name=re.compile(rf"^{re.escape(name)}\b"))
    )


def summary(page: Page):
    return page.locator("[data-variant-summary]")


@pytest.mark.django_db(transaction=True)
def test_shopper_picks_size_and_colour_and_buys_two_variants(live_server, page: Page):
    make_shop(ensure_site())
    coat = build_coat()
    make_delivery_method("Courier", price="9.99")
    make_payment_method("mock_card", name="Card")
    url = f"{live_server.url}/shop/p/{coat.slug}/"

    # --- With JavaScript: the page follows the choice in place. ---
    page.goto(url)
    price = summary(page).locator(".product__price .money").first
    expect(price).to_have_text("120.00 EUR")
    expect(summary(page).locator("[data-price-from]")).to_be_visible()
    expect(page.locator(".product__sku")).to_be_hidden()
    # The script replaces the form's button with live updates.
    expect(page.get_by_role("button", name="Show this variant")).to_be_hidden()

    option(page, "Size", "L").click()
    # No large red coat, and the large green one is sold out.
    expect(option(page, "Colour", "Red")).to_have_class(re.compile(r"\bis-unavailable\b"))
    expect(page.get_by_role("radio", name="Red (not available)")).to_have_count(1)
    expect(page.get_by_role("radio", name="Green (out of stock)")).to_have_count(1)

    option(page, "Size", "M").click()
    expect(option(page, "Colour", "Red")).not_to_have_class(re.compile(r"\bis-unavailable\b"))
    option(page, "Colour", "Red").click()
    expect(price).to_have_text("130.00 EUR")
    expect(summary(page).locator("[data-compare-at]")).to_have_text("150.00 EUR")
    expect(summary(page).locator("[data-price-from]")).to_be_hidden()
    expect(page.locator(".product__sku")).to_have_text("SKU COAT-M-RED")
    expect(summary(page).locator(".availability")).to_have_text("In stock")
    expect(page).to_have_url(re.compile(r"\?variant=COAT-M-RED$"))

    # Another colour: the large one is sold out, the page says so and will not sell it.
    option(page, "Size", "L").click()
    option(page, "Colour", "Green").click()
    expect(page.locator(".product__sku")).to_have_text("SKU COAT-L-GREEN")
    expect(summary(page).locator(".availability")).to_have_text("Out of stock")
    expect(page.get_by_role("button", name="Add to cart", exact=True)).to_be_disabled()
    expect(page).to_have_url(re.compile(r"\?variant=COAT-L-GREEN$"))

    # An impossible combination: a message, nothing chosen, back to the plain URL.
    option(page, "Colour", "Red").click()
    expect(page.locator("[data-choice-message]")).to_have_text("This combination is not available.")
    expect(page.locator(".product__sku")).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/shop/p/{re.escape(coat.slug)}/$"))

    option(page, "Size", "M").click()
    expect(page.locator("[data-choice-message]")).to_be_hidden()
    expect(page.locator(".product__sku")).to_have_text("SKU COAT-M-RED")
    expect(page.locator("form.add-to-cart input[name=variant]")).to_have_value(
        str(coat.variants.get(sku="COAT-M-RED").pk)
    )

    # --- Without JavaScript: the GET form. ---
    nojs_context = page.context.browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        nojs = nojs_context.new_page()
        nojs.goto(url)
        show = nojs.get_by_role("button", name="Show this variant")
        expect(show).to_be_visible()
        option(nojs, "Size", "M").click()
        option(nojs, "Colour", "Green").click()
        show.click()
        expect(nojs).to_have_url(re.compile(r"\?size=m&colour=green$"))
        expect(summary(nojs).locator(".product__price .money").first).to_have_text("135.00 EUR")
        expect(nojs.locator(".product__sku")).to_have_text("SKU COAT-M-GREEN")
        expect(summary(nojs).locator(".availability")).to_have_text("In stock")
        expect(nojs.get_by_role("radio", name="Green")).to_be_checked()

        # An impossible one reloads with the message.
        option(nojs, "Size", "S").click()
        nojs.get_by_role("button", name="Show this variant").click()
        expect(nojs.locator("[data-choice-message]")).to_have_text(
            "This combination is not available."
        )
        expect(nojs.locator(".product__sku")).to_be_hidden()

        # A link to a variant chooses it; into the cart it goes.
        nojs.goto(url + "?variant=COAT-M-GREEN")
        expect(nojs.locator(".product__sku")).to_have_text("SKU COAT-M-GREEN")
        nojs.get_by_role("button", name="Add to cart", exact=True).click()
        expect(nojs.get_by_role("status").first).to_contain_text("Added to your cart")
        expect(nojs).to_have_url(re.compile(r"\?variant=COAT-M-GREEN$"))
        session = nojs_context.cookies()
    finally:
        nojs_context.close()

    # --- Back with JavaScript, in that same session: the red one too. ---
    page.context.clear_cookies()
    page.context.add_cookies(session)
    page.reload()  # a form with this session's CSRF token
    expect(page.locator(".product__sku")).to_have_text("SKU COAT-M-RED")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Added to your cart")
    # Back on the variant chosen before.
    expect(page).to_have_url(re.compile(r"\?variant=COAT-M-RED$"))
    expect(page.locator(".product__sku")).to_have_text("SKU COAT-M-RED")

    # --- The cart holds both variants; check out with the mock card. ---
    page.goto(f"{live_server.url}/cart/")
    lines = page.locator(".cart-lines .cart-line")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="Size M, Colour Red")).to_have_count(1)
    expect(lines.filter(has_text="Size M, Colour Green")).to_have_count(1)

    # 130.00 + 135.00 + 9.99 delivery.
    check_out_by_card(
        page,
        full_name="Ada Lovelace",
        street="12 Engine Street",
        email="ada@example.com",
        grand_total="274.99 EUR",
    )
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Thank you! Order {order.number}")
    rows = page.locator(".cart-lines .cart-line")
    expect(rows).to_have_count(2)
    expect(
        rows.filter(has_text="Heritage coat").filter(has_text="Size M, Colour Red")
    ).to_contain_text("COAT-M-RED")
    expect(
        rows.filter(has_text="Heritage coat").filter(has_text="Size M, Colour Green")
    ).to_contain_text("COAT-M-GREEN")
    assert sorted(line.sku for line in order.lines.all()) == ["COAT-M-GREEN", "COAT-M-RED"]
    assert Stock.objects.get(variant__sku="COAT-M-RED").quantity == 1
    assert Stock.objects.get(variant__sku="COAT-M-GREEN").quantity == 3
