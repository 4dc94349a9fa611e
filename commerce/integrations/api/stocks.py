"""Stock per variant and warehouse (AMPER's Stock; a warehouse is its stock level).

AMPER's `product_external_id` is the variant's SKU: what an ERP knows a stocked item by.
`product_id` stays the product's id, `variant_id` says which of its variants."""

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from commerce.integrations.api.listing import (
    INCLUDE_DISABLED,
    LIST_RESPONSES,
    PAGE,
    PAGE_SIZE,
    no_updated_since,
    page_of,
)
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services.catalog_export import decimal_string

router = Router(tags=["stocks"])


class StockOut(Schema):
    id: int
    product_id: int = Field(description="The product the variant belongs to.")
    variant_id: int
    product_external_id: str = Field(description="The variant's SKU.")
    stock_level_id: int = Field(description="The warehouse's id.")
    quantity: str = Field(description='Units available in this warehouse, e.g. "12.00".')
    quantity_allocated: str = Field(
        description='Always "0.00": stock is taken when an order is placed, so '
        "`quantity` is already what can be sold."
    )

    @staticmethod
    def resolve_product_id(obj):
        return obj.variant.product_id

    @staticmethod
    def resolve_product_external_id(obj):
        return obj.variant.sku

    @staticmethod
    def resolve_stock_level_id(obj):
        return obj.warehouse_id

    @staticmethod
    def resolve_quantity(obj):
        return decimal_string(obj.quantity)

    @staticmethod
    def resolve_quantity_allocated(obj):
        return "0.00"


@router.get("/stocks/", response={200: list[StockOut], **LIST_RESPONSES})
def list_stocks(
    request: HttpRequest,
    response: HttpResponse,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    include_disabled: bool = INCLUDE_DISABLED,
):
    """Units per variant of a listed product and active warehouse, by id. Stock rows carry no change
    time, so there is no `updated_since` here: fetch the whole list."""
    no_updated_since(request)
    return page_of(
        request, response, export.stocks(include_disabled=include_disabled), page, page_size
    )
