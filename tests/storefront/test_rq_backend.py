"""TASK_BACKEND=rq end to end: tasks queued through Django's task API on a real Redis, run by
a real `manage.py rqworker --with-scheduler` process, and retried by their policy
(commerce/services/tasks.py, "Retries on RQ").

The worker works a queue of this module's own (tests/storefront/rq_worker_settings.py) in
its own Redis database number, so parallel test workers and test runs never take each
other's jobs. Tasks (tests/storefront/rq_tasks.py) count their runs in Redis.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.db import transaction
from django.test import override_settings
from django_tasks import TaskResultStatus, task_backends
from rq import Queue
from rq.job import Job, JobStatus

from commerce.services.tasks import (
    RQ_RETRIED_BY_META,
    RQ_RETRY_OF_META,
    RQ_TRIES_META,
    enqueue_on_commit,
)
from storefront.redis_settings import rq_queues
from tests.redis_support import redis_url, unique_name
from tests.storefront import rq_tasks
from tests.storefront.test_deploy_settings import PRODUCTION, manage

# All in pytest-django's database group (which runs first), so the tests stay together and
# share one worker process.
pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
#: The queue's own database number; the cache tests use the one in REDIS_URL.
RQ_TEST_DB = 1
FINAL = {JobStatus.FINISHED, JobStatus.FAILED}


def with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@pytest.fixture(scope="module")
def rq_worker(tmp_path_factory):
    """A real rqworker process on a queue of its own; yields (Redis URL, queue name)."""
    url = with_db(redis_url(), RQ_TEST_DB)
    queue = unique_name("rq").replace(":", "-")
    log_path = tmp_path_factory.mktemp("rq") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.storefront.rq_worker_settings",
        "TASK_BACKEND": "rq",
        "REDIS_URL": url,
        "STOREFRONT_TEST_RQ_QUEUE": queue,
    }
    connection = redis.Redis.from_url(url)
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "rqworker", queue, "--with-scheduler"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its scheduler is a child: stop them together
        )
    try:
        wait_for(
            lambda: worker.poll() is not None or bool(worker_names(connection, queue)),
            timeout=90,
            what="the rq worker to start",
            log_path=log_path,
        )
        assert worker.poll() is None, log_path.read_text()
        yield url, queue, log_path
    finally:
        stop(worker)
        delete_queue_keys(connection, queue)


def worker_names(connection, queue):
    from rq import Worker

    return [w.name for w in Worker.all(queue=Queue(queue, connection=connection))]


def stop(process):
    """A warm shutdown (SIGTERM), a cold one (a second SIGTERM: the worker waits a while for
    its pub/sub thread otherwise), then a kill. No job runs by then."""
    for sig, wait in ((signal.SIGTERM, 2), (signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def delete_queue_keys(connection, queue):
    """The queue, its registries and its jobs: nothing of this module stays in Redis."""
    keys = list(connection.scan_iter(match=f"*{queue}*", count=500))
    job_ids = set()
    for key in keys:
        kind = connection.type(key)
        if kind == b"zset":
            job_ids.update(connection.zrange(key, 0, -1))
        elif kind == b"list":
            job_ids.update(connection.lrange(key, 0, -1))
    for job_id in job_ids:
        # Registry members may be "<job id>:<execution id>".
        keys += connection.scan_iter(match=f"rq:*{job_id.decode().split(':')[0]}*", count=500)
    if keys:
        connection.delete(*keys)
    connection.srem("rq:queues", f"rq:queue:{queue}")


def wait_for(condition, *, timeout, what, log_path=None):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = log_path.read_text()[-3000:] if log_path else ""
            pytest.fail(f"timed out waiting for {what}\n{log}")
        time.sleep(0.05)


@pytest.fixture
def rq_queue(rq_worker):
    """The task API on the worker's queue, in this process."""
    url, queue, log_path = rq_worker
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", queue]}}
    with override_settings(TASKS=tasks, RQ_QUEUES=rq_queues(url, ["default", queue])):
        yield url, queue, log_path


@pytest.fixture
def counter(rq_queue):
    """A fresh Redis key for a task to count its runs in, and how to read it."""
    url = rq_queue[0]
    connection = redis.Redis.from_url(url)
    key = unique_name("runs")
    yield key, lambda: int(connection.get(key) or 0)
    connection.delete(key)


def chain_of(url, first_id, *, timeout=20) -> list[Job]:
    """The first job and its retries, once the last one has finished or failed for good.

    A retry is queued (and named in the failed job's meta) before RQ marks the failed job
    failed, so a failed job that names no retry is the end of its chain.
    """
    connection = redis.Redis.from_url(url)
    result = []

    def settled():
        result[:] = []
        job_id = first_id
        while job_id:
            job = Job.fetch(job_id, connection=connection)
            result.append(job)
            job_id = job.meta.get(RQ_RETRIED_BY_META)
        return result[-1].get_status(refresh=False) in FINAL

    wait_for(settled, timeout=timeout, what=f"the jobs of {first_id}")
    return list(result)


