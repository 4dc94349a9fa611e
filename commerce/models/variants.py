"""Product variants: what is sold and stocked (a size and colour of a coat, with its SKU).

A `Product` is what shoppers see and editors write; its variants are children in the
product's cluster, so the variant set and every variant's price are part of the
product's drafts, revisions and scheduled publishing. Stock is not (see `Stock`).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from .catalog import ProductStatus, ean_checksum_ok, ean_format_ok, ean_validator

ZERO = Decimal("0.00")


def option_key_for(option_ids) -> str:
    """The canonical text of a combination of options: sorted ids, "-"-joined.

    Stored on each variant so that the database refuses two variants of one product
    with the same combination (`variant_unique_options`); "" for the one variant of a
    product without axes, so such a product cannot get a second one either.
    """
    return "-".join(str(option_id) for option_id in sorted(set(option_ids)))


class ProductVariantQuerySet(models.QuerySet):
    def purchasable(self):
        """Variants shoppers may buy now (stock aside): active, of a purchasable product.

        `ProductVariant.is_purchasable` is the same rule for one loaded row."""
        return self.filter(is_active=True, product__live=True, product__status=ProductStatus.ACTIVE)

    def visible(self):
        """Variants shown on the storefront: active, of a visible product."""
        return self.filter(
            is_active=True,
            product__live=True,
            product__status__in=[ProductStatus.ACTIVE, ProductStatus.DISABLED],
        )


class ProductVariant(Orderable, ClusterableModel):
    product = ParentalKey("commerce.Product", on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    ean = models.CharField("EAN", max_length=14, blank=True, validators=[ean_validator])
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    compare_at_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="The former price, shown struck through when higher than the price.",
    )
    weight = models.DecimalField(
        "weight (kg)",
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive variants are not shown or sold."
    )
    options = ParentalManyToManyField(
        "commerce.AttributeOption",
        blank=True,
        related_name="variants",
        help_text="One option of each of the product's variant axes.",
    )
    images = ParentalManyToManyField(
        "wagtailimages.Image",
        blank=True,
        related_name="+",
        verbose_name="pictures",
        help_text="Pictures of this variant, chosen from the product's gallery.",
    )
    option_key = models.CharField(max_length=255, blank=True, editable=False)

    objects = ProductVariantQuerySet.as_manager()

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["product", "option_key"], name="variant_unique_options"
            ),
            models.UniqueConstraint(
                fields=["ean"], condition=~Q(ean=""), name="variant_unique_ean"
            ),
        ]
        indexes = [
            # Exact SKU lookups in search are case-insensitive.
            models.Index(Upper("sku"), name="variant_sku_upper_idx"),
            # "From" prices and price filters: the cheapest active variant of a product.
            models.Index(fields=["product", "is_active", "price"], name="variant_price_idx"),
        ]

    def __str__(self):
        return self.description

    def save(self, *args, **kwargs):
        self.option_key = option_key_for(self.chosen_option_ids())
        super().save(*args, **kwargs)

    def chosen_option_ids(self):
        """The ids of this variant's options, saved or still in the form (modelcluster
        keeps unsaved many-to-many values in memory)."""
        return [option.pk for option in self.options.all()]

    def clean(self):
        super().clean()
        if self.ean and ean_format_ok(self.ean) and not ean_checksum_ok(self.ean):
            raise ValidationError({"ean": "This EAN's check digit is wrong."})

    @cached_property
    def sorted_options(self):
        """This variant's options in axis order (the attribute definitions' order)."""
        return sorted(
            self.options.all(),
            key=lambda option: (
                option.definition.sort_order,
                option.definition.name,
                option.sort_order or 0,
            ),
        )

    @property
    def options_text(self):
        """ "Size M, Colour Green": what tells this variant apart from its siblings."""
        return ", ".join(f"{o.definition.name} {o.value}" for o in self.sorted_options)

    @property
    def description(self):
        """ "Heritage coat — Size M, Colour Green"; the product name alone without axes."""
        options = self.options_text
        return f"{self.product.name} — {options}" if options else self.product.name

    @property
    def is_purchasable(self):
        """Buyable now, stock aside; `ProductVariantQuerySet.purchasable` in the database."""
        return self.is_active and self.product.is_purchasable

    @property
    def is_discounted(self):
        return self.compare_at_price is not None and self.compare_at_price > self.price

    @cached_property
    def available_quantity(self):
        """Units shoppers can buy now (`Stock.objects.in_active_warehouses()`); listings
        annotate `stock_available` instead."""
        if hasattr(self, "stock_available"):
            return self.stock_available or 0
        if self.pk is None:
            return 0
        return self.stocks.in_active_warehouses().units()

    @property
    def is_in_stock(self):
        return self.available_quantity > 0

    @property
    def availability(self):
        """ "unavailable", "in_stock" or "out_of_stock", for this variant."""
        if not self.is_purchasable:
            return "unavailable"
        return "in_stock" if self.is_in_stock else "out_of_stock"


def variant_set_errors(axes, variants) -> dict[int, dict[str, str]]:
    """What is wrong with a product's variant set, per variant (by position) and field.

    The one place the rules live, for the admin form, the import and the API: a product
    without axes has exactly one variant with no options; with axes, every variant has
    exactly one option of each axis and no other, and no two variants share a
    combination. `axes` are AttributeDefinitions; each variant gives `option_ids()`-like
    data through its `options` (in memory or saved).
    """
    axis_ids = {axis.pk for axis in axes}
    axis_names = {axis.pk: axis.name for axis in axes}
    errors: dict[int, dict[str, str]] = {}
    if not axis_ids and len(variants) > 1:
        errors[1] = {
            "options": "A product without variant axes is sold as one variant: "
            "choose its axes (size, colour…) or remove the other variants."
        }
    seen: dict[str, int] = {}
    for position, variant in enumerate(variants):
        options = list(variant.options.all())
        by_axis: dict[int, list] = {}
        for option in options:
            by_axis.setdefault(option.definition_id, []).append(option)
        stray = [o for o in options if o.definition_id not in axis_ids]
        missing = [axis_names[a] for a in sorted(axis_ids) if a not in by_axis]
        doubled = [
            axis_names[a] for a, chosen in by_axis.items() if len(chosen) > 1 and a in axis_ids
        ]
        message = ""
        if stray:
            message = "Not one of this product's axes: " + ", ".join(str(o) for o in stray) + "."
        elif missing:
            message = "Choose an option for " + ", ".join(missing) + "."
        elif doubled:
            message = "Choose only one option for " + ", ".join(doubled) + "."
        else:
            key = option_key_for(o.pk for o in options)
            if key in seen:
                message = f"Variant {seen[key] + 1} already has these options."
            seen.setdefault(key, position)
        if message:
            errors.setdefault(position, {})["options"] = message
    return errors
