"""Categories and which product sits in which (AMPER's ProductCategory and
ProductCategoryRelation, with our ids where AMPER has `*_external_id`)."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from commerce.integrations.api.fields import text
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
from commerce.integrations.api.writes import (
    batch_answer,
    batch_responses,
    batch_write,
    check_items,
    request_body,
    sent_by,
)
from commerce.integrations.auth import key_auth
from commerce.integrations.models import ApiKey, Scope
from commerce.integrations.services import catalog_export as export
from commerce.integrations.services import catalog_sync, relation_sync

router = Router(tags=["categories"])


class CategoryOut(Schema):
    id: int
    name: str
    description: str
    order: int = Field(description="Sort position among its siblings (lower first).")
    parent_id: int | None = Field(description="The parent category's id; null at the top.")
    external_id: str | None = Field(
        description="The ERP's id, for categories sent through POST /categories/; else null."
    )

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


# --- Writing: AMPER's SendProductCategoriesAsync ------------------------------------------------

WRITE_CATALOG = key_auth(Scope.WRITE_CATALOG)
MAX_CATEGORIES = 500
MAX_ASYNC_CATEGORIES = 5000  # in a job (Prefer: respond-async)


class CategoryIn(Schema):
    index: int = 0
    external_id: text(min_length=1, max_length=100) = Field(
        description="The category's id in the ERP."
    )
    name: text(min_length=1, max_length=120)
    description: text(max_length=5000, multiline=True) = ""
    parent_external_id: text(max_length=100) | None = Field(
        None, description="The parent's external_id (null or empty: at the top)."
    )
    order: int = Field(0, ge=-1_000_000, le=1_000_000, description="Among its siblings.")
    seo_tags: text(max_length=300) = Field("", description="The search description.")


@router.post(
    "/categories/",
    auth=WRITE_CATALOG,
    response=batch_responses(),
    openapi_extra=request_body(
        CategoryIn,
        max_items=MAX_CATEGORIES,
        max_async_items=MAX_ASYNC_CATEGORIES,
        description="Categories (AMPER's ProductCategory) by external_id; parents may come "
        "later in the list.",
    ),
)
def send_categories(request: HttpRequest, response: HttpResponse):
    """AMPER's `SendProductCategoriesAsync`: creates or updates categories by
    `external_id`. A new category gets a slug from its name; an update keeps it. One
    result per item. With `Prefer: respond-async`: 202 and a job to poll."""
    return batch_write(
        request,
        response,
        "categories",
        max_items=MAX_CATEGORIES,
        max_async_items=MAX_ASYNC_CATEGORIES,
    )


def write_categories(items: list, *, key: ApiKey, params: dict) -> dict:
    """The batch writer of "categories" (`services.batch_jobs.KINDS`)."""
    good, bad = check_items(items, CategoryIn)
    results = catalog_sync.save_categories(
        [
            catalog_sync.CategoryItem(
                item.index,
                item.external_id,
                item.name,
                item.description,
                item.parent_external_id or "",
                item.order,
                item.seo_tags,
            )
            for item in good
        ]
    )
    return batch_answer(results, bad)


# --- Writing: AMPER's SendProductCategoriesRelationAsyncsAsync ----------------------------------

MAX_RELATIONS = 1000
MAX_ASYNC_RELATIONS = 10_000  # in a job (Prefer: respond-async)


class ProductCategoryIn(Schema):
    index: int = 0
    external_id: text(max_length=100) = Field(
        "", description="The relation's id in the ERP; echoed in the answer."
    )
    product_external_id: text(min_length=1, max_length=100) = Field(
        description="The SKU of any of the product's variants."
    )
    category_external_id: text(min_length=1, max_length=100) = Field(
        description="The category's external_id (POST /categories/)."
    )
    is_main: bool | None = Field(
        None,
        description="true: the product's main category; false: an additional one; not "
        "given: the product is in it (a main category stays main).",
    )
    remove: bool = Field(False, description="true: the product leaves this category.")


@router.post(
    "/product-categories/",
    auth=WRITE_CATALOG,
    response=batch_responses(),
    openapi_extra=request_body(
        ProductCategoryIn,
        max_items=MAX_RELATIONS,
        max_async_items=MAX_ASYNC_RELATIONS,
        description="Which product sits in which category (AMPER's ProductCategoryRelation).",
    ),
)
def send_product_categories(request: HttpRequest, response: HttpResponse):
    """AMPER's `SendProductCategoriesRelationAsyncsAsync`: puts products into categories,
    main or additional, or takes them out. A product's items are written together as one
    revision of it (editors' drafts kept, scheduled publications refused); a relation that
    is already there is `unchanged`. One result per item. With `Prefer: respond-async`:
    202 and a job to poll."""
    return batch_write(
        request,
        response,
        "product-categories",
        max_items=MAX_RELATIONS,
        max_async_items=MAX_ASYNC_RELATIONS,
    )


def write_product_categories(items: list, *, key: ApiKey, params: dict) -> dict:
    """The batch writer of "product-categories" (`services.batch_jobs.KINDS`)."""
    good, bad = check_items(items, ProductCategoryIn)
    results = relation_sync.save_product_categories(
        [
            relation_sync.RelationItem(
                item.index,
                item.external_id,
                item.product_external_id,
                item.category_external_id,
                item.is_main,
                item.remove,
            )
            for item in good
        ],
        source=sent_by(key),
    )
    return batch_answer(results, bad)
