"""Orders for the ERP: AMPER's `GetListOfOrders(status)`, `GetOrder(token)` and
`ChangeOrderStatus(status, token)`, in AMPER's Order and OrderLine shape.

Reading needs the key's `read_orders` scope, changing a status `change_orders`. What is
exposed and how net amounts are worked out: `services/order_export.py`."""

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StringConstraints

from commerce.integrations.api.fields import text
from commerce.integrations.api.listing import (
    PAGE,
    PAGE_SIZE,
    ErrorOut,
    IsoDateTime,
    page_of,
)
from commerce.integrations.api.writes import throttled
from commerce.integrations.auth import key_auth
from commerce.integrations.models import Scope
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services import order_export
from commerce.integrations.services.catalog_export import decimal_string
from commerce.models import OrderStatus
from commerce.services.orders import OrderTransitionError, Tracking

router = Router(tags=["orders"])

READ = key_auth(Scope.READ_ORDERS)
CHANGE = key_auth(Scope.CHANGE_ORDERS)
SCOPED_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
STATUS_DESCRIPTION = ", ".join(f"`{value}`" for value in OrderStatus.values)
STATUS_FILTER = Query(None, description=f"Only orders in this status: {STATUS_DESCRIPTION}.")
CHANGED_SINCE = Query(
    None,
    description="ISO 8601 date or date-time (naive values are UTC): only orders changed at "
    "or after it (placed, paid, shipped…). Encode `+` as `%2B`, or use `Z`.",
)


class AddressOut(Schema):
    full_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = Field("", description="ISO 3166-1 alpha-2 code.")


class OrderLineOut(Schema):
    id: int
    product: int | None = Field(description="Our product id; null if the product was deleted.")
    product_external_id: str = Field(description="The variant's SKU, as in /stocks/.")
    product_name: str
    product_sku: str
    variant_name: str = Field(description='The variant\'s options, e.g. "Size M, Colour Green".')
    attributes: list[str] = Field(description='The options one by one: ["Size M", …].')
    quantity: int
    tax_rate: str = Field(description='VAT rate in percent, e.g. "23.00".')
    unit_price_gross: str
    unit_price_net: str
    discount_gross: str = Field(description="This line's share of the coupon discount.")
    is_gift: bool

    @staticmethod
    def resolve_product(obj):
        return obj.product_id

    @staticmethod
    def resolve_product_external_id(obj):
        return obj.sku

    @staticmethod
    def resolve_product_sku(obj):
        return obj.sku

    @staticmethod
    def resolve_attributes(obj):
        return [part for part in obj.variant_name.split(", ") if part]

    @staticmethod
    def resolve_tax_rate(obj):
        return decimal_string(obj.vat_rate)

    @staticmethod
    def resolve_unit_price_gross(obj):
        return decimal_string(obj.unit_price)

    @staticmethod
    def resolve_unit_price_net(obj):
        return decimal_string(order_export.unit_price_net(obj))

    @staticmethod
    def resolve_discount_gross(obj):
        return decimal_string(obj.discount)


