"""Catalog import, writing: create or update products and their variants by SKU, with revisions.

The file formats, the columns and the exit codes are documented for users in
`commerce/management/commands/import_catalog.py` (its docstring is the
command's `--help`). Files are read in `sources.py`, values parsed in
`values.py`; this module holds the rules of writing:

- A row is a variant; the rows with one product key (`ParsedRow.group`) are one
  product's variants, written together: one product, one transaction. Its
  rows are parsed and validated (our parsing, `full_clean()` of the product
  and each variant, and `variant_set_errors`, the one rule for a variant set)
  before anything is written; a bad row is reported with its location, the
  product's other rows are reported as not imported because of it, and
  nothing of that product (category, option, stock level) is left behind.
  `--dry-run` wraps the whole run in a transaction that is rolled back, so it
  sees exactly what a real run would.
- The product is found through its rows' SKUs (the variants it has); rows
  whose SKUs belong to two products fail. Product values (name, descriptions,
  category, status, ...) come from the product's first row in the file; a later
  row giving a different value gets a note and does not change it. Variants
  not in the file are left as they are: the import never deletes.
- Created by SKU, or updated by SKU changing only the fields the file gives (an
  empty CSV cell or a JSON null gives nothing). Nothing changed: no write and
  no revision, so re-running a file is safe and reports the rows as unchanged.
- Variant axes are the `option:<axis>` columns (JSON `options`) the product's
  rows fill in; an axis is the attribute definition with that slug or name,
  created (or marked "varies per variant") when needed, and an option is its
  option with that value (or slug), created when missing.
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
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.actions.create import CreateAction
from wagtail.actions.edit import EditAction
from wagtail.log_actions import log

from commerce.models import (
    AttributeDefinition,
    AttributeOption,
    Category,
    Product,
    ProductStatus,
    ProductVariant,
    Stock,
    Warehouse,
    variant_set_errors,
)
from commerce.services import locks
from commerce.services.catalog_version import bumps_suppressed
from commerce.services.inventory import set_stock_levels

from .sources import OPTION_PREFIX, STOCK_PREFIX, SourceRow, axis_key, read_rows
from .values import ParsedRow, RowError, group_of, parse_row

# Canonical key -> model field, for the keys stored on the product row.
FIELD_FOR_KEY = {
    "name": "name",
    "vat_rate": "vat_rate",
    "unit": "unit",
    "short_description": "short_description",
    "description": "description",
    "status": "status",
    "category": "main_category",
    "is_featured": "is_featured",
    "is_published": "status",
}
# Canonical key -> field, for the keys stored on the variant row.
VARIANT_FIELDS = ("price", "compare_at_price", "ean", "weight", "is_active")

SLUG_MAX = Product._meta.get_field("slug").max_length
# The history entry of a product written by an import or the ERP (commerce/wagtail_hooks.py).
CATALOG_WRITE = "commerce.catalog_write"


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
    source = f"the catalog import of {Path(path).name}"
    return import_rows(read_rows(path, fmt), dry_run=dry_run, progress=progress, source=source)


def import_rows(
    rows: Iterable[SourceRow],
    *,
    dry_run=False,
    progress: Callable[[int, int], None] | None = None,
    source: str = "the catalog import",
) -> ImportReport:
    """Writes the rows, each product in its own transaction; the report has a result per
    row. `source` says who sent them: a product created or changed gets a
    "commerce.catalog_write" entry in its history naming it."""
    rows = list(rows)
    report = ImportReport(dry_run=dry_run)
    if not dry_run:
        _import_all(rows, report, progress, source)  # each product commits on its own
        return report
    # Each product a savepoint; everything rolled back at the end, so no catalog version bump.
    with transaction.atomic(), bumps_suppressed():
        _import_all(rows, report, progress, source)
        transaction.set_rollback(True)
    return report


def _import_all(rows, report, progress, source):
    """Parses every row, groups them by product (in the order of their first rows), writes
    each group; the report lists the rows in the file's order."""
    results: dict[int, RowResult] = {}
    groups: dict[tuple, list[tuple[int, ParsedRow]]] = {}
    first_sku: dict[str, str] = {}
    first_ean: dict[str, str] = {}
    for index, row in enumerate(rows):
        try:
            parsed = parse_row(row)
        except RowError as exc:
            results[index] = RowResult(row.location, row.sku_hint, "failed", exc.messages)
            # Still one of its product's rows: they are written together or not at all.
            groups.setdefault(_raw_group(row), []).append((index, None))
            continue
        problems = []
        if parsed.sku in first_sku:
            problems.append(f"sku: {parsed.sku!r} is also on {first_sku[parsed.sku]}")
        ean = parsed.variant.get("ean")
        if ean and ean in first_ean:
            problems.append(f"ean: {ean!r} is also on {first_ean[ean]}")
        first_sku.setdefault(parsed.sku, row.location)
        if ean:
            first_ean.setdefault(ean, row.location)
        if problems:
            results[index] = RowResult(row.location, parsed.sku, "failed", problems)
        groups.setdefault(parsed.group, []).append((index, parsed))
    done = 0
    for members in groups.values():
        indexes = [index for index, _ in members]
        failed = [results[i] for i in indexes if i in results]
        if failed:
            for index, parsed in members:
                if parsed is not None:
                    results.setdefault(index, _not_imported(parsed, failed))
        else:
            written = _import_group([parsed for _, parsed in members], report, source)
            for index, result in zip(indexes, written, strict=True):
                results[index] = result
        done += len(members)
        if progress:
            progress(done, len(rows))
    report.results += [results[index] for index in range(len(rows)) if index in results]
    # Rows that failed to parse belong to no group: count them at the end.
    if progress and len(rows) != done:
        progress(len(rows), len(rows))


