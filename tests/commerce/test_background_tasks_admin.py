"""The admin's "Background tasks" report (commerce/admin/background_tasks.py) and the retry of
a failed task (commerce/services/task_admin.py), on the real database queue."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from commerce.models import BackgroundTask
from commerce.services.task_admin import (
    TaskNotRetryable,
    queue_elsewhere_note,
    retry_failed_task_now,
)
from commerce.services.tasks import RetryPolicy, background_task
from tests.concurrency import run_at_once
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

REPORT_URL = "/admin/reports/background-tasks/"
HERE = __name__
mail_server_up = {"up": False}


@background_task(retry=RetryPolicy(attempts=3, backoff=60))
def send_test_mail(to: str) -> str:
    if not mail_server_up["up"]:
        raise ValueError(f"no mail for {to}: the template is broken")
    return to


@pytest.fixture(autouse=True)
def _database_queue(monkeypatch):
    mail_server_up["up"] = False
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/shop/commerce/services/notifications.py", line 40, in send\n'
    "    connection.send_messages(messages)\n"
    "smtplib.SMTPServerDisconnected: Connection unexpectedly closed\n"
)


def make_row(status, *, tries=0, error=False, run_after=None, finished=False, path=None, ago=0):
    row = DBTaskResult.objects.create(
        status=status,
        task_path=path or f"{HERE}.send_test_mail",
        args_kwargs={"args": ["shopper@example.com"], "kwargs": {}},
        backend_name="default",
        run_after=run_after or get_date_max(),
        worker_ids=[f"worker-{n}" for n in range(tries)],
        exception_class_path="smtplib.SMTPServerDisconnected" if error else "",
        traceback=TRACEBACK if error else "",
        finished_at=timezone.now() if finished else None,
    )
    if ago:  # enqueued_at is auto_now_add
        DBTaskResult.objects.filter(pk=row.pk).update(
            enqueued_at=timezone.now() - timedelta(minutes=ago)
        )
    return row


def rows(response) -> dict[str, str]:
    """Task id → its status label, in the listed order."""
    html = response.content.decode()
    return dict(re.findall(r'<tr data-task="([0-9a-f-]+)" data-status="(\w+)"', html))


def retry_url(row):
    return f"{REPORT_URL}{row.pk}/retry/"


@pytest.fixture
def one_of_each(db):
    return {
        "queued": make_row(TaskResultStatus.READY, ago=5),
        "retrying": make_row(
            TaskResultStatus.READY,
            tries=1,
            error=True,
            run_after=timezone.now() + timedelta(minutes=1),
            ago=4,
        ),
        "running": make_row(TaskResultStatus.RUNNING, tries=1, ago=3),
        "failed": make_row(TaskResultStatus.FAILED, tries=3, error=True, finished=True, ago=2),
        "successful": make_row(TaskResultStatus.SUCCESSFUL, tries=1, finished=True, ago=1),
    }


@pytest.fixture
def staff_without_permission(django_user_model):
    """Runs orders in the admin, but was not given the background tasks."""
    user = django_user_model.objects.create_user("clerk", password="pw-1234-abc")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order", content_type__app_label="commerce"),
        Permission.objects.get(codename="change_order", content_type__app_label="commerce"),
    )
    return user


@pytest.fixture
def viewer(django_user_model):
    """May see the report, may not retry."""
    user = django_user_model.objects.create_user("viewer", password="pw-1234-abc")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_backgroundtask", content_type__app_label="commerce"),
    )
    return user


@pytest.fixture
def manager(django_user_model):
    user = django_user_model.objects.create_user("manager", password="pw-1234-abc")
    user.groups.add(Group.objects.get(name="Shop managers"))
    return user


class TestReport:
    def test_lists_what_is_not_successful_newest_first(self, admin_client, one_of_each):
        listed = rows(admin_client.get(REPORT_URL))
        assert list(listed.values()) == ["failed", "running", "queued", "queued"]
        assert list(listed) == [
            str(one_of_each[name].pk) for name in ("failed", "running", "retrying", "queued")
        ]

    @pytest.mark.parametrize(
        "status, expected",
        [
            ("failed", ["failed"]),
            ("running", ["running"]),
            ("queued", ["retrying", "queued"]),
            ("retrying", ["retrying"]),
            ("successful", ["successful"]),
            ("all", ["successful", "failed", "running", "retrying", "queued"]),
            ("", ["failed", "running", "retrying", "queued"]),
            ("nonsense", ["failed", "running", "retrying", "queued"]),
        ],
    )
    def test_filter_by_status(self, admin_client, one_of_each, status, expected):
        response = admin_client.get(REPORT_URL, {"status": status})
        assert response.status_code == 200
        assert list(rows(response)) == [str(one_of_each[name].pk) for name in expected]

    def test_nul_in_the_filter_is_a_bad_request(self, admin_client, one_of_each):
        # The project's NulGuardMiddleware (commerce/inputs.py) answers before the view.
        assert admin_client.get(REPORT_URL, {"status": "\x00"}).status_code == 400

    def test_the_ajax_results_fragment_filters_too(self, admin_client, one_of_each):
        response = admin_client.get(f"{REPORT_URL}results/", {"status": "failed"})
        assert list(rows(response)) == [str(one_of_each["failed"].pk)]

    def test_shows_name_tries_next_try_and_the_last_error(self, admin_client, one_of_each):
        html = admin_client.get(REPORT_URL).content.decode()
        failed = html.split(f'data-task="{one_of_each["failed"].pk}"')[1].split("</tr>")[0]
        assert "Send test mail" in failed and f"{HERE}.send_test_mail" in failed
        assert "<td>3</td>" in failed  # tries: one per worker id
        assert "SMTPServerDisconnected</strong>: Connection unexpectedly closed</summary>" in failed
        assert "connection.send_messages(messages)" in failed  # the traceback, folded
        assert "Retry</a>" in failed

        retrying = html.split(f'data-task="{one_of_each["retrying"].pk}"')[1].split("</tr>")[0]
        assert "retrying: try 2 of 3" in retrying
        assert "Retry</a>" not in retrying  # only failed tasks are retried by hand
        # next try: run_after in the future; none for a task that may run now
        next_try = one_of_each["retrying"].run_after.isoformat()
        assert retrying.count("–") == 1 and next_try[:16] in retrying.replace(" ", "T")

        queued = html.split(f'data-task="{one_of_each["queued"].pk}"')[1].split("</tr>")[0]
        assert queued.count("–") == 3  # no next try, not finished, no error
        assert "retrying" not in queued

    def test_the_header_offers_retry_all_failed(self, admin_client, db):
        html = admin_client.get(REPORT_URL).content.decode()
        assert f'href="{REPORT_URL}retry-failed/"' in html and "Retry all failed" in html

    def test_a_task_retried_past_its_planned_tries_says_so(self, admin_client):
        make_row(TaskResultStatus.READY, tries=3, error=True)
        html = admin_client.get(REPORT_URL).content.decode()
        assert "retrying: try 4, one more than its 3 (retried by staff)" in html

    def test_a_task_whose_code_is_gone_still_shows(self, admin_client):
        gone = make_row(TaskResultStatus.FAILED, error=True, path="commerce.nowhere.lost_task")
        html = admin_client.get(REPORT_URL).content.decode()
        assert f'data-task="{gone.pk}"' in html and "Lost" in html

    def test_the_task_page_shows_the_whole_traceback(self, admin_client, one_of_each):
        response = admin_client.get(f"{REPORT_URL}{one_of_each['failed'].pk}/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "/srv/shop/commerce/services/notifications.py&quot;, line 40, in send" in html
        assert "shopper@example.com" in html and "worker-0, worker-1, worker-2" in html
        assert f'href="{retry_url(one_of_each["failed"])}"' in html

    def test_nothing_to_show(self, admin_client, db):
        html = admin_client.get(REPORT_URL).content.decode()
        assert "No background tasks to show" in html

    def test_is_paginated(self, admin_client, db):
        for _ in range(51):
            make_row(TaskResultStatus.FAILED, error=True)
        assert len(rows(admin_client.get(REPORT_URL))) == 50
        assert len(rows(admin_client.get(REPORT_URL, {"p": 2}))) == 1
        assert admin_client.get(REPORT_URL, {"p": "x"}).status_code == 200  # the first page

    def test_costs_the_same_number_of_queries_for_4_and_46_rows(
        self, client, manager, django_assert_max_num_queries
    ):
        client.force_login(manager)  # not a superuser: permissions are read too
        for _ in range(3):
            make_row(TaskResultStatus.FAILED, tries=2, error=True)
        make_row(TaskResultStatus.READY, tries=1, error=True)
        client.get(REPORT_URL)
        with CaptureQueriesContext(connection) as small:
            assert len(rows(client.get(REPORT_URL))) == 4
        budget = len(small)
        assert 0 < budget <= 12  # session, user, permissions, menu, count, rows
        for _ in range(21):
            make_row(TaskResultStatus.FAILED, tries=2, error=True)
            make_row(TaskResultStatus.READY, tries=1, error=True)
        with django_assert_max_num_queries(budget):
            assert len(rows(client.get(REPORT_URL))) == 46


class TestRetry:
    def test_get_asks_and_changes_nothing(self, admin_client, one_of_each):
        failed = one_of_each["failed"]
        response = admin_client.get(retry_url(failed))
        assert response.status_code == 200
        assert "Yes, retry" in response.content.decode()
        assert DBTaskResult.objects.get(pk=failed.pk).status == TaskResultStatus.FAILED

    def test_post_puts_the_failed_task_back_to_run_now_on_the_same_row(
        self, admin_client, one_of_each
    ):
        failed = one_of_each["failed"]
        before = timezone.now()
        response = admin_client.post(retry_url(failed), follow=True)
        assert "is queued again" in response.content.decode()
        row = DBTaskResult.objects.get(pk=failed.pk)
        assert row.status == TaskResultStatus.READY
        assert before <= row.run_after <= timezone.now()
        assert row.finished_at is None
        assert row.worker_ids == failed.worker_ids  # its tries so far stay
        assert row.exception_class_path == "smtplib.SMTPServerDisconnected"  # until it succeeds
        assert DBTaskResult.objects.count() == 5  # the same row, no copy
        assert DBTaskResult.objects.ready().filter(pk=failed.pk).exists()  # a worker takes it now

    def test_a_second_post_is_refused_and_changes_nothing(self, admin_client, one_of_each):
        failed = one_of_each["failed"]
        admin_client.post(retry_url(failed))
        run_after = DBTaskResult.objects.get(pk=failed.pk).run_after
        response = admin_client.post(retry_url(failed), follow=True)
        assert "is queued, not failed: it was not queued again" in response.content.decode()
        assert DBTaskResult.objects.get(pk=failed.pk).run_after == run_after

    @pytest.mark.parametrize("name", ["queued", "retrying", "running", "successful"])
    def test_only_a_failed_task_is_retried(self, admin_client, one_of_each, name):
        row = one_of_each[name]
        before = DBTaskResult.objects.values().get(pk=row.pk)
        assert "Yes, retry" not in admin_client.get(retry_url(row)).content.decode()
        admin_client.post(retry_url(row))
        assert DBTaskResult.objects.values().get(pk=row.pk) == before

    def test_the_worker_runs_a_retried_task_and_success_clears_the_error(self, admin_client):
        send_test_mail.enqueue("shopper@example.com")
        run_ready_tasks()  # ValueError: not transient, fails at once
        row = DBTaskResult.objects.get()
        assert row.status == TaskResultStatus.FAILED
        html = admin_client.get(REPORT_URL).content.decode()
        assert "ValueError</strong>: no mail for shopper@example.com: the template is" in html

        admin_client.post(retry_url(row))
        run_ready_tasks()  # still broken: failed again, two tries
        row.refresh_from_db()
        assert row.status == TaskResultStatus.FAILED and len(row.worker_ids) == 2

        mail_server_up["up"] = True
        admin_client.post(retry_url(row))
        run_ready_tasks()
        row.refresh_from_db()
        assert row.status == TaskResultStatus.SUCCESSFUL and len(row.worker_ids) == 3
        assert row.exception_class_path == "" and row.return_value == "shopper@example.com"
        assert f'data-task="{row.pk}"' not in admin_client.get(REPORT_URL).content.decode()

    def test_retry_all_failed(self, admin_client, one_of_each):
        other = make_row(TaskResultStatus.FAILED, tries=1, error=True)
        assert (
            "Queue all 2 failed tasks again"
            in admin_client.get(f"{REPORT_URL}retry-failed/").content.decode()
        )
        assert DBTaskResult.objects.failed().count() == 2  # GET changed nothing
        response = admin_client.post(f"{REPORT_URL}retry-failed/", follow=True)
        assert "2 failed tasks queued again" in response.content.decode()
        assert not DBTaskResult.objects.failed().exists()
        assert DBTaskResult.objects.get(pk=other.pk).status == TaskResultStatus.READY
        assert DBTaskResult.objects.get(pk=one_of_each["running"].pk).status == "RUNNING"

    def test_csrf_is_required(self, admin_user, one_of_each):
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        assert client.post(retry_url(one_of_each["failed"])).status_code == 403
        assert client.post(f"{REPORT_URL}retry-failed/").status_code == 403
        assert DBTaskResult.objects.failed().count() == 1

    def test_the_retry_url_takes_get_and_post_only(self, admin_client, one_of_each):
        assert admin_client.put(retry_url(one_of_each["failed"])).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_staff_retrying_at_once_queue_it_once(admin_user):
    with override_settings(TASKS=DATABASE_QUEUE):
        failed = make_row(TaskResultStatus.FAILED, tries=3, error=True)
        results = run_at_once(
            [lambda: retry_failed_task_now(failed.pk, by=admin_user).status] * 2,
            refused=(TaskNotRetryable,),
        )
    assert sorted(outcome for outcome, _ in results) == ["ok", "refused"]
    assert DBTaskResult.objects.get(pk=failed.pk).status == TaskResultStatus.READY


def assert_refused(response):
    """Wagtail's answer to PermissionDenied in the admin: back to the dashboard, with a message."""
    assert response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.django_db
