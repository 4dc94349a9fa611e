"""Scheduled jobs: one run per job and slot, whoever ticks (commerce/services/scheduler.py),
and the housekeeping those jobs do (commerce/services/maintenance.py)."""

import re
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from wagtail.models import Revision

from commerce.models import Cart, Checkout, Product, ScheduledRun, ShoppingList
from commerce.services import maintenance
from commerce.services import shopping_lists as lists
from commerce.services.scheduler import Job, run_due_jobs
from commerce.services.shopping_lists import Owner
from commerce.services.tasks import NO_RETRY, background_task
from pages.models import ContentPage
from tests.factories.catalog import make_product
from tests.factories.checkout import GOOD_CARD, make_cart, make_payment_method, ready_checkout
from tests.factories.orders import make_delivery_method
from tests.processes import read_log, start_manage, stop_process
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

BOUNDARY = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # a whole hour: a slot of 60 s and 3600 s
calls: list[str] = []


@background_task(retry=NO_RETRY)
def every_minute() -> None:
    calls.append("every_minute")


@background_task(retry=NO_RETRY)
def every_hour() -> None:
    calls.append("every_hour")


TEST_SCHEDULE = [
    ("every_minute", 60, f"{__name__}.every_minute"),
    ("every_hour", 3600, f"{__name__}.every_hour"),
]


@pytest.fixture
def database_queue(monkeypatch, settings):
    """The real queue table; tasks wait there (or run through `run_ready_tasks`)."""
    calls.clear()
    settings.STOREFRONT_SCHEDULE = TEST_SCHEDULE
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


def queued_paths():
    return Counter(DBTaskResult.objects.values_list("task_path", flat=True))


# --- Slots ---------------------------------------------------------------------------------


def test_a_slot_starts_at_its_boundary_and_the_second_before_belongs_to_the_slot_before():
    job = Job("x", 60, "x.y")
    assert job.slot(BOUNDARY) == BOUNDARY
    assert job.slot(BOUNDARY - timedelta(seconds=1)) == BOUNDARY - timedelta(seconds=60)
    assert job.slot(BOUNDARY + timedelta(seconds=59, microseconds=999_999)) == BOUNDARY
    daily = Job("d", 86400, "x.y")
    assert daily.slot(BOUNDARY) == datetime(2026, 11, 29, tzinfo=UTC)  # midnight UTC
    # Any time zone: the slot is the same instant.
    berlin = BOUNDARY.astimezone(timezone.get_fixed_timezone(60))
    assert job.slot(berlin + timedelta(seconds=30)) == BOUNDARY


@pytest.mark.django_db
def test_each_job_is_queued_once_per_slot_however_often_the_scheduler_ticks(database_queue):
    assert run_due_jobs(BOUNDARY - timedelta(seconds=1)) == ["every_minute", "every_hour"]
    assert run_due_jobs(BOUNDARY - timedelta(seconds=1)) == []
    assert run_due_jobs(BOUNDARY - timedelta(milliseconds=1)) == []
    # The boundary opens both jobs' next slot.
    assert run_due_jobs(BOUNDARY) == ["every_minute", "every_hour"]
    assert run_due_jobs(BOUNDARY + timedelta(seconds=59)) == []
    assert run_due_jobs(BOUNDARY + timedelta(seconds=60)) == ["every_minute"]

    runs = ScheduledRun.objects.order_by("slot", "job")
    assert [(run.job, run.slot) for run in runs] == [
        ("every_hour", BOUNDARY - timedelta(hours=1)),
        ("every_minute", BOUNDARY - timedelta(minutes=1)),
        ("every_hour", BOUNDARY),
        ("every_minute", BOUNDARY),
        ("every_minute", BOUNDARY + timedelta(minutes=1)),
    ]
    assert queued_paths() == {f"{__name__}.every_minute": 3, f"{__name__}.every_hour": 2}
    assert {run.task_result_id for run in runs} == {
        str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)
    }
    run_ready_tasks()
    assert Counter(calls) == {"every_minute": 3, "every_hour": 2}


@pytest.mark.django_db
def test_a_slot_another_scheduler_took_is_left_to_it(database_queue):
    ScheduledRun.objects.create(job="every_minute", slot=BOUNDARY)

    assert run_due_jobs(BOUNDARY + timedelta(seconds=30)) == ["every_hour"]
    assert queued_paths() == {f"{__name__}.every_hour": 1}


