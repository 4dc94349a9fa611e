"""What happens to an order after checkout placed it: the only place its status changes.

Workflow (TRANSITIONS below is the whole rule):

    new ──> paid ──> fulfilled ──> shipped ──> completed
     │        │          │            │            │
     v        └──────────┴─> refunded <┴────────────┘
  cancelled

- new → cancelled: stock goes back (to the variant's rows; a deleted variant's units
  cannot, and the history says so), the coupon use is released, an authorized
  payment is voided (a captured one refunded).
- paid/fulfilled → refunded: the goods never left, so stock goes back.
- shipped/completed → refunded: the goods left; stock does not come back.
- fulfilled → shipped: `ship_order`, with the carrier and tracking number staff
  enter (both optional: a parcel handed over at the counter has none).
- new → paid: only on the payment provider's word. Offline providers (cash on
  delivery, bank transfer) are settled by staff through `mark_paid`, which asks the
  provider to capture; card payments are settled at placement, so their order may
  move to paid only once its payment status already says paid.

Cancelling and refunding are asked for first: `action_preview` says, from the same
rules the change applies, which units go back to which warehouse and what happens
to the money; the admin shows it on the confirmation page.

Every change locks the order row and re-reads its status before deciding, so
two staff clicking at once cannot both apply a change, and writes an
`OrderStatusChange` in the same transaction. Locks follow the one order of
services.locks: order row → coupon row → stock rows by id → catalog version.
Order placement ends with the same coupon → stock → version, so a cancel and a
checkout of the same product with the same coupon cannot deadlock.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from commerce.models import (
    CouponRedemption,
    Order,
    OrderLineAllocation,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
    Stock,
)
from commerce.models.orders import RESTOCK_ON_REFUND
from commerce.payments import registry
from commerce.services import events, locks
from commerce.services.inventory import availability_changed, offered_row_ids, units_by_variant
from commerce.services.notifications import queue_status_changed

#: Allowed changes: {from: {to, ...}}. Anything else raises OrderTransitionError.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.NEW: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.SHIPPED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class OrderTransitionError(Exception):
    """The change is not allowed now; the message is meant for staff."""


@dataclass(frozen=True)
class Tracking:
    """Where a shipped parcel can be followed; every part may be empty."""

    carrier: str = ""
    number: str = ""
    url: str = ""


#: Money after a cancel or refund, by the payment status before it (see _release_payment).
MONEY_REFUNDED, MONEY_VOIDED, MONEY_NONE = "refunded", "voided", "none"


@dataclass(frozen=True)
class StockReturn:
    description: str
    sku: str
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class ActionPreview:
    """What cancelling or refunding `order` would do now, for the confirmation page."""

    order: Order
    to_status: str
    #: Units that go back on the shelf, per line and warehouse.
    stock_returns: tuple[StockReturn, ...]
    #: The goods left (shipped, completed): a refund puts nothing back.
    goods_left: bool
    #: Lines whose variant was deleted: their units have nowhere to go back to.
    lost_lines: tuple[str, ...]
    #: MONEY_REFUNDED (the amount goes back), MONEY_VOIDED (the reservation is released)
    #: or MONEY_NONE (nothing was paid yet).
    money: str
    amount: Decimal
    currency: str
    payment_method_name: str

    @property
    def units_returned(self) -> int:
        return sum(item.quantity for item in self.stock_returns)


@dataclass(frozen=True)
class Action:
    """A change staff may make to an order now, for buttons in the admin."""

    to_status: str
    label: str
    dangerous: bool = False


def label(status: str) -> str:
    return OrderStatus(status).label if status in OrderStatus.values else status


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def check_transition(from_status: str, to_status: str) -> None:
    if to_status not in OrderStatus.values:
        raise OrderTransitionError(f"“{to_status}” is not an order status.")
    if from_status == to_status:
        raise OrderTransitionError(f"The order is already {label(to_status).lower()}.")
    if not can_transition(from_status, to_status):
        allowed = sorted(label(s).lower() for s in TRANSITIONS.get(from_status, ()))
        if allowed:
            hint = f" It can become: {', '.join(allowed)}."
        else:
            hint = " It cannot change any more."
        raise OrderTransitionError(
            f"A {label(from_status).lower()} order cannot become {label(to_status).lower()}.{hint}"
        )


def provider_for(order):
    try:
        return registry.get(order.payment_provider)
    except LookupError:
        raise OrderTransitionError(
            f"The payment provider “{order.payment_provider}” of this order is not configured "
            "(settings.STOREFRONT_PAYMENT_PROVIDERS); its payment cannot be handled here."
        ) from None


def available_actions(order) -> list[Action]:
    """The changes that make sense for `order` as it is, in workflow order."""
    actions = []
    for to_status in TRANSITIONS.get(order.status, ()):
        if to_status == OrderStatus.PAID:
            try:
                provider = provider_for(order)
            except OrderTransitionError:
                continue
            if provider.settled_by_staff:
                actions.append(Action(OrderStatus.PAID, "Payment received: mark as paid"))
            elif order.payment_status == PaymentStatus.PAID:
                actions.append(Action(OrderStatus.PAID, "Mark as paid"))
        elif to_status == OrderStatus.CANCELLED:
            actions.append(Action(OrderStatus.CANCELLED, "Cancel order", dangerous=True))
        elif to_status == OrderStatus.REFUNDED:
            restock = " (stock goes back)" if order.status in RESTOCK_ON_REFUND else ""
            actions.append(Action(OrderStatus.REFUNDED, f"Refund{restock}", dangerous=True))
        else:
            actions.append(Action(to_status, f"Mark as {label(to_status).lower()}"))
    order_of = list(OrderStatus.values)
    return sorted(actions, key=lambda a: order_of.index(a.to_status))


# --- The one place a status changes ---------------------------------------------


# --- What a cancel or refund would do (read only) --------------------------------


def _check_refundable(payment_status: str) -> None:
    if payment_status not in (PaymentStatus.AUTHORIZED, PaymentStatus.PAID):
        raise OrderTransitionError(
            "There is no payment to refund (the payment is "
            f"{PaymentStatus(payment_status).label.lower()})."
        )


def _check_release(order, to_status: str) -> None:
    """The checks `cancel_order` and `refund_order` make before they change anything."""
    if order.status == to_status:
        raise OrderTransitionError(
            f"The order is already {label(to_status).lower()}; nothing was done."
        )
    check_transition(order.status, to_status)
    if to_status == OrderStatus.REFUNDED:
        _check_refundable(order.payment_status)


def action_preview(order, to_status: str) -> ActionPreview:
    """What `cancel_order` / `refund_order` would do to `order` as it is now; raises
    OrderTransitionError, with the words the change itself would use, when it may not.
    Nothing is locked: the change re-checks under the row lock (`expected_from`)."""
    if to_status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        raise OrderTransitionError("Only cancelling and refunding are previewed.")
    _check_release(order, to_status)
    restock = to_status == OrderStatus.CANCELLED or order.status in RESTOCK_ON_REFUND
    returns, lost = [], []
    if restock:
        allocations = (
            OrderLineAllocation.objects.filter(line__order=order)
            .select_related("line", "warehouse")
            .order_by("line_id", "id")
        )
        for allocation in allocations:
            line = allocation.line
            if line.variant_id is None:
                lost.append(f"{allocation.quantity} × {line.description} ({line.sku})")
                continue
            returns.append(
                StockReturn(
                    line.description, line.sku, allocation.warehouse.name, allocation.quantity
                )
            )
    money = {
        PaymentStatus.PAID: MONEY_REFUNDED,
        PaymentStatus.AUTHORIZED: MONEY_VOIDED,
    }.get(order.payment_status, MONEY_NONE)
    return ActionPreview(
        order=order,
        to_status=to_status,
        stock_returns=tuple(returns),
        goods_left=not restock,
        lost_lines=tuple(lost),
        money=money,
        amount=order.grand_total,
        currency=order.currency,
        payment_method_name=order.payment_method_name,
    )


def _lock(order, expected_from=None) -> Order:
    locked = locks.lock_order(order.pk)
    if expected_from is not None and locked.status != expected_from:
        raise OrderTransitionError(
            f"The order changed meanwhile: it is now {label(locked.status).lower()}, not "
            f"{label(expected_from).lower()}. Nothing was done; look at it again."
        )
    return locked


def _apply(locked: Order, to_status: str, *, by, note: str, extra_fields=()) -> None:
    """Writes the new status and its history row; the caller holds the row lock."""
    from_status = locked.status
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at", *extra_fields])
    change = OrderStatusChange.objects.create(
        order=locked,
        from_status=from_status,
        to_status=to_status,
        changed_by=by if getattr(by, "pk", None) else None,
        note=(note or "")[:255],
    )
    # A task that commits with the change: a mail server that is down cannot undo it.
    queue_status_changed(locked, change)
    events.order_status_changed.send(sender=Order, order=locked, change=change)


def _sync(order: Order, locked: Order) -> None:
    """Copies the committed state back onto the caller's instance."""
    for field in (
        "status",
        "payment_status",
        "payment_reference",
        "carrier",
        "tracking_number",
        "tracking_url",
        "updated_at",
    ):
        setattr(order, field, getattr(locked, field))


