"""Batch writes in a job: `Prefer: respond-async` on POST /products/, /categories/,
/stock-locations/ and /stocks/ answers 202 with a job the task queue runs through the
same writer as the synchronous answer; the client polls GET /jobs/<id>/ for the report.

The jobs run on django-tasks-db's real queue table, by its own worker loop in this
process (tests/task_queue.py)."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.models import ModelLogEntry, Revision

from commerce.integrations.api.v1 import api
from commerce.integrations.models import BatchJob, BatchJobStatus
from commerce.integrations.services import batch_jobs, catalog_sync
from commerce.models import Category, Product, Warehouse
from tests.commerce.integrations.test_api_stock_writes import buyer, stock_row, units
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.factories.catalog import make_category, make_product, make_warehouse
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

pytestmark = pytest.mark.django_db

ALL_WRITES = ["write_catalog", "write_stock"]
JOB_URL = re.compile(r"http://testserver/external/v1/jobs/([0-9a-f-]{36})/")


@pytest.fixture(autouse=True)
def _database_queue(monkeypatch):
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


@pytest.fixture
def erp():
    return make_key("Comarch ERP", scopes=ALL_WRITES)


@pytest.fixture
def key(erp):
    return erp[1]


def send(client, path, key, body, *, prefer="respond-async", **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    if prefer:
        headers["HTTP_PREFER"] = prefer
    return client.post(
        f"{BASE}{path}" + (f"?{query}" if query else ""),
        body if isinstance(body, str | bytes) else json.dumps(body),
        content_type="application/json",
        **headers,
    )


def accepted(response) -> str:
    """The job's URL from a 202, checked against its body."""
    assert response.status_code == 202, response.content
    location = response["Location"]
    assert JOB_URL.fullmatch(location)
    assert response["Preference-Applied"] == "respond-async"
    body = response.json()
    assert body["url"] == location and body["status"] == "queued"
    assert body["id"] == JOB_URL.fullmatch(location)[1]
    return location


def poll(client, url, key):
    return client.get(url, HTTP_AUTHORIZATION=f"Api-Key {key}")


def finished(client, url, key) -> dict:
    run_ready_tasks()
    response = poll(client, url, key)
    assert response.status_code == 200, response.content
    assert "Retry-After" not in response
    return response.json()


# Each kind with a batch mixing good items, bad ones and a non-object, in an order the
# writer does not keep internally (a parent after its child, a product's two items).
COAT = [
    {"external_id": "COAT-S", "product": "coat", "name": "Coat", "default_price": "199.00",
     "options": {"size": "S"}},
    {"external_id": "COAT-M", "product": "coat", "default_price": 209, "options": {"size": "M"}},
    {"sku": "MUG-2", "name": "Mug", "default_price": "12.30", "vat": "8"},
    {"sku": "BAD-1", "name": "Bad", "default_price": "-1"},
    "not an object",
    {"sku": "NUL-1", "name": "a\u0000b", "default_price": "1", "options": {"\u0000k": "v"}},
]  # fmt: skip
CATEGORIES = [
    {"external_id": "mugs", "name": "Mugs", "parent_external_id": "kitchen"},
    {"external_id": "kitchen", "name": "Kitchen", "order": 2},
    {"external_id": "a b", "name": "Spaces"},
    {"external_id": "x", "name": 12},
    {"external_id": "nowhere", "name": "Lost", "parent_external_id": "nope"},
    {"external_id": "mugs", "name": "Again"},
    {"external_id": "\u0000", "name": "Nul"},
]
LOCATIONS = [
    {"external_id": "MAG-01", "name": "Poznań"},
    {"external_id": "main", "name": "Main renamed"},
    {"external_id": "a b", "name": "Spaces"},
    {"external_id": "MAG-01", "name": "Twice"},
    7,
]
STOCKS = [
    stock_row("MUG-1", 3),
    stock_row("MUG-1", "4.00", code="north"),
    stock_row("NOPE", 1),
    stock_row("MUG-1", "٣", code="south"),
    stock_row("MUG-1", 1.5, code="nowhere"),
    stock_row("MUG-1", 2, external_id="again"),
]
RELATIONS = [
    {"product_external_id": "MUG-1", "category_external_id": "KITCHEN", "is_main": True},
    {"product_external_id": "NOPE", "category_external_id": "KITCHEN"},
    {"product_external_id": "MUG-1", "category_external_id": "\u0000"},
]
RELATED = [
    {"external_id": "MUG-1", "related_products": [{"external_id": "CUP-1"}]},
    {"external_id": "CUP-1", "related_products": [{"external_id": "CUP-1"}]},
    "not an object",
]
STATUSES = {
    "/product-categories/": ["created", "error", "error"],
    "/related-products/": ["updated", "error", "error"],
    "/products/": ["created"] * 3 + ["error"] * 3,
    "/categories/": ["created"] * 3 + ["error"] * 4,
    "/stock-locations/": ["created", "updated"] + ["error"] * 3,
    "/stocks/": ["updated", "created"] + ["error"] * 4,
}
KINDS = [
    ("/products/", COAT),
    ("/categories/", CATEGORIES),
    ("/stock-locations/", LOCATIONS),
    ("/stocks/", STOCKS),
    ("/product-categories/", RELATIONS),
    ("/related-products/", RELATED),
]


