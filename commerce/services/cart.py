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
from django.db.models import Prefetch
from django.utils import timezone

from commerce.inputs import parse_int
from commerce.models import (
    AttributeDefinition,
    AttributeOption,
    Cart,
    CartLine,
    DeliveryMethod,
    PaymentMethod,
    Product,
    ProductVariant,
    ShopPage,
)
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


def with_descriptions(variants):
    """`variants` (a queryset) with what `ProductVariant.description` and the line rules
    read: the product and the options with their axes, in two queries however many."""
    return variants.select_related("product").prefetch_related(
        Prefetch("options", queryset=AttributeOption.objects.select_related("definition"))
    )


def _buyable_variant(variant_id) -> tuple[ProductVariant, int]:
    variant = (
        with_descriptions(ProductVariant.objects.filter(pk=parse_int(variant_id, minimum=1)))
        .annotate(stock_available=available_stock_subquery())
        .first()
    )
    available = variant.available_quantity if variant is not None else 0
    refused = line_limits.refusal(variant, available)
    if refused is not None:
        raise CartError(refused.message)
    return variant, available


def parse_quantity(raw) -> int:
    """A positive whole number, or a CartError that says so. Not capped: see `_capped`."""
    quantity = parse_int(raw)
    if quantity is None:
        raise CartError("The quantity must be a whole number.")
    if quantity < 1:
        raise CartError("The quantity must be at least 1.")
    return quantity


def _capped(variant: ProductVariant, wanted: int, available: int) -> tuple[int, str]:
    """`wanted` within the line's limits (services.line_limits), and a note when it was cut."""
    final = line_limits.cap(wanted, available=available).quantity
    if final == wanted:
        return wanted, ""
    name = variant.description
    if final == available:
        return final, f"Only {available} of {name} in stock; your cart holds {final}."
    return final, f"At most {final} of one item per order; your cart holds {final} of {name}."


def choose_variant(variant_id, product_id=None) -> int:
    """The variant a cart or list form means: `variant` (an id), or a `product` (an id)
    that has exactly one variant (old links, products without axes).

    Raises CartError when no variant is chosen, naming the product's axes ("Choose a
    size and a colour."), or when the variant is not one of `product`'s. Whether the
    variant may be bought is `add_variant`'s question.
    """
    product_pk = None
    if product_id not in (None, ""):
        product_pk = parse_int(product_id, minimum=1)
        if product_pk is None:
            raise CartError("This product cannot be bought at the moment.")
    if variant_id not in (None, ""):
        variant_pk = parse_int(variant_id, minimum=1)
        if variant_pk is None:
            raise CartError("That choice is not one of the options on sale.")
        if (
            product_pk is not None
            and not ProductVariant.objects.filter(pk=variant_pk, product_id=product_pk).exists()
        ):
            raise CartError("That choice is not one of this product's options.")
        return variant_pk
    if product_pk is None:
        raise CartError("Choose what to add first.")
    variants = list(ProductVariant.objects.filter(product_id=product_pk).values_list("pk")[:2])
    if len(variants) == 1:
        return variants[0][0]
    if not variants:
        raise CartError("This product cannot be bought at the moment.")
    raise CartError(choose_options_message(product_pk))


def chosen_product(variant_id, product_id=None) -> Product | None:
    """The visible product a cart or list form was about (its `product`, else its
    variant's), to send the shopper back to when the choice failed; None if there is none."""
    product_pk = parse_int(product_id, minimum=1)
    if product_pk is None:
        variant_pk = parse_int(variant_id, minimum=1)
        if variant_pk is None:
            return None
        products = Product.objects.filter(variants=variant_pk)
    else:
        products = Product.objects.filter(pk=product_pk)
    return products.visible().first()


def choose_options_message(product_id) -> str:
    """ "Choose a size and a colour.": what a shopper must pick for this product."""
    axes = [
        name.lower()
        for name in AttributeDefinition.objects.filter(products_varying=product_id)
        .order_by("sort_order", "name")
        .values_list("name", flat=True)
    ]
    if not axes:
        return "Choose one of the product's options first."
    named = [f"{'an' if axis[:1] in 'aeiou' else 'a'} {axis}" for axis in axes]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"Choose {listed}."


def add_variant(cart: Cart, variant_id, quantity) -> str:
    """Adds units of a variant (to its line if there is one). Returns a note when capped."""
    quantity = parse_quantity(quantity)
    variant, available = _buyable_variant(variant_id)
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        line = cart.lines.filter(variant=variant).first()
        wanted = quantity + (line.quantity if line else 0)
        final, note = _capped(variant, wanted, available)
        if line is None:
            CartLine.objects.create(
                cart=cart,
                variant=variant,
                product_name=variant.description[:300],
                quantity=final,
                unit_price=variant.price,
            )
        else:
            line.quantity = final
            line.save(update_fields=["quantity"])
        cart.save(update_fields=["updated_at"])
    return note


def add_product(cart: Cart, product_id, quantity) -> str:
    """`add_variant` for a product with exactly one variant (callers from before variants)."""
    return add_variant(cart, choose_variant(None, product_id), quantity)


