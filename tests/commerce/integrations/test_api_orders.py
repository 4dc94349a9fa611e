"""The create-order API: JWT sign-in and refresh, and orders through the checkout service."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt
import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from commerce.integrations import jwt_auth
from commerce.integrations.models import CustomerLink
from commerce.models import (
    Cart,
    CartLine,
    CatalogVersion,
    Checkout,
    Order,
    OrderLineAllocation,
    Stock,
)
from tests.factories.accounts import PASSWORD, make_address, make_customer
from tests.factories.catalog import as_variant, make_attribute, make_product, only_variant
from tests.factories.checkout import make_delivery_method, make_payment_method

D = Decimal


# --- Set-up ------------------------------------------------------------------------


def grant(user):
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="integrations", codename="create_orders")
    )


def make_integrator(username="erp", password=PASSWORD, allowed=True, **fields):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=password, **fields)
    if allowed:
        grant(user)
    return user


@pytest.fixture
def integrator(db):
    return make_integrator()


@pytest.fixture
def customer(db):
    user = make_customer("buyer@example.com")
    make_address(user, is_default=True, full_name="Anna Nowak", phone="+48 600 000 000")
    return user


@pytest.fixture
def methods(db):
    courier = make_delivery_method("Courier", price="15.00", sort_order=1)
    transfer = make_payment_method("bank_transfer", name="Bank transfer")
    return courier, transfer


def post(path, data, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = data if isinstance(data, str) else json.dumps(data)
    return Client().post(path, body, content_type="application/json", headers=headers)


def access_token(user, **kwargs):
    return jwt_auth.encode(user, jwt_auth.ACCESS, session="test", **kwargs)


def order_body(customer, *lines, **fields):
    """`lines` are (product or variant, quantity) pairs, at the shop's price: a product (of
    one variant) goes by product_id, a variant by variant_id."""
    from commerce.models import Product

    def line(item, quantity):
        key = "product_id" if isinstance(item, Product) else "variant_id"
        price = float(as_variant(item).price)
        return {key: item.pk, "quantity": quantity, "suggested_price": price}

    return {"customer_id": customer.pk, "lines": [line(i, q) for i, q in lines], **fields}


def put_in_cart(cart, product, quantity):
    """The customer's own cart line, written directly (the cart service is not under test)."""
    variant = as_variant(product)
    return CartLine.objects.create(
        cart=cart,
        variant=variant,
        product_name=variant.description,
        quantity=quantity,
        unit_price=variant.price,
    )


# --- Signing in --------------------------------------------------------------------


