"""The promotion loader: which promotions reach the engine, as what, and at what cost."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from commerce.models import CartLine, Promotion
from commerce.services.pricing.promotions import evaluate
from commerce.services.promotions import cart_items, load_rules, read_rules, rule_for
from pages.clock import previewing_at
from tests.factories.accounts import make_customer
from tests.factories.catalog import make_attribute, make_category, make_product, only_variant
from tests.factories.promotions import condition, make_promotion, reward

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def mug():
    return make_product("Blue mug", price=D("7.00"), compare_at_price=D("9.00"))


def loaded_ids(**kwargs):
    return [rule.id for rule in load_rules(**kwargs)]


def test_a_running_promotion_is_loaded_with_its_conditions_and_rewards(mug):
    tote = make_product("Tote bag", price=D("15.00"))
    kitchen = make_category("Kitchen")
    promotion = make_promotion(
        "Mugs",
        [
            condition([reward(mug, "fixed_price", given_price="5.00")], threshold_min=10),
            condition(
                [reward(tote, "gift", quantity=1)],
                threshold_min=100,
                threshold_max=500,
                measure="value",
                qualifying="chosen",
                products=[mug],
                variants=[tote],
                categories=[kitchen],
            ),
        ],
        color_in_cart="#ff0000",
        multiply_reward=1,
    )
    [rule] = load_rules()
    assert (rule.id, rule.name, rule.short_code) == (promotion.pk, "Mugs", promotion.short_code)
    assert rule.color_in_cart == "#ff0000" and rule.multiply_reward == 1
    first, second = rule.conditions
    assert first.threshold_min == 10 and first.qualifying == "rewards"
    assert first.rewards[0].variant_id == only_variant(mug).pk
    assert first.rewards[0].given_price == D("5.00")
    assert second.measure == "value" and second.threshold_max == 500
    assert second.product_ids == {mug.pk}
    assert second.variant_ids == {only_variant(tote).pk}
    assert second.category_paths == ("kitchen",)
    gift = second.rewards[0]
    assert (gift.value_type, gift.quantity, gift.variant_name) == ("gift", 1, "Tote bag")


def test_loaded_rules_equal_the_rules_of_the_promotions_themselves(mug):
    """Two readers of one promotion (rows for the shop, the cluster for a preview) agree."""
    tote = make_product("Tote bag", price=D("15.00"))
    kitchen = make_category("Kitchen")
    pans = make_category("Pans", parent=kitchen)
    make_promotion(
        "Tiers",
        [
            condition([reward(mug, given_price="5.00")], threshold_min=10, threshold_max=49),
            condition([reward(mug, given_price="4.50")], threshold_min=50),
        ],
        start=timezone.now() - timedelta(days=1),
        start_using_default_price=True,
    )
    make_promotion(
        "Gift",
        [
            condition(
                [reward(tote, "gift", quantity=2), reward(mug, "percent", reward_value=10)],
                measure="value",
                threshold_min=100,
                qualifying="chosen",
                categories=[kitchen, pans],
                products=[tote],
            )
        ],
        keep_bundle_multiplayer_same=True,
        calculate_using_cumulative_units=True,
        use_promotion_price_for_threshold=True,
    )
    loaded = load_rules()
    assert len(loaded) == 2
    assert loaded == [rule_for(Promotion.objects.get(pk=rule.id)) for rule in loaded]


def test_a_reward_variant_is_named_with_its_options_as_its_description():
    size, (medium, _large) = make_attribute("Size", ["M", "L"], varies_per_variant=True)
    colour, (green,) = make_attribute("Colour", ["Green"], varies_per_variant=True, sort_order=-1)
    coat = make_product(
        "Heritage coat", axes=[size, colour], variants=[{"options": [medium, green]}]
    )
    make_promotion("Coats", [condition([reward(only_variant(coat), "gift", quantity=1)])])
    [rule] = load_rules()
    name = rule.conditions[0].rewards[0].variant_name
    assert name == "Heritage coat — Colour Green, Size M"
    assert name == only_variant(coat).description


def test_a_draft_is_not_loaded(mug):
    make_promotion("Draft", [condition([reward(mug, given_price="5.00")])], publish=False)
    assert load_rules() == []


def test_a_switched_off_promotion_is_not_loaded(mug):
    make_promotion("Off", [condition([reward(mug, given_price="5.00")])], is_active=False)
    assert load_rules() == []


def test_a_promotion_starting_exactly_now_applies_and_one_ending_now_does_not(mug):
    now = timezone.now().replace(microsecond=0)
    starting = make_promotion("Starting", [condition([reward(mug, given_price="5.00")])], start=now)
    make_promotion(
        "Ending", [condition([reward(mug, given_price="4.00")])], end=now, start=now - timedelta(1)
    )
    later = make_promotion(
        "Later", [condition([reward(mug, given_price="3.00")])], start=now + timedelta(seconds=1)
    )
    assert loaded_ids(now=now) == [starting.pk]
    assert loaded_ids(now=now - timedelta(microseconds=1)) != [starting.pk]
    assert later.pk in loaded_ids(now=now + timedelta(seconds=1))


def test_the_default_moment_is_the_shop_clock_so_a_dated_preview_moves_it(mug):
    next_week = timezone.now() + timedelta(days=7)
    scheduled = make_promotion(
        "Next week", [condition([reward(mug, given_price="5.00")])], start=next_week
    )
    assert load_rules() == []
    with previewing_at(next_week):
        assert loaded_ids() == [scheduled.pk]


def test_a_group_promotion_reaches_members_only(mug):
    trade = Group.objects.create(name="Trade")
    everyone = make_promotion("All", [condition([reward(mug, given_price="6.00")])])
    members = make_promotion(
        "Trade", [condition([reward(mug, given_price="5.00")])], groups=[trade]
    )
    member = make_customer()
    member.groups.add(trade)
    stranger = make_customer()

    assert loaded_ids() == [everyone.pk]
    assert loaded_ids(user=SimpleNamespace(is_authenticated=False)) == [everyone.pk]
    assert loaded_ids(user=stranger) == [everyone.pk]
    assert loaded_ids(user=member) == [everyone.pk, members.pk]


def test_a_member_of_two_chosen_groups_gets_the_promotion_once(mug):
    trade, vip = Group.objects.create(name="Trade"), Group.objects.create(name="VIP")
    promotion = make_promotion(
        "Trade", [condition([reward(mug, given_price="5.00")])], groups=[trade, vip]
    )
    member = make_customer()
    member.groups.add(trade, vip)
    assert loaded_ids(user=member) == [promotion.pk]


def _many_promotions(count, mug, tote, kitchen):
    for n in range(count):
        make_promotion(
            f"Promotion {n}",
            [
                condition([reward(mug, given_price="5.00")], threshold_min=10),
                condition(
                    [reward(tote, "gift", quantity=1)],
                    measure="value",
                    threshold_min=100,
                    qualifying="chosen",
                    products=[mug],
                    variants=[tote],
                    categories=[kitchen],
                ),
            ],
        )


@pytest.mark.parametrize("count", [1, 20])
def test_loading_takes_a_fixed_number_of_queries(count, mug, django_assert_num_queries):
    tote = make_product("Tote bag", price=D("15.00"))
    kitchen = make_category("Kitchen")
    _many_promotions(count, mug, tote, kitchen)
    # promotions, conditions, rewards, reward variants (+ product), their options,
    # qualifying products, variants, categories.
    with django_assert_num_queries(8):
        rules = read_rules()
    assert len(rules) == count
    assert all(rule.conditions[1].category_paths == ("kitchen",) for rule in rules)


def test_a_member_costs_the_same_queries_as_a_guest(mug, django_assert_num_queries):
    trade = Group.objects.create(name="Trade")
    make_promotion("Trade", [condition([reward(mug, given_price="5.00")])], groups=[trade])
    member = make_customer()
    member.groups.add(trade)
    with django_assert_num_queries(8):
        assert len(read_rules(user=member)) == 1


def test_no_running_promotion_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert read_rules() == []


# --- Kept per catalog version -------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20])
def test_loading_again_costs_only_the_catalog_version(count, mug, django_assert_num_queries):
    _many_promotions(count, mug, make_product("Tote bag"), make_category("Kitchen"))
    first = load_rules()
    with django_assert_num_queries(1):
        assert load_rules() == first
    assert len(first) == count


def test_a_kept_entry_is_per_audience(mug, django_assert_num_queries):
    trade = Group.objects.create(name="Trade")
    everyone = make_promotion("All", [condition([reward(mug, given_price="6.00")])])
    members = make_promotion(
        "Trade", [condition([reward(mug, given_price="5.00")])], groups=[trade]
    )
    member, stranger = make_customer(), make_customer()
    member.groups.add(trade)
    assert loaded_ids(user=member) == [everyone.pk, members.pk]
    assert loaded_ids() == [everyone.pk]
    # A signed-in shopper in none of the targeted groups shares the guests' entry: the
    # version and the shopper's targeted groups, nothing else.
    with django_assert_num_queries(2):
        assert loaded_ids(user=stranger) == [everyone.pk]
    member.groups.remove(trade)
    assert loaded_ids(user=member) == [everyone.pk]


def test_a_published_change_is_priced_at_once(mug):
    promotion = make_promotion("Mugs", [condition([reward(mug, given_price="5.00")])])
    assert load_rules()[0].conditions[0].rewards[0].given_price == D("5.00")
    reward_row = promotion.conditions.get().rewards.get()
    reward_row.given_price = D("4.00")
    reward_row.save()
    promotion.save_revision().publish()
    assert load_rules()[0].conditions[0].rewards[0].given_price == D("4.00")
    Promotion.objects.get(pk=promotion.pk).unpublish()
    assert load_rules() == []


def test_a_renamed_reward_product_is_named_at_once(mug):
    make_promotion("Mugs", [condition([reward(mug, "gift", quantity=1)])])
    assert load_rules()[0].conditions[0].rewards[0].variant_name == "Blue mug"
    mug.name = "Azure mug"
    mug.save()
    assert load_rules()[0].conditions[0].rewards[0].variant_name == "Azure mug"


def test_a_kept_entry_stops_when_a_promotion_starts_or_ends(mug):
    now = timezone.now().replace(microsecond=0)
    soon, later = now + timedelta(hours=1), now + timedelta(hours=2)
    ending = make_promotion("Ending", [condition([reward(mug, given_price="6.00")])], end=soon)
    starting = make_promotion(
        "Starting", [condition([reward(mug, given_price="5.00")])], start=later
    )
    assert loaded_ids(now=now) == [ending.pk]
    assert loaded_ids(now=soon - timedelta(microseconds=1)) == [ending.pk]
    assert loaded_ids(now=soon) == []
    assert loaded_ids(now=later - timedelta(microseconds=1)) == []
    assert loaded_ids(now=later) == [starting.pk]
    # A moment before the entry was read (a dated preview of the past) is read afresh.
    assert loaded_ids(now=now) == [ending.pk]


def test_cart_items_carry_prices_bulk_units_and_every_category_path(mug, django_assert_num_queries):
    kitchen = make_category("Kitchen")
    pans = make_category("Pans", parent=kitchen)
    gifts = make_category("Gifts")
    pan = make_product("Pan", price=D("30.00"), main_category=pans)
    pan.additional_categories.set([gifts])
    pan.save()
    pan_variant = only_variant(pan)
    pan_variant.units_per_bulk_package = D("6")
    pan_variant.save()
    lines = [
        SimpleNamespace(pk=1, variant=only_variant(pan), quantity=2),
        SimpleNamespace(pk=2, variant=only_variant(mug), quantity=3),
        SimpleNamespace(pk=3, variant=None, quantity=1),
        SimpleNamespace(pk=4, variant=only_variant(mug), quantity=1, is_gift=True),
    ]
    with django_assert_num_queries(1):
        items = cart_items(lines)
    by_key = {item.key: item for item in items}
    assert set(by_key) == {1, 2}
    assert by_key[1].category_paths == ("gifts", "kitchen/pans")
    assert by_key[1].units_per_bulk == D("6")
    assert by_key[1].default_price == D("30.00")
    assert by_key[2].category_paths == ()
    assert (by_key[2].unit_price, by_key[2].default_price) == (D("7.00"), D("9.00"))
    assert by_key[2].units_per_bulk == 1


def test_cart_items_of_an_empty_cart_cost_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert cart_items([]) == []


def test_cart_lines_priced_end_to_end(mug):
    from commerce.models import Cart

    make_promotion("Mugs", [condition([reward(mug, given_price="5.00")], threshold_min=10)])
    cart = Cart.objects.create()
    CartLine.objects.create(
        cart=cart,
        variant=only_variant(mug),
        product_name="Blue mug",
        quantity=10,
        unit_price=D("7.00"),
    )
    lines = cart.lines.select_related("variant__product")
    result = evaluate(cart_items(lines), load_rules())
    [(key, line)] = result.lines.items()
    assert key == lines[0].pk
    assert (line.unit_price, line.reason) == (D("5.00"), "5.00 each from 10 pieces")


def test_rule_for_reads_an_unsaved_revision_in_memory(mug):
    """An editor's preview: the draft's conditions exist only in the revision."""
    tote = make_product("Tote bag", price=D("15.00"))
    kitchen = make_category("Kitchen")
    promotion = make_promotion("Mugs", [condition([reward(mug, given_price="5.00")])])
    live_rule = rule_for(Promotion.objects.get(pk=promotion.pk))

    draft = Promotion.objects.get(pk=promotion.pk)
    draft.name = "Mugs, reworked"
    cond = draft.conditions.all()[0]
    cond.threshold_min = D("3")
    new_condition = type(cond)(
        threshold_min=D("50"), measure="value", qualifying="chosen", sort_order=1
    )
    new_condition.qualifying_categories = [kitchen]
    new_condition.rewards = [
        type(cond.rewards.all()[0])(variant=only_variant(tote), value_type="gift", quantity=2)
    ]
    draft.conditions = [cond, new_condition]
    revision = draft.save_revision()

    previewed = revision.as_object()
    rule = rule_for(previewed)
    assert rule.name == "Mugs, reworked"
    first, second = rule.conditions
    assert first.threshold_min == 3 and first.rewards[0].given_price == D("5.00")
    assert second.category_paths == ("kitchen",)
    assert second.rewards[0].variant_id == only_variant(tote).pk
    assert second.rewards[0].quantity == 2
    assert second.rewards[0].variant_name == "Tote bag"
    assert len({c.id for c in rule.conditions}) == 2
    # The live promotion is untouched until the draft is published.
    assert rule_for(Promotion.objects.get(pk=promotion.pk)) == live_rule
    assert [r.name for r in load_rules()] == ["Mugs"]


def test_rule_for_an_unsaved_promotion_built_in_memory(mug):
    from commerce.models import PromotionCondition, PromotionReward

    promotion = Promotion(name="New", short_code="new")
    cond = PromotionCondition(threshold_min=D("2"))
    cond.rewards = [PromotionReward(variant=only_variant(mug), given_price=D("5.00"))]
    promotion.conditions = [cond]
    rule = rule_for(promotion)
    assert rule.id == 0
    [cond_rule] = rule.conditions
    assert cond_rule.id < 0 and cond_rule.rewards[0].id < 0
    item_result = evaluate(
        cart_items([SimpleNamespace(pk=1, variant=only_variant(mug), quantity=2)]), [rule]
    )
    assert item_result.lines[1].unit_price == D("5.00")
