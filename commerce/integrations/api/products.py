"""Products and their files (AMPER's Product and ProductImage), as the integration API
v1 lists them.

AMPER's documentation gives one example (the product list); its decimals are
strings with two decimals ("25.43", "0.20") and `vat` an integer. A product's
`sku`, `short_code`, `ean`, `weight` and `default_price` are its default variant's
(`catalog_export.default_variant`); `variants` lists what it is sold as.
"""

from decimal import Decimal
from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError

from commerce.integrations.api.fields import text
from commerce.integrations.api.listing import (
    DETAIL_RESPONSES,
    INCLUDE_DISABLED,
    LIST_RESPONSES,
    PAGE,
    PAGE_SIZE,
    UPDATED_SINCE,
    IsoDateTime,
    page_of,
)
from commerce.integrations.api.writes import (
    WRITE_RESPONSES,
    BatchOut,
    batch_answer,
    batch_responses,
    batch_write,
    check_items,
    request_body,
    sent_by,
    throttled,
)
from commerce.integrations.auth import key_auth
from commerce.integrations.models import ApiKey, Scope
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services import catalog_sync, file_sync, relation_sync
from commerce.integrations.services.catalog_export import (
    decimal_string,
    default_variant,
    variant_options,
    vat_number,
)
from commerce.models import ProductImage
from commerce.text import rich_text_to_plain

router = Router(tags=["products"])


class ProductVariantOut(Schema):
    """A variant as listed inside its product (`/variants/` lists them on their own)."""

    id: int
    sku: str
    ean: str = Field(description='EAN/GTIN digits, or "" when the variant has none.')
    price: str = Field(description='Gross price as a decimal string ("25.43").')
    compare_at_price: str | None = Field(
        description="The former price, shown struck through when higher than `price`, or null."
    )
    weight: str | None = Field(description='Kilograms as a decimal string ("0.20"), or null.')
    options: dict[str, str] = Field(
        description='One value per variant axis, by the axis\'s slug: {"size": "M"}. '
        "Empty for a product without axes (sold as one variant)."
    )
    stock: int = Field(description="Units available in active warehouses.")

    @staticmethod
    def resolve_price(obj):
        return decimal_string(obj.price)

    @staticmethod
    def resolve_compare_at_price(obj):
        return decimal_string(obj.compare_at_price)

    @staticmethod
    def resolve_weight(obj):
        return decimal_string(obj.weight)

    @staticmethod
    def resolve_options(obj):
        return variant_options(obj)

    @staticmethod
    def resolve_stock(obj):
        return obj.available_quantity


class ProductOut(Schema):
    id: int
    name: str
    short_code: str = Field(description="The default variant's SKU (AMPER's product code).")
    description: str = Field(description="Plain text; paragraphs parted by a blank line.")
    ean: str = Field(description='The default variant\'s EAN/GTIN digits, or "" without one.')
    sku: str = Field(description="The default variant's SKU: its first active variant.")
    vat: int | float = Field(description="VAT rate in percent: an integer, e.g. 23.")
    default_unit_of_measure: str
    weight: str | None = Field(
        description='The default variant\'s kilograms as a decimal string ("0.20"), or null.'
    )
    default_price: str = Field(
        description='The default variant\'s gross price as a decimal string ("25.43").'
    )
    is_published: bool = Field(
        description="true: offered for sale. false only with include_disabled=true: "
        "a disabled product, shown but not purchasable."
    )
    variants: list[ProductVariantOut] = Field(
        description="What the product is sold as: its active variants in the shop's order; "
        "the first is the default one the fields above describe."
    )

    @staticmethod
    def resolve_short_code(obj):
        return default_variant(obj).sku

    @staticmethod
    def resolve_sku(obj):
        return default_variant(obj).sku

    @staticmethod
    def resolve_ean(obj):
        return default_variant(obj).ean

    @staticmethod
    def resolve_variants(obj):
        return obj.exported_variants

    @staticmethod
    def resolve_description(obj):
        return rich_text_to_plain(obj.description)

    @staticmethod
    def resolve_vat(obj):
        return vat_number(obj.vat_rate)

    @staticmethod
    def resolve_default_unit_of_measure(obj):
        return obj.unit

    @staticmethod
    def resolve_weight(obj):
        return decimal_string(default_variant(obj).weight)

    @staticmethod
    def resolve_default_price(obj):
        return decimal_string(default_variant(obj).price)

    @staticmethod
    def resolve_is_published(obj):
        return obj.is_purchasable


