"""The promotion engine (`services.pricing.promotions.evaluate`): every rule at its edges,
then its invariants by property. Pure Python: no database."""

import random
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.services.pricing import PricingLine, calculate, round_money
from commerce.services.pricing.promotions import (
    CartItem,
    ConditionRule,
    PromotionRule,
    RewardRule,
    evaluate,
    gift_variant_ids,
)

D = Decimal
_ids = iter(range(1000, 10**9))

PAN, LID, TOTE, MUG = 1, 2, 3, 4


def item(
    variant=PAN,
    quantity=1,
    price="10.00",
    *,
    key=None,
    product=None,
    paths=(),
    default=None,
    bulk=1,
):
    return CartItem(
        key=key if key is not None else variant,
        variant_id=variant,
        product_id=product if product is not None else variant * 100,
        category_paths=tuple(paths),
        quantity=quantity,
        unit_price=D(price),
        default_price=D(default if default is not None else price),
        units_per_bulk=D(bulk),
    )


def fixed(variant, price):
    return RewardRule(next(_ids), variant, "fixed_price", given_price=D(price))


def percent(variant, value):
    return RewardRule(next(_ids), variant, "percent", reward_value=D(value))


def amount(variant, value):
    return RewardRule(next(_ids), variant, "amount", reward_value=D(value))


def gift(variant, quantity=1, name="Tote bag"):
    return RewardRule(next(_ids), variant, "gift", quantity=quantity, variant_name=name)


def cond(
    *rewards, min=1, max=0, measure="quantity", variants=(), products=(), paths=(), chosen=None
):
    is_chosen = chosen if chosen is not None else bool(variants or products or paths)
    return ConditionRule(
        id=next(_ids),
        threshold_min=D(min),
        threshold_max=D(max),
        measure=measure,
        rewards=tuple(rewards),
        qualifying="chosen" if is_chosen else "rewards",
        variant_ids=frozenset(variants),
        product_ids=frozenset(products),
        category_paths=tuple(paths),
    )


def promo(*conditions, id=None, start=None, name=None, **flags):
    pid = id if id is not None else next(_ids)
    return PromotionRule(
        id=pid,
        name=name or f"Promotion {pid}",
        short_code=f"p-{pid}",
        conditions=tuple(conditions),
        start=start,
        **flags,
    )


def price_of(result, key=PAN):
    line = result.lines.get(key)
    return line.unit_price if line else None


def gifts_of(result):
    return {(g.variant_id): g.quantity for g in result.gifts}


# --- Thresholds -----------------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "expected"), [(9, None), (10, D("5.00")), (11, D("5.00"))])
def test_a_fixed_price_applies_from_threshold_min(quantity, expected):
    rule = promo(cond(fixed(PAN, "5.00"), min=10))
    result = evaluate([item(PAN, quantity, "7.00")], [rule])
    assert price_of(result) == expected
    if expected:
        line = result.lines[PAN]
        assert line.reason == "5.00 each from 10 pieces"
        assert line.regular_unit_price == D("7.00")
        assert (line.promotion_id, line.condition_id) == (rule.id, rule.conditions[0].id)


@pytest.mark.parametrize(("quantity", "expected"), [(20, D("5.00")), (21, None)])
def test_threshold_max_is_the_last_quantity_that_qualifies(quantity, expected):
    rule = promo(cond(fixed(PAN, "5.00"), min=10, max=20))
    result = evaluate([item(PAN, quantity, "7.00")], [rule])
    assert price_of(result) == expected
    if expected:
        assert result.lines[PAN].reason == "5.00 each from 10 to 20 pieces"


def test_threshold_max_zero_is_no_upper_limit():
    rule = promo(cond(fixed(PAN, "5.00"), min=10, max=0))
    assert price_of(evaluate([item(PAN, 1_000_000, "7.00")], [rule])) == D("5.00")


def test_nothing_qualifying_never_holds_even_a_zero_threshold():
    rule = promo(cond(gift(TOTE), min=0))
    assert evaluate([item(PAN, 3)], [rule]).gifts == []
    assert evaluate([], [rule]).gifts == []


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(
    ("quantity", "expected"), [(9, None), (10, "5.00"), (49, "5.00"), (50, "4.50")]
)
def test_tiers_the_highest_threshold_reached_applies(quantity, expected, reverse):
    tiers = [cond(fixed(PAN, "5.00"), min=10), cond(fixed(PAN, "4.50"), min=50)]
    rule = promo(*(reversed(tiers) if reverse else tiers))
    result = evaluate([item(PAN, quantity, "7.00")], [rule])
    assert price_of(result) == (D(expected) if expected else None)


