from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Catalog and inventory now; cart, checkout, coupons, shopping lists and orders next."""

    name = "commerce"
    verbose_name = "Shop"

    def ready(self):
        from commerce.services.page_cache import connect_invalidation

        connect_invalidation()
