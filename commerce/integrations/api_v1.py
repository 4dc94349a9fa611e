"""Integration API v1 (read-only): products, categories, stock for ERPs and comparison sites.

Shaped like AMPER's `/external/v1/` API, so an integration written for AMPER
works unchanged: the same URLs, field names and types, a bare JSON array for
lists, and the key in `api_key`. What we add is documented in the README
("Integration API"): paging parameters with the totals and links in headers,
`updated_since`, `include_disabled` and the `Authorization: Api-Key` header.
The endpoints only translate HTTP; what is exposed lives in
`commerce/integrations/services/catalog_export.py`.
"""

from typing import Annotated

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError
from pydantic import WithJsonSchema

from commerce.integrations.auth import API_KEY_AUTH
from commerce.integrations.schemas import (
    CategoryOut,
    ErrorOut,
    ProductCategoryOut,
    ProductFileOut,
    ProductOut,
    StockOut,
)
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services.catalog_export import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    BadParameter,
)

DESCRIPTION = f"""
Read-only catalog API with the URLs and field names of AMPER's `/external/v1/` API.

**Authentication**: an API key created by staff in the admin (Integrations → API keys),
in the `api_key` query parameter or an `Authorization: Api-Key <key>` header.

**Lists** are bare JSON arrays ordered by id. Page with `page` (from 1) and `page_size`
(default and maximum {MAX_PAGE_SIZE}; larger values are lowered to it). Each list answer
has `X-Total-Count`, `X-Page-Size` and, when there are more pages, an RFC 8288 `Link`
header with `rel="next"`/`rel="prev"`. A page past the end is an empty array.
Bad parameters get 400 with a JSON `detail`.
"""

api = NinjaAPI(
    title="Storefront integration API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="external_v1",
    docs_url="/docs/",
    openapi_url="/openapi.json",
    auth=API_KEY_AUTH,
)

LIST_RESPONSES = {400: ErrorOut, 401: ErrorOut}
DETAIL_RESPONSES = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}

PAGE = Query(1, ge=1, description="Page number, from 1.")
PAGE_SIZE = Query(
    DEFAULT_PAGE_SIZE,
    ge=1,
    description=f"Items per page; at most {MAX_PAGE_SIZE} (larger values are lowered to it).",
)
UPDATED_SINCE = Query(
    None,
    description="ISO 8601 date or date-time (naive values are UTC): only products "
    "changed at or after it. Encode `+` as `%2B`, or use `Z`.",
)
# Documented as RFC 3339 date-times; plain dates (2025-01-31) are accepted too.
IsoDateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
INCLUDE_DISABLED = Query(
    False,
    description="Also list disabled products (shown, not purchasable) with `is_published: false`.",
)


@api.exception_handler(ValidationError)
def bad_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Parameter errors are 400, not ninja's 422: this API has no request bodies."""
    return api.create_response(request, {"detail": exc.errors}, status=400)


@api.exception_handler(BadParameter)
def bad_parameter(request: HttpRequest, exc: BadParameter) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


def _no_updated_since(request: HttpRequest) -> None:
    """Categories and stock rows carry no change time: refuse rather than ignore the filter,
    so a client never takes a full list for the changes since its last run."""
    if "updated_since" in request.GET:
        raise BadParameter(f"updated_since is not supported on {request.path}: fetch the full list")


def _page(request: HttpRequest, response: HttpResponse, queryset, page: int, page_size: int):
    result = export.paginate(queryset, page, page_size)
    response["X-Total-Count"] = str(result.total)
    response["X-Page-Size"] = str(result.size)
    links = []
    if result.has_next:
        links.append(f'<{_page_url(request, result.number + 1)}>; rel="next"')
    if result.has_previous:
        last = max(1, -(-result.total // result.size))
        links.append(f'<{_page_url(request, min(result.number - 1, last))}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    return result.items


def _page_url(request: HttpRequest, number: int) -> str:
    params = request.GET.copy()
    params["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


@api.get("/products/", response={200: list[ProductOut], **LIST_RESPONSES}, tags=["products"])
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
    return _page(request, response, queryset, page, page_size)


@api.get("/products/{id}/", response={200: ProductOut, **DETAIL_RESPONSES}, tags=["products"])
def get_product(request: HttpRequest, id: int, include_disabled: bool = INCLUDE_DISABLED):  # noqa: A002
    """One product, under the same rules as the list (hidden or draft: 404)."""
    found = export.product(id, include_disabled=include_disabled)
    if found is None:
        raise Http404
    return found


@api.get("/categories/", response={200: list[CategoryOut], **LIST_RESPONSES}, tags=["categories"])
def list_categories(
    request: HttpRequest, response: HttpResponse, page: int = PAGE, page_size: int = PAGE_SIZE
):
    """Categories the storefront shows (active, under active parents), by id."""
    _no_updated_since(request)
    return _page(request, response, export.categories(), page, page_size)


@api.get("/categories/{id}/", response={200: CategoryOut, **DETAIL_RESPONSES}, tags=["categories"])
def get_category(request: HttpRequest, id: int):  # noqa: A002
    found = export.category(id)
    if found is None:
        raise Http404
    return found


@api.get(
    "/product-categories/",
    response={200: list[ProductCategoryOut], **LIST_RESPONSES},
    tags=["categories"],
)
def list_product_categories(
    request: HttpRequest,
    response: HttpResponse,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    include_disabled: bool = INCLUDE_DISABLED,
):
    """Which listed product sits in which listed category, by product then category."""
    since = export.parse_updated_since(updated_since)
    queryset = export.product_categories(include_disabled=include_disabled, updated_since=since)
    return _page(request, response, queryset, page, page_size)


@api.get(
    "/product-files/", response={200: list[ProductFileOut], **LIST_RESPONSES}, tags=["products"]
)
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
    return _page(request, response, queryset, page, page_size)


@api.get("/stocks/", response={200: list[StockOut], **LIST_RESPONSES}, tags=["stocks"])
def list_stocks(
    request: HttpRequest,
    response: HttpResponse,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    include_disabled: bool = INCLUDE_DISABLED,
):
    """Units per listed product and active warehouse, by id. Stock rows carry no change
    time, so there is no `updated_since` here: fetch the whole list."""
    _no_updated_since(request)
    return _page(
        request, response, export.stocks(include_disabled=include_disabled), page, page_size
    )
