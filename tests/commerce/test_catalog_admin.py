"""Staff run the catalog in Wagtail's admin: listing, filters, export, drafts, preview, stock."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from commerce.models import Product, Stock
from tests.factories.catalog import (
    make_category,
    make_product,
    make_shop,
    make_warehouse,
    product_form_data,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("wagtailsnippets_commerce_product:list")


def edit_url(product):
    return reverse("wagtailsnippets_commerce_product:edit", args=[product.pk])


def listed_names(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {row.select_one("td.title a").get_text(strip=True) for row in soup.select("tbody tr")}


class TestListing:
    def test_columns(self, admin_client):
        product = make_product(
            "Steel pan",
            sku="PAN-1",
            price=Decimal("30.00"),
            stock={"main": 4, "north": 3},
            images=1,
        )
        response = admin_client.get(LIST_URL)
        soup = BeautifulSoup(response.content, "html.parser")
        (row,) = soup.select("tbody tr")
        cells = [td.get_text(" ", strip=True) for td in row.select("td")[1:]]
        # name (with row actions), image, SKU, status, price, stock, updated
        assert cells[0].startswith("Steel pan")
        assert cells[2:6] == ["PAN-1", "Active: listed and purchasable", "30.00", "7"]
        assert "fill-48x48" in row.select("td")[2].img["src"]
        assert row.select_one("td.title a")["href"] == edit_url(product)

    def test_queries_do_not_grow_with_rows(self, admin_client, django_assert_max_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for i in range(3):
            make_product(f"A{i}", stock=i, images=1)
        admin_client.get(LIST_URL)
        with CaptureQueriesContext(connection) as few:
            admin_client.get(LIST_URL)
        for i in range(12):
            make_product(f"B{i}", stock=i, images=1)
        admin_client.get(LIST_URL)
        with CaptureQueriesContext(connection) as many:
            admin_client.get(LIST_URL)
        assert len(many) == len(few)

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("status=disabled", {"Disabled one"}),
            ("stock_level=out", {"Empty", "Disabled one"}),
            ("stock_level=low", {"Low"}),
            ("stock_level=in", {"Plenty"}),
            ("q=PLENTY-SKU", {"Plenty"}),
        ],
    )
    def test_filters_and_search(self, admin_client, query, expected):
        make_product("Empty", stock=0)
        make_product("Low", stock=3)
        make_product("Plenty", stock=50, sku="PLENTY-SKU")
        make_product("Disabled one", status="disabled")
        assert listed_names(admin_client.get(f"{LIST_URL}?{query}")) == expected

    def test_category_filter_includes_subcategories(self, admin_client):
        home = make_category("Home")
        pans = make_category("Pans", make_category("Kitchen", home))
        make_product("In pans", main_category=pans)
        make_product("Elsewhere", main_category=make_category("Garden"))
        html = admin_client.get(f"{LIST_URL}?main_category={home.pk}").content.decode()
        assert "In pans" in html and "Elsewhere" not in html

    def test_csv_export(self, admin_client):
        make_product("Steel pan", sku="PAN-1", price=Decimal("30.00"), stock=5)
        response = admin_client.get(f"{LIST_URL}?export=csv")
        assert response.status_code == 200
        rows = list(
            csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
        )
        assert rows[0]["SKU"] == "PAN-1" and rows[0]["Stock"] == "5"
        assert rows[0]["Price"] == "30.00"

    def test_xlsx_export(self, admin_client):
        make_product("Steel pan")
        response = admin_client.get(f"{LIST_URL}?export=xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )


class TestEditing:
    def test_edit_page_queries_do_not_grow_with_attribute_options(self, admin_client):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tests.factories.catalog import make_attribute

        product = make_product(stock=1)
        make_attribute("Colour", ["Red", "Blue"])
        admin_client.get(edit_url(product))
        with CaptureQueriesContext(connection) as few:
            admin_client.get(edit_url(product))
        make_attribute("Size", [f"S{i}" for i in range(30)])
        with CaptureQueriesContext(connection) as many:
            admin_client.get(edit_url(product))
        assert len(many) == len(few)

    def test_new_product_preview(self, admin_client, homepage):
        make_shop(homepage)
        url = reverse("wagtailsnippets_commerce_product:preview_on_add")
        product = Product(name="Unsaved", slug="unsaved", sku="NEW-1", price=Decimal("5.00"))
        assert admin_client.post(url, product_form_data(product)).json()["is_valid"] is True
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "Unsaved" in response.content.decode()
        assert not Product.objects.filter(sku="NEW-1").exists()

    def test_edit_page_shows_stock_panel(self, admin_client):
        product = make_product(stock={"main": 4})
        html = admin_client.get(edit_url(product)).content.decode()
        assert "Stock per warehouse" in html and "Edit stock levels" in html

    def test_draft_does_not_change_the_storefront_publish_does(
        self, admin_client, client, homepage
    ):
        make_shop(homepage)
        product = make_product("Lamp", price=Decimal("10.00"))
        response = admin_client.post(edit_url(product), product_form_data(product, price="12.00"))
        assert response.status_code == 302
        assert Product.objects.get(pk=product.pk).price == Decimal("10.00")
        assert "10.00" in client.get(f"/shop/p/{product.slug}/").content.decode()

        response = admin_client.post(
            edit_url(product), product_form_data(product, price="12.00", **{"action-publish": "1"})
        )
        assert response.status_code == 302
        assert Product.objects.get(pk=product.pk).price == Decimal("12.00")
        assert "12.00" in client.get(f"/shop/p/{product.slug}/").content.decode()

    def test_invalid_input_is_a_form_error(self, admin_client):
        product = make_product("Lamp", price=Decimal("10.00"))
        response = admin_client.post(
            edit_url(product), product_form_data(product, price="-5", ean="123")
        )
        assert response.status_code == 200
        assert Product.objects.get(pk=product.pk).price == Decimal("10.00")
        soup = BeautifulSoup(response.content, "html.parser")
        fields_in_error = {f["data-contentpath"] for f in soup.select(".w-field--error")}
        assert {"price", "ean"} <= fields_in_error

    def test_scheduled_price_change(self, admin_client, homepage):
        product = make_product("Lamp", price=Decimal("10.00"))
        go_live = timezone.localtime() + timedelta(days=1)
        data = product_form_data(
            product,
            price="8.00",
            go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
            **{"action-publish": "1"},
        )
        assert admin_client.post(edit_url(product), data).status_code == 302
        call_command("publish_scheduled")
        assert Product.objects.get(pk=product.pk).price == Decimal("10.00")

        revision = Revision.objects.filter(
            object_id=str(product.pk), base_content_type__model="product"
        ).latest("created_at")
        past = timezone.now() - timedelta(minutes=1)
        revision.content["go_live_at"] = past.isoformat()
        revision.approved_go_live_at = past
        revision.save(update_fields=["content", "approved_go_live_at"])
        call_command("publish_scheduled")
        assert Product.objects.get(pk=product.pk).price == Decimal("8.00")

    def test_preview_of_unsaved_changes(self, admin_client, homepage):
        make_shop(homepage)
        product = make_product("Lamp", price=Decimal("10.00"))
        url = reverse("wagtailsnippets_commerce_product:preview_on_edit", args=[product.pk])
        response = admin_client.post(url, product_form_data(product, name="Brand new lamp"))
        assert response.json()["is_valid"] is True
        html = admin_client.get(url).content.decode()
        assert "Brand new lamp" in html and "Preview of an unpublished version" in html
        assert Product.objects.get(pk=product.pk).name == "Lamp"

    def test_revert_to_an_earlier_revision(self, admin_client):
        product = make_product("Lamp", price=Decimal("10.00"))
        first = product.latest_revision
        product.price = Decimal("15.00")
        product.save_revision().publish()
        first.publish()
        assert Product.objects.get(pk=product.pk).price == Decimal("10.00")


class TestStockEditor:
    def url(self, product):
        return reverse("commerce_product_stock", args=[product.pk])

    def test_sets_levels_per_warehouse(self, admin_client):
        main, north = make_warehouse("main"), make_warehouse("north")
        product = make_product(stock={"main": 1})
        response = admin_client.post(
            self.url(product), {f"warehouse_{main.pk}": "7", f"warehouse_{north.pk}": "2"}
        )
        assert response.status_code == 302
        assert dict(
            Stock.objects.filter(product=product).values_list("warehouse__code", "quantity")
        ) == {"main": 7, "north": 2}

    @pytest.mark.parametrize("value", ["-1", "abc", ""])
    def test_bad_quantity_is_a_form_error(self, admin_client, value):
        main = make_warehouse("main")
        product = make_product(stock={"main": 3})
        response = admin_client.post(self.url(product), {f"warehouse_{main.pk}": value})
        assert response.status_code == 200
        assert Stock.objects.get(product=product).quantity == 3

    def test_needs_the_stock_permission(self, client, django_user_model):
        product = make_product(stock=1)
        user = django_user_model.objects.create_user("clerk", password="pw-1234-abc")
        user.groups.add(Group.objects.get(name="Editors"))
        client.force_login(user)
        main = make_warehouse("main")
        response = client.post(self.url(product), {f"warehouse_{main.pk}": "99"})
        # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
        assert (response.status_code, response["Location"]) == (302, "/admin/")
        assert Stock.objects.get(product=product).quantity == 1

    def test_unknown_product_is_404(self, admin_client):
        assert admin_client.get(reverse("commerce_product_stock", args=[999999])).status_code == 404


def test_shop_managers_group_can_run_the_catalog(client, django_user_model):
    group = Group.objects.get(name="Shop managers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {
        "add_product",
        "change_product",
        "publish_product",
        "change_stock",
        "access_admin",
    } <= codenames
    user = django_user_model.objects.create_user("manager", password="pw-1234-abc")
    user.groups.add(group)
    client.force_login(user)
    assert client.get(LIST_URL).status_code == 200
    # Product photos: Wagtail checks image permissions per collection.
    from wagtail.images import get_image_model
    from wagtail.permissions import policy_registry

    permission_policy = policy_registry.get_by_type(get_image_model())
    assert permission_policy.user_has_permission(user, "add")
    assert permission_policy.user_has_permission(user, "choose")
    assert client.get(reverse("wagtailimages:add_multiple")).status_code == 200
    product = make_product(stock=1)
    main = make_warehouse("main")
    assert (
        client.post(
            reverse("commerce_product_stock", args=[product.pk]), {f"warehouse_{main.pk}": "9"}
        ).status_code
        == 302
    )


def test_shop_page_live_preview(admin_client, homepage):
    from tests.factories.catalog import make_shop

    shop = make_shop(homepage)
    make_product("Previewed lamp", stock=1)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[shop.pk])
    data = nested_form_data(
        {
            "title": "Our shop",
            "slug": "shop",
            "intro": "Unsaved intro text",
            "comments": inline_formset([]),
        }
    )
    assert admin_client.post(url, data).json()["is_valid"] is True
    html = admin_client.get(url).content.decode()
    assert "Unsaved intro text" in html and "Previewed lamp" in html


def test_product_preview_without_a_shop_page(admin_client):
    product = make_product("Lonely lamp")
    url = reverse("wagtailsnippets_commerce_product:preview_on_edit", args=[product.pk])
    assert admin_client.post(url, product_form_data(product)).json()["is_valid"] is True
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Lonely lamp" in response.content.decode()


def test_admin_category_filter_includes_additional_categories(admin_client):
    kitchen = make_category("Kitchen")
    garden = make_category("Garden")
    both = make_product("Apron", main_category=garden)
    both.additional_categories.add(kitchen)
    both.save()
    make_product("Rake", main_category=garden)
    assert listed_names(admin_client.get(f"{LIST_URL}?main_category={kitchen.pk}")) == {"Apron"}
