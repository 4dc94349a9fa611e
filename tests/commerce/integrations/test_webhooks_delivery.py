"""Sending webhooks to a real HTTP receiver on loopback: signatures, retries with backoff on
the database queue, the delivery log, permanent failures, switching a failing subscriber
off, and the admin (create with the secret shown once, the log, re-send)."""

import socket
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commerce.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from commerce.integrations.services import webhooks
from commerce.services.tasks import policy_for
from tests.commerce.integrations.webhook_support import run_queue_until_idle, subscribe
from tests.task_queue import DATABASE_QUEUE, keep_test_connection, run_ready_tasks

pytestmark = pytest.mark.django_db

LIST_URL = reverse("wagtailsnippets_integrations_webhookdelivery:list")
DELIVER = "commerce.integrations.services.webhooks.deliver_task"
ADD_URL = reverse("wagtailsnippets_integrations_webhooksubscription:add")


@pytest.fixture(autouse=True)
def _webhook_settings(settings, monkeypatch):
    settings.STOREFRONT_WEBHOOK_ALLOW_HTTP = True
    settings.STOREFRONT_WEBHOOK_RETRY_BACKOFF_SECONDS = 0
    settings.STOREFRONT_WEBHOOK_ATTEMPTS = 6
    settings.STOREFRONT_WEBHOOK_DISABLE_AFTER_FAILURES = 10
    settings.STOREFRONT_ORDER_NOTIFICATION_EMAILS = ["ops@example.com"]
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_QUEUE):
        yield


@pytest.fixture
def hook(receiver):
    subscription = subscribe(receiver.url, [WebhookEvent.ORDER_CREATED])
    receiver.secret = subscription.secret
    return subscription


def an_event(subscription, n=1):
    with_commit = webhooks.record(
        subscription, WebhookEvent.ORDER_CREATED, {"order": {"number": f"2026-{n:06d}"}}
    )
    return with_commit


def fresh(delivery):
    return WebhookDelivery.objects.get(pk=delivery.pk)


# --- Retries against a receiver that fails first ---------------------------------------------


def make_due():
    DBTaskResult.objects.filter(task_path=DELIVER, status=TaskResultStatus.READY).update(
        run_after=timezone.now()
    )


def test_a_receiver_failing_twice_gets_the_third_try_and_the_log_says_so(hook, receiver, settings):
    settings.STOREFRONT_WEBHOOK_RETRY_BACKOFF_SECONDS = 60
    receiver.script = [500, 503]
    delivery = an_event(hook)

    run_ready_tasks()  # the first try: 500, back on the queue for a minute
    row = DBTaskResult.objects.get(task_path=DELIVER)
    assert row.status == TaskResultStatus.READY
    assert row.exception_class_path.endswith("webhooks.DeliveryRetry")
    assert timedelta(seconds=50) < row.run_after - timezone.now() <= timedelta(seconds=60)
    after_one = fresh(delivery)
    assert (after_one.status, after_one.attempts, after_one.last_http_status) == (
        DeliveryStatus.PENDING,
        1,
        500,
    )
    assert after_one.last_error.startswith("HTTP 500: receiver says no")
    run_ready_tasks()
    assert len(receiver.received) == 1  # not due yet

    make_due()
    run_ready_tasks()  # the second: 503, two minutes this time
    row.refresh_from_db()
    assert timedelta(seconds=110) < row.run_after - timezone.now() <= timedelta(seconds=120)
    assert (fresh(delivery).attempts, fresh(delivery).last_http_status) == (2, 503)

    make_due()
    run_ready_tasks()  # the third: 200
    done = fresh(delivery)
    assert done.status == DeliveryStatus.SUCCEEDED
    assert done.attempts == 3 and done.last_http_status == 200 and done.last_error == ""
    assert done.last_response_ms is not None and done.last_response_ms >= 0
    assert done.delivered_at is not None and done.last_attempt_at is not None
    assert DBTaskResult.objects.get(task_path=DELIVER).status == TaskResultStatus.SUCCESSFUL

    # Every try was signed (freshly) and carried the same event id and body.
    assert len(receiver.received) == 3
    assert all(request.signature_ok for request in receiver.received)
    assert {request.headers["X-Storefront-Delivery"] for request in receiver.received} == {
        str(delivery.event_id)
    }
    assert {request.body for request in receiver.received} == {webhooks.body_of(delivery)}
    assert receiver.received[0].path == "/hooks/shop"
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0 and hook.is_active


