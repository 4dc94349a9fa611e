"""Full-page cache for the shop's public pages (catalog, category, search, product), the
homepage and content pages.

Every visitor sees the same page for the same URL but for a few personal parts (cart,
account links, messages, list choices, a prefilled e-mail), so the page is rendered once,
with a placeholder for each personal part, and kept in Django's default cache; every
answer fills the placeholders for its visitor (services.personal_parts). How, and what
keeps it correct:

- Hits are answered by `PageCacheMiddleware` before Wagtail routes the request
  (routing and its privacy check cost six queries, a hit otherwise one); misses are
  rendered and stored by `ShopPage.serve` and `HomePage.serve`, which skip pages with
  view restrictions, so the middleware only ever finds public pages.
- GET and HEAD requests are cached, for strangers, guests with a cart or lists, signed-in
  shoppers and visitors with pending messages alike; previews never; only 200 answers.
  A page rendered for the cache never reads the visitor's things: personal parts leave
  placeholders (`personal_parts.slot`). One thing does change the page itself: a
  signed-in shopper in a customer group some promotion is meant for may see other prices,
  so the key holds those groups (`audience_key`; empty for everyone else).
- The key holds the catalog version (`CatalogVersion`, one row in the database),
  which every change to what shoppers see bumps in the same transaction as the
  change. Reading it costs one query per request; in exchange invalidation is
  atomic and holds across any number of workers, even with a per-process cache.
  Old entries are never read again and age out (`STOREFRONT_PAGE_CACHE_SECONDS`).
  The version itself, when a write bumps it and the receivers that do, belong to
  `services.catalog_version`: the feeds key on it too.
- What a page shows also changes by itself, with no write to bump the version: a block
  of it enters or leaves its campaign window (`pages.blocks.campaign`), a promotion
  starts or ends. An entry lives until the first such moment after it was rendered
  (`changes_at`) and no longer: its cache timeout stops there, and a hit read at or after
  it (by the shop's clock) is a miss, since timeouts count whole seconds.
- Cached HTML never holds anyone's CSRF token: the page is rendered with a
  placeholder where the token goes, and every answer (hit or miss) gets the
  placeholder replaced by the visitor's own token.
- Nor a Content-Security-Policy nonce: a nonce is good for one answer only, and the
  header of a later hit carries a new one. The page is rendered with a nonce
  placeholder, which every answer replaces with its request's nonce (django-csp then
  puts that same nonce into the header).
"""

import hashlib
import math
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac

from commerce.models import Promotion
from commerce.services.catalog_version import request_catalog_version
from pages.blocks.campaign import next_boundary_after
from pages.clock import shop_now

from .guests import GUEST_SESSION_KEY, LEGACY_SESSION_KEYS, signed_in_user
from .personal_parts import fill_slots, mark_shared_render
from .promotions import audience_groups

# Session keys that make a visitor's pages their own: the guest key (services.guests)
# that names a guest's cart and shopping lists, and the two it replaced.
PERSONAL_SESSION_KEYS = (GUEST_SESSION_KEY, *LEGACY_SESSION_KEYS)

CACHE_HEADER = "X-Storefront-Cache"
# ":2": entries carry the moment they stop (`changes_at`); entries of the old shape, left
# in a shared cache by the previous release, are never read.
# ":3": bodies hold personal-part placeholders.
KEY_PREFIX = "storefront:page:3"


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
    """Whether the visitor has anything of their own (cart, lists, account, messages) or
    previews: their answer is theirs, even when its body came from the cache."""
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
    """Cached for every visitor; an editor's preview never."""
    return request.method in ("GET", "HEAD") and not getattr(request, "is_preview", False)


def audience_key(request) -> str:
    """Who the page was rendered for, as far as its content goes: "" for everyone but a
    signed-in shopper in a customer group some live promotion is meant for, whose prices
    may differ; for them the ids of those groups. One query, only while such promotions
    exist."""
    groups = audience_groups(signed_in_user(request), request_catalog_version(request))
    return ",".join(map(str, groups))


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
    return f"{KEY_PREFIX}:{version}:{audience_key(request)}:{request_identity(request)}"


def shop_url_key(request) -> str:
    """Marks a URL as a cached shop page, whatever the version: the middleware reads the
    catalog version (a query) only for URLs that have one."""
    return f"{KEY_PREFIX}:url:{request_identity(request)}"


# --- How long an entry lives --------------------------------------------------------------


def changes_at(stream_values=(), now=None) -> datetime | None:
    """The first moment after `now` (default: the shop's now) at which the page may show
    something else with nothing written: a block of `stream_values` (the page's StreamField
    values) starts or ends its campaign window, or a promotion starts or ends (any live
    promotion: listings, product pages and product sections may show any of them).
    None: no such moment is planned."""
    now = now or shop_now()
    moments = (next_boundary_after(stream_values, now), Promotion.objects.next_change_after(now))
    return min((moment for moment in moments if moment is not None), default=None)


