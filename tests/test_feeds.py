"""Price-comparison feeds: /feeds/ceneo.xml and /feeds/google.xml (integrations/services/feeds.py).

The feeds are parsed with defusedxml's ElementTree (the standard library's parser,
with entity expansion refused), as the sitemap tests do.
"""

import math
import os
from decimal import Decimal

import pytest
from defusedxml import ElementTree as ET
from wagtail.models import PageViewRestriction, Site

from commerce.models import ProductImage, ProductStatus, Warehouse
from commerce.services.inventory import set_stock_levels
from commerce.services.page_cache import catalog_version
from integrations.services import feeds
from pages.models import BrandingSettings, FooterSettings

from .factories import make_category, make_image, make_product, make_shop, make_warehouse

pytestmark = pytest.mark.django_db

G = "{http://base.google.com/ns/1.0}"
CACHE = "X-Storefront-Cache"
TRICKY = "Pots & <pans> \"double\" 'single' ]]> and ]]]]> > end"


@pytest.fixture
def shop(homepage):
    shop = make_shop(homepage)
    # Site settings are created on first read, which bumps the catalog version; a
    # live site has them long before a comparison site first fetches a feed.
    site = Site.objects.get(is_default_site=True)
    branding = BrandingSettings.for_site(site)
    branding.currency_code = "PLN"
    branding.shop_name = "Tom & Jerry's <shop>"
    branding.save()
    FooterSettings.for_site(site)
    make_warehouse("main")
    return shop


@pytest.fixture
def pans(shop):
    home = make_category("Home & Garden", slug="home")
    kitchen = make_category("Kitchen", parent=home)
    return make_category("Pans", parent=kitchen)


