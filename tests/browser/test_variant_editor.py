"""End to end in a real Chromium: an editor builds a product sold in sizes and colours.

Adds a product with two variant axes and its first variant, publishes it, creates the
other variants with "Create variants for all combinations", publishes them, sets stock
per warehouse in the stock grid, and schedules a price change on one variant (the live
price stays until the go-live date).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from wagtail.models import Revision

from commerce.models import Product, Stock
from tests.browser.admin_actions import fill_date, publish
from tests.factories.catalog import make_attribute, make_warehouse

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_editor_builds_a_product_in_sizes_and_colours(live_server, page: Page, log_in_to_admin):
    size, (small, medium) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    colour, (green, blue) = make_attribute(
        "Colour", ["Green", "Blue"], varies_per_variant=True, sort_order=1
    )
    main, north = make_warehouse("main"), make_warehouse("north")
    log_in_to_admin(page)
    # Every form the editor sends below, and nothing behind their back: an autosave racing
    # "Publish" once created the product twice (settings.WAGTAIL_AUTOSAVE_INTERVAL).
    product_posts = []
    page.on(
        "request",
        lambda request: (
            product_posts.append(request.url)
            if request.method == "POST" and "/admin/snippets/commerce/product/" in request.url
            else None
        ),
    )

    # A new product with its axes and its first variant.
    page.goto(live_server.url + "/admin/snippets/commerce/product/add/")
    page.locator('input[name="name"]').fill("Heritage coat")
    page.locator('input[name="slug"]').fill("heritage-coat")
    page.get_by_role("tab", name="Variants").click()
    for axis in (size, colour):
        page.locator(f'input[name="variant_axes"][value="{axis.pk}"]').check()
    page.locator('input[name="variants-0-sku"]').fill("COAT-S-GREEN")
    page.locator('input[name="variants-0-price"]').fill("100.00")
    for option in (small, green):
        page.locator(f'input[name="variants-0-options"][value="{option.pk}"]').check()
    publish(page)
    expect(page.locator(".messages")).to_contain_text(re.compile(r"'Heritage coat' .*published"))
    product = Product.objects.get(slug="heritage-coat")
    assert product.live and list(product.variants.values_list("sku", flat=True)) == ["COAT-S-GREEN"]

    # The other combinations, from the Variants tab, into a draft.
    page.goto(f"{live_server.url}/admin/snippets/commerce/product/edit/{product.pk}/")
    page.get_by_role("tab", name="Variants").click()
    page.get_by_role("link", name="Create variants for all combinations of these options").click()
    expect(page.locator('input[name="base_sku"]')).to_have_value("COAT")
    for option in (small, medium):
        page.locator(f'input[name="axis_{size.pk}"][value="{option.pk}"]').check()
    for option in (green, blue):
        page.locator(f'input[name="axis_{colour.pk}"][value="{option.pk}"]').check()
    page.locator('input[name="price"]').fill("110.00")
    page.get_by_role("button", name="Create variants").click()
    expect(
        page.get_by_text("Created 3 variants, skipped 1 that existed already, in a draft")
    ).to_be_visible()
    assert product.variants.count() == 1  # the shop still sells the published one

    # The editor reviews the draft (the new variants are in the inline) and publishes.
    page.get_by_role("tab", name="Variants").click()
    expect(page.locator('input[name="variants-3-sku"]')).to_have_value("COAT-M-BLUE")
    publish(page)
    expect(page.locator(".messages")).to_contain_text(re.compile(r"'Heritage coat' .*published"))
    variants = {v.sku: v for v in product.variants.all()}
    assert set(variants) == {"COAT-S-GREEN", "COAT-S-BLUE", "COAT-M-GREEN", "COAT-M-BLUE"}

    # Stock per warehouse, in the grid.
    page.goto(f"{live_server.url}/admin/snippets/commerce/product/edit/{product.pk}/")
    page.get_by_role("tab", name="Stock").click()
    page.get_by_role("link", name="Edit stock levels").click()
    expect(page.locator("[data-stock-grid] tbody tr")).to_have_count(4)
    grid = {
        ("COAT-S-GREEN", main): "3",
        ("COAT-S-GREEN", north): "2",
        ("COAT-M-BLUE", north): "5",
    }
    for (sku, warehouse), quantity in grid.items():
        page.get_by_label(f"{sku} in {warehouse.name}").fill(quantity)
    page.get_by_role("button", name="Save stock levels").click()
    expect(page.get_by_text("Stock of “Heritage coat” saved.")).to_be_visible()
    levels = {
        (row.variant.sku, row.warehouse.code): row.quantity
        for row in Stock.objects.select_related("variant", "warehouse").filter(quantity__gt=0)
    }
    assert levels == {
        ("COAT-S-GREEN", "main"): 3,
        ("COAT-S-GREEN", "north"): 2,
        ("COAT-M-BLUE", "north"): 5,
    }

    # A price change on one variant, scheduled for tomorrow.
    page.get_by_role("tab", name="Variants").click()
    index = [v.sku for v in product.variants.order_by("sort_order", "pk")].index("COAT-M-GREEN")
    price = page.locator(f'input[name="variants-{index}-price"]')
    expect(page.locator(f'input[name="variants-{index}-sku"]')).to_have_value("COAT-M-GREEN")
    price.fill("89.00")
    page.get_by_role("button", name="Toggle status").click()
    page.get_by_role("button", name="Set schedule").click()
    go_live = timezone.localtime() + timedelta(days=1)
    go_live_input = page.locator('input[name="go_live_at"]')
    fill_date(go_live_input, go_live.strftime("%Y-%m-%d %H:%M"))
    # "Save schedule" saves a draft with the new price and the go-live date...
    with page.expect_navigation():
        page.get_by_role("button", name="Save schedule").click()
    expect(page.locator(".messages")).to_contain_text("'Heritage coat' updated.")
    assert product.variants.get(sku="COAT-M-GREEN").price == Decimal("110.00")
    # ...which "Publish" schedules.
    publish(page)
    expect(page.locator(".messages")).to_contain_text(
        "'Heritage coat' is live and this version has been scheduled for publishing."
    )

    # The live price is unchanged; the change waits in a scheduled revision.
    assert product.variants.get(sku="COAT-M-GREEN").price == Decimal("110.00")
    scheduled = Revision.objects.get(
        base_content_type__model="product",
        object_id=str(product.pk),
        approved_go_live_at__isnull=False,
    )
    prices = {v.sku: v.price for v in scheduled.as_object().variants.all()}
    assert prices["COAT-M-GREEN"] == Decimal("89.00")
    assert prices["COAT-S-GREEN"] == Decimal("100.00")
    assert Stock.objects.get(variant__sku="COAT-M-BLUE", warehouse=north).quantity == 5
    # Publish, create variants, publish, save schedule, schedule: five posts, one per click.
    assert len(product_posts) == 5, product_posts
