"""The create-order API: JWT sign-in and order creation through the checkout service."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Storefront order API",
    version="1",
    urls_namespace="order_api",
    docs_url="/api-docs/",
    openapi_url="/api-openapi.json",
)
