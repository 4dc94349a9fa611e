"""`manage.py import_catalog`: AMPER JSON and CSV product imports."""

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.actions.edit import EditAction
from wagtail.actions.unpublish import UnpublishAction
from wagtail.models import Revision

from commerce.management.commands.import_catalog import Command
from commerce.models import CatalogVersion, Category, Product, ProductStatus, Stock, Warehouse
from commerce.services.catalog_import import writing as catalog_import
from commerce.services.catalog_import.values import parse_decimal
from commerce.services.catalog_version import catalog_version
from tests.paths import REPO_ROOT, TEST_DATA

pytestmark = pytest.mark.django_db

DATA = TEST_DATA
AMPER_JSON = DATA / "amper_products.json"
PRODUCTS_CSV = DATA / "products.csv"
REPO = REPO_ROOT


class TTY(io.StringIO):
    def isatty(self):
        return True


def run(path, *args, stderr=None):
    """(exit code, stdout, stderr) of the command, as manage.py would exit."""
    out, err = io.StringIO(), stderr or io.StringIO()
    try:
        call_command("import_catalog", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), f"{err.getvalue()}{exc}"
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def revisions(product):
    return Revision.objects.for_instance(product).count()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Product, Category, Warehouse, Stock, Revision)
    }


def make_product(tmp_path, sku="POT-1", name="Soup pot", price="10.00", **columns):
    """A live, published product made by the import itself."""
    columns = {"sku": sku, "name": name, "price": price, **columns}
    header, values = ",".join(columns), ",".join(f'"{v}"' for v in columns.values())
    code, out, _ = run(write(tmp_path, f"make-{sku}.csv", f"{header}\n{values}\n"))
    assert code == 0, out
    return Product.objects.get(sku=sku)


# --- AMPER JSON --------------------------------------------------------------------------------


def test_amper_products_from_the_docs_are_created_live_with_a_revision():
    code, out, _ = run(AMPER_JSON)

    assert code == 0
    assert "created: 3, updated: 0, unchanged: 0, failed: 0" in out
    assert set(Product.objects.values_list("sku", flat=True)) == {"850267", "623765", "851233"}
    bahama = Product.objects.get(sku="850267")
    assert bahama.name == "BAHAMA zapach samochodowy NASZYJNIK Wild Hibiskus /1szt"
    assert bahama.slug == "bahama-zapach-samochodowy-naszyjnik-wild-hibiskus-1szt"
    assert bahama.price == Decimal("25.43")
    assert bahama.vat_rate == Decimal("23.00")
    assert bahama.unit == "szt."
    assert bahama.weight == Decimal("0.200")
    assert bahama.ean == "978020137962"
    assert bahama.status == ProductStatus.ACTIVE
    assert bahama.pk != 1037  # AMPER's id is not ours
    # Plain text becomes escaped rich text.
    assert bahama.description.startswith("<p>Zapachy inspirowane wakacjami")
    assert "Bahama &amp; Co." in bahama.description
    assert bahama.description.endswith("element dekoracyjny.</p>")
    for product in Product.objects.all():
        assert product.live and not product.has_unpublished_changes
        assert revisions(product) == 1
        assert product.live_revision_id == product.latest_revision_id is not None
    california = Product.objects.get(sku="851233")
    assert california.description.startswith("<p>Papierowe zawieszki zapachowe:<br/>Innowacyjna")
    assert "\n" not in california.description
    assert california.description.count("<p>") == 1


def test_amper_results_wrapper_short_code_and_flags(tmp_path):
    items = {
        "results": [
            {
                "sku": "",
                "short_code": "SC-1",
                "name": "Hidden thing",
                "default_price": 5,
                "is_published": False,
                "is_featured": True,
                "short_description": "<b>Short</b>",
                "weight": None,
            }
        ]
    }
    code, out, _ = run(write(tmp_path, "wrapped.json", json.dumps(items)))

    assert code == 0, out
    product = Product.objects.get(sku="SC-1")
    assert product.status == ProductStatus.HIDDEN
    assert product.is_featured is True
    assert product.short_description == "<b>Short</b>"  # plain text field, stored as given
    assert product.weight is None
    assert product.price == Decimal("5.00")


