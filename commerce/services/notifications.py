"""E-mails about orders: the shopper's confirmation, the staff notice, status changes.

Each shopper e-mail has a plain-text body and an HTML alternative, rendered from
commerce/templates/commerce/emails/<name>.{subject.txt,txt,html}. The .txt
templates switch autoescaping off (plain text must show `&` as `&`); the HTML
ones escape everything the shopper typed.

Callers send after the order's transaction commits (`transaction.on_commit(...,
robust=True)`), so a rolled-back order never mails anyone and a mail server
that is down never undoes an order.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from commerce.models import OrderStatus

#: Statuses the shopper hears about (one template set, order_status_changed.*).
STATUS_CHANGE_EMAILS = frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED})


def shop_name() -> str:
    from wagtail.models import Site

    from pages.models import BrandingSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        return BrandingSettings.for_site(site).shop_name
    return getattr(settings, "WAGTAIL_SITE_NAME", "Storefront")


def order_context(order) -> dict:
    payment_instructions = ""
    if order.awaits_bank_transfer and order.payment_method is not None:
        # Staff put the account details in the payment method's description.
        payment_instructions = order.payment_method.description
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "shop_name": shop_name(),
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


def _send(name: str, context: dict, to: list[str], **kwargs) -> None:
    subject, text, html = _render(name, context)
    message = EmailMultiAlternatives(subject, text, to=to, **kwargs)
    message.attach_alternative(html, "text/html")
    message.send()


def send_order_placed(order) -> None:
    """Confirmation to the shopper; a notice to STOREFRONT_ORDER_NOTIFICATION_EMAILS."""
    context = order_context(order)
    _send("order_placed", context, [order.email])

    staff = list(getattr(settings, "STOREFRONT_ORDER_NOTIFICATION_EMAILS", []))
    if staff:
        base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
        context["admin_url"] = base + reverse(
            "wagtailsnippets_commerce_order:inspect", args=[order.pk]
        )
        _send("order_placed_staff", context, staff, reply_to=[order.email])


def send_status_changed(order) -> None:
    """A short note to the shopper when the order ships or is cancelled."""
    if order.status not in STATUS_CHANGE_EMAILS:
        return
    _send("order_status_changed", order_context(order), [order.email])
