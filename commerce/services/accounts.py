"""Shopper accounts: one Django user per e-mail address.

Shoppers keep Django's default `auth.User`; the username *is* the lower-cased
e-mail, so Django's own login view, password reset and admin work unchanged.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q


class EmailTaken(Exception):
    """Another account already uses this e-mail address (in any letter case)."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


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
