"""The homepage costs a fixed number of queries, however many blocks editors add and however
many variants and variant axes its products have."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from commerce.models import Category
from home.demo import ensure_content_pages, ensure_settings, ensure_site, homepage_body
from home.models import HomePage
from pages.demo import SeedReport, ensure_images
from tests.factories.catalog import (
    grow_variants_and_axes,
    make_attribute,
    make_bulk_catalog,
    make_category,
    make_image,
    make_shop,
)

# Every request renders: these tests are about what rendering shows and costs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]

# Site + page routing, two site settings, the menu, one query per image-bearing
# block type for images and one for their renditions, page links, the logo,
# product sections (one UNION + the tile query, its three prefetches and the tiles'
# stocked options, the 30-day lowest prices and the running promotions' offers) and
# category tiles (their images in one query, renditions in another).
# Before variants (main at d59fc15): 27; before promotions: 28; before the shop's categories
# in the main menu (one query for the whole tree, commerce.services.catalog.category_menu): 29.
HOMEPAGE_QUERY_BUDGET = 30


@pytest.fixture
def site_with_catalog(db):
    """The demo's pages, pictures and settings, and a catalog of products in variants (two
    axes) and products without axes, all featured, in four top-level categories."""
    report = SeedReport()
    homepage = ensure_site()
    images = ensure_images(report)
    pages = ensure_content_pages(homepage, images, report)
    ensure_settings(Site.objects.get(is_default_site=True), images, pages, report)
    make_shop(homepage)
    picture = make_image("Product picture", size=(600, 600))
    size, _ = make_attribute("Size", ["S", "M", "L"], varies_per_variant=True)
    colour, _ = make_attribute("Colour", ["Green", "Blue"], varies_per_variant=True)
    categories = [make_category(name, image=images["kitchen"]) for name in ("A", "B", "C", "D")]
    for category in categories:
        make_bulk_catalog(
            3,
            category=category,
            axes=[size, colour],
            variants_per_product=6,
            images=[picture],
            is_featured=True,
        )
        make_bulk_catalog(3, category=category, images=[picture], is_featured=True)
    return images, pages


def build_homepage(images, pages, copies):
    homepage = HomePage.objects.get()
    categories = Category.objects.filter(depth=1)[:4]
    homepage.body = homepage_body(images, pages, categories) * copies
    homepage.save_revision().publish()


def count_homepage_queries(client):
    client.get("/")  # first render creates the image renditions; later ones reuse them
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_homepage_queries_do_not_grow_with_blocks(
    client, site_with_catalog, django_assert_max_num_queries
):
    build_homepage(*site_with_catalog, copies=1)
    one_each, html = count_homepage_queries(client)
    assert html.count("stream__block--hero_banner") == 1
    assert "product-tile__options" in html  # the tiles show their sizes and colours

    build_homepage(*site_with_catalog, copies=6)
    six_each, html = count_homepage_queries(client)
    assert html.count("stream__block--hero_banner") == 6
    assert html.count('class="banner"') == 18
    assert html.count('class="category-tile"') == 24
    assert html.count('class="product-section"') == 12

    print(f"homepage queries: {one_each} with one of each block, {six_each} with six")
    assert six_each == one_each
    with django_assert_max_num_queries(HOMEPAGE_QUERY_BUDGET):
        client.get("/")


def test_homepage_queries_do_not_grow_with_variants_or_axes(client, site_with_catalog):
    build_homepage(*site_with_catalog, copies=1)
    few, _ = count_homepage_queries(client)
    grow_variants_and_axes()
    many, html = count_homepage_queries(client)
    assert "Slim" in html
    assert few == many, f"{few} queries with 6 variants over 2 axes, {many} with 12 over 3"


# A page-cache miss of the homepage (the page cache on, a URL not served since the last change):
# the product sections' tiles come from fragments kept per product and catalog version, and the
# storefront's categories (menu, category sections' branches) from one list per version. What
# stands above the 12: the page cache's own reads on a miss (version, two promotion
# boundaries), Wagtail's site and routing, two site settings, the menu's pages, and the blocks'
# images, renditions, page links and logo, one query each (measured: 31 with one or six of
# each block; 30 rendered without the page cache).
HOMEPAGE_MISS_BUDGET = 31


@pytest.mark.parametrize("copies", [1, 6])
def test_homepage_miss_keeps_its_budget(client, site_with_catalog, settings, copies):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 600  # after the module's no_page_cache
    build_homepage(*site_with_catalog, copies=copies)
    client.get("/?seen=1")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.headers["X-Storefront-Cache"] == "miss"
    print(f"homepage miss with {copies} of each block: {len(queries)} queries")
    assert len(queries) <= HOMEPAGE_MISS_BUDGET
