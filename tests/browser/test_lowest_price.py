"""In a real Chromium: the 30-day lowest price follows the variant picker.

The product page shows "Lowest price in the 30 days before the reduction" for the chosen
variant when it is reduced (services.price_history); the picker's script swaps it with
the price and compare-at price, and hides it for a variant that is not reduced.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from commerce.models import ProductVariant, VariantPrice
from home.demo import ensure_site
from tests.factories.catalog import make_attribute, make_product, make_shop

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_the_lowest_price_follows_the_chosen_variant(live_server, page: Page):
    make_shop(ensure_site())
    size, (small, medium, large) = make_attribute("Size", ["S", "M", "L"], varies_per_variant=True)
    coat = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": f"COAT-{o.value}", "price": Decimal("100.00"), "options": [o], "stock": 3}
            for o in (small, medium, large)
        ],
    )
    now = timezone.now()
    for sku, lowest in (("COAT-S", "90.00"), ("COAT-M", "95.00")):
        variant = coat.variants.get(sku=sku)
        ProductVariant.objects.filter(pk=variant.pk).update(
            price=Decimal("80.00"), compare_at_price=Decimal("100.00")
        )
        VariantPrice.objects.filter(variant=variant).delete()
        VariantPrice.objects.bulk_create(
            VariantPrice(variant=variant, price=Decimal(price), started_at=now - ago)
            for ago, price in (
                (timedelta(days=90), "100.00"),
                (timedelta(days=20), lowest),
                (timedelta(days=10), "100.00"),
                (timedelta(days=1), "80.00"),
            )
        )

    page.goto(f"{live_server.url}/shop/p/{coat.slug}/")
    lowest = page.locator("[data-variant-summary] [data-lowest-price]")
    expect(lowest).to_be_hidden()  # nothing chosen yet

    def choose(name):
        page.get_by_role("group", name="Size").locator("label").filter(
            has=page.get_by_role("radio", name=re.compile(rf"^{name}\b"))
        ).click()

    choose("S")
    expect(lowest).to_have_text("Lowest price in the 30 days before the reduction: 90.00 EUR")
    choose("M")
    expect(lowest).to_have_text("Lowest price in the 30 days before the reduction: 95.00 EUR")
    choose("L")  # not reduced
    expect(page.locator("[data-variant-summary] [data-compare-at]")).to_be_hidden()
    expect(lowest).to_be_hidden()
