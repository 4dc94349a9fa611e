"""No 500, whatever a client sends: every public URL, fed hostile values.

The URLs come from the URL resolver itself (everything but Wagtail's admin and
documents), so a new page or API endpoint is covered without touching this
file. Each one is called with real values in its path (the caller's own cart
line, list, order…) and with hostile ones; with GET, POST and a wrong method;
as an anonymous visitor, a guest with a cart, a list and a checkout, and a
signed-in customer (who may also use both APIs). Hostile values go into the
query string (every parameter a view or form reads), form fields (the real
names of every form and of every `request.POST` read in the views, so a value
gets past the first check and reaches the code that parses it) and JSON
bodies (built from each API's OpenAPI schema). The sample is fixed (seeded),
so a failure repeats.
"""

import inspect
import json
import random
import re
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from commerce.integrations import jwt_auth
from commerce.integrations.models import ApiKey, Scope
from commerce.models import Cart, ShoppingList
from commerce.services import shopping_lists
from commerce.services.cart import add_product
from commerce.services.guests import GUEST_SESSION_KEY
from home.demo import ensure_site
from tests.factories.accounts import PASSWORD, make_address, make_customer, make_order
from tests.factories.catalog import make_category, make_product, make_shop
from tests.factories.checkout import (
    make_cart,
    make_coupon,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)

SEED = 11
SKIPPED_PREFIXES = ("admin/", "documents/")  # Wagtail's own staff screens and documents

CORPUS = [
    "\x00",
    "a\x00b",
    "\x01\x08\x1b\x7f",
    "line\r\nbreak\ttab",
    "²",
    "①",
    "١٢",
    "1_000",
    "-1",
    "0",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "9" * 4400,
    "x" * 10_000,
    "1e400",
    "NaN",
    "",
    " ",
    "abc",
    "cart:detail",
    "//evil.example/",
    "javascript:alert(1)",
    "../../etc/passwd",
    '<script>alert("x")</script>',
    "🙂" * 50,
    "{}",
]
JSON_HOSTILE = [
    "\x00",
    "\ud800",
    "k\x00ey",
    "\x01\x1f",
    "²",
    "x" * 10_000,
    2**31,
    -(2**31) - 1,
    10**30,
    -1,
    0,
    1.5,
    None,
    True,
    [],
    {},
    {"\x00": "\x00"},
]
BROKEN_BODIES = [
    ("application/json", b'{"username": "a\x00"'),
    ("application/json", b"\xff\xfe\x00garbage"),
    ("application/json", b'{"lines": [{"quantity": 1e999}]}'),
    ("text/plain", b"product=1&quantity=2"),
    ("multipart/form-data", b"--no-boundary\r\n"),
    ("multipart/form-data; boundary=XX", b"--XX\r\nContent-Disposition: form-data\r\n\r\nx"),
    ("application/x-www-form-urlencoded", b"a=%00&b=%ZZ&" + b"&".join([b"q=1"] * 50)),
]
# Values that get a form past its first checks, by field name.
ACTIONS = ["update", "move", "rename", "share", "stop_sharing", "remove", "delete", "nope"]


# --- What clients can reach and name -----------------------------------------------------------


def url_patterns():
    """(route, pattern) for every URL the public site answers, from the resolver."""

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry

    return [
        (route, entry)
        for route, entry in walk(get_resolver().url_patterns, "")
        if not route.startswith(SKIPPED_PREFIXES)
    ]


ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
REQUEST_READ = re.compile(r"""(?:POST|GET)(?:\.get|\.getlist)?[(\[]\s*["']([\w-]+)["']""")


def _forms():
    from commerce.forms import account, checkout
    from commerce.payments import mock
    from commerce.services.catalog import listing_query

    for module in (account, checkout, mock, listing_query):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def client_field_names() -> list[str]:
    """Every name a view or form reads from a request (form prefixes included)."""
    import commerce
    from commerce import views

    names = set()
    for package in (commerce, views):
        for source in Path(package.__file__).parent.glob("*.py"):
            names.update(REQUEST_READ.findall(source.read_text()))
    for form in _forms():
        for name in form.base_fields:
            names.update({name, f"billing-{name}", f"delivery-{name}", f"payment-{name}"})
    names.update({"username", "password", "password1", "password2", "email", "new_password1"})
    return sorted(names)


