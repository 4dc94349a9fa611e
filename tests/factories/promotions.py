"""Promotions for tests: one call makes a live promotion with its conditions and rewards."""

from decimal import Decimal

from django.utils import timezone

from commerce.models import Promotion, PromotionCondition, PromotionReward

from .catalog import as_variant

_counter = iter(range(1, 10**9))


def reward(variant, value_type="fixed_price", *, given_price=None, reward_value=None, quantity=0):
    """A reward spec for `make_promotion`: `variant` may be a product with one variant."""
    return {
        "variant": as_variant(variant),
        "value_type": value_type,
        "given_price": None if given_price is None else Decimal(str(given_price)),
        "reward_value": None if reward_value is None else Decimal(str(reward_value)),
        "quantity": quantity,
    }


def condition(
    rewards,
    *,
    threshold_min=1,
    threshold_max=0,
    measure="quantity",
    qualifying="rewards",
    products=(),
    variants=(),
    categories=(),
):
    return {
        "rewards": list(rewards),
        "threshold_min": Decimal(str(threshold_min)),
        "threshold_max": Decimal(str(threshold_max)),
        "measure": measure,
        "qualifying": qualifying,
        "products": list(products),
        "variants": [as_variant(v) for v in variants],
        "categories": list(categories),
    }


def make_promotion(name=None, conditions=(), *, publish=True, groups=(), **fields):
    """A promotion saved with its conditions and rewards; published (live) unless
    `publish=False` (then a draft with one revision).

    `conditions`: `condition(...)` specs. Fields as on the model (start, end, flags...).
    """
    n = next(_counter)
    name = name or f"Promotion {n}"
    fields.setdefault("short_code", f"promo-{n}")
    if groups:
        fields.setdefault("audience", "groups")
    promotion = Promotion(name=name, live=publish, **fields)
    promotion.save()
    if groups:
        promotion.customer_groups.set(groups)
    for position, spec in enumerate(conditions):
        cond = PromotionCondition.objects.create(
            promotion=promotion,
            sort_order=position,
            threshold_min=spec["threshold_min"],
            threshold_max=spec["threshold_max"],
            measure=spec["measure"],
            qualifying=spec["qualifying"],
        )
        cond.qualifying_products.set(spec["products"])
        cond.qualifying_variants.set(spec["variants"])
        cond.qualifying_categories.set(spec["categories"])
        # ParentalManyToManyField values stay in memory until their row is saved.
        cond.save()
        for r_position, r in enumerate(spec["rewards"]):
            PromotionReward.objects.create(condition=cond, sort_order=r_position, **r)
    revision = promotion.save_revision()
    if publish:
        revision.publish()
    promotion.refresh_from_db()
    return promotion


def make_gift_promotion(
    gift,
    *,
    threshold="100.00",
    products=(),
    categories=(),
    quantity=1,
    name="Free tote",
    **fields,
):
    """A live "spend `threshold` on these products or categories, get `gift` free"
    promotion: one condition measured in value over the chosen products, one gift reward."""
    return make_promotion(
        name,
        [
            condition(
                [reward(gift, "gift", quantity=quantity)],
                threshold_min=threshold,
                measure="value",
                qualifying="chosen",
                products=products,
                categories=categories,
            )
        ],
        **fields,
    )


def end_now(promotion):
    """What staff do to stop a running promotion at once: set its end to now and publish."""
    promotion = Promotion.objects.get(pk=promotion.pk)
    promotion.end = timezone.now()
    promotion.save_revision().publish()
    return promotion