@pytest.mark.django_db
def test_a_slot_whose_task_could_not_be_queued_stays_free_for_the_next_tick(
    database_queue, monkeypatch
):
    enqueue = DatabaseBackend.enqueue

    def queue_down_for_every_minute(self, task, args, kwargs):
        if task.func is every_minute.func:
            raise OSError("queue down")
        return enqueue(self, task, args, kwargs)

    monkeypatch.setattr(DatabaseBackend, "enqueue", queue_down_for_every_minute)
    assert run_due_jobs(BOUNDARY) == ["every_hour"]  # the other job is not held up
    assert not ScheduledRun.objects.filter(job="every_minute").exists()  # rolled back together

    monkeypatch.undo()
    assert run_due_jobs(BOUNDARY + timedelta(seconds=1)) == ["every_minute"]
    assert queued_paths() == {f"{__name__}.every_minute": 1, f"{__name__}.every_hour": 1}


@pytest.mark.django_db
def test_a_job_whose_task_cannot_be_imported_is_logged_and_skipped(
    database_queue, settings, caplog
):
    settings.STOREFRONT_SCHEDULE = [
        ("feeds", 60, "commerce.integrations.services.no_such_module.rebuild_task"),
        ("not_a_task", 60, "commerce.services.scheduler.run_due_jobs"),
        *TEST_SCHEDULE,
    ]

    assert run_due_jobs(BOUNDARY) == ["every_minute", "every_hour"]
    assert set(ScheduledRun.objects.values_list("job", flat=True)) == {"every_minute", "every_hour"}
    assert "Scheduled job feeds skipped: cannot import" in caplog.text
    assert "Scheduled job not_a_task skipped: not a task" in caplog.text

    caplog.clear()  # said once per process, not on every tick
    assert run_due_jobs(BOUNDARY + timedelta(minutes=1)) == ["every_minute"]
    assert "skipped" not in caplog.text


@pytest.mark.django_db
def test_the_shops_schedule_names_importable_tasks_except_the_feeds_of_another_part(settings):
    """Every job of the real schedule loads; only the feeds job may be missing (it is
    part "feeds"' module), and then it is skipped, as above."""
    from commerce.services.scheduler import _load_task, scheduled_jobs

    names = {job.name for job in scheduled_jobs()}
    assert names >= {
        "publish_scheduled",
        "purge_stale_carts",
        "purge_guest_lists",
        "expire_checkouts",
        "rebuild_stale_feeds",
        "prune_task_results",
        "requeue_stuck_tasks",
        "prune_batch_jobs",
    }
    missing = {job.name for job in scheduled_jobs() if _load_task(job) is None}
    assert missing <= {"rebuild_stale_feeds"}


# --- The jobs ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_publish_job_publishes_a_scheduled_page_and_a_scheduled_product(
    homepage, settings, django_capture_on_commit_callbacks
):
    settings.STOREFRONT_SCHEDULE = [
        ("publish_scheduled", 60, "commerce.services.maintenance.publish_scheduled_task")
    ]
    page = homepage.add_child(instance=ContentPage(title="Sale", slug="sale", live=False))
    past = timezone.now() - timedelta(minutes=1)
    page.go_live_at = past
    page.save_revision(approved_go_live_at=past)
    product = make_product("Mug", price=Decimal("10.00"))
    draft = product.get_latest_revision_as_object()
    (variant,) = draft.variants.all()
    variant.price = Decimal("8.00")
    draft.variants = [variant]
    draft.go_live_at = past
    revision = draft.save_revision(approved_go_live_at=past)
    assert Product.objects.get(pk=product.pk).variants.get().price == 10

    # Through the scheduler, on the immediate backend (queued after the commit).
    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_jobs() == ["publish_scheduled"]

    page.refresh_from_db()
    assert page.live
    row = Product.objects.get(pk=product.pk)
    assert row.live_revision_id == revision.pk
    assert row.variants.get().price == 8
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_cart_purge_deletes_idle_guest_carts_and_keeps_fresh_ones_and_accounts(
    settings, django_user_model
):
    settings.STOREFRONT_STALE_CART_DAYS = 30
    user = django_user_model.objects.create_user("keep", "keep@example.com", "pw")
    stale, fresh, account = Cart.objects.create(), Cart.objects.create(), Cart(user=user)
    account.save()
    now = timezone.now()
    Cart.objects.filter(pk__in=[stale.pk, account.pk]).update(updated_at=now - timedelta(days=31))
    Cart.objects.filter(pk=fresh.pk).update(updated_at=now - timedelta(days=29))

    assert maintenance.purge_stale_carts_task.call() == 1

    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh.pk, account.pk}


