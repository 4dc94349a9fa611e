"""The product page: the live product with its variants, the chosen variant, and its context.

A product is what shoppers see; its active variants are what they choose from. The page
loads everything it shows in a fixed number of queries, however many variants and axes
the product has: the variants (each with its units in active warehouses as one
subquery), their options with definitions, their pictures and the product's gallery are
prefetched, and everything after that (which variant the URL names, which options are
out of stock next to the ones chosen, the variants' JSON for the picker's script) is
worked out in Python over those rows.

The chosen variant comes from the URL, so a link (`?variant=<SKU>`, `variant_url`) and
the picker's plain GET form (`?size=m&colour=green`, one parameter per axis) both land
on it without JavaScript; the script only does the same in place.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, prefetch_related_objects
from wagtail.images import get_image_model

from commerce.models import (
    AttributeDefinition,
    AttributeOption,
    Product,
    ProductDocument,
    ProductImage,
    ProductVariant,
    ShopPage,
)
from commerce.money import format_amount
from commerce.services.guests import signed_in_user
from commerce.services.inventory import available_stock_subquery, product_stock_subquery
from commerce.services.line_limits import max_line_quantity
from commerce.services.price_history import attach_variant_lowest_prices

from .listing import (
    breadcrumb_links,
    storefront_trail,
    tile_details,
    tile_queryset,
)
from .promotion_offers import offers_for_variants
from .version_cache import per_version

VARIANT_PARAMETER = "variant"
NOT_AVAILABLE = "This combination is not available."
AVAILABILITY_LABELS = {
    "unavailable": "Unavailable",
    "in_stock": "In stock",
    "out_of_stock": "Out of stock",
}
# What the picker says, for screen readers too, of an option next to the others chosen.
OPTION_STATES = {"in_stock": "", "out_of_stock": "out of stock", "missing": "not available"}
# Swatches go into a <style> block (the CSP forbids style attributes): only a colour.
SWATCH = re.compile(r"^#[0-9a-fA-F]{6}$")


def variant_url(product_url: str, variant) -> str:
    """The product page with this variant chosen (`ShopPage.with_variant`)."""
    return ShopPage.with_variant(product_url, variant.sku)


# --- Loading ------------------------------------------------------------------------------


def variant_prefetch():
    """A product's active variants in their order, with stock, options and pictures."""
    variants = (
        ProductVariant.objects.filter(is_active=True)
        .annotate(stock_available=available_stock_subquery())
        .order_by("sort_order", "pk")
        .prefetch_related(
            Prefetch("options", queryset=AttributeOption.objects.select_related("definition")),
            # Only which pictures: they are the gallery's, whose renditions are loaded.
            Prefetch("images", queryset=get_image_model().objects.only("pk")),
        )
    )
    return Prefetch("variants", queryset=variants, to_attr="page_variants")


def get_visible_product(slug, request=None):
    """The live version of a listed product, with everything its page shows; None if hidden.

    Kept per catalog version (eight queries once, none after): every write to what it
    loads bumps the version, stock only when a variant goes in or out of stock, which is
    all the page shows of it (the page cache keeps the whole page on the same rule)."""
    product = per_version(f"product:{slug}", lambda: load_visible_product(slug), request=request)
    if product is not None:
        # Renditions are read fresh (one query): the first view of a picture creates them
        # after the product was loaded, and a kept copy without them would look each one
        # up on every view until the next catalog change.
        prefetch_related_objects(list(product.images.all()), "image__renditions")
    return product


def load_visible_product(slug):
    images = ProductImage.objects.order_by("sort_order", "pk").select_related("image")
    return (
        Product.objects.visible()
        .filter(slug=slug)
        .select_related("main_category")
        .annotate(stock_available=product_stock_subquery())
        .prefetch_related(
            Prefetch("images", queryset=images),
            Prefetch(
                "documents",
                queryset=ProductDocument.objects.order_by("sort_order", "pk").select_related(
                    "document"
                ),
            ),
            Prefetch(
                "attribute_options",
                queryset=AttributeOption.objects.select_related("definition").order_by(
                    "definition__sort_order", "definition__name", "sort_order"
                ),
            ),
            Prefetch(
                "variant_axes",
                queryset=AttributeDefinition.objects.order_by("sort_order", "name", "pk"),
            ),
            variant_prefetch(),
        )
        .first()
    )


def page_variants(product) -> list:
    """The product's active variants in order: prefetched on the storefront; from the
    cluster in memory for an editor's preview of an unsaved revision."""
    if hasattr(product, "page_variants"):
        return product.page_variants
    variants = [v for v in product.variants.all() if v.is_active]
    return sorted(variants, key=lambda v: (v.sort_order or 0, v.pk or 0))


def product_axes(product) -> list:
    axes = list(product.variant_axes.all())
    return sorted(axes, key=lambda axis: (axis.sort_order, axis.name, axis.pk or 0))


def grouped_attributes(product):
    """[(definition name, [values])] in the definitions' order."""
    groups: dict = {}
    for option in product.attribute_options.all():
        groups.setdefault(option.definition, []).append(option.value)
    return [(definition.name, values) for definition, values in groups.items()]


