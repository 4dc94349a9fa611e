"""What the integrations keep in the database."""

from django.conf import settings
from django.db import models


class CustomerLink(models.Model):
    """Ties a shop account to the customer's id in the ERP (`customer_external_id`).

    The create-order API finds a customer by our user id (`customer_id`) or
    through this link. The model also carries the API's permission.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_link"
    )
    external_id = models.CharField(
        "external id", max_length=64, unique=True, help_text="The customer's id in the ERP."
    )

    class Meta:
        verbose_name = "customer link"
        permissions = [("create_orders", "Can create orders through the create-order API")]

    def __str__(self):
        return f"{self.external_id} → {self.user}"
