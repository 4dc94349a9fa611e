"""One step from the cart to the review for a signed-in shopper who has ordered before
(services.checkout.fill_from_account, through the cart's "Check out", checkout:start)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from commerce.models import Address, Cart, Checkout, Order
from commerce.services import checkout as checkouts
from tests.factories.catalog import make_product
from tests.factories.checkout import (
    ADDRESS,
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)

pytestmark = pytest.mark.django_db

HOME = {**ADDRESS, "full_name": "Ada Lovelace", "city": "Gdansk", "phone": "+48601234567"}


@pytest.fixture
def methods():
    return make_delivery_method(price="15.00"), make_payment_method()


@pytest.fixture
def ada():
    return get_user_model().objects.create_user("ada@example.com", "Ada@Example.com", "pw-1-long")


def order_once(user, methods):
    """A first order, placed as the storefront does: the cart keeps its methods after it."""
    delivery, payment = methods
    cart = make_cart([(make_product(stock=5), 1)], user=user, delivery=delivery, payment=payment)
    checkout = ready_checkout(cart, email=user.email)
    return checkouts.place_order(checkout.token, user=user, payment_data=GOOD_CARD).order


def check_out(client, product):
    client.post(reverse("cart:add"), {"product": product.pk, "quantity": 1})
    return client.get(reverse("checkout:start"))


def test_a_returning_shopper_goes_from_the_cart_to_the_review_in_one_step(client, ada, methods):
    Address.objects.create(user=ada, is_default=True, **HOME)
    Address.objects.create(user=ada, **{**ADDRESS, "city": "Krakow"})  # newer, not default
    order_once(ada, methods)
    client.force_login(ada)

    response = check_out(client, make_product("Teapot", stock=3, price=Decimal("30.00")))

    assert response["Location"] == reverse("checkout:review")
    checkout = Checkout.objects.get(cart__user=ada, order=None)
    assert checkout.email == "ada@example.com"
    assert checkout.billing_address["city"] == "Gdansk"  # the default address
    assert checkout.delivery_address == checkout.billing_address
    assert checkout.phone.as_e164 == "+48601234567"
    review = client.get(response["Location"])
    assert review.status_code == 200
    assert "We filled in your saved address" in review.content.decode()
    form = review.context["place_form"].initial
    placed = client.post(
        reverse("checkout:review"),
        {
            "checkout": form["checkout"],
            "expected_total": form["expected_total"],
            "accept_terms": "on",
            **{f"payment-{key}": value for key, value in GOOD_CARD.items()},
        },
    )
    order = Order.objects.latest("pk")
    assert placed["Location"] == reverse("checkout:confirmation", args=[order.token])
    assert order.grand_total == Decimal("45.00") and order.delivery_method == methods[0]


def test_a_new_cart_takes_the_methods_of_the_last_order(client, ada, methods):
    Address.objects.create(user=ada, is_default=True, **HOME)
    order_once(ada, methods)
    Cart.objects.filter(user=ada).delete()  # e.g. a guest cart becomes the account's
    client.force_login(ada)
    assert check_out(client, make_product(stock=3))["Location"] == reverse("checkout:review")
    cart = Cart.objects.get(user=ada)
    assert (cart.delivery_method, cart.payment_method) == methods


def test_without_a_saved_address_the_details_come_first_then_straight_to_the_review(
    client, ada, methods
):
    order_once(ada, methods)
    client.force_login(ada)
    assert check_out(client, make_product(stock=3))["Location"] == reverse("checkout:details")
    details = {"email": "ada@example.com", "phone": ""}
    details |= {f"billing-{key}": value for key, value in ADDRESS.items()}
    answer = client.post(reverse("checkout:details"), details)
    assert answer["Location"] == reverse("checkout:review")  # the methods are remembered


def test_a_method_staff_switched_off_is_left_for_its_step(client, ada, methods):
    delivery, payment = methods
    Address.objects.create(user=ada, is_default=True, **HOME)
    order_once(ada, methods)
    Cart.objects.filter(user=ada).delete()
    type(delivery).objects.filter(pk=delivery.pk).update(is_active=False)
    make_delivery_method("Parcel locker", price="5.00")
    client.force_login(ada)
    assert check_out(client, make_product(stock=3))["Location"] == reverse("checkout:delivery")
    cart = Cart.objects.get(user=ada)
    assert cart.delivery_method is None and cart.payment_method == payment
    checkout = Checkout.objects.get(cart=cart, order=None)
    assert checkout.billing_address["city"] == "Gdansk"  # the details were filled


def test_an_address_in_a_country_the_shop_does_not_ship_to_is_not_used(
    client, ada, methods, settings
):
    settings.STOREFRONT_SHIPPING_COUNTRIES = ["PL", "DE"]
    Address.objects.create(user=ada, is_default=True, **{**HOME, "country": "US"})
    order_once(ada, methods)
    client.force_login(ada)
    assert check_out(client, make_product(stock=3))["Location"] == reverse("checkout:details")
    checkout = Checkout.objects.get(cart__user=ada, order=None)
    assert not checkout.billing_address and not checkout.email


def test_answers_already_given_are_never_overwritten(client, ada, methods):
    Address.objects.create(user=ada, is_default=True, **HOME)
    order_once(ada, methods)
    client.force_login(ada)
    client.post(reverse("cart:add"), {"product": make_product(stock=3).pk, "quantity": 1})
    cart = Cart.objects.get(user=ada)
    ready_checkout(cart, email="other@example.com")  # the details step, typed by hand
    assert client.get(reverse("checkout:start"))["Location"] == reverse("checkout:review")
    checkout = Checkout.objects.get(cart=cart, order=None)
    assert checkout.email == "other@example.com"
    assert checkout.billing_address["city"] == ADDRESS["city"]


def test_guests_and_first_time_shoppers_walk_every_step(client, ada, methods):
    assert check_out(client, make_product(stock=3))["Location"] == reverse("checkout:details")
    Address.objects.create(user=ada, is_default=True, **HOME)
    client.force_login(ada)  # an address, but no order yet: the methods are still to choose
    assert check_out(client, make_product(stock=3))["Location"] == reverse("checkout:delivery")


def test_only_the_shoppers_own_address_and_orders_are_used(client, ada, methods):
    eve = get_user_model().objects.create_user("eve@example.com", "eve@example.com", "pw-1-long")
    Address.objects.create(user=eve, is_default=True, **{**HOME, "city": "Secretville"})
    order_once(eve, methods)
    client.force_login(ada)
    assert check_out(client, make_product(stock=3))["Location"] == reverse("checkout:details")
    checkout = Checkout.objects.get(cart__user=ada, order=None)
    assert not checkout.billing_address
    cart = Cart.objects.get(user=ada)
    assert cart.delivery_method is None and cart.payment_method is None


@pytest.mark.parametrize("size", [1, 6])
def test_the_one_step_start_costs_a_fixed_number_of_queries(
    client, ada, methods, size, django_assert_max_num_queries
):
    Address.objects.create(user=ada, is_default=True, **HOME)
    order_once(ada, methods)
    Cart.objects.filter(user=ada).delete()
    client.force_login(ada)
    for _ in range(size):
        client.post(reverse("cart:add"), {"product": make_product(stock=3).pk, "quantity": 1})
    with django_assert_max_num_queries(17):
        assert client.get(reverse("checkout:start"))["Location"] == reverse("checkout:review")