def test_amper_is_published_true_shows_hidden_products_and_keeps_disabled_ones(tmp_path):
    make_product(tmp_path, sku="H", name="Was hidden", status="hidden")
    make_product(tmp_path, sku="D", name="Disabled", status="disabled")
    items = [{"sku": "H", "is_published": True}, {"sku": "D", "is_published": True}]

    code, out, _ = run(write(tmp_path, "publish.json", json.dumps(items)))

    assert code == 0, out
    assert "updated: 1, unchanged: 1" in out
    assert Product.objects.get(sku="H").status == ProductStatus.ACTIVE
    assert Product.objects.get(sku="D").status == ProductStatus.DISABLED


def test_bad_json_items_are_reported_by_item_number(tmp_path):
    items = [
        {"sku": "OK-1", "name": "Fine", "default_price": "1.50"},
        "not an object",
        {"sku": "NAN", "name": "Not a number", "default_price": NotImplemented},
        {"sku": "", "short_code": "", "name": "No SKU", "default_price": "1"},
        {"sku": "FLOAT", "name": "Three decimals", "default_price": 1.005},
    ]
    text = json.dumps(items, default=lambda _: "PLACEHOLDER").replace('"PLACEHOLDER"', "NaN")

    code, out, _ = run(write(tmp_path, "bad.json", text))

    assert code == 1
    assert "created: 1, updated: 0, unchanged: 0, failed: 4" in out
    assert "item 2: not a JSON object" in out
    assert "item 3 (sku NAN): price: NaN is not a number" in out
    assert "item 4: sku: required" in out
    assert "item 5 (sku FLOAT): price: at most 2 decimal places (got 1.005)" in out
    assert list(Product.objects.values_list("sku", flat=True)) == ["OK-1"]


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_rows_with_category_paths_and_stock_columns():
    code, out, _ = run(PRODUCTS_CSV)

    assert code == 0, out
    assert "created: 3, updated: 0, unchanged: 0, failed: 0" in out
    assert "Categories created: kitchen, kitchen/pans, kitchen/knives" in out
    assert "Warehouses created: main, outlet" in out
    pans = Category.objects.get(slug_path="kitchen/pans")
    assert pans.parent == Category.objects.get(slug_path="kitchen")
    assert pans.name == "Pans"

    pan = Product.objects.get(sku="PAN-24")
    assert pan.price == Decimal("89.99")  # "89,99"
    assert pan.weight == Decimal("1.250")
    assert pan.ean == "5901234123457"
    assert pan.main_category == pans
    assert pan.is_featured is True
    assert pan.description == "<p>Heavy cast iron.</p><p>Oven safe up to 250 °C.</p>"
    assert pan.live and revisions(pan) == 1

    small = Product.objects.get(sku="PAN-28")
    assert small.status == ProductStatus.ACTIVE  # empty cell: the default
    assert small.is_featured is False
    knife = Product.objects.get(sku="KNIFE-20")
    assert knife.status == ProductStatus.HIDDEN
    assert knife.vat_rate == Decimal("8.00")
    assert knife.unit == "szt."
    assert knife.main_category.slug_path == "kitchen/knives"

    stock = {
        (s.product.sku, s.warehouse.code): s.quantity
        for s in Stock.objects.select_related("product", "warehouse")
    }
    # An empty stock cell sets nothing; "0" is a quantity.
    assert stock == {
        ("PAN-24", "main"): 12,
        ("PAN-24", "outlet"): 3,
        ("PAN-28", "main"): 5,
        ("KNIFE-20", "main"): 0,
        ("KNIFE-20", "outlet"): 7,
    }


