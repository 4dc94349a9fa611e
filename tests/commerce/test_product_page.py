"""The product page of a product sold in variants: choosing one, the picker, JSON-LD, cost."""

import json
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce.models import ProductStatus
from commerce.services.catalog.product_page import (
    NOT_AVAILABLE,
    get_visible_product,
    variant_url,
)
from tests.factories.catalog import make_attribute, make_product, only_variant

# Every request renders: these tests are about what rendering shows and costs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]


@pytest.fixture
def axes(db):
    size, (s, m, large) = make_attribute(
        "Size", ["S", "M", "L"], varies_per_variant=True, sort_order=1
    )
    colour, (red, green) = make_attribute(
        "Colour", ["Red", "Green"], varies_per_variant=True, sort_order=2
    )
    green.swatch = "#2e7d32"
    green.save()
    return {"size": size, "colour": colour, "s": s, "m": m, "l": large, "red": red, "green": green}


@pytest.fixture
def coat(shop, axes):
    """S/Red and M/Red in stock, M/Green sold out, L/Green inactive; no S/Green, no L/Red."""
    a = axes
    return make_product(
        "Heritage coat",
        axes=[a["size"], a["colour"]],
        images=2,
        variants=[
            {
                "sku": "COAT-S-RED",
                "ean": "4006381333931",
                "price": Decimal("120.00"),
                "options": [a["s"], a["red"]],
                "stock": 3,
            },
            {
                "sku": "COAT-M-RED",
                "price": Decimal("130.00"),
                "compare_at_price": Decimal("150.00"),
                "weight": Decimal("1.250"),
                "options": [a["m"], a["red"]],
                "stock": {"main": 0, "north": 2},
            },
            {"sku": "COAT/M GREEN", "price": Decimal("130.00"), "options": [a["m"], a["green"]]},
            {
                "sku": "COAT-L-GREEN",
                "price": Decimal("99.00"),
                "options": [a["l"], a["green"]],
                "stock": 9,
                "is_active": False,
            },
        ],
    )


def get(client, product, query=""):
    response = client.get(f"/shop/p/{product.slug}/{query}")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def chosen_variant_field(soup, form="form.add-to-cart"):
    return soup.select_one(f"{form} input[name=variant]")["value"]


def variant_of(product, sku):
    return product.variants.get(sku=sku)


def option_label(soup, axis, value):
    radio = soup.select_one(f"form.variant-picker input[name={axis}][value={value}]")
    return radio.find_parent("label")


def summary(soup):
    return {
        "price": soup.select_one(".product__price .money").get_text(" ", strip=True),
        "availability": soup.select_one("[data-variant-summary] .availability").get_text(
            strip=True
        ),
        "sku": soup.select_one(".product__sku").get_text(" ", strip=True)
        if not soup.select_one(".product__sku").has_attr("hidden")
        else None,
    }


class TestVariantUrl:
    def test_quotes_the_sku(self, coat):
        variant = variant_of(coat, "COAT/M GREEN")
        # Every character but letters, digits and "_.-~" is escaped, "/" and "&" too.
        assert variant_url("/shop/p/coat/", variant) == "/shop/p/coat/?variant=COAT%2FM%20GREEN"


