"""What one line may hold: of a cart, of a shopping list, of an API order.

A line holds a variant (`ProductVariant`); the API's create-order still passes a
`Product` until it takes variants, and the rule reads the same for both. The rule, once:

- a variant goes on a line only while it is purchasable (`ProductVariant.is_purchasable`:
  active, of a purchasable product) and in stock in active warehouses (`refusal`);
- a line holds at most STOREFRONT_MAX_LINE_QUANTITY units and, where stock bounds
  it, no more than is in stock (`cap`).

The callers differ only in what they do with a quantity over the limit, which
is why `cap` reports the limits crossed and leaves the wording to them: the
cart lowers it and says so, a shopping list lowers it to the maximum only (a
list is a wish, not a reservation, so stock does not bound it), and the
create-order API refuses the line (a caller gets what it asked for or an error).
"""

from typing import NamedTuple

from django.conf import settings

from commerce.models import ProductVariant

UNPURCHASABLE = "unpurchasable"
OUT_OF_STOCK = "out_of_stock"


def max_line_quantity() -> int:
    """The most units of one variant on one line."""
    return settings.STOREFRONT_MAX_LINE_QUANTITY


class Refusal(NamedTuple):
    reason: str  # UNPURCHASABLE (the product's fault) or OUT_OF_STOCK (its stock's)
    message: str


def _name(item) -> str:
    return item.description if isinstance(item, ProductVariant) else item.name


def _live(item) -> bool:
    return (item.product if isinstance(item, ProductVariant) else item).live


def refusal(item, available: int, *, name: str | None = None) -> Refusal | None:
    """Why no line may hold `item` (a variant, or a product) now, or None when one may.

    `item` None is one that does not exist (any more); `name` is how the shopper
    knows it, by default its description while its product is live and "This
    product" when it is not (a draft's name is not public).
    """
    if item is None or not item.is_purchasable:
        if name is None:
            name = _name(item) if item is not None and _live(item) else "This product"
        return Refusal(UNPURCHASABLE, f"{name} cannot be bought at the moment.")
    if available <= 0:
        return Refusal(OUT_OF_STOCK, f"{_name(item)} is out of stock.")
    return None


class Capped(NamedTuple):
    quantity: int  # `wanted`, or the most the line may hold if that is less
    over_stock: bool  # `wanted` is more than is in stock
    over_maximum: bool  # `wanted` is more than the per-line maximum


def cap(wanted: int, *, available: int | None = None) -> Capped:
    """`wanted` within the line's limits; `available` None where stock does not bound it."""
    maximum = max_line_quantity()
    limit = maximum if available is None else min(maximum, available)
    return Capped(
        quantity=min(wanted, limit),
        over_stock=available is not None and wanted > available,
        over_maximum=wanted > maximum,
    )
