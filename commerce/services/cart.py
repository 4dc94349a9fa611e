"""The shopper's cart: finding it, changing it, and what it costs right now.

Guests' carts are found by their guest key (services.guests: `Cart.token` is
the key kept in their session), users' carts by user; nobody reaches a cart
line except through their own cart.
`summarize` prices the cart from the current database state every time it is
shown, and `acknowledge_changes` tells the shopper what moved since they last
looked (price, stock, availability, coupon).

Every change holds the cart's row lock (services.locks, first in the one lock
order), so it queues behind an order being placed from this cart and then sees
the cart as that order left it.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.inputs import parse_int
from commerce.models import Cart, CartLine, DeliveryMethod, PaymentMethod, Product
from commerce.models.coupons import normalize_code

from . import line_limits, locks
from .coupons import CouponCheck, check_coupon
from .guests import guest_key
from .inventory import available_stock_subquery
from .pricing import DeliveryRule, PricingLine, Totals, calculate


class CartError(Exception):
    """Something the shopper asked for cannot be done; the message says why."""


# --- Finding the cart --------------------------------------------------------


def get_cart(request, *, create=False) -> Cart | None:
    carts = Cart.objects.select_related("delivery_method", "payment_method")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        cart = carts.filter(user=user).first()
        if cart is None and create:
            cart = _user_cart(user)
        return cart
    key = guest_key(request, create=create)
    cart = carts.filter(token=key, user__isnull=True).first() if key else None
    if cart is None and create:
        cart = _guest_cart(key)
    return cart


def _guest_cart(key: str) -> Cart:
    try:
        with transaction.atomic():
            return Cart.objects.create(token=key)
    except IntegrityError:  # created by a concurrent request of the same guest
        return Cart.objects.get(token=key, user__isnull=True)


def _user_cart(user) -> Cart:
    try:
        with transaction.atomic():
            return Cart.objects.get_or_create(user=user)[0]
    except IntegrityError:  # created by a concurrent request of the same user
        return Cart.objects.get(user=user)


def line_count(cart: Cart | None) -> int:
    if cart is None:
        return 0
    return sum(cart.lines.values_list("quantity", flat=True))


# --- Changing the cart -------------------------------------------------------


def _buyable_product(product_id) -> tuple[Product, int]:
    product = (
        Product.objects.filter(pk=parse_int(product_id, minimum=1))
        .annotate(stock_available=available_stock_subquery())
        .first()
    )
    available = product.available_quantity if product is not None else 0
    refused = line_limits.refusal(product, available)
    if refused is not None:
        raise CartError(refused.message)
    return product, available


def parse_quantity(raw) -> int:
    """A positive whole number, or a CartError that says so. Not capped: see `_capped`."""
    quantity = parse_int(raw)
    if quantity is None:
        raise CartError("The quantity must be a whole number.")
    if quantity < 1:
        raise CartError("The quantity must be at least 1.")
    return quantity


def _capped(product: Product, wanted: int, available: int) -> tuple[int, str]:
    """`wanted` within the line's limits (services.line_limits), and a note when it was cut."""
    final = line_limits.cap(wanted, available=available).quantity
    if final == wanted:
        return wanted, ""
    if final == available:
        return final, f"Only {available} of {product.name} in stock; your cart holds {final}."
    return final, (
        f"At most {final} of one product per order; your cart holds {final} of {product.name}."
    )


def add_product(cart: Cart, product_id, quantity) -> str:
    """Adds units (to an existing line if there is one). Returns a note when capped."""
    quantity = parse_quantity(quantity)
    product, available = _buyable_product(product_id)
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        line = cart.lines.filter(product=product).first()
        wanted = quantity + (line.quantity if line else 0)
        final, note = _capped(product, wanted, available)
        if line is None:
            CartLine.objects.create(
                cart=cart,
                product=product,
                product_name=product.name,
                quantity=final,
                unit_price=product.price,
            )
        else:
            line.quantity = final
            line.save(update_fields=["quantity"])
        cart.save(update_fields=["updated_at"])
    return note


def _own_line(cart: Cart, line_id) -> CartLine:
    try:
        return cart.lines.select_related("product").get(pk=parse_int(line_id, minimum=1))
    except CartLine.DoesNotExist:
        raise CartError("That item is not in your cart any more.") from None


