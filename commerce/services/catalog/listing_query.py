"""A listing's GET parameters: the filter form and the ListingQuery it parses into.

Anything a shopper (or a crawler) puts in the query string is either understood
or dropped with a note; never a 500.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms

PAGE_SIZES = (12, 24, 48, 96)
DEFAULT_PAGE_SIZE = 24

SORTS = {
    "relevance": ("Relevance", None),
    "name": ("Name A–Z", ("name", "pk")),
    "price": ("Price: low to high", ("price", "pk")),
    "-price": ("Price: high to low", ("-price", "pk")),
    "newest": ("Newest", ("-created_at", "-pk")),
}


class CatalogFilterForm(forms.Form):
    """The listing's GET parameters. Anything invalid is dropped, never a 500."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    sort = forms.ChoiceField(required=False, choices=[(k, v[0]) for k, v in SORTS.items()])
    per_page = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(str(size), str(size)) for size in PAGE_SIZES],
        label="Per page",
    )
    min_price = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    max_price = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    in_stock = forms.BooleanField(required=False, label="In stock only")
    option = forms.TypedMultipleChoiceField(required=False, coerce=int, label="Attributes")

    def __init__(self, data, *, option_ids=(), search=False):
        super().__init__(data)
        self.fields["option"].choices = [(str(pk), str(pk)) for pk in option_ids]
        if not search:
            self.fields["sort"].choices = [
                c for c in self.fields["sort"].choices if c[0] != "relevance"
            ]

    def valid_data(self):
        """The fields that parsed; invalid ones fall back to their defaults."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


@dataclass
class ListingQuery:
    query: str = ""
    sort: str = "name"
    per_page: int = DEFAULT_PAGE_SIZE
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False
    option_ids: tuple[int, ...] = ()


def parse_listing_query(data, *, filterable_options, search=False) -> tuple[ListingQuery, list]:
    form = CatalogFilterForm(data, option_ids=[o.pk for o in filterable_options], search=search)
    clean = form.valid_data()
    query = (clean.get("q") or "").strip()
    default_sort = "relevance" if search and query else "name"
    sort = clean.get("sort") or default_sort
    if sort == "relevance" and not query:
        sort = "name"
    listing = ListingQuery(
        query=query,
        sort=sort,
        per_page=clean.get("per_page") or DEFAULT_PAGE_SIZE,
        min_price=clean.get("min_price"),
        max_price=clean.get("max_price"),
        in_stock=bool(clean.get("in_stock")),
        option_ids=tuple(sorted(set(clean.get("option") or ()))),
    )
    both_prices = listing.min_price is not None and listing.max_price is not None
    if both_prices and listing.min_price > listing.max_price:
        listing.min_price, listing.max_price = listing.max_price, listing.min_price
    errors = [
        f"{form.fields[name].label or name}: {err}"
        for name, errs in form.errors.items()
        for err in errs
    ]
    return listing, errors
