"""The listing's filters as a shopper meets them: errors in plain words beside their field,
active filters as removable chips counted by the "Filters (N)" button, facet groups that
stay when nothing matches, the empty-result wording, and the tiles' sale badge and buttons."""

from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup

from commerce.models import Product, ProductVariant
from commerce.money import percent_off
from commerce.services.catalog.listing_query import (
    PRICE_ORDER_ERROR,
    ListingQuery,
    active_filters,
    parse_listing_query,
)
from tests.factories.catalog import make_attribute, make_category, make_product, make_shop


def parse(query, *, search=False, options=()):
    from django.http import QueryDict

    return parse_listing_query(QueryDict(query), filterable_options=options, search=search)


# --- Plain words, beside the field -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a price, such as 25 or 12.50."),
        ("1e3x", "Enter a price, such as 25 or 12.50."),
        ("-5", "Enter a price of 0 or more."),
        ("12345678901234", "Enter a smaller price."),
        ("12.345", "Enter a price in whole cents, such as 12.50."),
    ],
)
def test_a_bad_price_is_said_in_plain_words_and_left_out(value, message):
    listing, errors = parse(f"min_price={value}&max_price=40")
    assert errors == {"min_price": [message]}
    assert listing.min_price is None and listing.max_price == Decimal("40")


def test_a_comma_is_a_decimal_point():
    listing, errors = parse("min_price=12,50")
    assert errors == {} and listing.min_price == Decimal("12.50")


def test_a_minimum_above_the_maximum_is_an_error_on_the_minimum():
    listing, errors = parse("min_price=30&max_price=20")
    assert errors == {"min_price": [PRICE_ORDER_ERROR]}
    assert (listing.min_price, listing.max_price) == (None, Decimal("20"))
    # Equal bounds are a range of one price, not an error.
    listing, errors = parse("min_price=20&max_price=20")
    assert errors == {} and listing.min_price == listing.max_price == Decimal("20")


def test_no_message_names_a_parameter():
    _, errors = parse("min_price=x&max_price=y&sort=drop&per_page=7&option=5&q=" + "w" * 101)
    assert set(errors) == {"min_price", "max_price", "sort", "per_page", "option", "q"}
    for name, messages in errors.items():
        assert name not in messages[0] and ":" not in messages[0], messages


# --- Active filters --------------------------------------------------------------------------


def definitions():
    """Two filterable attributes, shaped as `filterable_definitions` returns them."""

    def definition(pk, name, values):
        options = [SimpleNamespace(pk=pk * 10 + i, value=v) for i, v in enumerate(values)]
        return SimpleNamespace(name=name, options=SimpleNamespace(all=lambda: options))

    return [definition(1, "Colour", ["Red", "Blue"]), definition(2, "Material", ["Oak"])]


def query_of(url):
    return sorted(parse_qsl(urlsplit(url).query))


def test_active_filters_in_form_order_each_removable():
    listing = ListingQuery(
        query="mug",
        sort="price",
        per_page=48,
        min_price=Decimal("5"),
        max_price=Decimal("40"),
        in_stock=True,
        option_ids=(11, 20, 10),
    )
    active = active_filters(listing, definitions(), path="/shop/search/", search=True)
    assert len(active) == 6
    assert [(f.label, f.amount) for f in active] == [
        ("Colour: Red", None),
        ("Colour: Blue", None),
        ("Material: Oak", None),
        ("From", Decimal("5")),
        ("Up to", Decimal("40")),
        ("In stock only", None),
    ]
    everything = [
        ("in_stock", "1"),
        ("max_price", "40"),
        ("min_price", "5"),
        ("option", "10"),
        ("option", "11"),
        ("option", "20"),
        ("per_page", "48"),
        ("q", "mug"),
        ("sort", "price"),
    ]
    for active_filter, param in zip(
        active,
        [("option", "10"), ("option", "11"), ("option", "20"), ("min_price", "5")]
        + [("max_price", "40"), ("in_stock", "1")],
        strict=True,
    ):
        assert active_filter.remove_url.startswith("/shop/search/?")
        assert query_of(active_filter.remove_url) == [p for p in everything if p != param]
    # "Clear all" keeps the search words, the order and the page size.
    assert query_of(active.clear_url) == [("per_page", "48"), ("q", "mug"), ("sort", "price")]