def test_sign_in_answers_the_documented_token_shape(integrator):
    response = post("/auth/", {"username": "erp", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "not-before-policy",
        "session_state",
        "scope",
    }
    assert (body["token_type"], body["expires_in"], body["refresh_expires_in"]) == (
        "Bearer",
        300,
        24 * 60 * 60,
    )
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    refresh = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    assert (access["sub"], access["type"], access["exp"] - access["iat"]) == (
        str(integrator.pk),
        "access",
        300,
    )
    assert (refresh["type"], refresh["exp"] - refresh["iat"]) == ("refresh", 86400)
    assert access["jti"] != refresh["jti"]
    assert access["sid"] == refresh["sid"] == body["session_state"]


def test_token_lifetimes_come_from_settings(integrator, settings):
    settings.INTEGRATION_JWT_ACCESS_SECONDS = 60
    settings.INTEGRATION_JWT_REFRESH_SECONDS = 600

    body = post("/auth/", {"username": "erp", "password": PASSWORD}).json()

    assert (body["expires_in"], body["refresh_expires_in"]) == (60, 600)


@pytest.mark.parametrize(
    ("username", "password"),
    [("erp", "wrong password"), ("nobody", PASSWORD), ("inactive", PASSWORD)],
)
def test_wrong_credentials_are_refused_with_the_documented_404(integrator, username, password):
    make_integrator("inactive", is_active=False)

    response = post("/auth/", {"username": username, "password": password})

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid username or password."
    assert "access_token" not in response.json()


def test_an_account_without_the_permission_gets_no_tokens(db):
    make_integrator("shopper", allowed=False)

    response = post("/auth/", {"username": "shopper", "password": PASSWORD})

    assert response.status_code == 403
    assert "integrations.create_orders" in response.json()["detail"]


def test_a_superuser_may_sign_in(db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)

    assert post("/auth/", {"username": "root", "password": PASSWORD}).status_code == 200


def test_sign_in_with_missing_fields_is_a_400_with_field_errors(db):
    response = post("/auth/", {"username": "erp"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password"}


# --- Access and refresh tokens ------------------------------------------------------


def test_an_expired_access_token_is_a_401(integrator, customer, methods):
    product = make_product(stock=5)
    issued = datetime.now(tz=UTC) - timedelta(seconds=301)
    token = access_token(integrator, now=issued)

    response = post("/create-order", order_body(customer, (product, 1)), token)

    assert response.status_code == 401
    assert response.json()["detail"] == "The token has expired."
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        jwt.encode({"sub": "1", "type": "access"}, "another key" * 4, algorithm="HS256"),
    ],
    ids=["missing", "garbage", "foreign-signature"],
)
def test_a_missing_or_forged_token_is_a_401(integrator, customer, methods, token):
    product = make_product(stock=5)

    response = post("/create-order", order_body(customer, (product, 1)), token)

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_a_token_signed_with_another_algorithm_is_refused(integrator, customer, methods):
    product = make_product(stock=5)
    claims = jwt.decode(access_token(integrator), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")

    response = post("/create-order", order_body(customer, (product, 1)), unsigned)

    assert response.status_code == 401


def test_refresh_gives_a_new_pair_that_works(integrator, customer, methods):
    product = make_product(stock=5)
    first = post("/auth/", {"username": "erp", "password": PASSWORD}).json()

    response = post("/auth/token-refresh/", {"refresh_token": first["refresh_token"]})

    assert response.status_code == 200
    second = response.json()
    assert second["session_state"] == first["session_state"]
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    order = post(
        "/create-order",
        order_body(customer, (product, 1), playground=True),
        second["access_token"],
    )
    assert order.status_code == 201


def test_a_refresh_token_is_not_an_access_token_and_vice_versa(integrator, customer, methods):
    product = make_product(stock=5)
    tokens = post("/auth/", {"username": "erp", "password": PASSWORD}).json()

    as_access = post("/create-order", order_body(customer, (product, 1)), tokens["refresh_token"])
    as_refresh = post("/auth/token-refresh/", {"refresh_token": tokens["access_token"]})

    assert as_access.status_code == 401
    assert as_access.json()["detail"] == "This is not an access token."
    assert as_refresh.status_code == 401
    assert as_refresh.json()["detail"] == "This is not a refresh token."
    assert not Order.objects.exists()


def test_an_expired_refresh_token_is_a_401(integrator):
    issued = datetime.now(tz=UTC) - timedelta(days=1, seconds=1)
    token = jwt_auth.encode(integrator, jwt_auth.REFRESH, session="s", now=issued)

    response = post("/auth/token-refresh/", {"refresh_token": token})

    assert response.status_code == 401
    assert response.json()["detail"] == "The token has expired."


def test_tokens_stop_working_when_the_permission_or_the_account_goes(integrator, customer, methods):
    product = make_product(stock=5)
    tokens = post("/auth/", {"username": "erp", "password": PASSWORD}).json()
    body = order_body(customer, (product, 1))

    integrator.user_permissions.clear()
    assert post("/create-order", body, tokens["access_token"]).status_code == 403
    refreshed = post("/auth/token-refresh/", {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 403

    grant(integrator)
    integrator.is_active = False
    integrator.save()
    response = post("/create-order", body, tokens["access_token"])
    assert response.status_code == 403
    assert response.json()["detail"] == "This account is inactive."
    assert not Order.objects.exists()


def test_a_user_without_the_permission_gets_a_403(customer, methods):
    shopper = make_integrator("shopper", allowed=False)
    product = make_product(stock=5)

    response = post("/create-order", order_body(customer, (product, 1)), access_token(shopper))

    assert response.status_code == 403
    assert not Order.objects.exists()


# --- Creating orders -----------------------------------------------------------------


def test_an_order_goes_through_the_checkout_service(
    integrator, customer, methods, mailoutbox, django_capture_on_commit_callbacks
):
    courier, transfer = methods
    lamp = make_product("Lamp", sku="LAMP-1", price=D("40.00"), stock=7)
    cable = make_product("Cable", sku="CAB-1", price=D("5.50"), vat_rate=D("8"), stock=10)
    # The customer's own storefront cart is left alone.
    own_cart = Cart.objects.create(user=customer)
    put_in_cart(own_cart, cable, 2)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            "/create-order",
            order_body(customer, (lamp, 3), (cable, 2), description="Dock 4, mornings only"),
            access_token(integrator),
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get()
    assert (body["order_id"], body["order_number"], body["playground"]) == (
        order.pk,
        order.number,
        False,
    )
    assert (order.source, order.user, order.email) == ("api", customer, "buyer@example.com")
    assert (order.full_name, order.phone) == ("Anna Nowak", "+48 600 000 000")
    assert order.delivery_address == order.billing_address
    assert order.delivery_address["line1"] == "ul. Prosta 1"
    assert order.customer_note == "Dock 4, mornings only"
    assert (order.delivery_method, order.payment_method) == (courier, transfer)
    assert (order.payment_provider, order.payment_status, order.currency) == (
        "bank_transfer",
        "pending",
        "EUR",
    )
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [
        ("LAMP-1", 3, D("40.00")),
        ("CAB-1", 2, D("5.50")),
    ]
    assert (order.subtotal, order.delivery_cost, order.grand_total) == (
        D("131.00"),
        D("15.00"),
        D("146.00"),
    )
    assert body["lines"] == [
        {
            "product_id": lamp.pk,
            "variant_id": only_variant(lamp).pk,
            "product_external_id": "LAMP-1",
            "sku": "LAMP-1",
            "product_name": "Lamp",
            "quantity": 3,
            "is_gift": False,
            "suggested_price": 40.0,
            "default_price": 40.0,
            "customer_price": 40.0,
            "given_price": 0.0,
            "promotion": None,
            "line_total": 120.0,
            "vat_rate": 23.0,
        },
        {
            "product_id": cable.pk,
            "variant_id": only_variant(cable).pk,
            "product_external_id": "CAB-1",
            "sku": "CAB-1",
            "product_name": "Cable",
            "quantity": 2,
            "is_gift": False,
            "suggested_price": 5.5,
            "default_price": 5.5,
            "customer_price": 5.5,
            "given_price": 0.0,
            "promotion": None,
            "line_total": 11.0,
            "vat_rate": 8.0,
        },
    ]
    assert (body["subtotal"], body["delivery_cost"], body["grand_total"]) == (131.0, 15.0, 146.0)
    assert body["vat_total"] == float(order.vat_total)
    assert body["notes"] == []
    assert Stock.objects.get(variant__product=lamp).quantity == 4
    assert Stock.objects.get(variant__product=cable).quantity == 8
    # The API's cart and checkout are gone; the customer's cart is as it was.
    assert list(Cart.objects.all()) == [own_cart]
    assert [(line.variant, line.quantity) for line in own_cart.lines.all()] == [
        (only_variant(cable), 2)
    ]
    assert not Checkout.objects.exists()
    # The same e-mails as a storefront order, after commit.
    assert any(message.to == ["buyer@example.com"] for message in mailoutbox)


def test_an_order_by_external_ids(integrator, customer, methods):
    CustomerLink.objects.create(user=customer, external_id="ERP-KLIENT-0042")
    product = make_product(sku="SKU-ABC-001", price=D("99.99"), stock=20)

    response = post(
        "/create-order",
        {
            "customer_external_id": "ERP-KLIENT-0042",
            "lines": [
                {"product_external_id": "SKU-ABC-001", "quantity": 10, "suggested_price": 99.99}
            ],
        },
        access_token(integrator),
    )

    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["order_id"])
    assert order.user == customer
    assert [(line.product, line.quantity) for line in order.lines.all()] == [(product, 10)]
    assert order.subtotal == D("999.90")


def test_shipment_type_id_chooses_the_delivery_method(integrator, customer, methods):
    pickup = make_delivery_method("Pickup", price="0.00", sort_order=9)
    product = make_product(stock=5)

    response = post(
        "/create-order",
        order_body(customer, (product, 1), shipment_type_id=pickup.pk),
        access_token(integrator),
    )

    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.delivery_method, order.delivery_cost) == (pickup, D("0.00"))
    assert response.json()["delivery_method_id"] == pickup.pk


# --- Bad input ---------------------------------------------------------------------


def field_errors(response):
    assert response.status_code == 400, (response.status_code, response.content)
    return response.json()["errors"]


def test_missing_lines_and_customer(integrator, methods):
    token = access_token(integrator)

    assert set(field_errors(post("/create-order", {"customer_id": 1}, token))) == {"lines"}
    assert set(field_errors(post("/create-order", {"customer_id": 1, "lines": []}, token))) == {
        "lines"
    }
    product = make_product(stock=5)
    no_customer = {"lines": [{"product_id": product.pk, "quantity": 1, "suggested_price": 10}]}
    assert set(field_errors(post("/create-order", no_customer, token))) == {"customer_id"}


def test_malformed_json_is_a_400(integrator):
    response = post("/create-order", "{not json", access_token(integrator))

    assert response.status_code == 400


def test_every_bad_line_is_reported_by_field(integrator, customer, methods):
    good = make_product("Good", stock=5)
    hidden = make_product("Hidden", status="hidden", stock=5)
    disabled = make_product("Disabled", status="disabled", stock=5)
    sold_out = make_product("Sold out", stock=0)
    scarce = make_product("Scarce", stock=2)
    pricey = make_product("Pricey", price=D("12.50"), stock=5)
    lines = [
        {"product_id": good.pk, "quantity": 0, "suggested_price": 10},
        {"product_id": 999999, "quantity": 1, "suggested_price": 10},
        {"product_external_id": "NO-SUCH-SKU", "quantity": 1, "suggested_price": 10},
        {"product_id": hidden.pk, "quantity": 1, "suggested_price": 10},
        {"product_id": disabled.pk, "quantity": 1, "suggested_price": 10},
        {"product_id": sold_out.pk, "quantity": 1, "suggested_price": 10},
        {"product_id": scarce.pk, "quantity": 3, "suggested_price": 10},
        {"product_id": pricey.pk, "quantity": 1, "suggested_price": 12},
        {"quantity": 1, "suggested_price": 10},
        {"product_id": good.pk, "quantity": 1.5, "suggested_price": 10},
    ]

    response = post(
        "/create-order", {"customer_id": customer.pk, "lines": lines}, access_token(integrator)
    )

    errors = field_errors(response)
    # Quantities that are not whole positive numbers fail the request's schema first.
    assert set(errors) == {"lines.0.quantity", "lines.9.quantity"}

    lines[0]["quantity"] = 1
    lines[9]["product_id"] = pricey.pk
    lines[9]["quantity"] = 1
    response = post(
        "/create-order", {"customer_id": customer.pk, "lines": lines}, access_token(integrator)
    )

    errors = field_errors(response)
    assert errors == {
        "lines.1.product_id": ["No product with id 999999."],
        "lines.2.product_external_id": ["No variant with SKU 'NO-SUCH-SKU'."],
        "lines.3.product_id": ["Hidden cannot be bought at the moment."],
        "lines.4.product_id": ["Disabled cannot be bought at the moment."],
        "lines.5.quantity": ["Sold out is out of stock."],
        "lines.6.quantity": ["Only 2 of Scarce in stock."],
        "lines.7.suggested_price": ["The price of Pricey is 12.50, not 12."],
        "lines.8.variant_id": ["Give variant_id, sku or product_id."],
        "lines.9.product_id": ["Pricey is already on line 7; give each variant one line."],
    }
    assert not Order.objects.exists()
    assert not Cart.objects.exists()


def test_the_line_maximum_is_the_carts_and_over_it_is_refused_not_lowered(
    integrator, customer, methods, settings
):
    settings.STOREFRONT_MAX_LINE_QUANTITY = 4
    roomy, scarce = make_product("Roomy", stock=50), make_product("Scarce", stock=3)
    token = access_token(integrator)

    over = post("/create-order", order_body(customer, (roomy, 5), (scarce, 5)), token)
    assert field_errors(over) == {
        "lines.0.quantity": ["At most 4 units of one product per order."],
        "lines.1.quantity": [
            "Only 3 of Scarce in stock.",
            "At most 4 units of one product per order.",
        ],
    }
    at_the_edges = post("/create-order", order_body(customer, (roomy, 4), (scarce, 3)), token)
    assert at_the_edges.status_code == 201
    assert [line["quantity"] for line in at_the_edges.json()["lines"]] == [4, 3]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"customer_id": 999999}, "customer_id", "No customer with id 999999."),
        (
            {"customer_id": None, "customer_external_id": "NOPE"},
            "customer_external_id",
            "No customer with external id 'NOPE'.",
        ),
        ({"shipment_type_id": 999999}, "shipment_type_id", "No active delivery method"),
        ({"description": "x" * 1001}, "description", "at most 1000 characters"),
    ],
)
def test_bad_customer_or_options(integrator, customer, methods, change, field, message):
    product = make_product(stock=5)
    body = {**order_body(customer, (product, 1)), **change}

    errors = field_errors(post("/create-order", body, access_token(integrator)))

    assert set(errors) == {field}
    assert message in errors[field][0]


