"""Catalog writing, links: the categories a product sits in and the products its page
recommends, written by the rules of the rest of the catalog writer (`writing.py`).

A product's links are part of its revisions (Wagtail keeps the whole cluster), so a
change to them is a change to the product like any other:

- The product is locked (`services.locks.lock_product`), its links read, the change
  computed from them, and nothing is written when they come out the same: no revision,
  no catalog-version bump, so sending the same relations again is safe.
- A live product gets a published revision, one that is not live a draft revision; an
  editor's unpublished draft is kept and gets the written links too, except for a link
  the editor changed in the draft (`writing.save_changes`).
- A product with a publication scheduled in the admin is not touched.
- The product's history names who wrote it (`writing.CATALOG_WRITE`).

The links a writer may change, and how each is read and set on a product or on an
editor's draft, are the table `LINKS`; a new one (a gallery, documents) is one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from wagtail.log_actions import log

from commerce.models import Category, Product, ProductDocument, ProductImage, RelatedProduct
from commerce.services import locks

from .writing import CATALOG_WRITE, is_scheduled, save_changes


@dataclass(frozen=True)
class Link:
    """How one kind of link is read from a product (or a draft) and set on it, in memory."""

    label: str  # its name in reports and in `changed`
    read: Callable[[Product], Any]
    write: Callable[[Product, Any], None]


def _set_additional(product: Product, category_ids: list[int]) -> None:
    product.additional_categories.set(list(Category.objects.filter(pk__in=category_ids)))


def _set_related(product: Product, product_ids: list[int]) -> None:
    product.related_links = [
        RelatedProduct(related_id=related_id, sort_order=position)
        for position, related_id in enumerate(product_ids)
    ]


# A gallery or document list is [(image or document id, alt text or title, sort order)].


def _read_files(relation: str, target: str, text: str):
    def read(product: Product) -> list[tuple[int, str, int]]:
        rows = getattr(product, relation).all()
        # A row added outside the admin's ordering has no sort order: it counts as 0.
        return [(getattr(row, target), getattr(row, text), row.sort_order or 0) for row in rows]

    return read


def _write_files(relation: str, model, target: str, text: str):
    def write(product: Product, files: list[tuple[int, str, int]]) -> None:
        # The rows that stay keep their ids (the read API's product-files ids).
        kept = {getattr(row, target): row for row in getattr(product, relation).all()}
        rows = []
        for file_id, label, sort_order in files:
            row = kept.pop(file_id, None) or model(**{target: file_id})
            setattr(row, text, label)
            row.sort_order = sort_order
            rows.append(row)
        setattr(product, relation, rows)

    return write


LINKS: dict[str, Link] = {
    "main_category": Link(
        "main_category",
        read=lambda product: product.main_category_id,
        write=lambda product, category_id: setattr(product, "main_category_id", category_id),
    ),
    "additional_categories": Link(
        "additional_categories",
        read=lambda product: sorted(c.pk for c in product.additional_categories.all()),
        write=_set_additional,
    ),
    "related": Link(
        "related_products",
        read=lambda product: [link.related_id for link in product.related_links.all()],
        write=_set_related,
    ),
    "images": Link(
        "images",
        read=_read_files("images", "image_id", "alt_text"),
        write=_write_files("images", ProductImage, "image_id", "alt_text"),
    ),
    "documents": Link(
        "documents",
        read=_read_files("documents", "document_id", "title"),
        write=_write_files("documents", ProductDocument, "document_id", "title"),
    ),
}


class LinkError(Exception):
    """The change cannot be written; the message says why, for the sender."""


@dataclass
class LinkWrite:
    outcome: str  # updated | unchanged
    changed: list[str] = field(default_factory=list)  # the labels of the links that changed
    notes: list[str] = field(default_factory=list)


def write_links(
    product_id: int, change: Callable[[dict[str, Any]], dict[str, Any]], *, source: str
) -> LinkWrite:
    """Writes `change(current links)` to the product, in its own transaction.

    `change` gets the product's links as {name in LINKS: value} (read under the product's
    lock, so no other writer changes them in between) and returns them as they should
    be; LinkError when the product is gone, scheduled, or the new links are invalid.
    """
    try:
        with transaction.atomic():
            return _write(product_id, change, source)
    except DatabaseError as exc:  # a related product deleted meanwhile, say
        raise LinkError(f"database error: {str(exc).strip() or type(exc).__name__}") from None


def _write(product_id, change, source) -> LinkWrite:
    product = locks.lock_product(pk=product_id)
    if product is None:
        raise LinkError("The product no longer exists.")
    before = {name: link.read(product) for name, link in LINKS.items()}
    after = change(dict(before))
    changed = [name for name in LINKS if after[name] != before[name]]
    if not changed:
        return LinkWrite("unchanged")
    if is_scheduled(product):
        raise LinkError(
            "A publication is scheduled for this product in the admin; publish or cancel "
            "it there first (writing now would cancel it)."
        )
    for name in changed:
        LINKS[name].write(product, after[name])
    _check(product)

    def carry_into_draft(draft: Product) -> list[str]:
        kept = []
        for name in changed:
            link = LINKS[name]
            in_draft = link.read(draft)
            if in_draft == before[name]:
                link.write(draft, after[name])
            elif in_draft != after[name]:
                kept.append(link.label)
        return kept

    notes = save_changes(product, carry_into_draft=carry_into_draft)
    log(instance=product, action=CATALOG_WRITE, data={"source": source})
    return LinkWrite("updated", [LINKS[name].label for name in changed], notes)


def _check(product: Product) -> None:
    """The links' own rules (a product is not related to itself), before anything is saved."""
    for related in product.related_links.all():
        related.product_id = product.pk
        try:
            related.clean()
        except ValidationError as exc:
            raise LinkError(" ".join(exc.messages)) from None