class TestPermissions:
    def test_staff_without_the_permission_neither_see_nor_retry(
        self, client, staff_without_permission, one_of_each
    ):
        client.force_login(staff_without_permission)
        failed = one_of_each["failed"]
        for url in (REPORT_URL, f"{REPORT_URL}{failed.pk}/", retry_url(failed)):
            assert_refused(client.get(url))
        assert_refused(client.post(retry_url(failed)))
        assert_refused(client.post(f"{REPORT_URL}retry-failed/"))
        assert DBTaskResult.objects.get(pk=failed.pk).status == TaskResultStatus.FAILED
        assert REPORT_URL not in client.get("/admin/").content.decode()  # no menu item

    def test_a_viewer_sees_the_report_but_no_retry(self, client, viewer, one_of_each):
        client.force_login(viewer)
        failed = one_of_each["failed"]
        html = client.get(REPORT_URL).content.decode()
        assert f'data-task="{failed.pk}"' in html and "Retry</a>" not in html
        assert "Retry all failed" not in html
        assert client.get(f"{REPORT_URL}{failed.pk}/").status_code == 200
        assert_refused(client.get(retry_url(failed)))
        assert_refused(client.post(retry_url(failed)))
        assert DBTaskResult.objects.get(pk=failed.pk).status == TaskResultStatus.FAILED
        assert REPORT_URL in client.get("/admin/").content.decode()

    def test_shop_managers_see_and_retry(self, client, manager, one_of_each):
        client.force_login(manager)
        assert REPORT_URL in client.get("/admin/").content.decode()
        client.post(retry_url(one_of_each["failed"]))
        assert DBTaskResult.objects.failed().count() == 0

    def test_the_superuser_sees_the_menu_item(self, admin_client, db):
        assert REPORT_URL in admin_client.get("/admin/").content.decode()

    def test_visitors_are_sent_to_log_in(self, client, one_of_each):
        response = client.post(retry_url(one_of_each["failed"]))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        assert DBTaskResult.objects.failed().count() == 1

    def test_the_group_editor_offers_view_and_retry(self):
        from wagtail import hooks

        offered = {
            permission.codename
            for hook in hooks.get_hooks("register_permissions")
            for permission in hook()
            if permission.content_type.model == "backgroundtask"
        }
        assert offered == {"view_backgroundtask", "retry_backgroundtask"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "task_id, status",
    [
        ("not-a-uuid", 404),
        # Unknown ids, written out: parameters must be the same in every xdist worker.
        ("6f1c2b1e-3d4a-4f5b-9c8d-7e6f5a4b3c2d", 404),
        ("6F1C2B1E-3D4A-4F5B-9C8D-7E6F5A4B3C2D", 404),
        ("0" * 32, 404),
        ("..%2F..%2F", 404),
        # NUL: the project's NulGuardMiddleware (commerce/inputs.py) answers before the view.
        ("%00", 400),
        ("6f1c2b1e-3d4a-4f5b-9c8d-7e6f5a4b3c2d%00", 400),
    ],
)
@pytest.mark.parametrize("suffix", ["", "retry/"])
def test_bad_task_ids_are_not_found(admin_client, task_id, status, suffix):
    make_row(TaskResultStatus.FAILED, error=True)
    url = f"{REPORT_URL}{task_id}/{suffix}"
    assert admin_client.get(url).status_code == status
    if suffix:  # the task's page takes GET only (405 for a POST)
        assert admin_client.post(url).status_code == status
    assert DBTaskResult.objects.failed().count() == 1


