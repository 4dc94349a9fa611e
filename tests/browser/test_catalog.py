"""End to end in a real Chromium: a shopper filters the catalog, opens a product, searches.

The demo site provides the page tree, the main menu, the category tree,
attributes and warehouses (and some random products as background noise);
the products the assertions are about are created here with exact names,
prices, colours and stock, in a category the demo products never use, so the
expected results are known exactly.
"""

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from commerce.models import AttributeOption, Category, ProductStatus
from home.demo import ensure_site, seed_demo_content
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    make_shop,
    make_warehouse,
)

pytestmark = pytest.mark.browser

# Background noise for the filters: a few are enough, each one costs set-up time.
DEMO_PRODUCTS = 8


def demo_option(attribute, value):
    return AttributeOption.objects.get(definition__slug=attribute, value=value)


def build_tea_range():
    """A "Tea" branch under the demo's "Home & living", with known products and stock.

    Returns the names the shopper should find with Glaze: Ochre + In stock only
    (in the listing's default order, by name), and the product opened afterwards.
    """
    home_living = Category.objects.get(slug_path="home-living")
    tea = make_category("Tea", home_living, sort_order=3)
    teapots = make_category("Teapots", tea)
    towels = Category.objects.get(slug_path="home-living/bathroom/towels")
    # A shared attribute of its own: the demo's Colour is a variant axis (clothing).
    _, (ochre, navy) = make_attribute("Glaze", ["Ochre", "Navy"], show_on_tile=True)
    stoneware = demo_option("material", "Stoneware")
    closed = make_warehouse("closed", name="Closed depot", is_active=False)
    assert not closed.is_active

    teapot = make_product(
        "Ochre teapot",
        price=Decimal("34.50"),
        main_category=tea,
        options=[ochre, stoneware],
        stock=5,
    )
    make_product(
        "Ochre tea cup",
        price=Decimal("8.00"),
        main_category=tea,
        options=[ochre],
        stock={"main": 0, "north": 3},
    )
    make_product(
        "Ochre travel teapot",
        price=Decimal("21.00"),
        main_category=teapots,
        options=[ochre],
        stock=2,
    )
    towel = make_product(
        "Ochre kitchen towel", price=Decimal("6.00"), main_category=towels, options=[ochre], stock=7
    )
    towel.additional_categories.add(tea)
    towel.save_revision().publish()
    # Listed in "Tea", but not in the filtered results:
    make_product(
        "Ochre tea caddy", price=Decimal("12.00"), main_category=tea, options=[ochre], stock=0
    )
    make_product(
        "Ochre tea tray",
        price=Decimal("19.00"),
        main_category=tea,
        options=[ochre],
        stock={"closed": 9},
    )
    make_product(
        "Ochre milk jug",
        price=Decimal("9.00"),
        main_category=tea,
        options=[ochre],
        status=ProductStatus.DISABLED,
        stock=0,
    )
    make_product("Navy teapot", price=Decimal("34.50"), main_category=tea, options=[navy], stock=4)
    # Never listed at all:
    make_product(
        "Ochre secret teapot",
        main_category=tea,
        options=[ochre],
        status=ProductStatus.HIDDEN,
        stock=3,
    )
    make_product("Ochre draft teapot", main_category=tea, options=[ochre], stock=3, publish=False)

    expected = ["Ochre kitchen towel", "Ochre tea cup", "Ochre teapot", "Ochre travel teapot"]
    return expected, teapot, ochre


