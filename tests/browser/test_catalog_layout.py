"""The listing in a real Chromium at a phone's width and a desktop's: results first on a
phone with the filters behind "Filters (N)", two tiles a row, a grid that fills a wide
screen; filters that apply on change with JavaScript and with Apply without; removable
chips; and the tile's "Add to cart", with JavaScript on and off."""

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from commerce.models import CartLine
from home.demo import ensure_site
from tests.browser.layout import check_page, small_touch_targets
from tests.factories.catalog import make_attribute, make_category, make_product, make_shop

pytestmark = pytest.mark.browser

# Where a phone's first screen ends (844 px high, less room for the browser's own bars).
FIRST_SCREEN = 700
# The cart's feedback (its wording is the header part's: it may name the product).
ADDED = re.compile(r"to your cart", re.I)


def build_teaware():
    """A "Teaware" category with enough tiles for two rows on a desktop, a reduced one, and
    products the shop's search finds."""
    make_shop(ensure_site())
    teaware = make_category("Teaware")
    _, (ochre, navy) = make_attribute("Glaze", ["Ochre", "Navy"], show_on_tile=True)
    _, (stoneware,) = make_attribute("Material", ["Stoneware"])
    make_product(
        "Ochre teapot",
        price=Decimal("40.00"),
        compare_at_price=Decimal("50.00"),
        main_category=teaware,
        options=[ochre, stoneware],
        stock=5,
    )
    for index in range(8):
        make_product(
            f"Navy cup {index + 1}",
            price=Decimal("6.00") + index,
            main_category=teaware,
            options=[navy],
            stock=3,
        )
    return ochre, navy


def close_header_menus(page: Page):
    """The main menu's own state is the header's business; measure the listing below it as
    a shopper sees it with the menu closed."""
    page.evaluate("document.querySelectorAll('header details[open]').forEach(d => d.open = false)")


def box(locator):
    found = locator.bounding_box()
    assert found is not None
    return found


def small_targets_in_content(page: Page):
    """`small_touch_targets` on the page's content: the header and footer are other parts'."""
    page.evaluate(
        "document.querySelectorAll('header.site-header, body > footer')"
        ".forEach(e => e.classList.add('visually-hidden'))"
    )
    try:
        return small_touch_targets(page)
    finally:
        page.evaluate(
            "document.querySelectorAll('header.site-header, body > footer')"
            ".forEach(e => e.classList.remove('visually-hidden'))"
        )


@pytest.mark.django_db(transaction=True)
def test_a_phone_sees_results_first_in_two_columns_and_filters_on_change(
    live_server, phone_page: Page
):
    ochre, _ = build_teaware()
    page = phone_page
    base = live_server.url
    page.goto(base + "/shop/c/teaware/")
    close_header_menus(page)

    tiles = page.locator("article.product-tile")
    expect(tiles).to_have_count(9)
    first, second = box(tiles.nth(0)), box(tiles.nth(1))
    assert first["y"] < FIRST_SCREEN, f"the first product starts {first['y']:.0f}px down"
    # Two side by side, the page's width shared between them.
    assert second["y"] == pytest.approx(first["y"]) and second["x"] > first["x"] + first["width"]
    assert first["width"] > 150
    panel = page.locator("details.filters-panel")
    toggle = panel.locator("summary")
    expect(toggle).to_have_text("Filters")
    expect(page.get_by_role("form", name="Filters")).to_be_hidden()
    assert small_targets_in_content(page) == []
    teapot = tiles.filter(has_text="Ochre teapot")
    expect(teapot.locator(".product-tile__badge")).to_have_text("Sale −20 %")
    check_page(page, "category")

    # Ticking a facet applies it, no Apply press needed.
    toggle.click()
    filters = page.get_by_role("form", name="Filters")
    expect(filters).to_be_visible()
    with page.expect_navigation():
        filters.get_by_role("group", name="Glaze").get_by_role(
            "checkbox", name="Ochre (1)", exact=True
        ).check()
    assert parse_qs(urlsplit(page.url).query)["option"] == [str(ochre.pk)]
    expect(page.locator(".product-tile__name")).to_have_text(["Ochre teapot"])
    expect(toggle).to_have_text("Filters (1)")
    # The panel stays open on the box just ticked, for the next one.
    expect(filters).to_be_visible()
    expect(filters.get_by_role("checkbox", name="Ochre (1)", exact=True)).to_be_focused()
    with page.expect_navigation():
        filters.get_by_role("checkbox", name="In stock only", exact=True).check()
    expect(toggle).to_have_text("Filters (2)")
    close_header_menus(page)
    check_page(page, "category-filters-set")
    assert small_targets_in_content(page) == []

    # A chip removes its filter; "Clear all" the rest.
    chips = page.get_by_role("list", name="Active filters")
    chips.get_by_role("link", name="Remove filter: Glaze: Ochre").click()
    expect(page).to_have_url(re.compile(r"/shop/c/teaware/\?in_stock=1$"))
    expect(tiles).to_have_count(9)
    chips.get_by_role("link", name="Clear all filters").click()
    expect(page).to_have_url(re.compile(r"/shop/c/teaware/$"))
    expect(toggle).to_have_text("Filters")

    # The search: results, then none.
    page.goto(base + "/shop/search/?q=cup")
    close_header_menus(page)
    expect(tiles).to_have_count(8)
    check_page(page, "search")
    page.goto(base + "/shop/search/?q=kettle")
    close_header_menus(page)
    expect(page.locator(".results__empty")).to_have_text(
        "Nothing matches “kettle”. Try other words."
    )
    check_page(page, "search-no-results")


