from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Catalog, inventory, cart, checkout, coupons and orders."""

    name = "commerce"
    verbose_name = "Shop"

    def ready(self):
        from commerce.services.catalog_version import connect_invalidation

        connect_invalidation()
        # Every admin spreadsheet export writes no formulas, labels for choices, etc.
        from commerce.admin.exports import install as install_safe_exports

        install_safe_exports()
        # Signal receiver: a guest's cart and lists merge into the account's on login.
        from commerce.services import accounts  # noqa: F401
