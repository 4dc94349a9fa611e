"""A chooser for product variants (they are not snippets): a modal that searches SKU,
EAN and product name, used by the promotion rewards' variant field. A shop has
thousands of variants, so a plain select would not do."""

from django import forms
from django.db.models import Q
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from commerce.models import ProductVariant


class VariantSearchForm(BaseFilterForm):
    q = forms.CharField(
        label="Search term",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "SKU, EAN or product name"}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        term = self.cleaned_data.get("q")
        if term:
            self.is_searching = True
            self.search_query = term
            objects = objects.filter(
                Q(sku__icontains=term) | Q(ean__icontains=term) | Q(product__name__icontains=term)
            )
        return objects


class VariantChooseMixin:
    filter_form_class = VariantSearchForm
    ordering = ["product__name", "sort_order", "pk"]

    def get_object_list(self):
        # The title is the variant's description: product name and options, loaded here.
        return ProductVariant.objects.select_related("product").prefetch_related(
            "options__definition"
        )

    @property
    def columns(self):
        return [
            self.title_column,
            Column("sku", label="SKU"),
            Column("price", label="Price"),
            Column("is_active", label="Active"),
        ]


class VariantChooseView(VariantChooseMixin, ChooseView):
    pass


class VariantChooseResultsView(VariantChooseMixin, ChooseResultsView):
    pass


class VariantChooserViewSet(ChooserViewSet):
    model = ProductVariant
    icon = "tag"
    choose_one_text = "Choose a variant"
    choose_another_text = "Choose another variant"
    per_page = 20
    choose_view_class = VariantChooseView
    choose_results_view_class = VariantChooseResultsView
    # Only where a panel asks for it (promotion rewards); other forms keep their widgets.
    register_widget = False


variant_chooser_viewset = VariantChooserViewSet(
    "commerce_variant_chooser", url_prefix="shop/variant-chooser"
)
