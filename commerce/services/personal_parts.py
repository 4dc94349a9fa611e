"""The personal parts of a cached page: what differs from one visitor to the next.

Every visitor of a storefront page gets the same cached body (services.page_cache); the few
things that are theirs are *slots*. A slot is rendered in one place (`render_slot`), by a
small template of its own, whichever way the page is served:

- rendering a page for the cache (`rendering_shared_page`), a slot leaves a placeholder;
- filling a cached body (`fill_slots`, on every hit and miss), each placeholder becomes
  the slot rendered for this request;
- a page that is never cached (cart, checkout, account, preview) renders the slot in
  place, by the same function, so a filled page and an uncached one are the same bytes.

The slots and what they cost on a hit (beyond loading the session and the user, which
the request pays anyway):

- "cart": the header's cart link with the item count, and the mini-cart. One query
  reads the cart's lines; the mini-cart (pricing costs a dozen queries) is kept per cart,
  lines, coupon, catalog version and audience, until the next promotion boundary.
- "account": "Log in / Sign up", or "Account" with the shopper's name and "Log out".
  No query: the user is already loaded.
- "messages": django.contrib.messages, shown and consumed exactly as a normal render.
- "list_options": the "Save to list" choices of the product page. One query.
- "email": the signed-in shopper's address in the stock-alert form. No query.

A visitor without a session cookie and without messages (a stranger) gets the same
slots as everyone else who has neither; those are rendered once per process.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from commerce.models import CartLine, Promotion
from pages.clock import shop_now

from .guests import guest_key, signed_in_user

SLOT_TEMPLATES = {
    "cart": "includes/personal/cart.html",
    "account": "includes/personal/account.html",
    "messages": "includes/personal/messages.html",
    "list_options": "includes/personal/list_options.html",
}
SLOTS = (*SLOT_TEMPLATES, "email")

# Set on the request while a page is rendered for the cache: slots leave placeholders.
_SHARED_RENDER = "_storefront_shared_render"
# Slots already rendered for this request (one render per slot and request).
_RENDERED = "_storefront_slots"

_stranger_slots: dict[str, str] = {}


def slot_placeholder(name: str) -> str:
    """What a cached body holds where slot `name` goes: the same in every worker and
    derived from SECRET_KEY, so no content can plant one."""
    digest = salted_hmac("storefront.personal_parts", f"slot:{name}").hexdigest()
    return f"slot-{name}-{digest}"


def rendering_shared_page(request) -> bool:
    return getattr(request, _SHARED_RENDER, False)


def mark_shared_render(request, shared: bool = True) -> None:
    setattr(request, _SHARED_RENDER, shared)


def is_stranger(request) -> bool:
    """No session and no pending messages: nothing personal to show."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    storage = getattr(request, "_messages", None)
    return storage is None or len(storage) == 0


def slot(request, name: str) -> str:
    """The slot's markup for this page: a placeholder when the page is rendered for
    everyone, else the slot rendered for `request`."""
    if request is not None and rendering_shared_page(request):
        return slot_placeholder(name)
    return render_slot(request, name)


def render_slot(request, name: str) -> str:
    """Slot `name` for this visitor; rendered once per request."""
    rendered = getattr(request, _RENDERED, None) if request is not None else None
    if rendered is not None and name in rendered:
        return rendered[name]
    if request is not None and is_stranger(request) and name != "messages":
        markup = _stranger_slots.get(name)
        if markup is None:
            markup = _stranger_slots[name] = _render(request, name)
    else:
        markup = _render(request, name)
    if request is not None:
        if rendered is None:
            rendered = {}
            setattr(request, _RENDERED, rendered)
        rendered[name] = markup
    return markup


def fill_slots(content: bytes, request) -> bytes:
    """`content` with each slot placeholder replaced by the slot rendered for `request`."""
    for name in SLOTS:
        placeholder = slot_placeholder(name).encode()
        if placeholder in content:
            content = content.replace(placeholder, render_slot(request, name).encode())
    return content


def _render(request, name: str) -> str:
    if name == "email":
        user = signed_in_user(request)
        return escape(user.email) if user is not None else ""
    context = {}
    if name == "cart":
        context = cart_context(request)
    return render_to_string(SLOT_TEMPLATES[name], context, request=request)


# --- The cart slot ------------------------------------------------------------------------


def _cart_lines(request):
    """(cart pk, coupon code, lines) of the visitor's cart in one query; lines as
    (pk, variant pk, quantity, gift?, unit price, promotion pk). None without lines."""
    user = signed_in_user(request)
    if user is not None:
        lines = CartLine.objects.filter(cart__user=user)
    else:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        key = guest_key(request)
        if not key:
            return None
        lines = CartLine.objects.filter(cart__token=key, cart__user__isnull=True)
    rows = list(
        lines.order_by("pk").values_list(
            "cart_id",
            "cart__coupon_code",
            "pk",
            "variant_id",
            "quantity",
            "is_gift",
            "unit_price",
            "promotion_id",
        )
    )
    if not rows:
        return None
    return rows[0][0], rows[0][1], [row[2:] for row in rows]


def cart_context(request) -> dict:
    """`cart_quantity` and `mini_cart` (its rendered markup) for the cart slot."""
    from commerce.services.cart import summary_priced_on

    found = _cart_lines(request) if request is not None else None
    if found is None:
        return {"cart_quantity": 0, "mini_cart": ""}
    cart_pk, coupon, lines = found
    quantity = sum(line[2] for line in lines)
    # The cart and checkout pages priced the cart already: show those very figures.
    if summary_priced_on(request) is not None:
        return {"cart_quantity": quantity, "mini_cart": _render_mini_cart(request)}
    return {
        "cart_quantity": quantity,
        "mini_cart": _cached_mini_cart(request, cart_pk, coupon, lines),
    }


def _render_mini_cart(request) -> str:
    from commerce.services.mini_cart import mini_cart_summary

    summary = mini_cart_summary(request)
    return render_to_string("includes/mini_cart.html", {"summary": summary, "request": request})


def _cached_mini_cart(request, cart_pk, coupon, lines) -> str:
    """The mini-cart, rendered at most once per state of the cart and of what prices it:
    the catalog version (prices, promotions), the shopper's audience (group promotions)
    and the next promotion boundary (the entry stops there)."""
    from .page_cache import audience_key, entry_timeout, request_catalog_version

    version = request_catalog_version(request)
    state = repr((cart_pk, coupon, lines, version, audience_key(request)))
    key = "storefront:minicart:1:" + hashlib.sha256(state.encode()).hexdigest()
    cached = cache.get(key)
    now = shop_now()
    if cached is not None:
        markup, expires_at = cached
        if expires_at is None or now < expires_at:
            return markup
    expires_at = Promotion.objects.next_change_after(now)
    markup = _render_mini_cart(request)
    cache.set(key, (markup, expires_at), entry_timeout(expires_at, now))
    return markup
