"""The storefront catalog: listing, categories, filters, sorting, search, pagination, products."""

import json
import re
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from commerce.models import ProductStatus
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    set_stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(shop):
    """A small catalog with a tree, two attributes and stock."""
    home = make_category("Home")
    kitchen = make_category("Kitchen", home)
    pans = make_category("Pans", kitchen)
    garden = make_category("Garden")
    colour, (red, blue, green) = make_attribute(
        "Colour", ["Red", "Blue", "Green"], show_on_tile=True
    )
    material, (steel, oak) = make_attribute("Material", ["Steel", "Oak"])
    products = {
        "pan": make_product(
            "Steel pan",
            price=Decimal("30.00"),
            main_category=pans,
            options=[red, steel],
            stock=5,
            ean="4006381333931",
        ),
        "pot": make_product(
            "Oak pot",
            price=Decimal("12.50"),
            main_category=kitchen,
            options=[blue, oak],
            stock=0,
            short_description="Hand-turned from a single block",
        ),
        "spade": make_product(
            "Garden spade",
            price=Decimal("45.00"),
            main_category=garden,
            options=[red, oak],
            stock={"main": 1, "north": 2},
        ),
        "kettle": make_product(
            "Old kettle",
            price=Decimal("20.00"),
            main_category=kitchen,
            status=ProductStatus.DISABLED,
            options=[green],
            stock=3,
        ),
        "secret": make_product("Secret pan", main_category=pans, status=ProductStatus.HIDDEN),
        "draft": make_product("Draft pan", main_category=pans, publish=False),
    }
    products["spade"].additional_categories.add(kitchen)
    products["spade"].save_revision().publish()
    return {
        "shop": shop,
        "home": home,
        "kitchen": kitchen,
        "pans": pans,
        "garden": garden,
        "red": red,
        "blue": blue,
        "green": green,
        "steel": steel,
        "oak": oak,
        **products,
    }