def test_a_customer_without_a_default_address(integrator, methods):
    customer = make_customer()
    product = make_product(stock=5)

    errors = field_errors(
        post("/create-order", order_body(customer, (product, 1)), access_token(integrator))
    )

    assert errors == {
        "customer_id": ["The customer has no default address; add one to their account first."]
    }


def test_no_offline_payment_method_is_a_400_that_says_so(integrator, customer):
    make_delivery_method()
    make_payment_method("mock_card")
    product = make_product(stock=5)

    response = post("/create-order", order_body(customer, (product, 1)), access_token(integrator))

    assert response.status_code == 400
    assert "bank_transfer" in response.json()["detail"]


def test_a_refusal_by_the_checkout_service_is_a_400(integrator, customer, methods, monkeypatch):
    """Stock checked before placing can be gone by the time the rows are locked."""
    from commerce.integrations.services import orders as order_service

    product = make_product(stock=5)
    monkeypatch.setattr(order_service, "_line_is_sellable", lambda *args: True)
    Stock.objects.filter(variant__product=product).update(quantity=0)

    response = post("/create-order", order_body(customer, (product, 1)), access_token(integrator))

    assert response.status_code == 400
    assert response.json()["detail"].endswith("is out of stock.")
    assert not Order.objects.exists()
    assert not Cart.objects.exists()