def change_status(
    order, to_status, *, by=None, note="", expected_from=None, tracking: Tracking | None = None
) -> Order:
    """Moves `order` to `to_status`, if the workflow allows it from the status the
    locked row has; records who did it. `expected_from`: refuse if the order is no
    longer in the status the caller saw (a stale admin page).

    Paying, shipping, cancelling and refunding have side effects (payment provider,
    tracking, stock, coupon) and are delegated to `mark_paid`, `ship_order`,
    `cancel_order` and `refund_order`, so every path obeys the same rules.
    """
    if to_status == OrderStatus.SHIPPED:
        return ship_order(
            order, by=by, note=note, expected_from=expected_from, tracking=tracking or Tracking()
        )
    if to_status == OrderStatus.CANCELLED:
        return cancel_order(order, by=by, note=note, expected_from=expected_from)
    if to_status == OrderStatus.REFUNDED:
        return refund_order(order, by=by, note=note, expected_from=expected_from)
    if to_status == OrderStatus.PAID and _settled_by_staff(order):
        return mark_paid(order, by=by, note=note, expected_from=expected_from)
    with transaction.atomic():
        locked = _lock(order, expected_from)
        check_transition(locked.status, to_status)
        if to_status == OrderStatus.PAID and locked.payment_status != PaymentStatus.PAID:
            # Card payments: the provider decided at placement.
            raise OrderTransitionError(
                "The payment provider has not reported this payment as paid "
                f"(it is {PaymentStatus(locked.payment_status).label.lower()})."
            )
        _apply(locked, to_status, by=by, note=note)
    _sync(order, locked)
    return order