class ProductFileOut(Schema):
    """A product's picture or document: AMPER's ProductImage, with our `kind` and
    `file_name`. Pictures come first, then documents; `id` is unique within a kind."""

    id: int
    product_id: int
    kind: Literal["image", "document"] = Field(
        description="image: in the product's gallery; document: listed on its page."
    )
    image: str = Field(description="Absolute URL of the file (the original of a picture).")
    file_name: str = Field(description="Its name, as sent through POST /product-files/.")
    alt: str = Field(description="A picture's alternative text, a document's link text.")
    order: int

    @staticmethod
    def resolve_kind(obj):
        return "image" if isinstance(obj, ProductImage) else "document"

    @staticmethod
    def resolve_image(obj, context):
        url = obj.image.file.url if isinstance(obj, ProductImage) else obj.document.url
        return context["request"].build_absolute_uri(url)

    @staticmethod
    def resolve_file_name(obj):
        return obj.image.title if isinstance(obj, ProductImage) else obj.document.title

    @staticmethod
    def resolve_alt(obj):
        return obj.alt if isinstance(obj, ProductImage) else obj.label

    @staticmethod
    def resolve_order(obj):
        return obj.sort_order or 0  # a row added outside the admin's ordering has none


@router.get("/products/", response={200: list[ProductOut], **LIST_RESPONSES})
def list_products(
    request: HttpRequest,
    response: HttpResponse,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    include_disabled: bool = INCLUDE_DISABLED,
):
    """Products offered for sale (the live version of active products), by id."""
    since = export.parse_updated_since(updated_since)
    queryset = export.products(include_disabled=include_disabled, updated_since=since)
    return page_of(request, response, queryset, page, page_size)


@router.get("/products/{id}/", response={200: ProductOut, **DETAIL_RESPONSES})
def get_product(request: HttpRequest, id: int, include_disabled: bool = INCLUDE_DISABLED):  # noqa: A002
    """One product, under the same rules as the list (hidden or draft: 404)."""
    found = export.product(id, include_disabled=include_disabled)
    if found is None:
        raise Http404
    return found


@router.get("/product-files/", response={200: list[ProductFileOut], **LIST_RESPONSES})
def list_product_files(
    request: HttpRequest,
    response: HttpResponse,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    include_disabled: bool = INCLUDE_DISABLED,
):
    """The pictures of listed products by id, then their documents by id."""
    since = export.parse_updated_since(updated_since)
    queryset = export.product_files(include_disabled=include_disabled, updated_since=since)
    return page_of(request, response, queryset, page, page_size)


# --- Writing: AMPER's SendProductsAsync ------------------------------------------------------

WRITE_CATALOG = key_auth(Scope.WRITE_CATALOG)
MAX_PRODUCTS = 500  # items per request
MAX_VARIANT_ROWS = 2000  # items plus the entries of their `variants` lists
# In a job (Prefer: respond-async): about 90 s of a worker at ~58 variants a second, well
# inside STOREFRONT_TASK_STUCK_MINUTES.
MAX_ASYNC_PRODUCTS = 5000
MAX_ASYNC_VARIANT_ROWS = 20000
Amount = Decimal | str
Flag = bool | str


class VariantIn(Schema):
    sku: str
    ean: str | None = None
    price: Amount | None = Field(None, description='Gross, e.g. 25.43 or "25.43".')
    compare_at_price: Amount | None = None
    weight: Amount | None = Field(None, description="Kilograms, at most 3 decimals.")
    is_active: Flag | None = None
    options: dict[str, str] | None = Field(None, description='{"size": "M", "colour": "Green"}')


