"""Back-in-stock alerts: a shopper asks to hear once when a sold-out variant returns.

A subscription waits (`notified_at` NULL) until a stock write brings its variant back
(`services.stock_alerts`), is mailed once, and is then kept as a record; the same
address may ask again afterwards, so only one *waiting* subscription per variant and
address is allowed. Its random `token` is the only key to its unsubscribe link.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from commerce.tokens import new_token


class StockSubscriptionQuerySet(models.QuerySet):
    def waiting(self):
        """Subscriptions not mailed yet."""
        return self.filter(notified_at__isnull=True)


class StockSubscription(models.Model):
    variant = models.ForeignKey(
        "commerce.ProductVariant", on_delete=models.CASCADE, related_name="stock_subscriptions"
    )
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stock_subscriptions",
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = StockSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "email"],
                condition=Q(notified_at__isnull=True),
                name="stock_subscription_one_waiting",
            )
        ]
        indexes = [
            # The restock check: waiting subscriptions of the variants that came back.
            models.Index(
                fields=["variant"],
                condition=Q(notified_at__isnull=True),
                name="stock_subscription_waiting_idx",
            )
        ]

    def __str__(self):
        return f"{self.email} → {self.variant_id}"
