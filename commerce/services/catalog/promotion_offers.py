"""What running promotions offer on the storefront: the texts tiles and product pages show.

An `Offer` is one reward a shopper could get on one variant, said in words: a promoted
price ("5.00 each from 10 pieces", "10% off from 3 pieces") on a variant a reward names, or a
gift ("+ free Tote bag from 100.00") on a variant whose lines count toward a gift's
condition. What a cart really gets is the engine's decision
(`commerce.services.pricing.promotions.evaluate`) at the cart; these texts announce
the same rules, not a second computation of a cart.

Cost: `offers_for_variants` is one query (two, below) for a whole page, however many
promotions are running and however many variants the page shows: the reward rows of the
running promotions the shopper may get, with their condition, promotion and variant,
each gift reward with the page variants its condition counts (joined in the database,
see `_counted_page_variants`) and its stock (a gift with no units left is not
announced: the cart could not give it). When some offer has a price, one more: the 30-day lowest
prices before the promotions' starts (`with_lowest_prices`).

A tile shows the offers of its cheapest variant (`attach_offers`): the price on the
tile is that variant's, so the promoted price next to it is about the same unit. The
product page shows the chosen variant's offers, and the picker's data carries every
variant's so the offer follows the choice.
"""

import math
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Aggregate,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Concat

from commerce.models import (
    Product,
    ProductVariant,
    Promotion,
    PromotionCondition,
    PromotionReward,
)
from commerce.models.promotions import Measure, Qualifying, ValueType
from commerce.money import format_amount
from commerce.services.inventory import available_stock_subquery
from commerce.services.price_history import lowest_prices_before_each, shown_lowest_price
from commerce.services.pricing.promotions import reward_unit_price
from commerce.text import counted
from pages.clock import shop_now

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class PromotionLink:
    """What an offer says of its promotion: its name, linking to its page."""

    id: int
    name: str
    short_code: str
    url: str
    # When its reduced prices started: the moment the 30-day lowest price is read before.
    start: datetime | None


@dataclass(frozen=True)
class Offer:
    promotion: PromotionLink
    variant_id: int
    text: str  # "5.00 each from 10 pieces", "+ free Tote bag from 100.00"
    price: Decimal | None  # the promoted unit price; None for a gift
    regular_price: Decimal  # the variant's price now
    # Units of this variant alone that reach the condition (1 when any quantity does).
    min_quantity: int
    gift_name: str = ""
    gift_quantity: int = 0
    # The EU's 30-day lowest price before the promotion started (`price_history`); None
    # for a gift.
    lowest_price: Decimal | None = None

    @property
    def is_gift(self) -> bool:
        return self.price is None

    def as_json(self) -> dict:
        """What the product page's picker script shows for a variant (no Decimals)."""
        return {
            "text": self.text,
            "price": format_amount(self.price) if self.price is not None else None,
            "promotion": self.promotion.name,
            "url": self.promotion.url,
            "lowestPrice": format_amount(self.lowest_price)
            if self.lowest_price is not None
            else None,
        }


# --- Loading ------------------------------------------------------------------------------


class _JoinedIds(Aggregate):
    """Ids joined with commas ("3,7,12"): STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite.

    Lets one reward row carry the page variants its condition counts, so a whole page's
    offers stay one query (Django 5.2 has no portable string aggregate)."""

    function = "STRING_AGG"
    template = "%(function)s(CAST(%(expressions)s AS VARCHAR(20)), ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s)"
        )


def _in_branch_of_condition(path_ref, condition_ref):
    """The category path `path_ref` (an outer reference) is one of the condition's
    qualifying categories or below one (as the engine's `category_paths` match)."""
    through = PromotionCondition.qualifying_categories.through
    return Exists(
        through.objects.filter(promotioncondition_id=condition_ref)
        .annotate(outer_path=ExpressionWrapper(path_ref, output_field=CharField()))
        .filter(
            Q(outer_path=F("category__slug_path"))
            | Q(outer_path__startswith=Concat(F("category__slug_path"), Value("/")))
        )
    )


def _counted_page_variants(variant_ids):
    """For a reward row: the page variants (of `variant_ids`) whose lines count toward its
    condition's threshold, as "3,7,12" (None: none). Reward variants are counted in
    Python from the rows themselves; this is the "chosen" products, variants and
    categories (the products' main and additional categories, with subcategories)."""
    condition = OuterRef(OuterRef("condition_id"))
    chosen_variants = PromotionCondition.qualifying_variants.through.objects.filter(
        promotioncondition_id=condition, productvariant_id=OuterRef("pk")
    )
    chosen_products = PromotionCondition.qualifying_products.through.objects.filter(
        promotioncondition_id=condition, product_id=OuterRef("product_id")
    )
    extra_categories = Product.additional_categories.through.objects.filter(
        product_id=OuterRef("product_id")
    ).filter(
        _in_branch_of_condition(
            OuterRef("category__slug_path"), OuterRef(OuterRef(OuterRef("condition_id")))
        )
    )
    counted = (
        ProductVariant.objects.filter(pk__in=variant_ids)
        .filter(
            Q(Exists(chosen_variants))
            | Q(Exists(chosen_products))
            | Q(_in_branch_of_condition(OuterRef("product__main_category__slug_path"), condition))
            | Q(Exists(extra_categories))
        )
        .order_by()
        .annotate(everything=Value(1))
        .values("everything")  # no GROUP BY: one row, the ids joined
        .annotate(ids=_JoinedIds("pk"))
        .values("ids")
    )
    return Subquery(counted, output_field=CharField())


