"""The storefront catalog: listing, categories, filters, sorting, search, pagination, products."""

import json
import re
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from commerce.models import ProductStatus
from tests.factories.catalog import make_attribute, make_category, make_product, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(homepage):
    return make_shop(homepage)


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

    def test_price_range_inclusive_and_swapped_when_reversed(self, client, catalog):
        assert sorted(names(client.get("/shop/?min_price=20&max_price=30"))) == [
            "Old kettle",
            "Steel pan",
        ]
        assert sorted(names(client.get("/shop/?min_price=30&max_price=20"))) == [
            "Old kettle",
            "Steel pan",
        ]

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
        assert not any(label.startswith("Green") for label in labels)

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
            ("SKU-", None),  # every visible product's SKU
            ("4006381333931", ["Steel pan"]),
            ("hand-turned", ["Oak pot"]),
            ("garden", ["Garden spade"]),  # name and category name
        ],
    )
    def test_search_fields(self, client, catalog, query, expected):
        found = names(client.get("/shop/search/", {"q": query}))
        if expected is None:
            assert found
        else:
            assert sorted(found) == expected

    def test_search_never_shows_hidden_or_draft(self, client, catalog):
        found = names(client.get("/shop/search/", {"q": "pan"}))
        assert "Secret pan" not in found and "Draft pan" not in found

    def test_sku_search(self, client, catalog):
        assert names(client.get("/shop/search/", {"q": catalog["pot"].sku})) == ["Oak pot"]

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
        assert data["gtin"] == "4006381333931" and data["sku"] == catalog["pan"].sku
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
        assert html.count("<picture>") == 2
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
