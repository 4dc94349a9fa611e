"""The shopper's cart: finding it, changing it, and what it costs right now.

Guests' carts are found by their guest key (services.guests: `Cart.token` is
the key kept in their session), users' carts by user; nobody reaches a cart
line except through their own cart.
`summarize` prices the cart from the current database state every time it is
shown: the running promotions first (`pricing.promotions.evaluate`), then the
coupon on the promoted prices. `acknowledge_changes` tells the shopper what moved
since they last looked (price, promotion, gifts, stock, availability, coupon)
and remembers what they see now: each bought line's price and promotion, and the
gift lines (`sync_gifts`), which order placement holds the shopper to.

Gift lines are stored lines (`CartLine.is_gift`, price 0) that only `sync_gifts`
writes: shoppers cannot add one, change its quantity or remove it. A gift comes
with its promotion's condition and goes when it stops holding.

Every change holds the cart's row lock (services.locks, first in the one lock
order), so it queues behind an order being placed from this cart and then sees
the cart as that order left it.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from wagtail.images import get_image_model

from commerce.inputs import parse_int
from commerce.models import (
    AttributeDefinition,
    AttributeOption,
    Cart,
    CartLine,
    DeliveryMethod,
    PaymentMethod,
    Product,
    ProductImage,
    ProductVariant,
    ShopPage,
)
from commerce.models.coupons import normalize_code
from pages.clock import shop_now

from . import line_limits, locks
from .coupons import CouponCheck, check_coupon
from .guests import guest_key
from .inventory import available_stock_subquery
from .pricing import ZERO, DeliveryRule, PricingLine, Totals, calculate, round_money
from .pricing.promotions import (
    Gift,
    GiftShortfall,
    Hint,
    LinePromotion,
    PromotionResult,
    PromotionRule,
    evaluate,
    gift_variant_ids,
)
from .promotions import cart_items, load_rules


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
        # A gift line of the same variant is the promotion's, not the shopper's to add to.
        line = cart.lines.filter(variant=variant, is_gift=False).first()
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


def _refuse_gift(line: CartLine) -> None:
    if line.is_gift:
        raise CartError(
            f"{line.product_name} is a free gift: it stays in your cart while its promotion "
            "applies, in the quantity the promotion gives."
        )


#: What a stepper button may add to a line's quantity (the cart's − and + buttons).
STEPS = (-1, 1)


def parse_adjustment(raw) -> int:
    step = parse_int(raw)
    if step not in STEPS:
        raise CartError("Use the − and + buttons, or type the quantity.")
    return step


def set_line_quantity(cart: Cart, line_id, quantity=None, *, adjust=None) -> str:
    """Sets a bought line's quantity: `quantity`, or the quantity it has now plus `adjust`
    (a stepper's −1 or +1, counted from the stored quantity, so a stale page or a double
    click steps from what the cart holds). The quantity is at least 1: the − of a line of
    one is refused, Remove takes a line out; stock and the per-line maximum cap it (with
    a note), as when adding.
    """
    step = parse_adjustment(adjust) if adjust is not None else None
    if step is None:
        quantity = parse_quantity(quantity)
    with transaction.atomic():
        locks.lock_cart(cart.pk)
        line = _own_line(cart, line_id)
        _refuse_gift(line)
        if line.variant_id is None:
            raise CartError(
                f"{line.product_name} is no longer available; remove it from your cart."
            )
        if step is not None:
            quantity = line.quantity + step
            if quantity < 1:
                raise CartError(
                    f"You have one {line.product_name} in your cart; use Remove to take it out."
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
        # Removed, it would only come back on the next view while the condition holds.
        _refuse_gift(line)
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
    """One line of the cart as priced now: a bought line, or a gift the promotions give."""

    line: CartLine  # a gift the cart does not hold yet: unsaved, until `sync_gifts`
    variant: ProductVariant | None  # None: deleted since it was added
    current_price: Decimal | None  # what one unit costs now: promoted, 0 for a gift
    problem: str = ""
    pricing: PricingLine | None = None
    promotion: LinePromotion | None = None  # the promotion that set `current_price`
    is_gift: bool = False
    gift: Gift | None = None  # on a gift line: what the engine gives
    url: str = ""  # the variant on its product page, while the product is live (`link_lines`)
    thumbnail: ProductImage | None = None  # its first picture (`link_lines`)

    @property
    def product(self) -> Product | None:
        return self.variant.product if self.variant is not None else None

    @property
    def product_name(self) -> str:
        """The product's name now; the description as added if the variant is gone."""
        product = self.product
        return product.name if product is not None else self.line.product_name

    @property
    def name(self) -> str:
        """The variant's description now, or as it was added if the variant is gone."""
        return self.variant.description if self.variant is not None else self.line.product_name

    @property
    def sku(self) -> str:
        return self.variant.sku if self.variant is not None else ""

    @property
    def quantity(self) -> int:
        """A gift's is what the promotion gives now; a bought line's what the shopper chose."""
        return self.gift.quantity if self.gift is not None else self.line.quantity

    @property
    def regular_price(self) -> Decimal | None:
        """The unit price without the promotion, when one changed it (struck through)."""
        if self.promotion is not None:
            return self.promotion.regular_unit_price
        if self.is_gift and self.variant is not None:
            return self.variant.price
        return None

    @property
    def promotion_id(self) -> int | None:
        source = self.gift or self.promotion
        return source.promotion_id if source is not None else None

    @property
    def promotion_name(self) -> str:
        source = self.gift or self.promotion
        return source.promotion_name if source is not None else ""

    @property
    def promotion_reason(self) -> str:
        source = self.gift or self.promotion
        return source.reason if source is not None else ""

    @property
    def badge_class(self) -> str:
        """The class that colours this line's promotion badge (`CartSummary.badge_colours`)."""
        source = self.gift or self.promotion
        if source is None or not COLOUR.match(source.color_in_cart or ""):
            return ""
        return f"promo-badge--{source.promotion_id}"

    @property
    def price_changed(self):
        return self.current_price is not None and self.current_price != self.line.unit_price


