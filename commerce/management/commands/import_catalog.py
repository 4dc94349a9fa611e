"""Create or update products and their variants by SKU from an AMPER JSON export or a CSV file.

    python manage.py import_catalog FILE [--format json|csv] [--dry-run]

The format comes from the extension (.json; .csv, .tsv or .txt) unless
--format is given. Files are UTF-8, with or without a byte order mark.

Rows, variants and products
  A row is a variant: what is sold and stocked, with its own SKU, price, EAN
  and stock. Rows with the same product key (the `product` column, or `group`)
  are the variants of one product; a row without a key is a product of its
  own, sold as one variant. The key only groups the file's rows: a product is
  found through its variants' SKUs (rows whose SKUs belong to two products
  fail). Product columns (name, descriptions, vat_rate, unit, status,
  category, is_featured) are taken from the product's FIRST row; a later row
  with a different value gets a note in the report and changes nothing.
  Variants the file does not name are left alone (the import never deletes).
  A SKU or EAN may appear only once in a file.

  The variant axes (size, colour) are the option:<axis> columns the product's
  rows fill in, one cell per axis: option:size = M, option:colour = Green. An
  axis is the attribute with that slug or name (created if missing, and marked
  "varies per variant"); an option is its option with that value, created if
  missing. Every variant of a product with axes needs one option of each axis,
  and no two variants the same combination; a product without axes is one
  variant. A product's rows are written together: one bad row fails them all
  (the report names it, the others say "not imported").

CSV
  The first line is the header row. Comma-, semicolon- or tab-separated (told
  from the header row). Column names are case-insensitive; unknown or repeated
  columns stop the import before anything is written.

  sku                required; variants are matched on it (exact, case-sensitive)
  product, group     the product key (any text): rows with the same key are one
                     product's variants
  name               required for a new product; its slug is made from it
  price              required for a new variant; 25.43 or 25,43 (quote it,
                     "25,43", in a comma-separated file), at most 2 decimals,
                     not negative, no thousands separators
  compare_at_price   the former price, shown struck through; as price
  ean                EAN/GTIN: 8 to 14 digits with a valid check digit
  is_active          the variant is sold: true/false, yes/no or 1/0
  vat_rate           VAT in percent, e.g. 23 or 8,00 (default for new: 23)
  unit               unit of measure, e.g. pcs, szt. (default for new: pcs)
  weight             kilograms, at most 3 decimals
  short_description  plain text, at most 500 characters
  description        plain text; blank lines part paragraphs, HTML is escaped
  status             active, hidden or disabled (default for new: active)
  category           main category as a slug path, e.g. kitchen/pans; missing
                     categories along the path are created
  is_featured        true/false, yes/no or 1/0
  stock:<code>       the variant's quantity in the warehouse with that code,
                     e.g. stock:main (a whole number, not negative); the
                     warehouse is created if missing. One column per warehouse.
  option:<axis>      the variant's option of that axis, e.g. option:size = M
                     (see above). One column per axis; an empty cell keeps an
                     existing variant's option.

  Text is one line without control characters (descriptions may have line
  breaks and tabs); a NUL or other control character fails the row.

  An empty cell means "not given": a new product gets the default, an existing
  product keeps its value. An update changes only the values given.

JSON (AMPER /external/v1/products/)
  A list of product objects, or {"results": [...]}. Used keys: sku (or
  short_code when sku is empty, then external_id), name, description (plain
  text), ean, vat, default_unit_of_measure, weight, default_price,
  short_description, is_featured, is_published (false: status hidden; true: a
  hidden or new product becomes active, a disabled one stays disabled), attributes
  ([{"atr_name": "Material", "atr_val": "Wool", "key": "material"}]: the product's
  whole list of shared attributes, created when missing). Other keys, such as
  AMPER's own id, are ignored. null means "not given". Items are numbered
  from 1 in the report ("item 3" is the third object).
  Variants: an item is a variant, grouped by its "product" (or "group") key
  as in CSV, with "options": {"size": "M", "colour": "Green"},
  "compare_at_price" and "is_active". An item with a "variants" list (the
  shape this shop's API lists products in) is one product: each entry (sku,
  ean, price, compare_at_price, weight, options) is a variant, reported as
  "item 3, variant 2".

Publishing
  Variants, their prices and options are part of the product's revisions.
  New products are created live, with a published revision. Updated live
  products get a new revision that is published. A product whose values all
  match the file is left alone (no revision), so re-running a file is safe.
  If a product has unpublished draft changes, the live product is still
  updated and the editor's draft is kept as the latest revision, with the
  imported values carried into it except for fields edited in the draft; the
  report names such products. Products that are not live (unpublished in the
  admin) are updated as a draft and not published. Products with a scheduled
  publication are not changed (the row fails). Stock is not part of revisions.

Rows and exit codes
  Each product is its own transaction: a bad row is reported with its CSV line
  number or JSON item number and the reason, and does not stop other products.
  --dry-run validates every row and rolls everything back.
  Exit code 0: every row imported; 1: some rows failed (the others were
  imported); 2: the file could not be read (missing, not UTF-8, invalid JSON,
  no header row, unknown columns).
"""

import argparse

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from commerce.services.catalog_import import FORMATS, CatalogFileError, import_catalog


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the column table in --help as written."""


class Command(BaseCommand):
    help = __doc__

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON or CSV file to import.")
        parser.add_argument(
            "--format", choices=FORMATS, help="The file's format (default: from its extension)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate every row, then roll everything back."
        )

    def handle(self, *args, file, format=None, dry_run=False, verbosity=1, **options):
        progress = self._progress if self.stderr.isatty() else None
        try:
            report = import_catalog(file, fmt=format, dry_run=dry_run, progress=progress)
        except CatalogFileError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if progress and report.results:
            self.stderr.write("", style_func=str)
        self._summary(file, report, verbosity)
        if report.failed:
            counts = f"{len(report.failed)} of {len(report.results)} row(s)"
            outcome = "would fail" if dry_run else "failed; the others were imported"
            raise CommandError(f"{counts} {outcome}.", returncode=1)

    def _progress(self, done, total):
        self.stderr.write(f"\rImporting: {done}/{total} rows", style_func=str, ending="")
        self.stderr.flush()

    def _summary(self, file, report, verbosity):
        write = self.stdout.write
        if report.dry_run:
            write(f"Dry run of {file}: nothing was saved; counts are what an import would do.")
        else:
            write(f"Imported {file}.")
        write(
            f"created: {len(report.created)}, updated: {len(report.updated)}, "
            f"unchanged: {len(report.unchanged)}, failed: {len(report.failed)}"
        )
        if report.categories_created:
            write(f"Categories created: {', '.join(report.categories_created)}")
        if report.warehouses_created:
            write(f"Warehouses created: {', '.join(report.warehouses_created)}")
        if verbosity >= 2:
            for result in report.updated:
                write(f"  ~ {result.label}: {', '.join(result.changed)}")
        if report.notes:
            write("Notes:")
            for result in report.notes:
                for message in result.messages:
                    write(f"  {result.label}: {message}")
        if report.failed:
            write(self.style.ERROR("Failures:"))
            for result in report.failed:
                write(f"  {result.label}: {'; '.join(result.messages)}")
