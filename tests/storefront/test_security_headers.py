"""Content-Security-Policy and Permissions-Policy on every kind of answer.

The shop's policy allows nothing inline but what carries the answer's nonce; the
admin's allows inline script and style (Wagtail writes them) and framing by itself
(the live preview). Browsers enforce them in tests/browser/test_security_headers.py.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from commerce.integrations.models import ApiKey
from commerce.services import shopping_lists as lists
from commerce.services.shopping_lists import Owner
from pages.models import BrandingSettings, FooterSettings
from tests.factories.accounts import make_address, make_order
from tests.factories.catalog import add_content_page, make_category, make_product, make_shop
from tests.factories.checkout import ADDRESS, make_delivery_method, make_payment_method
from tests.storefront.test_deploy_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db
PASSWORD = "pw-long-enough-1"


def policy_of(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy"
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


def assert_shop_policy(response):
    path = response.request["PATH_INFO"]
    policy = policy_of(response)
    assert policy["default-src"] == "'self'", path
    assert policy["object-src"] == "'none'", path
    assert policy["frame-ancestors"] == "'none'", path
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive], path
        assert "'unsafe-eval'" not in policy[directive], path
    assert "style-src-attr" not in policy, path  # no style attributes by default
    # Every inline <style>/<script> of the page carries the nonce of this answer's header.
    body = b"" if response.streaming else response.content
    inline_nonces = set(re.findall(rb"<(?:style|script)[^>]* nonce=\"([^\"]*)\"", body))
    if inline_nonces:
        header_nonce = re.search(r"'nonce-([^']+)'", policy["style-src"]).group(1)
        assert inline_nonces == {header_nonce.encode()}, path
        assert f"'nonce-{header_nonce}'" in policy["script-src"], path
    assert_permissions_policy(response)


def assert_admin_policy(response):
    path = response.request["PATH_INFO"]
    policy = policy_of(response)
    assert policy["default-src"] == "'self'", path
    assert policy["object-src"] == "'none'", path
    assert policy["frame-ancestors"] == "'self'", path
    assert policy["script-src"] == "'self' 'unsafe-inline'", path
    assert_permissions_policy(response)


def assert_permissions_policy(response):
    header = response.get("Permissions-Policy", "")
    path = response.request["PATH_INFO"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in header, f"{path}: {header!r}"
    assert "fullscreen=(self)" in header, path


@pytest.fixture
def site(homepage):
    shop = make_shop(homepage)
    # Site settings are created on first read, which bumps the catalog version.
    BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    FooterSettings.for_site(Site.objects.get(is_default_site=True))
    about = add_content_page(homepage, "About us")
    kettle = make_product(
        "Copper kettle", price=Decimal("30.00"), main_category=make_category("Kitchen"), stock=5
    )
    return {"shop": shop, "about": about, "kettle": kettle}


def test_every_public_page_type_has_the_shop_policy(client, site):
    kettle = site["kettle"]
    urls = [
        "/",
        site["about"].url,
        "/shop/",
        "/shop/c/kitchen/",
        "/shop/search/?q=kettle",
        f"/shop/p/{kettle.slug}/",
        f"/shop/p/{kettle.slug}/",  # the same page again, from the page cache
        "/cart/",
        "/account/login/",
        "/account/signup/",
        "/account/password/reset/",
        "/lists/",
        "/no/such/page/",
        "/robots.txt",
        "/sitemap.xml",
        "/healthz/",
        "/feeds/google.xml",
        "/feeds/ceneo.xml",
        "/external/v1/docs/",
        "/api-docs/",
        "/api-openapi.json",
        "/admin/login/",  # anonymous: the admin's own policy
    ]
    seen = {}
    for url in urls:
        response = client.get(url)
        seen[url] = response.status_code
        if url.startswith("/admin/"):
            assert_admin_policy(response)
        else:
            assert_shop_policy(response)
    assert seen["/no/such/page/"] == 404
    assert seen["/"] == seen["/shop/"] == seen[f"/shop/p/{kettle.slug}/"] == 200

    # APIs answer JSON, with and without a key; errors carry the headers as well.
    row = ApiKey(name="ERP")
    key = row.set_new_key()
    row.save()
    for response in (
        client.get("/external/v1/products", {"api_key": key}),
        client.get("/external/v1/products", {"api_key": "wrong"}),
        client.post("/auth/", {}, content_type="application/json"),
    ):
        assert_shop_policy(response)


def test_a_cached_page_has_the_headers_on_a_hit(client, site):
    url = f"/shop/p/{site['kettle'].slug}/"
    Client().get(url)
    hit = Client().get(url)
    assert hit["X-Storefront-Cache"] == "hit"
    assert_shop_policy(hit)
    assert b'<style nonce="' in hit.content


def test_shopper_pages_checkout_and_lists_have_the_shop_policy(client, site):
    kettle = site["kettle"]
    customer = get_user_model().objects.create_user("ada", "ada@example.com", PASSWORD)
    address = make_address(customer)
    order = make_order(customer)
    delivery, payment = make_delivery_method(), make_payment_method()
    client.force_login(customer)

    client.post(reverse("cart:add"), {"product": kettle.pk, "quantity": 1})
    details = {"email": "ada@example.com", "phone": ""}
    details |= {f"billing-{key}": value for key, value in ADDRESS.items()}
    assert client.post(reverse("checkout:details"), details).status_code == 302
    client.post(reverse("checkout:delivery"), {"delivery_method": delivery.pk})
    client.post(reverse("checkout:payment"), {"payment_method": payment.pk})

    shopping_list = lists.default_list(Owner(user=customer))
    lists.add_item(shopping_list, kettle.variants.get().pk)
    token = lists.share(shopping_list)

    urls = [
        reverse("cart:detail"),
        reverse("checkout:details"),
        reverse("checkout:delivery"),
        reverse("checkout:payment"),
        reverse("checkout:review"),
        reverse("checkout:confirmation", args=[order.token]),
        reverse("account:overview"),
        reverse("account:addresses"),
        reverse("account:address_edit", args=[address.pk]),
        reverse("account:orders"),
        reverse("account:order_detail", args=[order.number]),
        reverse("account:password_change"),
        reverse("lists:index"),
        reverse("lists:detail", args=[shopping_list.pk]),
        reverse("lists:shared", args=[token]),
        "/",
        f"/shop/p/{kettle.slug}/",  # signed in: rendered, not cached
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_shop_policy(response)
        assert b'<style nonce="' in response.content, url

    # A form error page and a redirect carry them too.
    assert_shop_policy(client.post(reverse("checkout:details"), {}))
    assert_shop_policy(client.post(reverse("cart:add"), {"product": kettle.pk, "quantity": 1}))


def test_the_admin_editor_and_preview_have_the_admin_policy(client, site):
    staff = get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)
    client.force_login(staff)
    about = site["about"]
    urls = [
        "/admin/",
        f"/admin/pages/{about.pk}/edit/",
        "/admin/snippets/commerce/product/",
        "/admin/snippets/commerce/order/",
        "/admin/no/such/page/",
    ]
    for url in urls:
        assert_admin_policy(client.get(url))

    # A preview is the shop's page with the shop's policy, framed by the admin.
    preview = about.make_preview_request()
    assert preview.status_code == 200
    policy = policy_of(preview)
    assert policy["frame-ancestors"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]


def test_raw_html_sources_extend_the_policy_from_the_environment():
    code = (
        "from csp.utils import build_policy; print(build_policy()); "
        "from django.conf import settings as s; print(s.PERMISSIONS_POLICY['fullscreen'])"
    )
    sources = (
        "frame-src https://www.youtube-nocookie.com; "
        "script-src https://widgets.example.com; img-src https://stats.example.com"
    )
    result = manage(
        "shell", "-c", code, env={**PRODUCTION, "CSP_RAW_HTML_SOURCES": sources}, timeout=120
    )
    assert result.returncode == 0, result.stderr
    policy, fullscreen = result.stdout.strip().splitlines()[-2:]
    assert "frame-src 'self' https://www.youtube-nocookie.com" in policy
    assert "script-src 'self' https://widgets.example.com" in policy
    assert "img-src 'self' data: https://stats.example.com" in policy
    assert fullscreen == "['self', 'https://www.youtube-nocookie.com']"


@pytest.mark.parametrize(
    "value, message",
    [
        ("scripts https://cdn.example.com", "'scripts' is not one of"),
        ("frame-src", "needs sources"),
        ("img-src https://a.example.com,https://b.example.com", "needs sources"),
    ],
)
def test_a_malformed_raw_html_sources_setting_stops_start_up(value, message):
    result = manage("check", env={**PRODUCTION, "CSP_RAW_HTML_SOURCES": value}, timeout=120)
    assert result.returncode != 0
    assert message in result.stderr