def test_a_tie_between_tiers_goes_to_the_first_condition():
    first, second = cond(gift(TOTE, 1), min=10), cond(gift(TOTE, 2), min=10)
    # Both count the tote's lines ("rewards"): one ladder, one applies.
    result = evaluate([item(TOTE, 10)], [promo(first, second)])
    assert [(g.condition_id, g.quantity) for g in result.gifts] == [(first.id, 1)]


def test_a_lower_tier_beyond_its_max_gives_way_to_the_next():
    rule = promo(cond(fixed(PAN, "5.00"), min=10, max=19), cond(fixed(PAN, "4.00"), min=30))
    assert price_of(evaluate([item(PAN, 25, "7.00")], [rule])) is None
    assert price_of(evaluate([item(PAN, 19, "7.00")], [rule])) == D("5.00")


def test_conditions_that_count_different_lines_apply_side_by_side():
    rule = promo(cond(fixed(PAN, "5.00"), min=10), cond(fixed(LID, "2.00"), min=3))
    result = evaluate([item(PAN, 10, "7.00"), item(LID, 3, "3.00")], [rule])
    assert (price_of(result, PAN), price_of(result, LID)) == (D("5.00"), D("2.00"))


# --- Multiplied rewards and bulk units ------------------------------------------------------


@pytest.mark.parametrize(("quantity", "gifts"), [(9, 0), (10, 1), (29, 2), (30, 3), (31, 3)])
def test_multiply_reward_gives_the_gift_once_per_whole_threshold(quantity, gifts):
    rule = promo(cond(gift(TOTE), min=10, products=[PAN * 100]), multiply_reward=1)
    result = evaluate([item(PAN, quantity)], [rule])
    assert gifts_of(result).get(TOTE, 0) == gifts
    if gifts:
        assert result.gifts[0].reason == "1 free per 10 pieces"


@pytest.mark.parametrize("quantity", [10, 30, 31])
def test_without_multiply_reward_the_gift_comes_once(quantity):
    rule = promo(cond(gift(TOTE, 2), min=10, products=[PAN * 100]))
    result = evaluate([item(PAN, quantity)], [rule])
    assert gifts_of(result) == {TOTE: 2}
    assert result.gifts[0].reason == "Free with 10 or more"


@pytest.mark.parametrize(
    ("quantity", "unit"), [(9, "7.00"), (10, "6.00"), (29, "5.00"), (30, "4.00")]
)
def test_a_multiplied_amount_comes_off_each_unit_once_per_threshold(quantity, unit):
    rule = promo(cond(amount(PAN, "1.00"), min=10), multiply_reward=1)
    result = evaluate([item(PAN, quantity, "7.00")], [rule])
    assert (price_of(result) or D("7.00")) == D(unit)
    if quantity == 30:
        assert result.lines[PAN].reason == "3.00 off each: 1.00 per 10 pieces"


def test_a_multiplied_amount_stops_at_zero():
    rule = promo(cond(amount(PAN, "3.00"), min=1), multiply_reward=1)
    assert price_of(evaluate([item(PAN, 5, "7.00")], [rule])) == D("0.00")


@pytest.mark.parametrize(
    ("cumulative", "quantity", "applies"),
    [
        (True, 1, False),
        (True, 2, True),
        (False, 2, False),
        (False, 48, True),
    ],
)
def test_cumulative_units_count_bulk_packages(cumulative, quantity, applies):
    rule = promo(cond(fixed(PAN, "5.00"), min=48), calculate_using_cumulative_units=cumulative)
    result = evaluate([item(PAN, quantity, "7.00", bulk=24)], [rule])
    assert (PAN in result.lines) is applies
    if applies and cumulative:
        assert result.lines[PAN].reason == "5.00 each from 48 units"


def test_cumulative_units_multiply_by_packages():
    rule = promo(
        cond(gift(TOTE), min=24, products=[PAN * 100]),
        calculate_using_cumulative_units=True,
        multiply_reward=1,
    )
    assert gifts_of(evaluate([item(PAN, 3, bulk="12")], [rule])) == {TOTE: 1}
    assert gifts_of(evaluate([item(PAN, 4, bulk="12")], [rule])) == {TOTE: 2}


# --- Value thresholds -----------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "applies"), [(9, False), (10, True)])
def test_a_value_threshold_counts_regular_prices(quantity, applies):
    rule = promo(cond(percent(PAN, "10"), min="100.00", measure="value"))
    result = evaluate([item(PAN, quantity, "10.00")], [rule])
    assert (PAN in result.lines) is applies
    if applies:
        assert result.lines[PAN].reason == "10% off from 100.00"
        assert result.lines[PAN].unit_price == D("9.00")