@pytest.fixture
def shop():
    """What each kind's batch refers to: warehouses, a product with stock, another product
    and a category from the ERP."""
    make_warehouse("north")
    make_category("Kitchen", external_id="KITCHEN")
    make_product("Cup", sku="CUP-1")
    return make_product("Mug", sku="MUG-1", stock={"main": 5})


@pytest.mark.parametrize(("path", "body"), KINDS, ids=[path for path, _ in KINDS])
def test_each_kind_answers_202_writes_nothing_until_its_job_runs(client, key, shop, path, body):
    before = (Product.objects.count(), Category.objects.count(), Warehouse.objects.count())
    url = accepted(send(client, path, key, body))
    job = BatchJob.objects.get()
    assert (job.status, job.item_count, job.tries) == ("queued", len(body), 0)
    assert (Product.objects.count(), Category.objects.count(), Warehouse.objects.count()) == before
    assert units("MUG-1") == 5

    waiting = poll(client, url, key)
    assert waiting.status_code == 200 and waiting["Retry-After"] == "5"
    assert waiting.json()["status"] == "queued" and waiting.json()["report"] is None

    done = finished(client, url, key)
    assert done["status"] == "done" and done["error"] == ""
    assert len(done["report"]["items"]) == len(body)
    assert sum(done["report"]["counts"].values()) == len(body)
    assert done["started_at"] <= done["finished_at"]


@pytest.mark.parametrize(("path", "body"), KINDS, ids=[path for path, _ in KINDS])
def test_a_jobs_report_is_the_synchronous_answer_to_the_same_items(client, key, shop, path, body):
    with transaction.atomic():
        now = send(client, path, key, body, prefer="")
        assert now.status_code == 200, now.content
        transaction.set_rollback(True)  # as if never sent: the job starts from the same shop
    assert not BatchJob.objects.exists() and units("MUG-1") == 5

    report = finished(client, accepted(send(client, path, key, body)), key)["report"]
    assert report == now.json()
    # Not a vacuous match: the batch's good and bad items, in the order sent.
    assert [item["index"] for item in report["items"]] == list(range(len(body)))
    assert [item["status"] for item in report["items"]] == STATUSES[path]


