"""Coupons and their redemptions. Whether one applies is decided in services.coupons."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce, Upper

ZERO = Decimal("0")


class CouponKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    FIXED = "fixed", "Fixed amount off"


class CouponScope(models.TextChoices):
    """What a coupon discounts. Stored, not inferred from its targets: a coupon whose
    last product or category is deleted must discount nothing, never the whole cart."""

    CART = "cart", "The whole cart"
    PRODUCTS = "products", "Only these products"
    CATEGORIES = "categories", "Only products in these categories"
    # Kept for coupons made before the scope existed, which could name both.
    PRODUCTS_AND_CATEGORIES = "products_categories", "These products and these categories"

    @property
    def uses_products(self):
        return self in (CouponScope.PRODUCTS, CouponScope.PRODUCTS_AND_CATEGORIES)

    @property
    def uses_categories(self):
        return self in (CouponScope.CATEGORIES, CouponScope.PRODUCTS_AND_CATEGORIES)


def _target_count(through):
    return Coalesce(
        Subquery(
            through.objects.filter(coupon_id=OuterRef("pk"))
            .values("coupon_id")
            .annotate(n=Count("*"))
            .values("n")
        ),
        0,
    )


class CouponQuerySet(models.QuerySet):
    def with_target_counts(self):
        """`product_count` and `category_count`, one subquery each (the admin listing)."""
        return self.annotate(
            product_count=_target_count(Coupon.products.through),
            category_count=_target_count(Coupon.categories.through),
        )


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
    scope = models.CharField(
        "applies to",
        max_length=20,
        choices=CouponScope.choices,
        default=CouponScope.CART,
        help_text="A restricted coupon stays restricted: if all its products or categories "
        "are deleted, it applies to nothing.",
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
        help_text="Products in these categories (or below them) are discounted.",
    )
    products = models.ManyToManyField(
        "commerce.Product",
        blank=True,
        related_name="coupons",
        help_text="These products are discounted.",
    )
    combines_with_promotions = models.BooleanField(
        "with promotions",
        default=True,
        help_text="Off: the coupon discounts only lines no promotion has changed. On, it "
        "applies to the promoted prices.",
    )
    times_used = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CouponQuerySet.as_manager()

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

    def has_targets(self) -> bool:
        """Whether a restricted coupon still names anything its scope uses.

        Reads the `with_target_counts` annotations when present (no query)."""
        scope = CouponScope(self.scope)
        if scope == CouponScope.CART:
            return True
        if hasattr(self, "product_count"):
            products, categories = self.product_count, self.category_count
        else:
            products = scope.uses_products and self.products.exists()
            categories = scope.uses_categories and self.categories.exists()
        return bool((scope.uses_products and products) or (scope.uses_categories and categories))


def scope_errors(scope, *, products: int, categories: int) -> dict[str, str]:
    """What is wrong with a scope and its targets, by field (empty when nothing is).

    Each scope names exactly the targets it uses, so what staff see chosen is
    what the coupon discounts. Called by the admin form: many-to-many choices
    are not on the instance before it is saved, so `clean()` cannot see them."""
    scope = CouponScope(scope)
    errors = {}
    if scope.uses_products and not products:
        errors["products"] = "Choose at least one product for this scope."
    if scope.uses_categories and not categories:
        errors["categories"] = "Choose at least one category for this scope."
    if products and not scope.uses_products:
        errors["products"] = "Clear the products, or choose a scope that uses them."
    if categories and not scope.uses_categories:
        errors["categories"] = "Clear the categories, or choose a scope that uses them."
    return errors


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
