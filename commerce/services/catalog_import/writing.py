"""Catalog import, writing: create or update products by SKU, with revisions.

The file formats, the columns and the exit codes are documented for users in
`commerce/management/commands/import_catalog.py` (its docstring is the
command's `--help`). Files are read in `sources.py`, values parsed in
`values.py`; this module holds the rules of writing:

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

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.actions.create import CreateAction
from wagtail.actions.edit import EditAction

from commerce.models import Category, Product, ProductStatus, Stock, Warehouse
from commerce.services import locks
from commerce.services.catalog_version import bumps_suppressed
from commerce.services.inventory import set_stock_levels

from .sources import STOCK_PREFIX, SourceRow, read_rows
from .values import RowError, parse_row

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

SLUG_MAX = Product._meta.get_field("slug").max_length


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
    # Each row a savepoint; everything rolled back at the end, so no catalog version bump.
    with transaction.atomic(), bumps_suppressed():
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
