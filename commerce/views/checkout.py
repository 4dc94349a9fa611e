"""Checkout steps: details → delivery → payment → review → confirmation.

Each step reads the checkout from the server (services.checkout), never from
hidden form fields, except the review page's checkout token and the total the
shopper saw, which place_order checks against its own figures.
"""

from functools import wraps

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from commerce.forms.checkout import (
    ContactForm,
    DeliveryChoiceForm,
    PaymentChoiceForm,
    PlaceOrderForm,
    billing_address_form,
    delivery_address_form,
)
from commerce.inputs import parse_int
from commerce.models import Address, Order
from commerce.models.addresses import ADDRESS_KEYS
from commerce.money import shop_currency
from commerce.services import cart as carts
from commerce.services import checkout as checkouts
from commerce.services.checkout import CartEmpty, CheckoutError, CheckoutExpired, CheckoutPlaced

STEP_LABELS = {
    "details": "Your details",
    "delivery": "Delivery",
    "payment": "Payment",
    "review": "Review",
}


def checkout_step(view):
    """Finds the shopper's cart and checkout, or sends them back to the cart.

    A checkout that became an order answers with that order's confirmation: a
    repeated "Place order" (its form carries the checkout token), and any step
    requested after the order emptied the cart (services.checkout.order_that_emptied).
    """

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        cart = carts.get_cart(request)
        try:
            if cart is None:
                raise CartEmpty
            token = request.POST.get("checkout")
            placed = checkouts.placed_order(cart, token) if token else None
            if placed is not None:
                raise CheckoutPlaced(placed)
            checkout, expired = checkouts.open_checkout(cart)
            if expired:
                messages.warning(
                    request,
                    "Your checkout expired after a while without activity. Nothing is lost: "
                    "please check your details again.",
                )
                if view.__name__ != "details":
                    return redirect("checkout:details")
            return view(request, cart, checkout, *args, **kwargs)
        except CheckoutPlaced as done:  # also by another request while this one ran
            return redirect("checkout:confirmation", token=done.order.token)
        except CheckoutExpired as error:  # replaced by another request while this one ran
            messages.warning(request, str(error))
            return redirect("checkout:details")
        except CartEmpty:
            # Emptied by placing an order (maybe a moment ago, by the first of two clicks).
            placed = checkouts.order_that_emptied(cart) if cart is not None else None
            if placed is not None:
                return redirect("checkout:confirmation", token=placed.token)
            messages.info(request, "Your cart is empty.")
            return redirect("cart:detail")

    return wrapper


def _summary(request, cart, checkout):
    summary = carts.page_summary(request, cart, email=checkout.email)
    for change in carts.acknowledge_changes(summary):
        messages.warning(request, change)
    return summary


def _render(request, template, step, context, *, cart, checkout, status=200):
    reachable = checkouts.open_steps(cart, checkout)
    steps = [
        {
            "key": key,
            "label": STEP_LABELS[key],
            "url": f"checkout:{key}",
            "reachable": key in reachable,
        }
        for key in checkouts.STEPS
    ]
    context = {"steps": steps, "current_step": step, **context}
    return TemplateResponse(request, template, context, status=status)


def next_step(cart, checkout):
    missing = checkouts.unfinished_step(cart, checkout)
    return f"checkout:{missing.step}" if missing is not None else "checkout:review"


@checkout_step
def start(request, cart, checkout):
    """The cart's "Check out": a signed-in shopper's saved address and last methods fill
    what the checkout lacks (services.checkout.fill_from_account), so one who has ordered
    before lands on the review."""
    filled = checkouts.fill_from_account(cart, checkout, request.user)
    step = next_step(cart, checkout)
    if filled and step == "checkout:review":
        messages.info(
            request,
            "We filled in your saved address and your last delivery and payment choices. "
            "Change any of them through the steps above.",
        )
    return redirect(step)


def _saved_addresses(request):
    if not request.user.is_authenticated:
        return Address.objects.none()
    return Address.objects.filter(user=request.user)


def _initial_answers(checkout, saved, chosen_id=None):
    """The billing address and phone to prefill: from the saved address the shopper picked,
    else the checkout's last answers, else their default address. A saved address's phone
    is offered only where the checkout has none."""
    chosen_id = parse_int(chosen_id, minimum=1)
    chosen = next((address for address in saved if address.pk == chosen_id), None)
    if chosen is None and not checkout.billing_address and saved:
        chosen = saved[0]  # the default address (Address.Meta.ordering)
    if chosen is not None:
        return chosen.as_dict(), checkout.phone or chosen.phone
    return checkout.billing_address or None, checkout.phone


