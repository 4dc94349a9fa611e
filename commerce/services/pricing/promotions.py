"""The promotion engine: what running promotions do to a cart. Pure: no database.

`services.promotions.load_rules` turns the running promotions a shopper may get
into `PromotionRule`s (a fixed number of queries); `services.cart.summarize`
describes the cart's bought lines as `CartItem`s and calls `evaluate`. The API's
create-order and the benchmark call it the same way.

The rules (README, "Promotions: how the engine decides"):

- A condition holds when its measure of the qualifying lines is more than 0 and
  within [threshold_min, threshold_max] (threshold_max 0: no upper limit).
  - Qualifying lines: the lines of the condition's reward variants
    (`Qualifying.REWARDS`), or of the chosen variants, products and categories
    (with subcategories: a category path "kitchen" holds "kitchen" and
    "kitchen/pans", not "kitchenware").
  - Measure `quantity`: the sum of quantities, or with
    `calculate_using_cumulative_units` of quantity × units_per_bulk.
  - Measure `value`: the sum of quantity × regular unit price, or with
    `use_promotion_price_for_threshold` of quantity × the lowest price that
    condition's own price rewards give the line (an amount counted once, not
    multiplied); lines it gives no price count at their regular price.
- Tiers: a promotion's conditions that count the same lines the same way (same
  measure and same qualifying set) are tiers of one ladder; of those that hold,
  the one with the highest threshold_min applies (a tie: the first in order).
  Conditions that count different lines are separate ladders and apply side by
  side (10 pans at 5.00 each, and 3 lids at 2.00 each, in one promotion).
- Rewards of an applied condition:
  - the multiplier is 1, or with `multiply_reward` the number of whole
    thresholds reached: floor(measure / threshold_min) (30 units at a
    threshold of 10: 3; 29: 2);
  - fixed price: each unit of the reward variant's lines costs `given_price`;
  - percent: `reward_value` % off the start price, rounded half up to the cent
    per unit (above 100 %: 100 %);
  - amount: `reward_value` × the multiplier off each unit of the start price;
  - the start price is the line's regular unit price, or with
    `start_using_default_price` its `default_price` (the compare-at price when
    set and higher);
  - never below 0; a price reward applies to a line only when it makes the
    line's unit price lower than the regular one (never raises it, and a
    promotion that changes nothing is not named on the line);
  - gift: `quantity` × the multiplier units of the reward variant at price 0.
- Gifts and stock: `gift_stock` is the units in stock per variant; the cart's
  own bought units of that variant come first, gifts share what is left, in
  the order of the promotions' tie rule below. With
  `keep_bundle_multiplayer_same` a condition's gifts are cut to one common
  multiplier (the scarcest decides, possibly to none); without it each gift
  goes as far as its stock. A cut gift is reported in
  `PromotionResult.gift_shortfalls`; a gift cut to 0 is not in `gifts`.
  A gift variant missing from a `gift_stock` mapping has no stock.
- One line, several price rewards (of several promotions, or of one promotion's
  ladders): the lowest unit price wins; a tie goes to the earlier `start`
  (None first), then the lower promotion id, then the condition's and the
  reward's order in the promotion. Gifts do not compete: each applied condition
  gives its gifts.
- Near misses (`hints`): for a ladder with something qualifying in the cart, the
  nearest tier not reached yet that would lower the price of a line in the cart
  ("Buy 2 more for 5.00 each") or give a gift not given yet ("Add 12.50 more for
  a free Tote bag"); with `multiply_reward`, the next multiple of a gift ("Buy 3
  more for another free Tote bag"), never a gift the stock left cannot give.
  One hint per promotion and variant, the nearest.
- The result does not depend on the order of the items or of the promotions.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from commerce.text import counted

from .totals import CENT, round_money

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)

# The model's choices, spelled here so the engine stays free of Django.
FIXED_PRICE, PERCENT, AMOUNT, GIFT = "fixed_price", "percent", "amount", "gift"
QUANTITY, VALUE = "quantity", "value"
REWARDS, CHOSEN = "rewards", "chosen"


@dataclass(frozen=True)
class CartItem:
    """One bought line as the engine sees it."""

    key: Hashable  # the cart line's id (or the API request line's index)
    variant_id: int
    product_id: int
    category_paths: tuple[str, ...]  # slug paths of the product's main and extra categories
    quantity: int
    unit_price: Decimal  # the variant's price now (the regular price)
    default_price: Decimal  # compare_at_price when set and higher, else unit_price
    units_per_bulk: Decimal = Decimal(1)


@dataclass(frozen=True)
class RewardRule:
    id: int
    variant_id: int
    value_type: str  # commerce.models.ValueType
    given_price: Decimal | None = None
    reward_value: Decimal | None = None
    quantity: int = 0
    variant_name: str = ""  # for messages: "+ free Tote bag"


@dataclass(frozen=True)
class ConditionRule:
    id: int
    threshold_min: Decimal
    threshold_max: Decimal  # 0: no upper limit
    measure: str  # commerce.models.Measure
    rewards: tuple[RewardRule, ...]
    qualifying: str = "rewards"  # commerce.models.Qualifying
    variant_ids: frozenset[int] = frozenset()
    product_ids: frozenset[int] = frozenset()
    category_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class PromotionRule:
    id: int
    name: str
    short_code: str
    conditions: tuple[ConditionRule, ...]
    start: datetime | None = None
    end: datetime | None = None
    color_in_cart: str = ""
    use_promotion_price_for_threshold: bool = False
    start_using_default_price: bool = False
    calculate_using_cumulative_units: bool = False
    multiply_reward: int = 0
    keep_bundle_multiplayer_same: bool = False


@dataclass(frozen=True)
class LinePromotion:
    """What the winning promotion did to one line."""

    promotion_id: int
    promotion_name: str
    condition_id: int
    reward_id: int
    regular_unit_price: Decimal
    unit_price: Decimal  # after the promotion, whole cents
    reason: str  # "5.00 each from 10 pieces"
    color_in_cart: str = ""
    short_code: str = ""


@dataclass(frozen=True)
class Gift:
    promotion_id: int
    promotion_name: str
    condition_id: int
    reward_id: int
    variant_id: int
    quantity: int  # what the rules give, after the stock cut
    reason: str  # "Free with 3 or more"
    color_in_cart: str = ""
    variant_name: str = ""
    short_code: str = ""


@dataclass(frozen=True)
class GiftShortfall:
    promotion_id: int
    variant_id: int
    wanted: int
    given: int
    message: str  # "Tote bag: only 2 of the 3 free units are left."
    reward_id: int = 0


@dataclass(frozen=True)
class Hint:
    promotion_id: int
    variant_id: int
    message: str  # "Buy 2 more for 5.00 each"


@dataclass
class PromotionResult:
    lines: dict[Hashable, LinePromotion] = field(default_factory=dict)  # by CartItem.key
    gifts: list[Gift] = field(default_factory=list)  # sorted by (promotion id, reward id)
    gift_shortfalls: list[GiftShortfall] = field(default_factory=list)  # same order
    hints: list[Hint] = field(default_factory=list)  # sorted by (promotion id, variant id)

    def unit_price(self, item: CartItem) -> Decimal:
        """The price the item's units cost after the promotions."""
        applied = self.lines.get(item.key)
        return applied.unit_price if applied else item.unit_price

    def savings(self, items: Iterable[CartItem]) -> Decimal:
        """What the promotions take off these items' regular totals (gifts not counted)."""
        return sum(
            (
                (applied.regular_unit_price - applied.unit_price) * item.quantity
                for item in items
                if (applied := self.lines.get(item.key))
            ),
            _ZERO,
        )


