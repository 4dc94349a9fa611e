"""What staff do with background tasks from the admin: retry failed ones.

A retry by staff puts the SAME queue row back to "ready" to run now, as the
automatic retries do (commerce.services.tasks): its tries (worker ids) and its
last error stay on the row until it succeeds, so the report still says what went
wrong and how often. It is one conditional UPDATE ... WHERE status = FAILED:
two staff clicking "Retry" at once, or a retry racing the worker, queue it once;
the loser is told the task is no longer failed.

A retry gives the task one more try. When that try fails too, the task's retry
policy decides as usual, and a task past its planned tries fails again at once.
"""

from __future__ import annotations

import logging
from importlib import import_module

from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends

from commerce.models import BackgroundTask
from commerce.services.tasks import policy_for

logger = logging.getLogger(__name__)


class TaskNotRetryable(Exception):
    """The task is not failed (any more): nothing was changed."""


def retry_failed_task_now(result_id, by) -> BackgroundTask:
    """Puts the failed task `result_id` back on the queue, to run now; returns its row.

    Raises BackgroundTask.DoesNotExist for an unknown id and TaskNotRetryable when
    the task is not failed (queued, running, successful, or retried by someone else
    a moment ago)."""
    updated = _failed().filter(pk=result_id).update(**_back_on_the_queue())
    row = BackgroundTask.objects.get(pk=result_id)
    if not updated:
        raise TaskNotRetryable(
            f"“{row.readable_name}” is {row.state_label}, not failed: it was not queued again."
        )
    logger.info("Task %s (%s) queued again by %s", row.pk, row.task_path, by)
    return row


def retry_all_failed_now(by) -> int:
    """Puts every failed task back on the queue, to run now; returns how many."""
    count = _failed().update(**_back_on_the_queue())
    if count:
        logger.info("%d failed tasks queued again by %s", count, by)
    return count


def retry_note(row: BackgroundTask) -> str:
    """ "retrying: try 2 of 6" for a queued task that failed before; "" otherwise."""
    if not row.is_retrying:
        return ""
    next_try = row.tries + 1
    policy = _policy(row.task_path)
    if policy is None:
        return f"retrying: try {next_try}"
    if next_try > policy.attempts:
        return f"retrying: try {next_try}, one more than its {policy.attempts} (retried by staff)"
    return f"retrying: try {next_try} of {policy.attempts}"


def queue_elsewhere_note() -> str:
    """Where to look instead when tasks do not wait in the database."""
    backend = type(task_backends[DEFAULT_TASK_BACKEND_ALIAS])
    if backend.__module__.startswith("django_tasks_rq"):
        return (
            "Tasks run on Redis (TASK_BACKEND=rq), not in the database queue this report reads. "
            "See the queues and failed jobs with `rq info --url $REDIS_URL` "
            "(and `rq requeue --all` to retry them) or in django-rq's dashboard."
        )
    if backend.__module__.startswith("django_tasks.backends.immediate"):
        return (
            "Tasks run at once in the web process (TASK_BACKEND=immediate): nothing is queued, "
            "and a task's error is in the server's log."
        )
    return (
        f"Tasks run on {backend.__module__}.{backend.__qualname__}, not in the database queue "
        "this report reads: see that backend's own tools."
    )


def _failed():
    return BackgroundTask.objects.failed()


def _back_on_the_queue() -> dict:
    # run_after "now" rather than django-tasks-db's 9999-01-01 ("no run_after"): the queue
    # orders by run_after, so the retried task takes its turn among the tasks due now
    # instead of after every task that has no run_after.
    return {"status": TaskResultStatus.READY, "run_after": timezone.now(), "finished_at": None}


def _policy(task_path: str):
    """The task's retry policy; importing the task's module registers it when the web
    process has not imported it yet."""
    policy = policy_for(task_path)
    if policy is None and "." in task_path:
        try:
            import_module(task_path.rsplit(".", 1)[0])
        except (ImportError, ValueError):
            return None
        policy = policy_for(task_path)
    return policy
