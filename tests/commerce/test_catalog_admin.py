"""Staff run the catalog in Wagtail's admin: listing, filters, export, drafts, preview, stock."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from commerce.models import Product, ProductVariant, Stock
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_image,
    make_product,
    make_shop,
    make_warehouse,
    only_variant,
    product_form_data,
    variant_form_data,
)
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

LIST_URL = reverse("wagtailsnippets_commerce_product:list")


def edit_url(product):
    return reverse("wagtailsnippets_commerce_product:edit", args=[product.pk])


def listed_names(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {row.select_one("td.title a").get_text(strip=True) for row in soup.select("tbody tr")}


def listed_rows(response):
    """{product name: the row's cell texts, after the checkbox}."""
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        row.select_one("td.title a").get_text(strip=True): [
            td.get_text(" ", strip=True) for td in row.select("td")[1:]
        ]
        for row in soup.select("tbody tr")
    }


def listed_cells(response):
    """{product name: the row's cell texts, after the checkbox}."""
    return listed_rows(response)


EAN = "5901234123457"


@pytest.fixture
def axes():
    """Size (S, M) and Colour (Green, Blue): two variant axes."""
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True, sort_order=1)
    colour, (green, blue) = make_attribute(
        "Colour", ["Green", "Blue"], varies_per_variant=True, sort_order=2
    )
    return SimpleNamespace(size=size, colour=colour, s=s, m=m, green=green, blue=blue)


@pytest.fixture
def coat(axes):
    """Four variants: three active (7 units, 90.00 to 120.00), one inactive (50 units)."""
    a = axes
    return make_product(
        "Heritage coat",
        axes=[a.size, a.colour],
        images=1,
        variants=[
            {
                "sku": "COAT-S-GREEN",
                "ean": EAN,
                "price": D("100.00"),
                "options": [a.s, a.green],
                "stock": {"main": 3},
            },
            {
                "sku": "COAT-M-GREEN",
                "price": D("120.00"),
                "options": [a.m, a.green],
                "stock": {"main": 2, "north": 2},
            },
            {"sku": "COAT-S-BLUE", "price": D("90.00"), "options": [a.s, a.blue], "stock": 0},
            {
                "sku": "COAT-M-BLUE",
                "price": D("5.00"),
                "options": [a.m, a.blue],
                "stock": 50,
                "is_active": False,
            },
        ],
    )


def priced(product, price, **changes):
    """The variants inline of a product without axes, its one variant at a new price."""
    return [variant_form_data(only_variant(product), price=price, **changes)]


