from django.urls import path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from commerce.admin.delete_views import WarehouseDeleteBulkAction
from commerce.admin.variant_chooser import variant_chooser_viewset
from commerce.admin.views import product_stock
from commerce.admin.viewsets import ShopViewSetGroup

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
