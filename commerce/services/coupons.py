"""Whether a coupon applies to a cart, and if not, why: the one validation function.

The cart page, the checkout and order placement all call `check_coupon`;
placement calls it again with the coupon row locked (services.locks.lock_coupon),
so usage limits hold however many shoppers race.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from commerce.inputs import normalise_email
from commerce.models import Category, Coupon, CouponKind, CouponRedemption, Product
from commerce.models.coupons import CouponScope, normalize_code

from .pricing import DiscountRule, round_money


@dataclass
class CouponCheck:
    coupon: Coupon | None
    ok: bool
    message: str = ""
    eligible_product_ids: set = field(default_factory=set)

    @property
    def rule(self) -> DiscountRule | None:
        if not self.ok:
            return None
        if self.coupon.kind == CouponKind.PERCENT:
            return DiscountRule(percent=self.coupon.value)
        return DiscountRule(amount=self.coupon.value)


def find_coupon(code: str) -> Coupon | None:
    code = normalize_code(code)
    if not code:
        return None
    return Coupon.objects.filter(code__iexact=code).first()


def eligible_products(coupon: Coupon, product_ids) -> set:
    """The products among `product_ids` the coupon discounts, as its scope says.

    A restricted coupon that has lost its targets discounts nothing: its scope,
    not the emptiness of its target lists, decides (see CouponScope)."""
    product_ids = set(product_ids)
    scope = CouponScope(coupon.scope)
    if scope == CouponScope.CART:
        return product_ids
    chosen = set()
    if scope.uses_products:
        chosen |= set(coupon.products.filter(pk__in=product_ids).values_list("pk", flat=True))
    targets = list(coupon.categories.only("slug_path")) if scope.uses_categories else []
    if targets:
        # The whole branch below each target, switched off or not: a product stays for
        # sale when its category leaves the storefront, and the coupon still covers it.
        in_category = Q()
        for target in targets:
            in_category |= target.descendants_q()
        categories = Category.objects.filter(in_category)
        chosen |= set(
            Product.objects.filter(pk__in=product_ids)
            .filter(Q(main_category__in=categories) | Q(additional_categories__in=categories))
            .values_list("pk", flat=True)
        )
    return chosen


def redemptions_by(coupon: Coupon, *, user=None, email="") -> int:
    who = Q()
    if user is not None and user.is_authenticated:
        who |= Q(user=user)
    if email:
        who |= Q(email=normalise_email(email))  # stored normalised (place_order)
    if not who:
        return 0
    return CouponRedemption.objects.filter(coupon=coupon).filter(who).count()


def check_coupon(
    code_or_coupon,
    *,
    line_totals: dict,
    user=None,
    email: str = "",
    now=None,
    coupon: Coupon | None = None,
    unpromoted_product_ids: set | None = None,
) -> CouponCheck:
    """`line_totals` maps product id → the total (Decimal) of the cart's lines of it: a
    product's variants count together, and a coupon for a product covers all of them.
    The totals are at the promoted prices: promotions come first, then the coupon.

    `unpromoted_product_ids`: the products with a line no promotion changed. A coupon
    that does not combine with promotions (`Coupon.combines_with_promotions`) is
    eligible only for those (and the cart marks only those lines discountable);
    None: nothing is promoted.

    The per-customer limit is checked for the signed-in user and, once the
    shopper has given it, their e-mail (so signing out does not reset it).
    """
    if coupon is None:
        coupon = (
            code_or_coupon if isinstance(code_or_coupon, Coupon) else find_coupon(code_or_coupon)
        )
    if coupon is None:
        return CouponCheck(None, False, "There is no coupon with this code.")
    now = now or timezone.now()

    def no(message):
        return CouponCheck(coupon, False, message)

    if not coupon.is_active:
        return no(f"The coupon {coupon.code} is no longer active.")
    if coupon.valid_from and now < coupon.valid_from:
        local = timezone.localtime(coupon.valid_from)
        return no(f"The coupon {coupon.code} is valid from {local:%Y-%m-%d %H:%M}.")
    if coupon.valid_until and now >= coupon.valid_until:
        return no(f"The coupon {coupon.code} has expired.")
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        return no(f"The coupon {coupon.code} has been used up.")
    if coupon.per_customer_limit is not None and (
        redemptions_by(coupon, user=user, email=email) >= coupon.per_customer_limit
    ):
        return no(f"You have already used the coupon {coupon.code} as often as it allows.")
    subtotal = sum(line_totals.values(), Decimal("0"))
    if coupon.min_cart_value is not None and subtotal < coupon.min_cart_value:
        missing = round_money(coupon.min_cart_value - subtotal)
        return no(
            f"The coupon {coupon.code} needs a cart of at least {coupon.min_cart_value}; "
            f"add {missing} more."
        )
    eligible = eligible_products(coupon, line_totals)
    if not eligible and not coupon.has_targets():
        return no(
            f"The coupon {coupon.code} no longer applies to any product: "
            "what it was for is no longer sold."
        )
    if not eligible:
        return no(f"The coupon {coupon.code} does not apply to any product in your cart.")
    if not coupon.combines_with_promotions and unpromoted_product_ids is not None:
        eligible &= set(unpromoted_product_ids)
        if not eligible:
            return no(
                f"The coupon {coupon.code} does not combine with promotions, and what it "
                "applies to in your cart is already on promotion."
            )
    return CouponCheck(coupon, True, "", eligible)