def fields_in_error(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {f["data-contentpath"] for f in soup.select(".w-field--error")}


def error_texts(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [e.get_text(" ", strip=True) for e in soup.select(".w-field--error .error-message")]


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
        tds = row.select("td")[1:]
        cells = [td.get_text(" ", strip=True) for td in tds]
        # name (with row actions), image, SKU, status (Wagtail's tag, then what shoppers
        # get), featured, variants, price, stock, sold, revenue
        assert cells[0].startswith("Steel pan")
        assert cells[2:4] == ["PAN-1", "live Active"]
        assert cells[5:10] == ["1", "30.00 EUR", "7", "0", "0.00 EUR"]
        assert "fill-48x48" in tds[1].img["src"]
        assert row.select_one("td.title a")["href"] == edit_url(product)
        # Wagtail's status tag and boolean icon; a SKU and an amount are never broken.
        assert tds[3].select_one(".w-status.w-status--primary").get_text(strip=True) == "live"
        assert tds[4].select_one("svg use[href='#icon-cross']")
        assert "w-whitespace-nowrap" in tds[2].select_one("[data-sku]")["class"]
        amount = tds[6].select_one(".w-whitespace-nowrap .money")
        assert amount.select_one(".money__currency").get_text() == "EUR"

    @pytest.mark.parametrize(
        ("publish", "featured", "status", "shop", "icon"),
        [
            ("live", True, "live", "Active", "check"),
            ("draft", False, "draft", "Not on the shop", "cross"),
            ("live + draft", False, "live + draft", "Active", "cross"),
        ],
    )
    def test_status_tag_and_featured_icon(
        self, admin_client, publish, featured, status, shop, icon
    ):
        product = make_product("Lamp", is_featured=featured)
        if publish == "draft":
            Product.objects.filter(pk=product.pk).update(live=False)
        elif publish == "live + draft":
            product.save_revision()
            Product.objects.filter(pk=product.pk).update(has_unpublished_changes=True)
        row = BeautifulSoup(admin_client.get(LIST_URL).content, "html.parser").select_one(
            "tbody tr"
        )
        tds = row.select("td")[1:]
        assert tds[3].select_one(".w-status").get_text(strip=True) == status
        assert tds[3].select_one("[data-on-the-shop]").get_text(strip=True) == shop
        assert tds[4].select_one(f"svg use[href='#icon-{icon}']")

    def test_a_scheduled_product_is_tagged_scheduled(self, admin_client):
        product = make_product("Lamp")
        Product.objects.filter(pk=product.pk).update(live=False)
        revision = Product.objects.get(pk=product.pk).save_revision()
        revision.approved_go_live_at = timezone.now() + timedelta(days=1)
        revision.save(update_fields=["approved_go_live_at"])
        cells = listed_cells(admin_client.get(LIST_URL))["Lamp"]
        assert cells[3] == "scheduled Not on the shop"

    def test_revenue_and_prices_in_the_shops_currency(self, admin_client, homepage):
        from pages.models import BrandingSettings

        site = homepage.get_site()
        BrandingSettings.objects.update_or_create(site=site, defaults={"currency_code": "PLN"})
        product = make_product("Pan", price=Decimal("1234.5"))
        make_order([(only_variant(product), 2)])
        cells = listed_cells(admin_client.get(LIST_URL))["Pan"]
        assert cells[6] == "1,234.50 PLN"
        assert cells[9].endswith("PLN") and cells[9].startswith("2,469.00")

    def test_queries_do_not_grow_with_products_or_variants(self, admin_client):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        size, sizes = make_attribute("Size", [f"S{i}" for i in range(4)], varies_per_variant=True)

        def add(count, prefix, variants_each):
            for i in range(count):
                make_product(
                    f"{prefix}{i}",
                    images=1,
                    axes=[size],
                    variants=[
                        {"sku": f"{prefix}{i}-{j}", "options": [sizes[j]], "stock": j}
                        for j in range(variants_each)
                    ],
                )
                make_order([(make_product(f"{prefix}{i}").variants.get(), 1)])

        def listing_queries():
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(LIST_URL).status_code == 200
            return len(queries)

        add(2, "A", 1)
        admin_client.get(LIST_URL)  # warm caches (content types, renditions)
        few = listing_queries()
        add(10, "B", 4)
        admin_client.get(LIST_URL)
        assert listing_queries() == few

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

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("q=COAT-M", {"Heritage coat"}),  # two variants match: listed once
            ("q=coat-s-green", {"Heritage coat"}),
            (f"q={EAN}", {"Heritage coat"}),
            ("q=heritage", {"Heritage coat"}),
            ("q=PAN", {"Pan"}),
        ],
    )
    def test_search_by_variant_sku_and_ean(self, admin_client, coat, query, expected):
        make_product("Pan", sku="PAN-1")
        response = admin_client.get(f"{LIST_URL}?{query}")
        assert listed_names(response) == expected
        assert len(listed_rows(response)) == len(expected)

    def test_stock_filter_counts_active_variants_only(self, admin_client, coat):
        # Active variants hold 7 in all; the inactive one's 50 do not count.
        assert "Heritage coat" in listed_names(admin_client.get(f"{LIST_URL}?stock_level=in"))
        ProductVariant.objects.filter(sku__in=["COAT-S-GREEN", "COAT-M-BLUE"]).update(
            is_active=False
        )
        # Left: COAT-M-GREEN (4) and COAT-S-BLUE (0) active
        assert "Heritage coat" in listed_names(admin_client.get(f"{LIST_URL}?stock_level=low"))
        ProductVariant.objects.filter(product=coat).exclude(sku="COAT-S-BLUE").update(
            is_active=False
        )
        assert "Heritage coat" in listed_names(admin_client.get(f"{LIST_URL}?stock_level=out"))

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
        assert rows[0]["SKUs"] == "PAN-1" and rows[0]["Stock"] == "5"
        assert (rows[0]["Lowest price"], rows[0]["Highest price"]) == ("30.00", "30.00")

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
        product = Product(name="Unsaved", slug="unsaved")
        variant = ProductVariant(sku="NEW-1", price=Decimal("5.00"))
        data = product_form_data(product, variants=[variant_form_data(variant)])
        assert admin_client.post(url, data).json()["is_valid"] is True
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "Unsaved" in response.content.decode()
        assert not ProductVariant.objects.filter(sku="NEW-1").exists()

    def test_edit_page_shows_stock_panel(self, admin_client):
        product = make_product(stock={"main": 4})
        html = admin_client.get(edit_url(product)).content.decode()
        assert "Stock per variant and warehouse" in html and "Edit stock levels" in html

    def test_draft_does_not_change_the_storefront_publish_does(
        self, admin_client, client, homepage
    ):
        make_shop(homepage)
        product = make_product("Lamp", price=Decimal("10.00"))
        response = admin_client.post(
            edit_url(product), product_form_data(product, variants=priced(product, "12.00"))
        )
        assert response.status_code == 302
        assert only_variant(product).price == Decimal("10.00")
        assert "10.00" in client.get(f"/shop/p/{product.slug}/").content.decode()

        response = admin_client.post(
            edit_url(product),
            product_form_data(
                product, variants=priced(product, "12.00"), **{"action-publish": "1"}
            ),
        )
        assert response.status_code == 302
        assert only_variant(product).price == Decimal("12.00")
        assert "12.00" in client.get(f"/shop/p/{product.slug}/").content.decode()

    def test_invalid_input_is_a_form_error(self, admin_client):
        product = make_product("Lamp", price=Decimal("10.00"))
        response = admin_client.post(
            edit_url(product), product_form_data(product, variants=priced(product, "-5", ean="123"))
        )
        assert response.status_code == 200
        assert only_variant(product).price == Decimal("10.00")
        assert {"price", "ean"} <= fields_in_error(response)

    def test_scheduled_price_change(self, admin_client, homepage):
        product = make_product("Lamp", price=Decimal("10.00"))
        go_live = timezone.localtime() + timedelta(days=1)
        data = product_form_data(
            product,
            variants=priced(product, "8.00"),
            go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
            **{"action-publish": "1"},
        )
        assert admin_client.post(edit_url(product), data).status_code == 302
        call_command("publish_scheduled")
        assert only_variant(product).price == Decimal("10.00")

        revision = Revision.objects.filter(
            object_id=str(product.pk), base_content_type__model="product"
        ).latest("created_at")
        past = timezone.now() - timedelta(minutes=1)
        revision.content["go_live_at"] = past.isoformat()
        revision.approved_go_live_at = past
        revision.save(update_fields=["content", "approved_go_live_at"])
        call_command("publish_scheduled")
        assert only_variant(product).price == Decimal("8.00")

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
        variant = only_variant(product)
        variant.price = Decimal("15.00")
        product.variants = [variant]
        product.save_revision().publish()
        assert only_variant(Product.objects.get(pk=product.pk)).price == Decimal("15.00")
        first.publish()
        assert only_variant(Product.objects.get(pk=product.pk)).price == Decimal("10.00")