@pytest.mark.parametrize(
    ("flag", "quantity", "applies"),
    [
        (False, 11, True),
        (True, 11, False),
        (True, 12, True),
    ],
)
def test_use_promotion_price_for_threshold_counts_the_promoted_prices(flag, quantity, applies):
    # 11 × 10.00 = 110.00 regular, 11 × 9.00 = 99.00 promoted; 12 × 9.00 = 108.00.
    rule = promo(
        cond(percent(PAN, "10"), min="100.00", measure="value"),
        use_promotion_price_for_threshold=flag,
    )
    assert (PAN in evaluate([item(PAN, quantity, "10.00")], [rule]).lines) is applies


def test_a_value_threshold_at_promotion_prices_counts_other_lines_at_regular_prices():
    rule = promo(
        cond(fixed(PAN, "5.00"), min="50.00", measure="value", products=[PAN * 100, LID * 100]),
        use_promotion_price_for_threshold=True,
    )
    # 4 pans at 5.00 (20.00) + 3 lids at 10.00 (30.00) = 50.00 exactly.
    result = evaluate([item(PAN, 4, "7.00"), item(LID, 3, "10.00")], [rule])
    assert price_of(result) == D("5.00")
    result = evaluate([item(PAN, 4, "7.00"), item(LID, 2, "10.00")], [rule])
    assert price_of(result) is None


@pytest.mark.parametrize(
    ("flag", "pct", "expected"),
    [
        (False, "10", "7.20"),
        (True, "10", None),
        (True, "25", "7.50"),
        (True, "30", "7.00"),
    ],
)
def test_start_using_default_price_takes_percentages_off_the_compare_at_price(flag, pct, expected):
    # Price 8.00, compare-at 10.00: 10 % off 10.00 is 9.00, above the price: not applied.
    rule = promo(cond(percent(PAN, pct)), start_using_default_price=flag)
    result = evaluate([item(PAN, 1, "8.00", default="10.00")], [rule])
    assert price_of(result) == (D(expected) if expected else None)


def test_start_using_default_price_for_an_amount():
    rule = promo(cond(amount(PAN, "2.50")), start_using_default_price=True)
    assert price_of(evaluate([item(PAN, 1, "8.00", default="10.00")], [rule])) == D("7.50")


# --- Reward kinds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "pct", "expected"),
    [
        ("9.99", "15", "8.49"),  # 8.4915
        ("0.05", "50", "0.03"),  # 0.025, half up
        ("0.01", "50", None),  # 0.005 → 0.01: no change, not applied
        ("19.99", "100", "0.00"),
        ("19.99", "150", "0.00"),
        ("10.00", "12.5", "8.75"),
    ],
)
def test_percent_rounds_half_up_to_the_cent_per_unit(price, pct, expected):
    result = evaluate([item(PAN, 3, price)], [promo(cond(percent(PAN, pct)))])
    assert price_of(result) == (D(expected) if expected else None)


def test_a_percentage_reason_reads_without_trailing_zeros():
    result = evaluate([item(PAN, 1, "10.00")], [promo(cond(percent(PAN, "12.50")))])
    assert result.lines[PAN].reason == "12.5% off from 1 piece"


@pytest.mark.parametrize(
    ("value", "expected"), [("2.00", "5.00"), ("7.00", "0.00"), ("9.00", "0.00")]
)
def test_an_amount_comes_off_each_unit_never_below_zero(value, expected):
    result = evaluate([item(PAN, 2, "7.00")], [promo(cond(amount(PAN, value)))])
    assert price_of(result) == D(expected)
    assert result.lines[PAN].reason == f"{D(value):.2f} off each from 1 piece"


@pytest.mark.parametrize("given_price", ["7.00", "8.00"])
def test_a_fixed_price_not_below_the_regular_one_is_not_applied(given_price):
    assert evaluate([item(PAN, 10, "7.00")], [promo(cond(fixed(PAN, given_price)))]).lines == {}


def test_a_negative_reduction_never_raises_a_price():
    rule = promo(cond(amount(PAN, "-3.00"), percent(PAN, "-10")))
    assert evaluate([item(PAN, 1, "7.00")], [rule]).lines == {}


def test_a_reward_only_changes_its_own_variant():
    rule = promo(cond(fixed(PAN, "5.00"), min=1, products=[LID * 100]))
    result = evaluate([item(PAN, 1, "7.00"), item(LID, 1, "3.00")], [rule])
    assert set(result.lines) == {PAN}


def test_every_line_of_the_reward_variant_gets_the_price():
    # The API may send one variant on two lines: both are priced alike.
    rule = promo(cond(fixed(PAN, "5.00"), min=10))
    result = evaluate([item(PAN, 6, "7.00", key="a"), item(PAN, 4, "7.00", key="b")], [rule])
    assert {k: v.unit_price for k, v in result.lines.items()} == {"a": D("5.00"), "b": D("5.00")}


def test_savings_and_unit_price_read_the_result():
    rule = promo(cond(fixed(PAN, "5.00"), min=2))
    items = [item(PAN, 3, "7.00"), item(LID, 1, "3.00")]
    result = evaluate(items, [rule])
    assert result.savings(items) == D("6.00")
    assert [result.unit_price(i) for i in items] == [D("5.00"), D("3.00")]