class TestChoosing:
    def test_nothing_chosen_shows_the_lowest_price_from_and_the_prompt(self, client, coat):
        soup = get(client, coat)
        assert summary(soup) == {"price": "120.00 EUR", "availability": "In stock", "sku": None}
        assert not soup.select_one("[data-price-from]").has_attr("hidden")
        assert chosen_variant_field(soup) == ""
        assert chosen_variant_field(soup, "form.add-to-list") == ""
        assert soup.select_one("[data-choose-prompt]").get_text(strip=True) == (
            "Choose size and colour."
        )
        assert soup.select_one("[data-choice-message]").has_attr("hidden")
        # Nothing chosen is not an error: the cart view says what to choose.
        assert not soup.select_one("form.add-to-cart button").has_attr("disabled")

    def test_sku_in_the_url_chooses_that_variant(self, client, coat):
        variant = variant_of(coat, "COAT-M-RED")
        soup = get(client, coat, "?variant=COAT-M-RED")
        assert summary(soup) == {
            "price": "130.00 EUR",
            "availability": "In stock",
            "sku": "SKU COAT-M-RED",
        }
        assert soup.select_one("[data-compare-at]").get_text(" ", strip=True) == "150.00 EUR"
        assert soup.select_one("[data-price-from]").has_attr("hidden")
        assert chosen_variant_field(soup) == str(variant.pk)
        assert chosen_variant_field(soup, "form.add-to-list") == str(variant.pk)
        assert soup.select_one("form.add-to-cart input[name=next]")["value"] == (
            f"/shop/p/{coat.slug}/?variant=COAT-M-RED"
        )
        assert option_label(soup, "size", "m").input.has_attr("checked")
        assert option_label(soup, "colour", "red").input.has_attr("checked")
        assert soup.select_one("[data-weight]").get_text(strip=True) == "1.25 kg"

    def test_a_quoted_sku_with_a_slash_and_a_space(self, client, coat):
        soup = get(client, coat, "?variant=" + quote("COAT/M GREEN"))
        assert summary(soup)["sku"] == "SKU COAT/M GREEN"
        assert summary(soup)["availability"] == "Out of stock"
        assert soup.select_one("form.add-to-cart button").has_attr("disabled")

    def test_the_no_javascript_form_chooses_by_axis(self, client, coat):
        soup = get(client, coat, "?size=s&colour=red")
        assert summary(soup)["sku"] == "SKU COAT-S-RED · EAN 4006381333931"
        assert chosen_variant_field(soup) == str(variant_of(coat, "COAT-S-RED").pk)

    def test_the_picker_is_a_get_form_with_one_group_per_axis(self, client, coat):
        soup = get(client, coat)
        form = soup.select_one("form.variant-picker")
        assert form["method"] == "get" and form["action"] == f"/shop/p/{coat.slug}/"
        assert [legend.get_text(strip=True) for legend in form.select("legend")] == [
            "Size",
            "Colour",
        ]
        # Options that only an inactive variant has are not offered... L is only on the
        # inactive L/Green; S, M offered.
        assert [i["value"] for i in form.select("input[name=size]")] == ["s", "m"]
        assert [i["value"] for i in form.select("input[name=colour]")] == ["red", "green"]
        assert form.select_one("button[type=submit]").get_text(strip=True) == "Show this variant"

    def test_the_sku_wins_over_axis_parameters(self, client, coat):
        soup = get(client, coat, "?variant=COAT-S-RED&size=m&colour=green")
        assert summary(soup)["sku"] == "SKU COAT-S-RED · EAN 4006381333931"

    def test_a_partial_choice_keeps_it_and_chooses_nothing(self, client, coat):
        soup = get(client, coat, "?size=m")
        assert option_label(soup, "size", "m").input.has_attr("checked")
        assert chosen_variant_field(soup) == ""
        assert soup.select_one("[data-choice-message]").has_attr("hidden")

    @pytest.mark.parametrize(
        "query",
        [
            "?size=s&colour=green",  # no such variant
            "?size=l&colour=green",  # only an inactive one
            "?size=xxl&colour=red",  # no such option
            "?variant=NOPE",
            "?variant=COAT-L-GREEN",  # inactive
            "?variant=" + "X" * 5000,
        ],
    )
    def test_a_choice_that_is_not_available_says_so_and_chooses_nothing(self, client, coat, query):
        soup = get(client, coat, query)
        message = soup.select_one("[data-choice-message]")
        assert not message.has_attr("hidden")
        assert message.get_text(strip=True) == NOT_AVAILABLE
        assert chosen_variant_field(soup) == ""
        assert summary(soup)["sku"] is None

    @pytest.mark.parametrize("query", ["?variant=COAT-S-RED%00", "?size=%00&colour=red"])
    def test_nul_bytes_are_a_bad_request_never_a_500(self, client, coat, query):
        assert client.get(f"/shop/p/{coat.slug}/{query}").status_code == 400

    def test_the_service_itself_compares_nul_bytes_without_the_database(self, coat):
        from commerce.services.catalog.product_page import (
            choose_variant,
            page_variants,
            product_axes,
        )

        product = get_visible_product(coat.slug)
        for params in ({"variant": "COAT-S-RED\x00"}, {"size": "s\x00", "colour": "red"}):
            selection = choose_variant(params, product_axes(product), page_variants(product))
            assert selection.variant is None and selection.message == NOT_AVAILABLE

    def test_another_products_sku_chooses_nothing(self, client, coat, axes):
        other = make_product(
            "Rain coat",
            axes=[axes["size"]],
            variants=[{"sku": "RAIN-S", "options": [axes["s"]], "stock": 1}],
        )
        soup = get(client, coat, "?variant=RAIN-S")
        assert not soup.select_one("[data-choice-message]").has_attr("hidden")
        assert chosen_variant_field(soup) == ""
        # ...and on its own page it is chosen (its only axis has one option anyway).
        soup = get(client, other, "?variant=RAIN-S")
        assert chosen_variant_field(soup) == str(only_variant(other).pk)

    def test_an_axis_with_one_option_is_chosen_already(self, client, shop, axes):
        tee = make_product(
            "Tee",
            axes=[axes["size"], axes["colour"]],
            variants=[
                {"sku": "TEE-S", "options": [axes["s"], axes["red"]], "stock": 1},
                {"sku": "TEE-M", "options": [axes["m"], axes["red"]], "stock": 1},
            ],
        )
        soup = get(client, tee, "?size=m")
        assert option_label(soup, "colour", "red").input.has_attr("checked")
        assert summary(soup)["sku"] == "SKU TEE-M"

    def test_a_deleted_variant_sku_chooses_nothing(self, client, coat):
        variant = variant_of(coat, "COAT-S-RED")
        coat.variants.remove(variant)
        coat.save()
        coat.save_revision().publish()
        soup = get(client, coat, "?variant=COAT-S-RED")
        assert not soup.select_one("[data-choice-message]").has_attr("hidden")
        assert "s" not in [i["value"] for i in soup.select("form.variant-picker [name=size]")]