def gift_variant_ids(promotions: Iterable[PromotionRule]) -> set[int]:
    """The variants these promotions may give: whose stock `evaluate` needs."""
    return {
        reward.variant_id
        for promotion in promotions
        for condition in promotion.conditions
        for reward in condition.rewards
        if reward.value_type == GIFT
    }


def evaluate(
    items: Sequence[CartItem],
    promotions: Sequence[PromotionRule],
    *,
    gift_stock: Mapping[int, int] | None = None,
) -> PromotionResult:
    """Applies the running promotions to the cart; see the module's docstring.

    `promotions` are those the shopper may get at the moment of pricing (the
    loader has filtered the window and the audience). `gift_stock`: units in
    stock per gift variant (`gift_variant_ids` names them); None means
    unlimited (the storefront's product page preview, the benchmark).
    """
    cart = _Cart(items)
    promotions = sorted(promotions, key=_tie_order)
    result = PromotionResult()
    best: dict[Hashable, tuple] = {}
    wanted_gifts: list[_WantedGifts] = []
    ladders_by_promotion: list[tuple[PromotionRule, list[_Ladder]]] = []

    for promotion in promotions:
        ladders = _ladders(promotion, cart)
        ladders_by_promotion.append((promotion, ladders))
        for ladder in ladders:
            if ladder.applied is None:
                continue
            condition, position, multiplier = ladder.applied
            for r_position, reward in enumerate(condition.rewards):
                if reward.value_type == GIFT:
                    continue
                for item in cart.of_variant(reward.variant_id):
                    price = _reward_price(promotion, reward, item, multiplier)
                    if price is None or price >= round_money(item.unit_price):
                        continue
                    rank = (price, _tie_order(promotion), position, r_position)
                    if item.key not in best or rank < best[item.key][0]:
                        line = LinePromotion(
                            promotion_id=promotion.id,
                            promotion_name=promotion.name,
                            condition_id=condition.id,
                            reward_id=reward.id,
                            regular_unit_price=item.unit_price,
                            unit_price=price,
                            reason=_price_reason(promotion, condition, reward, multiplier),
                            color_in_cart=promotion.color_in_cart,
                            short_code=promotion.short_code,
                        )
                        best[item.key] = (rank, line)
            gifts = [
                (reward, reward.quantity * multiplier)
                for reward in condition.rewards
                if reward.value_type == GIFT and reward.quantity > 0
            ]
            if gifts:
                wanted_gifts.append(_WantedGifts(promotion, condition, multiplier, gifts))

    result.lines = {key: line for key, (_rank, line) in best.items()}
    left = _give_gifts(result, cart, wanted_gifts, gift_stock)

    def gift_left(variant_id: int) -> int | None:
        """Gift units still in stock after this cart's gifts; None: unlimited."""
        if gift_stock is None:
            return None
        if variant_id in left:
            return left[variant_id]
        return max(0, int(gift_stock.get(variant_id, 0)) - cart.bought.get(variant_id, 0))

    result.hints = _hints(cart, ladders_by_promotion, result, gift_left)
    return result


