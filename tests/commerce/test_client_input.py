"""What clients send is read through one set of rules (commerce/inputs.py): never a 500.

One test per class of fault the hardening issue found: NUL reaching PostgreSQL,
`next=` values that are no URL, integers `str.isdigit()` let through, list
quantities without the cart's cap, and rich text the editor did not write.
"""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import rich_text

from commerce.inputs import normalise_email
from commerce.models import Cart, Product, ShoppingList, ShoppingListItem
from commerce.services import shopping_lists
from tests.factories.accounts import PASSWORD, make_address, make_customer
from tests.factories.catalog import (
    make_product,
    only_variant,
    product_form_data,
    variant_form_data,
)
from tests.factories.checkout import make_cart, make_coupon, ready_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def product(db):
    return make_product("Mug", stock=10_000)


def guest_with_cart(client, product):
    client.post(reverse("cart:add"), {"variant": only_variant(product).pk, "quantity": "1"})
    return Cart.objects.get()


def guest_list(client, product):
    client.post(reverse("lists:add"), {"variant": only_variant(product).pk, "quantity": "1"})
    return ShoppingList.objects.get()


# --- NUL -----------------------------------------------------------------------------------


def test_nul_in_a_form_field_is_a_400_not_a_database_error(client, product):
    guest_with_cart(client, product)
    make_coupon("SAVE10")
    for url, data in [
        (reverse("cart:coupon"), {"code": "SAVE\x0010"}),
        (reverse("lists:create"), {"name": "Party\x00"}),
        (reverse("lists:add"), {"variant": only_variant(product).pk, "note": "gift\x00"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert "NUL" in response.json()["detail"]
    assert not ShoppingList.objects.filter(name__startswith="Party").exists()


def test_nul_in_the_path_query_or_a_cookie_is_a_400(client, product):
    assert client.get("/shop/search/?q=mug\x00").status_code == 400
    assert client.get("/lists/shared/a%00b/").status_code == 400
    assert client.get("/external/v1/products/?api_key=sfk_%00").status_code == 400
    client.cookies["sessionid"] = "abcdefgh\x00ijk"
    assert client.get(reverse("cart:detail")).status_code == 400


def test_a_token_that_cannot_exist_is_a_404_without_a_lookup(client):
    for path in [
        "/checkout/order/" + "x" * 31 + "/",  # one character short
        "/checkout/order/" + "x" * 31 + "!/",  # not base64url
        "/lists/shared/" + "y" * 44 + "/",
        "/account/orders/" + "9" * 21 + "/",
    ]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 404, path
        tables = ("commerce_order", "commerce_shoppinglist")
        looked_up = [q["sql"] for q in queries if any(t in q["sql"] for t in tables)]
        assert not looked_up, path


def test_api_keys_of_the_wrong_shape_are_401_without_a_lookup(client, db):
    from commerce.integrations.models import key_prefix

    for key in ["sfk_0123456789ab" + "é" * 43, "sfk_0123456789ab" + "x" * 44, "sfk_" + "x" * 55]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                "/external/v1/products/", headers={"authorization": f"Api-Key {key}"}
            )
        assert response.status_code == 401
        assert not [q for q in queries if "integrations_apikey" in q["sql"]]
    assert key_prefix("sfk_0123456789ab\x00" + "x" * 42) is None


def test_json_strings_with_nul_are_400_field_errors(client, db):
    response = client.post(
        "/auth/",
        json.dumps({"username": "erp\u0000", "password": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "username" in response.json()["errors"]

    from django.contrib.auth.models import Permission

    from commerce.integrations import jwt_auth

    user = make_customer("erp@example.com")

    user.user_permissions.add(Permission.objects.get(codename="create_orders"))
    token = jwt_auth.sign_in(user)["access_token"]
    body = {
        "customer_external_id": "ERP\u00001",
        "lines": [{"product_external_id": "SKU\u0000", "quantity": 1, "suggested_price": 1}],
        "description": "Dock 4\nramp\ud800",
    }
    response = client.post(
        "/create-order",
        json.dumps(body),
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "customer_external_id",
        "lines.0.product_external_id",
        "description",
    }


# --- next= -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/shop/", "/shop/"),
        ("http://testserver/shop/", "http://testserver/shop/"),
        ("abc", "/cart/"),
        ("cart:detail", "/cart/"),
        ("//evil.example/", "/cart/"),
        ("https://evil.example/", "/cart/"),
        ("javascript:alert(1)", "/cart/"),
        ("", "/cart/"),
    ],
)
def test_next_is_a_url_on_this_site_or_the_default(rf, target, expected):
    from commerce.inputs import safe_next_url

    request = rf.post("/cart/add/", {"next": target})
    assert safe_next_url(request, "cart:detail") == expected


def test_sign_up_with_a_next_that_is_no_url_lands_on_the_account(client, db):
    response = client.post(
        reverse("account:signup") + "?next=abc",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD, "next": "abc"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account:overview")


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [("/shop/", "/shop/"), ("abc", "/account/"), ("https://evil.example/", "/account/")],
)
def test_log_in_follows_the_same_next_rule(client, target, lands_on):
    make_customer("ada@example.com")
    page = client.get(reverse("account:login"), {"next": target})
    kept = target if lands_on == target else ""  # the form carries only a safe target on
    assert f'<input type="hidden" name="next" value="{kept}">' in page.content.decode()
    response = client.post(
        reverse("account:login"),
        {"username": "ada@example.com", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == lands_on


@pytest.mark.parametrize("url", ["cart:add", "cart:coupon", "cart:methods", "lists:add"])
def test_cart_and_list_forms_with_a_next_that_is_no_url_go_back_to_the_default(
    client, product, url
):
    guest_with_cart(client, product)
    data = {"variant": only_variant(product).pk, "code": "X", "next": "abc"}
    response = client.post(reverse(url), data)
    assert response.status_code == 302
    assert response["Location"] in {reverse("cart:detail"), reverse("lists:index")}


# --- Integers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("-3", -3),
        ("+4", 4),
        (7, 7),
        ("²", None),
        ("①", None),
        ("١٢", None),
        ("1_000", None),
        ("1e3", None),
        ("9" * 19, None),
        ("9" * 4300, None),
        ("", None),
        (None, None),
        (True, None),
        ([1], None),
    ],
)
def test_parse_int_takes_ascii_digits_only(value, expected):
    from commerce.inputs import parse_int

    assert parse_int(value) == expected


def test_parse_int_bounds():
    from commerce.inputs import parse_int

    assert parse_int("0", minimum=1) is None
    assert parse_int("100", maximum=99) is None
    assert parse_int("99", minimum=1, maximum=99) == 99


def test_unicode_digits_in_query_and_form_are_ignored_not_a_500(client, product):
    user = make_customer()
    make_address(user)
    client.force_login(user)
    make_cart([(product, 1)], user=user)
    for value in ["²", "①", "9" * 4400]:
        assert client.get(reverse("checkout:details") + f"?use={value}").status_code == 200
    shopping_list = shopping_lists.default_list(shopping_lists.Owner(user=user))
    shopping_lists.add_item(shopping_list, only_variant(product).pk)
    item = shopping_list.items.get()
    response = client.post(
        reverse("lists:to_cart", args=[shopping_list.pk]),
        {"selected": "1", "item": ["²", "9" * 4400, str(item.pk)]},
    )
    assert response.status_code == 302


# --- Quantities on lists ------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["5000", "2147483648", "9" * 18])
def test_list_quantities_are_capped_like_cart_lines(client, product, settings, quantity):
    settings.STOREFRONT_MAX_LINE_QUANTITY = 99
    client.post(reverse("lists:add"), {"variant": only_variant(product).pk, "quantity": quantity})
    item = ShoppingListItem.objects.get()
    assert item.quantity == 99

    response = client.post(
        reverse("lists:item_change", args=[item.pk]),
        {"action": "update", "quantity": quantity, "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.quantity == 99
    assert "At most 99 of one product per line" in response.content.decode()


def test_merging_list_items_keeps_the_cap(product, settings):
    settings.STOREFRONT_MAX_LINE_QUANTITY = 10
    shopping_list = ShoppingList.objects.create(name="L", guest_key="k")
    shopping_lists.add_item(shopping_list, only_variant(product).pk, 8)
    shopping_lists.add_item(shopping_list, only_variant(product).pk, 8)
    assert shopping_list.items.get().quantity == 10


# --- Rich text in the admin ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["<p>not contentstate</p>", "[]", '{"blocks": 5}', '"a string"'])
def test_product_description_that_is_not_draftail_json_is_a_form_error(admin_client, value):
    product = make_product("Lamp", price=Decimal("10.00"), description="<p>Kept</p>")
    variants = [variant_form_data(only_variant(product), price="12.00")]
    data = product_form_data(product, variants=variants, description=value)
    response = admin_client.post(
        reverse("wagtailsnippets_commerce_product:edit", args=[product.pk]), data
    )
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()
    product = Product.objects.get(pk=product.pk)
    assert only_variant(product).price == Decimal("10.00")
    assert product.description == "<p>Kept</p>"


def test_a_draftail_description_still_saves(admin_client):
    product = make_product("Lamp", price=Decimal("10.00"))
    data = product_form_data(product, description=rich_text("<p>New words</p>"))
    url = reverse("wagtailsnippets_commerce_product:edit", args=[product.pk])
    assert admin_client.post(url, data).status_code == 302
    assert "New words" in Product.objects.get(pk=product.pk).latest_revision.content["description"]


def test_rich_text_block_that_is_not_draftail_json_is_a_form_error(admin_client, homepage):
    from tests.factories.catalog import add_content_page, page_edit_form_data

    page = add_content_page(homepage, "About")
    data = page_edit_form_data(page, [("rich_text", {"text": "<p>raw html, no contentstate</p>"})])
    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()


@pytest.mark.parametrize(
    "field, value",
    [
        ("card_number", "²" * 16),
        ("card_number", "４２４２４２４２４２４２４２４２"),
        ("expiry", "١٢/٣٩"),
        ("cvc", "²²²"),
    ],
)
def test_card_fields_in_other_scripts_digits_are_form_errors(field, value):
    from commerce.payments.mock import MockCardForm

    data = {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"} | {field: value}
    form = MockCardForm(data)
    assert not form.is_valid()
    assert field in form.errors


# --- E-mail addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["ada@example.com", "Ada@Example.COM", "  ada@example.com\t", "\nADA@EXAMPLE.COM "]
)
def test_an_address_has_one_form_however_it_was_typed(typed):
    assert normalise_email(typed) == "ada@example.com"


def test_the_checkout_stores_the_address_in_that_form(product):
    checkout = ready_checkout(make_cart([(product, 1)]), email=" Ada@Example.COM ")
    assert checkout.email == "ada@example.com"
