"""Warehouses and stock levels. Operational data: never part of a product revision."""

from django.db import models
from django.db.models import IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce


class Warehouse(models.Model):
    name = models.CharField(max_length=100, unique=True)
    code = models.SlugField(max_length=30, unique=True, help_text="Short code used by imports.")
    is_active = models.BooleanField(
        default=True, help_text="Stock in inactive warehouses is not offered to shoppers."
    )
    sort_order = models.PositiveIntegerField(
        default=0, help_text="Orders are supplied from warehouses in this order."
    )

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class StockQuerySet(models.QuerySet):
    def in_active_warehouses(self):
        """Stock shoppers can buy: rows in active warehouses (the one place the rule lives;
        an inactive warehouse keeps its units, but the shop does not offer them)."""
        return self.filter(warehouse__is_active=True)

    def units(self) -> int:
        """The units these rows hold together, in one query."""
        return self.aggregate(total=Sum("quantity"))["total"] or 0

    def units_subquery(self, ref="pk", key="variant_id"):
        """The units these rows hold for the variant (or, with key="variant__product_id",
        the product) of the outer query, as one subquery (0 without rows).

        Annotating with it keeps a listing at one query however many warehouses there
        are, and avoids the GROUP BY over every product column that a `Sum` across a
        join would need.
        """
        per_row = (
            self.filter(**{key: OuterRef(ref)})
            .order_by()
            .values(key)
            .annotate(total=Sum("quantity"))
            .values("total")
        )
        return Coalesce(Subquery(per_row, output_field=IntegerField()), Value(0))


class Stock(models.Model):
    """How many units of a product variant one warehouse holds.

    Deliberately a plain foreign key, not a ParentalKey: stock changes with every
    order, so it must not be saved into (or restored from) product revisions.
    """

    variant = models.ForeignKey(
        "commerce.ProductVariant", on_delete=models.CASCADE, related_name="stocks"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    quantity = models.IntegerField(default=0)

    objects = StockQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stock_unique_per_pair"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="stock_quantity_not_negative"
            ),
        ]
        ordering = ["warehouse__sort_order", "warehouse__name"]

    def __str__(self):
        return f"{self.variant.sku} @ {self.warehouse}: {self.quantity}"
