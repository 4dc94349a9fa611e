from django.urls import path

from . import api_v1, feeds, orders_api

urlpatterns = [
    path("external/v1/", api_v1.api.urls),
    path("feeds/ceneo.xml", feeds.ceneo_feed, name="feed_ceneo"),
    path("feeds/google.xml", feeds.google_feed, name="feed_google"),
    path("", orders_api.api.urls),
]
