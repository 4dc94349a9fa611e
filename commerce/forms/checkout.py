"""Forms of the cart and checkout pages. Rules live in services.cart/checkout."""

import re

from django import forms

from commerce.models import DeliveryMethod, PaymentMethod
from commerce.models.addresses import ADDRESS_KEYS


class PostalAddressForm(forms.Form):
    full_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    company = forms.CharField(max_length=150, required=False)
    line1 = forms.CharField(
        label="Address",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label="Address (line 2)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    city = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    country = forms.CharField(
        max_length=2,
        min_length=2,
        initial="PL",
        help_text="Two letters, e.g. PL or DE.",
        widget=forms.TextInput(attrs={"autocomplete": "country", "size": 3}),
    )
    phone = forms.CharField(
        max_length=30, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise forms.ValidationError("Use the two-letter country code, e.g. PL.")
        return country

    def address(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key in ADDRESS_KEYS}


DELIVERY_PREFIX = "delivery"


def delivery_address_form(data=None, *, same_as_billing=False, initial=None):
    """The "Delivery address (if different)" form of the details step.

    Bound (and so validated) only when the shopper wants delivery elsewhere: with
    "Deliver to the billing address" ticked its fields are not needed, and a bound
    form would mark every empty one "This field is required." as soon as any other
    field on the page has an error. What was typed into it is kept as its initial
    values. Optional in the browser (no `required` attributes) for the same reason.
    """
    if data is not None and same_as_billing:
        initial = {key: data.get(f"{DELIVERY_PREFIX}-{key}", "") for key in ADDRESS_KEYS}
        data = None
    return PostalAddressForm(
        data, prefix=DELIVERY_PREFIX, initial=initial, use_required_attribute=False
    )


class ContactForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        max_length=30, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    delivery_same_as_billing = forms.BooleanField(
        required=False, initial=True, label="Deliver to the billing address"
    )
    customer_note = forms.CharField(
        label="Note for the shop",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
