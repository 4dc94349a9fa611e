from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Catalog, inventory, cart, checkout, coupons, shopping lists and orders.

    Empty until the catalog issue lands; it is installed now so that later
    migrations start from a stable app label.
    """

    name = "commerce"
    verbose_name = "Shop"