def set_line_quantity(cart: Cart, line_id, quantity) -> str:
    quantity = parse_quantity(quantity)
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        line = _own_line(cart, line_id)
        if line.product_id is None:
            raise CartError(f"{line.product_name} is no longer sold; remove it from your cart.")
        product, available = _buyable_product(line.product_id)
        final, note = _capped(product, quantity, available)
        line.quantity = final
        line.save(update_fields=["quantity"])
        cart.save(update_fields=["updated_at"])
    return note


def remove_line(cart: Cart, line_id) -> str:
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        line = _own_line(cart, line_id)
        line.delete()
        cart.save(update_fields=["updated_at"])
    return line.product_name


def apply_coupon(cart: Cart, code: str, *, user=None, email="") -> CouponCheck:
    """Keeps the code only if it applies now; the check's message says why not."""
    code = normalize_code(code)
    if not code:
        raise CartError("Enter a coupon code.")
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        summary = summarize(cart, user=user, email=email, coupon_code=code)
        if summary.coupon_check.ok:
            cart.coupon_code = summary.coupon_check.coupon.code
            cart.save(update_fields=["coupon_code", "updated_at"])
    return summary.coupon_check


def remove_coupon(cart: Cart) -> None:
    cart.coupon_code = ""
    _save_locked(cart, "coupon_code")


def choose_delivery_method(cart: Cart, method_id) -> DeliveryMethod:
    method = DeliveryMethod.objects.active().filter(pk=parse_int(method_id, minimum=1)).first()
    if method is None:
        raise CartError("Choose one of the delivery methods offered.")
    cart.delivery_method = method
    _save_locked(cart, "delivery_method")
    return method


def choose_payment_method(cart: Cart, method_id) -> PaymentMethod:
    method = PaymentMethod.objects.active().filter(pk=parse_int(method_id, minimum=1)).first()
    if method is None:
        raise CartError("Choose one of the payment methods offered.")
    cart.payment_method = method
    _save_locked(cart, "payment_method")
    return method


def _save_locked(cart: Cart, field_name: str) -> None:
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        cart.save(update_fields=[field_name, "updated_at"])


# --- Pricing the cart --------------------------------------------------------


@dataclass
class LineState:
    line: CartLine
    product: Product | None
    current_price: Decimal | None
    problem: str = ""
    pricing: PricingLine | None = None

    @property
    def price_changed(self):
        return self.current_price is not None and self.current_price != self.line.unit_price


@dataclass
class CartSummary:
    cart: Cart
    lines: list[LineState]
    totals: Totals
    coupon_check: CouponCheck | None
    problems: list[str] = field(default_factory=list)

    @property
    def is_empty(self):
        return not self.lines

    @property
    def can_check_out(self):
        return bool(self.lines) and not self.problems


def line_problem(line: CartLine, product: Product | None, available: int) -> str:
    if product is None:
        return f"{line.product_name} is no longer sold."
    # The shopper put it in the cart, so they know its name even if it is a draft now.
    refused = line_limits.refusal(product, available, name=product.name)
    if refused is not None:
        return refused.message
    if line_limits.cap(line.quantity, available=available).over_stock:
        return f"Only {available} of {product.name} in stock; lower the quantity to continue."
    return ""