def _reward_rows(variant_ids, *, user, now):
    """The running promotions' rewards that can concern these variants, in one query:
    price rewards on them, and every gift reward (with the page variants its condition
    counts and its units in stock). Ordered for stable output."""
    promotions = Promotion.objects.running(now).for_customer(user).values("pk")
    gift = Q(value_type=ValueType.GIFT)
    return (
        PromotionReward.objects.filter(condition__promotion__in=promotions)
        .filter(gift | Q(variant_id__in=variant_ids))
        .select_related("condition__promotion", "variant__product")
        .annotate(
            counted_variants=_counted_page_variants(variant_ids),
            gift_stock=available_stock_subquery("variant_id"),
        )
        .order_by("condition__promotion_id", "condition__sort_order", "sort_order", "pk")
    )


# --- Words --------------------------------------------------------------------------------


def start_price(reward, promotion) -> Decimal:
    """The price a percent or amount is taken from, as the engine takes it."""
    variant = reward.variant
    if promotion.start_using_default_price and variant.is_discounted:
        return variant.compare_at_price
    return variant.price


def promoted_price(reward, promotion) -> Decimal | None:
    """The unit price a price reward announces, as the engine charges it
    (`pricing.promotions.reward_unit_price`); None for a gift or a reward the engine
    would not apply (no lower than the regular price)."""
    if not reward.reward_value and reward.value_type != ValueType.FIXED_PRICE:
        return None
    price = reward_unit_price(
        reward.value_type,
        given_price=reward.given_price,
        reward_value=reward.reward_value,
        start_price=start_price(reward, promotion),
    )
    return price if price is not None and price < reward.variant.price else None


def threshold_words(condition, promotion, *, counted_alone: bool) -> str:
    """ "from 10 pieces", "from 100.00"; "" when any quantity qualifies. Of other products'
    lines ("chosen"), "from 10 qualifying pieces": the promotion's page lists them."""
    minimum = condition.threshold_min
    if condition.measure == Measure.VALUE:
        amount = format_amount(minimum)
        return f"from {amount}" if counted_alone else f"from {amount} of qualifying products"
    if minimum <= 1 and counted_alone:
        return ""
    count = counted(
        f"{minimum.normalize():f}",
        bulk_units=promotion.calculate_using_cumulative_units,
        qualifying=not counted_alone,
    )
    return f"from {count}"


def min_quantity(condition, promotion, variant, price: Decimal | None) -> int:
    """Units of `variant` alone that reach the condition's lower threshold."""
    minimum = condition.threshold_min
    if condition.measure == Measure.VALUE:
        promoted = price is not None and promotion.use_promotion_price_for_threshold
        unit = price if promoted else variant.price
        return max(1, math.ceil(minimum / unit)) if unit > 0 else 1
    if promotion.calculate_using_cumulative_units and variant.units_per_bulk_package:
        return max(1, math.ceil(minimum / variant.units_per_bulk_package))
    return max(1, math.ceil(minimum))


def gift_min_quantity(condition) -> int:
    """For a gift: the units of one counted variant that reach a quantity threshold; 1 for
    a value threshold (the counted variant's price is not loaded: the text says the sum)."""
    if condition.measure == Measure.VALUE:
        return 1
    return max(1, math.ceil(condition.threshold_min))


def price_text(reward, price: Decimal, condition_words: str) -> str:
    if reward.value_type == ValueType.PERCENT:
        head = f"{reward.reward_value.normalize():f}% off"
    elif reward.value_type == ValueType.AMOUNT:
        head = f"{format_amount(reward.reward_value)} off each"
    else:
        head = f"{format_amount(price)} each"
    return f"{head} {condition_words}".strip()


def gift_name(variant) -> str:
    """The gift as shoppers know it: its product's name. Not the variant's options: reading
    them would cost a query per gift, and a gift is rarely chosen by size."""
    return variant.product.name


def gift_text(reward, condition_words: str) -> str:
    count = f"{reward.quantity} × " if reward.quantity > 1 else ""
    return f"+ free {count}{gift_name(reward.variant)} {condition_words}".strip()


# --- Offers -------------------------------------------------------------------------------