def _raw_group(row: SourceRow) -> tuple[str, str]:
    """The product key of a row that did not parse, as `parse_row` would have made it."""
    key = row.values.get("product")
    if not (isinstance(key, str | int) and not isinstance(key, bool)):
        key = ""
    return group_of(row, str(key).strip(), row.sku_hint)


def _not_imported(parsed: ParsedRow, failed: list[RowResult]) -> RowResult:
    where = ", ".join(result.location for result in failed)
    return RowResult(
        parsed.location,
        parsed.sku,
        "failed",
        [f"not imported: another row of the same product failed ({where})"],
    )


def _import_group(rows: list[ParsedRow], report: ImportReport, source: str) -> list[RowResult]:
    try:
        with transaction.atomic():
            written = _write_group(rows, source)
    except _GroupError as exc:
        failed = {location: messages for location, messages in exc.by_location.items()}
        results = []
        for row in rows:
            if row.location in failed:
                results.append(RowResult(row.location, row.sku, "failed", failed[row.location]))
            else:
                where = ", ".join(failed)
                results.append(
                    RowResult(
                        row.location,
                        row.sku,
                        "failed",
                        [f"not imported: another row of the same product failed ({where})"],
                    )
                )
        return results
    except DatabaseError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [
            RowResult(row.location, row.sku, "failed", [f"database error: {message}"])
            for row in rows
        ]
    report.categories_created += written.categories
    report.warehouses_created += written.warehouses
    return [
        RowResult(row.location, row.sku, outcome, messages, changed)
        for row, (outcome, changed, messages) in zip(rows, written.rows, strict=True)
    ]


class _GroupError(Exception):
    """A product's rows cannot be written: {row location: messages}."""

    def __init__(self, by_location: dict[str, list[str]]):
        self.by_location = by_location
        super().__init__(str(by_location))


@dataclass
class _Written:
    rows: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    warehouses: list[str] = field(default_factory=list)


