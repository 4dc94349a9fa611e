"""Parsing a row's raw values: text, numbers, yes/no, status, EAN, category paths.

Every problem of a row is collected, so the report names them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.html import escape
from django.utils.text import slugify

from commerce.inputs import control_characters
from commerce.models import Product, ProductStatus
from commerce.models.catalog import ean_format_ok

from .sources import OPTION_PREFIX, STOCK_PREFIX, SourceRow, is_blank

TRUE_WORDS = {"1", "true", "t", "yes", "y"}
FALSE_WORDS = {"0", "false", "f", "no", "n"}
DECIMAL_RE = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
INTEGER_RE = re.compile(r"[+-]?[0-9]+")


class RowError(Exception):
    """A row cannot be imported; `messages` says why, one entry per problem."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def parse_text(value, label, *, multiline=False):
    """One line of text (or, `multiline`, lines and tabs), without NUL or other control
    characters: PostgreSQL cannot store NUL, and a name or SKU is one line."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{label}: expected text, got {value!r}")
    text = str(value).strip()
    if control_characters(text, multiline=multiline):
        allowed = " other than line breaks and tabs" if multiline else ""
        raise ValueError(f"{label}: must not contain control characters{allowed} (such as NUL)")
    return text


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
    # The model's rule, checked while parsing so the report lists it beside the row's
    # other problems (full_clean() runs only on a row that parsed).
    if not ean_format_ok(text):
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
    "product": parse_text,
    "name": parse_text,
    "price": lambda value, label: parse_decimal(value, label, places=2),
    "compare_at_price": lambda value, label: parse_decimal(value, label, places=2),
    "is_active": parse_bool,
    "ean": parse_ean,
    "vat_rate": lambda value, label: parse_decimal(value, label, places=2),
    "unit": parse_text,
    "weight": lambda value, label: parse_decimal(value, label, places=3),
    "short_description": lambda value, label: parse_text(value, label, multiline=True),
    "description": lambda value, label: plain_text_to_html(
        parse_text(value, label, multiline=True)
    ),
    "status": parse_status,
    "category": parse_category_path,
    "is_featured": parse_bool,
    "is_published": parse_bool,
}


# Which keys describe the product (taken from its first row) and which the variant.
PRODUCT_KEYS = (
    "name",
    "vat_rate",
    "unit",
    "short_description",
    "description",
    "status",
    "category",
    "is_featured",
    "is_published",
    "attributes",
)
VARIANT_KEYS = ("price", "compare_at_price", "ean", "weight", "is_active")


def group_of(row: SourceRow, product_key: str, sku: str) -> tuple[str, str]:
    """Which product a row belongs to: its JSON item's, its product key's, or its own."""
    if row.item_group is not None:
        return ("item", row.item_group)
    return ("product", product_key) if product_key else ("sku", sku)


@dataclass
class ParsedRow:
    """A row's values, parsed: `product` and `variant` values by canonical key, stock by
    warehouse code, options as {axis as the file names it: option value}."""

    location: str
    sku: str
    group: tuple[str, str]  # ("product", key), ("item", JSON item) or ("sku", SKU) alone
    product: dict[str, Any] = field(default_factory=dict)
    variant: dict[str, Any] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


def parse_attributes(raw) -> tuple[tuple[str, str, str], ...]:
    """AMPER's `attributes` as ((name, key, value), …); ValueError naming each problem by
    its place ("attributes.1.atr_val: …"). `key` (the attribute's slug) may stand in for
    `atr_name`."""
    if not isinstance(raw, list):
        raise ValueError(f"attributes: expected a list of attributes, got {raw!r}")
    parsed, problems = [], []
    for number, entry in enumerate(raw):
        where = f"attributes.{number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected an object with atr_name and atr_val")
            continue
        texts = {}
        for name in ("atr_name", "atr_val", "key"):
            value = entry.get(name)
            try:
                texts[name] = "" if is_blank(value) else parse_text(value, f"{where}.{name}")
            except ValueError as exc:
                problems.append(str(exc))
        if len(texts) < 3:
            continue
        if not (texts["atr_name"] or texts["key"]):
            problems.append(f"{where}.atr_name: required")
        elif not texts["atr_val"]:
            problems.append(f"{where}.atr_val: required")
        else:
            parsed.append((texts["atr_name"], texts["key"], texts["atr_val"]))
    if problems:
        raise ValueError("\n".join(problems))
    return tuple(parsed)


def parse_row(row: SourceRow) -> ParsedRow:
    """The row with every given value parsed, or RowError listing every problem."""
    if row.errors and not row.values:
        raise RowError(row.errors)  # not a record at all
    errors = list(row.errors)
    values = {}
    for key, raw in row.values.items():
        if is_blank(raw):
            continue
        try:
            values[key] = PARSERS[key](raw, key)
        except ValueError as exc:
            errors.append(str(exc))
    stock = {}
    for code, raw in row.stock.items():
        if is_blank(raw):
            continue
        try:
            stock[code] = parse_quantity(raw, f"{STOCK_PREFIX}{code}")
        except ValueError as exc:
            errors.append(str(exc))
    options = {}
    for axis, raw in row.options.items():
        if is_blank(raw):
            continue
        label = f"{OPTION_PREFIX}{axis}"
        try:
            if not isinstance(axis, str) or not axis.strip():
                raise ValueError(f"options: expected an object of axis: value, got {raw!r}")
            options[axis.strip()] = parse_text(raw, label)
        except ValueError as exc:
            errors.append(str(exc))
    if row.attributes is not None:
        try:
            values["attributes"] = parse_attributes(row.attributes)
        except ValueError as exc:
            errors += str(exc).split("\n")
    sku = values.pop("sku", "")
    if not sku and not any(e.startswith("sku:") for e in errors):
        errors.insert(0, "sku: required")
    limit = Product._meta.get_field("short_description").max_length
    if len(values.get("short_description", "")) > limit:
        # TextField max_length is not checked by full_clean().
        errors.append(f"short_description: at most {limit} characters")
    if errors:
        raise RowError(errors)
    return ParsedRow(
        location=row.location,
        sku=sku,
        group=group_of(row, values.pop("product", ""), sku),
        product={key: values[key] for key in PRODUCT_KEYS if key in values},
        variant={key: values[key] for key in VARIANT_KEYS if key in values},
        stock=stock,
        options=options,
    )
