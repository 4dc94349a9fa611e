"""What the integration API exposes, as querysets, and how it pages through them.

The rules, in one place (the README's "Integration API" section documents them):

- Products: the live row of *active* products. *Disabled* products (listed on
  the storefront but not purchasable) are left out unless the client asks with
  `include_disabled=true`; they then carry `is_published: false`, AMPER's own
  "not offered" flag. Hidden products, drafts that were never published and
  unpublished products never appear. Everything attached to a product (its
  categories, files, stock) follows the same rule.
- Categories: those the storefront shows (active, with no inactive ancestor).
- Variants: the *active* variants of those products (an inactive variant is not
  sold, so it is not offered). A product is listed with its active variants; its
  AMPER fields `sku`, `ean`, `default_price` and `weight` are its first active
  variant's (the default one, by the editor's order), so clients that know only
  SKUs keep working. A product without an active variant cannot be sold and is
  not listed.
- Stock: per active variant and *active* warehouse (stock in inactive warehouses is
  not offered to shoppers, so it is not offered here either).
- Every list is ordered by id (relations by product, then category), so pages
  are stable while nothing changes, and costs a fixed number of queries:
  one COUNT and one SELECT, whatever the page size (plus one query per
  prefetched relation: a product's variants and their options).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Exists, F, OuterRef, Prefetch, QuerySet, Value
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from commerce.models import (
    AttributeOption,
    Category,
    Product,
    ProductDocument,
    ProductImage,
    ProductVariant,
    Stock,
    Warehouse,
)
from commerce.services.inventory import available_stock_subquery

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE  # an AMPER client that never pages gets as much as we allow


class BadParameter(ValueError):
    """A query parameter the client sent can't be used; the message says why."""


# --- Parameters ------------------------------------------------------------------------------


def parse_updated_since(value: str | None, *, name: str = "updated_since") -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime; naive values are UTC.
    `name` is the parameter's, for the message when it is not one.

    A `+` in an unencoded query string arrives as a space ("…T10:00:00 02:00"),
    so a space before a trailing offset is read as `+`.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            fixed = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
            parsed = parse_datetime(fixed) if fixed != text else None
        if parsed is None:
            day = parse_date(text)
            if day is not None:
                parsed = datetime.combine(day, time.min)
    except ValueError:  # well-formed but impossible, e.g. 2025-02-30
        parsed = None
    if parsed is None:
        raise BadParameter(
            f"{name}: {value!r} is not an ISO 8601 date or date-time, e.g. 2025-01-31T12:00:00Z"
        )
    if timezone.is_naive(parsed):
        return parsed.replace(tzinfo=UTC)
    # In UTC before it reaches the database: PostgreSQL refuses offsets past ±15:59,
    # which ISO 8601 allows. At the ends of the calendar the shift may overflow.
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        edge = datetime.max if parsed.year > 1 else datetime.min
        return edge.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    number: int
    size: int

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.total

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def paginate(queryset: QuerySet, page: int, page_size: int) -> Page:
    """One COUNT and, unless the page lies past the end, one SELECT.

    `page` starts at 1; `page_size` above MAX_PAGE_SIZE is lowered to it. A page
    past the end is empty (not an error), so "fetch until empty" loops stop.
    """
    if page < 1 or page_size < 1:
        raise BadParameter("page and page_size start at 1")
    size = min(page_size, MAX_PAGE_SIZE)
    total = queryset.count()
    offset = (page - 1) * size
    items = list(queryset[offset : offset + size]) if offset < total else []
    return Page(items=items, total=total, number=page, size=size)


# --- Querysets -------------------------------------------------------------------------------


def exported_products(*, include_disabled: bool = False) -> QuerySet:
    # Disabled products are the visible ones that are not purchasable.
    products = Product.objects.visible() if include_disabled else Product.objects.purchasable()
    return products.filter(
        Exists(ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True))
    )


def _since(queryset: QuerySet, updated_since: datetime | None, field="updated_at") -> QuerySet:
    return queryset.filter(**{f"{field}__gte": updated_since}) if updated_since else queryset


def _with_options(variants: QuerySet) -> QuerySet:
    """Variants with their stock and their options (axis and value): one query for the
    options of a whole page, whatever the number of variants or axes."""
    options = AttributeOption.objects.select_related("definition").order_by(
        "definition__sort_order", "definition__name", "sort_order", "pk"
    )
    return variants.annotate(stock_available=available_stock_subquery()).prefetch_related(
        Prefetch("options", queryset=options)
    )


def exported_variants(*, include_disabled=False) -> QuerySet:
    """Active variants of exported products."""
    return ProductVariant.objects.filter(
        is_active=True,
        product__in=exported_products(include_disabled=include_disabled).values("pk"),
    )


def products(*, include_disabled=False, updated_since=None) -> QuerySet:
    """Exported products, each with `exported_variants` (its active variants in the
    editor's order, with stock and options) prefetched."""
    variants = _with_options(
        ProductVariant.objects.filter(is_active=True).order_by("sort_order", "pk")
    )
    queryset = (
        exported_products(include_disabled=include_disabled)
        .only(
            "id",
            "name",
            "description",
            "vat_rate",
            "unit",
            # is_published is Product.is_purchasable, which reads both:
            "live",
            "status",
        )
        .prefetch_related(Prefetch("variants", queryset=variants, to_attr="exported_variants"))
    )
    return _since(queryset, updated_since).order_by("id")


def product(product_id: int, *, include_disabled=False) -> Product | None:
    return products(include_disabled=include_disabled).filter(pk=product_id).first()


