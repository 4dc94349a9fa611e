"""Admin for coupons (under "Shop"): the scope checked as the model checks it, and a
listing that says loudly when a restricted coupon lost every target."""

from django import forms
from django.template.defaultfilters import pluralize
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.snippets.views.snippets import SnippetViewSet

from commerce.admin.widgets import FilterableCheckboxSelectMultiple
from commerce.models import Category, Coupon, CouponScope
from commerce.models.coupons import scope_errors


class CouponForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "categories" in self.fields:
            self.fields["categories"].queryset = Category.objects.with_path_labels()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope"):
            errors = scope_errors(
                cleaned["scope"],
                products=len(cleaned.get("products") or ()),
                categories=len(cleaned.get("categories") or ()),
            )
            for name, message in errors.items():
                self.add_error(name, message)
        return cleaned


def applies_to(coupon) -> str:
    """The scope in words; a restricted coupon that lost every target says so loudly."""
    if coupon.scope == CouponScope.CART:
        return "Whole cart"
    if not coupon.has_targets():
        return "NOTHING: its products/categories were deleted"
    parts = []
    if coupon.product_count:
        parts.append(f"{coupon.product_count} product{pluralize(coupon.product_count)}")
    if coupon.category_count:
        parts.append(f"{coupon.category_count} categor{pluralize(coupon.category_count, 'y,ies')}")
    return ", ".join(parts)


class AppliesToColumn(Column):
    cell_template_name = "commerce/admin/coupon_applies_to_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["applies_to_nothing"] = not instance.has_targets()
        return context


class CouponViewSet(SnippetViewSet):
    model = Coupon
    icon = "pick"
    menu_label = "Coupons"
    list_display = [
        "code",
        Column("kind", label="Kind", accessor="get_kind_display", sort_key="kind"),
        Column("value", label="Value", sort_key="value"),
        BooleanColumn("is_active", label="Active", sort_key="is_active"),
        Column("valid_from", label="From", sort_key="valid_from"),
        Column("valid_until", label="Until", sort_key="valid_until"),
        Column("usage_limit", label="Limit", sort_key="usage_limit"),
        Column("times_used", label="Used", sort_key="times_used"),
        BooleanColumn(
            "combines_with_promotions",
            label="With promotions",
            sort_key="combines_with_promotions",
        ),
        AppliesToColumn("applies_to", label="Applies to", accessor=applies_to),
    ]
    list_filter = ["kind", "is_active", "scope", "combines_with_promotions"]
    search_fields = ["code", "description"]
    search_backend_name = None
    list_export = [
        "code",
        "kind",
        "value",
        "is_active",
        "valid_from",
        "valid_until",
        "usage_limit",
        "per_customer_limit",
        "min_cart_value",
        "scope",
        "times_used",
        "combines_with_promotions",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("code"), FieldPanel("is_active")]),
            FieldPanel("description"),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("value")]),
            FieldPanel("combines_with_promotions"),
            FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
            FieldRowPanel(
                [
                    FieldPanel("usage_limit"),
                    FieldPanel("per_customer_limit"),
                    FieldPanel("min_cart_value"),
                ]
            ),
            MultiFieldPanel(
                [
                    FieldPanel("scope", widget=forms.RadioSelect),
                    FieldPanel(
                        "categories",
                        widget=FilterableCheckboxSelectMultiple(placeholder="Filter categories"),
                    ),
                    FieldPanel(
                        "products",
                        widget=FilterableCheckboxSelectMultiple(placeholder="Filter products"),
                    ),
                ],
                heading="Applies to",
            ),
        ],
        base_form_class=CouponForm,
    )

    def get_queryset(self, request):
        return Coupon.objects.with_target_counts()
