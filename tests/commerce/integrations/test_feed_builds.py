"""Price-comparison feeds are built by tasks: queued once, built under a lock, stale ones
served while their rebuild waits (commerce/integrations/services/price_feeds.py).

These tests run the real database queue (django-tasks-db) and its worker loop in this
process, as tests/commerce/test_task_retries.py does; the race runs two builders in
threads with their own connections on PostgreSQL.
"""

import threading
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.models import PageViewRestriction, Site

from commerce.integrations.models import PriceFeedBuild
from commerce.integrations.services import price_feeds as feeds
from commerce.services.catalog_version import catalog_version
from pages.models import BrandingSettings, FooterSettings
from tests.factories.catalog import make_product, make_shop, make_warehouse
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

CACHE = "X-Storefront-Cache"
BUILD_TASK = feeds.build_feed_task.module_path


@pytest.fixture
def shop(homepage):
    shop = make_shop(homepage)
    site = Site.objects.get(is_default_site=True)
    BrandingSettings.for_site(site)
    FooterSettings.for_site(site)
    make_warehouse("main")
    return shop


@pytest.fixture
def site(shop):
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def database_queue(monkeypatch):
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


def queued_builds():
    return list(
        DBTaskResult.objects.filter(task_path=BUILD_TASK, status=TaskResultStatus.READY)
        .order_by("enqueued_at")
        .values_list("args_kwargs", flat=True)
    )


def fetch(client, kind="ceneo"):
    response = client.get(f"/feeds/{kind}.xml")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.mark.django_db
def test_a_cold_feed_answers_503_and_queues_one_build(client, site, database_queue):
    make_product("Kettle", stock=1)
    first, body = fetch(client)
    assert first.status_code == 503
    assert first["Retry-After"] == "60"
    assert "no-store" in first["Cache-Control"]
    assert b"being built" in body
    second, _ = fetch(client)
    assert second.status_code == 503
    assert queued_builds() == [{"args": ["ceneo", site.pk], "kwargs": {}}]
    assert not PriceFeedBuild.objects.exists()

    fetch(client, "google")  # another feed is another build
    assert len(queued_builds()) == 2

    run_ready_tasks()
    assert queued_builds() == []
    response, body = fetch(client)
    assert (response.status_code, response[CACHE]) == (200, "hit")
    assert b"Kettle" in body
    assert queued_builds() == []  # a fresh feed queues nothing


@pytest.mark.django_db
def test_a_stale_feed_is_served_while_its_rebuild_waits(client, site, database_queue):
    product = make_product("Old name", stock=1)
    assert feeds.build_feed_task.call("ceneo", site.pk) == "built"
    product.name = "New name"
    product.save_revision().publish()  # a new catalog version

    for _ in range(2):
        response, body = fetch(client)
        assert (response.status_code, response[CACHE]) == (200, "stale")
        assert b"Old name" in body
    assert len(queued_builds()) == 1

    run_ready_tasks()
    response, body = fetch(client)
    assert response[CACHE] == "hit"
    assert b"New name" in body and b"Old name" not in body


@pytest.mark.django_db
def test_a_feed_past_its_age_is_served_while_its_rebuild_waits(
    client, site, database_queue, settings
):
    settings.STOREFRONT_FEED_MAX_AGE_SECONDS = 600
    make_product("Kettle", stock=1)
    feeds.build_feed_task.call("ceneo", site.pk)
    build = PriceFeedBuild.objects.get()
    PriceFeedBuild.objects.update(generated_at=build.generated_at - timedelta(seconds=590))
    assert fetch(client)[0][CACHE] == "hit"
    assert queued_builds() == []
    PriceFeedBuild.objects.update(generated_at=build.generated_at - timedelta(seconds=600))
    assert fetch(client)[0][CACHE] == "stale"
    assert len(queued_builds()) == 1


@pytest.mark.django_db
def test_a_shop_that_went_private_serves_no_stale_feed(client, site, shop, database_queue):
    make_product("Kettle", stock=1)
    feeds.build_feed_task.call("ceneo", site.pk)
    PageViewRestriction.objects.create(page=shop, restriction_type="password", password="x")
    assert fetch(client)[0].status_code == 404
    assert queued_builds() == []
    # The scheduler's rebuild finds no public shop and removes the builds and their files.
    name = PriceFeedBuild.objects.get().file_name
    assert feeds.rebuild_stale_feeds_task.call() == [f"ceneo:{site.pk}"]
    run_ready_tasks()
    assert not PriceFeedBuild.objects.exists()
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_rebuild_stale_feeds_queues_only_stale_feeds_someone_asked_for(
    client, site, database_queue, settings
):
    settings.STOREFRONT_FEED_MAX_AGE_SECONDS = 0  # only a new catalog version makes it stale
    product = make_product("Kettle", stock=1)
    feeds.build_feed_task.call("ceneo", site.pk)
    assert feeds.rebuild_stale_feeds_task.call() == []  # fresh; google never asked for

    product.name = "Pan"
    product.save_revision().publish()
    assert feeds.rebuild_stale_feeds_task.call() == [f"ceneo:{site.pk}"]
    assert feeds.rebuild_stale_feeds_task.call() == []  # already queued
    assert len(queued_builds()) == 1
    run_ready_tasks()
    assert PriceFeedBuild.objects.of("ceneo", site.pk).first().version == catalog_version()
    assert not PriceFeedBuild.objects.filter(feed="google").exists()


@pytest.mark.django_db
def test_a_second_queued_build_of_a_fresh_feed_does_nothing(site, database_queue):
    make_product("Kettle", stock=1)
    feeds.build_feed_task.enqueue("ceneo", site.pk)
    feeds.build_feed_task.enqueue("ceneo", site.pk)
    run_ready_tasks()
    results = DBTaskResult.objects.filter(task_path=BUILD_TASK).order_by("enqueued_at")
    assert sorted(r.return_value for r in results) == ["built", "fresh"]
    assert PriceFeedBuild.objects.count() == 1


@pytest.mark.django_db
def test_a_build_for_a_site_or_feed_that_is_not_there_does_nothing(site):
    assert feeds.build_feed_task.call("ceneo", site.pk + 1000) == "no shop"
    assert feeds.build_feed_task.call("bing", site.pk) == "unknown feed"
    assert not PriceFeedBuild.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_two_builders_at_once_build_the_feed_once(site, monkeypatch):
    """Builder A holds the lock mid-build; builder B, started then, returns without
    building. Without the lock B finds no finished build and builds a second time."""
    make_product("Kettle", stock=1)
    started, release = threading.Event(), threading.Event()
    renders = []
    real_render = feeds.render_feed

    def slow_render(*args, **kwargs):
        renders.append(threading.current_thread().name)
        started.set()
        assert release.wait(timeout=30)
        yield from real_render(*args, **kwargs)

    monkeypatch.setattr(feeds, "render_feed", slow_render)
    results = {}

    def build(name):
        try:
            results[name] = feeds.build_feed_task.call("ceneo", site.pk)
        finally:
            connections.close_all()

    a = threading.Thread(target=build, args=("a",), name="a")
    a.start()
    try:
        assert started.wait(timeout=30)
        b = threading.Thread(target=build, args=("b",), name="b")
        b.start()
        b.join(timeout=30)
    finally:
        release.set()
        a.join(timeout=30)
    assert results == {"a": "built", "b": "locked"}
    assert renders == ["a"]
    assert PriceFeedBuild.objects.count() == 1
    # The lock is free again: a later build runs (and finds the feed fresh).
    assert feeds.build_feed_task.call("ceneo", site.pk) == "fresh"
