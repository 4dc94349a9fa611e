"""An ERP says which product sits in which category and which products a product's page
recommends: AMPER's SendProductCategoriesRelationAsyncsAsync and SendRelatedProductsAsync as
POST /external/v1/product-categories/ and /related-products/ (scope write_catalog), written
as revisions of the products by the catalog writer (`catalog_import.links`)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.actions.edit import EditAction
from wagtail.actions.unpublish import UnpublishAction
from wagtail.models import ModelLogEntry, Revision

from commerce.models import Category, Product, RelatedProduct
from commerce.services.catalog_version import catalog_version
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.factories.catalog import make_attribute, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    return make_key("Comarch ERP", scopes=["write_catalog"])[1]


def send(client, key, path, body):
    return client.post(
        f"{BASE}/{path}/",
        body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )


def answer(response):
    assert response.status_code == 200, response.content
    return response.json()


def product(name, *skus):
    """A published product with a variant per SKU (sizes S, M, … when more than one)."""
    if len(skus) == 1:
        return make_product(name, sku=skus[0])
    size, options = make_attribute(
        f"Size of {name}", [f"S{n}" for n in range(len(skus))], varies_per_variant=True
    )
    return make_product(
        name,
        axes=[size],
        variants=[
            {"sku": sku, "options": [option]} for sku, option in zip(skus, options, strict=False)
        ],
    )


def category(external_id, name=None):
    return Category.objects.create(
        name=name or external_id.title(), slug=external_id.lower(), external_id=external_id
    )


def revisions(of):
    return Revision.objects.for_instance(of).count()


def links(of):
    of = Product.objects.get(pk=of.pk)
    return of.main_category_id, sorted(c.pk for c in of.additional_categories.all())


def statuses(body):
    return [(item["status"], item["changed"]) for item in body["items"]]


# --- Product–category relations ----------------------------------------------------------------


def test_relations_are_written_as_one_revision_per_product_and_a_resend_changes_nothing(
    client, writer
):
    coat, mug = product("Coat", "COAT-S", "COAT-M"), product("Mug", "MUG-1")
    coats, sale, kitchen = category("COATS"), category("SALE"), category("KITCHEN")
    body = [
        {"external_id": "R1", "product_external_id": "COAT-M", "category_external_id": "COATS",
         "is_main": True},
        {"external_id": "R2", "product_external_id": "COAT-S", "category_external_id": "SALE"},
        {"external_id": "R3", "product_external_id": "MUG-1", "category_external_id": "KITCHEN",
         "is_main": True},
    ]  # fmt: skip
    before = catalog_version()

    result = answer(send(client, writer, "product-categories", body))

    assert result["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "error": 0}
    assert [item["external_id"] for item in result["items"]] == ["R1", "R2", "R3"]
    assert links(coat) == (coats.pk, [sale.pk])
    assert links(mug) == (kitchen.pk, [])
    assert catalog_version() != before  # cached category pages refresh
    # One published revision per product, with the links in it.
    assert revisions(coat) == 2 and revisions(mug) == 2
    live = Product.objects.get(pk=coat.pk).live_revision.as_object()
    assert live.main_category_id == coats.pk
    assert [c.pk for c in live.additional_categories.all()] == [sale.pk]
    entries = ModelLogEntry.objects.filter(object_id=str(coat.pk), action="commerce.catalog_write")
    assert [entry.data["source"] for entry in entries] == ["the ERP, API key “Comarch ERP”"]

    version = catalog_version()
    again = answer(send(client, writer, "product-categories", body))
    assert again["counts"]["unchanged"] == 3
    assert revisions(coat) == 2 and catalog_version() == version


def test_main_additional_and_removal_follow_the_documented_rules(client, writer):
    coat = product("Coat", "COAT-S")
    coats, sale, winter = category("COATS"), category("SALE"), category("WINTER")

    def relate(**item):
        body = [{"product_external_id": "COAT-S", **item}]
        return answer(send(client, writer, "product-categories", body))["items"][0]

    assert relate(category_external_id="COATS", is_main=True)["status"] == "created"
    assert relate(category_external_id="SALE")["status"] == "created"
    # Without is_main a main category stays main.
    assert relate(category_external_id="COATS")["status"] == "unchanged"
    assert links(coat) == (coats.pk, [sale.pk])
    # An additional category made main: no longer additional; the former main one goes.
    result = relate(category_external_id="SALE", is_main=True)
    assert (result["status"], result["changed"]) == (
        "updated",
        ["main_category", "additional_categories"],
    )
    assert links(coat) == (sale.pk, [])
    # is_main false on the main category: it becomes an additional one.
    assert relate(category_external_id="SALE", is_main=False)["status"] == "updated"
    assert links(coat) == (None, [sale.pk])
    assert relate(category_external_id="WINTER", is_main=True)["status"] == "created"
    result = relate(category_external_id="WINTER", remove=True)
    assert (result["status"], result["note"]) == ("updated", "taken out of the category")
    assert links(coat) == (None, [sale.pk])
    assert relate(category_external_id="WINTER", remove=True)["status"] == "unchanged"
    assert winter.pk not in links(coat)[1]


def test_bad_relations_get_messages_and_the_good_ones_are_written(client, writer):
    coat = product("Coat", "COAT-S")
    coats = category("COATS")
    category("SALE")
    body = [
        {"product_external_id": "NOPE", "category_external_id": "COATS"},
        {"product_external_id": "COAT-S", "category_external_id": "UNKNOWN"},
        {"product_external_id": "COAT-S\u0000", "category_external_id": "COATS"},
        {"product_external_id": "C" * 10_000, "category_external_id": "COATS"},
        {"product_external_id": ["COAT-S"], "category_external_id": 7},
        "COAT-S",
        {"product_external_id": "COAT-S", "category_external_id": "COATS", "is_main": "maybe"},
        {"product_external_id": "COAT-S", "category_external_id": "COATS", "is_main": True},
        {"product_external_id": "COAT-S", "category_external_id": "SALE", "is_main": True},
    ]

    items = answer(send(client, writer, "product-categories", body))["items"]

    assert [item["status"] for item in items] == ["error"] * 7 + ["created", "error"]
    assert items[0]["errors"] == {
        "product_external_id": ["No product has a variant with this SKU."]
    }
    assert list(items[1]["errors"]) == ["category_external_id"]
    assert "control characters" in items[2]["errors"]["product_external_id"][0]
    assert "at most 100 characters" in items[3]["errors"]["product_external_id"][0]
    assert set(items[4]["errors"]) == {"product_external_id", "category_external_id"}
    assert items[5]["errors"] == {"__all__": ["Each item must be a JSON object."]}
    assert list(items[6]["errors"]) == ["is_main"]
    assert items[8]["errors"] == {
        "is_main": ["Item 7 makes another category this product's main one."]
    }
    assert links(coat) == (coats.pk, [])


def test_a_product_scheduled_in_the_admin_is_not_touched(client, writer):
    coat = product("Coat", "COAT-S")
    category("COATS")
    draft = coat.get_latest_revision_as_object()
    draft.go_live_at = timezone.now() + timedelta(days=1)
    draft.save_revision().publish()
    body = [{"product_external_id": "COAT-S", "category_external_id": "COATS"}]

    [item] = answer(send(client, writer, "product-categories", body))["items"]

    assert item["status"] == "error"
    assert "A publication is scheduled" in item["errors"]["__all__"][0]
    assert links(coat) == (None, [])


def test_an_editors_draft_is_kept_and_gets_the_relations_it_did_not_change(client, writer):
    coat = product("Coat", "COAT-S")
    coats, sale = category("COATS"), category("SALE")
    draft = coat.get_latest_revision_as_object()
    draft.name = "Coat (new)"
    draft.main_category = sale  # the editor chose a main category in the draft
    EditAction(draft, publish=False).execute(skip_permission_checks=True)
    body = [
        {"product_external_id": "COAT-S", "category_external_id": "COATS", "is_main": True},
        {"product_external_id": "COAT-S", "category_external_id": "SALE", "is_main": False},
    ]

    items = answer(send(client, writer, "product-categories", body))["items"]

    assert "the draft kept" in items[0]["note"] and "except main_category" in items[0]["note"]
    coat.refresh_from_db()
    assert (coat.name, coat.main_category_id) == ("Coat", coats.pk)  # live: the ERP's
    latest = coat.latest_revision.as_object()
    assert coat.has_unpublished_changes
    assert latest.name == "Coat (new)" and latest.main_category_id == sale.pk  # the editor's
    assert [c.pk for c in latest.additional_categories.all()] == [sale.pk]  # carried over


def test_a_product_that_is_not_live_gets_a_draft_revision(client, writer):
    coat = product("Coat", "COAT-S")
    UnpublishAction(coat).execute(skip_permission_checks=True)
    coats = category("COATS")

    [item] = answer(
        send(client, writer, "product-categories", [
            {"product_external_id": "COAT-S", "category_external_id": "COATS"}
        ])
    )["items"]  # fmt: skip

    assert item["status"] == "created" and "saved as a draft" in item["note"]
    coat.refresh_from_db()
    assert not coat.live and links(coat) == (None, [coats.pk])


# --- Related products -------------------------------------------------------------------------


def related(of):
    return list(
        RelatedProduct.objects.filter(product=of)
        .order_by("sort_order")
        .values_list("related__name", flat=True)
    )


def test_related_products_are_set_in_order_and_a_resend_changes_nothing(client, writer):
    coat = product("Coat", "COAT-S", "COAT-M")
    product("Scarf", "SCARF-1")
    product("Hat", "HAT-1")
    product("Gloves", "GLOVES-1")
    body = [
        {"external_id": "COAT-M", "related_products": [
            {"external_id": "HAT-1"}, {"external_id": "SCARF-1"}, {"external_id": "GLOVES-1"}
        ]},
    ]  # fmt: skip

    [item] = answer(send(client, writer, "related-products", body))["items"]

    assert (item["status"], item["changed"]) == ("updated", ["related_products"])
    assert related(coat) == ["Hat", "Scarf", "Gloves"]
    assert Product.objects.related_to(coat) == list(
        Product.objects.filter(name__in=["Hat", "Scarf", "Gloves"])
        .order_by("related_from__sort_order")
        .values_list("pk", flat=True)
    )
    assert revisions(coat) == 2

    version = catalog_version()
    assert answer(send(client, writer, "related-products", body))["counts"]["unchanged"] == 1
    assert revisions(coat) == 2 and catalog_version() == version

    reordered = [{"external_id": "COAT-S", "related_products": [{"external_id": "SCARF-1"}]}]
    assert answer(send(client, writer, "related-products", reordered))["counts"]["updated"] == 1
    assert related(coat) == ["Scarf"]
    cleared = [{"external_id": "COAT-S", "related_products": []}]
    assert answer(send(client, writer, "related-products", cleared))["counts"]["updated"] == 1
    assert related(coat) == []


def test_bad_related_products_get_messages_and_the_good_ones_are_written(client, writer):
    coat, scarf = product("Coat", "COAT-S", "COAT-M"), product("Scarf", "SCARF-1", "SCARF-2")
    product("Hat", "HAT-1")
    body = [
        {"external_id": "NOPE", "related_products": []},
        {"external_id": "COAT-S", "related_products": [{"external_id": "COAT-M"}]},
        {"external_id": "COAT-S", "related_products": [
            {"external_id": "HAT-1"}, {"external_id": "X"}
        ]},
        {"external_id": "HAT-1", "related_products": [{"external_id": "H\u0000"}]},
        {"external_id": "HAT-1", "related_products": "SCARF-1"},
        {"external_id": "HAT-1", "related_products": [{"external_id": "COAT-S"}] * 101},
        {"external_id": "SCARF-1", "related_products": [
            {"external_id": "HAT-1"}, {"external_id": "COAT-S"}, {"external_id": "COAT-M"}
        ]},
        {"external_id": "SCARF-2", "related_products": []},
    ]  # fmt: skip

    items = answer(send(client, writer, "related-products", body))["items"]

    assert [item["status"] for item in items] == ["error"] * 6 + ["updated", "error"]
    assert items[0]["errors"] == {"external_id": ["No product has a variant with this SKU."]}
    assert items[1]["errors"] == {
        "related_products.0.external_id": ["A product cannot be related to itself."]
    }
    assert items[2]["errors"] == {
        "related_products.1.external_id": ["No product has a variant with this SKU."]
    }
    assert list(items[3]["errors"]) == ["related_products.0.external_id"]
    assert list(items[4]["errors"]) == ["related_products"]
    assert list(items[5]["errors"]) == ["related_products"]
    assert items[6]["note"] == "the same product as an earlier one, listed once: COAT-M"
    assert items[7]["errors"] == {"external_id": ["The same product as item 6."]}
    assert related(scarf) == ["Hat", "Coat"]
    assert related(coat) == []


@pytest.mark.parametrize("path", ["product-categories", "related-products"])
def test_writing_relations_needs_the_write_catalog_scope(client, path):
    reader = make_key("Feed", scopes=["read_catalog"])[1]
    assert send(client, reader, path, []).status_code == 403
    assert send(client, "sfk_wrong", path, []).status_code == 401
