"""Template context every page needs: the cart size in the header, computed only when shown."""

from django.utils.functional import SimpleLazyObject


def cart(request):
    def quantity():
        from commerce.services.cart import CART_SESSION_KEY, get_cart, line_count

        user = getattr(request, "user", None)
        is_user = user is not None and user.is_authenticated
        session = getattr(request, "session", None)
        # A visitor with no cart in the session costs no query (and no session load
        # for one without a session cookie): cached catalog pages rely on this.
        if not is_user and (session is None or not session.get(CART_SESSION_KEY)):
            return 0
        return line_count(get_cart(request))

    return {"cart_quantity": SimpleLazyObject(quantity)}
