"""Create-order with promotions: the engine's prices and gifts, AMPER's `promotion` object,
`promotion_id` on lines, playground."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from commerce.models import Order, OrderLine, Stock
from tests.commerce.integrations.test_api_orders import (
    access_token,
    database_state,
    field_errors,
    make_integrator,
    post,
)
from tests.factories.accounts import make_address, make_customer
from tests.factories.catalog import make_product, make_shop, only_variant
from tests.factories.checkout import make_delivery_method, make_payment_method
from tests.factories.promotions import condition, make_promotion, reward

D = Decimal


@pytest.fixture
def integrator(db):
    return make_integrator()


@pytest.fixture
def customer(db):
    user = make_customer("buyer@example.com")
    make_address(user, is_default=True)
    return user


@pytest.fixture
def methods(db):
    make_delivery_method("Courier", price="15.00")
    make_payment_method("bank_transfer")


@pytest.fixture
def shop(homepage):
    return make_shop(homepage)


@pytest.fixture
def mug(db):
    return make_product("Mug", sku="MUG-1", price=D("10.00"), stock=100)


@pytest.fixture
def tote(db):
    return make_product("Tote bag", sku="TOTE-1", price=D("15.00"), stock=5)


@pytest.fixture
def mug_deal(mug):
    """8.00 a mug from 10 mugs."""
    return make_promotion(
        "Mug deal",
        [condition([reward(mug, "fixed_price", given_price="8.00")], threshold_min=10)],
        short_code="mug-deal",
    )


@pytest.fixture
def tote_gift(mug, tote):
    """A free tote bag with 10 mugs."""
    return make_promotion(
        "Tote with mugs",
        [
            condition(
                [reward(tote, "gift", quantity=1)],
                threshold_min=10,
                qualifying="chosen",
                variants=[mug],
            )
        ],
        short_code="tote-with-mugs",
    )


def order(customer, *lines, **fields):
    return {"customer_id": customer.pk, "lines": list(lines), **fields}


def mugs(quantity, price="10.00", **fields):
    return {"sku": "MUG-1", "quantity": quantity, "suggested_price": price, **fields}


def create(integrator, body):
    return post("/create-order", body, access_token(integrator))


def ids_of(promotion):
    cond = promotion.conditions.get()
    return cond.pk, cond.rewards.get().pk


# --- Prices from the engine ------------------------------------------------------------


@pytest.mark.parametrize("suggested", ["10.00", "8.00"])
def test_at_the_threshold_the_promotion_prices_the_line(
    integrator, customer, methods, shop, mug, mug_deal, suggested
):
    response = create(integrator, order(customer, mugs(10, suggested)))

    assert response.status_code == 201, response.json()
    body = response.json()
    placed = Order.objects.get()
    ordered = placed.lines.get()
    assert (ordered.unit_price, ordered.regular_unit_price, ordered.line_total) == (
        D("8.00"),
        D("10.00"),
        D("80.00"),
    )
    assert (ordered.promotion, ordered.promotion_name, ordered.is_gift) == (
        mug_deal,
        "Mug deal",
        False,
    )
    condition_id, reward_id = ids_of(mug_deal)
    [line] = body["lines"]
    assert line["suggested_price"] == float(suggested)
    assert (line["default_price"], line["customer_price"], line["given_price"]) == (
        10.0,
        10.0,
        8.0,
    )
    assert (line["line_total"], line["is_gift"]) == (80.0, False)
    assert line["promotion"] == {
        "price": 8.0,
        "promotion_min_order_quantity": 10.0,
        "promotion_condition_item_id": reward_id,
        "promotion_condition_id": condition_id,
        "relation_id": ordered.pk,
        "promotion_name": "Mug deal",
        "promotion_id": mug_deal.pk,
        # The shop page's full URL (its site's root URL) and the promotion's short code.
        "promotion_url": shop.get_full_url() + "promotions/mug-deal/",
    }
    assert body["subtotal"] == 80.0
    assert body["notes"] == []


def test_one_below_the_threshold_no_promotion_and_a_hint(
    integrator, customer, methods, mug, mug_deal
):
    response = create(integrator, order(customer, mugs(9)))

    assert response.status_code == 201, response.json()
    body = response.json()
    [line] = body["lines"]
    # AMPER: given_price is 0 when no promotion applies.
    assert (line["given_price"], line["promotion"], line["line_total"]) == (0.0, None, 90.0)
    assert body["notes"] == ["Mug: Buy 1 more for 8.00 each."]
    ordered = OrderLine.objects.get()
    assert (ordered.unit_price, ordered.promotion, ordered.regular_unit_price) == (
        D("10.00"),
        None,
        None,
    )


def test_the_promoted_price_below_the_threshold_is_refused(
    integrator, customer, methods, mug, mug_deal
):
    response = create(integrator, order(customer, mugs(9, "8.00")))

    assert field_errors(response) == {
        "lines.0.suggested_price": ["The price of Mug is 10.00, not 8.00."]
    }
    assert not Order.objects.exists()


def test_a_price_that_is_neither_is_refused_naming_both(
    integrator, customer, methods, mug, mug_deal
):
    response = create(integrator, order(customer, mugs(10, "9.00")))

    assert field_errors(response) == {
        "lines.0.suggested_price": [
            f"The price of Mug is 10.00, 8.00 with promotion {mug_deal.pk} (Mug deal); not 9.00."
        ]
    }


def test_without_a_shop_page_no_promotion_url(integrator, customer, methods, mug, mug_deal):
    response = create(integrator, order(customer, mugs(10)))
    assert response.json()["lines"][0]["promotion"]["promotion_url"] is None


def test_an_ended_promotion_gives_nothing(integrator, customer, methods, mug):
    now = timezone.now()
    make_promotion(
        "Over",
        [condition([reward(mug, given_price="8.00")], threshold_min=10)],
        start=now - timedelta(days=2),
        end=now - timedelta(seconds=1),
    )
    response = create(integrator, order(customer, mugs(10)))
    assert response.json()["lines"][0]["promotion"] is None


# --- Gifts -------------------------------------------------------------------------------


def test_gift_lines_follow_the_requested_lines(
    integrator, customer, methods, shop, mug, tote, tote_gift
):
    response = create(integrator, order(customer, mugs(10)))

    assert response.status_code == 201, response.json()
    body = response.json()
    bought, gift = body["lines"]
    assert (bought["sku"], bought["is_gift"], bought["promotion"]) == ("MUG-1", False, None)
    gift_line = OrderLine.objects.get(is_gift=True)
    condition_id, reward_id = ids_of(tote_gift)
    assert gift == {
        "product_id": tote.pk,
        "variant_id": only_variant(tote).pk,
        "product_external_id": "TOTE-1",
        "sku": "TOTE-1",
        "product_name": "Tote bag",
        "quantity": 1,
        "is_gift": True,
        "suggested_price": None,
        "default_price": 15.0,
        "customer_price": 15.0,
        "given_price": 0.0,
        "promotion": {
            "price": 0.0,
            "promotion_min_order_quantity": 10.0,
            "promotion_condition_item_id": reward_id,
            "promotion_condition_id": condition_id,
            "relation_id": gift_line.pk,
            "promotion_name": "Tote with mugs",
            "promotion_id": tote_gift.pk,
            "promotion_url": shop.get_full_url() + "promotions/tote-with-mugs/",
        },
        "line_total": 0.0,
        "vat_rate": 23.0,
    }
    assert (gift_line.promotion, gift_line.unit_price, gift_line.quantity) == (
        tote_gift,
        D("0.00"),
        1,
    )
    # A gift takes stock like any line.
    assert Stock.objects.get(variant__product=tote).quantity == 4
    assert body["subtotal"] == 100.0


def test_no_gift_below_its_threshold(integrator, customer, methods, mug, tote, tote_gift):
    body = create(integrator, order(customer, mugs(9))).json()
    assert [line["sku"] for line in body["lines"]] == ["MUG-1"]
    assert body["notes"] == ["Buy 1 more for a free Tote bag."]
    assert Stock.objects.get(variant__product=tote).quantity == 5


def test_a_gift_out_of_stock_is_told_in_the_notes(
    integrator, customer, methods, mug, tote, tote_gift
):
    Stock.objects.filter(variant__product=tote).update(quantity=0)

    response = create(integrator, order(customer, mugs(10)))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert [line["sku"] for line in body["lines"]] == ["MUG-1"]
    assert body["notes"] == ["Tote bag: the free gift is out of stock."]
    assert not OrderLine.objects.filter(is_gift=True).exists()


def test_playground_shows_prices_and_gifts_and_saves_nothing(
    integrator, customer, methods, shop, mug, tote, mug_deal, tote_gift
):
    before = database_state()

    response = create(integrator, order(customer, mugs(10), playground=True))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["order_id"], body["order_number"], body["playground"]) == (0, None, True)
    bought, gift = body["lines"]
    assert (bought["given_price"], bought["promotion"]["promotion_id"]) == (8.0, mug_deal.pk)
    assert (gift["sku"], gift["is_gift"], gift["promotion"]["promotion_id"]) == (
        "TOTE-1",
        True,
        tote_gift.pk,
    )
    # Nothing saved: no line to relate to.
    assert bought["promotion"]["relation_id"] == gift["promotion"]["relation_id"] == 0
    assert body["subtotal"] == 80.0
    assert database_state() == before


# --- promotion_id ------------------------------------------------------------------------


def test_promotion_id_that_applies_is_accepted(integrator, customer, methods, mug, mug_deal):
    response = create(integrator, order(customer, mugs(10, promotion_id=mug_deal.pk)))
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["promotion"]["promotion_id"] == mug_deal.pk


def test_promotion_id_of_a_gift_given_by_the_order_is_accepted(
    integrator, customer, methods, mug, tote, tote_gift
):
    response = create(integrator, order(customer, mugs(10, promotion_id=tote_gift.pk)))
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][1]["promotion"]["promotion_id"] == tote_gift.pk


def test_order_line_promotion_id_is_accepted_and_ignored(
    integrator, customer, methods, mug, mug_deal
):
    response = create(integrator, order(customer, mugs(10, order_line_promotion_id=123456)))
    assert response.status_code == 201, response.json()


def refusal(response):
    assert response.status_code == 400, response.json()
    errors = field_errors(response)
    assert list(errors) == ["lines.0.promotion_id"], errors
    assert not Order.objects.exists()
    return errors["lines.0.promotion_id"][0]


def test_promotion_id_below_its_threshold_is_refused_with_what_is_missing(
    integrator, customer, methods, mug, mug_deal
):
    response = create(integrator, order(customer, mugs(9, promotion_id=mug_deal.pk)))
    assert refusal(response) == (
        f"Promotion {mug_deal.pk} (Mug deal) does not apply to this line: Buy 1 more for 8.00 each."
    )


def test_promotion_id_beaten_by_a_better_promotion_is_refused(
    integrator, customer, methods, mug, mug_deal
):
    better = make_promotion(
        "Better", [condition([reward(mug, given_price="7.00")], threshold_min=5)]
    )
    response = create(integrator, order(customer, mugs(10, promotion_id=mug_deal.pk)))
    assert refusal(response) == (
        f"Promotion {mug_deal.pk} (Mug deal) does not apply to this line: "
        f"promotion {better.pk} (Better) applies to it instead, at 7.00 each."
    )


def test_promotion_id_of_a_gift_out_of_stock_is_refused(
    integrator, customer, methods, mug, tote, tote_gift
):
    Stock.objects.filter(variant__product=tote).update(quantity=0)
    response = create(integrator, order(customer, mugs(10, promotion_id=tote_gift.pk)))
    assert refusal(response) == (
        f"Promotion {tote_gift.pk} (Tote with mugs) does not apply to this line: "
        "Tote bag: the free gift is out of stock."
    )


def test_promotion_id_on_a_line_it_does_not_reward(integrator, customer, methods, mug, tote):
    tote_deal = make_promotion(
        "Tote deal", [condition([reward(tote, given_price="12.00")], threshold_min=1)]
    )
    response = create(integrator, order(customer, mugs(1, promotion_id=tote_deal.pk)))
    assert refusal(response) == (
        f"Promotion {tote_deal.pk} (Tote deal) does not apply to this line: "
        "it has no reward for this variant."
    )
    # Named on the mug line while it prices the tote line of the same order.
    totes = {"sku": "TOTE-1", "quantity": 1, "suggested_price": "12.00"}
    response = create(integrator, order(customer, mugs(1, promotion_id=tote_deal.pk), totes))
    assert refusal(response) == (
        f"Promotion {tote_deal.pk} (Tote deal) does not apply to this line: "
        "it applies to other lines of this order, not to this one."
    )


def test_promotion_id_of_a_gift_below_its_threshold_says_what_is_missing(
    integrator, customer, methods, mug, tote, tote_gift
):
    response = create(integrator, order(customer, mugs(9, promotion_id=tote_gift.pk)))
    assert refusal(response) == (
        f"Promotion {tote_gift.pk} (Tote with mugs) does not apply to this line: "
        "Buy 1 more for a free Tote bag."
    )


def test_promotion_id_whose_condition_holds_nowhere(integrator, customer, methods, mug):
    # A value threshold on chosen products the order does not have.
    other = make_product("Kettle", price=D("50.00"), stock=5)
    far = make_promotion(
        "Kettle buyers",
        [
            condition(
                [reward(mug, given_price="5.00")],
                threshold_min="100.00",
                measure="value",
                qualifying="chosen",
                products=[other],
            )
        ],
    )
    response = create(integrator, order(customer, mugs(1, promotion_id=far.pk)))
    assert refusal(response) == (
        f"Promotion {far.pk} (Kettle buyers) does not apply to this line: "
        "its conditions do not hold for this order."
    )


def test_promotion_id_of_a_draft_or_an_unknown_promotion(integrator, customer, methods, mug):
    draft = make_promotion(
        "Secret draft", [condition([reward(mug, given_price="1.00")])], publish=False
    )
    for promotion_id in (draft.pk, 999999):
        response = create(integrator, order(customer, mugs(1, promotion_id=promotion_id)))
        message = refusal(response)
        assert message == f"No running promotion with id {promotion_id}."
        assert "Secret" not in message


def test_group_promotions_follow_the_customer(integrator, customer, methods, mug):
    trade = Group.objects.create(name="Trade")
    trade_price = make_promotion(
        "Trade price", [condition([reward(mug, given_price="6.00")])], groups=[trade]
    )
    refused = create(integrator, order(customer, mugs(1, promotion_id=trade_price.pk)))
    assert refusal(refused) == f"Promotion {trade_price.pk} is not offered to this customer."
    # Without promotion_id the line simply gets the customer's price.
    assert create(integrator, order(customer, mugs(1))).json()["lines"][0]["promotion"] is None
    Order.objects.all().delete()

    customer.groups.add(trade)
    response = create(integrator, order(customer, mugs(1, "6.00", promotion_id=trade_price.pk)))
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["given_price"] == 6.0


@pytest.mark.parametrize(
    "value",
    ["\u0000", "abc", "7\u0000", 10**30, 2**63, -1, 0, 1.5, "١", [], {}],
)
@pytest.mark.parametrize("field", ["promotion_id", "order_line_promotion_id"])
def test_bad_promotion_ids_are_400s(integrator, customer, methods, mug, field, value):
    response = create(integrator, order(customer, mugs(1, **{field: value})))
    assert response.status_code == 400, response.json()
    assert f"lines.0.{field}" in field_errors(response)
    assert not Order.objects.exists()


@pytest.fixture
def frozen_now(monkeypatch):
    """The shop's now held still (`pages.clock.shop_now` reads `timezone.now`)."""
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_a_promotion_starting_exactly_now_applies_and_one_ending_now_does_not(
    integrator, customer, methods, mug, frozen_now
):
    rule = [condition([reward(mug, given_price="8.00")], threshold_min=1)]
    starting = make_promotion("Starts now", rule, start=frozen_now)
    ending = make_promotion(
        "Ends now",
        [condition([reward(mug, given_price="7.00")], threshold_min=1)],
        start=frozen_now - timedelta(days=1),
        end=frozen_now,
    )

    response = create(integrator, order(customer, mugs(1, promotion_id=starting.pk)))
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["promotion"]["promotion_id"] == starting.pk
    assert response.json()["lines"][0]["given_price"] == 8.0

    refused = create(integrator, order(customer, mugs(1, promotion_id=ending.pk)))
    assert field_errors(refused) == {
        "lines.0.promotion_id": [f"No running promotion with id {ending.pk}."]
    }


def test_queries_do_not_grow_with_promotions(integrator, customer, methods, mug, tote):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from commerce.services.catalog_version import bump_catalog_version

    def add_promotions(start, count):
        for i in range(start, start + count):
            make_promotion(
                f"Deal {i}",
                [
                    condition([reward(mug, given_price=f"{8 - i / 10:.2f}")], threshold_min=1),
                    condition([reward(tote, "gift", quantity=1)], threshold_min=3),
                ],
            )

    token = access_token(integrator)

    def queries():
        # A new catalog version: the promotions are read from the database, not the cache.
        with transaction.atomic():
            bump_catalog_version()
        with CaptureQueriesContext(connection) as captured:
            response = post("/create-order", order(customer, mugs(1)), token)
        assert response.status_code == 201, response.json()
        return len(captured)

    # Each prices the mug (the best wins) and has a gift condition one mug does not reach.
    add_promotions(0, 1)
    queries()  # once to warm the caches a first request fills (site, content types)
    with_one = queries()
    add_promotions(1, 19)
    assert queries() == with_one
    assert OrderLine.objects.order_by("-id")[0].unit_price == D("6.10")  # Deal 19's
