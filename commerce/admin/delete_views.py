"""Delete views that say what a delete touches, or refuse it with the reason.

- Products and categories: the confirmation says how many carts, shopping
  lists, coupons and orders refer to them (counted in services.references), and
  for a product how many variants and units of stock go with it. A variant is
  deleted by removing it from its product's inline and publishing; its form says
  what refers to it (ProductForm).
- Warehouses: one that still holds units or supplied orders is not deleted;
  staff are told why and what to do instead (services.inventory), on the
  single and the bulk delete alike, never a ProtectedError.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views.snippets import DeleteView

from commerce.models import Warehouse
from commerce.services.inventory import (
    WarehouseInUse,
    delete_warehouse,
    warehouse_delete_refusal,
)
from commerce.services.references import category_delete_impact, product_delete_impact
from commerce.services.variants import variants_with_stock

# Set as the viewsets' delete_template_name: snippet viewsets ignore the view's own.
IMPACT_TEMPLATE = "commerce/admin/confirm_delete_with_impact.html"


class ProductDeleteView(DeleteView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["impact"] = product_delete_impact(self.object)
        context["variants"] = variants_with_stock(self.object)
        return context


class CategoryDeleteView(DeleteView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["impact"] = category_delete_impact(self.object)
        return context


def refuse_warehouses_in_use(request, warehouses):
    """The answer to a delete request (single or bulk) naming a warehouse in use:
    the reasons as error messages and back to the list; None when all may go."""
    refusals = [reason for w in warehouses if (reason := warehouse_delete_refusal(w))]
    if not refusals:
        return None
    for reason in refusals:
        messages.error(request, reason)
    return redirect(reverse(Warehouse.snippet_viewset.get_url_name("list")))


class WarehouseDeleteView(DeleteView):
    def run_before_hook(self):
        return refuse_warehouses_in_use(self.request, [self.object]) or super().run_before_hook()

    def delete_action(self):
        delete_warehouse(self.object)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except WarehouseInUse as refusal:  # stock arrived since the check above
            messages.error(self.request, str(refusal))
            return redirect(reverse(Warehouse.snippet_viewset.get_url_name("list")))


class WarehouseDeleteBulkAction(DeleteBulkAction):
    """Deletes through services.inventory.delete_warehouse, which also removes the
    warehouse's empty stock rows (a plain queryset delete is stopped by them)."""

    models = [Warehouse]

    def run_before_hook(self):
        objects = self.get_actionable_objects()[0]
        return refuse_warehouses_in_use(self.request, objects) or super().run_before_hook()

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        for warehouse in objects:
            delete_warehouse(warehouse)
        return len(objects), 0