# --- Variants ------------------------------------------------------------------------


@pytest.fixture
def coat(db):
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    return make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "price": D("100.00"), "options": [s], "stock": 5},
            {"sku": "COAT-M", "price": D("110.00"), "options": [m], "stock": 5},
        ],
    )


def line(quantity=1, price=110, **naming):
    return {"quantity": quantity, "suggested_price": price, **naming}


def test_an_order_for_two_variants_of_one_product_by_id_and_by_sku(
    integrator, customer, methods, coat
):
    small, medium = coat.variants.get(sku="COAT-S"), coat.variants.get(sku="COAT-M")
    response = post(
        "/create-order",
        {
            "customer_id": customer.pk,
            "lines": [
                line(2, 100, variant_id=small.pk),
                line(1, 110, sku="COAT-M"),
            ],
        },
        access_token(integrator),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(li["variant_id"], li["sku"], li["product_name"]) for li in body["lines"]] == [
        (small.pk, "COAT-S", "Coat — Size S"),
        (medium.pk, "COAT-M", "Coat — Size M"),
    ]
    order = Order.objects.get()
    assert [(li.variant, li.product, li.sku, li.quantity) for li in order.lines.all()] == [
        (small, coat, "COAT-S", 2),
        (medium, coat, "COAT-M", 1),
    ]
    assert Stock.objects.get(variant=small).quantity == 3
    assert Stock.objects.get(variant=medium).quantity == 4


