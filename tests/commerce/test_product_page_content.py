"""What the product page shows besides the product: related products, the delivery-and-returns
note, units in words, the gallery's cost; and the save-to-list control."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from commerce.models import Product, ProductPageSettings, ProductStatus, RelatedProduct
from commerce.text import counted, quantity_with_unit, unit_name
from tests.factories.catalog import make_category, make_product, only_variant

# Every request renders: these tests are about what rendering shows and costs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]


@pytest.fixture
def kitchen(shop):
    pans = make_category("Pans")
    return {
        "pans": pans,
        "pan": make_product("Steel pan", main_category=pans, stock=3),
        "wok": make_product("Wok", main_category=pans, stock=3),
        "griddle": make_product("Griddle", main_category=pans, stock=3, is_featured=True),
        "lid": make_product("Lid", stock=3),
        "mug": make_product("Mug", stock=3),
    }


def page(client, product):
    response = client.get(f"/shop/p/{product.slug}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def related_names(soup):
    section = soup.select_one("section.related-products")
    if section is None:
        return []
    assert section.h2.get_text() == "You may also like"
    return [tile.get_text(strip=True) for tile in section.select(".product-tile__name")]


def relate(product, *others):
    for index, other in enumerate(others):
        RelatedProduct.objects.create(product=product, related=other, sort_order=index)


# --- Related products ------------------------------------------------------------


class TestRelated:
    def test_chosen_products_in_their_order(self, client, kitchen):
        relate(kitchen["pan"], kitchen["mug"], kitchen["lid"])
        assert related_names(page(client, kitchen["pan"])) == ["Mug", "Lid"]

    def test_without_a_choice_the_same_category_featured_first(self, client, kitchen):
        assert related_names(page(client, kitchen["pan"])) == ["Griddle", "Wok"]

    def test_only_storefront_visible_products_never_the_product_itself(self, client, kitchen):
        Product.objects.filter(pk=kitchen["wok"].pk).update(status=ProductStatus.HIDDEN)
        hidden_draft = make_product("Draft pan", main_category=kitchen["pans"], publish=False)
        assert related_names(page(client, kitchen["pan"])) == ["Griddle"]
        relate(kitchen["pan"], kitchen["wok"], hidden_draft)
        # Nothing chosen is visible: the category again.
        assert Product.objects.related_to(kitchen["pan"]) == [kitchen["griddle"].pk]

    def test_a_disabled_product_is_still_shown(self, client, kitchen):
        Product.objects.filter(pk=kitchen["wok"].pk).update(status=ProductStatus.DISABLED)
        assert "Wok" in related_names(page(client, kitchen["pan"]))

    def test_no_category_and_no_choice_shows_no_section(self, client, kitchen):
        assert related_names(page(client, kitchen["mug"])) == []

    def test_at_most_four(self, kitchen):
        extra = [make_product(f"Pot {n}", main_category=kitchen["pans"]) for n in range(5)]
        assert len(Product.objects.related_to(kitchen["pan"])) == 4
        relate(kitchen["pan"], *extra)
        assert Product.objects.related_to(kitchen["pan"]) == [p.pk for p in extra[:4]]

    def test_a_product_cannot_be_related_to_itself(self, kitchen):
        from django.core.exceptions import ValidationError

        link = RelatedProduct(product=kitchen["pan"], related=kitchen["pan"])
        with pytest.raises(ValidationError):
            link.clean()

    def test_query_count_does_not_grow_with_related_products(self, client, kitchen):
        pots = [make_product(f"Pot {n}", images=2, stock=1) for n in range(4)]
        relate(kitchen["pan"], pots[0])
        few = queries(client, kitchen["pan"])
        RelatedProduct.objects.all().delete()
        relate(kitchen["pan"], *pots)
        assert len(related_names(page(client, kitchen["pan"]))) == 4
        assert queries(client, kitchen["pan"]) == few

    def test_the_choice_is_part_of_the_admin_form(self, admin_client, kitchen):
        response = admin_client.get(
            reverse("wagtailsnippets_commerce_product:edit", args=[kitchen["pan"].pk])
        )
        assert response.status_code == 200
        assert "related_links-TOTAL_FORMS" in response.content.decode()


def queries(client, product):
    client.get(f"/shop/p/{product.slug}/")  # renditions are made on the first view
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/shop/p/{product.slug}/")
    assert response.status_code == 200
    return len(captured)


# --- The gallery ------------------------------------------------------------


def test_the_gallery_costs_the_same_for_one_picture_and_eight(client, shop):
    one = make_product("One picture", images=1, stock=1)
    eight = make_product("Eight pictures", images=8, stock=1)
    assert queries(client, one) == queries(client, eight)
    soup = page(client, eight)
    assert len(soup.select(".gallery__view")) == 8
    assert len(soup.select(".gallery__thumb")) == 8
    # One eager picture, the other seven load when chosen.
    assert len(soup.select(".gallery__view img[fetchpriority=high]")) == 1
    assert len(soup.select(".gallery__view img[loading=lazy]")) == 7


# --- Delivery and returns ------------------------------------------------------------


def test_the_delivery_and_returns_note_from_settings(client, kitchen):
    assert page(client, kitchen["pan"]).select_one("details.product__note") is None
    note = ProductPageSettings.for_site(Site.objects.get(is_default_site=True))
    note.delivery_returns = "<p>Free delivery over 50. <b>30 days</b> to return.</p>"
    note.save()
    details = page(client, kitchen["pan"]).select_one("details.product__note")
    assert details.summary.get_text() == "Delivery and returns"
    assert details.select_one("b").get_text() == "30 days"
    assert not details.has_attr("open")


def test_a_changed_note_reaches_cached_pages(client, settings, kitchen):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 300
    client.get(f"/shop/p/{kitchen['pan'].slug}/")
    note = ProductPageSettings.for_site(Site.objects.get(is_default_site=True))
    note.delivery_returns = "<p>Ships in 2 days.</p>"
    note.save()
    assert "Ships in 2 days." in client.get(f"/shop/p/{kitchen['pan'].slug}/").content.decode()


# --- Units in words ------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "quantity", "words"),
    [
        ("pcs", 1, "piece"),
        ("pcs", 2, "pieces"),
        ("PCS", 1, "piece"),
        ("szt.", 1, "piece"),
        ("kg", 1, "kilogram"),
        ("kg", 3, "kilograms"),
        ("m2", 1, "square metre"),
        ("bale", 2, "bale"),  # not in the table: as written
        ("", 1, ""),
    ],
)
def test_unit_names(unit, quantity, words):
    assert unit_name(unit, quantity) == words


def test_quantity_with_unit():
    assert quantity_with_unit(1, "pcs") == "1 piece"
    assert quantity_with_unit(10, "pcs") == "10 pieces"


def test_the_product_page_says_per_piece(client, kitchen):
    vat = page(client, kitchen["pan"]).select_one(".product__vat").get_text()
    assert vat == "incl. 23% VAT, per piece"
    Product.objects.filter(pk=kitchen["pan"].pk).update(unit="kg")
    assert (
        page(client, kitchen["pan"]).select_one(".product__vat").get_text().endswith("per kilogram")
    )


# --- Save to list ------------------------------------------------------------


def test_the_save_control_asks_for_a_name_only_for_a_new_list(client, kitchen):
    form = page(client, kitchen["pan"]).select_one("form.add-to-list")
    assert [o.get_text() for o in form.select("select[name=list] option")] == [
        "My list",
        "New list…",
    ]
    # The name field is in its own block, which the stylesheet shows for "New list…" only.
    assert form.select_one(".add-to-list__new input[name=new_name]")
    assert form.select_one("label[for^=new-list-]").get_text() == "Name of the new list"


def post_add(client, **data):
    return client.post("/lists/add/", data)


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_saving_goes_back_and_names_the_product_and_the_list(client, kitchen):
    pan = kitchen["pan"]
    response = post_add(
        client, product=pan.pk, list="new", new_name="Kitchen", next="/shop/c/pans/?page=1"
    )
    assert response.status_code == 302 and response["Location"] == "/shop/c/pans/?page=1"
    followed = client.get("/lists/")
    assert "Saved Steel pan to “Kitchen”." in followed.content.decode()


def test_a_new_list_without_a_name_is_refused_in_words(client, kitchen):
    response = post_add(client, product=kitchen["pan"].pk, list="new", new_name=" ", next="/")
    assert response["Location"] == "/"
    assert "Give the list a name." in client.get("/lists/").content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_saving_never_goes_to_another_site(client, kitchen, target):
    response = post_add(client, variant=only_variant(kitchen["pan"]).pk, next=target)
    assert response["Location"] == "/lists/"


@pytest.mark.parametrize(
    ("number", "bulk_units", "qualifying", "words"),
    [
        ("1", False, False, "1 piece"),
        ("10", False, False, "10 pieces"),
        ("2.5", False, False, "2.5 pieces"),
        ("1", True, False, "1 unit"),
        ("10", True, False, "10 units"),
        ("3", False, True, "3 qualifying pieces"),
        ("1", True, True, "1 qualifying unit"),
    ],
)
def test_a_promotion_threshold_counts_in_words(number, bulk_units, qualifying, words):
    assert counted(number, bulk_units=bulk_units, qualifying=qualifying) == words
