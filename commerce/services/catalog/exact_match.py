"""A search that is a product code: the header's search box opens the product directly
when the query is exactly one shown variant's SKU (any case) or EAN."""

from django.db.models import Q

from commerce.inputs import control_characters
from commerce.models import ProductVariant
from commerce.models.catalog import ean_format_ok

# Longer than any SKU (64) or EAN (14) could be: anything longer is not a code.
MAX_CODE_LENGTH = 64


def exact_match(query) -> ProductVariant | None:
    """The one storefront variant whose SKU (any case) or EAN is `query`, surrounding
    spaces aside; None when there is none or more than one (then the shopper chooses from
    the search results). One query through the SKU and EAN indexes, none for text that
    cannot be a code."""
    code = (query or "").strip()
    if not code or len(code) > MAX_CODE_LENGTH or control_characters(code):
        return None
    match = Q(sku__iexact=code)
    if ean_format_ok(code):
        match |= Q(ean=code)
    found = list(ProductVariant.objects.visible().filter(match).select_related("product")[:2])
    return found[0] if len(found) == 1 else None
