"""The create-order API: JWT sign-in and order creation through the checkout service.

Endpoints and answers follow the AMPER "create-order" documentation:

- `POST /auth/` {username, password} → 200 with an access and a refresh token;
  wrong credentials (or an inactive account) → 404, as documented; an account
  without the `integrations.create_orders` permission → 403.
- `POST /auth/token-refresh/` {refresh_token} → 200, a new pair; a bad,
  expired, spent or revoked refresh token (or an access token) → 401.
- Both answer 429 when one address calls them too often, and `POST /auth/`
  answers 429 while the account or the address is locked out after failed
  sign-ins (commerce/services/limits.py), even with the right password.
- `POST /create-order` with `Authorization: Bearer <access token>` → 201;
  no, bad or expired token → 401; the token's user inactive or without the
  permission → 403; anything wrong with the request → 400 with field errors.
  An integration API key with the `create_orders` scope (`Authorization: Api-Key
  <key>` or `api_key`) works instead of a token; a key without the scope → 403.

Every error is JSON: {"detail": "...", "errors": {"lines.0.quantity": ["..."]}}.

Promotions apply as on the storefront; the answer's lines carry AMPER's
`promotion` object, `given_price` and `customer_price`, then the gift lines
(`is_gift`); a line's `promotion_id` is checked against what the engine applies
(`commerce/integrations/services/order_promotions.py` states the rules).
"""

from decimal import Decimal

from django.contrib.auth import authenticate
from ninja import Field, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError

from commerce.integrations import jwt_auth
from commerce.integrations.api.base import StableOperationIdsAPI
from commerce.integrations.api.fields import text
from commerce.integrations.auth import key_auth
from commerce.integrations.models import Scope
from commerce.integrations.services import orders as order_service
from commerce.models import ShopPage
from commerce.money import shop_currency
from commerce.services import limits
from commerce.services.checkout import CheckoutError

api = StableOperationIdsAPI(
    operation_id_prefix="integrations_orders_api",
    title="Storefront order API",
    version="1",
    urls_namespace="order_api",
    docs_url="/api-docs/",
    openapi_url="/api-openapi.json",
)


# --- Schemas -----------------------------------------------------------------------

MAX_ID = 2**63 - 1  # ids are PostgreSQL bigints: a larger one names nothing


class CredentialsIn(Schema):
    username: text(min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=4096)


class RefreshIn(Schema):
    refresh_token: text(min_length=1, max_length=4096)


class TokenOut(Schema):
    access_token: str
    expires_in: int
    refresh_expires_in: int
    refresh_token: str
    token_type: str
    not_before_policy: int = Field(0, alias="not-before-policy")
    session_state: str
    scope: str


class LineIn(Schema):
    variant_id: int | None = Field(None, description="The variant to buy (see /variants/).")
    sku: text(max_length=64) | None = Field(
        None, description="The variant's SKU (instead of variant_id)."
    )
    product_id: int | None = Field(
        None,
        description="Our product id: enough for a product sold as one variant; with "
        "variant_id or sku, the variant must be this product's.",
    )
    product_external_id: text(max_length=64) | None = Field(
        None, description="AMPER's name for the SKU: the variant's SKU, like `sku`."
    )
    quantity: int = Field(..., gt=0, description="Whole units.")
    suggested_price: Decimal = Field(
        ...,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="The unit price the caller expects: the shop's regular price, or the "
        "price after the promotion that applies. The line is charged the latter.",
    )
    promotion_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The promotion the caller expects on this line (see /external/v1/"
        "promotions/). Accepted when it sets the line's price or gives a gift in this "
        "order; otherwise the order is refused with the reason. Left out, the line gets "
        "whatever promotion applies.",
    )
    order_line_promotion_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="AMPER's relation id: accepted and ignored."
    )


class CreateOrderIn(Schema):
    customer_id: int | None = Field(None, description="Our user id.")
    customer_external_id: text(max_length=64) | None = Field(
        None, description="The customer's ERP id (integrations.CustomerLink)."
    )
    lines: list[LineIn] = Field(..., min_length=1)
    playground: bool = Field(False, description="Price and check everything, save nothing.")
    description: text(max_length=1000, multiline=True) | None = Field(
        None, description="The order's note."
    )
    shipment_type_id: int | None = Field(
        None, description="A delivery method id; the first active one when left out."
    )


class LinePromotionOut(Schema):
    """AMPER's `promotion` object: the promotion that priced the line (or gave the gift)."""

    price: float = Field(description="The unit price after the promotion (0 for a gift).")
    promotion_min_order_quantity: float | None = Field(
        description="The applied condition's threshold_min when it counts quantity (bulk "
        "units with calculate_using_cumulative_units); null when it counts value."
    )
    promotion_condition_item_id: int = Field(description="The reward's id.")
    promotion_condition_id: int = Field(description="The condition's id.")
    relation_id: int = Field(description="The order line's id; 0 with playground.")
    promotion_name: str
    promotion_id: int
    promotion_url: str | None = Field(
        description="The promotion's page on the storefront (/shop/promotions/<short_code>/)."
    )