def test_a_resent_job_changes_nothing(client, key):
    first = finished(client, accepted(send(client, "/products/", key, COAT[:3])), key)
    assert first["report"]["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "error": 0}
    coat = Product.objects.get(name="Coat")
    revisions = Revision.objects.for_instance(coat).count()

    again = finished(client, accepted(send(client, "/products/", key, COAT[:3])), key)
    assert again["report"]["counts"] == {"created": 0, "updated": 0, "unchanged": 3, "error": 0}
    assert Revision.objects.for_instance(coat).count() == revisions


def test_the_job_writes_as_its_key_and_drops_the_items_once_done(client, key):
    url = accepted(send(client, "/products/", key, COAT[2:3]))
    assert json.loads(BatchJob.objects.get().items) == COAT[2:3]
    finished(client, url, key)
    mug = Product.objects.get(name="Mug")
    entry = ModelLogEntry.objects.get(object_id=str(mug.pk), action="commerce.catalog_write")
    assert entry.data["source"] == "the ERP, API key “Comarch ERP”"
    assert BatchJob.objects.get().items == ""


def test_running_a_done_job_again_does_nothing(client, key):
    url = accepted(send(client, "/products/", key, COAT[:3]))
    done = finished(client, url, key)
    job = BatchJob.objects.get()
    revisions = Revision.objects.count()

    assert batch_jobs.run_batch_job(job.pk) == "done"
    again = BatchJob.objects.get()
    assert (again.tries, again.started_at, again.finished_at, again.report) == (
        1,
        job.started_at,
        job.finished_at,
        job.report,
    )
    assert Revision.objects.count() == revisions
    assert poll(client, url, key).json()["report"] == done["report"]


def test_the_job_is_running_while_its_writer_writes(client, key, monkeypatch):
    seen = []
    real = batch_jobs.writer

    def watching(kind):
        def write(items, *, key, params):
            seen.append(BatchJob.objects.values_list("status", "started_at", "finished_at").get())
            return real(kind)(items, key=key, params=params)

        return write

    monkeypatch.setattr(batch_jobs, "writer", watching)
    url = accepted(send(client, "/categories/", key, CATEGORIES[:2]))
    assert finished(client, url, key)["status"] == "done"
    [(status, started, ended)] = seen
    assert status == "running" and started is not None and ended is None


# --- Who may read a job ----------------------------------------------------------------------


def test_a_job_is_visible_only_to_its_key(client, key):
    url = accepted(send(client, "/categories/", key, CATEGORIES[:2]))
    _, other_writer = make_key("Other ERP", scopes=ALL_WRITES)
    _, reader = make_key("Ceneo", scopes=["read_catalog"])
    for stranger in (other_writer, reader):
        refused = poll(client, url, stranger)
        assert refused.status_code == 404 and refused.json() == {"detail": "Not Found"}
    assert client.get(url).status_code == 401
    assert client.get(url, {"api_key": "sfk_nope"}).status_code == 401
    assert poll(client, url, key).status_code == 200
    # The list too.
    assert client.get(f"{BASE}/jobs/", HTTP_AUTHORIZATION=f"Api-Key {other_writer}").json() == []


def test_any_good_key_may_list_its_jobs_even_without_scopes(client):
    _, nothing = make_key("nothing", scopes=[])
    response = client.get(f"{BASE}/jobs/", {"api_key": nothing})
    assert response.status_code == 200 and response.json() == []
    assert client.get(f"{BASE}/jobs/").status_code == 401


@pytest.mark.parametrize(
    ("job_id", "status"),
    [
        ("nope", 404),
        ("12", 404),
        ("x" * 5000, 404),
        (str(uuid.uuid4()), 404),
        ("%F0%9F%92%A9", 404),
        # The site refuses a NUL anywhere in a URL before any view.
        ("%00", 400),
        ("00000000-0000-0000-0000-000000000000%00", 400),
    ],
    ids=["word", "number", "huge", "unknown", "emoji", "nul", "uuid-nul"],
)
def test_a_bad_or_unknown_job_id_is_a_4xx_never_500(client, key, job_id, status):
    response = client.get(f"{BASE}/jobs/{job_id}/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == status
    if status == 404:
        assert response.json() == {"detail": "Not Found"}


def test_the_list_pages_the_keys_jobs_newest_first(client, key):
    urls = [accepted(send(client, "/stock-locations/", key, LOCATIONS[:1])) for _ in range(3)]
    _, other = make_key("Other ERP", scopes=ALL_WRITES)
    accepted(send(client, "/stock-locations/", other, LOCATIONS[:1]))
    response = client.get(f"{BASE}/jobs/", {"page_size": 2}, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200
    assert response["X-Total-Count"] == "3" and 'rel="next"' in response["Link"]
    assert [job["url"] for job in response.json()] == urls[::-1][:2]
    assert "report" not in response.json()[0]


def test_reading_jobs_costs_the_same_few_queries_however_many(
    client, key, django_assert_num_queries
):
    def list_jobs():
        return client.get(f"{BASE}/jobs/", HTTP_AUTHORIZATION=f"Api-Key {key}").json()

    url = accepted(send(client, "/stock-locations/", key, LOCATIONS[:1]))
    for jobs in (1, 6):
        with django_assert_num_queries(3):  # the key, a COUNT, the page
            assert len(list_jobs()) == jobs
        with django_assert_num_queries(2):  # the key, the job
            assert poll(client, url, key).status_code == 200
        for _ in range(5):
            accepted(send(client, "/stock-locations/", key, LOCATIONS[:1]))


# --- Whole-body checks answer at once --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"external_id": "x"}', 400, "JSON array"),
        ("[1, 2", 400, "JSON array"),
        ("", 400, "JSON array"),
    ],
)
def test_a_body_that_is_no_array_is_400_at_once_and_makes_no_job(
    client, key, body, status, message
):
    response = send(client, "/stocks/", key, body)
    assert response.status_code == status and message in response.json()["detail"]
    assert not BatchJob.objects.exists()


def test_scope_and_rate_limit_answer_at_once_and_make_no_job(client, key, settings):
    _, stock_only = make_key("Stock", scopes=["write_stock"])
    refused = send(client, "/products/", stock_only, COAT)
    assert refused.status_code == 403 and "write_catalog" in refused.json()["detail"]
    assert client.post(f"{BASE}/stocks/", "[]", "application/json", HTTP_PREFER="respond-async")\
        .status_code == 401  # fmt: skip
    settings.STOREFRONT_RATE_LIMITS = {**settings.STOREFRONT_RATE_LIMITS, "api_writes_key": "1/m"}
    accepted(send(client, "/stock-locations/", key, []))
    limited = send(client, "/stock-locations/", key, [])
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert BatchJob.objects.count() == 1


def test_a_bad_counted_at_is_400_at_once(client, key, shop):
    response = send(client, "/stocks/", key, [stock_row("MUG-1", 1)], counted_at="yesterday")
    assert response.status_code == 400 and "counted_at" in response.json()["detail"]
    assert not BatchJob.objects.exists()


@pytest.mark.parametrize(
    ("path", "item", "sync_max", "async_max"),
    [
        ("/categories/", {"external_id": "c", "name": ""}, 500, 5000),
        ("/stock-locations/", {"external_id": "a b", "name": "x"}, 200, 2000),
        ("/stocks/", stock_row("NOPE", 1), 1000, 10000),
        ("/products/", {"sku": "S"}, 500, 5000),
    ],
)
def test_the_limits_at_their_edges(client, key, path, item, sync_max, async_max):
    """Items that are quick errors: the edges cost no writes."""
    assert send(client, path, key, [item] * sync_max, prefer="").status_code == 200
    over = send(client, path, key, [item] * (sync_max + 1), prefer="")
    assert over.status_code == 400
    assert over.json()["detail"] == (
        f"{sync_max + 1} items: at most {sync_max} in one request; send the rest in another "
        f"(or up to {async_max} in one job, with `Prefer: respond-async`)."
    )
    accepted(send(client, path, key, [item] * async_max))
    over_async = send(client, path, key, [item] * (async_max + 1))
    assert over_async.status_code == 400
    assert over_async.json()["detail"] == (
        f"{async_max + 1} items: at most {async_max} in one job; send the rest in another."
    )
    assert BatchJob.objects.get().item_count == async_max


def test_the_variant_limit_of_products_at_its_edges(client, key):
    def product(rows):
        return [{"name": "Huge", "variants": [{"sku": f"H-{n}"} for n in range(rows)]}]

    over = send(client, "/products/", key, product(2001), prefer="")
    assert over.status_code == 400
    assert over.json()["detail"] == (
        "2001 variants: at most 2000 in one request; send fewer items (or up to 20000 in one "
        "job, with `Prefer: respond-async`)."
    )
    accepted(send(client, "/products/", key, product(2001)))
    accepted(send(client, "/products/", key, product(20000)))
    over_async = send(client, "/products/", key, product(20001))
    assert over_async.status_code == 400
    assert "20001 variants: at most 20000 in one job" in over_async.json()["detail"]
    assert BatchJob.objects.count() == 2


@pytest.mark.parametrize(
    "prefer",
    ["respond-async", "RESPOND-ASYNC", "wait=10, respond-async", "respond-async; foo=bar"],
)
def test_the_prefer_header_is_read_as_rfc_7240_says(client, key, prefer):
    accepted(send(client, "/stock-locations/", key, LOCATIONS[:1], prefer=prefer))


@pytest.mark.parametrize("prefer", ["return=minimal", "respond-asynchronously", "wait=5"])
def test_other_preferences_answer_at_once(client, key, prefer):
    response = send(client, "/stock-locations/", key, LOCATIONS[:1], prefer=prefer)
    assert response.status_code == 200 and response.json()["counts"]["created"] == 1
    assert not BatchJob.objects.exists()


# --- Stock: counted when the request arrived -------------------------------------------------


def test_a_stock_job_takes_off_orders_placed_while_it_waited(client, key, shop):
    buy, _ = buyer(shop.variants.get())
    url = accepted(send(client, "/stocks/", key, [stock_row("MUG-1", 10)]))
    buy(2)  # after the ERP counted (the request's arrival), before the job runs
    assert units("MUG-1") == 3

    [result] = finished(client, url, key)["report"]["items"]
    # 10 counted, less the 2 units sold since: not sold twice.
    assert units("MUG-1") == 8
    assert "2 unit(s) of orders placed after counted_at" in result["note"]


def test_a_stock_jobs_counted_at_is_the_one_sent(client, key, shop):
    buy, _ = buyer(shop.variants.get())
    counted = timezone.now()
    buy(1)
    stamp = counted.isoformat().replace("+00:00", "Z")
    url = accepted(send(client, "/stocks/", key, [stock_row("MUG-1", 10)], counted_at=stamp))
    assert BatchJob.objects.get().params == {"counted_at": counted.isoformat()}
    finished(client, url, key)
    assert units("MUG-1") == 9


# --- A job that crashes ----------------------------------------------------------------------


def test_a_crash_fails_the_job_with_its_error_and_a_retry_completes_it(client, key, monkeypatch):
    real = catalog_sync.save_categories

    def broken(items):
        real(items[:1])  # wrote part of the batch, then crashed
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog_sync, "save_categories", broken)
    url = accepted(send(client, "/categories/", key, CATEGORIES[:2]))
    failed = finished(client, url, key)
    assert failed["status"] == "failed" and failed["report"] is None
    assert failed["error"] == "RuntimeError: disk on fire"
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED  # a bug: no auto retry
    assert BatchJob.objects.get().items  # kept, to be tried again

    # Staff retry the task (or the worker does, for a transient error): safe, as every kind
    # is an upsert by external id.
    monkeypatch.setattr(catalog_sync, "save_categories", real)
    assert batch_jobs.run_batch_job(BatchJob.objects.get().pk) == "done"
    done = poll(client, url, key).json()
    assert done["status"] == "done" and done["error"] == ""
    assert [item["status"] for item in done["report"]["items"]] == ["created", "created"]
    assert BatchJob.objects.get().tries == 2
    assert set(Category.objects.values_list("external_id", flat=True)) == {"mugs", "kitchen"}


