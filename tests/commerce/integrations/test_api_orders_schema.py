"""Schemathesis on the create-order API's schema (/api-openapi.json): no 5xx, answers as
documented, and NUL in strings and keys refused with a 4xx."""

from tests.factories.accounts import make_address, make_customer
from tests.factories.catalog import make_attribute, make_product
from tests.factories.checkout import make_delivery_method, make_payment_method


def test_schemathesis_on_the_order_api(db, wsgi_app_in_test_transaction):
    import schemathesis
    from django.contrib.auth.models import Permission
    from schemathesis import GenerationMode

    from commerce.integrations import jwt_auth
    from tests.commerce.integrations.schemathesis_nul import run_cases

    integrator = make_customer("erp@example.com")
    integrator.user_permissions.add(Permission.objects.get(codename="create_orders"))
    make_address(make_customer("buyer@example.com"), is_default=True)
    make_product("Mug", stock=1000)
    # A product sold in two variants: product_id alone is a 400, a variant id or SKU works.
    size, (small, large) = make_attribute("Size", ["S", "L"], varies_per_variant=True)
    make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "options": [small], "stock": 1000},
            {"sku": "COAT-L", "options": [large], "stock": 1000},
        ],
    )
    make_delivery_method()
    make_payment_method("bank_transfer")
    token = jwt_auth.sign_in(integrator)["access_token"]

    schema = schemathesis.openapi.from_wsgi("/api-openapi.json", wsgi_app_in_test_transaction)
    # No NUL in the cases schemathesis draws itself: run_cases adds it to a third of them,
    # which must then be refused (a NUL in a valid-looking api_key is a 400, not a 401).
    schema.config.generation.update(allow_x00=False)
    headers = {"Authorization": f"Bearer {token}"}
    strategy = schema.as_strategy(headers=headers) | schema.as_strategy(
        GenerationMode.NEGATIVE, headers=headers
    )
    # Orders are refused for reasons no schema states (the price must be the shop's, stock,
    # a customer with an address): a schema-valid body may well get a documented 400.
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    sent = run_cases(
        strategy,
        label="/api-openapi.json",
        max_examples=120,
        excluded_checks=[positive_data_acceptance],
    )
    assert sent["nul"] > 10
