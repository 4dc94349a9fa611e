# Product variants, step 3 of 3: the old per-product columns go, stock belongs to a variant.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("commerce", "0012_variants_data"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='cartline',
            name='cart_line_unique_product',
        ),
        migrations.RemoveConstraint(
            model_name='shoppinglistitem',
            name='shopping_list_item_unique_product',
        ),
        migrations.RemoveConstraint(
            model_name='stock',
            name='stock_unique_per_pair',
        ),
        migrations.RemoveIndex(
            model_name='product',
            name='product_listing_idx',
        ),
        migrations.RemoveIndex(
            model_name='product',
            name='product_sku_upper_idx',
        ),
        migrations.RemoveField(
            model_name='cartline',
            name='product',
        ),
        migrations.RemoveField(
            model_name='product',
            name='compare_at_price',
        ),
        migrations.RemoveField(
            model_name='product',
            name='ean',
        ),
        migrations.RemoveField(
            model_name='product',
            name='price',
        ),
        migrations.RemoveField(
            model_name='product',
            name='sku',
        ),
        migrations.RemoveField(
            model_name='product',
            name='weight',
        ),
        migrations.RemoveField(
            model_name='shoppinglistitem',
            name='product',
        ),
        migrations.RemoveField(
            model_name='stock',
            name='product',
        ),
        migrations.AddIndex(
            model_name='product',
            index=models.Index(fields=['live', 'status'], name='product_listing_idx'),
        ),
        migrations.AddConstraint(
            model_name='cartline',
            constraint=models.UniqueConstraint(condition=models.Q(('variant__isnull', False)), fields=('cart', 'variant'), name='cart_line_unique_variant'),
        ),
        migrations.AddConstraint(
            model_name='shoppinglistitem',
            constraint=models.UniqueConstraint(condition=models.Q(('variant__isnull', False)), fields=('shopping_list', 'variant'), name='shopping_list_item_unique_variant'),
        ),
        migrations.AddConstraint(
            model_name='stock',
            constraint=models.UniqueConstraint(fields=('variant', 'warehouse'), name='stock_unique_per_pair'),
        ),
        migrations.AddConstraint(
            model_name='productvariant',
            constraint=models.UniqueConstraint(fields=('product', 'option_key'), name='variant_unique_options'),
        ),
        migrations.AddConstraint(
            model_name='productvariant',
            constraint=models.UniqueConstraint(condition=models.Q(('ean', ''), _negated=True), fields=('ean',), name='variant_unique_ean'),
        ),
        migrations.AlterField(
            model_name='stock',
            name='variant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stocks', to='commerce.productvariant'),
        ),
    ]
