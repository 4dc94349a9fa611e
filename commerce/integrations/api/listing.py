"""What every list of the integration API v1 shares: paging and its headers, the
change filter, the error shape and the parameters' documentation."""

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Schema
from pydantic import WithJsonSchema

from commerce.integrations.services import catalog_export as export
from commerce.integrations.services.catalog_export import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    BadParameter,
)


class ErrorOut(Schema):
    detail: str | list[dict] = Field(
        description="What went wrong: a message, or a list of parameter errors."
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


def no_updated_since(request: HttpRequest) -> None:
    """Categories and stock rows carry no change time: refuse rather than ignore the filter,
    so a client never takes a full list for the changes since its last run."""
    if "updated_since" in request.GET:
        raise BadParameter(f"updated_since is not supported on {request.path}: fetch the full list")


def page_of(request: HttpRequest, response: HttpResponse, queryset, page: int, page_size: int):
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
