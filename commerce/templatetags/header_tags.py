"""The shop's parts of the site header: the search box, the mini-cart and the visitor's
personal parts (slots)."""

from django import template
from django.utils.safestring import mark_safe

from commerce.models import ShopPage
from commerce.services.mini_cart import mini_cart_summary
from commerce.services.page_cache import is_personal
from commerce.services.personal_parts import SLOTS, slot

register = template.Library()


@register.simple_tag(takes_context=True)
def personal_slot(context, name):
    """A personal part of the page (services.personal_parts): a placeholder in a page
    rendered for the cache, else this visitor's markup."""
    if name not in SLOTS:
        raise template.TemplateSyntaxError(f"Unknown personal slot {name!r}.")
    # Slots are rendered by autoescaping templates, the e-mail slot escaped by hand.
    return mark_safe(slot(context.get("request"), name))  # noqa: S308


@register.inclusion_tag("includes/header_search.html", takes_context=True)
def header_search(context):
    """The search box, a plain GET form to the shop's search route; on the search page it
    shows what was searched."""
    request = context.get("request")
    shop = ShopPage.for_request(request) if request is not None else None
    listing = context.get("listing")
    query = listing.query if context.get("is_search") and listing is not None else ""
    return {"search_url": shop.search_url(request) if shop is not None else "", "query": query}


@register.inclusion_tag("includes/mini_cart.html", takes_context=True)
def mini_cart(context):
    """The cart's lines and total under the header's cart link. Never on a page that may be
    cached for everyone: a request that is not personal has no cart to show."""
    request = context.get("request")
    if request is None or not is_personal(request):
        return {"summary": None}
    return {"summary": mini_cart_summary(request), "request": request}
