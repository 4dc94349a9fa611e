"""Promotions under "Shop": snippets with drafts, revisions, scheduled publishing, locking
and a preview (a sample product page and cart priced with the promotion alone:
`Promotion.preview_modes`, `commerce.services.promotion_preview`).

The listing's status is `PromotionQuerySet.annotate_status` (the database form of
`Promotion.status_at`), so it sorts and filters; its usage figures (orders and the
promoted lines' revenue, orders that stand) are two subqueries of the same query: the
page costs the same whatever the number of promotions.
"""

from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PublishingPanel,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from commerce.models import Audience, OrderLine, Promotion, PromotionStatus
from commerce.services.orders import NOT_SOLD
from pages.preview import DATED_PREVIEW_PANEL

from .promotion_forms import PromotionForm
from .variant_chooser import variant_chooser_viewset
from .widgets import FilterableCheckboxSelectMultiple

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _usage(value):
    """One figure over the lines that carry the outer promotion, in orders that stand."""
    return (
        OrderLine.objects.filter(promotion_id=OuterRef("pk"))
        .exclude(order__status__in=NOT_SOLD)
        .order_by()
        .values("promotion_id")
        .annotate(total=value)
        .values("total")
    )


def with_usage(queryset):
    revenue = Sum(ExpressionWrapper(F("line_total") - F("discount"), output_field=MONEY))
    return queryset.annotate(
        order_count=Coalesce(Subquery(_usage(Count("order_id", distinct=True))), 0),
        revenue=Coalesce(
            Subquery(_usage(revenue), output_field=MONEY), Decimal("0.00"), output_field=MONEY
        ),
    )


class PromotionFilterSet(WagtailFilterSet):
    # The annotated status (PromotionViewSet.get_queryset), not a model field.
    status = django_filters.ChoiceFilter(
        choices=PromotionStatus.choices,
        method="filter_status",
        widget=forms.RadioSelect,
        empty_label="All",
    )
    audience = django_filters.ChoiceFilter(
        choices=Audience.choices, widget=forms.RadioSelect, empty_label="All"
    )

    class Meta:
        model = Promotion
        fields = ["status", "audience"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)


def _window(promotion):
    start = (
        timezone.localtime(promotion.start).strftime("%Y-%m-%d %H:%M") if promotion.start else "…"
    )
    end = timezone.localtime(promotion.end).strftime("%Y-%m-%d %H:%M") if promotion.end else "…"
    return f"{start} – {end}"


def _status(promotion):
    return PromotionStatus(promotion.status).label


REWARD_PANELS = [
    FieldPanel("variant", widget=variant_chooser_viewset.widget_class),
    FieldRowPanel(
        [
            FieldPanel("value_type"),
            FieldPanel("given_price"),
            FieldPanel("reward_value"),
            FieldPanel("quantity"),
        ]
    ),
]

CONDITION_PANELS = [
    FieldRowPanel(
        [FieldPanel("threshold_min"), FieldPanel("threshold_max"), FieldPanel("measure")]
    ),
    FieldPanel("qualifying", widget=forms.RadioSelect),
    MultiFieldPanel(
        [
            FieldPanel(
                "qualifying_products",
                widget=FilterableCheckboxSelectMultiple(placeholder="Filter products"),
            ),
            FieldPanel("qualifying_variants"),
            FieldPanel(
                "qualifying_categories",
                widget=FilterableCheckboxSelectMultiple(placeholder="Filter categories"),
            ),
        ],
        heading="Chosen products, variants and categories",
        help_text="Only with “the chosen products, variants and categories”.",
    ),
    InlinePanel("rewards", label="Rewards", panels=REWARD_PANELS),
]


class PromotionViewSet(SnippetViewSet):
    model = Promotion
    icon = "pick"
    menu_label = "Promotions"
    filterset_class = PromotionFilterSet
    search_fields = ["name", "short_code", "description"]
    search_backend_name = None  # plain ORM search: drafts are found at once
    list_display = [
        "name",
        Column("short_code", label="Short code", sort_key="short_code"),
        Column("status", label="Status", accessor=_status, sort_key="status"),
        Column("window", label="Window", accessor=_window, sort_key="start"),
        Column("audience", label="Audience", accessor="get_audience_display", sort_key="audience"),
        Column("order_count", label="Orders", sort_key="order_count"),
        Column("revenue", label="Revenue", sort_key="revenue"),
        UpdatedAtColumn(),
    ]
    list_export = [
        "name",
        "short_code",
        "status",
        "start",
        "end",
        "audience",
        "order_count",
        "revenue",
    ]
    export_headings = {
        "status": "Status",
        "order_count": "Orders",
        "revenue": "Revenue (promoted lines)",
    }
    export_filename = "promotions"
    ordering = ["-start", "name"]
    list_per_page = 50

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("name"),
                    FieldPanel("short_code"),
                    FieldPanel("description"),
                    FieldRowPanel([FieldPanel("start"), FieldPanel("end")]),
                    FieldRowPanel([FieldPanel("is_active"), FieldPanel("color_in_cart")]),
                    FieldPanel("default_image"),
                    # Not saved: the preview renders at this moment (sample page and cart).
                    DATED_PREVIEW_PANEL,
                ],
                heading="Promotion",
            ),
            ObjectList(
                [InlinePanel("conditions", label="Conditions", panels=CONDITION_PANELS)],
                heading="Conditions and rewards",
            ),
            ObjectList(
                [
                    FieldPanel("use_promotion_price_for_threshold"),
                    FieldPanel("start_using_default_price"),
                    FieldPanel("calculate_using_cumulative_units"),
                    FieldPanel("multiply_reward"),
                    FieldPanel("keep_bundle_multiplayer_same"),
                ],
                heading="How it counts",
            ),
            ObjectList(
                [
                    FieldPanel("audience", widget=forms.RadioSelect),
                    FieldPanel("customer_groups", widget=forms.CheckboxSelectMultiple),
                ],
                heading="Who gets it",
            ),
            # Go-live/expiry of this version (the status side panel). The promotion's own
            # window is start/end; publishing with a go-live date schedules the change.
            ObjectList([PublishingPanel()], heading="Scheduling"),
        ],
        base_form_class=PromotionForm,
    )

    def get_queryset(self, request):
        return with_usage(Promotion.objects.annotate_status(timezone.now()))