def test_a_crash_message_is_stored_with_nul_and_lone_surrogates_escaped():
    """PostgreSQL text holds neither; an exception may quote an item's value. (The task
    row's own traceback, django-tasks-db's, is not escaped: such a crash cannot be
    recorded there, which is true of every task.)"""
    assert batch_jobs._storable("bad 'a\x00b\ud800'") == "bad 'a\\x00b\\ud800'"


def test_a_transient_crash_is_retried_by_the_queue(client, key, monkeypatch):
    real = catalog_sync.save_categories
    calls = []

    def flaky(items):
        calls.append(len(items))
        if len(calls) == 1:
            raise ConnectionResetError("database went away")
        return real(items)

    monkeypatch.setattr(catalog_sync, "save_categories", flaky)
    url = accepted(send(client, "/categories/", key, CATEGORIES[:2]))
    assert finished(client, url, key)["status"] == "failed"
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.READY  # back on the queue, later
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())
    assert finished(client, url, key)["status"] == "done"
    assert calls == [2, 2]


# --- Retention -------------------------------------------------------------------------------


def test_finished_jobs_are_pruned_after_their_days_and_lost_ones_fail(erp):
    row, _ = erp
    now = timezone.now()

    def job(status, finished_days_ago=None, created_days_ago=30):
        return BatchJob.objects.create(
            api_key=row,
            kind="stocks",
            items="[]",
            item_count=0,
            status=status,
            created_at=now - timedelta(days=created_days_ago),
            finished_at=None
            if finished_days_ago is None
            else now - timedelta(days=finished_days_ago),
        )

    old_done, old_failed = job("done", 8), job("failed", 8)
    recent = job("done", 6)
    waiting, running = job("queued", created_days_ago=6), job("running")
    lost = job("queued", created_days_ago=8)
    assert batch_jobs.prune_batch_jobs(days=7, now=now) == 2
    left = set(BatchJob.objects.values_list("pk", flat=True))
    assert left == {recent.pk, waiting.pk, running.pk, lost.pk}
    assert not {old_done.pk, old_failed.pk} & left
    # Queued for longer than the retention: its task was lost; failed now, pruned later.
    lost.refresh_from_db()
    assert (lost.status, lost.finished_at) == ("failed", now)
    assert "Send the batch again" in lost.error
    assert BatchJob.objects.get(pk=waiting.pk).status == "queued"
    # Eight days on: the recent one and the lost one go; the one queued 6 days ago is lost
    # now; a running one stays.
    assert batch_jobs.prune_batch_jobs(days=7, now=now + timedelta(days=8)) == 2
    assert dict(BatchJob.objects.values_list("pk", "status")) == {
        waiting.pk: "failed",
        running.pk: "running",
    }