# --- Measuring and tiers -------------------------------------------------------------------


class _Cart:
    """The items indexed by what conditions name, so a condition costs what it names,
    not the size of the cart (200 promotions on a 50-line cart: see bench/promotions.py)."""

    def __init__(self, items: Sequence[CartItem]):
        self.items = sorted(items, key=lambda item: (item.variant_id, str(item.key)))
        self.by_variant: dict[int, list[int]] = {}
        self.by_product: dict[int, list[int]] = {}
        self.by_branch: dict[str, list[int]] = {}  # every category path and its ancestors
        self.bought: dict[int, int] = {}
        for index, item in enumerate(self.items):
            self.by_variant.setdefault(item.variant_id, []).append(index)
            self.by_product.setdefault(item.product_id, []).append(index)
            self.bought[item.variant_id] = self.bought.get(item.variant_id, 0) + item.quantity
            branches = set()
            for path in item.category_paths:
                parts = path.split("/")
                branches.update("/".join(parts[: depth + 1]) for depth in range(len(parts)))
            for branch in branches:
                self.by_branch.setdefault(branch, []).append(index)

    def of_variant(self, variant_id: int) -> list[CartItem]:
        return [self.items[index] for index in self.by_variant.get(variant_id, ())]

    def qualifying(self, condition: ConditionRule) -> list[CartItem]:
        """The lines that count toward the condition, each once."""
        found: set[int] = set()
        if condition.qualifying != CHOSEN:
            for reward in condition.rewards:
                found.update(self.by_variant.get(reward.variant_id, ()))
        else:
            for variant in condition.variant_ids:
                found.update(self.by_variant.get(variant, ()))
            for product in condition.product_ids:
                found.update(self.by_product.get(product, ()))
            for branch in condition.category_paths:
                found.update(self.by_branch.get(branch, ()))
        return [self.items[index] for index in sorted(found)]


def _tie_order(promotion: PromotionRule):
    """The earlier start first (None before any), then the lower id."""
    return (promotion.start is not None, promotion.start, promotion.id)


@dataclass
class _Ladder:
    """A promotion's conditions that count the same lines the same way."""

    conditions: list[tuple[ConditionRule, int]]  # with their position in the promotion
    measures: dict[int, Decimal]  # by position: each condition's measure of the cart
    applied: tuple[ConditionRule, int, int] | None  # condition, position, multiplier


@dataclass
class _WantedGifts:
    promotion: PromotionRule
    condition: ConditionRule
    multiplier: int
    gifts: list[tuple[RewardRule, int]]  # reward, units wanted


