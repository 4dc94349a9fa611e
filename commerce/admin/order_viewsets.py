"""Admin for orders (under "Shop"; coupons and methods have their own modules).

Who may do what with orders:

- `commerce.view_order`: the order list, filters, export and the order page.
- `commerce.change_order`: change an order's status (mark paid, fulfil, ship,
  complete, cancel, refund) with the buttons on the order page. It does *not* open
  a form to edit the order: orders come from checkout only, so nobody (superusers
  included) adds, edits or deletes them in the admin (`OrderPermissionPolicy`).

Shipping, cancelling and refunding open a page first (`OrderActionView`, Wagtail's
confirmation pattern: the GET asks, the POST does it). Shipping asks for the carrier
and tracking number; cancelling and refunding say which units go back to which
warehouse and what happens to the money (`services.orders.action_preview`). Each
takes a note for the order's history. The one-click status URL refuses these three
and sends staff to their page.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.timezone import localtime
from django.views.generic import TemplateView
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet

from commerce.models import Order, OrderStatus, PaymentMethod, PaymentStatus
from commerce.money import format_money
from commerce.services.orders import (
    OrderTransitionError,
    Tracking,
    action_preview,
    available_actions,
    change_status,
    check_transition,
)

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
        return format_money(getattr(order, field), order.currency)

    return accessor


def _tracking(order):
    return " ".join(part for part in (order.carrier, order.tracking_number) if part)


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
            confirmed_actions=CONFIRMED_ACTIONS,
            status_url=reverse("wagtailsnippets_commerce_order:change_status", args=[order.pk]),
        )
        return context


#: Changes that open their own page (OrderActionView) instead of acting on one click.
CONFIRMED_ACTIONS = frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED})


def action_url(order, to_status) -> str:
    return reverse("wagtailsnippets_commerce_order:action", args=[order.pk, to_status])


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
    if data["to_status"] in CONFIRMED_ACTIONS:
        messages.warning(request, "Confirm the change on this page first; nothing was done yet.")
        return redirect(action_url(order, data["to_status"]))
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


class OrderActionForm(forms.Form):
    # The status the page was shown for: a change made meanwhile refuses (expected_from).
    from_status = forms.ChoiceField(choices=OrderStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label="Note for the order’s history (optional)",
        max_length=255,
        required=False,
        help_text="Staff see it on this order; the customer does not.",
    )


class ShipForm(OrderActionForm):
    carrier = forms.CharField(max_length=100, required=False, help_text="For example DHL, UPS.")
    tracking_number = forms.CharField(max_length=100, required=False)
    tracking_url = forms.URLField(
        label="Tracking link",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Where the customer follows the parcel, if the carrier has such a page.",
    )

    field_order = ["carrier", "tracking_number", "tracking_url", "note", "from_status"]


class OrderActionView(WagtailAdminTemplateMixin, TemplateView):
    """Ship, cancel or refund one order: the GET says what will happen and asks, the
    POST does it through services.orders (which re-checks under the row lock)."""

    template_name = "commerce/admin/order_action.html"
    header_icon = "list-ul"
    _titles = {
        OrderStatus.SHIPPED: "Mark as shipped",
        OrderStatus.CANCELLED: "Cancel order",
        OrderStatus.REFUNDED: "Refund order",
    }

    def dispatch(self, request, *args, **kwargs):
        if not can_change_status(request.user):
            raise PermissionDenied
        if self.kwargs["to_status"] not in CONFIRMED_ACTIONS:
            raise Http404("No such order action.")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def order(self):
        return get_object_or_404(Order, pk=self.kwargs["pk"])

    @property
    def to_status(self) -> str:
        return self.kwargs["to_status"]

    def inspect_url(self):
        return reverse("wagtailsnippets_commerce_order:inspect", args=[self.order.pk])

    def get_page_title(self):
        return self._titles[self.to_status]

    def get_page_subtitle(self):
        return str(self.order)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailsnippets_commerce_order:list"), "label": "Orders"},
            {"url": self.inspect_url(), "label": str(self.order)},
            {"url": "", "label": self.get_page_title()},
        ]

    def form_class(self):
        return ShipForm if self.to_status == OrderStatus.SHIPPED else OrderActionForm

    def preview_or_refusal(self):
        """(what cancelling or refunding will do, or None for shipping; why the change
        cannot be made now, or ""), in the service's words."""
        try:
            if self.to_status == OrderStatus.SHIPPED:
                check_transition(self.order.status, OrderStatus.SHIPPED)
                return None, ""
            return action_preview(self.order, self.to_status), ""
        except OrderTransitionError as error:
            return None, str(error)

    def get(self, request, *args, **kwargs):
        preview, refusal = self.preview_or_refusal()
        if refusal:
            # A stale page (the order moved on, say in another tab): say so, change nothing.
            messages.error(request, refusal)
            return redirect(self.inspect_url())
        form = self.form_class()(initial={"from_status": self.order.status})
        return self.render_to_response(self.get_context_data(form=form, preview=preview))

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "order": self.order,
            "to_status": self.to_status,
            "inspect_url": self.inspect_url(),
        }

    def post(self, request, *args, **kwargs):
        form = self.form_class()(request.POST)
        if not form.is_valid():
            if form.errors.keys() <= {"from_status"}:
                messages.error(request, "That change was not understood; nothing was done.")
                return redirect(self.inspect_url())
            preview, _ = self.preview_or_refusal()
            context = self.get_context_data(form=form, preview=preview)
            return self.render_to_response(context, status=400)
        data = form.cleaned_data
        tracking = None
        if self.to_status == OrderStatus.SHIPPED:
            tracking = Tracking(data["carrier"], data["tracking_number"], data["tracking_url"])
        order = self.order
        try:
            change_status(
                order,
                self.to_status,
                by=request.user,
                note=data["note"],
                expected_from=data["from_status"],
                tracking=tracking,
            )
        except OrderTransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Order {order} is now {order.get_status_display().lower()}.")
        return redirect(self.inspect_url())


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
        Column("tracking_number", label="Tracking", accessor=_tracking),
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
        "carrier",
        "tracking_number",
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
            path(
                "action/<int:pk>/<slug:to_status>/",
                OrderActionView.as_view(),
                name="action",
            ),
        ]
