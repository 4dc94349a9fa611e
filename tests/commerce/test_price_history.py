"""The 30-day lowest price (EU Directive 2019/2161): the history, its edges, where it shows.

commerce/services/price_history.py: a row per price that went live (publish, scheduled
publish, import, the demo seed); the lowest price in [moment − 30 days, moment) of the
rows in effect then; shown under every compare-at reduction, tiles and product page.
"""

import json
from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce.demo import DEMO_SKU_PREFIX, seed_catalog
from commerce.models import Product, ProductVariant, VariantPrice
from commerce.services.price_history import (
    lowest_prices_before,
    lowest_prices_before_each,
    lowest_prices_before_reduction,
    record_prices,
    shown_lowest_price,
)
from commerce.services.product_revisions import publish_first_revisions
from tests.commerce.test_catalog_admin import edit_url
from tests.commerce.test_product_revisions import schedule_price, the_day_comes
from tests.factories.catalog import (
    make_attribute,
    make_bulk_catalog,
    make_product,
    only_variant,
    product_form_data,
    variant_form_data,
)

# Every request renders: these tests are about what rendering shows and costs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
D = Decimal


def history(variant):
    """[(price, started_at)] of a variant, oldest first."""
    return [
        (row.price, row.started_at)
        for row in VariantPrice.objects.filter(variant=variant).order_by("started_at", "pk")
    ]


def prices(variant):
    return [price for price, _ in history(variant)]


def set_history(variant, rows, *, now=None):
    """Replaces a variant's history with [(days ago, price)] (or timedeltas ago)."""
    now = now or timezone.now()
    VariantPrice.objects.filter(variant=variant).delete()
    VariantPrice.objects.bulk_create(
        VariantPrice(
            variant=variant,
            price=D(price),
            started_at=now - (ago if isinstance(ago, timedelta) else ago * DAY),
        )
        for ago, price in rows
    )


# --- Recording ----------------------------------------------------------------------------


