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
from commerce.models import (
    AttributeDefinition,
    AttributeOption,
    CatalogVersion,
    Category,
    Product,
    ProductStatus,
    ProductVariant,
    Stock,
    Warehouse,
)
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
        for model in (
            Product,
            ProductVariant,
            Category,
            Warehouse,
            Stock,
            Revision,
            AttributeDefinition,
            AttributeOption,
        )
    }


def product_of(sku):
    """The product the variant with this SKU belongs to."""
    return Product.objects.get(variants__sku=sku)


def variant_of(sku):
    return ProductVariant.objects.select_related("product").get(sku=sku)


def skus():
    return set(ProductVariant.objects.values_list("sku", flat=True))


def sku_of(product_revision_object):
    """{sku: price} of a product as a revision holds it (its variants in memory)."""
    return {v.sku: v.price for v in product_revision_object.variants.all()}


def make_product(tmp_path, sku="POT-1", name="Soup pot", price="10.00", **columns):
    """A live, published product made by the import itself."""
    columns = {"sku": sku, "name": name, "price": price, **columns}
    header, values = ",".join(columns), ",".join(f'"{v}"' for v in columns.values())
    code, out, _ = run(write(tmp_path, f"make-{sku}.csv", f"{header}\n{values}\n"))
    assert code == 0, out
    return product_of(sku)


# --- AMPER JSON --------------------------------------------------------------------------------


def test_amper_products_from_the_docs_are_created_live_with_a_revision():
    code, out, _ = run(AMPER_JSON)

    assert code == 0
    assert "created: 3, updated: 0, unchanged: 0, failed: 0" in out
    assert skus() == {"850267", "623765", "851233"}
    bahama = product_of("850267")
    assert bahama.name == "BAHAMA zapach samochodowy NASZYJNIK Wild Hibiskus /1szt"
    assert bahama.slug == "bahama-zapach-samochodowy-naszyjnik-wild-hibiskus-1szt"
    variant = bahama.variants.get()  # one variant: no axes
    assert variant.price == Decimal("25.43")
    assert bahama.vat_rate == Decimal("23.00")
    assert bahama.unit == "szt."
    assert variant.weight == Decimal("0.200")
    assert variant.ean == "978020137962"
    assert not bahama.variant_axes.exists() and not variant.options.exists()
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
    california = product_of("851233")
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
    product = product_of("SC-1")
    assert product.status == ProductStatus.HIDDEN
    assert product.is_featured is True
    assert product.short_description == "<b>Short</b>"  # plain text field, stored as given
    assert variant_of("SC-1").weight is None
    assert variant_of("SC-1").price == Decimal("5.00")


