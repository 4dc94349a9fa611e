"""End to end in a real Chromium: a guest builds lists, signs in, and finds them merged."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from commerce.services.shopping_lists import Owner, add_item, create_list, default_list
from home.demo import ensure_site
from tests.factories.catalog import make_attribute, make_product, make_shop, only_variant

pytestmark = pytest.mark.browser

EMAIL = "lin@example.com"
PASSWORD = "another-long-passphrase"


@pytest.mark.django_db(transaction=True)
def test_guest_list_is_merged_into_the_account_on_login(live_server, page: Page):
    make_shop(ensure_site())
    lamp = make_product("Desk lamp", price=Decimal("30.00"), stock=4)
    vase = make_product("Glass vase", price=Decimal("15.00"), stock=4)
    size, (small, medium) = make_attribute("Size", ["S", "M"])
    coat = make_product(
        "Heritage coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "price": Decimal("100.00"), "options": [small], "stock": 2},
            {"sku": "COAT-M", "price": Decimal("120.00"), "options": [medium], "stock": 2},
        ],
    )
    user = get_user_model().objects.create_user(EMAIL, EMAIL, PASSWORD)
    # The account already has a default list with the lamp and two sizes of the coat,
    # and a "Gifts" list.
    account_list = default_list(Owner(user=user))
    add_item(account_list, only_variant(lamp).pk, 1, "for the study")
    for variant in coat.variants.order_by("sku"):
        add_item(account_list, variant.pk)
    create_list(Owner(user=user), "Gifts")

    # As a guest: the lamp into the default list, the vase into a new "Gifts" list.
    page.goto(f"{live_server.url}/shop/p/{lamp.slug}/")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved {lamp.name} to “My list”")
    page.goto(f"{live_server.url}/shop/p/{vase.slug}/")
    page.get_by_label("Save to list").select_option("new")
    page.get_by_label("Name of the new list").fill("Gifts")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved {vase.name} to “Gifts”")
    page.goto(f"{live_server.url}/lists/")
    expect(page.get_by_role("link", name="Gifts", exact=True)).to_be_visible()

    # Sign in: the lists come along.
    page.goto(f"{live_server.url}/account/login/")
    page.locator('input[name="username"]').fill(EMAIL)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    page.goto(f"{live_server.url}/lists/")
    rows = page.locator("table.list-table tbody tr")
    expect(rows.locator("td:first-child a")).to_have_text(["My list", "Gifts", "Gifts (2)"])

    # The default lists merged: one lamp line with both quantities, each coat size its own.
    page.get_by_role("link", name="My list", exact=True).click()
    expect(page).to_have_url(re.compile(r"/lists/\d+/$"))
    lines = page.locator("table.list-table tbody tr")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("Desk lamp")
    expect(lines.nth(0).get_by_label("Quantity")).to_have_value("2")
    expect(lines.nth(1)).to_contain_text("Heritage coat — Size M (SKU COAT-M)")
    expect(lines.nth(2)).to_contain_text("Heritage coat — Size S (SKU COAT-S)")
    # A coat size links to the product page with that size chosen.
    expect(lines.nth(1).get_by_role("link", name="Heritage coat — Size M")).to_have_attribute(
        "href", re.compile(r"/shop/p/heritage-coat-\d+/\?variant=COAT-M$")
    )

    # The guest's "Gifts" moved over as "Gifts (2)" with the vase.
    page.goto(f"{live_server.url}/lists/")
    page.get_by_role("link", name="Gifts (2)", exact=True).click()
    expect(page.locator("table.list-table tbody tr")).to_contain_text("Glass vase")
