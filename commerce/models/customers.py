"""What a signed-in shopper keeps between orders: saved addresses."""

from django.conf import settings
from django.db import models

from .addresses import AddressFields


class Address(AddressFields):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses"
    )
    label = models.CharField(max_length=50, blank=True, help_text='e.g. "Home" or "Office".')
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        verbose_name_plural = "addresses"

    def __str__(self):
        return self.label or self.one_line()
