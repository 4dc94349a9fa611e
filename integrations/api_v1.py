"""Integration API v1 (read-only): products, categories, stock for ERPs and comparison sites."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Storefront integration API",
    version="1",
    urls_namespace="external_v1",
    docs_url="/docs/",
    openapi_url="/openapi.json",
)
