"""Catalog import: create or update products by SKU from an AMPER JSON or CSV file.

Three steps, one module each: `sources` reads a file into rows of raw values,
`values` parses and checks a row's values, `writing` writes a row in its own
transaction, through Wagtail's revisions (its docstring holds the rules).
"""

from .sources import FORMATS, CatalogFileError, SourceRow, read_rows
from .values import RowError, parse_row
from .writing import ImportReport, RowResult, import_catalog, import_rows

__all__ = [
    "FORMATS",
    "CatalogFileError",
    "ImportReport",
    "RowError",
    "RowResult",
    "SourceRow",
    "import_catalog",
    "import_rows",
    "parse_row",
    "read_rows",
]
