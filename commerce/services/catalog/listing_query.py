"""A listing's GET parameters, and what they mean for the variants a product is sold in.

- The filter form and the ListingQuery it parses into: anything a shopper (or a
  crawler) puts in the query string is either understood or dropped with a note in
  plain words beside its field; never a 500.
- The active filters (`active_filters`): the one list the "Filters (2)" button counts
  and the removable chips show, each with the listing's URL without it.
- The matching variants: a product is sold as variants (size M in green), so the
  variant-level filters (variant axes, "in stock only", the price range) hold for ONE
  variant: "size M, green, in stock" is a product with a green M in stock, not a
  product with an M somewhere, something green and stock elsewhere
  (`VariantFilter`, `matching_variants`).
- The price summary every tile and feed reads (`annotate_variant_summary`): per
  product, over its active variants, or over the matching ones when variant filters
  are chosen: `price_min`, `price_max`, `compare_at_of_cheapest`, `stock_available`.
  Correlated subqueries, so a page of products stays one query however many
  variants each has; each runs on `variant_price_idx` (product, is_active, price).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from commerce.models import ProductVariant, Stock

PAGE_SIZES = (12, 24, 48, 96)
DEFAULT_PAGE_SIZE = 24

# Price sorts use the matching variants' lowest price; products without an active
# variant have none and go last either way.
SORTS = {
    "relevance": ("Relevance", None),
    "name": ("Name A–Z", ("name", "pk")),
    "price": ("Price: low to high", (F("price_min").asc(nulls_last=True), "pk")),
    "-price": ("Price: high to low", (F("price_min").desc(nulls_last=True), "pk")),
    "newest": ("Newest", ("-created_at", "-pk")),
}


# Shown beside the field they are about, so they name no field: "Enter a price", not
# "min_price: Enter a number.".
PRICE_ERRORS = {
    "invalid": "Enter a price, such as 25 or 12.50.",
    "min_value": "Enter a price of 0 or more.",
    "max_digits": "Enter a smaller price.",
    "max_whole_digits": "Enter a smaller price.",
    "max_decimal_places": "Enter a price in whole cents, such as 12.50.",
}
PRICE_ORDER_ERROR = "Enter a minimum price up to the maximum."
CHOICE_GONE = "That choice is no longer offered; it was left out."


class PriceField(forms.DecimalField):
    """A price bound as shoppers type it: "12.50", or "12,50" as much of Europe writes it."""

    def to_python(self, value):
        if isinstance(value, str) and "," in value and "." not in value:
            value = value.replace(",", ".", 1)
        return super().to_python(value)


def price_field():
    return PriceField(
        required=False, min_value=0, max_digits=12, decimal_places=2, error_messages=PRICE_ERRORS
    )


class CatalogFilterForm(forms.Form):
    """The listing's GET parameters. Anything invalid is dropped, never a 500."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        error_messages={"max_length": "Search with up to %(limit_value)d characters."},
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, v[0]) for k, v in SORTS.items()],
        error_messages={"invalid_choice": CHOICE_GONE},
    )
    per_page = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(str(size), str(size)) for size in PAGE_SIZES],
        label="Per page",
        error_messages={"invalid_choice": CHOICE_GONE},
    )
    min_price = price_field()
    max_price = price_field()
    in_stock = forms.BooleanField(required=False, label="In stock only")
    option = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label="Attributes",
        error_messages={
            "invalid_choice": "A filter in this link is no longer offered; it was left out."
        },
    )

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

    @property
    def filtered(self) -> bool:
        """Whether a shopper's filter narrows the listing (the search words, the sort
        and the page size do not count)."""
        return bool(self.option_ids) or self.in_stock or self.has_price_range

    @property
    def has_price_range(self) -> bool:
        return self.min_price is not None or self.max_price is not None

    def unfiltered(self) -> "ListingQuery":
        """The same listing (place, search words, order) without its filters."""
        return ListingQuery(query=self.query, sort=self.sort, per_page=self.per_page)


def parse_listing_query(
    data, *, filterable_options, search=False
) -> tuple[ListingQuery, dict[str, list[str]]]:
    """The listing a query string asks for, and {field: [what was wrong, in plain words]}
    for the parts left out."""
    form = CatalogFilterForm(data, option_ids=[o.pk for o in filterable_options], search=search)
    clean = form.valid_data()
    query = (clean.get("q") or "").strip()
    sort = clean.get("sort") or default_sort(query, search=search)
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
    errors = {name: list(messages) for name, messages in form.errors.items()}
    both_prices = listing.min_price is not None and listing.max_price is not None
    if both_prices and listing.min_price > listing.max_price:
        # Said, not silently swapped: the shopper sees which number to fix, and the
        # maximum they typed still holds meanwhile.
        errors["min_price"] = [PRICE_ORDER_ERROR]
        listing.min_price = None
    return listing, errors


def default_sort(query: str, *, search: bool) -> str:
    return "relevance" if search and query else "name"


# --- Active filters -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveFilter:
    """One filter the shopper set, as a removable chip: its `label` ("Colour: Red", "In
    stock only"; "From" or "Up to" before an `amount`, which templates write with the
    money formatter) and `remove_url`, this listing without it."""

    label: str
    remove_url: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class ActiveFilters:
    """The filters set on a listing, and `clear_url`: the listing without any (its search
    words, order and page size kept). Its length is the "Filters (2)" count."""

    filters: tuple[ActiveFilter, ...]
    clear_url: str

    def __iter__(self):
        return iter(self.filters)

    def __len__(self):
        return len(self.filters)


