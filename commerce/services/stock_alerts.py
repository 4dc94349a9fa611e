"""Back-in-stock alerts: subscribing, noticing a variant's return, mailing each shopper once.

The invariant: a waiting subscription (`StockSubscription.objects.waiting()`) gets one
e-mail, the first time its variant is back in stock, and never another.

- Noticing: every stock writer that can bring units back hands its before/after counts
  to `queue_restocked`, inside its transaction, beside
  `catalog_version.bump_if_availability_changed` (the same counts, the same flip rule):
  `inventory.set_stock_levels` (the stock editor, the catalog import). It queues one
  `send_back_in_stock_task` per variant that came back and has someone waiting, with
  the commit (`tasks.enqueue_on_commit`), so a rolled-back stock edit mails nobody.
  It reads the subscriptions and locks nothing (`services.locks` is untouched).
- Mailing: the task reads the variant afresh. Sold out again or off sale by then, it
  mails nobody and the subscriptions keep waiting for the next return. Otherwise each
  waiting subscription is mailed through `notifications.send_once` under its own key
  (`back_in_stock:<subscription id>`), then marked `notified_at`. A retried task (mail
  server down halfway) finds the mailed ones recorded and goes on with the rest.
- Unsubscribing: by the subscription's own random token; a token names one row, so
  it can neither find nor touch another.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from commerce.inputs import normalise_email, parse_int
from commerce.models import ProductVariant, ShopPage, StockSubscription
from commerce.tokens import is_token

from .notifications import EMAIL_RETRY, send_once, shop_name
from .tasks import background_task, enqueue_on_commit

KIND = "back_in_stock"
MAX_ID = 2**31 - 1  # an id column's range: anything bigger names no row


class AlertError(Exception):
    """The subscription was not made; the message says why, in the shopper's words."""


# --- Subscribing ----------------------------------------------------------------------------


def subscribe(*, variant_id, email: str, user=None) -> tuple[StockSubscription, bool]:
    """Subscribes `email` to `variant_id`'s return; (subscription, created). Asking again
    while a subscription waits returns that one.

    Only a variant shoppers can buy and cannot buy now: a variant in stock needs no alert,
    one of a withdrawn or disabled product would never be mailed."""
    pk = parse_int(variant_id, minimum=1, maximum=MAX_ID)
    variant = (
        ProductVariant.objects.purchasable().select_related("product").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if variant is None:
        raise AlertError("This product cannot be ordered, so there is nothing to wait for.")
    email = normalise_email(email or "")
    try:
        validate_email(email)
        if len(email) > StockSubscription._meta.get_field("email").max_length:
            raise ValidationError("too long")
    except ValidationError:
        raise AlertError("Enter a valid e-mail address.") from None
    if variant.is_in_stock:
        raise AlertError(f"{variant.description} is in stock: you can order it now.")
    user = user if user is not None and user.is_authenticated else None
    existing = StockSubscription.objects.waiting().filter(variant=variant, email=email).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return StockSubscription.objects.create(variant=variant, email=email, user=user), True
    except IntegrityError:
        # The same address asking twice at once: the other request's row waits.
        return StockSubscription.objects.waiting().get(variant=variant, email=email), False


# --- Noticing a return ------------------------------------------------------------------------


def restocked_variants(*, before: Mapping[int, int], after: Mapping[int, int]) -> list[int]:
    """Variants that had no units to sell before and have some after (sorted ids)."""
    return sorted(pk for pk, units in after.items() if units > 0 and before.get(pk, 0) <= 0)


def queue_restocked(*, before: Mapping[int, int], after: Mapping[int, int]) -> list[int]:
    """Queues the alerts of the variants this stock write brought back; call it inside
    the writer's transaction. Returns the variant ids it queued a task for."""
    returned = restocked_variants(before=before, after=after)
    if not returned:
        return []
    waiting = sorted(
        set(
            StockSubscription.objects.waiting()
            .filter(variant_id__in=returned)
            .values_list("variant_id", flat=True)
        )
    )
    for variant_id in waiting:
        enqueue_on_commit(send_back_in_stock_task, variant_id)
    return waiting


# --- Mailing ------------------------------------------------------------------------------------


def email_key(subscription: StockSubscription) -> str:
    return f"{KIND}:{subscription.pk}"


@background_task(retry=EMAIL_RETRY)
def send_back_in_stock_task(variant_id: int) -> str:
    """Mails every waiting subscription of the variant once, if it is for sale now."""
    variant = (
        ProductVariant.objects.purchasable().select_related("product").filter(pk=variant_id).first()
    )
    if variant is None:
        return "not for sale"
    if not variant.is_in_stock:
        return "sold out again"
    links = shop_links(variant)
    mailed = 0
    for subscription in StockSubscription.objects.waiting().filter(variant=variant):
        send_once(email_key(subscription), KIND, lambda s=subscription: message(s, variant, links))
        # Sent now or by an earlier try of this task: either way it was mailed.
        StockSubscription.objects.filter(pk=subscription.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        mailed += 1
    return f"mailed {mailed}"


def shop_links(variant) -> dict[str, str]:
    """The default site's root and the absolute product URL, with the variant chosen (the
    task has no request: the shop's own address, as the order e-mails use)."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    root = site.root_url if site is not None else ""
    shop = ShopPage.for_site(site)
    product_url = ""
    if shop is not None:
        product_url = ShopPage.with_variant(
            shop.get_full_url() + shop.product_subpath(variant.product), variant.sku
        )
    return {"root": root, "product_url": product_url}


def message(subscription, variant, links) -> EmailMultiAlternatives:
    context = {
        "shop_name": shop_name(),
        "variant": variant,
        "product": variant.product,
        "product_url": links["product_url"],
        "unsubscribe_url": links["root"]
        + reverse("stock_alerts:unsubscribe", kwargs={"token": subscription.token}),
    }
    subject = " ".join(
        render_to_string("commerce/emails/back_in_stock.subject.txt", context).split()
    )
    text = render_to_string("commerce/emails/back_in_stock.txt", context)
    html = render_to_string("commerce/emails/back_in_stock.html", context)
    email = EmailMultiAlternatives(subject, text, to=[subscription.email])
    email.attach_alternative(html, "text/html")
    return email


# --- Unsubscribing ----------------------------------------------------------------------------


def subscription_for_token(token) -> StockSubscription | None:
    if not is_token(token):
        return None
    return StockSubscription.objects.select_related("variant__product").filter(token=token).first()


def unsubscribe(subscription: StockSubscription) -> None:
    StockSubscription.objects.filter(pk=subscription.pk).delete()
