"""Which category a product sits in and which products its page recommends, as an ERP
sends them (AMPER's `SendProductCategoriesRelationAsyncsAsync` and
`SendRelatedProductsAsync`). The catalog writer writes them (`catalog_import.links`: a
revision of the product, editors' drafts kept, nothing written when nothing changes);
here the ERP's ids are resolved and each item gets its answer.

The ids: a product is named by the SKU of any of its variants (the ids `POST /products/`
takes), a category by its `external_id` (`POST /categories/`). The items of one product
are written together, in one revision; an item that cannot be resolved is that item's
error, and the product's other items are still written.

A relation's identity is its (product, category) pair: our products keep one main
category and a set of additional ones, not relation rows of their own.
- `is_main: true`: the category becomes the main one (the former main one is left, not
  kept as an additional category: send it as one to keep it).
- `is_main: false`: an additional category (when it was the main one, the product is left
  without one).
- `is_main` not given: the product is in the category; a main category stays main.
- `remove: true`: the product leaves the category, main or additional.
Related products: an item gives a product's whole list, in order; an empty list clears it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from commerce.models import Category, ProductVariant
from commerce.services.catalog_import.links import LinkError, write_links

from .batches import CREATED, ERROR, UNCHANGED, UPDATED, ItemResult


def _products_by_sku(skus: Iterable[str]) -> dict[str, int]:
    return dict(ProductVariant.objects.filter(sku__in=set(skus)).values_list("sku", "product_id"))


def _write_groups(groups: dict[int, list], results: dict[int, ItemResult], change_for, source):
    """Writes each product's items in one revision: `change_for(product_id, items)` is the
    change `write_links` applies, and sets each item's result as it goes. A product that
    cannot be written fails all its items."""
    for product_id, items in groups.items():
        try:
            written = write_links(product_id, change_for(product_id, items), source=source)
        except LinkError as exc:
            for item in items:
                result = results[item.index]
                result.status, result.changed, result.note = ERROR, [], ""
                result.fail("__all__", str(exc))
            continue
        for item in items:
            result = results[item.index]
            if written.notes and result.status != UNCHANGED:
                result.note = "; ".join(filter(None, [result.note, *written.notes]))


# --- Product–category relations ----------------------------------------------------------------


@dataclass(frozen=True)
class RelationItem:
    index: int
    external_id: str
    product_external_id: str
    category_external_id: str
    is_main: bool | None = None
    remove: bool = False


def save_product_categories(items: list[RelationItem], *, source: str) -> list[ItemResult]:
    """Puts products into categories (or takes them out); one result per item."""
    results = {item.index: ItemResult(item.index, item.external_id) for item in items}
    products = _products_by_sku(item.product_external_id for item in items)
    categories = dict(
        Category.objects.filter(
            external_id__in={item.category_external_id for item in items}
        ).values_list("external_id", "pk")
    )
    groups: dict[int, list[RelationItem]] = {}
    for item in items:
        result = results[item.index]
        if item.product_external_id not in products:
            result.fail("product_external_id", "No product has a variant with this SKU.")
        if item.category_external_id not in categories:
            result.fail(
                "category_external_id", "No category has this external_id (POST /categories/)."
            )
        if result.status != ERROR:
            groups.setdefault(products[item.product_external_id], []).append(item)
    for product_id, members in groups.items():
        mains = [item for item in members if item.is_main and not item.remove]
        for item in mains[1:]:
            results[item.index].fail(
                "is_main", f"Item {mains[0].index} makes another category this product's main one."
            )
        groups[product_id] = [item for item in members if results[item.index].status != ERROR]

    def change_for(product_id, members):
        def change(links):
            for item in members:
                category_id = categories[item.category_external_id]
                _apply_relation(links, item, category_id, results[item.index])
            return links

        return change

    _write_groups({p: m for p, m in groups.items() if m}, results, change_for, source)
    return [results[item.index] for item in items]


def _apply_relation(links, item: RelationItem, category_id: int, result: ItemResult) -> None:
    """Applies one item to the links ({main_category, additional_categories, …}) and sets
    its result from what that changed."""
    main, additional = links["main_category"], set(links["additional_categories"])
    was_in = category_id == main or category_id in additional
    if item.remove:
        if main == category_id:
            main = None
        additional.discard(category_id)
    elif item.is_main:
        main = category_id
        additional.discard(category_id)
    else:
        if item.is_main is False and main == category_id:
            main = None
        if main != category_id:
            additional.add(category_id)
    changed = []
    if main != links["main_category"]:
        changed.append("main_category")
    if additional != set(links["additional_categories"]):
        changed.append("additional_categories")
    links["main_category"], links["additional_categories"] = main, sorted(additional)
    result.changed = changed
    if not changed:
        result.status = UNCHANGED
    elif item.remove or was_in:
        result.status = UPDATED
        if item.remove:
            result.note = "taken out of the category"
    else:
        result.status = CREATED


# --- Related products -------------------------------------------------------------------------


@dataclass(frozen=True)
class RelatedItem:
    index: int
    external_id: str  # the product's SKU
    related: tuple[str, ...]  # the related products' SKUs, in order


def save_related_products(items: list[RelatedItem], *, source: str) -> list[ItemResult]:
    """Sets each product's related products (its whole list, in order); one result per item."""
    results = {item.index: ItemResult(item.index, item.external_id) for item in items}
    products = _products_by_sku(sku for item in items for sku in (item.external_id, *item.related))
    groups: dict[int, list[RelatedItem]] = {}
    wanted: dict[int, list[int]] = {}
    for item in items:
        result = results[item.index]
        product_id = products.get(item.external_id)
        if product_id is None:
            result.fail("external_id", "No product has a variant with this SKU.")
        elif product_id in groups:
            result.fail("external_id", f"The same product as item {groups[product_id][0].index}.")
        related, repeated = [], []
        for position, sku in enumerate(item.related):
            other = products.get(sku)
            name = f"related_products.{position}.external_id"
            if other is None:
                result.fail(name, "No product has a variant with this SKU.")
            elif other == product_id:
                result.fail(name, "A product cannot be related to itself.")
            elif other in related:
                repeated.append(sku)
            else:
                related.append(other)
        if result.status == ERROR:
            continue
        if repeated:
            result.note = f"the same product as an earlier one, listed once: {', '.join(repeated)}"
        groups[product_id] = [item]
        wanted[product_id] = related

    def change_for(product_id, members):
        result = results[members[0].index]

        def change(links):
            if links["related"] != wanted[product_id]:
                result.status, result.changed = UPDATED, ["related_products"]
            links["related"] = wanted[product_id]
            return links

        return change

    _write_groups(groups, results, change_for, source)
    return [results[item.index] for item in items]
