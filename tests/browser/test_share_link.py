"""The owner of a shared list copies its link with one tap; without JavaScript the link is
still there to select."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from commerce.models import ShoppingList
from home.demo import ensure_site
from tests.factories.catalog import make_product, make_shop

pytestmark = pytest.mark.browser


def share_a_list(page: Page, live_server, lamp):
    page.goto(f"{live_server.url}/shop/p/{lamp.slug}/")
    page.get_by_role("button", name="Save", exact=True).click()
    page.goto(f"{live_server.url}/lists/")
    page.get_by_role("link", name="My list", exact=True).click()
    page.get_by_role("button", name="Share with a link").click()
    return page.get_by_label("Share link")


@pytest.mark.django_db(transaction=True)
def test_copy_link_puts_the_share_link_on_the_clipboard(live_server, page: Page):
    make_shop(ensure_site())
    lamp = make_product("Desk lamp", price=Decimal("30.00"), stock=4)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    link = share_a_list(page, live_server, lamp)
    token = ShoppingList.objects.get().share_token
    expect(link).to_have_value(f"{live_server.url}/lists/shared/{token}/")

    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link.input_value()


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_link_is_there_and_no_dead_button(live_server, browser):
    make_shop(ensure_site())
    lamp = make_product("Desk lamp", price=Decimal("30.00"), stock=4)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        link = share_a_list(page, live_server, lamp)
        expect(link).to_be_visible()
        expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    finally:
        context.close()
