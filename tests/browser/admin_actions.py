"""Wagtail's footer action menu, driven the way an editor drives it."""

from playwright.sync_api import Locator, Page, expect


def choose_more_action(page: Page, action: Locator) -> None:
    """Opens "More actions", clicks ``action`` in it and waits for the page it answers with,
    so a check made next reads that page, not the form the editor just submitted."""
    page.get_by_role("button", name="More actions").click()
    expect(action).to_be_visible()
    with page.expect_navigation():
        action.click()


def publish(page: Page) -> None:
    """ "Publish" (or "Schedule to publish" when the draft has a go-live date)."""
    choose_more_action(page, page.locator('button[name="action-publish"]'))
