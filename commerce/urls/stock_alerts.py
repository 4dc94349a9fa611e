from django.urls import path

from commerce.views import stock_alerts

from . import converters  # noqa: F401 - registers <token>

app_name = "stock_alerts"
urlpatterns = [
    path("", stock_alerts.subscribe, name="subscribe"),
    path("unsubscribe/<token:token>/", stock_alerts.unsubscribe, name="unsubscribe"),
]