def names(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [h.get_text(strip=True) for h in soup.select(".product-tile__name")]


class TestListing:
    def test_lists_visible_products_only(self, client, catalog):
        response = client.get("/shop/")
        assert response.status_code == 200
        assert sorted(names(response)) == ["Garden spade", "Oak pot", "Old kettle", "Steel pan"]

    def test_tile_shows_price_currency_attributes_and_availability(self, client, catalog):
        html = client.get("/shop/").content.decode()
        soup = BeautifulSoup(html, "html.parser")
        tiles = {
            t.select_one(".product-tile__name").get_text(strip=True): t
            for t in soup.select(".product-tile")
        }
        pan = tiles["Steel pan"]
        assert pan.select_one(".money").get_text(" ", strip=True) == "30.00 EUR"
        assert "Colour: Red" in pan.get_text()
        assert "Material" not in pan.get_text()  # not shown on tiles
        assert pan.select_one(".availability").get_text(strip=True) == "In stock"
        assert tiles["Oak pot"].select_one(".availability").get_text(strip=True) == "Out of stock"
        assert tiles["Old kettle"].select_one(".availability").get_text(strip=True) == "Unavailable"
        assert pan.select_one("a")["href"] == f"/shop/p/{catalog['pan'].slug}/"

    def test_category_includes_descendants_and_additional_categories(self, client, catalog):
        response = client.get("/shop/c/home/kitchen/")
        assert sorted(names(response)) == ["Garden spade", "Oak pot", "Old kettle", "Steel pan"]
        assert sorted(names(client.get("/shop/c/home/kitchen/pans/"))) == ["Steel pan"]
        assert sorted(names(client.get("/shop/c/garden/"))) == ["Garden spade"]

    def test_category_page_has_breadcrumb_and_subcategories(self, client, catalog):
        soup = BeautifulSoup(client.get("/shop/c/home/kitchen/").content, "html.parser")
        crumbs = [li.get_text(strip=True) for li in soup.select(".breadcrumb li")]
        assert crumbs == ["Home", "Shop", "Home", "Kitchen"]
        assert [a["href"] for a in soup.select(".subcategories a")] == [
            "/shop/c/home/kitchen/pans/"
        ]
        assert soup.h1.get_text(strip=True) == "Kitchen"

    def test_unknown_or_inactive_category_is_404(self, client, catalog):
        assert client.get("/shop/c/nope/").status_code == 404
        catalog["garden"].is_active = False
        catalog["garden"].save()
        assert client.get("/shop/c/garden/").status_code == 404

    def test_products_of_a_switched_off_subcategory_leave_the_parent_listing(self, client, catalog):
        catalog["pans"].is_active = False
        catalog["pans"].save()
        found = names(client.get("/shop/c/home/kitchen/"))
        assert "Steel pan" not in found and "Oak pot" in found
        assert "Steel pan" in names(client.get("/shop/"))  # still a product of the shop
        soup = BeautifulSoup(client.get(f"/shop/p/{catalog['pan'].slug}/").content, "html.parser")
        crumbs = [li.get_text(strip=True) for li in soup.select(".breadcrumb li")]
        assert crumbs == ["Home", "Shop", "Steel pan"]  # no links to 404 pages

    def test_switching_a_category_off_takes_its_branch_off(self, client, catalog):
        catalog["home"].is_active = False
        catalog["home"].save()
        assert client.get("/shop/c/home/kitchen/").status_code == 404
        assert client.get("/shop/c/home/kitchen/pans/").status_code == 404
        xml = client.get("/sitemap.xml").content.decode()
        assert "/shop/c/home/" not in xml and "/shop/c/garden/" in xml

    def test_partial_category_path_redirects_to_the_canonical_one(self, client, catalog):
        response = client.get("/shop/c/pans/")
        assert response.status_code == 301
        assert response["Location"] == "/shop/c/home/kitchen/pans/"


class TestFilters:
    def test_options_of_one_attribute_are_or_across_attributes_and(self, client, catalog):
        red, blue, oak = catalog["red"].pk, catalog["blue"].pk, catalog["oak"].pk
        assert sorted(names(client.get(f"/shop/?option={red}"))) == ["Garden spade", "Steel pan"]
        assert sorted(names(client.get(f"/shop/?option={red}&option={blue}"))) == [
            "Garden spade",
            "Oak pot",
            "Steel pan",
        ]
        assert sorted(names(client.get(f"/shop/?option={red}&option={oak}"))) == ["Garden spade"]

    def test_price_range_inclusive_and_a_reversed_one_is_said_beside_the_minimum(
        self, client, catalog
    ):
        assert sorted(names(client.get("/shop/?min_price=20&max_price=30"))) == [
            "Old kettle",
            "Steel pan",
        ]
        response = client.get("/shop/?min_price=30&max_price=20")
        # The maximum holds meanwhile; the minimum is shown as typed, with what to do.
        assert sorted(names(response)) == ["Oak pot", "Old kettle"]
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.select_one("#min_price")["value"] == "30"
        assert soup.select_one("#min_price")["aria-describedby"] == "min_price-error"
        assert soup.select_one("#min_price-error").get_text(strip=True) == (
            "Enter a minimum price up to the maximum."
        )
        assert soup.select_one("details.filters-panel").has_attr("open")

    def test_in_stock_only_means_buyable_now(self, client, catalog):
        # The disabled kettle has stock but cannot be bought.
        assert sorted(names(client.get("/shop/?in_stock=1"))) == ["Garden spade", "Steel pan"]

    def test_ticking_an_option_still_offers_the_others_of_its_attribute(self, client, catalog):
        red, oak = catalog["red"].pk, catalog["oak"].pk
        soup = BeautifulSoup(client.get(f"/shop/?option={red}").content, "html.parser")
        labels = [label.get_text(" ", strip=True) for label in soup.select(".filters label")]
        # Colour counts ignore the colour filter; Material counts apply it.
        assert {"Red (2)", "Blue (1)", "Green (1)"} <= set(labels)
        assert {"Steel (1)", "Oak (1)"} <= set(labels)
        soup = BeautifulSoup(client.get(f"/shop/?option={red}&option={oak}").content, "html.parser")
        labels = [label.get_text(" ", strip=True) for label in soup.select(".filters label")]
        # With Oak chosen: colours among oak products; materials among red products.
        assert {"Red (1)", "Blue (1)", "Steel (1)", "Oak (1)"} <= set(labels)
        # Green is in the listing but not with Oak: it stays, at 0, and cannot be ticked.
        assert "Green (0)" in labels
        green = soup.find("input", {"name": "option", "value": str(catalog["green"].pk)})
        assert green.has_attr("disabled")
        assert not soup.find("input", {"name": "option", "value": str(red)}).has_attr("disabled")

    def test_facet_counts_follow_the_results(self, client, catalog):
        soup = BeautifulSoup(client.get("/shop/c/garden/").content, "html.parser")
        labels = [label.get_text(" ", strip=True) for label in soup.select(".filters label")]
        assert "Red (1)" in labels and "Oak (1)" in labels
        assert not any(label.startswith("Blue") for label in labels)

    @pytest.mark.parametrize(
        "query",
        [
            "min_price=abc",
            "max_price=-5",
            "option=999999",
            "option=x",
            "in_stock=maybe",
            "sort=drop+table",
            "per_page=7",
            "per_page=abc",
            "q=" + "x" * 500,
        ],
    )
    def test_garbage_is_ignored_with_a_message_never_a_500(self, client, catalog, query):
        response = client.get(f"/shop/?{query}")
        assert response.status_code == 200
        assert len(names(response)) >= 1


class TestSorting:
    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("price", ["Oak pot", "Old kettle", "Steel pan", "Garden spade"]),
            ("-price", ["Garden spade", "Steel pan", "Old kettle", "Oak pot"]),
            ("name", ["Garden spade", "Oak pot", "Old kettle", "Steel pan"]),
            ("newest", ["Old kettle", "Garden spade", "Oak pot", "Steel pan"]),
        ],
    )
    def test_sort(self, client, catalog, sort, expected):
        assert names(client.get(f"/shop/?sort={sort}")) == expected


