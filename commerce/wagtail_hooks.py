from django.contrib.auth.models import Permission
from django.urls import path, reverse
from wagtail import hooks
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet

from commerce.admin.background_tasks import (
    BackgroundTaskDetailView,
    BackgroundTasksMenuItem,
    BackgroundTasksReportView,
    RetryAllFailedView,
    RetryTaskView,
)
from commerce.admin.delete_views import WarehouseDeleteBulkAction
from commerce.admin.variant_chooser import variant_chooser_viewset
from commerce.admin.views import product_stock
from commerce.admin.viewsets import ShopViewSetGroup
from commerce.services.catalog.category_menu import category_menu
from commerce.services.catalog_import.writing import CATALOG_WRITE
from pages.navigation import MENU_CHILDREN_HOOK

register_snippet(ShopViewSetGroup)
# After Wagtail's own (order 0), so that it replaces the generic delete for warehouses.
hooks.register("register_bulk_action", WarehouseDeleteBulkAction, order=1)


@hooks.register("register_admin_viewset")
def variant_chooser():
    return variant_chooser_viewset


@hooks.register("register_admin_urls")
def stock_urls():
    return [
        path("shop/products/<int:product_id>/stock/", product_stock, name="commerce_product_stock")
    ]


# --- Background tasks report (Reports → Background tasks) ------------------------------------
# commerce/admin/background_tasks.py: queued, running and failed tasks of the database queue;
# a failed task is retried by POST. Seen with commerce.view_backgroundtask, retried with
# commerce.retry_backgroundtask (superusers have both; so does the "Shop managers" group).


@hooks.register("register_admin_urls")
def background_tasks_urls():
    base = "reports/background-tasks/"
    return [
        path(base, BackgroundTasksReportView.as_view(), name="commerce_background_tasks"),
        path(
            f"{base}results/",
            BackgroundTasksReportView.as_view(results_only=True),
            name="commerce_background_tasks_results",
        ),
        path(
            f"{base}retry-failed/",
            RetryAllFailedView.as_view(),
            name="commerce_background_tasks_retry_failed",
        ),
        path(
            f"{base}<uuid:result_id>/",
            BackgroundTaskDetailView.as_view(),
            name="commerce_background_task",
        ),
        path(
            f"{base}<uuid:result_id>/retry/",
            RetryTaskView.as_view(),
            name="commerce_background_task_retry",
        ),
    ]


@hooks.register("register_reports_menu_item")
def background_tasks_menu_item():
    return BackgroundTasksMenuItem(
        "Background tasks",
        reverse("commerce_background_tasks"),
        name="background-tasks",
        icon_name="cogs",
        order=1300,
    )


@hooks.register("register_permissions")
def background_task_permissions():
    # The group editor offers them under "Background task": view (the report) and retry.
    return Permission.objects.filter(
        content_type__app_label="commerce",
        codename__in=["view_backgroundtask", "retry_backgroundtask"],
    )


# --- end of the background tasks report --------------------------------------------------------


# The shop's categories in the main menu, under the shop page's item (pages.navigation).
hooks.register(MENU_CHILDREN_HOOK, category_menu)


@hooks.register("before_serve_page")
def serve_content_pages_from_page_cache(page, request, serve_args, serve_kwargs):
    """Content pages (About, Delivery…) through the full-page cache, as the shop's pages
    and the homepage (services.page_cache), their own campaign windows cutting an entry's
    life. `pages` sits below the shop and cannot call the cache itself, hence this hook.

    A page with view restrictions is left to Wagtail (None): its restriction check is a
    hook too, and cached pages are answered before any check."""
    from commerce.services.page_cache import serve_with_page_cache
    from pages.models import ContentPage

    if not isinstance(page, ContentPage) or page.get_view_restrictions().exists():
        return None
    return serve_with_page_cache(
        request,
        lambda: page.serve(request, *serve_args, **serve_kwargs),
        stream_values=[page.body],
    )


@hooks.register("register_log_actions")
def register_catalog_write_action(actions):
    """A product's history names who wrote it when no one in the admin did: the catalog
    import (its file) or the ERP (its API key), `services.catalog_import.writing`."""

    @actions.register_action(CATALOG_WRITE)
    class CatalogWrite(LogFormatter):
        label = "Written by an import or the ERP"

        def format_message(self, log_entry):
            source = (log_entry.data or {}).get("source") or "an import"
            return f"Written by {source}"
