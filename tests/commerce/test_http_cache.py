"""What a shared HTTP cache in front may keep (commerce.services.http_cache) and the purge
on a catalog version change (commerce.services.http_purge). The real proxy:
tests/storefront/test_varnish.py."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone
from wagtail.contrib.frontend_cache import utils as frontend_cache_utils
from wagtail.models import Site

from commerce.services.guests import GUEST_SESSION_KEY
from home.models import HomePage
from tests.factories.catalog import hero_value

pytestmark = pytest.mark.django_db

CACHE = "X-Storefront-Cache"


def directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


def vary(response) -> set[str]:
    return {f.strip().lower() for f in response.get("Vary", "").split(",") if f.strip()}


def nonces(response):
    """The nonce of the page's inline <style> and the style-src nonce of its header."""
    in_body = re.search(rb'<style nonce="([^"]+)"', response.content)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    in_header = re.search(r"'nonce-([^']+)'", policy["style-src"]).group(1)
    return (in_body.group(1).decode() if in_body else None), in_header


def test_an_anonymous_page_without_a_form_is_public_for_proxies(client, kettle, settings):
    settings.STOREFRONT_HTTP_CACHE_SECONDS = 300
    miss, hit = client.get("/"), client.get("/")
    assert (miss[CACHE], hit[CACHE]) == ("miss", "hit")
    for response in (miss, hit):
        assert directives(response) == {"public", "max-age=0", "s-maxage=300"}
        # Proxies tell personal requests by their cookies (the VCL), not by Vary.
        assert "cookie" not in vary(response)
        assert not response.cookies
        assert b"csrfmiddlewaretoken" not in response.content
    assert miss["ETag"] == hit["ETag"]
    assert miss.content == hit.content


def test_a_shared_page_has_one_nonce_for_all_matching_its_header(kettle):
    answers = [Client().get("/") for _ in range(3)]
    found = {nonces(response) for response in answers}
    assert len(found) == 1
    (in_body, in_header) = found.pop()
    assert in_body == in_header
    # A change to the page gives it another nonce and ETag.
    homepage = HomePage.objects.get()
    homepage.body = [("hero_banner", hero_value("Spring sale"))]
    homepage.save_revision().publish()
    changed = Client().get("/")
    assert b"Spring sale" in changed.content
    assert nonces(changed)[0] != in_body
    assert changed["ETag"] != answers[0]["ETag"]


def test_a_matching_if_none_match_gets_a_304_without_rendering(
    client, kettle, django_assert_max_num_queries
):
    etag = client.get("/")["ETag"]
    with django_assert_max_num_queries(1):  # the catalog version, as for any hit
        not_modified = client.get("/", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert "public" in directives(not_modified)
    # The browser keeps its stored body: the refreshed policy must carry that body's nonce.
    stored_nonce = nonces(client.get("/"))[0]
    assert nonces(not_modified)[1] == stored_nonce
    assert client.get("/", HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_pages_with_a_csrf_token_stay_private(client, kettle):
    """Tiles and product pages hold add-to-cart forms: each visitor's own token."""
    for url in (f"/shop/p/{kettle.slug}/", "/shop/"):
        for response in (client.get(url), client.get(url)):
            assert b"csrfmiddlewaretoken" in response.content
            assert {"private", "no-cache"} <= directives(response), url
            assert "public" not in directives(response)
            assert not response.has_header("ETag")


@pytest.mark.parametrize("who", ["signed_in", "with_cart"])
def test_personal_answers_are_never_public(client, kettle, who):
    client.get("/")  # an anonymous copy exists
    if who == "signed_in":
        client.force_login(get_user_model().objects.create_user("ann", "ann@example.com", "x"))
    else:
        session = client.session
        session[GUEST_SESSION_KEY] = "guest-key"
        session.save()
    response = client.get("/", HTTP_IF_NONE_MATCH=Client().get("/")["ETag"])
    assert response.status_code == 200
    assert {"private", "no-cache"} <= directives(response)
    assert "cookie" in vary(response)
    assert not response.has_header("ETag")


def test_posts_are_never_public(client, kettle):
    response = client.post("/")
    assert "public" not in directives(response)


def test_zero_seconds_switches_sharing_off(client, kettle, settings):
    settings.STOREFRONT_HTTP_CACHE_SECONDS = 0
    for response in (client.get("/"), client.get("/")):
        assert {"private", "no-cache"} <= directives(response)
        assert not response.has_header("ETag")


def test_a_proxy_copy_never_outlives_a_campaign_window(client, kettle, settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 3600
    settings.STOREFRONT_HTTP_CACHE_SECONDS = 3600
    starts = (timezone.now() + timedelta(minutes=10)).replace(microsecond=0)
    homepage = HomePage.objects.get()
    homepage.body = [("hero_banner", hero_value("Winter sale", starts_at=starts))]
    homepage.save_revision().publish()
    for response in (client.get("/"), client.get("/")):
        (seconds,) = [d for d in directives(response) if d.startswith("s-maxage=")]
        assert 0 < int(seconds.removeprefix("s-maxage=")) <= 600


# --- Purging ------------------------------------------------------------------------------


@pytest.fixture
def purged(monkeypatch, settings):
    settings.WAGTAILFRONTENDCACHE = {
        "proxy": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": "http://127.0.0.1:9",
        }
    }
    calls = []
    monkeypatch.setattr(frontend_cache_utils, "purge_urls_from_cache", calls.append)
    return calls


def test_a_catalog_change_purges_every_site_once_after_commit(
    kettle, purged, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        kettle.name = "Copper kettle, large"
        kettle.save()
        kettle.save()  # several bumps in one transaction
        assert purged == []  # nothing before the commit
    root = Site.objects.get(is_default_site=True).root_url
    assert purged == [[root + "/"]]


def test_a_rolled_back_change_purges_nothing(kettle, purged, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                kettle.save()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert purged == []


def test_no_purge_without_a_configured_proxy(kettle, monkeypatch, settings):
    settings.WAGTAILFRONTENDCACHE = None
    calls = []
    monkeypatch.setattr(frontend_cache_utils, "purge_urls_from_cache", calls.append)
    kettle.save()
    assert calls == []
