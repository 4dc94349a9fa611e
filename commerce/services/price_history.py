"""Price history: the lowest price of the 30 days before a reduction (EU Directive 2019/2161).

Wherever a reduced price is announced (a compare-at price struck through, a promotion's
price), the shop shows the lowest price the variant had in the 30 days before the
reduction started. This module keeps the history it needs and reads it.

Writing (`record_prices`): a `VariantPrice` row is appended whenever a price goes live,
i.e. whenever its product is published: an editor's "Publish", a scheduled revision
going live (`publish_scheduled`), the catalog import (Wagtail's create/edit actions) all
send Wagtail's `published` signal, which `on_product_published` receives; the bulk demo
seed and the repair command publish through `product_revisions.publish_first_revisions`,
which calls `record_prices` itself. A draft writes nothing: only a live product's prices
are recorded. A row is appended only when the live price differs from the variant's
latest row, so recording twice is harmless. Times are real (`timezone.now()`), never a
dated preview's `shop_now()`: a preview publishes nothing.

Reading: "the reduction started" is
- for a compare-at price: when the current (reduced) price went live, the `started_at`
  of the variant's latest row (`lowest_prices_before_reduction`). A compare-at price
  added to an unchanged price is no new price: the figure stays that of the day the
  current price went live;
- for a promotion: the promotion's start (`lowest_prices_before(ids, promotion.start)`;
  the storefront's offers read all theirs at once with `lowest_prices_before_each`).
The lowest price is the lowest of the rows in effect at some instant of
[moment − 30 days, moment): those that started inside it, and the one that started
before it and was still in effect at its start (the latest row started at or before
moment − 30 days). A row started exactly 30 days before counts; the row it replaced,
one second older, does not.

No price in effect in that window (a variant first sold at its reduced price, or one
without history): `lowest_prices_before` says None, and what is shown is the reduced
price itself (`shown_lowest_price`). The shop cannot show a lower former price than
it can prove, so a "reduction" without a history reads as no reduction at all.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from commerce.models import Product, ProductVariant, VariantPrice

WINDOW = timedelta(days=30)


# --- Writing ------------------------------------------------------------------------------


def latest_row_subquery(field: str, variant_ref: str = "pk"):
    """The variant's latest history row's `field` (price or started_at), as a subquery."""
    latest = VariantPrice.objects.filter(variant_id=OuterRef(variant_ref)).order_by(
        "-started_at", "-pk"
    )
    return Subquery(latest.values(field)[:1])


def record_prices(variants, *, at: datetime | Mapping[int, datetime] | None = None) -> int:
    """Appends a history row for each of `variants` (rows, ids or a queryset) whose live
    price differs from its latest row (or that has none); returns how many.

    The price is read from the database, as the storefront sells it, and only of
    variants of live products: a draft's price is not live. `at` is when the prices
    went live: one moment (default now) or {variant id: moment}. Two queries whatever
    the number of variants (one when nothing changed).
    """
    if isinstance(variants, QuerySet):
        ids = variants.values("pk")
    else:
        ids = [v if isinstance(v, int) else v.pk for v in variants if v is not None]
    now = timezone.now()
    rows = (
        ProductVariant.objects.filter(pk__in=ids, product__live=True)
        .annotate(recorded=latest_row_subquery("price"))
        .values_list("pk", "price", "recorded")
    )
    new = [
        VariantPrice(
            variant_id=pk,
            price=price,
            started_at=(at.get(pk) if isinstance(at, Mapping) else at) or now,
        )
        for pk, price, recorded in rows
        if recorded != price
    ]
    if new:
        VariantPrice.objects.bulk_create(new)
    return len(new)


def on_product_published(sender, instance, **kwargs):
    """Wagtail's `published` signal for a product: its variants' prices went live.

    Also sent when a product never published is scheduled for later (it stays not
    live): `record_prices` records live products only.
    """
    record_prices(ProductVariant.objects.filter(product_id=instance.pk))


def connect_price_history():
    """Called once from CommerceConfig.ready()."""
    from wagtail.signals import published

    published.connect(on_product_published, sender=Product, dispatch_uid="price_history")


# --- Reading ------------------------------------------------------------------------------


def _lowest(variant_ids, moment) -> dict[int, Decimal | None]:
    """{variant id: lowest price in effect in [moment − 30 days, moment) or None}.

    One grouped query: `moment` is an expression per history row (a constant, a CASE
    over the variants, or the latest row's start).
    """
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    found = dict(_lowest_rows(ids, moment).values_list("variant_id", "lowest"))
    return {pk: found.get(pk) for pk in ids}


def _lowest_rows(ids, moment):
    """The grouped queryset behind `_lowest`: values (variant_id, lowest)."""
    window_start = ExpressionWrapper(moment - Value(WINDOW), output_field=DateTimeField())
    # The row in effect when the window opens: the latest one started at or before then.
    in_effect_at_start = (
        VariantPrice.objects.filter(
            variant_id=OuterRef("variant_id"), started_at__lte=OuterRef("window_start")
        )
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    return (
        VariantPrice.objects.filter(variant_id__in=ids)
        .annotate(moment=ExpressionWrapper(moment, output_field=DateTimeField()))
        .annotate(window_start=window_start)
        .annotate(since=Coalesce(Subquery(in_effect_at_start), F("window_start")))
        .filter(started_at__gte=F("since"), started_at__lt=F("moment"))
        .order_by()
        .values("variant_id")
        .annotate(lowest=Min("price"))
    )


def lowest_prices_before(
    variant_ids: Iterable[int], moments: datetime | Mapping[int, datetime] | None
) -> dict[int, Decimal | None]:
    """The lowest price of each variant in the 30 days before `moments` (one moment for
    all, e.g. a promotion's start, or {variant id: moment}); None where no price was in
    effect then (and for a moment of None: a promotion without a start has no reduction
    date to look back from). One query for a whole page of variants."""
    ids = list(variant_ids)
    if moments is None:
        return dict.fromkeys(ids)
    if isinstance(moments, Mapping):
        ids = [pk for pk in ids if pk in moments]
        moment = Case(
            *(When(variant_id=pk, then=Value(moments[pk])) for pk in ids),
            output_field=DateTimeField(),
        )
    else:
        moment = Value(moments, output_field=DateTimeField())
    return _lowest(ids, moment)


def lowest_prices_before_each(
    pairs: Iterable[tuple[int, datetime | None]],
) -> dict[tuple[int, datetime | None], Decimal | None]:
    """{(variant id, moment): the lowest price in the 30 days before that moment}, for a
    variant read at several moments: offers of two promotions on one variant are each
    read before their own promotion's start, which a {variant id: moment} mapping
    cannot say. None as in `lowest_prices_before` (a moment of None included).

    One query for a whole page (a UNION ALL, one part per distinct moment); none when
    no pair has a moment."""
    found: dict[tuple[int, datetime | None], Decimal | None] = dict.fromkeys(set(pairs))
    by_moment: dict[datetime, set[int]] = {}
    for pk, moment in found:
        if moment is not None:
            by_moment.setdefault(moment, set()).add(pk)
    if not by_moment:
        return found
    moments = list(by_moment)
    parts = [
        _lowest_rows(
            sorted(by_moment[moment]), Value(moment, output_field=DateTimeField())
        ).values_list("variant_id", Value(index, output_field=IntegerField()), "lowest")
        for index, moment in enumerate(moments)
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    for pk, index, lowest in rows:
        found[(pk, moments[index])] = lowest
    return found


def lowest_prices_before_reduction(variant_ids: Iterable[int]) -> dict[int, Decimal | None]:
    """For compare-at reductions: the lowest price in the 30 days before each variant's
    current price went live (its latest row's start). One query."""
    return _lowest(list(variant_ids), latest_row_subquery("started_at", "variant_id"))


def shown_lowest_price(lowest: Decimal | None, reduced_price: Decimal) -> Decimal:
    """What the storefront shows: the lowest price, or the reduced price when no price
    was in effect before the reduction (see the module docstring)."""
    return reduced_price if lowest is None else lowest


def attach_lowest_prices(products) -> None:
    """Sets `product.lowest_price` on each discounted tile (`Product.is_discounted`, from
    the listing's annotations), for its cheapest variant; None on the others. One query
    for the page, none when nothing on it is discounted."""
    products = list(products)
    discounted = [p for p in products if p.is_discounted and p.cheapest_variant_id]
    lowest = lowest_prices_before_reduction(p.cheapest_variant_id for p in discounted)
    for product in products:
        product.lowest_price = None
    for product in discounted:
        product.lowest_price = shown_lowest_price(
            lowest[product.cheapest_variant_id], product.price_min
        )


def attach_variant_lowest_prices(variants) -> None:
    """Sets `variant.lowest_price` on each discounted variant (`is_discounted`), None on
    the others. One query for all of them; none when none is discounted (or for an
    editor's preview of variants not saved yet)."""
    variants = list(variants)
    discounted = [v for v in variants if v.is_discounted and v.pk]
    lowest = lowest_prices_before_reduction(v.pk for v in discounted)
    for variant in variants:
        variant.lowest_price = None
    for variant in discounted:
        variant.lowest_price = shown_lowest_price(lowest[variant.pk], variant.price)
