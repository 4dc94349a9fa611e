"""End to end: the real worker process sends the order confirmation, once, through a real
SMTP server that is down on the first try (tests/processes.py).

The order is placed in this process on the database queue; a `manage.py db_worker`
subprocess on the same test database runs the e-mail task. Its first try finds the mail
server down and puts the task back (EMAIL_RETRY_BACKOFF_SECONDS=1 for the worker); the
server comes back, and the second try delivers the one confirmation.
"""

import time

import pytest
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commerce.models import SentEmail
from commerce.services import checkout as checkouts
from tests.factories.catalog import make_product
from tests.factories.checkout import (
    GOOD_CARD,
    make_cart,
    make_delivery_method,
    make_payment_method,
    ready_checkout,
)
from tests.processes import running_worker, smtp_server, wait_until
from tests.task_queue import DATABASE_QUEUE

SEND_ORDER_EMAIL = "commerce.services.notifications.send_order_email_task"


def confirmation_task():
    return DBTaskResult.objects.filter(task_path=SEND_ORDER_EMAIL).first()


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_the_confirmation_while_smtp_is_down_and_sends_it_once(settings):
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = []  # the shopper's e-mail only
    cart = make_cart(
        [(make_product("Globe", stock=5), 1)],
        delivery=make_delivery_method(),
        payment=make_payment_method(),
    )
    checkout = ready_checkout(cart, email="ada@example.com")

    with smtp_server(started=False) as smtp:
        with override_settings(TASKS=DATABASE_QUEUE):
            order = checkouts.place_order(checkout.token, payment_data=GOOD_CARD).order
        assert confirmation_task().status == TaskResultStatus.READY  # committed with the order

        worker_env = {"EMAIL_RETRY_BACKOFF_SECONDS": "1", "ORDER_NOTIFICATION_EMAILS": ""}
        with running_worker(worker_env, smtp=smtp):
            # Try 1: connection refused; the same row goes back, due a second later.
            first = wait_until(
                lambda: (
                    (row := confirmation_task()).worker_ids
                    and row.status == TaskResultStatus.READY
                    and row
                ),
                timeout=30,
            )
            smtp.start()
            assert len(first.worker_ids) == 1
            assert first.exception_class_path == "builtins.ConnectionRefusedError"
            assert not SentEmail.objects.filter(sent_at__isnull=False).exists()

            # Try 2, once the delay is over: delivered.
            done = wait_until(
                lambda: (
                    (row := confirmation_task()).status
                    in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
                    and row
                ),
                timeout=30,
            )
            time.sleep(0.5)  # a duplicate would arrive in this time; none may

    assert done.status == TaskResultStatus.SUCCESSFUL, done.traceback
    assert len(done.worker_ids) == 2
    (received,) = smtp.received()
    assert received.rcpt_tos == ("ada@example.com",)
    assert order.number in received.subject
    record = SentEmail.objects.get()
    assert record.key == f"order_placed:{order.pk}" and record.sent_at is not None
