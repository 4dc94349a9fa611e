"""E-mails about orders: the shopper's confirmation, the staff notice, status changes.

Each shopper e-mail has a plain-text body and an HTML alternative, rendered from
commerce/templates/commerce/emails/<name>.{subject.txt,txt,html}: order_placed,
order_placed_staff, and one set per status the shopper hears about
(order_shipped, order_cancelled, order_refunded). The .txt
templates switch autoescaping off (plain text must show `&` as `&`); the HTML
ones escape everything the shopper typed.

What every shopper e-mail carries: the shop's name (Settings → Branding), a link
to the order's page, absolute from the default site's root URL (`order_url`: the
account's order page for an order placed signed in, the order's token link for a
guest's), and money through the `money` tag (`plain=True` in the text parts), so an
amount reads as it does on the site.

Every e-mail is a background task (commerce/services/tasks.py), queued with the
change it tells about (`queue_order_placed`, `queue_status_changed`): on the
database queue its row commits or rolls back with the order, so a rolled-back
order never mails anyone and a mail server that is down never undoes an order;
it is tried again later (EMAIL_RETRY).

Each message has a key (`email_key`) and a `SentEmail` row: `send_once` sends a
key at most once however often its task runs, except in one window, see there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from commerce.models import Order, OrderStatus, OrderStatusChange, SentEmail

from .tasks import RetryPolicy, background_task, enqueue_on_commit

#: Statuses the shopper hears about, each with its template set (order_<status>.*).
STATUS_CHANGE_EMAILS = frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED})

#: Kinds of order e-mail (SentEmail.kind, and the template names).
ORDER_PLACED = "order_placed"
ORDER_PLACED_STAFF = "order_placed_staff"
ORDER_STATUS = "order_status"


@dataclass(frozen=True)
class EmailRetryPolicy(RetryPolicy):
    """The default policy (mail server down: SMTP errors, OSError), whose first wait is
    settings.STOREFRONT_EMAIL_RETRY_BACKOFF_SECONDS, read at each failure."""

    def delay_after(self, tries: int) -> timedelta:
        backoff = float(getattr(settings, "STOREFRONT_EMAIL_RETRY_BACKOFF_SECONDS", self.backoff))
        return RetryPolicy(backoff=backoff, max_backoff=self.max_backoff).delay_after(tries)


EMAIL_RETRY = EmailRetryPolicy()


# --- Sending a message once ------------------------------------------------------------------


def send_once(
    key: str, kind: str, build: Callable[[], EmailMessage | None], *, order: Order | None = None
) -> bool:
    """Sends the message `build()` makes, unless the message `key` was sent already.
    True if it was sent now.

    The SentEmail row of `key` is locked (created if new) for the whole send, so two
    runs of the same task at once send once: the second waits, then finds `sent_at`.
    An error while sending (the mail server down) rolls the row back and goes up to
    the task's retry policy.

    At least once, not exactly once: if the mail server accepted the message and then
    the commit that records `sent_at` fails (the database gone, the worker killed
    in between), the row stays unsent and the retry sends the message again. The
    other order (record, then send) would lose the message in that window instead;
    a duplicate confirmation is the smaller harm.
    """
    message = build()
    if message is None:
        return False
    with transaction.atomic():
        record, _ = SentEmail.objects.select_for_update().get_or_create(
            key=key, defaults={"kind": kind, "order": order}
        )
        if record.sent_at is not None:
            return False
        message.send()
        record.to = ", ".join(message.to)
        record.subject = message.subject[:255]
        record.sent_at = timezone.now()
        record.save(update_fields=["to", "subject", "sent_at"])
    return True


# --- Order e-mails: queueing ----------------------------------------------------------------


def email_key(kind: str, order_id: int, status_change_id: int | None = None) -> str:
    """The SentEmail key of an order e-mail: a status e-mail per status change."""
    if kind == ORDER_STATUS:
        return f"{ORDER_STATUS}:{status_change_id}"
    return f"{kind}:{order_id}"


def queue_order_placed(order: Order) -> None:
    """The confirmation, and the staff notice if anyone should get one; call it inside the
    transaction that places the order."""
    enqueue_on_commit(send_order_email_task, order.pk, ORDER_PLACED)
    if staff_recipients():
        enqueue_on_commit(send_order_email_task, order.pk, ORDER_PLACED_STAFF)


def queue_status_changed(order: Order, status_change: OrderStatusChange) -> None:
    """A note to the shopper when the order ships, is cancelled or refunded; call it inside
    the transaction that changes the status."""
    if status_change.to_status in STATUS_CHANGE_EMAILS:
        enqueue_on_commit(send_order_email_task, order.pk, ORDER_STATUS, status_change.pk)


@background_task(retry=EMAIL_RETRY)
def send_order_email_task(order_id: int, kind: str, status_change_id: int | None = None) -> str:
    """Sends one order e-mail once (send_once). An order or status change deleted
    since is no error: there is nothing left to tell."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return "order deleted"
    status = None
    if kind == ORDER_STATUS:
        change = OrderStatusChange.objects.filter(pk=status_change_id, order=order).first()
        if change is None:
            return "status change deleted"
        # The status of the change, not the order's now: it may have moved on since.
        status = change.to_status
    key = email_key(kind, order_id, status_change_id)
    sent = send_once(key, kind, lambda: order_message(order, kind, status=status), order=order)
    return "sent" if sent else "nothing to send"