# --- Gifts and stock ------------------------------------------------------------------------


def test_buy_three_get_a_fourth_free_counts_the_gift_variants_own_lines():
    rule = promo(cond(gift(TOTE), min=3))
    assert evaluate([item(TOTE, 2)], [rule]).gifts == []
    [given] = evaluate([item(TOTE, 3)], [rule]).gifts
    assert (given.variant_id, given.quantity, given.reason) == (TOTE, 1, "Free with 3 or more")
    assert given.variant_name == "Tote bag"


def test_a_value_gift_reason_names_the_amount():
    rule = promo(cond(gift(TOTE), min="100", measure="value", products=[PAN * 100]))
    [given] = evaluate([item(PAN, 10)], [rule]).gifts
    assert given.reason == "Free with 100.00 or more"


@pytest.mark.parametrize(
    ("stock", "given", "message"),
    [
        (5, 3, None),
        (3, 3, None),
        (2, 2, "Tote bag: only 2 of the 3 free units are left."),
        (0, 0, "Tote bag: the free gift is out of stock."),
    ],
)
def test_gifts_are_cut_to_stock_and_the_cut_is_told(stock, given, message):
    rule = promo(cond(gift(TOTE, 3), products=[PAN * 100]))
    result = evaluate([item(PAN, 1)], [rule], gift_stock={TOTE: stock})
    assert gifts_of(result).get(TOTE, 0) == given
    assert [s.message for s in result.gift_shortfalls] == ([message] if message else [])
    if message:
        [short] = result.gift_shortfalls
        assert (short.wanted, short.given, short.variant_id) == (3, given, TOTE)


def test_unlimited_stock_when_none_is_given_and_none_when_the_variant_is_missing():
    rule = promo(cond(gift(TOTE, 3), products=[PAN * 100]))
    assert gifts_of(evaluate([item(PAN, 1)], [rule], gift_stock=None)) == {TOTE: 3}
    assert gifts_of(evaluate([item(PAN, 1)], [rule], gift_stock={})) == {}


def test_the_carts_own_bought_units_come_before_gifts():
    rule = promo(cond(gift(TOTE, 2), products=[PAN * 100]))
    result = evaluate([item(PAN, 1), item(TOTE, 3)], [rule], gift_stock={TOTE: 4})
    assert gifts_of(result) == {TOTE: 1}


def test_scarce_gifts_go_to_the_earlier_promotion_whatever_the_order():
    early = promo(cond(gift(TOTE, 2), products=[PAN * 100]), start=datetime(2026, 1, 1, tzinfo=UTC))
    late = promo(cond(gift(TOTE, 2), products=[PAN * 100]), start=datetime(2026, 2, 1, tzinfo=UTC))
    for order in ([early, late], [late, early]):
        result = evaluate([item(PAN, 1)], order, gift_stock={TOTE: 3})
        assert [(g.promotion_id, g.quantity) for g in result.gifts] == sorted(
            [(early.id, 2), (late.id, 1)]
        )
        assert [(s.promotion_id, s.given) for s in result.gift_shortfalls] == [(late.id, 1)]


@pytest.mark.parametrize(
    ("keep_same", "stock", "expected"),
    [
        (True, {TOTE: 10, MUG: 2}, {TOTE: 2, MUG: 2}),
        (False, {TOTE: 10, MUG: 2}, {TOTE: 3, MUG: 2}),
        (True, {TOTE: 10, MUG: 0}, {}),
        (False, {TOTE: 10, MUG: 0}, {TOTE: 3}),
        (True, {TOTE: 10, MUG: 10}, {TOTE: 3, MUG: 3}),
    ],
)
def test_keep_bundle_multiplayer_same_cuts_a_sets_gifts_alike(keep_same, stock, expected):
    rule = promo(
        cond(gift(TOTE), gift(MUG, name="Mug"), min=10, products=[PAN * 100]),
        multiply_reward=1,
        keep_bundle_multiplayer_same=keep_same,
    )
    result = evaluate([item(PAN, 30)], [rule], gift_stock=stock)
    assert gifts_of(result) == expected
    short = {s.variant_id: (s.wanted, s.given) for s in result.gift_shortfalls}
    assert short == {v: (3, expected.get(v, 0)) for v in (TOTE, MUG) if expected.get(v, 0) < 3}


def test_keep_bundle_same_counts_one_variant_given_twice_in_a_set():
    rule = promo(
        cond(gift(TOTE), gift(TOTE, 2), min=1, products=[PAN * 100]),
        keep_bundle_multiplayer_same=True,
    )
    assert gifts_of(evaluate([item(PAN, 1)], [rule], gift_stock={TOTE: 2})) == {}
    result = evaluate([item(PAN, 1)], [rule], gift_stock={TOTE: 3})
    assert sorted(g.quantity for g in result.gifts) == [1, 2]