@pytest.mark.django_db(transaction=True)
def test_shopper_filters_a_category_and_opens_a_product(live_server, page: Page):
    seed_demo_content(products=DEMO_PRODUCTS)
    expected, teapot, ochre = build_tea_range()

    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Shop", exact=True).click()
    expect(page).to_have_url(re.compile(r"/shop/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Shop")

    # Top-level category, then the subcategory.
    subcategories = page.get_by_role("navigation", name="Subcategories")
    subcategories.get_by_role("link", name="Home & living", exact=True).click()
    expect(page).to_have_url(re.compile(r"/shop/c/home-living/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Home & living")
    subcategories.get_by_role("link", name="Tea", exact=True).click()
    expect(page).to_have_url(re.compile(r"/shop/c/home-living/tea/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tea")

    results = page.locator("section.results")
    tiles = results.locator("article.product-tile")
    # Everything visible in the branch: its own, the subcategory's, the extra-category towel.
    expect(results.locator(".results__count")).to_have_text("8 products")
    expect(tiles).to_have_count(8)

    filters = page.get_by_role("form", name="Filters")
    colour = filters.get_by_role("group", name="Glaze")
    # The facet counts the visible Ochre products of the branch (not the hidden or draft ones).
    # With JavaScript each box applies as it is ticked (tests/browser/test_catalog_layout.py
    # presses Apply without it).
    ochre_box = colour.get_by_role("checkbox", name="Ochre (7)", exact=True)
    with page.expect_navigation():
        ochre_box.check()
    in_stock_box = filters.get_by_role("checkbox", name="In stock only", exact=True)
    with page.expect_navigation():
        in_stock_box.check()

    # A plain GET: the filters are in the URL, ready to share.
    expect(page).to_have_url(re.compile(r"/shop/c/home-living/tea/\?.*\bin_stock=1\b"))
    params = parse_qs(urlsplit(page.url).query)
    assert params["in_stock"] == ["1"]
    assert params["option"] == [str(ochre.pk)]
    filtered_url = page.url

    def assert_filtered_results(view: Page):
        results = view.locator("section.results")
        tiles = results.locator("article.product-tile")
        expect(tiles.locator(".product-tile__name")).to_have_text(expected)
        expect(results.locator(".results__count")).to_have_text(f"{len(expected)} products")
        # One "Glaze: …" line per tile, and it says Ochre.
        expect(
            tiles.locator(".product-tile__attributes li").filter(has_text=re.compile(r"^Glaze:"))
        ).to_have_text(["Glaze: Ochre"] * len(expected))
        expect(tiles.locator(".availability")).to_have_text(["In stock"] * len(expected))
        view_filters = view.get_by_role("form", name="Filters")
        expect(
            view_filters.get_by_role("checkbox", name="In stock only", exact=True)
        ).to_be_checked()
        expect(
            view_filters.get_by_role("group", name="Glaze").get_by_role(
                "checkbox", name=re.compile(r"^Ochre \(\d+\)$")
            )
        ).to_be_checked()

    assert_filtered_results(page)

    # Someone else opening the link (no cookies, no history) sees the same results.
    other_context = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = other_context.new_page()
        other.goto(filtered_url)
        assert_filtered_results(other)
    finally:
        other_context.close()

    # Open a product from the results.
    results.get_by_role("link", name=teapot.name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/shop/p/{re.escape(teapot.slug)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ochre teapot")
    expect(page.locator(".product__price .money").first).to_have_text("34.50 EUR")
    colour_row = page.locator("table.attributes tr").filter(
        has=page.get_by_role("rowheader", name="Glaze", exact=True)
    )
    expect(colour_row.get_by_role("cell")).to_have_text("Ochre")
    expect(page.locator("[data-variant-summary] .availability")).to_have_text("In stock")
    # Sold as one variant: its SKU, no picker, and the forms carry that variant.
    expect(page.locator(".product__sku")).to_have_text(f"SKU {teapot.variants.get().sku}")
    expect(page.locator("form.variant-picker")).to_have_count(0)
    expect(page.locator("form.add-to-cart input[name=variant]")).to_have_value(
        str(teapot.variants.get().pk)
    )
    expect(page.get_by_role("button", name="Add to cart", exact=True)).to_be_enabled()
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("listitem")).to_have_text(
        ["Home", "Shop", "Home & living", "Tea", "Ochre teapot"]
    )
    expect(breadcrumb.get_by_role("link", name="Tea", exact=True)).to_have_attribute(
        "href", re.compile(r"/shop/c/home-living/tea/$")
    )


@pytest.mark.django_db(transaction=True)
def test_search_finds_by_sku_and_never_shows_hidden_products(live_server, page: Page):
    make_shop(ensure_site())
    kettle = make_product("Copper kettle", sku="KET-0042/CU", price=Decimal("49.00"), stock=3)
    kettle_sku = kettle.variants.get().sku
    make_product(
        "Kettle descaler",
        sku="KET-0042-D",
        short_description="Keeps the KET-0042/CU copper kettle shiny.",
        stock=10,
    )
    make_product("Enamel kettle", sku="KET-0050", stock=1)
    make_product("Wool blanket", sku="BLK-0001", stock=1)
    hidden = make_product(
        "Copper kettle prototype", sku="KET-0099", status=ProductStatus.HIDDEN, stock=1
    )

    def type_search(term):
        # The header's box, on every page (the product page has no listing box).
        box = page.get_by_role("search", name="Shop search").get_by_label("Search the shop")
        box.fill(term)
        box.press("Enter")

    def search(term):
        type_search(term)
        expect(page).to_have_url(re.compile(r"/shop/search/\?q="))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Search: “{term}”")

    page.goto(live_server.url + "/shop/")
    results = page.locator("section.results")
    names = results.locator(".product-tile__name")

    # A pasted SKU opens its product, on that variant.
    type_search(kettle_sku)
    expect(page).to_have_url(re.compile(r"/shop/p/copper-kettle[^/]*/\?variant="))
    assert parse_qs(urlsplit(page.url).query)["variant"] == [kettle_sku]
    expect(page.get_by_role("heading", level=1)).to_have_text("Copper kettle")

    # A word finds every visible match, never the hidden one.
    search("kettle")
    expect(results.locator(".results__count")).to_have_text("3 products")
    expect(names).to_have_count(3)
    # Ranked by relevance, so compare as a set.
    assert sorted(names.all_inner_texts()) == ["Copper kettle", "Enamel kettle", "Kettle descaler"]
    expect(results.get_by_text(hidden.name)).to_have_count(0)

    search(hidden.variants.get().sku)
    expect(results.locator(".results__count")).to_have_text("0 products")
    expect(names).to_have_count(0)
    # No filter is set, so the shopper is not told to remove one.
    expect(results.locator(".results__empty")).to_have_text(
        f"Nothing matches “{hidden.variants.get().sku}”. Try other words."
    )

    # Its address is a plain 404.
    response = page.goto(f"{live_server.url}/shop/p/{hidden.slug}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