class TestSearch:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("pan", ["Steel pan"]),
            ("hand-turned", ["Oak pot"]),
            ("garden", ["Garden spade"]),  # name and category name
        ],
    )
    def test_search_fields(self, client, catalog, query, expected):
        found = names(client.get("/shop/search/", {"q": query}))
        assert sorted(found) == expected

    def test_search_never_shows_hidden_or_draft(self, client, catalog):
        found = names(client.get("/shop/search/", {"q": "pan"}))
        assert "Secret pan" not in found and "Draft pan" not in found

    def test_an_exact_code_alone_opens_its_product_in_any_case(self, client, catalog):
        # The header's search box: one SKU or EAN and nothing else opens the product page.
        sku = catalog["pot"].variants.get().sku
        for query in (sku, sku.lower(), f"  {sku}  "):
            response = client.get("/shop/search/", {"q": query})
            assert response.status_code == 302
            assert response["Location"].startswith(f"/shop/p/{catalog['pot'].slug}/?variant=")
        ean = client.get("/shop/search/", {"q": "4006381333931"})
        assert ean["Location"].startswith(f"/shop/p/{catalog['pan'].slug}/")

    def test_a_code_with_a_filter_or_sort_is_a_listing_that_finds_it(self, client, catalog):
        sku = catalog["pot"].variants.get().sku
        for query in (sku, sku.lower()):
            assert names(client.get("/shop/search/", {"q": query, "sort": "name"})) == ["Oak pot"]
        listed = client.get("/shop/search/", {"q": "4006381333931", "sort": "name"})
        assert names(listed) == ["Steel pan"]

    def test_part_of_a_sku_finds_nothing_by_it(self, client, catalog):
        # Codes are looked up whole (services.catalog.listing.search_product_ids).
        assert names(client.get("/shop/search/", {"q": "SKU-"})) == []

    @pytest.mark.parametrize("query", ["SKU\x00-1", "\x00", "4006381333931\x00"])
    def test_a_code_with_nul_bytes_is_a_clear_400(self, client, catalog, query):
        assert client.get("/shop/search/", {"q": query}).status_code == 400

    def test_empty_search_shows_a_prompt(self, client, catalog):
        response = client.get("/shop/search/")
        assert response.status_code == 200 and names(response) == []
        assert "Type what you are looking for" in response.content.decode()

    def test_search_combines_with_filters(self, client, catalog):
        found = names(client.get("/shop/search/", {"q": "pan", "max_price": "10"}))
        assert found == []


class TestPagination:
    @pytest.fixture
    def many(self, shop):
        return [make_product(f"Item {i:02d}", stock=1) for i in range(30)]

    def test_page_size_and_pages(self, client, many):
        assert len(names(client.get("/shop/?per_page=12"))) == 12
        assert names(client.get("/shop/?per_page=12&page=3")) == [
            f"Item {i:02d}" for i in range(24, 30)
        ]

    @pytest.mark.parametrize(
        ("params", "first_name", "count"),
        [
            ("page=0", "Item 00", 24),
            ("page=-3", "Item 00", 24),
            ("page=99", "Item 24", 6),
            ("page=abc", "Item 00", 24),
            ("per_page=1000", "Item 00", 24),
            ("per_page=abc&page=2", "Item 24", 6),
        ],
    )
    def test_edges_fall_back_cleanly(self, client, many, params, first_name, count):
        response = client.get(f"/shop/?{params}")
        assert response.status_code == 200
        found = names(response)
        assert (found[0], len(found)) == (first_name, count)

    def test_pagination_links_keep_filters(self, client, many):
        html = client.get("/shop/?per_page=12&sort=name&page=2").content.decode()
        assert 'href="?per_page=12&amp;sort=name&amp;page=3"' in html
        assert 'href="?per_page=12&amp;sort=name&amp;page=1"' in html