# --- Order e-mails: the messages ----------------------------------------------------------------


def staff_recipients() -> list[str]:
    return list(getattr(settings, "STOREFRONT_ORDER_NOTIFICATION_EMAILS", []))


def order_message(order: Order, kind: str, *, status: str | None = None) -> EmailMessage | None:
    """The e-mail of `kind` about `order`, rendered now; None when nobody should get it."""
    context = order_context(order)
    if kind == ORDER_PLACED:
        return _message("order_placed", context, [order.email])
    if kind == ORDER_PLACED_STAFF:
        staff = staff_recipients()
        if not staff:
            return None
        base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
        context["admin_url"] = base + reverse(
            "wagtailsnippets_commerce_order:inspect", args=[order.pk]
        )
        return _message("order_placed_staff", context, staff, reply_to=[order.email])
    if kind == ORDER_STATUS:
        status = status or order.status
        if status not in STATUS_CHANGE_EMAILS:
            return None
        return _message(f"order_{status}", {**context, "status": status}, [order.email])
    raise ValueError(f"Unknown order e-mail {kind!r}.")


def send_order_placed(order: Order) -> None:
    """Sends the confirmation and the staff notice now, unrecorded (a preview, a test);
    the shop itself queues them (queue_order_placed)."""
    for kind in (ORDER_PLACED, ORDER_PLACED_STAFF):
        message = order_message(order, kind)
        if message is not None:
            message.send()


def _default_site():
    from wagtail.models import Site

    return Site.objects.filter(is_default_site=True).first()


def shop_name() -> str:
    """The shop's name as the storefront shows it (Settings → Branding): every e-mail's
    subject and signature, order and account e-mails alike."""
    from pages.models import BrandingSettings

    site = _default_site()
    if site is not None:
        return BrandingSettings.for_site(site).shop_name
    return getattr(settings, "WAGTAIL_SITE_NAME", "Storefront")


def site_url(path: str) -> str:
    """`path` as an absolute URL on the default site (its root URL, as Wagtail builds page
    links); without a site, the admin's base URL, which production must set anyway."""
    site = _default_site()
    root = site.root_url if site is not None else getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    return root.rstrip("/") + path


def order_url(order: Order) -> str:
    """Where the shopper sees `order`: their account's order page if they placed it signed
    in, else the order's unguessable token link (the confirmation page guests reach)."""
    if order.user_id is not None and order.number:
        return site_url(reverse("account:order_detail", args=[order.number]))
    return site_url(reverse("checkout:confirmation", args=[order.token]))


def order_context(order) -> dict:
    payment_instructions = ""
    if order.awaits_bank_transfer and order.payment_method is not None:
        # Staff put the account details in the payment method's description.
        payment_instructions = order.payment_method.description
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "shop_name": shop_name(),
        "order_url": order_url(order),
        "is_bank_transfer": order.awaits_bank_transfer,
        "payment_instructions": payment_instructions,
        "delivery_address": order.delivery_address_text,
        "billing_address": order.billing_address_text,
    }


def _render(name: str, context: dict) -> tuple[str, str, str]:
    subject = render_to_string(f"commerce/emails/{name}.subject.txt", context)
    # One line: a header may not contain line breaks.
    subject = " ".join(subject.split())
    text = render_to_string(f"commerce/emails/{name}.txt", context)
    html = render_to_string(f"commerce/emails/{name}.html", context)
    return subject, text, html


def _message(name: str, context: dict, to: list[str], **kwargs) -> EmailMultiAlternatives:
    subject, text, html = _render(name, context)
    message = EmailMultiAlternatives(subject, text, to=to, **kwargs)
    message.attach_alternative(html, "text/html")
    return message
