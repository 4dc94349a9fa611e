"""The promotion page (`/shop/promotions/<short code>/`): what a promotion gives, in words,
and the products that count toward it or are given by it, as tiles paged like the catalog.

Who sees what:
- running (live, switched on, in its window at the shop's now) and for this shopper
  (everyone's, or a group's for a signed-in member): the page, 200;
- ended (its end has passed) and for this shopper: a short "This promotion has ended"
  page, 410 Gone: shoppers following an old link or newsletter deserve to be told, and
  crawlers to drop the address;
- anything else (no such code, a draft, switched off, not started yet, a group's
  promotion for anyone outside the group, a malformed code): 404, saying nothing of a
  promotion that exists but is not theirs to see, nor of one still to come.

A fixed number of queries, however many conditions, rewards and products.
"""

from django.db.models import Prefetch, Q

from commerce.models import Category, ProductVariant, PromotionCondition, PromotionReward
from commerce.models.promotions import Measure, Promotion, Qualifying, ValueType
from commerce.money import format_amount
from commerce.services.guests import signed_in_user
from commerce.text import counted
from pages.clock import shop_now

from .listing import (
    in_categories_q,
    paginate,
    querystring_without,
    tile_details,
    tile_queryset,
)
from .listing_query import ListingQuery
from .promotion_offers import gift_name, promoted_price

MAX_CODE_LENGTH = Promotion._meta.get_field("short_code").max_length


def find_promotion(short_code: str, user, now):
    """(promotion, "running" | "ended"), or None when the shopper is not to see it."""
    if not short_code or len(short_code) > MAX_CODE_LENGTH or "\x00" in short_code:
        return None
    promotion = (
        Promotion.objects.filter(short_code=short_code, live=True, is_active=True)
        .for_customer(user)
        .select_related("default_image")
        .first()
    )
    if promotion is None or (promotion.start is not None and now < promotion.start):
        return None
    if promotion.end is not None and promotion.end <= now:
        return promotion, "ended"
    return promotion, "running"


def load_conditions(promotion) -> list:
    """The promotion's conditions with their rewards (variant and product) and what they
    count: five queries, however many."""
    rewards = PromotionReward.objects.select_related("variant__product").order_by(
        "sort_order", "pk"
    )
    return list(
        PromotionCondition.objects.filter(promotion=promotion)
        .order_by("sort_order", "pk")
        .prefetch_related(
            Prefetch("rewards", queryset=rewards),
            "qualifying_products",
            Prefetch("qualifying_variants", queryset=_variants_with_product()),
            Prefetch("qualifying_categories", queryset=Category.objects.order_by("slug_path")),
        )
    )


def _variants_with_product():
    return ProductVariant.objects.select_related("product").order_by("product__name", "pk")


def threshold_text(condition, promotion) -> str:
    """ "From 10 pieces", "From 100.00 to 199.99": the threshold as shoppers read it."""
    if condition.measure == Measure.VALUE:
        low, high = format_amount(condition.threshold_min), format_amount(condition.threshold_max)
        return f"From {low} to {high}" if condition.threshold_max else f"From {low}"
    low = f"{condition.threshold_min.normalize():f}"
    high = f"{condition.threshold_max.normalize():f}"
    bulk = promotion.calculate_using_cumulative_units
    if condition.threshold_max:
        return f"From {low} to {counted(high, bulk_units=bulk)}"
    return f"From {counted(low, bulk_units=bulk)}"


def counted_text(condition) -> str:
    """What counts toward the threshold, in words."""
    if condition.qualifying == Qualifying.REWARDS:
        return "of the products below"
    names = [f"{c.name} (and everything in it)" for c in condition.qualifying_categories.all()]
    names += [p.name for p in condition.qualifying_products.all()]
    names += [v.product.name for v in condition.qualifying_variants.all()]
    if not names:
        return "of nothing yet"
    return "of " + ", ".join(dict.fromkeys(names))


def reward_text(reward, promotion) -> str:
    name = reward.variant.product.name
    if reward.value_type == ValueType.GIFT:
        count = f"{reward.quantity} × " if reward.quantity > 1 else ""
        return f"{count}{gift_name(reward.variant)} free"
    price = promoted_price(reward, promotion)
    if price is None:
        return ""
    if reward.value_type == ValueType.PERCENT:
        return f"{name}: {reward.reward_value.normalize():f}% off, {format_amount(price)} each"
    if reward.value_type == ValueType.AMOUNT:
        off = format_amount(reward.reward_value)
        return f"{name}: {off} off, {format_amount(price)} each"
    return f"{name}: {format_amount(price)} each (instead of {format_amount(reward.variant.price)})"


def condition_lines(conditions, promotion) -> list[dict]:
    """[{"threshold": "From 10 pieces of …", "rewards": [...]}] for the template."""
    lines = []
    for condition in conditions:
        rewards = [reward_text(r, promotion) for r in condition.rewards.all()]
        lines.append(
            {
                "threshold": f"{threshold_text(condition, promotion)} {counted_text(condition)}",
                "rewards": [text for text in rewards if text],
            }
        )
    return lines


def promotion_products_q(promotion, conditions) -> Q:
    """Products that count toward a condition or that a reward names (a gift's too)."""
    rewarded = PromotionReward.objects.filter(condition__promotion=promotion).values(
        "variant__product_id"
    )
    chosen = [c for c in conditions if c.qualifying == Qualifying.CHOSEN]
    products = {p.pk for c in chosen for p in c.qualifying_products.all()}
    products |= {v.product_id for c in chosen for v in c.qualifying_variants.all()}
    paths = {cat.slug_path for c in chosen for cat in c.qualifying_categories.all()}
    q = Q(pk__in=rewarded) | Q(pk__in=products)
    if paths:
        branch = Q()
        for path in paths:
            branch |= Q(slug_path=path) | Q(slug_path__startswith=f"{path}/")
        q |= in_categories_q(Category.objects.filter(branch).values("pk"))
    return q


def promotion_page(shop, request, short_code):
    """(template, context, status) for the promotion page; None for a 404."""
    user = signed_in_user(request)
    found = find_promotion(short_code, user, shop_now())
    if found is None:
        return None
    promotion, state = found
    if state == "ended":
        return "commerce/promotion_ended.html", {"shop": shop, "promotion": promotion}, 410
    conditions = load_conditions(promotion)
    products = tile_queryset().filter(promotion_products_q(promotion, conditions))
    page = paginate(products, ListingQuery(), None, request.GET.get("page"))
    tile_details(page.object_list, shop, request)
    return (
        "commerce/promotion.html",
        {
            "shop": shop,
            "promotion": promotion,
            "conditions": condition_lines(conditions, promotion),
            "products": page,
            "querystring_without_page": querystring_without(request.GET, "page"),
        },
        200,
    )