def _settled_by_staff(order) -> bool:
    try:
        return provider_for(order).settled_by_staff
    except OrderTransitionError:
        return False


def ship_order(order, *, by=None, note="", expected_from=None, tracking=Tracking()) -> Order:
    """Marks a fulfilled order shipped and keeps where the parcel can be followed; the
    shipped e-mail, queued with the change, reads them from the order."""
    with transaction.atomic():
        locked = _lock(order, expected_from)
        check_transition(locked.status, OrderStatus.SHIPPED)
        locked.carrier = tracking.carrier.strip()[:100]
        locked.tracking_number = tracking.number.strip()[:100]
        locked.tracking_url = tracking.url.strip()[:500]
        fields = ["carrier", "tracking_number", "tracking_url"]
        _apply(locked, OrderStatus.SHIPPED, by=by, note=note, extra_fields=fields)
    _sync(order, locked)
    return order


def mark_paid(order, *, by, note="", expected_from=None) -> Order:
    """Staff confirm an offline payment arrived; the provider's capture decides."""
    with transaction.atomic():
        locked = _lock(order, expected_from)
        check_transition(locked.status, OrderStatus.PAID)
        provider = provider_for(locked)
        if not provider.settled_by_staff:
            raise OrderTransitionError(
                f"{provider.name} payments are settled by the provider at checkout, not by staff."
            )
        result = provider.capture(
            payment_reference=locked.payment_reference or locked.number or str(locked.pk),
            amount=locked.grand_total,
        )
        if not result.ok or result.status != PaymentStatus.PAID:
            reason = f": {result.message}" if result.message else ""
            raise OrderTransitionError(f"The payment provider did not confirm the payment{reason}.")
        locked.payment_status = PaymentStatus.PAID
        fields = ["payment_status"]
        if result.reference and not locked.payment_reference:
            locked.payment_reference = result.reference
            fields.append("payment_reference")
        _apply(locked, OrderStatus.PAID, by=by, note=note, extra_fields=fields)
    _sync(order, locked)
    return order


