"""Existing coupons get the scope their restrictions meant; list items get the name and
SKU they keep when their product is deleted."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def set_scopes_and_names(apps, schema_editor):
    Coupon = apps.get_model("commerce", "Coupon")
    ShoppingListItem = apps.get_model("commerce", "ShoppingListItem")
    Product = apps.get_model("commerce", "Product")

    # Before scopes, a coupon with no products and no categories was for the whole
    # cart (the default); one with both discounted either kind of target.
    with_products = set(Coupon.products.through.objects.values_list("coupon_id", flat=True))
    with_categories = set(Coupon.categories.through.objects.values_list("coupon_id", flat=True))
    Coupon.objects.filter(pk__in=with_products & with_categories).update(
        scope="products_categories"
    )
    Coupon.objects.filter(pk__in=with_products - with_categories).update(scope="products")
    Coupon.objects.filter(pk__in=with_categories - with_products).update(scope="categories")

    product = Product.objects.filter(pk=OuterRef("product_id"))
    ShoppingListItem.objects.filter(product__isnull=False).update(
        product_name=Subquery(product.values("name")[:1]),
        sku=Subquery(product.values("sku")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0009_safe_deletes"),
    ]

    operations = [
        migrations.RunPython(set_scopes_and_names, migrations.RunPython.noop),
    ]
