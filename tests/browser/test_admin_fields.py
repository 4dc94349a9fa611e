"""In a real Chromium: staff narrow a long list of ticks with its filter box and save their
choice; an editor picks the brand colour with the colour picker and the shop wears it."""

import re

import pytest
from playwright.sync_api import Page, expect
from wagtail.models import Site

from commerce.models import Product
from pages.models import BrandingSettings
from tests.browser.admin_actions import publish
from tests.browser.layout import assert_no_horizontal_scroll, screenshot
from tests.factories.catalog import make_attribute, make_category, make_product

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_staff_filter_the_categories_and_tick_one(live_server, page: Page, log_in_to_admin):
    clothing = make_category("Clothing")
    coats = make_category("Coats", make_category("Outerwear", clothing))
    for name in ("Garden", "Kitchen", "Office", "Cycling"):
        make_category(name)
    make_attribute("Material", ["Steel", "Wool"])
    product = make_product("Heritage coat")
    log_in_to_admin(page)

    page.goto(f"{live_server.url}/admin/snippets/commerce/product/edit/{product.pk}/")
    # The stock editor is one click from the header, whichever tab is open.
    expect(page.locator("header a[data-stock-link]")).to_have_text("Stock levels")
    page.get_by_role("tab", name="Categories and attributes").click()
    field = page.locator("[data-contentpath=additional_categories]")
    ticks = field.locator("input[type=checkbox]")
    shown = field.locator(".commerce-checkbox-filter__list label:visible")
    expect(ticks).to_have_count(7)
    search = field.get_by_placeholder("Filter categories")
    expect(search).to_be_visible()  # the script shows it

    search.fill("coat")
    expect(shown).to_have_text(["Clothing › Outerwear › Coats"])
    expect(field.locator("[data-checkbox-filter-status]")).to_have_text("1 of 7 shown")
    search.press("Enter")  # must not submit the whole form
    expect(page).to_have_url(re.compile(r"/edit/\d+/(#[a-z_-]+)?$"))  # the tab only
    field.get_by_label("Clothing › Outerwear › Coats").check()

    search.fill("zzz")
    expect(shown).to_have_count(0)
    search.fill("")
    expect(shown).to_have_count(7)
    expect(field.get_by_label("Clothing › Outerwear › Coats")).to_be_checked()

    # Attributes: typing the attribute's name keeps its options.
    attributes = page.locator("[data-contentpath=attribute_options]")
    attributes.get_by_placeholder("Filter attributes").fill("material")
    expect(attributes.locator("input[type=checkbox]:visible")).to_have_count(2)
    attributes.get_by_placeholder("Filter attributes").fill("wool")
    expect(attributes.locator("input[type=checkbox]:visible")).to_have_count(1)
    attributes.get_by_label("Wool").check()

    publish(page)
    expect(page.locator(".messages")).to_contain_text("published")
    product = Product.objects.get(pk=product.pk)
    assert [c.pk for c in product.additional_categories.all()] == [coats.pk]
    assert [o.value for o in product.attribute_options.all()] == ["Wool"]


@pytest.mark.django_db(transaction=True)
def test_editor_picks_the_brand_colour(
    live_server, page: Page, phone_page: Page, log_in_to_admin, homepage
):
    site = Site.objects.get(is_default_site=True)
    BrandingSettings.for_site(site)
    log_in_to_admin(page)
    page.goto(f"{live_server.url}/admin/settings/pages/brandingsettings/{site.pk}/")
    colour = page.locator("input[name=primary_colour]")
    expect(colour).to_have_attribute("type", "color")
    colour.fill("#1a73e8")
    page.locator("input[name=tagline]").fill("Tools that last")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("updated")
    assert BrandingSettings.for_site(site).primary_colour == "#1a73e8"

    # The shop wears both, at desktop and at phone width.
    for shopper in (page, phone_page):
        shopper.goto(live_server.url + "/")
        expect(shopper.locator("footer [data-tagline]")).to_have_text("Tools that last")
        assert "--brand: #1a73e8;" in shopper.content()
        assert_no_horizontal_scroll(shopper)
        screenshot(shopper, "home-tagline")
