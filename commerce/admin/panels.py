from django.urls import reverse
from wagtail.admin.panels import Panel

from commerce.models import Warehouse
from commerce.services.inventory import stock_levels


class StockPanel(Panel):
    """Stock per warehouse on the product's edit page.

    Stock is not a revisioned field: saving a draft or publishing a product
    never changes it. The "Edit stock levels" link saves quantities at once.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "commerce/admin/stock_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            product = self.instance
            levels = stock_levels(product)
            context["rows"] = [
                (warehouse, levels.get(warehouse.pk, 0)) for warehouse in Warehouse.objects.all()
            ]
            context["total"] = product.available_quantity
            if product.pk:
                context["edit_url"] = reverse("commerce_product_stock", args=[product.pk])
            return context