def promotion_link(promotion, shop=None, shop_url="") -> PromotionLink:
    """`shop_url`: the shop page's URL, computed once per page."""
    return PromotionLink(
        id=promotion.pk,
        name=promotion.name,
        short_code=promotion.short_code,
        url=shop_url + shop.promotion_subpath(promotion) if shop is not None else "",
        start=promotion.start or promotion.first_published_at,
    )


def offers_for_variants(
    variant_ids, *, user=None, now=None, shop=None, request=None
) -> dict[int, list[Offer]]:
    """{variant id: its offers} for the running promotions this shopper may get at `now`
    (default: the shop's now, which a dated preview moves). One query, two when some
    offer has a price (its 30-day lowest price); no query at all for no variants.
    `shop` (and `request`) give the promotions' page URLs.

    Each variant's offers: price offers first, by the units they need then the price,
    then gifts. Variants without offers are left out."""
    variant_ids = {pk for pk in variant_ids if pk is not None}
    if not variant_ids:
        return {}
    now = now or shop_now()
    shop_url = shop.get_url(request=request) if shop is not None else ""
    rows = list(_reward_rows(variant_ids, user=user, now=now))

    # The reward variants of each condition: what "rewards" conditions count.
    reward_variants: dict[int, set[int]] = {}
    for row in rows:
        reward_variants.setdefault(row.condition_id, set()).add(row.variant_id)

    links: dict[int, PromotionLink] = {}
    offers: dict[int, list[Offer]] = {}
    for row in rows:
        condition = row.condition
        promotion = condition.promotion
        link = links.get(promotion.pk) or links.setdefault(
            promotion.pk, promotion_link(promotion, shop, shop_url)
        )
        if row.value_type != ValueType.GIFT:
            price = promoted_price(row, promotion)
            if price is None or row.variant_id not in variant_ids:
                continue
            alone = condition.qualifying == Qualifying.REWARDS
            words = threshold_words(condition, promotion, counted_alone=alone)
            offers.setdefault(row.variant_id, []).append(
                Offer(
                    promotion=link,
                    variant_id=row.variant_id,
                    text=price_text(row, price, words),
                    price=price,
                    regular_price=row.variant.price,
                    min_quantity=min_quantity(condition, promotion, row.variant, price),
                )
            )
            continue
        if not row.quantity or not row.gift_stock:
            continue  # no units to give: announcing it would promise what the cart cannot
        if condition.qualifying == Qualifying.REWARDS:
            counted = reward_variants[condition.pk] & variant_ids
        else:
            counted = {int(pk) for pk in (row.counted_variants or "").split(",") if pk}
        words = threshold_words(condition, promotion, counted_alone=True)
        for variant_id in counted:
            offers.setdefault(variant_id, []).append(
                Offer(
                    promotion=link,
                    variant_id=variant_id,
                    text=gift_text(row, words),
                    price=None,
                    regular_price=row.variant.price,
                    min_quantity=gift_min_quantity(condition),
                    gift_name=gift_name(row.variant),
                    gift_quantity=row.quantity,
                )
            )
    offers = with_lowest_prices(offers)
    for variant_offers in offers.values():
        variant_offers.sort(key=_offer_order)
    return offers


def with_lowest_prices(offers: dict[int, list[Offer]]) -> dict[int, list[Offer]]:
    """The offers, each price offer with the lowest price its variant had in the 30 days
    before its promotion started (`PromotionLink.start`), as the EU requires wherever a
    reduced price is announced. One query for the page; none when no offer has a price."""
    pairs = {
        (offer.variant_id, offer.promotion.start)
        for variant_offers in offers.values()
        for offer in variant_offers
        if not offer.is_gift
    }
    if not pairs:
        return offers
    lowest = lowest_prices_before_each(pairs)
    return {
        variant_id: [
            offer
            if offer.is_gift
            else replace(
                offer,
                lowest_price=shown_lowest_price(
                    lowest[(offer.variant_id, offer.promotion.start)], offer.price
                ),
            )
            for offer in variant_offers
        ]
        for variant_id, variant_offers in offers.items()
    }


def _offer_order(offer: Offer):
    return (offer.is_gift, offer.min_quantity, offer.price or 0, offer.promotion.id)


def attach_offers(products, *, user=None, now=None, shop=None, request=None):
    """Each tile's `offers`: those of its cheapest (matching) variant, the one whose price
    the tile shows (`cheapest_variant_id` from `annotate_variant_summary`). One or two
    queries for the page (`offers_for_variants`)."""
    products = list(products)
    by_variant = offers_for_variants(
        [getattr(p, "cheapest_variant_id", None) for p in products],
        user=user,
        now=now,
        shop=shop,
        request=request,
    )
    for product in products:
        product.offers = by_variant.get(getattr(product, "cheapest_variant_id", None), [])
    return products