def _write_group(rows: list[ParsedRow], source: str) -> _Written:
    """Writes one product's parsed rows; _GroupError (after which the caller rolls back)
    if any is invalid."""
    written = _Written()
    first = rows[0]
    errors: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {row.location: [] for row in rows}

    def fail(row, message):
        errors.setdefault(row.location, []).append(message)

    # Locks in the one order of services.locks: product, then its stock rows, before
    # anything below writes the catalog version row (saving a category, an option, the
    # product or a warehouse bumps it). Holding that row while waiting for stock would
    # deadlock with a checkout that holds the stock and bumps the version.
    product = _lock_product_of(rows, fail)
    if errors:
        raise _GroupError(errors)
    existing = (
        list(product.variants.order_by("sort_order", "pk").prefetch_related("options"))
        if product
        else []
    )
    if product is not None and any(row.stock for row in rows):
        locks.lock_stock([variant.pk for variant in existing])
    creating = product is None

    values = dict(first.product)
    for row in rows[1:]:
        for key, value in row.product.items():
            if key in values and values[key] != value:
                notes[row.location].append(
                    f"{key}: differs from {first.location}, the product's first row; "
                    "the first row's value is used"
                )
            values.setdefault(key, value)
    attributes = values.pop("attributes", None)
    if "category" in values:
        try:
            values["category"] = _category_for_path(values["category"], written.categories)
        except RowError as exc:
            errors.setdefault(first.location, []).extend(exc.messages)
            del values["category"]

    exclude = []
    if creating:
        product = Product()
        if "name" not in values:
            fail(first, "name: required for a new product")
            exclude.append("name")
    before = {name: getattr(product, name) for name in _field_names(values)}
    _apply(product, values)
    changed = sorted(name for name, old in before.items() if getattr(product, name) != old)
    if creating:
        if "name" in values:
            product.slug = unique_slug(product.name, first.sku)
        else:
            exclude.append("slug")
    if creating or changed:
        try:
            product.full_clean(exclude=exclude)
        except ValidationError as exc:
            errors.setdefault(first.location, []).extend(_messages(exc))

    # Axes and options: created when missing, before the variants that use them.
    axes_before = list(product.variant_axes.all()) if not creating else []
    axes = _axes_for(rows, axes_before, fail)
    axes_changed = {a.pk for a in axes} != {a.pk for a in axes_before}
    if axes_changed:
        product.variant_axes.set(axes)

    # Shared attributes (material, brand): the item's list is the product's whole list.
    attributes_before = [] if creating else _attribute_ids(product)
    attributes_changed = False
    if attributes is not None:
        chosen = _attribute_options(attributes, lambda message: fail(first, message))
        if sorted(option.pk for option in chosen) != attributes_before:
            product.attribute_options.set(chosen)
            attributes_changed = True

    variants, variant_changes = _apply_variants(product, existing, rows, axes, fail)
    problems = variant_set_errors(axes, variants)
    row_of_sku = {row.sku: row for row in rows}
    for position, messages in problems.items():
        variant = variants[position] if position < len(variants) else variants[0]
        message = messages["options"]
        row = row_of_sku.get(variant.sku)
        if row is not None:
            fail(row, f"options: {message}")
        else:
            fail(first, f"variant {variant.sku} (not in the file): {message}")

    something_changed = (
        creating or changed or axes_changed or attributes_changed or any(variant_changes.values())
    )
    if not creating and something_changed and is_scheduled(product):
        fail(
            first,
            "a publication is scheduled for this product in the admin; publish or cancel "
            "it there first (publishing now would cancel it)",
        )
    if errors:
        raise _GroupError(errors)

    messages = []
    if creating:
        product.variants = variants
        CreateAction(product, publish=True, clean=False).execute(skip_permission_checks=True)
    elif something_changed:
        product.variants = variants
        messages = save_changes(
            product,
            before=before,
            changed=changed,
            axes_before=axes_before if axes_changed else None,
            variant_changes=variant_changes,
            carry_into_draft=(
                _carry_attributes(attributes_before, product) if attributes_changed else None
            ),
        )
    if creating or something_changed:
        # Wagtail's own entries (created, edited, published) have no user: say who sent it.
        log(instance=product, action=CATALOG_WRITE, data={"source": source})
    try:
        stock_changed = _set_stock(product, rows, written.warehouses)
    except RowError as exc:
        raise _GroupError({first.location: exc.messages}) from None

    for index, row in enumerate(rows):
        variant_changed = variant_changes.get(row.sku)
        row_changed = []
        if index == 0:
            row_changed = list(changed) + (["variant axes"] if axes_changed else [])
            row_changed += ["attributes"] if attributes_changed else []
        if variant_changed:
            row_changed += variant_changed
        if row.sku in stock_changed:
            row_changed.append("stock")
        if creating or variant_changed == ["created"]:
            outcome, row_changed = "created", []
        elif row_changed:
            outcome = "updated"
        else:
            outcome = "unchanged"
        row_notes = notes[row.location] + (messages if index == 0 else [])
        written.rows.append((outcome, row_changed, row_notes))
    return written


