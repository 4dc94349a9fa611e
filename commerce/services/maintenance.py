"""The scheduled jobs' tasks: the shop's housekeeping (settings.STOREFRONT_SCHEDULE).

Each task does everything due at the moment it runs, not one interval's worth: a
slot missed while no scheduler ran is made up by the next run. Each is safe to run
twice (a second run finds nothing left to do), and takes no arguments, so the
scheduler queues it by its import path alone.

They give up on a failure rather than retry (NO_RETRY): the next slot is their
retry, minutes or a day later, and a retry could overlap it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commerce.models import Checkout
from commerce.models.cart import checkout_idle_timeout

from . import locks
from .cart import purge_stale_guest_carts
from .shopping_lists import purge_expired_guest_lists
from .tasks import NO_RETRY, RetryPolicy, background_task, policy_for

logger = logging.getLogger(__name__)


@background_task(retry=NO_RETRY)
def publish_scheduled_task() -> str:
    """Wagtail's `publish_scheduled`: pages, and every snippet with drafts (products,
    promotions), whose scheduled revision is due go live; those past their expiry go off."""
    out = StringIO()
    call_command("publish_scheduled", stdout=out)
    return out.getvalue()


@background_task(retry=NO_RETRY)
def purge_stale_carts_task() -> int:
    return purge_stale_guest_carts(days=settings.STOREFRONT_STALE_CART_DAYS)


@background_task(retry=NO_RETRY)
def purge_guest_lists_task() -> int:
    return purge_expired_guest_lists(days=settings.STOREFRONT_GUEST_LIST_DAYS)


@background_task(retry=NO_RETRY)
def expire_checkouts_task() -> int:
    return delete_expired_checkouts()


@background_task(retry=NO_RETRY)
def prune_task_results_task() -> int:
    return prune_task_results(days=settings.STOREFRONT_TASK_RESULT_DAYS)


@background_task(retry=NO_RETRY)
def requeue_stuck_tasks_task() -> int:
    return requeue_stuck_tasks(minutes=settings.STOREFRONT_TASK_STUCK_MINUTES)


# --- Checkouts ------------------------------------------------------------------------


def delete_expired_checkouts(*, now=None) -> int:
    """Deletes expired checkouts that hold nothing worth keeping; carts always stay.

    A checkout in progress expires after STOREFRONT_CHECKOUT_IDLE_MINUTES without
    activity (Checkout.is_expired): it can no longer place an order, and opening the
    checkout again replaces it with a new one carrying the shopper's answers. So an
    expired checkout with no answers is deleted at once, one with answers after
    STOREFRONT_EXPIRED_CHECKOUT_DAYS (the shopper's e-mail and addresses are not kept
    for ever). A checkout that became an order is the order's record, never deleted.

    Locks as every checkout writer does (services.locks): the cart, then its checkout,
    judged again once locked: the shopper may be back this second.
    """
    now = now or timezone.now()
    expired = _expired_checkouts(now)
    cart_ids = set(expired.values_list("cart_id", flat=True))
    if not cart_ids:
        return 0
    with transaction.atomic():
        carts = locks.lock_carts(cart_ids)
        # Nothing writes a checkout without holding its cart, so these are judged on
        # rows nobody can change until the deletion commits.
        _, by_model = _expired_checkouts(now).filter(cart__in=carts).delete()
    deleted = by_model.get(Checkout._meta.label, 0)
    if deleted:
        logger.info("Deleted %d expired checkouts", deleted)
    return deleted


def _expired_checkouts(now):
    idle_since = now - checkout_idle_timeout()
    kept_until = now - timedelta(days=settings.STOREFRONT_EXPIRED_CHECKOUT_DAYS)
    holds_nothing = Q(email="", phone="", customer_note="", billing_address={}, delivery_address={})
    return Checkout.objects.filter(order__isnull=True).filter(
        (Q(last_activity_at__lt=idle_since) & holds_nothing) | Q(last_activity_at__lt=kept_until)
    )


# --- The task queue --------------------------------------------------------------------


class WorkerLost(Exception):
    """Recorded on a task that was running when its worker died and has no tries left."""


def prune_task_results(*, days: int, now=None) -> int:
    """Deletes finished (successful or failed) task results older than `days`.

    django-tasks-db's `prune_db_task_results` command does the same by hand; this is
    it on a schedule. Queued and running tasks are never pruned.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    if deleted:
        logger.info("Pruned %d task results finished before %s", deleted, cutoff.isoformat())
    return deleted


def requeue_stuck_tasks(*, minutes: int, now=None) -> int:
    """Queues again the tasks that have been running for longer than `minutes`.

    A task row stays RUNNING for ever when its worker is killed mid-task (a deploy, the
    OOM killer, a machine gone), and no worker takes a RUNNING row. The try that died
    counts as a try (its worker id is on the row): a task with tries left under its
    retry policy goes back to READY and runs again, so its body must be idempotent,
    as every task's is; one without tries left is marked FAILED with WorkerLost, and
    staff see it in the admin's report. Rows are skipped, not waited for, when
    another process holds them (a worker finishing the task this instant).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=minutes)
    requeued = 0
    with transaction.atomic():
        stuck = (
            DBTaskResult.objects.running()
            .filter(started_at__lt=cutoff)
            .select_for_update(skip_locked=True)
            .order_by("started_at")
        )
        for row in stuck:
            tries = len(row.worker_ids)
            policy = policy_for(row.task_path) or RetryPolicy()
            running_since = row.started_at
            if tries < policy.attempts:
                row.status = TaskResultStatus.READY
                row.started_at = None
                row.run_after = now
                row.save(update_fields=["status", "started_at", "run_after"])
                requeued += 1
                logger.warning(
                    "Task %s (%s) was running since %s; its worker is gone: "
                    "queued again (try %d of %d)",
                    row.pk,
                    row.task_path,
                    running_since.isoformat(),
                    tries + 1,
                    policy.attempts,
                )
            else:
                row.status = TaskResultStatus.FAILED
                row.finished_at = now
                row.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
                row.traceback = (
                    f"WorkerLost: still running after {minutes} minutes, on its last try "
                    f"({tries} of {policy.attempts}); its worker is gone."
                )
                row.save(
                    update_fields=["status", "finished_at", "exception_class_path", "traceback"]
                )
                logger.error(
                    "Task %s (%s) lost its worker on its last try: failed", row.pk, row.task_path
                )
    return requeued
