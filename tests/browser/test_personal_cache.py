"""A signed-in shopper with a cart on a cached page (services.personal_parts): their count,
mini-cart and name are there, with JavaScript on and off, while the body came from the
page cache that a stranger filled."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from home.demo import ensure_site
from tests.browser.test_checkout_form import live_server_session
from tests.factories.catalog import make_category, make_product, make_shop

pytestmark = pytest.mark.browser

CACHE = "X-Storefront-Cache"


@pytest.fixture
def pan(transactional_db):
    make_shop(ensure_site())
    return make_product(
        "Iron pan",
        sku="PAN-1",
        price=Decimal("25.00"),
        stock=9,
        main_category=make_category("Kitchen"),
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.django_db(transaction=True)
def test_a_signed_in_shopper_sees_their_cart_and_name_on_a_cached_page(
    live_server, pan, browser, browser_context_args, javascript
):
    user = get_user_model().objects.create_user("ann", password="x", first_name="Annabel")
    client = Client()
    client.force_login(user)
    assert client.post("/cart/add/", {"product": pan.pk, "quantity": 2}).status_code == 302

    context = browser.new_context(**browser_context_args, java_script_enabled=javascript)
    try:
        page = context.new_page()
        # A stranger renders the page into the cache first.
        page.goto(live_server.url + "/shop/")
        context.add_cookies(live_server_session(live_server, user))
        response = page.goto(live_server.url + "/shop/")
        assert response.headers[CACHE.lower()] == "hit"
        header = page.locator("header.site-header")
        if header.get_by_text("Menu", exact=True).is_visible():
            header.get_by_text("Menu", exact=True).click()
        expect(header.get_by_role("link", name="Cart, 2 items")).to_be_visible()
        expect(header.locator(".account-links__name")).to_have_text("Annabel")
        page.locator(".mini-cart__toggle").click()
        expect(page.locator(".mini-cart__panel")).to_contain_text("Iron pan")
        expect(page.locator(".mini-cart__panel")).to_contain_text("Qty 2")
    finally:
        context.close()
