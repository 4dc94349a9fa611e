"""Scheduled jobs: each runs once per interval, however many schedulers tick.

The schedule is `settings.STOREFRONT_SCHEDULE`: (job name, interval in seconds, task
import path). Time is cut into slots per job: a slot starts at a whole multiple of
the interval since the epoch (UTC), so every scheduler on every machine computes the
same slot for the same moment without talking to the others. `manage.py
run_scheduler` calls `run_due_jobs` every few seconds; a job is due when its
current slot has no run yet.

Exactly once per slot: taking a slot is an INSERT of ScheduledRun(job, slot), unique
on (job, slot), in its own transaction, and only the scheduler whose insert commits
queues the task. A second scheduler's insert waits on the first's uncommitted row
(PostgreSQL's unique index) and fails with IntegrityError once it commits: that
scheduler skips the job. On the database queue the task's row is written in the
same transaction as the ScheduledRun (`enqueue_on_commit`): both commit or neither
does, so a scheduler killed between the two leaves no slot taken without its task,
and the slot is simply taken by the next tick. On other queues the task is queued
after the commit (a queue down at that moment is logged; the slot is lost).

Clocks: machines that disagree by a few seconds may compute different slots near a
boundary; each slot is still taken once, but a job may then run twice within a few
seconds of a boundary. Keep clocks in sync (NTP) and intervals well above the skew.

A scheduler down for a whole slot: nobody inserts that slot's row, so that run is
skipped, not made up later; the next slot runs as usual (a job must therefore do
all that is due, not one interval's worth: purge everything older than N days,
publish every revision past its time). A scheduler started mid-slot runs the
current slot at once if nobody has.

Jobs run on the workers, not in the scheduler: a slow job never delays the others'
slots. A job whose task cannot be imported (a module of another part not deployed
yet, a typo) is logged and skipped on every tick; the others still run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from commerce.models import ScheduledRun

from .tasks import queue_with_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: int  # seconds
    task_path: str

    def slot(self, now: datetime) -> datetime:
        """The start of the interval `now` falls in (a boundary belongs to the slot it opens)."""
        epoch = int(now.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.interval, tz=UTC)


def scheduled_jobs() -> list[Job]:
    return [Job(name, int(interval), path) for name, interval, path in settings.STOREFRONT_SCHEDULE]


def run_due_jobs(now: datetime | None = None) -> list[str]:
    """Queues each job whose current slot nobody has taken; returns the jobs queued here."""
    now = now or timezone.now()
    queued = []
    for job in scheduled_jobs():
        task = _load_task(job)
        if task is None:
            continue
        slot = job.slot(now)
        try:
            taken = _take_slot(job, slot, task)
        except Exception:
            # One job's queue failing must not stop the others; the slot stays free.
            logger.exception("Scheduled job %s could not be queued for %s", job.name, slot)
            continue
        if taken:
            logger.info("Scheduled job %s queued for slot %s", job.name, slot.isoformat())
            queued.append(job.name)
    return queued


def _take_slot(job: Job, slot: datetime, task: Task) -> bool:
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job.name, slot=slot)
            _enqueue(task, run)
    except IntegrityError:
        return False  # another scheduler has this slot
    return True


def _enqueue(task: Task, run: ScheduledRun) -> None:
    """`enqueue_on_commit` for a job, keeping the queued task's id on its run."""

    def enqueue():
        result = task.enqueue()
        ScheduledRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))

    # On the database queue the task's row joins the run's transaction.
    queue_with_commit(task, enqueue)


#: Jobs already reported as not loading, so a scheduler says it once, not every tick.
_reported: set[Job] = set()


def _load_task(job: Job) -> Task | None:
    try:
        task = import_string(job.task_path)
    except ImportError:
        problem = "cannot import"
    else:
        if isinstance(task, Task):
            return task
        problem = "not a task:"
    if job not in _reported:
        _reported.add(job)
        logger.error("Scheduled job %s skipped: %s %s", job.name, problem, job.task_path)
    return None


__all__ = ["Job", "run_due_jobs", "scheduled_jobs"]
