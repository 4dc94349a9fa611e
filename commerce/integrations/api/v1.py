"""Integration API v1: products, categories, stock and orders for ERPs and comparison sites.

Shaped like AMPER's `/external/v1/` API, so an integration written for AMPER
works unchanged: the same URLs, field names and types, a bare JSON array for
lists, and the key in `api_key`. What we add is documented in the README
("Integration API"): paging parameters with the totals and links in headers,
`updated_since`, `include_disabled` and the `Authorization: Api-Key` header.
One module per endpoint family (products, variants, categories, stocks,
promotions), each with its response schemas beside its endpoints; they only translate
HTTP, what is exposed lives in `commerce/integrations/services/catalog_export.py` (and
`promotion_export.py`).
"""

from django.http import HttpRequest, HttpResponse
from ninja.errors import ValidationError

from commerce.integrations.api import (
    categories,
    erp_orders,
    jobs,
    products,
    promotions,
    stocks,
    variants,
)
from commerce.integrations.api.base import StableOperationIdsAPI
from commerce.integrations.auth import key_auth
from commerce.integrations.models import Scope
from commerce.integrations.services.catalog_export import MAX_PAGE_SIZE, BadParameter

DESCRIPTION = f"""
Catalog, promotions and orders API with the URLs and field names of AMPER's
`/external/v1/` API.

**Variants**: a product is sold as one or more variants (a size and colour), each with
its own SKU, EAN, price and stock. A product's `sku`, `ean`, `default_price` and `weight`
are its default (first active) variant's; its `variants` list them all, and
`/variants/` lists them on their own. Stock rows are per variant
(`product_external_id` = the variant's SKU).

**Promotions**: every published promotion, running or not (read `start`, `end`,
`is_active`, or our `status`), in AMPER's shape; a reward's `product` is the variant it
names (`id` the variant id, `short_code` its SKU). `value_type` is
{promotions.VALUE_TYPE_DESCRIPTION}.

**Authentication**: an API key created by staff in the admin (Integrations → API keys),
in the `api_key` query parameter or an `Authorization: Api-Key <key>` header. Each
endpoint needs one scope of the key: the catalog's `read_catalog`, the orders'
`read_orders` and `change_orders`, product writes `write_catalog`, stock writes
`write_stock`. Without a key, or with a wrong or revoked one, 401; with a good key that
lacks the scope, 403.

**Orders** (AMPER's `GetListOfOrders`, `GetOrder`, `ChangeOrderStatus`): `/orders/` by
`status` and `updated_since`, `/orders/{{token}}/`, and `POST /orders/{{token}}/status/`,
which changes the status through the same workflow as the admin (409 with the reason when
the workflow refuses). Net amounts are the gross amounts less the VAT inside them, rounded
as checkout rounds VAT; `total_net` is `total_gross` less the order's recorded VAT.

**Writes** (the ERP connector) take a bare JSON array of items, AMPER's `Send…Async(list)`,
and answer each item with `created`, `updated`, `unchanged` or `error` and its messages: a bad
item never holds back the good ones, and sending a batch again changes nothing. Products:
`POST /products/` (AMPER's Product by SKU, grouped into products with variants by their
`product` key; the same writer as `import_catalog`), `POST /categories/` (by
`external_id`), `POST /product-categories/` (a product, by a variant's SKU, in a category,
main or additional), `POST /related-products/` (a product's whole list) and
`POST /product-files/` (multipart: a picture into the gallery, any other file into the
product's documents), scope `write_catalog`. Stock:
`POST /stock-locations/` (warehouses by code) and `POST /stocks/` (per SKU and location;
units of shop orders placed after `counted_at` are taken off), scope `write_stock`.
With a `Prefer: respond-async` header a write answers `202 Accepted` at once (larger
batches allowed) with a job at `Location` (`/jobs/{{id}}/`): poll it (`Retry-After`) until
`done`, when its `report` is the answer the request would have had. Only the key that sent
a job can read it; `/jobs/` lists the key's jobs.

**Lists** are bare JSON arrays ordered by id. Page with `page` (from 1) and `page_size`
(default and maximum {MAX_PAGE_SIZE}; larger values are lowered to it). Each list answer
has `X-Total-Count`, `X-Page-Size` and, when there are more pages, an RFC 8288 `Link`
header with `rel="next"`/`rel="prev"`. A page past the end is an empty array.
Bad parameters get 400 with a JSON `detail`.
"""

api = StableOperationIdsAPI(
    operation_id_prefix="integrations_api_v1",
    title="Storefront integration API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="external_v1",
    docs_url="/docs/",
    openapi_url="/openapi.json",
    auth=key_auth(Scope.READ_CATALOG),
)


@api.exception_handler(ValidationError)
def bad_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Parameter and body errors are 400, not ninja's 422, as everywhere in this API."""
    return api.create_response(request, {"detail": exc.errors}, status=400)


@api.exception_handler(BadParameter)
def bad_parameter(request: HttpRequest, exc: BadParameter) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


api.add_router("/", products.router)
api.add_router("/", categories.router)
api.add_router("/", stocks.router)
api.add_router("/", variants.router)
api.add_router("/", promotions.router)
api.add_router("/", erp_orders.router)
api.add_router("/", jobs.router)
