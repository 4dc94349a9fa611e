from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag(takes_context=True)
def signed_in_user(context):
    """The signed-in user, or None; never opens the session of a visitor without one.

    Reading `request.user` loads the session, and a loaded session makes Django
    add `Vary: Cookie` to the response, which would split the shared cache of
    anonymous pages per visitor. A request without a session cookie cannot be
    signed in, so it is answered as anonymous without looking.
    """
    request = context.get("request")
    if request is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = request.user
    return user if user.is_authenticated else None
