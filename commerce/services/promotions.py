"""Promotions from the database to the engine (`services.pricing.promotions`).

`load_rules` gives the running promotions a shopper may get, kept per catalog version
(`read_rules` reads them with a fixed number of queries, however many promotions run).
`cart_items` describes cart lines for the engine (one query for their category paths),
and `rule_for` turns one promotion as held in memory (a draft, a revision being
previewed) into a rule, so an editor's preview applies exactly what publishing would.
"""

import math
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache

from commerce.models import (
    Product,
    ProductVariant,
    Promotion,
    PromotionCondition,
    PromotionReward,
)
from commerce.models.promotions import Audience
from pages.clock import shop_now

from .catalog_version import catalog_version
from .pricing.promotions import CartItem, ConditionRule, PromotionRule, RewardRule

_ONE = Decimal(1)


_PROMOTION_FIELDS = (
    "pk",
    "name",
    "short_code",
    "start",
    "end",
    "color_in_cart",
    "use_promotion_price_for_threshold",
    "start_using_default_price",
    "calculate_using_cumulative_units",
    "multiply_reward",
    "keep_bundle_multiplayer_same",
)
_CONDITION_FIELDS = (
    "pk",
    "promotion_id",
    "threshold_min",
    "threshold_max",
    "measure",
    "qualifying",
)
_REWARD_FIELDS = (
    "pk",
    "condition_id",
    "variant_id",
    "value_type",
    "given_price",
    "reward_value",
    "quantity",
)


# --- Running rules, kept per catalog version ------------------------------------------------

# ":1": entries are (rules, computed at, valid until).
_RULES_KEY = "storefront:promotion-rules:1"


def load_rules(*, user=None, now=None) -> list[PromotionRule]:
    """The promotions running at `now` (default `shop_now()`) that `user` may get
    (None or a guest: everyone's only), as engine rules, by id.

    Every cart summary, review and placed order prices with them, so they are kept in
    the cache: one entry per catalog version (every write to a promotion, its conditions,
    rewards or chosen targets, and to the products it names bumps it) and audience (the
    shopper's customer groups that some live promotion is meant for), good from the
    moment it was read until the next moment a promotion starts or ends. A hit costs
    one query (the version), two for a signed-in shopper while group promotions exist.
    """
    now = now or shop_now()
    version = catalog_version()
    audience = ",".join(map(str, audience_groups(user, version)))
    key = f"{_RULES_KEY}:{version}:{audience}"
    cached = cache.get(key)
    if cached is not None:
        rules, read_at, valid_until = cached
        # An entry is right for [read_at, valid_until): nothing starts or ends between.
        # A dated preview's `now` before read_at is read afresh.
        if read_at <= now and (valid_until is None or now < valid_until):
            return rules
    rules = read_rules(user=user, now=now)
    valid_until = Promotion.objects.next_change_after(now)
    seconds = settings.STOREFRONT_PAGE_CACHE_SECONDS or 60
    if valid_until is not None:
        seconds = max(1, min(seconds, math.ceil((valid_until - now).total_seconds())))
    cache.set(key, (rules, now, valid_until), seconds)
    return rules


def targeted_groups(version: int) -> tuple[int, ...]:
    """The customer groups some live promotion is meant for (their members may get other
    prices), kept per catalog version: promotions bump it."""
    key = f"storefront:targeted-groups:{version}"
    groups = cache.get(key)
    if groups is None:
        groups = tuple(
            sorted(
                set(
                    Promotion.objects.filter(live=True, audience=Audience.GROUPS).values_list(
                        "customer_groups", flat=True
                    )
                )
                - {None}
            )
        )
        cache.set(key, groups, settings.STOREFRONT_PAGE_CACHE_SECONDS or 60)
    return groups


def audience_groups(user, version: int) -> tuple[int, ...]:
    """Of the groups some live promotion is meant for, those `user` is in: what decides,
    beyond the catalog, which promotions a shopper gets. No query for a guest or while no
    promotion is meant for a group; one otherwise."""
    targeted = targeted_groups(version)
    if not targeted or user is None or not user.is_authenticated:
        return ()
    return tuple(sorted(user.groups.filter(pk__in=targeted).values_list("pk", flat=True)))