def test_the_prune_task_uses_the_setting(erp, settings):
    settings.STOREFRONT_BATCH_JOB_DAYS = 1
    BatchJob.objects.create(
        api_key=erp[0],
        kind="stocks",
        items="",
        item_count=0,
        status=BatchJobStatus.DONE,
        finished_at=timezone.now() - timedelta(days=2),
    )
    batch_jobs.prune_batch_jobs_task.enqueue()
    run_ready_tasks()
    assert not BatchJob.objects.exists()


def test_a_job_whose_key_is_revoked_before_it_runs_fails_and_writes_nothing(client, erp):
    row, key = erp
    accepted(send(client, "/stock-locations/", key, LOCATIONS[:1]))
    row.revoke()
    run_ready_tasks()
    job = BatchJob.objects.get()
    assert job.status == "failed" and "revoked" in job.error and job.report == ""
    assert not Warehouse.objects.exists()
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL  # nothing to retry


def test_a_job_whose_key_lost_the_scope_before_it_runs_fails_and_writes_nothing(client, erp):
    row, key = erp
    accepted(send(client, "/categories/", key, CATEGORIES[:2]))
    row.scopes = ["write_stock"]
    row.save()
    run_ready_tasks()
    job = BatchJob.objects.get()
    assert job.status == "failed" and "'write_catalog' scope" in job.error
    assert not Category.objects.exists()


