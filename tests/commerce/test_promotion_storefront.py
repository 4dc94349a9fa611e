"""Promotions on the storefront: the offers tiles and product pages announce, the promotion
page, and what they cost in queries (the same with 0 and 20 running promotions)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce.models import VariantPrice
from commerce.services.catalog.promotion_offers import attach_offers, offers_for_variants
from pages.clock import previewing_at
from tests.commerce.test_price_history import set_history
from tests.factories.accounts import make_customer
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    only_variant,
    set_stock,
)
from tests.factories.promotions import condition, make_gift_promotion, make_promotion, reward

# Every request renders: these tests are about what rendering shows and costs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]


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
    return make_gift_promotion(
        kitchen["tote"], threshold=100, categories=[kitchen["kitchen"]], **fields
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
    assert offer.text == "5.00 each from 10 pieces"
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
    assert (pan.text, pan.price) == ("10% off from 3 pieces", Decimal("27.00"))
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
    assert texts(offers_of(kitchen["spade"])) == ["+ free 2 × Tote bag from 2 pieces"]
    assert texts(offers_of(kitchen["pan"])) == ["+ free 2 × Tote bag from 2 pieces"]
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
    assert texts(offers_of(kitchen["spade"])) == ["40.00 each from 3 qualifying pieces"]


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
        "5.00 each from 10 pieces",
        "4.50 each from 50 pieces",
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
    assert texts(offers_of(kitchen["mug"], now=start)) == ["5.00 each from 10 pieces"]
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
    assert texts(offers_of(kitchen["mug"], user=member)) == ["5.00 each from 10 pieces"]


def test_offers_for_no_variants_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert offers_for_variants([]) == {}


def test_offers_are_two_queries_however_many_promotions(kitchen, django_assert_num_queries):
    ids = [only_variant(kitchen[name]).pk for name in ("mug", "pan", "spade")]
    for index in range(10):
        mug_at_five(kitchen, short_code=f"mug-{index}")
        tote_from_100(kitchen, short_code=f"tote-{index}")
    with django_assert_num_queries(2):  # the offers; the 30-day lowest prices of 10 starts
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


# --- Tiles and the product page -----------------------------------------------------------


def test_a_tile_shows_the_offer_and_links_the_promotion(client, kitchen):
    promotion = mug_at_five(kitchen)
    html = client.get("/shop/c/home/kitchen/mugs/").content.decode()
    tile = BeautifulSoup(html, "html.parser").select_one(".product-tile")
    offer = tile.select_one(".offer")
    assert offer.select_one(".offer__text").get_text() == "5.00 each from 10 pieces"
    link = offer.select_one("a.offer__promotion")
    assert link.get_text() == "Mug week"
    assert link["href"] == f"/shop/promotions/{promotion.short_code}/"


def test_a_tile_without_a_running_promotion_shows_no_offer(client, kitchen):
    mug_at_five(kitchen, start=timezone.now() + timedelta(days=7))
    html = client.get("/shop/c/home/kitchen/mugs/").content.decode()
    assert "product-tile" in html
    assert "offer__text" not in html


def test_the_product_page_shows_the_offers_and_the_gift(client, kitchen):
    mug_at_five(kitchen)
    tote_from_100(kitchen)
    html = client.get(f"/shop/p/{kitchen['mug'].slug}/").content.decode()
    offers = BeautifulSoup(html, "html.parser").select("[data-offers] .offer__text")
    assert [o.get_text() for o in offers] == [
        "5.00 each from 10 pieces",
        "+ free Tote bag from 100.00",
    ]


def test_the_pickers_data_carries_each_variants_offers(client, kitchen):
    size, (small, large) = make_attribute("Size", ["S", "L"], varies_per_variant=True)
    shirt = make_product(
        "Shirt",
        axes=[size],
        main_category=kitchen["kitchen"],
        variants=[
            {"sku": "SHIRT-S", "price": Decimal("15.00"), "options": [small], "stock": 3},
            {"sku": "SHIRT-L", "price": Decimal("20.00"), "options": [large], "stock": 3},
        ],
    )
    small_shirt = shirt.variants.get(sku="SHIRT-S")
    make_promotion(
        "Small shirts", [condition([reward(small_shirt, "fixed_price", given_price="12.00")])]
    )
    response = client.get(f"/shop/p/{shirt.slug}/")
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    # Nothing chosen yet: no offer shown; the script shows it on a choice.
    assert soup.select_one("[data-offers]").has_attr("hidden")
    data = json.loads(soup.select_one("#variant-data").string)
    offers = {v["sku"]: v["offers"] for v in data["variants"]}
    assert offers["SHIRT-L"] == []
    assert offers["SHIRT-S"] == [
        {
            "text": "12.00 each",
            "price": "12.00",
            "promotion": "Small shirts",
            "url": offers["SHIRT-S"][0]["url"],
            # Its price since it was published, before the promotion: the 30-day lowest.
            "lowestPrice": "15.00",
        }
    ]
    assert offers["SHIRT-S"][0]["url"].startswith("/shop/promotions/promo-")
    chosen = client.get(f"/shop/p/{shirt.slug}/?variant=SHIRT-S").content.decode()
    texts_shown = BeautifulSoup(chosen, "html.parser").select("[data-offers] .offer__text")
    assert [t.get_text() for t in texts_shown] == ["12.00 each"]


def test_a_group_offer_shows_to_a_signed_in_member_only(client, kitchen):
    members = Group.objects.create(name="Trade")
    mug_at_five(kitchen, groups=[members])
    url = f"/shop/p/{kitchen['mug'].slug}/"
    assert "offer__text" not in client.get(url).content.decode()
    member = make_customer()
    member.groups.add(members)
    client.force_login(member)
    assert "5.00 each from 10 pieces" in client.get(url).content.decode()


# --- The 30-day lowest price before a promotion ------------------------------------------

LOWEST_TEXT = "Lowest price in the 30 days before the reduction:"
DAY = timedelta(days=1)


def kettle_at_six(kitchen, history, **fields):
    """A kettle at 10.00 with `history` ([(days ago, price)]), promoted to 6.00 from now."""
    kettle = make_product("Kettle", price=Decimal("10.00"), main_category=kitchen["mugs"], stock=9)
    now = timezone.now()
    if history is None:
        VariantPrice.objects.filter(variant__product=kettle).delete()
    else:
        set_history(only_variant(kettle), history, now=now)
    fields.setdefault("start", now)
    make_promotion(
        "Kettle days",
        [condition([reward(kettle, "fixed_price", given_price="6.00")])],
        **fields,
    )
    return kettle


# 10.00 for 40 days, 8.00 for 20 days, back to 10.00 for the last 5.
RECENT_LOW = [(65, "10.00"), (25, "8.00"), (5, "10.00")]
# The same, the 8.00 ended 35 days ago.
OLD_LOW = [(95, "10.00"), (55, "8.00"), (35, "10.00")]


@pytest.mark.parametrize(
    "history, shown",
    [
        (RECENT_LOW, "8.00"),
        (OLD_LOW, "10.00"),
        # The 8.00 replaced exactly 30 days before the start: not in the window...
        ([(70, "10.00"), (50, "8.00"), (30, "10.00")], "10.00"),
        # ...one second later, it was in effect when the window opened.
        ([(70, "10.00"), (50, "8.00"), (30 * DAY - timedelta(seconds=1), "10.00")], "8.00"),
        # No price before the promotion: the promoted price itself (`shown_lowest_price`).
        (None, "6.00"),
        ([(0, "10.00")], "6.00"),
    ],
)
def test_a_promoted_price_carries_the_lowest_price_before_the_promotion(kitchen, history, shown):
    kettle = kettle_at_six(kitchen, history)
    [offer] = offers_of(kettle)
    assert offer.price == Decimal("6.00")
    assert offer.lowest_price == Decimal(shown)
    assert offer.as_json()["lowestPrice"] == shown


def test_the_moment_is_the_promotions_start_else_its_first_publication(kitchen):
    # Started 40 days ago: the 8.00 came later and does not count.
    kettle = kettle_at_six(kitchen, RECENT_LOW, start=timezone.now() - 40 * DAY)
    [offer] = offers_of(kettle)
    assert offer.lowest_price == Decimal("10.00")
    # No start: from its first publication (now).
    VariantPrice.objects.all().delete()
    cup = make_product("Cup", price=Decimal("10.00"), main_category=kitchen["mugs"], stock=9)
    set_history(only_variant(cup), RECENT_LOW)
    promotion = make_promotion("Cups", [condition([reward(cup, "fixed_price", given_price="6")])])
    assert promotion.start is None
    [offer] = offers_of(cup)
    assert offer.promotion.start == promotion.first_published_at
    assert offer.lowest_price == Decimal("8.00")


def test_two_promotions_on_one_variant_each_read_before_its_own_start(
    kitchen, django_assert_num_queries
):
    kettle = kettle_at_six(kitchen, RECENT_LOW)  # from now: 8.00
    make_promotion(
        "Old kettle deal",
        [condition([reward(kettle, "fixed_price", given_price="7.00")], threshold_min=2)],
        start=timezone.now() - 40 * DAY,  # before the 8.00: 10.00
    )
    variant = only_variant(kettle)
    with django_assert_num_queries(2):  # the offers, their lowest prices
        offers = offers_for_variants([variant.pk])[variant.pk]
    assert [(o.price, o.lowest_price) for o in offers] == [
        (Decimal("6.00"), Decimal("8.00")),
        (Decimal("7.00"), Decimal("10.00")),
    ]


def test_a_gift_has_no_lowest_price_and_costs_no_query(kitchen, django_assert_num_queries):
    tote_from_100(kitchen)
    variant = only_variant(kitchen["pan"])
    with django_assert_num_queries(1):
        [offer] = offers_for_variants([variant.pk])[variant.pk]
    assert offer.is_gift
    assert offer.lowest_price is None
    assert offer.as_json()["lowestPrice"] is None


def offer_lowest_lines(soup):
    return [
        node.get_text(" ", strip=True)
        for node in soup.select(".offer [data-offer-lowest-price]")
        if not node.has_attr("hidden")
    ]


def test_the_product_page_shows_it_under_the_promoted_price(client, kitchen):
    kettle = kettle_at_six(kitchen, RECENT_LOW)
    tote_from_100(kitchen)
    html = client.get(f"/shop/p/{kettle.slug}/").content.decode()
    soup = BeautifulSoup(html, "html.parser")
    offers = soup.select("[data-offers] .offer")
    assert [o.select_one(".offer__text").get_text() for o in offers] == [
        "6.00 each",
        "+ free Tote bag from 100.00",
    ]
    price_offer, gift = offers
    assert offer_lowest_lines(price_offer) == [f"{LOWEST_TEXT} 8.00 EUR"]
    assert not gift.select("[data-offer-lowest-price]")
    # Its own attribute: the compare-at price's line (none here) is another.
    assert not soup.select_one("[data-offers] [data-lowest-price]")
    compare_at_line = soup.select_one("[data-lowest-price]")
    assert compare_at_line is None or compare_at_line.has_attr("hidden")


def test_the_tile_shows_it_under_the_promoted_price(client, kitchen):
    kettle_at_six(kitchen, OLD_LOW)
    mug_at_five(kitchen)  # no history but its first price, recorded as it was published
    html = client.get("/shop/c/home/kitchen/mugs/").content.decode()
    tiles = {
        tile.select_one(".product-tile__name").get_text(strip=True): tile
        for tile in BeautifulSoup(html, "html.parser").select(".product-tile")
    }
    assert offer_lowest_lines(tiles["Kettle"]) == [f"{LOWEST_TEXT} 10.00 EUR"]
    assert offer_lowest_lines(tiles["Blue mug"]) == [f"{LOWEST_TEXT} 8.00 EUR"]
    assert not tiles["Kettle"].select("[data-lowest-price]")  # no compare-at reduction


def test_the_pickers_data_and_template_carry_it(client, kitchen):
    size, (small, large) = make_attribute("Size", ["S", "L"], varies_per_variant=True)
    shirt = make_product(
        "Shirt",
        axes=[size],
        main_category=kitchen["kitchen"],
        variants=[
            {"sku": "SHIRT-S", "price": Decimal("10.00"), "options": [small], "stock": 3},
            {"sku": "SHIRT-L", "price": Decimal("10.00"), "options": [large], "stock": 3},
        ],
    )
    small_shirt = shirt.variants.get(sku="SHIRT-S")
    large_shirt = shirt.variants.get(sku="SHIRT-L")
    set_history(small_shirt, RECENT_LOW)
    set_history(large_shirt, OLD_LOW)
    make_promotion(
        "Shirts",
        [
            condition(
                [
                    reward(small_shirt, "fixed_price", given_price="6.00"),
                    reward(large_shirt, "fixed_price", given_price="6.00"),
                ]
            )
        ],
        start=timezone.now(),
    )
    soup = BeautifulSoup(client.get(f"/shop/p/{shirt.slug}/").content.decode(), "html.parser")
    data = json.loads(soup.select_one("#variant-data").string)
    lowest = {v["sku"]: [o["lowestPrice"] for o in v["offers"]] for v in data["variants"]}
    assert lowest == {"SHIRT-S": ["8.00"], "SHIRT-L": ["10.00"]}
    # The line the picker's script copies for an offer: the include's, its own attribute.
    template = soup.select_one("[data-offers] ~ template[data-offer-lowest-template]")
    # (Beautiful Soup keeps a <template>'s content as text, as a browser keeps it inert.)
    line = BeautifulSoup(template.decode_contents(), "html.parser").select_one(
        "[data-offer-lowest-price]"
    )
    assert line.get_text(" ", strip=True) == f"{LOWEST_TEXT} 0.00 EUR"
    assert not line.has_attr("data-lowest-price")


# --- The promotion page -------------------------------------------------------------------


def test_the_promotion_page_lists_conditions_and_products(client, kitchen):
    mug = mug_at_five(kitchen, description="Stock up on mugs.")
    response = client.get(f"/shop/promotions/{mug.short_code}/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.h1.get_text() == "Mug week"
    assert "Stock up on mugs." in soup.get_text()
    conditions = soup.select_one(".promotion__conditions").get_text(" ", strip=True)
    assert "From 10 pieces of the products below" in conditions
    assert "Blue mug: 5.00 each (instead of 8.00)" in conditions
    names = [t.get_text() for t in soup.select(".product-tile__name")]
    assert names == ["Blue mug"]


def test_a_gift_promotion_page_lists_what_counts_and_the_gift(client, kitchen):
    tote = tote_from_100(kitchen)
    soup = BeautifulSoup(
        client.get(f"/shop/promotions/{tote.short_code}/").content.decode(), "html.parser"
    )
    conditions = soup.select_one(".promotion__conditions").get_text(" ", strip=True)
    assert "From 100.00 of Kitchen (and everything in it)" in conditions
    assert "Tote bag free" in conditions
    names = sorted(t.get_text() for t in soup.select(".product-tile__name"))
    assert names == ["Blue mug", "Steel pan", "Tote bag"]


def test_the_promotion_page_is_paged_like_the_catalog(client, kitchen):
    for index in range(30):
        make_product(f"Cup {index:02d}", main_category=kitchen["mugs"], stock=1)
    tote = tote_from_100(kitchen)
    first = client.get(f"/shop/promotions/{tote.short_code}/").content.decode()
    assert first.count('<article class="product-tile') == 24
    second = client.get(f"/shop/promotions/{tote.short_code}/?page=2").content.decode()
    assert second.count('<article class="product-tile') == 33 - 24
    # Past the end or garbage: the last or the first page, as in the catalog.
    garbage = client.get(f"/shop/promotions/{tote.short_code}/?page=99999999999999999999")
    assert garbage.status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"publish": False},
        {"is_active": False},
        # Far enough ahead that a slow machine cannot reach it while the test runs.
        {"start_in": timedelta(minutes=10)},
    ],
    ids=["draft", "switched-off", "not-started"],
)
def test_a_promotion_shoppers_cannot_get_has_no_page(client, kitchen, fields):
    fields = dict(fields)
    if "start_in" in fields:
        fields["start"] = timezone.now() + fields.pop("start_in")
    promotion = mug_at_five(kitchen, **fields)
    assert client.get(f"/shop/promotions/{promotion.short_code}/").status_code == 404


def test_a_group_promotion_page_is_for_members_only(client, kitchen):
    members = Group.objects.create(name="Trade")
    promotion = mug_at_five(kitchen, groups=[members])
    url = f"/shop/promotions/{promotion.short_code}/"
    assert client.get(url).status_code == 404
    client.force_login(make_customer())
    assert client.get(url).status_code == 404
    member = make_customer()
    member.groups.add(members)
    client.force_login(member)
    assert client.get(url).status_code == 200


def test_an_ended_promotion_says_so_with_410(client, kitchen):
    now = timezone.now()
    promotion = mug_at_five(kitchen, start=now - timedelta(days=7), end=now)
    response = client.get(f"/shop/promotions/{promotion.short_code}/")
    assert response.status_code == 410
    html = response.content.decode()
    assert "This promotion has ended" in html
    assert "Mug week" in html
    assert "product-tile" not in html


@pytest.mark.parametrize("code", ["no-such-code", "x" * 101, "ünïcode", "a" * 5000, "a/b"])
def test_unknown_or_malformed_codes_are_404(client, shop, code):
    assert client.get(f"/shop/promotions/{code}/").status_code == 404


@pytest.mark.parametrize("code", ["%00", "bad%00code"])
def test_a_nul_in_the_code_is_refused_not_an_error(client, shop, code):
    # The shop's client-input middleware answers NUL bytes with 400 before any route.
    assert client.get(f"/shop/promotions/{code}/").status_code in (400, 404)


# --- Query budgets: the same with 0 and 20 running promotions -------------------------------


@pytest.fixture
def promoted_catalog(kitchen):
    """30 more products in the kitchen tree, some in sizes."""
    size, (small, large) = make_attribute("Size", ["S", "L"], varies_per_variant=True)
    for index in range(15):
        make_product(
            f"Sturdy cup {index:02d}",
            main_category=kitchen["mugs"],
            stock=5,
            price=Decimal("9.00"),
            short_description="Sturdy",
        )
        make_product(
            f"Sturdy apron {index:02d}",
            main_category=kitchen["kitchen"],
            axes=[size],
            short_description="Sturdy",
            variants=[
                {"price": Decimal("12.00"), "options": [small], "stock": 2},
                {"price": Decimal("14.00"), "options": [large], "stock": 2},
            ],
        )
    return kitchen


def twenty_promotions(kitchen):
    from commerce.models import ProductVariant

    variants = list(ProductVariant.objects.order_by("pk")[:20])
    for index, variant in enumerate(variants):
        if index % 3 == 0:
            tote_from_100(kitchen, short_code=f"tote-{index}")
        elif index % 3 == 1:
            make_promotion(
                f"Percent {index}",
                [condition([reward(variant, "percent", reward_value=10)], threshold_min=3)],
            )
        else:
            make_promotion(
                f"Fixed {index}",
                [
                    condition(
                        [reward(variant, "fixed_price", given_price="1.00")],
                        threshold_min=5,
                        qualifying="chosen",
                        categories=[kitchen["home"]],
                    )
                ],
            )


def count_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), response.content.decode()


PAGES = {
    "catalog": "/shop/?per_page=48",
    "category": "/shop/c/home/kitchen/?per_page=48",
    "search": "/shop/search/?q=sturdy&per_page=48",
}


def one_price_promotion(kitchen):
    """A promoted price on a tile of every budget page and on the product page's mug."""
    from commerce.models import Product

    cup = Product.objects.get(name="Sturdy cup 00")
    make_promotion(
        "One price",
        [
            condition(
                [
                    reward(kitchen["mug"], "fixed_price", given_price="2.00"),
                    reward(cup, "fixed_price", given_price="2.00"),
                ]
            )
        ],
    )


