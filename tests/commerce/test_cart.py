"""The cart: adding, quantities, coupons, what changed, guest carts and their merge on login."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.urls import reverse

from commerce.models import Cart, CartLine, ProductStatus
from commerce.services import cart as carts
from commerce.services.cart import CartError
from commerce.services.guests import GUEST_SESSION_KEY
from tests.factories.catalog import make_category, make_product
from tests.factories.checkout import make_cart, make_coupon, make_delivery_method

pytestmark = pytest.mark.django_db
D = Decimal


def test_adding_the_same_product_twice_adds_to_one_line():
    product = make_product(stock=10, price=D("5.00"))
    cart = make_cart([(product, 2), (product, 3)])
    assert [(line.product_id, line.quantity) for line in cart.lines.all()] == [(product.pk, 5)]


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "", "1.5", None])
def test_bad_quantities_are_refused_with_a_message(raw):
    product = make_product(stock=10)
    cart = make_cart()
    with pytest.raises(CartError, match="quantity"):
        carts.add_product(cart, product.pk, raw)
    assert not cart.lines.exists()


def test_quantity_is_capped_by_stock_with_a_note():
    product = make_product("Lamp", stock=3)
    cart = make_cart()
    note = carts.add_product(cart, product.pk, 5)
    assert note == "Only 3 of Lamp in stock; your cart holds 3."
    assert cart.lines.get().quantity == 3


def test_quantity_is_capped_by_the_line_maximum(settings):
    settings.STOREFRONT_MAX_LINE_QUANTITY = 4
    product = make_product(stock=100)
    cart = make_cart()
    assert "At most 4" in carts.add_product(cart, product.pk, 10)
    assert cart.lines.get().quantity == 4


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"status": ProductStatus.DISABLED}, "cannot be bought"),
        ({"status": ProductStatus.HIDDEN}, "cannot be bought"),
        ({"publish": False}, "cannot be bought"),
    ],
)
def test_unbuyable_products_cannot_be_added(fields, message):
    product = make_product(stock=5, **fields)
    with pytest.raises(CartError, match=message):
        carts.add_product(make_cart(), product.pk, 1)


def test_out_of_stock_and_unknown_products_cannot_be_added():
    with pytest.raises(CartError, match="out of stock"):
        carts.add_product(make_cart(), make_product(stock=0).pk, 1)
    with pytest.raises(CartError, match="cannot be bought"):
        carts.add_product(make_cart(), 987654, 1)


def test_a_line_of_another_cart_cannot_be_changed_or_removed():
    product = make_product(stock=5)
    mine, theirs = make_cart([(product, 1)]), make_cart([(product, 2)])
    their_line = theirs.lines.get()
    with pytest.raises(CartError):
        carts.set_line_quantity(mine, their_line.pk, 4)
    with pytest.raises(CartError):
        carts.remove_line(mine, their_line.pk)
    their_line.refresh_from_db()
    assert their_line.quantity == 2


def test_summary_flags_lines_that_became_unbuyable_and_blocks_checkout():
    keep = make_product("Keep", stock=5, price=D("2.00"))
    gone = make_product("Gone", stock=5)
    short = make_product("Short", stock=5)
    cart = make_cart([(keep, 1), (gone, 1), (short, 4)])
    gone.status = ProductStatus.DISABLED
    gone.save_revision().publish()
    short.stocks.update(quantity=2)
    summary = carts.summarize(cart)
    assert summary.problems == [
        "Gone cannot be bought at the moment.",
        "Only 2 of Short in stock; lower the quantity to continue.",
    ]
    assert not summary.can_check_out
    assert summary.totals.subtotal == D("2.00")  # only what can be bought is priced


def test_a_deleted_product_stays_in_the_cart_flagged():
    product = make_product("Vanishing", stock=5)
    cart = make_cart([(product, 1)])
    product.delete()
    summary = carts.summarize(cart)
    assert summary.problems == ["Vanishing is no longer sold."]
    assert cart.lines.get().product is None


def test_a_price_change_is_reported_once_and_then_remembered():
    product = make_product("Kettle", stock=5, price=D("20.00"))
    cart = make_cart([(product, 1)])
    product.price = D("22.50")
    product.save_revision().publish()
    changes = carts.acknowledge_changes(carts.summarize(cart))
    assert changes == ["The price of Kettle changed from 20.00 to 22.50."]
    assert carts.acknowledge_changes(carts.summarize(cart)) == []
    assert cart.lines.get().unit_price == D("22.50")


def test_a_price_change_shown_after_the_line_went_in_another_tab_is_no_failure():
    """The page priced the cart, then an order (or another tab) took the line: the
    shopper is still told, and there is no line left to remember the price on."""
    product = make_product("Kettle", stock=5, price=D("20.00"))
    cart = make_cart([(product, 1)])
    product.price = D("22.50")
    product.save_revision().publish()
    summary = carts.summarize(cart)
    carts.remove_line(cart, cart.lines.get().pk)

    changes = carts.acknowledge_changes(summary)

    assert changes == ["The price of Kettle changed from 20.00 to 22.50."]
    assert not cart.lines.exists()


def test_a_coupon_that_stopped_applying_is_reported_and_not_deducted():
    product = make_product(stock=5, price=D("50.00"))
    make_coupon("BIG", min_cart_value=D("40"))
    cart = make_cart([(product, 1)])
    assert carts.apply_coupon(cart, " big ").ok
    cart.refresh_from_db()
    assert cart.coupon_code == "BIG"
    product.price = D("30.00")
    product.save_revision().publish()
    summary = carts.summarize(cart)
    assert summary.totals.discount == D("0.00")
    changes = carts.acknowledge_changes(summary)
    assert "The coupon BIG needs a cart of at least 40.00; add 10.00 more." in changes


def test_delivery_method_choice_must_be_active():
    cart = make_cart()
    inactive = make_delivery_method(is_active=False)
    with pytest.raises(CartError):
        carts.choose_delivery_method(cart, inactive.pk)
    with pytest.raises(CartError):
        carts.choose_delivery_method(cart, "nonsense")


# --- Views -----------------------------------------------------------------------


def test_guest_adds_through_the_form_and_the_cart_is_keyed_by_an_unguessable_token(client):
    product = make_product("Mug", stock=5, price=D("7.00"))
    response = client.post(reverse("cart:add"), {"product": product.pk, "quantity": "2"})
    assert response.status_code == 302
    token = client.session[GUEST_SESSION_KEY]
    assert len(token) >= 32 and not token.isdigit()
    cart = Cart.objects.get(token=token)
    assert cart.lines.get().quantity == 2
    page = client.get(reverse("cart:detail"))
    assert page.status_code == 200
    assert {"private", "no-store"} <= {d.strip() for d in page["Cache-Control"].split(",")}
    assert "Mug" in page.content.decode()


def test_bad_add_requests_get_a_message_not_an_error(client):
    for data in (
        {"product": "x", "quantity": "1"},
        {"quantity": "1"},
        {"product": "1", "quantity": "-4"},
    ):
        response = client.post(reverse("cart:add"), data, follow=True)
        assert response.status_code == 200
        assert list(response.context["messages"])


def test_next_parameter_cannot_send_shoppers_off_site(client):
    product = make_product(stock=5)
    response = client.post(
        reverse("cart:add"), {"product": product.pk, "quantity": 1, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("cart:detail")


def test_cart_pages_only_accept_posts_for_changes(client):
    assert client.get(reverse("cart:add")).status_code == 405
    assert client.get(reverse("cart:coupon")).status_code == 405


def test_one_shoppers_cart_line_is_out_of_reach_for_another(client):
    product = make_product(stock=5)
    theirs = make_cart([(product, 2)])
    line = theirs.lines.get()
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": 9})
    client.post(reverse("cart:line_remove", args=[line.pk]))
    assert CartLine.objects.get(pk=line.pk).quantity == 2


def test_csrf_is_enforced_on_cart_forms():
    from django.test import Client

    product = make_product(stock=5)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    assert response.status_code == 403
    assert not CartLine.objects.exists()


def test_guest_cart_merges_into_the_account_cart_on_login(client):
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-long-enough-1")
    both = make_product("Both", stock=50)
    guest_only = make_product("Guest only", stock=50)
    account_cart = make_cart([(both, 2)], user=user)
    make_coupon("HELLO")
    client.post(reverse("cart:add"), {"product": both.pk, "quantity": 3})
    client.post(reverse("cart:add"), {"product": guest_only.pk, "quantity": 1})
    client.post(reverse("cart:coupon"), {"code": "hello"})
    guest_token = client.session[GUEST_SESSION_KEY]

    # authenticate() needs the request: django-axes checks the lock-out with it.
    client.login(request=HttpRequest(), username="ada", password="pw-long-enough-1")

    assert not Cart.objects.filter(token=guest_token).exists()
    lines = {line.product_name: line.quantity for line in account_cart.lines.all()}
    assert lines == {"Both": 5, "Guest only": 1}
    account_cart.refresh_from_db()
    assert account_cart.coupon_code == "HELLO"
    assert GUEST_SESSION_KEY not in client.session
    assert carts.merge_guest_cart(guest_token, user) is None  # a second run changes nothing


def test_category_restricted_coupon_discounts_only_that_branch():
    tools = make_category("Tools")
    saws = make_category("Saws", parent=tools)
    toys = make_category("Toys")
    saw = make_product(stock=5, price=D("100.00"), main_category=saws)
    toy = make_product(stock=5, price=D("50.00"), main_category=toys)
    coupon = make_coupon("TOOLS20", value="20", scope="categories")
    coupon.categories.add(tools)
    cart = make_cart([(saw, 1), (toy, 1)], coupon_code="TOOLS20")
    totals = carts.summarize(cart).totals
    assert totals.discount == D("20.00")
    assert totals.grand_total == D("130.00")


def test_purge_deletes_only_idle_guest_carts_and_keeps_orders():
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from commerce.models import Order
    from commerce.services.checkout import place_order
    from tests.factories.checkout import GOOD_CARD, make_payment_method, ready_checkout

    user = get_user_model().objects.create_user("keep", "keep@example.com", "pw")
    product = make_product(stock=10)
    old_guest = make_cart([(product, 1)])
    fresh_guest = make_cart([(product, 1)])
    old_user_cart = make_cart([(product, 1)], user=user)
    ordered = make_cart(
        [(product, 1)], delivery=make_delivery_method(), payment=make_payment_method()
    )
    order = place_order(ready_checkout(ordered).token, payment_data=GOOD_CARD).order
    long_ago = timezone.now() - timedelta(days=31)
    Cart.objects.filter(pk__in=[old_guest.pk, old_user_cart.pk, ordered.pk]).update(
        updated_at=long_ago
    )
    Cart.objects.filter(pk=fresh_guest.pk).update(updated_at=long_ago + timedelta(days=2))

    call_command("purge_stale_carts", "--days", "30")

    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh_guest.pk, old_user_cart.pk}
    assert Order.objects.filter(pk=order.pk).exists()
