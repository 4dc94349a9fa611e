"""The shop's cache on a real Redis (CACHE_URL=redis://...), as several app servers share it:
the page cache (commerce/services/page_cache.py) and the rate limits
(commerce/services/limits.py) through Django's RedisCache with production's options
(storefront/redis_settings.py).

"Another app server" is a second cache object with its own connection pool: the cache
handler's instance dropped (`del caches["default"]`), or the `second_node` alias. Keys
live under a prefix of each test's own (the `redis_cache` fixture, tests/conftest.py).
"""

import socket
import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory, override_settings
from wagtail.models import Site

from commerce.models import Product
from commerce.services.limits import exceeded
from pages.models import BrandingSettings, FooterSettings
from storefront.redis_settings import CACHE_SOCKET_TIMEOUT, redis_cache
from tests.factories.catalog import make_category, make_product, make_shop
from tests.redis_support import SECOND_NODE

CACHE = "X-Storefront-Cache"


@pytest.fixture
def kettle(homepage):
    make_shop(homepage)
    # Site settings are created on first read, and creating them bumps the catalog version.
    site = Site.objects.get(is_default_site=True)
    BrandingSettings.for_site(site)
    FooterSettings.for_site(site)
    return make_product(
        "Copper kettle", price=Decimal("30.00"), main_category=make_category("Kitchen"), stock=5
    )


def url_of(product):
    return f"/shop/p/{product.slug}/"


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def as_another_app_server():
    """Drops this thread's cache object: the next request builds a new one, with a new
    connection pool, and finds only what is in Redis."""
    del caches["default"]


def page_keys(redis_cache):
    return [key for key in redis_cache.stored_keys() if ":storefront:page:" in key]


@pytest.mark.django_db
def test_a_page_cached_by_one_app_server_is_served_by_the_next(client, kettle, redis_cache):
    first = get(client, url_of(kettle))
    assert first[CACHE] == "miss"
    # The page and its URL marker, under this test's prefix, expiring by Redis's own clock.
    keys = page_keys(redis_cache)
    assert len(keys) == 2
    ttls = [redis_cache.client().ttl(key) for key in keys]
    assert all(0 < ttl <= 600 for ttl in ttls), ttls

    as_another_app_server()
    second = get(client, url_of(kettle))
    assert second[CACHE] == "hit"
    assert b"Copper kettle" in second.content


@pytest.mark.django_db
def test_a_catalog_change_shows_at_once_on_every_app_server(client, kettle, redis_cache):
    get(client, url_of(kettle))
    as_another_app_server()
    assert get(client, url_of(kettle))[CACHE] == "hit"

    product = Product.objects.get(pk=kettle.pk)
    variant = product.variants.all()[0]
    variant.price = Decimal("44.00")
    product.variants = [variant]
    product.save_revision().publish()

    as_another_app_server()
    changed = get(client, url_of(kettle))
    assert changed[CACHE] == "miss"
    assert b"44.00" in changed.content
    as_another_app_server()
    again = get(client, url_of(kettle))
    assert again[CACHE] == "hit"
    assert b"44.00" in again.content


@pytest.mark.django_db
def test_a_signed_in_shoppers_session_comes_from_the_shared_cache(client, kettle, redis_cache):
    """Production's engine with CACHE_URL: a page for a signed-in shopper reads no session
    row; a cache that lost the session (flushed, restarted) reads it from the database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from storefront.env import session_engine
    from tests.factories.accounts import make_customer

    def session_queries():
        with CaptureQueriesContext(connection) as queries:
            response = get(client, url_of(kettle))
        assert response[CACHE] == "hit"
        assert "Log out" in response.content.decode()
        return [q for q in queries if "django_session" in q["sql"]]

    with override_settings(SESSION_ENGINE=session_engine(redis_cache.url)):
        client.force_login(make_customer())
        get(client, url_of(kettle))
        assert session_queries() == []
        sessions = [key for key in redis_cache.stored_keys() if "sessions.cached_db" in key]
        assert len(sessions) == 1
        redis_cache.client().delete(*sessions)
        assert len(session_queries()) == 1
        assert session_queries() == []  # back in the cache


@pytest.mark.django_db
def test_a_rate_limit_counts_across_app_servers(redis_cache):
    request = RequestFactory().post("/shop/cart/coupon/")

    def attempt(cache_alias):
        with override_settings(RATELIMIT_USE_CACHE=cache_alias):
            return exceeded(request, "coupon_cart", "cart:1")

    assert caches["default"] is not caches[SECOND_NODE]
    with override_settings(STOREFRONT_RATE_LIMITS={"coupon_cart": "3/d"}):
        # Three allowed in all, whichever server counts them; the fourth is refused on
        # either. Per process (LocMem) each server would allow three of its own.
        assert [attempt("default"), attempt("default"), attempt(SECOND_NODE)] == [False] * 3
        assert attempt("default") is True
        assert attempt(SECOND_NODE) is True
        # Another cart has a count of its own.
        with override_settings(RATELIMIT_USE_CACHE=SECOND_NODE):
            assert exceeded(request, "coupon_cart", "cart:2") is False
    assert len(redis_cache.stored_keys()) == 2


def test_clearing_a_test_cache_leaves_other_keys_alone(redis_cache):
    client = redis_cache.client()
    neighbour = redis_cache.prefix + "-neighbour:1:kept"
    client.set(neighbour, b"1", ex=60)
    try:
        caches["default"].set("mine", 1)
        caches["default"].clear()
        assert redis_cache.stored_keys() == []
        assert client.get(neighbour) == b"1"
    finally:
        client.delete(neighbour)


def test_a_redis_that_does_not_answer_fails_a_cache_read_quickly():
    """A server that accepts connections and never answers (hung, or a lost packet
    stream): the read gives up after the socket timeout instead of holding a web worker."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    host, port = silent.getsockname()
    config = redis_cache(f"redis://{host}:{port}/0", "unanswered")
    outcome = {}

    def read():
        started = time.monotonic()
        try:
            RedisCache(config["LOCATION"], config).get("anything")
        except Exception as error:  # noqa: BLE001 - the assertion below names it
            outcome["error"] = type(error).__name__
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=read, daemon=True)
    try:
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the cache read hung"
    finally:
        silent.close()
    assert outcome["error"] == "TimeoutError"
    assert outcome["seconds"] < CACHE_SOCKET_TIMEOUT + 1