#: `Promotion.color_in_cart` as the model validates it; anything else is not written into CSS.
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass
class CartSummary:
    cart: Cart
    lines: list[LineState]  # bought lines, then gifts
    totals: Totals
    coupon_check: CouponCheck | None
    problems: list[str] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)  # "Buy 2 more for 5.00 each"
    gift_shortfalls: list[GiftShortfall] = field(default_factory=list)
    promotion_savings: Decimal = ZERO  # what promoted prices take off the regular ones
    held_gifts: list[CartLine] = field(default_factory=list)  # the gift lines as read

    @property
    def is_empty(self):
        return not self.lines

    @property
    def can_check_out(self):
        return bool(self.lines) and not self.problems

    @property
    def bought_lines(self) -> list[LineState]:
        return [state for state in self.lines if not state.is_gift]

    @property
    def gift_lines(self) -> list[LineState]:
        return [state for state in self.lines if state.is_gift]

    @property
    def badge_colours(self) -> list[tuple[str, str]]:
        """(class, #rrggbb) of the promotions shown, for a nonce'd <style>: the shop's CSP
        allows no style attributes."""
        colours = {}
        for state in self.lines:
            source = state.gift or state.promotion
            if state.badge_class:
                colours[state.badge_class] = source.color_in_cart
        return sorted(colours.items())


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


def cart_lines(cart: Cart) -> list[CartLine]:
    """The cart's lines with what pricing reads (variant, product, options, the promotion
    the shopper last saw, units in stock), in two queries however many."""
    return list(
        cart.lines.select_related("variant__product", "promotion")
        .prefetch_related(
            Prefetch(
                "variant__options", queryset=AttributeOption.objects.select_related("definition")
            )
        )
        .annotate(stock_available=available_stock_subquery("variant_id"))
    )


def _gift_variants(variant_ids: set[int]) -> dict[int, ProductVariant]:
    """The variants promotions may give, with their units in stock: two queries, none
    when no running promotion gives anything."""
    if not variant_ids:
        return {}
    variants = with_descriptions(ProductVariant.objects.filter(pk__in=variant_ids)).annotate(
        stock_available=available_stock_subquery()
    )
    return {variant.pk: variant for variant in variants}


