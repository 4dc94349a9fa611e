"""Variants made in bulk: one variant for every combination of some options of a product's axes.

The one rule for generated variants, for the admin's "create variants" action and any
writer that wants it (the import can reuse `plan_combinations` and `generated_sku`):

- one variant per combination (one option of each axis, in axis order); a combination
  the product already has is skipped, never duplicated or overwritten;
- its SKU is "<base SKU>-<option slugs>" in capitals (COAT-M-GREEN), made unique against
  every variant in the database and in the product's draft by a "-2", "-3"... suffix;
- it takes the given price, is active, and comes after the existing variants.

Variants are part of the product's revisions, so they are written as Wagtail writes an
editor's "Save draft": a live product gets a new draft revision (the shop keeps selling
the published variants until an editor reviews and publishes); a product that is not
live also has its row and variant rows saved, as Wagtail's edit view does for it (so the
stock of the new variants can be set before the first publish).
"""

import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from commerce.models import AttributeOption, ProductVariant, option_key_for, variant_set_errors
from commerce.services import locks

SKU_MAX = ProductVariant._meta.get_field("sku").max_length


class VariantGenerationError(Exception):
    """Nothing was created; the message says why and what to do."""


@dataclass(frozen=True)
class GeneratedVariants:
    created: list[ProductVariant]
    skipped: int  # combinations the product already had
    as_draft: bool  # written into a draft revision (the product is live)


def axis_order(definition):
    return (definition.sort_order, definition.name, definition.pk)


def plan_combinations(axes, options, existing_keys) -> tuple[list[tuple], int]:
    """The combinations of `options` over `axes` (each axis in order, one option of each)
    that are not in `existing_keys` (option keys), and how many were skipped."""
    by_axis = {axis.pk: [] for axis in axes}
    for option in options:
        if option.definition_id not in by_axis:
            raise VariantGenerationError(f"{option} is not one of this product's axes.")
        by_axis[option.definition_id].append(option)
    empty = [axis.name for axis in axes if not by_axis[axis.pk]]
    if empty:
        raise VariantGenerationError("Choose at least one option for " + ", ".join(empty) + ".")
    ordered = [
        sorted(by_axis[axis.pk], key=lambda o: (o.sort_order or 0, o.value))
        for axis in sorted(axes, key=axis_order)
    ]
    todo, skipped = [], 0
    for combination in itertools.product(*ordered):
        if option_key_for(o.pk for o in combination) in existing_keys:
            skipped += 1
        else:
            todo.append(combination)
    return todo, skipped


def generated_sku(base: str, combination, taken: set[str]) -> str:
    """ "<BASE>-<SLUGS>", upper-case, unique against `taken` (compared case-insensitively),
    at most the SKU field's length; adds itself to `taken`."""
    suffix = "-".join(option.slug for option in combination).upper()
    stem = f"{base.strip().upper()}-{suffix}" if base.strip() else suffix
    candidate, n = stem[:SKU_MAX], 1
    while candidate.upper() in taken:
        n += 1
        tail = f"-{n}"
        candidate = stem[: SKU_MAX - len(tail)] + tail
    taken.add(candidate.upper())
    return candidate


def default_base_sku(product) -> str:
    """The first variant's SKU less its option slugs: what its siblings' SKUs start with."""
    first = next(iter(product.variants.all()), None)
    if first is None:
        return product.slug.upper()[:SKU_MAX]
    sku = first.sku
    for option in reversed(first.sorted_options):
        ending = "-" + option.slug.upper()
        if sku.upper().endswith(ending):
            sku = sku[: -len(ending)]
    return sku


def working_copy(product):
    """What an editor would open: the latest revision (a draft, if any), else the row."""
    return product.get_latest_revision_as_object() if product.latest_revision_id else product