def _ladder_key(condition: ConditionRule):
    if condition.qualifying == CHOSEN:
        return (
            condition.measure,
            CHOSEN,
            frozenset(condition.variant_ids),
            frozenset(condition.product_ids),
            frozenset(condition.category_paths),
        )
    return (condition.measure, REWARDS, frozenset(r.variant_id for r in condition.rewards))


def _ladders(promotion: PromotionRule, cart: _Cart) -> list[_Ladder]:
    grouped: dict[tuple, list[tuple[ConditionRule, int]]] = {}
    for position, condition in enumerate(promotion.conditions):
        grouped.setdefault(_ladder_key(condition), []).append((condition, position))
    ladders = []
    for conditions in grouped.values():
        measures = {}
        applied = None
        # A ladder's conditions count the same lines.
        qualifying = [item for item in cart.qualifying(conditions[0][0]) if item.quantity > 0]
        for condition, position in conditions:
            measure = _measure(promotion, condition, qualifying)
            measures[position] = measure
            if not _holds(condition, measure):
                continue
            if applied is None or condition.threshold_min > applied[0].threshold_min:
                applied = (condition, position, _multiplier(promotion, condition, measure))
        ladders.append(_Ladder(conditions, measures, applied))
    return ladders


def _measure(promotion: PromotionRule, condition: ConditionRule, qualifying) -> Decimal:
    if condition.measure == VALUE:
        if promotion.use_promotion_price_for_threshold:
            return sum(
                (
                    item.quantity * _threshold_price(promotion, condition, item)
                    for item in qualifying
                ),
                _ZERO,
            )
        return sum((item.quantity * item.unit_price for item in qualifying), _ZERO)
    if promotion.calculate_using_cumulative_units:
        return sum((item.quantity * (item.units_per_bulk or 1) for item in qualifying), _ZERO)
    return Decimal(sum(item.quantity for item in qualifying))


def _threshold_price(promotion, condition, item) -> Decimal:
    """The line's unit price for a value threshold counted at promotion prices."""
    regular = round_money(item.unit_price)
    prices = [
        _reward_price(promotion, reward, item, 1)
        for reward in condition.rewards
        if reward.variant_id == item.variant_id and reward.value_type != GIFT
    ]
    return min([price for price in prices if price is not None] + [regular])


def _holds(condition: ConditionRule, measure: Decimal) -> bool:
    if measure <= 0 or measure < condition.threshold_min:
        return False
    return not (condition.threshold_max > 0 and measure > condition.threshold_max)


