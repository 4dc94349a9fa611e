from django.urls import path

from commerce.views import checkout

from . import converters  # noqa: F401 - registers <token>

app_name = "checkout"
urlpatterns = [
    path("", checkout.start, name="start"),
    path("details/", checkout.details, name="details"),
    path("delivery/", checkout.delivery, name="delivery"),
    path("payment/", checkout.payment, name="payment"),
    path("review/", checkout.review, name="review"),
    path("order/<token:token>/", checkout.confirmation, name="confirmation"),
]