def stock_field(variant, warehouse):
    return f"stock-{variant.pk}-{warehouse.pk}"


class TestStockEditor:
    def url(self, product):
        return reverse("commerce_product_stock", args=[product.pk])

    def levels(self, product):
        return {
            (sku, code): quantity
            for sku, code, quantity in Stock.objects.filter(variant__product=product).values_list(
                "variant__sku", "warehouse__code", "quantity"
            )
        }

    def test_sets_levels_per_variant_and_warehouse(self, admin_client, coat):
        main, north = make_warehouse("main"), make_warehouse("north")
        s_green, m_green, s_blue, m_blue = coat.variants.order_by("sort_order")
        page = admin_client.get(self.url(coat))
        soup = BeautifulSoup(page.content, "html.parser")
        rows = soup.select("[data-stock-grid] tbody tr")
        assert [row["data-variant-sku"] for row in rows] == [
            "COAT-S-GREEN",
            "COAT-M-GREEN",
            "COAT-S-BLUE",
            "COAT-M-BLUE",
        ]
        assert "Size S, Colour Green" in rows[0].get_text(" ")
        assert soup.select_one(f"input[name={stock_field(m_green, north)}]")["value"] == "2"

        data = {
            stock_field(v, w): "0"
            for v in (s_green, m_green, s_blue, m_blue)
            for w in (main, north)
        }
        data[stock_field(s_green, north)] = "7"
        data[stock_field(m_blue, main)] = "1"
        response = admin_client.post(self.url(coat), data)

        assert response.status_code == 302
        levels = self.levels(coat)
        assert levels[("COAT-S-GREEN", "north")] == 7 and levels[("COAT-M-BLUE", "main")] == 1
        assert levels[("COAT-M-GREEN", "north")] == 0
        assert sum(levels.values()) == 8

    @pytest.mark.parametrize("value", ["-1", "abc", "", "99999999999", "2.5"])
    def test_bad_quantity_is_a_form_error(self, admin_client, value):
        main = make_warehouse("main")
        product = make_product(stock={"main": 3})
        field = stock_field(only_variant(product), main)
        response = admin_client.post(self.url(product), {field: value})
        assert response.status_code == 200
        assert BeautifulSoup(response.content, "html.parser").select(".error-message")
        assert Stock.objects.get(variant__product=product).quantity == 3

    def test_a_nul_byte_is_refused_before_the_form(self, admin_client):
        main = make_warehouse("main")
        product = make_product(stock={"main": 3})
        response = admin_client.post(
            self.url(product), {stock_field(only_variant(product), main): "1\x00"}
        )
        assert response.status_code == 400  # the site-wide client input guard
        assert Stock.objects.get(variant__product=product).quantity == 3

    def test_variants_only_in_a_draft_are_named_without_fields(self, admin_client, coat, axes):
        make_warehouse("main")
        draft = coat.get_latest_revision_as_object()
        new = ProductVariant(sku="COAT-L-GREEN", price=D("130.00"))
        draft.variants.add(new)
        draft.save_revision()
        page = admin_client.get(self.url(coat)).content.decode()
        soup = BeautifulSoup(page, "html.parser")
        assert "COAT-L-GREEN" in soup.select_one("[data-draft-only-variants]").get_text()
        assert len(soup.select("[data-stock-grid] tbody tr")) == 4
        edit_page = admin_client.get(edit_url(coat)).content.decode()
        assert "only in the unpublished draft (COAT-L-GREEN)" in edit_page

    def test_needs_the_stock_permission(self, client, django_user_model):
        product = make_product(stock=1)
        user = django_user_model.objects.create_user("clerk", password="pw-1234-abc")
        user.groups.add(Group.objects.get(name="Editors"))
        client.force_login(user)
        main = make_warehouse("main")
        response = client.post(self.url(product), {stock_field(only_variant(product), main): "99"})
        # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
        assert (response.status_code, response["Location"]) == (302, "/admin/")
        assert Stock.objects.get(variant__product=product).quantity == 1

    def test_unknown_product_is_404(self, admin_client):
        assert admin_client.get(reverse("commerce_product_stock", args=[999999])).status_code == 404

    def test_has_a_title_and_a_breadcrumb_back_to_the_product(self, admin_client, coat):
        soup = BeautifulSoup(admin_client.get(self.url(coat)).content, "html.parser")
        assert soup.title.get_text(strip=True).startswith("Stock: Heritage coat")
        assert soup.h1.get_text(strip=True) == "Stock: Heritage coat"
        assert soup.select_one("[data-stock-title]").get_text(strip=True) == (
            "Stock of “Heritage coat”"
        )
        crumbs = soup.select("header nav[aria-label=Breadcrumb] li")
        labels = [li.get_text(" ", strip=True) for li in crumbs]
        assert labels[-3:] == ["Products", "Heritage coat", "Stock"]
        links = [a["href"] for a in soup.select("header nav[aria-label=Breadcrumb] a[href]")]
        assert LIST_URL in links and edit_url(coat) in links

    def test_the_product_edit_page_links_to_it_from_its_header(self, admin_client, coat):
        soup = BeautifulSoup(admin_client.get(edit_url(coat)).content, "html.parser")
        links = soup.select("a[data-stock-link]")
        # One in the header (every tab), one on the Stock tab's panel.
        assert [a["href"] for a in links] == [self.url(coat)] * 2
        assert links[0].find_parent("header") is not None
        assert links[0].get_text(strip=True) == "Stock levels"

    def test_editors_without_the_stock_permission_get_no_header_link(
        self, client, django_user_model
    ):
        product = make_product(stock=1)
        user = django_user_model.objects.create_user("clerk", password="pw-1234-abc")
        user.groups.add(Group.objects.get(name="Editors"))
        user.user_permissions.add(*Permission.objects.filter(codename="change_product"))
        client.force_login(user)
        response = client.get(edit_url(product))
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.select_one("form [name=name]") is not None  # the edit form itself
        assert not soup.select("header [data-stock-link]")


