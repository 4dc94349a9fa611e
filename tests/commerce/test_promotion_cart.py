"""Promotions in the cart, at checkout and in orders: prices at the threshold, gift
lines that come and go, coupons on promoted prices, and placement holding the shopper
to what they were shown."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from commerce.models import CartLine, Order, Promotion, Stock
from commerce.services import cart as carts
from commerce.services import checkout as checkouts
from commerce.services.cart import CartError
from commerce.services.checkout import TotalChanged
from tests.factories.catalog import make_product, only_variant, set_stock
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_coupon,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.factories.promotions import (
    condition,
    end_now,
    make_gift_promotion,
    make_promotion,
    reward,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def mug():
    return make_product("Mug", price=D("10.00"), stock=100)


@pytest.fixture
def tote():
    return make_product("Tote bag", price=D("8.00"), stock=5)


@pytest.fixture
def methods():
    return make_delivery_method(price="0.00"), make_payment_method()


def bulk_mugs(mug, **fields):
    """5.00 each from 10 mugs."""
    return make_promotion(
        "Bulk mugs",
        [condition([reward(mug, "fixed_price", given_price="5.00")], threshold_min=10)],
        **fields,
    )


def free_tote(mug, tote, *, threshold="100.00", quantity=1, **fields):
    """A tote bag with 100.00 of mugs."""
    return make_gift_promotion(
        tote, threshold=threshold, products=[mug], quantity=quantity, **fields
    )


def shown(cart, **kwargs):
    """The cart as a page shows it: priced, and what changed acknowledged."""
    summary = carts.summarize(cart, **kwargs)
    return summary, carts.acknowledge_changes(summary)


def set_quantity(cart, variant, quantity):
    line = cart.lines.get(variant=only_variant(variant), is_gift=False)
    carts.set_line_quantity(cart, line.pk, quantity)


def units(product):
    return sum(Stock.objects.filter(variant__product=product).values_list("quantity", flat=True))


# --- Prices at the threshold ------------------------------------------------------------


def test_the_price_drops_exactly_at_the_threshold_and_not_one_below(mug):
    promotion = bulk_mugs(mug)
    cart = make_cart([(mug, 9)])

    below, changes = shown(cart)
    (line,) = below.lines
    assert (line.current_price, line.promotion, changes) == (D("10.00"), None, [])
    assert [hint.message for hint in below.hints] == ["Buy 1 more for 5.00 each"]
    assert below.promotion_savings == D("0.00")

    set_quantity(cart, mug, 10)
    at, changes = shown(cart)
    (line,) = at.lines
    assert (line.current_price, line.regular_price, line.promotion_name) == (
        D("5.00"),
        D("10.00"),
        "Bulk mugs",
    )
    assert (at.totals.subtotal, at.promotion_savings, at.hints) == (D("50.00"), D("50.00"), [])
    assert changes == ["Promotion applied: Bulk mugs on Mug; the price changed from 10.00 to 5.00."]
    stored = cart.lines.get()
    assert (stored.unit_price, stored.promotion_id) == (D("5.00"), promotion.pk)
    assert shown(cart)[1] == []  # told once

    set_quantity(cart, mug, 9)
    assert shown(cart)[1] == [
        "Promotion ended: Bulk mugs no longer applies to Mug; the price changed from 5.00 to 10.00."
    ]
    assert cart.lines.get().promotion_id is None


def test_a_promotion_applies_from_its_start_and_not_at_its_end(mug):
    start = timezone.now() + timedelta(days=7)
    bulk_mugs(mug, start=start, end=start + timedelta(days=1))
    cart = make_cart([(mug, 10)])

    def price(at):
        return carts.summarize(cart, now=at).lines[0].current_price

    assert price(start - timedelta(seconds=1)) == D("10.00")
    assert price(start) == D("5.00")
    assert price(start + timedelta(days=1)) == D("10.00")
    assert price(None) == D("10.00")  # today


def test_drafts_and_other_groups_promotions_do_not_apply(mug):
    bulk_mugs(mug, publish=False)
    members = Group.objects.create(name="Wholesale")
    make_promotion(
        "Wholesale mugs",
        [condition([reward(mug, "fixed_price", given_price="4.00")], threshold_min=10)],
        groups=[members],
    )
    member = get_user_model().objects.create_user("member", "m@example.com", "pw")
    member.groups.add(members)
    stranger = get_user_model().objects.create_user("stranger", "s@example.com", "pw")
    cart = make_cart([(mug, 10)])

    assert carts.summarize(cart).lines[0].current_price == D("10.00")  # a guest
    assert carts.summarize(cart, user=stranger).lines[0].current_price == D("10.00")
    assert carts.summarize(cart, user=member).lines[0].current_price == D("4.00")


# --- Gift lines ------------------------------------------------------------------------------


def test_a_gift_comes_at_the_threshold_and_goes_below_it(mug, tote):
    promotion = free_tote(mug, tote)
    cart = make_cart([(mug, 9)])
    below, changes = shown(cart)
    assert (below.gift_lines, changes) == ([], [])
    assert [hint.message for hint in below.hints] == ["Add 10.00 more for a free Tote bag"]

    set_quantity(cart, mug, 10)  # 100.00 exactly
    at, changes = shown(cart)
    assert changes == ["Gift added: Tote bag"]
    (gift,) = at.gift_lines
    assert (gift.is_gift, gift.current_price, gift.regular_price, gift.promotion_name) == (
        True,
        D("0.00"),
        D("8.00"),
        "Free tote",
    )
    assert (at.totals.subtotal, at.totals.grand_total) == (D("100.00"), D("100.00"))
    stored = cart.lines.get(is_gift=True)
    assert (stored.variant, stored.quantity, stored.unit_price, stored.promotion) == (
        only_variant(tote),
        1,
        D("0.00"),
        promotion,
    )
    assert shown(cart)[1] == []

    set_quantity(cart, mug, 9)
    _, changes = shown(cart)
    assert changes == ["Gift removed: Tote bag (the promotion no longer applies)"]
    assert not cart.lines.filter(is_gift=True).exists()


def test_a_multiplied_gift_grows_with_the_cart(mug, tote):
    free_tote(mug, tote, multiply_reward=1)
    cart = make_cart([(mug, 10)])
    assert shown(cart)[1] == ["Gift added: Tote bag"]
    set_quantity(cart, mug, 20)
    assert shown(cart)[1] == ["Gift changed: 2 × Tote bag instead of 1 (the promotion gives more)"]
    assert cart.lines.get(is_gift=True).quantity == 2


def test_shoppers_cannot_change_remove_or_add_to_a_gift_line(client, mug, tote):
    free_tote(mug, tote)
    client.post(reverse("cart:add"), {"variant": only_variant(mug).pk, "quantity": 10})
    page = client.get(reverse("cart:detail"))
    assert "Gift added: Tote bag" in page.content.decode()
    gift = CartLine.objects.get(is_gift=True)

    with pytest.raises(CartError, match="free gift"):
        carts.set_line_quantity(gift.cart, gift.pk, 3)
    with pytest.raises(CartError, match="free gift"):
        carts.remove_line(gift.cart, gift.pk)
    refused = client.post(reverse("cart:line_update", args=[gift.pk]), {"quantity": 3}, follow=True)
    assert "Tote bag is a free gift" in refused.content.decode()
    client.post(reverse("cart:line_remove", args=[gift.pk]))
    gift.refresh_from_db()
    assert gift.quantity == 1

    # Buying a tote bag makes a line of its own; the gift stays as it is.
    client.post(reverse("cart:add"), {"variant": only_variant(tote).pk, "quantity": 2})
    lines = sorted(
        CartLine.objects.filter(variant=only_variant(tote)).values_list("is_gift", "quantity")
    )
    assert lines == [(False, 2), (True, 1)]


def test_a_gift_out_of_stock_is_told_and_never_given(mug, tote, methods):
    free_tote(mug, tote)
    set_stock(only_variant(tote), 0)
    delivery, payment = methods
    cart = make_cart([(mug, 10)], delivery=delivery, payment=payment)

    summary, changes = shown(cart)
    assert (summary.gift_lines, changes) == ([], [])
    assert [s.message for s in summary.gift_shortfalls] == [
        "Tote bag: the free gift is out of stock."
    ]
    order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
    assert not order.lines.filter(is_gift=True).exists()


def test_a_gift_the_cart_also_buys_is_given_only_from_the_units_left(mug, tote):
    free_tote(mug, tote, quantity=2)
    cart = make_cart([(mug, 10), (tote, 4)])  # 5 in stock: 1 left to give
    summary, changes = shown(cart)
    assert changes == ["Gift added: Tote bag"]
    assert [state.quantity for state in summary.gift_lines] == [1]
    assert [s.message for s in summary.gift_shortfalls] == [
        "Tote bag: only 1 of the 2 free units are left."
    ]


def test_a_gift_that_ran_out_after_the_review_refuses_placement_then_goes(mug, tote, methods):
    free_tote(mug, tote)
    delivery, payment = methods
    cart = make_cart([(mug, 10)], delivery=delivery, payment=payment)
    assert shown(cart)[1] == ["Gift added: Tote bag"]
    checkout = ready_checkout(cart)
    set_stock(only_variant(tote), 0)

    with pytest.raises(TotalChanged, match=r"Gift removed: Tote bag \(out of stock\)"):
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    assert not Order.objects.exists()

    summary, changes = shown(cart)  # the review page again
    assert changes == ["Gift removed: Tote bag (out of stock)"]
    assert summary.gift_shortfalls
    order = checkouts.place_order(checkout.token, payment_data=GOOD_CARD).order
    assert [line.is_gift for line in order.lines.all()] == [False]


def test_a_gift_the_shopper_was_not_shown_refuses_placement(mug, tote, methods):
    delivery, payment = methods
    cart = make_cart([(mug, 10)], delivery=delivery, payment=payment)
    shown(cart)
    checkout = ready_checkout(cart)
    free_tote(mug, tote)  # starts between the review and the click

    with pytest.raises(TotalChanged, match="Gift added: Tote bag"):
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD)
    shown(cart)
    order = checkouts.place_order(checkout.token, payment_data=GOOD_CARD).order
    assert [line.is_gift for line in order.lines.all()] == [False, True]


def test_a_guest_cart_with_gifts_merges_into_a_user_cart_with_gifts(mug, tote):
    free_tote(mug, tote)
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    mine = make_cart([(mug, 10)], user=user)
    shown(mine)
    guest = make_cart([(mug, 10)])
    shown(guest)

    merged = carts.merge_guest_cart(guest.token, user)

    assert list(merged.lines.values_list("is_gift", "quantity")) == [(False, 20), (True, 1)]
    assert shown(merged)[1] == []


# --- Coupons on promoted prices ------------------------------------------------------------


def test_a_coupon_applies_to_the_promoted_prices(mug):
    bulk_mugs(mug)
    make_coupon("TEN", value="10")
    cart = make_cart([(mug, 10)], coupon_code="TEN")
    totals = carts.summarize(cart).totals
    assert (totals.subtotal, totals.discount, totals.grand_total) == (
        D("50.00"),
        D("5.00"),
        D("45.00"),
    )


def test_a_coupon_not_with_promotions_discounts_only_unpromoted_lines(mug):
    lamp = make_product("Lamp", price=D("20.00"), stock=5)
    bulk_mugs(mug)
    make_coupon("SOLO", value="10", combines_with_promotions=False)
    cart = make_cart([(mug, 10), (lamp, 1)], coupon_code="SOLO")

    summary = carts.summarize(cart)
    assert (summary.totals.subtotal, summary.totals.discount) == (D("70.00"), D("2.00"))
    assert [state.pricing.discount for state in summary.lines] == [D("0.00"), D("2.00")]

    only_promoted = make_cart([(mug, 10)], coupon_code="SOLO")
    check = carts.summarize(only_promoted).coupon_check
    assert not check.ok
    assert check.message == (
        "The coupon SOLO does not combine with promotions, and what it applies to in your "
        "cart is already on promotion."
    )
    set_quantity(only_promoted, mug, 9)  # no promotion: the coupon applies again
    assert carts.summarize(only_promoted).totals.discount == D("9.00")


# --- Placement ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["end", "unpublish", "clock"])
def test_a_promotion_that_ended_after_the_review_is_a_changed_total(
    mug, methods, ending, monkeypatch
):
    """Staff end it now, or unpublish it, or its end comes: the order is not placed at the
    price the shopper saw."""
    ends_at = timezone.now() + timedelta(minutes=1)
    promotion = bulk_mugs(mug, end=ends_at)
    delivery, payment = methods
    cart = make_cart([(mug, 10)], delivery=delivery, payment=payment)
    shown(cart)
    checkout = ready_checkout(cart)
    if ending == "end":
        end_now(promotion)
    elif ending == "unpublish":
        promotion.unpublish()
    else:
        monkeypatch.setattr(timezone, "now", lambda: ends_at)

    with pytest.raises(TotalChanged) as refused:
        checkouts.place_order(checkout.token, payment_data=GOOD_CARD, expected_total=D("50.00"))
    assert str(refused.value) == (
        "Promotion ended: Bulk mugs no longer applies to Mug; the price changed from 5.00 to "
        "10.00. Please review your order."
    )
    assert not Order.objects.exists()
    summary, _ = shown(cart)
    order = checkouts.place_order(
        checkout.token, payment_data=GOOD_CARD, expected_total=summary.totals.grand_total
    ).order
    assert (order.grand_total, order.lines.get().promotion) == (D("100.00"), None)


def test_an_order_copies_promotions_and_gifts_and_takes_the_gifts_stock(mug, tote, methods):
    bulk = bulk_mugs(mug)
    gift = free_tote(mug, tote)
    delivery, payment = methods
    cart = make_cart([(mug, 10)], delivery=delivery, payment=payment)
    summary, _ = shown(cart)

    order = checkouts.place_order(
        ready_checkout(cart).token,
        payment_data=GOOD_CARD,
        expected_total=summary.totals.grand_total,
    ).order

    rows = [
        (
            line.product_name,
            line.unit_price,
            line.regular_unit_price,
            line.line_total,
            line.promotion,
            line.promotion_name,
            line.is_gift,
            line.quantity,
        )
        for line in order.lines.all()
    ]
    assert rows == [
        ("Mug", D("5.00"), D("10.00"), D("50.00"), bulk, "Bulk mugs", False, 10),
        ("Tote bag", D("0.00"), D("8.00"), D("0.00"), gift, "Free tote", True, 1),
    ]
    assert (order.subtotal, order.grand_total) == (D("50.00"), D("50.00"))
    assert (units(mug), units(tote)) == (90, 4)
    assert sum(order.lines.get(is_gift=True).allocations.values_list("quantity", flat=True)) == 1
    assert not cart.lines.exists()


def test_cancelling_an_order_returns_the_gifts_units_too(mug, tote, methods):
    from commerce.services.orders import cancel_order

    free_tote(mug, tote)
    delivery, _ = methods
    cash = make_payment_method("cash_on_delivery")
    cart = make_cart([(mug, 10), (tote, 1)], delivery=delivery, payment=cash)
    shown(cart)
    order = checkouts.place_order(ready_checkout(cart).token).order
    assert [(line.is_gift, line.quantity) for line in order.lines.all()] == [
        (False, 10),
        (False, 1),
        (True, 1),
    ]
    assert units(tote) == 3

    cancel_order(order)

    assert (units(mug), units(tote)) == (100, 5)


def test_an_order_without_promotions_copies_none(mug, methods):
    delivery, payment = methods
    cart = make_cart([(mug, 2)], delivery=delivery, payment=payment)
    order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
    line = order.lines.get()
    assert (line.promotion, line.promotion_name, line.regular_unit_price, line.is_gift) == (
        None,
        "",
        None,
        False,
    )


# --- Cost --------------------------------------------------------------------------------------


def test_summarize_queries_do_not_grow_with_lines_or_promotions(mug, tote):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_coupon("TEN", value="10")

    def queries(cart):
        with CaptureQueriesContext(connection) as captured:
            summary = carts.summarize(cart)
        return len(captured), summary

    free_tote(mug, tote)
    few, summary = queries(make_cart([(mug, 10)], coupon_code="TEN"))
    assert len(summary.gift_lines) == 1

    products = [make_product(f"Cup {n}", price=D("10.00"), stock=50) for n in range(10)]
    for product in products:
        bulk_mugs(product)
        free_tote(product, make_product(price=D("1.00"), stock=5), threshold="10.00")
    many, summary = queries(
        make_cart([(mug, 10), *[(product, 10) for product in products]], coupon_code="TEN")
    )
    assert len(summary.gift_lines) == 11 and summary.promotion_savings == D("500.00")
    assert many == few, (few, many)


def test_the_cart_page_queries_do_not_grow_with_lines_or_promotions(client, mug, tote, homepage):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.catalog import make_shop

    make_shop(homepage)

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("cart:detail"))
        assert page.status_code == 200
        return len(captured), page.content.decode()

    bulk_mugs(mug)
    free_tote(mug, tote)
    client.post(reverse("cart:add"), {"variant": only_variant(mug).pk, "quantity": 10})
    client.get(reverse("cart:detail"))  # the gift goes in
    few, _ = page_queries()

    for n in range(9):
        cup = make_product(f"Cup {n}", price=D("10.00"), stock=50)
        bulk_mugs(cup)
        free_tote(cup, make_product(f"Saucer {n}", price=D("1.00"), stock=5), threshold="10.00")
        client.post(reverse("cart:add"), {"variant": only_variant(cup).pk, "quantity": 10})
    assert Promotion.objects.count() == 20
    client.get(reverse("cart:detail"))
    many, page = page_queries()
    assert CartLine.objects.filter(is_gift=True).count() == 10
    assert page.count("cart-line--gift") == 10
    assert many <= few, (few, many)


# --- What the shopper sees ------------------------------------------------------------------


def test_the_cart_page_shows_badges_struck_prices_gifts_hints_and_savings(client, mug, tote):
    bulk_mugs(mug, color_in_cart="#8e24aa")
    promotion = free_tote(mug, tote, threshold="200.00")
    client.post(reverse("cart:add"), {"variant": only_variant(mug).pk, "quantity": 10})

    page = client.get(reverse("cart:detail")).content.decode()
    assert '<span class="promo-badge promo-badge--' in page
    assert (
        f".promo-badge--{Promotion.objects.get(name='Bulk mugs').pk} {{ background: #8e24aa; }}"
        in page
    )
    assert " style=" not in page.split("<body", 1)[1]  # the CSP allows no style attributes
    assert '<s class="cart-line__regular">' in page
    assert "Add 100.00 more for a free Tote bag" in page
    assert "Promotions saved you" in page

    Promotion.objects.filter(pk=promotion.pk).update(color_in_cart="red;}a{")
    client.post(reverse("cart:add"), {"variant": only_variant(mug).pk, "quantity": 10})
    page = client.get(reverse("cart:detail")).content.decode()
    assert "Gift added: Tote bag" in page
    assert "cart-line--gift" in page and "Free while the promotion applies" in page
    assert "red;}" not in page  # a colour that is not #rrggbb never reaches the CSS


def test_the_confirmation_account_page_and_emails_show_promotions_and_gifts(
    client, mug, tote, methods, django_capture_on_commit_callbacks
):
    from django.core import mail

    bulk_mugs(mug)
    free_tote(mug, tote)
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    delivery, payment = methods
    cart = make_cart([(mug, 10)], user=user, delivery=delivery, payment=payment)
    shown(cart, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        order = checkouts.place_order(
            ready_checkout(cart).token, user=user, payment_data=GOOD_CARD
        ).order

    body = mail.outbox[0].body
    assert "10 × Mug (" in body and "5.00 EUR each instead of 10.00 EUR: 50.00 EUR" in body
    assert "  Promotion: Bulk mugs" in body
    assert "1 × Gift: Tote bag (" in body and "0.00 EUR each instead of 8.00 EUR: 0.00 EUR" in body
    html = mail.outbox[0].alternatives[0][0]
    assert "<strong>Gift:</strong> Tote bag" in html and "Promotion: Free tote" in html

    confirmation = client.get(reverse("checkout:confirmation", args=[order.token]))
    client.force_login(user)
    detail = client.get(reverse("account:order_detail", kwargs={"number": order.number}))
    for page in (confirmation.content.decode(), detail.content.decode()):
        assert '<span class="promo-badge">Bulk mugs</span>' in page
        assert '<span class="cart-line__gift">Gift</span> Tote bag' in page
        assert '<span class="promo-badge">Free tote</span>' in page


def test_the_review_page_after_a_promotion_ended_shows_the_new_total(client, mug, methods):
    """The review's total is what placement recomputes; a promotion that ended in between
    goes through the changed-total flow, and the next submit places at the new total."""
    from tests.factories.checkout import ADDRESS

    promotion = bulk_mugs(mug)
    delivery, payment = methods
    client.post(reverse("cart:add"), {"variant": only_variant(mug).pk, "quantity": 10})
    details = {"email": "ada@example.com", "phone": ""}
    details |= {f"billing-{key}": value for key, value in ADDRESS.items()}
    client.post(reverse("checkout:details"), details)
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})
    review = client.get(reverse("checkout:review"))
    form = review.context["place_form"]
    assert form.initial["expected_total"] == D("50.00")
    data = {
        "checkout": form.initial["checkout"],
        "expected_total": form.initial["expected_total"],
        "accept_terms": "on",
        "payment-card_number": "4242 4242 4242 4242",
        "payment-expiry": "12/39",
        "payment-cvc": "123",
    }
    end_now(promotion)

    refused = client.post(reverse("checkout:review"), data)

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Promotion ended: Bulk mugs no longer applies to Mug" in page
    assert refused.context["place_form"].initial["expected_total"] == D("100.00")
    assert not Order.objects.exists()
    placed = client.post(reverse("checkout:review"), data | {"expected_total": "100.00"})
    assert placed.status_code == 302
    assert Order.objects.get().grand_total == D("100.00")