def variants(
    *, include_disabled=False, updated_since=None, product_id=None, sku=None, ean=None
) -> QuerySet:
    """Exported variants by id, with their product's publication flag, stock and options.

    A variant changes only when its product is published again (variants are part of
    the product's revisions): `updated_since` is the product's update time.
    """
    products = _since(exported_products(include_disabled=include_disabled), updated_since)
    queryset = ProductVariant.objects.filter(is_active=True, product__in=products.values("pk"))
    if product_id is not None:
        queryset = queryset.filter(product_id=product_id)
    if sku is not None:
        queryset = queryset.filter(sku=sku)
    if ean is not None:
        queryset = queryset.filter(ean=ean)
    return (
        _with_options(queryset)
        .select_related("product")
        .only(
            "id",
            "sku",
            "ean",
            "price",
            "compare_at_price",
            "weight",
            "sort_order",
            "is_active",
            "product_id",
            "product__live",
            "product__status",
        )
        .order_by("id")
    )


def categories() -> QuerySet:
    """Storefront categories (`Category.objects.on_storefront`), by id."""
    return Category.objects.on_storefront().order_by("id")


def category(category_id: int):
    return categories().filter(pk=category_id).first()


def product_categories(*, include_disabled=False, updated_since=None) -> QuerySet:
    """(product_id, category_id, is_main) rows: each product's main category and its
    additional ones, storefront categories only, as one UNION ordered by product, category.

    A relation changes only when its product is published again, so `updated_since`
    filters on the product's update time.
    """
    visible = _since(exported_products(include_disabled=include_disabled), updated_since)
    category_ids = Category.objects.on_storefront().values("pk")
    main = (
        visible.filter(main_category__in=category_ids)
        .order_by()
        .annotate(
            product_ref=F("pk"),
            category_ref=F("main_category_id"),
            main=Value(True, output_field=BooleanField()),
        )
        .values_list("product_ref", "category_ref", "main")
    )
    through = Product.additional_categories.through
    additional = (
        through.objects.filter(product__in=visible.values("pk"), category__in=category_ids)
        .order_by()
        .annotate(
            product_ref=F("product_id"),
            category_ref=F("category_id"),
            main=Value(False, output_field=BooleanField()),
        )
        .values_list("product_ref", "category_ref", "main")
    )
    # UNION ALL: a category that is both main and additional is listed twice, once each way.
    return main.union(additional, all=True).order_by("product_ref", "category_ref", "-main")


def product_files(*, include_disabled=False, updated_since=None) -> Concatenation:
    """Product images, then product documents, each with its file's row (one query per
    kind on a page). A file list changes only when its product is published again:
    `updated_since` is the product's."""
    visible = _since(exported_products(include_disabled=include_disabled), updated_since)
    products = visible.values("pk")
    return Concatenation(
        ProductImage.objects.filter(product__in=products).select_related("image").order_by("id"),
        ProductDocument.objects.filter(product__in=products)
        .select_related("document")
        .order_by("id"),
    )


class Concatenation:
    """Querysets listed one after another and paged as one list (`paginate`): a COUNT
    each, and a SELECT for each one a page reaches into."""

    def __init__(self, *querysets: QuerySet):
        self.querysets = querysets
        self._counts: list[int] | None = None

    def count(self) -> int:
        if self._counts is None:
            self._counts = [queryset.count() for queryset in self.querysets]
        return sum(self._counts)

    def __getitem__(self, window: slice) -> list:
        self.count()
        start, stop, items = window.start or 0, window.stop, []
        for queryset, size in zip(self.querysets, self._counts, strict=True):
            if stop > 0 and start < size:
                items += list(queryset[max(start, 0) : min(stop, size)])
            start, stop = start - size, stop - size
        return items


def stocks(*, include_disabled=False) -> QuerySet:
    """Stock rows of exported variants in active warehouses, with the variant's SKU."""
    return (
        Stock.objects.filter(variant__in=exported_variants(include_disabled=include_disabled))
        .in_active_warehouses()
        .select_related("variant", "warehouse")
        .only(
            "id",
            "variant_id",
            "variant__sku",
            "variant__product_id",
            "warehouse_id",
            "warehouse__code",
            "quantity",
        )
        .order_by("id")
    )


def stock_locations() -> QuerySet:
    """Every warehouse, active or not (`is_active` says), by id: the ERP's stock locations."""
    return Warehouse.objects.order_by("id")


def default_variant(product: Product) -> ProductVariant | None:
    """The variant a product's own AMPER fields (sku, ean, default_price) describe: its
    first active variant in the editor's order (`products` prefetches them)."""
    variants = product.exported_variants
    return variants[0] if variants else None


def variant_options(variant: ProductVariant) -> dict[str, str]:
    """{axis slug: option value}, in axis order."""
    return {option.definition.slug: option.value for option in variant.options.all()}


# --- Values ----------------------------------------------------------------------------------


def decimal_string(value: Decimal | int | None, places: int = 2) -> str | None:
    """AMPER's decimal strings ("25.43", "0.20"): at least `places` decimals, more
    only when the value has them (a weight of 0.125 kg stays "0.125")."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.quantize(Decimal(1).scaleb(-places)):
        return f"{value:.{places}f}"
    return format(value.normalize(), "f")


def vat_number(rate: Decimal) -> int | float:
    """AMPER's `vat` is an integer (23). A fractional rate (13.5) stays a JSON number."""
    return int(rate) if rate == rate.to_integral_value() else float(rate)
