"""Checkout: the shopper's answers, and placing the order. Nothing else creates orders.

`place_order` runs in one transaction and takes its locks in one fixed order,
the same for every caller: checkout row → cart row → coupon row → stock rows
by id (→ the catalog version row, only when a product sells out, so cached
catalog pages stop offering it from the moment the order commits). So two
submits of one checkout serialize on the checkout row (the second finds the
first's order and returns it), two buyers of the same product serialize on its
stock rows, and no two placements can deadlock. Everything the order says is
computed again from the locked rows; e-mails go out only after commit.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from commerce.models import (
    Cart,
    Checkout,
    CouponRedemption,
    Order,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
    Stock,
)
from commerce.payments import registry
from commerce.payments.base import PaymentDeclined

from . import notifications
from .cart import CartSummary, summarize
from .coupons import find_coupon
from .page_cache import bump_catalog_version

logger = logging.getLogger(__name__)


class CheckoutError(Exception):
    """The order cannot be placed as it stands; the message tells the shopper why."""


class CheckoutExpired(CheckoutError):
    pass


class TotalChanged(CheckoutError):
    pass


# --- The checkout in progress -------------------------------------------------


def open_checkout(cart: Cart) -> tuple[Checkout, bool]:
    """The cart's checkout in progress, started if there is none.

    Returns (checkout, expired). An expired checkout is replaced by a new one
    carrying the same answers under a new token: nothing the shopper typed is
    lost, but a review page rendered before the expiry can no longer place an
    order, and the shopper is told to check the details again.
    """
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        checkout = Checkout.objects.filter(cart=cart, order__isnull=True).first()
        if checkout is None:
            return Checkout.objects.create(cart=cart), False
        if not checkout.is_expired():
            touch(checkout)
            return checkout, False
        answers = {
            name: getattr(checkout, name)
            for name in ("email", "phone", "billing_address", "delivery_address", "customer_note")
        }
        checkout.delete()
        return Checkout.objects.create(cart=cart, **answers), True


def touch(checkout: Checkout) -> None:
    checkout.last_activity_at = timezone.now()
    Checkout.objects.filter(pk=checkout.pk).update(last_activity_at=checkout.last_activity_at)


def save_contact(checkout: Checkout, *, email, phone, billing_address, delivery_address, note=""):
    checkout.email = email.strip().lower()
    checkout.phone = phone
    checkout.billing_address = billing_address
    checkout.delivery_address = delivery_address
    checkout.customer_note = note
    checkout.last_activity_at = timezone.now()
    checkout.save()


# --- Placing the order --------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    order: Order
    created: bool  # False: a repeated submit, answered with the first order


def place_order(
    checkout_token: str,
    *,
    user=None,
    payment_data: dict | None = None,
    expected_total: Decimal | None = None,
    currency: str = "EUR",
    cart: Cart | None = None,
    source: str = "storefront",
) -> Placement:
    """Turns a checkout into an order, or raises CheckoutError and changes nothing.

    `cart`, when given, is the requester's own cart: a checkout of another
    cart is refused as if it did not exist. `source` is recorded on the order
    (`Order.source`): "storefront", or "api" for the create-order API.
    """
    try:
        with transaction.atomic():
            placement = _place(
                checkout_token, user, payment_data or {}, expected_total, currency, cart, source
            )
    except PaymentDeclined as declined:
        raise CheckoutError(str(declined)) from None
    if placement.created:
        transaction.on_commit(lambda: _after_placement(placement.order))
    return placement


def _place(token, user, payment_data, expected_total, currency, own_cart, source) -> Placement:
    checkout = Checkout.objects.select_for_update().filter(token=token).first()
    if checkout is not None and own_cart is not None and checkout.cart_id != own_cart.pk:
        checkout = None
    if checkout is None:
        raise CheckoutExpired("This checkout has expired. Please check your details again.")
    if checkout.order_id:
        return Placement(Order.objects.get(pk=checkout.order_id), created=False)
    if checkout.is_expired():
        raise CheckoutExpired(
            "Your checkout expired after a while without activity. "
            "Your cart is kept; please check your details again."
        )
    if not checkout.has_contact:
        raise CheckoutError("Please fill in your contact details and addresses first.")

    cart = (
        Cart.objects.select_for_update(of=("self",))
        .select_related("delivery_method", "payment_method")
        .get(pk=checkout.cart_id)
    )
    if user is not None and user.is_authenticated and cart.user_id not in (None, user.pk):
        raise CheckoutError("This checkout belongs to someone else.")
    if cart.delivery_method is None or not cart.delivery_method.is_active:
        raise CheckoutError("Please choose a delivery method.")
    if cart.payment_method is None or not cart.payment_method.is_active:
        raise CheckoutError("Please choose a payment method.")

    coupon = find_coupon(cart.coupon_code, lock=True) if cart.coupon_code else None
    product_ids = list(cart.lines.exclude(product=None).values_list("product_id", flat=True))
    stock_rows = list(
        Stock.objects.select_for_update(of=("self",))
        .filter(product_id__in=product_ids, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("id")
    )
    available = {}
    for row in stock_rows:
        available[row.product_id] = available.get(row.product_id, 0) + row.quantity

    summary = summarize(
        cart,
        user=user,
        email=checkout.email,
        available_override=available,
        coupon=coupon,
    )
    _check_summary(summary, cart, expected_total)

    order = _create_order(checkout, cart, summary, user, currency, source)
    _take_stock(order, summary, stock_rows)
    if summary.coupon_check is not None:
        _redeem(summary.coupon_check.coupon, order, user)
    _authorize_payment(order, cart, checkout, payment_data)

    checkout.order = order
    checkout.save(update_fields=["order"])
    cart.lines.all().delete()
    cart.coupon_code = ""
    cart.save(update_fields=["coupon_code", "updated_at"])
    return Placement(order, created=True)


def _check_summary(summary: CartSummary, cart: Cart, expected_total):
    if summary.is_empty:
        raise CheckoutError("Your cart is empty.")
    if summary.problems:
        raise CheckoutError(" ".join(summary.problems))
    if cart.coupon_code and not summary.coupon_check.ok:
        raise CheckoutError(
            f"{summary.coupon_check.message} Remove the coupon from your cart to continue."
        )
    if any(state.price_changed for state in summary.lines):
        names = ", ".join(state.product.name for state in summary.lines if state.price_changed)
        raise TotalChanged(f"The price of {names} changed. Please review your order.")
    total = summary.totals.grand_total
    if expected_total is not None and total != expected_total:
        raise TotalChanged(
            f"The total changed from {expected_total} to {total}. Please review your order."
        )


def _create_order(checkout, cart, summary: CartSummary, user, currency, source) -> Order:
    totals = summary.totals
    delivery = cart.delivery_method
    payment = cart.payment_method
    order = Order.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        email=checkout.email,
        full_name=checkout.billing_address.get("full_name", ""),
        phone=checkout.phone,
        billing_address=checkout.billing_address,
        delivery_address=checkout.delivery_address,
        customer_note=checkout.customer_note,
        delivery_method=delivery,
        delivery_method_name=delivery.name,
        delivery_cost=totals.delivery,
        delivery_vat_rate=totals.delivery_vat_rate,
        payment_method=payment,
        payment_method_name=payment.name,
        payment_provider=payment.provider,
        currency=currency,
        subtotal=totals.subtotal,
        discount=totals.discount,
        coupon_code=summary.coupon_check.coupon.code if summary.coupon_check else "",
        vat_total=totals.vat_total,
        grand_total=totals.grand_total,
        source=source,
    )
    order.number = f"{timezone.localdate():%Y}-{order.pk:06d}"
    order.save(update_fields=["number"])
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=state.product,
                product_name=state.product.name,
                sku=state.product.sku,
                unit_price=state.pricing.unit_price,
                quantity=state.pricing.quantity,
                line_total=state.pricing.line_total,
                discount=state.pricing.discount,
                vat_rate=state.pricing.vat_rate,
            )
            for state in summary.lines
        ]
    )
    OrderStatusChange.objects.create(order=order, to_status=OrderStatus.NEW, changed_by=None)
    return order


def _take_stock(order: Order, summary: CartSummary, stock_rows: list[Stock]) -> None:
    """Takes each line's units warehouse by warehouse (in the warehouses' order)."""
    by_product = {}
    for row in sorted(stock_rows, key=lambda r: (r.warehouse.sort_order, r.warehouse.name, r.id)):
        by_product.setdefault(row.product_id, []).append(row)
    lines = {line.product_id: line for line in order.lines.all()}
    allocations = []
    for state in summary.lines:
        needed = state.pricing.quantity
        for row in by_product.get(state.product.pk, []):
            if needed == 0:
                break
            taken = min(needed, row.quantity)
            if taken == 0:
                continue
            # F() with the row locked: the database does the arithmetic, and the
            # check constraint (quantity >= 0) would stop any mistake here.
            Stock.objects.filter(pk=row.pk).update(quantity=F("quantity") - taken)
            row.quantity -= taken
            needed -= taken
            allocations.append(
                OrderLineAllocation(
                    line=lines[state.product.pk], warehouse=row.warehouse, quantity=taken
                )
            )
        if needed:
            raise CheckoutError(f"Only part of {state.product.name} is in stock.")
    OrderLineAllocation.objects.bulk_create(allocations)
    if any(sum(row.quantity for row in rows) == 0 for rows in by_product.values()):
        # A product just sold out: cached catalog pages must stop offering it, from
        # the moment this order commits (the version row is locked last, after stock).
        bump_catalog_version()


def _redeem(coupon, order: Order, user) -> None:
    coupon.times_used = F("times_used") + 1
    coupon.save(update_fields=["times_used"])
    CouponRedemption.objects.create(
        coupon=coupon,
        order=order,
        user=user if user is not None and user.is_authenticated else None,
        email=order.email.lower(),
    )


def _authorize_payment(order: Order, cart: Cart, checkout: Checkout, payment_data) -> None:
    provider = registry.get(cart.payment_method.provider)
    result = provider.authorize(
        amount=order.grand_total,
        currency=order.currency,
        reference=checkout.token,
        data=payment_data,
    )
    if not result.ok:
        raise PaymentDeclined(result.message or "The payment was declined.")
    order.payment_status = result.status
    order.payment_reference = result.reference
    fields = ["payment_status", "payment_reference"]
    if result.status == PaymentStatus.PAID:
        order.status = OrderStatus.PAID
        fields.append("status")
        OrderStatusChange.objects.create(
            order=order,
            from_status=OrderStatus.NEW,
            to_status=OrderStatus.PAID,
            note=f"Paid through {provider.name}.",
        )
    order.save(update_fields=fields)


def _after_placement(order: Order) -> None:
    """Runs after commit: a failure here is logged, never undoes the order."""
    try:
        notifications.send_order_placed(order)
    except Exception:  # noqa: BLE001 - an e-mail outage must not fail a placed order
        logger.exception("Could not send the e-mails for order %s", order.number)
