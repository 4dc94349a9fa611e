"""Products and categories sent by an ERP (AMPER's `SendProductsAsync` and
`SendProductCategoriesAsync`); products are written by the catalog import.

One writer: the items go through `services.catalog_import` exactly as a JSON file given to
`import_catalog` does (`sources.rows_from_items`, then `import_rows`), so revisions,
editors' drafts, scheduled publications, stock and the catalog version behave the same
whichever way the data arrives. That module's docstrings hold the rules; here an item's
rows are gathered back into one answer per item, with AMPER's field names.

The mapping (the same as `import_catalog`'s JSON):
- An item is a variant, identified by its SKU: `sku`, else `short_code`, else
  `external_id`. Items with the same `product` key (or `group`) are one product's
  variants, each with `options` ({"size": "M"}); an item without one is a product of its
  own. An item with a `variants` list is one product with those variants.
- A product is found through its variants' SKUs; nothing is ever deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.text import slugify

from commerce.models import Category
from commerce.services.catalog_import import RowResult, import_rows
from commerce.services.catalog_import.sources import rows_from_items
from commerce.services.catalog_import.values import PRODUCT_KEYS
from commerce.services.catalog_import.writing import free_slug

from .batches import CREATED, ERROR, UNCHANGED, UPDATED, ItemResult

# The importer's names for an item's fields -> AMPER's (for a plain item; a variant of a
# `variants` list keeps the importer's own `price`).
AMPER_NAMES = {"price": "default_price", "vat_rate": "vat", "unit": "default_unit_of_measure"}
# AMPER Product fields this shop does not store yet: named in the item's note, not dropped
# silently.
NOT_STORED = ("friendly_name", "available_on", "cumulative_unit_of_measure")
LOCATION = re.compile(r"item (\d+)(?:, variant (\d+))?")
MESSAGE = re.compile(r"(option:[^:]+|attributes\.[0-9]+(?:\.[a-z_]+)?|[a-z_]+): (.*)", re.DOTALL)


def save_products(items: list[Any], *, source: str) -> list[ItemResult]:
    """Writes the items (decoded JSON objects, as sent) as the catalog import does; one
    result per item."""
    results = [ItemResult(index, _external_id(item)) for index, item in enumerate(items)]
    report = import_rows(rows_from_items(items), source=source)
    outcomes: dict[int, set[str]] = {}
    for row in report.results:
        index, variant = _where(row)
        result = results[index]
        outcomes.setdefault(index, set()).add(row.outcome)
        if row.outcome == "failed":
            for message in row.messages:
                name, text = _field_and_message(message, variant)
                result.fail(name, text)
        else:
            changed = [_item_field(name, variant) for name in row.changed]
            result.changed += [name for name in changed if name not in result.changed]
            if row.messages:
                result.note = "; ".join(filter(None, [result.note, *row.messages]))
    for index, result in enumerate(results):
        seen = outcomes.get(index, set())
        if result.errors or "failed" in seen:
            result.status = ERROR
        elif "created" in seen:
            result.status = CREATED
        elif "updated" in seen:
            result.status = UPDATED
        else:
            result.status = UNCHANGED
        ignored = [name for name in NOT_STORED if _given(items[index], name)]
        if ignored and result.status != ERROR:
            note = f"not stored by this shop: {', '.join(ignored)}"
            result.note = "; ".join(filter(None, [result.note, note]))
    return results


def _external_id(item) -> str:
    if not isinstance(item, dict):
        return ""
    for key in ("external_id", "sku", "short_code"):
        value = item.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()[:200]
    return ""


def _given(item, name) -> bool:
    return isinstance(item, dict) and item.get(name) not in (None, "", [], {})


def _where(row: RowResult) -> tuple[int, int | None]:
    """The item's index (from 0) and, inside a `variants` list, the variant's (from 0)."""
    match = LOCATION.fullmatch(row.location)
    item, variant = int(match[1]) - 1, match[2]
    return item, int(variant) - 1 if variant else None


def _field_and_message(message: str, variant: int | None) -> tuple[str, str]:
    """An importer message "price: must not be negative" as (AMPER field, message); one
    without a field ("not imported: …") is about the item as a whole."""
    match = MESSAGE.fullmatch(message)
    if match is None:
        return "__all__", message
    return _item_field(match[1], variant), match[2]


def _item_field(name: str, variant: int | None) -> str:
    """The importer's name of a field ("price", "vat_rate", "option:size") as the item
    spells it: "default_price", "vat", "options.size", or "variants.0.price" inside a
    `variants` list."""
    if name in PRODUCT_KEYS or name.startswith("attributes."):  # the item's own field, also
        # when a variant row reports it
        return AMPER_NAMES.get(name, name)
    if name.startswith("option:"):
        name = f"options.{name.removeprefix('option:')}"
    elif variant is None:
        name = AMPER_NAMES.get(name, name)
    return f"variants.{variant}.{name}" if variant is not None else name


# --- Categories: AMPER's SendProductCategoriesAsync --------------------------------------------


@dataclass(frozen=True)
class CategoryItem:
    index: int
    external_id: str
    name: str
    description: str = ""
    parent_external_id: str = ""
    order: int = 0
    seo_tags: str = ""


def save_categories(items: list[CategoryItem]) -> list[ItemResult]:
    """Creates or updates categories by `external_id`, each in its own savepoint.

    A parent may come later in the same list: items are written parents first. A new
    category is active, with a slug made from its name (unique: -2, -3…); an update never
    changes a slug, so the category's address stays. `seo_tags` is the search
    description. Moving a category moves its branch (`Category.save`)."""
    results = {item.index: ItemResult(item.index, item.external_id) for item in items}
    first: dict[str, int] = {}
    waiting = []
    for item in items:
        if item.external_id in first:
            results[item.index].fail("external_id", f"also item {first[item.external_id]}")
        elif item.parent_external_id == item.external_id:
            results[item.index].fail("parent_external_id", "A category cannot sit inside itself.")
        else:
            first[item.external_id] = item.index
            waiting.append(item)
    known = set(
        Category.objects.filter(
            external_id__in=[i.parent_external_id for i in waiting]
        ).values_list("external_id", flat=True)
    )
    while waiting:
        ready = [i for i in waiting if not i.parent_external_id or i.parent_external_id in known]
        if not ready:
            break
        for item in ready:
            _save_category(item, results[item.index])
            if results[item.index].status != ERROR:
                known.add(item.external_id)
        waiting = [item for item in waiting if item not in ready]
    for item in waiting:
        results[item.index].fail(
            "parent_external_id", "No category has this id (nor does a good item of this list)."
        )
    return [results[item.index] for item in items]


def _save_category(item: CategoryItem, result: ItemResult) -> None:
    try:
        with transaction.atomic():
            category = Category.objects.filter(external_id=item.external_id).first()
            parent = (
                Category.objects.get(external_id=item.parent_external_id)
                if item.parent_external_id
                else None
            )
            values = {
                "name": item.name,
                "description": item.description,
                "parent_id": parent.pk if parent else None,
                "sort_order": item.order,
                "search_description": item.seo_tags,
            }
            if category is None:
                category = Category(external_id=item.external_id, slug=_category_slug(item))
                result.status = CREATED
            else:
                result.changed = [
                    FIELD_NAMES[name]
                    for name, value in values.items()
                    if getattr(category, name) != value
                ]
                result.status = UPDATED if result.changed else UNCHANGED
                if not result.changed:
                    return
            for name, value in values.items():
                setattr(category, name, value)
            category.full_clean()
            category.save()
    except ValidationError as exc:
        result.status, result.changed = ERROR, []
        for name, messages in exc.message_dict.items():
            for message in messages:
                result.fail(API_NAMES.get(name, name), message)
    except DatabaseError as exc:
        result.status, result.changed = ERROR, []
        result.fail("__all__", f"database error: {str(exc).strip() or type(exc).__name__}")


# Category field -> the item's name for it, in messages and `changed`.
FIELD_NAMES = {
    "name": "name",
    "description": "description",
    "parent_id": "parent_external_id",
    "sort_order": "order",
    "search_description": "seo_tags",
}
API_NAMES = {**FIELD_NAMES, "parent": "parent_external_id", "slug": "name"}


def _category_slug(item: CategoryItem) -> str:
    """slugify(name), else of the external id; -2, -3… when taken (slugs are site-wide)."""
    limit = Category._meta.get_field("slug").max_length - 6
    base = (slugify(item.name) or slugify(item.external_id) or "category")[:limit].strip("-")
    return free_slug(Category.objects.all(), base or "category")
