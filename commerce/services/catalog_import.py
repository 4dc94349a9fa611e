"""Catalog import: create or update products by SKU from an AMPER JSON or CSV file.

The file formats, the columns and the exit codes are documented for users in
`commerce/management/commands/import_catalog.py` (its docstring is the
command's `--help`). This module holds the rules:

- One row, one transaction. A row is parsed and validated (our parsing plus
  `Product.full_clean()`) before anything is written; a bad row is reported
  with its location and never leaves a half-written product, category or stock
  level behind. `--dry-run` wraps the whole run in a transaction that is rolled
  back, so it sees exactly what a real run would.
- Created by SKU, or updated by SKU changing only the fields the file gives (an
  empty CSV cell or a JSON null gives nothing). Nothing changed: no write and
  no revision, so re-running a file is safe and reports the rows as unchanged.
- Product changes go through Wagtail's create/edit actions with `publish=True`:
  a revision is saved and published (and logged), exactly as when an editor
  publishes in the admin. Stock is operational data, not part of revisions.
- Unpublished draft changes are kept. When a live product has a newer draft,
  the import publishes its changes to the live product and then saves the
  editor's draft again as the latest revision, so it still shows in the admin
  as "live + draft". The imported values are carried into that draft (so
  publishing it later does not undo the import), except for fields the editor
  had changed in the draft: there the draft keeps the editor's value, and the
  report names the field. The draft revision the editor saved stays in the
  history unchanged.
- A product that is not live (never published, or unpublished by an editor)
  is not published by the import: its row and a new draft revision get the
  changes (as the admin does for objects that are not live; a newer draft is
  kept as above), and the report says so. Publishing stays an editor's call.
- A product with a publication scheduled in the admin is not touched (the row
  fails): publishing now would cancel the schedule.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from wagtail.actions.create import CreateAction
from wagtail.actions.edit import EditAction

from commerce.models import Category, Product, ProductStatus, Stock, Warehouse
from commerce.services import locks
from commerce.services.inventory import set_stock_levels

FORMATS = ("json", "csv")

# CSV column -> Product field. The same names are the canonical keys of a row.
PRODUCT_COLUMNS = (
    "sku",
    "name",
    "price",
    "ean",
    "vat_rate",
    "unit",
    "weight",
    "short_description",
    "description",
    "status",
    "category",
    "is_featured",
)
STOCK_PREFIX = "stock:"

# AMPER product key -> canonical key. `sku` falls back to `short_code`.
AMPER_KEYS = {
    "sku": "sku",
    "name": "name",
    "description": "description",
    "ean": "ean",
    "vat": "vat_rate",
    "default_unit_of_measure": "unit",
    "weight": "weight",
    "default_price": "price",
    "short_description": "short_description",
    "is_featured": "is_featured",
    "is_published": "is_published",
}

# Canonical key -> model field, for the keys stored on the product row.
FIELD_FOR_KEY = {
    "name": "name",
    "price": "price",
    "ean": "ean",
    "vat_rate": "vat_rate",
    "unit": "unit",
    "weight": "weight",
    "short_description": "short_description",
    "description": "description",
    "status": "status",
    "category": "main_category",
    "is_featured": "is_featured",
    "is_published": "status",
}

TRUE_WORDS = {"1", "true", "t", "yes", "y"}
FALSE_WORDS = {"0", "false", "f", "no", "n"}
DECIMAL_RE = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
INTEGER_RE = re.compile(r"[+-]?[0-9]+")
EAN_RE = re.compile(r"[0-9]{8,14}")
SLUG_MAX = Product._meta.get_field("slug").max_length


class CatalogFileError(Exception):
    """The file as a whole cannot be imported: unreadable, not UTF-8, malformed."""


class RowError(Exception):
    """A row cannot be imported; `messages` says why, one entry per problem."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class SourceRow:
    """One product record from the file, not yet parsed.

    `values` maps canonical keys (PRODUCT_COLUMNS, plus `is_published` for
    AMPER) to raw values; `stock` maps warehouse codes to raw quantities.
    A key whose value is None or "" is absent.
    """

    location: str
    values: dict[str, Any]
    stock: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def sku_hint(self):
        value = self.values.get("sku")
        return str(value).strip() if isinstance(value, str | int) else ""


