"""The product page in a real Chromium, at a phone's width and a desktop's: the first screen,
the gallery, "Notify me when back in stock" through to the one e-mail, save to list.

Every page state is checked at both widths (tests/browser/layout.py: no sideways scroll,
axe-core, a screenshot into build/screenshots/)."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from commerce.models import ShoppingListItem, StockSubscription
from home.demo import ensure_site
from tests.browser.layout import PHONE, check_page
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    make_shop,
    make_warehouse,
)

pytestmark = pytest.mark.browser

SHOPPER = "ada@example.com"


def build_coat():
    size, (small, medium) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    colour, (green, blue) = make_attribute("Colour", ["Green", "Blue"], varies_per_variant=True)
    make_warehouse("main", name="Main")
    return make_product(
        "Field coat",
        axes=[size, colour],
        main_category=make_category("Coats"),
        variants=[
            {"sku": "COAT-S-G", "price": Decimal("120.00"), "options": [small, green], "stock": 3},
            {"sku": "COAT-M-G", "price": Decimal("120.00"), "options": [medium, green], "stock": 0},
            {"sku": "COAT-S-B", "price": Decimal("125.00"), "options": [small, blue], "stock": 2},
            {"sku": "COAT-M-B", "price": Decimal("125.00"), "options": [medium, blue], "stock": 1},
        ],
    )


def closed_menu(page: Page):
    """The header's menu closed, as it is by default once the header is (issue 16's header
    part); the product page's own first screen is what is measured here."""
    page.evaluate("document.querySelectorAll('header details[open]').forEach(d => d.open = false)")


def option(page: Page, axis: str, name: str):
    group = page.get_by_role("group", name=axis)
    return group.locator("label.variant-picker__option").filter(
        has=page.get_by_role("radio", name=re.compile(rf"^{re.escape(name)}\b"))
    )


def both_widths(page: Page, phone: Page, url: str, name: str):
    for each in (page, phone):
        # The first view of a picture makes its renditions: slow on a busy machine.
        each.goto(url, timeout=90_000)
        check_page(each, name)


