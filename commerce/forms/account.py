"""Forms for shopper accounts: sign-up and log-in by e-mail, saved addresses."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from commerce.inputs import normalise_email
from commerce.models import Address
from commerce.models.addresses import ADDRESS_KEYS
from commerce.services.accounts import sign_up

from .checkout import AUTOCOMPLETE
from .fields import PhoneField, country_field, phone_help_text


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    error_messages = {"password_mismatch": "The two passwords differ."}

    def clean_email(self):
        # Whether the address has an account is not the form's to say: see sign_up.
        return normalise_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2",
                forms.ValidationError(
                    self.error_messages["password_mismatch"], code="password_mismatch"
                ),
            )
        elif password1 and "email" in cleaned:
            # An unsaved user, so the similarity validator can compare with the e-mail.
            candidate = get_user_model()(username=cleaned["email"], email=cleaned["email"])
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self, *, request):
        """The new user, or None if the address already had an account (it was told by e-mail)."""
        return sign_up(self.cleaned_data["email"], self.cleaned_data["password1"], request=request)


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, asking for the e-mail (the username of shopper accounts)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "E-mail"
        self.fields["username"].widget.attrs["autocomplete"] = "email"

    def clean_username(self):
        # Shoppers' usernames are their lower-cased e-mail; staff usernames
        # without an "@" are left as typed.
        username = self.cleaned_data["username"].strip()
        return normalise_email(username) if "@" in username else username


class AddressForm(forms.ModelForm):
    """A saved address: the same fields, labels and country select as checkout's, and the
    phone checkout offers as the contact phone when the shopper picks this address."""

    country = country_field(label="Country")
    phone = PhoneField(required=False)

    class Meta:
        model = Address
        fields = ["label", *ADDRESS_KEYS, "phone", "is_default"]
        labels = {
            "label": "Name of this address",
            "full_name": "Full name",
            "company": "Company",
            "line1": "Address",
            "line2": "Address (line 2)",
            "postal_code": "Postal code",
            "city": "City",
            "is_default": "Use as my default address",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A saved address may serve as billing or delivery address: no section token.
        for name, token in AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        self.fields["phone"].help_text = phone_help_text()
