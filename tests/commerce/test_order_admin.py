"""Staff run orders, coupons, delivery and payment methods in Wagtail's admin."""

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commerce.models import Coupon, Order, OrderStatus, OrderStatusChange, PaymentMethod, Stock
from tests.factories.catalog import make_attribute, make_category, make_product
from tests.factories.orders import (
    make_coupon,
    make_delivery_method,
    make_order,
    make_payment_method,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("wagtailsnippets_commerce_order:list")
PRODUCTS_URL = reverse("wagtailsnippets_commerce_product:list")


def inspect_url(order):
    return reverse("wagtailsnippets_commerce_order:inspect", args=[order.pk])


def status_url(order):
    return reverse("wagtailsnippets_commerce_order:change_status", args=[order.pk])


def rows(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")[1:]]
        for tr in soup.select("tbody tr")
    ]


def rows_by_header(response) -> dict[str, dict[str, str]]:
    """{first word of the row's first column: {column header: cell text}}."""
    soup = BeautifulSoup(response.content, "html.parser")
    headers = [th.get_text(" ", strip=True) for th in soup.select("thead th")[1:]]
    return {row[0].split()[0]: dict(zip(headers, row, strict=True)) for row in rows(response)}


def listed_numbers(response):
    return {row[0].split()[0] for row in rows(response)}


def messages_in(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(m.get_text(" ", strip=True) for m in soup.select(".messages li"))


def set_placed(order, year, month, day):
    moment = timezone.make_aware(datetime(year, month, day, 12, 0))
    Order.objects.filter(pk=order.pk).update(created_at=moment)


@pytest.fixture
def clerk(django_user_model):
    """Admin access and view_order only: may look, may not change a status."""
    user = django_user_model.objects.create_user("viewer", password="pw-1234-abc")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order", content_type__app_label="commerce"),
    )
    return user


@pytest.fixture
def manager(django_user_model):
    user = django_user_model.objects.create_user("manager", password="pw-1234-abc")
    user.groups.add(Group.objects.get(name="Shop managers"))
    return user


class TestOrderListing:
    def test_columns(self, admin_client):
        pan = make_product("Pan", price=Decimal("30.00"))
        order = make_order(
            [(pan, 2)], number="SO-1", full_name="Ada Lovelace", email="ada@example.com"
        )
        set_placed(order, 2025, 3, 4)
        response = admin_client.get(LIST_URL)
        assert response.status_code == 200
        (cells,) = rows(response)
        assert cells[0].startswith("SO-1")
        assert cells[1:] == [
            timezone.localtime(Order.objects.get().created_at).strftime("%Y-%m-%d %H:%M"),
            "Ada Lovelace",
            "ada@example.com",
            "New",
            "Pending",
            "75.00 EUR",
            "",  # tracking: not shipped yet
        ]
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.select_one("td.title a")["href"] == inspect_url(order)
        # Orders come from checkout only: no "Add" anywhere.
        assert reverse("wagtailsnippets_commerce_order:add") not in response.content.decode()

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("status=paid", {"SO-PAID"}),
            ("status=cancelled", {"SO-OLD"}),
            ("payment_status=pending", {"SO-NEW", "SO-OLD"}),
            ("created_at_from=2025-01-01&created_at_to=2025-01-31", {"SO-OLD"}),
            ("created_at_from=2025-02-01", {"SO-NEW", "SO-PAID"}),
            ("q=SO-PAID", {"SO-PAID"}),
            ("q=grace@example", {"SO-NEW"}),
            ("q=hopper", {"SO-NEW"}),
        ],
    )
    def test_filters_and_search(self, admin_client, query, expected):
        new = make_order(
            [(make_product(), 1)],
            number="SO-NEW",
            email="grace@example.com",
            full_name="Grace Hopper",
        )
        paid = make_order([(make_product(), 1)], number="SO-PAID", status=OrderStatus.PAID)
        old = make_order([(make_product(), 1)], number="SO-OLD", status=OrderStatus.CANCELLED)
        set_placed(new, 2025, 2, 10)
        set_placed(paid, 2025, 2, 11)
        set_placed(old, 2025, 1, 15)
        assert listed_numbers(admin_client.get(f"{LIST_URL}?{query}")) == expected

    def test_filter_by_payment_method(self, admin_client):
        card = make_payment_method("mock_card", name="Card")
        make_order(
            [(make_product(), 1)], number="SO-CARD", provider="mock_card", payment_method=card
        )
        make_order([(make_product(), 1)], number="SO-COD")
        response = admin_client.get(f"{LIST_URL}?payment_method={card.pk}")
        assert listed_numbers(response) == {"SO-CARD"}

    def test_csv_export(self, admin_client):
        make_order(
            [(make_product(price=Decimal("30.00")), 2)],
            number="SO-CSV",
            full_name='Ada "<b>"',
            status=OrderStatus.PAID,
        )
        response = admin_client.get(f"{LIST_URL}?export=csv")
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        (row,) = list(csv.DictReader(io.StringIO(text)))
        assert row["Number"] == "SO-CSV"
        assert row["Customer"] == 'Ada "<b>"'
        assert row["E-mail"] == "ada@example.com"
        assert (row["Status"], row["Payment status"]) == ("Paid", "Paid")
        assert (row["Product total"], row["Grand total"], row["Currency"]) == (
            "60.00",
            "75.00",
            "EUR",
        )

    def test_xlsx_export(self, admin_client):
        make_order([(make_product(), 1)])
        response = admin_client.get(f"{LIST_URL}?export=xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    @pytest.mark.parametrize("view", ["add", "edit", "delete"])
    def test_nobody_adds_edits_or_deletes_orders(self, admin_client, view):
        order = make_order([(make_product(), 1)])
        args = [] if view == "add" else [order.pk]
        url = reverse(f"wagtailsnippets_commerce_order:{view}", args=args)
        response = admin_client.post(url, {"email": "x@example.com", "full_name": "X"})
        assert (response.status_code, response["Location"]) == (302, "/admin/")
        assert Order.objects.get(pk=order.pk).email == "ada@example.com"


class TestOrderPage:
    def test_shows_lines_allocations_totals_addresses_and_history(self, admin_client, admin_user):
        pan = make_product("Steel pan", price=Decimal("30.00"), sku="PAN-1")
        order = make_order([(pan, 3, {"main": 2, "north": 1})], status=OrderStatus.PAID)
        OrderStatusChange.objects.create(
            order=order, from_status="new", to_status="paid", changed_by=admin_user, note="cash"
        )
        response = admin_client.get(inspect_url(order))
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        (line,) = soup.select("[data-order-lines] tbody tr")
        cells = [td.get_text(" ", strip=True) for td in line.select("td")]
        assert cells[:6] == ["Steel pan", "PAN-1", "30.00", "—", "—", "3"]
        assert cells[-1] == "Main: 2, North: 1"
        (change,) = soup.select("[data-order-history] tbody tr")
        assert [td.get_text(strip=True) for td in change.select("td")][1:] == [
            "new",
            "paid",
            "admin",
            "cash",
        ]
        totals = soup.select_one("[data-order-totals]").get_text(" ", strip=True)
        assert "105.00 EUR" in totals and "90.00 EUR" in totals
        assert "1 Engine Street" in soup.get_text()
        actions = {form["data-order-action"] for form in soup.select("[data-order-action]")}
        assert actions == {"fulfilled", "refunded"}

    def test_each_line_shows_its_promotion_regular_price_and_gift_mark(self, admin_client):
        pan = make_product("Steel pan", price=Decimal("10.00"), sku="PAN-1")
        tote = make_product("Tote bag", price=Decimal("4.00"), sku="TOTE-1")
        plain = make_product("Lid", price=Decimal("3.00"), sku="LID-1")
        order = make_order([(pan, 10), (tote, 1), (plain, 1)])
        order.lines.filter(sku="PAN-1").update(
            unit_price=Decimal("8.00"),
            regular_unit_price=Decimal("10.00"),
            promotion_name="Ten pans",
        )
        order.lines.filter(sku="TOTE-1").update(
            unit_price=Decimal("0.00"), promotion_name="Ten pans", is_gift=True
        )
        soup = BeautifulSoup(admin_client.get(inspect_url(order)).content, "html.parser")
        cells = [
            [td.get_text(" ", strip=True) for td in tr.select("td")][:5]
            for tr in soup.select("[data-order-lines] tbody tr")
        ]
        assert cells == [
            ["Steel pan", "PAN-1", "8.00", "10.00", "Ten pans"],
            ["Tote bag Gift", "TOTE-1", "0.00", "—", "Ten pans"],
            ["Lid", "LID-1", "3.00", "—", "—"],
        ]
        assert len(soup.select("[data-order-lines] [data-gift]")) == 1

    def test_each_line_shows_its_variant_and_sku_even_once_the_variant_is_gone(self, admin_client):
        size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True, sort_order=1)
        colour, (green,) = make_attribute(
            "Colour", ["Green"], varies_per_variant=True, sort_order=2
        )
        coat = make_product(
            "Heritage coat",
            axes=[size, colour],
            variants=[
                {"sku": "COAT-S-GRN", "options": [s, green], "price": Decimal("90.00")},
                {"sku": "COAT-M-GRN", "options": [m, green], "price": Decimal("95.00")},
            ],
        )
        small, medium = coat.variants.order_by("sort_order")
        order = make_order([(small, 1), (medium, 2)])
        medium.delete()
        soup = BeautifulSoup(admin_client.get(inspect_url(order)).content, "html.parser")
        lines = [
            [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in soup.select("[data-order-lines] tbody tr")
        ]
        # Product, SKU, unit price and quantity (after the regular price and promotion).
        assert [[c[0], c[1], c[2], c[5]] for c in lines] == [
            ["Heritage coat — Size S, Colour Green", "COAT-S-GRN", "90.00", "1"],
            ["Heritage coat — Size M, Colour Green (no longer sold)", "COAT-M-GRN", "95.00", "2"],
        ]

    def test_status_change_by_post_records_who(self, admin_client, admin_user):
        order = make_order([(make_product(), 1)], status=OrderStatus.PAID)
        response = admin_client.post(
            status_url(order),
            {"to_status": "fulfilled", "from_status": "paid", "note": "packed"},
            follow=True,
        )
        assert response.redirect_chain == [(inspect_url(order), 302)]
        assert "is now fulfilled" in messages_in(response)
        assert Order.objects.get(pk=order.pk).status == "fulfilled"
        change = OrderStatusChange.objects.get(order=order)
        assert (change.changed_by, change.from_status, change.to_status, change.note) == (
            admin_user,
            "paid",
            "fulfilled",
            "packed",
        )

    def test_offline_payment_received_goes_through_the_provider(self, admin_client):
        order = make_order([(make_product(), 1)], provider="bank_transfer")
        html = admin_client.get(inspect_url(order)).content.decode()
        assert "Payment received" in html
        admin_client.post(status_url(order), {"to_status": "paid", "from_status": "new"})
        order.refresh_from_db()
        assert (order.status, order.payment_status) == ("paid", "paid")

    def test_cancel_through_the_admin_returns_stock(self, admin_client):
        product = make_product(stock={"main": 0})
        order = make_order([(product, 2)])
        # One click on the status URL only leads to the confirmation page.
        response = admin_client.post(
            status_url(order), {"to_status": "cancelled", "from_status": "new"}
        )
        action = reverse("wagtailsnippets_commerce_order:action", args=[order.pk, "cancelled"])
        assert response["Location"] == action
        assert Order.objects.get(pk=order.pk).status == "new"
        admin_client.post(action, {"from_status": "new"})
        assert Stock.objects.get(variant__product=product).quantity == 2
        assert Order.objects.get(pk=order.pk).status == "cancelled"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"to_status": "shipped", "from_status": "new"}, "cannot become shipped"),
            ({"to_status": "paid", "from_status": "paid"}, "changed meanwhile"),
            ({"to_status": "lost", "from_status": "new"}, "not understood"),
            ({}, "not understood"),
        ],
    )
    def test_invalid_changes_are_messages_not_errors(self, admin_client, data, message):
        order = make_order([(make_product(), 1)])
        response = admin_client.post(status_url(order), data, follow=True)
        assert response.status_code == 200
        assert message in messages_in(response)
        assert Order.objects.get(pk=order.pk).status == "new"
        assert not OrderStatusChange.objects.filter(order=order).exists()

    def test_the_status_url_takes_only_post(self, admin_client):
        order = make_order([(make_product(), 1)])
        assert admin_client.get(status_url(order)).status_code == 405

    def test_csrf_is_required(self, client, admin_user):
        from django.test import Client

        order = make_order([(make_product(), 1)], status=OrderStatus.PAID)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(admin_user)
        html = strict.get(inspect_url(order)).content.decode()
        assert 'name="csrfmiddlewaretoken"' in html
        response = strict.post(status_url(order), {"to_status": "fulfilled", "from_status": "paid"})
        assert response.status_code == 403
        assert Order.objects.get(pk=order.pk).status == "paid"

    def test_a_viewer_may_look_but_not_change(self, client, clerk):
        order = make_order([(make_product(), 1)], status=OrderStatus.PAID)
        client.force_login(clerk)
        assert client.get(LIST_URL).status_code == 200
        response = client.get(inspect_url(order))
        assert response.status_code == 200
        assert not BeautifulSoup(response.content, "html.parser").select("[data-order-action]")
        response = client.post(status_url(order), {"to_status": "fulfilled", "from_status": "paid"})
        assert (response.status_code, response["Location"]) == (302, "/admin/")
        assert Order.objects.get(pk=order.pk).status == "paid"
        assert not OrderStatusChange.objects.exists()

    def test_without_view_permission_the_order_is_hidden(self, client, django_user_model):
        user = django_user_model.objects.create_user("nobody", password="pw-1234-abc")
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(user)
        order = make_order([(make_product(), 1)])
        assert client.get(inspect_url(order))["Location"] == "/admin/"
        assert client.get(LIST_URL)["Location"] == "/admin/"

    def test_shop_managers_change_statuses(self, client, manager):
        order = make_order([(make_product(), 1)], status=OrderStatus.PAID)
        client.force_login(manager)
        client.post(status_url(order), {"to_status": "fulfilled", "from_status": "paid"})
        assert OrderStatusChange.objects.get(order=order).changed_by == manager


