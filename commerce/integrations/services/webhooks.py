"""Outgoing webhooks: recording events, signing and sending them, giving up on a subscriber.

The invariants:

- **An event is recorded in the transaction of the change it reports, and sent after it
  commits.** Each hook below (`order_created`, `order_status_changed`, `product_changed`,
  `stock_changed`) writes one `WebhookDelivery` per active subscriber of the event and
  queues `deliver_task` with `tasks.enqueue_on_commit`: on the database queue the task row
  is part of the same transaction (the transactional outbox), so a rolled-back order
  neither sends nor leaves a delivery behind. The shop's writers call no code here: they
  send `commerce.services.events` signals (and Wagtail's `published`), connected by
  `connect_signals` at start-up, because the core may not import the integrations.
- **At least once, never silently lost.** A delivery is tried until a 2xx, up to
  STOREFRONT_WEBHOOK_ATTEMPTS times with doubling waits (`WebhookRetryPolicy`, the tasks
  module's backoff); timeouts, connection errors, 5xx, 408 and 429 are tried again, any
  other answer (3xx: redirects are not followed; 4xx) fails it at once. Receivers drop
  duplicates by the event id in `X-Storefront-Delivery`.
- **Only to public addresses.** The sender resolves the subscriber's host and refuses a
  loopback, private or link-local address (SSRF), connecting to the address it checked
  (`http_session`); the URL's form refuses such IP literals at once. A refused delivery
  fails without retries. STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES (or DEBUG) allows them.
- **Signed.** `X-Storefront-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret,
  "<t>.<body>")>`; `verify_signature` is what a receiver runs, with a tolerance
  against replays.
- **A subscriber that keeps failing is switched off.** Each delivery that ends failed
  counts one against its subscriber, a success resets the count; at
  STOREFRONT_WEBHOOK_DISABLE_AFTER_FAILURES the subscriber is switched off (reason and
  time recorded) and staff are mailed once (`notifications.send_once`).

No row lock is held across an HTTP call: a delivery's row is written after the answer,
and a re-send flips a failed row back to pending with one conditional UPDATE, so two
clicks queue one send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks.backends.immediate import ImmediateBackend
from requests_hardened import Config as HardenedConfig
from requests_hardened import HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

from commerce.integrations.models import (
    WEBHOOK_LAST_ERROR_LENGTH,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    new_webhook_secret,
    private_addresses_allowed,
)
from commerce.models import Order, Product, ProductVariant
from commerce.services.notifications import send_once, shop_name, staff_recipients
from commerce.services.tasks import NO_RETRY, RetryPolicy, background_task, enqueue_on_commit

EVENT_HEADER = "X-Storefront-Event"
DELIVERY_HEADER = "X-Storefront-Delivery"
TIMESTAMP_HEADER = "X-Storefront-Timestamp"
SIGNATURE_HEADER = "X-Storefront-Signature"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE = 300  # seconds a receiver accepts a signature's timestamp off its clock
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
ERROR_BODY_CHARS = 200  # of a failed answer's body, kept in the log
USER_AGENT = "Storefront-Webhooks/1"
RETRIED_STATUSES = frozenset({408, 429})
DISABLED_EMAIL_KIND = "webhook_disabled"


# --- Signing --------------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" under `secret`."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},{SIGNATURE_VERSION}={sign(secret, body, timestamp)}"


def verify_signature(
    secret: str,
    body: bytes | str,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True if `header` (X-Storefront-Signature) signs exactly `body` (the raw bytes
    received) with `secret`, at a time within `tolerance` seconds of `now`.

    Self-contained (hashlib, hmac, time), so a receiver can copy it. An old timestamp is
    refused even with a right signature: a captured request replayed later fails.
    """
    if isinstance(body, str):
        body = body.encode()
    timestamp = None
    signatures = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():  # not "²", which int() refuses
            timestamp = int(value)
        elif key == SIGNATURE_VERSION:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


def body_of(delivery: WebhookDelivery) -> bytes:
    """The bytes sent: the stored payload as compact JSON with sorted keys, the same on
    every try (PostgreSQL's jsonb keeps no key order, so the order is ours to fix)."""
    return json.dumps(
        delivery.payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True
    ).encode()


