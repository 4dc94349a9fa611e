"""Multi-value fields in the catalog admin are ticks with a filter box, and categories are
named by their path ("Clothing › Outerwear › Coats"), built by one function for a whole list."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from commerce.models import Category, Product
from commerce.models.catalog import PATH_SEPARATOR
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    product_form_data,
)
from tests.html import soup_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    clothing = make_category("Clothing")
    outerwear = make_category("Outerwear", clothing)
    coats = make_category("Coats", outerwear)
    garden = make_category("Garden")
    return clothing, outerwear, coats, garden


def checkbox_labels(soup, name):
    return [
        box.find_parent("label").get_text(" ", strip=True)
        for box in soup.select(f"input[type=checkbox][name={name}]")
    ]


class TestPathLabels:
    def test_a_category_is_named_by_the_names_on_its_path(self, tree):
        clothing, outerwear, coats, garden = tree
        assert str(Category.objects.get(pk=coats.pk)) == "Clothing › Outerwear › Coats"
        assert str(Category.objects.get(pk=garden.pk)) == "Garden"  # top level: its name
        assert PATH_SEPARATOR == " › "

    def test_a_renamed_ancestor_renames_the_label(self, tree):
        clothing, outerwear, coats, _ = tree
        outerwear.name = "Jackets & coats"
        outerwear.save()
        labels = [str(c) for c in Category.objects.with_path_labels()]
        assert "Clothing › Jackets & coats › Coats" in labels

    def test_a_whole_list_is_labelled_with_one_more_query(self, tree, django_assert_num_queries):
        parent = tree[2]
        for i in range(15):
            make_category(f"Size {i}", parent)
        with django_assert_num_queries(2):  # the rows, the names of their ancestors
            labels = [str(c) for c in Category.objects.with_path_labels()]
        assert len(labels) == 19
        assert "Clothing › Outerwear › Coats › Size 14" in labels

    def test_top_level_categories_need_no_second_query(self, django_assert_num_queries):
        for name in ("A", "B", "C"):
            make_category(name)
        with django_assert_num_queries(1):
            assert [str(c) for c in Category.objects.with_path_labels()] == ["A", "B", "C"]

    def test_labels_survive_slicing_and_filtering(self, tree):
        labels = [str(c) for c in Category.objects.with_path_labels().filter(depth=3)[:1]]
        assert labels == ["Clothing › Outerwear › Coats"]


def edit_url(product):
    return reverse("wagtailsnippets_commerce_product:edit", args=[product.pk])


class TestProductForm:
    def test_categories_and_attributes_are_ticks_with_a_filter(self, admin_client, tree):
        make_attribute("Material", ["Steel", "Wood"])
        make_attribute("Size", ["S", "M"], varies_per_variant=True)
        product = make_product("Lamp")
        soup = soup_of(admin_client.get(edit_url(product)))
        assert not soup.select("select[multiple]")  # no Ctrl-click lists anywhere
        assert checkbox_labels(soup, "additional_categories") == [
            "Clothing",
            "Clothing › Outerwear",
            "Clothing › Outerwear › Coats",
            "Garden",
        ]
        # Shared attributes only, grouped under the attribute's name.
        assert checkbox_labels(soup, "attribute_options") == ["Steel", "Wood"]
        field = soup.select_one("[data-contentpath=attribute_options]")
        labels = field.select(".commerce-checkbox-filter__list label")
        groups = [label.get_text(strip=True) for label in labels if not label.input]
        assert groups == ["Material"]  # not Size: a variant axis is the variants' option
        for name in ("additional_categories", "attribute_options"):
            box = soup.select_one(f"input[name={name}]").find_parent(
                attrs={"data-checkbox-filter": True}
            )
            filter_input = box.select_one("input[type=search][data-checkbox-filter-input]")
            # Shown by the script only: without it, the ticks alone work.
            assert filter_input.has_attr("hidden")
        assert soup.select_one("script[src$='commerce/admin/checkbox-filter.js']")

    def test_ticked_categories_and_attributes_are_saved(self, admin_client, tree):
        _, _, coats, garden = tree
        _, (steel, wood) = make_attribute("Material", ["Steel", "Wood"])
        product = make_product("Lamp")
        data = product_form_data(
            product, additional_categories=[coats.pk, garden.pk], attribute_options=[wood.pk]
        )
        response = admin_client.post(edit_url(product), data)
        assert response.status_code == 302
        draft = Product.objects.get(pk=product.pk).get_latest_revision_as_object()
        assert {c.pk for c in draft.additional_categories.all()} == {coats.pk, garden.pk}
        assert [o.pk for o in draft.attribute_options.all()] == [wood.pk]

    def test_an_option_of_a_variant_axis_is_refused(self, admin_client):
        _, (small, _) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
        product = make_product("Lamp")
        response = admin_client.post(
            edit_url(product), product_form_data(product, attribute_options=[small.pk])
        )
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.select_one("[data-contentpath=attribute_options].w-field--error")

    def test_edit_page_queries_do_not_grow_with_categories(self, admin_client, tree):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        product = make_product("Lamp", main_category=tree[2])
        admin_client.get(edit_url(product))
        with CaptureQueriesContext(connection) as few:
            admin_client.get(edit_url(product))
        for i in range(20):
            make_category(f"Deep {i}", tree[2])
        with CaptureQueriesContext(connection) as many:
            admin_client.get(edit_url(product))
        assert len(many) == len(few)


class TestCategoryChooserAndListing:
    def test_the_chooser_titles_categories_by_their_path(self, admin_client, tree):
        url = reverse("wagtailsnippetchoosers_commerce_category:choose")
        response = admin_client.get(url)
        assert response.status_code == 200
        soup = BeautifulSoup(response.json()["html"], "html.parser")  # the modal's
        titles = [a.get_text(strip=True) for a in soup.select("td.title a")]
        assert "Clothing › Outerwear › Coats" in titles

    def test_the_chooser_searches_names(self, admin_client, tree):
        url = reverse("wagtailsnippetchoosers_commerce_category:choose_results")
        soup = soup_of(admin_client.get(url, {"q": "coat"}))
        titles = [a.get_text(strip=True) for a in soup.select("td.title a")]
        assert titles == ["Clothing › Outerwear › Coats"]

    def test_the_category_listing_and_product_filter_show_paths(self, admin_client, tree):
        soup = soup_of(admin_client.get(reverse("wagtailsnippets_commerce_category:list")))
        assert "Clothing › Outerwear › Coats" in soup.select_one("tbody").get_text(" ")
        soup = soup_of(admin_client.get(reverse("wagtailsnippets_commerce_product:list")))
        options = [o.get_text(strip=True) for o in soup.select("select[name=main_category] option")]
        assert "Clothing › Outerwear › Coats" in options


class TestCouponForm:
    def test_products_and_categories_are_ticks_with_a_filter(self, admin_client, tree):
        make_product("Lamp")
        make_product("Anvil")
        soup = soup_of(admin_client.get(reverse("wagtailsnippets_commerce_coupon:add")))
        assert not soup.select("select[multiple]")
        assert checkbox_labels(soup, "products") == ["Anvil", "Lamp"]
        assert "Clothing › Outerwear › Coats" in checkbox_labels(soup, "categories")
        assert len(soup.select("[data-checkbox-filter]")) == 2

    def test_a_coupon_for_ticked_products_is_saved(self, admin_client):
        from commerce.models import Coupon

        lamp, anvil = make_product("Lamp"), make_product("Anvil")
        data = {
            "code": "LAMPS",
            "is_active": "on",
            "kind": "percent",
            "value": "10",
            "scope": "products",
            "products": [lamp.pk],
            "per_customer_limit": "",
        }
        response = admin_client.post(reverse("wagtailsnippets_commerce_coupon:add"), data)
        assert response.status_code == 302, BeautifulSoup(response.content, "html.parser").select(
            ".error-message"
        )
        coupon = Coupon.objects.get(code="LAMPS")
        assert list(coupon.products.all()) == [lamp] and anvil not in coupon.products.all()


def test_a_promotion_conditions_products_and_categories_are_ticks_with_a_filter(admin_client, tree):
    from tests.factories.promotions import condition, make_promotion

    lamp = make_product("Lamp")
    coats = tree[2]
    promotion = make_promotion(
        conditions=[condition([], qualifying="chosen", products=[lamp], categories=[coats])]
    )
    url = reverse("wagtailsnippets_commerce_promotion:edit", args=[promotion.pk])
    soup = soup_of(admin_client.get(url))
    categories = soup.select("input[type=checkbox][name=conditions-0-qualifying_categories]")
    labels = [box.find_parent("label").get_text(" ", strip=True) for box in categories]
    assert "Clothing › Outerwear › Coats" in labels
    assert [box.has_attr("checked") for box in categories] == [
        label == "Clothing › Outerwear › Coats" for label in labels
    ]
    assert soup.select("input[type=checkbox][name=conditions-0-qualifying_products]")
    assert not soup.select("select[name$=qualifying_categories], select[name$=qualifying_products]")