def api_schemas():
    from commerce.integrations.api import orders as orders_api
    from commerce.integrations.api import v1 as api_v1

    return [
        api_v1.api.get_openapi_schema(path_prefix="/external/v1"),
        orders_api.api.get_openapi_schema(path_prefix=""),
    ]


def api_query_names(schemas) -> set[str]:
    return {
        parameter["name"]
        for schema in schemas
        for operation in schema["paths"].values()
        for detail in operation.values()
        for parameter in detail.get("parameters", [])
        if parameter["in"] == "query"
    }


def api_bodies(schemas) -> dict[str, dict]:
    """Path → a valid-looking JSON body built from its OpenAPI request schema."""

    def resolve(schema, components):
        while "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def example(schema, components, name=""):
        schema = resolve(schema, components)
        for option in schema.get("anyOf", []):
            if option.get("type") != "null":
                return example(option, components, name)
        kind = schema.get("type")
        if kind == "object":
            return {
                key: example(value, components, key)
                for key, value in schema.get("properties", {}).items()
            }
        if kind == "array":
            return [example(schema["items"], components, name)]
        return {"integer": 1, "number": 1, "boolean": False}.get(kind, "x")

    bodies = {}
    for schema in schemas:
        components = schema.get("components", {}).get("schemas", {})
        for path, operations in schema["paths"].items():
            for detail in operations.values():
                content = detail.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    body_schema = content["application/json"]["schema"]
                    bodies[path] = example(body_schema, components)
    return bodies


# --- The world the requests run in -----------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The shop the requests run in, built once for the module's tests.

    It lives in a transaction around the module (each test's own transaction nests inside
    it and is rolled back as usual, with whatever its requests changed); this one is rolled
    back at the end, so no other test sees it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        shop = make_shop(ensure_site())
        category = make_category("Kitchen")
        product = make_product("Mug", stock=50, main_category=category)
        delivery = make_delivery_method()
        payment = make_payment_method("bank_transfer")
        make_coupon("SAVE10")
        customer = make_customer("fuzz@example.com")
        customer.user_permissions.add(Permission.objects.get(codename="create_orders"))
        address = make_address(customer, is_default=True)
        order = make_order(customer)
        # Every scope: the requests reach each endpoint's parameters and body, not a 403.
        key_row = ApiKey(name="fuzz", scopes=list(Scope.values))
        api_key = key_row.set_new_key()
        key_row.save()
        yield {
            "shop": shop,
            "category": category,
            "product": product,
            "delivery": delivery,
            "payment": payment,
            "customer": customer,
            "address": address,
            "order": order,
            "api_key": api_key,
        }
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def inputs():
    """What the requests are made of: the URL patterns, every name a client can send, and
    a JSON body for each API path. Read from the code once for the module."""
    schemas = api_schemas()
    field_names = client_field_names()
    patterns = url_patterns()
    assert len(patterns) > 50  # the resolver was walked, not a hand-written list
    return {
        "patterns": patterns,
        "bodies": api_bodies(schemas),
        "field_names": field_names,
        "query_names": sorted(
            set(field_names)
            | api_query_names(schemas)
            | {"q", "page", "per_page", "sort", "option", "use", "next", "api_key"}
        ),
    }


@pytest.fixture
def reachable(settings, db):
    """The limits on abuse would answer most of these with 429 before any validation code
    runs; they have their own tests (test_limits.py). Here every request must reach the
    code that reads what the client sent."""
    settings.STOREFRONT_RATE_LIMITS = {}
    settings.AXES_ENABLED = False


def _list_with_item(owner_fields, product, name="Party"):
    shopping_list = ShoppingList.objects.create(name=name, is_default=True, **owner_fields)
    item = shopping_lists.add_item(shopping_list, product.variants.get().pk, 2, "note")
    shopping_lists.share(shopping_list)
    return shopping_list, item


