"""Every live product has a published revision: the invariant this module keeps.

Wagtail reads "published" from `live_revision`, not only from the `live` column.
A product whose row says live=True but that has no live revision counts as never
published: the first change an editor schedules (a revision with a future go-live)
then takes it off the shop at once and writes the future values onto the row
(wagtail.actions.publish_revision), while the listing still says "Active".

The admin's create view and `import_catalog` publish through Wagtail's CreateAction,
which saves and publishes a first revision. Products written in bulk (the demo seed)
get theirs from `publish_first_revisions`, which also repairs rows written before
this rule (`manage.py publish_product_revisions`).

Publishing here sends no `published` signal, so it records the prices that went live
itself (`price_history.record_prices`, at each product's publication time).

A revision carries the product's variants (SKU, prices, options, pictures), not their
stock: publishing a scheduled revision changes a variant's price at go-live and keeps
its id, so its stock rows stay as they are.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.models import Revision

from commerce.models import Product, ProductVariant
from commerce.services.price_history import record_prices

BATCH = 500


@dataclass(frozen=True)
class RevisionRepair:
    published: int  # live products that got their first published revision
    lost_to_schedule: list[str]  # variant SKUs a schedule already took off the shop; see below


def unpublished_live_products():
    return Product.objects.filter(live=True, live_revision__isnull=True)


def publish_first_revisions(products=None) -> int:
    """Gives each live product without a live revision a published revision of its row.

    `products` narrows it to these (a queryset or pks); all such products otherwise.
    In bulk, one revision insert and one product update per batch, so the seed's
    10,000 products stay fast. Returns how many products got a revision.
    """
    pending = unpublished_live_products()
    if products is not None:
        pending = pending.filter(pk__in=products)
    pending = pending.order_by("pk").prefetch_related(
        "images",
        "attribute_options",
        "additional_categories",
        "variant_axes",
        "related_links",
        "documents",
        # The variant set and prices are part of the revision (stock is not).
        "variants__options",
        "variants__images",
    )
    content_type = ContentType.objects.get_for_model(Product)
    count = 0
    with transaction.atomic():
        batch = []
        for product in pending.iterator(chunk_size=BATCH):
            batch.append(product)
            if len(batch) == BATCH:
                count += _publish(batch, content_type)
                batch = []
        if batch:
            count += _publish(batch, content_type)
    return count


def _publish(products, content_type) -> int:
    now = timezone.now()
    revisions = Revision.objects.bulk_create(
        Revision(
            content_type=content_type,
            base_content_type=content_type,
            object_id=str(product.pk),
            # When the row went live: an editor's later draft, if any, stays the newest.
            created_at=product.last_published_at or product.first_published_at or now,
            content=product.serializable_data(),
            object_str=str(product),
        )
        for product in products
    )
    for product, revision in zip(products, revisions, strict=True):
        product.live_revision = revision
        if product.latest_revision_id is None:
            product.latest_revision = revision
        product.has_unpublished_changes = product.latest_revision_id != revision.pk
        product.first_published_at = product.first_published_at or now
        product.last_published_at = product.last_published_at or now
    Product.objects.bulk_update(
        products,
        [
            "live_revision",
            "latest_revision",
            "has_unpublished_changes",
            "first_published_at",
            "last_published_at",
        ],
    )
    record_prices(
        [variant for product in products for variant in product.variants.all()],
        at={
            variant.pk: product.last_published_at
            for product in products
            for variant in product.variants.all()
        },
    )
    return len(products)


def repair_product_revisions() -> RevisionRepair:
    """`publish_first_revisions` for every product, and the ones it is too late for.

    A product that was live without a revision and then had a change scheduled is
    off the shop with the scheduled values already on its row: the values it was
    live with are gone, so only a person can say what to publish. Those are listed
    (once published, never unpublished, a schedule pending), not changed.
    """
    published = publish_first_revisions()
    lost = Product.objects.filter(
        live=False,
        live_revision__isnull=True,
        first_published_at__isnull=False,
        revisions__approved_go_live_at__isnull=False,
    ).distinct()
    skus = ProductVariant.objects.filter(product__in=lost).values_list("sku", flat=True)
    return RevisionRepair(published, sorted(skus))
