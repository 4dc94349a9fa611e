"""Stock: how much of a product shoppers can buy, and warehouses coming and going."""

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from commerce.models import OrderLineAllocation, Stock, Warehouse
from commerce.services import locks
from commerce.services.page_cache import bump_catalog_version


def available_stock_subquery(product_ref="pk"):
    """Units in active warehouses for the product in the outer query, as one subquery.

    Annotating with this keeps listings at one query however many warehouses
    there are, and avoids the GROUP BY over every product column that a
    `Sum` across a join would need.
    """
    per_product = (
        Stock.objects.filter(product_id=OuterRef(product_ref), warehouse__is_active=True)
        .order_by()
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(per_product, output_field=IntegerField()), Value(0))


def stock_levels(product) -> dict[int, int]:
    """{warehouse id: quantity} for one product, every warehouse it has a row in."""
    if product.pk is None:
        return {}
    return dict(Stock.objects.filter(product=product).values_list("warehouse_id", "quantity"))


def available_quantity(product) -> int:
    total = Stock.objects.filter(product=product, warehouse__is_active=True).aggregate(
        total=Sum("quantity")
    )["total"]
    return total or 0


def set_stock_levels(product, levels: dict[int, int]) -> None:
    """Sets absolute quantities per warehouse id, under row locks, in one transaction.

    Missing rows are created first (a concurrent first write is absorbed by the
    unique constraint instead of failing), then all of the product's rows are
    locked in id order (services.locks.lock_stock, as order placement locks
    them), so an edit in the admin and a checkout never deadlock or interleave.
    When the product goes in or out of stock, the catalog version is bumped in
    the same transaction, after the stock (services.page_cache).
    """
    if any(quantity < 0 for quantity in levels.values()):
        raise ValueError("Stock cannot be negative.")
    with transaction.atomic():
        Stock.objects.bulk_create(
            [Stock(product=product, warehouse_id=w, quantity=0) for w in levels],
            ignore_conflicts=True,
        )
        rows = locks.lock_stock([product.pk])
        active = set(Warehouse.objects.filter(is_active=True).values_list("pk", flat=True))
        was_in_stock = sum(s.quantity for s in rows if s.warehouse_id in active) > 0
        for stock in rows:
            quantity = levels.get(stock.warehouse_id)
            if quantity is not None and stock.quantity != quantity:
                stock.quantity = quantity
                stock.save(update_fields=["quantity"])
        # Cached pages show "in stock" or "out of stock", never quantities: only a flip
        # makes them stale. Every order writes stock; most must not empty the cache.
        if (sum(s.quantity for s in rows if s.warehouse_id in active) > 0) != was_in_stock:
            bump_catalog_version()


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