def test_deleting_a_key_deletes_its_jobs(client, erp):
    row, key = erp
    accepted(send(client, "/stock-locations/", key, LOCATIONS[:1]))
    row.delete()
    assert not BatchJob.objects.exists()
    run_ready_tasks()  # the queued task finds no job and does nothing
    assert DBTaskResult.objects.get().return_value == "gone"
    assert not Warehouse.objects.exists()


# --- The documentation -----------------------------------------------------------------------


def test_the_schema_documents_the_202_the_prefer_header_and_the_jobs():
    schema = api.get_openapi_schema(path_prefix="/external/v1")
    kinds = ("products", "categories", "stock-locations", "stocks")
    for path in (*kinds, "product-categories", "related-products"):
        post = schema["paths"][f"/external/v1/{path}/"]["post"]
        assert {200, 202, 400, 401, 403, 429} <= set(post["responses"])
        assert "`Prefer: respond-async`" in post["requestBody"]["description"]
        assert "Prefer" in post["responses"][202]["description"]
    job = schema["paths"]["/external/v1/jobs/{job_id}/"]["get"]
    assert {200, 401, 404} <= set(job["responses"])
    assert job["parameters"][0]["name"] == "job_id"
    assert "/external/v1/jobs/" in schema["paths"]


def test_every_batch_kind_has_a_writer_and_its_endpoints_scope(client):
    assert set(batch_jobs.KINDS) == {
        "products",
        "categories",
        "stock-locations",
        "stocks",
        "product-categories",
        "related-products",
    }
    for kind, spec in batch_jobs.KINDS.items():
        assert callable(batch_jobs.writer(kind))
        # The scope checked when the job runs is the one its endpoint asks for.
        _, only = make_key(f"only {spec.scope}", scopes=[spec.scope.value])
        assert send(client, f"/{kind}/", only, []).status_code == 202, kind


