from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Catalog and inventory now; cart, checkout, coupons, shopping lists and orders next."""

    name = "commerce"
    verbose_name = "Shop"
