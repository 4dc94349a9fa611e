"""Cart pages: thin wrappers around services.cart. Every change is a POST with CSRF."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from commerce.forms.checkout import DeliveryChoiceForm, PaymentChoiceForm
from commerce.inputs import next_url, redirect_to_next
from commerce.models import ProductVariant
from commerce.services import cart as carts
from commerce.services import limits
from commerce.services.cart import CartError

from .limits import limit_writes, too_many_requests

TOO_MANY_COUPONS = "You have tried too many coupon codes. Try again later."


def redirect_back(request, default="cart:detail"):
    """Where a form asked to go back to, if it is on this site; else `default`."""
    return redirect_to_next(request, default)


def _email(request):
    user = request.user
    return user.email if user.is_authenticated else ""


def cart_detail(request):
    cart = carts.get_cart(request)
    summary = None
    free_delivery = None
    delivery_form = DeliveryChoiceForm(
        initial={"delivery_method": cart.delivery_method_id if cart else None}
    )
    if cart is not None:
        summary = carts.page_summary(request, cart)
        for change in carts.acknowledge_changes(summary):
            messages.warning(request, change)
        free_delivery = carts.free_delivery(summary)
    context = {
        "cart": cart,
        "summary": summary,
        "free_delivery": free_delivery,
        "continue_url": carts.continue_shopping_url(request),
        "delivery_form": delivery_form,
        "payment_form": PaymentChoiceForm(
            initial={"payment_method": cart.payment_method_id if cart else None}
        ),
    }
    response = TemplateResponse(request, "commerce/cart.html", context)
    add_never_cache_headers(response)
    return response


@require_POST
@limit_writes("cart_writes")
def cart_add(request):
    """POST `variant` (an id) and `quantity`; or `product` for a product with one variant."""
    variant_id, product_id = request.POST.get("variant"), request.POST.get("product")
    try:
        variant_id = carts.choose_variant(variant_id, product_id)
        cart = carts.get_cart(request, create=True)
        note = carts.add_variant(cart, variant_id, request.POST.get("quantity", "1"))
    except CartError as error:
        messages.error(request, str(error))
        return _back_to_product(request, variant_id, product_id)
    messages.success(request, added_message(variant_id, note))
    return redirect_back(request)


def added_message(variant_id, note: str = ""):
    """ "Added to your cart: Heritage coat — Size M.", or the note when the quantity was
    capped, then links to the cart and the checkout. Built with format_html: the names are
    escaped and the message is safe HTML (messages keep that through their storage)."""
    variant = carts.with_descriptions(ProductVariant.objects.filter(pk=variant_id)).first()
    if note:
        text = note
    elif variant is not None:
        text = f"Added to your cart: {variant.description}."
    else:
        text = "Added to your cart."
    return format_html(
        '{} <span class="message__actions"><a class="message__link" href="{}">View cart</a> '
        '<a class="message__link" href="{}">Checkout</a></span>',
        text,
        reverse("cart:detail"),
        reverse("checkout:start"),
    )


def _back_to_product(request, variant_id, product_id):
    """To `next`, else the product's page (where options are chosen), else the cart."""
    if next_url(request):
        return redirect_back(request)
    product = carts.chosen_product(variant_id, product_id)
    url = product.get_url(request) if product is not None else None
    return HttpResponseRedirect(url) if url else redirect("cart:detail")


@require_POST
@limit_writes("cart_writes")
def cart_line_update(request, line_id):
    cart = carts.get_cart(request)
    try:
        if cart is None:
            raise CartError("Your cart is empty.")
        # A stepper button (− / +) posts `adjust`; "Update" and Enter post the typed quantity.
        note = carts.set_line_quantity(
            cart, line_id, request.POST.get("quantity"), adjust=request.POST.get("adjust")
        )
    except CartError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, note or "Quantity updated.")
    return redirect("cart:detail")


@require_POST
@limit_writes("cart_writes")
def cart_line_remove(request, line_id):
    cart = carts.get_cart(request)
    try:
        if cart is None:
            raise CartError("Your cart is empty.")
        name = carts.remove_line(cart, line_id)
    except CartError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Removed {name} from your cart.")
    return redirect("cart:detail")


@require_POST
@limit_writes("cart_writes")
def cart_coupon(request):
    cart = carts.get_cart(request)
    if cart is None:
        messages.error(request, "Add something to your cart first.")
        return redirect("cart:detail")
    if "remove" in request.POST:
        carts.remove_coupon(cart)
        messages.success(request, "Coupon removed.")
        return redirect_back(request)
    if limits.coupon_attempts_exceeded(request, cart):
        return too_many_requests(request, TOO_MANY_COUPONS, retry_after=3600)
    try:
        check = carts.apply_coupon(
            cart, request.POST.get("code", ""), user=request.user, email=_email(request)
        )
    except CartError as error:
        messages.error(request, str(error))
    else:
        if check.ok:
            messages.success(request, f"Coupon {check.coupon.code} applied.")
        else:
            messages.error(request, limits.coupon_refusal(request, cart, check.message))
    return redirect_back(request)


@require_POST
@limit_writes("cart_writes")
def cart_methods(request):
    cart = carts.get_cart(request)
    if cart is None:
        messages.error(request, "Add something to your cart first.")
        return redirect("cart:detail")
    try:
        if "delivery_method" in request.POST:
            carts.choose_delivery_method(cart, request.POST["delivery_method"])
        if "payment_method" in request.POST:
            carts.choose_payment_method(cart, request.POST["payment_method"])
    except CartError as error:
        messages.error(request, str(error))
    return redirect_back(request)
