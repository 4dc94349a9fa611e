"""Fixtures for the browser tests: Debian's Chromium, a desktop viewport, an editor.

Playwright's own browser download is blocked where this project runs, so the
tests drive the system Chromium at $CHROMIUM_PATH (scripts/ensure-chromium.sh
installs it). A missing binary fails the tests loudly instead of skipping them.

The browser talks to pytest-django's `live_server`, which runs in another
thread with its own database connection: tests must use
`@pytest.mark.django_db(transaction=True)` so the data they create is committed
and visible to it.
"""

import os
import re

import pytest
from playwright.sync_api import expect

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine has no network beyond loopback: without these Chromium keeps
    # retrying its own background connections (updates, sync, field trials).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

EDITOR_USERNAME = "editor"
EDITOR_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium."""
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {executable!r}. The browser tests need a real Chromium: "
            "run them with `make test` (scripts/ensure-chromium.sh installs Debian's "
            "chromium package) or set CHROMIUM_PATH to an installed Chromium binary. "
            "Do not run `playwright install`; its download is blocked here.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        # --headed on the command line still opens a window when debugging locally.
        "headless": browser_type_launch_args.get("headless", True),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A desktop window: the main menu is laid out inline, not behind "Menu"."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def no_js_page(browser, browser_context_args):
    """A page of a browser with JavaScript switched off (every flow must work so)."""
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def editor(transactional_db):
    """A superuser who can log in to the Wagtail admin."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(
        username=EDITOR_USERNAME, email="editor@storefront.example", password=EDITOR_PASSWORD
    )
    user.plain_password = EDITOR_PASSWORD
    return user


@pytest.fixture
def log_in_to_admin(live_server, editor):
    """Signs the editor in through the admin's log-in form, in the given browser page."""

    def log_in(page):
        page.goto(live_server.url + "/admin/login/")
        page.get_by_label("Username").fill(editor.username)
        page.get_by_label("Password").fill(editor.plain_password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/admin/$"))

    return log_in


# Reports every Content-Security-Policy violation, in the page and in its frames (the
# admin's live preview), as a console error the fixture below can collect.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture(autouse=True)
def csp_violations(request):
    """Every browser test fails on a Content-Security-Policy violation on any page it opens.

    The policy is enforced (not report-only), so a violation is something that did not
    load or run; Chromium also logs it as a console error.
    """
    violations = []
    if "page" not in request.fixturenames:
        yield violations
        return
    context = request.getfixturevalue("page").context

    def record(message):
        text = message.text
        if message.type == "error" and (
            text.startswith("CSP violation") or "Content Security Policy" in text
        ):
            violations.append(text)

    context.add_init_script(CSP_VIOLATION_LISTENER)
    context.on("console", record)
    yield violations
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def phone_page(browser, browser_context_args):
    """A page in a phone-sized window (390 × 844, touch), beside the desktop `page`."""
    from tests.browser.layout import PHONE

    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    yield context.new_page()
    context.close()