def identity(kind, world):
    """A client as `kind` ("anonymous", "guest", "customer") and the real values it owns."""
    product = world["product"]
    client = Client(raise_request_exception=False)
    real = {
        "id": str(product.pk),
        "page_id": str(world["shop"].pk),
        "page_view_restriction_id": "1",
        "number": world["order"].number,
        "token": world["order"].token,
        "pk": str(world["address"].pk),
    }
    headers = {}
    if kind == "anonymous":
        return client, real, headers
    if kind == "guest":
        cart = make_cart([(product, 1)], delivery=world["delivery"], payment=world["payment"])
        key = cart.token  # one key names a guest's cart and lists (services.guests)
        shopping_list, item = _list_with_item({"guest_key": key}, product)
        session = client.session
        session[GUEST_SESSION_KEY] = key
        session.save()
    else:
        user = world["customer"]
        client.force_login(user)
        cart = Cart.objects.filter(user=user).first() or make_cart(
            user=user, delivery=world["delivery"], payment=world["payment"]
        )
        if not cart.lines.exists():
            add_product(cart, product.pk, 1)
        shopping_list = ShoppingList.objects.filter(user=user).first()
        if shopping_list is None or not shopping_list.items.exists():
            ShoppingList.objects.filter(user=user).delete()
            shopping_list, item = _list_with_item({"user": user}, product)
        item = shopping_list.items.first()
        if not shopping_list.share_token:
            shopping_lists.share(shopping_list)
        real["uidb64"] = urlsafe_base64_encode(force_bytes(user.pk))
        headers["authorization"] = f"Bearer {jwt_auth.sign_in(user)['access_token']}"
    checkout = ready_checkout(cart)
    real.update(
        line_id=str(cart.lines.first().pk),
        list_id=str(shopping_list.pk),
        item_id=str(item.pk),
        share_token=shopping_list.share_token,
        checkout=checkout.token,
    )
    if kind == "customer":
        real["reset_token"] = default_token_generator.make_token(world["customer"])
    return client, real, headers


def real_paths(route, entry, real, world):
    """The route with the caller's own values in it (several for Wagtail's page tree)."""
    if route.startswith("^"):  # Wagtail's page serving: the pages that exist
        product, category = world["product"], world["category"]
        return [
            "/",
            "/shop/",
            "/shop/search/",
            "/shop/search/suggest/",
            f"/shop/p/{product.slug}/",
            f"/shop/c/{category.slug}/",
        ]

    def value(match):
        name, converter = match["name"], match["converter"]
        if converter == "share_token":
            return real.get("share_token", "x")
        if name == "token" and "reset" in route:
            return real.get("reset_token", "x")
        if name == "id" and "categor" in route:
            return str(world["category"].pk)
        return quote(real.get(name, "1"), safe="")

    return ["/" + ROUTE_PARAM.sub(value, route)]


def hostile_paths(route, rng):
    """The route with hostile values in each parameter (a sample of the corpus)."""
    if route.startswith("^"):
        return ["/" + quote(value[:300], safe="/") + "/" for value in rng.sample(CORPUS, 4)]
    if not ROUTE_PARAM.search(route):
        return []
    return [
        "/" + ROUTE_PARAM.sub(lambda _, v=value: quote(v[:3000], safe=""), route)
        for value in rng.sample(CORPUS, 6)
    ]


# --- The run -------------------------------------------------------------------------------------


class Tally:
    def __init__(self):
        self.sent = 0
        self.failures = []

    def check(self, response, method, path, what):
        self.sent += 1
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {method} {path[:120]} {what[:160]}")


def _hostile_names(names, value, rng):
    """Which of `names` get the hostile value: often all; a long value only a few."""
    if len(value) > 100:
        return set(rng.sample(names, min(len(names), 6)))
    if rng.random() < 0.3:
        return set(names)
    return {name for name in names if rng.random() < 0.4}


def _form(names, base, value, rng):
    """Every field: a real value, or for some (or all) of them the hostile one."""
    hostile = _hostile_names(names, value, rng)
    data = {name: value if name in hostile else base.get(name, "1") for name in names}
    if rng.random() < 0.7:
        data["action"] = rng.choice(ACTIONS)
    return data


def _poison(body, rng):
    """A JSON body with some leaves (and sometimes keys) hostile."""
    if isinstance(body, dict):
        poisoned = {
            key: (rng.choice(JSON_HOSTILE) if rng.random() < 0.4 else _poison(value, rng))
            for key, value in body.items()
        }
        if rng.random() < 0.2:
            poisoned["\x00" + rng.choice(list(body) or ["k"])] = "\x00"
        return poisoned
    if isinstance(body, list):
        return [_poison(item, rng) for item in body] or [rng.choice(JSON_HOSTILE)]
    return rng.choice(JSON_HOSTILE) if rng.random() < 0.5 else body


