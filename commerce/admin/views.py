from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from commerce.models import Product, Warehouse
from commerce.services.inventory import set_stock_levels, stock_levels


class StockLevelsForm(forms.Form):
    def __init__(self, *args, warehouses, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouses = warehouses
        for warehouse in warehouses:
            self.fields[f"warehouse_{warehouse.pk}"] = forms.IntegerField(
                label=warehouse.name,
                min_value=0,
                max_value=10_000_000,
                initial=levels.get(warehouse.pk, 0),
            )

    def levels(self):
        return {w.pk: self.cleaned_data[f"warehouse_{w.pk}"] for w in self.warehouses}


@permission_required("commerce.change_stock", raise_exception=True)
def product_stock(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    warehouses = list(Warehouse.objects.all())
    levels = stock_levels(product)
    form = StockLevelsForm(request.POST or None, warehouses=warehouses, levels=levels)
    if request.method == "POST" and form.is_valid():
        set_stock_levels(product, form.levels())
        messages.success(request, f"Stock of “{product}” saved.")
        return redirect(reverse("wagtailsnippets_commerce_product:edit", args=[product.pk]))
    return TemplateResponse(
        request,
        "commerce/admin/product_stock.html",
        {"product": product, "form": form, "header_title": f"Stock: {product}"},
    )