# --- The chosen variant -------------------------------------------------------------------


@dataclass
class Choice:
    option: AttributeOption
    checked: bool = False
    # "in_stock", "out_of_stock" or "missing": with the options chosen on the other axes.
    state: str = "in_stock"

    @property
    def state_text(self):
        return OPTION_STATES[self.state]


@dataclass
class AxisGroup:
    axis: AttributeDefinition
    choices: list[Choice] = field(default_factory=list)


@dataclass
class Selection:
    variant: ProductVariant | None
    chosen: dict  # {axis id: option} as the shopper chose them (or the variant has them)
    message: str = ""


def options_by_axis(variant) -> dict[int, AttributeOption]:
    return {option.definition_id: option for option in variant.options.all()}


def choose_variant(params, axes, variants) -> Selection:
    """Which variant the GET parameters name, and the options they choose.

    `?variant=<SKU>` names one of this product's active variants exactly; otherwise one
    parameter per axis (`?size=m&colour=green`) chooses its options. A SKU that is not
    one of them, an option this product does not have or a combination without a
    variant chooses nothing and says so; an axis left out is simply not chosen yet.
    A product without axes has its one variant chosen; an axis with a single option
    is chosen already.
    """
    if not axes:
        return Selection(variants[0] if variants else None, {})
    sku = params.get(VARIANT_PARAMETER)
    if sku:
        variant = next((v for v in variants if v.sku == sku), None)
        if variant is not None:
            return Selection(variant, options_by_axis(variant))
        return Selection(None, {}, NOT_AVAILABLE)

    offered = offered_options(axes, variants)
    chosen, unknown = {}, False
    for axis in axes:
        slug = params.get(axis.slug)
        if slug:
            option = next((o for o in offered[axis.pk] if o.slug == slug), None)
            if option is None:
                unknown = True
            else:
                chosen[axis.pk] = option
        elif len(offered[axis.pk]) == 1:
            chosen[axis.pk] = offered[axis.pk][0]
    if unknown:
        return Selection(None, chosen, NOT_AVAILABLE)
    if len(chosen) < len(axes):
        return Selection(None, chosen)
    wanted = {axis_id: option.pk for axis_id, option in chosen.items()}
    for variant in variants:
        if {a: o.pk for a, o in options_by_axis(variant).items()} == wanted:
            return Selection(variant, chosen)
    return Selection(None, chosen, NOT_AVAILABLE)


def offered_options(axes, variants) -> dict[int, list[AttributeOption]]:
    """{axis id: the options at least one active variant has}, in the options' order."""
    offered: dict[int, dict[int, AttributeOption]] = {axis.pk: {} for axis in axes}
    for variant in variants:
        for axis_id, option in options_by_axis(variant).items():
            if axis_id in offered:
                offered[axis_id].setdefault(option.pk, option)
    return {
        axis_id: sorted(options.values(), key=lambda o: (o.sort_order or 0, o.value))
        for axis_id, options in offered.items()
    }


def picker_groups(axes, variants, chosen) -> list[AxisGroup]:
    """One group per axis; each option marked by what it would give with the options
    chosen on the other axes: a variant in stock, one out of stock, or none at all."""
    per_variant = [
        (variant, {a: o.pk for a, o in options_by_axis(variant).items()}) for variant in variants
    ]
    offered = offered_options(axes, variants)
    groups = []
    for axis in axes:
        others = {a: o.pk for a, o in chosen.items() if a != axis.pk}
        group = AxisGroup(axis)
        for option in offered[axis.pk]:
            matching = [
                variant
                for variant, options in per_variant
                if options.get(axis.pk) == option.pk
                and all(options.get(a) == o for a, o in others.items())
            ]
            if not matching:
                state = "missing"
            elif any(v.availability == "in_stock" for v in matching):
                state = "in_stock"
            else:
                state = "out_of_stock"
            checked = axis.pk in chosen and chosen[axis.pk].pk == option.pk
            group.choices.append(Choice(option, checked, state))
        groups.append(group)
    return groups


# --- What the page shows ------------------------------------------------------------------


def gallery_for(product, variant) -> list[tuple]:
    """[(product image, selected)] in the gallery's order, one of them selected for the
    large view: the variant's first own picture, else the gallery's first. Every picture
    stays in the thumbnails, so a shopper can look at all of them whatever is chosen."""
    gallery = list(product.images.all())
    own = set(picture_ids(variant)) if variant is not None else set()
    first = next((image for image in gallery if image.image_id in own), None)
    if first is None and gallery:
        first = gallery[0]
    return [(image, image is first) for image in gallery]


def picture_ids(variant) -> list[int]:
    """The variant's own pictures (image ids); the page shows them in the gallery's order."""
    return sorted(image.pk for image in variant.images.all())


def price_summary(variants) -> dict:
    """The lowest price and whether prices differ, for the page before a choice."""
    prices = [v.price for v in variants]
    if not prices:
        return {"price": None, "from": False}
    return {"price": min(prices), "from": len(set(prices)) > 1}


def weight_text(variant) -> str:
    if variant is None or variant.weight is None:
        return ""
    text = f"{Decimal(variant.weight):f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text} kg"


