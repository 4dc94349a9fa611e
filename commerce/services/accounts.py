"""Shopper accounts: one Django user per e-mail address.

Shoppers keep Django's default `auth.User`; the username *is* the lower-cased
e-mail, so Django's own login view, password reset and admin work unchanged.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.signals import user_logged_in
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.template.loader import render_to_string

from commerce.inputs import normalise_email

from .cart import merge_guest_cart
from .guests import forget_guest
from .shopping_lists import merge_guest_lists


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
    _send(
        email,
        "commerce/account/email/welcome_subject.txt",
        "commerce/account/email/welcome.txt",
        request=request,
    )
    return user


def _send(email: str, subject_template: str, body_template: str, *, request, **context):
    context = {"email": email, "site_name": get_current_site(request).name, **context}
    subject = "".join(render_to_string(subject_template, context, request=request).splitlines())
    body = render_to_string(body_template, context, request=request)
    send_mail(subject, body, None, [email])


def _send_account_exists(email: str, *, request) -> None:
    """Django's password-reset e-mail, worded for someone who tried to sign up again.

    Sent only to an active account with a usable password (Django's own rule for
    reset links); a staff account whose username merely looks like the address
    gets nothing, as with a password reset.
    """
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="commerce/account/email/account_exists_subject.txt",
            email_template_name="commerce/account/email/account_exists.txt",
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