def summarize(
    cart: Cart,
    *,
    user=None,
    email: str = "",
    coupon_code: str | None = None,
    available_override: dict | None = None,
    coupon=None,
    now=None,
) -> CartSummary:
    """Prices the cart from the database as it is now.

    Order placement passes the stock it has locked (`available_override`) and
    the coupon row it has locked, so the figures it checks are the ones it
    will write.
    """
    lines = list(
        cart.lines.select_related("product").annotate(
            stock_available=available_stock_subquery("product_id")
        )
    )
    states = []
    for line in lines:
        product = line.product
        available = line.stock_available or 0
        if available_override is not None and product is not None:
            available = available_override.get(product.pk, 0)
        problem = line_problem(line, product, available)
        price = product.price if product is not None else None
        state = LineState(line, product, price, problem)
        if not problem:
            state.pricing = PricingLine(
                unit_price=price, quantity=line.quantity, vat_rate=product.vat_rate
            )
        states.append(state)

    priced = [state.pricing for state in states if state.pricing is not None]
    line_totals = {state.product.pk: state.pricing.line_total for state in states if state.pricing}

    code = cart.coupon_code if coupon_code is None else coupon_code
    coupon_check = None
    if code or coupon is not None:
        coupon_check = check_coupon(
            code, line_totals=line_totals, user=user, email=email, now=now, coupon=coupon
        )
        for state in states:
            if state.pricing is not None:
                state.pricing.discountable = state.product.pk in coupon_check.eligible_product_ids

    delivery = cart.delivery_method if cart.delivery_method_id else None
    delivery_rule = None
    if delivery is not None and delivery.is_active:
        delivery_rule = DeliveryRule(delivery.price, delivery.free_from, delivery.vat_rate)
    totals = calculate(priced, coupon_check.rule if coupon_check else None, delivery_rule)
    problems = [state.problem for state in states if state.problem]
    return CartSummary(cart, states, totals, coupon_check, problems)


def acknowledge_changes(summary: CartSummary) -> list[str]:
    """What changed since the shopper last saw the cart; remembers what they see now.

    Called when the cart or a checkout step is shown. A price change is
    reported once and the line then carries the new price, so the shopper is
    never charged a price they were not shown.
    """
    changes = []
    new_prices = {}
    for state in summary.lines:
        if state.price_changed:
            changes.append(
                f"The price of {state.product.name} changed from "
                f"{state.line.unit_price} to {state.current_price}."
            )
            state.line.unit_price = state.current_price
            new_prices[state.line.pk] = state.current_price
    if new_prices:
        with transaction.atomic():
            locks.lock_cart(summary.cart.pk)
            # A filtered update, not save(): an order placed since the cart was read
            # has taken these lines away, and there is nothing left to remember.
            for line_id, price in new_prices.items():
                CartLine.objects.filter(pk=line_id).update(unit_price=price)
    check = summary.coupon_check
    if check is not None and not check.ok and summary.cart.coupon_code:
        changes.append(check.message)
    return changes


# --- Signing in (services.accounts calls this on user_logged_in) ------------------


def merge_guest_cart(token: str, user) -> Cart | None:
    """Moves a guest's cart into the user's, in one transaction.

    The same product in both: quantities are added (up to the per-line
    maximum). The user's coupon and methods win; the guest's fill gaps.
    Running it twice changes nothing: the guest cart is gone after the first.
    """
    with transaction.atomic():
        guest_id = Cart.objects.filter(token=token, user__isnull=True).values_list("pk").first()
        if guest_id is None:
            return None
        cart = _user_cart(user)
        locked = {c.pk: c for c in locks.lock_carts([guest_id[0], cart.pk])}
        guest, cart = locked.get(guest_id[0]), locked[cart.pk]
        if guest is None or guest.user_id is not None:  # merged by a concurrent sign-in
            return None
        existing = {line.product_id: line for line in cart.lines.filter(product__isnull=False)}
        for line in guest.lines.filter(product_id__in=existing):
            mine = existing[line.product_id]
            mine.quantity = line_limits.cap(mine.quantity + line.quantity).quantity
            mine.save(update_fields=["quantity"])
        guest.lines.exclude(product_id__in=existing).update(cart=cart)
        for name in ("coupon_code", "delivery_method_id", "payment_method_id"):
            if not getattr(cart, name) and getattr(guest, name):
                setattr(cart, name, getattr(guest, name))
        cart.save()
        guest.delete()
    return cart


# --- Housekeeping --------------------------------------------------------------


def purge_stale_guest_carts(*, days: int, now=None) -> int:
    """Deletes guest carts idle for `days`; accounts' carts are never purged.

    Their checkouts go with them, never the orders those became: orders keep
    their own copy of everything and do not point at carts.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    stale = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff)
    with transaction.atomic():
        # Carts before their checkouts (delete() removes the checkouts first), and
        # only those still stale once locked: a shopper may be back this minute.
        locked = locks.lock_carts(stale.values_list("pk", flat=True))
        ids = [cart.pk for cart in locked if cart.user_id is None and cart.updated_at < cutoff]
        Cart.objects.filter(pk__in=ids).delete()
    return len(ids)
