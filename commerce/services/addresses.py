"""Saved addresses: a shopper has at most one default address.

Every change that touches the default locks the owner's user row first, so
two requests at once (two tabs, a double click) queue up instead of both
leaving a default behind.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from commerce.models import Address


def addresses_of(user):
    """The only way views look addresses up: scoped to their owner."""
    return Address.objects.filter(user=user)


def default_address(user) -> Address | None:
    return addresses_of(user).filter(is_default=True).first()


def _lock_owner(user):
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def save_address(user, address: Address) -> Address:
    """Create or update `address` for `user`; the first one becomes the default."""
    with transaction.atomic():
        _lock_owner(user)
        address.user = user
        others = addresses_of(user).exclude(pk=address.pk)
        if not others.exists():
            address.is_default = True
        if address.is_default:
            others.filter(is_default=True).update(is_default=False)
        address.save()
    return address


def make_default_address(user, address: Address) -> None:
    with transaction.atomic():
        _lock_owner(user)
        addresses_of(user).exclude(pk=address.pk).filter(is_default=True).update(is_default=False)
        addresses_of(user).filter(pk=address.pk).update(is_default=True)


def delete_address(user, address: Address) -> None:
    """Delete it; if it was the default, the newest remaining address takes over."""
    with transaction.atomic():
        _lock_owner(user)
        was_default = addresses_of(user).filter(pk=address.pk, is_default=True).exists()
        addresses_of(user).filter(pk=address.pk).delete()
        if was_default:
            successor = addresses_of(user).order_by("-created_at", "-id").first()
            if successor:
                addresses_of(user).filter(pk=successor.pk).update(is_default=True)
