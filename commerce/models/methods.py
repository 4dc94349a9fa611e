"""How an order travels and how it is paid: configured by staff, chosen by shoppers."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

ZERO = Decimal("0")


class ActiveQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class DeliveryMethod(models.Model):
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    free_from = models.DecimalField(
        "free from",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="Delivery costs nothing when the products (after discount) reach this value.",
    )
    delivery_time = models.CharField(
        max_length=60,
        blank=True,
        help_text='How long it takes, as shoppers read it: "1–2 working days".',
    )
    vat_rate = models.DecimalField(
        "VAT rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("23.00"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    @property
    def is_free(self) -> bool:
        """Costs nothing whatever the cart holds (pick-up in store)."""
        return self.price == ZERO

    @property
    def has_free_threshold(self) -> bool:
        """Becomes free from some value of products (`free_from`); a free method has none."""
        return self.free_from is not None and not self.is_free


class PaymentMethod(models.Model):
    """A payment option shown at checkout, backed by one provider (commerce.payments)."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    provider = models.CharField(
        max_length=50, help_text="The code of the payment provider that handles it."
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        from commerce.payments import registry

        if self.provider not in registry.codes():
            raise ValidationError(
                {"provider": f"Unknown provider. Choose one of: {', '.join(registry.codes())}."}
            )

    def get_provider(self):
        from commerce.payments import registry

        return registry.get(self.provider)