class OrderOut(Schema):
    token: str
    number: str | None
    status: str = Field(description=f"One of {STATUS_DESCRIPTION}.")
    paid: bool = Field(description="The payment provider has reported the money paid.")
    payment_status: str
    created: str
    updated: str
    user_email: str
    phone: str = Field(description="In international form, e.g. +48 600 700 800; may be empty.")
    customer_external_id: str | None = Field(
        description="The customer's ERP id (a customer link), or null: a guest, or a "
        "shopper with no link."
    )
    customer_note: str
    billing_address: str = Field(description="The billing address as lines of text.")
    shipping_address: str = Field(description="The delivery address as lines of text.")
    billing_address_fields: AddressOut
    shipping_address_fields: AddressOut
    shipment_type: str = Field(description="The delivery method's name when ordered.")
    payment_type: str = Field(description="The payment method's name when ordered.")
    currency: str
    coupon_code: str
    products_total_gross: str = Field(description="The lines' total before the discount.")
    products_total_net: str
    discount_amount: str = Field(description="The coupon's discount, gross.")
    shipping_price_gross: str
    shipping_price_net: str
    total_gross: str
    total_net: str = Field(description="total_gross less the VAT the order recorded.")
    vat_total: str
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_paid(obj):
        return order_export.is_paid(obj)

    @staticmethod
    def resolve_created(obj):
        return obj.created_at.isoformat()

    @staticmethod
    def resolve_updated(obj):
        return obj.updated_at.isoformat()

    @staticmethod
    def resolve_user_email(obj):
        return obj.email

    @staticmethod
    def resolve_phone(obj):
        return str(obj.phone) if obj.phone else ""

    @staticmethod
    def resolve_customer_external_id(obj):
        return order_export.customer_external_id(obj)

    @staticmethod
    def resolve_billing_address(obj):
        return obj.billing_address_text

    @staticmethod
    def resolve_shipping_address(obj):
        return obj.delivery_address_text

    @staticmethod
    def resolve_billing_address_fields(obj):
        return obj.billing_address or {}

    @staticmethod
    def resolve_shipping_address_fields(obj):
        return obj.delivery_address or {}

    @staticmethod
    def resolve_shipment_type(obj):
        return obj.delivery_method_name

    @staticmethod
    def resolve_payment_type(obj):
        return obj.payment_method_name

    @staticmethod
    def resolve_products_total_gross(obj):
        return decimal_string(obj.subtotal)

    @staticmethod
    def resolve_products_total_net(obj):
        return decimal_string(order_export.products_total_net(obj))

    @staticmethod
    def resolve_discount_amount(obj):
        return decimal_string(obj.discount)

    @staticmethod
    def resolve_shipping_price_gross(obj):
        return decimal_string(obj.delivery_cost)

    @staticmethod
    def resolve_shipping_price_net(obj):
        return decimal_string(order_export.shipping_price_net(obj))

    @staticmethod
    def resolve_total_gross(obj):
        return decimal_string(obj.grand_total)

    @staticmethod
    def resolve_total_net(obj):
        return decimal_string(order_export.total_net(obj))

    @staticmethod
    def resolve_vat_total(obj):
        return decimal_string(obj.vat_total)

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())


# Shoppers get it as a link: a web address or nothing (never javascript: or data:), one line.
TRACKING_URL_PATTERN = r"^(https?://[^\s\x00-\x1f\x7f]+)?$"
TrackingUrl = Annotated[
    str,
    StringConstraints(max_length=500, pattern=TRACKING_URL_PATTERN),
]


class StatusIn(Schema):
    status: OrderStatus = Field(description=f"One of {STATUS_DESCRIPTION}.")
    note: text(max_length=200) = Field("", description="Kept in the order's history.")
    carrier: text(max_length=100) = Field("", description="Shipping only: the carrier.")
    tracking_number: text(max_length=100) = Field("", description="Shipping only.")
    tracking_url: TrackingUrl = Field(
        "", description="Shipping only: where the customer follows the parcel (http or https)."
    )


def _order_or_404(token: str):
    found = order_export.order(token)
    if found is None:
        raise HttpError(404, "No order has this token.")
    return found


@router.get(
    "/orders/",
    auth=READ,
    response={200: list[OrderOut], **SCOPED_RESPONSES},
)
def list_orders(
    request: HttpRequest,
    response: HttpResponse,
    status: OrderStatus | None = STATUS_FILTER,
    updated_since: IsoDateTime | None = CHANGED_SINCE,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
):
    """Orders by id, oldest first: AMPER's `GetListOfOrders(status)`, paged like every list."""
    since = export.parse_updated_since(updated_since)
    queryset = order_export.orders(status=status and status.value, updated_since=since)
    return page_of(request, response, queryset, page, page_size)


@router.get(
    "/orders/{token}/",
    auth=READ,
    response={200: OrderOut, 404: ErrorOut, **SCOPED_RESPONSES},
)
def get_order(request: HttpRequest, token: str):
    """One order by its token: AMPER's `GetOrder(token)`."""
    return _order_or_404(token)


@router.post(
    "/orders/{token}/status/",
    auth=CHANGE,
    response={200: OrderOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut, **SCOPED_RESPONSES},
)
def change_order_status(request: HttpRequest, response: HttpResponse, token: str, body: StatusIn):
    """AMPER's `ChangeOrderStatus(status, token)`, through the same workflow as the admin's
    buttons (stock goes back on a cancel, the shopper gets the same e-mails). Asking again
    for the status the order is in answers 200 with it, unchanged. A change the workflow
    refuses now is a 409 with the reason; more changes a minute than the key's
    limit (LIMIT_API_WRITES_PER_KEY) a 429 with `Retry-After`."""
    limited = throttled(request, response)
    if limited is not None:
        return limited
    found = _order_or_404(token)
    tracking = Tracking(carrier=body.carrier, number=body.tracking_number, url=body.tracking_url)
    try:
        order_export.change_status(
            found, body.status.value, key=request.auth, note=body.note, tracking=tracking
        )
    except OrderTransitionError as refused:
        return Status(409, {"detail": str(refused)})
    return _order_or_404(token)
