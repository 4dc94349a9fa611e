"""Limits on abuse: how often one client may try a thing before the shop says "later".

Two libraries, one place:

- Failed log-ins (shop, Wagtail admin, `POST /auth/`) are django-axes' job: every
  log-in goes through `django.contrib.auth.authenticate(request, ...)`, where
  `AxesStandaloneBackend` refuses a locked account or address even with the right
  password, and the failure signal counts. Counted per account and per client IP,
  in the database (settings: "Limits on abuse"), so the count holds across workers.
- Everything else is a django-ratelimit counter in Django's cache, named in
  `settings.STOREFRONT_RATE_LIMITS` ("10/h": ten per hour, fixed windows). With
  CACHE_URL (Redis) the counters are shared by every worker and machine; the
  embedded LocMem cache counts per process.

Every counter is keyed by what the limit is about: an e-mail address, a cart, a
session (or the signed-in user), a client IP. A limited request is answered, never
dropped: 429 with a JSON detail on the APIs, a form error or message on pages.
"""

from django.conf import settings
from django_ratelimit.core import get_usage

COUPON_REFUSED = "This code cannot be used."


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw.

    With TRUSTED_PROXY_COUNT = n (proxies that each append to X-Forwarded-For),
    the client is the n-th address from the right; anything further left was
    written by the client and could be anything.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.STOREFRONT_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def ip_key(request) -> str:
    return f"ip:{client_ip(request)}"


def axes_client_ip(request) -> str:
    # axes calls its IP callable with the request only.
    return client_ip(request)


def login_username(request, credentials) -> str | None:
    """The account a log-in attempt counts against, however its name was typed.

    Shop log-ins lower-case e-mail addresses, the admin and the API do not; one
    counter per account means "Anna@Example.com" is not a fresh set of guesses.
    """
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username")
    if not isinstance(username, str):
        return None
    return username.strip().lower()


def session_key(request) -> str:
    """Whose writes these are: the signed-in user, else the session, else the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return f"session:{session.session_key}"
    return ip_key(request)


def _usage(request, limit: str, key: str, *, increment: bool, rate: str | None = None):
    rate = rate or settings.STOREFRONT_RATE_LIMITS.get(limit)
    if not rate:  # the limit is switched off
        return None
    return get_usage(
        request,
        group=f"storefront.{limit}",
        key=lambda group, request: key,
        rate=rate,
        increment=increment,
    )


def exceeded(request, limit: str, key: str) -> bool:
    """Counts this attempt against `limit` for `key`; True once `key` is over it."""
    usage = _usage(request, limit, key, increment=True)
    return bool(usage and usage["should_limit"])


def retry_after(request, limit: str, key: str) -> int | None:
    """Counts this attempt against `limit` for `key`: None while allowed, else the seconds
    until the window ends (an API's `Retry-After`; at least 1)."""
    usage = _usage(request, limit, key, increment=True)
    if not (usage and usage["should_limit"]):
        return None
    return max(1, usage["time_left"])


# --- Coupons -------------------------------------------------------------------------


def coupon_keys(request, cart) -> tuple[str, str]:
    return f"cart:{cart.pk}", ip_key(request)


def coupon_attempts_exceeded(request, cart) -> bool:
    """Counts a coupon code tried on this cart; True once the cart or the address is over."""
    cart_key, address_key = coupon_keys(request, cart)
    over_cart = exceeded(request, "coupon_cart", cart_key)
    over_ip = exceeded(request, "coupon_ip", address_key)
    return over_cart or over_ip


def coupon_refusal(request, cart, message: str) -> str:
    """What a refused coupon code is told: the reason, until it looks like guessing.

    check_coupon's reasons ("no such code", "expired", "needs a bigger cart") tell
    a shopper what to do, and tell a guesser which codes exist. After
    COUPON_GUESS_AFTER refused codes from one cart or one address (within an hour),
    every refusal reads the same, so an unknown code and an existing one can no
    longer be told apart.
    """
    rate = f"{settings.STOREFRONT_COUPON_GUESS_AFTER}/h"
    guessing = False
    for key in coupon_keys(request, cart):
        usage = _usage(request, "coupon_refusals", key, increment=True, rate=rate)
        guessing = guessing or bool(usage and usage["should_limit"])
    return COUPON_REFUSED if guessing else message
