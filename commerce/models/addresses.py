"""Postal addresses: the shape shared by saved addresses, checkouts and orders
(`AddressFields`, `format_address`), and what a signed-in shopper keeps between
orders (`Address`)."""

from django.conf import settings
from django.db import models
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

# The phone is not part of an address: a checkout and an order have one contact phone
# (`Checkout.phone`, `Order.phone`). A saved address keeps a phone of its own, which
# checkout offers as the contact phone when that address is picked.
ADDRESS_KEYS = ("full_name", "company", "line1", "line2", "postal_code", "city", "country")


def home_country() -> str:
    """The country an empty address form starts with: the shop's own (its first shipping
    country). Checkout and the account's address form both ask here."""
    return settings.STOREFRONT_SHIPPING_COUNTRIES[0]


class AddressFields(models.Model):
    full_name = models.CharField(max_length=150)
    company = models.CharField(max_length=150, blank=True)
    line1 = models.CharField("address", max_length=200)
    line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    postal_code = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    # Stored as the same two-letter ISO 3166 code as before; django-countries adds the names.
    country = CountryField()
    phone = PhoneNumberField(blank=True)

    class Meta:
        abstract = True

    def as_dict(self) -> dict[str, str]:
        # str(): the country is a django-countries Country; snapshots keep its code.
        return {key: str(getattr(self, key)) for key in ADDRESS_KEYS}

    def one_line(self) -> str:
        return format_address(self.as_dict(), separator=", ")


def format_address(address: dict | None, separator="\n") -> str:
    """An address snapshot (a dict, as orders and checkouts store it) as text."""
    if not address:
        return ""
    city_line = " ".join(filter(None, [address.get("postal_code"), address.get("city")]))
    parts = [
        address.get("full_name"),
        address.get("company"),
        address.get("line1"),
        address.get("line2"),
        city_line,
        address.get("country"),
    ]
    return separator.join(part for part in parts if part)


class Address(AddressFields):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses"
    )
    label = models.CharField(max_length=50, blank=True, help_text='e.g. "Home" or "Office".')
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        verbose_name_plural = "addresses"

    def __str__(self):
        return self.label or self.one_line()
