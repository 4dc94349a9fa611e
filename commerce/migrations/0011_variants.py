# Product variants, step 1 of 3: the variant model and the new references, beside the old.
# Step 2 (0012) copies every product into its one variant; step 3 (0013) drops the old
# columns. Three migrations, not one: PostgreSQL refuses to alter a table with pending
# trigger events from rows updated in the same transaction.

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
import modelcluster.fields
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('commerce', '0010_safe_deletes_data'),
        ('wagtailcore', '0098_apitoken'),
        ('wagtailimages', '0027_image_description'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProductVariant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sort_order', models.IntegerField(blank=True, editable=False, null=True)),
                ('sku', models.CharField(max_length=64, unique=True, verbose_name='SKU')),
                ('ean', models.CharField(blank=True, max_length=14, validators=[django.core.validators.RegexValidator('^[0-9]{8,14}$', 'An EAN/GTIN has 8 to 14 digits.')], verbose_name='EAN')),
                ('price', models.DecimalField(decimal_places=2, max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))])),
                ('compare_at_price', models.DecimalField(blank=True, decimal_places=2, help_text='The former price, shown struck through when higher than the price.', max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))])),
                ('weight', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='weight (kg)')),
                ('is_active', models.BooleanField(default=True, help_text='Inactive variants are not shown or sold.', verbose_name='active')),
                ('option_key', models.CharField(blank=True, editable=False, max_length=255)),
            ],
            options={
                'ordering': ['sort_order'],
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='attributedefinition',
            name='varies_per_variant',
            field=models.BooleanField(default=False, help_text='A variant axis (size, colour): a product that uses it is sold in variants, each with one of these options. Otherwise the whole product has its value.', verbose_name='varies per variant'),
        ),
        migrations.AddField(
            model_name='attributeoption',
            name='swatch',
            field=models.CharField(blank=True, help_text="A colour shown instead of the name in the product page's picker (#rrggbb).", max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'A swatch is a colour written as #rrggbb, such as #2f6b3a.')]),
        ),
        migrations.AddField(
            model_name='orderline',
            name='variant_name',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='product',
            name='variant_axes',
            field=modelcluster.fields.ParentalManyToManyField(blank=True, help_text='What the variants differ in (size, colour). Without axes the product is sold as one variant.', limit_choices_to={'varies_per_variant': True}, related_name='products_varying', to='commerce.attributedefinition'),
        ),
        migrations.AlterField(
            model_name='cartline',
            name='product_name',
            field=models.CharField(max_length=300),
        ),
        migrations.AlterField(
            model_name='shoppinglistitem',
            name='product_name',
            field=models.CharField(max_length=300),
        ),
        migrations.AddField(
            model_name='productvariant',
            name='images',
            field=modelcluster.fields.ParentalManyToManyField(blank=True, help_text="Pictures of this variant, chosen from the product's gallery.", related_name='+', to='wagtailimages.image', verbose_name='pictures'),
        ),
        migrations.AddField(
            model_name='productvariant',
            name='options',
            field=modelcluster.fields.ParentalManyToManyField(blank=True, help_text="One option of each of the product's variant axes.", related_name='variants', to='commerce.attributeoption'),
        ),
        migrations.AddField(
            model_name='productvariant',
            name='product',
            field=modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name='variants', to='commerce.product'),
        ),
        migrations.AddField(
            model_name='cartline',
            name='variant',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='commerce.productvariant'),
        ),
        migrations.AddField(
            model_name='orderline',
            name='variant',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='order_lines', to='commerce.productvariant'),
        ),
        migrations.AddField(
            model_name='shoppinglistitem',
            name='variant',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='shopping_list_items', to='commerce.productvariant'),
        ),
        migrations.AddField(
            model_name='stock',
            name='variant',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='stocks', to='commerce.productvariant'),
        ),
        migrations.AddIndex(
            model_name='productvariant',
            index=models.Index(django.db.models.functions.text.Upper('sku'), name='variant_sku_upper_idx'),
        ),
        migrations.AddIndex(
            model_name='productvariant',
            index=models.Index(fields=['product', 'is_active', 'price'], name='variant_price_idx'),
        ),
    ]
