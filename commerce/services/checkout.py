"""Checkout: the shopper's answers, and placing the order. Nothing else creates orders.

Locks follow the one order of services.locks (its docstring is the rule):
every step locks the cart before it writes the checkout, and `place_order`
locks cart → checkout → coupon → stock rows by id, of the bought variants and
the gift variants together (→ the catalog version row, only when a variant sells
out, so cached catalog pages stop offering it from the moment the order commits).
So a step and a placement of one shopper, or two submits of one checkout, queue
on the cart (the second submit finds the first's order and returns it), two
buyers of the same variant (bought or given) queue on its stock rows, and
nothing deadlocks. Everything the order says is computed again from the
locked rows, promotions included: the order is placed only if its prices and
gifts are those the shopper was last shown (the cart lines' stored prices and
gift lines, `services.cart.acknowledge_changes`), else `TotalChanged`, and a
gift is given only from stock this placement holds. E-mails are tasks queued
in the placement's transaction: they go out only if the order commits.

A checkout that became an order answers for it from then on: a repeated
submit, or a step written after the order was placed, gets `CheckoutPlaced`;
`placed_order` and `order_that_emptied` find the order for a later request.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from commerce.inputs import normalise_email
from commerce.models import (
    Address,
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
from commerce.money import shop_currency
from commerce.payments import registry
from commerce.payments.base import PaymentDeclined
from commerce.tokens import is_token

from . import events, locks, notifications
from .cart import CartSummary, cart_lines, gift_changes, line_change, stock_variant_ids, summarize
from .catalog_version import bump_if_availability_changed
from .inventory import units_by_variant
from .promotions import load_rules


class CheckoutError(Exception):
    """The order cannot be placed as it stands; the message tells the shopper why."""


class CheckoutExpired(CheckoutError):
    pass


class TotalChanged(CheckoutError):
    pass


class CartEmpty(CheckoutError):
    """Nothing to check out (an order may have taken the cart's lines a moment ago)."""


class CheckoutPlaced(CheckoutError):
    """The checkout became an order (a repeated submit, a step behind a placement)."""

    def __init__(self, order: Order):
        super().__init__(f"This checkout became order {order.number}.")
        self.order = order


# --- The checkout in progress -------------------------------------------------

#: The shopper's answers, kept when an expired checkout is renewed.
ANSWERS = ("email", "phone", "billing_address", "delivery_address", "customer_note")


def open_checkout(cart: Cart) -> tuple[Checkout, bool]:
    """The cart's checkout in progress, started if there is none.

    Returns (checkout, expired). An expired checkout is replaced by a new one
    carrying the same answers under a new token: nothing the shopper typed is
    lost, but a review page rendered before the expiry can no longer place an
    order, and the shopper is told to check the details again. Raises CartEmpty
    when the cart has no lines once it is locked: a placement that held the cart
    may have just emptied it (see `order_that_emptied`).
    """
    with transaction.atomic():
        if locks.lock_cart(cart.pk) is None or not cart.lines.exists():
            raise CartEmpty("Your cart is empty.")
        checkout = locks.lock_open_checkout(cart)
        if checkout is None:
            return Checkout.objects.create(cart=cart), False
        if not checkout.is_expired():
            touch(checkout)
            return checkout, False
        answers = {name: getattr(checkout, name) for name in ANSWERS}
        checkout.delete()
        return Checkout.objects.create(cart=cart, **answers), True


class UnfinishedStep(NamedTuple):
    step: str  # "details", "delivery" or "payment": the step's name in the storefront
    message: str  # what placing the order now is refused with


def unfinished_step(cart: Cart, checkout: Checkout) -> UnfinishedStep | None:
    """The first step the checkout still needs, or None when it is ready to be placed.

    The storefront sends the shopper to that step; `place_order` refuses with its
    message. A method staff switched off since it was chosen counts as not chosen.
    """
    if not checkout.has_contact:
        return UnfinishedStep("details", "Please fill in your contact details and addresses first.")
    if cart.delivery_method is None or not cart.delivery_method.is_active:
        return UnfinishedStep("delivery", "Please choose a delivery method.")
    if cart.payment_method is None or not cart.payment_method.is_active:
        return UnfinishedStep("payment", "Please choose a payment method.")
    return None


#: The storefront's checkout steps, in order (the review places the order).
STEPS = ("details", "delivery", "payment", "review")


def open_steps(cart: Cart, checkout: Checkout) -> tuple[str, ...]:
    """The steps the shopper may go to now: every step up to the first unfinished one
    (all of them when none is unfinished). The steps' navigation links to these."""
    missing = unfinished_step(cart, checkout)
    last = missing.step if missing is not None else STEPS[-1]
    return STEPS[: STEPS.index(last) + 1]


def touch(checkout: Checkout) -> None:
    checkout.last_activity_at = timezone.now()
    Checkout.objects.filter(pk=checkout.pk).update(last_activity_at=checkout.last_activity_at)


def save_contact(checkout: Checkout, *, email, phone, billing_address, delivery_address, note=""):
    """Writes the details step's answers onto `checkout`, under the cart's lock.

    Raises CheckoutPlaced if the checkout became an order meanwhile (its answers
    are the order's now), CheckoutExpired if it was replaced.
    """
    answers = {
        "email": normalise_email(email),
        "phone": phone,
        "billing_address": billing_address,
        "delivery_address": delivery_address,
        "customer_note": note,
        "last_activity_at": timezone.now(),
    }
    with transaction.atomic():
        locks.lock_cart(checkout.cart_id)
        current = locks.lock_checkout(checkout.token, cart_id=checkout.cart_id)
        if current is None:
            raise CheckoutExpired("This checkout has expired. Please check your details again.")
        if current.order_id:
            raise CheckoutPlaced(current.order)
        Checkout.objects.filter(pk=current.pk).update(**answers)
    for name, value in answers.items():
        setattr(checkout, name, value)


# --- One step from the cart to the review -----------------------------------


def ships_to(country) -> bool:
    """Whether the shop delivers to `country` (a code or a django-countries Country)."""
    return str(country or "").upper() in {
        code.strip().upper() for code in settings.STOREFRONT_SHIPPING_COUNTRIES
    }


def saved_address(user) -> Address | None:
    """The saved address a checkout starts from: the default one, else the newest
    (Address.Meta.ordering), as the details step prefills it."""
    return Address.objects.filter(user=user).first()


def _active(method) -> bool:
    return method is not None and method.is_active


@dataclass(frozen=True)
class Filled:
    """What `fill_from_account` filled in (nothing, when the checkout had it all)."""

    details: bool = False
    delivery_method: bool = False
    payment_method: bool = False

    def __bool__(self):
        return self.details or self.delivery_method or self.payment_method


def fill_from_account(cart: Cart, checkout: Checkout, user) -> Filled:
    """Fills what a signed-in shopper's checkout still lacks from their account, so that
    one who has ordered before goes from the cart to the review in one step.

    - The contact and both addresses: their e-mail and their saved address (the default,
      else the newest), only when the checkout has no details yet and the address is in
      a country the shop ships to (STOREFRONT_SHIPPING_COUNTRIES); its phone where the
      checkout has none.
    - The delivery and payment methods: each one the cart lacks (or holds but staff
      switched off) from the shopper's last order, if staff still offer it. A cart keeps
      its methods after an order, so this matters for a new cart (a guest's, merged on
      sign-in).

    Never overwrites an answer; anything it cannot fill is left for its step. Writes under
    the cart's lock, like every step (services.locks); raises what `save_contact` raises.
    """
    if user is None or not user.is_authenticated:
        return Filled()
    answers = {}
    if not checkout.has_contact and user.email:
        address = saved_address(user)
        if address is not None and ships_to(address.country):
            snapshot = address.as_dict()
            answers = {
                "email": normalise_email(user.email),
                "phone": checkout.phone or address.phone,
                "billing_address": snapshot,
                "delivery_address": snapshot,
            }
    methods = {}
    if not (_active(cart.delivery_method) and _active(cart.payment_method)):
        last = (
            Order.objects.filter(user=user)
            .select_related("delivery_method", "payment_method")
            .order_by("-pk")
            .first()
        )
        for field in ("delivery_method", "payment_method"):
            remembered = getattr(last, field) if last is not None else None
            if not _active(getattr(cart, field)) and _active(remembered):
                methods[field] = remembered
    if not answers and not methods:
        return Filled()
    with transaction.atomic():
        locked = locks.lock_cart(cart.pk)
        current = locks.lock_checkout(checkout.token, cart_id=cart.pk)
        if locked is None or current is None:
            raise CheckoutExpired("This checkout has expired. Please check your details again.")
        if current.order_id:
            raise CheckoutPlaced(current.order)
        if answers and not current.has_contact:  # a step may have written it meanwhile
            answers["last_activity_at"] = timezone.now()
            Checkout.objects.filter(pk=current.pk).update(**answers)
            for name, value in answers.items():
                setattr(checkout, name, value)
        else:
            answers = {}
        # Only what the locked cart still lacks: a step may have chosen meanwhile.
        methods = {
            field: method
            for field, method in methods.items()
            if not _active(getattr(locked, field))
        }
        for field, method in methods.items():
            setattr(cart, field, method)
        if methods:
            cart.save(update_fields=[*methods, "updated_at"])
    return Filled(
        details=bool(answers),
        delivery_method="delivery_method" in methods,
        payment_method="payment_method" in methods,
    )


def placed_order(cart: Cart, token: str) -> Order | None:
    """The order that this cart's checkout with `token` (the review form's) became.

    A token of someone else's checkout, or of none, finds nothing.
    """
    if not is_token(token):
        return None
    checkout = (
        Checkout.objects.filter(cart=cart, token=token, order__isnull=False)
        .select_related("order")
        .first()
    )
    return checkout.order if checkout is not None else None


def order_that_emptied(cart: Cart) -> Order | None:
    """While the cart is empty: the order its latest checkout became, if it became one.

    The cart was emptied by placing that order, and nothing was started since.
    """
    latest = Checkout.objects.filter(cart=cart).order_by("-pk").select_related("order").first()
    if latest is None or latest.order is None or cart.lines.exists():
        return None
    return latest.order


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
    currency: str | None = None,
    cart: Cart | None = None,
    source: str = "storefront",
) -> Placement:
    """Turns a checkout into an order, or raises CheckoutError and changes nothing.

    `cart`, when given, is the requester's own cart: a checkout of another
    cart is refused as if it did not exist. `source` is recorded on the order
    (`Order.source`): "storefront", or "api" for the create-order API. `currency`
    is the requester's site's (`commerce.money.shop_currency(request)`); left out,
    the default site's.
    """
    if currency is None:
        currency = shop_currency()
    try:
        with transaction.atomic():
            placement = _place(
                checkout_token, user, payment_data or {}, expected_total, currency, cart, source
            )
            if placement.created:
                # Tasks that commit with the order (services.notifications).
                notifications.queue_order_placed(placement.order)
                events.order_placed.send(sender=Order, order=placement.order)
    except PaymentDeclined as declined:
        raise CheckoutError(str(declined)) from None
    return placement


