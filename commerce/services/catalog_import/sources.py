"""Reading a catalog file: AMPER JSON or CSV into `SourceRow`s of raw values.

A row is a variant. Rows with the same product key (the `product` column, or its
alias `group`) are the variants of one product; a row without one is a product of
its own. Nothing here parses a value or touches the database; a file that cannot
be read as a whole is a CatalogFileError, a record that is not one is a row with
errors.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMATS = ("json", "csv")

# CSV columns. The same names are the canonical keys of a row.
PRODUCT_COLUMNS = (
    "sku",
    "product",
    "name",
    "price",
    "compare_at_price",
    "ean",
    "vat_rate",
    "unit",
    "weight",
    "is_active",
    "short_description",
    "description",
    "status",
    "category",
    "is_featured",
)
# Other spellings of a column, as the header may give them.
COLUMN_ALIASES = {"group": "product"}
STOCK_PREFIX = "stock:"
OPTION_PREFIX = "option:"

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
    "product": "product",  # or "group", read when "product" is blank
    "compare_at_price": "compare_at_price",
    "is_active": "is_active",
}
# Keys of a variant inside an item's `variants` list (the shape our own API lists).
AMPER_VARIANT_KEYS = {
    "sku": "sku",
    "ean": "ean",
    "price": "price",
    "compare_at_price": "compare_at_price",
    "weight": "weight",
    "is_active": "is_active",
}


class CatalogFileError(Exception):
    """The file as a whole cannot be imported: unreadable, not UTF-8, malformed."""


@dataclass
class SourceRow:
    """One variant record from the file, not yet parsed.

    `values` maps canonical keys (PRODUCT_COLUMNS, plus `is_published` for
    AMPER) to raw values; `stock` maps warehouse codes to raw quantities;
    `options` maps variant axes (as the file names them) to raw option values.
    A key whose value is None or "" is absent.
    """

    location: str
    values: dict[str, Any]
    stock: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    # The variants of one JSON item with a `variants` list and no product key: that item's
    # location, a product key no file can spell.
    item_group: str | None = None
    # AMPER's `attributes` ([{"atr_name", "atr_val", "key"}]) as sent; None: not given.
    attributes: Any = None

    @property
    def sku_hint(self):
        value = self.values.get("sku")
        return str(value).strip() if isinstance(value, str | int) else ""


def is_blank(value):
    """No value given: the row leaves the field as it is."""
    return value is None or (isinstance(value, str) and not value.strip())


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
    return rows_from_items(data)


def rows_from_items(data: list) -> list[SourceRow]:
    """AMPER product objects (decoded JSON) as rows: item N is located "item N", its
    variants "item N, variant M". The file import and the API's POST /products/ share it."""
    rows = []
    for number, item in enumerate(data, start=1):
        location = f"item {number}"
        if not isinstance(item, dict):
            rows.append(SourceRow(location, {}, errors=["not a JSON object"]))
            continue
        rows += _json_rows(item, location)
    return rows


def _json_rows(item, location) -> list[SourceRow]:
    """An item is one variant, or a product with a `variants` list (one row each, grouped
    under the item's product key, or the item itself)."""
    values = {key: item.get(amper_key) for amper_key, key in AMPER_KEYS.items()}
    if is_blank(values["product"]):
        values["product"] = item.get("group")
    variants = item.get("variants")
    if variants is None:
        if is_blank(values["sku"]):
            values["sku"] = item.get("short_code")
        if is_blank(values["sku"]):
            values["sku"] = item.get("external_id")  # the ERP's id, when it sends no SKU
        options = _json_options(item.get("options"))
        return [SourceRow(location, values, options=options, attributes=item.get("attributes"))]
    if not isinstance(variants, list) or not variants:
        return [SourceRow(location, {}, errors=["variants: expected a non-empty list"])]
    item_group = location if is_blank(values["product"]) else None
    rows = []
    for number, variant in enumerate(variants, start=1):
        where = f"{location}, variant {number}"
        if not isinstance(variant, dict):
            rows.append(SourceRow(where, {}, errors=["not a JSON object"]))
            continue
        row_values = {**values, "sku": None, "ean": None, "weight": None, "price": None}
        row_values.update({key: variant.get(name) for name, key in AMPER_VARIANT_KEYS.items()})
        options = _json_options(variant.get("options"))
        rows.append(
            SourceRow(
                where,
                row_values,
                options=options,
                item_group=item_group,
                attributes=item.get("attributes"),
            )
        )
    return rows


def _json_options(options) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, dict):
        return {"": options}  # reported by the row check
    return dict(options)


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
                elif kind == "option":
                    row.options[name] = cell
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
        elif lowered.startswith(OPTION_PREFIX):
            axis = name[len(OPTION_PREFIX) :].strip()
            if not axis:
                raise CatalogFileError(f"Column {raw!r}: name the variant axis, e.g. option:size.")
            column = ("option", axis)
        elif lowered in PRODUCT_COLUMNS or lowered in COLUMN_ALIASES:
            column = ("product", COLUMN_ALIASES.get(lowered, lowered))
        else:
            unknown.append(raw)
            continue
        if column in seen or (column[0] == "option" and _same_axis(column[1], seen)):
            raise CatalogFileError(f"Column {raw!r} appears twice in the header row.")
        seen.add(column)
        columns.append(column)
    known = (
        ", ".join(PRODUCT_COLUMNS)
        + ", group (= product), stock:<warehouse code>, option:<variant axis>"
    )
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


def _same_axis(axis, seen) -> bool:
    key = axis_key(axis)
    return any(kind == "option" and axis_key(name) == key for kind, name in seen)


def axis_key(axis: str) -> str:
    """How an axis column's name is matched: case and spaces aside ("Size", "size")."""
    return " ".join(str(axis).split()).casefold()