@pytest.mark.parametrize(
    ("naming", "field", "message"),
    [
        # A product sold in several variants needs one of them named.
        ({"product": True}, "variant_id", "Coat is sold in 2 variants (Size): give variant_id"),
        ({"variant_id": 999999}, "variant_id", "No variant with id 999999."),
        ({"sku": "NOPE"}, "sku", "No variant with SKU 'NOPE'."),
        ({"sku": "COAT-M", "other_product": True}, "sku", "Not a variant of product"),
        ({"sku": "COAT-M", "variant_of": "COAT-S"}, "sku", "variant_id and sku name different"),
        ({"sku": "COAT-\x00"}, "sku", "control characters"),
    ],
)
def test_lines_that_do_not_name_one_buyable_variant_are_400s(
    integrator, customer, methods, coat, naming, field, message
):
    from commerce.models import ProductVariant

    other = make_product("Mug", stock=5)
    naming = dict(naming)
    if naming.pop("product", False):
        naming["product_id"] = coat.pk
    if naming.pop("other_product", False):
        naming["product_id"] = other.pk
    if "variant_of" in naming:
        naming["variant_id"] = ProductVariant.objects.get(sku=naming.pop("variant_of")).pk
    response = post(
        "/create-order",
        {"customer_id": customer.pk, "lines": [line(**naming)]},
        access_token(integrator),
    )
    assert response.status_code == 400, response.json()
    errors = field_errors(response)
    assert any(message in m for m in errors[f"lines.0.{field}"]), errors
    assert not Order.objects.exists()


