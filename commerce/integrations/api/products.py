"""Products and their files (AMPER's Product and ProductImage), as the integration API
v1 lists them.

AMPER's documentation gives one example (the product list); its decimals are
strings with two decimals ("25.43", "0.20") and `vat` an integer. A product's
`sku`, `short_code`, `ean`, `weight` and `default_price` are its default variant's
(`catalog_export.default_variant`); `variants` lists what it is sold as.
"""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema

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
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services.catalog_export import (
    decimal_string,
    default_variant,
    variant_options,
    vat_number,
)
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
    id: int
    product_id: int
    image: str = Field(description="Absolute URL of the original image file.")
    alt: str
    order: int

    @staticmethod
    def resolve_image(obj, context):
        return context["request"].build_absolute_uri(obj.image.file.url)

    @staticmethod
    def resolve_alt(obj):
        return obj.alt

    @staticmethod
    def resolve_order(obj):
        return obj.sort_order


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
    """The images of listed products, by id."""
    since = export.parse_updated_since(updated_since)
    queryset = export.product_files(include_disabled=include_disabled, updated_since=since)
    return page_of(request, response, queryset, page, page_size)