class TestProductPage:
    def test_product_page(self, client, catalog):
        product = catalog["pan"]
        response = client.get(f"/shop/p/{product.slug}/")
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.h1.get_text(strip=True) == "Steel pan"
        assert soup.select_one(".product__price .money").get_text(" ", strip=True) == "30.00 EUR"
        assert soup.select_one(".availability").get_text(strip=True) == "In stock"
        rows = {
            tr.th.get_text(strip=True): tr.td.get_text(strip=True)
            for tr in soup.select(".attributes tr")
        }
        assert rows["Colour"] == "Red" and rows["Material"] == "Steel"
        crumbs = [li.get_text(strip=True) for li in soup.select(".breadcrumb li")]
        assert crumbs == ["Home", "Shop", "Home", "Kitchen", "Pans", "Steel pan"]
        form = soup.select_one("form.add-to-cart")
        assert form.select_one("input[name=csrfmiddlewaretoken]")
        assert not form.select_one("button").has_attr("disabled")
        assert soup.select_one("link[rel=canonical]")["href"].endswith(f"/shop/p/{product.slug}/")

    def test_weight_is_shown_without_attributes(self, client, shop):
        product = make_product("Plain", weight=Decimal("2.5"))
        soup = BeautifulSoup(client.get(f"/shop/p/{product.slug}/").content, "html.parser")
        rows = {
            tr.th.get_text(strip=True): tr.td.get_text(strip=True)
            for tr in soup.select(".attributes tr")
        }
        assert rows == {"Weight": "2.5 kg"}

    def test_json_ld(self, client, catalog):
        soup = BeautifulSoup(client.get(f"/shop/p/{catalog['pan'].slug}/").content, "html.parser")
        data = json.loads(soup.select_one('script[type="application/ld+json"]').string)
        assert data["@type"] == "Product" and data["name"] == "Steel pan"
        assert data["gtin"] == "4006381333931" and data["sku"] == catalog["pan"].variants.get().sku
        assert data["offers"] == {
            "@type": "Offer",
            "price": "30.00",
            "priceCurrency": "EUR",
            "availability": "https://schema.org/InStock",
            "url": data["url"],
        }

    def test_json_ld_cannot_break_out_of_its_script(self, client, shop):
        product = make_product("</script><script>alert(1)</script>")
        html = client.get(f"/shop/p/{product.slug}/").content.decode()
        assert "</script><script>alert(1)" not in html
        assert "\\u003C/script\\u003E" in html

    def test_disabled_product_is_shown_unavailable_and_cannot_be_added(self, client, catalog):
        soup = BeautifulSoup(
            client.get(f"/shop/p/{catalog['kettle'].slug}/").content, "html.parser"
        )
        assert soup.select_one(".availability").get_text(strip=True) == "Unavailable"
        assert soup.select_one("form.add-to-cart button").has_attr("disabled")

    def test_out_of_stock_cannot_be_added(self, client, catalog):
        soup = BeautifulSoup(client.get(f"/shop/p/{catalog['pot'].slug}/").content, "html.parser")
        assert soup.select_one(".availability").get_text(strip=True) == "Out of stock"
        assert soup.select_one("form.add-to-cart button").has_attr("disabled")

    @pytest.mark.parametrize("key", ["secret", "draft"])
    def test_hidden_and_unpublished_products_are_404(self, client, catalog, key):
        assert client.get(f"/shop/p/{catalog[key].slug}/").status_code == 404

    def test_gallery_uses_responsive_webp_renditions(self, client, shop):
        product = make_product("Pictured", images=2)
        html = client.get(f"/shop/p/{product.slug}/").content.decode()
        # Two large views and their two thumbnails.
        assert html.count("<picture>") == 4
        assert html.count('<figure class="gallery__view"') == 2
        assert 'type="image/webp"' in html
        assert re.search(r'srcset="[^"]+ 480w, [^"]+ 960w', html)