def test_shop_managers_group_runs_orders_coupons_and_methods(client, manager):
    codenames = set(
        Group.objects.get(name="Shop managers").permissions.values_list("codename", flat=True)
    )
    assert {
        f"{action}_{model}"
        for model in ("coupon", "deliverymethod", "paymentmethod")
        for action in ("add", "change", "delete", "view")
    } <= codenames
    assert {"view_order", "change_order"} <= codenames
    assert not {"add_order", "delete_order"} & codenames
    client.force_login(manager)
    for name in ("order", "coupon", "deliverymethod", "paymentmethod"):
        assert client.get(reverse(f"wagtailsnippets_commerce_{name}:list")).status_code == 200
    assert client.get(reverse("wagtailsnippets_commerce_coupon:add")).status_code == 200


class TestCoupons:
    def test_listing_shows_times_used(self, admin_client):
        make_coupon("SPRING", times_used=4, usage_limit=10)
        (cells,) = rows(admin_client.get(reverse("wagtailsnippets_commerce_coupon:list")))
        assert cells[0].startswith("SPRING")
        assert cells[1:] == [
            "Percent off",
            "10.00",
            "True",
            "",
            "",
            "10",
            "4",
            "True",
            "Whole cart",
        ]

    def test_create_with_restrictions(self, admin_client):
        kitchen = make_category("Kitchen")
        pan = make_product("Pan")
        response = admin_client.post(
            reverse("wagtailsnippets_commerce_coupon:add"),
            {
                "code": " summer ",
                "description": "",
                "kind": "fixed",
                "value": "5.00",
                "is_active": "on",
                "valid_from": "2025-06-01 00:00",
                "valid_until": "2025-09-01 00:00",
                "usage_limit": "100",
                "per_customer_limit": "1",
                "min_cart_value": "20.00",
                "scope": "products_categories",
                "categories": [kitchen.pk],
                "products": [pan.pk],
            },
        )
        assert response.status_code == 302
        coupon = Coupon.objects.get()
        assert (coupon.code, coupon.kind, coupon.value, coupon.times_used) == (
            "SUMMER",
            "fixed",
            Decimal("5.00"),
            0,
        )
        assert list(coupon.categories.all()) == [kitchen]
        assert list(coupon.products.all()) == [pan]

    @pytest.mark.parametrize("ticked", [True, False])
    def test_with_promotions_is_editable_and_filterable(self, admin_client, ticked):
        data = {"code": "PROMO", "kind": "percent", "value": "10", "scope": "cart"}
        if ticked:
            data["combines_with_promotions"] = "on"
        response = admin_client.post(reverse("wagtailsnippets_commerce_coupon:add"), data)
        assert response.status_code == 302
        assert Coupon.objects.get().combines_with_promotions is ticked
        listing = reverse("wagtailsnippets_commerce_coupon:list")
        shown = rows(admin_client.get(f"{listing}?combines_with_promotions={str(ticked).lower()}"))
        assert [cells[0].split()[0] for cells in shown] == ["PROMO"]
        hidden = f"{listing}?combines_with_promotions={str(not ticked).lower()}"
        assert rows(admin_client.get(hidden)) == []

    def test_model_rules_are_form_errors(self, admin_client):
        make_coupon("TAKEN")
        response = admin_client.post(
            reverse("wagtailsnippets_commerce_coupon:add"),
            {"code": "taken", "kind": "percent", "value": "150"},
        )
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        fields_in_error = {f["data-contentpath"] for f in soup.select(".w-field--error")}
        assert {"code", "value"} <= fields_in_error
        assert Coupon.objects.count() == 1