def cancel_order(order, *, by=None, note="", expected_from=None) -> Order:
    """Cancels a new order: stock back to its warehouses, coupon use released,
    payment voided or refunded, history written; all or nothing."""
    with transaction.atomic():
        locked = _lock(order, expected_from)
        _check_release(locked, OrderStatus.CANCELLED)
        _release_coupon(locked)
        units, lost = _return_stock(locked)
        # The provider last: if it refuses, the stock and coupon changes roll back.
        fields = _release_payment(locked)
        _apply(
            locked, OrderStatus.CANCELLED, by=by, note=_with_note(note, lost), extra_fields=fields
        )
        # Returned stock may put a sold-out variant back on sale. After the provider's
        # answer: the version row is everyone's, not to be held across a network call.
        availability_changed(**units)
    _sync(order, locked)
    return order


def refund_order(order, *, by=None, note="", expected_from=None) -> Order:
    """Refunds a paid order through its provider. Stock goes back only if the goods
    never left (paid, fulfilled); the coupon use is released."""
    with transaction.atomic():
        locked = _lock(order, expected_from)
        _check_release(locked, OrderStatus.REFUNDED)
        restock = locked.status in RESTOCK_ON_REFUND
        _release_coupon(locked)
        units, lost = _return_stock(locked) if restock else ({"before": {}, "after": {}}, "")
        fields = _release_payment(locked)
        _apply(
            locked, OrderStatus.REFUNDED, by=by, note=_with_note(note, lost), extra_fields=fields
        )
        availability_changed(**units)
    _sync(order, locked)
    return order


# --- Side effects (the caller holds the order lock, inside its transaction) ------------


def _release_payment(locked: Order) -> list[str]:
    """Voids an authorization or refunds a captured payment; pending ones need nothing."""
    status = locked.payment_status
    if status not in (PaymentStatus.AUTHORIZED, PaymentStatus.PAID):
        return []
    provider = provider_for(locked)
    reference = locked.payment_reference or locked.number or str(locked.pk)
    if status == PaymentStatus.AUTHORIZED:
        result = provider.void(payment_reference=reference)
        wanted, verb = PaymentStatus.VOIDED, "void"
    else:
        result = provider.refund(payment_reference=reference, amount=locked.grand_total)
        wanted, verb = PaymentStatus.REFUNDED, "refund"
    if not result.ok or result.status != wanted:
        reason = f": {result.message}" if result.message else ""
        raise OrderTransitionError(
            f"The payment provider did not {verb} the payment{reason}. Nothing was changed."
        )
    locked.payment_status = wanted
    return ["payment_status"]


