"""Stock locations and stock levels sent by an ERP (AMPER's `SendStockLocationsAsync` and
`SendStocksAsync`).

Ids, the same as `import_catalog`'s:
- a stock location's `external_id` is the warehouse's `code` (a slug: letters, digits,
  `-` and `_`, at most 30), so an ERP, a CSV import and the admin name one warehouse alike;
- a stock row's `product_external_id` is the variant's SKU, as the read API lists it.

A stock row sets the units shoppers can buy there to `quantity − quantity_allocated`
(what the ERP holds less what it has promised elsewhere), never below 0. The ERP counted
them at `counted_at` (default: when the push arrives); the shop's orders placed since
then still hold their units, so `inventory.set_stock_levels` takes those off under the
same row locks, in the same order, as order placement. A push racing with shoppers
never sells a unit twice and never hands back a unit someone bought.

Items are checked one by one (a bad item gets its messages, the others are written);
the good ones are written in chunks of CHUNK variants, one transaction each, so a large
push never holds many stock rows at once while shoppers wait for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from commerce.models import ProductVariant, Stock, Warehouse
from commerce.services.inventory import saving_warehouse, set_stock_levels

from .batches import CREATED, UNCHANGED, UPDATED, ItemResult

CHUNK = 200  # variants per transaction


@dataclass(frozen=True)
class StockLocationItem:
    index: int
    external_id: str
    name: str


@dataclass(frozen=True)
class StockItem:
    index: int
    external_id: str  # the ERP's own id of the row; only echoed back
    product_external_id: str
    stock_level_external_id: str
    quantity: Decimal
    quantity_allocated: Decimal = Decimal(0)


def save_stock_locations(items: list[StockLocationItem]) -> list[ItemResult]:
    """Creates or renames warehouses by code; each in its own savepoint. A new warehouse is
    active and last in the supply order; staff decide the rest in the admin."""
    results = []
    seen: dict[str, int] = {}
    for item in items:
        result = ItemResult(item.index, item.external_id)
        results.append(result)
        if item.external_id in seen:
            result.fail("external_id", f"also item {seen[item.external_id]} of this list")
            continue
        seen[item.external_id] = item.index
        try:
            with transaction.atomic():
                _save_location(item, result)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    result.fail("external_id" if name == "code" else name, message)
        except DatabaseError as exc:
            result.fail("__all__", f"database error: {str(exc).strip() or type(exc).__name__}")
    return results


def _save_location(item: StockLocationItem, result: ItemResult) -> None:
    # Not locked: two pushes creating one code meet at its unique constraint (the loser's
    # item is an error), and of two renames the last wins, as in the admin.
    warehouse = Warehouse.objects.filter(code=item.external_id).first()
    if warehouse is None:
        last = Warehouse.objects.order_by("-sort_order").values_list("sort_order", flat=True)
        warehouse = Warehouse(
            code=item.external_id, name=item.name, sort_order=(last.first() or 0) + 1
        )
        result.status = CREATED
    elif warehouse.name == item.name:
        return
    else:
        warehouse.name = item.name
        result.status, result.changed = UPDATED, ["name"]
    warehouse.full_clean()
    with saving_warehouse(warehouse):
        warehouse.save()


def push_stocks(items: list[StockItem], *, counted_at: datetime) -> list[ItemResult]:
    """Sets the items' stock levels (see the module docstring); one result per item."""
    results = {item.index: ItemResult(item.index, item.external_id) for item in items}
    variant_ids = dict(
        ProductVariant.objects.filter(
            sku__in={item.product_external_id for item in items}
        ).values_list("sku", "pk")
    )
    warehouse_ids = dict(
        Warehouse.objects.filter(
            code__in={item.stock_level_external_id for item in items}
        ).values_list("code", "pk")
    )
    wanted: dict[tuple[int, int], tuple[StockItem, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        result = results[item.index]
        variant_id = variant_ids.get(item.product_external_id)
        warehouse_id = warehouse_ids.get(item.stock_level_external_id)
        if variant_id is None:
            result.fail(
                "product_external_id",
                "No variant has this SKU: send the product first (POST /products/).",
            )
        if warehouse_id is None:
            result.fail(
                "stock_level_external_id",
                "No stock location has this id: send it first (POST /stock-locations/).",
            )
        pair = (item.product_external_id, item.stock_level_external_id)
        if pair in seen:
            result.fail("__all__", f"this SKU and location are also item {seen[pair]}")
        seen.setdefault(pair, item.index)
        if result.errors:
            continue
        sellable = max(0, int(item.quantity - item.quantity_allocated))
        wanted[(variant_id, warehouse_id)] = (item, sellable)

    by_variant = sorted({variant_id for variant_id, _ in wanted})
    for start in range(0, len(by_variant), CHUNK):
        chunk = set(by_variant[start : start + CHUNK])
        pairs = {pair: value for pair, value in wanted.items() if pair[0] in chunk}
        _push_chunk(pairs, results, counted_at)
    return [results[item.index] for item in items]


def _push_chunk(pairs, results, counted_at) -> None:
    existing = set(
        Stock.objects.filter(variant_id__in={v for v, _ in pairs}).values_list(
            "variant_id", "warehouse_id"
        )
    )
    levels: dict[int, dict[int, int]] = {}
    for (variant_id, warehouse_id), (_, sellable) in pairs.items():
        levels.setdefault(variant_id, {})[warehouse_id] = sellable
    try:
        written = set_stock_levels(levels, counted_at=counted_at)
    except DatabaseError as exc:
        message = f"database error: {str(exc).strip() or type(exc).__name__}"
        for item, _ in pairs.values():
            results[item.index].fail("__all__", message)
        return
    for pair, (item, sellable) in pairs.items():
        result = results[item.index]
        before, after = written[pair]
        if pair not in existing:
            result.status = CREATED
        elif before != after:
            result.status, result.changed = UPDATED, ["quantity"]
        else:
            result.status = UNCHANGED
        if after != sellable:
            result.note = (
                f"quantity set to {after}: {sellable - after} unit(s) of orders placed "
                "after counted_at taken off"
            )
