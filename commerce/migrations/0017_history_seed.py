"""Price history, its first rows: each live product's variants at their current price.

Without them every variant's first recorded price would be the one of its next
publication, and a compare-at price already on the shop would have no history at all.

`started_at` is the product's last publication (`last_published_at`), the moment the
row's values last went live; now for a live product without one (rows written in bulk
before products had revisions). This is a lower bound, not a record: what the price was
before that is not known, so nothing older is invented.

Variants of products that are not live get no row: their row holds a draft's values
(or values changed after they were taken off the shop), which no shopper was offered.
Their first publication records their price (`services.price_history.record_prices`).
Variants that have a row already are skipped, so the migration can run again safely.
"""

from django.db import migrations
from django.utils import timezone

BATCH = 2000


def seed_history(apps, schema_editor):
    ProductVariant = apps.get_model("commerce", "ProductVariant")
    VariantPrice = apps.get_model("commerce", "VariantPrice")
    db = schema_editor.connection.alias
    now = timezone.now()
    variants = (
        ProductVariant.objects.using(db)
        .filter(product__live=True, price_history__isnull=True)
        .order_by("pk")
        .values_list("pk", "price", "product__last_published_at")
    )
    batch = []
    for pk, price, published_at in variants.iterator(chunk_size=BATCH):
        batch.append(VariantPrice(variant_id=pk, price=price, started_at=published_at or now))
        if len(batch) == BATCH:
            VariantPrice.objects.using(db).bulk_create(batch)
            batch = []
    if batch:
        VariantPrice.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0016_promotions"),
    ]

    operations = [
        migrations.RunPython(seed_history, migrations.RunPython.noop, elidable=True),
    ]
