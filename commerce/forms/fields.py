"""Form fields the shop's forms share: the one phone field and the country select."""

import re

from django import forms
from django_countries import countries
from django_countries.fields import CountryField
from phonenumber_field.formfields import PhoneNumberField

from commerce.models.addresses import home_country

# What people type into a phone field: digits, spaces, "+", brackets, dashes, dots,
# slashes. phonenumbers would also read other scripts' digits ("٦٠١"); the shop stores and
# shows ASCII only, as everywhere else (commerce.inputs), so they are refused, not guessed.
PHONE_CHARACTERS = re.compile(r"[0-9+()\-. /]*")


class PhoneField(PhoneNumberField):
    """A phone number, normalised to E.164 ("+48601234567"); numbers without "+" are read
    as numbers of the shop's home country (PHONENUMBER_DEFAULT_REGION)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Phone")
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", "tel")

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            if len(value) > self.max_length:
                raise forms.ValidationError(
                    "A phone number has at most %(max)d characters.",
                    code="max_length",
                    params={"max": self.max_length},
                )
            if not PHONE_CHARACTERS.fullmatch(value.strip()):
                raise forms.ValidationError(
                    "Use the digits 0–9 (and +, spaces or dashes).", code="invalid"
                )
        return super().to_python(value)


def country_field(**kwargs):
    """The country select: every country, the shop's shipping countries first (settings
    COUNTRIES_FIRST), the shop's home country chosen to start with."""
    kwargs.setdefault("initial", home_country)
    return CountryField().formfield(**kwargs)


def phone_help_text() -> str:
    country = countries.name(home_country())
    return (
        f"Only for questions about your delivery. Outside {country}, "
        "start with + and the country code."
    )