def generate_variants(product, options, *, price: Decimal, base_sku: str, user=None):
    """Adds a variant for every missing combination of `options` (AttributeOptions of the
    product's axes) to the product, as described at the top of this module.

    Under the product's row lock (services.locks, 5), so two editors generating at once
    queue and the second skips what the first made. Raises VariantGenerationError when
    the product has no axes, an option is not of its axes, an axis has no option chosen,
    or every combination exists already.
    """
    with transaction.atomic():
        locked = locks.lock_product(pk=product.pk)
        if locked is None:
            raise VariantGenerationError("This product no longer exists.")
        draft = working_copy(locked)
        axes = list(draft.variant_axes.all())
        if not axes:
            raise VariantGenerationError(
                "This product has no variant axes: choose them (size, colour…) on the "
                "Variants tab and give its variant its options first."
            )
        variants = list(draft.variants.all())
        existing = {option_key_for(v.chosen_option_ids()) for v in variants}
        options = list(AttributeOption.objects.filter(pk__in=[o.pk for o in options]))
        todo, skipped = plan_combinations(axes, options, existing)
        if not todo:
            raise VariantGenerationError(
                f"All {skipped} combinations exist already: nothing to create."
            )
        taken = {sku.upper() for sku in ProductVariant.objects.values_list("sku", flat=True)}
        taken |= {v.sku.upper() for v in variants}
        next_order = max((v.sort_order or 0 for v in variants), default=-1) + 1
        created = []
        for index, combination in enumerate(todo):
            variant = ProductVariant(
                sku=generated_sku(base_sku, combination, taken),
                price=price,
                is_active=True,
                sort_order=next_order + index,
            )
            variant.options.set(combination)
            draft.variants.add(variant)
            created.append(variant)
        errors = variant_set_errors(axes, list(draft.variants.all()))
        if errors:
            raise VariantGenerationError(
                "The product's variants need fixing before more can be added: "
                + " ".join(message for per in errors.values() for message in per.values())
            )
        as_draft = locked.live
        if not as_draft:
            draft.save()  # the row and its variants, as Wagtail saves a product not yet live
        draft.save_revision(user=user, log_action=True)
    return GeneratedVariants(created=created, skipped=skipped, as_draft=as_draft)


# --- What the admin listing shows per product: one subquery each, no query per row. ---


def _per_product(aggregate, *, active_only=True):
    variants = ProductVariant.objects.filter(product=OuterRef("pk"))
    if active_only:
        variants = variants.filter(is_active=True)
    return Subquery(
        variants.order_by().values("product").annotate(value=aggregate).values("value")[:1]
    )


def variant_count_subquery():
    """All of the product's variants, active or not."""
    return Coalesce(_per_product(Count("pk"), active_only=False), 0)


def price_min_subquery():
    """The lowest price of the product's active variants (None without any)."""
    return _per_product(Min("price"))


def price_max_subquery():
    return _per_product(Max("price"))


def skus_by_product(product_ids) -> dict[int, list[str]]:
    """{product id: its variants' SKUs in the inline's order}, in one query."""
    skus: dict[int, list[str]] = {}
    rows = (
        ProductVariant.objects.filter(product_id__in=product_ids)
        .order_by("product_id", "sort_order", "pk")
        .values_list("product_id", "sku")
    )
    for product_id, sku in rows:
        skus.setdefault(product_id, []).append(sku)
    return skus


def saved_variants(product):
    """The product's variant rows (the ones stock can be set for), in the inline's order,
    with their options' axes for their descriptions."""
    return list(
        ProductVariant.objects.filter(product=product)
        .select_related("product")
        .prefetch_related("options__definition")
        .order_by("sort_order", "pk")
    )


def draft_only_variants(product, saved) -> list[ProductVariant]:
    """Variants of the product's unpublished draft that have no row yet, so no stock
    either (`saved`: the variant rows, from `saved_variants`)."""
    if not product.has_unpublished_changes or not product.latest_revision_id:
        return []
    saved_ids = {variant.pk for variant in saved}
    draft = product.get_latest_revision_as_object()
    return [v for v in draft.variants.all() if v.pk is None or v.pk not in saved_ids]


@dataclass(frozen=True)
class VariantsWithStock:
    variants: int
    units: int  # in every warehouse, active or not


def variants_with_stock(product) -> VariantsWithStock:
    """What deleting the product deletes with it: its variant rows and their stock."""
    from commerce.models import Stock

    units = Stock.objects.filter(variant__product=product).aggregate(n=Sum("quantity"))["n"]
    return VariantsWithStock(
        variants=ProductVariant.objects.filter(product=product).count(), units=units or 0
    )
