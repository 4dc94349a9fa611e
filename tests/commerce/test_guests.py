"""A guest is one key in their session (services.guests): it names their cart and their lists."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from commerce.models import Cart, ShoppingList
from commerce.services.guests import GUEST_SESSION_KEY
from commerce.tokens import is_token, new_token
from tests.factories.catalog import make_product, only_variant
from tests.factories.checkout import make_cart

pytestmark = pytest.mark.django_db
PASSWORD = "pw-long-enough-1"


def test_a_guests_list_and_cart_share_one_key_whichever_came_first(client):
    vase = make_product("Vase", stock=3)
    client.post(reverse("lists:add"), {"variant": only_variant(vase).pk})
    key = client.session[GUEST_SESSION_KEY]
    assert is_token(key)
    client.post(reverse("cart:add"), {"variant": only_variant(vase).pk, "quantity": 1})
    assert client.session[GUEST_SESSION_KEY] == key
    assert Cart.objects.get().token == key
    assert ShoppingList.objects.get().guest_key == key
    assert set(client.session.keys()) & {"storefront_cart", "storefront_lists"} == set()


def test_signing_in_moves_cart_and_lists_and_forgets_the_key(client):
    user = get_user_model().objects.create_user("ada", "ada@example.com", PASSWORD)
    vase = make_product("Vase", stock=3)
    client.post(reverse("cart:add"), {"variant": only_variant(vase).pk, "quantity": 2})
    client.post(reverse("lists:add"), {"variant": only_variant(vase).pk})
    client.post(reverse("account:login"), {"username": "ada", "password": PASSWORD})
    assert GUEST_SESSION_KEY not in client.session
    assert Cart.objects.get().user == user and Cart.objects.get().lines.get().quantity == 2
    assert ShoppingList.objects.get().user == user


def test_a_session_from_before_the_one_key_keeps_its_cart_and_lists(client):
    # Sessions from before held the cart's token and the lists' key apart; a deploy must
    # not empty a shopper's cart mid-checkout.
    vase = make_product("Vase", stock=3)
    old_cart = make_cart([(vase, 1)])
    old_lists_key = new_token()
    wishes = ShoppingList.objects.create(name="Wishes", guest_key=old_lists_key)
    session = client.session
    session["storefront_cart"] = old_cart.token
    session["storefront_lists"] = old_lists_key
    session.save()

    # The first page they open, whatever it is, counts the old cart in the header.
    login_page = client.get(reverse("account:login")).content.decode()
    assert 'aria-label="Cart, 1 item"' in login_page
    assert client.session[GUEST_SESSION_KEY] == old_cart.token
    assert "Vase" in client.get(reverse("cart:detail")).content.decode()
    assert set(client.session.keys()) & {"storefront_cart", "storefront_lists"} == set()
    wishes.refresh_from_db()
    assert wishes.guest_key == old_cart.token
    client.post(reverse("cart:add"), {"variant": only_variant(vase).pk, "quantity": 1})
    assert Cart.objects.get().lines.get().quantity == 2


def test_a_session_with_a_malformed_old_key_starts_afresh(client):
    session = client.session
    session["storefront_cart"] = "not-a-token"
    session.save()
    client.get(reverse("cart:detail"))
    assert GUEST_SESSION_KEY not in client.session
    assert "storefront_cart" not in client.session
