"""The product's stock editor (a variants × warehouses grid) and the "create variants" action."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from commerce.admin.forms import GenerateVariantsForm
from commerce.models import Product, Warehouse
from commerce.services.inventory import set_stock_levels, stock_grid
from commerce.services.variants import (
    VariantGenerationError,
    default_base_sku,
    draft_only_variants,
    generate_variants,
    saved_variants,
    working_copy,
)

MAX_UNITS = 10_000_000


def edit_url(product):
    return reverse("wagtailsnippets_commerce_product:edit", args=[product.pk])


def product_page_header(product, action: str, icon: str) -> dict:
    """The slim header of a page that acts on one product: its title ("Stock: Heritage
    coat") and Wagtail's breadcrumb Home › Products › <product> › <action>, as the
    product's own edit page shows it, so staff see where they are and how to go back."""
    return {
        "header_title": f"{action}: {product}",
        "header_icon": icon,
        "breadcrumbs_items": [
            {"url": reverse("wagtailadmin_home"), "label": "Home"},
            {"url": reverse("wagtailsnippets_commerce_product:list"), "label": "Products"},
            {"url": edit_url(product), "label": str(product)},
            {"url": "", "label": action},
        ],
    }


class StockGridForm(forms.Form):
    """One whole-number field per variant and warehouse: `stock-<variant>-<warehouse>`."""

    def __init__(self, *args, variants, warehouses, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.variants, self.warehouses = variants, warehouses
        for variant in variants:
            for warehouse in warehouses:
                self.fields[self.name(variant, warehouse)] = forms.IntegerField(
                    label=f"{variant.sku} in {warehouse.name}",
                    min_value=0,
                    max_value=MAX_UNITS,
                    initial=levels.get((variant.pk, warehouse.pk), 0),
                    widget=forms.NumberInput(attrs={"style": "max-width: 7rem"}),
                )

    @staticmethod
    def name(variant, warehouse):
        return f"stock-{variant.pk}-{warehouse.pk}"

    def rows(self):
        """(variant, [bound field per warehouse]) for the template."""
        return [
            (variant, [self[self.name(variant, w)] for w in self.warehouses])
            for variant in self.variants
        ]

    def levels(self):
        return {
            variant.pk: {w.pk: self.cleaned_data[self.name(variant, w)] for w in self.warehouses}
            for variant in self.variants
        }


@permission_required("commerce.change_stock", raise_exception=True)
def product_stock(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    variants = saved_variants(product)
    warehouses = list(Warehouse.objects.all())
    form = StockGridForm(
        request.POST or None, variants=variants, warehouses=warehouses, levels=stock_grid(product)
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_stock_levels(form.levels())
        except IntegrityError:  # a variant was deleted (published away) since the page loaded
            messages.error(
                request, "This product's variants changed meanwhile: check and save again."
            )
            return redirect(reverse("commerce_product_stock", args=[product.pk]))
        messages.success(request, f"Stock of “{product}” saved.")
        return redirect(edit_url(product))
    return TemplateResponse(
        request,
        "commerce/admin/product_stock.html",
        {
            "product": product,
            "form": form,
            "warehouses": warehouses,
            "draft_only": draft_only_variants(product, variants),
            **product_page_header(product, "Stock", "clipboard-list"),
        },
    )


def generate_variants_view(request, pk):
    """GET: the form (options per axis, base SKU, price); POST: creates the variants of the
    missing combinations through services.variants.generate_variants."""
    if not request.user.has_perm("commerce.change_product"):
        raise PermissionDenied
    product = get_object_or_404(Product, pk=pk)
    lock = product.get_lock()
    if lock and lock.for_user(request.user):
        messages.error(request, "This product is locked: no variants were created.")
        return redirect(edit_url(product))
    draft = working_copy(product)
    axes = sorted(draft.variant_axes.all(), key=lambda a: (a.sort_order, a.name, a.pk))
    first = next(iter(draft.variants.all()), None)
    form = GenerateVariantsForm(
        request.POST or None,
        axes=axes,
        initial={"base_sku": default_base_sku(draft), "price": first.price if first else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = generate_variants(
                product,
                form.chosen_options(),
                price=form.cleaned_data["price"],
                base_sku=form.cleaned_data["base_sku"],
                user=request.user,
            )
        except VariantGenerationError as error:
            form.add_error(None, str(error))
        else:
            count = len(result.created)
            text = f"Created {count} variant{'s' if count != 1 else ''}"
            if result.skipped:
                text += f", skipped {result.skipped} that existed already"
            if result.as_draft:
                text += ", in a draft: review them and publish to put them on sale"
            messages.success(request, text + ".")
            return redirect(edit_url(product))
    return TemplateResponse(
        request,
        "commerce/admin/generate_variants.html",
        {
            "product": product,
            "form": form,
            "axes": axes,
            **product_page_header(product, "Create variants", "tag"),
        },
    )