class TestUnavailableOptions:
    def test_marked_relative_to_the_other_choice(self, client, coat):
        soup = get(client, coat, "?size=m")
        # M/Red in stock; M/Green exists but is sold out.
        assert "is-unavailable" not in option_label(soup, "colour", "red")["class"]
        green = option_label(soup, "colour", "green")
        assert "is-unavailable" in green["class"]
        assert green.select_one("[data-option-state]").get_text(strip=True) == "(out of stock)"

        soup = get(client, coat, "?colour=green")
        small = option_label(soup, "size", "s")
        assert "is-unavailable" in small["class"]
        assert small.select_one("[data-option-state]").get_text(strip=True) == "(not available)"

    def test_with_nothing_chosen_an_option_is_marked_only_when_no_variant_has_stock(
        self, client, coat
    ):
        soup = get(client, coat)
        assert "is-unavailable" not in option_label(soup, "colour", "red")["class"]
        assert "is-unavailable" in option_label(soup, "colour", "green")["class"]
        assert "is-unavailable" not in option_label(soup, "size", "m")["class"]

    def test_swatches_are_styled_from_a_nonced_block(self, client, coat, axes):
        soup = get(client, coat)
        green = option_label(soup, "colour", "green")
        assert green.select_one(f".variant-picker__swatch.swatch-{axes['green'].pk}")
        style = [s for s in soup.select("head style") if "swatch-" in s.get_text()][0]
        assert style.has_attr("nonce")
        assert f".swatch-{axes['green'].pk} {{ background: #2e7d32; }}" in style.get_text()
        assert not soup.select("[style]")

    def test_a_malformed_swatch_never_reaches_the_style_block(self, client, coat, axes):
        red = axes["red"]
        red.swatch = "red;}"
        red.save()
        html = get(client, coat).decode()
        assert "red;}" not in html


