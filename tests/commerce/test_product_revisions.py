"""Every live product has a published revision, so a scheduled change waits for its time.

Wagtail treats a product that is live but has no live revision as never published:
scheduling a change took such a product off the shop at once, with the future
price already on its row (commerce/services/product_revisions.py).
"""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Revision

from commerce.demo import DEMO_SKU_PREFIX, seed_catalog
from commerce.models import Product, ProductStatus, ProductVariant, Stock
from commerce.services.product_revisions import (
    publish_first_revisions,
    unpublished_live_products,
)
from tests.commerce.integrations.test_api_v1 import make_key
from tests.commerce.test_catalog_admin import LIST_URL, edit_url
from tests.factories.catalog import (
    make_attribute,
    make_product,
    product_form_data,
    variant_form_data,
)

pytestmark = pytest.mark.django_db


def schedule_price(admin_client, product, price):
    """What an editor does: a new price, a go-live date a day ahead, "Publish"."""
    go_live = timezone.localtime() + timedelta(days=1)
    variants = [variant_form_data(v) for v in product.variants.order_by("sort_order", "pk")]
    variants[0]["price"] = price  # the first variant's price changes
    data = product_form_data(
        product,
        variants=variants,
        go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
        **{"action-publish": "1"},
    )
    response = admin_client.post(edit_url(product), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def the_day_comes(product):
    revision = Revision.objects.get(
        object_id=str(product.pk),
        base_content_type__model="product",
        approved_go_live_at__isnull=False,
    )
    past = timezone.now() - timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    call_command("publish_scheduled")


def listing_status(admin_client, product):
    """The Status cell of the product's row in the admin listing: Wagtail's tag, then what
    shoppers get."""
    page = admin_client.get(LIST_URL, {"q": first_variant(product).sku})
    soup = BeautifulSoup(page.content, "html.parser")
    (row,) = soup.select("tbody tr")
    cell = row.select("td")[4]
    return (
        cell.select_one(".w-status").get_text(strip=True),
        cell.select_one("[data-on-the-shop]").get_text(strip=True),
    )


def first_variant(product):
    return product.variants.order_by("sort_order", "pk").first()


def shown_prices(client, product, api_key):
    """The price on the storefront's product page and in the integration API."""
    page = client.get(product.get_url())
    assert page.status_code == 200
    amount = page.content.decode().split('class="product__price">', 1)[1]
    amount = amount.split('class="money__amount">', 1)[1].split("<", 1)[0]
    api = client.get(f"/external/v1/products/{product.pk}/", {"api_key": api_key})
    assert api.status_code == 200
    return Decimal(amount.replace(",", "")), Decimal(api.json()["default_price"])


def test_a_seeded_product_keeps_its_price_until_a_scheduled_change_goes_live(
    admin_client, client, homepage
):
    seed_catalog(homepage, 3)
    product = Product.objects.filter(
        variants__sku__startswith=DEMO_SKU_PREFIX, status=ProductStatus.ACTIVE, variant_axes=None
    ).first()
    old, new = first_variant(product).price, Decimal("1.23")
    api_key = make_key()[1]

    schedule_price(admin_client, product, "1.23")
    call_command("publish_scheduled")  # not yet: nothing changes
    row = Product.objects.get(pk=product.pk)
    assert (row.live, first_variant(row).price) == (True, old)
    assert shown_prices(client, row, api_key) == (old, old)
    assert listing_status(admin_client, row) == ("live + scheduled", "Active")

    the_day_comes(product)
    row = Product.objects.get(pk=product.pk)
    assert (row.live, first_variant(row).price) == (True, new)
    assert shown_prices(client, row, api_key) == (new, new)
    assert listing_status(admin_client, row) == ("live", "Active")


def test_seeding_publishes_a_revision_of_every_demo_product_once(homepage):
    seed_catalog(homepage, 4)
    products = Product.objects.filter(variants__sku__startswith=DEMO_SKU_PREFIX).distinct()
    assert not unpublished_live_products().exists()
    for product in products:
        assert product.live_revision_id == product.latest_revision_id
        published = product.live_revision.as_object()
        assert prices(published) == prices(product)
        assert not product.has_unpublished_changes
    assert products.count() == 4
    # One revision per product: the demo's own and its promotions' (mug, tote bag).
    revisions = Revision.objects.filter(base_content_type__model="product").count()
    assert revisions == Product.objects.count()
    seed_catalog(homepage, 4)  # again: nothing to add
    assert Revision.objects.filter(base_content_type__model="product").count() == revisions


def make_unrevisioned_product(sku, price="20.00"):
    """A product as the demo seed wrote them before: live, with no revision."""
    now = timezone.now()
    product = Product.objects.create(
        name=f"Old seed {sku}",
        slug=f"old-seed-{sku.lower()}",
        live=True,
        first_published_at=now,
        last_published_at=now,
    )
    ProductVariant.objects.create(product=product, sku=sku, price=Decimal(price))
    return Product.objects.get(pk=product.pk)


def test_the_repair_command_publishes_live_products_without_a_revision(admin_client):
    repaired = make_unrevisioned_product("OLD-1")
    # Scheduled before the repair: Wagtail already took it off the shop.
    lost = make_unrevisioned_product("OLD-2")
    schedule_price(admin_client, lost, "5.00")
    lost.refresh_from_db()
    assert (lost.live, first_variant(lost).price) == (False, Decimal("5.00"))  # the fault
    assert listing_status(admin_client, lost) == ("scheduled", "Not on the shop")  # not "Active"

    out = StringIO()
    call_command("publish_product_revisions", stdout=out)
    assert "for 1 live products" in out.getvalue()
    assert "OLD-2" in out.getvalue() and "OLD-1" not in out.getvalue()
    repaired.refresh_from_db()
    assert repaired.live_revision is not None and not repaired.has_unpublished_changes

    schedule_price(admin_client, repaired, "5.00")
    repaired.refresh_from_db()
    assert (repaired.live, first_variant(repaired).price) == (True, Decimal("20.00"))
    out = StringIO()
    call_command("publish_product_revisions", stdout=out)  # safe to run again
    assert "for 0 live products" in out.getvalue()


def test_the_repair_keeps_an_editors_draft_as_the_latest_revision():
    product = make_unrevisioned_product("OLD-3")
    variant = first_variant(product)
    variant.price = Decimal("30.00")
    product.variants = [variant]
    draft = product.save_revision()
    call_command("publish_product_revisions", stdout=StringIO())
    product.refresh_from_db()
    assert product.latest_revision_id == draft.pk
    assert prices(product.live_revision.as_object()) == {"OLD-3": Decimal("20.00")}
    assert prices(draft.as_object()) == {"OLD-3": Decimal("30.00")}
    assert product.has_unpublished_changes


def test_publishing_first_revisions_in_bulk_costs_the_same_for_3_or_30_products():
    _, options = make_attribute("Colour", ["Red", "Blue"])
    counts = []
    for size in (3, 30):
        for i in range(size):
            make_product(f"P{size}-{i}", images=1, options=options, publish=False)
        Product.objects.update(live=True)  # as bulk_create leaves them
        with CaptureQueriesContext(connection) as queries:
            assert publish_first_revisions() == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    content = Product.objects.first().live_revision.content  # images and attributes included
    assert len(content["images"]) == 1 and len(content["attribute_options"]) == 2
    assert [v["sku"] for v in content["variants"]] == [first_variant(Product.objects.first()).sku]


def prices(product):
    """{SKU: price} of a product's variants (a row or a revision's object)."""
    return {variant.sku: variant.price for variant in product.variants.all()}


def test_a_scheduled_revision_changes_one_variants_price_at_go_live_and_keeps_stock():
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    coat = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "price": Decimal("100.00"), "options": [s], "stock": {"main": 3}},
            {"sku": "COAT-M", "price": Decimal("100.00"), "options": [m], "stock": {"north": 4}},
        ],
    )
    stock_before = sorted(Stock.objects.values_list("pk", "variant_id", "quantity"))
    draft = coat.get_latest_revision_as_object()
    variants = list(draft.variants.all())
    variants[1].price = Decimal("80.00")  # COAT-M
    draft.variants = variants
    past = timezone.now() - timedelta(minutes=1)
    draft.go_live_at = past
    revision = draft.save_revision(approved_go_live_at=past)
    # (Without a draft, the latest revision "as object" is the row itself, in memory.)
    row = Product.objects.get(pk=coat.pk)
    assert prices(row) == {"COAT-S": Decimal("100.00"), "COAT-M": Decimal("100.00")}

    call_command("publish_scheduled")

    row = Product.objects.get(pk=coat.pk)
    assert row.live_revision_id == revision.pk
    assert prices(row) == {"COAT-S": Decimal("100.00"), "COAT-M": Decimal("80.00")}
    assert sorted(Stock.objects.values_list("pk", "variant_id", "quantity")) == stock_before
