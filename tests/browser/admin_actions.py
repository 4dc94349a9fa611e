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


def fill_date(field: Locator, value: str) -> None:
    """Types a date into one of Wagtail's date(-time) fields and closes its picker.

    The picker (Wagtail's jquery.datetimepicker) opens 100 ms after the field takes focus,
    from a timer: closing it before then closes nothing, and it opens afterwards over
    whatever comes next. So: wait for it to open, then leave the field (its blur closes
    the picker and sends the change the preview listens for) and wait until it has gone."""
    field.fill(value)
    expect(field).to_have_value(value)
    picker = field.page.locator(".xdsoft_datetimepicker:visible")
    expect(picker).to_have_count(1)
    field.blur()
    expect(picker).to_have_count(0)
    expect(field).to_have_value(value)


# Run before any page script, on every page the browser opens (see watch_for_edits).
EDITS_WATCHED = """document.addEventListener("w-unsaved:watch-edits",
    () => { window.storefrontEditsWatched = true; })"""


def watch_for_edits(page: Page) -> None:
    """Lets `wait_for_edit_tracking` see when Wagtail starts watching an edit form; call it
    before opening the form."""
    page.add_init_script(EDITS_WATCHED)


def wait_for_edit_tracking(page: Page) -> None:
    """Waits until Wagtail watches the edit form for changes.

    Its unsaved-changes check (the `w-unsaved` controller) takes the form as it stands 2 s
    after the page loads as its baseline (the `w-unsaved:watch-edits` event), and the
    preview panel refreshes only on changes from it: an edit made before then is part of
    the baseline and never reaches the preview. An editor never types that fast; a test
    on a warm server does."""
    page.wait_for_function("() => window.storefrontEditsWatched === true")


def wait_for_preview_update(page: Page) -> None:
    """Waits until the preview panel has no update in flight.

    Wagtail's preview controller drops a change made while an update is in flight (it
    answers the running update and keeps the change marked stale, with nothing left to
    send it): an editor's second change to "Preview as of" must wait for the first."""
    page.wait_for_function(
        """() => {
            const element = document.querySelector('[data-controller~="w-preview"]');
            const preview = element && window.wagtail.app
                .getControllerForElementAndIdentifier(element, "w-preview");
            return preview && preview.ready && preview.updatePromise === null;
        }"""
    )