def fetch(client, kind, **headers):
    response = client.get(f"/feeds/{kind}.xml", **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def ceneo_offers(client):
    response, body = fetch(client, "ceneo")
    assert response.status_code == 200
    root = ET.fromstring(body)
    assert root.tag == "offers" and root.get("version") == "1"
    assert [group.get("name") for group in root] == ["other"]
    return {offer.get("id"): offer for offer in root.iter("o")}


def google_items(client):
    response, body = fetch(client, "google")
    assert response.status_code == 200
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return {item.findtext(f"{G}id"): item for item in root.iter("item")}


def ids(*products):
    return {str(p.pk) for p in products}


# --- Which products ---------------------------------------------------------------------------


def test_only_purchasable_in_stock_products_are_listed(client, shop):
    Warehouse.objects.create(name="Closed", code="closed", is_active=False)
    listed = make_product("Listed", stock=3)
    two_warehouses = make_product("Two warehouses", stock={"main": 0, "north": 2})
    make_product("Sold out", stock=0)
    make_product("No stock rows")
    make_product("Only in a closed warehouse", stock={"closed": 9})
    make_product("Disabled", stock=5, status=ProductStatus.DISABLED)
    make_product("Hidden", stock=5, status=ProductStatus.HIDDEN)
    make_product("Never published", stock=5, publish=False)
    unpublished = make_product("Unpublished", stock=5)
    unpublished.unpublish()

    assert set(ceneo_offers(client)) == ids(listed, two_warehouses)
    assert set(google_items(client)) == ids(listed, two_warehouses)


def test_a_draft_does_not_reach_the_feeds(client, shop):
    product = make_product("Live name", price=Decimal("10.00"), stock=1)
    product.name = "Draft name"
    product.price = Decimal("99.00")
    product.save_revision()  # a draft: the live row is unchanged

    offer = ceneo_offers(client)[str(product.pk)]
    assert offer.findtext("name") == "Live name"
    assert offer.get("price") == "10.00"


def test_feeds_are_well_formed_and_empty_without_products(client, shop):
    assert ceneo_offers(client) == {}
    assert google_items(client) == {}


def test_a_site_without_a_shop_page_has_no_feeds(client, homepage):
    assert client.get("/feeds/ceneo.xml").status_code == 404
    assert client.get("/feeds/google.xml").status_code == 404


def test_a_shop_behind_a_password_has_no_feeds(client, shop):
    make_product("Kettle", stock=1)
    assert fetch(client, "ceneo")[0].status_code == 200
    PageViewRestriction.objects.create(
        page=shop, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    assert client.get("/feeds/ceneo.xml").status_code == 404
    assert client.get("/feeds/google.xml").status_code == 404


def test_feeds_are_get_only(client, shop):
    assert client.post("/feeds/ceneo.xml").status_code == 405


# --- What each entry says -----------------------------------------------------------------------


def test_markup_in_names_and_descriptions_comes_back_exactly(client, shop):
    product = make_product(TRICKY, short_description=TRICKY, stock=1, slug="tricky")

    offer = ceneo_offers(client)[str(product.pk)]
    assert offer.findtext("name") == TRICKY
    assert offer.findtext("desc") == TRICKY

    item = google_items(client)[str(product.pk)]
    assert item.findtext("title") == TRICKY
    assert item.findtext("description") == TRICKY


def test_characters_xml_cannot_hold_are_dropped(client, shop):
    product = make_product("Bell\x07 \x0bjar\x1f", stock=1)
    assert ceneo_offers(client)[str(product.pk)].findtext("name") == "Bell jar"
    assert google_items(client)[str(product.pk)].findtext("title") == "Bell jar"


def test_rich_text_description_is_used_as_plain_text_when_there_is_no_short_one(client, shop):
    product = make_product(
        "Kettle", description="<p>Boils &amp; <b>whistles</b>.</p><p>Copper<br/>pot</p>", stock=1
    )
    assert ceneo_offers(client)[str(product.pk)].findtext("desc") == "Boils & whistles. Copper pot"


def test_ceneo_offer(client, shop, pans):
    Warehouse.objects.create(name="Closed", code="closed", is_active=False)
    product = make_product(
        "Frying pan",
        slug="frying-pan",
        price=Decimal("12.5"),
        weight=Decimal("1.250"),
        ean="5901234123457",
        short_description="Cast iron.",
        main_category=pans,
        images=2,
        stock={"main": 3, "north": 4, "closed": 100},
    )

    offer = ceneo_offers(client)[str(product.pk)]
    assert offer.get("url") == "http://localhost/shop/p/frying-pan/"
    assert offer.get("price") == "12.50"
    assert offer.get("avail") == "1"
    assert offer.get("stock") == "7"
    assert offer.get("weight") == "1.25"
    assert offer.findtext("cat") == "Home & Garden/Kitchen/Pans"
    assert offer.findtext("name") == "Frying pan"
    assert offer.findtext("desc") == "Cast iron."
    [ean] = offer.findall("attrs/a")
    assert (ean.get("name"), ean.text) == ("EAN", "5901234123457")
    image_url = offer.find("imgs/main").get("url")
    first_image = product.images.order_by("sort_order").first().image
    rendition = first_image.get_rendition(feeds.FEED_IMAGE_FILTER)
    assert image_url == "http://localhost" + rendition.url
    assert image_url.startswith("http://localhost/media/") and image_url.endswith(".jpg")
    assert (rendition.width, rendition.height) == (800, 800)


def test_ceneo_offer_without_optional_fields(client, shop):
    product = make_product("Plain", stock=1)
    offer = ceneo_offers(client)[str(product.pk)]
    assert offer.findtext("cat") == ""
    assert offer.find("imgs") is None
    assert offer.find("attrs") is None
    assert offer.get("weight") is None


def test_google_item(client, shop, pans):
    product = make_product(
        "Frying pan",
        slug="frying-pan",
        price=Decimal("1234.5"),
        ean="5901234123457",
        short_description="Cast iron.",
        main_category=pans,
        images=1,
        stock=2,
    )

    response, body = fetch(client, "google")
    root = ET.fromstring(body)
    channel = root.find("channel")
    assert channel.findtext("title") == "Tom & Jerry's <shop>"
    assert channel.findtext("link") == "http://localhost/shop/"

    item = google_items(client)[str(product.pk)]
    assert item.findtext("title") == "Frying pan"
    assert item.findtext("link") == "http://localhost/shop/p/frying-pan/"
    assert item.findtext("description") == "Cast iron."
    assert item.findtext(f"{G}price") == "1234.50 PLN"
    assert item.findtext(f"{G}availability") == "in_stock"
    assert item.findtext(f"{G}gtin") == "5901234123457"
    assert item.find(f"{G}identifier_exists") is None
    assert item.findtext(f"{G}product_type") == "Home & Garden > Kitchen > Pans"
    assert item.findtext(f"{G}condition") == "new"
    image_link = item.findtext(f"{G}image_link")
    assert image_link.startswith("http://localhost/media/") and image_link.endswith(".jpg")


def test_google_item_without_ean_or_description(client, shop):
    product = make_product("Plain", stock=1)
    item = google_items(client)[str(product.pk)]
    assert item.findtext(f"{G}identifier_exists") == "no"
    assert item.find(f"{G}gtin") is None
    assert item.find(f"{G}product_type") is None
    assert item.findtext("description") == "Plain"


def test_an_absolute_media_url_is_kept(client, shop, settings):
    settings.MEDIA_URL = "https://cdn.example.com/media/"
    product = make_product("Pictured", images=1, stock=1)
    url = ceneo_offers(client)[str(product.pk)].find("imgs/main").get("url")
    assert url.startswith("https://cdn.example.com/media/")


def test_the_site_host_and_port_make_the_urls(client, shop):
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "shop.example.com", 443
    site.save()
    product = make_product("Pictured", slug="pictured", images=1, stock=1)
    offer = ceneo_offers(client)[str(product.pk)]
    assert offer.get("url") == "https://shop.example.com/shop/p/pictured/"
    assert offer.find("imgs/main").get("url").startswith("https://shop.example.com/media/")


# --- HTTP, caching and regeneration ---------------------------------------------------------


def cache_files():
    directory = feeds.cache_dir()
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_headers(client, shop):
    make_product("Kettle", stock=1)
    response, body = fetch(client, "ceneo")
    assert response.streaming
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response[CACHE] == "miss"
    assert response["ETag"] and response["Last-Modified"]
    assert "public" in response["Cache-Control"]

    again, again_body = fetch(client, "ceneo")
    assert again[CACHE] == "hit"
    assert again_body == body
    assert again["Content-Type"] == "application/xml; charset=utf-8"
    assert again["Content-Length"] == str(len(body))
    assert (again["ETag"], again["Last-Modified"]) == (response["ETag"], response["Last-Modified"])


def test_a_cached_feed_costs_two_queries(client, shop, django_assert_max_num_queries):
    make_product("Kettle", stock=1, images=1)
    for kind in ("ceneo", "google"):
        first, body = fetch(client, kind)
        assert first[CACHE] == "miss"
        with django_assert_max_num_queries(2):
            response, cached_body = fetch(client, kind)
        assert response[CACHE] == "hit"
        assert cached_body == body
    assert cache_files() == [
        f"ceneo-site{shop.get_site().pk}-v{catalog_version()}.xml",
        f"google-site{shop.get_site().pk}-v{catalog_version()}.xml",
    ]


def test_a_product_change_regenerates_the_feed(client, shop):
    product = make_product("Old name", stock=1)
    assert ceneo_offers(client)[str(product.pk)].findtext("name") == "Old name"
    assert fetch(client, "ceneo")[0][CACHE] == "hit"

    product.name = "New & improved"
    product.save_revision().publish()

    response, body = fetch(client, "ceneo")
    assert response[CACHE] == "miss"
    assert b"Old name" not in body
    assert ceneo_offers(client)[str(product.pk)].findtext("name") == "New & improved"
    # Only the current version's file is kept.
    assert len([name for name in cache_files() if name.startswith("ceneo-")]) == 1


def test_selling_out_takes_the_product_off_the_feed(client, shop):
    product = make_product("Kettle", stock=1)
    assert set(google_items(client)) == ids(product)
    set_stock_levels(product, {make_warehouse("main").pk: 0})
    assert google_items(client) == {}


def test_a_stock_count_change_shows_once_the_file_is_old(client, shop, settings):
    settings.STOREFRONT_FEED_MAX_AGE_SECONDS = 3600
    product = make_product("Kettle", stock=1)
    assert ceneo_offers(client)[str(product.pk)].get("stock") == "1"
    set_stock_levels(product, {make_warehouse("main").pk: 5})  # still in stock: no bump

    assert ceneo_offers(client)[str(product.pk)].get("stock") == "1"
    [path] = feeds.cache_dir().glob("ceneo-*.xml")
    old = path.stat().st_mtime - 3600
    os.utime(path, (old, old))
    response, body = fetch(client, "ceneo")
    assert response[CACHE] == "miss"
    assert ceneo_offers(client)[str(product.pk)].get("stock") == "5"


def test_an_unchanged_feed_answers_304(client, shop):
    make_product("Kettle", stock=1)
    first, _ = fetch(client, "google")
    response = client.get("/feeds/google.xml", HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304
    assert response["ETag"] == first["ETag"]


def test_head_generates_nothing(client, shop):
    make_product("Kettle", stock=1)
    response = client.head("/feeds/ceneo.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert cache_files() == []
    _, body = fetch(client, "ceneo")
    response = client.head("/feeds/ceneo.xml")
    assert response[CACHE] == "hit"
    assert response["Content-Length"] == str(len(body))


def test_an_interrupted_generation_leaves_no_file(client, shop):
    make_product("Kettle", stock=1)
    site = Site.objects.get(is_default_site=True)
    stream = feeds.generate_and_store(
        "ceneo", feeds.feed_site(site), catalog_version(), 1_700_000_000
    )
    assert next(stream).startswith(b"<?xml")
    stream.close()  # what StreamingHttpResponse.close() does when the client goes away
    assert cache_files() == []
    assert fetch(client, "ceneo")[0][CACHE] == "miss"
    assert fetch(client, "ceneo")[0][CACHE] == "hit"


def test_a_failed_generation_leaves_no_file(client, shop, monkeypatch):
    make_product("Kettle", stock=1)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(feeds, "category_names", broken)
    site = Site.objects.get(is_default_site=True)
    stream = feeds.generate_and_store(
        "ceneo", feeds.feed_site(site), catalog_version(), 1_700_000_000
    )
    with pytest.raises(RuntimeError):
        list(stream)
    assert cache_files() == []


# --- Bounded work per chunk -------------------------------------------------------------------


def test_queries_grow_per_chunk_not_per_product(client, shop, pans, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    chunk = 20
    settings.STOREFRONT_FEED_CHUNK_SIZE = chunk
    image = make_image("Shared", size=(900, 900))
    image.get_rendition(feeds.FEED_IMAGE_FILTER)  # as after the first feed ever

    def add_products(count):
        for _ in range(count):
            product = make_product(main_category=pans, ean="5901234123457", stock=2)
            ProductImage.objects.create(product=product, image=image)

    def cold_feed_queries(kind):
        with CaptureQueriesContext(connection) as queries:
            response, body = fetch(client, kind)
        assert response[CACHE] == "miss"
        return len(queries), body

    fetch(client, "ceneo")  # Wagtail caches the site's root paths on first use
    add_products(30)
    counts_30 = {kind: cold_feed_queries(kind) for kind in ("ceneo", "google")}
    add_products(60)
    counts_90 = {kind: cold_feed_queries(kind) for kind in ("ceneo", "google")}

    per_chunk = 3  # products with stock, their images, the images' feed renditions
    extra_chunks = math.ceil(90 / chunk) - math.ceil(30 / chunk)
    for kind in ("ceneo", "google"):
        assert counts_90[kind][0] - counts_30[kind][0] == per_chunk * extra_chunks
        assert counts_30[kind][0] <= 8 + per_chunk * math.ceil(30 / chunk)
    assert len(ceneo_offers(client)) == 90
    assert all(
        o.find("imgs/main") is not None and o.get("stock") == "2"
        for o in ceneo_offers(client).values()
    )


@pytest.mark.parametrize("count", [4, 5])
def test_chunks_cover_every_product_once(client, shop, settings, count):
    settings.STOREFRONT_FEED_CHUNK_SIZE = 2
    products = [make_product(stock=1) for _ in range(count)]
    chunks = list(feeds.product_chunks())
    assert [len(c) for c in chunks] == {4: [2, 2], 5: [2, 2, 1]}[count]
    assert [p.pk for c in chunks for p in c] == sorted(p.pk for p in products)
    assert set(ceneo_offers(client)) == ids(*products)