class LineOut(Schema):
    product_id: int
    variant_id: int
    product_external_id: str = Field(description="The variant's SKU.")
    sku: str
    product_name: str = Field(
        description='The variant\'s description: "Heritage coat — Size M, Colour Green".'
    )
    quantity: int
    is_gift: bool = Field(
        description="true: a gift a promotion added (after the requested lines), at price 0."
    )
    suggested_price: float | None = Field(description="As requested; null on a gift line.")
    default_price: float = Field(description="The catalog price.")
    customer_price: float = Field(
        description="This customer's price before promotions (today the catalog price)."
    )
    given_price: float = Field(
        description="The unit price after the promotion; 0 when no promotion applies."
    )
    promotion: LinePromotionOut | None = Field(
        description="The promotion applied to the line (the best one), or null."
    )
    line_total: float
    vat_rate: float


class CreateOrderOut(Schema):
    order_id: int
    order_number: str | None
    playground: bool
    currency: str
    lines: list[LineOut]
    notes: list[str] = Field(
        description="What the promotions say: gifts cut short by stock, and what would "
        'reach the next threshold ("Mug: Buy 2 more for 5.00 each.").'
    )
    subtotal: float
    discount: float
    delivery_method_id: int | None
    delivery_cost: float
    vat_total: float
    grand_total: float


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


# --- Errors ------------------------------------------------------------------------


def _error(request, status: int, detail: str, errors: dict | None = None):
    response = api.create_response(
        request, {"detail": detail, "errors": errors or {}}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


@api.exception_handler(ValidationError)
def _invalid_request(request, exc: ValidationError):
    """400 with the errors by field ("lines.0.quantity"), instead of ninja's 422."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        if location[:1] == ["body"]:
            location = location[2:]  # "body" and the parameter's name
        name = ".".join(location) or "body"
        errors.setdefault(name, []).append(error.get("msg", "Invalid value."))
    return _error(request, 400, "The request is not valid; see the field errors.", errors)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


# --- Endpoints ---------------------------------------------------------------------


def _promotion_urls(request):
    """promotion (or rule, anything with a short_code) → the absolute URL of its page on
    this site's shop (`ShopPage.promotion_subpath`); None when the site has no shop."""
    shop = ShopPage.for_request(request)
    if shop is None:
        return None
    base = shop.get_full_url(request)
    return lambda promotion: base + shop.promotion_subpath(promotion)


INVALID_CREDENTIALS = 404  # the AMPER documentation's code for wrong credentials
TOO_MANY_CALLS = "Too many requests from this address; wait a minute and try again."


@api.post(
    "/auth/",
    response={200: TokenOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    by_alias=True,
    summary="Sign in: an access and a refresh token",
)
def sign_in(request, credentials: CredentialsIn):
    if limits.exceeded(request, "api_auth_ip", limits.ip_key(request)):
        return Status(429, {"detail": TOO_MANY_CALLS})
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if user is None:  # wrong credentials, or an inactive account
        return Status(INVALID_CREDENTIALS, {"detail": "Invalid username or password."})
    if not user.has_perm(jwt_auth.PERMISSION):
        return Status(
            403,
            {
                "detail": "This account may not create orders through the API "
                f"(it needs the {jwt_auth.PERMISSION} permission)."
            },
        )
    return Status(200, jwt_auth.sign_in(user))


@api.post(
    "/auth/token-refresh/",
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    by_alias=True,
    summary="A new token pair for a refresh token",
)
def token_refresh(request, body: RefreshIn):
    if limits.exceeded(request, "api_refresh_ip", limits.ip_key(request)):
        return Status(429, {"detail": TOO_MANY_CALLS})
    try:
        return Status(200, jwt_auth.refresh(body.refresh_token))
    except jwt_auth.TokenError as error:
        raise AuthenticationError(message=str(error)) from None


@api.post(
    "/create-order",
    # AMPER's bearer token of a permitted account, or an integration key with the
    # create_orders scope (which only staff holding that permission can give a key).
    auth=[jwt_auth.JWTBearer(), *key_auth(Scope.CREATE_ORDERS)],
    response={201: CreateOrderOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Create an order (or price it, with playground: true)",
)
def create_order(request, payload: CreateOrderIn):
    try:
        answer = order_service.create_order(
            payload, currency=shop_currency(request), promotion_url=_promotion_urls(request)
        )
    except order_service.InvalidOrder as invalid:
        return Status(400, {"detail": str(invalid), "errors": invalid.errors})
    except CheckoutError as refused:  # e.g. the last units sold a moment earlier
        return Status(400, {"detail": str(refused)})
    return Status(201, answer)
