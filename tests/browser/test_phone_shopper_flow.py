"""Issue 16's proof, end to end on a phone (390 × 844, touch) in Chromium.

A signed-in shopper with two saved addresses finds a raincoat by typing a word into the
header's search box, opens it from the results, picks a size and a colour, adds it, sees the
"Added to your cart" message and the line and total in the header's mini-cart, goes to
checkout from there (which fills the details from the default "Home" address and opens at
delivery), goes back to the details step to choose the saved "Office" address, then courier,
the mock card, review and place. The confirmation shows the order with the Office address,
and the order in the database holds a copy of that address as both its billing and its
delivery address. The phone layout (no sideways scroll, axe-core, screenshots) is checked at
the search results, the open mini-cart, the details step, the review and the confirmation.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Order, Stock
from home.demo import ensure_site
from tests.browser.checkout_steps import choose_courier_and_card, place_order_by_card
from tests.browser.layout import check_page, small_touch_targets
from tests.browser.test_variant_shopper import option
from tests.factories.accounts import PASSWORD, make_address, make_customer
from tests.factories.catalog import make_attribute, make_product, make_shop
from tests.factories.checkout import make_delivery_method, make_payment_method

pytestmark = pytest.mark.browser

SHOPPER_EMAIL = "anna@example.com"
OFFICE_PHONE = "+48601234567"

# The Office address as the shop prints it: format_address's lines, one per <br>.
OFFICE_ADDRESS_TEXT = "Anna Nowak\nNowak Design\nul. Biurowa 7\nlok. 12\n30-001 Kraków\nPL"


def build_shop():
    """The shop, a raincoat in two sizes and two colours, a hook whose name shares the word
    "raincoat" (so the results are a list to choose from) and a blanket that does not."""
    make_shop(ensure_site())
    # sort_order: the variant's description names the size first ("Size M, Colour Sand").
    size, (small, medium) = make_attribute(
        "Size", ["S", "M"], varies_per_variant=True, sort_order=1
    )
    colour, (navy, sand) = make_attribute(
        "Colour", ["Navy", "Sand"], varies_per_variant=True, sort_order=2
    )
    raincoat = make_product(
        "Harbour raincoat",
        axes=[size, colour],
        variants=[
            {"sku": "HRB-S-NAVY", "price": Decimal("89.00"), "options": [small, navy], "stock": 4},
            {"sku": "HRB-M-NAVY", "price": Decimal("89.00"), "options": [medium, navy], "stock": 4},
            {"sku": "HRB-M-SAND", "price": Decimal("95.00"), "options": [medium, sand], "stock": 2},
        ],
    )
    make_product("Raincoat hook", sku="HOOK-1", price=Decimal("7.50"), stock=20)
    make_product("Wool blanket", sku="BLK-1", price=Decimal("60.00"), stock=5)
    make_delivery_method("Courier", price="9.99")
    make_payment_method("mock_card", name="Card")
    return raincoat


def build_shopper():
    """A customer whose address book holds a default Home address and an Office one, which
    has a company, a second line and a phone of its own."""
    customer = make_customer(SHOPPER_EMAIL)
    home = make_address(customer, is_default=True)
    office = make_address(
        customer,
        label="Office",
        company="Nowak Design",
        line1="ul. Biurowa 7",
        line2="lok. 12",
        postal_code="30-001",
        city="Kraków",
        phone=OFFICE_PHONE,
    )
    return customer, home, office


@pytest.mark.django_db(transaction=True)
def test_phone_shopper_searches_picks_a_variant_and_checks_out_to_a_saved_address(
    live_server, phone_page: Page
):
    page = phone_page
    raincoat = build_shop()
    customer, home, office = build_shopper()

    # --- Signed in through the shop's own log-in form, back to the homepage. ---
    page.goto(f"{live_server.url}/account/login/?next=/")
    page.get_by_label("E-mail").fill(SHOPPER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")

    # --- A word, not a code, in the header's search box: a list of results. ---
    search_box = page.get_by_role("search", name="Shop search").get_by_label("Search the shop")
    search_box.fill("raincoat")
    search_box.press("Enter")
    expect(page).to_have_url(re.compile(r"/shop/search/\?q=raincoat$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search: “raincoat”")
    results = page.locator("section.results")
    result_names = results.locator(".product-tile__name")
    expect(result_names).to_have_count(2)
    # Ranked by relevance, so compared as a set; the blanket does not match the word.
    assert sorted(result_names.all_inner_texts()) == ["Harbour raincoat", "Raincoat hook"]
    check_page(page, "phone flow search results")

    results.get_by_role("link", name="Harbour raincoat", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/shop/p/{re.escape(raincoat.slug)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour raincoat")

    # --- Size M, colour Sand: the dearer variant, so the price shows the choice was made. ---
    option(page, "Size", "M").click()
    option(page, "Colour", "Sand").click()
    expect(page.locator(".product__sku")).to_have_text("SKU HRB-M-SAND")
    expect(page.locator("[data-variant-summary] .product__price .money").first).to_have_text(
        "95.00 EUR"
    )
    expect(page).to_have_url(re.compile(r"\?variant=HRB-M-SAND$"))

    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(
        "Added to your cart: Harbour raincoat — Size M, Colour Sand."
    )

    # --- The header's mini-cart: closed until tapped, then the line and the total. ---
    expect(page.get_by_role("link", name="Cart, 1 item")).to_be_visible()
    mini_cart = page.locator("details.mini-cart")
    panel = mini_cart.locator(".mini-cart__panel")
    expect(panel).to_be_hidden()
    mini_cart.locator(".mini-cart__toggle").click()
    expect(panel).to_be_visible()
    lines = panel.locator(".mini-cart__line")
    expect(lines).to_have_count(1)
    expect(lines.locator(".mini-cart__name")).to_have_text("Harbour raincoat")
    expect(lines.locator(".mini-cart__options")).to_have_text("Size M, Colour Sand")
    expect(lines.locator(".mini-cart__qty")).to_have_text("Qty 1")
    expect(lines.locator(".mini-cart__total")).to_have_text("95.00 EUR")
    # No delivery chosen yet: the total is the one line.
    expect(panel.locator(".mini-cart__sum")).to_have_text(re.compile(r"^Total\s+95\.00 EUR$"))
    check_page(page, "phone flow mini-cart open")
    panel.get_by_role("link", name="Checkout", exact=True).click()

    # --- One step from the cart: the default address filled the details, so the checkout
    # opens at delivery; the shopper goes back to the details to ship to the Office. ---
    expect(page).to_have_url(re.compile(r"/checkout/delivery/$"))
    page.get_by_role("navigation", name="Checkout steps").get_by_role(
        "link", name="Your details"
    ).click()
    expect(page).to_have_url(re.compile(r"/checkout/details/$"))
    expect(page.get_by_label("E-mail")).to_have_value(SHOPPER_EMAIL)
    billing = page.get_by_role("group", name="Billing address")
    expect(billing.get_by_label("Address", exact=True)).to_have_value(home.line1)
    expect(billing.get_by_label("City")).to_have_value(home.city)
    saved = page.get_by_role("navigation", name="Saved addresses")
    expect(saved.locator(".saved-address__label")).to_have_text(["Home", "Office"])
    # The prefilled one is marked; each card shows its address, not only its label.
    expect(saved.locator("[aria-current=true] .saved-address__label")).to_have_text("Home")
    expect(
        saved.get_by_role(
            "link", name=re.compile(r"^Office Anna Nowak, Nowak Design, ul\. Biurowa 7")
        )
    ).to_be_visible()

    saved.get_by_role("link", name=re.compile(r"^Office\b")).click()
    expect(page).to_have_url(re.compile(rf"/checkout/details/\?use={office.pk}$"))
    expect(billing.get_by_label("Full name")).to_have_value("Anna Nowak")
    expect(billing.get_by_label("Company")).to_have_value("Nowak Design")
    expect(billing.get_by_label("Address", exact=True)).to_have_value("ul. Biurowa 7")
    expect(billing.get_by_label("Address (line 2)")).to_have_value("lok. 12")
    expect(billing.get_by_label("Postal code")).to_have_value("30-001")
    expect(billing.get_by_label("City")).to_have_value("Kraków")
    expect(billing.get_by_label("Country")).to_have_value("PL")
    # The checkout has no phone yet, so the saved address's own one is offered.
    expect(page.get_by_label("Phone")).to_have_value(re.compile(r"601\s?234\s?567$"))
    # Delivery goes to the billing address unless the shopper asks otherwise.
    expect(page.get_by_label("Deliver to a different address")).not_to_be_checked()
    expect(page.get_by_role("group", name="Delivery address")).to_be_hidden()
    expect(saved.locator("[aria-current=true] .saved-address__label")).to_have_text("Office")
    check_page(page, "phone flow details saved address")
    # The styled form's controls and the saved addresses are a thumb's size.
    assert small_touch_targets(page, within="form.checkout-form") == []
    assert small_touch_targets(page, within="nav.saved-addresses") == []
    page.get_by_role("button", name="Continue").click()

    # --- Courier, the mock card, the review (95.00 + 9.99 delivery), placed. ---
    choose_courier_and_card(page)
    # The review prints the addresses as the order will (company included).
    expect(page.locator(".review__details .address")).to_have_text(
        [OFFICE_ADDRESS_TEXT, OFFICE_ADDRESS_TEXT], use_inner_text=True
    )
    check_page(page, "phone flow review")
    place_order_by_card(page, grand_total="104.99 EUR")

    # --- The confirmation: the order, its one line, the Office address twice. ---
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Thank you! Order {order.number}")
    ordered = page.get_by_role("list", name="Ordered products").locator(".cart-line")
    expect(ordered).to_have_count(1)
    expect(ordered).to_contain_text("Harbour raincoat")
    expect(ordered).to_contain_text("Size M, Colour Sand")
    expect(ordered).to_contain_text("SKU HRB-M-SAND")
    expect(page.locator(".totals__grand dd")).to_have_text("104.99 EUR")
    addresses = page.locator(".order-addresses .address")
    expect(addresses).to_have_text([OFFICE_ADDRESS_TEXT, OFFICE_ADDRESS_TEXT], use_inner_text=True)
    check_page(page, "phone flow confirmation")

    # --- The database: one order, the shopper's, with a copy of the saved Office address. ---
    assert order.user == customer
    assert order.email == SHOPPER_EMAIL
    assert order.phone == OFFICE_PHONE
    assert order.billing_address == office.as_dict()
    assert order.delivery_address == office.as_dict()
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("HRB-M-SAND", 1)]
    assert Stock.objects.get(variant__sku="HRB-M-SAND").quantity == 1
