"""End to end in a real Chromium: an editor schedules a homepage banner for next week.

The editor gives the homepage's hero banner a new heading and a campaign window starting
next week, previews the page "as of" next week (the banner is there) and as of now (it is
not), publishes, and the public homepage does not show the banner today.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from home.demo import seed_demo_content
from home.models import HomePage
from tests.browser.admin_actions import (
    fill_date,
    publish,
    wait_for_edit_tracking,
    wait_for_preview_update,
    watch_for_edits,
)

pytestmark = pytest.mark.browser

CAMPAIGN_HEADING = "Winter sale starts next week"
OLD_HEADING = "The autumn collection is here"  # the demo's hero
# The preview panel re-renders after a debounce; a loaded machine renders slowly.
SLOW = 60_000


def admin_moment(moment):
    """A moment as the admin's date and time fields take it (the site's time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@pytest.mark.django_db(transaction=True)
def test_editor_schedules_a_banner_previews_it_next_week_and_shoppers_do_not_see_it_today(
    live_server, page: Page, log_in_to_admin
):
    seed_demo_content(products=0)
    # The first render makes the image renditions; not part of the editor's flow.
    page.goto(live_server.url + "/")
    homepage = HomePage.objects.get()
    next_week = timezone.now() + timedelta(days=7)
    log_in_to_admin(page)

    # The preview panel shows the page as it is.
    watch_for_edits(page)
    page.goto(f"{live_server.url}/admin/pages/{homepage.pk}/edit/")
    preview_toggle = page.get_by_role("button", name="Toggle preview")
    if preview_toggle.get_attribute("aria-expanded") != "true":
        preview_toggle.click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.get_by_role("heading", name=OLD_HEADING)).to_be_visible(timeout=SLOW)
    wait_for_edit_tracking(page)

    # The hero banner gets the campaign's heading and a start next week.
    hero_block = page.locator("[data-streamfield-child]").first
    expect(hero_block.locator("[data-panel-heading]").first).to_contain_text("Hero banner")
    block_toggle = hero_block.locator("[data-panel-toggle]").first
    if block_toggle.get_attribute("aria-expanded") == "false":
        block_toggle.click()
    page.locator('input[name="body-0-value-heading"]').fill(CAMPAIGN_HEADING)
    starts_at = page.locator('input[name="body-0-value-starts_at"]')
    expect(starts_at).to_be_visible()
    fill_date(starts_at, admin_moment(next_week))

    # The preview as of next week shows the banner...
    preview_as_of = page.locator('input[name="preview_as_of"]')
    wait_for_preview_update(page)
    fill_date(preview_as_of, admin_moment(next_week + timedelta(hours=1)))
    expect(preview.get_by_role("heading", name=CAMPAIGN_HEADING)).to_be_visible(timeout=SLOW)

    # ... and the preview as of now does not. (A moment, not an emptied field: the
    # preview refreshes on changes from the form as it was loaded, and emptying the field
    # could bring the form back to that and leave the preview as it was.)
    wait_for_preview_update(page)
    fill_date(preview_as_of, admin_moment(timezone.now()))
    expect(preview.get_by_role("heading", name=CAMPAIGN_HEADING)).to_have_count(0, timeout=SLOW)

    # Published, the banner waits for its start: shoppers do not see it today.
    publish(page)
    expect(page.get_by_text("Page 'Home' has been published.")).to_be_visible()
    homepage.refresh_from_db()
    hero = homepage.body[0].value
    assert hero["heading"] == CAMPAIGN_HEADING
    assert hero["starts_at"] is not None and hero["starts_at"] > timezone.now()

    shopper = page.context.browser.new_context().new_page()
    shopper.goto(live_server.url + "/")
    expect(shopper.get_by_role("navigation", name="Main")).to_be_visible()
    expect(shopper.get_by_text(CAMPAIGN_HEADING)).to_have_count(0)
    shopper.context.close()
