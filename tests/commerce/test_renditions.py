"""Renditions are made on a worker after an upload or a product's publication
(commerce/services/renditions.py), on the real database queue run in this process."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.images.models import Filter

from commerce.services import renditions
from tests.factories.catalog import hero_value, make_image, make_product
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

WARM_TASK = renditions.warm_renditions_task.module_path


@pytest.fixture
def database_queue(monkeypatch):
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


def queued_images():
    rows = DBTaskResult.objects.filter(task_path=WARM_TASK, status=TaskResultStatus.READY)
    return sorted(row.args_kwargs["args"][0] for row in rows)


@pytest.mark.django_db
def test_an_upload_queues_its_renditions_and_the_worker_makes_them(database_queue):
    image = make_image(size=(64, 48))
    assert queued_images() == [image.pk]
    assert not image.renditions.exists()

    run_ready_tasks()
    specs = renditions.rendition_filters()
    [row] = DBTaskResult.objects.filter(task_path=WARM_TASK)
    assert (row.status, row.return_value) == (TaskResultStatus.SUCCESSFUL, len(specs))
    assert sorted(image.renditions.values_list("filter_spec", flat=True)) == sorted(specs)

    # Again (a retry, a second save): nothing new.
    assert renditions.warm_renditions_task.call(image.pk) == 0
    assert image.renditions.count() == len(specs)


@pytest.mark.django_db
def test_a_rolled_back_upload_queues_nothing(database_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_image()
        raise RuntimeError("the upload form failed after saving")
    assert queued_images() == []


@pytest.mark.django_db
def test_publishing_a_product_queues_its_pictures(database_queue):
    product = make_product("Kettle", stock=1, images=2, publish=False)
    gallery = sorted(product.images.values_list("image_id", flat=True))
    DBTaskResult.objects.all().delete()  # the uploads' own
    product.save_revision().publish()
    assert queued_images() == gallery


@pytest.mark.django_db
def test_publishing_a_page_queues_the_pictures_its_blocks_show(homepage, database_queue):
    hero, second, unused = make_image("Hero"), make_image("Second"), make_image("Unused")
    DBTaskResult.objects.all().delete()  # the uploads' own
    homepage.body = [
        ("hero_banner", hero_value("Sale", image=hero)),
        ("hero_banner", hero_value("New in", image=second)),
    ]
    homepage.save_revision().publish()
    assert queued_images() == sorted([hero.pk, second.pk])
    assert unused.pk not in queued_images()


@pytest.mark.django_db
def test_an_image_deleted_since_it_was_queued_is_left_alone():
    assert renditions.warm_renditions_task.call(10**9) == 0


@pytest.mark.django_db
def test_the_immediate_backend_queues_nothing_and_makes_nothing_on_upload(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image()
    assert not image.renditions.exists()


# `{% picture x SPECS attr=... %}`, `{% image x SPECS ... %}`, `{% product_picture x SPECS %}`
IMAGE_TAG = re.compile(r"{%\s*(?:picture|image|product_picture)\s+\S+\s+(.*?)%}")


def template_specs():
    specs = set()
    folders = [Path(settings.BASE_DIR) / folder for folder in ("commerce", "pages", "templates")]
    for folder in folders:
        for template in folder.rglob("*.html"):
            if "/admin/" in str(template):
                continue  # the admin's thumbnails are the editors', made as they browse
            for arguments in IMAGE_TAG.findall(template.read_text()):
                pattern = [b for b in arguments.split() if "=" not in b and "-" in b]
                specs.update(Filter.expand_spec(pattern))
    return specs


def test_every_spec_a_template_asks_for_is_warmed():
    found = template_specs()
    assert "format-webp|fill-240x240" in found  # the scan finds the product tiles
    assert found - set(renditions.rendition_filters()) == set()