@pytest.mark.django_db
def test_the_guest_list_purge_deletes_lists_unchanged_for_the_kept_time(settings):
    settings.STOREFRONT_GUEST_LIST_DAYS = 30
    old = lists.default_list(Owner(guest_key="old"))
    recent = lists.default_list(Owner(guest_key="recent"))
    ShoppingList.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))

    assert maintenance.purge_guest_lists_task.call() == 1

    assert list(ShoppingList.objects.values_list("pk", flat=True)) == [recent.pk]


@pytest.mark.django_db
def test_expired_checkouts_that_hold_nothing_go_and_carts_stay(settings):
    settings.STOREFRONT_CHECKOUT_IDLE_MINUTES = 30
    settings.STOREFRONT_EXPIRED_CHECKOUT_DAYS = 7
    product = make_product(stock=10)
    now = timezone.now()

    def checkout(idle, **answers):
        cart = make_cart([(product, 1)])
        made = Checkout.objects.create(cart=cart, **answers)
        Checkout.objects.filter(pk=made.pk).update(last_activity_at=now - idle)
        return made

    empty_expired = checkout(timedelta(minutes=31))
    empty_just_in_time = checkout(timedelta(minutes=29))
    answered_expired = checkout(timedelta(days=6), email="ada@example.com")
    answered_long_ago = checkout(timedelta(days=8), email="bob@example.com")
    ordered = make_cart(
        [(product, 1)], delivery=make_delivery_method(), payment=make_payment_method()
    )
    from commerce.services.checkout import place_order

    placed = Checkout.objects.get(
        pk=place_order(ready_checkout(ordered).token, payment_data=GOOD_CARD).order.checkout.pk
    )
    Checkout.objects.filter(pk=placed.pk).update(last_activity_at=now - timedelta(days=30))
    carts = set(Cart.objects.values_list("pk", flat=True))

    assert maintenance.expire_checkouts_task.call() == 2

    assert set(Checkout.objects.values_list("pk", flat=True)) == {
        empty_just_in_time.pk,
        answered_expired.pk,
        placed.pk,
    }
    assert set(Cart.objects.values_list("pk", flat=True)) == carts
    assert not {empty_expired.pk, answered_long_ago.pk} & set(
        Checkout.objects.values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_finished_task_results_are_pruned_after_the_kept_days_and_queued_ones_never(
    database_queue, settings
):
    settings.STOREFRONT_TASK_RESULT_DAYS = 14
    settings.STOREFRONT_FAILED_TASK_RESULT_DAYS = 90
    now = timezone.now()
    old_done, old_failed, recent_done, recent_failed, old_ready = (
        every_minute.enqueue() for _ in range(5)
    )
    DBTaskResult.objects.filter(pk__in=[old_done.id, recent_done.id]).update(
        status=TaskResultStatus.SUCCESSFUL
    )
    DBTaskResult.objects.filter(pk__in=[old_failed.id, recent_failed.id]).update(
        status=TaskResultStatus.FAILED
    )
    DBTaskResult.objects.filter(pk=old_done.id).update(finished_at=now - timedelta(days=15))
    DBTaskResult.objects.filter(pk=recent_done.id).update(finished_at=now - timedelta(days=13))
    # A failed task is kept for staff well past the successful ones' 14 days.
    DBTaskResult.objects.filter(pk=old_failed.id).update(finished_at=now - timedelta(days=91))
    DBTaskResult.objects.filter(pk=recent_failed.id).update(finished_at=now - timedelta(days=89))
    DBTaskResult.objects.filter(pk=old_ready.id).update(enqueued_at=now - timedelta(days=300))

    assert maintenance.prune_task_results_task.call() == 2

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        _uuid(recent_done.id),
        _uuid(recent_failed.id),
        _uuid(old_ready.id),
    }


@background_task  # the default policy: six tries
def sturdy() -> None:
    calls.append("sturdy")