@dataclass
class RowResult:
    location: str
    sku: str
    outcome: str  # created | updated | unchanged | failed
    messages: list[str] = field(default_factory=list)  # why it failed, or notes
    changed: list[str] = field(default_factory=list)  # fields an update changed

    @property
    def label(self):
        return f"{self.location} (sku {self.sku})" if self.sku else self.location


@dataclass
class ImportReport:
    dry_run: bool = False
    results: list[RowResult] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)
    warehouses_created: list[str] = field(default_factory=list)

    def _with(self, outcome):
        return [result for result in self.results if result.outcome == outcome]

    @property
    def created(self):
        return self._with("created")

    @property
    def updated(self):
        return self._with("updated")

    @property
    def unchanged(self):
        return self._with("unchanged")

    @property
    def failed(self):
        return self._with("failed")

    @property
    def notes(self):
        return [r for r in self.results if r.outcome != "failed" and r.messages]


# --- Reading files -----------------------------------------------------------------------------


def guess_format(path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in {".csv", ".tsv", ".txt"}:
        return "csv"
    raise CatalogFileError(
        f"Cannot tell the format of {path} from its extension; pass --format json or --format csv."
    )


def read_rows(path, fmt=None) -> list[SourceRow]:
    """The file's records, or CatalogFileError when the file cannot be read as a whole."""
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise CatalogFileError(f"Unknown format {fmt!r}; use json or csv.")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogFileError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogFileError(
            f"{path} is not UTF-8 text (invalid byte at offset {exc.start})."
        ) from None
    return parse_json(text) if fmt == "json" else parse_csv(text)


def parse_json(text) -> list[SourceRow]:
    try:
        # Decimal, never float, for numbers; NaN/Infinity reach the row check and fail there.
        data = json.loads(text, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(
            f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if not isinstance(data, list):
        raise CatalogFileError(
            'Expected a JSON list of products, or an object with a "results" list.'
        )
    rows = []
    for number, item in enumerate(data, start=1):
        location = f"item {number}"
        if not isinstance(item, dict):
            rows.append(SourceRow(location, {}, errors=["not a JSON object"]))
            continue
        values = {key: item.get(amper_key) for amper_key, key in AMPER_KEYS.items()}
        if _is_blank(values["sku"]):
            values["sku"] = item.get("short_code")
        rows.append(SourceRow(location, values))
    return rows


def parse_csv(text) -> list[SourceRow]:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise CatalogFileError("The CSV file is empty; its first line must be the header row.")
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_sniff_dialect(lines[0]))
    try:
        header = next(reader)
        columns = _csv_columns(header)
        rows = []
        start = reader.line_num + 1
        for record in reader:
            location, start = f"line {start}", reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            row = SourceRow(location, {})
            if len(record) > len(columns):
                row.errors.append(f"{len(record)} cells but the header has {len(columns)} columns")
            for (kind, name), cell in zip(columns, record, strict=False):
                if kind == "stock":
                    row.stock[name] = cell
                else:
                    row.values[name] = cell
            rows.append(row)
    except csv.Error as exc:
        raise CatalogFileError(f"Malformed CSV at line {reader.line_num}: {exc}.") from None
    return rows


def _sniff_dialect(header_line):
    """Comma, semicolon or tab, whichever splits the header; commas by default."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _csv_columns(header):
    columns, seen, unknown = [], set(), []
    for raw in header:
        name = raw.strip()
        lowered = name.lower()
        if lowered.startswith(STOCK_PREFIX):
            code = name[len(STOCK_PREFIX) :].strip()
            if not re.fullmatch(r"[-a-zA-Z0-9_]{1,30}", code):
                raise CatalogFileError(
                    f"Column {raw!r}: a warehouse code has 1-30 letters, digits, '-' or '_'."
                )
            column = ("stock", code)
        elif lowered in PRODUCT_COLUMNS:
            column = ("product", lowered)
        else:
            unknown.append(raw)
            continue
        if column in seen:
            raise CatalogFileError(f"Column {raw!r} appears twice in the header row.")
        seen.add(column)
        columns.append(column)
    known = ", ".join(PRODUCT_COLUMNS) + ", stock:<warehouse code>"
    if ("product", "sku") not in seen:
        raise CatalogFileError(
            "The header row has no 'sku' column; the first line must be the header row "
            f"(columns: {known})."
        )
    if unknown:
        raise CatalogFileError(
            f"Unknown column(s) {', '.join(repr(c) for c in unknown)} in the header row "
            f"(known: {known})."
        )
    return columns


# --- Parsing values ----------------------------------------------------------------------------


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value, label):
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{label}: expected text, got {value!r}")
    return str(value).strip()


def parse_decimal(value, label, *, places):
    """A non-negative Decimal with at most `places` decimals, from "25.43" or "25,43"."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"{label}: {value!r} is not a number")
    if isinstance(value, str):
        text = value.strip()
        if not DECIMAL_RE.fullmatch(text):
            raise ValueError(f"{label}: {value!r} is not a number (use 25.43 or 25,43)")
        value = Decimal(text.replace(",", "."))
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{label}: {value} is not a number")
    if number < 0:
        raise ValueError(f"{label}: must not be negative (got {value})")
    quantum = Decimal(1).scaleb(-places)
    try:
        rounded = number.quantize(quantum)
    except InvalidOperation:
        raise ValueError(f"{label}: {value} is too large") from None
    if rounded != number:
        raise ValueError(f"{label}: at most {places} decimal places (got {value})")
    return rounded


def parse_quantity(value, label):
    text = str(value).strip()
    if not INTEGER_RE.fullmatch(text):
        raise ValueError(f"{label}: {value!r} is not a whole number")
    quantity = int(text)
    if quantity < 0:
        raise ValueError(f"{label}: must not be negative (got {quantity})")
    return quantity


def parse_bool(value, label):
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str | Decimal):
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(f"{label}: {value!r} is not yes/no (use true/false, yes/no or 1/0)")


def parse_status(value, label):
    word = parse_text(value, label).lower()
    if word not in ProductStatus.values:
        raise ValueError(f"{label}: {value!r} is not one of {', '.join(ProductStatus.values)}")
    return word


def parse_ean(value, label):
    text = parse_text(value, label).replace(" ", "")
    # Checked here, not only by the model: Product.clean() would fail on non-digits.
    if not EAN_RE.fullmatch(text):
        raise ValueError(f"{label}: {value!r} is not 8 to 14 digits")
    return text


def plain_text_to_html(text):
    """Escaped plain text as rich text: blank lines part paragraphs, newlines become <br/>."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    html = []
    for paragraph in paragraphs:
        lines = [escape(line.strip()) for line in paragraph.split("\n") if line.strip()]
        if lines:
            html.append("<p>" + "<br/>".join(lines) + "</p>")
    return "".join(html)


def parse_category_path(value, label):
    path = parse_text(value, label).strip("/")
    segments = [segment.strip() for segment in path.split("/")]
    for segment in segments:
        if not segment or slugify(segment) != segment:
            raise ValueError(
                f"{label}: {segment!r} in {value!r} is not a category slug "
                "(lowercase letters, digits and hyphens, e.g. kitchen/pans)"
            )
    return "/".join(segments)


PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "sku": parse_text,
    "name": parse_text,
    "price": lambda value, label: parse_decimal(value, label, places=2),
    "ean": parse_ean,
    "vat_rate": lambda value, label: parse_decimal(value, label, places=2),
    "unit": parse_text,
    "weight": lambda value, label: parse_decimal(value, label, places=3),
    "short_description": parse_text,
    "description": lambda value, label: plain_text_to_html(parse_text(value, label)),
    "status": parse_status,
    "category": parse_category_path,
    "is_featured": parse_bool,
    "is_published": parse_bool,
}


def parse_row(row: SourceRow):
    """(sku, values, stock) with every given value parsed, or RowError listing every problem."""
    if row.errors and not row.values:
        raise RowError(row.errors)  # not a record at all
    errors = list(row.errors)
    values = {}
    for key, raw in row.values.items():
        if _is_blank(raw):
            continue
        try:
            values[key] = PARSERS[key](raw, key)
        except ValueError as exc:
            errors.append(str(exc))
    stock = {}
    for code, raw in row.stock.items():
        if _is_blank(raw):
            continue
        try:
            stock[code] = parse_quantity(raw, f"{STOCK_PREFIX}{code}")
        except ValueError as exc:
            errors.append(str(exc))
    sku = values.pop("sku", "")
    if not sku and not any(e.startswith("sku:") for e in errors):
        errors.insert(0, "sku: required")
    limit = Product._meta.get_field("short_description").max_length
    if len(values.get("short_description", "")) > limit:
        # TextField max_length is not checked by full_clean().
        errors.append(f"short_description: at most {limit} characters")
    if errors:
        raise RowError(errors)
    return sku, values, stock


# --- Writing -----------------------------------------------------------------------------------


def import_catalog(
    path, *, fmt=None, dry_run=False, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Imports a file; CatalogFileError if it cannot be read, else a report per row."""
    return import_rows(read_rows(path, fmt), dry_run=dry_run, progress=progress)


def import_rows(
    rows: Iterable[SourceRow],
    *,
    dry_run=False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    rows = list(rows)
    report = ImportReport(dry_run=dry_run)
    if not dry_run:
        _import_all(rows, report, progress)  # each row commits on its own
        return report
    with transaction.atomic():  # each row a savepoint; everything rolled back at the end
        _import_all(rows, report, progress)
        transaction.set_rollback(True)
    return report


def _import_all(rows, report, progress):
    for done, row in enumerate(rows, start=1):
        report.results.append(_import_one(row, report))
        if progress:
            progress(done, len(rows))


def _import_one(row: SourceRow, report: ImportReport) -> RowResult:
    try:
        sku, values, stock = parse_row(row)
        with transaction.atomic():
            result = _write_row(sku, values, stock)
    except RowError as exc:
        return RowResult(row.location, row.sku_hint, "failed", exc.messages)
    except DatabaseError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return RowResult(row.location, row.sku_hint, "failed", [f"database error: {message}"])
    report.categories_created += result.categories
    report.warehouses_created += result.warehouses
    return RowResult(row.location, sku, result.outcome, result.messages, result.changed)


@dataclass
class _Written:
    outcome: str = "unchanged"
    changed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    warehouses: list[str] = field(default_factory=list)


def _write_row(sku, values, stock) -> _Written:
    """Writes one parsed row; RowError (after which the caller rolls back) if it is invalid."""
    written, errors = _Written(), []

    # Locks in the one order of services.locks: product, then its stock rows, before
    # anything below writes the catalog version row (saving a category, the product
    # or a warehouse bumps it). Holding that row while waiting for stock would
    # deadlock with a checkout that holds the stock and bumps the version.
    product = locks.lock_product(sku=sku)
    if product is not None and stock:
        locks.lock_stock([product.pk])
    creating = product is None

    if "category" in values:
        try:
            values["category"] = _category_for_path(values["category"], written.categories)
        except RowError as exc:
            errors += exc.messages
            del values["category"]

    exclude = []
    if creating:
        product = Product(sku=sku)
        for key in ("name", "price"):
            if key not in values:
                errors.append(f"{key}: required for a new product")
                exclude.append(key)
    before = {name: getattr(product, name) for name in _field_names(values)}
    _apply(product, values)
    changed = sorted(name for name, old in before.items() if getattr(product, name) != old)

    if creating:
        if "name" in values:
            product.slug = unique_slug(product.name, sku)
        else:
            exclude.append("slug")
    if creating or changed:
        try:
            product.full_clean(exclude=exclude)
        except ValidationError as exc:
            errors += _messages(exc)
    if not creating and changed and _is_scheduled(product):
        errors.append(
            "a publication is scheduled for this product in the admin; publish or cancel "
            "it there first (publishing now would cancel it)"
        )
    if errors:
        raise RowError(errors)

    if creating:
        CreateAction(product, publish=True, clean=False).execute(skip_permission_checks=True)
    elif changed:
        written.messages += _save_changes(product, before, changed)
    stock_changed = _set_stock(product, stock, written.warehouses)

    if creating:
        written.outcome = "created"
    elif changed or stock_changed:
        written.outcome = "updated"
        written.changed = changed + (["stock"] if stock_changed else [])
    return written


def _field_names(values):
    return {FIELD_FOR_KEY[key] for key in values}


def _apply(product, values):
    for key, value in values.items():
        if key == "is_published":
            continue
        setattr(product, FIELD_FOR_KEY[key], value)
    if "is_published" in values and "status" not in values:
        # AMPER's is_published: false hides the product; true shows a hidden one
        # (or a new one) and leaves "disabled" (listed, not purchasable) alone.
        if not values["is_published"]:
            product.status = ProductStatus.HIDDEN
        elif product.pk is None or product.status == ProductStatus.HIDDEN:
            product.status = ProductStatus.ACTIVE


def _save_changes(product, before, changed):
    """Saves the changed fields of an existing product as a revision; returns report notes.

    See the module docstring: live products are published, products that are
    not live get a draft revision, and an editor's unpublished draft is kept.
    """
    messages = []
    if product.locked:
        messages.append("locked in the admin; updated anyway")
    draft = None
    if (
        product.has_unpublished_changes
        and product.latest_revision_id
        and product.latest_revision_id != product.live_revision_id
    ):
        draft = product.latest_revision.as_object()

    if product.live:
        EditAction(product, publish=True, clean=False).execute(skip_permission_checks=True)
    elif draft is None:
        EditAction(product, publish=False, clean=False).execute(skip_permission_checks=True)
    else:
        product.save()  # the row of an object that is not live is its working copy
    if not product.live:
        messages.append("not live (unpublished in the admin): saved as a draft, not published")
    if draft is None:
        return messages

    kept = []
    for name in changed:
        draft_value = getattr(draft, name)
        if draft_value == before[name]:
            setattr(draft, name, getattr(product, name))
        elif draft_value != getattr(product, name):
            kept.append(name)
    draft.save_revision(clean=False, log_action="wagtail.edit")
    note = "has unpublished draft changes: "
    note += "the live product was updated" if product.live else "the product was updated"
    note += " and the draft kept, with the imported values"
    if kept:
        note += f" except {', '.join(kept)} (edited in the draft; the draft keeps its own)"
    messages.append(note)
    return messages


def _is_scheduled(product):
    future_go_live = product.go_live_at is not None and product.go_live_at > timezone.now()
    return future_go_live or product.revisions.filter(approved_go_live_at__isnull=False).exists()


def _set_stock(product, stock, created):
    """Sets the given quantities; True if any changed. Warehouses are created when missing."""
    if not stock:
        return False
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in=stock)}
    for code in stock:
        if code not in warehouses:
            warehouse = Warehouse(code=code, name=code)
            try:
                warehouse.full_clean()
            except ValidationError as exc:
                raise RowError(
                    [
                        f"{STOCK_PREFIX}{code}: cannot create the warehouse: {m}"
                        for m in _messages(exc)
                    ]
                ) from None
            warehouse.save()
            warehouses[code] = warehouse
            created.append(code)
    current = dict(
        Stock.objects.filter(product=product, warehouse__in=warehouses.values()).values_list(
            "warehouse_id", "quantity"
        )
    )
    levels = {
        warehouses[code].pk: quantity
        for code, quantity in stock.items()
        if current.get(warehouses[code].pk) != quantity
    }
    if levels:
        set_stock_levels(product, levels)
    return bool(levels)


