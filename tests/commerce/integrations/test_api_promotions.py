"""GET /external/v1/promotions/: AMPER's promotion shape, what is listed, paging, queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from commerce.integrations.api.promotions import VALUE_TYPE_CODES
from commerce.models import Product, ProductVariant, Promotion, ValueType
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.factories.catalog import make_attribute, make_image, make_product, only_variant
from tests.factories.promotions import condition, make_promotion, reward

D = Decimal

# The keys of AMPER's promotion, condition, reward and reward product objects as its
# documentation ("Promocje - integracja z systemami zewnętrznymi") has them.
AMPER_PROMOTION_KEYS = {
    "id",
    "name",
    "description",
    "start",
    "end",
    "short_code",
    "default_image",
    "keep_bundle_multiplayer_same",
    "use_promotion_price_for_threshold",
    "calculate_using_cumulative_units",
    "multiply_reward",
    "color_in_cart",
    "start_using_default_price",
    "is_active",
    "conditions",
}
OUR_PROMOTION_KEYS = {"status", "audience", "customer_groups"}
AMPER_CONDITION_KEYS = {"threshold_min", "threshold_max", "measure", "rewards"}
AMPER_REWARD_KEYS = {"given_price", "reward_value", "value_type", "quantity", "product"}
AMPER_PRODUCT_KEYS = {
    "id",
    "ean",
    "name",
    "short_code",
    "default_unit_of_measure",
    "cumulative_unit_of_measure",
    "cumulative_converter",
    "can_be_split",
    "cumulative_unit_ratio_splitter",
    "unit_roundup",
}


@pytest.fixture
def get(client, db):
    _, key = make_key("promotions")

    def _get(**params):
        return client.get(f"{BASE}/promotions/", {"api_key": key, **params})

    return _get


@pytest.fixture
def battery(db):
    product = make_product("Battery", sku="426684-CC", ean="4006381333931", price=D("10.00"))
    product.unit = "bl."
    product.save()
    product.save_revision().publish()
    ProductVariant.objects.filter(product=product).update(units_per_bulk_package=D("24"))
    return only_variant(product)


@pytest.fixture
def coat(db):
    size, (small, large) = make_attribute("Size", ["S", "L"], varies_per_variant=True)
    product = make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "options": [small], "price": D("100.00")},
            {"sku": "COAT-L", "options": [large], "price": D("120.00")},
        ],
    )
    return list(product.variants.order_by("sort_order"))


def ids(response):
    return [item["id"] for item in response.json()]


# --- Shape -------------------------------------------------------------------------------------


def test_ampers_promotion_shape_and_types(get, battery, coat):
    start = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    promotion = make_promotion(
        "Pallet deal",
        [
            condition(
                [reward(battery, "fixed_price", given_price="8.00")],
                threshold_min=10,
                threshold_max=49,
            ),
            condition(
                [
                    reward(coat[1], "percent", reward_value=10),
                    reward(coat[0], "amount", reward_value="2.50"),
                    reward(battery, "gift", quantity=2),
                ],
                threshold_min="100.00",
                measure="value",
            ),
        ],
        description="For the whole pallet.",
        start=start,
        short_code="pallet-deal",
        color_in_cart="#ff8800",
        calculate_using_cumulative_units=True,
        multiply_reward=1,
        keep_bundle_multiplayer_same=True,
        default_image=make_image("Pallet"),
    )
    response = get()
    assert response.status_code == 200
    [item] = response.json()
    assert set(item) == AMPER_PROMOTION_KEYS | OUR_PROMOTION_KEYS
    assert item["id"] == promotion.pk
    assert item["name"] == "Pallet deal"
    assert item["description"] == "For the whole pallet."
    assert item["short_code"] == "pallet-deal"
    assert item["start"] == start.isoformat().replace("+00:00", "Z")
    assert item["end"] is None
    assert item["default_image"]["image"].startswith("http://testserver/")
    assert item["default_image"]["alt"] == "Pallet"
    assert item["keep_bundle_multiplayer_same"] is True
    assert item["use_promotion_price_for_threshold"] is False
    assert item["calculate_using_cumulative_units"] is True
    assert item["multiply_reward"] == 1
    assert item["color_in_cart"] == "#ff8800"
    assert item["start_using_default_price"] is False
    assert item["is_active"] is True
    assert item["status"] == "running"
    assert item["audience"] == "everyone" and item["customer_groups"] == []

    tier, value = item["conditions"]
    assert set(tier) == AMPER_CONDITION_KEYS | {"id"}
    assert (tier["threshold_min"], tier["threshold_max"], tier["measure"]) == (
        10.0,
        49.0,
        "quantity",
    )
    assert (value["threshold_min"], value["threshold_max"], value["measure"]) == (
        100.0,
        0.0,
        "value",
    )
    [fixed] = tier["rewards"]
    assert set(fixed) == AMPER_REWARD_KEYS | {"id"}
    # AMPER's example: a fixed price is value_type "3" with given_price.
    assert fixed == {
        "id": promotion.conditions.get(threshold_min=10).rewards.get().pk,
        "given_price": 8.0,
        "reward_value": 0.0,
        "value_type": "3",
        "quantity": 0.0,
        "product": {
            "id": battery.pk,
            "ean": "4006381333931",
            "name": "Battery",
            "short_code": "426684-CC",
            "default_unit_of_measure": "bl.",
            "cumulative_unit_of_measure": "",
            "cumulative_converter": "24.00",
            "can_be_split": True,
            "cumulative_unit_ratio_splitter": "24.00",
            "unit_roundup": False,
        },
    }
    percent, amount, gift = value["rewards"]
    assert (percent["value_type"], percent["reward_value"], percent["given_price"]) == (
        "1",
        10.0,
        0.0,
    )
    assert percent["product"]["id"] == coat[1].pk
    assert percent["product"]["name"] == "Coat — Size L"
    assert percent["product"]["short_code"] == "COAT-L"
    assert percent["product"]["cumulative_converter"] == "1.00"  # unset: 1
    assert (amount["value_type"], amount["reward_value"]) == ("2", 2.5)
    # AMPER: a gift has quantity > 0 and given_price 0.
    assert (gift["value_type"], gift["quantity"], gift["given_price"]) == ("4", 2.0, 0.0)
    assert set(percent["product"]) == AMPER_PRODUCT_KEYS


def test_every_value_type_has_one_code():
    assert set(VALUE_TYPE_CODES) == set(ValueType.values)
    assert len(set(VALUE_TYPE_CODES.values())) == len(VALUE_TYPE_CODES)
    assert VALUE_TYPE_CODES[ValueType.FIXED_PRICE] == "3"  # the one AMPER documents


def test_empty_colour_is_null_and_no_image_is_null(get, battery):
    make_promotion("Plain", [condition([reward(battery, given_price="9.00")])])
    [item] = get().json()
    assert item["color_in_cart"] is None
    assert item["default_image"] is None


# --- What is listed ----------------------------------------------------------------------------


def test_drafts_never_leak(get, battery):
    make_promotion(
        "Never published", [condition([reward(battery, given_price="1.00")])], publish=False
    )
    live = make_promotion("Live name", [condition([reward(battery, given_price="9.00")])])
    # A pending draft of a published promotion lives in its revisions only.
    live.name = "Draft name"
    live.save_revision()
    [item] = get().json()
    assert item["id"] == live.pk
    assert item["name"] == "Live name"
    assert item["conditions"][0]["rewards"][0]["given_price"] == 9.0
    # Unpublished: its row may hold the next draft, so it is no longer listed.
    Promotion.objects.get(pk=live.pk).unpublish()
    assert get().json() == []


def test_running_scheduled_ended_and_switched_off_are_listed_with_their_status(get, battery):
    now = timezone.now()
    rule = [condition([reward(battery, given_price="9.00")])]
    running = make_promotion("Running", rule, start=now - timedelta(days=1))
    scheduled = make_promotion("Scheduled", rule, start=now + timedelta(days=7))
    ended = make_promotion(
        "Ended", rule, start=now - timedelta(days=7), end=now - timedelta(seconds=1)
    )
    off = make_promotion("Off", rule, is_active=False)
    statuses = {item["id"]: (item["status"], item["is_active"]) for item in get().json()}
    assert statuses == {
        running.pk: ("running", True),
        scheduled.pk: ("scheduled", True),
        ended.pk: ("ended", True),
        off.pk: ("inactive", False),
    }


def test_status_at_the_window_edges(get, battery, monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    rule = [condition([reward(battery, given_price="9.00")])]
    starting = make_promotion("Starts now", rule, start=now)
    ending = make_promotion("Ends now", rule, start=now - timedelta(days=1), end=now)
    later = make_promotion("Starts in a moment", rule, start=now + timedelta(microseconds=1))
    statuses = {item["id"]: item["status"] for item in get().json()}
    assert statuses == {starting.pk: "running", ending.pk: "ended", later.pk: "scheduled"}


def test_group_only_promotions_are_listed_with_their_groups(get, battery):
    wholesale = Group.objects.create(name="Wholesale")
    Group.objects.create(name="Retail")
    promotion = make_promotion(
        "Trade price", [condition([reward(battery, given_price="7.00")])], groups=[wholesale]
    )
    [item] = get().json()
    assert item["id"] == promotion.pk
    assert item["audience"] == "groups"
    assert item["customer_groups"] == [{"id": wholesale.pk, "name": "Wholesale"}]


def test_a_reward_on_a_never_published_product_has_no_name(get, db):
    draft = make_product("Secret launch name", publish=False)
    make_promotion("Teaser", [condition([reward(draft, "gift", quantity=1)])])
    product = get().json()[0]["conditions"][0]["rewards"][0]["product"]
    assert product["name"] == ""
    assert product["short_code"] == only_variant(draft).sku


# --- Paging and updated_since ------------------------------------------------------------------


@pytest.fixture
def seven(battery):
    return [
        make_promotion(f"P{i}", [condition([reward(battery, given_price="9.00")])])
        for i in range(7)
    ]


def test_paging(get, seven):
    expected = sorted(p.pk for p in seven)
    first = get(page_size=3)
    assert ids(first) == expected[:3]
    assert first["X-Total-Count"] == "7" and first["X-Page-Size"] == "3"
    assert 'rel="next"' in first["Link"] and "prev" not in first["Link"]
    last = get(page=3, page_size=3)
    assert ids(last) == expected[6:]
    assert 'rel="next"' not in last["Link"]
    assert get(page=4, page_size=3).json() == []
    assert get(page=10**20, page_size=10**20).json() == []
    assert get(page_size=5000)["X-Page-Size"] == "1000"


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page_size": "0"},
        {"page_size": "x"},
        {"page": "١"},  # a non-ASCII digit
        {"updated_since": "garbage"},
        {"updated_since": "2025-02-30T10:00:00"},
        {"updated_since": ""},
        {"updated_since": "1e10"},
    ],
)
def test_bad_parameters_are_400_with_a_message(get, db, params):
    response = get(**params)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail
    if "updated_since" in params:
        assert "updated_since" in detail


def test_nul_in_a_parameter_is_400(get, db):
    assert get(updated_since="2025-01-01\x00").status_code == 400


def test_without_a_key_401(client, db):
    response = client.get(f"{BASE}/promotions/")
    assert response.status_code == 401


def test_updated_since_edges(get, seven):
    now = timezone.now().replace(microsecond=0)
    Promotion.objects.update(updated_at=now - timedelta(days=30))
    Product.objects.update(updated_at=now - timedelta(days=30))
    at_edge, after_edge = seven[0], seven[1]
    Promotion.objects.filter(pk=at_edge.pk).update(updated_at=now)
    Promotion.objects.filter(pk=after_edge.pk).update(updated_at=now + timedelta(seconds=1))
    # At the moment itself: included ("at or after").
    assert ids(get(updated_since=now.isoformat())) == [at_edge.pk, after_edge.pk]
    assert ids(get(updated_since=now.isoformat().replace("+00:00", "Z"))) == [
        at_edge.pk,
        after_edge.pk,
    ]
    # One microsecond later: only the later one.
    later = (now + timedelta(microseconds=1)).isoformat()
    assert ids(get(updated_since=later)) == [after_edge.pk]
    assert get(updated_since="2999-01-01").json() == []
    assert len(get(updated_since="2000-01-01").json()) == 7


def test_updated_since_follows_the_reward_products(get, battery, coat):
    now = timezone.now()
    battery_deal = make_promotion("Battery", [condition([reward(battery, given_price="9.00")])])
    coat_deal = make_promotion("Coat", [condition([reward(coat[0], "gift", quantity=1)])])
    Promotion.objects.update(updated_at=now - timedelta(days=30))
    Product.objects.update(updated_at=now - timedelta(days=30))
    since = (now - timedelta(days=1)).isoformat()
    assert get(updated_since=since).json() == []
    # The coat published again (a variant renamed, say): its promotion's product object changed.
    Product.objects.filter(pk=coat[0].product_id).update(updated_at=now)
    assert ids(get(updated_since=since)) == [coat_deal.pk]
    assert battery_deal.pk not in ids(get(updated_since=since))


# --- Queries -----------------------------------------------------------------------------------


# The key; COUNT; the page (with the image); conditions; rewards with variant and product;
# the variants' options; the customer groups.
QUERIES = 7


@pytest.mark.parametrize("count", [1, 20])
def test_queries_per_page_do_not_grow_with_promotions(
    client, battery, coat, count, django_assert_num_queries
):
    group = Group.objects.create(name="Trade")
    image = make_image("Deal")
    for i in range(count):
        make_promotion(
            f"Deal {i}",
            [
                condition([reward(battery, given_price="9.00")], threshold_min=10),
                condition(
                    [
                        reward(coat[0], "percent", reward_value=5),
                        reward(coat[1], "gift", quantity=1),
                    ],
                    threshold_min=20,
                ),
            ],
            groups=[group] if i % 2 else (),
            default_image=image,
        )
    row, key = make_key("queries")
    row.touch()  # used just now: no last-used UPDATE during the measured request
    with django_assert_num_queries(QUERIES):
        response = client.get(f"{BASE}/promotions/", {"api_key": key})
    assert response.status_code == 200
    assert len(response.json()) == count
