"""Operations: the connection pool, /healthz/ and /readyz/, request ids, the access log,
JSON logs and Sentry (README, "Health checks and logs").

The rules that turn variables into settings (storefront/env.py, storefront/sentry.py) are
plain calls on dicts here; the pool is also opened for real against the test database.
"""

import json
import logging
import logging.config
import os
import re
import sys
import threading
import uuid
from datetime import timedelta
from unittest import mock

import dj_database_url
import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection, connections
from django.db.utils import ConnectionHandler
from django.test import override_settings
from django.utils import timezone
from django_guid.context import guid
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from pages import health
from storefront.env import LOG_FORMATS, database, database_pool, logging_config
from storefront.sentry import init_sentry, tag_request_id
from tests.storefront import test_s3_media
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

# A real S3-compatible server on loopback for the media check (test_s3_media.py's fixtures).
s3_endpoint, s3, bucket, s3_media = (
    test_s3_media.s3_endpoint,
    test_s3_media.s3,
    test_s3_media.bucket,
    test_s3_media.s3_media,
)

POSTGRES = "postgres://shop:secret@db.internal:5432/shop"
HEX_ID = re.compile(r"^[0-9a-f]{32}$")


# --- Connection pool ----------------------------------------------------------------------


def test_the_pool_is_off_by_default_and_connections_persist(tmp_path):
    config = database({"DATABASE_URL": POSTGRES}, sqlite_path=tmp_path / "db.sqlite3")
    assert "pool" not in config["OPTIONS"]
    assert config["CONN_MAX_AGE"] == 60
    assert database_pool({"DATABASE_POOL_MAX_SIZE": "0"}) is None


def test_a_pool_size_turns_the_pool_on_and_persistent_connections_off(tmp_path):
    environ = {"DATABASE_URL": POSTGRES, "DATABASE_POOL_MAX_SIZE": "8"}
    config = database(environ, sqlite_path=tmp_path / "db.sqlite3")
    assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10}
    # Django refuses a pool with CONN_MAX_AGE > 0.
    assert config["CONN_MAX_AGE"] == 0
    assert config["OPTIONS"]["options"] == "-c jit=off"

    environ |= {"DATABASE_POOL_MIN_SIZE": "8", "DATABASE_POOL_TIMEOUT": "3"}
    assert database_pool(environ) == {"min_size": 8, "max_size": 8, "timeout": 3}
    # A pool of one starts with that one connection, not two.
    assert database_pool({"DATABASE_POOL_MAX_SIZE": "1"})["min_size"] == 1


def test_pool_sizes_out_of_range_are_refused():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOL_MIN_SIZE must be between 0"):
        database_pool({"DATABASE_POOL_MAX_SIZE": "4", "DATABASE_POOL_MIN_SIZE": "5"})
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOL_TIMEOUT must be positive"):
        database_pool({"DATABASE_POOL_MAX_SIZE": "4", "DATABASE_POOL_TIMEOUT": "0"})
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOL_MAX_SIZE must be a whole"):
        database_pool({"DATABASE_POOL_MAX_SIZE": "many"})


def test_sqlite_takes_no_pool(tmp_path):
    config = database({"DATABASE_POOL_MAX_SIZE": "8"}, sqlite_path=tmp_path / "db.sqlite3")
    assert "pool" not in config["OPTIONS"]


def connect_to_test_database(extra_environ: dict):
    """A connection built by database() from the environment, to pytest's test database."""
    url = dj_database_url.parse(os.environ["DATABASE_URL"])
    test_url = (
        f"postgres://{url['USER']}:{url['PASSWORD']}@{url['HOST']}:{url['PORT']}/"
        f"{connection.settings_dict['NAME']}"
    )
    config = database({"DATABASE_URL": test_url, **extra_environ}, sqlite_path=None)
    alias = f"ops-{uuid.uuid4().hex[:8]}"
    settings_dict = ConnectionHandler().configure_settings({"default": {}, alias: config})[alias]
    return connections["default"].__class__(settings_dict, alias=alias)


def pids_over_requests(wrapper, requests: int = 5) -> set[int]:
    """The PostgreSQL server processes that `requests` requests, one query each, talked to."""
    pids = set()
    for _ in range(requests):
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(cursor.fetchone()[0])
        wrapper.close()  # the end of a request: a pooled connection goes back, still open
    return pids