@pytest.mark.django_db(transaction=True)
def test_a_desktop_shows_filters_beside_a_grid_that_fills_the_width(live_server, page: Page):
    build_teaware()
    base = live_server.url
    page.goto(base + "/shop/c/teaware/")
    filters = page.get_by_role("form", name="Filters")
    expect(filters).to_be_visible()  # open beside the results, nothing to click
    expect(page.locator("details.filters-panel > summary")).to_be_hidden()
    results, grid = box(page.locator("section.results")), box(page.locator(".product-grid"))
    assert box(filters)["x"] + box(filters)["width"] < results["x"]
    tiles = page.locator("article.product-tile")
    first_row = [box(tiles.nth(i)) for i in range(tiles.count())]
    first_row = [b for b in first_row if b["y"] == pytest.approx(first_row[0]["y"])]
    assert len(first_row) >= 4
    # No empty column on the right, and tiles of a row are equally high.
    last = first_row[-1]
    assert grid["x"] + grid["width"] - (last["x"] + last["width"]) < 2
    assert len({round(b["height"]) for b in first_row}) == 1
    check_page(page, "category")

    page.goto(base + "/shop/c/teaware/?max_price=20&in_stock=1")
    expect(page.get_by_role("list", name="Active filters").get_by_role("link")).to_have_count(3)
    check_page(page, "category-filters-set")
    page.goto(base + "/shop/search/?q=cup")
    check_page(page, "search")
    page.goto(base + "/shop/search/?q=kettle")
    check_page(page, "search-no-results")
    # A price the shop cannot read: said beside the field, in words.
    page.goto(base + "/shop/c/teaware/?min_price=cheap")
    expect(page.locator("#min_price-error")).to_have_text("Enter a price, such as 25 or 12.50.")
    expect(page.get_by_label("From")).to_have_attribute("aria-invalid", "true")
    check_page(page, "category-price-error")
    page.goto(base + "/shop/")
    check_page(page, "shop")


@pytest.mark.django_db(transaction=True)
def test_without_javascript_apply_filters_and_add_to_cart_from_a_tile(
    live_server, no_js_page: Page
):
    ochre, _ = build_teaware()
    page = no_js_page
    base = live_server.url
    page.goto(base + "/shop/c/teaware/?sort=-price")
    filters = page.get_by_role("form", name="Filters")
    filters.get_by_role("checkbox", name="Ochre (1)", exact=True).check()
    page.wait_for_timeout(300)
    assert "option=" not in page.url  # nothing happens until Apply
    filters.get_by_label("From").fill("abc")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"option={ochre.pk}"))
    expect(page.locator("#min_price-error")).to_have_text("Enter a price, such as 25 or 12.50.")
    expect(page.locator(".product-tile__name")).to_have_text(["Ochre teapot"])

    filtered = page.url.removeprefix(base)
    page.get_by_role("button", name=re.compile(r"^Add to cart\W+Ochre teapot$")).click()
    expect(page).to_have_url(base + filtered)
    expect(page.get_by_role("status")).to_contain_text(ADDED)
    assert list(CartLine.objects.values_list("product_name", "quantity")) == [("Ochre teapot", 1)]


@pytest.mark.django_db(transaction=True)
def test_a_phone_adds_to_cart_from_a_tile_and_stays_on_the_listing(live_server, phone_page: Page):
    build_teaware()
    page = phone_page
    url = live_server.url + "/shop/c/teaware/?in_stock=1&sort=price"
    page.goto(url)
    button = page.get_by_role("button", name=re.compile(r"^Add to cart\W+Navy cup 2$"))
    assert box(button)["height"] >= 44
    button.click()
    expect(page).to_have_url(url)
    expect(page.get_by_role("status")).to_contain_text(ADDED)
    assert list(CartLine.objects.values_list("product_name", "quantity")) == [("Navy cup 2", 1)]
    # "Save to list" on the tile is a thumb's size too.
    save = page.get_by_role("button", name=re.compile(r"^Save to list\W+Navy cup 2$"))
    assert box(save)["height"] >= 44
