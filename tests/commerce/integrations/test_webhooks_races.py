"""Webhook writes that race, on PostgreSQL, each in its own connection: failures counted
at once switch a subscriber off once (one staff e-mail), and two re-sends queue one send."""

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from commerce.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from commerce.integrations.services import webhooks
from tests.commerce.integrations.webhook_support import subscribe
from tests.concurrency import run_at_once
from tests.task_queue import DATABASE_QUEUE

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFY = "commerce.integrations.services.webhooks.notify_disabled_task"
DELIVER = "commerce.integrations.services.webhooks.deliver_task"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.STOREFRONT_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


def test_failures_counted_at_once_switch_the_subscriber_off_once():
    hook = subscribe("https://erp.example.com/hook", [WebhookEvent.ORDER_CREATED])
    results = run_at_once([lambda: webhooks.count_failure(hook.pk)] * 6)
    assert sorted(value for _, value in results) == [False] * 5 + [True]
    hook.refresh_from_db()
    assert hook.consecutive_failures == 6 and not hook.is_active
    assert DBTaskResult.objects.filter(task_path=NOTIFY).count() == 1


def test_two_re_sends_at_once_queue_one_send():
    hook = subscribe("https://erp.example.com/hook", [WebhookEvent.ORDER_CREATED])
    delivery = WebhookDelivery.objects.create(
        subscription=hook,
        event=WebhookEvent.ORDER_CREATED,
        payload={"data": {}},
        status=DeliveryStatus.FAILED,
        attempts=6,
    )
    results = run_at_once(
        [lambda: webhooks.resend(WebhookDelivery.objects.get(pk=delivery.pk))] * 2,
        refused=(webhooks.ResendRefused,),
    )
    assert sorted(outcome for outcome, _ in results) == ["ok", "refused"]
    assert DBTaskResult.objects.filter(task_path=DELIVER).count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts_before_resend) == (DeliveryStatus.PENDING, 6)