@pytest.mark.django_db
def test_pooled_connections_are_reused_from_request_to_request():
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's (DATABASE_URL)")
    pooled = connect_to_test_database({"DATABASE_POOL_MAX_SIZE": "2"})
    try:
        assert len(pids_over_requests(pooled)) <= 2
        assert pooled.pool.get_stats()["pool_max"] == 2
    finally:
        pooled.close_pool()

    # Without the pool (and with CONN_MAX_AGE 0) each request opens a server process.
    plain = connect_to_test_database({"DATABASE_CONN_MAX_AGE": "0"})
    assert plain.pool is None
    assert len(pids_over_requests(plain)) == 5


# --- /healthz/ and /readyz/ -------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert client.head("/healthz/").status_code == 200


@pytest.mark.django_db
def test_readyz_is_ok_when_everything_answers(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "cache": {"status": "ok"},
            "media_storage": {"status": "ok"},
            # The tests run tasks at once: there is no queue table to look at.
            "queue": {"status": "ok", "detail": "not the database queue: not checked"},
        },
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_only_safe_methods(client):
    assert client.post("/readyz/").status_code == 405
    assert client.head("/readyz/").status_code == 200


class BrokenConnection:
    def cursor(self):
        raise OperationalError(
            'connection to server at "10.1.2.3", port 5432 failed: '
            'password authentication failed for user "shop"'
        )


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_fails_and_says_no_more_than_the_error_kind(
    client, monkeypatch, caplog
):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    with caplog.at_level(logging.WARNING, logger="pages.health"):
        response = client.get("/readyz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed"
    assert body["checks"]["database"] == {"status": "failed", "error": "OperationalError"}
    assert body["checks"]["cache"] == {"status": "ok"}
    # The answer is public: no address, no user name; the log has the details.
    assert "10.1.2.3" not in response.content.decode()
    assert "shop" not in response.content.decode()
    assert "10.1.2.3" in caplog.text


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_keeps_nothing(client):
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ):
        response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "status": "failed",
        "error": "a value written was not read back",
    }


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("redis at 10.1.2.3:6379")

    monkeypatch.setattr(cache, "set", refuse)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "status": "failed",
        "error": "ConnectionRefusedError",
    }


@pytest.mark.django_db
def test_readyz_is_503_when_media_storage_fails_or_hangs(client, settings, monkeypatch):
    from django.core.files.storage import storages

    default_storage = storages["default"]  # the object behind django's lazy default_storage

    def unreachable(path):
        raise OSError("endpoint unreachable")

    monkeypatch.setattr(default_storage, "listdir", unreachable)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["media_storage"] == {"status": "failed", "error": "OSError"}

    released = threading.Event()
    monkeypatch.setattr(default_storage, "listdir", lambda path: released.wait(5))
    settings.STOREFRONT_READYZ_STORAGE_TIMEOUT = 0.2
    try:
        response = client.get("/readyz/")
    finally:
        released.set()  # frees the probe thread for later tests
    assert response.status_code == 503
    assert response.json()["checks"]["media_storage"] == {
        "status": "failed",
        "error": "TimeoutError",
    }


@pytest.mark.django_db
def test_readyz_lists_media_on_s3_and_is_503_when_the_bucket_is_gone(client, s3_media, s3, bucket):
    assert client.get("/readyz/").json()["checks"]["media_storage"] == {"status": "ok"}
    s3.delete_bucket(Bucket=bucket)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["media_storage"] == {
        "status": "failed",
        "error": "NoSuchBucket",
    }


@task()
def nothing() -> None:
    pass


def queue_tasks(count: int, *, due_seconds_ago: float, delayed: bool = False) -> None:
    """`count` ready tasks, due that long ago: queued then (delayed=False) or retried with
    run_after then (delayed=True)."""
    for _ in range(count):
        result = nothing.enqueue()
        due = timezone.now() - timedelta(seconds=due_seconds_ago)
        row = DBTaskResult.objects.filter(pk=result.id)
        row.update(run_after=due) if delayed else row.update(enqueued_at=due)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE
    settings.STOREFRONT_READYZ_QUEUE_LATE_SECONDS = 300
    settings.STOREFRONT_READYZ_QUEUE_MAX_LATE = 3
    settings.STOREFRONT_READYZ_QUEUE_MAX_FAILED = 2