def test_no_filters_no_chips_and_defaults_stay_out_of_the_links():
    active = active_filters(ListingQuery(), definitions(), path="/shop/", search=False)
    assert len(active) == 0 and not list(active)
    assert active.clear_url == "/shop/"
    # The last filter's chip leads to the bare page.
    only = active_filters(ListingQuery(in_stock=True), definitions(), path="/shop/", search=False)
    assert [f.remove_url for f in only] == ["/shop/"]


def test_filtered_is_about_filters_not_words_or_order():
    assert not ListingQuery(query="mug", sort="price", per_page=96).filtered
    assert ListingQuery(option_ids=(1,)).filtered
    assert ListingQuery(in_stock=True).filtered
    assert ListingQuery(max_price=Decimal("0")).filtered


# --- The sale badge's figure -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "compare_at", "expected"),
    [
        ("80.00", "100.00", 20),
        ("79.99", "100.00", 20),  # 20.01 %: rounded down
        ("80.01", "100.00", 19),  # 19.99 %: never rounded up
        ("99.50", "100.00", 0),  # a sale under 1 %: no figure
        ("0.00", "10.00", 100),
        ("10.00", "10.00", None),  # not reduced
        ("12.00", "10.00", None),  # a compare-at price below the price is no sale
        ("10.00", None, None),
        (None, "10.00", None),
        ("0.00", "0.00", None),
    ],
)
def test_percent_off(price, compare_at, expected):
    to_decimal = lambda value: None if value is None else Decimal(value)  # noqa: E731
    assert percent_off(to_decimal(price), to_decimal(compare_at)) == expected
    variant = ProductVariant(price=to_decimal(price), compare_at_price=to_decimal(compare_at))
    assert variant.percent_off == expected
    # A tile reads the listing's annotations of its cheapest matching variant.
    product = Product(name="Mug")
    product.price_min, product.compare_at_of_cheapest = to_decimal(price), to_decimal(compare_at)
    assert product.percent_off == expected
    assert Product(name="Plain").percent_off is None  # not from a listing


# --- On the page -----------------------------------------------------------------------------


@pytest.fixture
def mugs(homepage):
    shop = make_shop(homepage)
    cups = make_category("Cups")
    empty = make_category("Saucers")
    colour, (red, blue) = make_attribute("Colour", ["Red", "Blue"], show_on_tile=True)
    material, (clay,) = make_attribute("Material", ["Clay"])
    size, (small, large) = make_attribute("Size", ["Small", "Large"], varies_per_variant=True)
    sale = make_product(
        "Red mug",
        price=Decimal("8.00"),
        compare_at_price=Decimal("10.00"),
        main_category=cups,
        options=[red, clay],
        stock=4,
    )
    make_product("Blue mug", price=Decimal("12.00"), main_category=cups, options=[blue], stock=2)
    sized = make_product(
        "Sized mug",
        main_category=cups,
        options=[clay],
        axes=[size],
        variants=[
            {"price": Decimal("9.00"), "options": [small], "stock": 1},
            {"price": Decimal("11.00"), "options": [large], "stock": 1},
        ],
    )
    return SimpleNamespace(
        shop=shop, cups=cups, empty=empty, red=red, blue=blue, clay=clay, sale=sale, sized=sized
    )


def soup_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


def tiles(soup):
    return {
        t.select_one(".product-tile__name").get_text(strip=True): t for t in soup.select("article")
    }


