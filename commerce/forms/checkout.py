"""Forms of the cart and checkout pages. Rules live in services.cart/checkout."""

from django import forms

from commerce.models import DeliveryMethod, PaymentMethod
from commerce.models.addresses import ADDRESS_KEYS

from .fields import PhoneField, country_field, phone_help_text

#: The browser's autofill name of each address field (WHATWG autocomplete tokens).
AUTOCOMPLETE = {
    "full_name": "name",
    "company": "organization",
    "line1": "address-line1",
    "line2": "address-line2",
    "postal_code": "postal-code",
    "city": "address-level2",
    "country": "country",
}


class PostalAddressForm(forms.Form):
    """An address. `section` ("billing" or "shipping") goes before each autocomplete token,
    so browsers fill a billing and a delivery address on one page from the right card."""

    full_name = forms.CharField(label="Full name", max_length=150)
    company = forms.CharField(label="Company", max_length=150, required=False)
    line1 = forms.CharField(label="Address", max_length=200)
    line2 = forms.CharField(label="Address (line 2)", max_length=200, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20)
    city = forms.CharField(label="City", max_length=100)
    country = country_field(label="Country")

    def __init__(self, *args, section="", **kwargs):
        super().__init__(*args, **kwargs)
        for name, token in AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = f"{section} {token}".strip()

    def address(self) -> dict:
        return {key: str(self.cleaned_data.get(key, "")) for key in ADDRESS_KEYS}


BILLING_PREFIX = "billing"
DELIVERY_PREFIX = "delivery"


def billing_address_form(data=None, *, initial=None):
    return PostalAddressForm(data, prefix=BILLING_PREFIX, initial=initial, section="billing")


def delivery_address_form(data=None, *, elsewhere=False, initial=None):
    """The "Deliver elsewhere" address of the details step.

    Bound (and so validated) only when the shopper asked for delivery elsewhere: otherwise
    its fields are not needed, and a bound form would mark every empty one "This field is
    required." as soon as any other field on the page has an error. What was typed into it
    is kept as its initial values. Optional in the browser (no `required` attributes) for
    the same reason: it is hidden while the box is not ticked.
    """
    if data is not None and not elsewhere:
        initial = {key: data.get(f"{DELIVERY_PREFIX}-{key}", "") for key in ADDRESS_KEYS}
        data = None
    return PostalAddressForm(
        data,
        prefix=DELIVERY_PREFIX,
        initial=initial,
        section="shipping",
        use_required_attribute=False,
    )


class ContactForm(forms.Form):
    email = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = PhoneField(required=False)
    deliver_elsewhere = forms.BooleanField(required=False, label="Deliver to a different address")
    customer_note = forms.CharField(
        label="Note for the shop",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = phone_help_text()


class DeliveryChoiceForm(forms.Form):
    delivery_method = forms.ModelChoiceField(
        queryset=DeliveryMethod.objects.active(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the delivery methods offered."},
    )


class PaymentChoiceForm(forms.Form):
    payment_method = forms.ModelChoiceField(
        queryset=PaymentMethod.objects.active(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the payment methods offered."},
    )


class PlaceOrderForm(forms.Form):
    """The review page's submit: which checkout, and the total the shopper saw."""

    checkout = forms.CharField(max_length=64, widget=forms.HiddenInput)
    expected_total = forms.DecimalField(max_digits=12, decimal_places=2, widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(
        label="I have checked my order and agree to pay the total shown.",
        error_messages={"required": "Please confirm the order to place it."},
    )
