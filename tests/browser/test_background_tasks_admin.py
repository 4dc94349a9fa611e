"""End to end in a real Chromium: staff retry a failed background task.

A member of staff with the report's two permissions (as "Shop managers" have) logs in
to the admin, opens Reports → Background tasks, finds the failed e-mail task with its
error, reads the traceback, clicks Retry, confirms, and sees the task queued again. No
worker runs here, so the task stays queued.
"""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from playwright.sync_api import Page, expect

from commerce.services.tasks import RetryPolicy, background_task
from tests.task_queue import DATABASE_QUEUE

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/shop/commerce/services/notifications.py", line 40, in send\n'
    "    connection.send_messages(messages)\n"
    "smtplib.SMTPServerDisconnected: Connection unexpectedly closed\n"
)


@background_task(retry=RetryPolicy(attempts=3))
def send_receipt(order_id: int) -> None:
    raise AssertionError("never run here: no worker")


@pytest.mark.django_db(transaction=True)
def test_staff_retry_a_failed_task_from_the_reports(live_server, page: Page, django_user_model):
    # The permissions the "Shop managers" group has, given directly: a transactional test
    # empties the tables, so the group from the migration may be gone.
    manager = django_user_model.objects.create_user("manager", password=PASSWORD)
    manager.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["access_admin", "view_backgroundtask", "retry_backgroundtask"]
        )
    )
    failed = DBTaskResult.objects.create(
        status=TaskResultStatus.FAILED,
        task_path=f"{__name__}.send_receipt",
        args_kwargs={"args": [42], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
        worker_ids=["w1", "w2", "w3"],
        exception_class_path="smtplib.SMTPServerDisconnected",
        traceback=TRACEBACK,
    )

    with override_settings(TASKS=DATABASE_QUEUE):
        page.goto(live_server.url + "/admin/login/")
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/admin/$"))

        page.get_by_role("button", name="Reports").click()
        page.get_by_role("link", name="Background tasks").click()
        expect(page).to_have_url(re.compile(r"/admin/reports/background-tasks/$"))
        row = page.locator(f'tr[data-task="{failed.pk}"]')
        expect(row).to_contain_text("Send receipt")
        expect(row).to_contain_text("failed")
        expect(row).to_contain_text("SMTPServerDisconnected: Connection unexpectedly closed")
        row.locator("summary").click()  # the folded traceback
        expect(row.get_by_text("connection.send_messages(messages)")).to_be_visible()

        row.get_by_role("link", name="Retry").click()
        expect(page.get_by_text("It has run 3 times")).to_be_visible()
        assert DBTaskResult.objects.get(pk=failed.pk).status == TaskResultStatus.FAILED
        page.get_by_role("button", name="Yes, retry").click()

        expect(page).to_have_url(re.compile(r"/admin/reports/background-tasks/$"))
        expect(page.get_by_text("“Send receipt” is queued again.")).to_be_visible()
        row = page.locator(f'tr[data-task="{failed.pk}"]')
        expect(row).to_have_attribute("data-status", "queued")
        expect(row).to_contain_text("retrying: try 4, one more than its 3 (retried by staff)")
        expect(row.get_by_role("link", name="Retry")).to_have_count(0)
    assert DBTaskResult.objects.get(pk=failed.pk).status == TaskResultStatus.READY