def _lock_product_of(rows, fail) -> Product | None:
    """The existing product the rows' SKUs belong to, locked; None for a new product."""
    skus = [row.sku for row in rows]
    owners = dict(ProductVariant.objects.filter(sku__in=skus).values_list("sku", "product_id"))
    product_ids = sorted(set(owners.values()))
    if len(product_ids) > 1:
        first_owner = owners[next(sku for sku in skus if sku in owners)]
        for row in rows:
            owner = owners.get(row.sku)
            if owner is not None and owner != first_owner:
                fail(
                    row,
                    f"sku: {row.sku!r} is a variant of another product (id {owner}) than "
                    f"the other rows of this product (id {first_owner})",
                )
        return None
    if not product_ids:
        return None
    product = locks.lock_product(pk=product_ids[0])
    if product is None:  # deleted since: the variants went with it
        return None
    return product


def _axes_for(rows, current, fail) -> list[AttributeDefinition]:
    """The product's axes: the ones its rows give options for, else the ones it has."""
    named = []
    for row in rows:
        for axis in row.options:
            if axis_key(axis) not in {axis_key(a) for a in named}:
                named.append(axis)
    if not named:
        return current
    axes = []
    for axis in named:
        definition = _axis(axis)
        if definition is None:
            fail(rows[0], f"{OPTION_PREFIX}{axis}: cannot make a variant axis of this name")
            continue
        axes.append(definition)
    return axes


def _axis(name) -> AttributeDefinition | None:
    """The attribute definition an axis column names (by slug or name), as an axis."""
    slug = slugify(name)
    definition = (
        AttributeDefinition.objects.filter(slug=slug).first()
        or AttributeDefinition.objects.filter(name__iexact=name.strip()).first()
    )
    if definition is None:
        if not slug:
            return None
        label = name.strip()[:80]
        definition = AttributeDefinition(
            name=label[:1].upper() + label[1:], slug=slug[:80], varies_per_variant=True
        )
        definition.save()
    elif not definition.varies_per_variant:
        definition.varies_per_variant = True
        definition.save(update_fields=["varies_per_variant"])
    return definition


def _attribute_options(attributes, fail) -> list[AttributeOption]:
    """The options the product's attributes name ((name, key, value), AMPER's `atr_name`,
    `key`, `atr_val`), creating missing attributes and options. An attribute that varies
    per variant is a variant axis: its values are the variants' options, not the product's."""
    chosen = []
    for position, (name, key, value) in enumerate(attributes):
        where = f"attributes.{position}"
        definition = _attribute(name, key)
        if definition is None:
            fail(f"{where}.atr_name: cannot make an attribute of {name or key!r}")
            continue
        if definition.varies_per_variant:
            fail(
                f"{where}.atr_name: {definition.name} varies per variant here; send it in "
                "the variants' options"
            )
            continue
        option = _option(definition, value)
        if option is None:
            fail(f"{where}.atr_val: {value!r} is not an attribute value")
        elif option not in chosen:
            chosen.append(option)
    return chosen