@pytest.mark.django_db
def test_a_task_stuck_running_past_the_timeout_is_queued_again_and_a_recent_one_left(
    database_queue, settings, caplog
):
    settings.STOREFRONT_TASK_STUCK_MINUTES = 60
    now = timezone.now()
    stuck, recent, last_try = sturdy.enqueue(), sturdy.enqueue(), every_minute.enqueue()
    for result, minutes in ((stuck, 61), (recent, 59), (last_try, 120)):
        DBTaskResult.objects.filter(pk=result.id).update(
            status=TaskResultStatus.RUNNING,
            started_at=now - timedelta(minutes=minutes),
            worker_ids=["killed-worker"],
        )

    assert maintenance.requeue_stuck_tasks_task.call() == 1

    status = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert status == {
        _uuid(stuck.id): TaskResultStatus.READY,
        _uuid(recent.id): TaskResultStatus.RUNNING,
        # Its one try (NO_RETRY) died with its worker: failed, for staff to see.
        _uuid(last_try.id): TaskResultStatus.FAILED,
    }
    lost = DBTaskResult.objects.get(pk=last_try.id)
    assert lost.exception_class_path == "commerce.services.maintenance.WorkerLost"
    assert "was running since" in caplog.text

    run_ready_tasks()  # a live worker takes the re-queued task and finishes it
    assert calls == ["sturdy"]
    row = DBTaskResult.objects.get(pk=stuck.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids == ["killed-worker", "test-worker"]


def _uuid(value):
    import uuid

    return uuid.UUID(str(value))


# --- Two schedulers at once ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_queue_each_job_once_per_slot():
    """Two `run_scheduler` processes, as on two machines, tick every 0.1 s for about three
    seconds with every interval shrunk 60 times: publish_scheduled (60 s) gets a slot
    a second, so both race for several slots, at their boundaries."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: the schedulers are separate processes.")
    env = {"SCHEDULE_SCALE": str(1 / 60)}
    started = timezone.now()
    schedulers = [start_manage(["run_scheduler", "--interval", "0.1"], env=env) for _ in range(2)]
    try:
        # Both up and ticking (Django starts in about a second, far slower on a busy
        # machine), then four more slots of publish_scheduled with both racing.
        deadline = time.monotonic() + 120
        while not all("Scheduler started" in read_log(s) for s in schedulers):
            assert time.monotonic() < deadline, [read_log(s) for s in schedulers]
            assert all(s.poll() is None for s in schedulers), [read_log(s) for s in schedulers]
            time.sleep(0.1)
        both_up = timezone.now()
        deadline = time.monotonic() + 30
        while ScheduledRun.objects.filter(job="publish_scheduled", slot__gt=both_up).count() < 4:
            assert time.monotonic() < deadline, [read_log(s) for s in schedulers]
            time.sleep(0.1)
    finally:
        codes = stop_all(schedulers)
    logs = [read_log(s) for s in schedulers]
    for s in schedulers:
        Path(s.log_path).unlink(missing_ok=True)
    assert codes == [0, 0], logs  # SIGTERM ends them cleanly
    assert all("Scheduler stopped." in log for log in logs), logs

    runs = list(ScheduledRun.objects.all())
    per_slot = Counter((run.job, run.slot) for run in runs)
    assert set(per_slot.values()) == {1}
    # Each run has its own task on the queue, and no task was queued without a run.
    tasks = dict(DBTaskResult.objects.values_list("pk", "task_path"))
    assert sorted(run.task_result_id for run in runs) == sorted(str(pk) for pk in tasks)
    paths = {job: path for job, _, path in _schedule()}
    for run in runs:
        assert tasks[_uuid(run.task_result_id)] == paths[run.job]
    # What the two printed: every run claimed by exactly one of them.
    claimed = Counter(re.findall(r"^Queued (\w+)$", "\n".join(logs), flags=re.MULTILINE))
    assert claimed == Counter(run.job for run in runs)
    # publish_scheduled, once a second: whole seconds, from the first tick on. (Not
    # "none skipped": on a loaded machine both may stall past a one-second slot.)
    slots = sorted(run.slot for run in runs if run.job == "publish_scheduled")
    assert len(slots) >= 5
    assert all(slot.microsecond == 0 for slot in slots)
    assert started - timedelta(seconds=1) <= slots[0] <= both_up + timedelta(seconds=1)
    # Every importable job of the shop's schedule ran in its first slot.
    importable = {job for job, _, path in _schedule() if _importable(path)}
    assert {run.job for run in runs} == importable


def stop_all(processes, timeout=60):
    """SIGTERM to all at once, then their exit codes. Only once: a second SIGTERM during
    Python's exit (seconds on a busy machine) would kill the process."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            stop_process(process)
    return [process.returncode for process in processes]


def _schedule():
    from django.conf import settings

    return settings.STOREFRONT_SCHEDULE


def _importable(path):
    from django.utils.module_loading import import_string

    try:
        import_string(path)
    except ImportError:
        return False
    return True


def test_the_scheduler_command_refuses_a_zero_interval():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="more than 0"):
        call_command("run_scheduler", "--interval", "0")