def _multiplier(promotion: PromotionRule, condition: ConditionRule, measure: Decimal) -> int:
    if not promotion.multiply_reward or condition.threshold_min <= 0:
        return 1
    return max(1, int(measure // condition.threshold_min))


def _reward_price(promotion, reward: RewardRule, item: CartItem, multiplier: int):
    """The unit price a price reward gives the item (see `reward_unit_price`)."""
    start = item.default_price if promotion.start_using_default_price else item.unit_price
    return reward_unit_price(
        reward.value_type,
        given_price=reward.given_price,
        reward_value=reward.reward_value,
        start_price=start,
        multiplier=multiplier,
    )


def reward_unit_price(
    value_type: str,
    *,
    given_price: Decimal | None,
    reward_value: Decimal | None,
    start_price: Decimal,
    multiplier: int = 1,
) -> Decimal | None:
    """The unit price a price reward gives, whole cents and never below 0; None when the
    reward gives no price (a gift, a missing value).

    The one spelling of a promoted price: the engine prices carts with it, and the
    storefront's offers (`services.catalog.promotion_offers`) announce prices with it.
    `start_price`: the regular price, or the default price with `start_using_default_price`.
    Whether the result is a reduction at all (below the regular price) is the caller's test.
    """
    if value_type == FIXED_PRICE and given_price is not None:
        price = given_price
    elif value_type == PERCENT and reward_value is not None:
        percent = min(reward_value, _HUNDRED)
        price = start_price * (_HUNDRED - percent) / _HUNDRED
    elif value_type == AMOUNT and reward_value is not None:
        price = start_price - reward_value * multiplier
    else:
        return None
    return round_money(max(price, _ZERO))


# --- Gifts ----------------------------------------------------------------------------------


def _give_gifts(result, cart: _Cart, wanted_gifts: list[_WantedGifts], gift_stock) -> dict:
    """Fills `result.gifts` and `.gift_shortfalls`; returns the gift stock left by variant
    ({} when unlimited)."""
    left: dict[int, int] | None = None
    if gift_stock is not None:
        bought = cart.bought
        left = {}
        for wanted in wanted_gifts:
            for reward, _units in wanted.gifts:
                variant = reward.variant_id
                if variant not in left:
                    left[variant] = max(0, int(gift_stock.get(variant, 0)) - bought.get(variant, 0))

    gifts, shortfalls = [], []
    # `wanted_gifts` comes in the promotions' tie order: scarce gifts go to the first.
    for wanted in wanted_gifts:
        given = _cut_to_stock(wanted, left)
        promotion, condition = wanted.promotion, wanted.condition
        for (reward, units), units_given in zip(wanted.gifts, given, strict=True):
            if left is not None:
                left[reward.variant_id] -= units_given
            if units_given > 0:
                gifts.append(
                    Gift(
                        promotion_id=promotion.id,
                        promotion_name=promotion.name,
                        condition_id=condition.id,
                        reward_id=reward.id,
                        variant_id=reward.variant_id,
                        quantity=units_given,
                        reason=_gift_reason(promotion, condition, reward),
                        color_in_cart=promotion.color_in_cart,
                        variant_name=reward.variant_name,
                        short_code=promotion.short_code,
                    )
                )
            if units_given < units:
                shortfalls.append(
                    GiftShortfall(
                        promotion_id=promotion.id,
                        variant_id=reward.variant_id,
                        wanted=units,
                        given=units_given,
                        message=_shortfall_message(reward, units, units_given),
                        reward_id=reward.id,
                    )
                )
    result.gifts = sorted(gifts, key=lambda g: (g.promotion_id, g.reward_id, g.condition_id))
    result.gift_shortfalls = sorted(
        shortfalls, key=lambda s: (s.promotion_id, s.reward_id, s.variant_id)
    )
    return left or {}


def _cut_to_stock(wanted: _WantedGifts, left: dict[int, int] | None) -> list[int]:
    """Units given of each wanted gift, in order."""
    if left is None:
        return [units for _reward, units in wanted.gifts]
    if wanted.promotion.keep_bundle_multiplayer_same:
        per_multiple: dict[int, int] = {}
        for reward, _units in wanted.gifts:
            per_multiple[reward.variant_id] = (
                per_multiple.get(reward.variant_id, 0) + reward.quantity
            )
        multiplier = min(
            [wanted.multiplier]
            + [left[variant] // units for variant, units in per_multiple.items()]
        )
        return [reward.quantity * multiplier for reward, _units in wanted.gifts]
    given, spent = [], {}
    for reward, units in wanted.gifts:
        available = left[reward.variant_id] - spent.get(reward.variant_id, 0)
        units_given = max(0, min(units, available))
        spent[reward.variant_id] = spent.get(reward.variant_id, 0) + units_given
        given.append(units_given)
    return given


def _shortfall_message(reward: RewardRule, wanted: int, given: int) -> str:
    name = reward.variant_name or "the gift"
    if given == 0:
        return f"{name}: the free gift is out of stock."
    return f"{name}: only {given} of the {wanted} free units are left."


# --- Hints ----------------------------------------------------------------------------------


def _hints(cart: _Cart, ladders_by_promotion, result: PromotionResult, gift_left) -> list[Hint]:
    """No hint promises a gift the stock cannot give."""
    given_gifts = {(g.promotion_id, g.condition_id, g.variant_id) for g in result.gifts}
    nearest: dict[tuple[int, int], tuple[Decimal, str]] = {}

    def in_stock(reward) -> bool:
        units = gift_left(reward.variant_id)
        return units is None or units >= reward.quantity

    def offer(promotion, variant_id, need, message):
        key = (promotion.id, variant_id)
        if key not in nearest or (need, message) < nearest[key]:
            nearest[key] = (need, message)

    for promotion, ladders in ladders_by_promotion:
        for ladder in ladders:
            for condition, position in ladder.conditions:
                measure = ladder.measures[position]
                if measure <= 0:
                    continue
                if condition.threshold_min > measure:
                    need = condition.threshold_min - measure
                    if (
                        ladder.applied
                        and ladder.applied[0].threshold_min >= condition.threshold_min
                    ):
                        continue
                    for reward in condition.rewards:
                        text = _reward_offer(promotion, reward, cart, result)
                        if reward.value_type == GIFT and (
                            not in_stock(reward)
                            or (
                                ladder.applied
                                and (promotion.id, ladder.applied[0].id, reward.variant_id)
                                in given_gifts
                            )
                        ):
                            continue
                        if text:
                            offer(
                                promotion,
                                reward.variant_id,
                                need,
                                f"{_need_text(promotion, condition, need)} for {text}",
                            )
            if ladder.applied and promotion.multiply_reward:
                condition, position, multiplier = ladder.applied
                measure = ladder.measures[position]
                next_at = condition.threshold_min * (multiplier + 1)
                if condition.threshold_max > 0 and next_at > condition.threshold_max:
                    continue
                for reward in condition.rewards:
                    if reward.value_type != GIFT or reward.quantity <= 0 or not in_stock(reward):
                        continue
                    name = reward.variant_name or "gift"
                    gift = (
                        "another free" if reward.quantity == 1 else f"{reward.quantity} more free"
                    )
                    need = next_at - measure
                    offer(
                        promotion,
                        reward.variant_id,
                        need,
                        f"{_need_text(promotion, condition, need)} for {gift} {name}",
                    )
    return [
        Hint(promotion_id=promotion_id, variant_id=variant_id, message=message)
        for (promotion_id, variant_id), (_need, message) in sorted(nearest.items())
    ]


def _reward_offer(promotion, reward, cart: _Cart, result) -> str:
    """What reaching the condition would give that the cart does not have yet, or ""."""
    if reward.value_type == GIFT:
        if reward.quantity <= 0:
            return ""
        name = reward.variant_name or "gift"
        return f"a free {name}" if reward.quantity == 1 else f"{reward.quantity} free {name}"
    for item in cart.of_variant(reward.variant_id):
        price = _reward_price(promotion, reward, item, 1)
        if price is not None and price < result.unit_price(item):
            return f"{_money(price)} each"
    return ""


def _need_text(promotion, condition, need: Decimal) -> str:
    if condition.measure == VALUE:
        return f"Add {_money(need.quantize(CENT, rounding=ROUND_CEILING))} more"
    if promotion.calculate_using_cumulative_units:
        return f"Add {_number(need)} more units"
    return f"Buy {_number(need.to_integral_value(rounding=ROUND_CEILING))} more"


# --- Texts ----------------------------------------------------------------------------------


def _money(amount: Decimal) -> str:
    return format(round_money(amount), "f")


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _amount_text(promotion, condition, value: Decimal) -> str:
    if condition.measure == VALUE:
        return _money(value)
    return counted(_number(value), bulk_units=promotion.calculate_using_cumulative_units)


def _threshold_text(promotion, condition) -> str:
    """ "from 10 pieces", "from 10 to 49 pieces", "from 100.00"."""
    low = _amount_text(promotion, condition, condition.threshold_min)
    if condition.threshold_max > 0:
        high = _amount_text(promotion, condition, condition.threshold_max)
        if condition.measure == QUANTITY:
            low = _number(condition.threshold_min)
        return f"from {low} to {high}"
    return f"from {low}"


def _price_reason(promotion, condition, reward, multiplier: int) -> str:
    threshold = _threshold_text(promotion, condition)
    if reward.value_type == FIXED_PRICE:
        return f"{_money(reward.given_price)} each {threshold}"
    if reward.value_type == PERCENT:
        return f"{_number(min(reward.reward_value, _HUNDRED))}% off {threshold}"
    if multiplier > 1:
        per = _amount_text(promotion, condition, condition.threshold_min)
        return (
            f"{_money(reward.reward_value * multiplier)} off each: "
            f"{_money(reward.reward_value)} per {per}"
        )
    return f"{_money(reward.reward_value)} off each {threshold}"


def _gift_reason(promotion, condition, reward) -> str:
    """ "Free with 3 or more", "Free with 100.00 or more", "1 free per 10 pieces"."""
    if promotion.multiply_reward:
        per = _amount_text(promotion, condition, condition.threshold_min)
        return f"{reward.quantity} free per {per}"
    if condition.measure == VALUE:
        low = _money(condition.threshold_min)
    elif promotion.calculate_using_cumulative_units:
        low = counted(_number(condition.threshold_min), bulk_units=True)
    else:
        low = _number(condition.threshold_min)
    if condition.threshold_max > 0:
        return f"Free with {low} to {_amount_text(promotion, condition, condition.threshold_max)}"
    return f"Free with {low} or more"
