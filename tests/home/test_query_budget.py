"""The homepage costs a fixed number of queries, however many blocks editors add."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce.models import Category
from home.demo import ensure_content_pages, homepage_body
from home.models import HomePage
from pages.demo import SeedReport, ensure_images

pytestmark = pytest.mark.django_db

# Site + page routing, two site settings, the menu, one query per image-bearing
# block type for images and one for their renditions, page links, the logo,
# product sections (one UNION + the tile query and its three prefetches) and
# category tiles (their images in one query, renditions in another).
HOMEPAGE_QUERY_BUDGET = 27


def build_homepage(homepage, copies):
    report = SeedReport()
    images = ensure_images(report)
    pages = ensure_content_pages(homepage, images, report)
    categories = Category.objects.filter(depth=1)[:4]
    homepage.body = homepage_body(images, pages, categories) * copies
    homepage.save_revision().publish()


def count_homepage_queries(client):
    client.get("/")  # first render creates the image renditions; later ones reuse them
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_homepage_queries_do_not_grow_with_blocks(client, demo, django_assert_max_num_queries):
    homepage = HomePage.objects.get()
    build_homepage(homepage, copies=1)
    one_each, html = count_homepage_queries(client)
    assert html.count("stream__block--hero_banner") == 1

    build_homepage(homepage, copies=6)
    six_each, html = count_homepage_queries(client)
    assert html.count("stream__block--hero_banner") == 6
    assert html.count('class="banner"') == 18
    assert html.count('class="category-tile"') == 24
    assert html.count('class="product-section"') == 12

    print(f"homepage queries: {one_each} with one of each block, {six_each} with six")
    assert six_each == one_each
    with django_assert_max_num_queries(HOMEPAGE_QUERY_BUDGET):
        client.get("/")
