"""End to end in a real Chromium: a shopper browses, an editor changes the homepage.

Each test seeds the demo site itself (inside a transactional test, so the
live_server thread sees committed rows) and drives the pages the way a
person would: through links, form fields and buttons, not direct URLs where
a click is what is being tested.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from home.demo import seed_demo_content
from home.models import HomePage
from tests.browser.admin_actions import publish

pytestmark = pytest.mark.browser

OLD_HEADING = "The autumn collection is here"
NEW_HEADING = "Winter is coming: knitwear restocked"


@pytest.mark.django_db(transaction=True)
def test_shopper_follows_the_main_menu_to_about_us(live_server, page: Page):
    # The menu and its pages are what this test follows; no catalog is needed for that.
    seed_demo_content(products=0)

    page.goto(live_server.url + "/")

    expect(page.locator(".hero").get_by_role("heading", name=OLD_HEADING)).to_be_visible()

    main_nav = page.get_by_role("navigation", name="Main")
    about_link = main_nav.get_by_role("link", name="About us", exact=True)
    expect(about_link).to_be_visible()
    about_link.click()

    expect(page).to_have_url(re.compile(r"/about/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("About us")
    # The menu marks where the shopper is now.
    expect(main_nav.get_by_role("link", name="About us", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator('head link[rel="canonical"]')).to_have_attribute(
        "href", re.compile(r"^https?://[^/]+/about/$")
    )
    expect(page).to_have_title(re.compile(r"About us"))


@pytest.mark.django_db(transaction=True)
def test_editor_previews_then_publishes_a_new_hero_heading(
    live_server, page: Page, log_in_to_admin
):
    seed_demo_content(products=8)
    # The first render of the homepage makes every image rendition; do it now so
    # the preview below measures the editor's flow, not image resizing.
    page.goto(live_server.url + "/")
    homepage = HomePage.objects.get()

    # Log in.
    log_in_to_admin(page)

    # Change the hero banner's heading in the StreamField editor.
    page.goto(f"{live_server.url}/admin/pages/{homepage.pk}/edit/")
    hero_block = page.locator("[data-streamfield-child]").first
    expect(hero_block.locator("[data-panel-heading]").first).to_contain_text("Hero banner")
    block_toggle = hero_block.locator("[data-panel-toggle]").first
    if block_toggle.get_attribute("aria-expanded") == "false":
        block_toggle.click()
    heading_input = page.locator('input[name="body-0-value-heading"]')
    expect(heading_input).to_be_visible()
    expect(heading_input).to_have_value(OLD_HEADING)
    heading_input.fill(NEW_HEADING)

    # The live preview shows the unsaved change.
    preview_toggle = page.get_by_role("button", name="Toggle preview")
    if preview_toggle.get_attribute("aria-expanded") != "true":
        preview_toggle.click()
    expect(preview_toggle).to_have_attribute("aria-expanded", "true")
    preview = page.frame_locator("#w-preview-iframe")
    # The panel re-renders after a debounce; allow for a slow first render on CI.
    expect(preview.locator(".hero").get_by_role("heading", name=NEW_HEADING)).to_be_visible(
        timeout=20_000
    )

    # The public site does not: nothing is saved yet.
    public = page.context.new_page()
    public.goto(live_server.url + "/")
    expect(public.locator(".hero").get_by_role("heading", name=OLD_HEADING)).to_be_visible()
    expect(public.get_by_text(NEW_HEADING)).to_have_count(0)

    # Saved as a draft, the change is still not public.
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Page 'Home' has been updated.")).to_be_visible()
    expect(heading_input).to_have_value(NEW_HEADING)
    public.reload()
    expect(public.locator(".hero").get_by_role("heading", name=OLD_HEADING)).to_be_visible()
    expect(public.get_by_text(NEW_HEADING)).to_have_count(0)
    homepage.refresh_from_db()
    assert homepage.has_unpublished_changes
    assert homepage.body[0].value["heading"] == OLD_HEADING

    # Publish from the footer's action menu.
    publish(page)
    expect(page.get_by_text("Page 'Home' has been published.")).to_be_visible()

    # Now the public homepage shows the new heading, and only that one.
    public.reload()
    expect(public.locator(".hero").get_by_role("heading", name=NEW_HEADING)).to_be_visible()
    expect(public.get_by_text(OLD_HEADING)).to_have_count(0)
    homepage.refresh_from_db()
    assert not homepage.has_unpublished_changes
    assert homepage.body[0].value["heading"] == NEW_HEADING
