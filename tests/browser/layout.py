"""What every storefront page must be at a phone's width and at a desktop's.

Each check answers with what is wrong (the elements that stick out, axe-core's report), so a
failing test says what to fix. `screenshot` writes into build/screenshots/ (not committed; the
README's "Screenshots" paragraph says how to get them), one file per page state and width.
"""

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}

# WCAG 2.5.5's 44 CSS pixels: the smallest target a thumb hits reliably.
MIN_TOUCH_TARGET = 44

SCREENSHOT_DIR = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "build" / "screenshots")
)

_axe = Axe()

_OVERFLOWING = """() => {
  const limit = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width && box.right > limit + 0.5) {
      const name = element.tagName.toLowerCase()
        + (element.id ? '#' + element.id : '')
        + (element.classList.length ? '.' + [...element.classList].join('.') : '');
      wide.push(`${name} (right edge ${Math.round(box.right)}px)`);
    }
  }
  return {overflow: document.documentElement.scrollWidth - limit, wide: wide.slice(0, 8)};
}"""

# Controls a shopper taps: buttons, selects, text inputs, menu toggles and links styled as
# buttons or placed in navigation. Links inside running text are exempt, as WCAG exempts them.
# `within` picks the regions searched and `skip` leaves some out (a page's header is the same on
# every page: a walk can check it once, and the rest of each page everywhere).
_SMALL_TARGETS = """([minimum, within, skip]) => {
  const selector = 'button, select, summary, .button, nav a, [role=button], '
    + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
  const small = [];
  const found = [...document.querySelectorAll(within)].flatMap(
    (region) => [...region.querySelectorAll(selector)]);
  for (const element of found) {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    const hidden = style.visibility === 'hidden' || element.closest('.visually-hidden');
    if (!box.width || hidden || (skip && element.closest(skip))) continue;
    if (box.height < minimum - 0.5) {
      const label = (element.innerText || element.getAttribute('aria-label') || element.name || '')
        .trim().slice(0, 40);
      small.push(`${element.tagName.toLowerCase()} "${label}" is ${Math.round(box.height)}px high`);
    }
  }
  return small;
}"""


def assert_no_horizontal_scroll(page: Page):
    """The page is no wider than the window: nothing to scroll sideways to."""
    found = page.evaluate(_OVERFLOWING)
    assert found["overflow"] <= 0, (
        f"{page.url} scrolls sideways by {found['overflow']}px at "
        f"{page.viewport_size['width']}px wide; elements past the edge: {found['wide']}"
    )


def small_touch_targets(page: Page, within: str = "body", skip: str = "") -> list[str]:
    """Visible controls lower than MIN_TOUCH_TARGET pixels inside the `within` elements and
    outside the `skip` ones (CSS selectors), described for an assertion message."""
    return page.evaluate(_SMALL_TARGETS, [MIN_TOUCH_TARGET, within, skip])


def assert_no_axe_violations(page: Page):
    """axe-core (the copy bundled with axe-playwright-python, no CDN) finds nothing on the page."""
    results = _axe.run(page)
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"


def screenshot(page: Page, name: str) -> Path:
    """The whole page as build/screenshots/<name>-<width>.png, for people reviewing the design."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    path = SCREENSHOT_DIR / f"{slug}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page: Page, name: str):
    """The screenshot of a page state, then the checks every page state gets at every width
    (screenshot first: the page that fails a check is the one to look at)."""
    screenshot(page, name)
    assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)
