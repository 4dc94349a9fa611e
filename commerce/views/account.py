"""Shopper accounts: sign-up, Django's auth views with our templates, addresses, orders.

Every view below the log-in works only on `request.user`'s own rows: addresses
and orders are looked up through `addresses_of` / `orders_of`, so another
shopper's id or order number is a 404, never a 403 that confirms it exists.
They are all `never_cache`: pages with personal data must never be kept by a
shared cache in front of the shop.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from commerce.forms.account import AddressForm, EmailAuthenticationForm, SignUpForm
from commerce.inputs import next_url, normalise_email, redirect_to_next
from commerce.services import limits
from commerce.services.accounts import QueuedPasswordResetForm
from commerce.services.addresses import (
    addresses_of,
    default_address,
    delete_address,
    make_default_address,
    save_address,
)
from commerce.services.order_history import order_for_customer, orders_of, status_history

ORDERS_PER_PAGE = 20
RECENT_ORDERS = 5
# The one answer to every valid sign-up, new address or not (services.accounts.sign_up).
SIGNED_UP = "Thank you for signing up. We have sent a message to {email}."
TOO_MANY_SIGNUPS = "Too many sign-ups from your address. Try again later."
TOO_MANY_RESETS = (
    "Too many password-reset requests for this address or from yours. Try again later."
)


# --- Sign-up and Django's auth views ------------------------------------------


@sensitive_post_parameters("password1", "password2")
@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect("account:overview")
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and limits.exceeded(request, "signup_ip", limits.ip_key(request)):
        form.add_error(None, TOO_MANY_SIGNUPS)
        status = 429
    elif request.method == "POST" and form.is_valid():
        user = form.save(request=request)
        if user is not None:
            # Always through login(): it rotates the session key and sends
            # user_logged_in, which merges the guest's cart into the account.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, SIGNED_UP.format(email=form.cleaned_data["email"]))
        return redirect_to_next(request, settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "commerce/account/signup.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


class LoginView(auth_views.LoginView):
    template_name = "commerce/account/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        # The shop's one rule for a client's redirect target, where Django's would
        # also follow a bare word ("abc") relative to the log-in page.
        return next_url(self.request)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "commerce/account/password_change.html"
    success_url = reverse_lazy("account:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "commerce/account/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "commerce/account/password_reset.html"
    # Its e-mail is a background task, as every e-mail the shop sends.
    form_class = QueuedPasswordResetForm
    email_template_name = "commerce/account/email/password_reset.txt"
    subject_template_name = "commerce/account/email/password_reset_subject.txt"
    success_url = reverse_lazy("account:password_reset_done")

    def form_valid(self, form):
        # Counted whether or not the address has an account, so the limit says nothing.
        address = f"address:{normalise_email(form.cleaned_data['email'])}"
        over_address = limits.exceeded(self.request, "password_reset_address", address)
        over_ip = limits.exceeded(self.request, "password_reset_ip", limits.ip_key(self.request))
        if over_address or over_ip:
            form.add_error(None, TOO_MANY_RESETS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "commerce/account/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "commerce/account/password_reset_confirm.html"
    success_url = reverse_lazy("account:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "commerce/account/password_reset_complete.html"


# --- Account pages ------------------------------------------------------------------


@never_cache
@login_required
def overview(request):
    return render(
        request,
        "commerce/account/overview.html",
        {
            "recent_orders": orders_of(request.user)[:RECENT_ORDERS],
            "default_address": default_address(request.user),
        },
    )


@never_cache
@login_required
def address_list(request):
    return render(
        request,
        "commerce/account/addresses.html",
        {"addresses": addresses_of(request.user)},
    )


@never_cache
@login_required
def address_add(request):
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        save_address(request.user, form.save(commit=False))
        messages.success(request, "Address saved.")
        return redirect("account:addresses")
    return render(request, "commerce/account/address_form.html", {"form": form})


@never_cache
@login_required
def address_edit(request, pk):
    address = get_object_or_404(addresses_of(request.user), pk=pk)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        save_address(request.user, form.save(commit=False))
        messages.success(request, "Address saved.")
        return redirect("account:addresses")
    return render(request, "commerce/account/address_form.html", {"form": form, "address": address})


@never_cache
@login_required
def address_delete(request, pk):
    address = get_object_or_404(addresses_of(request.user), pk=pk)
    if request.method == "POST":
        delete_address(request.user, address)
        messages.success(request, "Address deleted.")
        return redirect("account:addresses")
    return render(request, "commerce/account/address_delete.html", {"address": address})


@never_cache
@login_required
@require_POST
def address_make_default(request, pk):
    address = get_object_or_404(addresses_of(request.user), pk=pk)
    make_default_address(request.user, address)
    messages.success(request, "Default address changed.")
    return redirect("account:addresses")


@never_cache
@login_required
def order_list(request):
    orders = Paginator(orders_of(request.user), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "commerce/account/orders.html", {"orders": orders})


@never_cache
@login_required
def order_detail(request, number):
    order = order_for_customer(request.user, number)
    if order is None:
        raise Http404("No such order.")
    return render(
        request,
        "commerce/account/order_detail.html",
        {"order": order, "history": status_history(order)},
    )