@pytest.mark.parametrize("kind", [*PAGES, "product"])
def test_pages_cost_the_same_with_1_and_20_promotions(
    client, promoted_catalog, kind, django_assert_max_num_queries
):
    from tests.commerce.test_catalog_queries import LISTING_QUERY_BUDGET, PRODUCT_QUERY_BUDGET

    url = PAGES.get(kind) or f"/shop/p/{promoted_catalog['mug'].slug}/"
    budget = PRODUCT_QUERY_BUDGET if kind == "product" else LISTING_QUERY_BUDGET
    none, html = count_queries(client, url)
    assert "offer__text" not in html
    one_price_promotion(promoted_catalog)
    one, html = count_queries(client, url)
    assert offer_lowest_lines(BeautifulSoup(html, "html.parser"))
    twenty_promotions(promoted_catalog)
    many, html = count_queries(client, url)
    assert offer_lowest_lines(BeautifulSoup(html, "html.parser"))
    print(f"{kind}: {none} queries with no promotion, {one} with 1, {many} with 21")
    # A promoted price costs one query for the page (its 30-day lowest price), then no more;
    # on a product page the related products' tiles ("You may also like", loaded as a
    # listing's) read theirs in one more.
    assert none + (2 if kind == "product" else 1) == one == many
    with django_assert_max_num_queries(budget):
        client.get(url)