def _place(token, user, payment_data, expected_total, currency, own_cart, source) -> Placement:
    # The lock order (services.locks) puts the cart first: learn it from the
    # checkout unlocked, then lock cart and checkout and read the checkout again.
    cart_id = Checkout.objects.filter(token=token).values_list("cart_id", flat=True).first()
    if cart_id is not None and own_cart is not None and cart_id != own_cart.pk:
        cart_id = None
    cart = locks.lock_cart(cart_id) if cart_id is not None else None
    checkout = locks.lock_checkout(token, cart_id=cart_id) if cart is not None else None
    if checkout is None:
        raise CheckoutExpired("This checkout has expired. Please check your details again.")
    if checkout.order_id:
        return Placement(Order.objects.get(pk=checkout.order_id), created=False)
    if checkout.is_expired():
        raise CheckoutExpired(
            "Your checkout expired after a while without activity. "
            "Your cart is kept; please check your details again."
        )
    missing = unfinished_step(cart, checkout)
    # Missing details are told before a stranger's cart, the methods after it: as ever.
    if missing is not None and missing.step == "details":
        raise CheckoutError(missing.message)
    if user is not None and user.is_authenticated and cart.user_id not in (None, user.pk):
        raise CheckoutError("This checkout belongs to someone else.")
    if missing is not None:
        raise CheckoutError(missing.message)

    coupon = locks.lock_coupon(code=cart.coupon_code) if cart.coupon_code else None
    # The cart's lines are fixed while it is locked; the promotions are read once and
    # priced under the stock locks, with the gift variants' stock locked too.
    rules = load_rules(user=user)
    lines = cart_lines(cart)
    stock_rows = locks.lock_stock(stock_variant_ids(lines, rules), active_warehouses_only=True)
    available = units_by_variant(stock_rows)

    summary = summarize(
        cart,
        user=user,
        email=checkout.email,
        available_override=available,
        coupon=coupon,
        rules=rules,
        lines=lines,
    )
    _check_summary(summary, cart, expected_total, [line for line in lines if line.is_gift])

    order, order_lines = _create_order(checkout, cart, summary, user, currency, source)
    units = _take_stock(order_lines, summary, stock_rows)
    if summary.coupon_check is not None:
        _redeem(summary.coupon_check.coupon, order, user)
    _authorize_payment(order, cart, checkout, payment_data)

    checkout.order = order
    checkout.save(update_fields=["order"])
    cart.lines.all().delete()
    cart.coupon_code = ""
    cart.save(update_fields=["coupon_code", "updated_at"])
    # Webhooks record a variant that fell below a subscriber's threshold (services.events).
    events.stock_units_changed.send(sender=Stock, **units)
    # A variant that just sold out leaves the cached pages from the moment this order
    # commits. Last, after the payment provider's answer: the version row is everyone's
    # (services.locks, step 7), not to be held across a network call.
    bump_if_availability_changed(**units)
    return Placement(order, created=True)


