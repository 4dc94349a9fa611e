"""Admin for orders (under "Shop"; coupons and methods have their own modules).

Who may do what with orders:

- `commerce.view_order`: the order list, filters, export and the order page.
- `commerce.change_order`: change an order's status (mark paid, fulfil, ship,
  complete, cancel, refund) with the buttons on the order page. It does *not* open
  a form to edit the order: orders come from checkout only, so nobody (superusers
  included) adds, edits or deletes them in the admin (`OrderPermissionPolicy`).
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet

from commerce.models import Order, OrderStatus, PaymentMethod, PaymentStatus
from commerce.services.orders import OrderTransitionError, available_actions, change_status

STATUS_PERMISSION = "commerce.change_order"


class OrderPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions, except that orders are never added, edited as a
    form or deleted in the admin. The "change_status" action is `change_order`."""

    READ_ONLY = frozenset({"add", "change", "delete"})

    def _map(self, actions):
        return [
            "change" if action == "change_status" else action
            for action in actions
            if action not in self.READ_ONLY
        ]

    def user_has_permission(self, user, action):
        if action in self.READ_ONLY:
            return False
        return super().user_has_permission(user, self._map([action])[0])

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission(self._map(actions))


# Registered before anything asks the registry for Order's policy.
register_permission_policy(Order, OrderPermissionPolicy(Order))


def can_change_status(user) -> bool:
    return user.has_perm(STATUS_PERMISSION)


class OrderFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        choices=OrderStatus.choices, widget=forms.RadioSelect, empty_label="All"
    )
    payment_status = django_filters.ChoiceFilter(
        choices=PaymentStatus.choices, widget=forms.RadioSelect, empty_label="All"
    )
    created_at = django_filters.DateFromToRangeFilter(label="Placed", widget=DateRangePickerWidget)
    payment_method = django_filters.ModelChoiceFilter(
        queryset=PaymentMethod.objects.all(), label="Payment method"
    )

    class Meta:
        model = Order
        fields = ["status", "payment_status", "created_at", "payment_method"]


def _placed(order):
    return date_format(localtime(order.created_at), "Y-m-d H:i")


def _money(field):
    def accessor(order):
        return f"{getattr(order, field)} {order.currency}"

    return accessor


class OrderInspectView(InspectView):
    """The order page: lines with their warehouses, addresses, totals, history and
    the status buttons allowed now."""

    template_name = "commerce/admin/order_inspect.html"
    page_title = "Order"

    def get_object(self, queryset=None):
        return get_object_or_404(Order.objects.select_related("user"), pk=self.pk)

    def get_page_subtitle(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.object
        context.update(
            order=order,
            lines=order.lines.prefetch_related("allocations__warehouse"),
            history=order.history.select_related("changed_by"),
            can_change_status=can_change_status(self.request.user),
            actions=available_actions(order),
            status_url=reverse("wagtailsnippets_commerce_order:change_status", args=[order.pk]),
        )
        return context


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(choices=OrderStatus.choices)
    from_status = forms.ChoiceField(choices=OrderStatus.choices)
    note = forms.CharField(max_length=255, required=False)


def order_status_view(request, pk):
    """POST only: applies one status change through commerce.services.orders."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_change_status(request.user):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=pk)
    inspect_url = reverse("wagtailsnippets_commerce_order:inspect", args=[order.pk])
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That status change was not understood; nothing was done.")
        return redirect(inspect_url)
    data = form.cleaned_data
    try:
        change_status(
            order,
            data["to_status"],
            by=request.user,
            note=data["note"],
            expected_from=data["from_status"],
        )
    except OrderTransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Order {order} is now {order.get_status_display().lower()}.")
    return redirect(inspect_url)


class OrderViewSet(SnippetViewSet):
    model = Order
    icon = "list-ul"
    menu_label = "Orders"
    filterset_class = OrderFilterSet
    search_fields = ["number", "email", "full_name"]
    search_backend_name = None  # Order is not indexed: plain ORM search
    inspect_view_enabled = True
    inspect_view_class = OrderInspectView
    copy_view_enabled = False
    list_display = [
        "number",  # first: links to the order page (nobody may edit the form)
        Column("created_at", label="Placed", accessor=_placed, sort_key="created_at"),
        Column("full_name", label="Customer", sort_key="full_name"),
        Column("email", label="E-mail", sort_key="email"),
        Column("status", label="Status", accessor="get_status_display", sort_key="status"),
        Column(
            "payment_status",
            label="Payment",
            accessor="get_payment_status_display",
            sort_key="payment_status",
        ),
        Column(
            "grand_total", label="Total", accessor=_money("grand_total"), sort_key="grand_total"
        ),
    ]
    list_export = [
        "number",
        "created_at",
        "full_name",
        "email",
        "status",
        "payment_status",
        "payment_method_name",
        "delivery_method_name",
        "coupon_code",
        "subtotal",
        "discount",
        "delivery_cost",
        "vat_total",
        "grand_total",
        "currency",
    ]
    export_headings = {
        "created_at": "Placed",
        "full_name": "Customer",
        "email": "E-mail",
        "vat_total": "VAT contained",
        "payment_method_name": "Payment method",
        "delivery_method_name": "Delivery method",
    }
    export_filename = "orders"
    ordering = ["-created_at", "-id"]
    list_per_page = 50

    def get_queryset(self, request):
        return Order.objects.all()

    def get_permissions_to_register(self):
        # Settings → Groups offers only what means something for orders.
        return (
            super()
            .get_permissions_to_register()
            .filter(codename__in=["view_order", "change_order"])
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("status/<int:pk>/", order_status_view, name="change_status"),
        ]
