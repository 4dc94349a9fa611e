"""Never cache this: the one way a view marks an answer personal.

Pages with personal data (the account, the cart, lists, checkout, a 429 that
names the visitor's lock-out) must not be kept by a shared cache nor reused by
the browser's own: "private, no-store". Shop pages that every anonymous shopper
shares have their own rules (services.page_cache).
"""

from functools import wraps


def never_cache_response(response):
    """Marks `response` personal and unstorable, and returns it."""
    from django.utils.cache import patch_cache_control

    patch_cache_control(response, private=True, no_store=True)
    return response


def never_cache(view):
    """`never_cache_response` for every answer of the view."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return never_cache_response(view(request, *args, **kwargs))

    return wrapped
