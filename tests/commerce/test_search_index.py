"""A category rename or deletion reindexes its products' search documents
(commerce/services/search_index.py): products are found by their category's name."""

import pytest
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commerce.services import search_index
from commerce.services.catalog.listing import search_product_ids
from tests.factories.catalog import make_category, make_product
from tests.task_queue import DATABASE_QUEUE

pytestmark = pytest.mark.django_db

REINDEX_TASK = search_index.reindex_products_task.module_path


def found(query):
    return set(search_product_ids(query)[0])


@pytest.fixture
def kettles(homepage):
    category = make_category("Kettles")
    products = [make_product(f"Steel item {n}", stock=1, main_category=category) for n in (1, 2)]
    other = make_product("Steel pan", stock=1)
    return category, products, other


def test_renaming_a_category_makes_its_products_findable_by_the_new_name(
    kettles, django_capture_on_commit_callbacks
):
    category, products, other = kettles
    assert found("Kettles") == {p.pk for p in products}
    with django_capture_on_commit_callbacks(execute=True):
        category.name = "Teapots"
        category.save()
    assert found("Teapots") == {p.pk for p in products}
    assert found("Kettles") == set()
    assert other.pk in found("Steel")


def test_deleting_a_category_drops_its_name_from_its_products(
    kettles, django_capture_on_commit_callbacks
):
    category, products, _ = kettles
    with django_capture_on_commit_callbacks(execute=True):
        category.delete()
    assert found("Kettles") == set()
    assert {p.pk for p in products} <= found("Steel")


def test_a_rename_queues_one_reindex_of_its_products_and_other_edits_none(kettles):
    category, products, _ = kettles
    with override_settings(TASKS=DATABASE_QUEUE):
        category.description = "Now with a description"
        category.save()
        assert not DBTaskResult.objects.filter(task_path=REINDEX_TASK).exists()
        category.name = "Teapots"
        category.save()
    [row] = DBTaskResult.objects.filter(task_path=REINDEX_TASK)
    assert row.status == TaskResultStatus.READY
    assert row.args_kwargs["args"] == [sorted(p.pk for p in products)]


def test_reindexing_a_deleted_product_skips_it(kettles):
    _, products, _ = kettles
    assert search_index.reindex_products_task.call([products[0].pk, 10**9]) == 1
