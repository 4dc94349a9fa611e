"""The promotion engine: what running promotions do to a cart. Pure: no database.

`services.promotions.load_rules` turns the running promotions a shopper may get
into `PromotionRule`s (a fixed number of queries); `services.cart.summarize`
describes the cart's bought lines as `CartItem`s and calls `evaluate`. The API's
create-order and the benchmark call it the same way.

The rules (README, "Promotions"):

- A condition holds when its measure of the qualifying lines is within
  [threshold_min, threshold_max] (threshold_max 0: no upper limit).
  - Qualifying lines: the lines of the condition's reward variants
    (`Qualifying.REWARDS`), or of the chosen variants, products and categories
    (with subcategories: `CartItem.category_paths` against the rule's paths).
  - Measure `quantity`: the sum of quantities, or with
    `calculate_using_cumulative_units` of quantity × units_per_bulk.
  - Measure `value`: the sum of quantity × regular unit price, or with
    `use_promotion_price_for_threshold` of the prices this promotion's price
    rewards give those lines.
  - Of a promotion's conditions that hold, the one with the highest
    threshold_min applies (tiers); ties: the first in order.
- Rewards of the applied condition:
  - fixed price: each unit of the reward variant's line costs `given_price`;
  - percent: `reward_value` % off the start price, rounded to the cent per unit;
  - amount: `reward_value` off each unit; times the multiplier when multiplied;
  - the start price is the line's regular unit price, or with
    `start_using_default_price` its `default_price` (the compare-at price when
    set and higher);
  - never below 0, never above the regular unit price (a reward that would
    raise a price is not applied);
  - gift: `quantity` units of the reward variant at price 0, times the
    multiplier. The multiplier is 1, or with `multiply_reward` the number of
    whole thresholds reached: floor(measure / threshold_min).
  - gifts are limited by `gift_stock` (units available per variant); with
    `keep_bundle_multiplayer_same` all the condition's gifts are cut to the
    same multiplier (the scarcest decides), without it each as far as its stock
    goes. A gift cut by stock is reported in `PromotionResult.gift_shortfalls`.
- One line, several promotions: the one giving the lowest line total wins; a
  tie goes to the earlier `start` (None first), then the lower promotion id.
  Gifts do not compete: each promotion whose condition holds gives its gifts.
- Near misses: for each promotion with price rewards on a line that no condition
  holds for yet, a hint of what the next tier needs ("Buy 2 more for 5.00 each").
- The result does not depend on the order of the items or of the promotions.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


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
    reason: str  # "5.00 each from 10 pcs"
    color_in_cart: str = ""


@dataclass(frozen=True)
class Gift:
    promotion_id: int
    promotion_name: str
    condition_id: int
    reward_id: int
    variant_id: int
    quantity: int  # what the rules give, after the stock cut
    reason: str  # "Free with 100.00 of Garden tools"
    color_in_cart: str = ""


@dataclass(frozen=True)
class GiftShortfall:
    promotion_id: int
    variant_id: int
    wanted: int
    given: int
    message: str  # "Only 2 of the 3 free Tote bags are left."


@dataclass(frozen=True)
class Hint:
    promotion_id: int
    variant_id: int
    message: str  # "Buy 2 more for 5.00 each"


@dataclass
class PromotionResult:
    lines: dict[Hashable, LinePromotion] = field(default_factory=dict)  # by CartItem.key
    gifts: list[Gift] = field(default_factory=list)  # sorted by (promotion id, reward id)
    gift_shortfalls: list[GiftShortfall] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)


def evaluate(
    items: Sequence[CartItem],
    promotions: Sequence[PromotionRule],
    *,
    gift_stock: Mapping[int, int] | None = None,
) -> PromotionResult:
    """Applies the running promotions to the cart; see the module's docstring.

    `promotions` are those the shopper may get at the moment of pricing (the
    loader has filtered the window and the audience). `gift_stock`: units
    available per gift variant; None means unlimited (the storefront's product
    page preview, the benchmark).
    """
    raise NotImplementedError("part A (engine) implements this")
