"""Shopping lists ("favourites"): many named lists per shopper, guests included."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class ShoppingList(models.Model):
    """Owned by a user, or by a guest through a random key kept in their session.

    The guest key is not Django's session key: that changes on login, and the
    lists must still be found then to be merged into the account.
    """

    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shopping_lists",
    )
    guest_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    is_default = models.BooleanField(default=False)
    # NULL while not shared; a fresh token each time sharing is (re)enabled.
    share_token = models.CharField(  # noqa: DJ001 - NULL, not "", so unique ignores unshared lists
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(guest_key=""))
                | (Q(user__isnull=True) & ~Q(guest_key="")),
                name="shopping_list_one_owner",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True, user__isnull=False),
                name="shopping_list_one_default_per_user",
            ),
            models.UniqueConstraint(
                fields=["guest_key"],
                condition=Q(is_default=True, user__isnull=True),
                name="shopping_list_one_default_per_guest",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "user",
                condition=Q(user__isnull=False),
                name="shopping_list_name_unique_per_user",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "guest_key",
                condition=Q(user__isnull=True),
                name="shopping_list_name_unique_per_guest",
            ),
        ]

    def __str__(self):
        return self.name


class ShoppingListItem(models.Model):
    shopping_list = models.ForeignKey(ShoppingList, on_delete=models.CASCADE, related_name="items")
    # SET_NULL, not CASCADE, as on cart lines: a deleted variant stays on the list with
    # its name, SKU, price and the shopper's note, marked "no longer available".
    variant = models.ForeignKey(
        "commerce.ProductVariant",
        null=True,
        on_delete=models.SET_NULL,
        related_name="shopping_list_items",
    )
    # The variant's description ("Heritage coat — Size M") when it was saved.
    product_name = models.CharField(max_length=300)
    sku = models.CharField("SKU", max_length=64, blank=True)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    note = models.CharField(max_length=500, blank=True)
    price_when_added = models.DecimalField(max_digits=12, decimal_places=2)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shopping_list", "variant"],
                condition=Q(variant__isnull=False),
                name="shopping_list_item_unique_variant",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="shopping_list_item_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.name}"

    @property
    def is_gone(self) -> bool:
        """The variant was deleted: the item is kept, but cannot be bought or copied."""
        return self.variant_id is None

    @property
    def name(self) -> str:
        return self.variant.description if self.variant_id else self.product_name
