"""Integration API v1 (/external/v1/): AMPER's shapes, API keys, paging, visibility, queries."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from wagtail.documents import get_document_model

from commerce.integrations.models import ApiKey, Scope, hash_key
from commerce.models import Product, ProductDocument, ProductStatus, Stock
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    make_warehouse,
    only_variant,
)

BASE = "/external/v1"
LISTS = [
    "products",
    "variants",
    "categories",
    "product-categories",
    "product-files",
    "stocks",
    "stock-locations",
]

# The first item of the example product list in AMPER's documentation, as published.
AMPER_PRODUCT_EXAMPLE = {
    "id": 1037,
    "name": "BAHAMA zapach samochodowy NASZYJNIK Wild Hibiskus /1szt",
    "short_code": "850267",
    "description": "Zapachy inspirowane wakacjami oraz trendami konsumenckimi.",
    "ean": "978020137962",
    "sku": "850267",
    "vat": 23,
    "default_unit_of_measure": "szt.",
    "weight": "0.20",
    "default_price": "25.43",
}
# What we add: from AMPER's own Product model, false marks a disabled product; `variants`
# lists what the product is sold as.
EXTRA_PRODUCT_KEYS = {"is_published", "variants"}


def make_key(name="ERP", **fields):
    row = ApiKey(name=name, **fields)
    key = row.set_new_key()
    row.save()
    return row, key


@pytest.fixture
def api_key(db):
    return make_key()[1]


@pytest.fixture
def get(client, api_key):
    """GET with a valid key in the query string (AMPER's way)."""

    def _get(path, **params):
        return client.get(f"{BASE}{path}", {"api_key": api_key, **params})

    return _get


@pytest.fixture
def catalog(db):
    root = make_category("Car", sort_order=2)
    child = make_category("Fragrances", parent=root)
    off = make_category("Old stock", is_active=False)
    below_off = make_category("Older stock", parent=off)
    make_warehouse("main")
    make_warehouse("closed", is_active=False)
    bahama = make_product(
        "BAHAMA zapach",
        sku="850267",
        ean="9780201379624",
        price=Decimal("25.43"),
        weight=Decimal("0.200"),
        unit="szt.",
        description="<p>Zapachy &amp; trendy.</p><p>Linia 1<br/>Linia 2</p>",
        main_category=child,
        stock={"main": 5, "closed": 3},
        images=1,
    )
    bahama.additional_categories.add(root, off)
    bahama.save()  # a ParentalManyToManyField is written on save
    disabled = make_product(
        "Disabled", status=ProductStatus.DISABLED, main_category=child, stock={"main": 2}
    )
    hidden = make_product(
        "Hidden", status=ProductStatus.HIDDEN, main_category=child, stock={"main": 4}, images=1
    )
    draft = make_product("Draft", publish=False, main_category=child, stock={"main": 4})
    with_draft = make_product("Live name", main_category=below_off, price=Decimal("9.99"))
    with_draft.name = "Draft name"
    draft_variants = list(with_draft.variants.all())
    draft_variants[0].price = Decimal("1.00")
    with_draft.variants = draft_variants
    with_draft.save_revision()
    return {
        "root": root,
        "child": child,
        "off": off,
        "below_off": below_off,
        "bahama": bahama,
        "disabled": disabled,
        "hidden": hidden,
        "draft": draft,
        "with_draft": with_draft,
    }


# --- Authentication ----------------------------------------------------------------------------


def _detail_urls(catalog):
    return [f"{BASE}/{name}/" for name in LISTS] + [
        f"{BASE}/products/{catalog['bahama'].pk}/",
        f"{BASE}/categories/{catalog['root'].pk}/",
    ]


def _assert_401(response):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Unauthorized"}


def test_no_wrong_or_revoked_key_gets_401_json_never_data(client, catalog):
    revoked_row, revoked = make_key("old")
    revoked_row.revoke()
    good_row, good = make_key("good")
    wrong_secret = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for url in _detail_urls(catalog):
        _assert_401(client.get(url))
        _assert_401(client.get(url, {"api_key": ""}))
        _assert_401(client.get(url, {"api_key": "nonsense"}))
        _assert_401(client.get(url, {"api_key": wrong_secret}))
        _assert_401(client.get(url, {"api_key": revoked}))
        _assert_401(client.get(url, HTTP_AUTHORIZATION=f"Api-Key {revoked}"))
        _assert_401(client.get(url, HTTP_AUTHORIZATION=f"Bearer {good}"))
        _assert_401(client.get(url, HTTP_AUTHORIZATION=good))
        # A good key does not excuse a wrong one sent alongside it.
        _assert_401(
            client.get(url, {"api_key": wrong_secret}, HTTP_AUTHORIZATION=f"Api-Key {good}")
        )
        _assert_401(client.get(url, {"api_key": good}, HTTP_AUTHORIZATION=f"Api-Key {revoked}"))
        # Bad parameters are not answered before the key is checked.
        _assert_401(client.get(url, {"page": "0", "updated_since": "garbage"}))


def test_key_in_query_or_authorization_header(client, catalog, api_key):
    url = f"{BASE}/products/"
    assert client.get(url, {"api_key": api_key}).status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION=f"Api-Key {api_key}").status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION=f"api-key {api_key}").status_code == 200
    both = client.get(url, {"api_key": api_key}, HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert both.status_code == 200
    # Another scheme in Authorization (e.g. a proxy's Basic auth) is not ours: ignored.
    assert client.get(url, {"api_key": api_key}, HTTP_AUTHORIZATION="Basic eDp5").status_code == 200


def test_only_a_hash_of_the_key_is_stored():
    row = ApiKey(name="ERP")
    key = row.set_new_key()
    assert re.fullmatch(r"sfk_[0-9a-f]{12}[A-Za-z0-9_-]{43}", key)
    assert row.key_hash == hash_key(key) != key
    assert row.prefix == key[:16]
    stored = [str(getattr(row, f.attname)) for f in ApiKey._meta.concrete_fields]
    assert not any(key in value for value in stored)
    assert row.matches(key) and not row.matches(key + "x")
    assert row.set_new_key() != key  # random every time


def test_last_used_is_written_at_most_once_a_minute(
    client, db, django_assert_num_queries, django_assert_max_num_queries
):
    row, key = make_key()
    url = f"{BASE}/categories/"
    assert row.last_used_at is None
    client.get(url, {"api_key": key})
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    # Within the minute: no UPDATE (the key, COUNT; no rows, no SELECT).
    with django_assert_num_queries(2):
        client.get(url, {"api_key": key})
    row.refresh_from_db()
    assert row.last_used_at == first
    ApiKey.objects.filter(pk=row.pk).update(last_used_at=first - timedelta(minutes=2))
    with django_assert_num_queries(3):
        client.get(url, {"api_key": key})
    row.refresh_from_db()
    assert row.last_used_at > first - timedelta(minutes=2)


# --- Shapes ------------------------------------------------------------------------------------


def _same_keys_and_types(item, example, extra=frozenset()):
    assert set(item) == set(example) | set(extra)
    for key, value in example.items():
        assert type(item[key]) is type(value), (key, item[key], value)


def test_products_have_ampers_fields_and_types(get, catalog):
    response = get("/products/")
    assert response.status_code == 200
    items = response.json()
    assert isinstance(items, list)  # a bare array, as in AMPER's example
    bahama = next(item for item in items if item["id"] == catalog["bahama"].pk)
    _same_keys_and_types(bahama, AMPER_PRODUCT_EXAMPLE, EXTRA_PRODUCT_KEYS)
    assert bahama == {
        "id": catalog["bahama"].pk,
        "name": "BAHAMA zapach",
        "short_code": "850267",
        "description": "Zapachy & trendy.\n\nLinia 1\nLinia 2",
        "ean": "9780201379624",
        "sku": "850267",
        "vat": 23,
        "default_unit_of_measure": "szt.",
        "weight": "0.20",
        "default_price": "25.43",
        "is_published": True,
        "variants": [
            {
                "id": only_variant(catalog["bahama"]).pk,
                "sku": "850267",
                "ean": "9780201379624",
                "price": "25.43",
                "compare_at_price": None,
                "weight": "0.20",
                "options": {},
                "stock": 5,
            }
        ],
    }
    # Money and weights are exact decimal strings in the raw JSON, never floats.
    assert b'"default_price": "25.43"' in response.content or b'"default_price":"25.43"' in (
        response.content
    )
    detail = get(f"/products/{catalog['bahama'].pk}/")
    assert detail.status_code == 200
    assert detail.json() == bahama


def test_product_without_weight_or_ean_and_fractional_vat(get, db):
    product = make_product("Plain", vat_rate=Decimal("13.50"), price=Decimal("0.10"))
    item = get(f"/products/{product.pk}/").json()
    assert item["weight"] is None
    assert item["ean"] == ""
    assert item["vat"] == 13.5
    assert item["default_price"] == "0.10"
    heavy = make_product("Heavy", weight=Decimal("1.125"))
    assert get(f"/products/{heavy.pk}/").json()["weight"] == "1.125"


def test_only_live_active_products_and_disabled_on_request(get, catalog):
    ids = {item["id"] for item in get("/products/").json()}
    assert ids == {catalog["bahama"].pk, catalog["with_draft"].pk}
    with_disabled = {item["id"]: item for item in get("/products/", include_disabled="true").json()}
    assert set(with_disabled) == ids | {catalog["disabled"].pk}
    assert with_disabled[catalog["disabled"].pk]["is_published"] is False
    assert with_disabled[catalog["bahama"].pk]["is_published"] is True

    for name in ("hidden", "draft", "disabled"):
        response = get(f"/products/{catalog[name].pk}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    for name in ("hidden", "draft"):
        assert get(f"/products/{catalog[name].pk}/", include_disabled="true").status_code == 404
    disabled = get(f"/products/{catalog['disabled'].pk}/", include_disabled="true")
    assert disabled.json()["is_published"] is False
    assert get("/products/999999/").status_code == 404


def test_the_live_version_not_the_draft(get, catalog):
    item = get(f"/products/{catalog['with_draft'].pk}/").json()
    assert (item["name"], item["default_price"]) == ("Live name", "9.99")


def test_categories(get, catalog):
    items = get("/categories/").json()
    assert [item["id"] for item in items] == sorted([catalog["root"].pk, catalog["child"].pk])
    child = get(f"/categories/{catalog['child'].pk}/").json()
    assert child == {
        "id": catalog["child"].pk,
        "name": "Fragrances",
        "description": "",
        "order": 0,
        "parent_id": catalog["root"].pk,
        "external_id": None,
    }
    assert get(f"/categories/{catalog['root'].pk}/").json()["parent_id"] is None
    for name in ("off", "below_off"):
        assert get(f"/categories/{catalog[name].pk}/").status_code == 404


def test_product_categories(get, catalog):
    bahama, root, child = catalog["bahama"].pk, catalog["root"].pk, catalog["child"].pk
    rows = get("/product-categories/").json()
    # with_draft's category sits below an inactive one: not listed.
    assert rows == sorted(
        [
            {"product_id": bahama, "category_id": child, "is_main": True},
            {"product_id": bahama, "category_id": root, "is_main": False},
        ],
        key=lambda row: row["category_id"],
    )
    disabled = get("/product-categories/", include_disabled="1").json()
    assert {"product_id": catalog["disabled"].pk, "category_id": child, "is_main": True} in disabled


def test_product_files(get, catalog):
    files = get("/product-files/").json()
    image = catalog["bahama"].images.get()
    assert files == [
        {
            "id": image.pk,
            "product_id": catalog["bahama"].pk,
            "kind": "image",
            "image": f"http://testserver{image.image.file.url}",
            "file_name": image.image.title,
            "alt": image.alt,
            "order": 0,
        }
    ]


def test_stocks_per_variant_and_active_warehouse(get, catalog):
    rows = get("/stocks/").json()
    main = Stock.objects.get(variant__product=catalog["bahama"], warehouse__code="main")
    assert rows == [
        {
            "id": main.pk,
            "product_id": catalog["bahama"].pk,
            "variant_id": main.variant_id,
            "product_external_id": "850267",
            "stock_level_id": main.warehouse_id,
            "stock_level_external_id": "main",
            "quantity": "5.00",
            "quantity_allocated": "0.00",
        }
    ]
    with_disabled = get("/stocks/", include_disabled="true").json()
    assert {row["product_id"] for row in with_disabled} == {
        catalog["bahama"].pk,
        catalog["disabled"].pk,
    }


# --- Variants ----------------------------------------------------------------------------------


@pytest.fixture
def coat(db):
    """A coat in two sizes and two colours: three active variants, one inactive."""
    make_warehouse("main")
    make_warehouse("closed", is_active=False)
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True, sort_order=1)
    colour, (green, red) = make_attribute("Colour", ["Green", "Red"], varies_per_variant=True)
    coat = make_product(
        "Coat",
        axes=[size, colour],
        variants=[
            {
                "sku": "COAT-S-G",
                "price": Decimal("100.00"),
                "compare_at_price": Decimal("120.00"),
                "ean": "5901234123457",
                "options": [s, green],
                "stock": {"main": 2, "closed": 9},
            },
            {"sku": "COAT-M-G", "price": Decimal("110.00"), "options": [m, green], "stock": 0},
            {"sku": "COAT-S-R", "price": Decimal("100.00"), "options": [s, red], "stock": 4},
            {"sku": "COAT-M-R", "options": [m, red], "is_active": False, "stock": 7},
        ],
    )
    return coat


def test_a_product_lists_its_active_variants_and_the_first_is_its_sku(get, coat):
    item = get(f"/products/{coat.pk}/").json()
    assert (item["sku"], item["short_code"], item["ean"], item["default_price"]) == (
        "COAT-S-G",
        "COAT-S-G",
        "5901234123457",
        "100.00",
    )
    assert [v["sku"] for v in item["variants"]] == ["COAT-S-G", "COAT-M-G", "COAT-S-R"]
    first = item["variants"][0]
    # Options by axis slug, in axis order (Colour before Size: sort_order 0 < 1).
    assert list(first["options"].items()) == [("colour", "Green"), ("size", "S")]
    assert (first["price"], first["compare_at_price"], first["stock"]) == ("100.00", "120.00", 2)
    assert item["variants"][1]["stock"] == 0


def test_a_product_whose_variants_are_all_inactive_is_not_listed(get, coat):
    coat.variants.update(is_active=False)
    assert get(f"/products/{coat.pk}/").status_code == 404
    assert get("/variants/").json() == []
    assert get("/stocks/").json() == []


def test_variants_list_with_product_options_price_and_stock(get, coat):
    single = make_product("Mug", sku="MUG-1", price=Decimal("5.00"), stock=3)
    rows = get("/variants/").json()
    assert [row["sku"] for row in rows] == ["COAT-S-G", "COAT-M-G", "COAT-S-R", "MUG-1"]
    assert rows[0] == {
        "id": coat.variants.get(sku="COAT-S-G").pk,
        "product_id": coat.pk,
        "sku": "COAT-S-G",
        "ean": "5901234123457",
        "price": "100.00",
        "compare_at_price": "120.00",
        "weight": None,
        "options": {"colour": "Green", "size": "S"},
        "stock": 2,
        "is_published": True,
    }
    assert rows[3]["product_id"] == single.pk and rows[3]["options"] == {}


def test_variants_filters_and_paging(get, coat):
    make_product("Mug", sku="MUG-1", ean="5901234123464")
    assert [r["sku"] for r in get("/variants/", product_id=coat.pk).json()] == [
        "COAT-S-G",
        "COAT-M-G",
        "COAT-S-R",
    ]
    assert [r["sku"] for r in get("/variants/", sku="COAT-S-R").json()] == ["COAT-S-R"]
    assert [r["sku"] for r in get("/variants/", ean="5901234123464").json()] == ["MUG-1"]
    # The inactive variant is not offered, not even by its SKU.
    assert get("/variants/", sku="COAT-M-R").json() == []
    assert get("/variants/", sku="NOPE").json() == []
    assert get("/variants/", product_id=999999).json() == []
    assert get("/variants/", product_id="abc").status_code == 400
    assert get("/variants/", sku="x" * 65).status_code == 400
    first = get("/variants/", page_size=2)
    assert first["X-Total-Count"] == "4" and 'rel="next"' in first["Link"]
    second = get("/variants/", page=2, page_size=2).json()
    assert [r["sku"] for r in first.json() + second] == [
        "COAT-S-G",
        "COAT-M-G",
        "COAT-S-R",
        "MUG-1",
    ]


def test_variants_of_disabled_products_only_on_request(get, coat):
    Product.objects.filter(pk=coat.pk).update(status=ProductStatus.DISABLED)
    assert get("/variants/").json() == []
    rows = get("/variants/", include_disabled="true").json()
    assert [(r["sku"], r["is_published"]) for r in rows] == [
        ("COAT-S-G", False),
        ("COAT-M-G", False),
        ("COAT-S-R", False),
    ]


def test_stocks_per_variant_with_its_sku(get, coat):
    rows = get("/stocks/").json()
    # Active variants in active warehouses: the inactive variant's 7 and "closed" are out.
    assert sorted((r["product_external_id"], r["quantity"]) for r in rows) == [
        ("COAT-M-G", "0.00"),
        ("COAT-S-G", "2.00"),
        ("COAT-S-R", "4.00"),
    ]
    assert {r["product_id"] for r in rows} == {coat.pk}


# --- Paging and filters ------------------------------------------------------------------------


@pytest.fixture
def many_products(db):
    return [make_product(f"P{i}") for i in range(7)]


def test_pages_are_ordered_by_id_with_totals_and_links(get, many_products):
    ids = sorted(p.pk for p in many_products)
    first = get("/products/", page_size=3)
    assert [item["id"] for item in first.json()] == ids[:3]
    assert first["X-Total-Count"] == "7"
    assert first["X-Page-Size"] == "3"
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"]
    assert "prev" not in first["Link"]
    third = get("/products/", page=3, page_size=3)
    assert [item["id"] for item in third.json()] == ids[6:]
    assert 'rel="next"' not in third["Link"] and 'rel="prev"' in third["Link"]
    collected = []
    for page in (1, 2, 3):
        collected += [item["id"] for item in get("/products/", page=page, page_size=3).json()]
    assert collected == ids


# Lists with no products in them, so no `include_disabled`.
NO_DISABLED = ("categories", "stock-locations")


@pytest.mark.parametrize("name", LISTS)
def test_paging_edges_never_500(get, many_products, name):
    past = get(f"/{name}/", page=99)
    assert past.status_code == 200 and past.json() == []
    huge = get(f"/{name}/", page=10**20, page_size=10**20)
    assert huge.status_code == 200 and huge.json() == []
    clamped = get(f"/{name}/", page_size=5000)
    assert clamped.status_code == 200 and clamped["X-Page-Size"] == "1000"
    for params in (
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page_size": "0"},
        {"page_size": "x"},
        *([{"include_disabled": "maybe"}] if name not in NO_DISABLED else []),
    ):
        response = get(f"/{name}/", **params)
        assert response.status_code == 400, params
        assert "detail" in response.json()


def test_updated_since(get, many_products):
    old, new = many_products[:3], many_products[3:]
    long_ago = timezone.now() - timedelta(days=30)
    Product.objects.filter(pk__in=[p.pk for p in old]).update(updated_at=long_ago)
    since = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    expected = sorted(p.pk for p in new)
    for value in (
        since.isoformat(),  # +00:00
        since.isoformat().replace("+00:00", "Z"),
        since.isoformat().replace("+00:00", " 00:00"),  # an unencoded + arrives as a space
        since.replace(tzinfo=None).isoformat(),  # naive: UTC
        since.date().isoformat(),
    ):
        items = get("/products/", updated_since=value).json()
        assert [item["id"] for item in items] == expected, value
    assert len(get("/products/", updated_since="2000-01-01").json()) == 7
    # Offsets PostgreSQL itself would refuse, and the ends of the calendar.
    assert len(get("/products/", updated_since="2000-01-01T00:00:00+23:59").json()) == 7
    assert len(get("/products/", updated_since="0001-01-01T00:00:00+01:00").json()) == 7
    assert get("/products/", updated_since="9999-12-31T23:59:59-01:00").json() == []
    assert get("/products/", updated_since="2999-01-01").json() == []


@pytest.mark.parametrize("value", ["garbage", "2025-13-01", "2025-02-30T10:00:00", "", "1e10"])
def test_bad_updated_since_is_400(get, db, value):
    for name in ("products", "variants", "product-categories", "product-files"):
        response = get(f"/{name}/", updated_since=value)
        assert response.status_code == 400
        assert "updated_since" in response.json()["detail"]


def test_updated_since_is_refused_where_rows_have_no_change_time(get, db):
    for name in ("categories", "stocks"):
        response = get(f"/{name}/", updated_since="2025-01-01")
        assert response.status_code == 400
        assert "not supported" in response.json()["detail"]


def test_updated_since_on_relations_follows_the_product(get, catalog):
    Product.objects.update(updated_at=timezone.now() - timedelta(days=30))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert get("/product-categories/", updated_since=since).json() == []
    assert get("/product-files/", updated_since=since).json() == []
    Product.objects.filter(pk=catalog["bahama"].pk).update(updated_at=timezone.now())
    assert len(get("/product-categories/", updated_since=since).json()) == 2
    assert len(get("/product-files/", updated_since=since).json()) == 1


# --- Queries -----------------------------------------------------------------------------------


# One for the key, one COUNT, one page (Category.objects.on_storefront() is a NOT EXISTS
# inside the list's own query); products add their variants and the variants' options,
# variants their options. Product files count pictures and documents apart (one list after
# the other), and select from each kind the page reaches into: one more on a page that
# holds both (TestQueriesPerPage.test_a_product_files_page_of_both_kinds).
QUERIES = {
    "products": 5,
    "variants": 4,
    "categories": 3,
    "product-categories": 3,
    "product-files": 4,
    "stocks": 3,
    "stock-locations": 3,
}


@pytest.mark.django_db
class TestQueriesPerPage:
    """The list endpoints share one catalog, seeded once for the class, not per endpoint.

    It lives in a transaction around the class's tests (each test's own transaction nests
    inside it) that is rolled back after the last one, so no other test sees it.
    """

    @pytest.fixture(scope="class")
    def catalog_media(self, tmp_path_factory):
        return str(tmp_path_factory.mktemp("api-catalog-media"))

    @pytest.fixture(autouse=True)
    def _media_in_tmp(self, settings, catalog_media):
        """The shared catalog's pictures stay where they were saved."""
        settings.MEDIA_ROOT = catalog_media

    @pytest.fixture(scope="class")
    def big_catalog(self, django_db_setup, django_db_blocker, catalog_media):
        with django_db_blocker.unblock(), transaction.atomic():
            with override_settings(MEDIA_ROOT=catalog_media):
                category = make_category("All")
                make_warehouse("main")
                make_warehouse("second")
                for n in range(6):  # stock locations to page through
                    make_warehouse(f"empty-{n}")
                size, sizes = make_attribute("Size", ["S", "M", "L"], varies_per_variant=True)
                colour, colours = make_attribute("Colour", ["G", "R"], varies_per_variant=True)
                products = []
                for i in range(12):
                    # Every third product has two axes and up to six variants: the count
                    # per page must not follow the number of variants or axes.
                    variants = None
                    if i % 3 == 0:
                        variants = [
                            {"sku": f"Q{i}-{s.pk}-{c.pk}", "options": [s, c], "stock": i}
                            for s in sizes[: 1 + i % 4]
                            for c in colours
                        ]
                    product = make_product(
                        f"Q{i}",
                        main_category=category,
                        stock={"main": i, "second": 1},
                        images=int(i < 6),
                        variants=variants,
                        axes=[size, colour] if variants else (),
                    )
                    product.additional_categories.add(category)
                    product.save()
                    products.append(product)
                for i in range(11):
                    make_category(f"C{i}", parent=category)
                for product in products[:4]:  # listed after the six pictures
                    document = get_document_model().objects.create(
                        title=f"{product.name}.pdf",
                        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name=f"{product.name}.pdf"),
                    )
                    ProductDocument.objects.create(product=product, document=document)
            yield products
            transaction.set_rollback(True)

    @pytest.mark.parametrize("name", LISTS)
    def test_queries_per_page_do_not_grow_with_page_size(
        self, client, big_catalog, django_assert_num_queries, name
    ):
        row, key = make_key()
        row.touch()  # used just now: no last-used UPDATE during the measured requests
        for page_size in (2, 6):
            with django_assert_num_queries(QUERIES[name]):
                response = client.get(f"{BASE}/{name}/", {"api_key": key, "page_size": page_size})
            assert response.status_code == 200
            assert len(response.json()) == page_size

    def test_a_product_files_page_of_both_kinds(
        self, client, big_catalog, django_assert_num_queries
    ):
        """The key, a COUNT per kind, and a page per kind it reaches into, whatever the
        page size: pictures then documents."""
        row, key = make_key()
        row.touch()
        for page_size, kinds in ((8, ["image"] * 6 + ["document"] * 2), (10, None)):
            with django_assert_num_queries(QUERIES["product-files"] + 1):
                response = client.get(
                    f"{BASE}/product-files/", {"api_key": key, "page_size": page_size}
                )
            listed = [item["kind"] for item in response.json()]
            assert listed == (kinds or ["image"] * 6 + ["document"] * 4)


