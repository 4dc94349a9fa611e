"""Every page type a shopper sees, at a phone's width (390 px) and a desktop's (1280 px).

On each page: nothing scrolls sideways, axe-core finds no violations, a screenshot goes to
build/screenshots/<page>-<width>.png (see the README's "Screenshots"), and at 390 px every
control is at least 44 px high (`layout.small_touch_targets`). The header is the same on
every page: its controls are measured in the states that change it (signed out; signed in
with a full cart), everything below it on every page.

One test builds the demo shop once and walks every page at both widths (one live server,
the data reused across the pages): building the shop costs more than checking a page, so
one test per page type would not keep the suite near its 15 minutes. Every page is checked
even when an earlier one fails, and a failure lists all that is wrong, page by page.

Each page (and the header, the product tiles, the form fields inside pages) belongs to one
part of issue 16. While a part is still restyling its pages (PENDING), their problems make
the test an expected failure that lists them, instead of a failure; the problems of every
other part's pages fail it. When a part is merged, its line in PENDING goes.
"""

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from playwright.sync_api import Page, expect

from commerce.models import Product, ShopPage
from commerce.services import shopping_lists
from home.demo import seed_demo_content
from pages.models import ContentPage
from tests.browser.layout import (
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    screenshot,
    small_touch_targets,
)
from tests.browser.test_no_javascript import fill_billing_address
from tests.factories.accounts import make_address, make_customer, make_order

pytestmark = pytest.mark.browser

# Demo products: enough for a listing with a filter, a search, a product with a picker.
DEMO_PRODUCTS = 8


@dataclass
class Shop:
    base: str
    shop_url: str
    category_url: str
    product: Product
    content_url: str
    customer: object
    order_number: str
    list_id: int
    shared_url: str


def build_shop(base) -> Shop:
    seed_demo_content(products=DEMO_PRODUCTS)
    # A product with a picker (two axes), in stock, and its category.
    product = next(
        p
        for p in Product.objects.filter(live=True).order_by("pk")
        if p.variant_axes.count() > 1 and p.variants.count() > 1
    )
    shop_url = ShopPage.objects.get().url
    category = product.main_category
    customer = make_customer("ada@example.com")
    make_address(customer, is_default=True)
    make_address(customer, label="Office", city="Kraków")
    order = make_order(
        customer,
        lines=[
            ("Stoneware mug", "PROMO-MUG", "7.50", 2),
            (product.name, "DEMO-1", "120.00", 1, "Size M, Colour Green"),
        ],
    )
    owner = shopping_lists.Owner(user=customer)
    favourites = shopping_lists.default_list(owner)
    gifts = shopping_lists.create_list(owner, "Birthday gifts")
    for variant in product.variants.order_by("pk")[:2]:
        shopping_lists.add_item(favourites, variant.pk, 1, "for the garden")
        shopping_lists.add_item(gifts, variant.pk, 2)
    token = shopping_lists.share(gifts)
    return Shop(
        base=base,
        shop_url=shop_url,
        category_url=f"{shop_url}c/{category.slug_path}/",
        product=product,
        content_url=ContentPage.objects.live().order_by("path").first().url,
        customer=customer,
        order_number=order.number,
        list_id=favourites.pk,
        shared_url=f"/lists/shared/{token}/",
    )


def log_in(page: Page, shop: Shop):
    """Signs the customer in by the session cookie: no log-in form (rate limited) per page."""
    client = Client()
    client.force_login(shop.customer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": shop.base, "httpOnly": True}]
    )


# Parts of issue 16 still restyling their pages, and the regions of other pages that are
# theirs (checked with their pages, left out of the others').
PENDING: dict[str, str] = {}
REGIONS = {"catalog": ".product-tile", "forms": ".form-field"}

# Everything but the header (see the module docstring), and the header.
PAGE_BODY = "main, body > footer"
HEADER = "body > header"


class Walk:
    """Checks page states at one width and keeps every problem, with the part it is for."""

    def __init__(self, page: Page, width: str, base: str):
        self.page = page
        self.width = width
        self.base = base
        self.problems = []  # (part, text)

    def report(self, part, name, text):
        self.problems.append((part, f"[{part}] {name} at {self.width}: {text}"))

    def check(self, name: str, part: str, *, header=False):
        """The page as it is now; `header`: its header's controls are measured too."""
        # layout.check_page's steps, one by one: a page's every problem is reported.
        screenshot(self.page, name)
        for assertion in (assert_no_horizontal_scroll, assert_no_axe_violations):
            try:
                assertion(self.page)
            except AssertionError as error:
                self.report(part, name, error)
        if self.width != "phone":
            return
        # A pending part's regions inside this page are reported as that part's.
        regions = {p: REGIONS[p] for p in PENDING if p in REGIONS and p != "header"}
        if header:
            regions["header"] = HEADER
        small = small_touch_targets(self.page, PAGE_BODY, ", ".join(regions.values()))
        if small:
            self.report(part, name, f"touch targets under 44px: {small}")
        for region_part, region in regions.items():
            small = small_touch_targets(self.page, region)
            if small:
                self.report(region_part, name, f"touch targets under 44px: {small}")

    def visit(self, path: str, name: str, part: str, *, status=200, header=False):
        response = self.page.goto(self.base + path)
        assert response.status == status, f"{path}: {response.status}"
        self.check(name, part, header=header)


