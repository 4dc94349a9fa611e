"""Coupons and their redemptions. Whether one applies is decided in services.coupons."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper

ZERO = Decimal("0")


class CouponKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    FIXED = "fixed", "Fixed amount off"


class Coupon(models.Model):
    code = models.CharField(max_length=40, help_text="Shoppers may type it in any case.")
    description = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=10, choices=CouponKind.choices, default=CouponKind.PERCENT)
    value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(ZERO)],
        help_text="Percent (0–100) or an amount in the shop's currency.",
    )
    is_active = models.BooleanField(default=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many orders may use it in all. Empty: no limit."
    )
    per_customer_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many orders one customer may use it for."
    )
    min_cart_value = models.DecimalField(
        "minimum cart value",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    categories = models.ManyToManyField(
        "commerce.Category",
        blank=True,
        related_name="coupons",
        help_text="Only products in these categories (or below them) are discounted.",
    )
    products = models.ManyToManyField(
        "commerce.Product",
        blank=True,
        related_name="coupons",
        help_text="Only these products are discounted (together with the categories above).",
    )
    times_used = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="coupon_code_unique_any_case"),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        super().clean()
        self.code = normalize_code(self.code)
        errors = {}
        if self.kind == CouponKind.PERCENT and self.value is not None and self.value > 100:
            errors["value"] = "A percentage cannot be above 100."
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = "The end must be after the start."
        if self.code and Coupon.objects.filter(code__iexact=self.code).exclude(pk=self.pk).exists():
            errors["code"] = "A coupon with this code exists."
        if errors:
            raise ValidationError(errors)

    @property
    def is_restricted(self):
        return self.categories.exists() or self.products.exists()


def normalize_code(code: str | None) -> str:
    return (code or "").strip().upper()


class CouponRedemption(models.Model):
    """One order's use of a coupon; counts towards the per-customer limit."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(
        "commerce.Order", on_delete=models.CASCADE, related_name="coupon_redemption"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    email = models.EmailField(help_text="Lower-cased; guests are counted by e-mail.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["coupon", "email"], name="redemption_coupon_email_idx")]
