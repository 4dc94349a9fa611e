"""The admin's preview of one promotion: a sample product page and a sample cart.

The sample is priced by the engine (`pricing.promotions.evaluate`) with this promotion
ALONE, as the editor's form holds it (`services.promotions.rule_for` reads the unsaved
conditions and rewards modelcluster keeps in memory), so other running promotions never
blur what this one does. The moment is the shop's (`shop_now()`): in a dated preview the
promotion applies only if it is switched on and in its window then; a draft is priced as
if it were published.

The sample cart holds each qualifying variant once, the first at the threshold (enough
units, bulk units or value to reach the first condition's `threshold_min`), plus each
price-reward variant that does not qualify itself; gifts come from the engine.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from commerce.models import CartLine, Measure, ProductVariant, Qualifying, ValueType
from commerce.services.pricing.promotions import LinePromotion, PromotionResult, evaluate
from commerce.services.promotions import cart_items, rule_for
from pages.clock import shop_now

PREVIEW_TEMPLATES = {
    "product": "commerce/admin/promotion_preview_product.html",
    "cart": "commerce/admin/promotion_preview_cart.html",
}


@dataclass
class SampleLine:
    variant: ProductVariant
    quantity: int
    regular_unit_price: Decimal
    unit_price: Decimal
    promotion: LinePromotion | None = None
    is_gift: bool = False

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def regular_total(self) -> Decimal:
        return self.regular_unit_price * self.quantity


def applies_at(promotion, moment) -> bool:
    """The window and the switch, not publication: a draft is previewed as published."""
    return (
        promotion.is_active
        and (promotion.start is None or promotion.start <= moment)
        and (promotion.end is None or moment < promotion.end)
    )


def preview_context(promotion) -> dict:
    moment = shop_now()
    conditions = [c for c in promotion.conditions.all() if list(c.rewards.all())]
    condition = conditions[0] if conditions else None
    applies = applies_at(promotion, moment)
    lines = _sample_lines(promotion, condition) if condition else []
    result = PromotionResult()
    if applies and lines:
        items = cart_items(lines)
        result = evaluate(items, [rule_for(promotion)])
    sample = [_priced(line, result) for line in lines]
    gifts = _gift_lines(result)
    reward = list(condition.rewards.all())[0] if condition else None
    featured = next(
        (line for line in sample if reward and line.variant.pk == reward.variant_id), None
    )
    return {
        "promotion": promotion,
        "moment": moment,
        "applies": applies,
        "condition": condition,
        "reward": reward,
        "product": reward.variant.product if reward else None,
        "featured": featured,
        "lines": sample,
        "gifts": gifts,
        "regular_total": sum((line.regular_total for line in sample), Decimal("0.00")),
        "total": sum((line.line_total for line in sample), Decimal("0.00")),
        "hints": result.hints,
    }


def _qualifying_variants(condition) -> list[ProductVariant]:
    rewards = list(condition.rewards.all())
    if condition.qualifying == Qualifying.REWARDS:
        priced = [r.variant for r in rewards if r.value_type != ValueType.GIFT]
        return _unique(priced or [r.variant for r in rewards])
    chosen = list(condition.qualifying_variants.all())
    wanted = Q(product_id__in=[p.pk for p in condition.qualifying_products.all()])
    if not chosen:
        # Categories only when nothing narrower is chosen: a sample, not every product.
        for category in condition.qualifying_categories.all():
            path = category.slug_path
            wanted |= Q(product__main_category__slug_path=path)
            wanted |= Q(product__main_category__slug_path__startswith=f"{path}/")
    # One variant per product, as a shopper would pick one.
    firsts = {}
    found = ProductVariant.objects.filter(is_active=True).filter(wanted)
    for variant in found.order_by("product_id", "sort_order", "pk")[:50]:
        firsts.setdefault(variant.product_id, variant)
    return _unique(chosen + list(firsts.values()))


def _sample_lines(promotion, condition) -> list[CartLine]:
    qualifying = _qualifying_variants(condition)
    priced_rewards = [r.variant for r in condition.rewards.all() if r.value_type != ValueType.GIFT]
    variants = _unique(qualifying + priced_rewards)
    loaded = (
        ProductVariant.objects.select_related("product__main_category")
        .prefetch_related("options__definition")
        .in_bulk([v.pk for v in variants])
    )
    variants = [loaded.get(v.pk, v) for v in variants]
    lines = []
    for position, variant in enumerate(variants):
        quantity = _threshold_quantity(promotion, condition, variant) if position == 0 else 1
        # Never saved: a negative id is the engine's line key only.
        lines.append(
            CartLine(
                id=-(position + 1),
                variant=variant,
                quantity=quantity,
                unit_price=variant.price,
                product_name=variant.description,
            )
        )
    return lines


def _threshold_quantity(promotion, condition, variant) -> int:
    need = condition.threshold_min
    if condition.measure == Measure.VALUE:
        return max(1, math.ceil(need / variant.price)) if variant.price else 1
    if promotion.calculate_using_cumulative_units and variant.units_per_bulk_package:
        need = need / variant.units_per_bulk_package
    return max(1, math.ceil(need))


def _priced(line: CartLine, result: PromotionResult) -> SampleLine:
    promoted = result.lines.get(line.id)
    return SampleLine(
        variant=line.variant,
        quantity=line.quantity,
        regular_unit_price=line.variant.price,
        unit_price=promoted.unit_price if promoted else line.variant.price,
        promotion=promoted,
    )


def _gift_lines(result: PromotionResult) -> list[SampleLine]:
    if not result.gifts:
        return []
    variants = ProductVariant.objects.select_related("product").in_bulk(
        [gift.variant_id for gift in result.gifts]
    )
    return [
        SampleLine(
            variant=variants[gift.variant_id],
            quantity=gift.quantity,
            regular_unit_price=variants[gift.variant_id].price,
            unit_price=Decimal("0.00"),
            is_gift=True,
        )
        for gift in result.gifts
        if gift.variant_id in variants
    ]


def _unique(variants):
    seen, out = set(), []
    for variant in variants:
        if variant.pk not in seen:
            seen.add(variant.pk)
            out.append(variant)
    return out