def test_csv_with_bom_semicolons_and_upper_case_headers(tmp_path):
    text = "\ufeffSKU;Name;Price;Category\nBOM-1;Łyżka drewniana;12,50;kitchen\n"
    code, out, _ = run(write(tmp_path, "excel.csv", text))

    assert code == 0, out
    product = Product.objects.get(sku="BOM-1")
    assert product.name == "Łyżka drewniana"
    assert product.price == Decimal("12.50")
    assert product.main_category.slug_path == "kitchen"


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_land(tmp_path):
    text = (
        "sku,name,price,ean,status,stock:main\n"  # line 1
        'GOOD-1,Good one,10.00,,,"4"\n'  # line 2
        ",No SKU,10.00,,,\n"  # line 3
        "NEG,Negative,-5,,,\n"  # line 4
        "ABC,Not a price,abc,,,\n"  # line 5
        'GOOD-2,"Two\n'  # line 6: a quoted cell over two lines
        'lines",1.5,,,\n'  # line 7
        "EAN,Bad check digit,10,5901234123458,,\n"  # line 8
        "\n"  # line 9: blank, skipped
        "STAT,Unknown status,10,,archived,\n"  # line 10
        "DEC,Three decimals,1.999,,,\n"  # line 11
        "STOCK,Negative stock,1,,,-1\n"  # line 12
        "LETTERS,EAN with letters,1,59012341234AB,,\n"  # line 13
        "MANY,Two problems,-1,123,,\n"  # line 14
    )
    code, out, err = run(write(tmp_path, "bad.csv", text))

    assert code == 1
    assert "9 of 11 row(s) failed; the others were imported." in err
    assert "created: 2, updated: 0, unchanged: 0, failed: 9" in out
    failures = out.split("Failures:")[1]
    for expected in (
        "line 3: sku: required",
        "line 4 (sku NEG): price: must not be negative (got -5)",
        "line 5 (sku ABC): price: 'abc' is not a number",
        "line 8 (sku EAN): ean: This EAN's check digit is wrong.",
        "line 10 (sku STAT): status: 'archived' is not one of active, hidden, disabled",
        "line 11 (sku DEC): price: at most 2 decimal places (got 1.999)",
        "line 12 (sku STOCK): stock:main: must not be negative (got -1)",
        "line 13 (sku LETTERS): ean: '59012341234AB' is not 8 to 14 digits",
        "line 14 (sku MANY): price: must not be negative (got -1); ean: '123' is not 8 to 14",
    ):
        assert expected in failures
    assert set(Product.objects.values_list("sku", flat=True)) == {"GOOD-1", "GOOD-2"}
    assert Product.objects.get(sku="GOOD-2").name == "Two\nlines"
    assert Stock.objects.get().quantity == 4


def test_missing_name_and_price_are_required_only_for_new_products(tmp_path):
    make_product(tmp_path, sku="OLD", name="Old", price="3.00")
    text = "sku,name,price\nOLD,,\nNEW,,\n"

    code, out, _ = run(write(tmp_path, "partial.csv", text))

    assert code == 1
    assert "unchanged: 1, failed: 1" in out
    assert "line 3 (sku NEW): name: required for a new product; price: required" in out
    assert not Product.objects.filter(sku="NEW").exists()


def test_a_failed_row_leaves_no_half_written_product_category_or_stock(tmp_path, monkeypatch):
    before = counts()
    # Valid values, but the category is created before the product fails validation.
    text = "sku,name,price,ean,category,stock:main\nX-1,Broken,1.00,5901234123458,new/branch,3\n"
    code, out, _ = run(write(tmp_path, "half.csv", text))
    assert code == 1, out
    assert counts() == before

    # The database refuses the stock write after the product was created.
    def refuse(*args, **kwargs):
        raise IntegrityError("stock refused")

    monkeypatch.setattr(catalog_import, "set_stock_levels", refuse)
    text = "sku,name,price,category,stock:main\nX-2,Fine,1.00,new/branch,3\nX-3,No stock,2.00,,\n"
    code, out, _ = run(write(tmp_path, "refused.csv", text))

    assert code == 1
    assert "line 2 (sku X-2): database error: stock refused" in out
    assert list(Product.objects.values_list("sku", flat=True)) == ["X-3"]
    assert not Category.objects.exists()
    assert not Warehouse.objects.exists()


