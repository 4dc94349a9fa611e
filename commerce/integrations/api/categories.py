"""Categories and which product sits in which (AMPER's ProductCategory and
ProductCategoryRelation, with our ids where AMPER has `*_external_id`)."""

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
    no_updated_since,
    page_of,
)
from commerce.integrations.services import catalog_export as export

router = Router(tags=["categories"])


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


@router.get("/categories/", response={200: list[CategoryOut], **LIST_RESPONSES})
def list_categories(
    request: HttpRequest, response: HttpResponse, page: int = PAGE, page_size: int = PAGE_SIZE
):
    """Categories the storefront shows (active, under active parents), by id."""
    no_updated_since(request)
    return page_of(request, response, export.categories(), page, page_size)


@router.get("/categories/{id}/", response={200: CategoryOut, **DETAIL_RESPONSES})
def get_category(request: HttpRequest, id: int):  # noqa: A002
    found = export.category(id)
    if found is None:
        raise Http404
    return found


@router.get("/product-categories/", response={200: list[ProductCategoryOut], **LIST_RESPONSES})
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
    return page_of(request, response, queryset, page, page_size)
