from django.contrib.auth import views as auth_views
from django.urls import path

from commerce.views import account as views

from . import converters  # noqa: F401 - registers <order_number>

app_name = "account"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    # Django's own: POST only, so a link or an image tag can't sign a shopper out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("addresses/", views.address_list, name="addresses"),
    path("addresses/add/", views.address_add, name="address_add"),
    path("addresses/<int:pk>/", views.address_edit, name="address_edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("addresses/<int:pk>/default/", views.address_make_default, name="address_make_default"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<order_number:number>/", views.order_detail, name="order_detail"),
]