class TestSitemap:
    def test_sitemap_lists_visible_products_and_active_categories(self, client, catalog):
        xml = client.get("/sitemap.xml").content.decode()
        assert f"http://localhost/shop/p/{catalog['pan'].slug}/" in xml
        assert f"http://localhost/shop/p/{catalog['kettle'].slug}/" in xml  # disabled: still listed
        assert catalog["secret"].slug not in xml and catalog["draft"].slug not in xml
        assert "http://localhost/shop/c/home/kitchen/pans/" in xml
        catalog["garden"].is_active = False
        catalog["garden"].save()
        assert "/shop/c/garden/" not in client.get("/sitemap.xml").content.decode()


class TestCategoryTiles:
    """Homepage category tiles link only where shoppers can go (Category.objects.on_storefront)."""

    def tiles(self, client, homepage, categories):
        homepage.body = [("category_tiles", {"title": "Shop", "categories": categories})]
        homepage.save_revision().publish()
        soup = BeautifulSoup(client.get("/").content, "html.parser")
        return [
            (tile.select_one(".category-tile__name").get_text(strip=True), tile.a["href"])
            for tile in soup.select(".category-tile")
        ]

    def test_tiles_link_to_their_category_pages(self, client, homepage, catalog):
        tiles = self.tiles(client, homepage, [catalog["pans"], catalog["garden"]])
        assert tiles == [("Pans", "/shop/c/home/kitchen/pans/"), ("Garden", "/shop/c/garden/")]

    def test_a_tile_below_a_switched_off_parent_is_not_shown(self, client, homepage, catalog):
        catalog["kitchen"].is_active = False
        catalog["kitchen"].save()
        tiles = self.tiles(client, homepage, [catalog["pans"], catalog["garden"]])
        # Pans is active itself, but its page is 404 while Kitchen is off.
        assert client.get("/shop/c/home/kitchen/pans/").status_code == 404
        assert tiles == [("Garden", "/shop/c/garden/")]

    def test_a_switched_off_category_has_no_tile(self, client, homepage, catalog):
        catalog["garden"].is_active = False
        catalog["garden"].save()
        assert self.tiles(client, homepage, [catalog["pans"], catalog["garden"]]) == [
            ("Pans", "/shop/c/home/kitchen/pans/")
        ]


# --- Variants on listings -----------------------------------------------------------------


@pytest.fixture
def wardrobe(shop):
    """Products sold in variants, and one without axes.

    Coat (size × colour): S/Green 100 (3 in stock), M/Green 120 (sold out), M/Blue 110
    (5), L/Blue 130 was 150 (sold out). Hat (size): M 20 (sold out), L 25 (4).
    Boots (size): S 50 (1), L 200 (1). Scarf (colour): Green 5 but inactive (10 in
    stock), Blue 18 was 24 (1). Mug: no axes, 9 (1).
    """
    size, (small, medium, large) = make_attribute("Size", ["S", "M", "L"], varies_per_variant=True)
    colour, (green, blue) = make_attribute("Colour", ["Green", "Blue"], varies_per_variant=True)
    green.swatch, blue.swatch = "#2f6b3a", "#1f3a93"
    green.save()
    blue.save()
    material, (wool, ceramic) = make_attribute("Material", ["Wool", "Ceramic"])

    def variant(sku, price, options, stock, **fields):
        return {"sku": sku, "price": Decimal(price), "options": options, "stock": stock, **fields}

    products = {
        "coat": make_product(
            "Heritage coat",
            axes=[size, colour],
            options=[wool],
            variants=[
                variant("COAT-S-GREEN", "100", [small, green], 3),
                variant("COAT-M-GREEN", "120", [medium, green], 0),
                variant("COAT-M-BLUE", "110", [medium, blue], 5, ean="4006381333931"),
                variant("COAT-L-BLUE", "130", [large, blue], 0, compare_at_price=Decimal("150")),
            ],
        ),
        "hat": make_product(
            "Wool hat",
            axes=[size],
            options=[wool],
            variants=[variant("HAT-M", "20", [medium], 0), variant("HAT-L", "25", [large], 4)],
        ),
        "boots": make_product(
            "Walking boots",
            axes=[size],
            variants=[variant("BOOT-S", "50", [small], 1), variant("BOOT-L", "200", [large], 1)],
        ),
        "scarf": make_product(
            "Striped scarf",
            axes=[colour],
            variants=[
                variant("SCARF-GREEN", "5", [green], 10, is_active=False),
                variant("SCARF-BLUE", "18", [blue], 1, compare_at_price=Decimal("24")),
            ],
        ),
        "mug": make_product("Mug", price=Decimal("9"), options=[ceramic], stock=1),
    }
    sizes = {"s": small, "m": medium, "l": large}
    return {"shop": shop, **sizes, "green": green, "blue": blue, **products}


