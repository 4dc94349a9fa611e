"""The anonymous full-page cache of the shop's pages (commerce.services.page_cache)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory
from django.utils import timezone
from wagtail.models import PageViewRestriction, Site

from commerce.models import Category, Product, ProductPageSettings, ProductStatus, Warehouse
from commerce.services.catalog_version import catalog_version
from commerce.services.guests import GUEST_SESSION_KEY
from commerce.services.inventory import set_stock_levels
from commerce.services.page_cache import changes_at, entry_timeout, is_personal
from home.models import HomePage
from pages.clock import previewing_at
from pages.models import BrandingSettings
from tests.factories.catalog import (
    add_content_page,
    hero_value,
    make_attribute,
    make_category,
    make_product,
    make_shop,
    only_variant,
)
from tests.factories.promotions import condition, make_promotion, reward

pytestmark = pytest.mark.django_db

CACHE = "X-Storefront-Cache"
HIT_QUERY_BUDGET = 1  # the catalog version; hits are answered before Wagtail routes


@pytest.fixture
def shop(homepage):
    return make_shop(homepage)


def url_of(product):
    return f"/shop/p/{product.slug}/"


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def csrf_token_in(response):
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content).group(1)


def without_per_answer_values(response):
    """The body less what every answer has of its own: CSRF token and CSP nonce."""
    nonce = re.search(rb'<style nonce="([^"]+)"', response.content).group(1)
    return response.content.replace(csrf_token_in(response), b"").replace(nonce, b"")


def warm(client, url):
    """Fills the cache for `url`; the next anonymous request for it is a hit."""
    client.get(url)
    assert get(client, url)[CACHE] == "hit"


def test_second_anonymous_request_is_a_hit(client, kettle):
    first = get(client, url_of(kettle))
    second = get(client, url_of(kettle))
    assert (first[CACHE], second[CACHE]) == ("miss", "hit")
    assert b"Copper kettle" in second.content
    assert without_per_answer_values(second) == without_per_answer_values(first)


def test_listings_are_cached_per_query_string(client, kettle):
    assert get(client, "/shop/?sort=price&per_page=12")[CACHE] == "miss"
    assert get(client, "/shop/?per_page=12&sort=price")[CACHE] == "hit"
    assert get(client, "/shop/?per_page=24&sort=price")[CACHE] == "miss"
    assert get(client, "/shop/search/?q=kettle")[CACHE] == "miss"
    assert get(client, "/shop/search/?q=copper")[CACHE] == "miss"
    assert b"Copper kettle" in get(client, "/shop/search/?q=copper").content


def test_a_hit_runs_a_fixed_small_number_of_queries(client, kettle, django_assert_max_num_queries):
    warm(client, url_of(kettle))
    warm(client, "/shop/")
    with django_assert_max_num_queries(HIT_QUERY_BUDGET):
        assert get(client, url_of(kettle))[CACHE] == "hit"
    with django_assert_max_num_queries(HIT_QUERY_BUDGET):
        assert get(client, "/shop/")[CACHE] == "hit"


def test_browsers_may_keep_pages_but_shared_caches_may_not(client, kettle):
    for response in (get(client, url_of(kettle)), get(client, url_of(kettle))):
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-cache"} <= directives
        assert "Cookie" in response["Vary"]


# --- Invalidation -------------------------------------------------------------------------


def with_variant_price(product, price):
    """The product with its (one) variant's price changed in memory: a revision carries the
    variants and their prices."""
    variant = product.variants.all()[0]
    variant.price = price
    product.variants = [variant]
    return product


def publish_price(product, price):
    with_variant_price(product, price).save_revision().publish()


def unpublish(product):
    product.unpublish()


def hide(product):
    product.status = ProductStatus.HIDDEN
    product.save_revision().publish()


def test_publishing_a_product_change_refreshes_its_page_and_listings(client, kettle):
    warm(client, url_of(kettle))
    warm(client, "/shop/")
    publish_price(Product.objects.get(pk=kettle.pk), Decimal("44.00"))
    for url in (url_of(kettle), "/shop/"):
        response = get(client, url)
        assert response[CACHE] == "miss"
        assert b"44.00" in response.content


def test_a_saved_draft_keeps_the_cache(client, kettle):
    warm(client, url_of(kettle))
    product = with_variant_price(Product.objects.get(pk=kettle.pk), Decimal("99.00"))
    product.save_revision()  # a draft: shoppers still see the live price
    response = get(client, url_of(kettle))
    assert response[CACHE] == "hit"
    assert b"99.00" not in response.content


@pytest.mark.parametrize("change", [unpublish, hide], ids=["unpublish", "hide"])
def test_a_product_taken_off_the_storefront_disappears_at_once(client, kettle, change):
    warm(client, url_of(kettle))
    warm(client, "/shop/")
    change(Product.objects.get(pk=kettle.pk))
    assert client.get(url_of(kettle)).status_code == 404
    listing = get(client, "/shop/")
    assert listing[CACHE] == "miss"
    assert b"Copper kettle" not in listing.content


def test_renaming_a_category_refreshes_the_product_page(client, kettle):
    warm(client, url_of(kettle))
    category = Category.objects.get(slug="kitchen")
    category.name = "Cookware"
    category.save()
    response = get(client, url_of(kettle))
    assert response[CACHE] == "miss"
    assert b"Cookware" in response.content


def test_adding_an_additional_category_refreshes_its_listing(client, kettle):
    garden = make_category("Garden")
    warm(client, "/shop/c/garden/")
    # The category side is a plain many-to-many manager: it writes at once, with no
    # product save (and so no product post_save) around it.
    garden.additional_products.add(kettle)
    response = get(client, "/shop/c/garden/")
    assert response[CACHE] == "miss"
    assert b"Copper kettle" in response.content


def set_units(variant, quantity):
    set_stock_levels({variant.pk: {Warehouse.objects.get(code="main").pk: quantity}})


@pytest.mark.parametrize("url", [url_of, lambda product: "/shop/"], ids=["product", "listing"])
def test_selling_out_refreshes_the_page(client, kettle, url):
    warm(client, url(kettle))
    set_units(only_variant(kettle), 0)
    response = get(client, url(kettle))
    assert response[CACHE] == "miss"
    assert b"Out of stock" in response.content
    set_units(only_variant(kettle), 2)
    response = get(client, url(kettle))
    assert response[CACHE] == "miss"
    assert b"In stock" in response.content


def test_a_stock_change_that_keeps_availability_keeps_the_cache(client, kettle):
    warm(client, url_of(kettle))
    warm(client, "/shop/")
    version = catalog_version()
    set_units(only_variant(kettle), 3)
    assert catalog_version() == version
    assert get(client, url_of(kettle))[CACHE] == "hit"
    assert get(client, "/shop/")[CACHE] == "hit"


@pytest.fixture
def coat(kettle):
    """Sizes S (2 in stock) and M (3 in stock), in the Kitchen with the kettle."""
    size, (small, medium) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    return make_product(
        "Wool coat",
        axes=[size],
        main_category=Category.objects.get(slug="kitchen"),
        variants=[
            {"sku": "COAT-S", "price": Decimal("80"), "options": [small], "stock": 2},
            {"sku": "COAT-M", "price": Decimal("90"), "options": [medium], "stock": 3},
        ],
    )


def coat_tile(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return next(t for t in soup.select(".product-tile") if "Wool coat" in t.get_text())


def sizes_on_tile(response):
    return [o.get_text(strip=True) for o in coat_tile(response).select(".product-tile__option")]


@pytest.mark.parametrize("url", ["/shop/", "/shop/c/kitchen/", "/shop/search/?q=coat"])
def test_one_variant_selling_out_refreshes_listings(client, coat, url):
    warm(client, url)
    assert sizes_on_tile(get(client, url)) == ["S", "M"]
    set_units(coat.variants.get(sku="COAT-S"), 0)  # the coat is still in stock (M)
    response = get(client, url)
    assert response[CACHE] == "miss"
    assert sizes_on_tile(response) == ["M"]


def test_one_variant_selling_out_refreshes_the_product_page(client, coat):
    warm(client, url_of(coat))
    version = catalog_version()
    set_units(coat.variants.get(sku="COAT-S"), 0)
    assert catalog_version() == version + 1
    assert get(client, url_of(coat))[CACHE] == "miss"


def test_a_variant_stock_change_that_keeps_its_availability_keeps_the_cache(client, coat):
    warm(client, "/shop/")
    warm(client, url_of(coat))
    set_units(coat.variants.get(sku="COAT-S"), 1)
    assert get(client, "/shop/")[CACHE] == "hit"
    assert get(client, url_of(coat))[CACHE] == "hit"


def test_publishing_a_variant_change_refreshes_the_listing(client, coat):
    warm(client, "/shop/")
    product = Product.objects.get(pk=coat.pk)
    variants = list(product.variants.all())
    for variant in variants:
        if variant.sku == "COAT-S":
            variant.is_active = False
    product.variants = variants
    product.save_revision().publish()
    response = get(client, "/shop/")
    assert response[CACHE] == "miss"
    assert sizes_on_tile(response) == ["M"]
    price = coat_tile(response).select_one(".product-tile__price").get_text(" ", strip=True)
    assert price == "90.00 EUR"  # no "from": one active variant left


def test_a_variant_written_on_its_own_refreshes_the_listing(client, coat):
    warm(client, "/shop/")
    variant = coat.variants.get(sku="COAT-S")
    variant.price = Decimal("70")
    variant.save()
    response = get(client, "/shop/")
    assert response[CACHE] == "miss"
    assert b"70.00" in response.content


def test_publishing_a_page_refreshes_the_shop(client, kettle, shop):
    warm(client, "/shop/")
    shop.intro = "Fresh arrivals every week"
    shop.save_revision().publish()
    response = get(client, "/shop/")
    assert response[CACHE] == "miss"
    assert b"Fresh arrivals every week" in response.content


def test_saving_branding_settings_refreshes_every_page(client, kettle):
    warm(client, url_of(kettle))
    branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    branding.shop_name = "Kettles and Co"
    branding.save()
    response = get(client, url_of(kettle))
    assert response[CACHE] == "miss"
    assert b"Kettles and Co" in response.content


def test_a_shop_behind_a_password_is_never_served_from_the_cache(client, kettle, shop):
    warm(client, url_of(kettle))
    PageViewRestriction.objects.create(
        page=shop, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    for _ in range(2):
        response = get(client, url_of(kettle))
        assert response.get(CACHE) != "hit"
        assert b"Copper kettle" not in response.content  # Wagtail's password form instead


def test_a_homepage_behind_a_password_is_never_served_from_the_cache(client, kettle):
    warm(client, "/")
    PageViewRestriction.objects.create(
        page=HomePage.objects.get(), restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    for _ in range(2):
        assert get(client, "/").get(CACHE) != "hit"


def test_content_pages_are_cached_too(client, kettle, homepage):
    add_content_page(homepage, "About")
    assert (get(client, "/about/")[CACHE], get(client, "/about/")[CACHE]) == ("miss", "hit")


def test_a_content_page_behind_a_password_is_never_served_from_the_cache(client, homepage):
    page = add_content_page(homepage, "About")
    warm(client, "/about/")
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    for _ in range(2):
        response = client.get("/about/")
        assert response.get(CACHE) != "hit"
        assert b"password" in response.content.lower()


def test_the_homepage_is_cached_too(client, kettle):
    assert (get(client, "/")[CACHE], get(client, "/")[CACHE]) == ("miss", "hit")


# --- Personal requests --------------------------------------------------------------------


def test_logged_in_users_get_the_cached_page(client, kettle):
    """Their personal parts are filled per request (tests/commerce/test_personal_cache.py)."""
    warm(client, url_of(kettle))
    client.force_login(get_user_model().objects.create_user("shopper", password="x"))
    assert get(client, url_of(kettle))[CACHE] == "hit"


def test_a_session_holding_a_cart_gets_the_cached_page(client, kettle):
    warm(client, url_of(kettle))
    session = client.session
    session[GUEST_SESSION_KEY] = "a-guest-key"
    session.save()
    assert get(client, url_of(kettle))[CACHE] == "hit"


def test_a_session_without_personal_keys_is_served_from_the_cache(client, kettle):
    warm(client, url_of(kettle))
    session = client.session
    session["recently_viewed"] = [kettle.pk]
    session.save()
    assert get(client, url_of(kettle))[CACHE] == "hit"


def test_posts_bypass_the_cache(client, kettle):
    warm(client, url_of(kettle))
    response = client.post(url_of(kettle), {"product": kettle.pk, "quantity": 1})
    assert response[CACHE] == "bypass"


def test_pending_messages_make_a_request_personal(kettle):
    request = RequestFactory().get(url_of(kettle))
    request.session = {}
    request._messages = FallbackStorage(request)
    assert not is_personal(request)
    request._messages.add(constants.SUCCESS, "Added to your list")
    assert is_personal(request)
    assert [m.message for m in get_messages(request)] == ["Added to your list"]  # not consumed


# --- CSRF ---------------------------------------------------------------------------------


def test_a_cached_page_carries_each_visitors_own_working_csrf_token(kettle):
    first_visitor = Client()
    first_token = csrf_token_in(get(first_visitor, url_of(kettle)))

    second_visitor = Client(enforce_csrf_checks=True)
    page = get(second_visitor, url_of(kettle))
    assert page[CACHE] == "hit"
    second_token = csrf_token_in(page)
    assert second_token != first_token
    assert first_token not in page.content
    assert "csrftoken" in page.cookies

    # A CSRF-protected form (the admin login) accepts the token from the cached page:
    # a wrong password gives the form again (200), a bad token would give 403.
    login = second_visitor.post(
        "/admin/login/",
        {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": second_token.decode()},
    )
    assert login.status_code == 200

    # Without the token the same post is refused, so the check above is real.
    assert Client(enforce_csrf_checks=True).post("/admin/login/", {}).status_code == 403


# --- Content-Security-Policy nonce --------------------------------------------------------


def nonces(response):
    """The nonce of the page's inline <style> and the style-src nonce of its header."""
    in_body = re.search(rb'<style nonce="([^"]+)"', response.content).group(1).decode()
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    in_header = re.search(r"'nonce-([^']+)'", policy["style-src"]).group(1)
    return in_body, in_header