def _base_values(real, world):
    product = world["product"]
    return {
        "product": str(product.pk),
        "quantity": "2",
        "code": "SAVE10",
        "next": "/cart/",
        "delivery_method": str(world["delivery"].pk),
        "payment_method": str(world["payment"].pk),
        "list": real.get("list_id", ""),
        "target": real.get("list_id", ""),
        "item": real.get("item_id", ""),
        "name": "Birthday",
        "new_name": "Another",
        "note": "gift",
        "into": "cart",
        "checkout": real.get("checkout", ""),
        "expected_total": "20.00",
        "accept_terms": "on",
        "email": "fuzz@example.com",
        "username": "fuzz@example.com",
        "password": PASSWORD,
        "password1": "A-long-pass-phrase-1",
        "password2": "A-long-pass-phrase-1",
        "billing-country": "PL",
        "delivery-country": "PL",
        "country": "PL",
        "use": real.get("pk", ""),
    }


def _json_body(path, bodies, real, world):
    body = json.loads(json.dumps(bodies.get(path, {"x": 1})))
    product = world["product"]
    if "lines" in body:
        body["lines"] = [
            {
                "product_id": product.pk,
                "quantity": 1,
                "suggested_price": str(product.variants.get().price),
            }
        ]
        body["customer_id"] = world["customer"].pk
        body.pop("customer_external_id", None)
    if "username" in body:
        body.update(username="fuzz@example.com", password=PASSWORD)
    return body


def _fuzz_route(tally, route, entry, kind, world, inputs, rng):
    """Every request one client of `kind` sends to one URL pattern."""
    client, real, headers = identity(kind, world)
    if route.startswith("external/") and kind != "anonymous":
        headers = {"authorization": f"Api-Key {world['api_key']}"}
    base = _base_values(real, world)
    field_names, query_names = inputs["field_names"], inputs["query_names"]
    for path in real_paths(route, entry, real, world):
        tally.check(client.get(path, headers=headers), "GET", path, "")
        value = rng.choice(CORPUS)
        hostile = _hostile_names(query_names, value, rng)
        query = urlencode({name: value if name in hostile else "1" for name in query_names})
        response = client.get(f"{path}?{query}", headers=headers)
        tally.check(response, "GET", path, f"query={value!r}")
        for value in rng.sample(CORPUS, 1 if kind == "anonymous" else 2):
            data = _form(field_names, base, value, rng)
            response = client.post(path, data, headers=headers)
            tally.check(response, "POST", path, f"form={value!r}")
        if kind != "anonymous":
            body = _poison(_json_body(path, inputs["bodies"], real, world), rng)
            response = client.post(
                path, json.dumps(body), content_type="application/json", headers=headers
            )
            tally.check(response, "POST", path, f"json={body!r}")
        content_type, raw = rng.choice(BROKEN_BODIES)
        response = client.post(path, raw, content_type=content_type, headers=headers)
        tally.check(response, "POST", path, f"{content_type} {raw[:40]!r}")
        method = rng.choice(["put", "delete", "patch"])
        response = getattr(client, method)(path, headers=headers)
        tally.check(response, method.upper(), path, "")


def _report(tally, what, patterns, started):
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz ({what}): {tally.sent} requests to {len(patterns)} URL patterns in "
        f"{elapsed:.0f} s, {len(tally.failures)} answered 5xx"
    )
    assert not tally.failures, "\n".join(tally.failures[:40])


# One test per kind of client (each with its own seeded sample), so that parallel workers
# can share the run; each walks every URL pattern in the same order.
@pytest.mark.parametrize("kind", ["anonymous", "guest", "customer"])
def test_no_request_gets_a_5xx(kind, world, inputs, reachable):
    rng = random.Random(f"{SEED}-{kind}")
    tally = Tally()
    started = time.monotonic()
    for route, entry in inputs["patterns"]:
        _fuzz_route(tally, route, entry, kind, world, inputs, rng)
    _report(tally, kind, inputs["patterns"], started)


def test_no_hostile_path_gets_a_5xx(world, inputs, reachable):
    """Hostile values in each path parameter, as a signed-in customer."""
    rng = random.Random(f"{SEED}-paths")
    tally = Tally()
    started = time.monotonic()
    for route, _ in inputs["patterns"]:
        paths = hostile_paths(route, rng)
        if paths:
            client, _, _ = identity("customer", world)
        for path in paths:
            tally.check(client.get(path), "GET", path, "hostile path")
            tally.check(client.post(path, {"next": "abc"}), "POST", path, "hostile path")
    _report(tally, "hostile paths", inputs["patterns"], started)
