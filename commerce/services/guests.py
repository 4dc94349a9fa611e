"""Who a guest is: one unguessable key in their session, for their cart and their lists.

The key is a token (`commerce.tokens.new_token`), made on the guest's first cart
or list. Their cart is the guest cart whose `Cart.token` is the key, their
lists are those whose `ShoppingList.guest_key` is the key; nothing else names
them, so nobody reaches a guest's things without their session. Signing in
forgets the key once the cart and the lists have moved to the account
(services.accounts, on `user_logged_in`); signing out flushes the session.
"""

from commerce.tokens import new_token

GUEST_SESSION_KEY = "storefront_guest"


def guest_key(request, *, create: bool = False) -> str | None:
    """The guest's key, made now if `create` and they have none; None for a stranger."""
    key = request.session.get(GUEST_SESSION_KEY)
    if not key and create:
        key = new_token()
        request.session[GUEST_SESSION_KEY] = key
    return key or None


def forget_guest(request) -> str | None:
    """Takes the key out of the session and returns it (None if there was none)."""
    return request.session.pop(GUEST_SESSION_KEY, None)