def test_gifts_do_not_compete_each_promotion_gives_its_own():
    first = promo(cond(gift(TOTE), products=[PAN * 100]))
    second = promo(cond(gift(TOTE), gift(MUG, name="Mug"), products=[PAN * 100]))
    result = evaluate([item(PAN, 1)], [second, first])
    assert [(g.promotion_id, g.variant_id) for g in result.gifts] == sorted(
        [(first.id, TOTE), (second.id, TOTE), (second.id, MUG)]
    )
    assert gift_variant_ids([first, second]) == {TOTE, MUG}


# --- Several promotions on one line ---------------------------------------------------------


def test_the_lowest_price_wins_whatever_the_order():
    five = promo(cond(fixed(PAN, "5.00"), min=10), name="Five")
    ten_off = promo(cond(percent(PAN, "40")), name="Forty")  # 7.00 → 4.20
    for order in ([five, ten_off], [ten_off, five]):
        line = evaluate([item(PAN, 10, "7.00")], order).lines[PAN]
        assert (line.promotion_name, line.unit_price) == ("Forty", D("4.20"))


def test_a_tie_goes_to_the_earlier_start_then_the_lower_id():
    no_start = promo(cond(fixed(PAN, "5.00")), id=30)
    early = promo(cond(fixed(PAN, "5.00")), id=10, start=datetime(2026, 1, 1, tzinfo=UTC))
    same_early = promo(cond(fixed(PAN, "5.00")), id=5, start=datetime(2026, 1, 1, tzinfo=UTC))
    other = promo(cond(fixed(PAN, "5.00")), id=20, start=datetime(2026, 1, 1, tzinfo=UTC))
    items = [item(PAN, 1, "7.00")]
    assert evaluate(items, [early, no_start]).lines[PAN].promotion_id == 30
    assert evaluate(items, [no_start, early]).lines[PAN].promotion_id == 30
    assert evaluate(items, [other, early]).lines[PAN].promotion_id == 10
    assert evaluate(items, [early, same_early, other]).lines[PAN].promotion_id == 5


def test_within_one_promotion_the_lower_price_of_two_ladders_wins():
    rule = promo(
        cond(fixed(PAN, "6.00"), min=1),
        cond(fixed(PAN, "5.00"), min="50", measure="value", products=[PAN * 100]),
    )
    assert price_of(evaluate([item(PAN, 8, "7.00")], [rule])) == D("5.00")  # 56.00
    assert price_of(evaluate([item(PAN, 7, "7.00")], [rule])) == D("6.00")  # 49.00


# --- Qualifying lines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "applies"),
    [
        ({"products": [PAN * 100]}, True),
        ({"variants": [PAN]}, True),
        ({"variants": [LID]}, False),
        ({"paths": ["kitchen"]}, True),
        ({"paths": ["kitchen/pans"]}, True),
        ({"paths": ["kitchen/pans/steel"]}, False),
        ({"paths": ["kitch"]}, False),
        ({"paths": ["kitchenware"]}, False),
        ({"paths": ["garden", "kitchen"]}, True),
    ],
)
def test_chosen_targets_qualify_with_subcategories(kwargs, applies):
    rule = promo(cond(gift(TOTE), min=2, **kwargs))
    pans = item(PAN, 2, paths=["kitchen/pans"])
    assert bool(evaluate([pans], [rule]).gifts) is applies


def test_a_sibling_category_sharing_a_prefix_does_not_count():
    rule = promo(cond(gift(TOTE), min=3, paths=["kitchen"]))
    items = [item(PAN, 2, paths=["kitchen"]), item(LID, 1, paths=["kitchenware"])]
    assert evaluate(items, [rule]).gifts == []
    items = [item(PAN, 2, paths=["kitchen"]), item(LID, 1, paths=["kitchen/lids"])]
    assert gifts_of(evaluate(items, [rule])) == {TOTE: 1}


def test_a_product_in_an_additional_category_counts_once():
    rule = promo(cond(gift(TOTE), min=2, paths=["kitchen", "gifts"]))
    assert evaluate([item(PAN, 1, paths=["gifts", "kitchen/pans"])], [rule]).gifts == []


def test_chosen_targets_left_empty_qualify_nothing():
    rule = promo(cond(fixed(PAN, "5.00"), chosen=True))
    assert evaluate([item(PAN, 10, "7.00")], [rule]).lines == {}


def test_chosen_lines_across_products_add_up():
    rule = promo(cond(fixed(PAN, "5.00"), min=10, paths=["kitchen"]))
    items = [item(PAN, 6, "7.00", paths=["kitchen/pans"]), item(LID, 4, "3.00", paths=["kitchen"])]
    assert price_of(evaluate(items, [rule])) == D("5.00")