def _attribute(name: str, key: str) -> AttributeDefinition | None:
    """The attribute definition with this slug (`key`) or name, created (as a shared
    attribute, not a variant axis) when missing."""
    slug = slugify(key or name)[:80]
    definition = AttributeDefinition.objects.filter(slug=slug).first() if slug else None
    if definition is None and name:
        definition = AttributeDefinition.objects.filter(name__iexact=name).first()
    if definition is None and slug:
        label = (name or key)[:80]
        definition = AttributeDefinition(name=label[:1].upper() + label[1:], slug=slug)
        definition.save()
    return definition


def _attribute_ids(product: Product) -> list[int]:
    return sorted(option.pk for option in product.attribute_options.all())


def _carry_attributes(before: list[int], product: Product):
    """`save_changes`' carry_into_draft for written attributes: into an editor's draft
    unless the editor changed the draft's attributes."""

    def carry(draft: Product) -> list[str]:
        in_draft = _attribute_ids(draft)
        if in_draft == before:
            draft.attribute_options.set(list(product.attribute_options.all()))
            return []
        return ["attributes"] if in_draft != _attribute_ids(product) else []

    return carry


def _option(definition, value) -> AttributeOption | None:
    """The axis's option with this value (or slug), created when missing."""
    slug = slugify(value)
    options = AttributeOption.objects.filter(definition=definition)
    option = options.filter(value__iexact=value).first() or (
        options.filter(slug=slug).first() if slug else None
    )
    if option is None and slug:
        last = options.order_by("-sort_order").values_list("sort_order", flat=True).first()
        option = AttributeOption(
            definition=definition,
            value=value[:80],
            slug=slug[:80],
            sort_order=(last or 0) + 1 if last is not None else 0,
        )
        option.save()
    return option


def _apply_variants(product, existing, rows, axes, fail):
    """The product's variants with the rows applied (in memory), and what changed:
    {sku: ["created"] or [changed fields]}."""
    by_sku = {variant.sku: variant for variant in existing}
    variants = list(existing)
    axis_by_key = {}
    for axis in axes:
        axis_by_key[axis_key(axis.slug)] = axis
        axis_by_key[axis_key(axis.name)] = axis
    next_order = max((v.sort_order or 0 for v in existing), default=-1) + 1
    changes: dict[str, list[str]] = {}
    for row in rows:
        variant = by_sku.get(row.sku)
        creating = variant is None
        if creating:
            variant = ProductVariant(sku=row.sku, sort_order=next_order)
            next_order += 1
            if "price" not in row.variant:
                fail(row, "price: required for a new variant")
            variants.append(variant)
            by_sku[row.sku] = variant
        changed = []
        for key in VARIANT_FIELDS:
            if key in row.variant and getattr(variant, key) != row.variant[key]:
                setattr(variant, key, row.variant[key])
                changed.append(key)
        if row.options:
            chosen = []
            for axis_name, value in row.options.items():
                axis = axis_by_key.get(axis_key(axis_name))
                if axis is None:
                    continue  # reported by _axes_for
                option = _option(axis, value)
                if option is None:
                    fail(row, f"{OPTION_PREFIX}{axis_name}: {value!r} is not an option value")
                    continue
                chosen.append(option)
            current = {o.pk for o in variant.options.all()} if not creating else set()
            if {o.pk for o in chosen} != current:
                variant.options.set(chosen)
                changed.append("options")
        if creating or changed:
            exclude = ["product", "option_key"] + (["price"] if "price" not in row.variant else [])
            try:
                variant.full_clean(exclude=exclude)
            except ValidationError as exc:
                for message in _messages(exc):
                    fail(row, message)
        changes[row.sku] = ["created"] if creating else changed
    return variants, changes


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