class TestRecording:
    def test_publishing_a_product_records_its_prices(self):
        product = make_product("Kettle", price=D("30.00"))
        variant = only_variant(product)
        ((price, started_at),) = history(variant)
        assert price == D("30.00")
        assert abs(started_at - timezone.now()) < timedelta(minutes=1)

    def test_a_draft_writes_nothing_and_publishing_it_does(self):
        product = make_product("Kettle", price=D("30.00"))
        draft = product.get_latest_revision_as_object()
        (variant,) = draft.variants.all()
        variant.price = D("25.00")
        draft.variants = [variant]
        revision = draft.save_revision()
        assert prices(variant) == [D("30.00")]

        revision.publish()
        assert prices(variant) == [D("30.00"), D("25.00")]

    def test_an_unpublished_product_records_nothing(self):
        product = make_product("Kettle", price=D("30.00"), publish=False)
        product.save_revision()
        assert not VariantPrice.objects.exists()
        assert record_prices(product.variants.all()) == 0

    def test_publishing_an_unchanged_price_writes_nothing(self):
        product = make_product("Kettle", price=D("30.00"))
        product.name = "Electric kettle"
        product.save_revision().publish()
        assert prices(only_variant(product)) == [D("30.00")]
        assert record_prices([only_variant(product)]) == 0
        assert record_prices(ProductVariant.objects.all()) == 0

    def test_the_admins_publish_records_and_its_save_draft_does_not(self, admin_client):
        product = make_product("Kettle", price=D("30.00"))
        variant = only_variant(product)

        draft = [variant_form_data(variant, price="28.00")]
        response = admin_client.post(edit_url(product), product_form_data(product, variants=draft))
        assert response.status_code == 302
        assert prices(variant) == [D("30.00")]

        data = product_form_data(
            product, variants=[variant_form_data(variant, price="27.00")], **{"action-publish": 1}
        )
        assert admin_client.post(edit_url(product), data).status_code == 302
        assert prices(variant) == [D("30.00"), D("27.00")]

    def test_a_scheduled_price_is_recorded_when_it_goes_live(self, admin_client):
        product = make_product("Kettle", price=D("30.00"))
        variant = only_variant(product)
        schedule_price(admin_client, product, "22.00")
        call_command("publish_scheduled")  # not yet
        assert prices(variant) == [D("30.00")]

        the_day_comes(product)
        assert prices(variant) == [D("30.00"), D("22.00")]
        assert abs(history(variant)[-1][1] - timezone.now()) < timedelta(minutes=1)

    def test_a_first_publication_scheduled_for_later_records_nothing_yet(self):
        product = make_product("Kettle", price=D("30.00"), publish=False)
        later = timezone.now() + DAY
        product.go_live_at = later
        product.save_revision(approved_go_live_at=later).publish()  # sends `published`
        product.refresh_from_db()
        assert not product.live
        assert not VariantPrice.objects.exists()

    def test_the_import_records_new_and_changed_prices_of_live_products(self, tmp_path):
        def run(name, text):
            path = tmp_path / name
            path.write_text(text)
            call_command("import_catalog", str(path), stdout=StringIO(), stderr=StringIO())

        run("new.csv", 'sku,name,price\n"POT-1","Soup pot","10.00"\n')
        variant = ProductVariant.objects.get(sku="POT-1")
        assert prices(variant) == [D("10.00")]

        run("same.csv", 'sku,name,price\n"POT-1","Soup pot","10.00"\n')
        run("cheaper.csv", 'sku,price\n"POT-1","8.50"\n')
        assert prices(variant) == [D("10.00"), D("8.50")]

        # An editor took it off the shop: the import saves a draft, no live price.
        product = variant.product
        product.live = False
        product.save(update_fields=["live"])
        run("draft.csv", 'sku,price\n"POT-1","7.00"\n')
        assert ProductVariant.objects.get(sku="POT-1").price == D("7.00")
        assert prices(variant) == [D("10.00"), D("8.50")]

    def test_the_demo_seed_records_each_variant_once(self, homepage):
        seed_catalog(homepage, 3)
        variants = ProductVariant.objects.filter(
            sku__startswith=DEMO_SKU_PREFIX, product__live=True
        )
        assert variants.exists()
        for variant in variants:
            assert history(variant) == [(variant.price, variant.product.last_published_at)]
        # The demo's promotions' own products (not DEMO- SKUs) are recorded too.
        recorded = VariantPrice.objects.count()
        assert recorded >= variants.count()
        seed_catalog(homepage, 3)  # again: nothing new
        assert VariantPrice.objects.count() == recorded

    def test_the_repair_records_at_each_products_publication_time(self):
        product = make_product("Old", price=D("20.00"), publish=False)
        published_at = timezone.now() - 90 * DAY
        Product.objects.filter(pk=product.pk).update(live=True, last_published_at=published_at)
        assert publish_first_revisions() == 1
        assert history(only_variant(product)) == [(D("20.00"), published_at)]

    def test_recording_costs_the_same_for_1_or_30_variants(self):
        counts = []
        for size in (1, 30):
            products = make_bulk_catalog(size)
            variants = ProductVariant.objects.filter(product__in=products)
            rows = list(variants)
            with CaptureQueriesContext(connection) as queries:
                assert record_prices(rows) == size
            counts.append(len(queries))
            with CaptureQueriesContext(connection) as again:
                assert record_prices(variants) == 0
            assert len(again) == 1
        assert counts == [2, 2]

    def test_a_price_written_outside_a_publication_is_recorded_at_the_moment_given(self):
        (product,) = make_bulk_catalog(1)  # rows written in bulk: no history
        variant = only_variant(product)
        at = timezone.now() - DAY
        assert record_prices([variant.pk], at={variant.pk: at}) == 1
        assert history(variant) == [(variant.price, at)]
        ProductVariant.objects.filter(pk=variant.pk).update(price=D("31.00"))
        assert record_prices([variant.pk]) == 1
        assert prices(variant) == [variant.price, D("31.00")]


class TestSeedMigration:
    def seed(self):
        migration = import_module("commerce.migrations.0017_history_seed")

        class Editor:
            pass

        editor = Editor()
        editor.connection = connection
        migration.seed_history(apps, editor)

    def test_live_variants_get_a_row_at_their_products_last_publication(self):
        live = make_product("Live", price=D("12.00"))
        published_at = timezone.now() - 400 * DAY
        Product.objects.filter(pk=live.pk).update(last_published_at=published_at)
        never = make_product("Never published", price=D("5.00"), publish=False)
        VariantPrice.objects.all().delete()  # as before the migration

        self.seed()
        assert history(only_variant(live)) == [(D("12.00"), published_at)]
        assert history(only_variant(never)) == []

        self.seed()  # again: nothing twice
        assert VariantPrice.objects.count() == 1

    def test_a_live_product_never_marked_published_starts_now(self):
        product = make_product("Bulk", price=D("12.00"))
        Product.objects.filter(pk=product.pk).update(last_published_at=None)
        VariantPrice.objects.all().delete()
        self.seed()
        ((price, started_at),) = history(only_variant(product))
        assert price == D("12.00") and abs(started_at - timezone.now()) < timedelta(minutes=1)