def test_category_slug_taken_elsewhere_in_the_tree_fails_the_row(tmp_path):
    run(PRODUCTS_CSV)
    text = "sku,name,price,category\nG-1,Garden pan,5,garden/pans\n"

    code, out, _ = run(write(tmp_path, "garden.csv", text))

    assert code == 1
    assert (
        "category: cannot create 'garden/pans': the slug 'pans' is taken by 'kitchen/pans'" in out
    )
    assert not Category.objects.filter(slug="garden").exists()
    assert not Product.objects.filter(sku="G-1").exists()


def test_invalid_category_path_is_a_row_error(tmp_path):
    code, out, _ = run(
        write(tmp_path, "cat.csv", "sku,name,price,category\nC,Cat,1,Kitchen/Pans\n")
    )

    assert code == 1
    assert "line 2 (sku C): category: 'Kitchen' in 'Kitchen/Pans' is not a category slug" in out


# --- Re-runs and updates -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [AMPER_JSON, PRODUCTS_CSV], ids=["json", "csv"])
def test_running_a_file_again_changes_nothing(path):
    run(path)
    before = counts()
    updated_at = dict(Product.objects.values_list("sku", "updated_at"))

    code, out, _ = run(path)

    assert code == 0
    assert "created: 0, updated: 0, unchanged: 3, failed: 0" in out
    assert "Categories created" not in out
    assert counts() == before  # no new revision, product, category or stock row
    assert dict(Product.objects.values_list("sku", "updated_at")) == updated_at


def test_an_update_changes_only_the_given_columns(tmp_path):
    run(PRODUCTS_CSV)
    pan = Product.objects.get(sku="PAN-24")
    old = {f: getattr(pan, f) for f in ("name", "slug", "ean", "weight", "description", "status")}
    old_category, first_revision = pan.main_category_id, pan.live_revision_id

    text = "sku,price,ean,stock:outlet\nPAN-24,79.99,,9\n"  # empty ean: keep it
    code, out, _ = run(write(tmp_path, "price.csv", text), "--verbosity", "2")

    assert code == 0, out
    assert "created: 0, updated: 1, unchanged: 0, failed: 0" in out
    assert "line 2 (sku PAN-24): price, stock" in out
    pan.refresh_from_db()
    assert pan.price == Decimal("79.99")
    assert {f: getattr(pan, f) for f in old} == old
    assert pan.main_category_id == old_category
    assert pan.is_featured is True
    assert Stock.objects.get(product=pan, warehouse__code="outlet").quantity == 9
    assert Stock.objects.get(product=pan, warehouse__code="main").quantity == 12
    # A new revision, published.
    assert revisions(pan) == 2
    assert pan.live_revision_id == pan.latest_revision_id != first_revision
    assert not pan.has_unpublished_changes
    assert pan.live_revision.as_object().price == Decimal("79.99")


def test_a_stock_only_change_is_an_update_without_a_revision(tmp_path):
    run(PRODUCTS_CSV)
    pan = Product.objects.get(sku="PAN-24")

    code, out, _ = run(write(tmp_path, "stock.csv", "sku,stock:main\nPAN-24,1\n"))

    assert code == 0
    assert "updated: 1" in out
    assert Stock.objects.get(product=pan, warehouse__code="main").quantity == 1
    assert revisions(pan) == 1


def test_new_products_get_unique_slugs(tmp_path):
    make_product(tmp_path, sku="EXISTING", name="Frying pan")
    text = "sku,name,price\nFP-2,Frying pan,1\nFP-3,Frying  Pan!,1\nPL-1,Żółć ☺,1\nSYM,☺☺☺,1\n"

    code, out, _ = run(write(tmp_path, "slugs.csv", text))

    assert code == 0, out
    slugs = dict(Product.objects.values_list("sku", "slug"))
    assert slugs == {
        "EXISTING": "frying-pan",
        "FP-2": "frying-pan-2",
        "FP-3": "frying-pan-3",
        "PL-1": "zoc",
        "SYM": "sym",  # nothing usable in the name: from the SKU
    }


def test_renaming_keeps_the_slug(tmp_path):
    make_product(tmp_path, sku="R", name="Old name")
    run(write(tmp_path, "rename.csv", "sku,name\nR,New name\n"))

    product = Product.objects.get(sku="R")
    assert (product.name, product.slug) == ("New name", "old-name")


