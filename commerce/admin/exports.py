"""Spreadsheet exports from the admin (Download CSV / XLSX): safe and readable, all of them.

Every admin export, ours (orders, products, categories, coupons, ...) and Wagtail's own
(reports, redirects), is written by Wagtail's `SpreadsheetExportMixin`. `install()`
replaces three of its methods once, at start-up, so no export can be left out: a
viewset with `list_export` needs nothing else. The rules:

- No live formulas. Spreadsheet programs run a text cell starting with `=`, `+`, `-`,
  `@`, tab or carriage return as a formula (`=HYPERLINK(...)` in a customer's name
  leaks the row when clicked). CSV cells get OWASP's leading single quote; XLSX cells
  are typed as text, never as formulas, so they need no quote.
- Numbers stay numbers: a negative amount is not text and gets no quote. Decimals are
  written with their model field's places; computed ones (revenue, sums) with two.
  XLSX shows them with as many decimals.
- A field with choices is written as its label ("Paid"), not its stored value.
- Times are in the admin's current time zone, to the second.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.coreutils import multigetattr

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_wagtail_preprocess = SpreadsheetExportMixin.preprocess_field_value
_wagtail_xlsx_row = SpreadsheetExportMixin.generate_xlsx_row


def neutralise(text: str) -> str:
    """OWASP's rule for CSV: text a spreadsheet would run as a formula gets a leading `'`."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _model_field(item, name):
    if "." in name or not isinstance(item, models.Model):
        return None
    try:
        return item._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def readable_value(item, name, *, keep_raw=False):
    """The value of `name` on `item` as a person reads it: labels, rounded decimals."""
    value = multigetattr(item, name)
    field = _model_field(item, name)
    if field is not None and field.choices and not keep_raw:
        return force_str(dict(field.flatchoices).get(value, value))
    if isinstance(value, Decimal) and value.is_finite():
        places = field.decimal_places if isinstance(field, models.DecimalField) else 2
        return value.quantize(Decimal(1).scaleb(-places))
    return value


def to_row_dict(self, item):
    # A view's own preprocessing of a field (Wagtail's reports have some) gets the raw value.
    return {
        field: readable_value(item, field, keep_raw=field in self.custom_field_preprocess)
        for field in self.list_export
    }


def preprocess_field_value(self, field, value, export_format):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)  # in the current (the admin user's) zone
        value = value.replace(microsecond=0)
        if export_format == self.FORMAT_CSV:
            value = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, datetime.time):
        value = value.replace(microsecond=0)
    value = _wagtail_preprocess(self, field, value, export_format)
    if export_format == self.FORMAT_CSV and isinstance(value, str):
        value = neutralise(value)
    return value


def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
    for cell in _wagtail_xlsx_row(self, worksheet, row_dict, date_format=date_format):
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text, whatever it starts with: never a formula
        elif isinstance(cell.value, Decimal) and cell.value.is_finite():
            places = max(0, -cell.value.as_tuple().exponent)
            cell.number_format = "0." + "0" * places if places else "0"
        yield cell


def install():
    """Called once from CommerceConfig.ready()."""
    SpreadsheetExportMixin.to_row_dict = to_row_dict
    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
    SpreadsheetExportMixin.generate_xlsx_row = generate_xlsx_row
