"""The header in Chromium at a phone's width and a desktop's: the menu closed on load and
opened by "Menu", the search box and its exact code match, the categories, the mini-cart,
the "Added to your cart" message and the favicon; axe-core and touch targets on home,
listing and product pages."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from home.demo import ensure_site
from tests.browser.layout import MIN_TOUCH_TARGET, check_page
from tests.factories.catalog import make_attribute, make_category, make_product, make_shop

pytestmark = pytest.mark.browser

D = Decimal


@pytest.fixture
def shop(transactional_db):
    make_shop(ensure_site())
    kitchen = make_category("Kitchen")
    make_category("Pans", parent=kitchen)
    clothing = make_category("Clothing")
    make_category("Coats", parent=clothing)
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    coat = make_product(
        "Rain coat",
        main_category=clothing,
        axes=[size],
        variants=[
            {"sku": "RAIN-S", "ean": "4006381333931", "options": [s], "stock": 5},
            {"sku": "RAIN-M", "options": [m], "price": D("40.00"), "stock": 5},
        ],
    )
    pan = make_product("Iron pan", sku="PAN-1", price=D("25.00"), stock=9, main_category=kitchen)
    return {"coat": coat, "pan": pan}


def small_header_targets(page: Page) -> list[str]:
    """`small_touch_targets` for the header's controls (the rest of each page is other tests'):
    every visible link, button, summary and field in it."""
    return page.evaluate(
        """(minimum) => [...document.querySelectorAll(
            '.site-header a, .site-header button, .site-header summary, .site-header input,'
            + '.message__link')]
          .filter((e) => e.getBoundingClientRect().width && !e.closest('.visually-hidden'))
          .filter((e) => e.getBoundingClientRect().height < minimum - 0.5)
          .map((e) => `${e.tagName} "${e.innerText.trim()}" is ${e.offsetHeight}px high`)""",
        MIN_TOUCH_TARGET,
    )


def header_height(page: Page) -> float:
    return page.locator("header.site-header").bounding_box()["height"]


def menu_link(page: Page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_menu_is_closed_until_menu_is_tapped(live_server, shop, phone_page):
    page = phone_page
    for url in ("/", "/shop/", f"/shop/p/{shop['pan'].slug}/"):
        page.goto(live_server.url + url)
        assert header_height(page) < 120, url
        expect(menu_link(page, "Kitchen")).to_be_hidden()
        expect(page.get_by_role("link", name="Log in")).to_be_hidden()
        expect(page.get_by_label("Search the shop")).to_be_visible()
        assert small_header_targets(page) == [], url
        check_page(page, f"header {url} closed")

        page.get_by_text("Menu", exact=True).click()
        expect(menu_link(page, "Kitchen")).to_be_visible()
        expect(menu_link(page, "Pans")).to_be_visible()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()
        assert small_header_targets(page) == [], url
        check_page(page, f"header {url} menu open")

    menu_link(page, "Pans").click()
    expect(page).to_have_url(re.compile(r"/shop/c/kitchen/pans/$"))
    expect(menu_link(page, "Pans")).to_be_hidden()  # closed again on the next page


@pytest.mark.django_db(transaction=True)
def test_on_a_desktop_the_menu_is_inline(live_server, shop, page: Page):
    for url in ("/", "/shop/", f"/shop/p/{shop['pan'].slug}/"):
        page.goto(live_server.url + url)
        expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
        expect(menu_link(page, "Shop")).to_be_visible()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()
        check_page(page, f"header {url}")
    menu_link(page, "Shop").hover()
    expect(menu_link(page, "Clothing")).to_be_visible()
    expect(menu_link(page, "Coats")).to_be_visible()
    check_page(page, "header categories open")
    menu_link(page, "Coats").click()
    expect(page).to_have_url(re.compile(r"/shop/c/clothing/coats/$"))


@pytest.mark.django_db(transaction=True)
def test_a_phone_shopper_searches_by_code_adds_and_sees_the_mini_cart(
    live_server, shop, phone_page
):
    page = phone_page
    page.goto(live_server.url + "/")
    search = page.get_by_label("Search the shop")
    search.fill(" rain-m ")
    search.press("Enter")
    expect(page).to_have_url(re.compile(rf"/shop/p/{shop['coat'].slug}/\?variant=RAIN-M$"))

    page.get_by_role("button", name="Add to cart", exact=True).click()
    message = page.locator(".messages")
    expect(message).to_contain_text("Added to your cart: Rain coat — Size M.")
    expect(message.get_by_role("link", name="View cart")).to_have_attribute("href", "/cart/")
    expect(message.get_by_role("link", name="Checkout")).to_have_attribute("href", "/checkout/")
    assert small_header_targets(page) == []
    check_page(page, "header added to cart")

    cart = page.get_by_role("link", name="Cart, 1 item")
    expect(cart).to_have_attribute("href", "/cart/")
    panel = page.locator(".mini-cart__panel")
    expect(panel).to_be_hidden()
    page.locator(".mini-cart__toggle").click()
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Rain coat")
    expect(panel).to_contain_text("Size M")
    expect(panel).to_contain_text("40.00")
    assert small_header_targets(page) == []
    check_page(page, "header mini-cart open")
    panel.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout/"))


@pytest.mark.django_db(transaction=True)
def test_without_javascript_search_cart_link_and_mini_cart_work(live_server, shop, browser):
    from tests.browser.layout import PHONE

    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/shop/p/{shop['pan'].slug}/")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Added to your cart: Iron pan.")
    page.get_by_label("Search the shop").fill("pan")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/shop/search/\?q=pan$"))
    page.locator(".mini-cart__toggle").click()
    expect(page.locator(".mini-cart__panel")).to_contain_text("Iron pan")
    page.get_by_role("link", name="Cart, 1 item").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_favicon_is_served(live_server, shop, page: Page):
    page.goto(live_server.url + "/")
    href = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
