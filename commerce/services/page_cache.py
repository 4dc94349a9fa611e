"""Full-page cache for the shop's public pages (catalog, category, search, product).

Anonymous shoppers all see the same page for the same URL, so it is rendered once
and kept in Django's default cache. How, and what keeps it correct:

- Hits are answered by `PageCacheMiddleware` before Wagtail routes the request
  (routing and its privacy check cost six queries, a hit otherwise one); misses are
  rendered and stored by `ShopPage.serve`, which skips pages with view restrictions,
  so the middleware only ever finds public shop pages.
- Only requests that carry nothing personal are cached: no logged-in user, no
  guest key (a cart or shopping lists) in the session, no pending messages, GET or HEAD only,
  and only 200 answers. Anything else is rendered as usual ("bypass").
- The key holds the catalog version (`CatalogVersion`, one row in the database),
  which every change to what shoppers see bumps in the same transaction as the
  change. Reading it costs one query per request; in exchange invalidation is
  atomic and holds across any number of workers, even with a per-process cache.
  Old entries are never read again and age out (`STOREFRONT_PAGE_CACHE_SECONDS`).
  The version itself, when a write bumps it and the receivers that do, belong to
  `services.catalog_version`: the feeds key on it too.
- Cached HTML never holds anyone's CSRF token: the page is rendered with a
  placeholder where the token goes, and every answer (hit or miss) gets the
  placeholder replaced by the visitor's own token.
- Nor a Content-Security-Policy nonce: a nonce is good for one answer only, and the
  header of a later hit carries a new one. The page is rendered with a nonce
  placeholder, which every answer replaces with its request's nonce (django-csp then
  puts that same nonce into the header).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac

from commerce.services.catalog_version import catalog_version

from .guests import GUEST_SESSION_KEY, LEGACY_SESSION_KEYS

# Session keys that make a visitor's pages their own: the guest key (services.guests)
# that names a guest's cart and shopping lists, and the two it replaced.
PERSONAL_SESSION_KEYS = (GUEST_SESSION_KEY, *LEGACY_SESSION_KEYS)

CACHE_HEADER = "X-Storefront-Cache"
KEY_PREFIX = "storefront:page"


def csrf_placeholder() -> str:
    """What cached pages hold instead of a CSRF token.

    The same in every worker (a shared cache may hold a body another worker
    rendered), and derived from SECRET_KEY so nobody can plant it in a page.
    """
    return "csrf-" + salted_hmac("storefront.page_cache", "csrf-token-placeholder").hexdigest()


def nonce_placeholder() -> str:
    """What cached pages hold instead of a CSP nonce; like `csrf_placeholder`."""
    return "nonce-" + salted_hmac("storefront.page_cache", "csp-nonce-placeholder").hexdigest()


# --- Which requests are cached ------------------------------------------------------------


def has_pending_messages(request) -> bool:
    """django.contrib.messages waiting to be shown, without marking them as shown.

    The fallback storage reads its cookie first and touches the session only
    when the cookie says more messages are waiting there.
    """
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def is_personal(request) -> bool:
    if getattr(request, "is_preview", False):
        return True
    # No session cookie, no session: loading one would only create an empty
    # session object, and nobody can be logged in without it.
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        session = request.session
        if any(key in session for key in PERSONAL_SESSION_KEYS):
            return True
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
    return has_pending_messages(request)


def is_cacheable_request(request) -> bool:
    return request.method in ("GET", "HEAD") and not is_personal(request)


def request_identity(request) -> str:
    """Scheme and host (they pick the Wagtail site and appear in absolute URLs), path and
    query, as a digest.

    Parameters are sorted by name so `?a=1&b=2` and `?b=2&a=1` share an entry;
    the values of one name keep their order, since `page=1&page=2` is page 2.
    """
    query = sorted(request.GET.lists(), key=lambda item: item[0])
    identity = repr((request.scheme, request.get_host(), request.path, query))
    return hashlib.sha256(identity.encode()).hexdigest()


def page_cache_key(request, version: int) -> str:
    return f"{KEY_PREFIX}:{version}:{request_identity(request)}"


def shop_url_key(request) -> str:
    """Marks a URL as a cached shop page, whatever the version: the middleware reads the
    catalog version (a query) only for URLs that have one."""
    return f"{KEY_PREFIX}:url:{request_identity(request)}"


# --- Serving ------------------------------------------------------------------------------


def cached_page(request, version):
    """The cached answer for `request` at catalog `version` (a hit), or None."""
    cached = cache.get(page_cache_key(request, version))
    if cached is None:
        return None
    body, content_type = cached
    response = HttpResponse(body, content_type=content_type)
    return with_browser_headers(with_visitor_values(response, request), "hit")


class PageCacheMiddleware:
    """Answers cached shop pages before URL routing; everything else passes through.

    Sits after the session, auth, CSRF and messages middleware: it needs to know
    whether the request is personal, and CsrfViewMiddleware must still send the
    cookie for the token a hit hands out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.STOREFRONT_PAGE_CACHE_SECONDS > 0
            and cache.get(shop_url_key(request))
            and is_cacheable_request(request)
        ):
            response = cached_page(request, catalog_version())
            if response is not None:
                return response
        return self.get_response(request)


def serve_with_page_cache(request, render_page, *, cacheable=True):
    """The page for `request`: from the cache when possible, else rendered and stored.

    `render_page()` runs the view and returns its response; a cacheable one is a
    TemplateResponse not rendered yet, so the CSRF placeholder can go into its
    context. `cacheable=False` (a page with view restrictions) always renders.
    """
    seconds = settings.STOREFRONT_PAGE_CACHE_SECONDS
    if seconds <= 0 or not cacheable or not is_cacheable_request(request):
        return with_browser_headers(render_page(), "bypass")

    version = catalog_version()
    response = cached_page(request, version)  # the URL marker may have been evicted
    if response is not None:
        return response

    response = render_page()
    if (
        response.status_code != 200
        or not isinstance(response, SimpleTemplateResponse)
        or response.is_rendered
    ):
        return with_browser_headers(response, "bypass")
    response.context_data = {
        **(response.context_data or {}),
        "csrf_token": csrf_placeholder(),
        "CSP_NONCE": nonce_placeholder(),
    }
    response.render()
    cache.set_many(
        {
            page_cache_key(request, version): (response.content, response["Content-Type"]),
            shop_url_key(request): True,
        },
        seconds,
    )
    return with_browser_headers(with_visitor_values(response, request), "miss")


def with_visitor_values(response, request):
    """Puts the visitor's own CSRF token and this answer's CSP nonce where the cached
    body has their placeholders.

    `get_token` also makes CsrfViewMiddleware send the visitor the matching
    cookie, and reading `request.csp_nonce` makes the CSP middleware (which wraps
    this one) put the nonce into the header. Pages without a form never ask
    for a token, as when rendered uncached.
    """
    content = response.content
    placeholder = csrf_placeholder().encode()
    if placeholder in content:
        content = content.replace(placeholder, get_token(request).encode())
    placeholder = nonce_placeholder().encode()
    if placeholder in content:
        content = content.replace(placeholder, str(request.csp_nonce).encode())
    response.content = content
    return response


def with_browser_headers(response, outcome):
    """Browsers may keep the page but must ask again before reusing it (it carries the
    visitor's CSRF token and, when personal, their cart); shared proxies must not."""
    response[CACHE_HEADER] = outcome
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response
