"""Pricing: the one place money is computed.

`totals` adds up and rounds a cart (coupons, delivery, VAT); `promotions` decides
what promotions do to a cart's lines before that. `services.cart.summarize` runs
both, in that order: promotions first, then the coupon on the promoted prices.
"""

from .totals import (
    CENT,
    HUNDRED,
    ZERO,
    DeliveryRule,
    DiscountRule,
    PricingLine,
    Totals,
    calculate,
    discount_for,
    round_money,
    share_out,
    vat_contained,
)

__all__ = [
    "CENT",
    "HUNDRED",
    "ZERO",
    "DeliveryRule",
    "DiscountRule",
    "PricingLine",
    "Totals",
    "calculate",
    "discount_for",
    "round_money",
    "share_out",
    "vat_contained",
]