def tiles(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        tile.select_one(".product-tile__name").get_text(strip=True): tile
        for tile in soup.select(".product-tile")
    }


def price_text(tile):
    return tile.select_one(".product-tile__price").get_text(" ", strip=True)


def facet_labels(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        fieldset.legend.get_text(strip=True): [
            label.get_text(" ", strip=True) for label in fieldset.select("label")
        ]
        for fieldset in soup.select(".filters fieldset")
    }


def listed(client, *options, **params):
    query = [("option", option.pk) for option in options] + list(params.items())
    return sorted(names(client.get("/shop/", query)))


class TestVariantFilters:
    def test_an_axis_option_lists_products_with_a_variant_that_has_it(self, client, wardrobe):
        assert listed(client, wardrobe["m"]) == ["Heritage coat", "Wool hat"]

    def test_size_and_in_stock_means_that_size_in_stock(self, client, wardrobe):
        # The hat has an M (sold out) and stock elsewhere (its L): not listed.
        assert listed(client, wardrobe["m"], in_stock=1) == ["Heritage coat"]

    def test_two_axes_and_in_stock_hold_for_one_variant(self, client, wardrobe):
        # The coat has an M and a green one in stock, but its green M is sold out.
        assert listed(client, wardrobe["m"], wardrobe["green"]) == ["Heritage coat"]
        assert listed(client, wardrobe["m"], wardrobe["green"], in_stock=1) == []
        assert listed(client, wardrobe["s"], wardrobe["green"], in_stock=1) == ["Heritage coat"]

    def test_options_of_one_axis_are_or(self, client, wardrobe):
        assert listed(client, wardrobe["s"], wardrobe["l"], wardrobe["blue"]) == ["Heritage coat"]
        assert listed(client, wardrobe["s"], wardrobe["l"]) == [
            "Heritage coat",
            "Walking boots",
            "Wool hat",
        ]

    def test_an_inactive_variant_never_matches(self, client, wardrobe):
        assert listed(client, wardrobe["green"]) == ["Heritage coat"]  # not the scarf

    def test_a_price_range_holds_for_one_matching_variant(self, client, wardrobe):
        # The boots' L (200) is in range; the coat's L/Blue (130) too.
        assert listed(client, min_price=125) == ["Heritage coat", "Walking boots"]
        assert listed(client, wardrobe["m"], max_price=115) == ["Heritage coat", "Wool hat"]
        assert listed(client, wardrobe["green"], max_price=99) == []

    def test_facet_counts_of_two_chosen_variant_filters(self, client, wardrobe):
        m, green = wardrobe["m"], wardrobe["green"]
        facets = facet_labels(client.get("/shop/", [("option", m.pk), ("option", green.pk)]))
        # Sizes among green variants; colours among size-M variants. Options the listing
        # has stay, at 0 (no green L).
        assert facets["Size"] == ["S (1)", "M (1)", "L (0)"]
        assert facets["Colour"] == ["Green (1)", "Blue (1)"]
        # Material (shared) among the products listed: the coat.
        assert facets["Material"] == ["Wool (1)", "Ceramic (0)"]

    def test_facet_counts_with_in_stock(self, client, wardrobe):
        m, green = wardrobe["m"], wardrobe["green"]
        response = client.get("/shop/", [("option", m.pk), ("option", green.pk), ("in_stock", 1)])
        facets = facet_labels(response)
        assert facets["Size"] == ["S (1)", "M (0)", "L (0)"]  # a chosen option stays, at 0
        assert facets["Colour"] == ["Green (0)", "Blue (1)"]
        # Nothing listed, and the group stays for the shopper to change the filters.
        assert facets["Material"] == ["Wool (0)", "Ceramic (0)"]

    def test_facet_counts_count_products_not_variants(self, client, wardrobe):
        facets = facet_labels(client.get("/shop/"))
        assert facets["Size"] == ["S (2)", "M (2)", "L (3)"]
        assert facets["Colour"] == ["Green (1)", "Blue (2)"]  # not the scarf's inactive green


