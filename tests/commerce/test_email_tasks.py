"""E-mails as background tasks (commerce/services/notifications.py, accounts.py).

The tasks run on the real database queue, through django-tasks-db's own worker loop in
this process (as in test_task_retries.py); the mail server is a real SMTP server on
loopback (tests/processes.py), taken down where a test says so.
"""

import re
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commerce.models import Order, OrderStatus, OrderStatusChange, SentEmail
from commerce.services import checkout as checkouts
from commerce.services.accounts import send_account_email_task
from commerce.services.notifications import (
    EMAIL_RETRY,
    ORDER_PLACED,
    queue_order_placed,
    send_order_email_task,
)
from commerce.services.orders import change_status
from tests.factories.accounts import make_customer
from tests.factories.catalog import make_product
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.factories.orders import make_order
from tests.processes import smtp_server
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

SEND_ORDER_EMAIL = "commerce.services.notifications.send_order_email_task"
SEND_ACCOUNT_EMAIL = "commerce.services.accounts.send_account_email_task"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_queue(monkeypatch, settings):
    keep_test_connection(monkeypatch)
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = []
    settings.STOREFRONT_EMAIL_RETRY_BACKOFF_SECONDS = 30
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, the shop sending through it."""
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_TIMEOUT = 5
        yield server


def email_tasks():
    # Saving products and orders queues search-index tasks too; these tests count e-mails.
    return DBTaskResult.objects.filter(task_path__in=[SEND_ORDER_EMAIL, SEND_ACCOUNT_EMAIL])


def make_due(row):
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())


def sent_keys():
    return set(SentEmail.objects.filter(sent_at__isnull=False).values_list("key", flat=True))


def test_the_confirmation_task_run_twice_sends_once(smtp):
    order = make_order([(make_product(), 1)], email="ada@example.com")
    queue_order_placed(order)
    queue_order_placed(order)  # queued twice, as by a retried request
    run_ready_tasks()

    assert email_tasks().filter(status=TaskResultStatus.SUCCESSFUL).count() == 2
    (received,) = smtp.received()
    assert received.rcpt_tos == ("ada@example.com",) and order.number in received.subject
    record = SentEmail.objects.get()
    assert (record.key, record.kind, record.order) == (
        f"order_placed:{order.pk}",
        ORDER_PLACED,
        order,
    )
    assert record.to == "ada@example.com" and order.number in record.subject

    # Run by hand once more (a worker that lost track of having run it): still once.
    assert send_order_email_task.call(order.pk, ORDER_PLACED) == "nothing to send"
    assert len(smtp.received()) == 1


def test_the_staff_notice_is_its_own_message(smtp, settings):
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = ["shop@example.com"]
    order = make_order([(make_product(), 1)], email="ada@example.com")
    queue_order_placed(order)
    run_ready_tasks()
    assert sorted(m.rcpt_tos for m in smtp.received()) == [
        ("ada@example.com",),
        ("shop@example.com",),
    ]
    assert sent_keys() == {f"order_placed:{order.pk}", f"order_placed_staff:{order.pk}"}


def test_smtp_down_puts_the_task_back_with_a_delay_and_marks_nothing_sent_then_sends_once(smtp):
    order = make_order([(make_product(), 1)], email="ada@example.com")
    queue_order_placed(order)
    smtp.stop()

    run_ready_tasks()
    row = email_tasks().get()
    assert row.status == TaskResultStatus.READY
    assert row.exception_class_path == "builtins.ConnectionRefusedError"
    assert timedelta(seconds=25) < row.run_after - timezone.now() <= timedelta(seconds=30)
    assert not SentEmail.objects.exists()  # the failed send rolled its row back

    run_ready_tasks()  # not due yet
    assert len(email_tasks().get().worker_ids) == 1

    smtp.start()
    make_due(row)
    run_ready_tasks()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and len(row.worker_ids) == 2
    assert len(smtp.received()) == 1
    assert sent_keys() == {f"order_placed:{order.pk}"}


def test_the_backoff_setting_is_read_at_each_failure_and_doubles(smtp, settings):
    settings.STOREFRONT_EMAIL_RETRY_BACKOFF_SECONDS = 1
    order = make_order([(make_product(), 1)])
    queue_order_placed(order)
    smtp.stop()
    run_ready_tasks()
    row = email_tasks().get()
    assert row.run_after - timezone.now() <= timedelta(seconds=1)
    make_due(row)
    run_ready_tasks()
    row.refresh_from_db()
    assert timedelta(seconds=1) < row.run_after - timezone.now() <= timedelta(seconds=2)


def test_a_mail_server_down_for_every_try_leaves_the_task_failed_after_the_last(smtp):
    order = make_order([(make_product(), 1)])
    queue_order_placed(order)
    smtp.stop()
    for _ in range(EMAIL_RETRY.attempts - 1):
        run_ready_tasks()
        row = email_tasks().get()
        assert row.status == TaskResultStatus.READY
        make_due(row)
    run_ready_tasks()  # the last try
    row = email_tasks().get()
    assert row.status == TaskResultStatus.FAILED
    assert len(row.worker_ids) == EMAIL_RETRY.attempts == 6
    assert row.exception_class_path == "builtins.ConnectionRefusedError"
    assert not SentEmail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_message_at_once_send_it_once(monkeypatch):
    """Two workers on one task (a task re-queued while its first run was still sending):
    the second waits on the first's SentEmail row and finds it sent."""
    order = make_order([(make_product(), 1)])
    original = locmem.EmailBackend.send_messages

    def slow_send(backend, messages):
        time.sleep(0.3)  # the other run arrives while this one holds the row
        return original(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", slow_send)
    results = []

    def run():
        try:
            results.append(send_order_email_task.call(order.pk, ORDER_PLACED))
        finally:
            connection.close()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(10)
    assert sorted(results) == ["nothing to send", "sent"]
    assert len(mail.outbox) == 1
    assert sent_keys() == {f"order_placed:{order.pk}"}


def test_a_deleted_order_is_no_error_and_mails_nobody(smtp):
    order = make_order([(make_product(), 1)])
    queue_order_placed(order)
    Order.objects.filter(pk=order.pk).delete()
    run_ready_tasks()
    row = email_tasks().get()
    assert (row.status, row.return_value) == (TaskResultStatus.SUCCESSFUL, "order deleted")
    assert smtp.received() == []


def test_a_status_email_per_status_change(smtp):
    staff = make_customer("clerk@example.com")
    order = make_order(
        [(make_product(), 1)], status=OrderStatus.PAID, provider="mock_card", email="a@example.com"
    )
    change_status(order, OrderStatus.FULFILLED, by=staff)  # the shopper hears nothing
    assert not email_tasks().exists()
    change_status(order, OrderStatus.SHIPPED, by=staff)
    change_status(order, OrderStatus.REFUNDED, by=staff)
    run_ready_tasks()
    run_ready_tasks()  # nothing left to run twice

    changes = dict(OrderStatusChange.objects.filter(order=order).values_list("to_status", "pk"))
    assert sent_keys() == {
        f"order_status:{changes[OrderStatus.SHIPPED]}",
        f"order_status:{changes[OrderStatus.REFUNDED]}",
    }
    subjects = sorted(m.subject.split(order.number)[1] for m in smtp.received())
    assert subjects == [" is on its way", " was refunded (25.00 EUR)"]
    # Each change's task again: nothing more.
    for row in email_tasks().all():
        assert send_order_email_task.call(*row.args_kwargs["args"]) == "nothing to send"
    assert len(smtp.received()) == 2


def test_an_order_rolled_back_queues_nothing():
    cart = make_cart(
        [(make_product(stock=5), 1)], delivery=make_delivery_method(), payment=make_payment_method()
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD)
        assert email_tasks().count() == 1
        raise RuntimeError("the caller's transaction fails after the placement")
    assert not Order.objects.exists()
    assert not email_tasks().exists()


def test_a_status_change_rolled_back_queues_nothing():
    order = make_order([(make_product(), 1)], status=OrderStatus.FULFILLED)
    with pytest.raises(RuntimeError), transaction.atomic():
        change_status(order, OrderStatus.SHIPPED)
        raise RuntimeError
    assert not email_tasks().exists()


def test_on_the_immediate_backend_a_placed_order_mails_at_the_commit_and_a_rollback_never(
    django_capture_on_commit_callbacks,
):
    methods = {"delivery": make_delivery_method(), "payment": make_payment_method()}
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            cart = make_cart([(make_product(stock=5), 1)], **methods)
            checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD)
            raise RuntimeError
        assert mail.outbox == []
        with django_capture_on_commit_callbacks(execute=True):
            cart = make_cart([(make_product(stock=5), 1)], **methods)
            order = checkouts.place_order(ready_checkout(cart).token, payment_data=GOOD_CARD).order
            assert mail.outbox == []
    (message,) = mail.outbox
    assert order.number in message.subject
    assert sent_keys() == {f"order_placed:{order.pk}"}


