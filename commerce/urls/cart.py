from django.urls import path

from commerce.views import cart

app_name = "cart"
urlpatterns = [
    path("", cart.cart_detail, name="detail"),
    path("add/", cart.cart_add, name="add"),
    path("lines/<int:line_id>/", cart.cart_line_update, name="line_update"),
    path("lines/<int:line_id>/remove/", cart.cart_line_remove, name="line_remove"),
    path("coupon/", cart.cart_coupon, name="coupon"),
    path("methods/", cart.cart_methods, name="methods"),
]
