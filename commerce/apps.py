from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Catalog, inventory, cart, checkout, coupons and orders."""

    name = "commerce"
    verbose_name = "Shop"

    def ready(self):
        from commerce.services.catalog_version import connect_invalidation

        connect_invalidation()
        # A catalog version change purges the shared HTTP cache, when one is configured.
        from commerce.services.http_purge import connect_purges

        connect_purges()
        # A product's prices going live (publish, scheduled publish, import) are recorded.
        from commerce.services.price_history import connect_price_history

        connect_price_history()
        # Every admin spreadsheet export writes no formulas, labels for choices, etc.
        from commerce.admin.exports import install as install_safe_exports

        install_safe_exports()
        # A failed task with tries left goes back on the queue (services/tasks.py).
        from commerce.services.tasks import connect_signals as connect_task_retries

        connect_task_retries()
        # Renditions are made on a worker after an upload or a product's publication.
        from commerce.services.renditions import connect_renditions

        connect_renditions()
        # A category rename reindexes its products' search documents.
        from commerce.services.search_index import connect_search_index

        connect_search_index()
        # Signal receiver: a guest's cart and lists merge into the account's on login.
        from commerce.services import accounts  # noqa: F401