# --- Fuzzing ---------------------------------------------------------------------------------


def test_schemathesis_async_writes_answer_202_or_a_4xx_and_every_job_completes(
    client, shop, wsgi_app_in_test_transaction
):
    """The batch endpoints with `Prefer: respond-async`, and the jobs endpoints: no 5xx,
    answers as documented (the 202's job too); then every job accepted runs to `done`,
    whatever its items (none crashes the writer)."""
    import schemathesis
    from schemathesis import GenerationMode

    from commerce.integrations.models import Scope
    from tests.commerce.integrations.schemathesis_nul import nul_in_every_string, run_cases

    _, key = make_key("schemathesis", scopes=list(Scope.values))
    schema = schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", wsgi_app_in_test_transaction)
    schema.config.generation.update(allow_x00=False)
    schema = schema.include(operation_id_regex=r"_(send_[a-z_]+|get_job|list_jobs)$")
    headers = {"Authorization": f"Api-Key {key}", "Prefer": "respond-async"}
    strategy = schema.as_strategy(headers=headers) | schema.as_strategy(
        GenerationMode.NEGATIVE, headers=headers
    )
    sent = run_cases(strategy, label="batch jobs", max_examples=120)
    # The random cases may draw no poisoned batch a job accepts; one of each kind is sure to.
    for path, body in KINDS:
        url = accepted(send(client, path, key, nul_in_every_string(body, False)))
        sent["poisoned_jobs"].append(JOB_URL.fullmatch(url)[1])

    assert BatchJob.objects.count() > 5 + len(KINDS)
    run_ready_tasks()
    assert set(BatchJob.objects.values_list("status", flat=True)) == {"done"}
    for job in BatchJob.objects.filter(public_id__in=sent["poisoned_jobs"]):
        statuses = {item["status"] for item in batch_jobs.report(job)["items"]}
        assert statuses <= {"error"}, batch_jobs.report(job)


# --- Body size -------------------------------------------------------------------------------


def test_a_job_body_larger_than_djangos_form_limit_is_accepted(client, key, shop, settings):
    """Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, meant for forms);
    10,000 stock rows with the ERP's own ids weigh more."""
    rows = [stock_row("MUG-1", 1, external_id=f"row-{n:05d}-" + "x" * 80) for n in range(10000)]
    body = json.dumps(rows, indent=40)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    url = accepted(send(client, "/stocks/", key, body))
    assert BatchJob.objects.get().item_count == 10000
    report = finished(client, url, key)["report"]
    assert report["counts"] == {"created": 0, "updated": 1, "unchanged": 0, "error": 9999}
    assert report["items"][9999]["external_id"] == rows[9999]["external_id"]


def test_a_body_over_the_batch_limit_is_413(client, key, settings):
    settings.STOREFRONT_API_BATCH_MAX_BYTES = 1000
    response = send(client, "/stocks/", key, [stock_row("MUG-1", 1, external_id="x" * 990)])
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The body is ")
    assert not BatchJob.objects.exists()
    assert send(client, "/stocks/", key, [stock_row("MUG-1", 1)]).status_code == 202