class AttributeIn(Schema):
    atr_name: str | None = Field(None, description='The attribute, e.g. "Material".')
    atr_val: str = Field(description='Its value for this product, e.g. "Wool".')
    key: str | None = Field(None, description="The attribute's slug (instead of atr_name).")


class ProductIn(Schema):
    """Documents an item; the catalog import checks it (`services/catalog_sync.py`)."""

    index: int = 0
    external_id: str | None = Field(None, description="Used as the SKU when sku is empty.")
    sku: str | None = None
    short_code: str | None = Field(None, description="The SKU, when sku is empty.")
    product: str | None = Field(
        None, description="The product key: items with the same key are one product's variants."
    )
    name: str | None = Field(None, description="Required for a new product.")
    description: str | None = Field(None, description="Plain text; blank lines part paragraphs.")
    short_description: str | None = None
    default_price: Amount | None = Field(None, description="Required for a new variant.")
    compare_at_price: Amount | None = None
    vat: Amount | None = Field(None, description="Percent, e.g. 23 (default for new: 23).")
    default_unit_of_measure: str | None = None
    weight: Amount | None = None
    ean: str | None = Field(None, description="8 to 14 digits with a valid check digit.")
    is_featured: Flag | None = None
    is_published: Flag | None = Field(
        None, description="false hides the product; true shows a hidden or new one."
    )
    is_active: Flag | None = Field(None, description="The variant is sold.")
    options: dict[str, str] | None = Field(
        None, description='This variant\'s option of each axis: {"size": "M"}.'
    )
    attributes: list[AttributeIn] | None = Field(
        None,
        description="The product's whole list of shared attributes ([] clears it); created "
        "when missing.",
    )
    variants: list[VariantIn] | None = Field(
        None, description="Instead of product keys: this item is a product with these variants."
    )


@router.post(
    "/products/",
    auth=WRITE_CATALOG,
    response=batch_responses(),
    openapi_extra=request_body(
        ProductIn,
        max_items=MAX_PRODUCTS,
        max_async_items=MAX_ASYNC_PRODUCTS,
        description=f"Products (AMPER's Product), at most {MAX_VARIANT_ROWS} variants in all "
        f"({MAX_ASYNC_VARIANT_ROWS} in a job).",
    ),
)
def send_products(request: HttpRequest, response: HttpResponse):
    """AMPER's `SendProductsAsync`: creates or updates products and their variants by SKU,
    as `import_catalog` does (the same writer: revisions, editors' drafts kept, scheduled
    publications refused, the catalog version). One result per item; the product's history
    names the key. With `Prefer: respond-async`: 202 and a job to poll."""
    return batch_write(
        request,
        response,
        "products",
        max_items=MAX_PRODUCTS,
        max_async_items=MAX_ASYNC_PRODUCTS,
        check=_check_variant_rows,
    )


def _check_variant_rows(items: list, asynchronous: bool) -> None:
    limit = MAX_ASYNC_VARIANT_ROWS if asynchronous else MAX_VARIANT_ROWS
    rows = sum(
        len(item["variants"])
        if isinstance(item, dict) and isinstance(item.get("variants"), list)
        else 1
        for item in items
    )
    if rows > limit:
        where = "one job" if asynchronous else "one request"
        hint = (
            ""
            if asynchronous
            else f" (or up to {MAX_ASYNC_VARIANT_ROWS} in one job, with `Prefer: respond-async`)"
        )
        raise HttpError(
            400, f"{rows} variants: at most {limit} in {where}; send fewer items{hint}."
        )


def write_products(items: list, *, key: ApiKey, params: dict) -> dict:
    """The batch writer of "products" (`services.batch_jobs.KINDS`): the answer to the
    items as sent, now or in a job."""
    return batch_answer(catalog_sync.save_products(items, source=sent_by(key)))


