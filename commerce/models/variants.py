"""Product variants: what is sold and stocked (a size and colour of a coat, with its SKU).

A `Product` is what shoppers see and editors write; its variants are children in the
product's cluster, so the variant set and every variant's price are part of the
product's drafts, revisions and scheduled publishing. Stock is not (see `Stock`).

The rules of a variant set (`variant_set_errors` states them for forms, the import and
the API) and what the database itself refuses:
- a variant has one option of each of its product's variant axes and no other option
  (migration 0014's triggers refuse an option off the axes, two options of one axis, and
  an axis taken off a product whose variants still use it);
- no two variants of a product have the same combination (`variant_unique_options` on
  `option_key`, which `save()` and the `m2m_changed` receiver below keep equal to the
  options; PostgreSQL also refuses a stale key at commit);
- a product without axes has exactly one variant, with no options: its key is "", so the
  database refuses a second one. The admin form, the import and the API create that
  variant with the product (its SKU and price are required, so nothing invents one).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.db.models.signals import m2m_changed, post_delete, pre_delete
from django.dispatch import receiver
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from commerce.money import percent_off

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
    # AMPER's cumulative converter: promotions that count bulk units count
    # quantity × this (Promotion.calculate_using_cumulative_units).
    units_per_bulk_package = models.DecimalField(
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="How many of these make one bulk package (a carton of 24). Empty: 1.",
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

    @property
    def percent_off(self):
        """The reduction in whole percent for a "Sale" badge (`money.percent_off`), or None."""
        return percent_off(self.price, self.compare_at_price)

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
            # The axis-less product's "one variant" message, if any, says more.
            errors.setdefault(position, {}).setdefault("options", message)
    return errors


def refresh_option_keys(variant_ids) -> None:
    """Sets these variants' `option_key` from their saved options."""
    through = ProductVariant.options.through
    chosen: dict[int, list[int]] = {pk: [] for pk in variant_ids}
    rows = through.objects.filter(productvariant_id__in=list(chosen))
    for variant_id, option_id in rows.values_list("productvariant_id", "attributeoption_id"):
        chosen[variant_id].append(option_id)
    for variant_id, option_ids in chosen.items():
        key = option_key_for(option_ids)
        ProductVariant.objects.filter(pk=variant_id).exclude(option_key=key).update(option_key=key)


@receiver(m2m_changed, sender="commerce.ProductVariant_options", dispatch_uid="variant_option_key")
def _options_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Keeps `option_key` right when options change through a manager, not `save()`:
    `AttributeOption.variants.add(...)`, or a variant's options set by their ids."""
    if reverse:
        # The option's side: pk_set holds variant ids, except for clear(), which does not
        # say which variants it takes the option from.
        if action == "pre_clear":
            instance._variants_cleared = list(instance.variants.values_list("pk", flat=True))
        elif action == "post_clear":
            refresh_option_keys(getattr(instance, "_variants_cleared", []))
        elif action in ("post_add", "post_remove"):
            refresh_option_keys(pk_set or [])
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if "options" in getattr(instance, "_cluster_related_objects", {}):
        return  # modelcluster is writing what save() already keyed
    refresh_option_keys([instance.pk])
    instance.option_key = ProductVariant.objects.values_list("option_key", flat=True).get(
        pk=instance.pk
    )


@receiver(pre_delete, sender="commerce.AttributeOption", dispatch_uid="variant_option_leaving")
def _option_leaving(sender, instance, **kwargs):
    # The cascade deletes the variant-option rows without a signal of their own.
    through = ProductVariant.options.through
    instance._variant_ids = list(
        through.objects.filter(attributeoption_id=instance.pk).values_list(
            "productvariant_id", flat=True
        )
    )


@receiver(post_delete, sender="commerce.AttributeOption", dispatch_uid="variant_option_left")
def _option_left(sender, instance, **kwargs):
    """A deleted option leaves its variants: their keys lose it (and two variants left
    with the same options make the delete fail)."""
    refresh_option_keys(getattr(instance, "_variant_ids", []))