def stock_variant_ids(lines: list[CartLine], rules: list[PromotionRule]) -> list[int]:
    """The variants whose stock pricing these lines reads, sorted: the bought ones, the
    gifts the cart holds, and those the promotions would give with unlimited stock.

    Order placement locks their stock rows in one call. A gift it did not lock
    counts as out of stock (`summarize` with `available_override`), so a gift is
    never given from stock the placement does not hold.
    """
    ids = {line.variant_id for line in lines if line.variant_id is not None}
    if gift_variant_ids(rules):
        wanted = evaluate(cart_items([line for line in lines if not line.is_gift]), rules)
        ids |= {gift.variant_id for gift in wanted.gifts}
    return sorted(ids)


def summarize(
    cart: Cart,
    *,
    user=None,
    email: str = "",
    coupon_code: str | None = None,
    available_override: dict | None = None,
    coupon=None,
    now=None,
    rules: list[PromotionRule] | None = None,
    lines: list[CartLine] | None = None,
) -> CartSummary:
    """Prices the cart from the database as it is now: promotions, then the coupon.

    Promotions (`pricing.promotions.evaluate`) see the bought lines that can be
    bought as they stand (no problem) and give gifts as far as the gift variants'
    stock goes (what bought lines of the same variant leave). The coupon then
    applies to the promoted prices; one that does not combine with promotions
    (`Coupon.combines_with_promotions`) only to lines no promotion changed.

    Order placement passes the stock it has locked (`available_override`, {variant
    id: units}; a variant it has not locked has none), the coupon row it has
    locked, and the `rules` and `lines` it has already read, so the figures it
    checks are the ones it will write. A fixed number of queries however many
    lines, variants, axes and promotions.
    """
    if lines is None:
        lines = cart_lines(cart)
    if rules is None:
        rules = load_rules(user=user, now=now or shop_now())

    def available_of(variant, annotated) -> int:
        if available_override is not None:
            return available_override.get(variant.pk, 0)
        return annotated or 0

    states = []
    stored_gifts = []
    for line in lines:
        if line.is_gift:
            stored_gifts.append(line)
            continue
        variant = line.variant
        available = available_of(variant, line.stock_available) if variant is not None else 0
        problem = line_problem(line, variant, available)
        price = variant.price if variant is not None else None
        states.append(LineState(line, variant, price, problem))
    priced = [state for state in states if not state.problem]

    result = PromotionResult()
    gift_variants = {}
    if rules:
        gift_variants = _gift_variants(gift_variant_ids(rules))
        # All of their units: the engine leaves out those the cart's own lines buy.
        gift_stock = {
            variant_id: available_of(variant, variant.stock_available)
            for variant_id, variant in gift_variants.items()
        }
        items = cart_items([state.line for state in priced]) if priced else []
        result = evaluate(items, rules, gift_stock=gift_stock)

    for state in priced:
        state.promotion = result.lines.get(state.line.pk)
        if state.promotion is not None:
            state.current_price = state.promotion.unit_price
        state.pricing = PricingLine(
            unit_price=state.current_price,
            quantity=state.line.quantity,
            vat_rate=state.variant.product.vat_rate,
        )

    gifts = _gift_states(cart, result, gift_variants, stored_gifts)
    coupon_check = _apply_coupon(
        priced, cart.coupon_code if coupon_code is None else coupon_code, user, email, now, coupon
    )

    delivery = cart.delivery_method if cart.delivery_method_id else None
    delivery_rule = None
    if delivery is not None and delivery.is_active:
        delivery_rule = DeliveryRule(delivery.price, delivery.free_from, delivery.vat_rate)
    pricing_lines = [state.pricing for state in priced + gifts]
    totals = calculate(pricing_lines, coupon_check.rule if coupon_check else None, delivery_rule)
    savings = sum(
        (
            (state.promotion.regular_unit_price - state.promotion.unit_price) * state.quantity
            for state in priced
            if state.promotion is not None
        ),
        ZERO,
    )
    return CartSummary(
        cart,
        states + gifts,
        totals,
        coupon_check,
        problems=[state.problem for state in states if state.problem],
        hints=list(result.hints),
        gift_shortfalls=list(result.gift_shortfalls),
        promotion_savings=round_money(savings),
        held_gifts=stored_gifts,
    )