def active_filters(listing: ListingQuery, definitions, *, path: str, search: bool):
    """The listing's filters, in the order of the filter form, each with the URL of the
    same listing without it. Built from the parsed listing, not the raw query string, so
    a dropped or repeated parameter never turns into a chip or sticks to a link."""
    kept_before = [("q", listing.query)] if search and listing.query else []
    kept_after = []
    if listing.sort != default_sort(listing.query, search=search):
        kept_after.append(("sort", listing.sort))
    if listing.per_page != DEFAULT_PAGE_SIZE:
        kept_after.append(("per_page", str(listing.per_page)))

    chips = []  # (label, amount, its query parameter)
    chosen = set(listing.option_ids)
    for definition in definitions:
        for option in definition.options.all():
            if option.pk in chosen:
                chips.append((f"{definition.name}: {option.value}", None, ("option", option.pk)))
    if listing.min_price is not None:
        chips.append(("From", listing.min_price, ("min_price", listing.min_price)))
    if listing.max_price is not None:
        chips.append(("Up to", listing.max_price, ("max_price", listing.max_price)))
    if listing.in_stock:
        chips.append(("In stock only", None, ("in_stock", 1)))

    def url(params):
        query = urlencode([*kept_before, *params, *kept_after])
        return f"{path}?{query}" if query else path

    params = [param for _, _, param in chips]
    return ActiveFilters(
        filters=tuple(
            ActiveFilter(label, url([p for p in params if p != param]), amount)
            for label, amount, param in chips
        ),
        clear_url=url([]),
    )


# --- Matching variants --------------------------------------------------------------------


@dataclass
class VariantFilter:
    """What ONE variant of a listed product must be: its options (per axis, any of the
    chosen ones: size M or L; across axes, all: M and green), in stock in an active
    warehouse, inside the price range. Inactive variants never match."""

    axes: dict[int, list[int]] = field(default_factory=dict)  # axis id -> option ids
    in_stock: bool = False
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    @classmethod
    def of(cls, listing: ListingQuery, axes: dict[int, list[int]]) -> "VariantFilter":
        return cls(
            axes=axes,
            in_stock=listing.in_stock,
            min_price=listing.min_price,
            max_price=listing.max_price,
        )

    @property
    def narrows(self) -> bool:
        """Whether it asks more of a variant than being active."""
        return bool(self.axes) or self.in_stock or self.has_price_range

    @property
    def has_price_range(self) -> bool:
        return self.min_price is not None or self.max_price is not None

    def q(self, *, variant="", variant_ref="pk", stock=True) -> Q:
        """The condition on a variant row; `variant` is the lookup prefix that reaches it
        ("" on ProductVariant, "variant__" on Stock) and `variant_ref` its id in an
        OuterRef ("pk", "variant_id"). `stock=False` leaves "in stock" out (a sum of
        units is the same with or without it)."""
        condition = Q(**{f"{variant}is_active": True})
        for option_ids in self.axes.values():
            condition &= Q(has_variant_option(option_ids, variant_ref))
        if self.in_stock and stock:
            condition &= Q(variant_in_stock(variant_ref))
        if self.min_price is not None:
            condition &= Q(**{f"{variant}price__gte": self.min_price})
        if self.max_price is not None:
            condition &= Q(**{f"{variant}price__lte": self.max_price})
        return condition


def has_variant_option(option_ids, variant_ref="pk"):
    """The outer query's variant has one of these options."""
    through = ProductVariant.options.through
    return Exists(
        through.objects.filter(
            productvariant_id=OuterRef(variant_ref), attributeoption_id__in=option_ids
        )
    )


def variant_in_stock(variant_ref="pk"):
    """The outer query's variant has units in an active warehouse (quantities are never
    negative, so one row with units is enough: an index probe, not a sum)."""
    return Exists(
        Stock.objects.in_active_warehouses().filter(
            variant_id=OuterRef(variant_ref), quantity__gt=0
        )
    )


def matching_variants(variants: VariantFilter | None = None, product_ref="pk"):
    """The outer query's product's variants that match (its active ones without a filter)."""
    variants = variants or VariantFilter()
    return ProductVariant.objects.filter(product_id=OuterRef(product_ref)).filter(variants.q())


def has_matching_variant(variants: VariantFilter | None = None, product_ref="pk"):
    return Exists(matching_variants(variants, product_ref))


def matching_stock_subquery(variants: VariantFilter | None = None, product_ref="pk"):
    """Units in active warehouses of the outer query's product's matching variants."""
    variants = variants or VariantFilter()
    per_product = (
        Stock.objects.in_active_warehouses()
        .filter(variant__product_id=OuterRef(product_ref))
        .filter(variants.q(variant="variant__", variant_ref="variant_id", stock=False))
        .order_by()
        .values("variant__product_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(per_product, output_field=IntegerField()), Value(0))


def annotate_variant_summary(products, variants: VariantFilter | None = None):
    """Each product's price summary over its matching variants (its active ones without a
    filter): `price_min` and the cheapest one's `compare_at_of_cheapest` (ties: the
    first variant), `price_max`, `stock_available` (units in active warehouses) and
    `cheapest_variant_id`. `Product.has_price_range` and `Product.is_discounted` read
    them. A product without a matching variant has None prices and no stock."""
    matching = matching_variants(variants)
    cheapest = matching.order_by("price", "pk")
    return products.annotate(
        price_min=Subquery(cheapest.values("price")[:1]),
        compare_at_of_cheapest=Subquery(cheapest.values("compare_at_price")[:1]),
        cheapest_variant_id=Subquery(cheapest.values("pk")[:1]),
        price_max=Subquery(matching.order_by("-price").values("price")[:1]),
        stock_available=matching_stock_subquery(variants),
    )