def _own_line(cart: Cart, line_id) -> CartLine:
    try:
        return cart.lines.get(pk=parse_int(line_id, minimum=1))
    except CartLine.DoesNotExist:
        raise CartError("That item is not in your cart any more.") from None


def set_line_quantity(cart: Cart, line_id, quantity) -> str:
    quantity = parse_quantity(quantity)
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        line = _own_line(cart, line_id)
        if line.variant_id is None:
            raise CartError(
                f"{line.product_name} is no longer available; remove it from your cart."
            )
        variant, available = _buyable_variant(line.variant_id)
        final, note = _capped(variant, quantity, available)
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
    variant: ProductVariant | None  # None: deleted since it was added
    current_price: Decimal | None
    problem: str = ""
    pricing: PricingLine | None = None

    @property
    def product(self) -> Product | None:
        return self.variant.product if self.variant is not None else None

    @property
    def name(self) -> str:
        """The variant's description now, or as it was added if the variant is gone."""
        return self.variant.description if self.variant is not None else self.line.product_name

    @property
    def sku(self) -> str:
        return self.variant.sku if self.variant is not None else ""

    url: str = ""  # the variant on its product page, while the product is live (`link_lines`)

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


def line_problem(line: CartLine, variant: ProductVariant | None, available: int) -> str:
    if variant is None:
        return f"{line.product_name} is no longer available."
    # The shopper put it in the cart, so they know its name even if it is a draft now.
    refused = line_limits.refusal(variant, available, name=line.product_name)
    if refused is not None:
        return refused.message
    if line_limits.cap(line.quantity, available=available).over_stock:
        return (
            f"Only {available} of {variant.description} in stock; lower the quantity to continue."
        )
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

    Order placement passes the stock it has locked (`available_override`, {variant
    id: units}) and the coupon row it has locked, so the figures it checks are the
    ones it will write. Three queries however many lines, variants and axes.
    """
    lines = list(
        cart.lines.select_related("variant__product")
        .prefetch_related(
            Prefetch(
                "variant__options", queryset=AttributeOption.objects.select_related("definition")
            )
        )
        .annotate(stock_available=available_stock_subquery("variant_id"))
    )
    states = []
    for line in lines:
        variant = line.variant
        available = line.stock_available or 0
        if available_override is not None and variant is not None:
            available = available_override.get(variant.pk, 0)
        problem = line_problem(line, variant, available)
        price = variant.price if variant is not None else None
        state = LineState(line, variant, price, problem)
        if not problem:
            state.pricing = PricingLine(
                unit_price=price, quantity=line.quantity, vat_rate=variant.product.vat_rate
            )
        states.append(state)

    priced = [state.pricing for state in states if state.pricing is not None]
    # Coupons apply per product (services.coupons): a product's variants count together.
    line_totals: dict[int, Decimal] = {}
    for state in states:
        if state.pricing is not None:
            product_id = state.variant.product_id
            line_totals[product_id] = line_totals.get(product_id, 0) + state.pricing.line_total

    code = cart.coupon_code if coupon_code is None else coupon_code
    coupon_check = None
    if code or coupon is not None:
        coupon_check = check_coupon(
            code, line_totals=line_totals, user=user, email=email, now=now, coupon=coupon
        )
        for state in states:
            if state.pricing is not None:
                state.pricing.discountable = (
                    state.variant.product_id in coupon_check.eligible_product_ids
                )

    delivery = cart.delivery_method if cart.delivery_method_id else None
    delivery_rule = None
    if delivery is not None and delivery.is_active:
        delivery_rule = DeliveryRule(delivery.price, delivery.free_from, delivery.vat_rate)
    totals = calculate(priced, coupon_check.rule if coupon_check else None, delivery_rule)
    problems = [state.problem for state in states if state.problem]
    return CartSummary(cart, states, totals, coupon_check, problems)


def link_lines(summary: CartSummary, request) -> CartSummary:
    """Sets each line's `url`: its variant on the product page (`?variant=<SKU>`), for the
    lines whose product is live. The shop's URL is looked up once, not per line."""
    shop = ShopPage.for_request(request)
    base = shop.get_url(request=request) if shop is not None else None
    if base is None:
        return summary
    for state in summary.lines:
        product = state.product
        if product is not None and product.live:
            state.url = shop.with_variant(base + shop.product_subpath(product), state.sku)
    return summary


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
                f"The price of {state.name} changed from "
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

    The same variant in both: quantities are added (up to the per-line maximum);
    a line whose variant was deleted moves as it is (it shows as no longer available).
    The user's coupon and methods win; the guest's fill gaps. Running it twice
    changes nothing: the guest cart is gone after the first.
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
        existing = {line.variant_id: line for line in cart.lines.filter(variant__isnull=False)}
        for line in guest.lines.filter(variant_id__in=existing):
            mine = existing[line.variant_id]
            mine.quantity = line_limits.cap(mine.quantity + line.quantity).quantity
            mine.save(update_fields=["quantity"])
        guest.lines.exclude(variant_id__in=existing).update(cart=cart)
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