def headers_for(delivery: WebhookDelivery, secret: str, body: bytes, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_header(secret, body, timestamp),
    }


# --- Subscriptions ----------------------------------------------------------------------------


def rotate_secret(subscription: WebhookSubscription) -> str:
    """Gives the subscriber a new secret at once and returns it (shown once). Deliveries
    not yet sent are signed with the new one."""
    subscription.secret = new_webhook_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=subscription.secret)
    return subscription.secret


def switch_on(subscription: WebhookSubscription) -> None:
    """Clears what switching off recorded (on the instance; the caller saves it)."""
    subscription.is_active = True
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.consecutive_failures = 0


def switch_off(subscription: WebhookSubscription, *, reason: str) -> None:
    """Records a switching off by staff (on the instance; the caller saves it)."""
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = reason[:255]


def subscribers(event: str) -> list[WebhookSubscription]:
    """Active subscriptions to `event` (one query; a handful of rows)."""
    return [
        subscription
        for subscription in WebhookSubscription.objects.filter(is_active=True).only(
            "id", "events", "stock_threshold", "is_active"
        )
        if subscription.wants(event)
    ]


# --- Recording events (inside the writer's transaction) ---------------------------------------


def record(
    subscription: WebhookSubscription, event: str, data: dict, *, subject: str = ""
) -> WebhookDelivery:
    """Writes one delivery of `event` to `subscription` and queues its sending with the
    commit. The payload is the body sent: {"id", "event", "created", "data"}."""
    delivery = WebhookDelivery(subscription=subscription, event=event, subject=subject)
    delivery.payload = {
        "id": str(delivery.event_id),
        "event": event,
        "created": timezone.now().isoformat(),
        "data": data,
    }
    delivery.save()
    enqueue_on_commit(deliver_task, delivery.pk)
    return delivery


def order_data(order_id: int) -> dict:
    """The order as `GET /external/v1/orders/{token}/` answers it (AMPER's Order)."""
    from commerce.integrations.api.erp_orders import OrderOut
    from commerce.integrations.services.order_export import orders

    return OrderOut.from_orm(orders().get(pk=order_id)).model_dump(mode="json")


def order_created(order: Order) -> list[WebhookDelivery]:
    wanting = subscribers(WebhookEvent.ORDER_CREATED)
    if not wanting:
        return []
    data = {"order": order_data(order.pk)}
    return [
        record(s, WebhookEvent.ORDER_CREATED, data, subject=f"order:{order.pk}") for s in wanting
    ]


def order_status_changed(order: Order, change) -> list[WebhookDelivery]:
    wanting = subscribers(WebhookEvent.ORDER_STATUS_CHANGED)
    if not wanting:
        return []
    data = {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "changed_at": change.changed_at.isoformat() if change.changed_at else None,
        "order": order_data(order.pk),
    }
    return [
        record(s, WebhookEvent.ORDER_STATUS_CHANGED, data, subject=f"order:{order.pk}")
        for s in wanting
    ]


def product_data(product_id: int) -> dict:
    """The product as `GET /external/v1/products/{id}/?include_disabled=true` answers it,
    or null when it is not listed (hidden, unpublished, deleted)."""
    from commerce.integrations.api.products import ProductOut
    from commerce.integrations.services.catalog_export import product

    found = product(product_id, include_disabled=True)
    listed = ProductOut.from_orm(found).model_dump(mode="json") if found is not None else None
    return {"product_id": product_id, "product": listed}


def _without_stock(data: dict | None) -> dict | None:
    """A product's data less its stock counts, which change without a publish."""
    if not data or not data.get("product"):
        return data
    product = dict(data["product"])
    product["variants"] = [
        {k: v for k, v in variant.items() if k != "stock"} for variant in product["variants"]
    ]
    return {**data, "product": product}


