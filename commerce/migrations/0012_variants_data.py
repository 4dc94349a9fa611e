"""Product variants, step 2 of 3: every product becomes a product with one variant.

The variant carries the product's SKU, EAN, price, compare-at price and weight; its
stock rows, cart lines, order lines and shopping-list items point at it. The product's
revisions are rewritten the same way, so a scheduled price change still changes the
price when it goes live (now the variant's). Nothing is deleted here; step 3 (0013)
drops the old columns.

Two products could share an EAN before; a variant's EAN is unique. The first product
(by id) keeps it, the others' variants get none, and the migration prints which.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery

VARIANT_FIELDS = ("sku", "ean", "price", "compare_at_price", "weight")



def products_to_variants(apps, schema_editor):
    Product = apps.get_model("commerce", "Product")
    ProductVariant = apps.get_model("commerce", "ProductVariant")
    db = schema_editor.connection.alias

    seen_eans = {}
    variant_ids = {}
    for product in Product.objects.using(db).order_by("pk").iterator():
        ean = product.ean
        if ean and ean in seen_eans:
            print(
                f"\n  Product {product.pk} ({product.sku}) shared EAN {ean} with product "
                f"{seen_eans[ean]}: its variant gets no EAN."
            )
            ean = ""
        elif ean:
            seen_eans[ean] = product.pk
        variant = ProductVariant.objects.using(db).create(
            product_id=product.pk,
            sku=product.sku,
            ean=ean,
            price=product.price,
            compare_at_price=product.compare_at_price,
            weight=product.weight,
            is_active=True,
            option_key="",
            sort_order=0,
        )
        variant_ids[product.pk] = variant.pk

    the_variant = Subquery(
        ProductVariant.objects.filter(product_id=OuterRef("product_id")).values("pk")[:1]
    )
    for model_name in ("Stock", "CartLine", "ShoppingListItem", "OrderLine"):
        model = apps.get_model("commerce", model_name)
        model.objects.using(db).filter(product_id__isnull=False).update(variant_id=the_variant)

    _rewrite_revisions(apps, db, variant_ids)


def _rewrite_revisions(apps, db, variant_ids):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    content_type = ContentType.objects.using(db).filter(app_label="commerce", model="product")
    if not content_type.exists():
        return  # a new database: no revisions yet
    revisions = Revision.objects.using(db).filter(base_content_type=content_type.get())
    for revision in revisions.iterator():
        content = dict(revision.content)
        if "variants" in content:
            continue
        product_id = int(revision.object_id)
        variant_id = variant_ids.get(product_id)
        values = {field: content.pop(field, None) for field in VARIANT_FIELDS}
        content["variant_axes"] = []
        content["variants"] = [
            {
                "pk": variant_id,
                "product": product_id,
                "sort_order": 0,
                "sku": values["sku"] or "",
                "ean": values["ean"] or "",
                "price": values["price"],
                "compare_at_price": values["compare_at_price"],
                "weight": values["weight"],
                "is_active": True,
                "options": [],
                "images": [],
                "option_key": "",
            }
        ]
        revision.content = content
        revision.save(update_fields=["content"])


def variants_to_products(apps, schema_editor):
    """Back to one row per product: the product takes its first variant's values."""
    Product = apps.get_model("commerce", "Product")
    ProductVariant = apps.get_model("commerce", "ProductVariant")
    db = schema_editor.connection.alias
    for variant in ProductVariant.objects.using(db).order_by("-sort_order", "-pk").iterator():
        Product.objects.using(db).filter(pk=variant.product_id).update(
            **{field: getattr(variant, field) for field in VARIANT_FIELDS}
        )
    product_of_variant = Subquery(
        ProductVariant.objects.filter(pk=OuterRef("variant_id")).values("product_id")[:1]
    )
    for model_name in ("Stock", "CartLine", "ShoppingListItem", "OrderLine"):
        model = apps.get_model("commerce", model_name)
        model.objects.using(db).filter(variant_id__isnull=False).update(
            product_id=product_of_variant
        )


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0011_variants"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(products_to_variants, variants_to_products)]
