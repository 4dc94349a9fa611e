"""The Content-Security-Policy, enforced by a real Chromium: the shop's scripts and styles
still work, the admin's editor and live preview too, and what the policy forbids is
blocked. Every browser test also fails on any violation (conftest.csp_violations)."""

import pytest
from playwright.sync_api import Page, expect

from commerce.models import Product, ShopPage
from home.demo import seed_demo_content
from home.models import HomePage
from pages.models import BrandingSettings

pytestmark = pytest.mark.browser

SNEAKY_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.sneaky = true";
  document.head.appendChild(script);
  return window.sneaky === true;
}"""


def enforced_policy(response) -> str:
    headers = response.all_headers()
    assert "content-security-policy-report-only" not in headers
    return headers["content-security-policy"]


def brand_colour(page: Page) -> str:
    return page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
    )


@pytest.mark.django_db(transaction=True)
def test_shop_pages_run_their_script_and_style_under_the_policy(
    live_server, page: Page, csp_violations
):
    seed_demo_content(products=8)
    colour = BrandingSettings.objects.get().primary_colour
    product = Product.objects.filter(live=True).order_by("name").first()
    product_url = f"{live_server.url}{ShopPage.objects.get().url}p/{product.slug}/"

    response = page.goto(live_server.url + "/")
    policy = enforced_policy(response)
    assert "'unsafe-inline'" not in policy
    # slider.js (a static file) ran: it adds the previous/next buttons.
    expect(page.locator(".slider__controls").first).to_be_visible()
    # The inline <style> with the nonce applied.
    assert brand_colour(page) == colour

    # An inline script without the nonce is refused, and the refusal is seen.
    assert page.evaluate(SNEAKY_SCRIPT) is False
    # Chromium's own console error, then the page's securitypolicyviolation event.
    for _ in range(30):
        if any(text.startswith("CSP violation: script-src") for text in csp_violations):
            break
        page.wait_for_timeout(100)
    assert any(text.startswith("CSP violation: script-src") for text in csp_violations)
    csp_violations.clear()

    # The product page, rendered and then answered from the page cache: both apply
    # their nonce'd style.
    for outcome in ("miss", "hit"):
        response = page.goto(product_url)
        assert response.all_headers()["x-storefront-cache"] == outcome
        enforced_policy(response)
        expect(page.get_by_role("heading", level=1)).to_have_text(product.name)
        assert brand_colour(page) == colour


@pytest.mark.django_db(transaction=True)
def test_admin_editor_and_live_preview_work_under_the_policy(
    live_server, page: Page, log_in_to_admin
):
    seed_demo_content(products=4)
    homepage = HomePage.objects.get()

    log_in_to_admin(page)

    response = page.goto(f"{live_server.url}/admin/pages/{homepage.pk}/edit/")
    policy = enforced_policy(response)
    assert "frame-ancestors 'self'" in policy
    expect(page.get_by_role("button", name="Save draft")).to_be_visible()

    preview_toggle = page.get_by_role("button", name="Toggle preview")
    if preview_toggle.get_attribute("aria-expanded") != "true":
        preview_toggle.click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator(".hero")).to_be_visible(timeout=20_000)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/external/v1/docs/", "/api-docs/"])
def test_api_documentation_renders_under_the_policy(live_server, page: Page, path):
    response = page.goto(live_server.url + path)
    enforced_policy(response)
    # Swagger UI (static files) ran and drew the operations from the schema.
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
