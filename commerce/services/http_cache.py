"""What a shared HTTP cache (a reverse proxy such as Varnish, or a CDN) may keep.

The page cache (`services.page_cache`) serves every visitor from the shop's own cache; this
module lets a proxy in front keep some of those answers too, so a hit never reaches the
shop at all. The rule, in one place (`is_shareable`): an answer is shared only when it is

- a page-cache hit or miss (`X-Storefront-Cache`), status 200, for a GET or HEAD;
- for an anonymous visitor (`page_cache.is_personal` says no): the body is then the same
  for every anonymous visitor of that URL;
- without a CSRF token in it: a page with a POST form (add to cart on tiles and product
  pages, save to a list) carries the visitor's own token, which must match their own CSRF
  cookie; a shared copy would hand one visitor's token to all, and without JavaScript
  there is no other way to put a token into the form. Such pages stay `private, no-cache`
  (the shop's page cache still serves them);
- setting no cookie;
- cut at the page cache's boundary: `page_cache.with_browser_headers` records when the
  entry stops (`expires_at`, a campaign window or a promotion starting or ending) and
  `s-maxage` never runs past it, since nothing purges the proxy at such a moment.

A shared answer gets `Cache-Control: public, max-age=0, s-maxage=N` (browsers ask again
every time, cheaply; proxies keep it N seconds or until purged), an ETag, and no
`Vary: Cookie`: the proxy tells personal requests by their cookies instead (the session
and messages cookies pass; deploy/varnish/default.vcl, README "Shared HTTP cache").

A shared copy also carries one CSP nonce for everybody, so the nonce of a shared answer is
not random but derived from the page itself (an HMAC, keyed by SECRET_KEY, of the SHA-256
of the body with the nonce taken out; the ETag is that digest): the same page always gets
the same nonce (the ETag holds, and a 304 refreshes the browser's stored headers with the
nonce its stored body has), and nobody can know the nonce of a page before its content is
fixed, so content injected into a page cannot carry a valid nonce.

A request whose If-None-Match names the answer's ETag gets a 304: on a page-cache hit the
page is not rendered for it.
"""

import base64
import hashlib
import math

from django.conf import settings
from django.utils.cache import get_conditional_response
from django.utils.crypto import salted_hmac

from pages.clock import shop_now

from .page_cache import CACHE_HEADER, is_personal

SHAREABLE_OUTCOMES = ("hit", "miss")
# Set on the response by `page_cache.with_browser_headers`: when the page-cache entry stops
# (None: no planned moment). An answer without it is never shared.
EXPIRES_AT_ATTRIBUTE = "page_cache_expires_at"


def shared_max_age(expires_at, now) -> int:
    """Seconds a proxy may keep the answer: the configured lifetime, cut (rounded down) at
    the entry's boundary."""
    seconds = settings.STOREFRONT_HTTP_CACHE_SECONDS
    if expires_at is None:
        return seconds
    return max(0, min(seconds, math.floor((expires_at - now).total_seconds())))


def is_shareable(request, response) -> bool:
    return (
        settings.STOREFRONT_HTTP_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.streaming
        and response.get(CACHE_HEADER) in SHAREABLE_OUTCOMES
        and hasattr(response, EXPIRES_AT_ATTRIBUTE)
        # get_token() was called: the page holds this visitor's CSRF token.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not response.cookies
        and not is_personal(request)
    )


def page_digest(parts: list[bytes]):
    """SHA-256 of the body with the nonce taken out (`parts`: the body split at it)."""
    digest = hashlib.sha256()
    for index, part in enumerate(parts):
        if index:
            digest.update(b"\0nonce\0")
        digest.update(part)
    return digest


def page_nonce(digest: bytes) -> str:
    """The CSP nonce of a shared page: fixed by its content, unknowable without SECRET_KEY."""
    mac = salted_hmac("storefront.http_cache.nonce", digest, algorithm="sha256")
    return base64.b64encode(mac.digest()[:16]).decode("ascii")


def with_page_nonce_and_etag(request, response):
    """Swaps this answer's random nonce for the page's own (`page_nonce`), in the body and,
    through `request._csp_nonce` (which django-csp's middleware reads when it writes the
    header), in the Content-Security-Policy; sets the ETag (the same digest: the nonce is a
    function of the rest). One pass to split, one to hash, one to join: this runs on every
    shared hit."""
    nonce = getattr(request, "_csp_nonce", None)
    parts = response.content.split(nonce.encode()) if isinstance(nonce, str) else None
    if parts is None or len(parts) == 1:
        # Nothing on the page asked for a nonce (or it is not in the body).
        response["ETag"] = etag_of(page_digest([response.content]).hexdigest())
        return response
    digest = page_digest(parts)
    fixed = page_nonce(digest.digest())
    response.content = fixed.encode().join(parts)
    request._csp_nonce = fixed
    response["ETag"] = etag_of(digest.hexdigest())
    return response


def etag_of(hexdigest: str) -> str:
    return '"' + hexdigest[:32] + '"'


def with_shared_headers(request, response, seconds: int):
    """Marks a shareable answer public for `seconds`; a 304 instead when the visitor's
    If-None-Match names it."""
    response = with_page_nonce_and_etag(request, response)
    response["Cache-Control"] = f"public, max-age=0, s-maxage={seconds}"
    vary = [
        field.strip()
        for field in response.get("Vary", "").split(",")
        if field.strip() and field.strip().lower() != "cookie"
    ]
    if vary:
        response["Vary"] = ", ".join(vary)
    elif response.has_header("Vary"):
        del response["Vary"]
    return get_conditional_response(request, etag=response["ETag"], response=response) or response


class SharedCacheMiddleware:
    """Turns the page cache's anonymous, token-free answers into ones a proxy may share.

    Sits inside django-csp's middleware (which writes the nonce this one may fix) and the
    session, CSRF and messages middleware (whose state says whether the answer is
    personal), and outside `PageCacheMiddleware`, so it sees hits and misses alike.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_shareable(request, response):
            return response
        expires_at = getattr(response, EXPIRES_AT_ATTRIBUTE)
        seconds = shared_max_age(expires_at, shop_now())
        if seconds <= 0:
            return response
        return with_shared_headers(request, response, seconds)