# --- Hints ----------------------------------------------------------------------------------


def test_a_hint_says_how_many_more_for_the_price():
    rule = promo(cond(fixed(PAN, "5.00"), min=10))
    [hint] = evaluate([item(PAN, 8, "7.00")], [rule]).hints
    assert (hint.promotion_id, hint.variant_id, hint.message) == (
        rule.id,
        PAN,
        "Buy 2 more for 5.00 each",
    )
    assert evaluate([item(PAN, 10, "7.00")], [rule]).hints == []


def test_a_hint_names_the_nearest_better_tier():
    rule = promo(cond(fixed(PAN, "5.00"), min=10), cond(fixed(PAN, "4.50"), min=50))
    assert [h.message for h in evaluate([item(PAN, 12, "7.00")], [rule]).hints] == [
        "Buy 38 more for 4.50 each"
    ]
    assert [h.message for h in evaluate([item(PAN, 3, "7.00")], [rule]).hints] == [
        "Buy 7 more for 5.00 each"
    ]


def test_a_value_hint_says_how_much_more_for_a_gift():
    rule = promo(cond(gift(TOTE), min="100", measure="value", products=[PAN * 100]))
    [hint] = evaluate([item(PAN, 1, "87.50")], [rule]).hints
    assert (hint.variant_id, hint.message) == (TOTE, "Add 12.50 more for a free Tote bag")


def test_no_hint_without_anything_qualifying_or_beyond_the_last_tier():
    rule = promo(cond(fixed(PAN, "5.00"), min=10, max=20))
    assert evaluate([item(LID, 8, "7.00")], [rule]).hints == []
    assert evaluate([item(PAN, 25, "7.00")], [rule]).hints == []


def test_no_hint_for_a_price_another_promotion_already_beats():
    near = promo(cond(fixed(PAN, "5.00"), min=10))
    better = promo(cond(fixed(PAN, "4.00")))
    assert evaluate([item(PAN, 8, "7.00")], [near, better]).hints == []


def test_a_hint_for_another_multiplied_gift():
    rule = promo(cond(gift(TOTE), min=10, products=[PAN * 100]), multiply_reward=1)
    [hint] = evaluate([item(PAN, 17)], [rule]).hints
    assert hint.message == "Buy 3 more for another free Tote bag"


@pytest.mark.parametrize(("stock", "hinted"), [(None, True), ({TOTE: 1}, True), ({TOTE: 0}, False)])
def test_no_hint_promises_a_gift_out_of_stock(stock, hinted):
    rule = promo(cond(gift(TOTE), min="100", measure="value", products=[PAN * 100]))
    result = evaluate([item(PAN, 1, "87.50")], [rule], gift_stock=stock)
    assert bool(result.hints) is hinted


@pytest.mark.parametrize(("stock", "hinted"), [({TOTE: 2}, True), ({TOTE: 1}, False)])
def test_no_hint_for_another_multiplied_gift_the_stock_cannot_give(stock, hinted):
    rule = promo(cond(gift(TOTE), min=10, products=[PAN * 100]), multiply_reward=1)
    result = evaluate([item(PAN, 17)], [rule], gift_stock=stock)
    assert gifts_of(result) == {TOTE: 1}
    assert bool(result.hints) is hinted


def test_a_bulk_hint_counts_units():
    rule = promo(cond(fixed(PAN, "5.00"), min=48), calculate_using_cumulative_units=True)
    [hint] = evaluate([item(PAN, 1, "7.00", bulk=24)], [rule]).hints
    assert hint.message == "Add 24 more units for 5.00 each"


# --- Properties -----------------------------------------------------------------------------

VARIANTS = [1, 2, 3, 4, 5]
PATHS = ["kitchen", "kitchen/pans", "kitchenware", "garden", "garden/tools"]
money = st.decimals(min_value=D("0.00"), max_value=D("500.00"), places=2)


@st.composite
def carts(draw):
    variants = draw(st.lists(st.sampled_from(VARIANTS), min_size=0, max_size=5, unique=True))
    return [
        CartItem(
            key=f"line-{variant}",
            variant_id=variant,
            product_id=variant * 100,
            category_paths=tuple(draw(st.lists(st.sampled_from(PATHS), max_size=2, unique=True))),
            quantity=draw(st.integers(1, 60)),
            unit_price=(price := draw(money)),
            default_price=price + draw(st.sampled_from([D("0"), D("0"), draw(money)])),
            units_per_bulk=draw(st.sampled_from([D(1), D(1), D(6), D("2.5")])),
        )
        for variant in variants
    ]


