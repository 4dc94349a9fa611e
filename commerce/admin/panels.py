from django.urls import reverse
from wagtail.admin.panels import Panel


class StockPanel(Panel):
    """Stock per warehouse on the product's edit page.

    Stock is not a revisioned field: saving a draft or publishing a product
    never changes it. The "Edit stock levels" link saves quantities at once.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "commerce/admin/stock_panel.html"

        def get_context_data(self, parent_context=None):
            from commerce.models import Stock, Warehouse  # panels load with the models

            context = super().get_context_data(parent_context)
            product = self.instance
            levels = {}
            if product.pk:
                levels = dict(
                    Stock.objects.filter(product=product).values_list("warehouse_id", "quantity")
                )
            context["rows"] = [
                (warehouse, levels.get(warehouse.pk, 0)) for warehouse in Warehouse.objects.all()
            ]
            context["total"] = sum(qty for warehouse, qty in context["rows"] if warehouse.is_active)
            if product.pk:
                context["edit_url"] = reverse("commerce_product_stock", args=[product.pk])
            return context
