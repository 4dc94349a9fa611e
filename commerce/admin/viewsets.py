"""Snippet viewsets for the catalog, grouped under one "Shop" menu (orders, coupons,
delivery and payment methods come from their own *_viewsets.py modules)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    ObjectList,
    PublishingPanel,
    TabbedInterface,
)
from wagtail.admin.ui.tables import (
    BooleanColumn,
    Column,
)
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.views.chooser import ChooseResultsView as SnippetChooseResultsView
from wagtail.snippets.views.chooser import ChooseView as SnippetChooseView
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import (
    EditView,
    IndexView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from commerce.admin.forms import ProductForm
from commerce.admin.list_viewsets import ShoppingListViewSet
from commerce.admin.panels import GenerateVariantsPanel, StockPanel
from commerce.admin.views import generate_variants_view
from commerce.models import (
    AttributeDefinition,
    Category,
    Product,
    ProductStatus,
    ProductVariant,
    Warehouse,
)
from commerce.services.catalog.listing import image_prefetches, in_categories_q
from commerce.services.inventory import product_stock_subquery, saving_warehouse
from commerce.services.orders import revenue_subquery, units_sold_subquery
from commerce.services.variants import (
    price_max_subquery,
    price_min_subquery,
    variant_count_subquery,
)

from .columns import MoneyColumn, ProductStatusColumn, SkuColumn, ThumbnailColumn
from .coupon_viewsets import CouponViewSet
from .delete_views import (
    IMPACT_TEMPLATE,
    CategoryDeleteView,
    ProductDeleteView,
    WarehouseDeleteView,
)
from .method_viewsets import DeliveryMethodViewSet, PaymentMethodViewSet
from .order_viewsets import OrderViewSet
from .promotion_viewsets import PromotionViewSet
from .widgets import FilterableCheckboxSelectMultiple

STOCK_LEVELS = [("out", "Out of stock (0)"), ("low", "Low (1–5)"), ("in", "In stock (more than 5)")]


class ProductFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=ProductStatus.choices)
    main_category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.with_path_labels(), label="Category", method="filter_category"
    )
    stock_level = django_filters.ChoiceFilter(
        choices=STOCK_LEVELS, label="Stock", method="filter_stock_level"
    )
    is_featured = django_filters.BooleanFilter()

    class Meta:
        model = Product
        fields = ["status", "main_category", "stock_level", "is_featured"]

    def filter_category(self, queryset, name, category):
        # The category and everything below it, as main or additional category;
        # switched-off branches included (staff see everything).
        ids = list(Category.objects.filter(category.descendants_q()).values_list("pk", flat=True))
        return queryset.filter(in_categories_q(ids))

    def filter_stock_level(self, queryset, name, level):
        if level == "out":
            return queryset.filter(total_stock__lte=0)
        if level == "low":
            return queryset.filter(total_stock__gte=1, total_stock__lte=5)
        return queryset.filter(total_stock__gt=5)


class ProductIndexView(IndexView):
    def search_queryset(self, queryset):
        """Name, or any variant's SKU or EAN (drafts' too, once saved): plain ORM, as an
        EXISTS so a product with several matching variants is listed once."""
        if not self.is_searching:
            return queryset
        term = self.search_query
        variant_matches = ProductVariant.objects.filter(product=OuterRef("pk")).filter(
            Q(sku__icontains=term) | Q(ean__icontains=term)
        )
        return queryset.filter(Q(name__icontains=term) | Exists(variant_matches))

    def to_row_dict(self, item):
        # The export's one row per product lists all of its SKUs (prefetched, in order).
        item.variant_skus = ", ".join(variant.sku for variant in item.variants.all())
        return super().to_row_dict(item)


class ProductEditView(EditView):
    @cached_property
    def header_buttons(self):
        # Stock is not part of the form (nor of its drafts): its editor is a page of its own,
        # linked from the header of every tab, not only from the Stock tab's panel.
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("commerce.change_stock"):
            buttons.append(
                HeaderButton(
                    "Stock levels",
                    url=reverse("commerce_product_stock", args=[self.object.pk]),
                    icon_name="clipboard-list",
                    attrs={"data-stock-link": ""},
                )
            )
        return buttons


class ProductViewSet(SnippetViewSet):
    """Products: one row per product (its variants counted, their prices as a range, their
    stock summed over active variants); the export is one row per product too, with all
    of its SKUs. Per-variant numbers are on the product's Variants and Stock tabs."""

    model = Product
    icon = "tag"
    menu_label = "Products"
    index_view_class = ProductIndexView
    edit_view_class = ProductEditView
    filterset_class = ProductFilterSet
    delete_view_class = ProductDeleteView
    delete_template_name = IMPACT_TEMPLATE
    search_fields = ["name"]  # and variants' SKUs and EANs: ProductIndexView.search_queryset
    search_backend_name = None  # plain ORM search: finds drafts' SKUs immediately
    list_display = [
        "name",  # first: Wagtail links it to the edit view
        ThumbnailColumn("thumbnail", label="Image"),
        SkuColumn("skus", label="SKU"),
        ProductStatusColumn(),
        BooleanColumn("is_featured", label="Featured", sort_key="is_featured"),
        Column("variant_count", label="Variants", sort_key="variant_count"),
        # Active variants only; "—" when none is active.
        MoneyColumn("price_min", high_accessor="price_max", label="Price", sort_key="price_min"),
        Column("total_stock", label="Stock", sort_key="total_stock"),
        # Orders that stand (not cancelled or refunded); one subquery each, see get_queryset.
        Column("units_sold", label="Sold", sort_key="units_sold"),
        MoneyColumn("revenue", label="Revenue", sort_key="revenue"),
        # No "Updated" column: with it the row outgrew a 1280 px screen and the name, the one
        # column staff read first, was squeezed to a few letters a line.
    ]
    list_export = [
        "name",
        "variant_skus",
        "status",
        "variant_count",
        "price_min",
        "price_max",
        "vat_rate",
        "total_stock",
        "units_sold",
        "revenue",
        "live",
    ]
    export_headings = {
        "variant_skus": "SKUs",
        "variant_count": "Variants",
        "price_min": "Lowest price",
        "price_max": "Highest price",
        "total_stock": "Stock",
        "vat_rate": "VAT %",
        "units_sold": "Units sold",
        "revenue": "Revenue",
    }
    export_filename = "products"
    ordering = ["name"]
    list_per_page = 50

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("name"),
                    FieldPanel("slug"),
                    FieldPanel("status"),
                    FieldPanel("short_description"),
                    FieldPanel("description"),
                    InlinePanel("images", label="Images"),
                    InlinePanel(
                        "documents",
                        label="Documents",
                        help_text="Data sheets, manuals: listed on the product page.",
                    ),
                ],
                heading="Product",
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("vat_rate"), FieldPanel("unit")]),
                    FieldPanel("variant_axes", widget=forms.CheckboxSelectMultiple),
                    InlinePanel(
                        "variants",
                        label="Variants",
                        min_num=1,
                        panels=[
                            FieldRowPanel([FieldPanel("sku"), FieldPanel("ean")]),
                            FieldRowPanel([FieldPanel("price"), FieldPanel("compare_at_price")]),
                            FieldRowPanel(
                                [
                                    FieldPanel("weight"),
                                    FieldPanel("units_per_bulk_package"),
                                    FieldPanel("is_active"),
                                ]
                            ),
                            FieldPanel("options", widget=forms.CheckboxSelectMultiple),
                            FieldPanel("images", widget=forms.CheckboxSelectMultiple),
                        ],
                    ),
                    GenerateVariantsPanel(heading="Create variants"),
                ],
                heading="Variants",
            ),
            ObjectList(
                [
                    FieldPanel("main_category"),
                    FieldPanel(
                        "additional_categories",
                        widget=FilterableCheckboxSelectMultiple(placeholder="Filter categories"),
                    ),
                    FieldPanel(
                        "attribute_options",
                        widget=FilterableCheckboxSelectMultiple(placeholder="Filter attributes"),
                    ),
                    FieldPanel("is_featured"),
                ],
                heading="Categories and attributes",
            ),
            # product part: "You may also like" on the product page, in this order; without
            # a choice the page shows others of the main category (Product.objects.related_to).
            ObjectList(
                [
                    InlinePanel(
                        "related_links",
                        heading="You may also like",
                        label="Related product",
                        help_text="Shown on the product page in this order. Leave empty to "
                        "show other products of the main category.",
                    )
                ],
                heading="Related",
            ),
            ObjectList([StockPanel(heading="Stock per variant and warehouse")], heading="Stock"),
            # Go-live/expiry dates, shown in the status side panel: schedule a
            # price change by publishing the new prices with a go-live date.
            ObjectList([PublishingPanel()], heading="Scheduling"),
        ],
        base_form_class=ProductForm,
    )

    def get_queryset(self, request):
        return (
            Product.objects.annotate_approved_schedule()
            .annotate(
                total_stock=product_stock_subquery(),
                variant_count=variant_count_subquery(),
                price_min=price_min_subquery(),
                price_max=price_max_subquery(),
                units_sold=units_sold_subquery(),
                revenue=revenue_subquery(),
            )
            .select_related("main_category")
            .prefetch_related(
                *image_prefetches(),
                Prefetch("variants", queryset=ProductVariant.objects.order_by("sort_order", "pk")),
            )
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("variants/<int:pk>/", generate_variants_view, name="generate_variants"),
        ]