def _return_stock(locked: Order) -> tuple[dict[str, dict[int, int]], str]:
    """Puts each allocation back into its variant's stock in the warehouse it came from.

    Returns the variants' units in active warehouses before and after, for
    `inventory.availability_changed`, and a note for the order's history naming the
    lines whose variant was deleted since: their units have no stock row to go back
    to (the variant's rows went with it), so they are not counted anywhere. A stock
    row deleted on its own (a warehouse emptied) is created again.
    """
    allocations = list(
        OrderLineAllocation.objects.filter(line__order=locked)
        .values_list("line__variant_id", "warehouse_id", "quantity", "line_id")
        .order_by("id")
    )
    amounts: dict[tuple[int, int], int] = {}
    lost_line_ids = set()
    for variant_id, warehouse_id, quantity, line_id in allocations:
        if variant_id is None:
            lost_line_ids.add(line_id)
            continue
        amounts[(variant_id, warehouse_id)] = amounts.get((variant_id, warehouse_id), 0) + quantity
    note = _lost_units_note(locked, lost_line_ids)
    if not amounts:
        return {"before": {}, "after": {}}, note
    # Missing rows first; a concurrent first write is absorbed by the unique constraint.
    Stock.objects.bulk_create(
        [Stock(variant_id=v, warehouse_id=w, quantity=0) for v, w in amounts],
        ignore_conflicts=True,
    )
    rows = locks.lock_stock({variant_id for variant_id, _ in amounts})
    offered = offered_row_ids(rows)
    before = units_by_variant(rows, counted=offered)
    for row in rows:
        returned = amounts.get((row.variant_id, row.warehouse_id))
        if returned:
            Stock.objects.filter(pk=row.pk).update(quantity=F("quantity") + returned)
            row.quantity += returned
    return {"before": before, "after": units_by_variant(rows, counted=offered)}, note


def _lost_units_note(locked: Order, line_ids) -> str:
    if not line_ids:
        return ""
    lines = locked.lines.filter(pk__in=line_ids).order_by("id")
    listed = ", ".join(f"{line.quantity} × {line.description} ({line.sku})" for line in lines)
    return f"Not returned to stock, the variant was deleted: {listed}."


def _with_note(note: str, extra: str) -> str:
    return " ".join(part for part in (note, extra) if part)


def _release_coupon(locked: Order) -> None:
    redemption = CouponRedemption.objects.filter(order=locked).first()
    if redemption is None:
        return
    coupon = locks.lock_coupon(pk=redemption.coupon_id)
    if coupon.times_used > 0:
        coupon.times_used -= 1
        coupon.save(update_fields=["times_used"])
    redemption.delete()


# --- Sales figures for listings --------------------------------------------------------

#: Orders that count as sold: everything not cancelled or refunded.
NOT_SOLD = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


def _sales_per_product(product_ref, value):
    from commerce.models import OrderLine

    return (
        OrderLine.objects.filter(product_id=OuterRef(product_ref))
        .exclude(order__status__in=NOT_SOLD)
        .order_by()
        .values("product_id")
        .annotate(total=Sum(value))
        .values("total")
    )


def units_sold_subquery(product_ref="pk"):
    """Units of the outer query's product in orders that stand, as one subquery."""
    return Coalesce(
        Subquery(_sales_per_product(product_ref, "quantity"), output_field=IntegerField()),
        Value(0),
    )


def revenue_subquery(product_ref="pk"):
    """What those units brought in: line totals less each line's share of the
    discount (prices as charged, VAT included), as one subquery."""
    money = DecimalField(max_digits=14, decimal_places=2)
    net = ExpressionWrapper(F("line_total") - F("discount"), output_field=money)
    return Coalesce(
        Subquery(_sales_per_product(product_ref, net), output_field=money),
        Value(Decimal("0.00")),
        output_field=money,
    )
