"""Variants (what is sold and stocked: a size and colour of a coat), as the integration
API v1 lists them. AMPER has no variants; this list is ours, in AMPER's style."""

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from commerce.integrations.api.fields import text
from commerce.integrations.api.listing import (
    INCLUDE_DISABLED,
    LIST_RESPONSES,
    PAGE,
    PAGE_SIZE,
    UPDATED_SINCE,
    IsoDateTime,
    page_of,
)
from commerce.integrations.api.products import ProductVariantOut
from commerce.integrations.services import catalog_export as export

router = Router(tags=["variants"])

PRODUCT_FILTER = Query(None, description="Only the variants of this product.")
SKU_FILTER = Query(None, description="Only the variant with this SKU.")
EAN_FILTER = Query(None, description="Only the variant with this EAN.")


class VariantOut(ProductVariantOut):
    product_id: int
    is_published: bool = Field(
        description="true: offered for sale. false only with include_disabled=true: "
        "a variant of a disabled product."
    )

    @staticmethod
    def resolve_is_published(obj):
        return obj.is_purchasable


@router.get("/variants/", response={200: list[VariantOut], **LIST_RESPONSES})
def list_variants(
    request: HttpRequest,
    response: HttpResponse,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    include_disabled: bool = INCLUDE_DISABLED,
    product_id: int | None = PRODUCT_FILTER,
    sku: text(max_length=64) | None = SKU_FILTER,
    ean: text(max_length=14) | None = EAN_FILTER,
):
    """Active variants of listed products, by id, with their options, price and stock."""
    since = export.parse_updated_since(updated_since)
    queryset = export.variants(
        include_disabled=include_disabled,
        updated_since=since,
        product_id=product_id,
        sku=sku,
        ean=ean,
    )
    return page_of(request, response, queryset, page, page_size)
