"""The README's example ERP connector (scripts/erp_sync_example.py) run as a program against
a live server: it pushes the example export, then fulfils the paid orders."""

import subprocess
import sys

import pytest

from commerce.models import Category, OrderStatus, PaymentStatus, Product, Stock
from tests.commerce.integrations.test_api_v1 import make_key
from tests.factories.accounts import make_order
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.django_db(transaction=True)

SCOPES = ["write_catalog", "write_stock", "read_orders", "change_orders"]


@pytest.fixture(autouse=True)
def root_collection():
    """The pictures and documents the script sends go into Wagtail's root collection, which
    a transactional test before this one flushed with the rest of the database."""
    from wagtail.models import Collection

    return Collection.get_first_root_node() or Collection.add_root(name="Root")


def run_script(live_server, key, *options):
    return subprocess.run(  # noqa: S603 - our own script, arguments from the test
        [
            sys.executable,
            "scripts/erp_sync_example.py",
            "--url",
            live_server.url,
            "--key",
            key,
            *options,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_example_connector_pushes_the_export_and_fulfils_paid_orders(live_server):
    _, key = make_key("Example ERP", scopes=SCOPES)
    paid = make_order(status=OrderStatus.PAID, payment_status=PaymentStatus.PAID)
    waiting = make_order()  # not paid yet: left alone

    first = run_script(live_server, key)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "products: {'created': 4, 'updated': 0, 'unchanged': 0, 'error': 0}" in first.stdout
    assert "orders fulfilled: 1" in first.stdout

    coat = Product.objects.get(name="Heritage coat")
    assert sorted(coat.variants.values_list("sku", flat=True)) == [
        "COAT-M-GRN",
        "COAT-M-NVY",
        "COAT-S-GRN",
    ]
    assert {axis.slug for axis in coat.variant_axes.all()} == {"size", "colour"}
    coats = Category.objects.get(external_id="110")
    assert coats.slug_path == "clothing/coats"
    assert coat.main_category == coats
    assert [c.external_id for c in coat.additional_categories.all()] == ["100"]
    assert [link.related.name for link in coat.related_links.all()] == ["Wool scarf"]
    [picture] = coat.images.all()
    assert (picture.image.title, picture.alt, picture.image.width) == (
        "heritage-coat.png",
        "The Heritage coat in green, front",
        480,
    )
    [document] = coat.documents.all()
    assert (document.document.title, document.label) == ("heritage-coat-care.pdf", "Care guide")
    stock = {
        (row.variant.sku, row.warehouse.code): row.quantity
        for row in Stock.objects.select_related("variant", "warehouse")
    }
    assert stock == {
        ("COAT-S-GRN", "MAG-01"): 12,
        ("COAT-M-GRN", "MAG-01"): 6,  # 8 held, 2 promised elsewhere
        ("COAT-M-NVY", "MAG-02"): 3,
        ("SCARF-1", "MAG-01"): 40,
    }
    paid.refresh_from_db()
    waiting.refresh_from_db()
    assert paid.status == OrderStatus.FULFILLED
    assert paid.history.last().note == "Through the API, key “Example ERP”: Packed"
    assert waiting.status == OrderStatus.NEW

    # Run again: nothing to change, no order to fulfil.
    again = run_script(live_server, key)
    assert again.returncode == 0, again.stdout + again.stderr
    paths = ("stock-locations", "categories", "products", "product-categories")
    for path in (*paths, "related-products", "product-files", "stocks"):
        assert f"{path}: {{'created': 0, 'updated': 0, 'unchanged'" in again.stdout
    assert "orders fulfilled: 0" in again.stdout


def test_the_example_connector_in_jobs_writes_the_same(live_server):
    """`--async`: each batch a job (202), polled for its report. The live server runs
    tasks at once, after the commit (tests' ImmediateBackend)."""
    from commerce.integrations.models import BatchJob

    _, key = make_key("Example ERP", scopes=SCOPES)
    first = run_script(live_server, key, "--async")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "products: {'created': 4, 'updated': 0, 'unchanged': 0, 'error': 0}" in first.stdout
    assert Stock.objects.get(variant__sku="COAT-M-GRN", warehouse__code="MAG-01").quantity == 6
    assert BatchJob.objects.filter(status="done").count() == 6

    again = run_script(live_server, key, "--async")
    assert again.returncode == 0, again.stdout + again.stderr
    paths = ("stock-locations", "categories", "products", "product-categories")
    for path in (*paths, "related-products", "product-files", "stocks"):
        assert f"{path}: {{'created': 0, 'updated': 0, 'unchanged'" in again.stdout
    assert BatchJob.objects.filter(status="done").count() == 12
