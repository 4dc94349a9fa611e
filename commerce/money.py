"""The shop's currency, read in one place so prices, orders, feeds and the API agree.

It is the site's Settings → Branding (`pages.BrandingSettings.currency_code`);
a site without its branding row yet has the field's default, and so does a
request no site answers. Reading never creates the row: a page showing a price
should not write, and the create-order API's playground leaves every table as
it found it. Orders keep the currency they were placed in (`Order.currency`).

A bottom module: it imports only `pages` and Wagtail, so models may use it.
"""

from decimal import ROUND_HALF_UP, Decimal

from wagtail.models import Site

from pages.models import BrandingSettings


def shop_currency(request=None, *, site: Site | None = None) -> str:
    """The three-letter code for `request`'s site, or `site`'s, else the default site's."""
    if request is not None:
        # Pages read the branding early (base.html) and Wagtail keeps it on the
        # request: prices on the page then cost no query.
        branding = getattr(request, BrandingSettings.get_cache_attr_name(), None)
        if branding is not None:
            return branding.currency_code
        site = Site.find_for_request(request)
    elif site is None:
        site = Site.objects.filter(is_default_site=True).first()
    code = None
    if site is not None:
        code = (
            BrandingSettings.objects.filter(site=site)
            .values_list("currency_code", flat=True)
            .first()
        )
    return code or BrandingSettings._meta.get_field("currency_code").default


CENT = Decimal("0.01")


def format_amount(amount) -> str:
    """An amount as every page writes it, "1,234.50": rounded half up to cents, Decimal
    all the way (the `money` tag adds the currency; the product page's script gets it)."""
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{value:,.2f}"


def format_money(amount, currency: str) -> str:
    """An amount with its currency as plain text, "1,234.50 EUR": the `money` tag's
    words without its markup, for e-mails' text parts, subjects and admin columns."""
    return f"{format_amount(amount)} {currency}"


def percent_off(price, compare_at) -> int | None:
    """How many whole percent `price` is below the former `compare_at` price, for a "Sale
    −20 %" badge; None when the price is not reduced (no compare-at price, or one not
    above the price). Rounded down, so the badge never promises more than the shopper
    saves: 100.00 → 79.99 is 20 %, and a cut under 1 % is 0 (a sale, without a figure)."""
    if price is None or compare_at is None or price < 0 or compare_at <= price:
        return None
    cut = (Decimal(compare_at) - Decimal(price)) * 100 / Decimal(compare_at)
    return int(cut)  # int() truncates, which is rounding down for a positive cut