def entry_timeout(expires_at: datetime | None, now: datetime) -> int:
    """Seconds to keep an entry: the configured lifetime, cut at `expires_at` (rounded up:
    the hit check makes the boundary exact)."""
    seconds = settings.STOREFRONT_PAGE_CACHE_SECONDS
    if expires_at is None:
        return seconds
    return max(1, min(seconds, math.ceil((expires_at - now).total_seconds())))


# --- Serving ------------------------------------------------------------------------------


def cached_page(request, version):
    """The cached answer for `request` at catalog `version` (a hit), or None."""
    cached = cache.get(page_cache_key(request, version))
    if cached is None:
        return None
    body, content_type, expires_at = cached
    if expires_at is not None and shop_now() >= expires_at:
        return None
    response = HttpResponse(body, content_type=content_type)
    return with_browser_headers(
        with_visitor_values(response, request), "hit", expires_at=expires_at
    )


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
            response = cached_page(request, request_catalog_version(request))
            if response is not None:
                return response
        return self.get_response(request)


def serve_with_page_cache(request, render_page, *, cacheable=True, stream_values=()):
    """The page for `request`: from the cache when possible, else rendered and stored.

    `render_page()` runs the view and returns its response; a cacheable one is a
    TemplateResponse not rendered yet, so the CSRF placeholder can go into its
    context. `cacheable=False` (a page with view restrictions) always renders; a
    callable is asked only when the request could be cached (looking restrictions up
    costs queries that logged-in visitors and a switched-off cache need not pay).
    `stream_values`: the page's StreamField values, whose campaign windows cut the
    entry's life (`changes_at`).
    """
    seconds = settings.STOREFRONT_PAGE_CACHE_SECONDS
    if (
        seconds <= 0
        or not is_cacheable_request(request)
        or not (cacheable() if callable(cacheable) else cacheable)
    ):
        return with_browser_headers(render_page(), "bypass")

    version = request_catalog_version(request)
    response = cached_page(request, version)  # the URL marker may have been evicted
    if response is not None:
        return response

    # Taken before rendering: a window that opens while the page renders must not be
    # missed by the entry made from it.
    now = shop_now()
    expires_at = changes_at(stream_values, now)
    # Rendered for everyone: personal parts leave placeholders, filled below.
    mark_shared_render(request)
    try:
        response = render_page()
        if (
            response.status_code != 200
            or not isinstance(response, SimpleTemplateResponse)
            or response.is_rendered
        ):
            mark_shared_render(request, False)
            return with_browser_headers(_rendered_for_visitor(response, request), "bypass")
        response.context_data = {
            **(response.context_data or {}),
            "csrf_token": csrf_placeholder(),
            "CSP_NONCE": nonce_placeholder(),
        }
        response.render()
    finally:
        mark_shared_render(request, False)
    cache.set_many(
        {
            page_cache_key(request, version): (
                response.content,
                response["Content-Type"],
                expires_at,
            ),
            shop_url_key(request): True,
        },
        entry_timeout(expires_at, now),
    )
    return with_browser_headers(
        with_visitor_values(response, request), "miss", expires_at=expires_at
    )


def _rendered_for_visitor(response, request):
    """A response the view made while slots were placeholders but that is not cached (a
    redirect, a 404, a rendered response): its slots are filled like a hit's."""
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    if getattr(response, "streaming", False) or not hasattr(response, "content"):
        return response
    response.content = fill_slots(response.content, request)
    return response


def with_visitor_values(response, request):
    """Puts the visitor's personal parts (`personal_parts.fill_slots`), own CSRF token and
    this answer's CSP nonce where the cached body has their placeholders.

    `get_token` also makes CsrfViewMiddleware send the visitor the matching
    cookie, and reading `request.csp_nonce` makes the CSP middleware (which wraps
    this one) put the nonce into the header. Pages without a form never ask
    for a token, as when rendered uncached.
    """
    content = fill_slots(response.content, request)
    placeholder = csrf_placeholder().encode()
    if placeholder in content:
        content = content.replace(placeholder, get_token(request).encode())
    placeholder = nonce_placeholder().encode()
    if placeholder in content:
        content = content.replace(placeholder, str(request.csp_nonce).encode())
    response.content = content
    return response


# `with_browser_headers` without `expires_at`: the answer is not a page-cache entry's.
_NO_ENTRY = object()


def with_browser_headers(response, outcome, *, expires_at=_NO_ENTRY):
    """Browsers may keep the page but must ask again before reusing it (it carries the
    visitor's CSRF token and, when personal, their cart); shared proxies must not.

    `expires_at` (hits and misses: when the entry stops, None for no planned moment) is
    recorded on the response for `services.http_cache.SharedCacheMiddleware`, which makes
    anonymous answers without a CSRF token public for proxies, never past that moment."""
    response[CACHE_HEADER] = outcome
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    if expires_at is not _NO_ENTRY:
        response.page_cache_expires_at = expires_at
    return response
