"""Readiness: can this process serve the shop now? Answered by /readyz/.

/healthz/ is liveness: the process answers, nothing more (no query), so a slow database
never makes an orchestrator restart processes that are fine. /readyz/ checks what the
shop needs, each check on its own, none allowed to raise:

- database: `SELECT 1`;
- cache: a key written and read back (a Redis that is down fails here);
- media storage: the default storage lists its top level within READYZ_STORAGE_TIMEOUT
  seconds (S3 over the network; on local disk, MEDIA_ROOT must be there);
- queue (the database queue only): tasks due for longer than READYZ_QUEUE_LATE_SECONDS
  mean no worker keeps up. Past READYZ_QUEUE_MAX_LATE of them the answer is 503, so
  monitoring notices a worker that died before shoppers miss their e-mails. Failed tasks
  past READYZ_QUEUE_MAX_FAILED only make it "degraded" (200): staff retry them in the
  admin, and taking web nodes out of service would not bring them back.

Two queries in all, whatever the queue holds: the late tasks are read through the queue's
partial index of ready rows; failed ones are pruned by the scheduler after
FAILED_TASK_RESULT_DAYS.

Written here in a few lines rather than with django-health-check (not a dependency): its
long-standing database and storage checks write a row and a file on every probe (its 4.x
reworks them), it has no check for django-tasks' queue, the one check that needs the
shop's thresholds, and four small functions are less to keep up than another app.
"""

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

logger = logging.getLogger(__name__)

OK, DEGRADED, FAILED = "ok", "degraded", "failed"

# One thread: a storage that hangs holds it, and later probes time out behind it rather
# than piling up threads.
_storage_probe = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz-storage")


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": OK}


def check_cache() -> dict:
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        return {"status": FAILED, "error": "a value written was not read back"}
    cache.delete(key)
    return {"status": OK}


def check_media_storage() -> dict:
    # The top level only: a handful of folders (images/, original_images/, documents/), one
    # LIST request on S3; on local disk it raises when MEDIA_ROOT is gone (a lost mount).
    probe = _storage_probe.submit(default_storage.listdir, "")
    probe.result(timeout=settings.STOREFRONT_READYZ_STORAGE_TIMEOUT)
    return {"status": OK}


def check_task_queue() -> dict:
    from django_tasks import TaskResultStatus, task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not isinstance(task_backends["default"], DatabaseBackend):
        return {"status": OK, "detail": "not the database queue: not checked"}
    cutoff = timezone.now() - timedelta(seconds=settings.STOREFRONT_READYZ_QUEUE_LATE_SECONDS)
    # A task queued without a delay has run_after at the far future and is due when queued.
    due_before_cutoff = Q(run_after__lte=cutoff) | Q(
        run_after=get_date_max(), enqueued_at__lte=cutoff
    )
    counts = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.FAILED]
    ).aggregate(
        late=Count("pk", filter=Q(status=TaskResultStatus.READY) & due_before_cutoff),
        failed=Count("pk", filter=Q(status=TaskResultStatus.FAILED)),
    )
    max_late = settings.STOREFRONT_READYZ_QUEUE_MAX_LATE
    if max_late and counts["late"] > max_late:
        status = FAILED
    elif counts["failed"] > settings.STOREFRONT_READYZ_QUEUE_MAX_FAILED:
        status = DEGRADED
    else:
        status = OK
    return {"status": status, **counts}


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "media_storage": check_media_storage,
    "queue": check_task_queue,
}


def readiness() -> tuple[str, dict]:
    """The overall status (ok, degraded or failed) and each check's answer."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check that cannot answer is a failed check
            # The answer is public: the error's kind only; the log has the rest.
            logger.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = {"status": FAILED, "error": type(exc).__name__}
    states = {result["status"] for result in results.values()}
    overall = FAILED if FAILED in states else DEGRADED if DEGRADED in states else OK
    return overall, results
