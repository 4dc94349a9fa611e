"""The APIs' OpenAPI operation ids stay the ones first published, wherever the views live.

Client generators name their methods after operation ids; ninja derives them from
module paths, so moving a module would silently rename an integrator's methods.
"""

from commerce.integrations.api import orders, v1


def operation_ids(api, prefix):
    schema = api.get_openapi_schema(path_prefix=prefix)
    return {op["operationId"] for item in schema["paths"].values() for op in item.values()}


def test_integration_api_operation_ids_are_the_published_ones():
    assert operation_ids(v1.api, "/external/v1") == {
        "integrations_api_v1_list_products",
        "integrations_api_v1_get_product",
        "integrations_api_v1_list_categories",
        "integrations_api_v1_get_category",
        "integrations_api_v1_list_product_categories",
        "integrations_api_v1_list_product_files",
        "integrations_api_v1_list_stocks",
        # Added with variants (issue 13):
        "integrations_api_v1_list_variants",
        # Added with promotions (issue 14):
        "integrations_api_v1_list_promotions",
        "integrations_api_v1_list_orders",
        "integrations_api_v1_get_order",
        "integrations_api_v1_change_order_status",
        # Added with the ERP connector (issue 18):
        "integrations_api_v1_list_stock_locations",
        "integrations_api_v1_send_stock_locations",
        "integrations_api_v1_send_stocks",
        "integrations_api_v1_send_products",
        "integrations_api_v1_send_categories",
        "integrations_api_v1_send_product_categories",
        "integrations_api_v1_send_related_products",
        "integrations_api_v1_send_product_file",
        # Added with batch jobs (Prefer: respond-async):
        "integrations_api_v1_list_jobs",
        "integrations_api_v1_get_job",
    }


def test_order_api_operation_ids_are_the_published_ones():
    assert operation_ids(orders.api, "") == {
        "integrations_orders_api_sign_in",
        "integrations_orders_api_token_refresh",
        "integrations_orders_api_create_order",
    }