def product_changed(product_id: int) -> list[WebhookDelivery]:
    """After a publish, an unpublish or a deletion: one event per subscriber, unless what
    it would say is what that subscriber was last told about the product (a publish that
    changed nothing, or only its stock). A product never sent and not listed now is not
    announced."""
    wanting = subscribers(WebhookEvent.PRODUCT_CHANGED)
    if not wanting:
        return []
    data = product_data(product_id)
    subject = f"product:{product_id}"
    recorded = []
    for subscription in wanting:
        last = (
            WebhookDelivery.objects.filter(
                subscription=subscription, event=WebhookEvent.PRODUCT_CHANGED, subject=subject
            )
            .order_by("-id")
            .values_list("payload", flat=True)
            .first()
        )
        if last is None and data["product"] is None:
            continue
        if last is not None and _without_stock(last.get("data")) == _without_stock(data):
            continue
        recorded.append(record(subscription, WebhookEvent.PRODUCT_CHANGED, data, subject=subject))
    return recorded


def crossed_below(before: dict[int, int], after: dict[int, int], threshold: int) -> list[int]:
    """Variants whose units went from `threshold` or more to fewer (sorted ids): the
    crossing, not every change below it."""
    return sorted(
        variant_id
        for variant_id, units in after.items()
        if units < threshold <= before.get(variant_id, 0)
    )


def stock_changed(*, before: dict[int, int], after: dict[int, int]) -> list[WebhookDelivery]:
    if not any(after.get(variant_id, 0) < units for variant_id, units in before.items()):
        return []  # nothing went down: no query
    wanting = subscribers(WebhookEvent.STOCK_BELOW_THRESHOLD)
    crossings = {s.pk: crossed_below(before, after, s.stock_threshold) for s in wanting}
    variant_ids = {variant_id for ids in crossings.values() for variant_id in ids}
    if not variant_ids:
        return []
    variants = ProductVariant.objects.in_bulk(variant_ids)
    recorded = []
    for subscription in wanting:
        for variant_id in crossings[subscription.pk]:
            variant = variants.get(variant_id)
            data = {
                "variant_id": variant_id,
                "product_id": variant.product_id if variant else None,
                "sku": variant.sku if variant else "",
                "units_before": before.get(variant_id, 0),
                "units": after.get(variant_id, 0),
                "threshold": subscription.stock_threshold,
            }
            recorded.append(
                record(
                    subscription,
                    WebhookEvent.STOCK_BELOW_THRESHOLD,
                    data,
                    subject=f"variant:{variant_id}",
                )
            )
    return recorded


# --- Signal receivers -------------------------------------------------------------------------


def _on_order_placed(sender, order, **kwargs):
    order_created(order)


def _on_order_status_changed(sender, order, change, **kwargs):
    order_status_changed(order, change)


def _on_stock_units_changed(sender, before, after, **kwargs):
    stock_changed(before=before, after=after)


def _on_product_published(sender, instance, **kwargs):
    product_changed(instance.pk)


def _on_product_deleted(sender, instance, **kwargs):
    # Inside the deletion's transaction (Django's collector sends post_delete in it).
    product_changed(instance.pk)


def connect_signals() -> None:
    """Called once by the integrations app's `ready()`."""
    from django.db.models.signals import post_delete
    from wagtail.signals import published, unpublished

    from commerce.services import events

    events.order_placed.connect(_on_order_placed, dispatch_uid="webhooks_order_placed")
    events.order_status_changed.connect(
        _on_order_status_changed, dispatch_uid="webhooks_order_status"
    )
    events.stock_units_changed.connect(_on_stock_units_changed, dispatch_uid="webhooks_stock")
    published.connect(_on_product_published, sender=Product, dispatch_uid="webhooks_published")
    unpublished.connect(_on_product_published, sender=Product, dispatch_uid="webhooks_unpublished")
    post_delete.connect(_on_product_deleted, sender=Product, dispatch_uid="webhooks_deleted")


# --- Sending ----------------------------------------------------------------------------------


class DeliveryRetry(Exception):
    """A try failed in a way that may pass (timeout, refused, 5xx, 408, 429): the task
    raises it so that the queue runs it again later (WebhookRetryPolicy)."""