class TestEmbeddedVariants:
    def test_json_for_the_script(self, client, coat):
        soup = get(client, coat)
        data = json.loads(soup.select_one("script#variant-data").string)
        assert data["axes"] == ["size", "colour"]
        by_sku = {v["sku"]: v for v in data["variants"]}
        assert set(by_sku) == {"COAT-S-RED", "COAT-M-RED", "COAT/M GREEN"}
        assert by_sku["COAT-M-RED"] == {
            "id": variant_of(coat, "COAT-M-RED").pk,
            "sku": "COAT-M-RED",
            "ean": "",
            "options": {"size": "m", "colour": "red"},
            "price": "130.00",
            "compareAt": "150.00",
            # No earlier price in its history: the reduced price (test_price_history.py).
            "lowestPrice": "130.00",
            "availability": "in_stock",
            "weight": "1.25 kg",
            "pictures": [],
            "url": f"/shop/p/{coat.slug}/?variant=COAT-M-RED",
            "offers": [],  # running promotions' (test_promotion_storefront.py)
        }
        assert by_sku["COAT/M GREEN"]["availability"] == "out_of_stock"
        assert by_sku["COAT/M GREEN"]["url"].endswith("?variant=COAT%2FM%20GREEN")

    def test_the_script_is_served_locally(self, client, coat):
        soup = get(client, coat)
        script = soup.select_one("script[src$='variant-picker.js']")
        assert script["src"].startswith("/static/") and script.has_attr("defer")


class TestPictures:
    def test_a_variant_with_pictures_has_its_first_one_in_the_large_view(self, client, coat):
        gallery = list(coat.images.order_by("sort_order"))
        variant = variant_of(coat, "COAT-M-RED")
        variant.images.set([gallery[1].image])
        variant.save()  # a cluster's many-to-many is written on save
        coat.save_revision().publish()
        soup = get(client, coat, "?variant=COAT-M-RED")
        views = soup.select(".gallery figure.gallery__view")
        # Every picture stays in the gallery's order; the variant's own is the one chosen.
        assert [f["data-image"] for f in views] == [str(g.image_id) for g in gallery]
        choices = soup.select(".gallery input[type=radio][data-image-choice]")
        assert [c.has_attr("checked") for c in choices] == [False, True]
        assert [c["value"] for c in choices] == [str(g.image_id) for g in gallery]
        # The chosen one is loaded eagerly, the others when shown.
        assert views[1].img.get("fetchpriority") == "high"
        assert views[0].img.get("loading") == "lazy"

    def test_falls_back_to_the_galleries_first_picture(self, client, coat):
        soup = get(client, coat, "?variant=COAT-S-RED")
        choices = soup.select(".gallery input[type=radio][data-image-choice]")
        assert [c.has_attr("checked") for c in choices] == [True, False]

    def test_each_thumbnail_is_the_label_of_its_view(self, client, coat):
        soup = get(client, coat)
        thumbs = soup.select(".gallery__thumbs label.gallery__thumb")
        choices = soup.select(".gallery input[data-image-choice]")
        assert [t["for"] for t in thumbs] == [c["id"] for c in choices]
        assert thumbs[1].get_text(strip=True) == "Show picture 2 of 2"
        # Each radio is followed by its view: the CSS shows the checked one's.
        assert all(c.find_next_sibling().name == "figure" for c in choices)

    def test_one_picture_has_no_thumbnails(self, client, shop):
        lamp = make_product("Lamp", images=1, stock=1)
        soup = get(client, lamp)
        assert len(soup.select(".gallery figure")) == 1
        assert not soup.select(".gallery__thumbs")


