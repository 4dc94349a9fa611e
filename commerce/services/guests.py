"""Who a guest is: one unguessable key in their session, for their cart and their lists.

The key is a token (`commerce.tokens.new_token`), made on the guest's first cart
or list. Their cart is the guest cart whose `Cart.token` is the key, their
lists are those whose `ShoppingList.guest_key` is the key; nothing else names
them, so nobody reaches a guest's things without their session. Signing in
forgets the key once the cart and the lists have moved to the account
(services.accounts, on `user_logged_in`); signing out flushes the session.
"""

from django.conf import settings

from commerce.models import ShoppingList
from commerce.tokens import is_token, new_token

GUEST_SESSION_KEY = "storefront_guest"
# Sessions from before the one key held two: the guest cart's token and the lists' key.
# They are carried over on the guest's next request, until such sessions have expired.
LEGACY_SESSION_KEYS = ("storefront_cart", "storefront_lists")


def signed_in_user(request):
    """The visitor's account, or None, without loading a session they do not have.

    Reading `request.user` touches the session, and a touched session makes the answer
    vary by cookie: no CDN could share the anonymous pages any more. Without a session
    cookie nobody is signed in, so there is nothing to read.
    """
    # No request at all: a block rendered outside one (the admin's block previews).
    if request is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def guest_key(request, *, create: bool = False) -> str | None:
    """The guest's key, made now if `create` and they have none; None for a stranger."""
    key = request.session.get(GUEST_SESSION_KEY) or _adopt_legacy_keys(request.session)
    if not key and create:
        key = new_token()
        request.session[GUEST_SESSION_KEY] = key
    return key or None


def forget_guest(request) -> str | None:
    """Takes the key out of the session and returns it (None if there was none)."""
    return request.session.pop(GUEST_SESSION_KEY, None)


def _adopt_legacy_keys(session) -> str | None:
    """The key of a guest whose session predates it: their cart's token becomes the key
    (it already names the cart), and their lists move to it."""
    cart_token, lists_key = (session.pop(name, None) for name in LEGACY_SESSION_KEYS)
    cart_token = cart_token if is_token(cart_token) else None
    lists_key = lists_key if is_token(lists_key) else None
    key = cart_token or lists_key
    if key is None:
        return None
    if lists_key and lists_key != key:
        ShoppingList.objects.filter(user=None, guest_key=lists_key).update(guest_key=key)
    session[GUEST_SESSION_KEY] = key
    return key