@pytest.mark.django_db(transaction=True)
def test_a_shopper_subscribes_to_a_sold_out_size_and_gets_one_e_mail_when_staff_add_stock(
    live_server, page: Page, phone_page: Page, browser, browser_context_args, log_in_to_admin
):
    make_shop(ensure_site())
    coat = build_coat()
    url = f"{live_server.url}/shop/p/{coat.slug}/"

    # The multi-variant picker, nothing chosen yet, at both widths.
    both_widths(page, phone_page, url, "product-picker")
    # On a phone, name, price, picker and "Add to cart" are on the first screen.
    phone = phone_page
    closed_menu(phone)
    phone.evaluate("window.scrollTo(0, 0)")
    for element in (
        phone.get_by_role("heading", level=1, name="Field coat"),
        phone.locator(".product__price"),
        phone.get_by_role("group", name="Colour"),
        phone.get_by_role("button", name="Add to cart", exact=True),
    ):
        box = element.bounding_box()
        assert box is not None and box["y"] + box["height"] < PHONE["height"], box
    expect(phone.locator("form[data-stock-alert]")).to_be_hidden()

    # The sold-out size, chosen in place (JavaScript on): the form appears, then works.
    option(phone, "Size", "M").click()
    option(phone, "Colour", "Green").click()
    expect(phone.locator("[data-availability]")).to_have_text("Out of stock")
    alert = phone.locator("form[data-stock-alert]")
    expect(alert).to_be_visible()
    alert.get_by_label("E-mail address").fill(SHOPPER)
    alert.get_by_role("button", name="Notify me").click()
    expect(phone.get_by_role("status")).to_contain_text(
        f"We will e-mail {SHOPPER} once when Field coat — Colour Green, Size M is back in stock"
    )
    expect(phone).to_have_url(re.compile(r"\?variant=COAT-M-G$"))
    # The sold-out state with the form, at both widths.
    both_widths(page, phone, url + "?variant=COAT-M-G", "product-out-of-stock")

    # The same address again, with JavaScript off: still one subscription.
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        no_js = context.new_page()
        no_js.goto(url + "?size=m&colour=green")
        no_js.get_by_label("E-mail address").fill(SHOPPER.upper())
        no_js.get_by_role("button", name="Notify me").click()
        expect(no_js.get_by_role("status")).to_contain_text(f"We will e-mail {SHOPPER} once")
    finally:
        context.close()
    assert StockSubscription.objects.count() == 1

    # Staff put five in the stock editor: one e-mail. Six more after that: none.
    log_in_to_admin(page)
    stock_url = f"{live_server.url}/admin/shop/products/{coat.pk}/stock/"
    for quantity in ("5", "6"):
        page.goto(stock_url)
        page.get_by_label("COAT-M-G in Main").fill(quantity)
        page.get_by_role("button", name="Save stock levels").click()
        expect(page.get_by_text("Stock of “Field coat” saved.")).to_be_visible()
        assert [message.to for message in mail.outbox] == [[SHOPPER]]
    body = mail.outbox[0].body
    assert re.search(r"/shop/p/field-coat-\d+/\?variant=COAT-M-G", body)

    # The e-mail's unsubscribe link: a page that asks, a button that does it.
    unsubscribe = re.search(r"/stock-alerts/unsubscribe/[A-Za-z0-9_-]+/", body)[0]
    phone.goto(live_server.url + unsubscribe)
    phone.get_by_role("button", name="Unsubscribe").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    assert not StockSubscription.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_gallery_and_save_to_list_work_without_javascript(
    live_server, page: Page, phone_page: Page, browser, browser_context_args
):
    make_shop(ensure_site())
    pans = make_category("Pans")
    pan = make_product("Steel pan", images=3, stock=4, main_category=pans)
    make_product("Wok", stock=2, main_category=pans)
    url = f"{live_server.url}/shop/p/{pan.slug}/"

    # In stock, with the gallery and "You may also like", at both widths.
    both_widths(page, phone_page, url, "product-in-stock")
    expect(page.get_by_role("heading", name="You may also like")).to_be_visible()
    closed_menu(phone_page)
    box = phone_page.get_by_role("button", name="Add to cart", exact=True).bounding_box()
    assert box["y"] + box["height"] < PHONE["height"]

    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        shopper = context.new_page()
        shopper.goto(url)
        views = shopper.locator(".gallery__view")
        expect(views.nth(0)).to_be_visible()
        expect(views.nth(2)).to_be_hidden()
        shopper.locator("label.gallery__thumb").nth(2).click()
        expect(views.nth(2)).to_be_visible()
        expect(views.nth(0)).to_be_hidden()

        # Save to list: the name field only for a new list; back on this page after.
        form = shopper.locator("form.add-to-list")
        expect(form.get_by_label("Name of the new list")).to_be_hidden()
        form.get_by_label("Save to list").select_option("new")
        expect(form.get_by_label("Name of the new list")).to_be_visible()
        form.get_by_label("Name of the new list").fill("Kitchen")
        form.get_by_role("button", name="Save", exact=True).click()
        expect(shopper).to_have_url(url)
        expect(shopper.get_by_role("status")).to_contain_text("Saved Steel pan to “Kitchen”")

        # From a listing's tile: the default list, and the same listing page.
        listing = f"{live_server.url}/shop/c/pans/"
        shopper.goto(listing)
        shopper.get_by_role("button", name=re.compile(r"^Save to list\W+Wok$")).click()
        expect(shopper).to_have_url(listing)
        expect(shopper.get_by_role("status")).to_contain_text("Saved Wok to “My list”")
    finally:
        context.close()
    saved = set(ShoppingListItem.objects.values_list("shopping_list__name", "product_name"))
    assert saved == {("Kitchen", "Steel pan"), ("My list", "Wok")}