@pytest.mark.django_db
def test_readyz_counts_only_tasks_due_longer_than_the_late_limit(client, database_queue):
    queue_tasks(2, due_seconds_ago=301)
    queue_tasks(1, due_seconds_ago=301, delayed=True)  # a retry whose delay ran out
    queue_tasks(5, due_seconds_ago=299)  # not late yet
    queue_tasks(5, due_seconds_ago=-600, delayed=True)  # a retry waiting for its time
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["checks"]["queue"] == {"status": "ok", "late": 3, "failed": 0}


@pytest.mark.django_db
def test_readyz_is_503_one_late_task_past_the_limit(client, database_queue):
    queue_tasks(4, due_seconds_ago=400)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["status"] == "failed"
    assert response.json()["checks"]["queue"] == {"status": "failed", "late": 4, "failed": 0}


@pytest.mark.django_db
def test_a_late_limit_of_zero_leaves_the_backlog_out(client, database_queue, settings):
    settings.STOREFRONT_READYZ_QUEUE_MAX_LATE = 0
    queue_tasks(4, due_seconds_ago=400)
    assert client.get("/readyz/").status_code == 200


@pytest.mark.django_db
def test_failed_tasks_past_their_limit_make_readyz_degraded_not_unready(client, database_queue):
    queue_tasks(3, due_seconds_ago=0)
    DBTaskResult.objects.update(status="FAILED")
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["queue"] == {"status": "degraded", "late": 0, "failed": 3}

    DBTaskResult.objects.filter(pk=DBTaskResult.objects.first().pk).delete()  # 2: the limit
    assert client.get("/readyz/").json()["status"] == "ok"


@pytest.mark.django_db
def test_readiness_costs_two_queries_whatever_the_queue_holds(
    database_queue, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert health.readiness()[0] == "ok"
    queue_tasks(10, due_seconds_ago=400)
    with django_assert_num_queries(2):
        assert health.readiness()[0] == "failed"


@pytest.mark.django_db
def test_readyz_stays_on_plain_http_behind_the_ssl_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/robots.txt").status_code == 301
    assert client.get("/readyz/").status_code == 200


# --- Request ids and the access log -------------------------------------------------------


@pytest.mark.django_db
def test_a_request_id_is_made_when_none_is_given(client):
    first = client.get("/healthz/")["X-Request-ID"]
    second = client.get("/healthz/")["X-Request-ID"]
    assert HEX_ID.match(first) and HEX_ID.match(second) and first != second


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept_when_it_is_a_uuid(client):
    given = str(uuid.uuid4())
    assert client.get("/healthz/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    nginx_style = uuid.uuid4().hex  # nginx's $request_id: 32 hex digits
    assert client.get("/healthz/", HTTP_X_REQUEST_ID=nginx_style)["X-Request-ID"] == nginx_style


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "status"),
    [
        ("x" * 500, 200),
        # Refused by NulGuardMiddleware, with an id all the same.
        (f"{uuid.uuid4()}\x00", 400),
        ("not-a-uuid", 200),
        (f"{uuid.uuid4()}\r\nSet-Cookie: a=b", 200),
    ],
    ids=["500 characters", "NUL", "not a uuid", "header injection"],
)
def test_a_malformed_request_id_is_replaced(client, given, status):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=given)
    assert response.status_code == status
    assert HEX_ID.match(response["X-Request-ID"])


def access_records(caplog):
    return [record for record in caplog.records if record.name == "storefront.access"]


@pytest.mark.django_db
def test_one_access_line_per_request_with_its_id(client, caplog):
    given = str(uuid.uuid4())
    with caplog.at_level(logging.INFO, logger="storefront.access"):
        client.get("/healthz/?email=someone@example.com", HTTP_X_REQUEST_ID=given)
        client.get("/no/such/page/")
    first, second = access_records(caplog)
    assert (first.method, first.path, first.status, first.request_id) == (
        "GET",
        "/healthz/",
        200,
        given,
    )
    assert first.duration_ms >= 0
    assert first.getMessage() == f"GET /healthz/ 200 {first.duration_ms}ms"
    # What shoppers type into query strings stays out of the log.
    assert "example.com" not in caplog.text
    assert (second.path, second.status) == ("/no/such/page/", 404)
    assert HEX_ID.match(second.request_id) and second.request_id != given

    text = logging.Formatter(LOG_FORMATS["text"]["format"]).format(first)
    assert f"[{given}] storefront.access: GET /healthz/ 200" in text


