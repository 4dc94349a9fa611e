"""Carts and checkouts: what a shopper is about to buy, kept on the server."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from commerce.tokens import new_token


class Cart(models.Model):
    """One per signed-in user; guests' carts are found by the token in their session."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    coupon_code = models.CharField(max_length=40, blank=True)
    delivery_method = models.ForeignKey(
        "commerce.DeliveryMethod", null=True, blank=True, on_delete=models.SET_NULL
    )
    payment_method = models.ForeignKey(
        "commerce.PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self):
        return f"Cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    # SET_NULL, not CASCADE: a deleted variant stays in the cart, flagged, so the
    # shopper is told instead of seeing a line silently vanish.
    variant = models.ForeignKey(
        "commerce.ProductVariant", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The variant's description ("Heritage coat — Size M") when it was added.
    product_name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="The price the shopper last saw; a change is reported, never applied silently.",
    )
    # A gift line is the cart's copy of a promotion's gift (services.cart keeps it in
    # step with the promotions on every view); on a bought line, `promotion` is the
    # one whose price the shopper last saw, so its end can be told, not just felt.
    is_gift = models.BooleanField(default=False)
    promotion = models.ForeignKey(
        "commerce.Promotion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["is_gift", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "variant"],
                condition=Q(variant__isnull=False, is_gift=False),
                name="cart_line_unique_variant",
            ),
            models.UniqueConstraint(
                fields=["cart", "promotion", "variant"],
                condition=Q(is_gift=True),
                name="cart_line_unique_gift",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="cart_line_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_name}"


def checkout_idle_timeout() -> timedelta:
    return timedelta(minutes=settings.STOREFRONT_CHECKOUT_IDLE_MINUTES)


class Checkout(models.Model):
    """The shopper's answers on the way to an order, tied to their cart.

    Placing the order locks this row, so a double submit finds `order` already
    set and returns that order instead of placing a second one.
    """

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="checkouts")
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)  # E.164, e.g. "+48601234567"
    billing_address = models.JSONField(default=dict, blank=True)
    delivery_address = models.JSONField(default=dict, blank=True)
    customer_note = models.TextField(blank=True, max_length=1000)
    order = models.OneToOneField(
        "commerce.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkout"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # At most one checkout in progress per cart.
            models.UniqueConstraint(
                fields=["cart"], condition=Q(order__isnull=True), name="checkout_one_open_per_cart"
            ),
        ]

    def __str__(self):
        return f"Checkout {self.pk}"

    def is_expired(self, now=None) -> bool:
        if self.order_id:
            return False
        return (now or timezone.now()) - self.last_activity_at > checkout_idle_timeout()

    @property
    def has_contact(self) -> bool:
        return bool(self.email and self.billing_address and self.delivery_address)
