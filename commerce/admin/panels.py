from django.urls import reverse
from wagtail.admin.panels import Panel

from commerce.models import Warehouse
from commerce.services.inventory import stock_grid
from commerce.services.variants import draft_only_variants, saved_variants


class StockPanel(Panel):
    """Stock per variant and warehouse on the product's edit page.

    Stock is not a revisioned field: saving a draft or publishing a product
    never changes it. The "Edit stock levels" link saves quantities at once.
    A variant that exists only in an unpublished draft has no row yet, so no stock.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "commerce/admin/stock_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            product = self.instance
            if not product.pk:
                return context
            # The row, not the revision the form shows: stock belongs to variant rows.
            row = type(product).objects.get(pk=product.pk)
            variants = saved_variants(row)
            warehouses = list(Warehouse.objects.all())
            levels = stock_grid(row)
            context.update(
                warehouses=warehouses,
                rows=[(v, [levels.get((v.pk, w.pk), 0) for w in warehouses]) for v in variants],
                total=row.available_quantity,
                draft_only=draft_only_variants(row, variants),
                edit_url=reverse("commerce_product_stock", args=[product.pk]),
            )
            return context


class GenerateVariantsPanel(Panel):
    """The link to "create variants for all combinations of these options"."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "commerce/admin/generate_variants_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            if self.instance.pk:
                context["url"] = reverse(
                    "wagtailsnippets_commerce_product:generate_variants", args=[self.instance.pk]
                )
            return context
