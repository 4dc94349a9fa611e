"""Path converters for the public identifiers in our URLs.

A token or order number that can't exist (wrong alphabet or length) doesn't
match, so it is a 404 before any view or query runs.
"""

from django.urls import register_converter
from django.urls.converters import StringConverter

from commerce.services.shopping_lists import SHARE_TOKEN_BYTES
from commerce.tokens import token_regex


class TokenConverter(StringConverter):
    """An order's token (`commerce.tokens.new_token`)."""

    regex = token_regex()


class ShareTokenConverter(StringConverter):
    """A shopping list's share token."""

    regex = token_regex(SHARE_TOKEN_BYTES)


class OrderNumberConverter(StringConverter):
    """`2025-000123` (`Order.number`: at most 20 letters, digits and dashes)."""

    regex = "[A-Za-z0-9-]{1,20}"


register_converter(TokenConverter, "token")
register_converter(ShareTokenConverter, "share_token")
register_converter(OrderNumberConverter, "order_number")