def _check_summary(summary: CartSummary, cart: Cart, expected_total, gifts_seen):
    if not summary.bought_lines:
        raise CheckoutError("Your cart is empty.")
    if summary.problems:
        raise CheckoutError(" ".join(summary.problems))
    if cart.coupon_code and not summary.coupon_check.ok:
        raise CheckoutError(
            f"{summary.coupon_check.message} Remove the coupon from your cart to continue."
        )
    changed = [line_change(state) for state in summary.bought_lines]
    changed += [change.message + "." for change in gift_changes(summary, gifts_seen)]
    if any(changed):
        told = " ".join(change for change in changed if change)
        raise TotalChanged(f"{told} Please review your order.")
    total = summary.totals.grand_total
    if expected_total is not None and total != expected_total:
        raise TotalChanged(
            f"The total changed from {expected_total} to {total}. Please review your order."
        )


def _create_order(
    checkout, cart, summary: CartSummary, user, currency, source
) -> tuple[Order, list[OrderLine]]:
    """The order and its lines (in the summary's order, with their ids)."""
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
    # update(), not save(): the number changes no reference, so Wagtail's reference index
    # (a post_save receiver: four more queries a save) has nothing to learn from it.
    Order.objects.filter(pk=order.pk).update(number=order.number)
    lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=state.product,
                variant=state.variant,
                product_name=state.product.name[:200],
                variant_name=state.variant.options_text[:255],
                sku=state.variant.sku,
                unit_price=state.pricing.unit_price,
                quantity=state.pricing.quantity,
                line_total=state.pricing.line_total,
                discount=state.pricing.discount,
                vat_rate=state.pricing.vat_rate,
                promotion_id=state.promotion_id,
                promotion_name=state.promotion_name[:200],
                regular_unit_price=state.regular_price,
                is_gift=state.is_gift,
            )
            for state in summary.lines
        ]
    )
    OrderStatusChange.objects.create(order=order, to_status=OrderStatus.NEW, changed_by=None)
    return order, lines


