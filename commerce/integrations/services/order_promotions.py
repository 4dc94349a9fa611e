"""Promotions on create-order lines (README, "Create-order API").

The engine decides, through the storefront's own cart pricing
(`services.cart.summarize`): an order from the API gets the promotions and
gifts a shopper with the same cart would get, the customer's group promotions
included. This module only checks what the request says against that, and
writes AMPER's `promotion` object for the answer.

- `promotion_id` on a line names the promotion the caller expects. It is
  accepted when the engine applies that promotion to the line's price, or when
  that promotion gives a gift in this order; otherwise the line is refused
  (400, `lines.<n>.promotion_id`) with the reason: no such running promotion,
  not offered to this customer, another promotion applies to the line, or what
  is missing ("Buy 2 more for 5.00 each"). A different price is never given
  silently, and a promotion is never forced on a line the rules do not give it.
- `order_line_promotion_id` is accepted and ignored: it names a relation in
  AMPER's own database.
- `suggested_price` may be the price the line is charged (after the promotion)
  or the regular price (a client that does not know the promotions); the
  order is charged the former either way, and the answer says so.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from commerce.models import Measure, Promotion, ValueType
from commerce.services.pricing.promotions import ConditionRule, PromotionRule


@dataclass(frozen=True)
class Refusal:
    field: str
    message: str


def promotion_refusals(lines, states, summary, rules: list[PromotionRule]) -> list[Refusal]:
    """Why each line's `promotion_id` cannot be honoured (none: all can).

    `lines` are the request's lines, `states` the summary's bought line for each (None:
    a line refused for another reason)."""
    by_id = {rule.id: rule for rule in rules}
    gift_promotions = {state.gift.promotion_id for state in summary.gift_lines}
    wanted = [
        (index, line.promotion_id, state)
        for index, (line, state) in enumerate(zip(lines, states, strict=True))
        if line.promotion_id is not None and state is not None
    ]
    refused = [
        (index, promotion_id, state)
        for index, promotion_id, state in wanted
        if not (
            (state.promotion is not None and state.promotion.promotion_id == promotion_id)
            or promotion_id in gift_promotions
        )
    ]
    unknown = {promotion_id for _, promotion_id, _ in refused if promotion_id not in by_id}
    running = set(
        Promotion.objects.running().filter(pk__in=unknown).values_list("pk", flat=True)
        if unknown
        else ()
    )
    refusals = []
    for index, promotion_id, state in refused:
        rule = by_id.get(promotion_id)
        if rule is None:
            reason = (
                f"Promotion {promotion_id} is not offered to this customer."
                if promotion_id in running
                else f"No running promotion with id {promotion_id}."
            )
        else:
            reason = (
                f"Promotion {promotion_id} ({rule.name}) does not apply to this line: "
                + _why_not(rule, state, summary)
            )
        refusals.append(Refusal(f"lines.{index}.promotion_id", reason))
    return refusals


def _why_not(rule: PromotionRule, state, summary) -> str:
    other = state.promotion
    if other is not None:
        return (
            f"promotion {other.promotion_id} ({other.promotion_name}) applies to it instead, "
            f"at {other.unit_price} each."
        )
    variant_id = state.variant.pk
    hints = [hint for hint in summary.hints if hint.promotion_id == rule.id]
    for hint in hints:
        if hint.variant_id == variant_id:
            return f"{hint.message}."
    for shortfall in summary.gift_shortfalls:
        if shortfall.promotion_id == rule.id:
            return shortfall.message
    if any(s.promotion and s.promotion.promotion_id == rule.id for s in summary.bought_lines):
        return "it applies to other lines of this order, not to this one."
    rewards = [reward for condition in rule.conditions for reward in condition.rewards]
    if any(reward.value_type == ValueType.GIFT for reward in rewards) and hints:
        return f"{hints[0].message}."  # what the gift still needs
    if not any(reward.variant_id == variant_id for reward in rewards):
        return "it has no reward for this variant."
    return "its conditions do not hold for this order."


def price_refusal(line, state, name: str) -> str:
    """Why the line's `suggested_price` is refused, or "" (see the module's docstring)."""
    regular, charged = state.variant.price, state.current_price
    if line.suggested_price in (regular, charged):
        return ""
    if charged == regular:
        return f"The price of {name} is {regular}, not {line.suggested_price}."
    return (
        f"The price of {name} is {regular}, {charged} with promotion "
        f"{state.promotion.promotion_id} ({state.promotion.promotion_name}); "
        f"not {line.suggested_price}."
    )


# --- AMPER's promotion object --------------------------------------------------------


class Conditions:
    """The loaded rules' conditions by id, with their promotion."""

    def __init__(self, rules: Iterable[PromotionRule]):
        self._by_id: dict[int, tuple[PromotionRule, ConditionRule]] = {
            condition.id: (rule, condition) for rule in rules for condition in rule.conditions
        }

    def promotion_object(self, source, *, price: Decimal, relation_id: int, promotion_url) -> dict:
        """AMPER's `promotion` of an answer line. `source`: the engine's LinePromotion (a
        bought line) or Gift (a gift line)."""
        rule, condition = self._by_id[source.condition_id]
        minimum = condition.threshold_min if condition.measure == Measure.QUANTITY else None
        return {
            "price": price,
            "promotion_min_order_quantity": minimum,
            "promotion_condition_item_id": source.reward_id,
            "promotion_condition_id": source.condition_id,
            "relation_id": relation_id,
            "promotion_name": source.promotion_name,
            "promotion_id": source.promotion_id,
            # The storefront's promotion page (ShopPage.promotion_subpath spells it).
            "promotion_url": promotion_url(rule) if promotion_url is not None else None,
        }