class TestWithoutAxes:
    def test_its_one_variant_is_chosen_and_there_is_no_picker(self, client, shop):
        lamp = make_product("Lamp", sku="LAMP-1", price=Decimal("45.00"), stock=2)
        soup = get(client, lamp)
        assert not soup.select_one("form.variant-picker")
        assert not soup.select_one("script#variant-data")
        assert not soup.select_one("script[src$='variant-picker.js']")
        assert summary(soup) == {
            "price": "45.00 EUR",
            "availability": "In stock",
            "sku": "SKU LAMP-1",
        }
        assert chosen_variant_field(soup) == str(only_variant(lamp).pk)
        assert soup.select_one("form.add-to-cart input[name=next]")["value"] == (
            f"/shop/p/{lamp.slug}/"
        )

    def test_parameters_are_ignored(self, client, shop):
        lamp = make_product("Lamp", sku="LAMP-1", stock=2)
        soup = get(client, lamp, "?variant=OTHER&size=m")
        assert chosen_variant_field(soup) == str(only_variant(lamp).pk)

    def test_an_inactive_only_variant_is_unavailable(self, client, shop):
        lamp = make_product("Lamp", sku="LAMP-1", stock=2, is_active=False)
        soup = get(client, lamp)
        assert soup.select_one(".availability").get_text(strip=True) == "Unavailable"
        assert not soup.select_one(".product__price")
        assert soup.select_one("form.add-to-cart button").has_attr("disabled")
        assert chosen_variant_field(soup) == ""

    def test_a_disabled_product_with_axes_is_unavailable_whatever_is_chosen(
        self, client, shop, axes
    ):
        coat = make_product(
            "Old coat",
            status=ProductStatus.DISABLED,
            axes=[axes["size"]],
            variants=[{"sku": "OLD-S", "options": [axes["s"]], "stock": 5}],
        )
        soup = get(client, coat, "?variant=OLD-S")
        assert summary(soup)["availability"] == "Unavailable"
        assert soup.select_one("form.add-to-cart button").has_attr("disabled")


def json_ld(soup):
    return json.loads(soup.select_one('script[type="application/ld+json"]').string)


class TestStructuredData:
    def test_a_product_with_axes_is_a_product_group(self, client, coat):
        data = json_ld(get(client, coat))
        assert data["@type"] == "ProductGroup"
        assert data["productGroupID"] == str(coat.pk)
        assert data["variesBy"] == ["https://schema.org/size", "https://schema.org/color"]
        assert data["url"] == f"http://localhost/shop/p/{coat.slug}/" or data["url"].endswith(
            f"/shop/p/{coat.slug}/"
        )
        variants = {v["sku"]: v for v in data["hasVariant"]}
        assert set(variants) == {"COAT-S-RED", "COAT-M-RED", "COAT/M GREEN"}
        small = variants["COAT-S-RED"]
        assert small["@type"] == "Product"
        assert small["name"] == "Heritage coat — Size S, Colour Red"
        assert small["gtin"] == "4006381333931"
        assert small["size"] == "S" and small["color"] == "Red"
        assert small["image"].startswith("http://")
        assert small["offers"] == {
            "@type": "Offer",
            "price": "120.00",
            "priceCurrency": "EUR",
            "availability": "https://schema.org/InStock",
            "url": data["url"] + "?variant=COAT-S-RED",
        }
        assert "gtin" not in variants["COAT-M-RED"]
        assert variants["COAT/M GREEN"]["offers"]["availability"] == (
            "https://schema.org/OutOfStock"
        )
        assert variants["COAT/M GREEN"]["offers"]["url"].endswith("?variant=COAT%2FM%20GREEN")
        assert "offers" not in data and "sku" not in data

    def test_an_axis_schema_org_has_no_property_for_is_named(self, client, shop):
        fit, (slim,) = make_attribute("Fit", ["Slim"], varies_per_variant=True)
        jeans = make_product(
            "Jeans", axes=[fit], variants=[{"sku": "J-SLIM", "options": [slim], "stock": 1}]
        )
        data = json_ld(get(client, jeans))
        assert data["variesBy"] == ["Fit"]
        assert data["hasVariant"][0]["additionalProperty"] == [
            {"@type": "PropertyValue", "name": "Fit", "value": "Slim"}
        ]

    def test_a_product_without_axes_stays_a_product_with_one_offer(self, client, shop):
        lamp = make_product(
            "Lamp", sku="LAMP-1", ean="4006381333931", price=Decimal("45.00"), stock=0
        )
        data = json_ld(get(client, lamp))
        assert data["@type"] == "Product"
        assert data["sku"] == "LAMP-1" and data["gtin"] == "4006381333931"
        assert data["offers"] == {
            "@type": "Offer",
            "price": "45.00",
            "priceCurrency": "EUR",
            "availability": "https://schema.org/OutOfStock",
            "url": data["url"],
        }
        assert "hasVariant" not in data


