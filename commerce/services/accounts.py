"""Shopper accounts: one Django user per e-mail address.

Shoppers keep Django's default `auth.User`; the username *is* the lower-cased
e-mail, so Django's own login view, password reset and admin work unchanged.

Account e-mails (the welcome, a password reset, "you already have an account")
are background tasks like the order e-mails (services.notifications): queued on
commit, sent once per key, tried again while the mail server is down. They name
the shop as the order e-mails do (`notifications.shop_name`, Settings → Branding),
not the request's host; their links go to the host the shopper used.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils.crypto import get_random_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from commerce.inputs import normalise_email

from .cart import merge_guest_cart
from .guests import forget_guest
from .notifications import EMAIL_RETRY, send_once, shop_name
from .shopping_lists import merge_guest_lists
from .tasks import background_task, enqueue_on_commit

#: purpose → (subject template, body template, carries a password-reset link)
ACCOUNT_EMAILS = {
    "welcome": (
        "commerce/account/email/welcome_subject.txt",
        "commerce/account/email/welcome.txt",
        False,
    ),
    "password_reset": (
        "commerce/account/email/password_reset_subject.txt",
        "commerce/account/email/password_reset.txt",
        True,
    ),
    "account_exists": (
        "commerce/account/email/account_exists_subject.txt",
        "commerce/account/email/account_exists.txt",
        True,
    ),
}


class EmailTaken(Exception):
    """Another account already uses this e-mail address (in any letter case)."""


def email_taken(email: str) -> bool:
    # The username is checked too: staff accounts may have an e-mail-like username.
    email = normalise_email(email)
    return (
        get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()
    )


def create_customer(email: str, password: str):
    """A new active shopper account; raises EmailTaken if the address is in use.

    The check before the insert gives the friendly error; the unique username
    (the lower-cased e-mail) is what stops two simultaneous sign-ups.
    """
    email = normalise_email(email)
    if email_taken(email):
        raise EmailTaken(email)
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(
                username=email, email=email, password=password
            )
    except IntegrityError as exc:
        raise EmailTaken(email) from exc


def sign_up(email: str, password: str, *, request):
    """The new account for `email`, or None when the address already has one.

    The two cases must look alike to whoever is signing up, or the sign-up form
    tells anyone which addresses have accounts: each sends the address one
    e-mail, a welcome for a new account, "you already have an account" (with a
    password-reset link) for a known one, where nothing is created or changed.
    The password is hashed in both cases, so the answer takes as long either way.
    """
    email = normalise_email(email)
    try:
        user = create_customer(email, password)
    except EmailTaken:
        make_password(password)
        _send_account_exists(email, request=request)
        return None
    queue_account_email("welcome", user, **site_of(request))
    return user


def site_of(request) -> dict[str, str]:
    """What an account e-mail needs of the request, as task arguments."""
    site = get_current_site(request)
    return {
        "site_name": shop_name(),
        "domain": site.domain,
        "protocol": "https" if request.is_secure() else "http",
    }


def queue_account_email(purpose: str, user, *, site_name: str, domain: str, protocol: str):
    """Queues the account e-mail `purpose` (ACCOUNT_EMAILS) to `user`, with the commit.

    Its key: one welcome per account; a reset link per request (a random part), so each
    request mails once, however often its task is tried. The link's token is made when
    the e-mail is sent, never stored: task arguments are on view to staff.
    """
    if purpose not in ACCOUNT_EMAILS:
        raise ValueError(f"Unknown account e-mail {purpose!r}.")
    key = f"account:{purpose}:{user.pk}"
    if ACCOUNT_EMAILS[purpose][2]:
        key += f":{get_random_string(16)}"
    enqueue_on_commit(send_account_email_task, key, purpose, user.pk, site_name, domain, protocol)


@background_task(retry=EMAIL_RETRY)
def send_account_email_task(
    key: str, purpose: str, user_id: int, site_name: str, domain: str, protocol: str
) -> str:
    """Sends an account e-mail once (services.notifications.send_once). A deleted account
    gets nothing, nor a reset link an account that can no longer use one (deactivated,
    or its password made unusable since), Django's rule for reset links."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return "account deleted"
    subject_template, body_template, with_link = ACCOUNT_EMAILS[purpose]
    if with_link and not (user.is_active and user.has_usable_password()):
        return "account cannot reset its password"

    def build() -> EmailMessage:
        context = {"email": user.email, "site_name": site_name}
        context.update(domain=domain, protocol=protocol)
        if with_link:
            context["user"] = user
            context["uid"] = urlsafe_base64_encode(force_bytes(user.pk))
            context["token"] = default_token_generator.make_token(user)
        subject = "".join(render_to_string(subject_template, context).splitlines())
        return EmailMessage(subject, render_to_string(body_template, context), to=[user.email])

    return "sent" if send_once(key, purpose, build) else "nothing to send"


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password-reset form, its e-mail queued as a task (send_account_email_task).

    The e-mail is the one of `purpose`, whose templates are ACCOUNT_EMAILS's: the
    templates handed to `save()` only name it ("password_reset" unless they are
    another purpose's).
    """

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        purpose = next(
            (
                name
                for name, templates in ACCOUNT_EMAILS.items()
                if templates[1] == email_template_name
            ),
            "password_reset",
        )
        queue_account_email(
            purpose,
            context["user"],
            # Django's context names the host ("Reset your password at 127.0.0.1:8000").
            site_name=shop_name(),
            domain=context["domain"],
            protocol=context["protocol"],
        )


def _send_account_exists(email: str, *, request) -> None:
    """Django's password-reset e-mail, worded for someone who tried to sign up again.

    Sent only to an active account with a usable password (Django's own rule for
    reset links); a staff account whose username merely looks like the address
    gets nothing, as with a password reset.
    """
    form = QueuedPasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name=ACCOUNT_EMAILS["account_exists"][0],
            email_template_name=ACCOUNT_EMAILS["account_exists"][1],
        )


@receiver(user_logged_in, dispatch_uid="storefront_adopt_guest")
def adopt_guest_on_login(sender, request, user, **kwargs):
    """A guest who signs in (or signs up) keeps their cart and lists: both merge into the
    account's, and the guest key is forgotten (services.guests)."""
    if request is None or not hasattr(request, "session"):
        return
    key = forget_guest(request)
    if key:
        merge_guest_cart(key, user)
        merge_guest_lists(key, user)
