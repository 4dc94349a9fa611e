"""A price the storefront announces is the price the cart charges: both come from
`pricing.promotions.reward_unit_price`, whatever the rounding."""

from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from commerce.services.catalog.promotion_offers import promoted_price
from commerce.services.pricing.promotions import (
    CartItem,
    ConditionRule,
    PromotionRule,
    RewardRule,
    evaluate,
)

cents = st.integers(min_value=1, max_value=10**7).map(lambda n: Decimal(n) / 100)
percents = st.integers(min_value=1, max_value=10000).map(lambda n: Decimal(n) / 100)


def announced_and_charged(price, compare_at, value_type, value, from_default):
    variant = SimpleNamespace(
        price=price,
        compare_at_price=compare_at,
        is_discounted=compare_at is not None and compare_at > price,
    )
    reward = SimpleNamespace(
        variant=variant,
        value_type=value_type,
        given_price=value if value_type == "fixed_price" else None,
        reward_value=None if value_type == "fixed_price" else value,
    )
    promotion = SimpleNamespace(start_using_default_price=from_default)
    announced = promoted_price(reward, promotion)

    rule = PromotionRule(
        id=1,
        name="P",
        short_code="p",
        start_using_default_price=from_default,
        conditions=(
            ConditionRule(
                id=1,
                threshold_min=Decimal(1),
                threshold_max=Decimal(0),
                measure="quantity",
                rewards=(
                    RewardRule(
                        id=1,
                        variant_id=7,
                        value_type=value_type,
                        given_price=reward.given_price,
                        reward_value=reward.reward_value,
                    ),
                ),
            ),
        ),
    )
    default = compare_at if variant.is_discounted else price
    item = CartItem(
        key=1,
        variant_id=7,
        product_id=1,
        category_paths=(),
        quantity=1,
        unit_price=price,
        default_price=default,
    )
    applied = evaluate([item], [rule]).lines.get(1)
    return announced, applied.unit_price if applied else None


def test_a_half_cent_rounds_the_same_way_on_the_page_and_in_the_cart():
    # 5 % of 0.10 is half a cent: the promoted price rounds back to 0.10, no reduction.
    assert announced_and_charged(Decimal("0.10"), None, "percent", Decimal(5), False) == (
        None,
        None,
    )
    # 10 % of 0.15 is 0.015: 0.135 rounds half up to 0.14 in both.
    assert announced_and_charged(Decimal("0.15"), None, "percent", Decimal(10), False) == (
        Decimal("0.14"),
        Decimal("0.14"),
    )


@given(
    price=cents,
    compare_at=st.one_of(st.none(), cents),
    kind=st.sampled_from(["fixed_price", "percent", "amount"]),
    value=st.one_of(cents, percents),
    from_default=st.booleans(),
)
def test_the_announced_price_is_the_charged_price(price, compare_at, kind, value, from_default):
    if kind == "percent":
        value = min(value, Decimal(100))
    announced, charged = announced_and_charged(price, compare_at, kind, value, from_default)
    assert announced == charged