@dataclass(frozen=True)
class WebhookRetryPolicy(RetryPolicy):
    """Retries DeliveryRetry only, with the tries and waits of the STOREFRONT_WEBHOOK_*
    settings, read at each failure (tests set tiny backoffs)."""

    on: tuple[str, ...] = (f"{__name__}.DeliveryRetry",)

    def current(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=settings.STOREFRONT_WEBHOOK_ATTEMPTS,
            backoff=float(settings.STOREFRONT_WEBHOOK_RETRY_BACKOFF_SECONDS),
            max_backoff=float(settings.STOREFRONT_WEBHOOK_MAX_BACKOFF_SECONDS),
            on=self.on,
        )

    def delay_after(self, tries: int):
        return self.current().delay_after(tries)

    def retries(self, exception_class_path: str, tries: int) -> bool:
        return self.current().retries(exception_class_path, tries)


WEBHOOK_RETRY = WebhookRetryPolicy()


@dataclass(frozen=True)
class Attempt:
    http_status: int | None
    response_ms: int
    error: str
    # Not sent: the address is not one webhooks may reach. Trying again won't change that.
    refused: bool = False

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def may_pass(self) -> bool:
        """No answer, a server error, or "try later": worth another try."""
        if self.refused:
            return False
        return (
            self.http_status is None
            or self.http_status >= 500
            or (self.http_status in RETRIED_STATUSES)
        )


def http_session() -> requests.Session:
    """A session that resolves the host, refuses a loopback, private, link-local or other
    non-public address, and connects to the very address it checked, so a name that
    changes its answer between the check and the request (DNS rebinding) gains nothing
    (requests-hardened, Saleor's). `private_addresses_allowed` switches the check off."""
    return HTTPSession(
        HardenedConfig(
            ip_filter_enable=not private_addresses_allowed(),
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        )
    )


def post(url: str, body: bytes, headers: dict) -> Attempt:
    """One POST; never follows a redirect, reads at most a little of the answer."""
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    with http_session() as session:
        try:
            response = session.post(
                url,
                data=body,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                allow_redirects=False,
                stream=True,
            )
        except InvalidIPAddress as address:
            return Attempt(
                None,
                elapsed(),
                f"Not sent: the host is at {address}, a loopback or private address. Webhooks "
                "go only to public addresses unless STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES is set.",
                refused=True,
            )
        except requests.RequestException as exc:
            return Attempt(None, elapsed(), f"{type(exc).__name__}: {exc}")
        response_ms = elapsed()
        try:
            error = ""
            if not 200 <= response.status_code < 300:
                snippet = next(response.iter_content(ERROR_BODY_CHARS), b"")
                text = snippet.decode("utf-8", "replace").strip()
                error = f"HTTP {response.status_code}" + (f": {text}" if text else "")
        except requests.RequestException as exc:
            error = f"HTTP {response.status_code}; reading the answer: {type(exc).__name__}"
        finally:
            response.close()
    return Attempt(response.status_code, response_ms, error)


def _retries_happen() -> bool:
    """Whether the task's backend runs it again (the database queue and RQ do; the
    immediate backend of development and tests does not, so a try there is the last)."""
    return not isinstance(deliver_task.get_backend(), ImmediateBackend)


