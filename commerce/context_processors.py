"""Template context every page needs: the cart size in the header, computed only when shown."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def cart(request):
    def quantity():
        from commerce.services.cart import get_cart, line_count
        from commerce.services.guests import guest_key

        # A visitor without a session cookie has neither an account nor a cart:
        # answer without opening the session, which would add `Vary: Cookie` and
        # split the shared cache of anonymous pages per visitor.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return 0
        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated) and not guest_key(request):
            return 0
        return line_count(get_cart(request))

    return {"cart_quantity": SimpleLazyObject(quantity)}
