"""The shop's currency (commerce.money.shop_currency): one accessor for pages, orders, API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from commerce.money import shop_currency
from commerce.services import checkout as checkouts
from pages.models import BrandingSettings
from tests.factories.catalog import make_category, make_product, make_shop
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(homepage):
    return Site.objects.get(is_default_site=True)


def brand(site, code):
    BrandingSettings.objects.update_or_create(site=site, defaults={"currency_code": code})


def test_without_branding_it_is_the_fields_default_and_nothing_is_written(site, rf):
    assert shop_currency() == shop_currency(site=site) == shop_currency(rf.get("/")) == "EUR"
    assert not BrandingSettings.objects.exists()


def test_it_is_the_sites_branding_for_a_request_a_site_or_by_default(site, rf):
    brand(site, "PLN")
    assert shop_currency() == shop_currency(site=site) == shop_currency(rf.get("/")) == "PLN"


def test_each_site_has_its_own(site, rf):
    other = Site.objects.create(hostname="other.example", port=80, root_page=site.root_page)
    brand(site, "PLN")
    brand(other, "CZK")
    assert shop_currency(rf.get("/", HTTP_HOST="other.example")) == "CZK"
    assert shop_currency(site=other) == "CZK"
    assert shop_currency() == "PLN"


def test_a_page_that_read_its_branding_pays_no_query_for_prices(site, rf):
    brand(site, "PLN")
    request = rf.get("/")
    BrandingSettings.for_request(request)  # what base.html does first
    with CaptureQueriesContext(connection) as queries:
        assert shop_currency(request) == "PLN"
    assert len(queries) == 0


def test_prices_on_pages_and_placed_orders_use_it(site, client):
    make_shop(site.root_page)
    brand(site, "PLN")
    product = make_product("Pan", stock=3, main_category=make_category("Pans"))
    page = client.get(f"/shop/p/{product.slug}/").content.decode()
    assert '<span class="money__currency">PLN</span>' in page
    assert '"priceCurrency": "PLN"' in page
    cart = make_cart([(product, 1)], delivery=make_delivery_method(), payment=make_payment_method())
    order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
    assert order.currency == "PLN"