def test_amper_is_published_true_shows_hidden_products_and_keeps_disabled_ones(tmp_path):
    make_product(tmp_path, sku="H", name="Was hidden", status="hidden")
    make_product(tmp_path, sku="D", name="Disabled", status="disabled")
    items = [{"sku": "H", "is_published": True}, {"sku": "D", "is_published": True}]

    code, out, _ = run(write(tmp_path, "publish.json", json.dumps(items)))

    assert code == 0, out
    assert "updated: 1, unchanged: 1" in out
    assert product_of("H").status == ProductStatus.ACTIVE
    assert product_of("D").status == ProductStatus.DISABLED


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
    assert skus() == {"OK-1"} and Product.objects.count() == 1


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

    pan = product_of("PAN-24")
    assert variant_of("PAN-24").price == Decimal("89.99")  # "89,99"
    assert variant_of("PAN-24").weight == Decimal("1.250")
    assert variant_of("PAN-24").ean == "5901234123457"
    assert pan.main_category == pans
    assert pan.is_featured is True
    assert pan.description == "<p>Heavy cast iron.</p><p>Oven safe up to 250 °C.</p>"
    assert pan.live and revisions(pan) == 1

    small = product_of("PAN-28")
    assert small.status == ProductStatus.ACTIVE  # empty cell: the default
    assert small.is_featured is False
    knife = product_of("KNIFE-20")
    assert knife.status == ProductStatus.HIDDEN
    assert knife.vat_rate == Decimal("8.00")
    assert knife.unit == "szt."
    assert knife.main_category.slug_path == "kitchen/knives"

    stock = {
        (s.variant.sku, s.warehouse.code): s.quantity
        for s in Stock.objects.select_related("variant", "warehouse")
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
    product = product_of("BOM-1")
    assert product.name == "Łyżka drewniana"
    assert variant_of("BOM-1").price == Decimal("12.50")
    assert product.main_category.slug_path == "kitchen"


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_land(tmp_path):
    text = (
        "sku,name,price,ean,status,stock:main\n"  # line 1
        'GOOD-1,Good one,10.00,,,"4"\n'  # line 2
        ",No SKU,10.00,,,\n"  # line 3
        "NEG,Negative,-5,,,\n"  # line 4
        "ABC,Not a price,abc,,,\n"  # line 5
        'TWO,"Two\n'  # line 6: a quoted cell over two lines (a name is one line)
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
    assert "10 of 11 row(s) failed; the others were imported." in err
    assert "created: 1, updated: 0, unchanged: 0, failed: 10" in out
    failures = out.split("Failures:")[1]
    for expected in (
        "line 3: sku: required",
        "line 4 (sku NEG): price: must not be negative (got -5)",
        "line 5 (sku ABC): price: 'abc' is not a number",
        "line 6 (sku TWO): name: must not contain control characters (such as NUL)",
        "line 8 (sku EAN): ean: This EAN's check digit is wrong.",
        "line 10 (sku STAT): status: 'archived' is not one of active, hidden, disabled",
        "line 11 (sku DEC): price: at most 2 decimal places (got 1.999)",
        "line 12 (sku STOCK): stock:main: must not be negative (got -1)",
        "line 13 (sku LETTERS): ean: '59012341234AB' is not 8 to 14 digits",
        "line 14 (sku MANY): price: must not be negative (got -1); ean: '123' is not 8 to 14",
    ):
        assert expected in failures
    assert skus() == {"GOOD-1"}
    assert Stock.objects.get().quantity == 4


def test_missing_name_and_price_are_required_only_for_new_products(tmp_path):
    make_product(tmp_path, sku="OLD", name="Old", price="3.00")
    text = "sku,name,price\nOLD,,\nNEW,,\n"

    code, out, _ = run(write(tmp_path, "partial.csv", text))

    assert code == 1
    assert "unchanged: 1, failed: 1" in out
    assert "line 3 (sku NEW): name: required for a new product; price: required" in out
    assert not ProductVariant.objects.filter(sku="NEW").exists()


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
    assert skus() == {"X-3"}
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
    assert not ProductVariant.objects.filter(sku="G-1").exists()


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
    updated_at = dict(ProductVariant.objects.values_list("sku", "product__updated_at"))

    code, out, _ = run(path)

    assert code == 0
    assert "created: 0, updated: 0, unchanged: 3, failed: 0" in out
    assert "Categories created" not in out
    assert counts() == before  # no new revision, product, category or stock row
    assert dict(ProductVariant.objects.values_list("sku", "product__updated_at")) == updated_at


def test_an_update_changes_only_the_given_columns(tmp_path):
    run(PRODUCTS_CSV)
    pan = product_of("PAN-24")
    old = {f: getattr(pan, f) for f in ("name", "slug", "description", "status")}
    old_variant = {f: getattr(variant_of("PAN-24"), f) for f in ("ean", "weight")}
    old_category, first_revision = pan.main_category_id, pan.live_revision_id

    text = "sku,price,ean,stock:outlet\nPAN-24,79.99,,9\n"  # empty ean: keep it
    code, out, _ = run(write(tmp_path, "price.csv", text), "--verbosity", "2")

    assert code == 0, out
    assert "created: 0, updated: 1, unchanged: 0, failed: 0" in out
    assert "line 2 (sku PAN-24): price, stock" in out
    pan.refresh_from_db()
    assert variant_of("PAN-24").price == Decimal("79.99")
    assert {f: getattr(pan, f) for f in old} == old
    assert {f: getattr(variant_of("PAN-24"), f) for f in old_variant} == old_variant
    assert pan.main_category_id == old_category
    assert pan.is_featured is True
    assert Stock.objects.get(variant__product=pan, warehouse__code="outlet").quantity == 9
    assert Stock.objects.get(variant__product=pan, warehouse__code="main").quantity == 12
    # A new revision, published.
    assert revisions(pan) == 2
    assert pan.live_revision_id == pan.latest_revision_id != first_revision
    assert not pan.has_unpublished_changes
    assert sku_of(pan.live_revision.as_object()) == {"PAN-24": Decimal("79.99")}


def test_a_stock_only_change_is_an_update_without_a_revision(tmp_path):
    run(PRODUCTS_CSV)
    pan = product_of("PAN-24")

    code, out, _ = run(write(tmp_path, "stock.csv", "sku,stock:main\nPAN-24,1\n"))

    assert code == 0
    assert "updated: 1" in out
    assert Stock.objects.get(variant__product=pan, warehouse__code="main").quantity == 1
    assert revisions(pan) == 1


def test_new_products_get_unique_slugs(tmp_path):
    make_product(tmp_path, sku="EXISTING", name="Frying pan")
    text = "sku,name,price\nFP-2,Frying pan,1\nFP-3,Frying  Pan!,1\nPL-1,Żółć ☺,1\nSYM,☺☺☺,1\n"

    code, out, _ = run(write(tmp_path, "slugs.csv", text))

    assert code == 0, out
    slugs = dict(ProductVariant.objects.values_list("sku", "product__slug"))
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

    product = product_of("R")
    assert (product.name, product.slug) == ("New name", "old-name")


# --- Variants ----------------------------------------------------------------------------------

COATS = (
    "sku,product,name,price,option:size,option:colour,stock:main\n"  # line 1
    "COAT-S-G,coat,Heritage coat,349,S,Green,3\n"  # line 2
    "COAT-M-G,coat,,359,M,Green,0\n"  # line 3
    "COAT-M-R,coat,,359,M,Red,2\n"  # line 4
    "MUG-1,,Mug,19,,,12\n"  # line 5: no product key, a product of its own
)


def options_of(sku):
    return {o.definition.slug: o.value for o in variant_of(sku).options.all()}


def test_rows_with_one_product_key_are_one_products_variants(tmp_path):
    code, out, _ = run(write(tmp_path, "coats.csv", COATS))

    assert code == 0, out
    assert "created: 4, updated: 0, unchanged: 0, failed: 0" in out
    coat = product_of("COAT-S-G")
    assert coat.name == "Heritage coat" and coat.live and revisions(coat) == 1
    assert [v.sku for v in coat.variants.order_by("sort_order")] == [
        "COAT-S-G",
        "COAT-M-G",
        "COAT-M-R",
    ]
    assert sorted(axis.slug for axis in coat.variant_axes.all()) == ["colour", "size"]
    assert all(axis.varies_per_variant for axis in coat.variant_axes.all())
    assert options_of("COAT-M-R") == {"size": "M", "colour": "Red"}
    assert variant_of("COAT-M-G").price == Decimal("359.00")
    # Options are created once per axis and value.
    assert sorted(AttributeOption.objects.values_list("value", flat=True)) == [
        "Green",
        "M",
        "Red",
        "S",
    ]
    assert {s.variant.sku: s.quantity for s in Stock.objects.select_related("variant")} == {
        "COAT-S-G": 3,
        "COAT-M-G": 0,
        "COAT-M-R": 2,
        "MUG-1": 12,
    }
    mug = product_of("MUG-1")
    assert mug != coat and not mug.variant_axes.exists() and options_of("MUG-1") == {}
    # The live revision carries the variants and their options.
    live = coat.live_revision.as_object()
    assert sorted(v.sku for v in live.variants.all()) == ["COAT-M-G", "COAT-M-R", "COAT-S-G"]


def test_two_groups_and_a_bad_row_fail_only_that_product(tmp_path):
    text = (
        "sku,group,name,price,option:size,stock:main\n"  # line 1; `group` is `product`
        "BOOT-40,boots,Boot,199,40,1\n"  # line 2
        "TEE-S,tee,Tee,20,S,5\n"  # line 3
        "BOOT-41,boots,Boot,abc,41,1\n"  # line 4: a bad price
        "TEE-M,tee,Tee,20,M,5\n"  # line 5
    )
    code, out, err = run(write(tmp_path, "two.csv", text))

    assert code == 1
    assert "created: 2, updated: 0, unchanged: 0, failed: 2" in out
    assert "line 4 (sku BOOT-41): price: 'abc' is not a number" in out
    assert (
        "line 2 (sku BOOT-40): not imported: another row of the same product failed (line 4)" in out
    )
    assert skus() == {"TEE-S", "TEE-M"}
    assert product_of("TEE-S") == product_of("TEE-M")
    assert not AttributeOption.objects.filter(value__in=["40", "41"]).exists()


def test_re_running_a_file_with_variants_changes_nothing(tmp_path):
    path = write(tmp_path, "coats.csv", COATS)
    run(path)
    before, version = counts(), catalog_version()
    updated_at = dict(ProductVariant.objects.values_list("sku", "product__updated_at"))

    code, out, _ = run(path)

    assert code == 0, out
    assert "created: 0, updated: 0, unchanged: 4, failed: 0" in out
    assert counts() == before  # no revision, variant, option or stock row
    assert catalog_version() == version
    assert dict(ProductVariant.objects.values_list("sku", "product__updated_at")) == updated_at


def test_options_that_duplicate_another_rows_fail_with_the_line(tmp_path):
    text = (
        "sku,product,name,price,option:size\n"
        "TEE-S,tee,Tee,10,S\n"  # line 2
        "TEE-S2,tee,,10,s\n"  # line 3: the same option (values match case-insensitively)
        "MUG-1,,Mug,5,\n"  # line 4
    )
    code, out, _ = run(write(tmp_path, "dupe.csv", text))

    assert code == 1
    assert "line 3 (sku TEE-S2): options: Variant 1 already has these options." in out
    assert "line 2 (sku TEE-S): not imported" in out
    assert skus() == {"MUG-1"}


def test_a_variant_missing_an_axis_or_a_second_variant_without_axes_fails(tmp_path):
    text = (
        "sku,product,name,price,option:size,option:colour\n"
        "A-S-G,a,A,10,S,Green\n"
        "A-M,a,,10,M,\n"  # line 3: no colour
        "B-1,b,B,10,,\n"
        "B-2,b,,10,,\n"  # line 5: a product without axes is one variant
    )
    code, out, _ = run(write(tmp_path, "axes.csv", text))

    assert code == 1
    assert "line 3 (sku A-M): options: Choose an option for Colour." in out
    # Two variants without axes: the one-variant rule names what to do.
    assert "line 5 (sku B-2): options: A product without variant axes is sold as one variant" in out
    assert not Product.objects.exists()


def test_later_rows_disagreeing_on_product_values_get_a_note_and_the_first_wins(tmp_path):
    text = (
        "sku,product,name,price,status,option:size\n"
        "T-S,tee,Tee,10,active,S\n"
        "T-M,tee,T-shirt,10,hidden,M\n"  # line 3: another name and status
    )
    code, out, _ = run(write(tmp_path, "notes.csv", text))

    assert code == 0, out
    assert "line 3 (sku T-M): name: differs from line 2, the product's first row" in out
    assert "line 3 (sku T-M): status: differs from line 2" in out
    tee = product_of("T-M")
    assert (tee.name, tee.status) == ("Tee", ProductStatus.ACTIVE)


def test_a_later_file_adds_a_variant_and_updates_another_leaving_the_rest(tmp_path):
    run(write(tmp_path, "coats.csv", COATS))
    coat = product_of("COAT-S-G")
    text = (
        "sku,product,price,compare_at_price,is_active,option:size,option:colour,stock:main\n"
        "COAT-L-G,coat,369,,,L,Green,4\n"  # line 2: new
        "COAT-M-G,coat,339,359,no,,,\n"  # line 3: cheaper, inactive; options kept
    )
    with CaptureQueriesContext(connection) as queries:
        code, out, _ = run(write(tmp_path, "more.csv", text), "--verbosity", "2")

    assert code == 0, out
    assert "created: 1, updated: 1, unchanged: 0, failed: 0" in out
    assert "line 3 (sku COAT-M-G): price, compare_at_price, is_active" in out
    assert product_of("COAT-L-G") == coat
    assert coat.variants.count() == 4
    medium = variant_of("COAT-M-G")
    assert (medium.price, medium.compare_at_price, medium.is_active) == (
        Decimal("339.00"),
        Decimal("359.00"),
        False,
    )
    assert options_of("COAT-M-G") == {"size": "M", "colour": "Green"}
    assert variant_of("COAT-S-G").price == Decimal("349.00")  # not in the file: as it was
    assert Stock.objects.get(variant__sku="COAT-L-G").quantity == 4
    assert revisions(coat) == 2
    # The product is locked before its stock rows (services.locks' order).
    sql = [q["sql"] for q in queries]
    product_lock = next(i for i, q in enumerate(sql) if "FOR NO KEY UPDATE" in q)
    stock_lock = next(i for i, q in enumerate(sql) if "FOR UPDATE" in q and '"commerce_stock"' in q)
    assert product_lock < stock_lock


def test_skus_of_two_products_in_one_group_fail(tmp_path):
    run(write(tmp_path, "coats.csv", COATS))
    text = "sku,product,price\nCOAT-S-G,x,1\nMUG-1,x,1\n"
    code, out, _ = run(write(tmp_path, "mixed.csv", text))

    assert code == 1
    assert "is a variant of another product" in out
    assert variant_of("COAT-S-G").price == Decimal("349.00")


def test_a_sku_or_ean_twice_in_a_file_fails_the_second_row(tmp_path):
    text = "sku,name,price,ean\nA,A,1,\nA,A,2,\nB,B,1,5901234123457\nC,C,1,5901234123457\n"
    code, out, _ = run(write(tmp_path, "twice.csv", text))

    assert code == 1
    assert "line 3 (sku A): sku: 'A' is also on line 2" in out
    # EANs are unique per variant (AMPER's own example repeats one; the shop refuses that).
    assert "line 5 (sku C): ean: '5901234123457' is also on line 4" in out
    assert skus() == {"B"}


def test_amper_json_variants_by_product_key_and_in_a_variants_list(tmp_path):
    items = [
        {
            "sku": "COAT-S",
            "product": "coat",
            "name": "Coat",
            "default_price": "100.00",
            "options": {"size": "S"},
        },
        {"sku": "COAT-M", "group": "coat", "default_price": "110.00", "options": {"size": "M"}},
        # The shape /external/v1/products/ answers: one product with its variants.
        {
            "id": 77,
            "name": "Boot",
            "sku": "BOOT-40",
            "default_price": "199.00",
            "variants": [
                {"sku": "BOOT-40", "price": "199.00", "options": {"size": "40"}},
                {"sku": "BOOT-41", "price": "209.00", "options": {"size": "41"}},
                {"sku": "BOOT-42", "price": "x", "options": {"size": "42"}},
            ],
        },
    ]
    code, out, _ = run(write(tmp_path, "variants.json", json.dumps(items)))

    assert code == 1
    assert "item 3, variant 3 (sku BOOT-42): price: 'x' is not a number" in out
    assert product_of("COAT-S") == product_of("COAT-M")
    assert options_of("COAT-M") == {"size": "M"}
    assert skus() == {"COAT-S", "COAT-M"}

    items[2]["variants"].pop()
    code, out, _ = run(write(tmp_path, "variants.json", json.dumps(items)))
    assert code == 0, out
    assert product_of("BOOT-40") == product_of("BOOT-41") != product_of("COAT-S")
    assert variant_of("BOOT-41").price == Decimal("209.00")


# --- Dry run -----------------------------------------------------------------------------------


def test_dry_run_validates_and_leaves_the_database_untouched(tmp_path):
    make_product(tmp_path, sku="PAN-24", name="Frying pan 24 cm", price="1.00")
    before = counts()

    code, out, _ = run(PRODUCTS_CSV, "--dry-run")

    assert code == 0
    assert "Dry run" in out and "nothing was saved" in out
    assert "created: 2, updated: 1, unchanged: 0, failed: 0" in out
    assert counts() == before
    assert variant_of("PAN-24").price == Decimal("1.00")


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
    draft.name = "Pan (new)"
    draft_variants = list(draft.variants.all())
    draft_variants[0].price = Decimal("12.00")
    draft.variants = draft_variants
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
    variant = variant_of("D-1")
    # The live product has the imported values and the editor's name is not live.
    assert (product.name, variant.price, variant.weight) == ("Pan", Decimal("11.00"), 2)
    assert sku_of(product.live_revision.as_object()) == {"D-1": Decimal("11.00")}
    # The draft is still the latest revision: the editor's edits, plus the weight.
    assert product.has_unpublished_changes
    assert product.latest_revision_id not in (product.live_revision_id, editor_revision.pk)
    latest = product.latest_revision.as_object()
    [latest_variant] = latest.variants.all()
    assert (latest.name, latest_variant.price, latest_variant.weight) == (
        "Pan (new)",
        Decimal("12.00"),
        2,
    )
    # The editor's own revision is still in the history, untouched.
    assert editor_revision.as_object().name == "Pan (new)"
    assert editor_revision.as_object().variants.all()[0].weight == 1


def test_a_product_that_is_not_live_is_updated_as_a_draft(tmp_path):
    product = make_product(tmp_path, sku="U-1", name="Unpublished", price="10.00")
    UnpublishAction(product).execute(skip_permission_checks=True)

    code, out, _ = run(write(tmp_path, "unpublished.csv", "sku,price\nU-1,15\n"))

    assert code == 0, out
    assert "not live (unpublished in the admin): saved as a draft, not published" in out
    product.refresh_from_db()
    assert not product.live
    assert variant_of("U-1").price == Decimal("15.00")
    assert sku_of(product.latest_revision.as_object()) == {"U-1": Decimal("15.00")}


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
    assert variant_of("S-1").price == Decimal("10.00")
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
    assert "\n  option:<axis> " in help_text
    assert "\n  product, group " in help_text
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
