from django.urls import path

from . import api_v1, orders_api

urlpatterns = [
    path("external/v1/", api_v1.api.urls),
    path("", orders_api.api.urls),
]