ADD_URL = reverse("wagtailsnippets_commerce_product:add")


def new_variant(sku, *options, price="100.00", **changes):
    return variant_form_data(
        ProductVariant(sku=sku, price=D(price)), options=[o.pk for o in options], **changes
    )


class TestVariantEditing:
    def test_an_editor_creates_a_product_with_two_axes(self, admin_client, axes):
        a = axes
        product = Product(name="Heritage coat", slug="heritage-coat")
        data = product_form_data(
            product,
            variant_axes=[a.size.pk, a.colour.pk],
            variants=[
                new_variant("COAT-S-GREEN", a.s, a.green),
                new_variant("COAT-M-BLUE", a.m, a.blue, price="120.00", ean=EAN),
            ],
            **{"action-publish": "1"},
        )
        response = admin_client.post(ADD_URL, data)
        assert response.status_code == 302, error_texts(response)
        product = Product.objects.get(slug="heritage-coat")
        assert product.live and set(product.variant_axes.all()) == {a.size, a.colour}
        variants = {v.sku: v for v in product.variants.all()}
        assert set(variants["COAT-M-BLUE"].options.all()) == {a.m, a.blue}
        assert (variants["COAT-M-BLUE"].price, variants["COAT-M-BLUE"].ean) == (D("120.00"), EAN)
        assert variants["COAT-S-GREEN"].description == "Heritage coat — Size S, Colour Green"

    def test_the_options_offered_are_of_variant_axes_only(self, admin_client, coat, axes):
        make_attribute("Material", ["Wool"])  # a shared attribute, not an axis
        soup = BeautifulSoup(admin_client.get(edit_url(coat)).content, "html.parser")
        labels = {
            label.get_text(strip=True)
            for label in soup.select('[name="variants-0-options"]')
            for label in [label.find_parent("label")]
        }
        assert labels == {"S", "M", "Green", "Blue"}

    @pytest.mark.parametrize(
        ("case", "field", "message"),
        [
            ("missing", "options", "Variant 2 (COAT-M): choose an option for Colour."),
            (
                "duplicate",
                "options",
                "Variant 2 (COAT-S-GREEN-2): variant 1 already has these options.",
            ),
            (
                "stray",
                "options",
                "Variant 1 (COAT-S): not one of this product's axes: Colour: Green.",
            ),
            (
                "second_without_axes",
                "options",
                "Variant 2 (LAMP-2): a product without variant axes is sold as one variant",
            ),
            (
                "picture",
                "images",
                "Variant 1 (COAT-S-GREEN): a variant's pictures come from the product's gallery;",
            ),
        ],
    )
    def test_errors_name_the_variant_and_the_field(self, admin_client, axes, case, field, message):
        a = axes
        both = [a.size.pk, a.colour.pk]
        stray_image = make_image("Not in the gallery")
        forms = {
            "missing": (both, [new_variant("COAT-S", a.s, a.green), new_variant("COAT-M", a.m)]),
            "duplicate": (
                both,
                [
                    new_variant("COAT-S-GREEN", a.s, a.green),
                    new_variant("COAT-S-GREEN-2", a.green, a.s),
                ],
            ),
            "stray": ([a.size.pk], [new_variant("COAT-S", a.s, a.green)]),
            "second_without_axes": ([], [new_variant("LAMP-1"), new_variant("LAMP-2")]),
            "picture": (
                both,
                [new_variant("COAT-S-GREEN", a.s, a.green, images=[stray_image.pk])],
            ),
        }
        axes_chosen, variants = forms[case]
        product = Product(name="Heritage coat", slug="heritage-coat")
        data = product_form_data(product, variant_axes=axes_chosen, variants=variants)
        response = admin_client.post(ADD_URL, data)
        assert response.status_code == 200
        assert any(text.startswith(message) for text in error_texts(response)), error_texts(
            response
        )
        assert field in fields_in_error(response)
        assert not Product.objects.exists() and not ProductVariant.objects.exists()

    def test_a_picture_from_the_gallery_is_accepted(self, admin_client, coat):
        gallery_image = coat.images.get().image
        variants = [variant_form_data(v) for v in coat.variants.order_by("sort_order")]
        variants[0]["images"] = (gallery_image.pk,)
        data = product_form_data(
            coat,
            variants=variants,
            images=inline_formset(
                [{"id": coat.images.get().pk, "image": gallery_image.pk, "alt_text": ""}],
                initial=1,
            ),
            **{"action-publish": "1"},
        )
        response = admin_client.post(edit_url(coat), data)
        assert response.status_code == 302, error_texts(response)
        assert list(ProductVariant.objects.get(sku="COAT-S-GREEN").images.all()) == [gallery_image]

    def test_a_product_without_axes_keeps_its_one_variant_on_edit(self, admin_client):
        product = make_product("Lamp", sku="LAMP-1", stock=2)
        html = admin_client.get(edit_url(product)).content.decode()
        assert 'name="variants-TOTAL_FORMS" value="1"' in html
        response = admin_client.post(
            edit_url(product), product_form_data(product, **{"action-publish": "1"})
        )
        assert response.status_code == 302
        assert only_variant(product).sku == "LAMP-1"

    @pytest.mark.parametrize(
        ("posted", "saved"), [("24", D("24")), ("", None), ("0.001", D("0.001"))]
    )
    def test_units_per_bulk_package_is_edited_with_the_variant(self, admin_client, posted, saved):
        product = make_product("Water", sku="WATER-1")
        variant = only_variant(product)
        data = product_form_data(
            product,
            variants=[variant_form_data(variant, units_per_bulk_package=posted)],
            **{"action-publish": "1"},
        )
        response = admin_client.post(edit_url(product), data)
        assert response.status_code == 302
        assert only_variant(product).units_per_bulk_package == saved

    def test_units_per_bulk_package_must_be_positive(self, admin_client):
        product = make_product("Water", sku="WATER-1")
        data = product_form_data(
            product,
            variants=[variant_form_data(only_variant(product), units_per_bulk_package="0")],
            **{"action-publish": "1"},
        )
        response = admin_client.post(edit_url(product), data)
        assert response.status_code == 200
        variant_form = response.context["form"].formsets["variants"].forms[0]
        assert "units_per_bulk_package" in variant_form.errors
        assert only_variant(product).units_per_bulk_package is None

    def test_a_variant_referred_to_says_what_deleting_it_keeps(self, admin_client, coat):
        make_order([(coat.variants.get(sku="COAT-M-GREEN"), 1)])
        html = admin_client.get(edit_url(coat)).content.decode()
        assert "In 0 carts, 0 shopping lists and 1 order. Deleting this variant keeps" in html

    def test_edit_page_queries_do_not_grow_with_variants(self, admin_client, axes):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        a = axes
        small = make_product(
            "Small", axes=[a.size], variants=[{"sku": "SM-S", "options": [a.s]}], images=1
        )
        big = make_product(
            "Big",
            axes=[a.size, a.colour],
            images=1,
            variants=[
                {"sku": f"BIG-{i}", "options": pair}
                for i, pair in enumerate(
                    [(a.s, a.green), (a.s, a.blue), (a.m, a.green), (a.m, a.blue)]
                )
            ],
        )
        counts = []
        for product in (small, big):
            admin_client.get(edit_url(product))
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(edit_url(product)).status_code == 200
            counts.append(len(queries))
        # The form, its choices and the stock grid cost the same; only loading the latest
        # revision (modelcluster's from_serializable_data) reads each variant's options
        # and pictures, one query each.
        assert counts[1] - counts[0] <= 2 * (4 - 1)


