from django import template
from django.conf import settings

from commerce.services.shopping_lists import lists_of, owner_for

register = template.Library()


@register.simple_tag(takes_context=True)
def own_shopping_lists(context):
    """The visitor's lists for "add to list" choices; [] without opening a missing session.

    Cached catalog pages are rendered for visitors without lists, so they all
    get the same choices (default list or a new one).
    """
    request = context.get("request")
    if request is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return []
    return list(lists_of(owner_for(request)).only("pk", "name", "is_default"))