class TestMethods:
    def test_payment_provider_is_a_select_of_configured_providers(self, admin_client):
        response = admin_client.get(reverse("wagtailsnippets_commerce_paymentmethod:add"))
        soup = BeautifulSoup(response.content, "html.parser")
        options = {o["value"] for o in soup.select("select[name=provider] option") if o["value"]}
        assert options == {"mock_card", "cash_on_delivery", "bank_transfer"}

    def test_create_payment_method(self, admin_client):
        url = reverse("wagtailsnippets_commerce_paymentmethod:add")
        data = {"name": "Transfer", "description": "IBAN X", "provider": "bank_transfer"}
        response = admin_client.post(url, {**data, "is_active": "on", "sort_order": "1"})
        assert response.status_code == 302
        assert PaymentMethod.objects.get().provider == "bank_transfer"

    def test_unknown_provider_is_refused(self, admin_client):
        url = reverse("wagtailsnippets_commerce_paymentmethod:add")
        response = admin_client.post(url, {"name": "X", "provider": "paypal", "sort_order": "0"})
        assert response.status_code == 200
        assert not PaymentMethod.objects.exists()

    def test_delivery_methods_list(self, admin_client):
        make_delivery_method("Courier", price=Decimal("15.00"))
        (cells,) = rows(admin_client.get(reverse("wagtailsnippets_commerce_deliverymethod:list")))
        assert cells[0].startswith("Courier") and cells[1] == "15.00"