def add_to_cart(page: Page, shop: Shop):
    """Two lines: the first variant in stock of the product with a picker, then a mug."""
    variant = next(v for v in shop.product.variants.order_by("pk") if v.is_in_stock)
    page.goto(f"{shop.base}{shop.shop_url}p/{shop.product.slug}/?variant={variant.sku}")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    page.goto(f"{shop.base}{shop.shop_url}search/?q=mug")
    page.get_by_role("link", name="Stoneware mug").first.click()
    page.get_by_role("button", name="Add to cart", exact=True).click()
    page.wait_for_load_state()


def walk_as_a_guest(walk: Walk, shop: Shop):
    walk.visit("/", "home", "proof", header=True)
    walk.visit(shop.content_url, "content page", "proof")
    walk.visit("/no-such-page/", "404", "proof", status=404)
    # The 500 page as the server sends it, on the shop's origin (its stylesheet is a static file).
    walk.page.set_content(render_to_string("500.html"))
    walk.check("500", "proof")
    walk.visit("/account/login/", "log-in", "proof")
    walk.visit("/account/signup/", "sign-up", "proof")
    walk.visit(shop.shop_url, "catalog listing", "catalog")
    walk.visit(f"{shop.category_url}?in_stock=1", "category with a filter", "catalog")
    walk.visit(f"{shop.shop_url}search/?q={shop.product.name.split()[0]}", "search", "catalog")
    walk.visit(f"{shop.shop_url}search/?q=zzxxqq", "search without results", "catalog")
    walk.visit(f"{shop.shop_url}p/{shop.product.slug}/", "product with picker", "product")


def walk_checkout(walk: Walk, shop: Shop):
    """A guest's cart and checkout, to the confirmation."""
    page = walk.page
    add_to_cart(page, shop)
    walk.visit("/cart/", "cart with lines", "cart")
    walk.visit("/checkout/details/", "checkout details", "forms")
    page.get_by_label("E-mail").fill("grace@example.com")
    fill_billing_address(page)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/checkout/delivery/$"))
    walk.check("checkout delivery", "cart")
    page.get_by_label("Courier").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/checkout/payment/$"))
    walk.check("checkout payment", "cart")
    page.get_by_role("radio", name=re.compile(r"^Card")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/checkout/review/$"))
    # The review's card fields and consent are the checkout form's (part "forms").
    walk.check("checkout review", "forms")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry").fill("12/39")
    page.get_by_label(re.compile("^(Cvc|CVC)")).fill("123")
    page.get_by_label(re.compile("I have checked my order")).check()
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    expect(page).to_have_url(re.compile(r"/checkout/order/[\w-]{20,}/$"))
    walk.check("order confirmation", "cart")


def walk_signed_in(walk: Walk, shop: Shop):
    log_in(walk.page, shop)
    add_to_cart(walk.page, shop)
    walk.visit("/account/", "account overview", "proof", header=True)
    walk.visit("/account/orders/", "account orders", "proof")
    walk.visit(f"/account/orders/{shop.order_number}/", "account order detail", "proof")
    walk.visit("/account/addresses/", "account addresses", "proof")
    walk.visit("/account/addresses/add/", "account address form", "forms")
    walk.visit("/account/password/", "account password change", "proof")
    walk.visit("/lists/", "lists index", "proof")
    walk.visit(f"/lists/{shop.list_id}/", "list detail", "proof")
    walk.visit(shop.shared_url, "shared list", "proof")


@pytest.mark.django_db(transaction=True)
def test_every_page_type_at_phone_and_desktop_width(live_server, page: Page, phone_page: Page):
    shop = build_shop(live_server.url)
    problems = []
    # conftest's csp_violations watches the desktop page; the phone's context reports here.
    phone_page.context.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and problems.append(("proof", f"CSP at phone on {phone_page.url}: {message.text}"))
        ),
    )
    for width, view in (("phone", phone_page), ("desktop", page)):
        walk = Walk(view, width, live_server.url)
        walk_as_a_guest(walk, shop)
        walk_checkout(walk, shop)
        walk_signed_in(walk, shop)
        problems += walk.problems
    failing = [text for part, text in problems if part not in PENDING]
    expected = [text for part, text in problems if part in PENDING]
    assert not failing, "\n\n".join(failing + ["Also, on pages still being restyled:"] + expected)
    if expected:
        pytest.xfail("Pages other parts are restyling:\n\n" + "\n\n".join(expected))