# --- Writing: AMPER's SendRelatedProductsAsync -------------------------------------------------

MAX_RELATED_ITEMS = 500
MAX_ASYNC_RELATED_ITEMS = 5000  # in a job (Prefer: respond-async)
MAX_RELATED_PER_PRODUCT = 100


class RelatedProductIn(Schema):
    external_id: text(min_length=1, max_length=100) = Field(
        description="The SKU of any of the related product's variants."
    )


class RelatedProductsIn(Schema):
    index: int = 0
    external_id: text(min_length=1, max_length=100) = Field(
        description="The SKU of any of the product's variants."
    )
    related_products: list[RelatedProductIn] = Field(
        max_length=MAX_RELATED_PER_PRODUCT,
        description="The product's whole list, in the order its page shows them; [] clears it.",
    )


@router.post(
    "/related-products/",
    auth=WRITE_CATALOG,
    response=batch_responses(),
    openapi_extra=request_body(
        RelatedProductsIn,
        max_items=MAX_RELATED_ITEMS,
        max_async_items=MAX_ASYNC_RELATED_ITEMS,
        description="Each product's related products (AMPER's RelatedProducts).",
    ),
)
def send_related_products(request: HttpRequest, response: HttpResponse):
    """AMPER's `SendRelatedProductsAsync`: sets the products a product's page recommends
    ("You may also like"), as a revision of the product. One result per item. With
    `Prefer: respond-async`: 202 and a job to poll."""
    return batch_write(
        request,
        response,
        "related-products",
        max_items=MAX_RELATED_ITEMS,
        max_async_items=MAX_ASYNC_RELATED_ITEMS,
    )


def write_related_products(items: list, *, key: ApiKey, params: dict) -> dict:
    """The batch writer of "related-products" (`services.batch_jobs.KINDS`)."""
    good, bad = check_items(items, RelatedProductsIn)
    results = relation_sync.save_related_products(
        [
            relation_sync.RelatedItem(
                item.index,
                item.external_id,
                tuple(related.external_id for related in item.related_products),
            )
            for item in good
        ],
        source=sent_by(key),
    )
    return batch_answer(results, bad)


# --- Writing: AMPER's SendFile --------------------------------------------------------------


class ProductFileIn(Schema):
    product_external_id: text(min_length=1, max_length=100) = Field(
        description="The SKU of any of the product's variants."
    )
    # Its rules (a name, no folders, a known extension) are the item's errors in
    # `file_sync`, as every other item's are, not a pattern here that refuses the request.
    file_name: text(max_length=100) = Field(
        "", description="Its name, such as manual.pdf (no folders); default: the upload's."
    )
    order: int = Field(0, ge=0, le=1_000_000, description="Its sort key: lower first.")
    alt: text(max_length=200) = Field(
        "", description="A picture's alternative text, a document's link text."
    )


@router.post(
    "/product-files/",
    auth=WRITE_CATALOG,
    response={200: BatchOut, **WRITE_RESPONSES},
)
def send_product_file(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    fields: Form[ProductFileIn],
):
    """AMPER's `SendFile(path, fileName, product_external_id, order)`, as a multipart form:
    `file`, `product_external_id` (a variant's SKU), `file_name` (default: the upload's
    name), `order` (the sort key, lower first) and `alt` (a picture's alternative text or a
    document's link text). A picture (its name ends in an image format) goes into the
    product's gallery, any other accepted file into the documents its page lists. The
    same name on the same product is the same file: sent again it replaces it, or with the
    same contents changes nothing. The answer is a batch answer with one item."""
    limited = throttled(request, response)
    if limited is not None:
        return limited
    item = file_sync.FileItem(
        product_external_id=fields.product_external_id,
        file_name=fields.file_name or file.name or "",
        upload=file,
        order=fields.order,
        alt=fields.alt,
    )
    return batch_answer([file_sync.save_product_file(item, source=sent_by(request.auth))])
