"""An ERP sends products: AMPER's SendProductsAsync as POST /external/v1/products/ (scope
write_catalog), written by the catalog import's writer, one answer per item."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry, Revision

from commerce.models import AttributeDefinition, AttributeOption, Product, ProductVariant
from commerce.services.catalog_version import catalog_version
from tests.commerce.integrations.test_api_v1 import BASE, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    return make_key("Comarch ERP", scopes=["write_catalog"])[1]


def send(client, key, body):
    return client.post(
        f"{BASE}/products/",
        body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )


def answer(response):
    assert response.status_code == 200, response.content
    return response.json()


def revisions(product):
    return Revision.objects.for_instance(product).count()


COAT = [
    {
        "external_id": "COAT-S",
        "product": "coat",
        "name": "Heritage coat",
        "description": "Warm.\n\nAnd dry.",
        "default_price": "199.00",
        "vat": 23,
        "ean": "5901234123457",
        "options": {"size": "S"},
    },
    {"external_id": "COAT-M", "product": "coat", "default_price": 209, "options": {"size": "M"}},
    {"sku": "MUG-1", "name": "Mug", "default_price": "12.30", "vat": "8"},
]


def test_items_become_a_product_with_variants_and_a_resend_changes_nothing(client, writer):
    body = answer(send(client, writer, COAT))
    assert body["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "error": 0}
    assert [(item["index"], item["external_id"]) for item in body["items"]] == [
        (0, "COAT-S"),
        (1, "COAT-M"),
        (2, "MUG-1"),
    ]
    coat = Product.objects.get(name="Heritage coat")
    assert coat.live and revisions(coat) == 1
    assert {v.sku: v.price for v in coat.variants.all()} == {
        "COAT-S": Decimal("199.00"),
        "COAT-M": Decimal("209.00"),
    }
    assert [axis.slug for axis in coat.variant_axes.all()] == ["size"]
    assert coat.description == "<p>Warm.</p><p>And dry.</p>"
    assert Product.objects.get(name="Mug").vat_rate == Decimal("8.00")

    version = catalog_version()
    again = answer(send(client, writer, COAT))
    assert again["counts"]["unchanged"] == 3
    assert revisions(coat) == 1 and catalog_version() == version


def test_an_update_is_a_published_revision_the_history_attributes_to_the_key(
    client, writer, admin_client
):
    answer(send(client, writer, COAT))
    changed = [{**COAT[2], "default_price": "13.00"}]
    result = answer(send(client, writer, changed))["items"][0]
    assert (result["status"], result["changed"]) == ("updated", ["default_price"])
    mug = Product.objects.get(name="Mug")
    assert mug.variants.get().price == Decimal("13.00") and revisions(mug) == 2
    entries = ModelLogEntry.objects.filter(
        object_id=str(mug.pk), action="commerce.catalog_write"
    ).order_by("pk")
    assert [entry.data["source"] for entry in entries] == ["the ERP, API key “Comarch ERP”"] * 2
    history = admin_client.get(reverse("wagtailsnippets_commerce_product:history", args=[mug.pk]))
    assert "Written by the ERP, API key “Comarch ERP”" in history.content.decode()


def test_an_item_with_a_variants_list_is_one_product(client, writer):
    item = {
        "name": "Scarf",
        "default_price": "30.00",
        "variants": [
            {"sku": "SCARF-R", "price": "30.00", "options": {"colour": "Red"}},
            {"sku": "SCARF-G", "price": "31.00", "options": {"colour": "Green"}},
        ],
    }
    result = answer(send(client, writer, [item]))["items"][0]
    assert result["status"] == "created"
    scarf = Product.objects.get(name="Scarf")
    assert sorted(scarf.variants.values_list("sku", flat=True)) == ["SCARF-G", "SCARF-R"]


def test_bad_items_get_field_messages_and_the_good_ones_are_written(client, writer):
    body = [
        {"sku": "BAD-EAN", "name": "Bad EAN", "default_price": "1.00", "ean": "12345"},
        {"sku": "NUL", "name": "Null\x00name", "default_price": "1.00"},
        {"sku": "LONG", "name": "x" * 10_000, "default_price": "1.00"},
        {"sku": "TYPES", "name": ["not", "text"], "default_price": [1], "vat": {"a": 1}},
        {"sku": "NEG", "name": "Negative", "default_price": "-5"},
        {"name": "No SKU", "default_price": "1.00"},
        "not an object",
        {"sku": "NEW-NO-PRICE", "name": "Priceless"},
        {"sku": "GOOD", "name": "Good", "default_price": "1.00"},
        {
            "name": "Scarf",
            "variants": [{"sku": "SCARF-1", "price": "1.00", "ean": "nope"}],
        },
    ]
    result = answer(send(client, writer, body))["items"]
    assert [item["status"] for item in result] == ["error"] * 8 + ["created", "error"]
    assert "ean" in result[0]["errors"]
    assert "control characters" in result[1]["errors"]["name"][0]
    assert "at most 200 characters" in result[2]["errors"]["name"][0]
    assert {"name", "default_price", "vat"} <= set(result[3]["errors"])
    assert "negative" in result[4]["errors"]["default_price"][0]
    assert "required" in result[5]["errors"]["sku"][0]
    assert "JSON object" in result[6]["errors"]["__all__"][0]
    assert "required for a new variant" in result[7]["errors"]["default_price"][0]
    assert "variants.0.ean" in result[9]["errors"]
    assert list(ProductVariant.objects.values_list("sku", flat=True)) == ["GOOD"]


def test_fields_the_shop_does_not_store_are_named_in_the_note(client, writer):
    item = {**COAT[2], "friendly_name": "Mug!", "available_on": "2026-12-01"}
    result = answer(send(client, writer, [item]))["items"][0]
    assert result["status"] == "created"
    assert "not stored by this shop: friendly_name, available_on" in result["note"]


def attributes_of(product):
    return sorted(
        (option.definition.name, option.value) for option in product.attribute_options.all()
    )


def test_attributes_are_the_products_whole_list_created_when_missing(client, writer):
    material = AttributeDefinition.objects.create(name="Material", slug="material")
    AttributeOption.objects.create(definition=material, value="Wool", slug="wool")
    mug = {**COAT[2], "attributes": [
        {"atr_name": "material", "atr_val": "wool"},  # the existing ones, any case
        {"atr_name": "Brand", "atr_val": "Nordic", "key": "brand"},
    ]}  # fmt: skip
    assert answer(send(client, writer, [mug]))["items"][0]["status"] == "created"
    product = Product.objects.get(name="Mug")
    assert attributes_of(product) == [("Brand", "Nordic"), ("Material", "Wool")]
    assert AttributeOption.objects.filter(definition=material).count() == 1
    assert not AttributeDefinition.objects.get(slug="brand").varies_per_variant

    again = answer(send(client, writer, [mug]))["items"][0]
    assert again["status"] == "unchanged" and revisions(product) == 1

    changed = answer(
        send(client, writer, [{**mug, "attributes": [{"key": "brand", "atr_val": "Fjord"}]}])
    )
    assert (changed["items"][0]["status"], changed["items"][0]["changed"]) == (
        "updated",
        ["attributes"],
    )
    product = Product.objects.get(pk=product.pk)
    assert attributes_of(product) == [("Brand", "Fjord")] and revisions(product) == 2
    assert [o.value for o in product.live_revision.as_object().attribute_options.all()] == ["Fjord"]
    left_alone = answer(send(client, writer, [{**COAT[2], "default_price": "12.30"}]))
    assert left_alone["items"][0]["status"] == "unchanged"
    cleared = answer(send(client, writer, [{**COAT[2], "attributes": []}]))
    assert cleared["items"][0]["status"] == "updated"
    assert attributes_of(Product.objects.get(pk=product.pk)) == []


def test_bad_attributes_are_the_items_error(client, writer):
    size = AttributeDefinition.objects.create(name="Size", slug="size", varies_per_variant=True)
    body = [
        {**COAT[2], "sku": "A-1", "attributes": "wool"},
        {**COAT[2], "sku": "A-2", "attributes": [{"atr_val": "x"}, "y", {"atr_name": "M"}]},
        {**COAT[2], "sku": "A-3", "attributes": [{"atr_name": "M\x00", "atr_val": "x" * 10}]},
        {**COAT[2], "sku": "A-4", "attributes": [{"atr_name": "size", "atr_val": "XL"}]},
        {**COAT[2], "sku": "A-5", "attributes": [{"atr_name": ["a"], "atr_val": 3}]},
    ]
    items = answer(send(client, writer, body))["items"]
    assert [item["status"] for item in items] == ["error"] * 5
    assert list(items[0]["errors"]) == ["attributes"]
    assert set(items[1]["errors"]) == {
        "attributes.0.atr_name",
        "attributes.1",
        "attributes.2.atr_val",
    }
    assert "control characters" in items[2]["errors"]["attributes.0.atr_name"][0]
    assert "varies per variant" in items[3]["errors"]["attributes.0.atr_name"][0]
    assert "expected text" in items[4]["errors"]["attributes.0.atr_name"][0]
    assert not Product.objects.exists() and not size.options.exists()


def test_writing_products_needs_the_write_catalog_scope(client):
    _, stock_only = make_key("Stock", scopes=["write_stock", "read_catalog"])
    refused = send(client, stock_only, COAT)
    assert refused.status_code == 403 and "write_catalog" in refused.json()["detail"]
    assert not Product.objects.exists()


def test_too_many_variants_in_one_request_is_400(client, writer):
    item = {"name": "Huge", "variants": [{"sku": f"H-{n}", "price": "1"} for n in range(2001)]}
    response = send(client, writer, [item])
    assert response.status_code == 400 and "at most 2000" in response.json()["detail"]
    assert not Product.objects.exists()


def test_written_attributes_reach_an_editors_draft_unless_the_editor_changed_them(client, writer):
    from wagtail.actions.edit import EditAction

    answer(send(client, writer, [COAT[2]]))
    mug = Product.objects.get(name="Mug")
    draft = mug.get_latest_revision_as_object()
    draft.name = "Mug (new)"
    EditAction(draft, publish=False).execute(skip_permission_checks=True)
    wool = {**COAT[2], "attributes": [{"atr_name": "Material", "atr_val": "Wool"}]}

    result = answer(send(client, writer, [wool]))["items"][0]

    assert result["status"] == "updated" and "the draft kept" in result["note"]
    mug = Product.objects.get(pk=mug.pk)
    latest = mug.latest_revision.as_object()
    assert latest.name == "Mug (new)" and attributes_of(latest) == [("Material", "Wool")]
    assert attributes_of(mug) == [("Material", "Wool")]  # and live

    # The editor now picks other attributes in the draft: the next write keeps the editor's.
    latest.attribute_options.set([])
    EditAction(latest, publish=False).execute(skip_permission_checks=True)
    linen = {**COAT[2], "attributes": [{"atr_name": "Material", "atr_val": "Linen"}]}
    result = answer(send(client, writer, [linen]))["items"][0]
    assert "except attributes" in result["note"]
    mug = Product.objects.get(pk=mug.pk)
    assert attributes_of(mug) == [("Material", "Linen")]
    assert attributes_of(mug.latest_revision.as_object()) == []