@st.composite
def rewards(draw):
    kind = draw(st.sampled_from(["fixed_price", "percent", "amount", "gift"]))
    return RewardRule(
        id=0,  # numbered by promotion_lists: ids are unique, as in the database
        variant_id=draw(st.sampled_from(VARIANTS)),
        value_type=kind,
        given_price=draw(money) if kind == "fixed_price" else None,
        reward_value=draw(st.decimals(0, 120, places=2)) if kind != "fixed_price" else None,
        quantity=draw(st.integers(1, 3)) if kind == "gift" else 0,
        variant_name="Gift",
    )


@st.composite
def conditions(draw):
    chosen = draw(st.booleans())
    measure = draw(st.sampled_from(["quantity", "value"]))
    low = draw(st.decimals(D("0.5"), D("300") if measure == "value" else D("40"), places=1))
    high = draw(st.sampled_from([D(0), low, low + draw(st.decimals(0, 100, places=1))]))
    return ConditionRule(
        id=0,  # numbered by promotion_lists
        threshold_min=low,
        threshold_max=high,
        measure=measure,
        rewards=tuple(draw(st.lists(rewards(), min_size=1, max_size=3))),
        qualifying="chosen" if chosen else "rewards",
        variant_ids=frozenset(draw(st.lists(st.sampled_from(VARIANTS), max_size=2)))
        if chosen
        else frozenset(),
        product_ids=frozenset(
            v * 100 for v in draw(st.lists(st.sampled_from(VARIANTS), max_size=2))
        )
        if chosen
        else frozenset(),
        category_paths=tuple(draw(st.lists(st.sampled_from(PATHS), max_size=2, unique=True)))
        if chosen
        else (),
    )


def _numbered(conditions, promotion_id):
    """Gives conditions and rewards ids unique across the drawn promotions."""
    return tuple(
        replace(
            condition,
            id=promotion_id * 100 + c,
            rewards=tuple(
                replace(reward, id=promotion_id * 10_000 + c * 100 + r)
                for r, reward in enumerate(condition.rewards, 1)
            ),
        )
        for c, condition in enumerate(conditions, 1)
    )


@st.composite
def promotion_lists(draw):
    count = draw(st.integers(0, 4))
    ids = draw(st.lists(st.integers(1, 50), min_size=count, max_size=count, unique=True))
    starts = [None, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)]
    return [
        PromotionRule(
            id=pid,
            name=f"P{pid}",
            short_code=f"p{pid}",
            conditions=_numbered(draw(st.lists(conditions(), min_size=1, max_size=3)), pid),
            start=draw(st.sampled_from(starts)),
            use_promotion_price_for_threshold=draw(st.booleans()),
            start_using_default_price=draw(st.booleans()),
            calculate_using_cumulative_units=draw(st.booleans()),
            multiply_reward=draw(st.integers(0, 1)),
            keep_bundle_multiplayer_same=draw(st.booleans()),
        )
        for pid in ids
    ]


stocks = st.one_of(
    st.none(), st.dictionaries(st.sampled_from(VARIANTS), st.integers(0, 12), max_size=5)
)


@given(carts(), promotion_lists(), stocks)
@settings(max_examples=120, deadline=None)
def test_prices_stay_between_zero_and_the_regular_price_in_whole_cents(items, promotions, stock):
    result = evaluate(items, promotions, gift_stock=stock)
    by_key = {i.key: i for i in items}
    for key, line in result.lines.items():
        assert D("0") <= line.unit_price < round_money(by_key[key].unit_price)
        assert line.unit_price == round_money(line.unit_price)
        assert line.regular_unit_price == by_key[key].unit_price
        assert by_key[key].variant_id in {
            r.variant_id
            for p in promotions
            if p.id == line.promotion_id
            for c in p.conditions
            for r in c.rewards
        }


def _upper_measure(promotion, condition, items):
    """A measure no lower than the engine's (promotion prices only lower a value)."""

    def qualifies(i):
        if condition.qualifying == "chosen":
            return (
                i.variant_id in condition.variant_ids
                or i.product_id in condition.product_ids
                or any(
                    p == b or p.startswith(b + "/")
                    for p in i.category_paths
                    for b in condition.category_paths
                )
            )
        return i.variant_id in {r.variant_id for r in condition.rewards}

    lines = [i for i in items if qualifies(i)]
    if condition.measure == "value":
        return sum((i.quantity * i.unit_price for i in lines), D(0))
    if promotion.calculate_using_cumulative_units:
        return sum((i.quantity * i.units_per_bulk for i in lines), D(0))
    return D(sum(i.quantity for i in lines))