@pytest.mark.django_db
def test_a_crashing_view_is_logged_once_as_a_500(client, caplog, monkeypatch):
    def explode(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "readiness", explode)
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO, logger="storefront.access"):
        response = client.get("/readyz/")
    assert response.status_code == 500
    [line] = access_records(caplog)
    assert line.status == 500 and line.request_id == response["X-Request-ID"]


@pytest.mark.django_db
def test_json_logs_are_one_json_object_a_line_with_the_request_id(client, caplog):
    config = logging_config({"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    formatter = logging.config.DictConfigurator(config).configure_formatter(
        config["formatters"]["json"]
    )
    with caplog.at_level(logging.INFO, logger="storefront.access"):
        response = client.get("/healthz/")
    [record] = access_records(caplog)
    line = formatter.format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["request_id"] == response["X-Request-ID"]
    assert data["level"] == "INFO" and data["logger"] == "storefront.access"
    assert (data["method"], data["path"], data["status"]) == ("GET", "/healthz/", 200)
    assert isinstance(data["duration_ms"], float)
    assert data["message"].startswith("GET /healthz/ 200 ")


def test_log_format_and_level_are_read_from_the_environment():
    assert set(logging_config({})["formatters"]) == {"text"}
    assert logging_config({"LOG_LEVEL": "INFO"})["root"]["level"] == "INFO"
    assert set(logging_config({"LOG_FORMAT": "JSON"})["formatters"]) == {"json"}
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be text or json"):
        logging_config({"LOG_FORMAT": "xml"})


def test_the_log_filter_puts_the_current_id_on_every_record():
    from pages.request_log import RequestIdFilter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"
    token = guid.set("abc")
    try:
        RequestIdFilter().filter(record)
    finally:
        guid.reset(token)
    assert record.request_id == "abc"


seen_ids: list = []


@task()
def remember_log_id() -> None:
    seen_ids.append(guid.get())


@pytest.mark.django_db
def test_a_workers_log_lines_carry_the_task_id(settings, monkeypatch):
    settings.TASKS = DATABASE_QUEUE
    seen_ids.clear()
    keep_test_connection(monkeypatch)
    result = remember_log_id.enqueue()
    run_ready_tasks(worker_id="ops-test")
    assert seen_ids == [f"task:{result.id}"]
    assert guid.get() is None  # gone once the task finished


# --- Sentry --------------------------------------------------------------------------------


def test_sentry_starts_only_with_a_dsn():
    with mock.patch("sentry_sdk.init") as init:
        assert init_sentry({}) is False
        assert init_sentry({"SENTRY_DSN": "  "}) is False
        init.assert_not_called()

        dsn = "https://public@o0.ingest.sentry.io/1"
        assert init_sentry({"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "staging"}) is True
    init.assert_called_once()
    options = init.call_args.kwargs
    assert options["dsn"] == dsn
    assert options["send_default_pii"] is False
    assert options["environment"] == "staging"
    assert options["traces_sample_rate"] == 0
    assert [type(i).__name__ for i in options["integrations"]] == ["DjangoIntegration"]


def test_a_dsn_without_sentry_sdk_installed_says_what_to_install():
    not_installed = mock.patch.dict(sys.modules, {"sentry_sdk": None})
    with not_installed, pytest.raises(ImproperlyConfigured, match=r'pip install "\.\[sentry\]"'):
        init_sentry({"SENTRY_DSN": "https://public@o0.ingest.sentry.io/1"})


def test_sentry_events_carry_the_request_id():
    assert tag_request_id({}, {}) == {}
    token = guid.set("0f8fad5bd9cb469fa16570867728950e")
    try:
        event = tag_request_id({"tags": {"a": "b"}}, {})
    finally:
        guid.reset(token)
    assert event["tags"] == {"a": "b", "request_id": "0f8fad5bd9cb469fa16570867728950e"}