def _gift_states(cart, result: PromotionResult, variants, stored: list[CartLine]):
    """A line for each gift the promotions give: the cart's own gift line when it holds
    one (its quantity may be behind: `sync_gifts`), else an unsaved one."""
    by_key = {(line.promotion_id, line.variant_id): line for line in stored}
    states = []
    for gift in result.gifts:
        variant = variants.get(gift.variant_id)
        if gift.quantity <= 0 or variant is None:
            continue
        line = by_key.get((gift.promotion_id, gift.variant_id)) or CartLine(
            cart=cart,
            variant=variant,
            product_name=variant.description[:300],
            quantity=gift.quantity,
            unit_price=ZERO,
            is_gift=True,
            promotion_id=gift.promotion_id,
        )
        state = LineState(line, variant, ZERO, is_gift=True, gift=gift)
        # Price 0, so no VAT and no share of a coupon; the rate is the product's, as on
        # any line, for the order's record.
        state.pricing = PricingLine(
            unit_price=ZERO,
            quantity=gift.quantity,
            vat_rate=variant.product.vat_rate,
            discountable=False,
        )
        states.append(state)
    return states


def _apply_coupon(priced: list[LineState], code, user, email, now, coupon) -> CouponCheck | None:
    """Checks the coupon against the promoted line totals and marks the lines it discounts."""
    if not code and coupon is None:
        return None
    # Coupons apply per product (services.coupons): a product's variants count together.
    line_totals: dict[int, Decimal] = {}
    unpromoted: set[int] = set()
    for state in priced:
        product_id = state.variant.product_id
        line_totals[product_id] = line_totals.get(product_id, 0) + state.pricing.line_total
        if state.promotion is None:
            unpromoted.add(product_id)
    check = check_coupon(
        code,
        line_totals=line_totals,
        user=user,
        email=email,
        now=now,
        coupon=coupon,
        unpromoted_product_ids=unpromoted,
    )
    combines = check.coupon is None or check.coupon.combines_with_promotions
    for state in priced:
        state.pricing.discountable = state.variant.product_id in check.eligible_product_ids and (
            combines or state.promotion is None
        )
    return check


def link_lines(summary: CartSummary, request) -> CartSummary:
    """Sets what showing the lines needs: each line's `thumbnail` (`add_thumbnails`) and
    `url`, its variant on the product page (`?variant=<SKU>`), for the lines whose product
    is live. The shop's URL is looked up once, not per line."""
    add_thumbnails(summary.lines)
    shop = ShopPage.for_request(request)
    base = shop.get_url(request=request) if shop is not None else None
    if base is None:
        return summary
    for state in summary.lines:
        product = state.product
        if product is not None and product.live:
            state.url = shop.with_variant(base + shop.product_subpath(product), state.sku)
    return summary


_PAGE_SUMMARY = "_storefront_cart_page_summary"


def page_summary(request, cart: Cart, *, email: str | None = None) -> CartSummary:
    """The cart priced (`summarize`) and linked (`link_lines`) for this request's page, once
    per request: the page and the header's mini-cart then show the same figures from the
    same queries. `email` is the checkout's e-mail (coupon limits per address); the
    signed-in shopper's, or none, by default."""
    remembered = getattr(request, _PAGE_SUMMARY, None)
    if remembered is not None and remembered[0] == cart.pk:
        return remembered[1]
    if email is None:
        user = request.user
        email = user.email if user.is_authenticated else ""
    summary = link_lines(summarize(cart, user=request.user, email=email), request)
    setattr(request, _PAGE_SUMMARY, (cart.pk, summary))
    return summary


def summary_priced_on(request) -> CartSummary | None:
    """The summary `page_summary` already made on this request, if any."""
    remembered = getattr(request, _PAGE_SUMMARY, None)
    return remembered[1] if remembered is not None else None