# --- Schema, docs, admin -----------------------------------------------------------------------


def test_openapi_schema_and_docs_are_public(client, db):
    schema = client.get(f"{BASE}/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths) == {
        f"{BASE}/products/",
        f"{BASE}/products/{{id}}/",
        f"{BASE}/categories/",
        f"{BASE}/categories/{{id}}/",
        f"{BASE}/product-categories/",
        f"{BASE}/product-files/",
        f"{BASE}/related-products/",
        f"{BASE}/stocks/",
        f"{BASE}/stock-locations/",
        f"{BASE}/variants/",
        f"{BASE}/promotions/",
        f"{BASE}/orders/",
        f"{BASE}/orders/{{token}}/",
        f"{BASE}/orders/{{token}}/status/",
        f"{BASE}/jobs/",
        f"{BASE}/jobs/{{job_id}}/",
    }
    schemes = schema.json()["components"]["securitySchemes"]
    assert {s["in"]: s["name"] for s in schemes.values()} == {
        "query": "api_key",
        "header": "Authorization",
    }
    assert client.get(f"{BASE}/docs/").status_code == 200


def test_staff_create_a_key_shown_once_and_revoke_it(admin_client, homepage, client):
    add_url = reverse("wagtailsnippets_integrations_apikey:add")
    form = admin_client.get(add_url)
    assert form.status_code == 200 and b'name="revoke"' not in form.content
    # A new key reads the catalog unless staff choose otherwise.
    assert re.search(rb'value="read_catalog"[^>]*checked', form.content)
    assert not re.search(rb'value="write_catalog"[^>]*checked', form.content)
    response = admin_client.post(add_url, {"name": "Ceneo", "scopes": ["read_catalog"]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(rb"sfk_[0-9a-f]{12}[A-Za-z0-9_-]{43}", response.content).group().decode()
    row = ApiKey.objects.get(name="Ceneo")
    assert row.key_hash == hash_key(key)
    assert client.get(f"{BASE}/stocks/", {"api_key": key}).status_code == 200

    listing = admin_client.get(reverse("wagtailsnippets_integrations_apikey:list"))
    assert listing.status_code == 200
    assert row.prefix.encode() in listing.content and key.encode() not in listing.content
    edit_url = reverse("wagtailsnippets_integrations_apikey:edit", args=[row.pk])
    edit = admin_client.get(edit_url)
    assert key.encode() not in edit.content
    admin_client.post(edit_url, {"name": "Ceneo feed", "scopes": ["read_catalog"], "revoke": "on"})
    row.refresh_from_db()
    assert row.name == "Ceneo feed" and row.revoked_at is not None
    _assert_401(client.get(f"{BASE}/stocks/", {"api_key": key}))


def test_the_admin_menu_has_integrations(admin_client, homepage):
    response = admin_client.get(reverse("wagtailadmin_home"))
    assert b"Integrations" in response.content


# --- Fuzzing the schema --------------------------------------------------------------------------


def test_schemathesis_no_5xx_and_responses_match_the_schema(
    catalog, many_products, wsgi_app_in_test_transaction
):
    import schemathesis
    from schemathesis import GenerationMode

    from tests.commerce.integrations.schemathesis_nul import run_cases

    application = wsgi_app_in_test_transaction

    # Every scope: the order endpoints, the status change too, are fuzzed as well as the catalog.
    _, key = make_key("schemathesis", scopes=list(Scope.values))
    schema = schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", application)
    # No NUL in the cases schemathesis draws itself: run_cases adds it to a third of them,
    # which must then be refused (a NUL in a valid-looking api_key is a 400, not a 401).
    schema.config.generation.update(allow_x00=False)
    headers = {"Authorization": f"Api-Key {key}"}
    # Mostly valid requests (checked against the response schemas), some invalid ones
    # (which must get a documented 4xx).
    strategy = schema.as_strategy(headers=headers) | schema.as_strategy(
        GenerationMode.NEGATIVE, headers=headers
    )

    # A third of the cases also get NUL in every string and key (schemathesis_nul.py beside it).
    sent = run_cases(strategy, label="/external/v1/", max_examples=250)
    assert sent["nul"] > 10