@pytest.mark.parametrize(
    "path, last_line, name, message",
    [
        (
            "smtplib.SMTPServerDisconnected",
            "smtplib.SMTPServerDisconnected: closed",
            "SMTPServerDisconnected",
            "closed",
        ),
        ("builtins.ValueError", "ValueError: bad: really", "ValueError", "bad: really"),
        ("builtins.OSError", "OSError", "OSError", ""),
        ("app.Odd", "something else entirely", "Odd", "something else entirely"),
        ("", "", "", ""),
    ],
)
def test_the_last_error_is_its_class_and_message(path, last_line, name, message):
    traceback = f'Traceback (most recent call last):\n  File "x.py", line 1\n{last_line}\n\n'
    task = BackgroundTask(exception_class_path=path, traceback=traceback if path else "")
    assert (task.error_name, task.error_message) == (name, message)


@pytest.mark.django_db
def test_unknown_id_in_the_service_is_does_not_exist(admin_user):
    with pytest.raises(BackgroundTask.DoesNotExist):
        retry_failed_task_now(uuid.uuid4(), by=admin_user)


class TestOtherQueues:
    def test_the_immediate_backend_is_said_not_failed(self, admin_client, one_of_each):
        with override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        ):
            response = admin_client.get(REPORT_URL)
            assert response.status_code == 200
            html = response.content.decode()
            assert "TASK_BACKEND=immediate" in html and rows(response) == {}
            assert "Retry all failed" not in html

    def test_on_rq_the_report_points_to_rq(self, admin_client, db):
        pytest.importorskip("django_tasks_rq")
        with override_settings(
            TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
            RQ_QUEUES={"default": {"URL": "redis://127.0.0.1:1/0"}},
        ):
            note = queue_elsewhere_note()
            assert "rq info" in note and "django-rq" in note
            assert "rq info" in admin_client.get(REPORT_URL).content.decode()