def continue_shopping_url(request) -> str:
    """Where "Continue shopping" leads: the site's shop page, else its home page."""
    shop = ShopPage.for_request(request)
    return (shop.get_url(request=request) if shop is not None else None) or "/"


def add_thumbnails(states: list[LineState]) -> None:
    """Sets each line's `thumbnail`: the first of its variant's pictures in gallery order,
    else the product's first picture; None for a line without either. Three queries
    however many lines (variant pictures, galleries with their images, renditions), none
    for a cart without variants."""
    variants = [state.variant for state in states if state.variant is not None]
    if not variants:
        return
    gallery = ProductImage.objects.order_by("sort_order", "pk").select_related("image")
    prefetch_related_objects(
        variants,
        Prefetch("images", queryset=get_image_model().objects.only("pk"), to_attr="picked"),
        Prefetch("product__images", queryset=gallery, to_attr="gallery"),
        "product__gallery__image__renditions",
    )
    for state in states:
        if state.variant is None:
            continue
        pictures = state.variant.product.gallery
        picked = {image.pk for image in state.variant.picked}
        chosen = [picture for picture in pictures if picture.image_id in picked]
        state.thumbnail = (chosen or pictures or [None])[0]


# --- Free delivery -----------------------------------------------------------------


@dataclass(frozen=True)
class FreeDelivery:
    """How far the cart is from free delivery by `method`."""

    method: DeliveryMethod
    remaining: Decimal  # 0: reached

    @property
    def reached(self) -> bool:
        return self.remaining <= ZERO


def free_delivery(summary: CartSummary, methods=None) -> FreeDelivery | None:
    """What the cart still needs for free delivery, or None when no threshold applies.

    The threshold is the chosen method's, if the cart has an active one (None if that one
    has no threshold or is free anyway); else the lowest threshold among the active
    methods (`methods`, the active ones if not given). It counts what pricing counts
    (`pricing.calculate`): the products at promoted prices, gifts at 0, after the coupon's
    discount, so the message and the delivery charge agree to the cent: exactly at the
    threshold is free.
    """
    chosen = summary.cart.delivery_method if summary.cart.delivery_method_id else None
    if chosen is not None and chosen.is_active:
        candidates = [chosen]
    else:
        candidates = list(DeliveryMethod.objects.active() if methods is None else methods)
    with_threshold = [method for method in candidates if method.has_free_threshold]
    if not with_threshold or summary.is_empty:
        return None
    method = min(with_threshold, key=lambda m: (m.free_from, m.sort_order, m.pk))
    goods = summary.totals.subtotal - summary.totals.discount
    return FreeDelivery(method, max(ZERO, round_money(method.free_from - goods)))


# --- What changed since the shopper last looked ----------------------------------


@dataclass(frozen=True)
class GiftChange:
    name: str
    quantity: int  # now (0: removed)
    was: int  # what the cart held (0: added)
    reason: str = ""  # why it was removed or cut

    @property
    def message(self) -> str:
        if not self.was:
            amount = f"{self.quantity} × " if self.quantity > 1 else ""
            return f"Gift added: {amount}{self.name}"
        if not self.quantity:
            return f"Gift removed: {self.name} ({self.reason})"
        return f"Gift changed: {self.quantity} × {self.name} instead of {self.was} ({self.reason})"


def gift_changes(summary: CartSummary, stored: list[CartLine]) -> list[GiftChange]:
    """How the gifts the promotions give now differ from the gift lines `stored` (what
    the shopper saw): added, removed or cut, each with its reason."""
    given = {(state.gift.promotion_id, state.variant.pk): state for state in summary.gift_lines}
    short = {(s.promotion_id, s.variant_id) for s in summary.gift_shortfalls}
    changes = []
    for line in stored:
        key = (line.promotion_id, line.variant_id)
        state = given.pop(key, None)
        quantity = state.quantity if state is not None else 0
        if quantity == line.quantity:
            continue
        if key in short:
            reason = "out of stock" if not quantity else "only so many are left"
        elif quantity < line.quantity:
            reason = "the promotion no longer applies"
        else:
            reason = "the promotion gives more"
        changes.append(GiftChange(line.product_name, quantity, line.quantity, reason))
    for state in given.values():
        changes.append(GiftChange(state.name, state.quantity, 0))
    return changes