def save_changes(
    product,
    *,
    before=None,
    changed=(),
    axes_before=None,
    variant_changes=None,
    carry_into_draft: Callable[[Product], list[str]] | None = None,
):
    """Saves the changes of an existing, locked product (its fields, axes, variants, or
    what `carry_into_draft` knows) as a revision; returns report notes.

    See the module docstring: live products are published, products that are
    not live get a draft revision, and an editor's unpublished draft is kept.
    `before` holds the changed fields' old values, `axes_before` the old axes when
    they changed, `variant_changes` {sku: changed fields}. `carry_into_draft(draft)`
    brings the other changes (categories, related products: `links.py`) into an
    editor's draft and returns the names of those the draft keeps its own value of.
    """
    before = before or {}
    variant_changes = variant_changes or {}
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
    imported = {v.sku: v for v in product.variants.all()}
    old_values = {}
    if draft is not None:
        # What the variants were before the import, to tell the editor's edits apart.
        old_values = {
            v.sku: {name: getattr(v, name) for name in VARIANT_FIELDS}
            for v in ProductVariant.objects.filter(product=product)
        }

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
    if axes_before is not None:
        draft_axes = {a.pk for a in draft.variant_axes.all()}
        if draft_axes == {a.pk for a in axes_before}:
            draft.variant_axes.set(list(product.variant_axes.all()))
        else:
            kept.append("variant axes")
    draft_variants = list(draft.variants.all())
    in_draft = {v.sku: v for v in draft_variants}
    one = len(imported) == 1
    for sku, fields in variant_changes.items():
        if not fields:
            continue
        source = imported[sku]
        target = in_draft.get(sku)
        if target is None:
            if fields == ["created"]:
                copy = ProductVariant(
                    sku=sku, **{name: getattr(source, name) for name in VARIANT_FIELDS}
                )
                copy.sort_order = source.sort_order
                copy.options.set(list(source.options.all()))
                draft_variants.append(copy)
            continue
        for name in fields:
            label = name if one else f"{name} of {sku}"
            if name == "options":
                target.options.set(list(source.options.all()))
                continue
            draft_value = getattr(target, name)
            if draft_value == old_values.get(sku, {}).get(name):
                setattr(target, name, getattr(source, name))
            elif draft_value != getattr(source, name):
                kept.append(label)
    draft.variants = draft_variants
    if carry_into_draft is not None:
        kept += carry_into_draft(draft)
    draft.save_revision(clean=False, log_action="wagtail.edit")
    note = "has unpublished draft changes: "
    note += "the live product was updated" if product.live else "the product was updated"
    note += " and the draft kept, with the imported values"
    if kept:
        note += f" except {', '.join(kept)} (edited in the draft; the draft keeps its own)"
    messages.append(note)
    return messages


def is_scheduled(product):
    """Whether a publication is scheduled in the admin: writing now would cancel it."""
    future_go_live = product.go_live_at is not None and product.go_live_at > timezone.now()
    return future_go_live or product.revisions.filter(approved_go_live_at__isnull=False).exists()


def _set_stock(product, rows, created) -> set[str]:
    """Sets the rows' quantities; the SKUs whose stock changed. Warehouses are created
    when missing."""
    wanted = {row.sku: row.stock for row in rows if row.stock}
    if not wanted:
        return set()
    codes = {code for stock in wanted.values() for code in stock}
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in=codes)}
    for code in sorted(codes):
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
    variant_ids = dict(
        ProductVariant.objects.filter(product=product, sku__in=wanted).values_list("sku", "pk")
    )
    current = {
        (variant_id, warehouse_id): quantity
        for variant_id, warehouse_id, quantity in Stock.objects.filter(
            variant_id__in=variant_ids.values()
        ).values_list("variant_id", "warehouse_id", "quantity")
    }
    levels: dict[int, dict[int, int]] = {}
    changed = set()
    for sku, stock in wanted.items():
        variant_id = variant_ids[sku]
        for code, quantity in stock.items():
            warehouse_id = warehouses[code].pk
            if current.get((variant_id, warehouse_id)) != quantity:
                levels.setdefault(variant_id, {})[warehouse_id] = quantity
                changed.add(sku)
    if levels:
        set_stock_levels(levels)
    return changed


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
    return free_slug(Product.objects.all(), base)


def free_slug(taken_in, base: str) -> str:
    """`base`, or `base-2`, `base-3`… whichever no row of the queryset has as its slug."""
    taken = set(
        taken_in.filter(slug__regex=rf"^{re.escape(base)}(-[0-9]+)?$").values_list(
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