# --- Dry run -----------------------------------------------------------------------------------


def test_dry_run_validates_and_leaves_the_database_untouched(tmp_path):
    make_product(tmp_path, sku="PAN-24", name="Frying pan 24 cm", price="1.00")
    before = counts()

    code, out, _ = run(PRODUCTS_CSV, "--dry-run")

    assert code == 0
    assert "Dry run" in out and "nothing was saved" in out
    assert "created: 2, updated: 1, unchanged: 0, failed: 0" in out
    assert counts() == before
    assert Product.objects.get(sku="PAN-24").price == Decimal("1.00")


def test_dry_run_never_touches_the_catalog_version_row(tmp_path):
    """The version row is locked last (services.locks); a dry run that bumped it would hold
    it across every later row, for a change that is rolled back anyway."""
    make_product(tmp_path, sku="PAN-24", name="Frying pan 24 cm", price="1.00")
    version = catalog_version()

    with CaptureQueriesContext(connection) as queries:
        code, _, _ = run(PRODUCTS_CSV, "--dry-run")

    assert code == 0
    assert not [q["sql"] for q in queries if CatalogVersion._meta.db_table in q["sql"]]
    assert catalog_version() == version
    code, _, _ = run(PRODUCTS_CSV)  # the real import still bumps
    assert code == 0 and catalog_version() > version


def test_dry_run_reports_failures_with_exit_code_1(tmp_path):
    code, out, err = run(write(tmp_path, "bad.csv", "sku,name,price\nA,A,abc\n"), "--dry-run")

    assert code == 1
    assert "line 2 (sku A): price: 'abc' is not a number" in out
    assert "1 of 1 row(s) would fail." in err
    assert not Product.objects.exists()


# --- Unreadable files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "trailing-comma.json",
            '[{"sku": "1", "name": "A", "default_price": "1"},\n ]',
            "Invalid JSON at line 2, column 2",
        ),
        ("object.json", '{"sku": "1"}', "Expected a JSON list of products"),
        ("latin1.csv", "sku,name,price\nA,Zażółć,1\n".encode("latin-1", "replace"), "not UTF-8"),
        ("empty.csv", "", "The CSV file is empty"),
        ("no-header.csv", "A-1,Pan,10\n", "no 'sku' column"),
        ("unknown.csv", "sku,name,prcie\nA,B,1\n", "Unknown column(s) 'prcie'"),
        ("twice.csv", "sku,name,NAME\nA,B,C\n", "Column 'NAME' appears twice"),
        ("bad-code.csv", "sku,stock:main wh\nA,1\n", "Column 'stock:main wh'"),
        ("products.xlsx", "sku\n", "pass --format json or --format csv"),
    ],
)
def test_unreadable_files_exit_with_code_2(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())

    code, out, err = run(path)

    assert code == 2
    assert message in err
    assert not Product.objects.exists()


def test_missing_file_exits_with_code_2_and_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": ""}
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "import_catalog", str(tmp_path / "nope.json")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "Cannot read" in result.stderr and "nope.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_format_option_overrides_the_extension(tmp_path):
    path = tmp_path / "export.dat"
    path.write_text(AMPER_JSON.read_text(encoding="utf-8"), encoding="utf-8")

    code, out, _ = run(path, "--format", "json")

    assert code == 0
    assert "created: 3" in out


# --- Drafts, unpublished and scheduled products -----------------------------------------------