@checkout_step
def details(request, cart, checkout):
    saved = list(_saved_addresses(request))
    in_use = None  # the saved address the form holds, marked in the list
    if request.method == "POST":
        contact = ContactForm(request.POST)
        billing = billing_address_form(request.POST)
        elsewhere = request.POST.get("deliver_elsewhere") == "on"
        delivery = delivery_address_form(request.POST, elsewhere=elsewhere)
        forms_ok = contact.is_valid() & billing.is_valid() & (not elsewhere or delivery.is_valid())
        if forms_ok:
            checkouts.save_contact(
                checkout,
                email=contact.cleaned_data["email"],
                phone=contact.cleaned_data["phone"],
                billing_address=billing.address(),
                delivery_address=delivery.address() if elsewhere else billing.address(),
                note=contact.cleaned_data["customer_note"],
            )
            return redirect(next_step(cart, checkout))
        status = 400
    else:
        email = checkout.email or (request.user.email if request.user.is_authenticated else "")
        address, phone = _initial_answers(checkout, saved, request.GET.get("use"))
        in_use = next((each.pk for each in saved if each.as_dict() == address), None)
        elsewhere = bool(checkout.delivery_address) and (
            _address_only(checkout.delivery_address) != _address_only(checkout.billing_address)
        )
        contact = ContactForm(
            initial={
                "email": email,
                "phone": phone,
                "deliver_elsewhere": elsewhere,
                "customer_note": checkout.customer_note,
            }
        )
        billing = billing_address_form(initial=address)
        delivery = delivery_address_form(initial=checkout.delivery_address if elsewhere else None)
        status = 200
    return _render(
        request,
        "commerce/checkout/details.html",
        "details",
        {
            "summary": _summary(request, cart, checkout),
            "contact_form": contact,
            "billing_form": billing,
            "delivery_form": delivery,
            "saved_addresses": saved,
            "address_in_use": in_use,
        },
        cart=cart,
        checkout=checkout,
        status=status,
    )


def _address_only(snapshot):
    # Snapshots saved before the phone left the address may still carry one.
    return {key: snapshot.get(key, "") for key in ADDRESS_KEYS}


def _method_step(request, cart, checkout, *, step, title, form_class, field, choose):
    """A step that picks one of the staff-configured methods (delivery or payment)."""
    missing = checkouts.unfinished_step(cart, checkout)
    if missing is not None and missing.step == "details":  # the methods come after the details
        return redirect("checkout:details")
    form = form_class(request.POST or None, initial={field: getattr(cart, f"{field}_id")})
    if request.method == "POST" and form.is_valid():
        try:
            choose(cart, form.cleaned_data[field].pk)
        except carts.CartError as refused:
            # Staff switched the method off between the form's check and the choice.
            form.add_error(field, str(refused))
        else:
            return redirect(next_step(cart, checkout))
    return _render(
        request,
        "commerce/checkout/choice.html",
        step,
        {"summary": _summary(request, cart, checkout), "form": form, "title": title},
        cart=cart,
        checkout=checkout,
        status=400 if form.is_bound else 200,
    )


@checkout_step
def delivery(request, cart, checkout):
    return _method_step(
        request,
        cart,
        checkout,
        step="delivery",
        title="Delivery",
        form_class=DeliveryChoiceForm,
        field="delivery_method",
        choose=carts.choose_delivery_method,
    )


@checkout_step
def payment(request, cart, checkout):
    return _method_step(
        request,
        cart,
        checkout,
        step="payment",
        title="Payment",
        form_class=PaymentChoiceForm,
        field="payment_method",
        choose=carts.choose_payment_method,
    )


def _payment_form(cart, data=None):
    provider = cart.payment_method.get_provider()
    return provider.form_class(data, prefix="payment") if provider.form_class else None


@checkout_step
def review(request, cart, checkout):
    step = next_step(cart, checkout)
    if step != "checkout:review":
        return redirect(step)
    status = 200
    if request.method == "POST":
        place_form = PlaceOrderForm(request.POST)
        payment_form = _payment_form(cart, request.POST)
        if place_form.is_valid() & (payment_form is None or payment_form.is_valid()):
            try:
                placement = checkouts.place_order(
                    place_form.cleaned_data["checkout"],
                    user=request.user,
                    cart=cart,
                    payment_data=payment_form.cleaned_data if payment_form else {},
                    expected_total=place_form.cleaned_data["expected_total"],
                    currency=shop_currency(request),
                )
            except CheckoutExpired as error:
                messages.warning(request, str(error))
                return redirect("checkout:details")
            except CheckoutError as error:
                messages.error(request, str(error))
                status = 409
            else:
                return redirect("checkout:confirmation", token=placement.order.token)
        else:
            status = 400
    else:
        payment_form = _payment_form(cart)
    summary = _summary(request, cart, checkout)
    if status != 400:
        # After a refusal (a declined card) the box stays as the shopper left it: they agreed
        # to this total and only the payment needs another try. A new total needs a new yes.
        agreed = (
            status == 409
            and place_form.cleaned_data.get("accept_terms", False)
            and place_form.cleaned_data["expected_total"] == summary.totals.grand_total
        )
        place_form = PlaceOrderForm(
            initial={
                "checkout": checkout.token,
                "expected_total": summary.totals.grand_total,
                "accept_terms": agreed,
            }
        )
    return _render(
        request,
        "commerce/checkout/review.html",
        "review",
        {
            "summary": summary,
            "checkout": checkout,
            "payment_form": payment_form,
            "place_form": place_form,
        },
        cart=cart,
        checkout=checkout,
        status=status,
    )


@never_cache
def confirmation(request, token):
    """The order page a guest reaches by its unguessable token (also in their e-mail).

    `<token:token>` (urls.converters) lets only a possible token reach it."""
    order = get_object_or_404(Order.objects.prefetch_related("lines"), token=token)
    return TemplateResponse(request, "commerce/checkout/confirmation.html", {"order": order})