def test_each_answer_from_the_cache_has_a_fresh_nonce_matching_its_header(kettle):
    miss = get(Client(), url_of(kettle))
    first, second = get(Client(), url_of(kettle)), get(Client(), url_of(kettle))
    assert (miss[CACHE], first[CACHE], second[CACHE]) == ("miss", "hit", "hit")

    answers = [nonces(response) for response in (miss, first, second)]
    for in_body, in_header in answers:
        assert in_body == in_header
    assert len({in_body for in_body, _ in answers}) == 3
    # Neither placeholder nor an earlier answer's nonce is left in a cached body.
    assert b"nonce-" not in first.content.replace(b"nonce=", b"")
    assert answers[0][0].encode() not in first.content


# --- Lifetimes: campaign windows and promotions -------------------------------------------

TICK = timedelta(microseconds=1)


def schedule_hero(heading, starts_at=None, ends_at=None, **window):
    homepage = HomePage.objects.get()
    homepage.body = [("hero_banner", {**hero_value(heading, starts_at=starts_at,
                                                   ends_at=ends_at), **window})]  # fmt: skip
    homepage.save_revision().publish()
    return homepage


def test_a_banner_starting_in_ten_minutes_ends_the_homepage_entry_then(client, kettle, settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 3600
    now = timezone.now()
    # Whole seconds, as editors type them (stored block values keep milliseconds at most).
    starts = (now + timedelta(minutes=10)).replace(microsecond=0)
    homepage = schedule_hero("Winter sale", starts_at=starts)
    assert changes_at([homepage.body], now) == starts
    assert entry_timeout(starts, now) <= 600  # not the configured hour

    first = get(client, "/")
    assert first[CACHE] == "miss" and b"Winter sale" not in first.content
    with previewing_at(starts - TICK):  # the shop's clock, one tick before the start
        response = get(client, "/")
        assert response[CACHE] == "hit" and b"Winter sale" not in response.content
    with previewing_at(starts):
        response = get(client, "/")
        assert response[CACHE] == "miss" and b"Winter sale" in response.content


def test_a_banner_ending_takes_the_cached_homepage_with_it(client, kettle):
    ends = (timezone.now() + timedelta(minutes=10)).replace(microsecond=0)
    schedule_hero("Last chance", ends_at=ends)
    warm(client, "/")
    with previewing_at(ends):
        response = get(client, "/")
        assert response[CACHE] == "miss" and b"Last chance" not in response.content


def test_a_switched_off_block_or_a_past_boundary_does_not_shorten_the_entry(kettle):
    now = timezone.now()
    off = schedule_hero("Off", starts_at=now + timedelta(minutes=5), switched_off=True)
    assert changes_at([off.body], now) is None
    past = schedule_hero("Past", starts_at=now - timedelta(minutes=5))
    assert changes_at([past.body], now) is None
    assert entry_timeout(None, now) == 600


def test_entry_timeouts_round_up_to_whole_seconds(settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 600
    now = timezone.now()
    assert entry_timeout(now + timedelta(seconds=1.2), now) == 2
    assert entry_timeout(now + TICK, now) == 1
    assert entry_timeout(now + timedelta(hours=2), now) == 600


def test_a_promotion_starting_later_ends_every_entry_at_its_start_and_end(kettle):
    now = timezone.now()
    starts, ends = now + timedelta(hours=1), now + timedelta(hours=3)
    variant = only_variant(kettle)
    make_promotion("Later", [condition([reward(variant, given_price="5.00")])],
                   start=starts, end=ends)  # fmt: skip
    make_promotion("Draft", [condition([reward(variant, given_price="6.00")])],
                   start=now + timedelta(minutes=1), publish=False)  # fmt: skip
    make_promotion("Switched off", [condition([reward(variant, given_price="7.00")])],
                   start=now + timedelta(minutes=2), is_active=False)  # fmt: skip
    assert changes_at((), now) == starts
    assert changes_at((), starts - TICK) == starts
    assert changes_at((), starts) == ends  # running now: its end is next
    assert changes_at((), ends) is None


def test_an_entry_made_before_a_promotion_starts_is_not_served_after(client, kettle):
    starts = timezone.now() + timedelta(minutes=30)
    variant = only_variant(kettle)
    make_promotion("Soon", [condition([reward(variant, given_price="5.00")])], start=starts)
    warm(client, url_of(kettle))
    with previewing_at(starts - TICK):
        assert get(client, url_of(kettle))[CACHE] == "hit"
    with previewing_at(starts):
        assert get(client, url_of(kettle))[CACHE] == "miss"


def test_a_block_boundary_sooner_than_the_next_promotion_wins(kettle):
    now = timezone.now()
    variant = only_variant(kettle)
    make_promotion("Later", [condition([reward(variant, given_price="5.00")])],
                   start=now + timedelta(hours=1))  # fmt: skip
    homepage = schedule_hero("Soon", starts_at=now + timedelta(minutes=10))
    assert changes_at([homepage.body], now) == now + timedelta(minutes=10)
    assert changes_at([homepage.body], now + timedelta(minutes=10)) == now + timedelta(hours=1)


def test_the_first_page_to_read_a_setting_keeps_its_own_cache_entry(client, kettle):
    # Settings rows are made with their defaults by the first page that reads them; that
    # page already shows the defaults, so making the row must not outdate its entry.
    ProductPageSettings.objects.all().delete()
    BrandingSettings.objects.all().delete()
    client.get(url_of(kettle))
    assert ProductPageSettings.objects.exists() and BrandingSettings.objects.exists()
    assert get(client, url_of(kettle))[CACHE] == "hit"