class TestProductSales:
    def test_units_sold_and_revenue_count_orders_that_stand(self, admin_client):
        pan = make_product("Pan", price=Decimal("30.00"))
        make_product("Unsold")
        make_order([(pan, 2)], status=OrderStatus.PAID)
        make_order([(pan, 1)], discount=Decimal("5.00"))
        make_order([(pan, 7)], status=OrderStatus.CANCELLED)
        make_order([(pan, 4)], status=OrderStatus.REFUNDED)
        table = rows_by_header(admin_client.get(PRODUCTS_URL))
        assert (table["Pan"]["Sold"], table["Pan"]["Revenue"]) == ("3", "85.00 EUR")
        assert (table["Unsold"]["Sold"], table["Unsold"]["Revenue"]) == ("0", "0.00 EUR")

    def test_sales_in_export(self, admin_client):
        pan = make_product("Pan", price=Decimal("30.00"))
        make_order([(pan, 2)], status=OrderStatus.PAID)
        response = admin_client.get(f"{PRODUCTS_URL}?export=csv")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        (row,) = list(csv.DictReader(io.StringIO(text)))
        assert (row["Units sold"], row["Revenue"]) == ("2", "60.00")

    def test_constant_number_of_queries(self, admin_client, django_assert_max_num_queries):
        def add(count, prefix):
            for i in range(count):
                product = make_product(f"{prefix}{i}", stock=i, images=1)
                make_order([(product, 1), (product, 2)], status=OrderStatus.PAID)

        add(2, "A")
        admin_client.get(PRODUCTS_URL)  # warm caches (content types, renditions)
        with CaptureQueriesContext(connection) as small:
            admin_client.get(PRODUCTS_URL)
        budget = len(small)  # now: the query log is a bounded deque
        assert budget > 0
        add(18, "B")
        admin_client.get(PRODUCTS_URL)
        with django_assert_max_num_queries(budget):
            response = admin_client.get(PRODUCTS_URL)
        assert len(rows(response)) == 20


def test_group_editor_offers_only_the_order_permissions_that_mean_something():
    from wagtail import hooks

    offered = {
        permission.codename
        for hook in hooks.get_hooks("register_permissions")
        for permission in hook()
        if permission.content_type.model == "order"
    }
    assert offered == {"view_order", "change_order"}