# --- The lowest price at its edges --------------------------------------------------------


@pytest.fixture
def variant(db):
    return only_variant(make_product("Kettle", price=D("10.00")))


@pytest.fixture
def moment():
    return timezone.now().replace(microsecond=0) - 2 * DAY


def lowest(variant, moment):
    return lowest_prices_before([variant.pk], moment)[variant.pk]


class TestLowestPrice:
    def test_the_lowest_of_the_prices_in_the_30_days_before(self, variant, moment):
        set_history(variant, [(20, "12.00"), (10, "9.00"), (5, "11.00"), (0, "7.00")], now=moment)
        assert lowest(variant, moment) == D("9.00")

    def test_a_price_started_exactly_30_days_before_counts(self, variant, moment):
        set_history(variant, [(30, "6.00"), (1, "11.00")], now=moment)
        assert lowest(variant, moment) == D("6.00")

    def test_the_price_it_replaced_one_second_older_does_not(self, variant, moment):
        set_history(variant, [(30 * DAY + SECOND, "5.00"), (30, "8.00")], now=moment)
        assert lowest(variant, moment) == D("8.00")

    def test_a_price_started_before_the_window_and_still_in_effect_counts(self, variant, moment):
        set_history(variant, [(200, "4.00"), (10, "9.00")], now=moment)
        assert lowest(variant, moment) == D("4.00")
        # Replaced one second after the window opened: in effect for that second.
        set_history(variant, [(40, "4.00"), (30 * DAY - SECOND, "9.00")], now=moment)
        assert lowest(variant, moment) == D("4.00")

    def test_a_price_that_ended_before_the_window_does_not(self, variant, moment):
        set_history(variant, [(60, "1.00"), (31, "9.00"), (3, "10.00")], now=moment)
        assert lowest(variant, moment) == D("9.00")

    def test_the_moment_itself_and_later_are_not_before_it(self, variant, moment):
        set_history(variant, [(40, "9.00"), (0, "3.00"), (-1, "2.00")], now=moment)
        assert lowest(variant, moment) == D("9.00")
        assert lowest(variant, moment + SECOND) == D("3.00")

    def test_no_price_before_the_moment_is_none_and_the_reduced_price_is_shown(
        self, variant, moment
    ):
        set_history(variant, [(0, "7.00")], now=moment)
        assert lowest(variant, moment) is None
        VariantPrice.objects.all().delete()
        assert lowest(variant, moment) is None
        assert shown_lowest_price(None, D("7.00")) == D("7.00")
        assert shown_lowest_price(D("6.00"), D("7.00")) == D("6.00")
        assert lowest_prices_before([variant.pk], None) == {variant.pk: None}

    def test_each_variant_at_its_own_moment(self, moment):
        a, b = (only_variant(make_product(n)) for n in ("A", "B"))
        set_history(a, [(40, "5.00"), (20, "8.00")], now=moment)
        set_history(b, [(40, "5.00"), (20, "8.00")], now=moment)
        found = lowest_prices_before([a.pk, b.pk], {a.pk: moment, b.pk: moment - 15 * DAY})
        assert found == {a.pk: D("5.00"), b.pk: D("5.00")}
        found = lowest_prices_before([a.pk, b.pk], {a.pk: moment, b.pk: moment + 15 * DAY})
        assert found == {a.pk: D("5.00"), b.pk: D("8.00")}

    def test_one_variant_at_several_moments_in_one_query(
        self, variant, moment, django_assert_num_queries
    ):
        # Two promotions on one variant, started at different moments: each its own figure.
        set_history(variant, [(65, "10.00"), (25, "8.00"), (5, "10.00")], now=moment)
        other = only_variant(make_product("Other"))
        set_history(other, [(10, "4.00")], now=moment)
        pairs = [
            (variant.pk, moment),
            (variant.pk, moment - 40 * DAY),
            (variant.pk, None),
            (other.pk, moment),
            (other.pk, moment - 10 * DAY),  # the moment its first price started: none before
        ]
        with django_assert_num_queries(1):
            found = lowest_prices_before_each(pairs)
        assert found == {
            (variant.pk, moment): D("8.00"),
            (variant.pk, moment - 40 * DAY): D("10.00"),
            (variant.pk, None): None,
            (other.pk, moment): D("4.00"),
            (other.pk, moment - 10 * DAY): None,
        }
        # The same figures as one moment at a time.
        for (pk, at), price in found.items():
            assert lowest_prices_before([pk], at)[pk] == price

    def test_pairs_without_a_moment_cost_no_query(self, variant, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert lowest_prices_before_each([]) == {}
            assert lowest_prices_before_each([(variant.pk, None)]) == {(variant.pk, None): None}

    def test_a_compare_at_reduction_starts_when_the_current_price_went_live(self, variant):
        now = timezone.now()
        # 12 for long, 10 for a fortnight (the lowest), 15, then reduced to 11.
        set_history(variant, [(100, "12.00"), (50, "10.00"), (36, "15.00"), (6, "11.00")])
        # The window is [36 days ago, 6 days ago): the 10 ended exactly as it opened.
        assert lowest_prices_before_reduction([variant.pk]) == {variant.pk: D("15.00")}
        # Raised to 15 one day later: the 10 was still in effect when the window opened.
        set_history(variant, [(100, "12.00"), (50, "10.00"), (34, "15.00"), (5, "11.00")])
        assert lowest_prices_before_reduction([variant.pk]) == {variant.pk: D("10.00")}
        assert lowest(variant, now - 5 * DAY) == D("10.00")  # the same, given the moment

    def test_one_query_for_1_or_30_variants(self, moment):
        counts = []
        for size in (1, 30):
            variants = list(ProductVariant.objects.filter(product__in=make_bulk_catalog(size)))
            for v in variants:
                set_history(v, [(40, "5.00"), (3, "8.00")], now=moment)
            ids = [v.pk for v in variants]
            with CaptureQueriesContext(connection) as queries:
                assert set(lowest_prices_before(ids, moment).values()) == {D("5.00")}
                per_variant = lowest_prices_before(ids, dict.fromkeys(ids, moment))
                assert set(per_variant.values()) == {D("5.00")}
                assert set(lowest_prices_before_reduction(ids).values()) == {D("5.00")}
            counts.append(len(queries))
        assert counts == [3, 3]


# --- Display ------------------------------------------------------------------------------

LOWEST_TEXT = "Lowest price in the 30 days before the reduction:"


def reduce(product_or_variant, price, compare_at, rows):
    """A published reduction: the variant at `price` with `compare_at`, its history `rows`."""
    variant = (
        only_variant(product_or_variant)
        if isinstance(product_or_variant, Product)
        else product_or_variant
    )
    ProductVariant.objects.filter(pk=variant.pk).update(
        price=D(price), compare_at_price=D(compare_at)
    )
    set_history(variant, rows)
    return variant


def lowest_line(html_or_soup):
    soup = (
        html_or_soup
        if not isinstance(html_or_soup, str)
        else BeautifulSoup(html_or_soup, "html.parser")
    )
    node = soup.select_one("[data-lowest-price]")
    if node is None or node.has_attr("hidden"):
        return None
    return node.get_text(" ", strip=True)


class TestProductPage:
    def test_a_reduced_product_shows_its_lowest_price(self, client, shop):
        kettle = make_product("Kettle")
        reduce(kettle, "8.00", "12.00", [(60, "12.00"), (20, "9.50"), (10, "12.00"), (0, "8.00")])
        html = client.get(f"/shop/p/{kettle.slug}/").content.decode()
        assert lowest_line(html) == f"{LOWEST_TEXT} 9.50 EUR"

    def test_without_a_reduction_nothing_is_shown(self, client, shop):
        kettle = make_product("Kettle", price=D("8.00"))
        html = client.get(f"/shop/p/{kettle.slug}/").content.decode()
        assert lowest_line(html) is None
        assert LOWEST_TEXT not in BeautifulSoup(html, "html.parser").get_text()

    def test_a_reduction_without_an_earlier_price_shows_the_reduced_price(self, client, shop):
        kettle = make_product("Kettle")
        reduce(kettle, "8.00", "12.00", [(2, "8.00")])
        html = client.get(f"/shop/p/{kettle.slug}/").content.decode()
        assert lowest_line(html) == f"{LOWEST_TEXT} 8.00 EUR"

    def test_the_chosen_variants_figure_and_the_pickers_data(self, client, shop):
        size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
        coat = make_product(
            "Coat",
            axes=[size],
            variants=[
                {"sku": "COAT-S", "price": D("100.00"), "options": [s]},
                {"sku": "COAT-M", "price": D("100.00"), "options": [m]},
            ],
        )
        small = coat.variants.get(sku="COAT-S")
        reduce(small, "80.00", "100.00", [(90, "100.00"), (15, "95.00"), (1, "80.00")])

        html = client.get(f"/shop/p/{coat.slug}/", {"variant": "COAT-S"}).content.decode()
        assert lowest_line(html) == f"{LOWEST_TEXT} 95.00 EUR"
        html = client.get(f"/shop/p/{coat.slug}/", {"variant": "COAT-M"}).content.decode()
        assert lowest_line(html) is None
        # Nothing chosen: hidden, there for the picker to fill in.
        html = client.get(f"/shop/p/{coat.slug}/").content.decode()
        soup = BeautifulSoup(html, "html.parser")
        assert soup.select_one("[data-lowest-price][hidden] .money__amount")
        data = json.loads(soup.select_one("#variant-data").string)
        by_sku = {v["sku"]: v for v in data["variants"]}
        assert by_sku["COAT-S"]["lowestPrice"] == "95.00"
        assert by_sku["COAT-M"]["lowestPrice"] is None

    def test_queries_do_not_grow_with_the_discounted_variants(self, client, shop):
        size, options = make_attribute(
            "Size", [f"S{i}" for i in range(20)], varies_per_variant=True
        )

        def page_queries(discounted):
            product = make_product(
                f"Coat {discounted}",
                axes=[size],
                variants=[
                    {"sku": f"C{discounted}-{i}", "price": D("50.00"), "options": [option]}
                    for i, option in enumerate(options)
                ],
            )
            for variant in product.variants.order_by("sort_order")[:discounted]:
                reduce(variant, "40.00", "50.00", [(60, "50.00"), (10, "45.00"), (1, "40.00")])
            url = f"/shop/p/{product.slug}/?variant=C{discounted}-0"
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                html = client.get(url).content.decode()
            assert lowest_line(html) == f"{LOWEST_TEXT} 45.00 EUR"
            assert html.count('"lowestPrice": "45.00"') == discounted
            assert len(queries) > 5  # rendered, not served from a cache
            return len(queries)

        assert page_queries(1) == page_queries(20)


class TestTiles:
    def tiles(self, client, url="/shop/"):
        soup = BeautifulSoup(client.get(url).content, "html.parser")
        return {
            tile.select_one(".product-tile__name").get_text(strip=True): tile
            for tile in soup.select(".product-tile")
        }

    def test_a_discounted_tile_shows_the_lowest_price_of_its_cheapest_variant(self, client, shop):
        size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
        coat = make_product(
            "Coat",
            axes=[size],
            variants=[
                {"sku": "COAT-S", "price": D("100.00"), "options": [s]},
                {"sku": "COAT-M", "price": D("120.00"), "options": [m]},
            ],
        )
        reduce(
            coat.variants.get(sku="COAT-S"),
            "70.00",
            "100.00",
            [(90, "100.00"), (20, "85.00"), (2, "70.00")],
        )
        # The dearer variant's history does not count.
        set_history(coat.variants.get(sku="COAT-M"), [(20, "60.00"), (3, "120.00")])
        make_product("Mug", price=D("9.00"))

        found = self.tiles(client)
        assert lowest_line(found["Coat"]) == f"{LOWEST_TEXT} 85.00 EUR"
        assert found["Coat"].select_one(".product-tile__price").get_text(" ", strip=True) == (
            "from 70.00 EUR 100.00 EUR"
        )
        assert lowest_line(found["Mug"]) is None
        assert not found["Mug"].select("[data-lowest-price]")

    def test_a_listing_of_24_costs_the_same_with_1_or_24_discounted(self, client, shop):
        products = make_bulk_catalog(24)
        variants = list(ProductVariant.objects.filter(product__in=products).order_by("pk"))
        url = "/shop/?per_page=24"

        def listing_queries(discounted):
            for variant in variants[:discounted]:
                reduce(variant, "5.00", "99.00", [(40, "6.00"), (1, "5.00")])
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            text = BeautifulSoup(response.content, "html.parser").get_text(" ", strip=True)
            assert text.count(f"{LOWEST_TEXT} 6.00 EUR") == discounted
            assert len(queries) > 5  # rendered, not served from a cache
            return len(queries)

        assert listing_queries(1) == listing_queries(24)