@given(carts(), promotion_lists(), stocks)
@settings(max_examples=120, deadline=None)
def test_gifts_never_exceed_what_thresholds_and_stock_allow(items, promotions, stock):
    result = evaluate(items, promotions, gift_stock=stock)
    for g in result.gifts:
        promotion = next(p for p in promotions if p.id == g.promotion_id)
        condition = next(c for c in promotion.conditions if c.id == g.condition_id)
        reward = next(r for r in condition.rewards if r.id == g.reward_id)
        measure = _upper_measure(promotion, condition, items)
        assert measure >= condition.threshold_min and measure > 0
        times = int(measure // condition.threshold_min) if promotion.multiply_reward else 1
        assert 0 < g.quantity <= reward.quantity * max(times, 1)
    if stock is not None:
        given_by_variant = {}
        for g in result.gifts:
            given_by_variant[g.variant_id] = given_by_variant.get(g.variant_id, 0) + g.quantity
        for variant, units in given_by_variant.items():
            bought = sum(i.quantity for i in items if i.variant_id == variant)
            assert units <= max(0, stock.get(variant, 0) - bought)


@given(
    threshold=st.integers(1, 25),
    quantity=st.integers(1, 400),
    per=st.integers(1, 4),
    amount_off=st.decimals(D("0.01"), D("2.00"), places=2),
)
@settings(max_examples=300, deadline=None)
def test_multiplied_rewards_are_exact_at_every_boundary(threshold, quantity, per, amount_off):
    rule = promo(
        cond(gift(TOTE, per), amount(PAN, amount_off), min=threshold),
        cond(gift(MUG, per), min=threshold, products=[PAN * 100]),
        multiply_reward=1,
    )
    result = evaluate([item(PAN, quantity, "1000.00")], [rule])
    times = quantity // threshold
    # Two ladders: the pan's and tote's lines (the first condition's rewards), the pan's
    # product (the second); the cart holds pans only, so both count the same units.
    assert gifts_of(result).get(TOTE, 0) == per * times
    assert gifts_of(result).get(MUG, 0) == per * times
    expected = D("1000.00") - amount_off * times if times else None
    assert price_of(result) == expected


@given(carts(), promotion_lists(), stocks)
@settings(max_examples=100, deadline=None)
def test_the_best_single_promotion_wins_each_line(items, promotions, stock):
    result = evaluate(items, promotions, gift_stock=stock)
    for i in items:
        alone = [evaluate(items, [p]).unit_price(i) for p in promotions]
        assert result.unit_price(i) == min(alone + [i.unit_price])
        for p in promotions:
            assert (
                evaluate(items, [p]).unit_price(i) * i.quantity >= result.unit_price(i) * i.quantity
            )


@given(carts(), promotion_lists(), stocks, st.randoms(use_true_random=False))
@settings(max_examples=120, deadline=None)
def test_the_result_does_not_depend_on_line_or_promotion_order(items, promotions, stock, rnd):
    shuffled_items, shuffled_promotions = list(items), list(promotions)
    rnd.shuffle(shuffled_items)
    rnd.shuffle(shuffled_promotions)
    assert evaluate(items, promotions, gift_stock=stock) == evaluate(
        shuffled_items, shuffled_promotions, gift_stock=stock
    )


@given(carts(), promotion_lists(), st.sampled_from([None, D("10"), D("33.33")]))
@settings(max_examples=100, deadline=None)
def test_the_totals_identity_holds_through_calculate(items, promotions, coupon_percent):
    from commerce.services.pricing import DiscountRule

    result = evaluate(items, promotions)
    lines = [PricingLine(result.unit_price(i), i.quantity, D("23")) for i in items]
    lines += [PricingLine(D("0.00"), g.quantity, D("23")) for g in result.gifts]
    rule = DiscountRule(percent=coupon_percent) if coupon_percent else None
    totals = calculate(lines, rule)
    regular = sum((round_money(i.unit_price * i.quantity) for i in items), D("0"))
    assert totals.subtotal == regular - result.savings(items)
    assert totals.subtotal == sum((line.line_total for line in lines), D("0"))
    assert totals.grand_total == totals.subtotal - totals.discount
    assert D("0") <= totals.discount <= totals.subtotal
    assert sum((line.discount for line in lines), D("0")) == totals.discount


def test_a_shuffled_large_cart_prices_alike():
    """A fixed-seed example of the order property on a bigger cart than hypothesis draws."""
    rnd = random.Random(14)
    items = [
        item(v, rnd.randint(1, 40), f"{rnd.randint(1, 9999) / 100:.2f}", paths=[rnd.choice(PATHS)])
        for v in range(1, 51)
    ]
    rules = [
        promo(
            cond(fixed(v, "1.00"), min=rnd.randint(1, 30)),
            cond(gift(v + 1), min=5, paths=["kitchen"]),
        )
        for v in range(1, 51, 3)
    ]
    first = evaluate(items, rules, gift_stock={v: 3 for v in range(60)})
    rnd.shuffle(items)
    rnd.shuffle(rules)
    assert evaluate(items, rules, gift_stock={v: 3 for v in range(60)}) == first
    assert first.lines and first.gifts
