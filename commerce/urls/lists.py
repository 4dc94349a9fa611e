from django.urls import path

from commerce.views import lists

from . import converters  # noqa: F401 - registers <share_token>

app_name = "lists"
urlpatterns = [
    path("", lists.index, name="index"),
    path("new/", lists.create, name="create"),
    path("add/", lists.add, name="add"),
    path("<int:list_id>/", lists.detail, name="detail"),
    path("<int:list_id>/change/", lists.change, name="change"),
    path("<int:list_id>/to-cart/", lists.to_cart, name="to_cart"),
    path("items/<int:item_id>/", lists.item_change, name="item_change"),
    path("shared/<share_token:token>/", lists.shared, name="shared"),
    path("shared/<share_token:token>/copy/", lists.shared_copy, name="shared_copy"),
]
