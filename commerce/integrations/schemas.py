"""Response shapes of the integration API v1, with AMPER's field names and types.

AMPER's documentation gives one example (the product list); its decimals are
strings with two decimals ("25.43", "0.20") and `vat` an integer. The other
resources follow AMPER's own models (ProductCategory, ProductCategoryRelation,
ProductImage, Stock) with our ids where AMPER has `*_external_id`.
"""

from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints
from pydantic import Field as PydanticField

from commerce.inputs import control_characters
from commerce.integrations.services.catalog_export import (
    decimal_string,
    rich_text_to_plain,
    vat_number,
)
from commerce.models import ProductStatus

# --- Text in request bodies ----------------------------------------------------------------
# PostgreSQL text can't hold NUL, and a name, id or token is one line: a JSON string
# with "\u0000" or another control character is a 400 with a field error, never a
# query that fails. (The query string, path and form bodies are checked earlier, by
# commerce.inputs.NulGuardMiddleware.)


def _one_line(value: str) -> str:
    if control_characters(value):
        raise ValueError("Must not contain control characters (such as \\u0000).")
    return value


def _lines(value: str) -> str:
    if control_characters(value, multiline=True):
        raise ValueError("Must not contain control characters other than line breaks and tabs.")
    return value


# The same rule, as the OpenAPI schema states it to clients (and to schemathesis).
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
LINES_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def text(*, min_length: int | None = None, max_length: int, multiline: bool = False):
    """A request string of bounded length without NUL or other control characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_lines if multiline else _one_line),
        PydanticField(
            json_schema_extra={"pattern": LINES_PATTERN if multiline else ONE_LINE_PATTERN}
        ),
    ]


class ProductOut(Schema):
    id: int
    name: str
    short_code: str = Field(description="The SKU (AMPER's product code).")
    description: str = Field(description="Plain text; paragraphs parted by a blank line.")
    ean: str = Field(description='EAN/GTIN digits, or "" when the product has none.')
    sku: str
    vat: int | float = Field(description="VAT rate in percent: an integer, e.g. 23.")
    default_unit_of_measure: str
    weight: str | None = Field(description='Kilograms as a decimal string ("0.20"), or null.')
    default_price: str = Field(description='Gross price as a decimal string ("25.43").')
    is_published: bool = Field(
        description="true: offered for sale. false only with include_disabled=true: "
        "a disabled product, shown but not purchasable."
    )

    @staticmethod
    def resolve_short_code(obj):
        return obj.sku

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
        return decimal_string(obj.weight)

    @staticmethod
    def resolve_default_price(obj):
        return decimal_string(obj.price)

    @staticmethod
    def resolve_is_published(obj):
        return obj.status == ProductStatus.ACTIVE


class CategoryOut(Schema):
    id: int
    name: str
    description: str
    order: int = Field(description="Sort position among its siblings (lower first).")
    parent_id: int | None = Field(description="The parent category's id; null at the top.")

    @staticmethod
    def resolve_order(obj):
        return obj.sort_order


class ProductCategoryOut(Schema):
    product_id: int
    category_id: int
    is_main: bool = Field(description="true for the product's main category.")

    @staticmethod
    def resolve_product_id(row):
        return row[0]

    @staticmethod
    def resolve_category_id(row):
        return row[1]

    @staticmethod
    def resolve_is_main(row):
        return row[2]


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


class StockOut(Schema):
    id: int
    product_id: int
    stock_level_id: int = Field(description="The warehouse's id.")
    quantity: str = Field(description='Units available in this warehouse, e.g. "12.00".')
    quantity_allocated: str = Field(
        description='Always "0.00": stock is taken when an order is placed, so '
        "`quantity` is already what can be sold."
    )

    @staticmethod
    def resolve_stock_level_id(obj):
        return obj.warehouse_id

    @staticmethod
    def resolve_quantity(obj):
        return decimal_string(obj.quantity)

    @staticmethod
    def resolve_quantity_allocated(obj):
        return "0.00"


class ErrorOut(Schema):
    detail: str | list[dict] = Field(
        description="What went wrong: a message, or a list of parameter errors."
    )