@background_task(retry=WEBHOOK_RETRY)
def deliver_task(delivery_id: int) -> str:
    """Sends one pending delivery once; records the try; raises DeliveryRetry when the
    queue should try again. Idempotent: a delivery no longer pending is left alone."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return "deleted"
    if delivery.status != DeliveryStatus.PENDING:
        return f"already {delivery.status}"
    subscription = delivery.subscription
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            last_error="Not sent: the webhook is switched off. Switch it on, then re-send.",
        )
        return "subscription switched off"

    body = body_of(delivery)
    timestamp = int(time.time())
    headers = headers_for(delivery, subscription.secret, body, timestamp)
    attempt = post(subscription.url, body, headers)

    tries = delivery.attempts + 1 - delivery.attempts_before_resend
    last_try = tries >= settings.STOREFRONT_WEBHOOK_ATTEMPTS or not _retries_happen()
    if attempt.succeeded:
        status = DeliveryStatus.SUCCEEDED
    elif attempt.may_pass and not last_try:
        status = DeliveryStatus.PENDING
    else:
        status = DeliveryStatus.FAILED
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=F("attempts") + 1,
        last_http_status=attempt.http_status,
        last_response_ms=attempt.response_ms,
        last_error=attempt.error[:WEBHOOK_LAST_ERROR_LENGTH],
        last_attempt_at=now,
        delivered_at=now if status == DeliveryStatus.SUCCEEDED else None,
    )
    if status == DeliveryStatus.SUCCEEDED:
        WebhookSubscription.objects.filter(pk=subscription.pk, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
        return f"delivered: HTTP {attempt.http_status}"
    if status == DeliveryStatus.FAILED:
        count_failure(subscription.pk)
        return f"failed: {attempt.error}"
    raise DeliveryRetry(attempt.error)


def count_failure(subscription_id: int) -> bool:
    """Counts a failed delivery against the subscriber; switches it off at the limit and
    queues the staff e-mail. True if this call switched it off."""
    limit = settings.STOREFRONT_WEBHOOK_DISABLE_AFTER_FAILURES
    now = timezone.now()
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        # Conditional: of two failures crossing the limit at once, one switches it off.
        switched = WebhookSubscription.objects.filter(
            pk=subscription_id, is_active=True, consecutive_failures__gte=limit
        ).update(
            is_active=False,
            disabled_at=now,
            disabled_reason=f"Switched off automatically after {limit} failed deliveries in a row.",
        )
        if switched:
            enqueue_on_commit(notify_disabled_task, subscription_id, now.isoformat())
    return bool(switched)


def disabled_message(subscription: WebhookSubscription) -> EmailMessage | None:
    staff = staff_recipients()
    if not staff:
        return None
    body = (
        f"The webhook “{subscription.name}” ({subscription.url}) was switched off: "
        f"{subscription.disabled_reason}\n\n"
        "Nothing more is sent to it. Look at its failed deliveries in the admin "
        "(Integrations → Webhook deliveries), fix the receiver, then switch the webhook "
        "on again (Integrations → Webhooks) and re-send what it missed.\n"
    )
    return EmailMessage(
        subject=f"[{shop_name()}] Webhook “{subscription.name}” switched off",
        body=body,
        to=staff,
    )


@background_task(retry=RetryPolicy())
def notify_disabled_task(subscription_id: int, disabled_at: str) -> str:
    """Mails staff that a subscriber was switched off, once per switching off."""
    subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        return "deleted"
    key = f"{DISABLED_EMAIL_KIND}:{subscription_id}:{disabled_at}"
    sent = send_once(key, DISABLED_EMAIL_KIND, lambda: disabled_message(subscription))
    return "sent" if sent else "nothing to send"


def prune_deliveries(*, days: int, failed_days: int, now=None) -> int:
    """Deletes delivered deliveries older than `days` and failed ones older than
    `failed_days` (by creation); pending ones stay whatever their age.

    A product published again without a change after its last event was pruned is
    announced once more: harmless, receivers de-duplicate by content as by event id."""
    now = now or timezone.now()
    deleted, _ = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.SUCCEEDED, created_at__lt=now - timedelta(days=days))
        | Q(status=DeliveryStatus.FAILED, created_at__lt=now - timedelta(days=failed_days))
    ).delete()
    return deleted


@background_task(retry=NO_RETRY)
def prune_deliveries_task() -> int:
    """The scheduler's daily job (STOREFRONT_SCHEDULE)."""
    return prune_deliveries(
        days=settings.STOREFRONT_WEBHOOK_DELIVERY_DAYS,
        failed_days=settings.STOREFRONT_FAILED_WEBHOOK_DELIVERY_DAYS,
    )


class ResendRefused(Exception):
    """The delivery can't be sent again now; the message says why, for staff."""


def resend(delivery: WebhookDelivery) -> None:
    """Puts a failed delivery back to pending with a fresh retry budget and queues it.

    The same event id goes out again, so a receiver that did get it can drop it."""
    if not delivery.subscription.is_active:
        raise ResendRefused("The webhook is switched off: switch it on first, then re-send.")
    with transaction.atomic():
        flipped = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.FAILED
        ).update(status=DeliveryStatus.PENDING, attempts_before_resend=F("attempts"))
        if not flipped:
            raise ResendRefused("Only a failed delivery can be re-sent; this one is not failed.")
        enqueue_on_commit(deliver_task, delivery.pk)