def _take_stock(lines: list[OrderLine], summary: CartSummary, stock_rows: list[Stock]) -> dict:
    """Takes each line's units warehouse by warehouse (in the warehouses' order); returns
    the variants' units before and after, for `bump_if_availability_changed`."""
    by_variant = {}
    for row in sorted(stock_rows, key=lambda r: (r.warehouse.sort_order, r.warehouse.name, r.id)):
        by_variant.setdefault(row.variant_id, []).append(row)
    # Order lines in the summary's order (bulk_create keeps it, with their ids on
    # PostgreSQL and SQLite): a variant may be on a bought line and on gift lines too,
    # each taking its own units.
    before = units_by_variant(stock_rows)
    allocations = []
    for state, line in zip(summary.lines, lines, strict=True):
        needed = state.pricing.quantity
        for row in by_variant.get(state.variant.pk, []):
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
                OrderLineAllocation(line=line, warehouse=row.warehouse, quantity=taken)
            )
        if needed:
            raise CheckoutError(f"Only part of {state.name} is in stock.")
    OrderLineAllocation.objects.bulk_create(allocations)
    return {"before": before, "after": units_by_variant(stock_rows)}


def _redeem(coupon, order: Order, user) -> None:
    coupon.times_used = F("times_used") + 1
    coupon.save(update_fields=["times_used"])
    CouponRedemption.objects.create(
        coupon=coupon,
        order=order,
        user=user if user is not None and user.is_authenticated else None,
        email=normalise_email(order.email),
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
    # update(), not save(): no reference changes (see _create_order).
    Order.objects.filter(pk=order.pk).update(**{field: getattr(order, field) for field in fields})
