"""Orders as an ERP reads them (AMPER's Order and OrderLine), and status changes it makes.

Amounts: an order keeps its gross amounts and VAT rates as placed; the net amounts are
worked out from them here, rounded as the pricing service rounds VAT
(`services.pricing.totals`): the order's net total is its gross total less the VAT it
recorded, to the cent; every other net amount is its gross amount less the VAT inside it.

Status changes go through the order workflow (`services.orders.change_status`): the same
transitions, locks, stock returns and e-mails as the admin's buttons. The key's name is
written in the order's history.
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from commerce.models import Order, OrderStatus, PaymentStatus
from commerce.services import orders as workflow
from commerce.services.pricing.totals import net_of, round_money, vat_contained
from commerce.tokens import is_token

from .catalog_export import BadParameter

# OrderStatusChange.note's length.
NOTE_LENGTH = 255


def orders(*, status: str | None = None, updated_since: datetime | None = None) -> QuerySet:
    """Every order (guest orders too), oldest first; by `status` and change time."""
    queryset = (
        Order.objects.select_related("user__integration_link")
        .prefetch_related("lines")
        .order_by("pk")
    )
    if status is not None:
        queryset = queryset.filter(status=parse_status(status))
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    return queryset


def order(token: str) -> Order | None:
    """The order with `token`, or None (a string that can't be a token asks nothing)."""
    if not is_token(token):
        return None
    return orders().filter(token=token).first()


def parse_status(value: str) -> str:
    if value not in OrderStatus.values:
        raise BadParameter(f"status must be one of {', '.join(OrderStatus.values)}, not {value!r}")
    return value


def customer_external_id(order: Order) -> str | None:
    link = getattr(order.user, "integration_link", None) if order.user_id else None
    return link.external_id if link is not None else None


def products_total_net(order: Order) -> Decimal:
    """The lines' net value before the coupon: their gross less the VAT inside, summed
    unrounded and rounded once, as pricing sums VAT."""
    lines = order.lines.all()
    vat = sum((vat_contained(line.line_total, line.vat_rate) for line in lines), Decimal(0))
    return round_money(sum((line.line_total for line in lines), Decimal(0)) - vat)


def shipping_price_net(order: Order) -> Decimal:
    return net_of(order.delivery_cost, order.delivery_vat_rate)


def total_net(order: Order) -> Decimal:
    return order.grand_total - order.vat_total


def unit_price_net(line) -> Decimal:
    return net_of(line.unit_price, line.vat_rate)


def change_status(order: Order, status: str, *, key, note: str = "", tracking=None) -> Order:
    """Moves `order` to `status` through the workflow; raises BadParameter for a status
    that does not exist and `services.orders.OrderTransitionError` (with the reason) for
    one the workflow refuses now. An order already in `status` is answered as it is."""
    parse_status(status)
    said_by = f"Through the API, key “{key.name}”"
    note = f"{said_by}: {note}" if note else said_by
    try:
        return workflow.change_status(
            order, status, by=None, note=note[:NOTE_LENGTH], tracking=tracking
        )
    except workflow.OrderTransitionError:
        # A repeated request (the ERP retrying after a timeout, or two at once): the order
        # is in that status already, which is what was asked; the history has it once.
        order.refresh_from_db(fields=["status"])
        if order.status == status:
            return order
        raise


def is_paid(order: Order) -> bool:
    return order.payment_status == PaymentStatus.PAID
