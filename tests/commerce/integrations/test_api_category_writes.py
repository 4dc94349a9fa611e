"""An ERP sends categories: AMPER's SendProductCategoriesAsync as POST
/external/v1/categories/ (scope write_catalog), upserted by external_id."""

import json

import pytest

from commerce.models import Category
from commerce.services.catalog_version import catalog_version
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.factories.catalog import make_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    return make_key("ERP", scopes=["write_catalog"])[1]


def send(client, key, body):
    response = client.post(
        f"{BASE}/categories/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 200, response.content
    return response.json()["items"]


TREE = [
    # A child before its parent: written parents first.
    {"external_id": "12", "name": "Pans", "parent_external_id": "10", "order": 2},
    {"external_id": "10", "name": "Kitchen", "description": "Cook.", "seo_tags": "pots, pans"},
    {"external_id": "11", "name": "Pots", "parent_external_id": "10", "order": 1},
]


def test_a_tree_is_created_parents_first_and_a_resend_changes_nothing(client, writer):
    result = send(client, writer, TREE)
    assert [(item["external_id"], item["status"]) for item in result] == [
        ("12", "created"),
        ("10", "created"),
        ("11", "created"),
    ]
    pans = Category.objects.get(external_id="12")
    assert (pans.name, pans.slug_path, pans.sort_order) == ("Pans", "kitchen/pans", 2)
    kitchen = Category.objects.get(external_id="10")
    assert (kitchen.description, kitchen.search_description) == ("Cook.", "pots, pans")
    assert kitchen.is_active

    version = catalog_version()
    assert [item["status"] for item in send(client, writer, TREE)] == ["unchanged"] * 3
    assert catalog_version() == version


def test_an_update_renames_and_moves_a_branch_but_keeps_its_slug(client, writer):
    send(client, writer, TREE)
    make_category("Garden")
    Category.objects.filter(slug="garden").update(external_id="20")
    moved = send(
        client,
        writer,
        [{"external_id": "10", "name": "Cookware", "parent_external_id": "20"}],
    )[0]
    assert moved["status"] == "updated"
    assert set(moved["changed"]) == {"name", "parent_external_id", "description", "seo_tags"}
    assert Category.objects.get(external_id="10").slug_path == "garden/kitchen"
    assert Category.objects.get(external_id="12").slug_path == "garden/kitchen/pans"


def test_a_name_whose_slug_is_taken_gets_a_numbered_slug(client, writer):
    make_category("Kitchen")  # made by staff, no external id
    send(client, writer, [TREE[1]])
    assert Category.objects.get(external_id="10").slug == "kitchen-2"


def test_bad_categories_get_messages_and_the_good_ones_are_written(client, writer):
    body = [
        {"external_id": "1", "name": "Orphan", "parent_external_id": "404"},
        {"external_id": "2", "name": "Self", "parent_external_id": "2"},
        {"external_id": "3", "name": "Null\x00"},
        {"external_id": "4", "name": "x" * 10_000},
        {"external_id": 5, "name": None, "order": "first"},
        {"external_id": "6", "name": "Good"},
        {"external_id": "6", "name": "Twice"},
        {"external_id": "7", "name": "Child of good", "parent_external_id": "6"},
    ]
    result = send(client, writer, body)
    assert [item["status"] for item in result] == ["error"] * 5 + ["created", "error", "created"]
    assert "No category has this id" in result[0]["errors"]["parent_external_id"][0]
    assert "inside itself" in result[1]["errors"]["parent_external_id"][0]
    assert "control characters" in result[2]["errors"]["name"][0]
    assert "120" in result[3]["errors"]["name"][0]
    assert {"external_id", "name", "order"} <= set(result[4]["errors"])
    assert "also item 5" in result[6]["errors"]["external_id"][0]
    assert set(Category.objects.values_list("external_id", flat=True)) == {"6", "7"}


def test_moving_a_category_under_its_own_child_is_refused(client, writer):
    send(client, writer, TREE)
    result = send(client, writer, [{**TREE[1], "parent_external_id": "12"}])[0]
    assert result["status"] == "error"
    assert "inside itself" in result["errors"]["parent_external_id"][0]
    assert Category.objects.get(external_id="10").parent is None


def test_writing_categories_needs_the_write_catalog_scope(client):
    _, reader = make_key("reader")
    response = client.post(
        f"{BASE}/categories/",
        json.dumps(TREE),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {reader}",
    )
    assert response.status_code == 403 and "write_catalog" in response.json()["detail"]
    assert not Category.objects.exists()
