"""Cart totals: the one place money is added up and rounded.

Prices are gross (VAT included), as shoppers see them. Every amount that
leaves this module has gone through `round_money` exactly once: line totals
are exact (cents × whole units), a percentage discount is rounded once and
then shared out over the eligible lines so the shares add up to it to the
cent, and the VAT contained is summed exactly and rounded at the end.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def round_money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class PricingLine:
    """One line as pricing sees it; built from a cart line or an API request."""

    unit_price: Decimal
    quantity: int
    vat_rate: Decimal
    discountable: bool = True  # in the coupon's scope
    line_total: Decimal = ZERO
    discount: Decimal = ZERO

    def __post_init__(self):
        self.line_total = round_money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class DiscountRule:
    """What a valid coupon takes off: `percent` or a fixed `amount`."""

    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class DeliveryRule:
    price: Decimal
    free_from: Decimal | None
    vat_rate: Decimal


@dataclass
class Totals:
    lines: list[PricingLine]
    subtotal: Decimal
    discount: Decimal
    delivery: Decimal | None  # None: no delivery method chosen yet
    delivery_vat_rate: Decimal
    vat_total: Decimal
    grand_total: Decimal

    @property
    def is_free_delivery(self):
        return self.delivery is not None and self.delivery == ZERO


def discount_for(rule: DiscountRule | None, eligible_total: Decimal) -> Decimal:
    """Never more than what it applies to, never negative."""
    if rule is None or eligible_total <= 0:
        return ZERO
    if rule.percent is not None:
        wanted = round_money(eligible_total * rule.percent / HUNDRED)
    else:
        wanted = round_money(rule.amount or ZERO)
    return max(ZERO, min(wanted, eligible_total))


def share_out(discount: Decimal, lines: list[PricingLine]) -> None:
    """Splits the discount over the eligible lines in proportion to their totals.

    Shares are whole cents; the cents lost to rounding go to the largest
    remainders, so the shares add up to the discount exactly.
    """
    eligible = [line for line in lines if line.discountable and line.line_total > 0]
    for line in lines:
        line.discount = ZERO
    if discount <= 0 or not eligible:
        return
    base = sum(line.line_total for line in eligible)
    cents = int(discount / CENT)
    exact = [line.line_total * cents / base for line in eligible]
    floors = [int(value) for value in exact]
    leftover = cents - sum(floors)
    by_remainder = sorted(
        range(len(eligible)), key=lambda i: (exact[i] - floors[i], -i), reverse=True
    )
    for i in by_remainder[:leftover]:
        floors[i] += 1
    for line, share in zip(eligible, floors, strict=True):
        line.discount = share * CENT


def vat_contained(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside a gross amount, unrounded."""
    return gross * rate / (HUNDRED + rate) if rate else Decimal(0)


def net_of(gross: Decimal, rate: Decimal) -> Decimal:
    """A gross amount without its VAT, rounded to the cent as `calculate` rounds VAT."""
    return round_money(gross - vat_contained(gross, rate))


def calculate(
    lines: list[PricingLine],
    discount_rule: DiscountRule | None = None,
    delivery_rule: DeliveryRule | None = None,
) -> Totals:
    subtotal = sum((line.line_total for line in lines), ZERO)
    eligible_total = sum((line.line_total for line in lines if line.discountable), ZERO)
    discount = discount_for(discount_rule, eligible_total)
    share_out(discount, lines)
    goods = subtotal - discount

    delivery = None
    delivery_vat_rate = ZERO
    if delivery_rule is not None:
        delivery_vat_rate = delivery_rule.vat_rate
        is_free = delivery_rule.free_from is not None and goods >= delivery_rule.free_from
        delivery = ZERO if is_free or not lines else round_money(delivery_rule.price)

    vat = sum(
        (vat_contained(line.line_total - line.discount, line.vat_rate) for line in lines),
        Decimal(0),
    )
    if delivery:
        vat += vat_contained(delivery, delivery_vat_rate)
    return Totals(
        lines=lines,
        subtotal=subtotal,
        discount=discount,
        delivery=delivery,
        delivery_vat_rate=delivery_vat_rate,
        vat_total=round_money(vat),
        grand_total=goods + (delivery or ZERO),
    )