def test_a_product_id_with_one_variant_still_works_and_agrees_with_its_sku(
    integrator, customer, methods
):
    mug = make_product("Mug", sku="MUG-1", price=D("5.00"), stock=5)
    body = {
        "customer_id": customer.pk,
        "lines": [line(1, 5, product_id=mug.pk, sku="MUG-1")],
    }
    response = post("/create-order", body, access_token(integrator))
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["variant_id"] == only_variant(mug).pk


def test_an_inactive_or_deleted_variant_cannot_be_ordered(integrator, customer, methods, coat):
    medium = coat.variants.get(sku="COAT-M")
    medium.is_active = False
    medium.save()
    inactive = post(
        "/create-order",
        {"customer_id": customer.pk, "lines": [line(variant_id=medium.pk)]},
        access_token(integrator),
    )
    assert field_errors(inactive) == {
        "lines.0.variant_id": ["Coat — Size M cannot be bought at the moment."]
    }
    gone = medium.pk
    medium.delete()
    deleted = post(
        "/create-order",
        {"customer_id": customer.pk, "lines": [line(variant_id=gone)]},
        access_token(integrator),
    )
    assert field_errors(deleted) == {"lines.0.variant_id": [f"No variant with id {gone}."]}


def test_the_same_variant_twice_is_refused(integrator, customer, methods, coat):
    small = coat.variants.get(sku="COAT-S")
    response = post(
        "/create-order",
        {
            "customer_id": customer.pk,
            "lines": [line(1, 100, variant_id=small.pk), line(1, 100, sku="COAT-S")],
        },
        access_token(integrator),
    )
    assert field_errors(response) == {
        "lines.1.sku": ["Coat — Size S is already on line 0; give each variant one line."]
    }


# --- Playground ----------------------------------------------------------------------


def database_state():
    """Row counts of every commerce and integrations table, stock and catalog version."""
    counts = {
        model._meta.label: model.objects.count()
        for app in ("commerce", "integrations", "auth")
        for model in apps.get_app_config(app).get_models()
    }
    stock = sorted(Stock.objects.values_list("id", "quantity"))
    version = list(CatalogVersion.objects.values_list("version", flat=True))
    return counts, stock, version


def test_playground_prices_everything_and_saves_nothing(
    integrator, customer, methods, mailoutbox, django_capture_on_commit_callbacks
):
    lamp = make_product("Lamp", price=D("40.00"), stock=3)  # sells out: bumps the version
    cable = make_product("Cable", price=D("5.50"), stock=10)
    own_cart = Cart.objects.create(user=customer)
    put_in_cart(own_cart, cable, 1)
    before = database_state()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(
            "/create-order",
            order_body(customer, (lamp, 3), (cable, 2), playground=True),
            access_token(integrator),
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["order_id"], body["order_number"], body["playground"]) == (0, None, True)
    assert [(line["product_id"], line["quantity"]) for line in body["lines"]] == [
        (lamp.pk, 3),
        (cable.pk, 2),
    ]
    assert (body["subtotal"], body["delivery_cost"], body["grand_total"]) == (131.0, 15.0, 146.0)
    assert database_state() == before
    assert callbacks == [] and mailoutbox == []
    assert CartLine.objects.get(cart=own_cart).quantity == 1


def test_playground_validates_like_a_real_order(integrator, customer, methods):
    product = make_product(stock=1)

    response = post(
        "/create-order",
        order_body(customer, (product, 2), playground=True),
        access_token(integrator),
    )

    assert field_errors(response) == {"lines.0.quantity": [f"Only 1 of {product.name} in stock."]}


