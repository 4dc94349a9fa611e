"""Listing, category, search and product pages cost a fixed number of queries."""

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from commerce.models import AttributeDefinition, Category, Product
from home.demo import seed_demo_content
from home.models import HomePage
from tests.factories.catalog import make_attribute

pytestmark = pytest.mark.django_db

LISTING_QUERY_BUDGET = 22
PRODUCT_QUERY_BUDGET = 18


@pytest.fixture(scope="module")
def catalog_media(tmp_path_factory):
    return str(tmp_path_factory.mktemp("catalog-media"))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, catalog_media):
    """The tests share one seeded catalog (below), so they share its pictures' folder too."""
    settings.MEDIA_ROOT = catalog_media


@pytest.fixture(scope="module")
def big_catalog(django_db_setup, django_db_blocker, catalog_media):
    """120 demo products, seeded once for the module instead of once per test.

    They live in a transaction around the module's tests (each test's own transaction,
    with whatever it changes, nests inside it and is rolled back as usual); this one is
    rolled back at the end, so no other test sees the catalog.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(MEDIA_ROOT=catalog_media):
            seed_demo_content(products=120)
        yield Category.objects.filter(depth=1).first()
        transaction.set_rollback(True)


def queries_for(client, url):
    client.get(url)  # renditions are created on first view
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), response


@pytest.mark.parametrize(
    "url",
    [
        "/shop/?per_page={size}",
        "/shop/c/{category}/?per_page={size}",
        "/shop/search/?q=lasts&per_page={size}",
        "/shop/?per_page={size}&{options}&in_stock=1&min_price=5&sort=-price",
    ],
    ids=["catalog", "category", "search", "filtered"],
)
def test_listing_queries_do_not_depend_on_page_size(
    client, big_catalog, url, django_assert_max_num_queries
):
    sizes = AttributeDefinition.objects.get(slug="size").options.all()
    fill = {
        "category": big_catalog.slug_path,
        "options": "&".join(f"option={o.pk}" for o in sizes[:4]),  # OR within one attribute
    }
    small, response = queries_for(client, url.format(size=12, **fill))
    assert response.content.decode().count('<article class="product-tile') == 12
    large, response = queries_for(client, url.format(size=96, **fill))
    assert response.content.decode().count('<article class="product-tile') > 12
    assert small == large, f"{small} queries for 12 products, {large} for 96"
    with django_assert_max_num_queries(LISTING_QUERY_BUDGET):
        client.get(url.format(size=96, **fill))


def test_product_page_queries_do_not_depend_on_attributes(client, big_catalog):
    product = Product.objects.visible().filter(images__isnull=False).first()
    few, _ = queries_for(client, f"/shop/p/{product.slug}/")
    for index in range(6):
        _, options = make_attribute(f"Extra {index}", ["A", "B"])
        product.attribute_options.add(*options)
    product.save()
    many, response = queries_for(client, f"/shop/p/{product.slug}/")
    assert "Extra 5" in response.content.decode()
    assert few == many <= PRODUCT_QUERY_BUDGET


def test_homepage_product_sections_resolve_in_one_pass(client, big_catalog):
    homepage = HomePage.objects.get()
    sections = [
        ("product_section", {"title": "Featured", "source": "featured", "count": 4}),
        ("product_section", {"title": "New", "source": "newest", "count": 4}),
        (
            "product_section",
            {"title": "Cat", "source": "category", "category": big_catalog, "count": 4},
        ),
        (
            "product_section",
            {
                "title": "Picked",
                "source": "manual",
                "count": 4,
                "products": list(Product.objects.visible()[:3]),
            },
        ),
    ]
    homepage.body = sections[:1]
    homepage.save_revision().publish()
    one, _ = queries_for(client, "/")
    homepage.body = sections * 3
    homepage.save_revision().publish()
    twelve, response = queries_for(client, "/")
    html = response.content.decode()
    assert html.count('class="product-section"') == 12
    # One UNION for all dynamic sections, one query for category branches, one
    # bulk load for hand-picked products.
    assert twelve - one <= 3, f"{one} queries with one section, {twelve} with twelve"


def test_hidden_hand_picked_products_do_not_use_up_the_count(client, big_catalog):
    from commerce.models import ProductStatus

    homepage = HomePage.objects.get()
    picked = list(Product.objects.visible().order_by("pk")[:4])
    Product.objects.filter(pk=picked[0].pk).update(status=ProductStatus.HIDDEN)
    homepage.body = [
        ("product_section", {"title": "Picked", "source": "manual", "count": 3, "products": picked})
    ]
    homepage.save_revision().publish()
    html = client.get("/").content.decode()
    assert html.count('<article class="product-tile') == 3
    assert picked[0].name not in html and picked[3].name in html
