"""Background tasks: how the shop defines, queues and retries them.

The shop's side effects (e-mails, feed builds, renditions, search index) run as
tasks of Django's task API (the `django-tasks` backport Wagtail 8 uses), so the
code queues them one way whatever runs them (settings.TASK_BACKEND):

- Define a task with `@background_task(...)` beside the service it belongs to;
  it is a plain `django_tasks.Task` that also carries a retry policy.
- Queue it with `enqueue_on_commit(task, *args)`. On the database queue (the
  default) the task's row is written in the caller's transaction: it becomes
  visible to the worker when the change commits, and vanishes with a rollback,
  so an order can neither lose its confirmation nor mail one it never had (the
  transactional outbox). On any other backend it is queued after the commit.
- Arguments are JSON: pass ids, not model instances; a task reads fresh rows.
- Tasks must be idempotent: a retried task runs its body again (e-mails record
  what was sent, feeds build under a lock).

Retries: when a task raises one of its policy's transient errors (a mail server
that is down, a storage timeout) and has tries left, the same queue row goes
back to "ready" with a later `run_after`: backoff × 2^(tries so far − 1), at most
`max_backoff`. Its tries are the row's worker ids; its last error stays on the row
until it succeeds. Past its last try, or on any other error, it stays failed,
and staff see and retry it in the admin's "Background tasks" report.

On RQ (TASK_BACKEND=rq) a job runs once, so a retry is a new job of the same task,
arguments and policy, with the same delays; its try count travels in the job's meta
(see "Retries on RQ" below).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
from django_tasks.signals import task_finished

logger = logging.getLogger(__name__)

#: Errors that usually pass: a server down or slow, a connection dropped. OSError covers
#: refused and reset connections and socket timeouts; SMTPException is an OSError too.
TRANSIENT_ERRORS: tuple[str, ...] = (
    "builtins.OSError",
    "smtplib.SMTPException",
    "botocore.exceptions.EndpointConnectionError",
    "botocore.exceptions.ConnectionError",
    "botocore.exceptions.ReadTimeoutError",
    "redis.exceptions.ConnectionError",
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a task is tried, and how long it waits in between."""

    attempts: int = 6  # tries in all, the first included
    backoff: float = 30.0  # seconds before the second try; doubles after each
    max_backoff: float = 3600.0
    on: tuple[str, ...] = TRANSIENT_ERRORS  # exception classes, as import paths

    def delay_after(self, tries: int) -> timedelta:
        """The wait before try `tries + 1`."""
        return timedelta(seconds=min(self.backoff * 2 ** max(tries - 1, 0), self.max_backoff))

    def retries(self, exception_class_path: str, tries: int) -> bool:
        return tries < self.attempts and _is_subclass(exception_class_path, self.on)


NO_RETRY = RetryPolicy(attempts=1)

#: Task module path → its policy; filled by @background_task.
_policies: dict[str, RetryPolicy] = {}


def background_task(
    function: Callable | None = None,
    *,
    retry: RetryPolicy | None = None,
    priority: int = 0,
    queue_name: str = "default",
):
    """`django_tasks.task` plus a retry policy (RetryPolicy() unless given; NO_RETRY for none)."""
    policy = retry if retry is not None else RetryPolicy()

    def wrap(f: Callable):
        defined = task(priority=priority, queue_name=queue_name)(f)
        _policies[defined.module_path] = policy
        return defined

    return wrap(function) if function is not None else wrap


def policy_for(task_path: str) -> RetryPolicy | None:
    return _policies.get(task_path)


def enqueue_on_commit(defined_task, *args, **kwargs) -> None:
    """Queues `defined_task(*args, **kwargs)` with the current transaction's commit.

    On the database queue the row joins the transaction (see the module's docstring);
    elsewhere the task is queued after the commit, and a queue that is down is logged,
    never turned into an error for a change that already committed.
    """
    queue_with_commit(defined_task, lambda: defined_task.enqueue(*args, **kwargs))


def queue_with_commit(defined_task, queue: Callable[[], object]) -> None:
    """Calls `queue` (which enqueues `defined_task`, and may record its result) where
    `enqueue_on_commit` queues: at once on the database queue, inside the transaction;
    after the commit elsewhere, a failure there logged, not raised."""
    if on_database_queue(defined_task):
        queue()
    else:
        transaction.on_commit(queue, robust=True)


def on_database_queue(defined_task=None) -> bool:
    """Whether `defined_task` (default: any task on the default backend) waits in the
    shop's database table (TASK_BACKEND=database)."""
    from django_tasks_db import DatabaseBackend

    backend = defined_task.backend if defined_task is not None else DEFAULT_TASK_BACKEND_ALIAS
    return isinstance(task_backends[backend], DatabaseBackend)