def _category_for_path(path, created):
    """The category at a slug path, creating missing ones along it."""
    parent = None
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        slug_path = "/".join(parts[:depth])
        category = Category.objects.filter(slug_path=slug_path).first()
        if category is None:
            slug = parts[depth - 1]
            clash = Category.objects.filter(slug=slug).first()
            if clash is not None:
                raise RowError(
                    [
                        f"category: cannot create {slug_path!r}: the slug {slug!r} is taken "
                        f"by {clash.slug_path!r} (category slugs are unique site-wide)"
                    ]
                )
            category = Category(parent=parent, slug=slug, name=slug.replace("-", " ").capitalize())
            # save() computes slug_path; set it first so full_clean() checks it too.
            category.slug_path = slug_path
            try:
                category.full_clean()
            except ValidationError as exc:
                raise RowError([f"category {slug_path!r}: {m}" for m in _messages(exc)]) from None
            category.save()
            created.append(slug_path)
        parent = category
    return parent


def unique_slug(name, sku):
    """slugify(name), or of the SKU if the name has no usable characters; -2, -3 on clashes."""
    base = (slugify(name) or slugify(sku) or "product")[: SLUG_MAX - 8].strip("-") or "product"
    taken = set(
        Product.objects.filter(slug__regex=rf"^{re.escape(base)}(-[0-9]+)?$").values_list(
            "slug", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _messages(exc: ValidationError):
    if hasattr(exc, "error_dict"):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return list(exc.messages)
