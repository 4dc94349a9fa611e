"""The header's search box in Chromium: with JavaScript, suggestions as you type (a
combobox: arrow keys, Enter, Escape); without it, a plain search that still finds plurals
and prefixes and offers "Did you mean"."""

import pytest
from playwright.sync_api import expect

from home.demo import ensure_site
from tests.factories.catalog import make_category, make_product, make_shop

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(transactional_db):
    make_shop(ensure_site())
    kitchen = make_category("Kitchen")
    pans = make_category("Pans", parent=kitchen)
    knitwear = make_category("Knitwear")
    return {
        "kettle": make_product("Steel kettle", stock=3, main_category=pans),
        "scarves": make_product("Wool scarves", stock=3, main_category=knitwear),
    }


@pytest.mark.django_db(transaction=True)
def test_suggestions_as_you_type_with_arrow_keys_enter_and_escape(live_server, shop, page):
    page.goto(live_server.url + "/shop/")
    box = page.get_by_role("combobox", name="Search the shop")
    box.fill("kit")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option", name="Kitchen")).to_be_visible()

    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")

    box.fill("steel ket")
    option = listbox.get_by_role("option", name="Steel kettle")
    expect(option).to_be_visible()
    box.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    box.press("Enter")
    expect(page).to_have_url(live_server.url + f"/shop/p/{shop['kettle'].slug}/")


@pytest.mark.django_db(transaction=True)
def test_enter_without_a_highlighted_suggestion_searches(live_server, shop, page):
    page.goto(live_server.url + "/shop/")
    box = page.get_by_role("combobox", name="Search the shop")
    box.fill("scarf")
    expect(page.get_by_role("option", name="Wool scarves")).to_be_visible()
    box.press("Enter")
    expect(page).to_have_url(live_server.url + "/shop/search/?q=scarf")
    expect(page.get_by_role("link", name="Wool scarves").first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_box_is_a_plain_search(live_server, shop, no_js_page):
    page = no_js_page
    page.goto(live_server.url + "/shop/")
    box = page.get_by_role("searchbox", name="Search the shop")
    box.fill("kett")
    box.press("Enter")
    expect(page).to_have_url(live_server.url + "/shop/search/?q=kett")
    expect(page.get_by_role("link", name="Steel kettle").first).to_be_visible()

    box = page.get_by_role("searchbox", name="Search the shop")
    box.fill("kettel")
    box.press("Enter")
    page.get_by_role("link", name="kettle", exact=True).click()
    expect(page.get_by_role("link", name="Steel kettle").first).to_be_visible()
