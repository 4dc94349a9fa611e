from django.urls import path

from . import api_v1, feeds, orders_api


def without_root(urls):
    """A NinjaAPI's URLs minus its catch-all root view.

    The order API lives at the site root (/auth/, /create-order, as AMPER's
    docs have it); its empty root pattern would shadow the homepage.
    """
    patterns, app_name, namespace = urls
    return [p for p in patterns if str(p.pattern) != ""], app_name, namespace


urlpatterns = [
    path("external/v1/", api_v1.api.urls),
    path("feeds/ceneo.xml", feeds.ceneo_feed, name="feed_ceneo"),
    path("feeds/google.xml", feeds.google_feed, name="feed_google"),
    path("", without_root(orders_api.api.urls)),
]