# --- Racing the storefront --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_api_and_storefront_buyers_race_for_the_last_five_units():
    from tests.commerce.test_checkout_concurrency import checkouts_for, place, race

    integrator = make_integrator()
    customer = make_customer("buyer@example.com")
    make_address(customer, is_default=True)
    delivery = make_delivery_method(price="0.00")
    transfer = make_payment_method("bank_transfer")
    product = make_product("Last five", stock={"a": 3, "b": 2})
    token = access_token(integrator)
    body = order_body(customer, (product, 1))
    # checkouts_for takes (variant, quantity) items, as make_cart does (part "cart").
    storefront = [place(t) for t in checkouts_for([(product, 1)], 10, (delivery, transfer))]

    def api_buyer():
        response = post("/create-order", body, token)
        return response.status_code, response.json()

    results = race([api_buyer] * 10 + storefront)

    assert [r for r in results if r[0] == "crashed"] == []
    api_statuses = [outcome[0] for kind, outcome in results[:10]]
    assert set(api_statuses) <= {201, 400}, results[:10]
    sold_by_api = api_statuses.count(201)
    sold_by_storefront = [kind for kind, _ in results[10:]].count("ok")
    assert sold_by_api + sold_by_storefront == 5
    assert Order.objects.count() == 5
    assert Order.objects.filter(source="api").count() == sold_by_api
    assert (
        sum(Stock.objects.filter(variant__product=product).values_list("quantity", flat=True)) == 0
    )
    assert sum(OrderLineAllocation.objects.values_list("quantity", flat=True)) == 5
    # Every API call cleaned up after itself, placed or refused.
    assert Cart.objects.filter(user__isnull=True).count() == 10  # the storefront buyers' carts
    refusals = [json.dumps(outcome[1]) for _, outcome in results[:10] if outcome[0] == 400]
    assert all("stock" in refusal for refusal in refusals), refusals


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_twenty_api_calls_for_one_customer_race_for_the_last_five_units():
    """Each call has a cart of its own: one customer's concurrent orders never collide."""
    from tests.commerce.test_checkout_concurrency import race

    integrator = make_integrator()
    customer = make_customer("buyer@example.com")
    make_address(customer, is_default=True)
    make_delivery_method(price="0.00")
    make_payment_method("bank_transfer")
    product = make_product("Last five", stock={"a": 3, "b": 2})
    token = access_token(integrator)
    body = order_body(customer, (product, 1))

    def api_buyer():
        return post("/create-order", body, token).status_code

    results = race([api_buyer] * 20)

    assert sorted(outcome for _, outcome in results) == [201] * 5 + [400] * 15, results
    assert Order.objects.filter(user=customer, source="api").count() == 5
    assert (
        sum(Stock.objects.filter(variant__product=product).values_list("quantity", flat=True)) == 0
    )
    assert not Cart.objects.exists() and not Checkout.objects.exists()


def test_the_api_at_the_site_root_leaves_the_homepage_alone(client):
    from django.urls import resolve, reverse

    assert resolve("/").url_name != "api-root"
    assert reverse("order_api:api-root") == "/"
    schema = client.get("/api-openapi.json").json()
    assert {"/auth/", "/auth/token-refresh/", "/create-order"} <= set(schema["paths"])


# --- With an integration API key instead of a token ---------------------------------------------


def test_a_key_with_the_create_orders_scope_creates_orders_without_a_token(customer, methods):
    from tests.commerce.integrations.test_api_v1 import make_key

    lamp = make_product("Lamp", price=D("40.00"), stock=3)
    _, creator = make_key("Shop app", scopes=["create_orders"])
    _, reader = make_key("Feed", scopes=["read_catalog", "read_orders"])
    body = json.dumps(order_body(customer, (lamp, 1)))

    def send(key):
        return Client().post(
            "/create-order", body, content_type="application/json",
            headers={"Authorization": f"Api-Key {key}"},
        )  # fmt: skip

    assert send(reader).status_code == 403
    assert send("sfk_wrong").status_code == 401
    assert not Order.objects.exists()
    response = send(creator)
    assert response.status_code == 201, response.json()
    assert Order.objects.get().number == response.json()["order_number"]
