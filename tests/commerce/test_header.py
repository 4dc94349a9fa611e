"""The site header: the search box and its exact SKU/EAN match, the shop's categories in the
main menu, the mini-cart (and that it never enters the shared page cache), the "Added to
your cart" message and the favicon."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from wagtail.models import Site

from commerce.models import Product, ProductStatus, ProductVariant, ShopPage
from commerce.services.catalog.exact_match import exact_match
from pages.models import BrandingSettings, FooterSettings
from pages.navigation import build_main_menu
from tests.factories.catalog import (
    add_content_page,
    make_attribute,
    make_category,
    make_product,
    make_shop,
    only_variant,
)

pytestmark = pytest.mark.django_db

D = Decimal
CACHE = "X-Storefront-Cache"


@pytest.fixture
def shop(homepage):
    # Site settings are created on first read (which bumps the catalog version): a live
    # site has them long before anyone looks at the cache.
    site = Site.objects.get(is_default_site=True)
    BrandingSettings.for_site(site)
    FooterSettings.for_site(site)
    return make_shop(homepage)


@pytest.fixture
def coat(shop):
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True, sort_order=1)
    product = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "ean": "4006381333931", "options": [s], "stock": 9},
            {"sku": "COAT-M", "options": [m], "price": D("120.00"), "stock": 9},
        ],
    )
    return {v.sku: v for v in product.variants.all()} | {"product": product}


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def header(response):
    return soup(response).select_one("header.site-header")


# --- Exact SKU / EAN match ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["COAT-S", "coat-s", "  Coat-S\t", "4006381333931", " 4006381333931 "]
)
def test_an_exact_sku_or_ean_finds_its_variant(coat, query):
    assert exact_match(query) == coat["COAT-S"]


@pytest.mark.parametrize(
    "query",
    ["", "   ", None, "COAT", "COAT-S COAT-M", "400638133393", "COAT-S\x00", "x" * 10_000, "٤٠٠٦"],
)
def test_anything_else_finds_nothing(coat, query):
    assert exact_match(query) is None


@pytest.mark.parametrize(
    "hide",
    [
        {"status": ProductStatus.HIDDEN},
        {"live": False},
    ],
)
def test_a_product_off_the_storefront_is_not_matched(coat, hide):
    Product.objects.filter(pk=coat["product"].pk).update(**hide)
    assert exact_match("COAT-S") is None


def test_an_inactive_variant_is_not_matched(coat):
    ProductVariant.objects.filter(sku="COAT-S").update(is_active=False)
    assert exact_match("COAT-S") is None
    assert exact_match("COAT-M") == coat["COAT-M"]


def test_two_matches_are_no_match(coat):
    # A SKU that is another variant's EAN, and two SKUs differing only in case.
    make_product("Tag", sku="4006381333931")
    assert exact_match("4006381333931") is None
    make_product("Lower coat", sku="coat-m")
    assert exact_match("COAT-M") is None


def test_the_search_route_opens_the_matched_variant(client, coat):
    response = client.get("/shop/search/", {"q": " coat-s "})
    assert response.status_code == 302
    assert response["Location"] == f"/shop/p/{coat['product'].slug}/?variant=COAT-S"


def test_the_search_route_lists_results_when_the_match_is_not_exact(client, coat):
    for params in ({"q": "COAT"}, {"q": "COAT-S", "page": "2"}, {"q": "COAT-S", "sort": "name"}):
        response = client.get("/shop/search/", params)
        assert response.status_code == 200, params


def test_a_hidden_product_is_not_opened_by_its_code(client, coat):
    Product.objects.filter(pk=coat["product"].pk).update(status=ProductStatus.HIDDEN)
    response = client.get("/shop/search/", {"q": "COAT-S"})
    assert response.status_code == 200
    assert coat["product"].slug not in response.content.decode()


@pytest.mark.parametrize("query", ["\x00", "COAT-S\x00", "x" * 100_000, "𝟘𝟙", "%00"])
def test_bad_queries_are_never_a_server_error(client, coat, query):
    assert client.get("/shop/search/", {"q": query}).status_code in (200, 400)


# --- The search box -----------------------------------------------------------------------


def test_every_page_has_the_search_box(client, coat, homepage):
    add_content_page(homepage, "About")
    for url in ("/", "/about/", "/shop/", f"/shop/p/{coat['product'].slug}/", "/cart/"):
        form = header(client.get(url)).select_one("form[role=search]")
        assert form is not None, url
        assert form["method"] == "get" and form["action"] == "/shop/search/"
        field = form.select_one("input[name=q]")
        assert field["type"] == "search" and field["enterkeyhint"] == "search"
        assert form.select_one(f"label[for={field['id']}]").get_text(strip=True)


def test_the_search_page_shows_what_was_searched(client, coat):
    page = header(client.get("/shop/search/", {"q": "warm <coat>"}))
    assert page.select_one("input[name=q]")["value"] == "warm <coat>"
    assert header(client.get("/shop/")).select_one("input[name=q]")["value"] == ""


# --- Categories in the main menu ------------------------------------------------------------


def make_tree(tops=2, children=2, first=0):
    for t in range(first, first + tops):
        top = make_category(f"Top {t}", sort_order=t)
        for c in range(children):
            child = make_category(f"Child {t}-{c}", parent=top, sort_order=c)
            make_category(f"Leaf {t}-{c}", parent=child)


def shop_menu(items):
    shop_item = next(item for item in items if item.url == "/shop/")
    return [(item.title, [child.title for child in item.children]) for item in shop_item.children]


def test_the_shop_item_opens_to_two_levels_of_categories(rf, shop):
    make_tree()
    make_category("Hidden", is_active=False)
    hidden_parent = make_category("Off", is_active=False)
    make_category("Under off", parent=hidden_parent)
    assert shop_menu(build_main_menu(rf.get("/"))) == [
        ("Top 0", ["Child 0-0", "Child 0-1"]),
        ("Top 1", ["Child 1-0", "Child 1-1"]),
    ]


def test_the_menu_links_categories_and_marks_the_current_one(client, shop):
    make_tree(tops=1, children=1)
    nav = header(client.get("/shop/c/top-0/child-0-0/")).select_one("nav.main-nav")
    current = nav.select("[aria-current=page]")
    assert [a.get_text(strip=True) for a in current] == ["Shop", "Top 0", "Child 0-0"]
    assert nav.select_one("a.main-nav__leaf")["href"] == "/shop/c/top-0/child-0-0/"


def test_editors_can_switch_the_categories_off(rf, shop):
    make_tree()
    ShopPage.objects.filter(pk=shop.pk).update(categories_in_menu=False)
    assert shop_menu(build_main_menu(rf.get("/"))) == []


def test_the_menu_costs_the_same_queries_for_any_number_of_categories(
    rf, shop, django_assert_num_queries
):
    request = rf.get("/")
    Site.find_for_request(request)
    Site.get_site_root_paths()
    ShopPage.for_request(request)  # once per request, shared with the header's search box
    make_tree(tops=1, children=1)
    # The pages (and Wagtail's restrictions), the catalog version and the categories (kept per
    # version: each make_tree bumps it, so both menus read them).
    with django_assert_num_queries(4) as small:
        build_main_menu(request)
    make_tree(tops=6, children=4, first=1)
    # A new request: a request reads the catalog version once (one snapshot per render).
    request = rf.get("/")
    Site.find_for_request(request)
    ShopPage.for_request(request)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(shop_menu(build_main_menu(request))) == 7


def test_a_menu_without_the_shop_asks_nothing_about_categories(
    rf, homepage, django_assert_num_queries
):
    add_content_page(homepage, "About", show_in_menus=True)
    make_tree()
    request = rf.get("/")
    Site.find_for_request(request)
    Site.get_site_root_paths()
    ShopPage.for_request(request)
    with django_assert_num_queries(2):
        build_main_menu(request)


# --- The mini-cart --------------------------------------------------------------------------


def add(client, variant, quantity=1):
    return client.post("/cart/add/", {"variant": variant.pk, "quantity": quantity})


def test_the_cart_link_counts_and_the_mini_cart_lists_lines(client, coat, shop):
    add(client, coat["COAT-M"], 2)
    add(client, coat["COAT-S"], 1)
    cart = header(client.get("/"))
    link = cart.select_one("a.cart-link")
    assert link["href"] == "/cart/" and link["aria-label"] == "Cart, 3 items"
    lines = cart.select(".mini-cart__line")
    assert [line.select_one(".mini-cart__name").get_text(strip=True) for line in lines] == [
        "Coat",
        "Coat",
    ]
    assert [line.select_one(".mini-cart__options").get_text() for line in lines] == [
        "Size M",
        "Size S",
    ]
    first = lines[0].get_text(" ", strip=True)
    assert "Qty 2" in first and "240.00" in first
    assert "250.00" in cart.select_one(".mini-cart__sum").get_text()
    links = {a.get_text(strip=True): a["href"] for a in cart.select(".mini-cart__actions a")}
    assert links == {"View cart": "/cart/", "Checkout": "/checkout/"}


def test_one_item_is_singular_and_no_cart_no_mini_cart(client, coat, shop):
    page = header(client.get("/"))
    assert page.select_one("a.cart-link").get("aria-label") is None
    assert page.select_one(".mini-cart") is None
    add(client, coat["COAT-S"])
    assert header(client.get("/")).select_one("a.cart-link")["aria-label"] == "Cart, 1 item"


def test_the_mini_cart_costs_the_same_queries_for_1_and_20_lines(
    client, shop, homepage, django_assert_max_num_queries
):
    add_content_page(homepage, "About")
    products = [make_product(stock=50, price=D("3.00")) for _ in range(20)]
    add(client, only_variant(products[0]))
    client.get("/about/")  # the messages of the add
    with django_assert_max_num_queries(1000) as one:
        response = client.get("/about/")
    # Read now: the next request clears the connection's query log.
    one_line = len(one.captured_queries)
    assert len(header(response).select(".mini-cart__line")) == 1
    for product in products[1:]:
        add(client, only_variant(product))
    client.get("/about/")
    with django_assert_max_num_queries(one_line):
        response = client.get("/about/")
    assert len(header(response).select(".mini-cart__line")) == 20


def test_a_cart_never_enters_the_shared_page_cache(client, coat, shop):
    """The shopper gets the cached body with their own mini-cart filled in
    (services.personal_parts); nobody else ever sees it."""
    stranger = Client()
    url = f"/shop/p/{coat['product'].slug}/"
    assert stranger.get(url)[CACHE] == "miss"
    add(client, coat["COAT-M"], 2)
    client.get(url)  # the add's message
    own = client.get(url)
    assert own[CACHE] == "hit"
    assert header(own).select_one(".mini-cart") is not None
    for response in (stranger.get(url), Client().get(url), Client().get("/")):
        page = header(response)
        assert response[CACHE] in ("hit", "miss")
        assert page.select_one(".mini-cart") is None
        assert page.select_one("a.cart-link").get("aria-label") is None
        assert "120.00" not in page.decode()


# --- "Added to your cart" ---------------------------------------------------------------------


def test_adding_names_the_variant_and_offers_cart_and_checkout(client, coat):
    response = add(client, coat["COAT-M"])
    message = soup(client.get(response["Location"])).select_one(".messages .message")
    assert message.get_text(" ", strip=True).startswith("Added to your cart: Coat — Size M.")
    links = {a.get_text(strip=True): a["href"] for a in message.select("a")}
    assert links == {"View cart": "/cart/", "Checkout": "/checkout/"}


def test_the_message_escapes_the_product_name(client, shop):
    product = make_product("<b>Bold</b> & co", stock=5)
    response = add(client, only_variant(product))
    html = client.get(response["Location"]).content.decode()
    assert "Added to your cart: &lt;b&gt;Bold&lt;/b&gt; &amp; co." in html
    assert "<b>Bold</b>" not in html


def test_a_capped_quantity_says_so_with_the_links(client, coat):
    response = add(client, coat["COAT-S"], 50)
    message = soup(client.get(response["Location"])).select_one(".messages .message")
    assert "9" in message.get_text() and "Added to your cart" not in message.get_text()
    assert [a.get_text(strip=True) for a in message.select("a")] == ["View cart", "Checkout"]


# --- Favicon ----------------------------------------------------------------------------------


def test_every_page_links_a_favicon_that_is_a_static_file(client, shop):
    icon = soup(client.get("/")).select_one("link[rel=icon]")
    assert icon["type"] == "image/svg+xml"
    assert icon["href"] == static("storefront/favicon.svg")
    # Served by the static files like the stylesheet (tests/browser/test_header.py fetches it).
    with open(finders.find("storefront/favicon.svg"), "rb") as svg:
        assert svg.read().lstrip().startswith(b"<svg")
