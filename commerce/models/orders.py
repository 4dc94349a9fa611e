"""Orders keep their own copy of everything; editing the catalog never changes one."""

from django.conf import settings
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField

from commerce.tokens import new_token

from .addresses import format_address


class OrderStatus(models.TextChoices):
    NEW = "new", "New"
    PAID = "paid", "Paid"
    FULFILLED = "fulfilled", "Fulfilled"
    SHIPPED = "shipped", "Shipped"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # offline methods: waiting for the money
    AUTHORIZED = "authorized", "Authorized"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    VOIDED = "voided", "Voided"


class Order(models.Model):
    # NULL until the row has an id to number it from; unique ignores NULLs.
    number = models.CharField(max_length=20, unique=True, null=True, editable=False)  # noqa: DJ001
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.NEW, db_index=True
    )
    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    phone = PhoneNumberField(blank=True)  # E.164, e.g. "+48601234567"
    billing_address = models.JSONField(default=dict)
    delivery_address = models.JSONField(default=dict)
    customer_note = models.TextField(blank=True)

    delivery_method = models.ForeignKey(
        "commerce.DeliveryMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivery_method_name = models.CharField(max_length=100)
    delivery_cost = models.DecimalField(max_digits=12, decimal_places=2)
    delivery_vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    # Entered by staff when they mark the order shipped (services.orders.ship_order);
    # the shipped e-mail and the shopper's order page show them.
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)

    payment_method = models.ForeignKey(
        "commerce.PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment_method_name = models.CharField(max_length=100)
    payment_provider = models.CharField(max_length=50)
    payment_status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True
    )
    payment_reference = models.CharField(max_length=100, blank=True)

    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField("product total", max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2)
    coupon_code = models.CharField(max_length=40, blank=True)
    vat_total = models.DecimalField("VAT contained", max_digits=12, decimal_places=2)
    grand_total = models.DecimalField(max_digits=12, decimal_places=2)

    source = models.CharField(max_length=20, default="storefront", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number or f"Order {self.pk}"

    @property
    def awaits_bank_transfer(self):
        """Paid by bank transfer and the money has not arrived: show the instructions."""
        return (
            self.payment_provider == "bank_transfer"
            and self.payment_status == PaymentStatus.PENDING
        )

    @property
    def billing_address_text(self):
        return format_address(self.billing_address)

    @property
    def delivery_address_text(self):
        return format_address(self.delivery_address)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "commerce.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_lines",
    )
    variant = models.ForeignKey(
        "commerce.ProductVariant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_lines",
    )
    product_name = models.CharField(max_length=200)
    # The variant's options when ordered ("Size M, Colour Green"); "" without axes.
    variant_name = models.CharField(max_length=255, blank=True)
    sku = models.CharField("SKU", max_length=64)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="This line's share of the discount."
    )
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    # The promotion that set this line's price or gave it, as it was when ordered.
    promotion = models.ForeignKey(
        "commerce.Promotion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_lines",
    )
    promotion_name = models.CharField(max_length=200, blank=True)
    regular_unit_price = models.DecimalField(
        "price before promotion",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The unit price without the promotion; empty when none applied.",
    )
    is_gift = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.quantity} × {self.description}"

    @property
    def description(self):
        """ "Heritage coat — Size M, Colour Green", as it was when ordered."""
        if self.variant_name:
            return f"{self.product_name} — {self.variant_name}"
        return self.product_name


#: Refunding from these statuses puts the goods back on the shelf (services.orders).
RESTOCK_ON_REFUND = frozenset({OrderStatus.PAID, OrderStatus.FULFILLED})


class OrderLineAllocationQuerySet(models.QuerySet):
    def still_taken(self):
        """Allocations whose units are still out of stock: not put back by a cancel, or by a
        refund from a status whose goods had not left (RESTOCK_ON_REFUND)."""
        returned_by_refund = OrderStatusChange.objects.filter(
            order=models.OuterRef("line__order"),
            to_status=OrderStatus.REFUNDED,
            from_status__in=RESTOCK_ON_REFUND,
        )
        return self.exclude(line__order__status=OrderStatus.CANCELLED).exclude(
            models.Exists(returned_by_refund)
        )

    def units_by_stock_row(self) -> dict[tuple[int, int], int]:
        """{(variant id, warehouse id): units} of these allocations, in one query."""
        rows = (
            self.filter(line__variant__isnull=False)
            .order_by()
            .values_list("line__variant_id", "warehouse_id")
            .annotate(units=models.Sum("quantity"))
        )
        return {(variant_id, warehouse_id): units for variant_id, warehouse_id, units in rows}


class OrderLineAllocation(models.Model):
    """Which warehouse supplied how many units of a line; cancelling puts them back there."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    warehouse = models.ForeignKey(
        "commerce.Warehouse", on_delete=models.PROTECT, related_name="allocations"
    )
    quantity = models.PositiveIntegerField()

    objects = OrderLineAllocationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]


class OrderStatusChange(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]


class MockPayment(models.Model):
    """The mock card provider's own ledger (commerce.payments.mock)."""

    reference = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    card_last4 = models.CharField(max_length=4, blank=True)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
