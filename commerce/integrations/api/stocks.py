"""Stock per variant and warehouse (AMPER's Stock; a warehouse is its stock level), read
and, by an ERP, written (AMPER's `SendStockLocationsAsync`, `SendStocksAsync`).

AMPER's `product_external_id` is the variant's SKU: what an ERP knows a stocked item by.
`product_id` stays the product's id, `variant_id` says which of its variants. A stock
location's `external_id` is the warehouse's code. The rules of writing:
`services/stock_sync.py`."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator, StringConstraints

from commerce.integrations.api.fields import text
from commerce.integrations.api.listing import (
    INCLUDE_DISABLED,
    LIST_RESPONSES,
    PAGE,
    PAGE_SIZE,
    IsoDateTime,
    no_updated_since,
    page_of,
)
from commerce.integrations.api.writes import (
    batch_answer,
    batch_responses,
    batch_write,
    check_items,
    request_body,
)
from commerce.integrations.auth import key_auth
from commerce.integrations.models import ApiKey, Scope
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services import stock_sync
from commerce.integrations.services.catalog_export import decimal_string

router = Router(tags=["stocks"])

WRITE_STOCK = key_auth(Scope.WRITE_STOCK)
MAX_LOCATIONS = 200
MAX_STOCKS = 1000
# In a job (Prefer: respond-async).
MAX_ASYNC_LOCATIONS = 2000
MAX_ASYNC_STOCKS = 10000
# Stock.quantity is a PostgreSQL integer.
MAX_UNITS = 2_000_000_000
LocationId = Annotated[
    str, StringConstraints(min_length=1, max_length=30, pattern=r"^[-a-zA-Z0-9_]+$")
]


def _ascii_number(value):
    """A quantity sent as a string is spelled in ASCII digits: Python's Decimal would
    read "٣" (an Arabic-Indic three) as 3, which no ERP means."""
    if isinstance(value, str) and not re.fullmatch(r"\s*[0-9]+(\.[0-9]+)?\s*", value):
        raise ValueError('Expected a whole number of units, e.g. 12 or "12.00".')
    return value


Units = Annotated[Decimal, BeforeValidator(_ascii_number), Field(ge=0, le=MAX_UNITS, multiple_of=1)]


class StockOut(Schema):
    id: int
    product_id: int = Field(description="The product the variant belongs to.")
    variant_id: int
    product_external_id: str = Field(description="The variant's SKU.")
    stock_level_id: int = Field(description="The warehouse's id.")
    stock_level_external_id: str = Field(description="The warehouse's code.")
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
    def resolve_stock_level_external_id(obj):
        return obj.warehouse.code

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


class StockLocationOut(Schema):
    id: int
    external_id: str = Field(description="The warehouse's code.")
    name: str
    is_active: bool = Field(description="false: its stock is not offered to shoppers.")

    @staticmethod
    def resolve_external_id(obj):
        return obj.code


@router.get("/stock-locations/", response={200: list[StockLocationOut], **LIST_RESPONSES})
def list_stock_locations(
    request: HttpRequest, response: HttpResponse, page: int = PAGE, page_size: int = PAGE_SIZE
):
    """Every stock location (warehouse), active or not, by id."""
    no_updated_since(request)
    return page_of(request, response, export.stock_locations(), page, page_size)


class StockLocationIn(Schema):
    index: int = 0
    external_id: LocationId = Field(
        description="The location's id in the ERP: the warehouse's code (letters, digits, "
        "`-`, `_`)."
    )
    name: text(min_length=1, max_length=100) = Field(
        description="Shown to staff; unique among warehouses."
    )


class StockIn(Schema):
    index: int = 0
    external_id: text(max_length=100) = Field("", description="The ERP's id of the row; echoed.")
    product_external_id: text(min_length=1, max_length=64) = Field(description="The variant's SKU.")
    stock_level_external_id: LocationId = Field(description="The stock location's external_id.")
    quantity: Units = Field(description='Whole units the ERP holds there, e.g. 12 or "12.00".')
    quantity_allocated: Units = Field(
        Decimal(0), description="Units of `quantity` the ERP has promised elsewhere."
    )


COUNTED_AT = Query(
    None,
    description="ISO 8601 date-time (naive values are UTC) at which the ERP counted these "
    "quantities; default: when the request arrives. Units of shop orders placed after it "
    "are taken off, as they are not in the count. Encode `+` as `%2B`, or use `Z`.",
)


@router.post(
    "/stock-locations/",
    auth=WRITE_STOCK,
    response=batch_responses(),
    openapi_extra=request_body(
        StockLocationIn,
        max_items=MAX_LOCATIONS,
        max_async_items=MAX_ASYNC_LOCATIONS,
        description="Stock locations (warehouses) to create, or rename, by external_id.",
    ),
)
def send_stock_locations(request: HttpRequest, response: HttpResponse):
    """AMPER's `SendStockLocationsAsync`: creates or renames warehouses by `external_id`
    (their code). A new warehouse is active and supplies orders after the others; staff
    change that in the admin. One result per item. With `Prefer: respond-async`: 202 and
    a job to poll."""
    return batch_write(
        request,
        response,
        "stock-locations",
        max_items=MAX_LOCATIONS,
        max_async_items=MAX_ASYNC_LOCATIONS,
    )


def write_stock_locations(items: list, *, key: ApiKey, params: dict) -> dict:
    """The batch writer of "stock-locations" (`services.batch_jobs.KINDS`)."""
    good, bad = check_items(items, StockLocationIn)
    results = stock_sync.save_stock_locations(
        [stock_sync.StockLocationItem(item.index, item.external_id, item.name) for item in good]
    )
    return batch_answer(results, bad)


@router.post(
    "/stocks/",
    auth=WRITE_STOCK,
    response=batch_responses(),
    openapi_extra=request_body(
        StockIn,
        max_items=MAX_STOCKS,
        max_async_items=MAX_ASYNC_STOCKS,
        description="Stock levels per variant (SKU) and stock location.",
    ),
)
def send_stocks(
    request: HttpRequest, response: HttpResponse, counted_at: IsoDateTime | None = COUNTED_AT
):
    """AMPER's `SendStocksAsync`: sets what shoppers can buy of each variant in each
    location to `quantity − quantity_allocated` (not below 0), less the units of shop
    orders placed after `counted_at`, under the same locks as order placement. One result
    per item; `note` says when orders' units were taken off. With `Prefer: respond-async`:
    202 and a job to poll; `counted_at` (by default when the request arrived) is fixed
    then, so orders placed while the job waits are taken off too."""
    arrived = timezone.now()
    moment = export.parse_updated_since(counted_at, name="counted_at") or arrived
    return batch_write(
        request,
        response,
        "stocks",
        max_items=MAX_STOCKS,
        max_async_items=MAX_ASYNC_STOCKS,
        params={"counted_at": moment.isoformat()},
    )


def write_stocks(items: list, *, key: ApiKey, params: dict) -> dict:
    """The batch writer of "stocks" (`services.batch_jobs.KINDS`); `params["counted_at"]`
    is an ISO date-time with its offset, fixed when the request arrived."""
    good, bad = check_items(items, StockIn)
    results = stock_sync.push_stocks(
        [
            stock_sync.StockItem(
                item.index,
                item.external_id,
                item.product_external_id,
                item.stock_level_external_id,
                item.quantity,
                item.quantity_allocated,
            )
            for item in good
        ],
        counted_at=datetime.fromisoformat(params["counted_at"]),
    )
    return batch_answer(results, bad)