def retry_failed_task(sender, task_result, **kwargs) -> None:
    """task_finished: puts a failed database-queue task back with a delay, if its policy says so."""
    if task_result.status != TaskResultStatus.FAILED or not task_result.errors:
        return
    policy = policy_for(task_result.task.module_path)
    db_result = getattr(task_result, "db_result", None)
    if policy is None or db_result is None:
        return  # not ours, or not on the database queue (the immediate backend never retries)
    tries = len(task_result.worker_ids)
    error = task_result.errors[-1].exception_class_path
    if not policy.retries(error, tries):
        return
    run_after = timezone.now() + policy.delay_after(tries)
    type(db_result).objects.filter(pk=db_result.pk, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY, run_after=run_after, finished_at=None
    )
    logger.warning(
        "Task %s (%s) failed with %s on try %d of %d; tried again after %s",
        task_result.id,
        task_result.task.module_path,
        error,
        tries,
        policy.attempts,
        run_after.isoformat(),
    )


# --- Retries on RQ (TASK_BACKEND=rq) ------------------------------------------------------
# An RQ job runs once: a retry is a NEW job of the same task and arguments, queued with
# `task.using(run_after=...)` (RQ's scheduler, `rqworker --with-scheduler`, moves it onto
# the queue when due). Which try a job is travels in the job's meta, beside django-tasks-rq's
# own keys, so the task's arguments stay its own:
#   meta["storefront_tries"]      the try this job is (absent on the first: 1)
#   meta["storefront_retry_of"]   the failed job it retries
#   meta["storefront_retried_by"] on a failed job: the job that tries it again
# The failed job stays in RQ's failed registry with its error.

RQ_TRIES_META = "storefront_tries"
RQ_RETRY_OF_META = "storefront_retry_of"
RQ_RETRIED_BY_META = "storefront_retried_by"
#: The meta key where django-tasks-rq's failure callback records the exception class.
_RQ_EXCEPTIONS_META = "_django_tasks_rq_exceptions"
#: The new job's try count is written just after it is queued, so it must not be due
#: before: RQ's scheduler counts whole seconds, so 2 s is at least one.
RQ_MIN_RETRY_DELAY = timedelta(seconds=2)


def retry_failed_rq_task(sender, task_result, **kwargs) -> None:
    """task_finished on RQ: queues a failed task again, later, if its policy says so.

    Runs in the worker, inside django-tasks-rq's failure callback: an error here would
    replace the task's own as the job's recorded failure, so it is logged instead.
    """
    if task_result.status != TaskResultStatus.FAILED or not _is_rq_backend(sender):
        return
    policy = policy_for(task_result.task.module_path)
    if policy is None:
        return
    try:
        _retry_rq_job(task_result, policy)
    except Exception:
        logger.exception("Could not queue a retry of RQ task %s", task_result.id)


def _retry_rq_job(task_result, policy: RetryPolicy) -> None:
    import django_rq
    from django_tasks_rq.backend import Job

    connection = django_rq.get_connection(task_result.task.queue_name)
    job = Job.fetch(task_result.id, connection=connection)
    tries = int(job.meta.get(RQ_TRIES_META, 1))
    # The callback runs before RQ stores the failure, so task_result.errors is still empty.
    exceptions = job.meta.get(_RQ_EXCEPTIONS_META) or ["builtins.Exception"]
    error = exceptions[-1]
    if not policy.retries(error, tries):
        return
    run_after = timezone.now() + max(policy.delay_after(tries), RQ_MIN_RETRY_DELAY)
    retry = task_result.task.using(run_after=run_after).enqueue(
        *task_result.args, **task_result.kwargs
    )
    retry_job = Job.fetch(retry.id, connection=connection)
    retry_job.meta.update({RQ_TRIES_META: tries + 1, RQ_RETRY_OF_META: job.id})
    retry_job.save_meta()
    job.meta[RQ_RETRIED_BY_META] = retry.id
    job.save_meta()
    logger.warning(
        "Task %s (%s) failed with %s on try %d of %d; tried again as %s after %s",
        task_result.id,
        task_result.task.module_path,
        error,
        tries,
        policy.attempts,
        retry.id,
        run_after.isoformat(),
    )


def _is_rq_backend(backend_class) -> bool:
    # Never loaded, never used: no import (and its side effects) for the other backends.
    rq_backend = sys.modules.get("django_tasks_rq")
    return (
        rq_backend is not None
        and isinstance(backend_class, type)
        and issubclass(backend_class, rq_backend.RQBackend)
    )


def connect_signals() -> None:
    task_finished.connect(retry_failed_task, dispatch_uid="storefront-task-retry")
    task_finished.connect(retry_failed_rq_task, dispatch_uid="storefront-task-retry-rq")


def _is_subclass(exception_class_path: str, bases: tuple[str, ...]) -> bool:
    try:
        exception_class = import_string(exception_class_path)
    except ImportError:
        return False
    for base_path in bases:
        try:
            base = import_string(base_path)
        except ImportError:
            continue  # an optional library that is not installed
        if isinstance(exception_class, type) and issubclass(exception_class, base):
            return True
    return False


__all__ = [
    "NO_RETRY",
    "TRANSIENT_ERRORS",
    "RetryPolicy",
    "background_task",
    "connect_signals",
    "enqueue_on_commit",
    "on_database_queue",
    "policy_for",
    "retry_failed_rq_task",
]