def sync_gifts(cart: Cart, summary: CartSummary) -> list[str]:
    """Makes the cart's gift lines the gifts `summary` says the promotions give; returns
    what changed ("Gift added: Tote bag", "Gift removed: Tote bag (out of stock)").

    Under the cart's lock, and only if the cart's bought lines are still the ones
    `summary` priced: a change made meanwhile (another tab, an order placed from
    this cart) is priced and synced by the next view instead.
    """
    if not gift_changes(summary, summary.held_gifts):
        return []  # as read; no lock taken on every view for nothing
    priced = {(s.line.pk, s.line.variant_id, s.line.quantity) for s in summary.bought_lines}
    with transaction.atomic():
        if locks.lock_cart(cart.pk) is None:
            return []
        lines = list(cart.lines.all())
        bought = {(line.pk, line.variant_id, line.quantity) for line in lines if not line.is_gift}
        if bought != priced:
            return []
        stored = [line for line in lines if line.is_gift]
        changes = gift_changes(summary, stored)
        if not changes:
            return []
        by_key = {(line.promotion_id, line.variant_id): line for line in stored}
        for state in summary.gift_lines:
            line = by_key.pop((state.gift.promotion_id, state.variant.pk), None)
            if line is None:
                line = state.line
                line.pk = None
                line.quantity = state.quantity
                line.save()
            elif line.quantity != state.quantity:
                line.quantity = state.quantity
                line.save(update_fields=["quantity"])
            state.line = line
        CartLine.objects.filter(pk__in=[line.pk for line in by_key.values()]).delete()
        cart.save(update_fields=["updated_at"])
    return [change.message for change in changes]


def line_change(state: LineState) -> str:
    """What changed on a bought line since the shopper saw it: its promotion, its price."""
    seen = state.line.promotion  # the promotion whose price the shopper last saw
    now = state.promotion
    price = ""
    if state.price_changed:
        price = f"the price changed from {state.line.unit_price} to {state.current_price}"
    if now is not None and now.promotion_id != state.line.promotion_id:
        told = f"Promotion applied: {now.promotion_name} on {state.name}"
        return f"{told}; {price}." if price else f"{told}."
    if now is None and seen is not None:
        told = f"Promotion ended: {seen.name} no longer applies to {state.name}"
        return f"{told}; {price}." if price else f"{told}."
    if price:
        return f"The price of {state.name} {price.removeprefix('the price ')}."
    return ""


def acknowledge_changes(summary: CartSummary) -> list[str]:
    """What changed since the shopper last saw the cart; remembers what they see now.

    Called when the cart or a checkout step is shown. A price or promotion change
    is reported once and the line then carries the new price and promotion, so the
    shopper is never charged a price they were not shown; the gift lines are made
    the promotions' gifts (`sync_gifts`). A line with a problem keeps its promotion
    until the shopper fixes it: what it costs then is told then.
    """
    changes = []
    seen = {}
    for state in summary.bought_lines:
        if state.problem and state.line.promotion_id is not None:
            continue
        change = line_change(state)
        if not change:
            continue
        changes.append(change)
        promotion_id = state.promotion.promotion_id if state.promotion else None
        state.line.unit_price = state.current_price
        state.line.promotion_id = promotion_id
        seen[state.line.pk] = (state.current_price, promotion_id)
    if seen:
        with transaction.atomic():
            locks.lock_cart(summary.cart.pk)
            # A filtered update, not save(): an order placed since the cart was read
            # has taken these lines away, and there is nothing left to remember.
            for line_id, (price, promotion_id) in seen.items():
                CartLine.objects.filter(pk=line_id).update(
                    unit_price=price, promotion_id=promotion_id
                )
    changes += sync_gifts(summary.cart, summary)
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
        # Gifts are the promotions' to give: the next view gives the merged cart its own.
        guest.lines.filter(is_gift=True).delete()
        bought = cart.lines.filter(variant__isnull=False, is_gift=False)
        existing = {line.variant_id: line for line in bought}
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
