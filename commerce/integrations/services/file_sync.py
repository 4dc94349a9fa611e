"""A file an ERP sends for a product (AMPER's `SendFile(path, fileName,
product_external_id, order)`): a picture goes into the product's gallery, anything else
(a data sheet, a manual) into the documents its page lists.

- Which: the file name's extension. Pictures are Wagtail's image formats
  (WAGTAILIMAGES_EXTENSIONS) and are checked as the image library checks an upload (a
  real picture, within its size and pixel limits); documents are WAGTAILDOCS_EXTENSIONS,
  at most MAX_DOCUMENT_BYTES. Anything else is refused.
- The file's identity is its name on its product: a file sent again under the same name
  replaces the one before in the same place (the old one stays in the image or document
  library, where earlier revisions still show it); the same name with the same contents
  changes only its `alt` and `order` if those differ, and otherwise nothing (`unchanged`,
  no new library entry, no revision).
- `order` is the file's sort key in the gallery or list (lower first); `alt` is a
  picture's alternative text or a document's link text.
- The product's gallery and documents are part of its revisions: the catalog writer
  writes them (`catalog_import.links`), so editors' drafts, scheduled publications and
  the history behave as for every other catalog write.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.fields import WagtailImageField
from wagtail.models import Collection
from wagtail.utils.file import hash_filelike

from commerce.inputs import control_characters
from commerce.models import ProductVariant
from commerce.services.catalog_import.links import LinkError, write_links

from .batches import CREATED, ERROR, UNCHANGED, UPDATED, ItemResult

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
IMAGE, DOCUMENT = "image", "document"
# A name is a name, not a path: no folders in either system's spelling.
FOLDER = re.compile(r"[/\\]")


@dataclass(frozen=True)
class FileItem:
    product_external_id: str
    file_name: str
    upload: UploadedFile
    order: int = 0
    alt: str = ""


def kind_of(file_name: str) -> str | None:
    extension = os.path.splitext(file_name)[1].lower().lstrip(".")
    if extension in getattr(settings, "WAGTAILIMAGES_EXTENSIONS", ()):
        return IMAGE
    if extension in getattr(settings, "WAGTAILDOCS_EXTENSIONS", ()):
        return DOCUMENT
    return None


def save_product_file(item: FileItem, *, source: str) -> ItemResult:
    """Puts the file in its product's gallery or documents; the item's result."""
    result = ItemResult(0, item.file_name)
    product_id = (
        ProductVariant.objects.filter(sku=item.product_external_id)
        .values_list("product_id", flat=True)
        .first()
    )
    if product_id is None:
        return result.fail("product_external_id", "No product has a variant with this SKU.")
    if not item.file_name or control_characters(item.file_name) or FOLDER.search(item.file_name):
        return result.fail("file_name", "Give the file a name such as manual.pdf, without folders.")
    kind = kind_of(item.file_name)
    if kind is None:
        allowed = [*settings.WAGTAILIMAGES_EXTENSIONS, *settings.WAGTAILDOCS_EXTENSIONS]
        return result.fail(
            "file_name", f"Send a file ending in one of: {', '.join(sorted(allowed))}."
        )
    problem = _problem(kind, item.upload)
    if problem:
        return result.fail("file", problem)
    digest = hash_filelike(item.upload)
    relation = "images" if kind == IMAGE else "documents"

    def change(links):
        files = list(links[relation])
        library = _library(kind)
        ids = [file_id for file_id, _, _ in files]
        named = {
            row.pk: row.file_hash
            for row in library.objects.filter(pk__in=ids, title=item.file_name)
        }
        same_name = next((n for n, (file_id, _, _) in enumerate(files) if file_id in named), None)
        if same_name is not None and named[files[same_name][0]] == digest:
            file_id = files[same_name][0]
        else:
            file_id = _store(kind, item).pk
        entry = (file_id, item.alt, item.order)
        if same_name is None:
            files.append(entry)
            result.status = CREATED
        elif files[same_name] != entry:
            changed = []
            if files[same_name][0] != file_id:
                changed.append("file")
            if files[same_name][1] != item.alt:
                changed.append("alt")
            if files[same_name][2] != item.order:
                changed.append("order")
            files[same_name] = entry
            result.status, result.changed = UPDATED, changed
        links[relation] = sorted(files, key=lambda entry: entry[2])
        return links

    try:
        written = write_links(product_id, change, source=source)
    except LinkError as exc:
        result.status, result.changed = ERROR, []
        return result.fail("__all__", str(exc))
    if result.status == UNCHANGED:
        return result
    result.note = "; ".join([f"a {kind} of the product", *written.notes])
    return result


def _problem(kind: str, upload: UploadedFile) -> str | None:
    """Why the file cannot be a picture or a document of a product, or None."""
    if kind == IMAGE:
        field = WagtailImageField()
        try:
            field.clean(upload)
        except ValidationError as exc:
            return " ".join(exc.messages)
        finally:
            upload.seek(0)
        return None
    if upload.size > MAX_DOCUMENT_BYTES:
        return f"A document may be at most {filesizeformat(MAX_DOCUMENT_BYTES)}."
    if upload.size == 0:
        return "The file is empty."
    return None


def _library(kind: str):
    return get_image_model() if kind == IMAGE else get_document_model()


def _store(kind: str, item: FileItem):
    """A new image or document in the library's root collection, titled with the file's
    name (its identity on the product)."""
    model = _library(kind)
    stored = model(title=item.file_name, collection=Collection.get_first_root_node())
    item.upload.seek(0)
    stored.file.save(item.file_name, item.upload, save=False)
    if kind == IMAGE:
        stored._set_image_file_metadata()
    else:
        stored._set_document_file_metadata()
    stored.save()
    return stored