def variants_json(product_url, axes, variants, offers=None) -> dict:
    """What the picker's script needs to update the page in place, without a request.

    `offers`: {variant id: [Offer]} (`offers_for_variants`), so the promotion shown
    follows the chosen variant."""
    offers = offers or {}
    slugs = {axis.pk: axis.slug for axis in axes}
    return {
        "axes": [axis.slug for axis in axes],
        "labels": AVAILABILITY_LABELS,
        "states": OPTION_STATES,
        "notAvailable": NOT_AVAILABLE,
        "variants": [
            {
                "id": variant.pk,
                "sku": variant.sku,
                "ean": variant.ean,
                "options": {
                    slugs[axis_id]: option.slug
                    for axis_id, option in options_by_axis(variant).items()
                    if axis_id in slugs
                },
                "price": format_amount(variant.price),
                "compareAt": format_amount(variant.compare_at_price)
                if variant.is_discounted
                else None,
                "lowestPrice": format_amount(variant.lowest_price)
                if getattr(variant, "lowest_price", None) is not None
                else None,  # price history
                "availability": variant.availability,
                "weight": weight_text(variant),
                "pictures": picture_ids(variant),
                "url": variant_url(product_url, variant) if product_url else "",
                "offers": [offer.as_json() for offer in offers.get(variant.pk, [])],
            }
            for variant in variants
        ],
    }


def swatch_styles(groups) -> list[tuple[int, str]]:
    """[(option id, colour)] for the picker's <style> block: well-formed colours only."""
    return [
        (choice.option.pk, choice.option.swatch)
        for group in groups
        for choice in group.choices
        if choice.option.swatch and SWATCH.match(choice.option.swatch)
    ]


def choose_prompt(axes) -> str:
    """ "Choose a size and colour." style, naming the product's axes."""
    names = [axis.name.lower() for axis in axes]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Choose {listed}."


def related_tiles(product, shop, request) -> list:
    """ "You may also like": the tiles of `Product.objects.related_to(product)`, in its
    order, loaded as every listing's tiles are (a fixed number of queries). The ids are
    kept per product and catalog version: they change only with the catalog."""
    ids = per_version(
        f"related:{product.pk}", lambda: Product.objects.related_to(product), request=request
    )
    if not ids:
        return []
    loaded = {tile.pk: tile for tile in tile_queryset().filter(pk__in=ids)}
    tiles = [loaded[pk] for pk in ids if pk in loaded]
    return tile_details(tiles, shop, request)


def product_detail_context(product, request, preview=False):
    from commerce.models import ShopPage

    shop = ShopPage.for_request(request)
    category = product.main_category
    breadcrumb = []
    if shop and category:
        # No links into a branch that is switched off (those pages are 404).
        breadcrumb = breadcrumb_links(storefront_trail(category, request) or [], shop, request)
    product_url = shop.product_url(product, request) if shop and not preview else ""
    axes = product_axes(product)
    variants = page_variants(product)
    attach_variant_lowest_prices(variants)  # price history
    selection = choose_variant(request.GET if not preview else {}, axes, variants)
    variant = selection.variant
    groups = picker_groups(axes, variants, selection.chosen)
    # Every variant's offers in one query: the picker's data carries them all.
    offers = offers_for_variants(
        [v.pk for v in variants],
        user=signed_in_user(request),
        shop=shop if not preview else None,
        request=request,
    )
    if variant is not None:
        availability = variant.availability
    elif not variants or not product.is_purchasable:
        availability = "unavailable"
    else:
        availability = product.availability
    return {
        "shop": shop,
        "page": shop,
        "product": product,
        "product_url": product_url,
        "breadcrumb": breadcrumb,
        "attributes": grouped_attributes(product),
        "is_preview": preview,
        "axes": axes,
        "variants": variants,
        "variant": variant,
        "choice_message": selection.message,
        "choose_prompt": choose_prompt(axes),
        "picker_groups": groups,
        "swatches": swatch_styles(groups),
        "gallery": gallery_for(product, variant),
        "price": price_summary(variants),
        "availability": availability,
        "availability_label": AVAILABILITY_LABELS[availability],
        "weight": weight_text(variant),
        # The chosen variant's offers; none before a choice (the script shows them on one).
        "offers": offers.get(variant.pk, []) if variant is not None else [],
        "variants_json": variants_json(product_url, axes, variants, offers) if axes else None,
        "next_url": variant_url(request.path, variant)
        if variant is not None and axes
        else request.path,
        # "Notify me when back in stock": a chosen variant that is for sale but sold out
        # (stock_alerts.subscribe's rule); signed-in shoppers' pages are never cached,
        # so their address may be filled in.
        "stock_alert": variant is not None and variant.availability == "out_of_stock",
        "stock_alert_email": request.user.email
        if getattr(request, "user", None) is not None and request.user.is_authenticated
        else "",
        # An editor's preview shows the product as drafted, without the live neighbours.
        "related_products": related_tiles(product, shop, request) if not preview else [],
        # The form's own bound; the cart applies the same limit (services.line_limits).
        "max_line_quantity": max_line_quantity(),
    }