class TestGenerateVariants:
    def url(self, product):
        return reverse("wagtailsnippets_commerce_product:generate_variants", args=[product.pk])

    def post(self, client, product, *options, price="110.00", base_sku="COAT"):
        data = {"base_sku": base_sku, "price": price}
        for option in options:
            data.setdefault(f"axis_{option.definition_id}", []).append(option.pk)
        return client.post(self.url(product), data)

    @pytest.fixture
    def one_coat(self, axes):
        a = axes
        return make_product(
            "Heritage coat",
            axes=[a.size, a.colour],
            variants=[{"sku": "COAT-S-GREEN", "options": [a.s, a.green], "stock": 5}],
        )

    def test_a_live_product_gets_the_missing_combinations_in_a_draft(
        self, admin_client, one_coat, axes
    ):
        a = axes
        page = admin_client.get(self.url(one_coat)).content.decode()
        assert 'value="COAT"' in page  # the base SKU, from the first variant's
        make_product("Other", sku="COAT-M-BLUE")  # a SKU taken elsewhere

        response = self.post(admin_client, one_coat, a.s, a.m, a.green, a.blue)

        assert response.status_code == 302
        assert response["Location"] == edit_url(one_coat)
        assert one_coat.variants.count() == 1  # the shop is unchanged until published
        product = Product.objects.get(pk=one_coat.pk)
        assert product.has_unpublished_changes
        draft = product.get_latest_revision_as_object()
        skus = {v.sku: v for v in draft.variants.all()}
        assert set(skus) == {"COAT-S-GREEN", "COAT-S-BLUE", "COAT-M-GREEN", "COAT-M-BLUE-2"}
        assert skus["COAT-M-GREEN"].price == D("110.00")
        assert {o.pk for o in skus["COAT-M-BLUE-2"].options.all()} == {a.m.pk, a.blue.pk}

        product.latest_revision.publish()
        assert one_coat.variants.count() == 4
        assert Stock.objects.get(variant__sku="COAT-S-GREEN").quantity == 5

        # Again, with a new size: only what is missing.
        response = self.post(admin_client, one_coat, a.s, a.m, a.green)
        assert response.status_code == 200  # all exist
        assert "All 2 combinations exist already" in response.content.decode()

    def test_a_product_not_live_gets_its_variant_rows_at_once(self, admin_client, axes):
        a = axes
        coat = make_product(
            "Draft coat",
            publish=False,
            axes=[a.size, a.colour],
            variants=[{"sku": "COAT-S-GREEN", "options": [a.s, a.green]}],
        )
        coat.save_revision()
        response = self.post(admin_client, coat, a.s, a.m, a.green)
        assert response.status_code == 302
        assert set(coat.variants.values_list("sku", flat=True)) == {"COAT-S-GREEN", "COAT-M-GREEN"}
        latest = Product.objects.get(pk=coat.pk).get_latest_revision_as_object()
        assert {v.sku for v in latest.variants.all()} == {"COAT-S-GREEN", "COAT-M-GREEN"}

    def test_without_axes_or_choices_nothing_is_created(self, admin_client, one_coat, axes):
        lamp = make_product("Lamp")
        assert "has no variant axes" in admin_client.get(self.url(lamp)).content.decode()
        response = self.post(admin_client, lamp, axes.s)
        assert response.status_code == 200 and lamp.variants.count() == 1

        response = self.post(admin_client, one_coat, axes.s)  # no colour chosen
        assert response.status_code == 200
        assert "Choose at least one colour." in response.content.decode()
        response = self.post(admin_client, one_coat, axes.s, axes.green, price="-1")
        assert response.status_code == 200
        assert Product.objects.get(pk=one_coat.pk).latest_revision == one_coat.latest_revision

    def test_needs_the_change_permission_and_csrf(self, client, django_user_model, one_coat, axes):
        from django.test import Client

        user = django_user_model.objects.create_user("viewer", password="pw-1234-abc")
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(user)
        response = self.post(client, one_coat, axes.m, axes.green)
        assert (response.status_code, response["Location"]) == (302, "/admin/")

        strict = Client(enforce_csrf_checks=True)
        strict.force_login(django_user_model.objects.create_superuser("boss", password="pw-1-abc"))
        assert self.post(strict, one_coat, axes.m, axes.green).status_code == 403
        assert Product.objects.get(pk=one_coat.pk).latest_revision == one_coat.latest_revision

    def test_the_product_edit_page_links_to_it(self, admin_client, one_coat):
        html = admin_client.get(edit_url(one_coat)).content.decode()
        assert self.url(one_coat) in html


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
            reverse("commerce_product_stock", args=[product.pk]),
            {stock_field(only_variant(product), main): "9"},
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


@pytest.mark.parametrize(("swatch", "saved"), [("#2f6b3a", True), ("green", False)])
def test_attributes_show_axes_and_edit_option_swatches(admin_client, swatch, saved):
    colour, (green,) = make_attribute("Colour", ["Green"], varies_per_variant=True)
    listing = admin_client.get(reverse("wagtailsnippets_commerce_attributedefinition:list"))
    assert "Varies per variant" in listing.content.decode()
    edit = reverse("wagtailsnippets_commerce_attributedefinition:edit", args=[colour.pk])
    data = nested_form_data(
        {
            "name": "Colour",
            "slug": "colour",
            "is_filterable": "on",
            "varies_per_variant": "on",
            "sort_order": "0",
            "options": inline_formset(
                [{"id": green.pk, "value": "Green", "slug": "green", "swatch": swatch}],
                initial=1,
                min=1,
            ),
        }
    )
    response = admin_client.post(edit, data)
    green.refresh_from_db()
    assert (response.status_code, green.swatch) == ((302, swatch) if saved else (200, ""))
