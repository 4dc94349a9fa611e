"""Retries of background tasks on the database queue (commerce/services/tasks.py).

The tasks run through django-tasks-db's own worker loop in this process
(`Worker.run` in batch mode), on the real queue table.
"""

import smtplib
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commerce.services.tasks import NO_RETRY, RetryPolicy, background_task, enqueue_on_commit
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

calls: list[str] = []


@background_task(retry=RetryPolicy(attempts=3, backoff=60))
def flaky(name: str) -> str:
    calls.append(name)
    raise smtplib.SMTPServerDisconnected("mail server went away")


@background_task(retry=RetryPolicy(attempts=3))
def broken(name: str) -> None:
    calls.append(name)
    raise ValueError("a bug, not a passing fault")


@background_task(retry=NO_RETRY)
def once(name: str) -> None:
    calls.append(name)
    raise OSError("down")


@background_task(retry=RetryPolicy(attempts=3, backoff=60))
def fails_once(name: str) -> str:
    calls.append(name)
    if calls.count(name) == 1:
        raise ConnectionResetError("connection dropped")
    return name


@background_task
def works(name: str) -> str:
    calls.append(name)
    return name


@pytest.fixture(autouse=True)
def _database_queue(monkeypatch):
    calls.clear()
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


def make_due(row):
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())


@pytest.mark.django_db
def test_a_transient_failure_goes_back_on_the_queue_with_a_doubling_delay():
    flaky.enqueue("a")
    run_ready_tasks()
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY
    assert row.exception_class_path == "smtplib.SMTPServerDisconnected"  # the last error stays
    first_wait = row.run_after - timezone.now()
    assert timedelta(seconds=55) < first_wait <= timedelta(seconds=60)

    run_ready_tasks()  # not due yet: nothing runs
    assert calls == ["a"]

    make_due(row)
    run_ready_tasks()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY and len(row.worker_ids) == 2
    assert timedelta(seconds=115) < row.run_after - timezone.now() <= timedelta(seconds=120)

    make_due(row)
    run_ready_tasks()  # the third and last try
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert calls == ["a", "a", "a"]


@pytest.mark.django_db
def test_a_bug_fails_at_once_and_a_task_without_retries_fails_on_its_first_error():
    broken.enqueue("b")
    once.enqueue("c")
    run_ready_tasks()
    assert sorted(calls) == ["b", "c"]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.FAILED}


@pytest.mark.django_db
def test_a_success_clears_the_error_of_an_earlier_try():
    fails_once.enqueue("d")
    run_ready_tasks()
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY
    assert row.exception_class_path == "builtins.ConnectionResetError"

    make_due(row)
    run_ready_tasks()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "d"
    assert (row.exception_class_path, row.traceback) == ("", "")
    assert len(row.worker_ids) == 2 and calls == ["d", "d"]


@pytest.mark.django_db(transaction=True)
def test_on_the_database_queue_a_task_commits_and_rolls_back_with_its_change():
    with transaction.atomic():
        enqueue_on_commit(works, "kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(works, "rolled back")
        raise RuntimeError
    assert [r.args_kwargs["args"] for r in DBTaskResult.objects.all()] == [["kept"]]


@pytest.mark.django_db(transaction=True)
def test_on_other_backends_a_task_is_queued_after_the_commit_only():
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ):
        with transaction.atomic():
            enqueue_on_commit(works, "after commit")
            assert calls == []
        assert calls == ["after commit"]
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_on_commit(works, "never")
            raise RuntimeError
    assert calls == ["after commit"]