def test_a_listing_of_24_costs_the_same_with_1_or_24_promoted(client, shop):
    from commerce.models import ProductVariant
    from tests.factories.catalog import make_bulk_catalog

    products = make_bulk_catalog(24)
    variants = list(ProductVariant.objects.filter(product__in=products).order_by("pk"))
    for variant in variants:
        variant.offered = False
    url = "/shop/?per_page=24"

    def listing_queries(promoted):
        for index, variant in enumerate(variants[:promoted]):
            if variant.offered:
                continue
            variant.offered = True
            set_history(variant, [(40, "50.00"), (10, "9.00")])
            # Each its own promotion and start: one lowest price read per start.
            make_promotion(
                f"Thing {index}",
                [condition([reward(variant, "percent", reward_value=10)])],
                start=timezone.now() - index * timedelta(minutes=1),
            )
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        text = BeautifulSoup(response.content, "html.parser").get_text(" ", strip=True)
        assert text.count(f"{LOWEST_TEXT} 9.00 EUR") == promoted
        return len(queries)

    assert listing_queries(1) == listing_queries(24)


def test_the_promotion_page_costs_the_same_however_many_products(client, promoted_catalog):
    from commerce.models import ProductVariant

    tote = tote_from_100(promoted_catalog)
    # Every tile with a promoted price too: its 30-day lowest price on both pages.
    everything = [reward(v, "percent", reward_value=10) for v in ProductVariant.objects.all()]
    make_promotion("Everything", [condition(everything)])
    few, html = count_queries(client, f"/shop/promotions/{tote.short_code}/?page=2")
    assert offer_lowest_lines(BeautifulSoup(html, "html.parser"))
    twenty_promotions(promoted_catalog)
    for index in range(20):
        make_product(f"More {index}", main_category=promoted_catalog["mugs"], stock=1)
    many, html = count_queries(client, f"/shop/promotions/{tote.short_code}/")
    assert html.count('<article class="product-tile') == 24
    assert offer_lowest_lines(BeautifulSoup(html, "html.parser"))
    assert few == many


def test_offers_on_anonymous_pages_set_no_cookie(client, shop, kitchen):
    """Whose offers they are is asked only of visitors with a session: an anonymous
    visitor's page gives them none (the page cache's answers stay shareable)."""
    mug_at_five(kitchen)
    for url in ("/shop/", shop.product_url(kitchen["mug"])):
        response = client.get(url)
        assert response.status_code == 200
        assert "5.00 each from 10 pieces" in response.content.decode()
        assert settings.SESSION_COOKIE_NAME not in client.cookies