# --- Account e-mails ---------------------------------------------------------------------------


def test_a_password_reset_is_a_task_whose_link_is_made_when_it_is_sent(smtp, homepage):
    shopper = make_customer("anna@example.com")
    response = Client().post(reverse("account:password_reset"), {"email": "anna@example.com"})
    assert response.status_code == 302
    assert smtp.received() == []  # queued, not sent in the request

    row = email_tasks().get()
    key, purpose, user_id, *_ = row.args_kwargs["args"]
    assert (purpose, user_id) == ("password_reset", shopper.pk)
    assert re.fullmatch(rf"account:password_reset:{shopper.pk}:\w{{16}}", key)
    run_ready_tasks()
    (received,) = smtp.received()
    body = received.message.get_payload(decode=True).decode()
    link = re.search(r"https?://testserver(/account/password/reset/\S+/)", body).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(row.args_kwargs)  # the token was never stored in the queue
    assert Client().get(link).status_code == 302  # a valid link

    # The same request's task again: once. A second request: a second e-mail.
    assert send_account_email_task.call(*row.args_kwargs["args"]) == "nothing to send"
    Client().post(reverse("account:password_reset"), {"email": "anna@example.com"})
    run_ready_tasks()
    assert len(smtp.received()) == 2


def test_a_reset_link_is_not_sent_to_an_account_deactivated_since(smtp, homepage):
    shopper = make_customer("anna@example.com")
    Client().post(reverse("account:password_reset"), {"email": "anna@example.com"})
    get_user_model().objects.filter(pk=shopper.pk).update(is_active=False)
    run_ready_tasks()
    assert smtp.received() == []
    assert email_tasks().get().return_value == "account cannot reset its password"


def test_a_welcome_is_sent_once_per_account(smtp, homepage):
    password = "plum-tractor-velvet-91"
    Client().post(
        reverse("account:signup"),
        {"email": "new@example.com", "password1": password, "password2": password},
    )
    user = get_user_model().objects.get(email="new@example.com")
    run_ready_tasks()
    (row,) = email_tasks().all()
    assert row.args_kwargs["args"][0] == f"account:welcome:{user.pk}"
    assert send_account_email_task.call(*row.args_kwargs["args"]) == "nothing to send"
    # The shop's name (Settings → Branding), not the host.
    assert [m.subject for m in smtp.received()] == ["Welcome to Storefront"]