def read_rules(*, user=None, now=None) -> list[PromotionRule]:
    """`load_rules` from the database, uncached.

    Eight queries however many promotions (one when none runs): promotions,
    conditions, rewards, the reward variants (+ product) and their options (for
    names), and the chosen products, variants and categories. Rows, not model
    instances: building 200 promotions' clusters through modelcluster's managers
    took seconds (bench/promotions.py)."""
    now = now or shop_now()
    promotions = list(
        Promotion.objects.running(now).for_customer(user).order_by("pk").values(*_PROMOTION_FIELDS)
    )
    if not promotions:
        return []
    conditions = list(
        PromotionCondition.objects.filter(promotion_id__in=[p["pk"] for p in promotions])
        .order_by("promotion_id", "sort_order", "pk")
        .values(*_CONDITION_FIELDS)
    )
    condition_ids = [c["pk"] for c in conditions]
    rewards: dict[int, list[dict]] = {}
    for row in (
        PromotionReward.objects.filter(condition_id__in=condition_ids)
        .order_by("condition_id", "sort_order", "pk")
        .values(*_REWARD_FIELDS)
    ):
        rewards.setdefault(row["condition_id"], []).append(row)
    names = variant_names({row["variant_id"] for rows in rewards.values() for row in rows})
    products = _chosen(PromotionCondition.qualifying_products, condition_ids, "pk")
    variants = _chosen(PromotionCondition.qualifying_variants, condition_ids, "pk")
    categories = _chosen(PromotionCondition.qualifying_categories, condition_ids, "slug_path")

    by_promotion: dict[int, list[ConditionRule]] = {}
    for row in conditions:
        by_promotion.setdefault(row["promotion_id"], []).append(
            ConditionRule(
                id=row["pk"],
                threshold_min=row["threshold_min"],
                threshold_max=row["threshold_max"],
                measure=row["measure"],
                qualifying=row["qualifying"],
                rewards=tuple(
                    RewardRule(
                        id=reward["pk"],
                        variant_id=reward["variant_id"],
                        value_type=reward["value_type"],
                        given_price=reward["given_price"],
                        reward_value=reward["reward_value"],
                        quantity=reward["quantity"],
                        variant_name=names.get(reward["variant_id"], ""),
                    )
                    for reward in rewards.get(row["pk"], ())
                ),
                variant_ids=frozenset(variants.get(row["pk"], ())),
                product_ids=frozenset(products.get(row["pk"], ())),
                category_paths=tuple(sorted(categories.get(row["pk"], ()))),
            )
        )
    return [
        PromotionRule(
            id=fields["pk"],
            conditions=tuple(by_promotion.get(fields["pk"], ())),
            **{name: value for name, value in fields.items() if name != "pk"},
        )
        for fields in promotions
    ]


def _chosen(descriptor, condition_ids, target_field) -> dict[int, list]:
    """{condition id: [target's field]} for one of the conditions' chosen-target sets."""
    field = descriptor.field
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    found: dict[int, list] = {}
    rows = through.objects.filter(**{f"{source}_id__in": condition_ids}).values_list(
        f"{source}_id", f"{target}__{target_field}"
    )
    for condition_id, value in rows:
        found.setdefault(condition_id, []).append(value)
    return found


def variant_names(variant_ids) -> dict[int, str]:
    """{variant id: "Heritage coat — Size M"} as `ProductVariant.description` words it,
    from rows: two queries (none without ids)."""
    if not variant_ids:
        return {}
    products = dict(
        ProductVariant.objects.filter(pk__in=variant_ids).values_list("pk", "product__name")
    )
    options: dict[int, list[tuple]] = {}
    rows = ProductVariant.options.through.objects.filter(productvariant_id__in=variant_ids)
    for variant_id, *option in rows.values_list(
        "productvariant_id",
        "attributeoption__definition__sort_order",
        "attributeoption__definition__name",
        "attributeoption__sort_order",
        "attributeoption__value",
    ):
        options.setdefault(variant_id, []).append(option)
    names = {}
    for variant_id, product_name in products.items():
        axes = sorted(options.get(variant_id, ()), key=lambda o: (o[0], o[1], o[2] or 0))
        text = ", ".join(f"{name} {value}" for _order, name, _position, value in axes)
        names[variant_id] = f"{product_name} — {text}" if text else product_name
    return names


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
