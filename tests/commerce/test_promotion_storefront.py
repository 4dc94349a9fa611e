"""Promotions on the storefront: the offers tiles and product pages announce, the promotion
page, and what they cost in queries (the same with 0 and 20 running promotions)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce.services.catalog.promotion_offers import attach_offers, offers_for_variants
from pages.clock import previewing_at
from tests.factories.accounts import make_customer
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    make_shop,
    only_variant,
    set_stock,
)
from tests.factories.promotions import condition, make_promotion, reward

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def shop(homepage):
    return make_shop(homepage)


@pytest.fixture
def kitchen(shop):
    home = make_category("Home")
    kitchen = make_category("Kitchen", home)
    mugs = make_category("Mugs", kitchen)
    garden = make_category("Garden")
    return {
        "home": home,
        "kitchen": kitchen,
        "mugs": mugs,
        "garden": garden,
        "mug": make_product("Blue mug", price=Decimal("8.00"), main_category=mugs, stock=50),
        "pan": make_product("Steel pan", price=Decimal("30.00"), main_category=kitchen, stock=5),
        "spade": make_product("Spade", price=Decimal("45.00"), main_category=garden, stock=5),
        "tote": make_product("Tote bag", price=Decimal("6.00"), main_category=garden, stock=3),
    }


def mug_at_five(kitchen, **fields):
    return make_promotion(
        "Mug week",
        [condition([reward(kitchen["mug"], "fixed_price", given_price="5.00")], threshold_min=10)],
        **fields,
    )


def tote_from_100(kitchen, **fields):
    return make_promotion(
        "Free tote",
        [
            condition(
                [reward(kitchen["tote"], "gift", quantity=1)],
                threshold_min=100,
                measure="value",
                qualifying="chosen",
                categories=[kitchen["kitchen"]],
            )
        ],
        **fields,
    )


def offers_of(product, **kwargs):
    variant = only_variant(product)
    return offers_for_variants([variant.pk], **kwargs).get(variant.pk, [])


def texts(offers):
    return [offer.text for offer in offers]


# --- Offers: texts ------------------------------------------------------------------------


def test_a_threshold_price_is_announced_with_its_condition(kitchen):
    mug_at_five(kitchen)
    [offer] = offers_of(kitchen["mug"])
    assert offer.text == "5.00 each from 10 pcs"
    assert offer.price == Decimal("5.00")
    assert offer.regular_price == Decimal("8.00")
    assert offer.min_quantity == 10
    assert offer.promotion.name == "Mug week"
    assert not offer.is_gift
    assert offers_of(kitchen["pan"]) == []


def test_percent_and_amount_offers_say_what_they_take_off(kitchen):
    make_promotion(
        "Pans",
        [condition([reward(kitchen["pan"], "percent", reward_value=10)], threshold_min=3)],
    )
    make_promotion(
        "Spades",
        [condition([reward(kitchen["spade"], "amount", reward_value="2.50")], threshold_min=1)],
    )
    [pan] = offers_of(kitchen["pan"])
    assert (pan.text, pan.price) == ("10% off from 3 pcs", Decimal("27.00"))
    [spade] = offers_of(kitchen["spade"])
    # Any quantity qualifies: no condition to state.
    assert (spade.text, spade.price, spade.min_quantity) == (
        "2.50 off each",
        Decimal("42.50"),
        1,
    )


def test_a_gift_is_announced_on_every_variant_its_condition_counts(kitchen):
    tote_from_100(kitchen)
    # The kitchen and everything below it counts; the garden does not.
    for name in ("mug", "pan"):
        [offer] = offers_of(kitchen[name])
        assert offer.text == "+ free Tote bag from 100.00"
        assert offer.is_gift and offer.price is None
        assert offer.gift_name == "Tote bag"
    assert offers_of(kitchen["spade"]) == []
    assert offers_of(kitchen["tote"]) == []


def test_a_gift_counts_a_products_additional_category(kitchen):
    tote_from_100(kitchen)
    spade = kitchen["spade"]
    spade.additional_categories.add(kitchen["mugs"])
    spade.save()  # a parental many-to-many is written with its product
    assert texts(offers_of(kitchen["spade"])) == ["+ free Tote bag from 100.00"]


def test_a_gift_counts_chosen_products_and_variants(kitchen):
    make_promotion(
        "Gift for spades",
        [
            condition(
                [reward(kitchen["tote"], "gift", quantity=2)],
                threshold_min=2,
                qualifying="chosen",
                products=[kitchen["spade"]],
                variants=[kitchen["pan"]],
            )
        ],
    )
    assert texts(offers_of(kitchen["spade"])) == ["+ free 2 × Tote bag from 2 pcs"]
    assert texts(offers_of(kitchen["pan"])) == ["+ free 2 × Tote bag from 2 pcs"]
    assert offers_of(kitchen["mug"]) == []


def test_a_category_with_a_similar_slug_is_not_in_the_branch(kitchen):
    # "kitchen-tools" starts with "kitchen" but is not below it.
    tools = make_category("Kitchen tools")
    knife = make_product("Knife", main_category=tools, stock=1)
    tote_from_100(kitchen)
    assert offers_of(knife) == []


def test_a_gift_out_of_stock_is_not_announced(kitchen):
    tote_from_100(kitchen)
    set_stock(only_variant(kitchen["tote"]), 0)
    assert offers_of(kitchen["mug"]) == []


def test_a_price_offers_condition_on_other_products_says_qualifying(kitchen):
    make_promotion(
        "Garden deal",
        [
            condition(
                [reward(kitchen["spade"], "fixed_price", given_price="40.00")],
                threshold_min=3,
                qualifying="chosen",
                categories=[kitchen["kitchen"]],
            )
        ],
    )
    assert texts(offers_of(kitchen["spade"])) == ["40.00 each from 3 qualifying pcs"]


def test_tiers_are_listed_from_the_smallest_threshold(kitchen):
    make_promotion(
        "Tiers",
        [
            condition(
                [reward(kitchen["mug"], "fixed_price", given_price="4.50")], threshold_min=50
            ),
            condition(
                [reward(kitchen["mug"], "fixed_price", given_price="5.00")],
                threshold_min=10,
                threshold_max=49,
            ),
        ],
    )
    assert texts(offers_of(kitchen["mug"])) == [
        "5.00 each from 10 pcs",
        "4.50 each from 50 pcs",
    ]


# --- Offers: who and when -----------------------------------------------------------------


def test_a_draft_promotion_is_not_offered(kitchen):
    mug_at_five(kitchen, publish=False)
    assert offers_of(kitchen["mug"]) == []


def test_a_switched_off_promotion_is_not_offered(kitchen):
    mug_at_five(kitchen, is_active=False)
    assert offers_of(kitchen["mug"]) == []


def test_a_promotion_is_offered_from_its_start_to_just_before_its_end(kitchen):
    now = timezone.now()
    start, end = now + timedelta(days=1), now + timedelta(days=2)
    mug_at_five(kitchen, start=start, end=end)
    assert offers_of(kitchen["mug"], now=start - timedelta(microseconds=1)) == []
    assert texts(offers_of(kitchen["mug"], now=start)) == ["5.00 each from 10 pcs"]
    assert offers_of(kitchen["mug"], now=end) == []
    # The shop's now, which a dated preview moves.
    assert offers_of(kitchen["mug"]) == []
    with previewing_at(start + timedelta(hours=1)):
        assert len(offers_of(kitchen["mug"])) == 1


def test_an_ended_promotion_is_not_offered(kitchen):
    now = timezone.now()
    mug_at_five(kitchen, start=now - timedelta(days=3), end=now - timedelta(seconds=1))
    assert offers_of(kitchen["mug"]) == []


def test_a_group_promotion_is_offered_to_members_only(kitchen):
    members = Group.objects.create(name="Trade")
    mug_at_five(kitchen, groups=[members])
    guest_offers = offers_of(kitchen["mug"])
    outsider = make_customer()
    member = make_customer()
    member.groups.add(members)
    assert guest_offers == []
    assert offers_of(kitchen["mug"], user=outsider) == []
    assert texts(offers_of(kitchen["mug"], user=member)) == ["5.00 each from 10 pcs"]


def test_offers_for_no_variants_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert offers_for_variants([]) == {}


def test_offers_are_one_query_however_many_promotions(kitchen, django_assert_num_queries):
    ids = [only_variant(kitchen[name]).pk for name in ("mug", "pan", "spade")]
    for index in range(10):
        mug_at_five(kitchen, short_code=f"mug-{index}")
        tote_from_100(kitchen, short_code=f"tote-{index}")
    with django_assert_num_queries(1):
        offers = offers_for_variants(ids)
    assert len(offers[ids[0]]) == 20
    assert len(offers[ids[1]]) == 10


def test_a_tile_shows_the_offers_of_its_cheapest_variant(kitchen):
    from commerce.services.catalog.listing import tile_queryset

    size, (small, large) = make_attribute("Size", ["S", "L"], varies_per_variant=True)
    shirt = make_product(
        "Shirt",
        axes=[size],
        variants=[
            {"price": Decimal("20.00"), "options": [large], "stock": 3},
            {"price": Decimal("15.00"), "options": [small], "stock": 3},
        ],
    )
    cheap = shirt.variants.get(price=Decimal("15.00"))
    dear = shirt.variants.get(price=Decimal("20.00"))
    make_promotion("Cheap", [condition([reward(cheap, "percent", reward_value=20)])])
    make_promotion("Dear", [condition([reward(dear, "percent", reward_value=50)])])
    [tile] = attach_offers(tile_queryset().filter(pk=shirt.pk))
    assert texts(tile.offers) == ["20% off"]
