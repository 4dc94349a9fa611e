"""The pricing service: totals, discounts, delivery and VAT, on their edges and by property."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.services.pricing import (
    DeliveryRule,
    DiscountRule,
    PricingLine,
    calculate,
    round_money,
    share_out,
)

D = Decimal


def line(price, quantity=1, vat="23", discountable=True):
    return PricingLine(
        unit_price=D(price),
        quantity=quantity,
        vat_rate=D(vat),
        discountable=discountable,
    )


def test_plain_totals_add_up_and_contain_vat():
    totals = calculate([line("12.30", 2), line("5.00", 1, vat="8")])
    assert totals.subtotal == D("29.60")
    assert totals.discount == D("0.00")
    assert totals.delivery is None
    assert totals.grand_total == D("29.60")
    # 24.60 gross at 23 % holds 4.60 VAT; 5.00 at 8 % holds 0.37037… → 4.97 together.
    assert totals.vat_total == D("4.97")


def test_percent_discount_is_rounded_once_half_up():
    totals = calculate([line("0.05", 1)], DiscountRule(percent=D("50")))
    assert totals.discount == D("0.03")  # 0.025 → 0.03, half up
    assert totals.grand_total == D("0.02")


def test_fixed_discount_never_exceeds_what_it_applies_to():
    totals = calculate(
        [line("30.00"), line("20.00", discountable=False)], DiscountRule(amount=D("45"))
    )
    assert totals.discount == D("30.00")
    assert totals.grand_total == D("20.00")


def test_discount_shares_add_up_to_the_discount_to_the_cent():
    lines = [line("0.01"), line("0.01"), line("0.01")]
    share_out(D("0.02"), lines)
    assert sorted(item.discount for item in lines) == [D("0"), D("0.01"), D("0.01")]
    assert sum(item.discount for item in lines) == D("0.02")


def test_delivery_is_free_from_the_threshold_after_discount():
    rule = DeliveryRule(price=D("9.99"), free_from=D("100.00"), vat_rate=D("23"))
    assert calculate([line("100.00")], None, rule).delivery == D("0.00")
    just_below = calculate([line("110.00")], DiscountRule(percent=D("10")), rule)
    assert just_below.discount == D("11.00")
    assert just_below.delivery == D("9.99")
    assert just_below.grand_total == D("108.99")


def test_delivery_vat_counts_towards_vat_contained():
    rule = DeliveryRule(price=D("12.30"), free_from=None, vat_rate=D("23"))
    totals = calculate([line("12.30")], None, rule)
    assert totals.vat_total == D("4.60")
    assert totals.grand_total == D("24.60")


def test_an_empty_cart_costs_nothing_even_with_a_delivery_method():
    rule = DeliveryRule(price=D("9.99"), free_from=None, vat_rate=D("23"))
    totals = calculate([], DiscountRule(amount=D("5")), rule)
    assert (totals.subtotal, totals.discount, totals.delivery, totals.grand_total) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )


money = st.decimals(min_value=D("0.00"), max_value=D("99999.99"), places=2, allow_nan=False)
rates = st.sampled_from([D("0"), D("5"), D("8"), D("23"), D("27")])
lines_strategy = st.lists(
    st.builds(
        lambda price, quantity, rate, eligible: PricingLine(
            unit_price=price, quantity=quantity, vat_rate=rate, discountable=eligible
        ),
        money,
        st.integers(min_value=1, max_value=99),
        rates,
        st.booleans(),
    ),
    max_size=12,
)
discounts = st.one_of(
    st.none(),
    st.builds(lambda p: DiscountRule(percent=p), st.decimals(min_value=0, max_value=100, places=2)),
    st.builds(lambda a: DiscountRule(amount=a), money),
)
deliveries = st.one_of(
    st.none(),
    st.builds(DeliveryRule, money, st.one_of(st.none(), money), rates),
)


@settings(max_examples=300, deadline=None)
@given(lines_strategy, discounts, deliveries)
def test_totals_hold_their_invariants(lines, discount, delivery):
    totals = calculate(lines, discount, delivery)
    eligible = sum((item.line_total for item in lines if item.discountable), D("0"))
    assert totals.grand_total >= 0
    assert 0 <= totals.discount <= eligible <= totals.subtotal
    assert sum((item.discount for item in lines), D("0")) == totals.discount
    assert all(0 <= item.discount <= item.line_total for item in lines)
    assert totals.grand_total == totals.subtotal - totals.discount + (totals.delivery or 0)
    assert 0 <= totals.vat_total <= totals.grand_total
    for amount in (totals.subtotal, totals.discount, totals.vat_total, totals.grand_total):
        assert amount == round_money(amount)  # every figure is whole cents
