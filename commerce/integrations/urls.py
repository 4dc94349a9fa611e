from django.urls import URLPattern, path

from commerce.integrations import feed_views as feeds
from commerce.integrations.api import orders as orders_api
from commerce.integrations.api import v1 as api_v1


class _ReverseOnly(URLPattern):
    """A URL that can be reversed but never answers a request."""

    def resolve(self, path):
        return None


def _without_root(urls):
    """A NinjaAPI's URLs minus its catch-nothing root view, which only raises a 404.

    The order API lives at the site root (`/auth/`, `/create-order`, as the AMPER
    documentation has them), where ninja's root view would take `/` away from the
    homepage. Ninja still reverses its root to build the OpenAPI paths, so the
    pattern stays reversible.
    """
    patterns, app_name, namespace = urls
    patterns = [
        _ReverseOnly(p.pattern, p.callback, p.default_args, p.name)
        if isinstance(p, URLPattern) and p.name == "api-root"
        else p
        for p in patterns
    ]
    return patterns, app_name, namespace


urlpatterns = [
    path("external/v1/", api_v1.api.urls),
    path("feeds/ceneo.xml", feeds.ceneo_feed, name="feed_ceneo"),
    path("feeds/google.xml", feeds.google_feed, name="feed_google"),
    path("", _without_root(orders_api.api.urls)),
]