@pytest.mark.django_db
class TestListingPage:
    def test_filters_button_counts_the_chips(self, client, mugs):
        url = f"/shop/c/cups/?option={mugs.red.pk}&in_stock=1&max_price=50&sort=price"
        soup = soup_of(client, url)
        toggle = soup.select_one("details.filters-panel > summary")
        chips = soup.select(".active-filters .chip:not(.chip--clear)")
        assert toggle.get_text(strip=True) == f"Filters ({len(chips)})" == "Filters (3)"
        assert [c.get_text(" ", strip=True) for c in chips] == [
            "Remove filter: Colour: Red ×",
            "Remove filter: Up to 50.00 EUR ×",
            "Remove filter: In stock only ×",
        ]
        # Closed, so the results come first on a phone.
        assert not soup.select_one("details.filters-panel").has_attr("open")
        # Following a chip drops that filter only.
        after = soup_of(client, chips[0]["href"])
        assert after.select_one("details.filters-panel > summary").get_text(strip=True) == (
            "Filters (2)"
        )
        assert not after.find("input", {"name": "option", "value": str(mugs.red.pk)}).has_attr(
            "checked"
        )
        clear = soup.select_one(".active-filters .chip--clear")
        assert clear.get_text(" ", strip=True) == "Clear all filters"
        assert clear["href"] == "/shop/c/cups/?sort=price"

    def test_no_filters_no_count_no_chips(self, client, mugs):
        soup = soup_of(client, "/shop/c/cups/")
        assert soup.select_one("details.filters-panel > summary").get_text(strip=True) == "Filters"
        assert soup.select(".active-filters") == []

    def test_facet_groups_stay_when_nothing_matches(self, client, mugs):
        soup = soup_of(client, f"/shop/c/cups/?option={mugs.blue.pk}&option={mugs.clay.pk}")
        assert soup.select(".product-tile") == []
        legends = [legend.get_text(strip=True) for legend in soup.select(".filters legend")]
        assert {"Colour", "Material", "Size"} <= set(legends)
        # Both chosen options stay ticked (and can be unticked); Small would show nothing.
        assert soup.find("input", {"value": str(mugs.blue.pk)}).has_attr("checked")
        assert not soup.find("input", {"value": str(mugs.clay.pk)}).has_attr("disabled")
        blocked = soup.select("label.filters__option--none")
        assert [label.get_text(" ", strip=True) for label in blocked] == ["Small (0)", "Large (0)"]
        assert all(label.input.has_attr("disabled") for label in blocked)
        empty = soup.select_one(".results__empty").get_text(" ", strip=True)
        assert empty == "No products match these filters. Remove a filter, or clear them all ."

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("/shop/c/saucers/", "No products here yet."),
            ("/shop/search/?q=teapot", "Nothing matches “teapot”. Try other words."),
            ("/shop/search/", "Type what you are looking for."),
            ("/shop/c/cups/?max_price=1", "No products match these filters."),
        ],
    )
    def test_empty_results_suggest_removing_a_filter_only_when_one_is_set(
        self, client, mugs, url, message
    ):
        text = soup_of(client, url).select_one(".results__empty").get_text(" ", strip=True)
        assert text.startswith(message)
        assert ("Remove a filter" in text) == ("max_price" in url)

    def test_a_bad_price_says_so_beside_its_field_and_opens_the_panel(self, client, mugs):
        soup = soup_of(client, "/shop/c/cups/?min_price=cheap")
        field = soup.select_one("#min_price")
        assert field["value"] == "cheap" and field["aria-invalid"] == "true"
        error = soup.select_one(f"#{field['aria-describedby']}")
        assert error.get_text(strip=True) == "Enter a price, such as 25 or 12.50."
        assert error.find_parent(class_="filters__field") is field.parent
        assert soup.select_one("details.filters-panel").has_attr("open")
        assert "min_price:" not in soup.get_text()
        assert len(soup.select(".product-tile")) == 3  # the rest of the listing still shows

    def test_tiles_sale_badge_add_to_cart_and_choose_options(self, client, mugs):
        url = "/shop/c/cups/?sort=price"
        found = tiles(soup_of(client, url))
        assert found["Red mug"].select_one(".product-tile__badge").get_text(" ", strip=True) == (
            "Sale −20 %"
        )
        assert found["Blue mug"].select_one(".product-tile__badge") is None
        add = found["Red mug"].select_one("form.product-tile__add")
        assert add["action"] == "/cart/add/"
        assert add.select_one("[name=csrfmiddlewaretoken]") is not None
        assert add.select_one("[name=next]")["value"] == url
        assert add.select_one("[name=variant]")["value"] == str(mugs.sale.variants.get().pk)
        sized = found["Sized mug"]
        assert sized.select_one("form.product-tile__add") is None
        assert sized.select_one("a.product-tile__choose")["href"] == f"/shop/p/{mugs.sized.slug}/"