def count_queries(captured) -> list[str]:
    """The facet-count queries among captured ones: those that count products per option."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if '"attributeoption_id", COUNT(' in query["sql"]
    ]


class TestFacetCountCache:
    """Counts are kept per catalog version and filter set (listing.cached_facet_counts)."""

    def test_another_sort_of_the_same_filters_reuses_the_counts(self, client, wardrobe):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get("/shop/")  # the site, the shop page and the session, read once
        with CaptureQueriesContext(connection) as first:
            client.get("/shop/", {"in_stock": 1})
        with CaptureQueriesContext(connection) as second:
            response = client.get("/shop/", {"in_stock": 1, "sort": "price"})
        # The count queries (shared attributes' options, axes' options) are not run again.
        counted = [count_queries(first), count_queries(second)]
        assert counted[0] and not counted[1], counted
        assert len(second) == len(first) - len(counted[0])
        assert facet_labels(response)["Size"] == ["S (2)", "M (1)", "L (2)"]

    def test_a_variant_selling_out_changes_the_counts_at_once(self, client, wardrobe):
        from commerce.services.inventory import set_stock_levels

        assert facet_labels(client.get("/shop/", {"in_stock": 1}))["Size"] == [
            "S (2)",
            "M (1)",
            "L (2)",
        ]
        hat_l = wardrobe["hat"].variants.get(sku="HAT-L")
        set_stock_levels({hat_l.pk: {row.warehouse_id: 0 for row in hat_l.stocks.all()}})
        # Another URL (the page cache's key differs), the same filters (the counts' key).
        response = client.get("/shop/", {"in_stock": 1, "sort": "name"})
        assert facet_labels(response)["Size"] == ["S (2)", "M (1)", "L (1)"]


class TestVariantPrices:
    def test_a_from_price_when_variant_prices_differ(self, client, wardrobe):
        found = tiles(client.get("/shop/"))
        assert price_text(found["Heritage coat"]) == "from 100.00 EUR"
        assert price_text(found["Mug"]) == "9.00 EUR"

    def test_the_compare_at_price_of_the_cheapest_variant(self, client, wardrobe):
        found = tiles(client.get("/shop/"))
        # The scarf's cheapest (green, 5) is inactive: its blue one is what it costs.
        assert price_text(found["Striped scarf"]) == "18.00 EUR 24.00 EUR"
        assert found["Striped scarf"].select_one(".product-tile__was")
        assert not found["Heritage coat"].select_one(".product-tile__was")  # the L is discounted

    def test_tiles_show_the_price_of_the_matching_variants(self, client, wardrobe):
        found = tiles(client.get("/shop/", {"option": wardrobe["l"].pk}))
        assert price_text(found["Heritage coat"]) == "130.00 EUR 150.00 EUR"
        assert price_text(found["Walking boots"]) == "200.00 EUR"

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, ["Mug", "Striped scarf", "Wool hat", "Walking boots", "Heritage coat"]),
            ({"option": "l"}, ["Wool hat", "Heritage coat", "Walking boots"]),
            ({"option": "m", "in_stock": 1}, ["Heritage coat"]),
        ],
    )
    def test_price_sort_uses_the_matching_variants_price(self, client, wardrobe, params, expected):
        if "option" in params:
            params = {**params, "option": wardrobe[params["option"]].pk}
        assert names(client.get("/shop/", {**params, "sort": "price"})) == expected
        assert names(client.get("/shop/", {**params, "sort": "-price"})) == expected[::-1]

    def test_a_product_without_an_active_variant_has_no_price_and_sorts_last(
        self, client, wardrobe
    ):
        make_product(
            "Ghost", variants=[{"sku": "GHOST", "price": Decimal("1"), "is_active": False}]
        )
        for sort in ("price", "-price"):
            found = names(client.get("/shop/", {"sort": sort}))
            assert found[-1] == "Ghost"
        ghost = tiles(client.get("/shop/"))["Ghost"]
        assert not ghost.select_one(".product-tile__price")
        assert not ghost.select_one("form")  # nothing to add

    def test_a_deleted_variant_leaves_the_price_summary(self, client, wardrobe):
        wardrobe["coat"].variants.get(sku="COAT-S-GREEN").delete()
        found = tiles(client.get("/shop/"))
        assert price_text(found["Heritage coat"]) == "from 110.00 EUR"


class TestVariantTiles:
    def test_sizes_and_colours_in_stock_at_a_glance(self, client, wardrobe):
        found = tiles(client.get("/shop/"))
        coat = found["Heritage coat"]
        assert [o.get_text(strip=True) for o in coat.select(".product-tile__option")] == ["S", "M"]
        swatches = [svg["aria-label"] for svg in coat.select(".product-tile__swatch")]
        assert swatches == ["Green", "Blue"]
        assert coat.select_one(".product-tile__swatch circle")["fill"] == "#2f6b3a"
        hat = found["Wool hat"]
        assert [o.get_text(strip=True) for o in hat.select(".product-tile__option")] == ["L"]
        scarf = found["Striped scarf"]  # its green is inactive
        assert [svg["aria-label"] for svg in scarf.select(".product-tile__swatch")] == ["Blue"]
        assert not found["Mug"].select(".product-tile__options")

    def test_a_product_with_axes_links_to_its_page_to_choose(self, client, wardrobe):
        coat = tiles(client.get("/shop/"))["Heritage coat"]
        assert not coat.select("form")
        choose = coat.select_one(".product-tile__choose")
        assert choose["href"] == f"/shop/p/{wardrobe['coat'].slug}/"
        assert "Choose options" in choose.get_text()

    def test_a_product_without_axes_is_added_from_its_tile(self, client, wardrobe):
        mug = tiles(client.get("/shop/"))["Mug"]
        add = mug.select_one("form.product-tile__add")
        assert add["action"] == "/cart/add/"
        assert add.select_one("input[name=variant]")["value"] == str(
            wardrobe["mug"].variants.get().pk
        )
        save = mug.select_one("form.product-tile__save")
        assert save.select_one("input[name=variant]")["value"] == str(
            wardrobe["mug"].variants.get().pk
        )

    def test_a_sold_out_product_without_axes_has_no_add_button(self, client, wardrobe):
        set_stock(wardrobe["mug"].variants.get(), 0)
        mug = tiles(client.get("/shop/"))["Mug"]
        assert not mug.select("form.product-tile__add")
        assert mug.select_one(".availability").get_text(strip=True) == "Out of stock"

    def test_buyable_means_one_variant_buyable(self, client, wardrobe):
        found = tiles(client.get("/shop/"))
        # The hat's M is sold out, its L is not.
        assert found["Wool hat"].select_one(".availability").get_text(strip=True) == "In stock"
        wardrobe["hat"].variants.filter(sku="HAT-L").update(is_active=False)
        found = tiles(client.get("/shop/?sort=name&per_page=12"))  # another cache entry
        assert found["Wool hat"].select_one(".availability").get_text(strip=True) == (
            "Out of stock"
        )


class TestVariantSearch:
    def test_an_exact_sku_comes_first_and_lands_on_its_variant(self, client, wardrobe):
        make_product("Coat hanger for coat-m-blue")  # also found by full text
        # With a sort the search stays a listing (alone, the code opens the product).
        response = client.get("/shop/search/", {"q": "coat-m-blue", "sort": "relevance"})
        found = names(response)
        assert found[0] == "Heritage coat"
        first = BeautifulSoup(response.content, "html.parser").select_one(".product-tile a")
        assert first["href"] == f"/shop/p/{wardrobe['coat'].slug}/?variant=COAT-M-BLUE"

    def test_an_ean_lands_on_its_variant(self, client, wardrobe):
        response = client.get("/shop/search/", {"q": "4006381333931", "sort": "name"})
        assert names(response) == ["Heritage coat"]
        link = BeautifulSoup(response.content, "html.parser").select_one(".product-tile a")
        assert link["href"].endswith("?variant=COAT-M-BLUE")

    def test_a_sku_with_characters_to_escape_is_url_encoded(self, client, wardrobe):
        make_product("Odd", sku="ODD/1 +&")
        link = BeautifulSoup(
            client.get("/shop/search/", {"q": "odd/1 +&", "sort": "name"}).content, "html.parser"
        ).select_one(".product-tile a")
        assert link["href"].endswith("?variant=ODD%2F1%20%2B%26")

    def test_an_inactive_variants_sku_finds_nothing(self, client, wardrobe):
        assert names(client.get("/shop/search/", {"q": "SCARF-GREEN"})) == []

    def test_full_text_finds_the_product_once_and_links_to_its_page(self, client, wardrobe):
        response = client.get("/shop/search/", {"q": "coat"})
        assert names(response) == ["Heritage coat"]
        link = BeautifulSoup(response.content, "html.parser").select_one(".product-tile a")
        assert link["href"] == f"/shop/p/{wardrobe['coat'].slug}/"


def test_the_sitemap_has_one_entry_per_product_not_per_variant(client, wardrobe):
    xml = client.get("/sitemap.xml").content.decode()
    assert xml.count(f"/shop/p/{wardrobe['coat'].slug}/") == 1
    assert "variant=" not in xml