def test_a_product_with_unpublished_draft_changes_keeps_its_draft(tmp_path):
    product = make_product(tmp_path, sku="D-1", name="Pan", price="10.00", weight="1")
    # An editor saves a draft: new name and price, not published.
    draft = product.get_latest_revision_as_object()
    draft.name, draft.price = "Pan (new)", Decimal("12.00")
    EditAction(draft, publish=False).execute(skip_permission_checks=True)
    editor_revision = Product.objects.get(pk=product.pk).latest_revision
    assert Product.objects.get(pk=product.pk).has_unpublished_changes

    text = "sku,price,weight\nD-1,11.00,2\n"
    code, out, _ = run(write(tmp_path, "draft.csv", text))

    assert code == 0, out
    assert "updated: 1" in out
    assert "line 2 (sku D-1): has unpublished draft changes" in out
    assert "except price (edited in the draft" in out
    product.refresh_from_db()
    # The live product has the imported values and the editor's name is not live.
    assert (product.name, product.price, product.weight) == ("Pan", Decimal("11.00"), 2)
    assert product.live_revision.as_object().price == Decimal("11.00")
    # The draft is still the latest revision: the editor's edits, plus the weight.
    assert product.has_unpublished_changes
    assert product.latest_revision_id not in (product.live_revision_id, editor_revision.pk)
    latest = product.latest_revision.as_object()
    assert (latest.name, latest.price, latest.weight) == ("Pan (new)", Decimal("12.00"), 2)
    # The editor's own revision is still in the history, untouched.
    assert editor_revision.as_object().name == "Pan (new)"
    assert editor_revision.as_object().weight == 1


def test_a_product_that_is_not_live_is_updated_as_a_draft(tmp_path):
    product = make_product(tmp_path, sku="U-1", name="Unpublished", price="10.00")
    UnpublishAction(product).execute(skip_permission_checks=True)

    code, out, _ = run(write(tmp_path, "unpublished.csv", "sku,price\nU-1,15\n"))

    assert code == 0, out
    assert "not live (unpublished in the admin): saved as a draft, not published" in out
    product.refresh_from_db()
    assert not product.live
    assert product.price == Decimal("15.00")
    assert product.latest_revision.as_object().price == Decimal("15.00")


def test_a_product_with_a_scheduled_publication_is_not_touched(tmp_path):
    product = make_product(tmp_path, sku="S-1", name="Scheduled", price="10.00")
    draft = product.get_latest_revision_as_object()
    draft.go_live_at = timezone.now() + timedelta(days=1)
    revision = draft.save_revision()
    revision.publish()  # in the future: scheduled, not live yet

    code, out, _ = run(write(tmp_path, "scheduled.csv", "sku,price\nS-1,15\n"))

    assert code == 1
    assert "line 2 (sku S-1): a publication is scheduled" in out
    product.refresh_from_db()
    assert product.price == Decimal("10.00")
    assert product.revisions.filter(approved_go_live_at__isnull=False).exists()


# --- Output, help and parsing ------------------------------------------------------------------


def test_progress_counter_goes_to_stderr_only_on_a_terminal():
    tty = TTY()
    code, out, _ = run(AMPER_JSON, stderr=tty)
    assert code == 0
    assert "\rImporting: 1/3 rows" in tty.getvalue()
    assert "\rImporting: 3/3 rows" in tty.getvalue()
    assert "Importing" not in out

    code, _, err = run(AMPER_JSON)
    assert "Importing" not in err


def test_help_lists_the_csv_columns():
    help_text = Command().create_parser("manage.py", "import_catalog").format_help()

    for column in ("sku ", "name ", "price ", "ean ", "vat_rate ", "unit ", "weight "):
        assert f"\n  {column}" in help_text
    for column in ("short_description", "description", "status", "category", "is_featured"):
        assert f"\n  {column} " in help_text
    assert "\n  stock:<code> " in help_text
    assert "--dry-run" in help_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("25.43", Decimal("25.43")),
        ("25,43", Decimal("25.43")),
        (" 7 ", Decimal("7.00")),
        ("25.430", Decimal("25.43")),
        (23, Decimal("23.00")),
        (Decimal("0.5"), Decimal("0.50")),
    ],
)
def test_money_parsing_accepts(raw, expected):
    value = parse_decimal(raw, "price", places=2)
    assert value == expected
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "raw",
    ["-0.01", "NaN", "nan", "Infinity", "1e3", "1,234.56", "1.234,56", "25.431", "", "12 zł"]
    + [Decimal("NaN"), Decimal("-1"), True, 1.5, "١٢"],
)
def test_money_parsing_rejects(raw):
    with pytest.raises(ValueError, match="^price: "):
        parse_decimal(raw, "price", places=2)
