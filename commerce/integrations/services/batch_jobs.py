"""Batch writes run by the task queue: `Prefer: respond-async` on a batch endpoint answers
202 with a job the client polls for the per-item report.

One code path: a batch kind is one writer, `(items, key, params) -> answer`, the very
function the synchronous endpoint calls; the job calls it by its name in `KINDS`, so an
item gets the same checks, messages and order in the job's report as in a synchronous
answer. Whole-body checks (a JSON array, how many items, the scope, the rate limit) are
the endpoint's, answered before a job exists.

The invariants:
- `accept` stores the job and queues its task in one transaction (on the database
  queue the task's row commits with the job, or neither does), so a 202 never names a
  job that no worker will run.
- Parameters that depend on when the request arrived (stocks' `counted_at`) are fixed
  at acceptance, in `params`: orders placed while the job waits are still taken off.
- The key is checked again when the job runs: revoked, or without the kind's scope,
  the job fails and writes nothing.
- The task may run twice (a retry, a worker lost mid-job): a job already `done` is left
  alone, and any other is written again, which is safe because every kind is an
  idempotent upsert by external id (a second run answers `unchanged` where the first
  wrote). A crash marks the job `failed` with the error; a retry of the task, or staff
  retrying it in the admin's "Background tasks" report, runs it again.
- The items are dropped once the job is done (its report holds what the client
  needs); finished jobs are pruned after STOREFRONT_BATCH_JOB_DAYS.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, is_dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from commerce.integrations.models import ApiKey, BatchJob, BatchJobStatus, Scope
from commerce.services.tasks import NO_RETRY, RetryPolicy, background_task, enqueue_on_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchKind:
    # The writer, `(items: list, *, key: ApiKey, params: dict) -> answer`, the function the
    # endpoint calls too, by import path: the writers check items with the API's schemas,
    # and a worker resolves them without loading the URLconf.
    writer: str
    # What the key needs: checked by the endpoint, and again when the job runs, so a key
    # revoked or stripped of the scope meanwhile writes nothing.
    scope: Scope


# A new batch endpoint that accepts jobs adds one line here and calls
# `writes.batch_write` with its kind.
KINDS: dict[str, BatchKind] = {
    "products": BatchKind("commerce.integrations.api.products.write_products", Scope.WRITE_CATALOG),
    "categories": BatchKind(
        "commerce.integrations.api.categories.write_categories", Scope.WRITE_CATALOG
    ),
    "stock-locations": BatchKind(
        "commerce.integrations.api.stocks.write_stock_locations", Scope.WRITE_STOCK
    ),
    "stocks": BatchKind("commerce.integrations.api.stocks.write_stocks", Scope.WRITE_STOCK),
    "product-categories": BatchKind(
        "commerce.integrations.api.categories.write_product_categories", Scope.WRITE_CATALOG
    ),
    "related-products": BatchKind(
        "commerce.integrations.api.products.write_related_products", Scope.WRITE_CATALOG
    ),
}

ERROR_LENGTH = 2000


def writer(kind: str):
    return import_string(KINDS[kind].writer)


def parse_items(text: str) -> Any:
    """The items of a JSON text, numbers as Decimal (never float: 0.1 stays 0.1; NaN and
    Infinity fail the item's check), as the synchronous endpoint reads its body."""
    return json.loads(text, parse_float=Decimal, parse_constant=Decimal)


def accept(*, key: ApiKey, kind: str, items_json: str, item_count: int, params=None) -> BatchJob:
    """Stores a job for `items_json` (the items as sent, already known to be a JSON array
    of at most the kind's limit) and queues its task with the same commit."""
    if kind not in KINDS:
        raise ValueError(f"unknown batch kind {kind!r}")
    with transaction.atomic():
        job = BatchJob.objects.create(
            api_key=key, kind=kind, items=items_json, item_count=item_count, params=params or {}
        )
        enqueue_on_commit(run_batch_job_task, job.pk)
    return job


# Transient failures (the database restarting, a storage timeout) retry as other tasks do;
# a bug fails at once and waits for staff, or the client sends the batch again.
@background_task(retry=RetryPolicy(attempts=3, backoff=30))
def run_batch_job_task(job_id: int) -> str:
    return run_batch_job(job_id)


def run_batch_job(job_id: int) -> str:
    """Writes a job's items with its kind's writer and stores the report; see the module
    docstring for why running it again is safe. Returns the job's status."""
    with transaction.atomic():
        job = (
            BatchJob.objects.select_for_update(of=("self",))
            .select_related("api_key")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            return "gone"  # pruned, or its key deleted
        if job.status == BatchJobStatus.DONE:
            return job.status
        refused = _refusal(job)
        if refused:
            # Revoking a key (it leaked) also stops what was sent with it and still waits.
            job.status, job.finished_at, job.error = BatchJobStatus.FAILED, timezone.now(), refused
            job.save(update_fields=["status", "finished_at", "error"])
            return job.status
        job.status, job.started_at, job.finished_at = BatchJobStatus.RUNNING, timezone.now(), None
        job.tries += 1
        job.save(update_fields=["status", "started_at", "finished_at", "tries"])
    try:
        answer = writer(job.kind)(parse_items(job.items), key=job.api_key, params=job.params)
    except Exception as exc:
        message = _storable(f"{type(exc).__name__}: {exc}")[:ERROR_LENGTH]
        logger.exception("Batch job %s (%s) failed on try %d", job.public_id, job.kind, job.tries)
        try:
            BatchJob.objects.filter(pk=job.pk).update(
                status=BatchJobStatus.FAILED, error=message, finished_at=timezone.now()
            )
        except DatabaseError:
            # The database is what failed: the job stays "running" until the task's retry
            # (or requeue_stuck_tasks) runs it again.
            logger.exception("Could not mark batch job %s failed", job.public_id)
        raise  # the task fails too: its retry policy applies, and staff see it
    BatchJob.objects.filter(pk=job.pk).update(
        status=BatchJobStatus.DONE,
        report=report_json(answer),
        items="",
        error="",
        finished_at=timezone.now(),
    )
    return BatchJobStatus.DONE


def _refusal(job: BatchJob) -> str:
    """Why the job's key may no longer write it ("" when it may)."""
    key, scope = job.api_key, KINDS[job.kind].scope
    if key.is_revoked:
        return "The API key was revoked before the job ran: nothing was written."
    if not key.allows(scope):
        return (
            f"The API key lost the {scope.value!r} scope before the job ran: nothing was written."
        )
    return ""


def _storable(text: str) -> str:
    """`text` as PostgreSQL text can hold it: NUL and lone surrogates (an item's value
    quoted in an exception) written as escapes."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()


def report_json(answer: dict) -> str:
    """The answer {"counts", "items"} as JSON text, items as plain objects."""

    def plain(value):
        if is_dataclass(value) and not isinstance(value, type):
            return asdict(value)
        raise TypeError(f"{type(value).__name__} is not JSON")

    # ASCII: an external id may hold a lone surrogate ("\ud800"), which PostgreSQL's
    # UTF-8 text cannot store but its \u escape can.
    return json.dumps(answer, default=plain)


def report(job: BatchJob) -> dict | None:
    return json.loads(job.report) if job.report else None


@background_task(retry=NO_RETRY)
def prune_batch_jobs_task() -> int:
    return prune_batch_jobs(days=settings.STOREFRONT_BATCH_JOB_DAYS)


def prune_batch_jobs(*, days: int, now=None) -> int:
    """Deletes jobs finished (done or failed) more than `days` ago; running jobs stay.

    A job still queued after `days` lost its task (on RQ a task is queued after the
    commit, and a queue down at that moment loses it; the database queue cannot): it is
    marked failed, so its client stops polling and sends the batch again, and pruned
    `days` later. Should its task run after all, it runs the job as a retry."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    lost = BatchJob.objects.filter(status=BatchJobStatus.QUEUED, created_at__lt=cutoff).update(
        status=BatchJobStatus.FAILED,
        finished_at=now,
        error=f"Not run in {days} days: its task was lost. Send the batch again.",
    )
    if lost:
        logger.warning("%d batch jobs queued before %s never ran", lost, cutoff.isoformat())
    deleted, _ = BatchJob.objects.finished_before(cutoff).delete()
    if deleted:
        logger.info("Pruned %d batch jobs finished before %s", deleted, cutoff.isoformat())
    return deleted
