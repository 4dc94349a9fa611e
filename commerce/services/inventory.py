"""Stock: how much of a product shoppers can buy, and warehouses coming and going."""

from django.db import transaction
from django.db.models import Count, Sum

from commerce.models import OrderLineAllocation, Stock
from commerce.services import locks
from commerce.services.catalog_version import bump_if_availability_changed


def available_stock_subquery(product_ref="pk"):
    """Units in active warehouses for the product in the outer query, as one subquery."""
    return Stock.objects.in_active_warehouses().units_subquery(product_ref)


def stock_levels(product) -> dict[int, int]:
    """{warehouse id: quantity} for one product, every warehouse it has a row in."""
    if product.pk is None:
        return {}
    return dict(Stock.objects.filter(product=product).values_list("warehouse_id", "quantity"))


def units_by_product(rows, *, counted=None) -> dict[int, int]:
    """{product id: units} over stock rows already loaded (and locked), counting only the
    rows whose id is in `counted` when it is given."""
    units: dict[int, int] = {}
    for row in rows:
        if counted is None or row.pk in counted:
            units[row.product_id] = units.get(row.product_id, 0) + row.quantity
    return units


def offered_row_ids(rows) -> set[int]:
    """Which of these (locked) stock rows are in active warehouses, in one query."""
    return set(
        Stock.objects.filter(pk__in=[row.pk for row in rows])
        .in_active_warehouses()
        .values_list("pk", flat=True)
    )


def set_stock_levels(product, levels: dict[int, int]) -> None:
    """Sets absolute quantities per warehouse id, under row locks, in one transaction.

    Missing rows are created first (a concurrent first write is absorbed by the
    unique constraint instead of failing), then all of the product's rows are
    locked in id order (services.locks.lock_stock, as order placement locks
    them), so an edit in the admin and a checkout never deadlock or interleave.
    When the product goes in or out of stock, the catalog version is bumped in
    the same transaction, after the stock (catalog_version.bump_if_availability_changed).
    """
    if any(quantity < 0 for quantity in levels.values()):
        raise ValueError("Stock cannot be negative.")
    with transaction.atomic():
        Stock.objects.bulk_create(
            [Stock(product=product, warehouse_id=w, quantity=0) for w in levels],
            ignore_conflicts=True,
        )
        rows = locks.lock_stock([product.pk])
        offered = offered_row_ids(rows)
        before = units_by_product(rows, counted=offered)
        for stock in rows:
            quantity = levels.get(stock.warehouse_id)
            if quantity is not None and stock.quantity != quantity:
                stock.quantity = quantity
                stock.save(update_fields=["quantity"])
        bump_if_availability_changed(before=before, after=units_by_product(rows, counted=offered))


class WarehouseInUse(Exception):
    """The warehouse cannot be deleted; the message says why and what to do instead."""


def warehouse_delete_refusal(warehouse) -> str:
    """Why `warehouse` cannot be deleted now, or "" when it can.

    Units still on its shelves would vanish from the shop without anyone
    deciding so, and the orders it supplied keep pointing at it (cancelling
    one puts the units back there)."""
    held = Stock.objects.filter(warehouse=warehouse, quantity__gt=0).aggregate(
        units=Sum("quantity"), products=Count("id")
    )
    if held["units"]:
        units, products = held["units"], held["products"]
        return (
            f"“{warehouse}” still holds {units} unit{'s' if units != 1 else ''} of "
            f"{products} product{'s' if products != 1 else ''}, so it was not deleted. "
            "Set those products' stock in this warehouse to 0 first (Stock tab of each "
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
