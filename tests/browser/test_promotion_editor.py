"""End to end in a real Chromium: an editor schedules a promotion for next week.

The editor adds a promotion starting next week with a condition and a fixed-price reward
(the variant picked in the variant chooser), publishes it, previews it "as of" next week
and sees the promoted price in the sample product page; today the preview and the public
product page show the regular price only.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from commerce.models import Promotion, PromotionStatus
from home.demo import ensure_site
from tests.browser.admin_actions import fill_date, publish
from tests.factories.catalog import make_product, make_shop

pytestmark = pytest.mark.browser


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def fill_date_field(page: Page, name: str, value: str):
    fill_date(page.locator(f'input[name="{name}"]'), value)


@pytest.mark.django_db(transaction=True)
def test_editor_schedules_previews_and_publishes_a_promotion(
    live_server, page: Page, log_in_to_admin
):
    make_shop(ensure_site())
    pan = make_product("Steel pan", price=Decimal("10.00"), sku="PAN-1", stock=50)
    next_week = timezone.now() + timedelta(days=7)
    log_in_to_admin(page)

    page.goto(live_server.url + "/admin/snippets/commerce/promotion/add/")
    page.locator('input[name="name"]').fill("Ten pans")
    page.locator('input[name="short_code"]').fill("ten-pans")
    fill_date_field(page, "start", local(next_week))

    # A condition (10 pieces) with a reward: PAN-1 at 8.00, chosen in the variant chooser.
    page.get_by_role("tab", name="Conditions and rewards").click()
    page.get_by_role("button", name=re.compile("Add condition", re.IGNORECASE)).click()
    page.locator('input[name="conditions-0-threshold_min"]').fill("10")
    page.get_by_role("button", name=re.compile("Add reward", re.IGNORECASE)).click()
    page.get_by_role("button", name="Choose a variant").click()
    modal = page.locator(".modal-dialog")
    modal.get_by_placeholder("SKU, EAN or product name").fill("PAN-1")
    modal.get_by_role("link", name="Steel pan").click()
    expect(modal).to_have_count(0)
    page.locator('input[name="conditions-0-rewards-0-given_price"]').fill("8.00")

    # Publish: it is live, but not running before its start.
    publish(page)
    expect(page.get_by_text(re.compile(r"'Ten pans' .*published")).first).to_be_visible()
    promotion = Promotion.objects.get(short_code="ten-pans")
    assert promotion.live
    assert promotion.status_at() == PromotionStatus.SCHEDULED
    assert [(r.variant.sku, r.given_price) for r in promotion.conditions.get().rewards.all()] == [
        ("PAN-1", Decimal("8.00"))
    ]
    expect(page.locator("tbody tr", has_text="Ten pans")).to_contain_text("Scheduled")

    # The preview as of next week shows the promoted price. (A second date typed into the
    # open preview is not picked up yet: see the issue 14 closing note.)
    page.goto(f"{live_server.url}/admin/snippets/commerce/promotion/edit/{promotion.pk}/")
    fill_date_field(page, "preview_as_of", local(next_week + timedelta(minutes=1)))
    preview_toggle = page.get_by_role("button", name="Toggle preview")
    if preview_toggle.get_attribute("aria-expanded") != "true":
        preview_toggle.click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator("[data-promoted-price]")).to_have_text("8.00 EUR", timeout=20_000)
    expect(preview.locator("[data-offer]")).to_contain_text("Ten pans")

    # The public product page today: the regular price, no promotion.
    public = page.context.new_page()
    public.goto(f"{live_server.url}/shop/p/{pan.slug}/")
    expect(public.locator(".product__price")).to_contain_text("10.00")
    expect(public.get_by_text("Ten pans")).to_have_count(0)
    expect(public.get_by_text("8.00")).to_have_count(0)
