"""Stock: how much of a variant shoppers can buy, and warehouses coming and going."""

from collections.abc import Mapping
from contextlib import contextmanager
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Sum

from commerce.models import OrderLineAllocation, Stock
from commerce.services import events, locks
from commerce.services.catalog_version import (
    bump_catalog_version,
    bump_if_availability_changed,
    bumps_suppressed,
)
from commerce.services.stock_alerts import queue_restocked


def available_stock_subquery(variant_ref="pk"):
    """Units in active warehouses for the variant in the outer query, as one subquery."""
    return Stock.objects.in_active_warehouses().units_subquery(variant_ref)


def product_stock_subquery(product_ref="pk"):
    """Units in active warehouses of the outer query's product, its active variants
    together (`Product.available_quantity` in the database), as one subquery."""
    return (
        Stock.objects.in_active_warehouses()
        .filter(variant__is_active=True)
        .units_subquery(product_ref, key="variant__product_id")
    )


def stock_levels(variant) -> dict[int, int]:
    """{warehouse id: quantity} for one variant, every warehouse it has a row in."""
    if variant.pk is None:
        return {}
    return dict(Stock.objects.filter(variant=variant).values_list("warehouse_id", "quantity"))


def stock_grid(product) -> dict[tuple[int, int], int]:
    """{(variant id, warehouse id): quantity} for all of a product's variants, in one query."""
    if product.pk is None:
        return {}
    rows = Stock.objects.filter(variant__product=product).values_list(
        "variant_id", "warehouse_id", "quantity"
    )
    return {(variant_id, warehouse_id): quantity for variant_id, warehouse_id, quantity in rows}


def units_by_variant(rows, *, counted=None) -> dict[int, int]:
    """{variant id: units} over stock rows already loaded (and locked), counting only the
    rows whose id is in `counted` when it is given."""
    units: dict[int, int] = {}
    for row in rows:
        if counted is None or row.pk in counted:
            units[row.variant_id] = units.get(row.variant_id, 0) + row.quantity
    return units


def offered_row_ids(rows) -> set[int]:
    """Which of these (locked) stock rows are in active warehouses, in one query."""
    return set(
        Stock.objects.filter(pk__in=[row.pk for row in rows])
        .in_active_warehouses()
        .values_list("pk", flat=True)
    )


def set_stock_levels(
    levels: dict[int, dict[int, int]], *, counted_at: datetime | None = None
) -> dict[tuple[int, int], tuple[int, int]]:
    """Sets absolute quantities, {variant id: {warehouse id: quantity}}, under row locks,
    in one transaction; returns {(variant id, warehouse id): (before, after)} for each
    quantity given.

    Missing rows are created first (a concurrent first write is absorbed by the
    unique constraint instead of failing), then all of the variants' rows are
    locked in id order (services.locks.lock_stock, as order placement locks
    them), so an edit in the admin and a checkout never deadlock or interleave.
    When a variant goes in or out of stock, the catalog version is bumped in
    the same transaction, after the stock (catalog_version.bump_if_availability_changed),
    and a variant that comes back has its back-in-stock alerts queued with the commit
    (stock_alerts.queue_restocked).

    `counted_at`, for a count taken elsewhere (an ERP's stock push): the quantities are
    what was on the shelves at that moment, before the shop's orders placed since then
    took their units. Those units, of orders that still hold them, are taken off (never
    below 0), or the push would sell them a second time. They are read under the locks:
    every placement that took these rows before has committed its allocations, and
    none can take them until this commits (it then takes from the new quantity).
    """
    if any(q < 0 for per_warehouse in levels.values() for q in per_warehouse.values()):
        raise ValueError("Stock cannot be negative.")
    with transaction.atomic():
        Stock.objects.bulk_create(
            [
                Stock(variant_id=variant_id, warehouse_id=warehouse_id, quantity=0)
                for variant_id, per_warehouse in levels.items()
                for warehouse_id in per_warehouse
            ],
            ignore_conflicts=True,
        )
        rows = locks.lock_stock(levels)
        taken = units_taken_since(counted_at, levels) if counted_at is not None else {}
        offered = offered_row_ids(rows)
        before = units_by_variant(rows, counted=offered)
        written = {}
        for stock in rows:
            quantity = levels[stock.variant_id].get(stock.warehouse_id)
            if quantity is None:
                continue
            quantity = max(0, quantity - taken.get((stock.variant_id, stock.warehouse_id), 0))
            written[(stock.variant_id, stock.warehouse_id)] = (stock.quantity, quantity)
            if stock.quantity != quantity:
                stock.quantity = quantity
                stock.save(update_fields=["quantity"])
        after = units_by_variant(rows, counted=offered)
        availability_changed(before=before, after=after)
    return written


