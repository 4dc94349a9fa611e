"""Promotions from the database to the engine (`services.pricing.promotions`).

`load_rules` reads the running promotions a shopper may get with a fixed number
of queries, however many promotions run: the promotions, then one prefetch each
for conditions, rewards (with variant, product and options for the reward's
name) and the chosen products, variants and categories. `cart_items` describes
cart lines for the engine (one query for their category paths), and `rule_for`
turns one promotion as held in memory (a draft, a revision being previewed) into
a rule, so an editor's preview applies exactly what publishing would.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Prefetch

from commerce.models import (
    AttributeOption,
    Category,
    Product,
    ProductVariant,
    Promotion,
    PromotionCondition,
    PromotionReward,
)
from pages.clock import shop_now

from .pricing.promotions import CartItem, ConditionRule, PromotionRule, RewardRule

_ONE = Decimal(1)


def load_rules(*, user=None, now=None) -> list[PromotionRule]:
    """The promotions running at `now` (default `shop_now()`) that `user` may get
    (None or a guest: everyone's only), as engine rules, by id."""
    now = now or shop_now()
    promotions = (
        Promotion.objects.running(now)
        .for_customer(user)
        .order_by("pk")
        .prefetch_related(
            Prefetch(
                "conditions", queryset=PromotionCondition.objects.order_by("sort_order", "pk")
            ),
            Prefetch(
                "conditions__rewards",
                queryset=PromotionReward.objects.select_related("variant__product").order_by(
                    "sort_order", "pk"
                ),
            ),
            Prefetch(
                "conditions__rewards__variant__options",
                queryset=AttributeOption.objects.select_related("definition"),
            ),
            Prefetch("conditions__qualifying_products", queryset=Product.objects.only("pk")),
            Prefetch("conditions__qualifying_variants", queryset=ProductVariant.objects.only("pk")),
            Prefetch(
                "conditions__qualifying_categories",
                queryset=Category.objects.only("pk", "slug_path"),
            ),
        )
    )
    return [rule_for(promotion) for promotion in promotions]


def rule_for(promotion: Promotion) -> PromotionRule:
    """One promotion as the engine's rule, from its cluster as held in memory.

    Works on a saved row (prefetched or not) and on an unsaved object rebuilt from
    a revision (`revision.as_object()`), whose conditions, rewards and chosen
    targets modelcluster keeps in memory: an unsaved child has no pk, so ids are
    stood in for by -(position + 1), unique within the promotion."""
    conditions = []
    for c_position, condition in enumerate(promotion.conditions.all()):
        rewards = []
        for r_position, reward in enumerate(condition.rewards.all()):
            variant = reward.variant if reward.variant_id else None
            rewards.append(
                RewardRule(
                    id=reward.pk or -(c_position * 1000 + r_position + 1),
                    variant_id=reward.variant_id or 0,
                    value_type=reward.value_type,
                    given_price=reward.given_price,
                    reward_value=reward.reward_value,
                    quantity=reward.quantity or 0,
                    variant_name=variant.description if variant is not None else "",
                )
            )
        conditions.append(
            ConditionRule(
                id=condition.pk or -(c_position + 1),
                threshold_min=condition.threshold_min,
                threshold_max=condition.threshold_max or Decimal(0),
                measure=condition.measure,
                rewards=tuple(rewards),
                qualifying=condition.qualifying,
                variant_ids=frozenset(v.pk for v in condition.qualifying_variants.all()),
                product_ids=frozenset(p.pk for p in condition.qualifying_products.all()),
                category_paths=tuple(
                    sorted(c.slug_path for c in condition.qualifying_categories.all())
                ),
            )
        )
    return PromotionRule(
        id=promotion.pk or 0,
        name=promotion.name,
        short_code=promotion.short_code,
        conditions=tuple(conditions),
        start=promotion.start,
        end=promotion.end,
        color_in_cart=promotion.color_in_cart,
        use_promotion_price_for_threshold=promotion.use_promotion_price_for_threshold,
        start_using_default_price=promotion.start_using_default_price,
        calculate_using_cumulative_units=promotion.calculate_using_cumulative_units,
        multiply_reward=promotion.multiply_reward,
        keep_bundle_multiplayer_same=promotion.keep_bundle_multiplayer_same,
    )


def cart_items(lines: Iterable) -> list[CartItem]:
    """Bought lines as the engine's items: anything with `.variant` (its product
    loaded), `.quantity` and `.pk`. Gift lines (`is_gift`) and lines whose variant
    is gone are left out. One query: the category paths of all their products."""
    lines = [
        line for line in lines if line.variant is not None and not getattr(line, "is_gift", False)
    ]
    paths = category_paths({line.variant.product_id for line in lines})
    items = []
    for line in lines:
        variant = line.variant
        compare_at = variant.compare_at_price
        items.append(
            CartItem(
                key=line.pk,
                variant_id=variant.pk,
                product_id=variant.product_id,
                category_paths=paths.get(variant.product_id, ()),
                quantity=line.quantity,
                unit_price=variant.price,
                default_price=compare_at
                if compare_at is not None and compare_at > variant.price
                else variant.price,
                units_per_bulk=variant.units_per_bulk_package or _ONE,
            )
        )
    return items


def category_paths(product_ids) -> dict[int, tuple[str, ...]]:
    """{product id: the slug paths of its main and additional categories}, one query."""
    if not product_ids:
        return {}
    found: dict[int, set[str]] = {}
    rows = Product.objects.filter(pk__in=product_ids).values_list(
        "pk", "main_category__slug_path", "additional_categories__slug_path"
    )
    for product_id, main_path, extra_path in rows:
        paths = found.setdefault(product_id, set())
        paths.update(path for path in (main_path, extra_path) if path)
    return {product_id: tuple(sorted(paths)) for product_id, paths in found.items()}