def test_the_retry_waits_double_as_the_settings_say(hook, receiver, settings):
    settings.STOREFRONT_WEBHOOK_RETRY_BACKOFF_SECONDS = 300
    receiver.script = [502, 502]
    an_event(hook)
    run_ready_tasks()
    row = DBTaskResult.objects.get(task_path=DELIVER)
    wait = row.run_after - timezone.now()
    assert timedelta(seconds=290) < wait <= timedelta(seconds=300)
    policy = policy_for(row.task_path)
    assert [policy.delay_after(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [
        300,
        600,
        1200,
        2400,
        4800,
    ]
    run_ready_tasks()  # not due: nothing is sent
    assert len(receiver.received) == 1


def test_a_receiver_that_never_answers_well_fails_after_the_last_try(hook, receiver, settings):
    settings.STOREFRONT_WEBHOOK_ATTEMPTS = 3
    receiver.script = [500] * 10
    delivery = an_event(hook)
    run_queue_until_idle()
    done = fresh(delivery)
    assert (done.status, done.attempts, done.last_http_status) == (DeliveryStatus.FAILED, 3, 500)
    assert len(receiver.received) == 3
    hook.refresh_from_db()
    assert hook.consecutive_failures == 1 and hook.is_active


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_a_4xx_or_a_redirect_fails_at_once_without_retries(hook, receiver, status):
    receiver.script = [status]
    delivery = an_event(hook)
    run_queue_until_idle()
    done = fresh(delivery)
    assert (done.status, done.attempts, done.last_http_status) == (
        DeliveryStatus.FAILED,
        1,
        status,
    )
    assert len(receiver.received) == 1  # the redirect was not followed either


@pytest.mark.parametrize("status", [408, 429])
def test_408_and_429_are_tried_again(hook, receiver, status):
    receiver.script = [status]
    delivery = an_event(hook)
    run_queue_until_idle()
    assert (fresh(delivery).status, fresh(delivery).attempts) == (DeliveryStatus.SUCCEEDED, 2)


def test_a_refused_connection_is_tried_again_and_logged(hook, settings):
    settings.STOREFRONT_WEBHOOK_ATTEMPTS = 2
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens once it is closed
    WebhookSubscription.objects.filter(pk=hook.pk).update(url=f"http://127.0.0.1:{port}/hook")
    delivery = an_event(hook)
    run_queue_until_idle()
    done = fresh(delivery)
    assert (done.status, done.attempts, done.last_http_status) == (DeliveryStatus.FAILED, 2, None)
    assert "ConnectionError" in done.last_error


# --- Only public addresses (SSRF) --------------------------------------------------------------


def test_a_loopback_receiver_is_not_sent_to_unless_private_addresses_are_allowed(
    hook, receiver, settings
):
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = False
    delivery = an_event(hook)
    run_queue_until_idle()
    assert receiver.received == []
    done = fresh(delivery)
    # Refused for good: trying again would reach the same address.
    assert (done.status, done.attempts, done.last_http_status) == (DeliveryStatus.FAILED, 1, None)
    assert done.last_error.startswith("Not sent: the host is at 127.0.0.1, a loopback or private")
    hook.refresh_from_db()
    assert hook.consecutive_failures == 1

    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = True
    assert fresh(an_event(hook, 2)).status == DeliveryStatus.PENDING
    run_queue_until_idle()
    assert len(receiver.received) == 1


def resolving(monkeypatch, answers: dict[str, list[str]]):
    """Makes `socket.getaddrinfo` answer a name with the next address of its list (the
    last one from then on), and returns the names it was asked, in order."""
    real = socket.getaddrinfo
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        if host in answers:
            addresses = answers[host]
            host = addresses.pop(0) if len(addresses) > 1 else addresses[0]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_name_that_resolves_to_a_private_address_is_refused_when_sent(
    hook, receiver, settings, monkeypatch
):
    port = receiver.server.server_address[1]
    WebhookSubscription.objects.filter(pk=hook.pk).update(
        url=f"http://erp.example.com:{port}/hooks/shop"
    )
    resolving(monkeypatch, {"erp.example.com": ["127.0.0.1"]})
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = False
    refused = an_event(hook)
    run_queue_until_idle()
    assert receiver.received == []
    assert "the host is at 127.0.0.1" in fresh(refused).last_error

    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = True
    sent = an_event(hook, 2)
    run_queue_until_idle()
    assert fresh(sent).status == DeliveryStatus.SUCCEEDED
    assert receiver.received[0].headers["Host"] == f"erp.example.com:{port}"


def test_the_sender_connects_to_the_address_it_checked(hook, receiver, settings, monkeypatch):
    """DNS rebinding: the name answers a public address when checked, a private one after.
    The request goes to the checked address, the name is resolved once."""
    port = receiver.server.server_address[1]
    WebhookSubscription.objects.filter(pk=hook.pk).update(
        url=f"http://erp.example.com:{port}/hooks/shop"
    )
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = False
    # 198.51.100.0/24 is a documentation range, refused as well; 8.8.8.8 stands for a public
    # address, and "reaching" it here means reaching the receiver on loopback.
    asked = resolving(
        monkeypatch, {"erp.example.com": ["8.8.8.8", "10.0.0.5"], "8.8.8.8": ["127.0.0.1"]}
    )
    delivery = an_event(hook)
    run_queue_until_idle()
    assert fresh(delivery).status == DeliveryStatus.SUCCEEDED
    assert asked.count("erp.example.com") == 1 and "8.8.8.8" in asked
    assert receiver.received[0].headers["Host"] == f"erp.example.com:{port}"


def test_a_delivery_queues_its_sending_and_nothing_else(hook, receiver):
    """A delivery is a log row: no reference-index task of Wagtail's for each one written."""
    an_event(hook)
    run_queue_until_idle()
    assert set(DBTaskResult.objects.values_list("task_path", flat=True)) == {DELIVER}


def test_a_delivery_of_a_switched_off_webhook_is_not_sent(hook, receiver):
    delivery = an_event(hook)
    WebhookSubscription.objects.filter(pk=hook.pk).update(is_active=False)
    run_queue_until_idle()
    assert receiver.received == []
    done = fresh(delivery)
    assert done.status == DeliveryStatus.FAILED and "switched off" in done.last_error
    assert done.attempts == 0


def test_a_rotated_secret_signs_from_then_on(hook, receiver):
    old = hook.secret
    new = webhooks.rotate_secret(hook)
    assert new != old and WebhookSubscription.objects.get(pk=hook.pk).secret == new
    an_event(hook)
    receiver.secret = old
    run_queue_until_idle()
    [request] = receiver.received
    assert not request.signature_ok  # the old secret no longer verifies
    assert webhooks.verify_signature(new, request.body, request.headers["X-Storefront-Signature"])
    timestamp = int(request.headers["X-Storefront-Timestamp"])
    assert abs(time.time() - timestamp) < 60


# --- Switching a failing subscriber off -------------------------------------------------------


def test_after_n_failed_deliveries_in_a_row_the_webhook_is_switched_off_and_staff_told(
    hook, receiver, settings
):
    settings.STOREFRONT_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.script = [410] * 2
    for n in (1, 2):
        an_event(hook, n)
    run_queue_until_idle()
    hook.refresh_from_db()
    assert hook.consecutive_failures == 2 and hook.is_active and mail.outbox == []

    an_event(hook, 3)  # a success resets the count
    run_queue_until_idle()
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0

    receiver.script = [404] * 3
    for n in (4, 5, 6):
        an_event(hook, n)
    an_event(hook, 7)  # still queued when the third failure switches it off
    run_queue_until_idle()
    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None
    assert hook.disabled_reason == "Switched off automatically after 3 failed deliveries in a row."
    assert len(receiver.received) == 6  # the seventh was not sent
    last = WebhookDelivery.objects.order_by("-id").first()
    assert last.status == DeliveryStatus.FAILED and "switched off" in last.last_error

    [message] = mail.outbox
    assert message.to == ["ops@example.com"]
    assert "“ERP” switched off" in message.subject and hook.url in message.body
    run_queue_until_idle()
    assert len(mail.outbox) == 1  # once


# --- Admin ----------------------------------------------------------------------------------


def staff_user(django_user_model, *codenames, name="staff"):
    user = django_user_model.objects.create_user(name, password="pw-1-abcd")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", *codenames]))
    return django_user_model.objects.get(pk=user.pk)


def test_a_shop_manager_creates_a_webhook_and_sees_its_secret_once(
    client, homepage, django_user_model, settings
):
    manager = django_user_model.objects.create_user("manager", password="pw-1-abcd")
    manager.groups.add(Group.objects.get(name="Shop managers"))
    manager.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(manager)
    response = client.post(
        ADD_URL,
        {
            "name": "ERP",
            "url": "https://erp.example.com/hooks/shop",
            "events": ["order.created", "stock.below_threshold"],
            "stock_threshold": "4",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["order.created", "stock.below_threshold"]
    assert subscription.stock_threshold == 4 and subscription.secret.startswith("whsec_")
    page = response.content.decode()
    assert subscription.secret in page and "shown only once" in page
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]

    edit_url = reverse(
        "wagtailsnippets_integrations_webhooksubscription:edit", args=[subscription.pk]
    )
    assert subscription.secret not in client.get(edit_url).content.decode()
    listing = client.get(reverse("wagtailsnippets_integrations_webhooksubscription:list"))
    assert listing.status_code == 200 and subscription.secret not in listing.content.decode()


@pytest.mark.parametrize(
    "url, error",
    [
        ("http://erp.example.com/hook", "must start with https://"),
        ("https://user:pw@erp.example.com/hook", "No user name or password"),
        ("https://erp.example.com/a b", "Enter a valid URL"),
        ("https://169.254.169.254/latest", "169.254.169.254 is a loopback or private address"),
    ],
)
def test_a_bad_url_is_a_form_error(admin_client, homepage, settings, url, error):
    settings.STOREFRONT_WEBHOOK_ALLOW_HTTP = False
    settings.STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = False
    response = admin_client.post(
        ADD_URL, {"name": "ERP", "url": url, "events": ["order.created"], "stock_threshold": "5"}
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_no_event_is_a_form_error(admin_client, homepage):
    response = admin_client.post(
        ADD_URL, {"name": "ERP", "url": "https://erp.example.com/", "stock_threshold": "5"}
    )
    assert "Choose at least one event." in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_rotating_the_secret_in_the_edit_form_shows_the_new_one_once(admin_client, hook):
    old = hook.secret
    edit_url = reverse("wagtailsnippets_integrations_webhooksubscription:edit", args=[hook.pk])
    data = edit_form_data(hook, rotate_secret="on")
    response = admin_client.post(edit_url, data)
    hook.refresh_from_db()
    assert hook.secret != old and hook.secret in response.content.decode()
    data.pop("rotate_secret")
    assert admin_client.post(edit_url, data).status_code == 302  # a plain save keeps it
    assert WebhookSubscription.objects.get(pk=hook.pk).secret == hook.secret


def test_staff_switch_a_webhook_off_and_the_list_says_who(admin_client, admin_user, hook):
    edit_url = reverse("wagtailsnippets_integrations_webhooksubscription:edit", args=[hook.pk])
    data = {"name": hook.name, "url": hook.url, "events": hook.events, "stock_threshold": "5"}
    assert admin_client.post(edit_url, data).status_code == 302  # "active" unticked
    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None
    assert hook.disabled_reason == f"Switched off by {admin_user}."
    an_event(hook)
    run_queue_until_idle()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_switching_a_webhook_on_again_clears_its_failures(admin_client, hook):
    WebhookSubscription.objects.filter(pk=hook.pk).update(
        is_active=False,
        consecutive_failures=10,
        disabled_at=timezone.now(),
        disabled_reason="Switched off automatically after 10 failed deliveries in a row.",
    )
    listing = admin_client.get(reverse("wagtailsnippets_integrations_webhooksubscription:list"))
    assert "Switched off: Switched off automatically" in listing.content.decode()
    edit_url = reverse("wagtailsnippets_integrations_webhooksubscription:edit", args=[hook.pk])
    data = edit_form_data(hook)
    assert admin_client.post(edit_url, data).status_code == 302
    hook.refresh_from_db()
    assert hook.is_active and hook.consecutive_failures == 0
    assert (hook.disabled_at, hook.disabled_reason) == (None, "")


def listed_rows(response):
    """The text of each row of the deliveries' listing, top first."""
    from bs4 import BeautifulSoup

    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return [" ".join(row.get_text(" ", strip=True).split()) for row in soup.select("tbody tr")]


def assert_refused(response):
    """Wagtail's answer to PermissionDenied in the admin: back to the dashboard."""
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_log_lists_and_filters_deliveries_and_a_failed_one_is_re_sent(
    client, hook, receiver, django_user_model
):
    receiver.script = [404]
    failed = an_event(hook, 1)
    run_queue_until_idle()
    other = subscribe(receiver.url, [WebhookEvent.ORDER_CREATED], name="Warehouse app")
    an_event(other, 2)
    run_queue_until_idle()

    manager = staff_user(
        django_user_model, "view_webhookdelivery", "resend_webhookdelivery", name="manager"
    )
    client.force_login(manager)
    rows = listed_rows(client.get(LIST_URL))
    assert len(rows) == 2 and all("order.created" in row for row in rows)
    assert "Warehouse app" in rows[0] and "Succeeded" in rows[0]
    assert "ERP" in rows[1] and "Failed" in rows[1] and "HTTP 404" in rows[1]
    [only_failed] = listed_rows(client.get(LIST_URL, {"status": "failed"}))
    assert "HTTP 404" in only_failed
    [only_other] = listed_rows(client.get(LIST_URL, {"subscription": other.pk}))
    assert "Warehouse app" in only_other
    assert listed_rows(client.get(LIST_URL, {"event": "product.changed"})) == []

    inspect_url = reverse("wagtailsnippets_integrations_webhookdelivery:inspect", args=[failed.pk])
    inspected = client.get(inspect_url).content.decode()
    assert "data-webhook-resend" in inspected and str(failed.event_id) in inspected
    resend_url = reverse("wagtailsnippets_integrations_webhookdelivery:resend", args=[failed.pk])
    assert client.get(resend_url).status_code == 405  # POST only

    response = client.post(resend_url)
    assert response.status_code == 302
    assert fresh(failed).status == DeliveryStatus.PENDING
    assert client.post(resend_url).status_code == 302  # a second click queues nothing more
    run_queue_until_idle()
    done = fresh(failed)
    assert (done.status, done.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert [r.headers["X-Storefront-Delivery"] for r in receiver.received].count(
        str(failed.event_id)
    ) == 2
    assert "data-webhook-resend" not in client.get(inspect_url).content.decode()


def test_re_send_needs_the_permission_and_a_csrf_token(client, hook, receiver, django_user_model):
    receiver.script = [404]
    failed = an_event(hook)
    run_queue_until_idle()
    resend_url = reverse("wagtailsnippets_integrations_webhookdelivery:resend", args=[failed.pk])

    viewer = staff_user(django_user_model, "view_webhookdelivery", name="viewer")
    client.force_login(viewer)
    assert client.get(LIST_URL).status_code == 200
    inspect_url = reverse("wagtailsnippets_integrations_webhookdelivery:inspect", args=[failed.pk])
    assert "data-webhook-resend" not in client.get(inspect_url).content.decode()
    assert client.post(resend_url).status_code == 403
    assert fresh(failed).status == DeliveryStatus.FAILED

    nobody = staff_user(django_user_model, name="nobody")
    client.force_login(nobody)
    assert_refused(client.get(LIST_URL))
    assert_refused(client.get(inspect_url))
    assert client.post(resend_url).status_code == 403

    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(
        staff_user(django_user_model, "view_webhookdelivery", "resend_webhookdelivery")
    )
    assert csrf_client.post(resend_url).status_code == 403
    assert fresh(failed).status == DeliveryStatus.FAILED


def test_a_delivery_of_a_switched_off_webhook_is_not_re_sent(admin_client, hook, receiver):
    receiver.script = [404]
    failed = an_event(hook)
    run_queue_until_idle()
    WebhookSubscription.objects.filter(pk=hook.pk).update(is_active=False)
    resend_url = reverse("wagtailsnippets_integrations_webhookdelivery:resend", args=[failed.pk])
    response = admin_client.post(resend_url, follow=True)
    assert "switch it on first" in response.content.decode()
    assert fresh(failed).status == DeliveryStatus.FAILED


def test_deliveries_are_never_added_or_edited_in_the_admin(admin_client, hook):
    delivery = an_event(hook)
    assert "integrations/webhookdelivery/add" not in admin_client.get(LIST_URL).content.decode()
    edit_url = reverse("wagtailsnippets_integrations_webhookdelivery:edit", args=[delivery.pk])
    add_url = reverse("wagtailsnippets_integrations_webhookdelivery:add")
    assert_refused(admin_client.get(add_url))
    assert_refused(admin_client.post(edit_url, {"status": "succeeded"}))
    assert fresh(delivery).status == DeliveryStatus.PENDING


def test_old_deliveries_are_pruned_failed_ones_later_pending_ones_never(hook):
    from commerce.services.scheduler import _load_task, scheduled_jobs

    now = timezone.now()
    ages = {"succeeded": (31, 29), "failed": (91, 89), "pending": (400,)}
    for status, days_list in ages.items():
        for days in days_list:
            delivery = an_event(hook)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=status, created_at=now - timedelta(days=days)
            )
    assert webhooks.prune_deliveries(days=30, failed_days=90, now=now) == 2
    kept = sorted((d.status, (now - d.created_at).days) for d in WebhookDelivery.objects.all())
    assert kept == [("failed", 89), ("pending", 400), ("succeeded", 29)]
    [job] = [job for job in scheduled_jobs() if job.name == "prune_webhook_deliveries"]
    assert _load_task(job) is webhooks.prune_deliveries_task


def edit_form_data(hook, **changes):
    """The webhook's edit form as it stands, switched on, plus `changes`."""
    data = {
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "stock_threshold": "5",
        "is_active": "on",
    }
    return {**data, **changes}