def test_a_queued_task_is_run_by_the_worker(rq_queue, counter):
    url, queue, _ = rq_queue
    key, runs = counter
    result = rq_tasks.runs_once.using(queue_name=queue).enqueue(url, key, "kettle")
    assert result.status == TaskResultStatus.READY

    [job] = chain_of(url, result.id)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "KETTLE"
    assert runs() == 1
    assert RQ_TRIES_META not in job.meta  # a first try


def test_enqueue_on_commit_queues_after_the_commit_only(
    rq_queue, counter, django_capture_on_commit_callbacks
):
    url, queue, _ = rq_queue
    key, runs = counter
    task = rq_tasks.runs_once.using(queue_name=queue)
    waiting = Queue(queue, connection=redis.Redis.from_url(url))
    before = set(waiting.finished_job_registry.get_job_ids())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            enqueue_on_commit(task, url, key, "rolled back")
            transaction.set_rollback(True)
        with transaction.atomic():
            enqueue_on_commit(task, url, key, "committed")
        # Redis is not in the transaction: nothing is queued before the commit.
        assert waiting.count == 0
    assert len(callbacks) == 1  # the rolled-back one is gone

    wait_for(lambda: runs() == 1, timeout=20, what="the committed task", log_path=rq_queue[2])
    wait_for(
        lambda: set(waiting.finished_job_registry.get_job_ids()) - before,
        timeout=5,
        what="the finished job",
    )
    [job_id] = set(waiting.finished_job_registry.get_job_ids()) - before
    assert task_backends["default"].get_result(job_id).return_value == "COMMITTED"


def test_transient_failures_are_retried_up_to_the_policy(rq_queue):
    """Three chains at once on one worker (the retries wait at least two seconds):
    down twice of three tries, down three times, and a bug."""
    url, queue, _ = rq_queue
    connection = redis.Redis.from_url(url)
    keys = {name: unique_name(name) for name in ("last_try", "one_past", "bug")}

    def runs(name):
        return int(connection.get(keys[name]) or 0)

    try:
        down = rq_tasks.down_for.using(queue_name=queue)
        last_try = down.enqueue(url, keys["last_try"], 2)
        one_past = down.enqueue(url, keys["one_past"], 3)
        bug = rq_tasks.broken.using(queue_name=queue).enqueue(url, keys["bug"])

        # Succeeds on its third and last try.
        chain = chain_of(url, last_try.id)
        assert [job.get_status(refresh=False) for job in chain] == [
            JobStatus.FAILED,
            JobStatus.FAILED,
            JobStatus.FINISHED,
        ]
        assert [job.meta.get(RQ_TRIES_META, 1) for job in chain] == [1, 2, 3]
        assert [job.meta.get(RQ_RETRY_OF_META) for job in chain] == [None, chain[0].id, chain[1].id]
        assert runs("last_try") == 3
        final = task_backends["default"].get_result(chain[-1].id)
        assert final.status == TaskResultStatus.SUCCESSFUL
        assert final.return_value == 3
        # Same task, same arguments, same queue.
        assert {(job.func_name, tuple(job.args), job.origin) for job in chain} == {
            ("tests.storefront.rq_tasks.down_for", (url, keys["last_try"], 2), queue)
        }

        # Fails on its third try too: no fourth.
        chain = chain_of(url, one_past.id)
        assert [job.get_status(refresh=False) for job in chain] == [JobStatus.FAILED] * 3
        assert runs("one_past") == 3
        failed = task_backends["default"].get_result(chain[-1].id)
        assert failed.status == TaskResultStatus.FAILED
        assert failed.errors[-1].exception_class_path == "builtins.ConnectionRefusedError"
        assert "the server is down (try 3)" in failed.errors[-1].traceback

        # Not a passing fault: one try.
        [job] = chain_of(url, bug.id)
        assert job.get_status(refresh=False) == JobStatus.FAILED
        assert runs("bug") == 1

        # Nothing else waits to run.
        rq = Queue(queue, connection=connection)
        assert (rq.count, rq.scheduled_job_registry.count) == (0, 0)
    finally:
        connection.delete(*keys.values())


def test_the_rq_backend_without_redis_url_refuses_to_start():
    """(With it, the worker above starts: `rqworker` runs the system checks, django-tasks-rq's
    among them: django_rq installed, every task queue an RQ queue.)"""
    env = PRODUCTION | {"TASK_BACKEND": "rq", "REDIS_URL": ""}
    result = manage("check", env=env, timeout=120)
    assert result.returncode != 0
    assert "TASK_BACKEND=rq needs REDIS_URL" in result.stderr