class TestQueryBudget:
    def make_big_coat(self, n_axes, n_variants, **fields):
        """A product with `n_axes` axes and `n_variants` variants (each with a picture)."""
        axes = []
        for index in range(n_axes):
            axis, options = make_attribute(
                f"Axis {index}",
                [f"V{index}-{i}" for i in range(n_variants)],
                varies_per_variant=True,
                sort_order=index,
            )
            options[0].swatch = "#123456"
            options[0].save()
            axes.append((axis, options))
        variants = [
            {
                "sku": f"BIG-{i}",
                "price": Decimal(10 + i),
                "options": [options[i] for _axis, options in axes],
                "stock": {"main": i % 2, "north": 1},
            }
            for i in range(n_variants)
        ]
        product = make_product(
            f"Big {n_axes}x{n_variants}",
            axes=[axis for axis, _ in axes],
            variants=variants,
            images=2,
            **fields,
        )
        gallery = list(product.images.all())
        for index, variant in enumerate(product.variants.all()):
            variant.images.set([gallery[index % 2].image])
            variant.save()
        product.save_revision().publish()
        return product

    def queries(self, client, url):
        client.get(url)  # renditions are made on the first view
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    def test_fixed_whatever_the_variants_and_axes(
        self, client, shop, django_assert_max_num_queries
    ):
        small = make_product("Small", sku="SMALL-1", images=2, stock=1)
        big = self.make_big_coat(3, 20)
        few = self.queries(client, f"/shop/p/{small.slug}/")
        many = self.queries(client, f"/shop/p/{big.slug}/?variant=BIG-7")
        assert few == many, f"{few} queries for 1 variant, {many} for 20 variants x 3 axes"
        with django_assert_max_num_queries(PRODUCT_PAGE_QUERY_BUDGET):
            response = client.get(f"/shop/p/{big.slug}/?variant=BIG-7")
        html = response.content.decode()
        assert html.count('name="axis-0"') == 20 and html.count('name="axis-2"') == 20
        # BIG-7 has the second picture of the gallery: the one in the large view.
        assert re.search(r'id="gallery-2" value="\d+" checked', html)
        with django_assert_max_num_queries(PRODUCT_PAGE_QUERY_BUDGET):
            client.get(f"/shop/p/{small.slug}/")


# +1: the running promotions' offers for the product's variants (one query, however many).
# +10 (issue 16): the delivery-and-returns setting (1), "You may also like" (the chosen ids,
# the category's when none, then the tiles as a listing loads them: tile query, images,
# renditions, tile attributes, lowest prices, offers, stocked options), fixed however many.
# +1: the shop's categories in the main menu (one query for the whole tree).
PRODUCT_PAGE_QUERY_BUDGET = 32