class CategorySearchForm(BaseFilterForm):
    q = forms.CharField(label="Search term", required=False)

    def filter(self, objects):
        objects = super().filter(objects)
        if term := self.cleaned_data.get("q"):
            self.is_searching, self.search_query = True, term
            objects = objects.filter(Q(name__icontains=term) | Q(slug_path__icontains=term))
        return objects


class CategoryChooseMixin:
    """The category chooser: each row titled with its path ("Clothing › Outerwear › Coats"),
    all labels loaded together; plain ORM search on name and path."""

    filter_form_class = CategorySearchForm
    ordering = ["slug_path"]

    def get_object_list(self):
        return Category.objects.with_path_labels()


class CategoryChooseView(CategoryChooseMixin, SnippetChooseView):
    pass


class CategoryChooseResultsView(CategoryChooseMixin, SnippetChooseResultsView):
    pass


class CategoryChooserViewSet(SnippetChooserViewSet):
    choose_view_class = CategoryChooseView
    choose_results_view_class = CategoryChooseResultsView


class CategoryViewSet(SnippetViewSet):
    model = Category
    chooser_viewset_class = CategoryChooserViewSet
    icon = "folder-open-inverse"
    menu_label = "Categories"
    delete_view_class = CategoryDeleteView
    delete_template_name = IMPACT_TEMPLATE
    list_display = [
        "__str__",
        "slug",
        BooleanColumn("is_active", label="Active", sort_key="is_active"),
        "sort_order",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    search_backend_name = None
    ordering = ["slug_path"]
    list_export = ["name", "slug", "slug_path", "is_active"]

    def get_queryset(self, request):
        return Category.objects.with_path_labels()


class AttributeViewSet(SnippetViewSet):
    model = AttributeDefinition
    icon = "list-ul"
    menu_label = "Attributes"
    list_display = [
        "name",
        "slug",
        BooleanColumn("varies_per_variant", label="Varies per variant"),
        BooleanColumn("is_filterable", label="Filter"),
        BooleanColumn("show_on_tile", label="On tiles"),
        "sort_order",
    ]
    list_filter = ["varies_per_variant"]
    search_fields = ["name", "slug"]
    search_backend_name = None


class WarehouseEditView(EditView):
    """Switching a warehouse on or off changes what shoppers can buy: saved through
    `inventory.saving_warehouse` (locks, back-in-stock alerts, stock webhooks)."""

    def save_instance(self):
        with saving_warehouse(self.form.instance):
            return super().save_instance()


class WarehouseViewSet(SnippetViewSet):
    model = Warehouse
    icon = "home"
    menu_label = "Warehouses"
    edit_view_class = WarehouseEditView
    delete_view_class = WarehouseDeleteView
    list_display = [
        "name",
        "code",
        BooleanColumn("is_active", label="Active", sort_key="is_active"),
        "sort_order",
    ]
    search_fields = ["name", "code"]
    search_backend_name = None


class ShopViewSetGroup(SnippetViewSetGroup):
    menu_label = "Shop"
    menu_icon = "tag"
    menu_order = 150
    items = (
        ProductViewSet,
        CategoryViewSet,
        AttributeViewSet,
        WarehouseViewSet,
        OrderViewSet,
        CouponViewSet,
        PromotionViewSet,
        DeliveryMethodViewSet,
        PaymentMethodViewSet,
        ShoppingListViewSet,
    )