def units_taken_since(moment: datetime, variant_ids) -> dict[tuple[int, int], int]:
    """{(variant id, warehouse id): units} that orders placed after `moment` took from the
    variants' stock and still hold (not cancelled, not refunded back onto the shelf)."""
    return (
        OrderLineAllocation.objects.filter(
            line__variant_id__in=list(variant_ids), line__order__created_at__gt=moment
        )
        .still_taken()
        .units_by_stock_row()
    )


@contextmanager
def saving_warehouse(warehouse):
    """Wraps the one save of a warehouse's own fields: the admin's form, the
    stock-locations API.

    Switching a warehouse on or off changes which units shoppers can buy, as a stock write
    does. So its variants' stock rows are locked, then the warehouse (services.locks). Their
    units in active warehouses are counted before and after, and `availability_changed` is
    told: back-in-stock alerts, stock webhooks, the catalog version. The save's own version
    bump waits until after those, because the version row is locked last.
    """
    if warehouse.pk is None:  # a new warehouse holds nothing yet
        yield
        return
    with transaction.atomic():
        rows, stored = locks.lock_warehouse_switch(warehouse.pk)
        if stored is None or stored.is_active == warehouse.is_active:
            yield
            return
        own = {row.pk for row in rows if row.warehouse_id == warehouse.pk}
        offered = offered_row_ids(rows)
        before = units_by_variant(rows, counted=offered)
        offered_after = offered | own if warehouse.is_active else offered - own
        after = units_by_variant(rows, counted=offered_after)
        with bumps_suppressed():
            yield
        availability_changed(before=before, after=after)
        bump_catalog_version()  # the save's own, as for any storefront model's save


class WarehouseInUse(Exception):
    """The warehouse cannot be deleted; the message says why and what to do instead."""


def warehouse_delete_refusal(warehouse) -> str:
    """Why `warehouse` cannot be deleted now, or "" when it can.

    Units still on its shelves would vanish from the shop without anyone
    deciding so, and the orders it supplied keep pointing at it (cancelling
    one puts the units back there)."""
    held = Stock.objects.filter(warehouse=warehouse, quantity__gt=0).aggregate(
        units=Sum("quantity"), variants=Count("id")
    )
    if held["units"]:
        units, variants = held["units"], held["variants"]
        return (
            f"“{warehouse}” still holds {units} unit{'s' if units != 1 else ''} of "
            f"{variants} variant{'s' if variants != 1 else ''}, so it was not deleted. "
            "Set their stock in this warehouse to 0 first (Stock tab of each "
            "product), or deactivate the warehouse to stop offering its stock."
        )
    if OrderLineAllocation.objects.filter(warehouse=warehouse).exists():
        return (
            f"Orders were supplied from “{warehouse}”, and their records (and cancellations, "
            "which put units back) need it, so it was not deleted. Deactivate it instead."
        )
    return ""


def delete_warehouse(warehouse) -> None:
    """Deletes a warehouse that holds no units and supplied no order, with its empty
    stock rows; raises WarehouseInUse otherwise.

    Locks its stock rows, then the warehouse row (the order in services.locks): with
    both locked, no stock can be set or allocated between the check and the delete."""
    with transaction.atomic():
        locks.lock_warehouse_with_stock(warehouse.pk)
        refusal = warehouse_delete_refusal(warehouse)
        if refusal:
            raise WarehouseInUse(refusal)
        Stock.objects.filter(warehouse=warehouse).delete()
        warehouse.delete()


def availability_changed(*, before: Mapping[int, int], after: Mapping[int, int]) -> None:
    """What a change in variants' sellable units sets off, inside the writer's transaction:
    back-in-stock alerts for variants that came back (queued with the commit), the
    `events.stock_units_changed` signal (webhooks record stock crossing a threshold), then
    a new catalog version if one went in or out of stock. Every writer that puts units back
    calls it (the stock editor and imports here, cancel and refund in services.orders).
    Alerts and webhooks come first: the version row is locked last (services.locks), and is
    not held while they write."""
    queue_restocked(before=before, after=after)
    events.stock_units_changed.send(sender=Stock, before=before, after=after)
    bump_if_availability_changed(before=before, after=after)
